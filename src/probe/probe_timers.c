/* SPDX-License-Identifier: MIT */
/*
 * probe_timers.c - retransmission timers, with no I/O.
 *
 * RFC 8489 6.2.1 allows an RTO from an RTT estimate once one exists
 * ("cached ... used as the starting value for RTO for the next
 * transaction"); the estimate is RFC 6298's.  It only ever shrinks the
 * profile's RTO: the first transaction has no sample, and a slow path
 * must not make a silent test cost more than the profile says.
 */
#include "probe/probe.h"

/* RFC 6298 2.3: alpha = 1/8, beta = 1/4; 2.2: K = 4; G is our 1 ms clock. */
#define RTT_ALPHA 0.125
#define RTT_BETA 0.25
#define RTT_K 4.0
#define RTT_G_MS 1.0

void probe_timers_init(struct probe_timers *t, const struct probe_rto *base,
		       bool adapt)
{
	*t = (struct probe_timers){ .base = *base, .adapt = adapt };
}

void probe_timers_sample(struct probe_timers *t, double rtt_ms)
{
	double diff;

	if (rtt_ms < 0)
		return;
	if (!t->has_rtt) {
		t->srtt_ms = rtt_ms;
		t->rttvar_ms = rtt_ms / 2;
		t->has_rtt = true;
		return;
	}
	diff = t->srtt_ms - rtt_ms;
	if (diff < 0)
		diff = -diff;
	/* RTTVAR first: it uses the SRTT before this sample. */
	t->rttvar_ms = (1 - RTT_BETA) * t->rttvar_ms + RTT_BETA * diff;
	t->srtt_ms = (1 - RTT_ALPHA) * t->srtt_ms + RTT_ALPHA * rtt_ms;
}

struct probe_rto probe_timers_next(const struct probe_timers *t)
{
	struct probe_rto r = t->base;
	double var, est;
	unsigned int ms;

	if (!t->adapt || !t->has_rtt)
		return r;
	var = RTT_K * t->rttvar_ms;
	est = t->srtt_ms + (var > RTT_G_MS ? var : RTT_G_MS);
	/* RFC 8489: keep 1 ms accuracy, do not round to seconds. */
	ms = est >= r.rto_ms ? r.rto_ms : (unsigned int)est;
	if (ms < est)
		ms++;	/* round up */
	if (ms < PROBE_RTO_FLOOR_MS)
		ms = PROBE_RTO_FLOOR_MS;
	if (ms < r.rto_ms)
		r.rto_ms = ms;
	return r;
}

unsigned long long probe_rto_total_ms(const struct probe_rto *r)
{
	unsigned long long total = 0, interval = r->rto_ms;

	/* Sends at 0, RTO, 3 RTO ...: Rc - 1 doubling gaps, then Rm x RTO. */
	for (unsigned int i = 1; i < r->rc; i++, interval *= 2)
		total += interval;
	return total + r->rm * r->rto_ms;
}
