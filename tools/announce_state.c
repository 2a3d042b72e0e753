/* SPDX-License-Identifier: MIT */
/*
 * announce_state.c - when to announce and when to withdraw (announce.h).
 *
 * Withdrawn, the addresses go up after `rise` healthy checks in a row, but
 * never before the hold-down that the last withdrawal started has passed:
 * a node that fails every few seconds is then announced at most once per
 * hold-down instead of flapping the route (and rehashing every router's
 * ECMP flows) on each failure.  Announced, they go after `fall` failed
 * checks in a row, so a single lost probe does not withdraw a healthy node.
 * The first announcement after start needs `rise` checks and no hold-down.
 */
#include "announce.h"

void ann_state_init(struct ann_state *s, unsigned int rise, unsigned int fall,
		    uint64_t hold_down_ns)
{
	*s = (struct ann_state){ .rise = rise ? rise : 1, .fall = fall ? fall : 1,
				 .hold_down_ns = hold_down_ns };
}

enum ann_action ann_state_step(struct ann_state *s, bool healthy, uint64_t now_ns)
{
	if (healthy) {
		s->ok_run++;
		s->fail_run = 0;
	} else {
		s->fail_run++;
		s->ok_run = 0;
	}
	if (s->announced) {
		if (healthy || s->fail_run < s->fall)
			return ANN_NONE;
		s->announced = false;
		s->hold_until_ns = now_ns + s->hold_down_ns;
		return ANN_WITHDRAW;
	}
	if (!healthy || s->ok_run < s->rise)
		return ANN_NONE;
	if (now_ns < s->hold_until_ns)
		return ANN_HELD;
	s->announced = true;
	return ANN_ANNOUNCE;
}

void ann_state_announce_failed(struct ann_state *s)
{
	/* ok_run stays: the next healthy check tries again at once. */
	s->announced = false;
}
