/* SPDX-License-Identifier: MIT */
/*
 * test_announce_state.c - stunring-announce's decision (announce_state.c):
 * rise and fall counts, the hold-down after a withdrawal, a failed
 * announcement retried, and a flapping node announced at most once per
 * hold-down.
 */
#include "test_util.h"
#include "announce.h"

#define S 1000000000ull

static void rise_then_fall(void **state)
{
	struct ann_state s;
	(void)state;

	ann_state_init(&s, 3, 2, 10 * S);
	/* Start: the first announcement needs 3 healthy checks, no hold-down. */
	assert_int_equal(ann_state_step(&s, true, 1 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, false, 2 * S), ANN_NONE);	/* streak broken */
	assert_int_equal(ann_state_step(&s, true, 3 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, true, 4 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, true, 5 * S), ANN_ANNOUNCE);
	assert_true(s.announced);
	/* One failure is not enough, and a success resets the count. */
	assert_int_equal(ann_state_step(&s, false, 6 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, true, 7 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, false, 8 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, false, 9 * S), ANN_WITHDRAW);
	assert_false(s.announced);
	/* Further failures change nothing. */
	assert_int_equal(ann_state_step(&s, false, 10 * S), ANN_NONE);
}

static void hold_down(void **state)
{
	struct ann_state s;
	(void)state;

	ann_state_init(&s, 2, 1, 10 * S);
	ann_state_step(&s, true, 0);
	assert_int_equal(ann_state_step(&s, true, 1 * S), ANN_ANNOUNCE);
	assert_int_equal(ann_state_step(&s, false, 2 * S), ANN_WITHDRAW);	/* until 12 s */
	assert_int_equal(ann_state_step(&s, true, 3 * S), ANN_NONE);
	assert_int_equal(ann_state_step(&s, true, 4 * S), ANN_HELD);
	assert_int_equal(ann_state_step(&s, true, 11 * S), ANN_HELD);
	assert_false(s.announced);
	assert_int_equal(ann_state_step(&s, true, 12 * S), ANN_ANNOUNCE);
}

static void flapping_node(void **state)
{
	struct ann_state s;
	unsigned int announcements = 0;
	(void)state;

	/* Healthy 3 s, sick 1 s, for 60 s: with a 20 s hold-down it is
	 * announced at start and then at most once per 20 s. */
	ann_state_init(&s, 2, 1, 20 * S);
	for (uint64_t t = 0; t < 60; t++)
		announcements += ann_state_step(&s, t % 4 != 3, t * S) == ANN_ANNOUNCE;
	assert_true(announcements >= 2 && announcements <= 1 + 60 / 20);
}

static void failed_announce_retried(void **state)
{
	struct ann_state s;
	(void)state;

	ann_state_init(&s, 1, 1, 0);
	assert_int_equal(ann_state_step(&s, true, 1 * S), ANN_ANNOUNCE);
	ann_state_announce_failed(&s);
	assert_false(s.announced);
	assert_int_equal(ann_state_step(&s, true, 2 * S), ANN_ANNOUNCE);
}

static void zero_counts_mean_one(void **state)
{
	struct ann_state s;
	(void)state;

	ann_state_init(&s, 0, 0, 0);
	assert_int_equal(ann_state_step(&s, true, 1), ANN_ANNOUNCE);
	assert_int_equal(ann_state_step(&s, false, 2), ANN_WITHDRAW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rise_then_fall),
		cmocka_unit_test(hold_down),
		cmocka_unit_test(flapping_node),
		cmocka_unit_test(failed_announce_retried),
		cmocka_unit_test(zero_counts_mean_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
