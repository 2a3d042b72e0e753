/* SPDX-License-Identifier: MIT */
/* health.c - see health.h. */
#include "health.h"

#include <stdio.h>

unsigned int health_report(const uint64_t *heartbeat_ns, unsigned int n,
			   uint64_t now_ns, char *out, size_t cap)
{
	unsigned int stale = 0;
	size_t len = 0;

	if (!cap)
		return 0;
	out[0] = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t hb = heartbeat_ns[i];
		int m;

		/* A heartbeat a little ahead of now: stored after now was read. */
		if (hb && (hb >= now_ns || now_ns - hb <= HEALTH_STALE_NS))
			continue;
		stale++;
		if (!hb)
			m = snprintf(out + len, cap - len, "worker %u: never started\n", i);
		else
			m = snprintf(out + len, cap - len, "worker %u: no progress for %.1f s\n",
				     i, (double)(now_ns - hb) / 1e9);
		if (m > 0)
			len += (size_t)m < cap - len ? (size_t)m : cap - len - 1;
	}
	if (!stale)
		snprintf(out, cap, "ok\n");
	return stale;
}
