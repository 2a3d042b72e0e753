/* SPDX-License-Identifier: MIT */
/*
 * limiter.h - the abuse limits on the workers' per-packet path: the ACL,
 * the per-source token buckets and the worker's global response cap
 * (stun_limits.h says what is configured; README "Abuse protection").
 *
 * Each worker owns its table and is its only reader and writer: no lock,
 * no atomic.  The settings block (settings.h) holds the read-only part
 * (limit_params: the ACL, the rates as per-worker intervals), so SIGHUP
 * changes them between two batches and the buckets stay.
 *
 * Buckets are GCRA ("virtual scheduling"), one u64 each: tat, the time at
 * which the bucket is full again.  A response is allowed when
 * max(tat, now) + T - now <= tau (T = 1/rate, tau = burst * T), and then
 * tat = max(tat, now) + T.  Over any window of t seconds a bucket allows
 * at most burst + rate * t responses.
 *
 * Per worker, rates are divided by the number of workers (SO_REUSEPORT
 * spreads a source's flows by their 4-tuple): a source whose flows all land
 * on one worker gets rate / nworkers, one spread evenly over all workers
 * up to rate; never more than rate + burst in total.
 *
 * Table: LIMIT_SETS sets of LIMIT_WAYS buckets, a set chosen by a keyed
 * hash of the prefix (the key is random per process, so a flood cannot aim
 * at one set).  A new prefix takes the way whose tat is oldest: a bucket
 * with tat <= now is full, so forgetting it loses nothing; only when all
 * ways are busy does an active bucket go (the least limited one).  The
 * table never grows: a flood of new prefixes only recycles buckets.
 */
#ifndef STUNRINGD_LIMITER_H
#define STUNRINGD_LIMITER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stun_limits.h"
#include "stunring.h"

#define LIMIT_WAYS 4
#define LIMIT_SETS 2048		/* 8192 buckets x 32 bytes: 256 KiB per worker */

/* Why a response was not sent (worker_stats.limited[], metrics' reason). */
enum limit_reason {
	LIMIT_ACL = 0,		/* source denied by --allow / --deny */
	LIMIT_RATE,		/* over --rate-limit */
	LIMIT_ERROR_RATE,	/* over --error-rate-limit */
	LIMIT_GLOBAL,		/* over --max-response-rate */
	LIMIT_REASON_COUNT,
	LIMIT_OK = -1,
};
const char *limit_reason_name(enum limit_reason r);

struct limit_acl_entry {
	uint64_t net[2], mask[2];
};

/* Rates as per-worker GCRA intervals (ns; 0: that limit is off). */
struct limit_params {
	uint64_t rate_t, rate_tau;
	uint64_t err_t, err_tau;
	uint64_t cap_t, cap_tau;
	uint64_t mask4[2], mask6[2];	/* of the bucket key, IPv4 mapped */
	bool buckets;			/* rate_t || err_t */
	bool acl;			/* n_allow || n_deny */
	unsigned int n_allow, n_deny;
	struct limit_acl_entry allow[STUN_ACL_MAX], deny[STUN_ACL_MAX];
};

void limit_params_init(struct limit_params *p, const struct stun_limits *l,
		       unsigned int nworkers);

struct limit_bucket {
	uint64_t key[2];
	uint64_t tat, tat_err;		/* 0: never used */
};

struct limiter {
	struct limit_bucket *table;	/* LIMIT_SETS * LIMIT_WAYS */
	uint64_t cap_tat;
	uint64_t seed[2];
	uint64_t now;			/* CLOCK_MONOTONIC ns, once per batch */
};

/* In the worker's thread, before it serves: 0 or -1 (out of memory). */
int limiter_init(struct limiter *l);
void limiter_free(struct limiter *l);

/* The 16-byte key of a peer address (IPv4 mapped), unmasked. */
static inline void limit_key(const struct stun_addr *a, uint64_t k[2])
{
	if (a->family == STUN_FAMILY_IPV6) {
		memcpy(k, a->ip, 16);
	} else {
		uint8_t m[16] = { [10] = 0xFF, [11] = 0xFF };
		memcpy(m + 12, a->ip, 4);
		memcpy(k, m, 16);
	}
}

static inline bool acl_match(const struct limit_acl_entry *e, unsigned int n,
			     const uint64_t k[2])
{
	for (unsigned int i = 0; i < n; i++)
		if (((k[0] & e[i].mask[0]) == e[i].net[0]) &
		    ((k[1] & e[i].mask[1]) == e[i].net[1]))
			return true;
	return false;
}

/* Denied: on the deny list, or not on a non-empty allow list. */
static inline bool limit_acl_denied(const struct limit_params *p, const uint64_t k[2])
{
	return acl_match(p->deny, p->n_deny, k) ||
	       (p->n_allow && !acl_match(p->allow, p->n_allow, k));
}

static inline bool gcra(uint64_t *tat, uint64_t now, uint64_t t, uint64_t tau)
{
	uint64_t start = *tat > now ? *tat : now;

	if (start + t - now > tau)
		return false;
	*tat = start + t;
	return true;
}

static inline uint64_t limit_hash(const struct limiter *l, const uint64_t k[2])
{
	uint64_t h = (k[0] ^ l->seed[0]) * 0x9E3779B97F4A7C15ull;

	h = (h ^ (h >> 29) ^ k[1] ^ l->seed[1]) * 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 32);
}

/* The bucket of prefix k (masked), found or recycled. */
static inline struct limit_bucket *limit_bucket(struct limiter *l, const uint64_t k[2])
{
	struct limit_bucket *set = &l->table[(limit_hash(l, k) % LIMIT_SETS) * LIMIT_WAYS];
	struct limit_bucket *old = set;

	for (unsigned int i = 0; i < LIMIT_WAYS; i++) {
		struct limit_bucket *b = &set[i];
		if (b->key[0] == k[0] && b->key[1] == k[1] && (b->tat | b->tat_err))
			return b;
		if ((b->tat > b->tat_err ? b->tat : b->tat_err) <
		    (old->tat > old->tat_err ? old->tat : old->tat_err))
			old = b;
	}
	old->key[0] = k[0];
	old->key[1] = k[1];
	old->tat = old->tat_err = 0;
	return old;
}

/* Does this response also take a token of the error bucket
 * (--error-rate-limit)?  An error, classic, RESPONSE-PORT or PADDING
 * response: the kinds an attacker would pick to amplify. */
static inline bool limit_strict(const struct stun_reply *rep, const struct stun_addr *peer)
{
	return rep->verdict == STUN_VERDICT_ERROR || rep->classic || rep->padding ||
	       rep->dst.port != peer->port;
}

/* May this worker send a response to the peer with key k (limit_key)?
 * strict: an error, classic, RESPONSE-PORT or PADDING response, which
 * also takes a token of the stricter bucket.  LIMIT_OK, or why not. */
static inline enum limit_reason limit_charge(struct limiter *l, const struct limit_params *p,
					     const uint64_t k[2], bool v6, bool strict)
{
	struct limit_bucket *b = NULL;
	uint64_t tat = 0, tat_err = 0, cap_tat = l->cap_tat;

	/* Every limit is checked on copies, and charged only when all allow:
	 * a refused response costs no token anywhere. */
	if (p->buckets) {
		const uint64_t *m = v6 ? p->mask6 : p->mask4;
		uint64_t pk[2] = { k[0] & m[0], k[1] & m[1] };

		b = limit_bucket(l, pk);
		tat = b->tat, tat_err = b->tat_err;
		if (strict && p->err_t && !gcra(&tat_err, l->now, p->err_t, p->err_tau))
			return LIMIT_ERROR_RATE;
		if (p->rate_t && !gcra(&tat, l->now, p->rate_t, p->rate_tau))
			return LIMIT_RATE;
	}
	if (p->cap_t && !gcra(&cap_tat, l->now, p->cap_t, p->cap_tau))
		return LIMIT_GLOBAL;
	l->cap_tat = cap_tat;
	if (b) {
		b->tat = tat ? tat : 1;	/* non-zero: in use */
		b->tat_err = tat_err;
	}
	return LIMIT_OK;
}

#endif
