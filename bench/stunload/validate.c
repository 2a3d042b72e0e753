/* SPDX-License-Identifier: MIT */
/*
 * validate.c - every answer goes through the codec's client check
 * (stun_parse_response) plus what only the load generator knows: which IDs
 * it sent, which are still open, and which address it sends from.
 */
#include "validate.h"

#include <string.h>

static enum verdict bad_as(enum bad_kind k, enum bad_kind *bad)
{
	*bad = k;
	return V_INVALID;
}

static bool mapped_ok(const struct stun_addr *m, const struct expect *x)
{
	switch (x->mode) {
	case MAP_SELF:
		return stun_addr_equal(m, &x->self);
	case MAP_IP:
		return stun_addr_ip_equal(m, &x->addr);
	case MAP_IP_PORT:
		return stun_addr_equal(m, &x->addr);
	case MAP_ANY:
		return m->family == x->self.family;
	}
	return false;
}

/* 420 listing CHANGE-REQUEST: the server simply lacks RFC 5780. */
static bool is_change_unsupported(const struct stun_response_info *in)
{
	if (in->error_code != 420)
		return false;
	for (unsigned i = 0; i < in->n_unknown && i < STUN_MAX_UNKNOWN; i++)
		if (in->unknown[i] == STUN_ATTR_CHANGE_REQUEST)
			return true;
	return false;
}

enum verdict sl_validate(const uint8_t *buf, size_t len, bool oversize,
			 struct txtable *t, const struct expect *x,
			 struct tx_entry **matched, enum bad_kind *bad)
{
	struct stun_response_info in;
	enum stun_resp_status st;
	struct tx_entry *e;
	size_t hlen;

	*matched = NULL;
	if (oversize)
		return bad_as(BAD_OVERSIZE, bad);
	/* Frame first: a cut-off answer is "truncated" whichever ID it has. */
	if (len < STUN_HDR_LEN)
		return bad_as(BAD_TRUNCATED, bad);
	if (buf[0] & 0xC0)
		return bad_as(BAD_MALFORMED, bad);
	hlen = (size_t)buf[2] << 8 | buf[3];
	if (STUN_HDR_LEN + hlen > len)
		return bad_as(BAD_TRUNCATED, bad);

	switch (tx_lookup(t, buf, &e)) {
	case TXM_OUTSTANDING:
		break;
	case TXM_ANSWERED:
		return bad_as(BAD_DUPLICATE, bad);
	case TXM_TIMED_OUT:
	case TXM_RECYCLED:
		return V_LATE;
	case TXM_UNKNOWN:
	default:
		return bad_as(BAD_WRONG_TID, bad);
	}
	/* Whatever it says, this request has had its answer. */
	tx_answered(t, e);
	*matched = e;

	st = stun_parse_response(buf, len, buf + (e->classic ? 4 : 8),
				 e->classic, &in);
	switch (st) {
	case STUN_RESP_OK:
		break;
	case STUN_RESP_ERROR:
		if (e->kind == REQ_CHANGE && is_change_unsupported(&in))
			return V_UNSUPPORTED;
		return bad_as(BAD_ERROR_RESPONSE, bad);
	case STUN_RESP_BAD_FINGERPRINT:
		return bad_as(BAD_FINGERPRINT, bad);
	case STUN_RESP_NOT_RESPONSE:
		return bad_as(BAD_WRONG_TYPE, bad);
	case STUN_RESP_WRONG_TID:
		return bad_as(BAD_WRONG_TID, bad);
	case STUN_RESP_NO_ADDRESS:
		return bad_as(BAD_NO_MAPPED, bad);
	case STUN_RESP_UNKNOWN_ATTR:
	case STUN_RESP_BAD_ATTR:
		return bad_as(BAD_ATTRIBUTE, bad);
	case STUN_RESP_NOT_STUN:
	default:
		return bad_as(BAD_MALFORMED, bad);
	}
	/* A modern server must send XOR-MAPPED-ADDRESS (RFC 8489 section
	 * 14.2); a classic one MAPPED-ADDRESS (RFC 3489 section 11.2.1). */
	if (e->classic ? !in.has_mapped : !in.has_xor_mapped)
		return bad_as(BAD_NO_MAPPED, bad);
	if (!mapped_ok(e->classic ? &in.plain_mapped : &in.xor_mapped, x))
		return bad_as(BAD_WRONG_MAPPED, bad);
	/* An ALG rewriting MAPPED-ADDRESS next to a correct XOR-MAPPED one
	 * is exactly what a load test should expose (conformance item 100). */
	if (!e->classic && in.has_mapped && !mapped_ok(&in.plain_mapped, x))
		return bad_as(BAD_WRONG_MAPPED, bad);
	return V_VALID;
}
