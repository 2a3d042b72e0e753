/* SPDX-License-Identifier: MIT */
/*
 * txtable.h - one socket's outstanding transactions.
 *
 * The transaction ID carries its own index: the 12 bytes after the cookie
 * are [seq:4][salt:8], the table slot is seq & mask and the salt is random
 * per socket.  A response is matched with one load and two compares, with
 * no hashing and no allocation per packet, and an ID we never sent (or one
 * with a flipped bit) is recognised because its salt or its seq is wrong.
 * Classic (RFC 3489) requests put 4 random bytes, never the cookie, where
 * the cookie would be.
 *
 * Slots are handed out in seq order, so the oldest outstanding request is
 * always at the tail: expiring timed-out requests is a short walk.
 */
#ifndef STUNLOAD_TXTABLE_H
#define STUNLOAD_TXTABLE_H

#include <stdbool.h>
#include <stdint.h>

enum tx_state {
	TX_FREE = 0,
	TX_OUTSTANDING,
	TX_ANSWERED,
	TX_TIMED_OUT,
};

struct tx_entry {
	uint64_t sent_ns;
	uint32_t seq;
	uint8_t state;		/* enum tx_state */
	uint8_t kind;		/* enum req_kind */
	bool classic;
};

struct txtable {
	struct tx_entry *e;
	uint32_t mask;
	uint32_t next_seq;	/* seq of the next request */
	uint32_t tail;		/* no outstanding request is older */
	uint32_t outstanding;
	uint8_t salt[8];
	uint8_t classic_prefix[4];
};

/* What a response's transaction ID refers to. */
enum tx_match {
	TXM_OUTSTANDING,	/* a request waiting for its answer */
	TXM_ANSWERED,		/* already answered: a duplicate */
	TXM_TIMED_OUT,		/* given up on: a late answer */
	TXM_RECYCLED,		/* sent, but its slot was reused: late */
	TXM_UNKNOWN,		/* never sent by this socket */
};

/* entries: a power of two.  Returns 0, or -1 when out of memory. */
int tx_init(struct txtable *t, uint32_t entries, uint64_t seed);
void tx_free(struct txtable *t);
/* Start a transaction: writes its ID to tid (16 bytes: the classic prefix
 * then the 12 modern bytes) and returns its entry, or NULL when every slot
 * it may use is still outstanding. */
struct tx_entry *tx_alloc(struct txtable *t, uint64_t now_ns, uint8_t kind,
			  bool classic, uint8_t tid[16]);
/* Undo tx_alloc for a request that was not sent after all. */
void tx_cancel(struct txtable *t, struct tx_entry *e);
/* Look up a message of at least 20 bytes by its ID. */
enum tx_match tx_lookup(const struct txtable *t, const uint8_t *msg,
			struct tx_entry **e);
void tx_answered(struct txtable *t, struct tx_entry *e);
/* Time out requests sent before deadline_ns (all of them with
 * UINT64_MAX).  Returns how many were given up on. */
uint32_t tx_expire(struct txtable *t, uint64_t deadline_ns);

#endif
