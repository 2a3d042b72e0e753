/* SPDX-License-Identifier: MIT */
/* pacing.c - open-loop send schedule, see pacing.h. */
#include "pacing.h"

void pacer_init(struct pacer *p, uint64_t start_ns, double rate,
		unsigned batch)
{
	p->start_ns = start_ns;
	p->per_ns = rate / 1e9;
	p->scheduled = 0;
	p->dropped = 0;
	p->bank = (uint64_t)(rate / 1000.0) + batch;
}

uint64_t pacer_due(struct pacer *p, uint64_t now_ns)
{
	uint64_t target, due;

	if (now_ns <= p->start_ns)
		return 0;
	target = (uint64_t)((double)(now_ns - p->start_ns) * p->per_ns);
	if (target <= p->scheduled)
		return 0;
	due = target - p->scheduled;
	if (due > p->bank) {
		p->dropped += due - p->bank;
		p->scheduled += due - p->bank;
		due = p->bank;
	}
	return due;
}

uint64_t pacer_next_ns(const struct pacer *p)
{
	return p->start_ns + (uint64_t)((double)(p->scheduled + 1) / p->per_ns);
}
