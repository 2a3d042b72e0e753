/* SPDX-License-Identifier: MIT */
/*
 * cli_cpus.c - CPU lists ("0-3,6", the kernel's cpulist format), the CPUs
 * this process may use, and pinning a thread to one of them: stunringd
 * pins its workers, stunload and stun-reflector their threads.
 */
#include "cli/cli.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

/* One item: N or N-M, both CPU numbers the kernel can name. */
static int parse_range(char *item, uint64_t *a, uint64_t *b, const char **why)
{
	char *dash = strchr(item, '-');

	if (dash)
		*dash = 0;
	if (cli_parse_uint(item, 0, CPU_SETSIZE - 1, a, why))
		return -1;
	*b = *a;
	if (dash && cli_parse_uint(dash + 1, 0, CPU_SETSIZE - 1, b, why))
		return -1;
	if (*b < *a)
		return *why = "range ends before it starts", -1;
	return 0;
}

int cli_parse_cpus(const char *list, int *cpus, unsigned int *n, unsigned int max,
		   const char **why)
{
	struct cli_items it;
	uint64_t a, b;
	int r;

	*n = 0;
	cli_items_init(&it, list);
	while ((r = cli_items_next(&it, why)) > 0) {
		if (parse_range(it.item, &a, &b, why))
			return -1;
		for (uint64_t c = a; c <= b; c++) {
			if (*n >= max)
				return *why = "too many CPUs", -1;
			cpus[(*n)++] = (int)c;
		}
	}
	return r;
}

unsigned int cli_usable_cpus(int *cpus, unsigned int cap)
{
	cpu_set_t set;
	unsigned int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		cpus[0] = -1;
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (!n)
		cpus[n++] = -1;
	return n;
}

int cli_pin_thread(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
