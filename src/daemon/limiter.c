/* SPDX-License-Identifier: MIT */
/*
 * limiter.c - set up what limiter.h uses on the per-packet path.
 */
#include "limiter.h"

#include <stdlib.h>
#include <sys/random.h>

#include "cli/cli.h"

const char *limit_reason_name(enum limit_reason r)
{
	static const char *const names[LIMIT_REASON_COUNT] = {
		[LIMIT_ACL] = "acl",
		[LIMIT_RATE] = "rate_limit",
		[LIMIT_ERROR_RATE] = "error_rate_limit",
		[LIMIT_GLOBAL] = "global_cap",
	};
	return r >= 0 && r < LIMIT_REASON_COUNT ? names[r] : "invalid";
}

static void mask_of(unsigned int len, uint64_t m[2])
{
	uint8_t b[16];

	memset(b, 0xFF, sizeof(b));
	cli_prefix_mask(b, len);
	memcpy(m, b, 16);
}

static void acl_entries(struct limit_acl_entry *e, const struct stun_prefix *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		mask_of(p[i].len, e[i].mask);
		memcpy(e[i].net, p[i].addr, 16);
		e[i].net[0] &= e[i].mask[0];
		e[i].net[1] &= e[i].mask[1];
	}
}

/* rate per second over n workers: the interval (ns) between two of one
 * worker's responses, and the tolerance for burst (split alike, >= 1). */
static void interval(uint32_t rate, uint32_t burst, unsigned int n, uint64_t *t, uint64_t *tau)
{
	uint64_t b = burst / n ? burst / n : 1;

	*t = *tau = 0;
	if (!rate)
		return;
	*t = 1000000000ull * n / rate;
	if (!*t)
		*t = 1;
	*tau = b * *t;
}

void limit_params_init(struct limit_params *p, const struct stun_limits *l,
		       unsigned int nworkers)
{
	unsigned int n = nworkers ? nworkers : 1;

	memset(p, 0, sizeof(*p));
	interval(l->rate, l->burst, n, &p->rate_t, &p->rate_tau);
	interval(l->err_rate, l->err_burst, n, &p->err_t, &p->err_tau);
	/* The cap is per worker already; its burst is a tenth of a second
	 * (well above a clock tick and a batch). */
	interval(l->max_rate, l->max_rate / 10 ? l->max_rate / 10 : 1, 1, &p->cap_t, &p->cap_tau);
	mask_of(96 + l->prefix4, p->mask4);
	mask_of(l->prefix6, p->mask6);
	p->buckets = p->rate_t || p->err_t;
	p->n_allow = l->n_allow;
	p->n_deny = l->n_deny;
	p->acl = l->n_allow || l->n_deny;
	acl_entries(p->allow, l->allow, l->n_allow);
	acl_entries(p->deny, l->deny, l->n_deny);
}

int limiter_init(struct limiter *l)
{
	memset(l, 0, sizeof(*l));
	l->table = calloc(LIMIT_SETS * LIMIT_WAYS, sizeof(*l->table));
	if (!l->table)
		return -1;
	if (getrandom(l->seed, sizeof(l->seed), 0) != sizeof(l->seed)) {
		l->seed[0] = (uint64_t)(uintptr_t)l;
		l->seed[1] = (uint64_t)(uintptr_t)l->table;
	}
	return 0;
}

void limiter_free(struct limiter *l)
{
	free(l->table);
	l->table = NULL;
}
