/* SPDX-License-Identifier: MIT */
/*
 * test_stunprobe_decide.c - stunprobe's decision trees fed with synthetic
 * test outcomes: which tests each tree asks for, in which order, and the
 * verdict (RFC 5780 4.3/4.4, RFC 3489 10.1 as conformance.md N/O say).
 */
#include "test_util.h"
#include "stunprobe.h"

#define LOCAL "10.0.1.2:40000"
#define MAPPED "198.18.0.1:40000"
#define MAPPED2 "198.18.0.1:50001"
#define MAPPED3 "198.18.0.1:50002"
#define OTHER "198.18.0.3:3479"

static struct outcome ans(const char *mapped, bool other)
{
	struct outcome o = { .kind = OUT_ANSWER, .has_other = other };
	o.mapped = addr_of(mapped);
	if (other)
		o.other = addr_of(OTHER);
	return o;
}

static struct outcome kind(enum outcome_kind k)
{
	return (struct outcome){ .kind = k };
}

/* Drive a tree with a script: script[t] is what test t returns; a test the
 * tree asks for that the script leaves OUT_NOT_RUN fails the test.  Returns
 * the bit set of tests asked for. */
#define DRIVE(st, next_fn, done, script)                                   \
	({                                                                 \
		unsigned _asked = 0;                                       \
		int _t;                                                    \
		while ((_t = next_fn(&(st))) != (done)) {                   \
			if (_asked & (1u << _t))                           \
				fail_msg("test %d asked twice", _t);       \
			if ((script)[_t].kind == OUT_NOT_RUN)              \
				fail_msg("unexpected test %d", _t);        \
			_asked |= 1u << _t;                                \
			(st).t[_t] = (script)[_t];                         \
		}                                                          \
		_asked;                                                    \
	})

/* ---- filtering (RFC 5780 4.4) ------------------------------------------ */

static unsigned filter_run(struct outcome s1, struct outcome s2, struct outcome s3,
			   struct filter_state *st)
{
	struct outcome script[FT_DONE] = { s1, s2, s3 };

	memset(st, 0, sizeof(*st));
	st->local = addr_of(LOCAL);
	return DRIVE(*st, filter_next, FT_DONE, script);
}

static void filtering_tree(void **state)
{
	struct filter_state st;
	(void)state;

	/* EIF: Test II (change IP+port) answered; Test III never asked. */
	assert_int_equal(filter_run(ans(MAPPED, true), ans(MAPPED, true),
				    kind(OUT_NOT_RUN), &st), 0x3);
	assert_int_equal(st.result, FILT_EI);
	assert_true(st.nat);

	assert_int_equal(filter_run(ans(MAPPED, true), kind(OUT_SILENT),
				    ans(MAPPED, true), &st), 0x7);
	assert_int_equal(st.result, FILT_AD);

	assert_int_equal(filter_run(ans(MAPPED, true), kind(OUT_SILENT),
				    kind(OUT_SILENT), &st), 0x7);
	assert_int_equal(st.result, FILT_APD);

	/* No NAT: mapped == local, still a filtering verdict (firewall). */
	filter_run(ans(LOCAL, true), kind(OUT_SILENT), kind(OUT_SILENT), &st);
	assert_false(st.nat);
	assert_int_equal(st.result, FILT_APD);

	/* No OTHER-ADDRESS: stop after Test I, NAT presence still known. */
	assert_int_equal(filter_run(ans(MAPPED, false), kind(OUT_NOT_RUN),
				    kind(OUT_NOT_RUN), &st), 0x1);
	assert_int_equal(st.result, FILT_UNKNOWN);
	assert_int_equal(st.why, WHY_NO_OTHER);
	assert_true(st.nat);

	filter_run(kind(OUT_SILENT), kind(OUT_NOT_RUN), kind(OUT_NOT_RUN), &st);
	assert_int_equal(st.why, WHY_NO_ANSWER);

	/* 420 to CHANGE-REQUEST, or answers from the unchanged address: no
	 * verdict (a naive client would say endpoint-independent). */
	filter_run(ans(MAPPED, true), kind(OUT_REFUSED), kind(OUT_NOT_RUN), &st);
	assert_int_equal(st.result, FILT_UNKNOWN);
	assert_int_equal(st.why, WHY_REFUSED);
	filter_run(ans(MAPPED, true), kind(OUT_WRONG_SOURCE), kind(OUT_NOT_RUN), &st);
	assert_int_equal(st.why, WHY_WRONG_SOURCE);
	filter_run(ans(MAPPED, true), kind(OUT_SILENT), kind(OUT_WRONG_SOURCE), &st);
	assert_int_equal(st.result, FILT_UNKNOWN);
	assert_int_equal(st.why, WHY_WRONG_SOURCE);
}

/* ---- mapping (RFC 5780 4.3) -------------------------------------------- */

static unsigned map_run(struct outcome s1, struct outcome s2, struct outcome s3,
			struct map_state *st)
{
	struct outcome script[MT_DONE] = { s1, s2, s3 };

	memset(st, 0, sizeof(*st));
	st->local = addr_of(LOCAL);
	return DRIVE(*st, map_next, MT_DONE, script);
}

static void mapping_tree(void **state)
{
	struct map_state st;
	(void)state;

	/* No NAT: nothing more to ask. */
	assert_int_equal(map_run(ans(LOCAL, true), kind(OUT_NOT_RUN),
				 kind(OUT_NOT_RUN), &st), 0x1);
	assert_int_equal(st.result, MAP_EI);
	assert_false(st.nat);

	assert_int_equal(map_run(ans(MAPPED, true), ans(MAPPED, true),
				 kind(OUT_NOT_RUN), &st), 0x3);
	assert_int_equal(st.result, MAP_EI);

	assert_int_equal(map_run(ans(MAPPED, true), ans(MAPPED2, true),
				 ans(MAPPED2, true), &st), 0x7);
	assert_int_equal(st.result, MAP_AD);

	map_run(ans(MAPPED, true), ans(MAPPED2, true), ans(MAPPED3, true), &st);
	assert_int_equal(st.result, MAP_APD);

	/* Same port, other IP is a different mapping too. */
	map_run(ans(MAPPED, true), ans("198.18.0.9:40000", true),
		ans(MAPPED3, true), &st);
	assert_int_equal(st.result, MAP_APD);

	map_run(ans(MAPPED, false), kind(OUT_NOT_RUN), kind(OUT_NOT_RUN), &st);
	assert_int_equal(st.why, WHY_NO_OTHER);
	assert_int_equal(st.result, MAP_UNKNOWN);

	map_run(ans(MAPPED, true), kind(OUT_SILENT), kind(OUT_NOT_RUN), &st);
	assert_int_equal(st.why, WHY_SILENT_ALT);
	map_run(ans(MAPPED, true), ans(MAPPED2, true), kind(OUT_SILENT), &st);
	assert_int_equal(st.why, WHY_SILENT_ALT);
	assert_int_equal(st.result, MAP_UNKNOWN);
}

/* ---- RFC 3489 10.1 ------------------------------------------------------ */

static unsigned classic_run(struct outcome s1, struct outcome s2,
			    struct outcome s1c, struct outcome s3,
			    struct classic_state *st)
{
	struct outcome script[CT_DONE] = { s1, s2, s1c, s3 };

	memset(st, 0, sizeof(*st));
	st->local = addr_of(LOCAL);
	return DRIVE(*st, classic_next, CT_DONE, script);
}

#define NR kind(OUT_NOT_RUN)
#define SIL kind(OUT_SILENT)

static void classic_tree(void **state)
{
	struct classic_state st;
	(void)state;

	assert_int_equal(classic_run(SIL, NR, NR, NR, &st), 0x1);
	assert_int_equal(st.result, NAT_BLOCKED);

	assert_int_equal(classic_run(ans(LOCAL, true), ans(LOCAL, true), NR, NR, &st), 0x3);
	assert_int_equal(st.result, NAT_OPEN);

	assert_int_equal(classic_run(ans(LOCAL, true), SIL, NR, NR, &st), 0x3);
	assert_int_equal(st.result, NAT_SYM_FIREWALL);

	/* Same IP, other port: NATed (pystun compares the IP only). */
	classic_run(ans("10.0.1.2:40001", true), SIL, ans("10.0.1.2:40001", true),
		    SIL, &st);
	assert_true(st.nat);
	assert_int_equal(st.result, NAT_PORT_RESTRICTED);

	assert_int_equal(classic_run(ans(MAPPED, true), ans(MAPPED, true), NR, NR, &st), 0x3);
	assert_int_equal(st.result, NAT_FULL_CONE);

	assert_int_equal(classic_run(ans(MAPPED, true), SIL, ans(MAPPED2, true), NR, &st), 0x7);
	assert_int_equal(st.result, NAT_SYMMETRIC);

	assert_int_equal(classic_run(ans(MAPPED, true), SIL, ans(MAPPED, true),
				     ans(MAPPED, true), &st), 0xf);
	assert_int_equal(st.result, NAT_RESTRICTED);

	classic_run(ans(MAPPED, true), SIL, ans(MAPPED, true), SIL, &st);
	assert_int_equal(st.result, NAT_PORT_RESTRICTED);

	/* No CHANGED-ADDRESS: stop, no guess. */
	assert_int_equal(classic_run(ans(MAPPED, false), NR, NR, NR, &st), 0x1);
	assert_int_equal(st.result, NAT_UNKNOWN);
	assert_int_equal(st.why, WHY_NO_OTHER);

	/* pystun's "Meet an error ... Changed IP and Port". */
	classic_run(ans(MAPPED, true), SIL, SIL, NR, &st);
	assert_int_equal(st.result, NAT_UNKNOWN);
	assert_int_equal(st.why, WHY_SILENT_ALT);

	/* A server that ignores CHANGE-REQUEST must not make a full cone. */
	classic_run(ans(MAPPED, true), kind(OUT_WRONG_SOURCE), NR, NR, &st);
	assert_int_equal(st.result, NAT_UNKNOWN);
	assert_int_equal(st.why, WHY_WRONG_SOURCE);
	classic_run(ans(MAPPED, true), kind(OUT_REFUSED), NR, NR, &st);
	assert_int_equal(st.why, WHY_REFUSED);
	classic_run(kind(OUT_FAILED), NR, NR, NR, &st);
	assert_int_equal(st.result, NAT_UNKNOWN);
	assert_int_equal(st.why, WHY_FAILED);
}

static void behavior_to_classic(void **state)
{
	(void)state;
	assert_int_equal(classic_from_behavior(false, MAP_EI, FILT_EI), NAT_OPEN);
	assert_int_equal(classic_from_behavior(false, MAP_EI, FILT_APD), NAT_SYM_FIREWALL);
	assert_int_equal(classic_from_behavior(false, MAP_EI, FILT_AD), NAT_SYM_FIREWALL);
	assert_int_equal(classic_from_behavior(true, MAP_EI, FILT_EI), NAT_FULL_CONE);
	assert_int_equal(classic_from_behavior(true, MAP_EI, FILT_AD), NAT_RESTRICTED);
	assert_int_equal(classic_from_behavior(true, MAP_EI, FILT_APD), NAT_PORT_RESTRICTED);
	assert_int_equal(classic_from_behavior(true, MAP_AD, FILT_APD), NAT_SYMMETRIC);
	assert_int_equal(classic_from_behavior(true, MAP_APD, FILT_AD), NAT_SYMMETRIC);
	/* The classic tree asks Test II first: EIF wins over mapping. */
	assert_int_equal(classic_from_behavior(true, MAP_APD, FILT_EI), NAT_FULL_CONE);
	assert_int_equal(classic_from_behavior(true, MAP_UNKNOWN, FILT_APD), NAT_UNKNOWN);
	assert_int_equal(classic_from_behavior(true, MAP_EI, FILT_UNKNOWN), NAT_UNKNOWN);
}

static void outcome_mapping(void **state)
{
	struct probe_result r;
	struct outcome o;
	(void)state;

	memset(&r, 0, sizeof(r));
	r.status = PROBE_OK;
	r.to = addr_of("198.18.0.2:3478");
	r.info.mapped = addr_of(MAPPED);
	r.info.has_other = true;
	r.info.other = addr_of(OTHER);

	r.from = addr_of(OTHER);
	outcome_from_result(&o, &r, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(o.kind, OUT_ANSWER);
	assert_true(o.has_other);
	assert_true(stun_addr_equal(&o.mapped, &r.info.mapped));

	/* Change IP asked, answer from the same IP: flags ignored. */
	r.from = addr_of("198.18.0.2:3479");
	outcome_from_result(&o, &r, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(o.kind, OUT_WRONG_SOURCE);
	outcome_from_result(&o, &r, STUN_CHANGE_PORT);
	assert_int_equal(o.kind, OUT_ANSWER);
	r.from = r.to;
	outcome_from_result(&o, &r, STUN_CHANGE_PORT);
	assert_int_equal(o.kind, OUT_WRONG_SOURCE);
	outcome_from_result(&o, &r, 0);
	assert_int_equal(o.kind, OUT_ANSWER);

	/* CHANGED-ADDRESS naming the IP we sent to (coturn with one
	 * address does that) is unusable. */
	r.info.other = addr_of("198.18.0.2:3478");
	outcome_from_result(&o, &r, 0);
	assert_false(o.has_other);

	/* OTHER-ADDRESS of the other family is unusable. */
	r.info.other = addr_of("[2001:db8::3]:3479");
	outcome_from_result(&o, &r, 0);
	assert_false(o.has_other);

	r.status = PROBE_TIMEOUT;
	outcome_from_result(&o, &r, 0);
	assert_int_equal(o.kind, OUT_SILENT);
	r.status = PROBE_ERROR_RESPONSE;
	outcome_from_result(&o, &r, 0);
	assert_int_equal(o.kind, OUT_REFUSED);
	r.status = PROBE_UNREACHABLE;
	outcome_from_result(&o, &r, 0);
	assert_int_equal(o.kind, OUT_FAILED);
	r.status = PROBE_BAD_RESPONSE;
	outcome_from_result(&o, &r, 0);
	assert_int_equal(o.kind, OUT_FAILED);
}

/* ---- tests started ahead (concurrency) --------------------------------- */

/* What runs ahead must be exactly what the tree asks for next when the
 * test it runs beside is silent, and nothing else. */
static void started_ahead(void **state)
{
	struct filter_state fs;
	struct classic_state cs;
	(void)state;

	memset(&fs, 0, sizeof(fs));
	assert_int_equal(filter_ahead(&fs, FT_I), FT_DONE);
	assert_int_equal(filter_ahead(&fs, FT_III), FT_DONE);
	filter_run(ans(MAPPED, true), SIL, SIL, &fs);
	fs.t[FT_III] = kind(OUT_NOT_RUN);
	assert_int_equal(filter_next(&fs), filter_ahead(&fs, FT_II));
	assert_int_equal(filter_ahead(&fs, FT_II), FT_III);
	/* Test II answered: the one run ahead is not needed. */
	fs.t[FT_II] = ans(MAPPED, true);
	assert_int_equal(filter_next(&fs), FT_DONE);

	/* Classic: behind a NAT, Test III beside Test II; never Test I to
	 * the changed address, which would open the way for Test II. */
	classic_run(ans(MAPPED, true), SIL, ans(MAPPED, true), SIL, &cs);
	assert_true(cs.nat);
	assert_int_equal(classic_ahead(&cs, CT_II), CT_III);
	assert_int_equal(classic_ahead(&cs, CT_I), CT_DONE);
	assert_int_equal(classic_ahead(&cs, CT_I_CHANGED), CT_DONE);
	assert_int_equal(classic_ahead(&cs, CT_III), CT_DONE);
	/* No NAT: Test II's silence is the verdict, nothing to run ahead. */
	classic_run(ans(LOCAL, true), SIL, NR, NR, &cs);
	assert_false(cs.nat);
	assert_int_equal(classic_ahead(&cs, CT_II), CT_DONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filtering_tree),
		cmocka_unit_test(mapping_tree),
		cmocka_unit_test(classic_tree),
		cmocka_unit_test(behavior_to_classic),
		cmocka_unit_test(outcome_mapping),
		cmocka_unit_test(started_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
