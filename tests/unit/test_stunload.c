/* SPDX-License-Identifier: MIT */
/*
 * test_stunload.c - stunload's own parts without a network: the latency
 * histogram against known inputs, the pacer on a simulated clock, the
 * transaction table, response validation against answers built by the
 * codec, and option parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stunring.h"
#include "histogram.h"
#include "pacing.h"
#include "txtable.h"
#include "validate.h"

/* ---- histogram ---------------------------------------------------------- */

static struct hist H, H2, H3;

static void test_hist_buckets(void **state)
{
	(void)state;
	/* Every value lies inside its bucket, buckets tile the line, and a
	 * bucket is at most 1/128 of its values wide. */
	for (uint64_t v = 0; v < 5000000; v = v < 1000 ? v + 1 : v * 1001 / 1000) {
		unsigned i = hist_index(v);

		assert_true(hist_lowest(i) <= v && v <= hist_highest(i));
		if (i + 1 < HIST_BUCKETS)
			assert_int_equal(hist_highest(i) + 1, hist_lowest(i + 1));
		assert_true((hist_highest(i) - hist_lowest(i)) * 128 <= v + 1);
	}
	assert_int_equal(hist_index(255), 255);
	assert_int_equal(hist_index(256), 256);
	assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}

static void test_hist_percentiles_small(void **state)
{
	(void)state;
	/* 1..100: below 256 the histogram is exact. */
	hist_reset(&H);
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(&H, v);
	assert_int_equal(H.total, 100);
	assert_int_equal(hist_percentile(&H, 50), 50);
	assert_int_equal(hist_percentile(&H, 90), 90);
	assert_int_equal(hist_percentile(&H, 99), 99);
	assert_int_equal(hist_percentile(&H, 99.9), 100);
	assert_int_equal(hist_percentile(&H, 100), 100);
	assert_int_equal(H.max, 100);
	assert_true(hist_mean(&H) > 50.49 && hist_mean(&H) < 50.51);
}

static void check_near(uint64_t got, uint64_t want)
{
	/* Within one bucket: at most 1/128 above, never below. */
	if (got < want || (got - want) * 128 > want) {
		fail_msg("percentile %llu, expected %llu (+0.8%%)",
			 (unsigned long long)got, (unsigned long long)want);
	}
}

static void test_hist_percentiles_large(void **state)
{
	(void)state;
	/* 1 us .. 10 ms in 1 us steps (10000 values, ns). */
	hist_reset(&H);
	for (uint64_t v = 1; v <= 10000; v++)
		hist_record(&H, v * 1000);
	check_near(hist_percentile(&H, 50), 5000000);
	check_near(hist_percentile(&H, 90), 9000000);
	check_near(hist_percentile(&H, 99), 9900000);
	check_near(hist_percentile(&H, 99.9), 9990000);
	assert_int_equal(hist_percentile(&H, 100), 10000000);	/* capped at max */
	assert_int_equal(H.max, 10000000);

	/* One outlier among 999 fast samples: p99.9 still fast, max not. */
	hist_reset(&H);
	for (int i = 0; i < 999; i++)
		hist_record(&H, 20000);
	hist_record(&H, 50000000);
	check_near(hist_percentile(&H, 99.9), 20000);
	assert_int_equal(hist_percentile(&H, 100), 50000000);
	assert_int_equal(hist_percentile(&H, 0), hist_percentile(&H, 50));

	hist_reset(&H);
	assert_int_equal(hist_percentile(&H, 99), 0);
}

static void test_hist_add_sub(void **state)
{
	(void)state;
	hist_reset(&H);
	hist_reset(&H2);
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(&H, v * 100);
	hist_add(&H2, &H);		/* snapshot */
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(&H, 1000000 + v);
	hist_sub(&H3, &H, &H2);		/* just the second second */
	assert_int_equal(H3.total, 1000);
	check_near(hist_percentile(&H3, 50), 1000500);
	assert_true(hist_percentile(&H3, 0.1) >= 1000000);
	check_near(H3.max, 1001000);
	hist_reset(&H2);
	hist_add(&H2, &H);
	hist_add(&H2, &H);
	assert_int_equal(H2.total, 4000);
	assert_int_equal(hist_percentile(&H2, 50), hist_percentile(&H, 50));
}

/* ---- pacer -------------------------------------------------------------- */

static void test_pacer_steady(void **state)
{
	struct pacer p;
	uint64_t sent = 0;

	(void)state;
	/* 100k/s ticked every 10 us for one second: exactly 100000. */
	pacer_init(&p, 1000, 100000, 32);
	for (uint64_t t = 1000; t <= 1000 + 1000000000u; t += 10000) {
		uint64_t due = pacer_due(&p, t);

		pacer_commit(&p, due);
		sent += due;
	}
	assert_int_equal(sent, 100000);
	assert_int_equal(p.dropped, 0);
}

static void test_pacer_stall_bank(void **state)
{
	struct pacer p;
	uint64_t due;

	(void)state;
	/* 1M/s, bank = 1 ms (1000) + 32.  A 100 ms stall must not become a
	 * 100000-request burst: at most the bank is sent, the rest dropped. */
	pacer_init(&p, 0, 1e6, 32);
	due = pacer_due(&p, 100000000);
	assert_int_equal(due, 1032);
	assert_int_equal(p.dropped, 100000 - 1032);
	pacer_commit(&p, due);
	assert_int_equal(pacer_due(&p, 100000000), 0);
	/* Next due exactly one interval later. */
	assert_int_equal(pacer_next_ns(&p), 100001000);
	assert_int_equal(pacer_due(&p, 100001000), 1);
	/* Requests due but not sent (socket full) stay due. */
	assert_int_equal(pacer_due(&p, 100005000), 5);
	assert_int_equal(pacer_due(&p, 100005000), 5);
}

/* ---- transaction table ------------------------------------------------- */

static struct txtable TX;

static void build_reply(uint8_t *out, const uint8_t *tid16, bool classic)
{
	/* Only the header matters to the table. */
	memset(out, 0, 20);
	out[1] = 0x01;
	if (classic) {
		memcpy(out + 4, tid16, 16);
	} else {
		out[4] = 0x21, out[5] = 0x12, out[6] = 0xA4, out[7] = 0x42;
		memcpy(out + 8, tid16 + 4, 12);
	}
}

static void test_tx_lifecycle(void **state)
{
	uint8_t tid[16], tid2[16], msg[20];
	struct tx_entry *e, *m;

	(void)state;
	assert_int_equal(tx_init(&TX, 64, 42), 0);
	e = tx_alloc(&TX, 1000, 0, false, tid);
	assert_non_null(e);
	assert_int_equal(TX.outstanding, 1);
	build_reply(msg, tid, false);
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_OUTSTANDING);
	assert_ptr_equal(m, e);
	tx_answered(&TX, m);
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_ANSWERED);	/* duplicate */
	assert_int_equal(TX.outstanding, 0);

	/* Any flipped bit of the ID: unknown (or never sent). */
	for (int i = 4; i < 20; i++) {
		build_reply(msg, tid, false);
		msg[i] ^= 0x10;
		assert_int_not_equal(tx_lookup(&TX, msg, &m), TXM_OUTSTANDING);
		assert_int_not_equal(tx_lookup(&TX, msg, &m), TXM_ANSWERED);
	}
	/* Classic: same table, the prefix instead of the cookie. */
	e = tx_alloc(&TX, 2000, 3, true, tid2);
	build_reply(msg, tid2, true);
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_OUTSTANDING);
	assert_true(m->classic);
	build_reply(msg, tid2, false);	/* same ID with a cookie: not ours */
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_UNKNOWN);

	/* Expiry: sent at 2000, deadline 2000 keeps it, 2001 times it out. */
	assert_int_equal(tx_expire(&TX, 2000), 0);
	assert_int_equal(tx_expire(&TX, 2001), 1);
	build_reply(msg, tid2, true);
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_TIMED_OUT);	/* late */
	assert_int_equal(TX.outstanding, 0);
	tx_free(&TX);
}

static void test_tx_full_and_recycle(void **state)
{
	uint8_t tid[16], first[16], msg[20];
	struct tx_entry *m;
	int n = 0;

	(void)state;
	assert_int_equal(tx_init(&TX, 64, 7), 0);
	assert_non_null(tx_alloc(&TX, 1, 0, false, first));
	while (tx_alloc(&TX, 1, 0, false, tid))
		n++;
	assert_int_equal(n, 63);	/* 64 outstanding: full */
	assert_int_equal(tx_expire(&TX, UINT64_MAX), 64);
	/* Reuse the slots; the first ID is now only "late". */
	for (int i = 0; i < 64; i++)
		assert_non_null(tx_alloc(&TX, 5, 0, false, tid));
	build_reply(msg, first, false);
	assert_int_equal(tx_lookup(&TX, msg, &m), TXM_RECYCLED);
	/* A cancelled send is not outstanding and does not block expiry. */
	m = tx_alloc(&TX, 9, 0, false, tid);
	assert_null(m);		/* all 64 outstanding again */
	assert_int_equal(tx_expire(&TX, UINT64_MAX), 64);
	m = tx_alloc(&TX, 9, 0, false, tid);
	tx_cancel(&TX, m);
	assert_int_equal(TX.outstanding, 0);
	assert_int_equal(tx_expire(&TX, UINT64_MAX), 0);
	tx_free(&TX);
}

/* ---- validation against codec-built answers ---------------------------- */

struct vfix {
	struct expect x;
	struct stun_server_cfg cfg;
	uint8_t req[256], resp[1024];
	size_t req_len;
	struct tx_entry *e;
};

static struct vfix V;

/* A request of the given kind from 127.0.0.1:40000, answered by the
 * codec as seen from peer (normally the same address). */
static size_t answer(enum req_kind kind, const char *peer, bool fp)
{
	struct stun_request_opts o = { 0 };
	struct stun_addr p, local;
	struct stun_reply rep;
	uint8_t tid[16];

	o.classic = kind == REQ_CLASSIC;
	o.fingerprint = kind == REQ_FINGERPRINT;
	o.change_request = kind == REQ_CHANGE;
	V.e = tx_alloc(&TX, 100, (uint8_t)kind, o.classic, tid);
	assert_non_null(V.e);
	V.req_len = stun_build_request(V.req, sizeof(V.req), o.classic ? tid : tid + 4, &o);
	assert_true(V.req_len >= 20);
	stun_addr_parse(&p, peer, 0);
	stun_addr_parse(&local, "127.0.0.1:3478", 0);
	stun_server_cfg_init(&V.cfg);
	V.cfg.always_fingerprint = fp;
	stun_respond(V.req, V.req_len, &p, &local, &V.cfg, V.resp,
		     sizeof(V.resp), &rep);
	assert_int_not_equal(rep.verdict, STUN_VERDICT_DROP);
	return rep.len;
}

static enum verdict judge(size_t len, enum bad_kind *bad)
{
	struct tx_entry *m;

	return sl_validate(V.resp, len, false, &TX, &V.x, &m, bad);
}

static void test_validate(void **state)
{
	enum bad_kind bad = BAD_KIND_COUNT;
	size_t n;

	(void)state;
	assert_int_equal(tx_init(&TX, 1024, 99), 0);
	memset(&V.x, 0, sizeof(V.x));
	V.x.mode = MAP_SELF;
	stun_addr_parse(&V.x.self, "127.0.0.1:40000", 0);

	for (int k = REQ_PLAIN; k <= REQ_CLASSIC; k++) {
		n = answer((enum req_kind)k, "127.0.0.1:40000", false);
		assert_int_equal(judge(n, &bad), V_VALID);
		assert_int_equal(judge(n, &bad), V_INVALID);
		assert_int_equal(bad, BAD_DUPLICATE);
	}
	n = answer(REQ_PLAIN, "127.0.0.1:40001", false);
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_WRONG_MAPPED);
	n = answer(REQ_CLASSIC, "127.0.0.2:40000", false);
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_WRONG_MAPPED);

	n = answer(REQ_PLAIN, "127.0.0.1:40000", true);
	V.resp[n - 1] ^= 1;
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_FINGERPRINT);

	n = answer(REQ_PLAIN, "127.0.0.1:40000", false);
	assert_int_equal(judge(n - 4, &bad), V_INVALID);
	assert_int_equal(bad, BAD_TRUNCATED);
	assert_int_equal(judge(19, &bad), V_INVALID);
	assert_int_equal(bad, BAD_TRUNCATED);

	n = answer(REQ_PLAIN, "127.0.0.1:40000", false);
	V.resp[10] ^= 0x80;
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_WRONG_TID);

	n = answer(REQ_PLAIN, "127.0.0.1:40000", false);
	V.resp[1] = 0x01;	/* success -> request */
	V.resp[0] = 0x00;
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_WRONG_TYPE);

	/* CHANGE-REQUEST to a basic server: 420, counted apart. */
	n = answer(REQ_CHANGE, "127.0.0.1:40000", false);
	assert_int_equal(judge(n, &bad), V_UNSUPPORTED);

	/* A NAT: IP-only expectation accepts any port of that IP. */
	V.x.mode = MAP_IP;
	stun_addr_parse(&V.x.addr, "192.0.2.1", 0);
	n = answer(REQ_PLAIN, "192.0.2.1:999", false);
	assert_int_equal(judge(n, &bad), V_VALID);
	n = answer(REQ_PLAIN, "192.0.2.2:999", false);
	assert_int_equal(judge(n, &bad), V_INVALID);
	assert_int_equal(bad, BAD_WRONG_MAPPED);

	assert_int_equal(sl_validate(V.resp, 40, true, &TX, &V.x, &V.e, &bad), V_INVALID);
	assert_int_equal(bad, BAD_OVERSIZE);
	tx_free(&TX);
}

/* ---- options ------------------------------------------------------------ */

static int parse(struct sl_config *cfg, const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "stunload %s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	optind = 0;	/* reset getopt */
	return sl_parse_options(cfg, argc, argv);
}

#define GO_ON (-1)	/* sl_parse_options: parsed, nothing to exit with */

static void test_options(void **state)
{
	struct sl_config c;

	(void)state;
	assert_int_equal(parse(&c, "127.0.0.1"), GO_ON);
	assert_int_equal(c.target.port, 3478);
	assert_true(c.duration_s == 10 && !c.count && c.rate == 0);
	assert_int_equal(parse(&c, "--rate 200k -n 1M -s 1000 -t 2 -c 0,2-3 -T 250ms [::1]:5000"), GO_ON);
	assert_true(c.rate == 200000 && c.count == 1000000 && c.sockets == 1000);
	assert_int_equal(c.n_cpus, 3);
	assert_int_equal(c.cpus[2], 3);
	assert_int_equal(c.timeout_ns, 250000000);
	assert_int_equal(c.target.family, STUN_FAMILY_IPV6);
	assert_int_equal(parse(&c, "--mix plain=3,classic,change 10.0.0.1:1"), GO_ON);
	assert_int_equal(c.mix[REQ_PLAIN], 3);
	assert_int_equal(c.mix[REQ_CLASSIC], 1);
	assert_int_equal(c.mix[REQ_CHANGE], 1);
	assert_int_equal(c.mix[REQ_FINGERPRINT], 0);
	assert_int_equal(parse(&c, "--expect-mapped 203.0.113.5 127.0.0.1"), GO_ON);
	assert_int_equal(c.expect, MAP_IP);
	assert_int_equal(parse(&c, "--expect-mapped 203.0.113.5:7 127.0.0.1"), GO_ON);
	assert_int_equal(c.expect, MAP_IP_PORT);
	assert_int_equal(parse(&c, "--max-loss 0 127.0.0.1"), GO_ON);
	assert_true(c.max_loss_pct == 0);
	/* The shared spellings: durations with h, counts with fractions. */
	assert_int_equal(parse(&c, "-d 1h -n 2.5k -T 0.5 127.0.0.1"), GO_ON);
	assert_true(c.duration_s == 3600 && c.count == 2500);
	assert_int_equal(c.timeout_ns, 500000000);
	assert_int_equal(parse(&c, "--count 12abc 127.0.0.1"), SL_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_percentiles_small),
		cmocka_unit_test(test_hist_percentiles_large),
		cmocka_unit_test(test_hist_add_sub),
		cmocka_unit_test(test_pacer_steady),
		cmocka_unit_test(test_pacer_stall_bank),
		cmocka_unit_test(test_tx_lifecycle),
		cmocka_unit_test(test_tx_full_and_recycle),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
