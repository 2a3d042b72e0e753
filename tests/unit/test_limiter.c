/* SPDX-License-Identifier: MIT */
/*
 * test_limiter.c - the daemon's abuse limits (src/daemon/limiter.h): the
 * token buckets allow exactly burst + rate * t, the stricter bucket only
 * for strict answers, the cap, the ACL (deny wins), and a flood of new
 * prefixes recycles buckets without touching memory outside the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "daemon/limiter.h"

#define SEC 1000000000ull

static struct stun_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct stun_addr x = { .family = STUN_FAMILY_IPV4, .ip = { a, b, c, d } };
	return x;
}

/* Responses allowed to peer p when asked n times at once at time now. */
static unsigned int ask(struct limiter *l, const struct limit_params *lp,
			const struct stun_addr *p, unsigned int n, bool strict)
{
	uint64_t k[2];
	unsigned int ok = 0;

	limit_key(p, k);
	for (unsigned int i = 0; i < n; i++)
		ok += limit_charge(l, lp, k, false, strict) == LIMIT_OK;
	return ok;
}

static void test_rate_exact(void **state)
{
	struct stun_limits s;
	struct limit_params lp;
	struct limiter l;
	struct stun_addr a = v4(192, 0, 2, 1), b = v4(192, 0, 2, 2);
	unsigned int got = 0;

	(void)state;
	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "rate-limit", "100/200"), -1);
	limit_params_init(&lp, &s, 1);
	assert_int_equal(limiter_init(&l), 0);
	l.now = 5 * SEC;
	got = ask(&l, &lp, &a, 1000, false);
	assert_int_equal(got, 200);		/* the burst */
	/* 10 s of 1000 requests every 10 ms: 100/s more. */
	for (int i = 1; i <= 1000; i++) {
		l.now = 5 * SEC + (uint64_t)i * 10000000ull;
		got += ask(&l, &lp, &a, 10, false);
	}
	assert_int_equal(got, 200 + 1000);
	/* Another source has its own bucket. */
	assert_int_equal(ask(&l, &lp, &b, 1000, false), 200);
	limiter_free(&l);
}

static void test_workers_split(void **state)
{
	struct stun_limits s;
	struct limit_params lp;
	struct limiter l;
	struct stun_addr a = v4(192, 0, 2, 1);

	(void)state;
	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "rate-limit", "100/200"), -1);
	limit_params_init(&lp, &s, 4);		/* each worker: 25/s, burst 50 */
	assert_int_equal(limiter_init(&l), 0);
	l.now = SEC;
	assert_int_equal(ask(&l, &lp, &a, 1000, false), 50);
	l.now = 2 * SEC;
	assert_int_equal(ask(&l, &lp, &a, 1000, false), 25);
	limiter_free(&l);
}

static void test_strict_and_cap(void **state)
{
	struct stun_limits s;
	struct limit_params lp;
	struct limiter l;
	struct stun_addr a = v4(198, 51, 100, 7);

	(void)state;
	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "rate-limit", "100"), -1);
	assert_int_equal(cli_limits_option(&s, "error-rate-limit", "10/5"), -1);
	limit_params_init(&lp, &s, 1);
	assert_int_equal(limiter_init(&l), 0);
	l.now = SEC;
	assert_int_equal(ask(&l, &lp, &a, 100, true), 5);	/* strict burst */
	assert_int_equal(ask(&l, &lp, &a, 1000, false), 95);	/* the rest */
	limiter_free(&l);

	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "max-response-rate", "1000"), -1);
	limit_params_init(&lp, &s, 2);
	assert_int_equal(limiter_init(&l), 0);
	l.now = SEC;
	unsigned int got = 0;
	for (unsigned int i = 0; i < 5000; i++) {
		struct stun_addr p = v4(10, (uint8_t)(i >> 8), (uint8_t)i, 1);
		got += ask(&l, &lp, &p, 1, false);
	}
	assert_int_equal(got, 100);			/* burst: a tenth */
	l.now = 2 * SEC;
	got = 0;
	for (unsigned int i = 0; i < 5000; i++) {
		struct stun_addr p = v4(10, (uint8_t)(i >> 8), (uint8_t)i, 2);
		got += ask(&l, &lp, &p, 1, false);
	}
	assert_int_equal(got, 100);	/* a second later: capped at the burst again */
	limiter_free(&l);
}

static void test_prefix_and_eviction(void **state)
{
	struct stun_limits s;
	struct limit_params lp;
	struct limiter l;
	struct stun_addr a = v4(203, 0, 113, 9), a2 = v4(203, 0, 113, 200);

	(void)state;
	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "rate-limit", "10/10"), -1);
	assert_int_equal(cli_limits_option(&s, "rate-limit-prefix4", "24"), -1);
	limit_params_init(&lp, &s, 1);
	assert_int_equal(limiter_init(&l), 0);
	l.now = SEC;
	assert_int_equal(ask(&l, &lp, &a, 6, false), 6);
	assert_int_equal(ask(&l, &lp, &a2, 100, false), 4);	/* same /24 */
	/* 100k new prefixes (more than the table holds): buckets recycled,
	 * each new one full; the table never grows (ASan would see it). */
	for (unsigned int i = 0; i < 100000; i++) {
		struct stun_addr p = v4(100, (uint8_t)(i >> 16), (uint8_t)(i >> 8), 0);
		p.ip[2] = (uint8_t)i;
		p.ip[1] = (uint8_t)(i >> 8);
		assert_int_equal(ask(&l, &lp, &p, 1, false), 1);
	}
	limiter_free(&l);
}

static void test_acl(void **state)
{
	struct stun_limits s;
	struct limit_params lp;
	uint64_t k[2];
	struct stun_addr in = v4(10, 1, 2, 3), denied = v4(10, 9, 0, 1), out = v4(192, 0, 2, 1);
	struct stun_addr six = { .family = STUN_FAMILY_IPV6, .ip = { 0x20, 0x01, 0x0d, 0xb8 } };

	(void)state;
	cli_limits_defaults(&s);
	assert_int_equal(cli_limits_option(&s, "allow", "10.0.0.0/8,2001:db8::/32"), -1);
	assert_int_equal(cli_limits_option(&s, "deny", "10.9.0.0/16"), -1);
	limit_params_init(&lp, &s, 2);
	limit_key(&in, k);
	assert_false(limit_acl_denied(&lp, k));
	limit_key(&denied, k);
	assert_true(limit_acl_denied(&lp, k));		/* deny wins */
	limit_key(&out, k);
	assert_true(limit_acl_denied(&lp, k));		/* not allowed */
	limit_key(&six, k);
	assert_false(limit_acl_denied(&lp, k));
	/* No allow list: everything but the denied. */
	cli_limits_reset(&s, "allow");
	limit_params_init(&lp, &s, 2);
	limit_key(&out, k);
	assert_false(limit_acl_denied(&lp, k));
	/* Bad input: one error line, the usage status. */
	assert_int_not_equal(cli_limits_option(&s, "deny", "10.0.0.0/33"), -1);
	assert_int_not_equal(cli_limits_option(&s, "rate-limit", "10/0"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_exact),
		cmocka_unit_test(test_workers_split),
		cmocka_unit_test(test_strict_and_cap),
		cmocka_unit_test(test_prefix_and_eviction),
		cmocka_unit_test(test_acl),
	};
	cli_init("test_limiter", 64);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
