/* SPDX-License-Identifier: MIT */
/*
 * requests.h - what every engine that sends from user space shares: the
 * request options of each kind, the --mix as a sequence, and counting a
 * judged answer.
 */
#ifndef STUNLOAD_REQUESTS_H
#define STUNLOAD_REQUESTS_H

#include "engine.h"

#define MIX_MAX		(REQ_KIND_COUNT * 1000)

/* The codec's request options for each kind of the mix. */
void sl_request_opts(const struct sl_config *cfg,
		     struct stun_request_opts opts[REQ_KIND_COUNT]);
/* The mix as a sequence that spreads each kind evenly (smooth weighted
 * round robin), so any window of requests has the configured proportions.
 * Returns its length (at most MIX_MAX). */
unsigned sl_build_mix(const struct sl_config *cfg, uint8_t mix[MIX_MAX]);
/* Count one received answer of a connection or socket (tx, x) into the
 * worker's counters and latency histogram. */
void sl_count_answer(struct sl_worker *w, struct txtable *tx,
		     const struct expect *x, const uint8_t *buf, size_t len,
		     bool trunc, uint64_t now);

/* --bind: bind fd (of family fam) to the k-th host address of the prefix,
 * port 0 (k wraps; neither the network nor the broadcast address).
 * Returns bind()'s result. */
int sl_bind_nth(int fd, const struct stun_prefix *p, int fam, unsigned int k);

#endif
