/* SPDX-License-Identifier: MIT */
/*
 * watchdog.h - systemd's service watchdog (WatchdogSec=): WATCHDOG=1 at
 * half the interval systemd asked for (WATCHDOG_USEC, through libsystemd's
 * sd_watchdog_enabled), but only while every worker makes progress by the
 * same check /healthz uses (health_workers.h).  A stalled worker thus
 * gets the daemon restarted even though main's thread is fine.
 */
#ifndef STUNRINGD_WATCHDOG_H
#define STUNRINGD_WATCHDOG_H

#include "worker.h"

/* Read WATCHDOG_USEC (and WATCHDOG_PID); nothing happens without it. */
void watchdog_init(void);
/* Seconds until the next ping is due (0: now), or -1 when off. */
double watchdog_wait_s(void);
/* When due: check the workers, ping when healthy, log when not (once per
 * stall, not per interval). */
void watchdog_tick(const struct worker *w, unsigned int n);

#endif
