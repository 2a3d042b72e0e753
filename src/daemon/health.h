/* SPDX-License-Identifier: MIT */
/*
 * health.h - is every worker making progress?  Each worker stores a
 * monotonic timestamp once per loop iteration (worker_batch_start), and an
 * idle one still goes round every WORKER_IDLE_WAKE_MS (1 s), so a
 * heartbeat older than HEALTH_STALE_NS means the worker is stuck (a bug, a
 * stall) or starved of CPU.  Pure, for /healthz (metrics_http.c) and its
 * unit test.
 */
#ifndef STUNRINGD_HEALTH_H
#define STUNRINGD_HEALTH_H

#include <stddef.h>
#include <stdint.h>

/* Five idle wake-ups missed: far beyond scheduling noise on a busy host,
 * soon enough for a load balancer's health check. */
#define HEALTH_STALE_NS (5ull * 1000000000ull)

/* heartbeat_ns[i]: worker i's last heartbeat (0: it never ran).  Writes
 * "ok\n", or one line per stale worker ("worker 1: no progress for 7.2 s"),
 * to out (cap bytes, always terminated).  Returns how many are stale. */
unsigned int health_report(const uint64_t *heartbeat_ns, unsigned int n,
			   uint64_t now_ns, char *out, size_t cap);

#endif
