/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stream.c - libFuzzer harness over the TCP stream core
 * (src/daemon/stream_conn.c) of a small pool, driven the way an engine
 * drives it: connections open and close, bytes arrive in chunks split
 * anywhere (valid requests, garbage, both), the peer reads its replies in
 * pieces or not at all, sends are in flight while more input comes, the
 * clock moves and the timers fire, the abuse limits refuse.
 *
 * Input: byte 0 the setup (the maximum message, the limits, SOFTWARE),
 * then operations, one opcode byte and its argument bytes each (see
 * step()).  The bytes a peer sends are appended to its "wire" (either a
 * request the harness builds, with an ID of its own, or raw input bytes)
 * and delivered to the core in chunks of any size.
 *
 * The model, per connection: the wire bytes delivered so far, framed at
 * once with stun_frame_len (no pieces, no pausing), each message answered
 * with stun_respond into the expected reply stream.  Invariants:
 *  - in_len <= in_cap, out_off <= out_len <= out_cap, and the bytes a send
 *    in flight reads do not move under it (ASan: no access out of bounds);
 *  - the bytes the peer reads are exactly a prefix of the expected reply
 *    stream: every reply well-formed, in order, none lost or repeated
 *    (with the limits on, the stream may end early, never differ);
 *  - a close names a reason the call may give: not_stun / too_big only
 *    where the model finds that very fault in the delivered bytes (a
 *    header with both may give either, depending on the split),
 *    overflow only on a paused connection, rate_limit / acl only with
 *    the limits on, and then only once its granted replies were all sent;
 *    refusals at open: max_connections exactly when the pool is full,
 *    per_source exactly when the source has its cap;
 *  - the timer lists: each holds open connections of its kind, linked
 *    both ways, deadlines in order; an expired one is due;
 *  - every close is counted once, and at the end the pool is whole again.
 */
#include "daemon/settings.h"
#include "daemon/stream_conn.h"
#include "daemon/stream_sources.h"
#include "daemon/worker.h"
#include "fuzz_check.h"

#include <string.h>

#define NCONN 3
#define PER_SOURCE 2
#define NSRC 3
#define WIRE_MAX 16384
#define RX_MAX 16384		/* above any out_cap */
#define WANT_MAX (8 * WIRE_MAX)	/* replies: at most 20 + ~140 for 20 bytes */

void worker_log_drop(const struct worker *w, enum stun_drop_reason reason,
		     const struct stun_addr *peer)
{
	(void)w, (void)reason, (void)peer;
}

struct peer {
	struct stream_conn *c;	/* NULL: no connection */
	int src;
	uint8_t wire[WIRE_MAX];	/* what the peer sent, in order */
	uint32_t wire_len, delivered;
	/* The model: framed up to here, its replies, a fault found. */
	uint32_t framed;
	uint8_t want[WANT_MAX];
	uint32_t want_len;
	int fault;		/* 0, or bits 1 << STREAM_CLOSE_NOT_STUN / _TOO_BIG */
	uint32_t got;		/* reply bytes the peer read */
	/* A send in flight: the bytes it reads, as they were. */
	bool sending;
	const uint8_t *send_ptr;
	uint32_t send_len;
	uint8_t send_copy[RX_MAX];
};

static struct worker W;
static struct daemon_config CFG;
static struct settings S;
static struct stun_addr SRC[NSRC], LOCAL;
static struct peer P[NCONN + 1];	/* one more than the pool: refusals */
static int per_src[NSRC];
static bool limits_on;
static uint64_t closes;
static struct limiter LIMITER;
static struct stream_pool POOLS[4], *pool;
static uint32_t next_id;

static const uint8_t *D;
static size_t N, POS;

static unsigned int take(void)
{
	return POS < N ? D[POS++] : 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The model frames what was delivered, as the core must. */
static void model_frame(struct peer *q)
{
	/* At a fault the model stays on that message: as more of it is
	 * delivered, the other fault may show too (the core, paused, may
	 * look at it only then). */
	while (q->framed < q->delivered) {
		const uint8_t *m = q->wire + q->framed;
		uint32_t avail = q->delivered - q->framed;
		long fl = stun_frame_len(m, avail);
		struct stun_reply rep;

		/* A header with both faults: which one the core sees first
		 * depends on the split (4 to 7 bytes show the length, not
		 * the cookie), so either is right. */
		if (avail >= 4 && 20u + rd16(m + 2) > W.tcp.max_msg)
			q->fault |= 1 << STREAM_CLOSE_TOO_BIG;
		if (fl < 0)
			q->fault |= 1 << STREAM_CLOSE_NOT_STUN;
		if (q->fault)
			return;
		if (fl == 0)
			return;
		CHECK(q->want_len + (uint32_t)fl + STUN_RESPONSE_OVERHEAD <= WANT_MAX, "model room");
		if (stun_respond(m, (size_t)fl, &SRC[q->src], &LOCAL, &S.tcp[fam_index(&SRC[q->src])],
				 q->want + q->want_len, WANT_MAX - q->want_len, &rep) != STUN_VERDICT_DROP)
			q->want_len += rep.len;
		q->framed += (uint32_t)fl;
	}
}

static void check_conn(const struct peer *q)
{
	const struct stream_conn *c = q->c;

	CHECK(c->state == STREAM_OPEN, "state %u", c->state);
	CHECK(c->in_len <= W.tcp.in_cap, "in_len %u > %u", c->in_len, W.tcp.in_cap);
	CHECK(c->out_off <= c->out_len && c->out_len <= W.tcp.out_cap,
	      "out %u..%u cap %u", c->out_off, c->out_len, W.tcp.out_cap);
	if (q->sending)
		CHECK(!memcmp(q->send_ptr, q->send_copy, q->send_len),
		      "bytes under a send in flight moved");
	if (c->finish)
		CHECK(limits_on && c->paused, "finish without limits or not paused");
}

/* The timer lists: linked both ways, open connections of their kind,
 * deadlines in order. */
static void check_timers(void)
{
	uint32_t seen = 0;

	for (unsigned int t = 0; t < 2; t++) {
		uint32_t i = W.tcp.timers[t].head, prev = STREAM_NIL;
		uint64_t last = 0;

		while (i != STREAM_NIL) {
			const struct stream_conn *c = &W.tcp.conns[i];

			CHECK(i < W.tcp.n && ++seen <= W.tcp.n, "timer list loops");
			CHECK(c->state == STREAM_OPEN && c->timer == t + 1, "timer %u: state %u timer %u",
			      t, c->state, c->timer);
			CHECK(c->prev == prev, "timer %u: prev link", t);
			CHECK(c->deadline >= last, "timer %u: deadlines out of order", t);
			last = c->deadline;
			prev = i;
			i = c->next;
		}
		CHECK(W.tcp.timers[t].tail == prev, "timer %u: tail", t);
	}
}

static void release(struct peer *q, enum stream_close why)
{
	stream_closing(&W, &W.tcp, q->c, why);
	stream_release(&W.tcp, q->c);
	closes++;
	per_src[q->src]--;
	q->c = NULL;
	q->sending = false;
}

/* What a call returned: go on, or the close it asks for (and may ask). */
static void handle(struct peer *q, int rc, bool input)
{
	CHECK(rc >= -1 && rc < STREAM_CLOSE_COUNT, "rc %d", rc);
	if (rc < 0) {
		check_conn(q);
		/* A fault in what the core looked at closes at once; it may
		 * not have looked yet only while paused. */
		if (q->fault && !q->c->paused)
			CHECK(0, "fault 0x%x in the delivered bytes, connection still open", q->fault);
		return;
	}
	switch (rc) {
	case STREAM_CLOSE_NOT_STUN:
	case STREAM_CLOSE_TOO_BIG:
		CHECK(q->fault & (1 << rc), "closed %s, the model found 0x%x", stream_close_name(rc),
		      q->fault);
		break;
	case STREAM_CLOSE_OVERFLOW:
		CHECK(input && q->c->paused, "overflow while not paused");
		break;
	case STREAM_CLOSE_RATE_LIMIT:
	case STREAM_CLOSE_ACL:
		CHECK(limits_on, "%s without limits", stream_close_name(rc));
		CHECK(!stream_out_pending(q->c), "%s with replies unsent", stream_close_name(rc));
		break;
	default:
		CHECK(0, "stream_%s may not ask for %s", input ? "input" : "resume",
		      stream_close_name(rc));
	}
	release(q, (enum stream_close)rc);
}

/* The peer reads n bytes of what is pending (a send completed). */
static void read_replies(struct peer *q, uint32_t n)
{
	const uint8_t *out = stream_out(&W.tcp, q->c);

	CHECK(n <= stream_out_pending(q->c), "read past pending");
	CHECK(q->got + n <= q->want_len, "replies beyond the model's: got %u + %u > %u",
	      q->got, n, q->want_len);
	CHECK(!memcmp(out, q->want + q->got, n), "reply bytes differ from the model at %u", q->got);
	q->got += n;
	stream_sent(q->c, n);
	if (q->c->paused)
		handle(q, stream_resume(&W, &W.tcp, q->c), false);
}

static void deliver(struct peer *q, uint32_t n)
{
	if (n > q->wire_len - q->delivered)
		n = q->wire_len - q->delivered;
	const uint8_t *chunk = q->wire + q->delivered;

	q->delivered += n;
	model_frame(q);
	handle(q, stream_input(&W, &W.tcp, q->c, chunk, n), true);
}

/* A Binding Request of 20 + 4 * k bytes: SOFTWARE padding, FINGERPRINT
 * (right or wrong), or a comprehension-required unknown attribute. */
static void append_request(struct peer *q, unsigned int k, unsigned int kind)
{
	uint32_t len = 20 + 4 * k;
	uint8_t *m = q->wire + q->wire_len;
	uint32_t id = ++next_id;

	if (q->wire_len + len > WIRE_MAX)
		return;
	memset(m, 0, len);
	m[1] = kind & 8 ? 0x11 : 1;	/* an indication: no answer */
	m[2] = (uint8_t)((len - 20) >> 8);
	m[3] = (uint8_t)(len - 20);
	m[4] = 0x21, m[5] = 0x12, m[6] = 0xa4, m[7] = 0x42;
	memcpy(m + 8, &id, 4);
	if (k >= 2) {
		uint32_t fp_room = (kind & 3) && k >= 4 ? 8 : 0;
		uint32_t v = len - 24 - fp_room;

		m[20] = kind & 4 ? 0x00 : 0x80;	/* 0x0022: unknown, comprehension-required */
		m[21] = 0x22, m[22] = (uint8_t)(v >> 8), m[23] = (uint8_t)v;
		memset(m + 24, 'a', v);
		if (fp_room) {
			uint32_t crc = stun_crc32(m, len - 8) ^ 0x5354554e;

			if ((kind & 3) == 2)
				crc ^= 1;	/* wrong: dropped by the codec */
			m[len - 8] = 0x80, m[len - 7] = 0x28, m[len - 6] = 0, m[len - 5] = 4;
			m[len - 4] = (uint8_t)(crc >> 24), m[len - 3] = (uint8_t)(crc >> 16);
			m[len - 2] = (uint8_t)(crc >> 8), m[len - 1] = (uint8_t)crc;
		}
	}
	q->wire_len += len;
}

static void append_raw(struct peer *q, unsigned int n)
{
	while (n-- && POS < N && q->wire_len < WIRE_MAX)
		q->wire[q->wire_len++] = D[POS++];
}

static void open_conn(unsigned int arg)
{
	struct peer *q = NULL;
	enum stream_close why;
	int src = (int)(arg % NSRC);

	for (int i = 0; i < NCONN + 1 && !q; i++)
		if (!P[i].c)
			q = &P[i];
	if (!q)
		return;
	bool full = W.tcp.open == W.tcp.n, capped = per_src[src] >= PER_SOURCE;
	struct stream_conn *c = stream_open(&W, &W.tcp, 100, &SRC[src], &LOCAL, 0, &why);

	if (!c) {
		CHECK(why == STREAM_CLOSE_MAX_CONNS ? full : why == STREAM_CLOSE_PER_SOURCE ?
		      !full && capped : why == STREAM_CLOSE_ACL && limits_on,
		      "refused as %s: full %d capped %d", stream_close_name(why), full, capped);
		closes++;
		return;
	}
	CHECK(!full && !capped, "opened over a cap: full %d capped %d", full, capped);
	q->wire_len = q->delivered = q->framed = q->want_len = q->got = 0;
	q->fault = 0;
	q->sending = false;
	q->c = c;
	q->src = src;
	per_src[src]++;
}

static struct peer *pick(unsigned int arg)
{
	struct peer *q = &P[arg % (NCONN + 1)];

	return q->c ? q : NULL;
}

static void step(void)
{
	unsigned int op = take(), a = take();
	struct peer *q = pick(a >> 4);

	switch (op % 10) {
	case 0:
		open_conn(a);
		break;
	case 1:		/* a request appended, then delivered in pieces later */
		if (q)
			append_request(q, take() % ((W.tcp.max_msg + 16) / 4 - 4), a & 15);
		break;
	case 2:		/* raw bytes from the input */
		if (q)
			append_raw(q, (a & 15) + 1);
		break;
	case 3:		/* a chunk of 1..256 bytes delivered (the engine reads
			 * a paused peer only now and then: a completion in flight) */
	case 4:
		if (q && (!q->c->paused || (a & 1)))
			deliver(q, take() + 1);
		break;
	case 5:		/* a whole send completes */
		if (q && !q->sending && stream_out_pending(q->c))
			read_replies(q, stream_out_pending(q->c));
		break;
	case 6:		/* a send starts (the core may not move those bytes)... */
		if (q && !q->sending && stream_out_pending(q->c)) {
			q->sending = true;
			q->c->sending = true;
			q->send_ptr = stream_out(&W.tcp, q->c);
			q->send_len = stream_out_pending(q->c);
			memcpy(q->send_copy, q->send_ptr, q->send_len);
		}
		break;
	case 7:		/* ...and completes, with part of them */
		if (q && q->sending) {
			uint32_t n = 1 + take() * 16 % q->send_len;

			check_conn(q);
			q->sending = false;
			q->c->sending = false;
			read_replies(q, n);
		}
		break;
	case 8: {	/* time passes; the timers fire */
		enum stream_close why;
		struct stream_conn *c;

		W.limiter.now += (uint64_t)a * a * 1000;
		while ((c = stream_expired(&W.tcp, W.limiter.now, &why))) {
			struct peer *e = NULL;

			CHECK(c->state == STREAM_OPEN && c->deadline <= W.limiter.now, "expired early");
			CHECK(why == (c->timer == 1 ? STREAM_CLOSE_FIRST_TIMEOUT : STREAM_CLOSE_IDLE_TIMEOUT),
			      "expired as %s on timer %u", stream_close_name(why), c->timer);
			for (int i = 0; i < NCONN + 1; i++)
				if (P[i].c == c)
					e = &P[i];
			CHECK(e, "an expired connection nobody holds");
			e->sending = false;
			release(e, why);
		}
		break;
	}
	default:	/* the peer goes away */
		if (q) {
			q->sending = false;
			release(q, a & 1 ? STREAM_CLOSE_PEER : STREAM_CLOSE_ERROR);
		}
		break;
	}
	for (int i = 0; i < NCONN + 1; i++)
		if (P[i].c)
			check_conn(&P[i]);
	check_timers();
}

static void setup(unsigned int b)
{
	static const unsigned int max_msg[4] = { 128, 256, 548, 2048 };

	memset(&W, 0, sizeof(W));
	memset(&S, 0, sizeof(S));
	config_defaults(&CFG);
	CFG.max_conns = NCONN;
	CFG.max_conns_per_source = PER_SOURCE;
	CFG.tcp_max_msg = max_msg[b & 3];
	CFG.tcp_first_ns = 5000000;
	CFG.tcp_idle_ns = 30000000;
	for (int f = 0; f < FAM_COUNT; f++) {
		stun_server_cfg_init(&S.tcp[f]);
		S.tcp[f].transport = STUN_TRANSPORT_TCP;
		S.tcp[f].classic = b & 4;	/* over TCP: closes anyway (no cookie) */
		S.tcp[f].always_fingerprint = b & 8;
		if (b & 16)
			stun_server_cfg_software(&S.tcp[f], "stunring fuzz");
	}
	limits_on = b & 0x60;
	if (limits_on) {
		struct stun_limits l = { .prefix4 = 32, .prefix6 = 64 };

		if (b & 0x20)
			l.rate = 1000, l.burst = 1 + (b >> 7) * 7, l.err_rate = 500, l.err_burst = 2;
		if (b & 0x40)
			l.max_rate = 5000;
		if ((b & 0x60) == 0x60) {	/* deny SRC[2] */
			l.n_deny = 1;
			memcpy(l.deny[0].addr, SRC[2].ip, 16);
			l.deny[0].len = 128;
		}
		limit_params_init(&S.limits, &l, 1);
	}
	W.used_settings = &S;
	W.limits = &S.limits;
	W.cfg = &CFG;
	/* The limiter's table (256 KiB) and the pools are made once: making
	 * them per input cost 90% of the time.  Each input starts from the
	 * same state all the same: the buckets zeroed, the pool whole (the
	 * end of every input checks it) with its free list in index order. */
	if (!LIMITER.table)
		CHECK(limiter_init(&LIMITER) == 0, "limiter");
	else if (limits_on)
		memset(LIMITER.table, 0, LIMIT_SETS * LIMIT_WAYS * sizeof(*LIMITER.table));
	LIMITER.cap_tat = 0;
	W.limiter = LIMITER;
	W.limiter.now = 1000000000;
	CHECK(stream_sources_init(NCONN, PER_SOURCE) == 0, "sources");
	pool = &POOLS[b & 3];
	if (!pool->arena_bytes)
		CHECK(stream_pool_init(pool, &CFG, 1) == 0, "pool");
	for (uint32_t i = 0; i < pool->n; i++)
		pool->conns[i].next = i + 1 < pool->n ? i + 1 : STREAM_NIL;
	pool->free_head = 0;
	W.tcp = *pool;
	memset(per_src, 0, sizeof(per_src));
	for (int i = 0; i < NCONN + 1; i++)
		P[i].c = NULL;
	closes = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;

	if (!once) {
		stun_addr_parse(&SRC[0], "192.0.2.7:40000", 0);
		stun_addr_parse(&SRC[1], "192.0.2.8:40000", 0);
		stun_addr_parse(&SRC[2], "[2001:db8::9]:40000", 0);
		stun_addr_parse(&LOCAL, "198.51.100.1:3478", 0);
		once = true;
	}
	D = data, N = size, POS = 0;
	setup(take());
	while (POS < N)
		step();
	/* SIGTERM: every connection closes; the pool is whole again. */
	for (int i = 0; i < NCONN + 1; i++)
		if (P[i].c) {
			P[i].sending = false;
			release(&P[i], STREAM_CLOSE_SHUTDOWN);
		}
	uint64_t counted = 0;
	for (int r = 0; r < STREAM_CLOSE_COUNT; r++)
		counted += W.stats.tcp_closed[r];
	CHECK(counted == closes, "closes counted %llu, made %llu", (unsigned long long)counted,
	      (unsigned long long)closes);
	CHECK(W.tcp.open == 0, "%u still held", W.tcp.open);
	uint32_t free_n = 0;
	for (uint32_t i = W.tcp.free_head; i != STREAM_NIL; i = W.tcp.conns[i].next)
		CHECK(++free_n <= W.tcp.n, "free list loops");
	CHECK(free_n == W.tcp.n, "free list holds %u of %u", free_n, W.tcp.n);
	for (int s = 0; s < NSRC; s++) {	/* per-source counts back to 0 */
		for (int k = 0; k < PER_SOURCE; k++)
			CHECK(stream_source_take(&SRC[s]), "source %d not released", s);
		for (int k = 0; k < PER_SOURCE; k++)
			stream_source_put(&SRC[s]);
	}
	*pool = W.tcp;
	stream_sources_free();
	return 0;
}
