/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the Prometheus text exposition of stunringd's counters.
 *
 * Pure: a snapshot of the counters in, text out (no sockets, no threads,
 * no clock), so the format is unit-tested on its own (tests/unit/
 * test_metrics.c) and the HTTP side (metrics_http.c) only takes snapshots.
 * Names and labels follow the Prometheus naming conventions: a stunring_
 * prefix, _total for counters, base units (seconds).
 */
#ifndef STUNRINGD_METRICS_H
#define STUNRINGD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"

struct metrics_input {
	const char *version;
	double start_time;		/* Unix time the process started */
	bool rfc5780;			/* add the RFC 5780 reply counters */
	unsigned int nworkers;
	const struct worker_stats *workers;	/* one snapshot per worker */
	const double *progress_age;	/* seconds since each worker's heartbeat */
	/* The XDP program's counters (summed over CPUs), when attached:
	 * n_xdp names ("answered_v4", "pass_port", ...) and values. */
	unsigned int n_xdp;
	const char *const *xdp_names;
	const uint64_t *xdp_values;
};

/* Write every metric, with HELP and TYPE lines, to f. */
void metrics_write(FILE *f, const struct metrics_input *in);

#endif
