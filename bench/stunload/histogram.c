/* SPDX-License-Identifier: MIT */
/*
 * histogram.c - log-linear latency histogram, see histogram.h.
 */
#include "histogram.h"

#include <string.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (HIST_SUB_BITS - 1);	/* v >> shift in [128, 256) */
	if (shift > HIST_MAX_SHIFT)
		return HIST_BUCKETS - 1;
	return HIST_SUB + (shift - 1) * HIST_HALF +
	       (unsigned)((v >> shift) - HIST_HALF);
}

uint64_t hist_lowest(unsigned idx)
{
	unsigned k, shift;

	if (idx < HIST_SUB)
		return idx;
	k = idx - HIST_SUB;
	shift = k / HIST_HALF + 1;
	return (uint64_t)(k % HIST_HALF + HIST_HALF) << shift;
}

uint64_t hist_highest(unsigned idx)
{
	if (idx < HIST_SUB)
		return idx;
	return hist_lowest(idx) + (UINT64_C(1) << ((idx - HIST_SUB) / HIST_HALF + 1)) - 1;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t v)
{
	unsigned i = hist_index(v);

	STORE(h->counts[i], h->counts[i] + 1);
	STORE(h->total, h->total + 1);
	STORE(h->sum, h->sum + v);
	if (v > h->max)
		STORE(h->max, v);
}

void hist_add(struct hist *dst, const struct hist *src)
{
	uint64_t m = LOAD(src->max);

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += LOAD(src->counts[i]);
	dst->total += LOAD(src->total);
	dst->sum += LOAD(src->sum);
	if (m > dst->max)
		dst->max = m;
}

void hist_sub(struct hist *dst, const struct hist *a, const struct hist *b)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		dst->counts[i] = a->counts[i] - b->counts[i];
		total += dst->counts[i];
	}
	/* Recount rather than subtract totals: a live writer may have bumped
	 * a count and not yet the total when the snapshot was taken. */
	dst->total = total;
	dst->sum = a->sum - b->sum;
	/* The interval's max is somewhere in its highest non-empty bucket. */
	dst->max = 0;
	for (unsigned i = HIST_BUCKETS; i-- > 0;) {
		if (dst->counts[i]) {
			uint64_t hi = hist_highest(i);

			dst->max = hi < a->max ? hi : a->max;
			break;
		}
	}
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t total = 0, want, seen = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += h->counts[i];
	if (!total)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)total + 0.999999);
	if (want < 1)
		want = 1;
	if (want > total)
		want = total;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			uint64_t v = hist_highest(i);
			return h->max && v > h->max ? h->max : v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? (double)h->sum / (double)h->total : 0.0;
}
