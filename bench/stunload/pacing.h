/* SPDX-License-Identifier: MIT */
/*
 * pacing.h - open-loop send schedule.  Request k is due at
 * start + k / rate; a sender asks how many are due now.  After a stall the
 * backlog is capped at a small bank: the rest is dropped from the schedule
 * (and counted), never sent as a burst that would distort the server's
 * view of the offered load.
 */
#ifndef STUNLOAD_PACING_H
#define STUNLOAD_PACING_H

#include <stdint.h>

struct pacer {
	uint64_t start_ns;
	double per_ns;		/* requests per nanosecond */
	uint64_t scheduled;	/* requests sent or dropped so far */
	uint64_t bank;		/* largest backlog allowed */
	uint64_t dropped;	/* requests skipped after stalls */
};

/* rate: requests per second (> 0).  The bank holds 1 ms of traffic plus
 * one batch, so batching never causes drops at steady state. */
void pacer_init(struct pacer *p, uint64_t start_ns, double rate,
		unsigned batch);
/* How many requests are due at now (after the bank cap). */
uint64_t pacer_due(struct pacer *p, uint64_t now_ns);
/* n of the due requests were sent. */
static inline void pacer_commit(struct pacer *p, uint64_t n)
{
	p->scheduled += n;
}
/* When the next request falls due. */
uint64_t pacer_next_ns(const struct pacer *p);

#endif
