/* SPDX-License-Identifier: MIT */
/*
 * stun_encode.c - the bounds-checked message writer and the attribute
 * encoders (RFC 8489 section 14, RFC 5780 section 7, RFC 3489 section 11.2).
 */
#include "stunring.h"
#include "stun_bytes.h"

#include <string.h>

void stun_w_init(struct stun_writer *w, void *buf, size_t cap, uint16_t type,
		 const uint8_t *tid, bool classic)
{
	w->buf = buf;
	w->cap = cap > UINT16_MAX + STUN_HDR_LEN ? UINT16_MAX + STUN_HDR_LEN
						 : (uint32_t)cap;
	w->len = STUN_HDR_LEN;
	w->classic = classic;
	w->ovf = w->cap < STUN_HDR_LEN;
	if (w->ovf)
		return;
	wr16(w->buf, type);
	wr16(w->buf + 2, 0);
	if (classic) {
		memmove(w->buf + 4, tid, STUN_CLASSIC_TID_LEN);
	} else {
		wr32(w->buf + 4, STUN_MAGIC_COOKIE);
		memmove(w->buf + 8, tid, STUN_TID_LEN);
	}
}

/* Reserve an attribute of value length len; NULL on overflow. */
static uint8_t *w_reserve(struct stun_writer *w, uint16_t type, uint16_t len)
{
	uint32_t need = STUN_ATTR_HDR_LEN + pad4(len);

	if (w->ovf || w->cap - w->len < need) {
		w->ovf = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	wr16(p, type);
	wr16(p + 2, len);
	/* Padding is sent as zero (item 12). */
	if (len & 3)
		memset(p + STUN_ATTR_HDR_LEN + (len & ~3u), 0, 4);
	w->len += need;
	return p + STUN_ATTR_HDR_LEN;
}

void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val,
		 uint16_t len)
{
	uint8_t *p = w_reserve(w, type, len);

	if (p && len)
		memcpy(p, val, len);
}

static uint16_t addr_len(const struct stun_addr *a)
{
	return a->family == STUN_FAMILY_IPV6 ? STUN_ADDR_V6_VALUE_LEN
					     : STUN_ADDR_V4_VALUE_LEN;
}

void stun_w_addr(struct stun_writer *w, uint16_t type, const struct stun_addr *a)
{
	uint16_t len = addr_len(a);
	uint8_t *p = w_reserve(w, type, len);

	if (!p)
		return;
	p[0] = 0;
	p[1] = a->family == STUN_FAMILY_IPV6 ? STUN_FAMILY_IPV6 : STUN_FAMILY_IPV4;
	wr16(p + 2, a->port);
	memcpy(p + 4, a->ip, len - 4u);
}

void stun_w_xor_addr(struct stun_writer *w, uint16_t type,
		     const struct stun_addr *a)
{
	uint16_t len = addr_len(a);
	uint8_t *p = w_reserve(w, type, len);

	if (!p)
		return;
	/* The key is cookie || transaction ID, already in the header. */
	const uint8_t *key = w->buf + 4;
	p[0] = 0;
	p[1] = a->family == STUN_FAMILY_IPV6 ? STUN_FAMILY_IPV6 : STUN_FAMILY_IPV4;
	wr16(p + 2, a->port ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
	for (unsigned i = 0; i < len - 4u; i++)
		p[4 + i] = a->ip[i] ^ key[i];
}

void stun_w_error(struct stun_writer *w, int code, const char *reason)
{
	size_t rl = strlen(reason);
	if (rl > 763)
		rl = 763;
	/* Classic: reason padded with spaces to a multiple of 4 (item 32). */
	uint16_t vl = (uint16_t)(4 + (w->classic ? pad4((uint32_t)rl) : rl));
	uint8_t *p = w_reserve(w, STUN_ATTR_ERROR_CODE, vl);

	if (!p)
		return;
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rl);
	memset(p + 4 + rl, ' ', vl - 4 - rl);
}

void stun_w_unknown(struct stun_writer *w, const uint16_t *types, unsigned n)
{
	/* Classic: an odd count is made even by repeating one (item 35). */
	unsigned total = n + (w->classic && (n & 1));
	uint8_t *p = w_reserve(w, STUN_ATTR_UNKNOWN_ATTRIBUTES,
			       (uint16_t)(2 * total));

	if (!p)
		return;
	for (unsigned i = 0; i < total; i++)
		wr16(p + 2 * i, types[i < n ? i : n - 1]);
}

void stun_w_change_request(struct stun_writer *w, uint32_t flags)
{
	uint8_t *p = w_reserve(w, STUN_ATTR_CHANGE_REQUEST, 4);

	if (p)
		wr32(p, flags);
}

void stun_w_response_port(struct stun_writer *w, uint16_t port)
{
	/* Length 2 plus padding, as stuntman expects (item 62). */
	uint8_t *p = w_reserve(w, STUN_ATTR_RESPONSE_PORT, 2);

	if (p)
		wr16(p, port);
}

void stun_w_padding(struct stun_writer *w, uint16_t len)
{
	uint8_t *p = w_reserve(w, STUN_ATTR_PADDING, len);

	if (p)
		memset(p, 0, len);
}

void stun_w_fingerprint(struct stun_writer *w)
{
	if (w->ovf || w->cap - w->len < STUN_FINGERPRINT_ATTR_LEN) {
		w->ovf = true;
		return;
	}
	/* The CRC covers a header whose length already counts FINGERPRINT. */
	wr16(w->buf + 2, (uint16_t)(w->len + STUN_FINGERPRINT_ATTR_LEN -
				    STUN_HDR_LEN));
	uint32_t crc = stun_fingerprint(w->buf, w->len);
	uint8_t *p = w->buf + w->len;
	wr16(p, STUN_ATTR_FINGERPRINT);
	wr16(p + 2, 4);
	wr32(p + 4, crc);
	w->len += STUN_FINGERPRINT_ATTR_LEN;
}

size_t stun_w_finish(struct stun_writer *w)
{
	if (w->ovf)
		return 0;
	wr16(w->buf + 2, (uint16_t)(w->len - STUN_HDR_LEN));
	return w->len;
}
