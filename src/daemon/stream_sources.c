/* SPDX-License-Identifier: MIT */
/*
 * stream_sources.c - the per-source connection counts (stream_sources.h):
 * an open-addressing hash table (linear probing, backward-shift deletion,
 * so no tombstones ever fill it) of at least twice as many entries as there
 * can be connections, so it never fills up.
 */
#include "stream_sources.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct source {
	uint8_t ip[16];		/* IPv4 mapped (::ffff:a.b.c.d) */
	uint32_t count;		/* 0: the entry is empty */
};

static struct source *table;
static uint32_t mask;
static unsigned int max_per_source;
static uint64_t seed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int stream_sources_init(unsigned int max_conns, unsigned int limit)
{
	uint32_t n = 64;

	max_per_source = limit;
	if (!limit)
		return 0;
	while (n < 2u * max_conns)
		n <<= 1;
	table = calloc(n, sizeof(*table));
	if (!table)
		return -1;
	mask = n - 1;
	/* A random key, so that nobody picks sources that share a chain. */
	seed = (uint64_t)(uintptr_t)table ^ (uint64_t)rand() << 32 ^ 0x9e3779b97f4a7c15ull;
	return 0;
}

void stream_sources_free(void)
{
	free(table);
	table = NULL;
}

static void key_of(const struct stun_addr *a, uint8_t k[16])
{
	if (a->family == STUN_FAMILY_IPV6) {
		memcpy(k, a->ip, 16);
	} else {
		memset(k, 0, 10);
		k[10] = k[11] = 0xff;
		memcpy(k + 12, a->ip, 4);
	}
}

static uint32_t hash(const uint8_t k[16])
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, k + 8, 8);
	a = (a ^ seed) * 0xff51afd7ed558ccdull;
	a ^= (b + (a >> 29)) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(a ^ a >> 32);
}

/* The entry for k, or the empty one where it would go. */
static uint32_t find(const uint8_t k[16])
{
	uint32_t i = hash(k) & mask;

	while (table[i].count && memcmp(table[i].ip, k, 16))
		i = (i + 1) & mask;
	return i;
}

bool stream_source_take(const struct stun_addr *a)
{
	uint8_t k[16];
	bool ok;

	if (!max_per_source)
		return true;
	key_of(a, k);
	pthread_mutex_lock(&lock);
	uint32_t i = find(k);
	ok = table[i].count < max_per_source;
	if (ok) {
		if (!table[i].count)
			memcpy(table[i].ip, k, 16);
		table[i].count++;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

void stream_source_put(const struct stun_addr *a)
{
	uint8_t k[16];

	if (!max_per_source)
		return;
	key_of(a, k);
	pthread_mutex_lock(&lock);
	uint32_t i = find(k);
	if (table[i].count && --table[i].count == 0) {
		/* Backward shift: move later entries of the chain into the
		 * hole when their home slot allows it. */
		uint32_t hole = i, j = i;
		for (;;) {
			j = (j + 1) & mask;
			if (!table[j].count)
				break;
			uint32_t home = hash(table[j].ip) & mask;
			/* j may move to hole if home is not in (hole, j]. */
			if (((j - home) & mask) >= ((j - hole) & mask)) {
				table[hole] = table[j];
				table[j].count = 0;
				hole = j;
			}
		}
	}
	pthread_mutex_unlock(&lock);
}
