/* SPDX-License-Identifier: MIT */
/*
 * histogram.h - fixed-memory log-linear latency histogram (HdrHistogram
 * style): 256 exact buckets below 256, then 128 linear sub-buckets per power
 * of two, so any recorded value is reported within 1/128 (0.8%) of itself.
 * No allocation; one writer per histogram, readers use relaxed loads.
 */
#ifndef STUNLOAD_HISTOGRAM_H
#define STUNLOAD_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS	8
#define HIST_SUB	(1u << HIST_SUB_BITS)		/* 256 */
#define HIST_HALF	(HIST_SUB / 2)			/* 128 */
#define HIST_MAX_SHIFT	40	/* values up to 2^48 (ns: 78 hours) */
#define HIST_BUCKETS	(HIST_SUB + HIST_MAX_SHIFT * HIST_HALF)

struct hist {
	uint64_t total;
	uint64_t sum;
	uint64_t max;
	uint64_t counts[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
/* Single writer: stores are relaxed atomics so a reader thread may
 * snapshot the histogram while it is being written. */
void hist_record(struct hist *h, uint64_t v);
/* dst += src (src read with relaxed loads: it may be live). */
void hist_add(struct hist *dst, const struct hist *src);
/* dst = a - b, for interval histograms (b an older snapshot of a).  The
 * interval's exact max is not recoverable from counts: dst->max is the top
 * of its highest non-empty bucket (capped at a->max). */
void hist_sub(struct hist *dst, const struct hist *a, const struct hist *b);
/* Value at percentile p (0 < p <= 100): the highest value equivalent to
 * the bucket holding the ceil(p% * total)-th sample, capped at max.
 * 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);

/* Bucket arithmetic, exposed for the unit test. */
unsigned hist_index(uint64_t v);
uint64_t hist_lowest(unsigned idx);
uint64_t hist_highest(unsigned idx);

#endif
