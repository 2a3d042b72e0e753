/* SPDX-License-Identifier: MIT */
/*
 * stun_respond.c - the server's decision table (conformance.md table C and
 * sections D, E, I, J): one request in, one response (or a drop reason) out.
 *
 * The daemon calls this for every datagram, and the XDP program's tests use
 * it as the oracle, so it is written for the hot path: no allocation, one
 * pass over the request, the response written straight into the caller's
 * buffer (possibly over the request itself).
 */
#include "stunring.h"
#include "stun_bytes.h"

#include <string.h>

void stun_server_cfg_init(struct stun_server_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = STUN_MODE_BASIC;
	cfg->transport = STUN_TRANSPORT_UDP;
	cfg->classic = true;
	cfg->response_port = true;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

int stun_server_cfg_software(struct stun_server_cfg *cfg, const char *text)
{
	size_t n = text ? strlen(text) : 0;

	if (n > STUN_SOFTWARE_MAX || !valid_utf8((const uint8_t *)text, n))
		return -1;
	cfg->software = n ? text : NULL;
	cfg->software_len = (uint16_t)n;
	return 0;
}

uint64_t stun_understood_mask(const struct stun_server_cfg *cfg)
{
	uint64_t m = STUN_BIT(STUN_ATTR_MAPPED_ADDRESS) |
		     STUN_BIT(STUN_ATTR_USERNAME) |
		     STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY) |
		     STUN_BIT(STUN_ATTR_ERROR_CODE) |
		     STUN_BIT(STUN_ATTR_UNKNOWN_ATTRIBUTES) |
		     STUN_BIT(STUN_ATTR_REALM) | STUN_BIT(STUN_ATTR_NONCE) |
		     STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY_SHA256) |
		     STUN_BIT(STUN_ATTR_PASSWORD_ALGORITHM) |
		     STUN_BIT(STUN_ATTR_USERHASH) |
		     STUN_BIT(STUN_ATTR_XOR_MAPPED_ADDRESS);

	if (cfg->mode == STUN_MODE_RFC5780) {
		m |= STUN_BIT(STUN_ATTR_PADDING);
		if (cfg->has_alt)
			m |= STUN_BIT(STUN_ATTR_CHANGE_REQUEST);
		if (cfg->response_port)
			m |= STUN_BIT(STUN_ATTR_RESPONSE_PORT);
	}
	if (cfg->ice_aware)
		m |= STUN_BIT(STUN_ATTR_PRIORITY) | STUN_BIT(STUN_ATTR_USE_CANDIDATE);
	return m;
}

static enum stun_verdict drop(struct stun_reply *rep, enum stun_drop_reason r)
{
	rep->verdict = STUN_VERDICT_DROP;
	rep->reason = r;
	rep->len = 0;
	return STUN_VERDICT_DROP;
}

/* The address a client should see for a local one: the advertised IP when
 * the server sits behind a 1:1 NAT (stuntman's --primaryadvertised). */
static struct stun_addr advertised(const struct stun_server_cfg *cfg,
				   const struct stun_addr *a)
{
	struct stun_addr r = *a;
	const struct stun_addr *adv = NULL;

	if (cfg->advertise_primary.family && stun_addr_ip_equal(a, &cfg->primary))
		adv = &cfg->advertise_primary;
	else if (cfg->advertise_alt.family && stun_addr_ip_equal(a, &cfg->alt))
		adv = &cfg->advertise_alt;
	if (adv) {
		r.family = adv->family;
		memcpy(r.ip, adv->ip, sizeof(r.ip));
	}
	return r;
}

static void put_software(struct stun_writer *w, const struct stun_server_cfg *cfg)
{
	if (cfg->software_len && !w->classic)
		stun_w_attr(w, STUN_ATTR_SOFTWARE, cfg->software, cfg->software_len);
}

static enum stun_verdict finish(struct stun_writer *w, const struct stun_msg *m,
				const struct stun_server_cfg *cfg,
				struct stun_reply *rep, enum stun_verdict v)
{
	/* FINGERPRINT echo policy (item 44), never for classic (item 42). */
	if (!m->classic && (m->fp_present || cfg->always_fingerprint))
		stun_w_fingerprint(w);
	size_t n = stun_w_finish(w);
	if (!n)
		return drop(rep, STUN_DROP_NO_ROOM);
	rep->len = (uint32_t)n;
	rep->verdict = v;
	return v;
}

/* SOFTWARE and FINGERPRINT: what finish() and put_software() append. */
static uint32_t tail_len(const struct stun_msg *m, const struct stun_server_cfg *cfg)
{
	uint32_t n = 0;

	if (cfg->software_len && !m->classic)
		n += STUN_ATTR_HDR_LEN + pad4(cfg->software_len);
	if (!m->classic && (m->fp_present || cfg->always_fingerprint))
		n += STUN_FINGERPRINT_ATTR_LEN;
	return n;
}

/* Errors go from the receiving address back to the source (item 37).
 * The reason phrase is the recommended one only when the response is then
 * no larger than the request; otherwise it is empty (RFC 8489 14.8: any
 * sequence of fewer than 128 characters; RFC 3489 11.2.9: a multiple of 4
 * bytes), so an error amplifies by its mandatory attributes at most. */
static enum stun_verdict error(const struct stun_msg *m, int code,
			       const struct stun_server_cfg *cfg,
			       uint8_t *out, size_t cap, struct stun_reply *rep)
{
	static const char r420[] = "Unknown Attribute", r400[] = "Bad Request";
	const char *phrase = code == 420 ? r420 : r400;
	uint32_t plen = code == 420 ? sizeof(r420) - 1 : sizeof(r400) - 1;
	uint32_t n_unk = m->n_unknown + (m->classic && (m->n_unknown & 1));
	uint32_t bare = STUN_HDR_LEN + STUN_ATTR_HDR_LEN + 4 + tail_len(m, cfg) +
			(code == 420 ? STUN_ATTR_HDR_LEN + pad4(2 * n_unk) : 0);
	struct stun_writer w;

	if (bare + pad4(plen) > m->len)
		phrase = "";
	rep->error_code = (uint16_t)code;
	stun_w_init(&w, out, cap, STUN_BINDING_ERROR, stun_tid(m), m->classic);
	stun_w_error(&w, code, phrase);
	if (code == 420)
		stun_w_unknown(&w, m->unknown, m->n_unknown);
	put_software(&w, cfg);
	return finish(&w, m, cfg, rep, STUN_VERDICT_ERROR);
}

/* The basic-mode success (conformance "Project policy"), written with
 * straight-line stores: it is what nearly every request gets, and what the
 * XDP program reproduces byte for byte.  Same bytes as the generic writer
 * would produce (tests/unit/test_vectors.c and the fuzz harness check). */
static enum stun_verdict basic_success(const struct stun_msg *m,
				       const struct stun_addr *peer,
				       const struct stun_server_cfg *cfg,
				       uint8_t *out, size_t cap,
				       struct stun_reply *rep)
{
	bool v6 = peer->family == STUN_FAMILY_IPV6;
	uint32_t alen = v6 ? 16 : 4;
	uint32_t sw = cfg->software_len ? STUN_ATTR_HDR_LEN + pad4(cfg->software_len) : 0;
	bool fp = m->fp_present || cfg->always_fingerprint;
	uint32_t len = STUN_HDR_LEN + STUN_ATTR_HDR_LEN + 4 + alen + sw +
		       (fp ? STUN_FINGERPRINT_ATTR_LEN : 0);
	uint8_t *p;

	if (cap < len)
		return drop(rep, STUN_DROP_NO_ROOM);
	/* Cookie and transaction ID stay where they are when in place. */
	if (out != m->buf)
		memcpy(out + 4, m->buf + 4, 16);
	wr16(out, STUN_BINDING_SUCCESS);
	wr16(out + 2, (uint16_t)(len - STUN_HDR_LEN));
	p = out + STUN_HDR_LEN;
	wr16(p, STUN_ATTR_XOR_MAPPED_ADDRESS);
	wr16(p + 2, (uint16_t)(4 + alen));
	p[4] = 0;
	p[5] = v6 ? STUN_FAMILY_IPV6 : STUN_FAMILY_IPV4;
	wr16(p + 6, peer->port ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
	/* XOR with cookie || transaction ID, a word at a time. */
	for (uint32_t i = 0; i < alen; i += 4)
		wr32(p + 8 + i, rd32(peer->ip + i) ^ rd32(out + 4 + i));
	p += 8 + alen;
	if (sw) {
		wr16(p, STUN_ATTR_SOFTWARE);
		wr16(p + 2, cfg->software_len);
		memset(p + sw - 4, 0, 4);
		memcpy(p + 4, cfg->software, cfg->software_len);
		p += sw;
	}
	if (fp) {
		uint32_t crc = stun_fingerprint(out, (size_t)(p - out));
		wr16(p, STUN_ATTR_FINGERPRINT);
		wr16(p + 2, 4);
		wr32(p + 4, crc);
	}
	rep->len = len;
	rep->verdict = STUN_VERDICT_SUCCESS;
	return STUN_VERDICT_SUCCESS;
}

enum stun_verdict stun_respond(const uint8_t *req, size_t req_len,
			       const struct stun_addr *peer,
			       const struct stun_addr *local,
			       const struct stun_server_cfg *cfg,
			       uint8_t *out, size_t out_cap,
			       struct stun_reply *rep)
{
	struct stun_msg m;
	enum stun_drop_reason why;

	rep->error_code = 0;
	rep->classic = false;
	rep->padding = false;
	rep->src = *local;
	rep->dst = *peer;
	if (stun_addr_is_bogus_source(peer))
		return drop(rep, STUN_DROP_BOGUS_SOURCE);

	why = stun_parse(&m, req, req_len, cfg->transport,
			 cfg->classic ? STUN_CLASSIC_REQUEST : STUN_CLASSIC_NONE,
			 stun_understood_mask(cfg));
	if (why != STUN_DROP_NONE)
		return drop(rep, why);
	if (m.method != STUN_METHOD_BINDING)
		return drop(rep, STUN_DROP_METHOD);		/* item 7 */
	if (m.cls >= STUN_CLASS_SUCCESS)
		return drop(rep, STUN_DROP_RESPONSE);		/* item 8 */
	if (m.cls == STUN_CLASS_INDICATION)			/* item 48 */
		return drop(rep, m.n_unknown ? STUN_DROP_INDICATION_UNKNOWN
					     : STUN_DROP_INDICATION);
	rep->classic = m.classic;
	if (m.n_unknown)
		return error(&m, 420, cfg, out, out_cap, rep);	/* item 34 */

	/* The common case, kept short: basic mode answers XOR-MAPPED-ADDRESS
	 * only, from where the request arrived (its RFC 5780 attributes are
	 * not understood, so they were answered with 420 above). */
	if (!m.classic && cfg->mode == STUN_MODE_BASIC)
		return basic_success(&m, peer, cfg, out, out_cap, rep);

	/* RFC 5780 attributes; present only when understood (mask above). */
	uint16_t cr_len = 0, rp_len = 0, pad_len;
	const uint8_t *cr = stun_attr_value(&m, STUN_SLOT_CHANGE_REQUEST, &cr_len);
	const uint8_t *rp = stun_attr_value(&m, STUN_SLOT_RESPONSE_PORT, &rp_len);
	bool pad = stun_attr_value(&m, STUN_SLOT_PADDING, &pad_len) != NULL;
	uint32_t flags = 0;
	uint16_t rport = 0;
	bool tcp = cfg->transport == STUN_TRANSPORT_TCP;

	if (rp && pad)
		return error(&m, 400, cfg, out, out_cap, rep);	/* item 63 */
	if (cr) {
		if (stun_decode_change_request(cr, cr_len, &flags))
			return error(&m, 400, cfg, out, out_cap, rep);
		flags &= STUN_CHANGE_IP | STUN_CHANGE_PORT;
		if (flags && tcp)
			return error(&m, 400, cfg, out, out_cap, rep);	/* item 71 */
	}
	if (rp) {
		if (stun_decode_response_port(rp, rp_len, &rport) || rport == 0 || tcp)
			return error(&m, 400, cfg, out, out_cap, rep);	/* item 62 */
		rep->dst.port = rport;
	}

	struct stun_writer w;
	stun_w_init(&w, out, out_cap, STUN_BINDING_SUCCESS, stun_tid(&m), m.classic);


	/* Source selection (RFC 5780 6.1 Table 1, item 58): the other
	 * address is the alternate IP and port of the one we were asked on. */
	bool alt = cfg->has_alt && cfg->mode == STUN_MODE_RFC5780;
	struct stun_addr other = *local;
	if (alt) {
		bool on_primary_ip = stun_addr_ip_equal(local, &cfg->primary);
		memcpy(other.ip, on_primary_ip ? cfg->alt.ip : cfg->primary.ip, 16);
		other.port = local->port == cfg->primary.port ? cfg->alt.port
							      : cfg->primary.port;
		if (flags & STUN_CHANGE_IP)
			memcpy(rep->src.ip, other.ip, 16);
		if (flags & STUN_CHANGE_PORT)
			rep->src.port = other.port;
	}
	struct stun_addr origin = advertised(cfg, &rep->src);
	struct stun_addr other_adv = advertised(cfg, &other);

	if (m.classic) {
		/* Items 51-53: MAPPED, SOURCE, CHANGED; nothing modern. */
		stun_w_addr(&w, STUN_ATTR_MAPPED_ADDRESS, peer);
		stun_w_addr(&w, STUN_ATTR_SOURCE_ADDRESS, &origin);
		if (alt)
			stun_w_addr(&w, STUN_ATTR_CHANGED_ADDRESS, &other_adv);
	} else {
		stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, peer);
		stun_w_addr(&w, STUN_ATTR_MAPPED_ADDRESS, peer);
		stun_w_addr(&w, STUN_ATTR_RESPONSE_ORIGIN, &origin);
		if (alt)
			stun_w_addr(&w, STUN_ATTR_OTHER_ADDRESS, &other_adv);
		/* Item 64: PADDING fills the response up to the request's
		 * size and no further; a request too small to hold even the
		 * empty attribute is no fragment test and gets no answer. */
		if (pad) {
			uint32_t fixed = w.len + STUN_ATTR_HDR_LEN + tail_len(&m, cfg);
			if (!w.ovf && fixed > m.len)
				return drop(rep, STUN_DROP_PADDING_SMALL);
			stun_w_padding(&w, w.ovf ? 0 : (uint16_t)((m.len - fixed) & ~3u));
			rep->padding = true;
		}
		put_software(&w, cfg);
	}
	return finish(&w, &m, cfg, rep, STUN_VERDICT_SUCCESS);
}
