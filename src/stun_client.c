/* SPDX-License-Identifier: MIT */
/*
 * stun_client.c - what a client needs: build a Binding Request, check that
 * a response answers it and read the addresses out of it (conformance.md
 * sections M and O, item 87).
 */
#include "stunring.h"
#include "stun_bytes.h"

#include <string.h>

size_t stun_build_request(uint8_t *out, size_t cap, const uint8_t *tid,
			  const struct stun_request_opts *o)
{
	struct stun_writer w;

	stun_w_init(&w, out, cap, STUN_BINDING_REQUEST, tid, o->classic);
	if (o->change_request)
		stun_w_change_request(&w, o->change_flags);
	if (o->response_port)
		stun_w_response_port(&w, o->response_port);
	if (o->padding)
		stun_w_padding(&w, o->padding);
	if (o->software) {
		size_t n = strlen(o->software);
		/* Classic peers step by the length alone (item 47). */
		if (n > STUN_SOFTWARE_MAX || (o->classic && (n & 3)))
			return 0;
		stun_w_attr(&w, STUN_ATTR_SOFTWARE, o->software, (uint16_t)n);
	}
	if (o->fingerprint && !o->classic)
		stun_w_fingerprint(&w);
	return stun_w_finish(&w);
}

static const char *const resp_names[] = {
	[STUN_RESP_OK] = "ok",
	[STUN_RESP_ERROR] = "error_response",
	[STUN_RESP_NOT_STUN] = "not_stun",
	[STUN_RESP_BAD_FINGERPRINT] = "bad_fingerprint",
	[STUN_RESP_NOT_RESPONSE] = "not_response",
	[STUN_RESP_WRONG_TID] = "wrong_tid",
	[STUN_RESP_NO_ADDRESS] = "no_address",
	[STUN_RESP_UNKNOWN_ATTR] = "unknown_attribute",
	[STUN_RESP_BAD_ATTR] = "bad_attribute",
};

const char *stun_resp_status_name(enum stun_resp_status s)
{
	if ((unsigned)s >= sizeof(resp_names) / sizeof(resp_names[0]))
		return "invalid";
	return resp_names[s];
}

/* Required types a client reads or may ignore (item 87): the RFC 3489
 * leftovers 0x0002, 0x0004, 0x0005 and 0x000B never count as unknown. */
#define CLIENT_UNDERSTOOD                                                     \
	(STUN_BIT(STUN_ATTR_MAPPED_ADDRESS) |                                 \
	 STUN_BIT(STUN_ATTR_RESPONSE_ADDRESS) |                               \
	 STUN_BIT(STUN_ATTR_CHANGE_REQUEST) |                                 \
	 STUN_BIT(STUN_ATTR_SOURCE_ADDRESS) |                                 \
	 STUN_BIT(STUN_ATTR_CHANGED_ADDRESS) | STUN_BIT(STUN_ATTR_USERNAME) | \
	 STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY) |                              \
	 STUN_BIT(STUN_ATTR_ERROR_CODE) |                                     \
	 STUN_BIT(STUN_ATTR_UNKNOWN_ATTRIBUTES) |                             \
	 STUN_BIT(STUN_ATTR_REFLECTED_FROM) | STUN_BIT(STUN_ATTR_REALM) |     \
	 STUN_BIT(STUN_ATTR_NONCE) |                                          \
	 STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY_SHA256) |                       \
	 STUN_BIT(STUN_ATTR_XOR_MAPPED_ADDRESS) | STUN_BIT(STUN_ATTR_PADDING))

static int read_addr(const struct stun_msg *m, enum stun_slot s,
		     struct stun_addr *a, bool *has)
{
	uint16_t len;
	const uint8_t *v = stun_attr_value(m, s, &len);

	*has = false;
	if (!v)
		return 0;
	if (stun_decode_addr(a, v, len))
		return -1;
	*has = true;
	return 0;
}

enum stun_resp_status stun_parse_response(const uint8_t *buf, size_t len,
					  const uint8_t *tid, bool classic,
					  struct stun_response_info *info)
{
	struct stun_msg m;
	enum stun_drop_reason why;
	uint16_t vlen;
	const uint8_t *v;
	bool has;

	memset(info, 0, sizeof(*info));
	why = stun_parse(&m, buf, len, STUN_TRANSPORT_UDP,
			 classic ? STUN_CLASSIC_RESPONSE : STUN_CLASSIC_NONE,
			 CLIENT_UNDERSTOOD);
	if (why == STUN_DROP_CLASSIC_TYPE)
		return STUN_RESP_NOT_RESPONSE;
	if (why == STUN_DROP_FP_CRC || why == STUN_DROP_FP_LEN ||
	    why == STUN_DROP_FP_NOT_LAST)
		return STUN_RESP_BAD_FINGERPRINT;
	if (why != STUN_DROP_NONE)
		return STUN_RESP_NOT_STUN;
	if (m.method != STUN_METHOD_BINDING || m.cls < STUN_CLASS_SUCCESS)
		return STUN_RESP_NOT_RESPONSE;
	if (m.classic != classic ||
	    memcmp(stun_tid(&m), tid, classic ? STUN_CLASSIC_TID_LEN : STUN_TID_LEN))
		return STUN_RESP_WRONG_TID;
	info->classic = m.classic;
	info->has_fingerprint = m.fp_present;

	v = stun_attr_value(&m, STUN_SLOT_SOFTWARE, &vlen);
	if (v) {
		info->software = (const char *)v;
		info->software_len = vlen;
	}
	v = stun_attr_value(&m, STUN_SLOT_PADDING, &vlen);
	if (v) {
		info->has_padding = true;
		info->padding_len = vlen;
	}

	if (m.cls == STUN_CLASS_ERROR) {
		v = stun_attr_value(&m, STUN_SLOT_ERROR_CODE, &vlen);
		/* An error without ERROR-CODE is still a failure (item 39). */
		if (!v || stun_decode_error(v, vlen, &info->error_code,
					    &info->reason, &info->reason_len))
			return STUN_RESP_BAD_ATTR;
		v = stun_attr_value(&m, STUN_SLOT_UNKNOWN_ATTRIBUTES, &vlen);
		if (v && stun_decode_unknown(v, vlen, info->unknown,
					     STUN_MAX_UNKNOWN, &info->n_unknown))
			return STUN_RESP_BAD_ATTR;
		return STUN_RESP_ERROR;
	}

	/* Success with unknown required attributes fails (RFC 8489 6.3.3). */
	if (m.n_unknown)
		return STUN_RESP_UNKNOWN_ATTR;
	v = stun_attr_value(&m, STUN_SLOT_XOR_MAPPED_ADDRESS, &vlen);
	if (v && !m.classic) {
		if (stun_decode_xor_addr(&info->xor_mapped, v, vlen, buf + 8))
			return STUN_RESP_BAD_ATTR;
		info->has_xor_mapped = true;
	}
	if (read_addr(&m, STUN_SLOT_MAPPED_ADDRESS, &info->plain_mapped,
		      &info->has_mapped))
		return STUN_RESP_BAD_ATTR;
	if (read_addr(&m, STUN_SLOT_RESPONSE_ORIGIN, &info->origin, &has) ||
	    (!has && read_addr(&m, STUN_SLOT_SOURCE_ADDRESS, &info->origin, &has)))
		return STUN_RESP_BAD_ATTR;
	info->has_origin = has;
	if (read_addr(&m, STUN_SLOT_OTHER_ADDRESS, &info->other, &has) ||
	    (!has && read_addr(&m, STUN_SLOT_CHANGED_ADDRESS, &info->other, &has)))
		return STUN_RESP_BAD_ATTR;
	info->has_other = has;

	if (info->has_xor_mapped)
		info->mapped = info->xor_mapped;
	else if (info->has_mapped)
		info->mapped = info->plain_mapped;
	else
		return STUN_RESP_NO_ADDRESS;
	return STUN_RESP_OK;
}
