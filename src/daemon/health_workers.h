/* SPDX-License-Identifier: MIT */
/*
 * health_workers.h - the one health check of the running workers, shared
 * by /healthz (metrics_http.c) and systemd's watchdog (watchdog.c), so the
 * two can never disagree: health_report (health.h) over their heartbeats.
 */
#ifndef STUNRINGD_HEALTH_WORKERS_H
#define STUNRINGD_HEALTH_WORKERS_H

#include "worker.h"

/* "ok\n" or one line per stale worker into out; how many are stale. */
unsigned int health_workers(const struct worker *w, unsigned int n, char *out,
			    size_t cap);

#endif
