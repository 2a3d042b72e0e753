/* SPDX-License-Identifier: MIT */
/* txtable.c - outstanding transactions of one socket, see txtable.h. */
#include "txtable.h"

#include "stun_wire.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64: seeds the per-socket salt; quality is ample for that. */
static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int tx_init(struct txtable *t, uint32_t entries, uint64_t seed)
{
	uint64_t a = mix64(&seed), b = mix64(&seed);

	memset(t, 0, sizeof(*t));
	t->e = calloc(entries, sizeof(*t->e));
	if (!t->e)
		return -1;
	t->mask = entries - 1;
	memcpy(t->salt, &a, 8);
	memcpy(t->classic_prefix, &b, 4);
	/* A classic ID must not look like a modern one (RFC 5389 section 7.3
	 * tells them apart by the cookie). */
	if (ld32(t->classic_prefix) == __builtin_bswap32(STUN_MAGIC_COOKIE))
		t->classic_prefix[0] ^= 0xFF;
	/* Start at a random seq so two runs never share IDs. */
	t->next_seq = (uint32_t)(b >> 32);
	t->tail = t->next_seq;
	return 0;
}

void tx_free(struct txtable *t)
{
	free(t->e);
	t->e = NULL;
}

struct tx_entry *tx_alloc(struct txtable *t, uint64_t now_ns, uint8_t kind,
			  bool classic, uint8_t tid[16])
{
	/* Skip a slot whose (much older) request is still outstanding: the
	 * seq is only a name, skipping one costs nothing. */
	for (int tries = 0; tries < 8; tries++) {
		uint32_t seq = t->next_seq++;
		struct tx_entry *e = &t->e[seq & t->mask];

		if (e->state == TX_OUTSTANDING)
			continue;
		e->sent_ns = now_ns;
		e->seq = seq;
		e->state = TX_OUTSTANDING;
		e->kind = kind;
		e->classic = classic;
		t->outstanding++;
		memcpy(tid, t->classic_prefix, 4);
		memcpy(tid + 4, &seq, 4);
		memcpy(tid + 8, t->salt, 8);
		return e;
	}
	return NULL;
}

void tx_cancel(struct txtable *t, struct tx_entry *e)
{
	e->state = TX_FREE;
	t->outstanding--;
}

enum tx_match tx_lookup(const struct txtable *t, const uint8_t *msg,
			struct tx_entry **ep)
{
	uint32_t seq = ld32(msg + 8);
	struct tx_entry *e;
	bool classic;

	*ep = NULL;
	if (memcmp(msg + 12, t->salt, 8))
		return TXM_UNKNOWN;
	/* Not yet sent (wrap-safe): a forged or corrupted seq. */
	if ((int32_t)(seq - t->next_seq) >= 0)
		return TXM_UNKNOWN;
	classic = memcmp(msg + 4, t->classic_prefix, 4) == 0;
	if (!classic && ld32(msg + 4) != __builtin_bswap32(STUN_MAGIC_COOKIE))
		return TXM_UNKNOWN;
	e = &t->e[seq & t->mask];
	if (e->seq != seq || e->state == TX_FREE)
		return TXM_RECYCLED;
	if (e->classic != classic)
		return TXM_UNKNOWN;
	*ep = e;
	switch (e->state) {
	case TX_OUTSTANDING:
		return TXM_OUTSTANDING;
	case TX_ANSWERED:
		return TXM_ANSWERED;
	default:
		return TXM_TIMED_OUT;
	}
}

void tx_answered(struct txtable *t, struct tx_entry *e)
{
	e->state = TX_ANSWERED;
	t->outstanding--;
}

uint32_t tx_expire(struct txtable *t, uint64_t deadline_ns)
{
	uint32_t lost = 0;

	while (t->tail != t->next_seq) {
		struct tx_entry *e = &t->e[t->tail & t->mask];

		if (e->seq == t->tail && e->state == TX_OUTSTANDING) {
			if (e->sent_ns >= deadline_ns)
				break;
			e->state = TX_TIMED_OUT;
			t->outstanding--;
			lost++;
		}
		t->tail++;
	}
	return lost;
}
