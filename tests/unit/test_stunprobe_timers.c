/* SPDX-License-Identifier: MIT */
/*
 * test_stunprobe_timers.c - stunprobe's retransmission timers: the
 * profiles' total waits and the RTT estimate (RFC 6298 2.2/2.3) that
 * shrinks the default RTO, with Karn's rule left to the caller.
 */
#include "test_util.h"
#include "stunprobe.h"

static void profile_totals(void **state)
{
	const struct probe_rto rfc = PROBE_RTO_RFC, def = PROBE_RTO_DEFAULT;
	const struct probe_rto floor = { PROBE_RTO_FLOOR_MS, def.rc, def.rm };
	(void)state;

	/* RFC 8489 6.2.1: 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5, then 16 x .5 s. */
	assert_int_equal(probe_rto_total_ms(&rfc), 39500);
	/* The default: 0, .25, .75, 1.75, then 4 x .25 s. */
	assert_int_equal(probe_rto_total_ms(&def), 2750);
	assert_true(def.rc >= 3);	/* a lost packet cannot make silence */
	/* The shortest an adapted wait gets: 0, .1, .3, .7, then 4 x .1 s. */
	assert_int_equal(probe_rto_total_ms(&floor), 1100);
	/* The largest flags do not wrap: 60 s x (2^19 - 1) + 100 x 60 s. */
	assert_true(probe_rto_total_ms(&(struct probe_rto){ 60000, 20, 100 }) ==
		    60000ULL * 524287 + 6000000);
}

static unsigned int rto_after(bool adapt, const double *rtt, int n)
{
	const struct probe_rto def = PROBE_RTO_DEFAULT;
	struct probe_timers t;

	probe_timers_init(&t, &def, adapt);
	for (int i = 0; i < n; i++)
		probe_timers_sample(&t, rtt[i]);
	return probe_timers_next(&t).rto_ms;
}

static void rtt_estimate(void **state)
{
	const struct probe_rto def = PROBE_RTO_DEFAULT;
	(void)state;

	/* No sample yet: the profile as it is. */
	assert_int_equal(rto_after(true, NULL, 0), def.rto_ms);
	/* First sample R: SRTT = R, RTTVAR = R/2, RTO = 3 R. */
	assert_int_equal(rto_after(true, (double[]){ 60 }, 1), 180);
	/* A LAN: 3 x 1 ms, but never below the floor. */
	assert_int_equal(rto_after(true, (double[]){ 1 }, 1), PROBE_RTO_FLOOR_MS);
	/* A slow path never lengthens the profile's RTO. */
	assert_int_equal(rto_after(true, (double[]){ 200 }, 1), def.rto_ms);
	/* Second sample: RTTVAR = 3/4 40 + 1/4 |80 - 40| = 40,
	 * SRTT = 7/8 80 + 1/8 40 = 75, RTO = 75 + 4 x 40 = 235. */
	assert_int_equal(rto_after(true, (double[]){ 80, 40 }, 2), 235);
	/* Steady 40 ms: RTTVAR 20 -> 15, RTO = 40 + 60. */
	assert_int_equal(rto_after(true, (double[]){ 40, 40 }, 2), 100);
	/* Fractions round up (1 ms accuracy, RFC 8489 6.2.1). */
	assert_int_equal(rto_after(true, (double[]){ 50.2 }, 1), 151);
	/* --rto or --rfc-timers: no adaptation. */
	assert_int_equal(rto_after(false, (double[]){ 60 }, 1), def.rto_ms);
}

static void rc_rm_kept(void **state)
{
	const struct probe_rto rfc = PROBE_RTO_RFC;
	struct probe_timers t;
	struct probe_rto r;
	(void)state;

	probe_timers_init(&t, &rfc, true);
	probe_timers_sample(&t, 10);
	r = probe_timers_next(&t);
	/* Only the RTO adapts; the number of sends stays. */
	assert_int_equal(r.rto_ms, PROBE_RTO_FLOOR_MS);
	assert_int_equal(r.rc, rfc.rc);
	assert_int_equal(r.rm, rfc.rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(profile_totals),
		cmocka_unit_test(rtt_estimate),
		cmocka_unit_test(rc_rm_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
