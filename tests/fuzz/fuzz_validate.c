/* SPDX-License-Identifier: MIT */
/*
 * fuzz_validate.c - libFuzzer harness over stunload's answer check
 * (bench/stunload/validate.c): the datagram is what the network sent
 * back, judged against a transaction table holding requests the harness
 * sent (some answered, some timed out, some slots reused).
 *
 * Input: byte 0 the expectation (MAP_SELF, MAP_IP, MAP_IP_PORT, MAP_ANY
 * and the families), byte 1 how many requests were sent, byte 2 how they
 * end up, byte 3 what the harness does to the datagram (see prepare()),
 * bytes 4.. one kind byte per request, then the datagram.  The salt in
 * the IDs is random per table, so a fuzzer would hardly ever find a
 * matching ID; prepare() can copy a sent ID in (and XOR-encode the
 * XOR-MAPPED-ADDRESS values, which are then written plain in the input),
 * so that valid answers, near misses and duplicates are all reached.
 *
 * What stunload promises (its "valid" count is its measure of a server):
 *  - V_VALID only for a Binding success to a request that was outstanding,
 *    whose ID is byte for byte the one sent (cookie included), and whose
 *    mapped address, read here by an independent walk of the attributes
 *    (the first XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS for classic, and any
 *    MAPPED-ADDRESS next to an XOR one), is what the expectation says;
 *  - V_UNSUPPORTED only for a 420 error to an outstanding CHANGE-REQUEST
 *    with that request's ID;
 *  - a request changes state at most once per datagram, only from
 *    outstanding to answered, and only when the ID is its own;
 *  - V_INVALID always names a reason; V_LATE only for an ID that was sent.
 */
#include "validate.h"
#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE 16
#define MAX_SENT 24

static const uint8_t cookie[4] = { 0x21, 0x12, 0xA4, 0x42 };

struct sent {
	struct tx_entry *e;
	uint32_t seq;
	uint8_t wire_tid[16];	/* bytes 4..19 of the request */
	bool classic;
	uint8_t kind;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The value of the first attribute of type at in the message (its header
 * length; a walk that stops at anything malformed), or NULL. */
static const uint8_t *first_attr(const uint8_t *m, size_t len, uint16_t at, uint16_t *vlen)
{
	size_t end = 20 + (size_t)rd16(m + 2), off = 20;

	if (end > len)
		end = len;
	while (off + 4 <= end) {
		uint16_t t = rd16(m + off), l = rd16(m + off + 2);
		if (off + 4 + l > end)
			return NULL;
		if (t == at) {
			*vlen = l;
			return m + off + 4;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

/* An address value (xor: XOR-MAPPED-ADDRESS under the message's cookie
 * and ID): 0, or -1 when it is not one. */
static int decode(const uint8_t *v, uint16_t l, const uint8_t *msg, bool xor,
		  struct stun_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (l < 4)	/* v[0] is reserved: ignored, as RFC 8489 14.1 says */
		return -1;
	if (!(v[1] == 1 && l == 8) && !(v[1] == 2 && l == 20))
		return -1;
	a->family = v[1];
	a->port = (uint16_t)(rd16(v + 2) ^ (xor ? 0x2112 : 0));
	for (unsigned i = 0; i < (v[1] == 1 ? 4u : 16u); i++)
		a->ip[i] = (uint8_t)(v[4 + i] ^ (xor ? msg[4 + i] : 0));
	return 0;
}

static bool expected(const struct stun_addr *m, const struct expect *x)
{
	/* MAP_ANY: any address of the socket's own family. */
	const struct stun_addr *w = x->mode == MAP_IP || x->mode == MAP_IP_PORT ? &x->addr
										  : &x->self;
	size_t n = m->family == 2 ? 16 : 4;

	if (m->family != w->family)
		return false;
	if (x->mode == MAP_ANY)
		return true;
	if (memcmp(m->ip, w->ip, n))
		return false;
	return x->mode == MAP_IP || m->port == w->port;
}

/* byte 3: bit 0 copy sent ID number (bit 4-7) in; bit 1 XOR-encode every
 * XOR-MAPPED-ADDRESS value; bit 2 then flip bit (byte 1 bits) of the ID. */
static void prepare(uint8_t *m, size_t len, uint8_t how, const struct sent *s, unsigned n,
		    uint8_t flip)
{
	if (len < 20)
		return;
	if (how & 1) {
		const struct sent *r = &s[(how >> 4) % n];
		memcpy(m + 4, r->wire_tid, 16);
	}
	if (how & 2) {
		size_t end = 20 + (size_t)rd16(m + 2), off = 20;
		if (end > len)
			end = len;
		while (off + 4 <= end) {
			uint16_t t = rd16(m + off), l = rd16(m + off + 2);
			if (off + 4 + l > end)
				break;
			if (t == 0x0020 && l >= 4) {
				m[off + 6] ^= 0x21;
				m[off + 7] ^= 0x12;
				for (unsigned i = 0; i + 8 < 4u + l && i < 16; i++)
					m[off + 8 + i] ^= m[4 + i];
			}
			off += 4 + ((l + 3u) & ~3u);
		}
	}
	if (how & 4)
		m[4 + (flip >> 3) % 16] ^= (uint8_t)(1u << (flip & 7));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[2048];
	struct sent s[MAX_SENT];
	uint8_t before[MAX_SENT], tid[16];
	struct txtable t;
	struct expect x;

	if (size < 4)
		return 0;
	unsigned n = 1 + data[1] % MAX_SENT;
	if (size < 4 + n || size - 4 - n > sizeof(msg))
		return 0;
	uint8_t cfg = data[0], fate = data[2], how = data[3];
	const uint8_t *kinds = data + 4;
	size_t len = size - 4 - n;
	memcpy(msg, data + 4 + n, len);

	memset(&x, 0, sizeof(x));
	x.mode = (enum map_expect)(cfg & 3);
	stun_addr_parse(&x.self, (cfg & 4) ? "[2001:db8::1]:40000" : "192.0.2.1:40000", 0);
	stun_addr_parse(&x.addr, (cfg & 8) ? "[2001:db8::77]:5000" : "203.0.113.5:5000", 0);

	if (tx_init(&t, TABLE, 42 + (cfg >> 4)))
		abort();
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t kind = kinds[i] % REQ_KIND_COUNT;
		bool classic = kind == REQ_CLASSIC;
		struct tx_entry *e = tx_alloc(&t, i, kind, classic, tid);
		if (!e)
			continue;
		s[k].e = e;
		s[k].seq = e->seq;
		s[k].classic = classic;
		s[k].kind = kind;
		if (classic) {
			memcpy(s[k].wire_tid, tid, 16);
		} else {
			memcpy(s[k].wire_tid, cookie, 4);
			memcpy(s[k].wire_tid + 4, tid + 4, 12);
		}
		/* Some were answered already, or given up on. */
		if (kinds[i] & 0x80)
			tx_answered(&t, e);
		k++;
	}
	if (fate & 0x80)
		tx_expire(&t, fate & 0x1F);
	if (!k) {
		tx_free(&t);
		return 0;
	}
	prepare(msg, len, how, s, k, data[1]);
	for (unsigned i = 0; i < k; i++)
		before[i] = s[i].e->seq == s[i].seq ? s[i].e->state : 0xFF;

	struct tx_entry *matched = (struct tx_entry *)1;
	enum bad_kind bad = BAD_KIND_COUNT;
	enum verdict v = sl_validate(msg, len, fate & 0x40, &t, &x, &matched, &bad);

	/* Which sent request does the datagram's ID name (bytes 4..19)? */
	int mine = -1;
	for (unsigned i = 0; len >= 20 && i < k; i++)
		if (!memcmp(msg + 4, s[i].wire_tid, 16) &&
		    s[i].e->seq == s[i].seq)
			mine = (int)i;
	unsigned changed = 0;
	for (unsigned i = 0; i < k; i++) {
		uint8_t now = s[i].e->seq == s[i].seq ? s[i].e->state : 0xFF;
		if (now == before[i])
			continue;
		changed++;
		CHECK(before[i] == TX_OUTSTANDING && now == TX_ANSWERED && (int)i == mine,
		      "request %u went from %u to %u (ID names %d)", i, before[i], now, mine);
	}
	CHECK(changed <= 1, "%u requests changed", changed);

	switch (v) {
	case V_VALID:
	case V_UNSUPPORTED: {
		CHECK(mine >= 0 && matched == s[mine].e && before[mine] == TX_OUTSTANDING,
		      "verdict %d for an ID not outstanding (mine %d)", v, mine);
		CHECK(changed == 1, "verdict %d left the request as it was", v);
		uint16_t type = rd16(msg);
		if (v == V_UNSUPPORTED) {
			CHECK(type == 0x0111 && s[mine].kind == REQ_CHANGE,
			      "unsupported: type %04x kind %u", type, s[mine].kind);
			break;
		}
		CHECK(type == 0x0101, "valid: type %04x", type);
		CHECK(!(fate & 0x40), "valid although truncated");
		CHECK((size_t)rd16(msg + 2) + 20 == len, "valid: length %u of %zu",
		      rd16(msg + 2), len);
		uint16_t l;
		const uint8_t *a;
		struct stun_addr m;
		bool classic = s[mine].classic;
		a = first_attr(msg, len, classic ? 0x0001 : 0x0020, &l);
		CHECK(a && !decode(a, l, msg, !classic, &m) && expected(&m, &x),
		      "valid with a wrong or missing mapped address (classic %d)", classic);
		if (!classic && (a = first_attr(msg, len, 0x0001, &l)))
			CHECK(!decode(a, l, msg, false, &m) && expected(&m, &x),
			      "valid with a wrong MAPPED-ADDRESS next to XOR-MAPPED");
		break;
	}
	case V_INVALID:
		CHECK(bad < BAD_KIND_COUNT, "invalid without a reason");
		CHECK(bad != BAD_WRONG_TID || changed == 0 || mine >= 0, "wrong ID changed state");
		break;
	case V_LATE:
		CHECK(matched == NULL && changed == 0, "late answer changed state");
		CHECK(len >= 20 && !memcmp(msg + 12, t.salt, 8), "late answer to an ID never sent");
		break;
	default:
		CHECK(0, "verdict %d", v);
	}
	if (v != V_VALID && v != V_UNSUPPORTED && !(v == V_INVALID && changed))
		CHECK(changed == 0, "verdict %d changed a request", v);
	tx_free(&t);
	return 0;
}
