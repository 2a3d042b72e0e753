/* SPDX-License-Identifier: MIT */
/*
 * run_phase.h - the phases of a worker's run loop, shared by the socket
 * (UDP) and the stream (TCP/TLS) engines: send until the deadline, the
 * quota or a signal; then drain, waiting up to --timeout for the answers
 * still outstanding; once none is, linger a little (a duplicate of the
 * last answers is still counted); a second signal ends it at once.  And
 * how long the loop may sleep in between.
 */
#ifndef STUNLOAD_RUN_PHASE_H
#define STUNLOAD_RUN_PHASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"

struct sl_phase {
	uint64_t timeout;	/* --timeout, ns */
	uint64_t scan_every, next_scan;	/* the engine's periodic scan */
	uint64_t drain_until;	/* set when sending stops */
	uint64_t linger, linger_until;	/* after the last answer */
};

/* scan_max: the longest interval between two scans (the stream engine's
 * scan is also its reconnect clock). */
void sl_phase_init(struct sl_phase *ph, const struct sl_worker *w, uint64_t timeout,
		   uint64_t scan_max);

/* At the top of each iteration: *sending turns false (and the drain
 * starts) at the deadline, the quota or a signal. */
void sl_phase_check_stop(struct sl_phase *ph, struct sl_worker *w, bool *sending, uint64_t now);

enum sl_phase_next {
	SL_PHASE_GO = 0,	/* go on */
	SL_PHASE_END,		/* the loop ends */
	SL_PHASE_EXPIRE_END,	/* expire what is outstanding (lost), then end */
};
/* Once not sending: what next, given whether answers are outstanding. */
enum sl_phase_next sl_phase_draining(struct sl_phase *ph, const struct sl_worker *w,
				     uint64_t now, bool outstanding);

/* How long to wait for events: until the next scan, pacer slot
 * (pacer_next; UINT64_MAX: none), deadline, end of drain or linger. */
struct timespec sl_phase_wait(const struct sl_phase *ph, const struct sl_worker *w,
			      bool sending, uint64_t now, uint64_t pacer_next);

/* After the events: true (and the next one scheduled) when a scan is due. */
static inline bool sl_phase_scan_due(struct sl_phase *ph, uint64_t now)
{
	if (now < ph->next_scan)
		return false;
	ph->next_scan = now + ph->scan_every;
	return true;
}

#endif
