/* SPDX-License-Identifier: MIT */
/*
 * probe_decide.c - the decision trees, with no I/O.
 *
 * Each *_next() looks at the tests run so far and returns the next test to
 * run, or *_DONE with the verdict filled in.  The runners only execute what
 * these ask for (and what *_ahead() names, whose result they hold back
 * until the tree asks: stunprobe_chain.c), so the logic here is the whole
 * of the classification and the unit test (tests/unit/test_stunprobe_decide.c)
 * drives it with synthetic outcomes.
 *
 * References: RFC 5780 4.3 (mapping) and 4.4 (filtering), conformance.md
 * section O; RFC 3489 10.1 done as conformance.md section N says (Test III
 * to the PRIMARY address, the "no NAT" check on IP and port).
 */
#include "probe/probe.h"

/* A test's non-answer outcomes, as a reason for an unknown result. */
static enum behav_why why_of(enum outcome_kind k)
{
	switch (k) {
	case OUT_SILENT:
		return WHY_NO_ANSWER;
	case OUT_REFUSED:
		return WHY_REFUSED;
	case OUT_WRONG_SOURCE:
		return WHY_WRONG_SOURCE;
	default:
		return WHY_FAILED;
	}
}

enum filter_test filter_next(struct filter_state *st)
{
	const struct outcome *t1 = &st->t[FT_I], *t2 = &st->t[FT_II],
			     *t3 = &st->t[FT_III];

	st->result = FILT_UNKNOWN;
	st->why = WHY_NONE;
	if (t1->kind == OUT_NOT_RUN)
		return FT_I;
	if (t1->kind != OUT_ANSWER) {
		st->why = why_of(t1->kind);
		return FT_DONE;
	}
	st->nat = !stun_addr_equal(&t1->mapped, &st->local);
	/* Without OTHER-ADDRESS the server cannot change its source. */
	if (!t1->has_other) {
		st->why = WHY_NO_OTHER;
		return FT_DONE;
	}
	if (t2->kind == OUT_NOT_RUN)
		return FT_II;
	if (t2->kind == OUT_ANSWER) {
		st->result = FILT_EI;
		return FT_DONE;
	}
	if (t2->kind != OUT_SILENT) {
		st->why = why_of(t2->kind);
		return FT_DONE;
	}
	if (t3->kind == OUT_NOT_RUN)
		return FT_III;
	if (t3->kind == OUT_ANSWER)
		st->result = FILT_AD;
	else if (t3->kind == OUT_SILENT)
		st->result = FILT_APD;
	else
		st->why = why_of(t3->kind);
	return FT_DONE;
}

enum map_test map_next(struct map_state *st)
{
	const struct outcome *t1 = &st->t[MT_I], *t2 = &st->t[MT_II],
			     *t3 = &st->t[MT_III];

	st->result = MAP_UNKNOWN;
	st->why = WHY_NONE;
	if (t1->kind == OUT_NOT_RUN)
		return MT_I;
	if (t1->kind != OUT_ANSWER) {
		st->why = why_of(t1->kind);
		return MT_DONE;
	}
	st->nat = !stun_addr_equal(&t1->mapped, &st->local);
	/* RFC 5780 4.3: no OTHER-ADDRESS, no behaviour discovery. */
	if (!t1->has_other) {
		st->why = WHY_NO_OTHER;
		return MT_DONE;
	}
	/* Mapped == local: no NAT, nothing is translated at all. */
	if (!st->nat) {
		st->result = MAP_EI;
		return MT_DONE;
	}
	if (t2->kind == OUT_NOT_RUN)
		return MT_II;
	if (t2->kind != OUT_ANSWER) {
		st->why = t2->kind == OUT_SILENT ? WHY_SILENT_ALT : why_of(t2->kind);
		return MT_DONE;
	}
	if (stun_addr_equal(&t2->mapped, &t1->mapped)) {
		st->result = MAP_EI;
		return MT_DONE;
	}
	if (t3->kind == OUT_NOT_RUN)
		return MT_III;
	if (t3->kind != OUT_ANSWER) {
		st->why = t3->kind == OUT_SILENT ? WHY_SILENT_ALT : why_of(t3->kind);
		return MT_DONE;
	}
	st->result = stun_addr_equal(&t3->mapped, &t2->mapped) ? MAP_AD : MAP_APD;
	return MT_DONE;
}

enum classic_test classic_next(struct classic_state *st)
{
	const struct outcome *t1 = &st->t[CT_I], *t2 = &st->t[CT_II],
			     *t1c = &st->t[CT_I_CHANGED], *t3 = &st->t[CT_III];

	st->result = NAT_UNKNOWN;
	st->why = WHY_NONE;
	if (t1->kind == OUT_NOT_RUN)
		return CT_I;
	if (t1->kind == OUT_SILENT) {
		st->result = NAT_BLOCKED;
		return CT_DONE;
	}
	if (t1->kind != OUT_ANSWER) {
		st->why = why_of(t1->kind);
		return CT_DONE;
	}
	/* Item 94 b: IP and port against the real local address. */
	st->nat = !stun_addr_equal(&t1->mapped, &st->local);
	if (!t1->has_other) {
		st->why = WHY_NO_OTHER;
		return CT_DONE;
	}
	if (t2->kind == OUT_NOT_RUN)
		return CT_II;
	if (t2->kind == OUT_ANSWER) {
		st->result = st->nat ? NAT_FULL_CONE : NAT_OPEN;
		return CT_DONE;
	}
	if (t2->kind != OUT_SILENT) {
		st->why = why_of(t2->kind);
		return CT_DONE;
	}
	if (!st->nat) {
		st->result = NAT_SYM_FIREWALL;
		return CT_DONE;
	}
	if (t1c->kind == OUT_NOT_RUN)
		return CT_I_CHANGED;
	if (t1c->kind != OUT_ANSWER) {
		/* pystun: "Meet an error, when do Test1 on Changed IP and Port" */
		st->why = t1c->kind == OUT_SILENT ? WHY_SILENT_ALT : why_of(t1c->kind);
		return CT_DONE;
	}
	if (!stun_addr_equal(&t1c->mapped, &t1->mapped)) {
		st->result = NAT_SYMMETRIC;
		return CT_DONE;
	}
	/* Test III goes to the primary address (item 93), not to the
	 * changed IP as pystun does: its answer then comes from A1:P2,
	 * where no binding was opened. */
	if (t3->kind == OUT_NOT_RUN)
		return CT_III;
	if (t3->kind == OUT_ANSWER)
		st->result = NAT_RESTRICTED;
	else if (t3->kind == OUT_SILENT)
		st->result = NAT_PORT_RESTRICTED;
	else
		st->why = why_of(t3->kind);
	return CT_DONE;
}

enum filter_test filter_ahead(const struct filter_state *st, enum filter_test t)
{
	(void)st;
	/* Test III (change port) decides only when Test II is silent.  Both
	 * go to A1:P1 and their answers come from A2:P2 and A1:P2, which the
	 * filtering socket never sends to: neither can open the way for the
	 * other. */
	return t == FT_II ? FT_III : FT_DONE;
}

enum classic_test classic_ahead(const struct classic_state *st,
				enum classic_test t)
{
	/* Test III (to the primary, change port) matters when Test II is
	 * silent behind a NAT (without one, silence already says Symmetric
	 * UDP Firewall).  Test I to the changed address must still wait for
	 * Test II: it opens a binding toward A2:P2, where Test II's answer
	 * comes from.  It does not open one toward A1:P2, Test III's source. */
	return t == CT_II && st->nat ? CT_III : CT_DONE;
}

enum classic_type classic_from_behavior(bool nat, enum mapping m,
					enum filtering f)
{
	if (f == FILT_UNKNOWN)
		return NAT_UNKNOWN;
	if (!nat)
		return f == FILT_EI ? NAT_OPEN : NAT_SYM_FIREWALL;
	if (f == FILT_EI)
		return NAT_FULL_CONE;
	if (m == MAP_UNKNOWN)
		return NAT_UNKNOWN;
	if (m != MAP_EI)
		return NAT_SYMMETRIC;
	return f == FILT_AD ? NAT_RESTRICTED : NAT_PORT_RESTRICTED;
}

void outcome_from_result(struct outcome *out, const struct probe_result *r,
			 uint32_t change)
{
	*out = (struct outcome){ 0 };
	switch (r->status) {
	case PROBE_OK:
		break;
	case PROBE_TIMEOUT:
		out->kind = OUT_SILENT;
		return;
	case PROBE_ERROR_RESPONSE:
		out->kind = OUT_REFUSED;
		return;
	default:
		out->kind = OUT_FAILED;
		return;
	}
	out->kind = OUT_ANSWER;
	out->mapped = r->info.mapped;
	/* An alternate address of the other family is no use for the tests
	 * (RFC 5780 4.3 needs the same family), nor is one on the IP we sent
	 * to: coturn without a second address puts its own address into
	 * CHANGED-ADDRESS. */
	out->has_other = r->info.has_other && r->info.other.family == r->to.family &&
			 !stun_addr_ip_equal(&r->info.other, &r->to);
	out->other = r->info.other;
	/* An answer to CHANGE-REQUEST from the address we sent to means the
	 * server ignored the flags; counting it would report a full cone. */
	if (((change & STUN_CHANGE_IP) && stun_addr_ip_equal(&r->from, &r->to)) ||
	    ((change & STUN_CHANGE_PORT) && r->from.port == r->to.port))
		out->kind = OUT_WRONG_SOURCE;
}

const char *mapping_name(enum mapping m)
{
	switch (m) {
	case MAP_EI:
		return "endpoint-independent";
	case MAP_AD:
		return "address-dependent";
	case MAP_APD:
		return "address-and-port-dependent";
	default:
		return "unknown";
	}
}

const char *filtering_name(enum filtering f)
{
	switch (f) {
	case FILT_EI:
		return "endpoint-independent";
	case FILT_AD:
		return "address-dependent";
	case FILT_APD:
		return "address-and-port-dependent";
	default:
		return "unknown";
	}
}

const char *classic_name(enum classic_type t)
{
	switch (t) {
	case NAT_BLOCKED:
		return "Blocked";
	case NAT_OPEN:
		return "Open Internet";
	case NAT_FULL_CONE:
		return "Full Cone";
	case NAT_RESTRICTED:
		return "Restricted Cone";
	case NAT_PORT_RESTRICTED:
		return "Port Restricted Cone";
	case NAT_SYMMETRIC:
		return "Symmetric NAT";
	case NAT_SYM_FIREWALL:
		return "Symmetric UDP Firewall";
	default:
		return "unknown";
	}
}

const char *behav_why_text(enum behav_why w)
{
	switch (w) {
	case WHY_NONE:
		return "";
	case WHY_NO_ANSWER:
		return "no answer from the server (UDP blocked or server down)";
	case WHY_NO_OTHER:
		return "the server gave no usable OTHER-ADDRESS/CHANGED-ADDRESS (none, "
		       "or its own IP): it has no alternate address, so only the "
		       "mapped address and whether there is a NAT can be determined; "
		       "mapping and filtering cannot";
	case WHY_REFUSED:
		return "the server refused CHANGE-REQUEST with an error response";
	case WHY_WRONG_SOURCE:
		return "the server answered CHANGE-REQUEST from the unchanged address "
		       "(it ignores the flags): filtering cannot be determined";
	case WHY_SILENT_ALT:
		return "no answer from the server's alternate address";
	case WHY_FAILED:
		return "a test failed (ICMP error, local error or unusable response)";
	}
	return "?";
}
