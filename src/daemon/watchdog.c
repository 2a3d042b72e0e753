/* SPDX-License-Identifier: MIT */
/* watchdog.c - see watchdog.h.  Main's thread only. */
#include "watchdog.h"
#include "health_workers.h"
#include "log.h"

#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static uint64_t interval_ns, next_ns;
static bool stalled;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void watchdog_init(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || !usec)
		return;
	/* Half the interval, as sd_watchdog_enabled(3) advises: one late
	 * wake-up must not cost a restart. */
	interval_ns = usec * 1000 / 2;
	next_ns = now_ns();
	log_info("systemd watchdog: WATCHDOG=1 every %.1f s while every worker is healthy",
		 (double)interval_ns / 1e9);
}

double watchdog_wait_s(void)
{
	uint64_t now;

	if (!interval_ns)
		return -1;
	now = now_ns();
	return next_ns > now ? (double)(next_ns - now) / 1e9 : 0;
}

void watchdog_tick(const struct worker *w, unsigned int n)
{
	char why[MAX_WORKERS * 48 + 64];
	uint64_t now;

	if (!interval_ns || (now = now_ns()) < next_ns)
		return;
	next_ns = now + interval_ns;
	if (health_workers(w, n, why, sizeof(why))) {
		if (!stalled)
			log_error("systemd watchdog: not sending WATCHDOG=1: %.*s",
				  (int)strcspn(why, "\n"), why);
		stalled = true;
		return;
	}
	if (stalled)
		log_info("systemd watchdog: every worker healthy again");
	stalled = false;
	sd_notify(0, "WATCHDOG=1");
}
