/* SPDX-License-Identifier: MIT */
/*
 * stun_parse.c - header checks, the attribute walk, FINGERPRINT
 * verification and the attribute decoders (conformance.md sections A, B, F).
 */
#include "stunring.h"
#include "stun_bytes.h"

#include <string.h>

static const char *const drop_names[STUN_DROP_REASON_COUNT] = {
	[STUN_DROP_NONE] = "none",
	[STUN_DROP_SHORT] = "short",
	[STUN_DROP_TOP_BITS] = "not_stun",
	[STUN_DROP_LEN_ALIGN] = "length_align",
	[STUN_DROP_LEN_MISMATCH] = "length_mismatch",
	[STUN_DROP_NO_COOKIE] = "no_cookie",
	[STUN_DROP_CLASSIC_TYPE] = "classic_not_binding",
	[STUN_DROP_ATTR_OVERRUN] = "attr_overrun",
	[STUN_DROP_METHOD] = "method",
	[STUN_DROP_RESPONSE] = "response",
	[STUN_DROP_FP_NOT_LAST] = "fingerprint_not_last",
	[STUN_DROP_FP_LEN] = "fingerprint_length",
	[STUN_DROP_FP_CRC] = "fingerprint_crc",
	[STUN_DROP_INDICATION] = "indication",
	[STUN_DROP_INDICATION_UNKNOWN] = "indication_unknown",
	[STUN_DROP_BOGUS_SOURCE] = "bogus_source",
	[STUN_DROP_NO_ROOM] = "no_room",
	[STUN_DROP_PADDING_SMALL] = "padding_small",
};

const char *stun_drop_reason_name(enum stun_drop_reason r)
{
	if ((unsigned)r >= STUN_DROP_REASON_COUNT)
		return "invalid";
	return drop_names[r];
}

/* Attribute type to the slot that remembers its first instance. */
static int type_slot(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS: return STUN_SLOT_MAPPED_ADDRESS;
	case STUN_ATTR_CHANGE_REQUEST: return STUN_SLOT_CHANGE_REQUEST;
	case STUN_ATTR_SOURCE_ADDRESS: return STUN_SLOT_SOURCE_ADDRESS;
	case STUN_ATTR_CHANGED_ADDRESS: return STUN_SLOT_CHANGED_ADDRESS;
	case STUN_ATTR_USERNAME: return STUN_SLOT_USERNAME;
	case STUN_ATTR_MESSAGE_INTEGRITY: return STUN_SLOT_MESSAGE_INTEGRITY;
	case STUN_ATTR_ERROR_CODE: return STUN_SLOT_ERROR_CODE;
	case STUN_ATTR_UNKNOWN_ATTRIBUTES: return STUN_SLOT_UNKNOWN_ATTRIBUTES;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256: return STUN_SLOT_MESSAGE_INTEGRITY_SHA256;
	case STUN_ATTR_XOR_MAPPED_ADDRESS: return STUN_SLOT_XOR_MAPPED_ADDRESS;
	case STUN_ATTR_PADDING: return STUN_SLOT_PADDING;
	case STUN_ATTR_RESPONSE_PORT: return STUN_SLOT_RESPONSE_PORT;
	case STUN_ATTR_SOFTWARE: return STUN_SLOT_SOFTWARE;
	case STUN_ATTR_FINGERPRINT: return STUN_SLOT_FINGERPRINT;
	case STUN_ATTR_RESPONSE_ORIGIN: return STUN_SLOT_RESPONSE_ORIGIN;
	case STUN_ATTR_OTHER_ADDRESS: return STUN_SLOT_OTHER_ADDRESS;
	default: return -1;
	}
}

static bool understood_type(uint16_t type, uint64_t understood)
{
	if (type >= STUN_ATTR_OPTIONAL_MIN)
		return true;
	return type < 64 && (understood & STUN_BIT(type));
}

static void note_unknown(struct stun_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->n_unknown; i++)
		if (m->unknown[i] == type)
			return;
	if (m->n_unknown < STUN_MAX_UNKNOWN)
		m->unknown[m->n_unknown++] = type;
}

enum stun_drop_reason stun_parse(struct stun_msg *m, const uint8_t *buf,
				 size_t len, enum stun_transport t,
				 enum stun_classic classic, uint64_t understood)
{
	m->buf = buf;
	m->n_unknown = 0;
	m->n_attrs = 0;
	m->fp_present = false;
	memset(m->off, 0, sizeof(m->off));

	/* Header (conformance items 1-5). */
	if (len < STUN_HDR_LEN)
		return STUN_DROP_SHORT;
	if (buf[0] & 0xC0)
		return STUN_DROP_TOP_BITS;
	uint16_t body = rd16(buf + 2);
	if (body & 3)
		return STUN_DROP_LEN_ALIGN;
	if ((size_t)body + STUN_HDR_LEN != len)
		return STUN_DROP_LEN_MISMATCH;
	m->len = (uint32_t)len;
	m->type = rd16(buf);
	m->method = (m->type & 0x000F) | ((m->type & 0x00E0) >> 1) |
		    ((m->type & 0x3E00) >> 2);
	m->cls = (uint8_t)(((m->type >> 7) & 2) | ((m->type >> 4) & 1));
	m->classic = rd32(buf + 4) != STUN_MAGIC_COOKIE;
	if (m->classic) {
		/* Item 50: classic only over UDP and only Binding Request. */
		if (classic == STUN_CLASSIC_NONE || t != STUN_TRANSPORT_UDP)
			return STUN_DROP_NO_COOKIE;
		if (classic == STUN_CLASSIC_REQUEST ?
			    m->type != STUN_BINDING_REQUEST :
			    m->type != STUN_BINDING_SUCCESS &&
				    m->type != STUN_BINDING_ERROR)
			return STUN_DROP_CLASSIC_TYPE;
	}

	/* Attribute walk strictly inside the header length (item 13). */
	uint32_t off = STUN_HDR_LEN, last = 0;
	while (off < len) {
		if (off + STUN_ATTR_HDR_LEN > len)
			return STUN_DROP_ATTR_OVERRUN;
		uint16_t at = rd16(buf + off);
		uint32_t al = rd16(buf + off + 2);
		if (off + STUN_ATTR_HDR_LEN + pad4(al) > len)
			return STUN_DROP_ATTR_OVERRUN;
		int s = type_slot(at);
		if (s >= 0 && !m->off[s])
			m->off[s] = (uint16_t)off;
		if (!understood_type(at, understood))
			note_unknown(m, at);
		m->n_attrs++;
		last = off;
		off += STUN_ATTR_HDR_LEN + pad4(al);
	}

	/* FINGERPRINT (item 43): last, length 4, CRC over what precedes it. */
	uint16_t fp = m->off[STUN_SLOT_FINGERPRINT];
	if (fp) {
		if (fp != last)
			return STUN_DROP_FP_NOT_LAST;
		if (rd16(buf + fp + 2) != 4)
			return STUN_DROP_FP_LEN;
		if (stun_fingerprint(buf, fp) != rd32(buf + fp + 4))
			return STUN_DROP_FP_CRC;
		m->fp_present = true;
	}
	return STUN_DROP_NONE;
}

long stun_frame_len(const uint8_t *buf, size_t avail)
{
	if (avail < 8)
		return avail >= 4 && ((buf[0] & 0xC0) || (rd16(buf + 2) & 3)) ? -1 : 0;
	if ((buf[0] & 0xC0) || (rd16(buf + 2) & 3) ||
	    rd32(buf + 4) != STUN_MAGIC_COOKIE)
		return -1;
	size_t need = (size_t)rd16(buf + 2) + STUN_HDR_LEN;
	return avail >= need ? (long)need : 0;
}

const uint8_t *stun_find_attr(const struct stun_msg *m, uint16_t type,
			      uint16_t *len)
{
	uint32_t off = STUN_HDR_LEN;

	while (off + STUN_ATTR_HDR_LEN <= m->len) {
		uint16_t al = rd16(m->buf + off + 2);
		if (rd16(m->buf + off) == type) {
			*len = al;
			return m->buf + off + STUN_ATTR_HDR_LEN;
		}
		off += STUN_ATTR_HDR_LEN + pad4(al);
	}
	return NULL;
}

/* Address attributes (item 17): 0, family, port, 4 or 16 address bytes. */
int stun_decode_addr(struct stun_addr *a, const uint8_t *v, uint16_t len)
{
	if (len < 4)
		return -1;
	a->family = v[1];
	a->port = rd16(v + 2);
	memset(a->ip, 0, sizeof(a->ip));
	if (v[1] == STUN_FAMILY_IPV4 && len == STUN_ADDR_V4_VALUE_LEN) {
		memcpy(a->ip, v + 4, 4);
		return 0;
	}
	if (v[1] == STUN_FAMILY_IPV6 && len == STUN_ADDR_V6_VALUE_LEN) {
		memcpy(a->ip, v + 4, 16);
		return 0;
	}
	return -1;
}

/* XOR-MAPPED-ADDRESS (item 18): port ^ 0x2112, address ^ cookie || tid. */
int stun_decode_xor_addr(struct stun_addr *a, const uint8_t *v, uint16_t len,
			 const uint8_t *tid12)
{
	uint8_t key[16] = { 0x21, 0x12, 0xA4, 0x42 };

	if (stun_decode_addr(a, v, len))
		return -1;
	memcpy(key + 4, tid12, STUN_TID_LEN);
	a->port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	for (int i = 0; i < (a->family == STUN_FAMILY_IPV4 ? 4 : 16); i++)
		a->ip[i] ^= key[i];
	return 0;
}

/* ERROR-CODE (item 32): 21 zero bits, class 3 bits, number 8 bits, reason. */
int stun_decode_error(const uint8_t *v, uint16_t len, int *code,
		      const char **reason, uint16_t *reason_len)
{
	if (len < 4)
		return -1;
	int cls = v[2] & 7, num = v[3];
	if (cls < 1 || cls > 6 || num > 99)
		return -1;
	*code = cls * 100 + num;
	*reason = (const char *)v + 4;
	*reason_len = (uint16_t)(len - 4);
	return 0;
}

int stun_decode_unknown(const uint8_t *v, uint16_t len, uint16_t *out,
			unsigned int cap, unsigned int *n)
{
	if (len & 1)
		return -1;
	*n = 0;
	for (unsigned i = 0; i < len / 2u && *n < cap; i++)
		out[(*n)++] = rd16(v + 2 * i);
	return 0;
}

int stun_decode_change_request(const uint8_t *v, uint16_t len, uint32_t *flags)
{
	if (len != 4)
		return -1;
	*flags = rd32(v);
	return 0;
}

int stun_decode_response_port(const uint8_t *v, uint16_t len, uint16_t *port)
{
	if (len != 2 && len != 4)
		return -1;
	*port = rd16(v);
	return 0;
}
