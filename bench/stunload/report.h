/* SPDX-License-Identifier: MIT */
/*
 * report.h - what stunload prints: the live one-line display, the
 * per-second CSV time series and the final summary as text or JSON.
 */
#ifndef STUNLOAD_REPORT_H
#define STUNLOAD_REPORT_H

#include <stdio.h>

#include "stunload.h"

struct sl_result {
	const struct sl_config *cfg;
	struct sl_counters c;
	const struct hist *h;
	double send_s;		/* how long requests were sent */
	double total_s;		/* including the wait for the last answers */
	int status;		/* the exit status */
	const char *verdict;	/* "ok", "invalid answers", ... */
	const char *conn_error;	/* streams: the first connect/handshake error */
};

/* One second of the run: counter deltas and the interval's latencies. */
struct sl_interval {
	double t_s;		/* end of the interval since the start */
	double len_s;
	struct sl_counters d;
	const struct hist *h;
	struct sl_counters total;
};

void sl_progress(FILE *f, const struct sl_interval *iv);
void sl_progress_clear(FILE *f);
int sl_csv_header(FILE *f);
int sl_csv_row(FILE *f, const struct sl_interval *iv);
void sl_report_text(FILE *f, const struct sl_result *r);
void sl_report_json(FILE *f, const struct sl_result *r);

#endif
