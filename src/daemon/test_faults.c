/* SPDX-License-Identifier: MIT */
/* test_faults.c - see test_faults.h (test-only). */
#include "test_faults.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned int stall_worker, stall_seconds;

bool test_faults_init(bool *bad)
{
	const char *v = getenv("STUNRINGD_TEST_FAULTS");
	int end = 0;

	*bad = false;
	if (!v)
		return false;
	if (sscanf(v, "stall=%u:%u%n", &stall_worker, &stall_seconds, &end) != 2 ||
	    v[end] || !stall_seconds || stall_seconds > 600) {
		log_error("STUNRINGD_TEST_FAULTS='%s': expected stall=WORKER:SECONDS "
			  "(1 to 600 s; a test-only hook)", v);
		*bad = true;
		return false;
	}
	log_warn("test-only fault hook armed: SIGUSR2 stalls worker %u for %u s",
		 stall_worker, stall_seconds);
	return true;
}

void test_faults_fire(struct worker *workers, unsigned int n)
{
	if (stall_worker >= n) {
		log_warn("test fault: no worker %u to stall", stall_worker);
		return;
	}
	__atomic_store_n(&workers[stall_worker].test_stall_ms, stall_seconds * 1000,
			 __ATOMIC_RELAXED);
}
