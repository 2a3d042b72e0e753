/* SPDX-License-Identifier: MIT */
/*
 * test_stream.c - the TCP stream core (src/daemon/stream_conn.c) without
 * any engine or socket: what an engine would do, done by hand.
 *   - a stream of requests of every size up to --tcp-max-message, fed in
 *     random pieces (1 to 300 bytes) while the "peer" reads the replies in
 *     random pieces and now and then not at all: the bytes sent equal the
 *     codec's answers to each request in order, exactly, and the input
 *     buffer never overflows (backpressure: the core pauses, then resumes);
 *   - bytes that cannot be STUN and a header announcing more than the
 *     maximum close the connection as soon as they are seen;
 *   - a peer that never reads: paused, then overflow only past 2 x max;
 *   - the pool: full, per-source cap, slots come back;
 *   - the timers: first-message and idle deadlines, in order;
 *   - the abuse limits: the answers a bucket grants, then a close once they
 *     are sent.
 */
#include "test_util.h"

#include "daemon/settings.h"
#include "daemon/stream_conn.h"
#include "daemon/stream_sources.h"
#include "daemon/worker.h"

/* stream_conn.c logs drops at debug level through the worker. */
void worker_log_drop(const struct worker *w, enum stun_drop_reason reason,
		     const struct stun_addr *peer)
{
	(void)w, (void)reason, (void)peer;
}

#define MAX_MSG 512

static struct worker W;
static struct daemon_config CFG;
static struct settings S;
static struct stun_addr PEER, LOCAL;

static void setup_worker(unsigned int max_conns, unsigned int per_source)
{
	memset(&W, 0, sizeof(W));
	memset(&S, 0, sizeof(S));
	config_defaults(&CFG);
	CFG.max_conns = max_conns;
	CFG.max_conns_per_source = per_source;
	CFG.tcp_max_msg = MAX_MSG;
	CFG.tcp_first_ns = 5000;
	CFG.tcp_idle_ns = 30000;
	for (int f = 0; f < FAM_COUNT; f++) {
		stun_server_cfg_init(&S.tcp[f]);
		S.tcp[f].transport = STUN_TRANSPORT_TCP;
	}
	W.used_settings = &S;
	W.limits = &S.limits;
	W.cfg = &CFG;
	W.limiter.now = 1000;
	stream_sources_free();
	assert_int_equal(stream_sources_init(max_conns, per_source), 0);
	assert_int_equal(stream_pool_init(&W.tcp, &CFG, 1), 0);
	stun_addr_parse(&PEER, "192.0.2.7:40000", 0);
	stun_addr_parse(&LOCAL, "198.51.100.1:3478", 0);
}

static void teardown_worker(void)
{
	stream_pool_free(&W.tcp);
	stream_sources_free();
}

static struct stream_conn *open_from(const char *peer)
{
	struct stun_addr a;
	enum stream_close why;

	stun_addr_parse(&a, peer, 0);
	return stream_open(&W, &W.tcp, 99, &a, &LOCAL, 0, &why);
}

/* A Binding Request of exactly len bytes (20 + a SOFTWARE attribute). */
static size_t make_request(uint8_t *m, size_t len, uint32_t seq)
{
	memset(m, 0, len);
	m[1] = 1;
	m[2] = (uint8_t)((len - 20) >> 8);
	m[3] = (uint8_t)(len - 20);
	m[4] = 0x21, m[5] = 0x12, m[6] = 0xa4, m[7] = 0x42;
	memcpy(m + 8, &seq, 4);
	if (len > 20) {
		size_t v = len - 24;
		m[20] = 0x80, m[21] = 0x22, m[22] = (uint8_t)(v >> 8), m[23] = (uint8_t)v;
		memset(m + 24, 'a', v);
	}
	return len;
}

static void random_splits(void **state)
{
	static uint8_t in[1 << 20], want[1 << 21], got[1 << 21];
	size_t in_len = 0, want_len = 0, got_len = 0, fed = 0;
	struct stream_conn *c;
	(void)state;

	setup_worker(4, 0);
	srand(13);
	for (uint32_t seq = 0; in_len < sizeof(in) - MAX_MSG; seq++) {
		/* Sizes 20 to MAX_MSG, multiples of 4, small ones more often. */
		size_t len = 20 + 4 * (size_t)(rand() % (rand() % 4 ? 8 : (MAX_MSG - 20) / 4 + 1));
		struct stun_reply rep;

		make_request(in + in_len, len, seq);
		assert_int_not_equal(stun_respond(in + in_len, len, &PEER, &LOCAL, &S.tcp[0],
						  want + want_len, 2 * MAX_MSG, &rep),
				     STUN_VERDICT_DROP);
		want_len += rep.len;
		in_len += len;
	}
	c = open_from("192.0.2.7:40000");
	assert_non_null(c);
	unsigned int pauses = 0;
	while (fed < in_len || stream_out_pending(c)) {
		/* The peer reads some of what is pending, or nothing. */
		if (stream_out_pending(c) && rand() % 4 == 0) {
			uint32_t n = 1 + (uint32_t)rand() % stream_out_pending(c);
			memcpy(got + got_len, stream_out(&W.tcp, c), n);
			got_len += n;
			stream_sent(c, n);
			if (c->paused)
				assert_int_equal(stream_resume(&W, &W.tcp, c), -1);
		}
		/* The engine reads only while not paused, at most MAX_MSG. */
		if (!c->paused && fed < in_len) {
			size_t n = 1 + (size_t)rand() % 300;
			if (n > MAX_MSG)
				n = MAX_MSG;
			if (n > in_len - fed)
				n = in_len - fed;
			assert_int_equal(stream_input(&W, &W.tcp, c, in + fed, n), -1);
			fed += n;
			pauses += c->paused;
		}
	}
	assert_int_equal(c->in_len, 0);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	assert_true(pauses > 0);
	assert_int_equal(W.stats.tcp_closed[STREAM_CLOSE_OVERFLOW], 0);
	print_message("%zu request bytes, %zu reply bytes, %u pauses\n", in_len, want_len, pauses);
	teardown_worker();
}

static void closes(void **state)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	uint8_t big[4] = { 0x00, 0x01, (MAX_MSG - 20 + 4) >> 8, (MAX_MSG - 20 + 4) & 0xff };
	uint8_t max[MAX_MSG];
	struct stream_conn *c;
	(void)state;

	setup_worker(4, 0);
	c = open_from("192.0.2.7:1");
	assert_int_equal(stream_input(&W, &W.tcp, c, http, sizeof(http) - 1), STREAM_CLOSE_NOT_STUN);
	stream_closing(&W, &W.tcp, c, STREAM_CLOSE_NOT_STUN);
	stream_release(&W.tcp, c);
	/* Too big: known from the first 4 bytes. */
	c = open_from("192.0.2.7:2");
	assert_int_equal(stream_input(&W, &W.tcp, c, big, 3), -1);
	assert_int_equal(stream_input(&W, &W.tcp, c, big + 3, 1), STREAM_CLOSE_TOO_BIG);
	stream_release(&W.tcp, c);
	/* Exactly the maximum is answered. */
	c = open_from("192.0.2.7:3");
	make_request(max, MAX_MSG, 1);
	assert_int_equal(stream_input(&W, &W.tcp, c, max, MAX_MSG), -1);
	assert_true(stream_out_pending(c) > 0);
	stream_release(&W.tcp, c);
	/* Classic (no cookie) on a stream. */
	c = open_from("192.0.2.7:4");
	max[4] = 0;
	assert_int_equal(stream_input(&W, &W.tcp, c, max, 20), STREAM_CLOSE_NOT_STUN);
	stream_release(&W.tcp, c);
	teardown_worker();
}

static void never_reads(void **state)
{
	uint8_t req[20];
	struct stream_conn *c;
	int rc = -1;
	unsigned int n = 0;
	(void)state;

	setup_worker(4, 0);
	c = open_from("192.0.2.7:5");
	make_request(req, 20, 0);
	while (!c->paused)
		assert_int_equal(stream_input(&W, &W.tcp, c, req, 20), -1);
	/* An engine stops reading now; one that did not would overflow
	 * only once 2 x MAX_MSG bytes are kept. */
	while (rc < 0 && n < 1000) {
		rc = stream_input(&W, &W.tcp, c, req, 20);
		n++;
	}
	assert_int_equal(rc, STREAM_CLOSE_OVERFLOW);
	/* The request that found no room was kept, then 50 more fitted. */
	assert_int_equal(n, (2 * MAX_MSG - 20) / 20 + 1);
	assert_int_equal(c->in_len, 2 * MAX_MSG);
	assert_true(stream_out_pending(c) <= MAX_MSG + 2 * STUN_RESPONSE_OVERHEAD);
	stream_release(&W.tcp, c);
	teardown_worker();
}

static void pool_and_sources(void **state)
{
	struct stream_conn *c[4];
	enum stream_close why;
	struct stun_addr a;
	(void)state;

	setup_worker(3, 2);
	c[0] = open_from("192.0.2.1:1");
	c[1] = open_from("192.0.2.1:2");
	assert_non_null(c[0]);
	assert_non_null(c[1]);
	stun_addr_parse(&a, "192.0.2.1:3", 0);
	assert_null(stream_open(&W, &W.tcp, 9, &a, &LOCAL, 0, &why));
	assert_int_equal(why, STREAM_CLOSE_PER_SOURCE);
	c[2] = open_from("[2001:db8::1]:1");
	assert_non_null(c[2]);
	stun_addr_parse(&a, "192.0.2.9:3", 0);
	assert_null(stream_open(&W, &W.tcp, 9, &a, &LOCAL, 0, &why));
	assert_int_equal(why, STREAM_CLOSE_MAX_CONNS);
	stream_release(&W.tcp, c[0]);
	c[3] = open_from("192.0.2.1:4");
	assert_non_null(c[3]);
	assert_int_equal(W.stats.tcp_accepted, 6);
	assert_int_equal(W.stats.tcp_closed[STREAM_CLOSE_PER_SOURCE], 1);
	assert_int_equal(W.stats.tcp_closed[STREAM_CLOSE_MAX_CONNS], 1);
	teardown_worker();
}

static void timers(void **state)
{
	uint8_t req[20];
	struct stream_conn *a, *b, *x;
	enum stream_close why;
	(void)state;

	setup_worker(4, 0);
	make_request(req, 20, 0);
	a = open_from("192.0.2.1:1");	/* first message due at 6000 */
	W.limiter.now = 2000;
	b = open_from("192.0.2.1:2");	/* due at 7000 */
	assert_null(stream_expired(&W.tcp, 5999, &why));
	W.limiter.now = 3000;
	assert_int_equal(stream_input(&W, &W.tcp, b, req, 20), -1);	/* idle: 33000 */
	x = stream_expired(&W.tcp, 6000, &why);
	assert_ptr_equal(x, a);
	assert_int_equal(why, STREAM_CLOSE_FIRST_TIMEOUT);
	stream_closing(&W, &W.tcp, a, why);
	assert_null(stream_expired(&W.tcp, 32999, &why));
	x = stream_expired(&W.tcp, 33000, &why);
	assert_ptr_equal(x, b);
	assert_int_equal(why, STREAM_CLOSE_IDLE_TIMEOUT);
	teardown_worker();
}

/* --rate-limit 3/3: 6 requests in one segment get the 3 answers the
 * bucket grants, in order; the connection reads nothing more and closes
 * (rate_limit) once they are sent, not before. */
static void rate_limited(void **state)
{
	uint8_t reqs[6 * 20], junk[20];
	struct stun_limits l = { .rate = 3, .burst = 3, .prefix4 = 32, .prefix6 = 64 };
	struct stream_conn *c;
	(void)state;

	setup_worker(4, 0);
	assert_int_equal(limiter_init(&W.limiter), 0);
	W.limiter.now = 1000;
	limit_params_init(&S.limits, &l, 1);
	for (uint32_t i = 0; i < 6; i++)
		make_request(reqs + 20 * i, 20, i);
	c = open_from("192.0.2.7:40000");
	assert_non_null(c);
	assert_int_equal(stream_input(&W, &W.tcp, c, reqs, sizeof(reqs)), -1);
	assert_true(c->paused);
	assert_int_equal(W.stats.tcp_limited[LIMIT_RATE], 1);
	uint32_t pending = stream_out_pending(c), off = 0;
	const uint8_t *out = stream_out(&W.tcp, c);
	for (uint32_t i = 0; i < 3; i++) {	/* the replies, in order */
		assert_memory_equal(out + off + 8, reqs + 20 * i + 8, 12);
		off += 20u + (uint32_t)(out[off + 2] << 8 | out[off + 3]);
	}
	assert_int_equal(off, pending);
	/* More bytes the engine had read: ignored, not an overflow. */
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(stream_input(&W, &W.tcp, c, junk, sizeof(junk)), -1);
	stream_sent(c, pending - 1);
	assert_int_equal(stream_resume(&W, &W.tcp, c), -1);	/* one byte left */
	stream_sent(c, 1);
	assert_int_equal(stream_resume(&W, &W.tcp, c), STREAM_CLOSE_RATE_LIMIT);
	assert_int_equal(W.stats.tcp_answered[FAM_IPV4], 3);
	/* A new connection from the same source, bucket empty: closes at
	 * once, nothing queued. */
	c = open_from("192.0.2.7:40001");
	assert_int_equal(stream_input(&W, &W.tcp, c, reqs, 20), STREAM_CLOSE_RATE_LIMIT);
	assert_int_equal(stream_out_pending(c), 0);
	assert_int_equal(W.stats.tcp_limited[LIMIT_RATE], 2);
	memset(&S.limits, 0, sizeof(S.limits));
	limiter_free(&W.limiter);
	teardown_worker();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_splits),
		cmocka_unit_test(closes),
		cmocka_unit_test(never_reads),
		cmocka_unit_test(pool_and_sources),
		cmocka_unit_test(timers),
		cmocka_unit_test(rate_limited),
	};
	return cmocka_run_group_tests_name("stream core", tests, NULL, NULL);
}
