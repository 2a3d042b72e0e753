/* SPDX-License-Identifier: MIT */
/* run_phase.c - the run loop's phases (run_phase.h). */
#include "run_phase.h"

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void sl_phase_init(struct sl_phase *ph, const struct sl_worker *w, uint64_t timeout,
		   uint64_t scan_max)
{
	ph->timeout = timeout;
	ph->scan_every = clamp(timeout / 10, 1000000, scan_max);
	/* Grace period after the last answer: --timeout / 10, 2..100 ms. */
	ph->linger = clamp(timeout / 10, 2000000, 100000000);
	ph->next_scan = w->start_ns + ph->scan_every;
	ph->drain_until = ph->linger_until = 0;
}

void sl_phase_check_stop(struct sl_phase *ph, struct sl_worker *w, bool *sending, uint64_t now)
{
	if (*sending && (now >= w->end_ns || *w->stop || (w->quota && w->c.sent >= w->quota))) {
		*sending = false;
		w->stopped_ns = now;
		ph->drain_until = now + ph->timeout;
	}
}

enum sl_phase_next sl_phase_draining(struct sl_phase *ph, const struct sl_worker *w,
				     uint64_t now, bool outstanding)
{
	if (*w->stop > 1)
		return SL_PHASE_END;
	if (!outstanding && !ph->linger_until)
		ph->linger_until = now + ph->linger;
	if (ph->linger_until && now >= ph->linger_until)
		return SL_PHASE_END;
	if (now >= ph->drain_until)
		return SL_PHASE_EXPIRE_END;
	return SL_PHASE_GO;
}

struct timespec sl_phase_wait(const struct sl_phase *ph, const struct sl_worker *w,
			      bool sending, uint64_t now, uint64_t pacer_next)
{
	uint64_t wake = ph->next_scan;

	if (sending && pacer_next < wake)
		wake = pacer_next;
	if (!sending && ph->drain_until < wake)
		wake = ph->drain_until;
	if (ph->linger_until && ph->linger_until < wake)
		wake = ph->linger_until;
	if (sending && w->end_ns < wake)
		wake = w->end_ns;
	wake = wake > now ? wake - now : 0;
	return (struct timespec){ .tv_sec = (time_t)(wake / 1000000000u),
				  .tv_nsec = (long)(wake % 1000000000u) };
}
