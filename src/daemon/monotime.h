/* SPDX-License-Identifier: MIT */
/*
 * monotime.h - the cheap clock for once-per-batch and once-per-line uses
 * (worker heartbeats, log rate limits): CLOCK_MONOTONIC_COARSE is read from
 * the vDSO without touching the clock source, a few ns, with a resolution
 * of one tick (1-4 ms), plenty for intervals of a second.
 */
#ifndef STUNRINGD_MONOTIME_H
#define STUNRINGD_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotime_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC, also from the vDSO: for the rate limits' buckets
 * (limiter.h), read once per batch. */
static inline uint64_t monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
