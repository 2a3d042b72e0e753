/* SPDX-License-Identifier: MIT */
/* health_workers.c - see health_workers.h. */
#include "health_workers.h"
#include "health.h"

unsigned int health_workers(const struct worker *w, unsigned int n, char *out,
			    size_t cap)
{
	uint64_t hb[MAX_WORKERS];

	for (unsigned int i = 0; i < n && i < MAX_WORKERS; i++)
		hb[i] = __atomic_load_n(&w[i].heartbeat_ns, __ATOMIC_RELAXED);
	return health_report(hb, n < MAX_WORKERS ? n : MAX_WORKERS, monotime_coarse_ns(),
			     out, cap);
}
