/* SPDX-License-Identifier: MIT */
/*
 * e2e_stun_client.c - the STUN client of the end-to-end tests: real UDP
 * sockets against a running stunringd (loopback or a test namespace only).
 *
 *   e2e_stun_client check --server IP:PORT [--clients N] [--requests K]
 *                         [--window W] [--bind IP] [--expect-from IP:PORT]
 *       N sockets (N source ports), K requests each, W in flight per socket.
 *       Every response must answer an outstanding transaction, come from the
 *       server's address, carry the socket's own address as the (XOR-)
 *       MAPPED-ADDRESS, and echo FINGERPRINT exactly when the request had
 *       one (checked with zlib's CRC-32, independent of the codec).  Modern
 *       and RFC 3489 classic requests are mixed.  Exit 0 only if every
 *       request got exactly one correct answer.
 *
 *   e2e_stun_client proto --server IP:PORT
 *       Protocol cases, one "ok - NAME" / "not ok - NAME: why" line each:
 *       attribute variants, 420s, and datagrams that must get no reply
 *       (each followed by a valid request whose answer must be the very next
 *       datagram, so a stray reply or a disturbed server is caught).
 *
 *   e2e_stun_client load --server IP:PORT [--clients N] [--window W]
 *                        [--max-seconds S] [--idle-ms I]
 *       Keep N x W requests in flight until the server stops answering for
 *       I ms (or S seconds pass); print "received=N" (valid answers, each
 *       transaction at most once) for the shutdown test.
 *
 *   e2e_stun_client once|once-fp|once-classic --server IP:PORT
 *       One request (plain, with FINGERPRINT, or RFC 3489 classic); print
 *       the status, whether the mapped address is ours, FINGERPRINT
 *       presence and validity and SOFTWARE, for the option tests.
 */
#include "stunring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_CLIENTS 1024
#define MAX_WINDOW 64

struct opts {
	struct stun_addr server;
	struct stun_addr expect_from;	/* family 0: the server address */
	struct stun_addr bind;		/* family 0: loopback of the family */
	unsigned int clients, requests, window, max_seconds, idle_ms;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible per seed, good enough for IDs and noise. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 32);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("e2e_stun_client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* A UDP socket bound to an ephemeral port; *self = its own address. */
static int open_client(const struct opts *o, struct stun_addr *self)
{
	struct stun_addr b = o->bind;
	struct sockaddr_in6 ss;
	socklen_t len;
	int fd, sz = 1 << 20;

	if (!b.family) {
		memset(&b, 0, sizeof(b));
		b.family = o->server.family;
		if (b.family == STUN_FAMILY_IPV4)
			memcpy(b.ip, "\x7f\0\0\x01", 4);
		else
			b.ip[15] = 1;
	}
	b.port = 0;
	fd = socket(b.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	len = stun_addr_to_sockaddr(&b, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind: %s", strerror(errno));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    stun_addr_from_sockaddr(self, (struct sockaddr *)&ss, len))
		die("getsockname: %s", strerror(errno));
	return fd;
}

static int send_to(int fd, const struct stun_addr *to, const void *buf, size_t n)
{
	struct sockaddr_in6 ss;
	socklen_t len = stun_addr_to_sockaddr(to, &ss);

	return sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len) == (ssize_t)n ? 0 : -1;
}

/* Receive one datagram within timeout_ms; returns its length or -1. */
static ssize_t recv_from(int fd, uint8_t *buf, size_t cap, struct stun_addr *from,
			 int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in6 ss;
	socklen_t len = sizeof(ss);
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &len);
	if (n >= 0 && from)
		stun_addr_from_sockaddr(from, (struct sockaddr *)&ss, len);
	return n;
}

/* FINGERPRINT checked with zlib, not with the codec under test. */
static bool fingerprint_valid(const uint8_t *m, size_t n)
{
	uint32_t want, got;

	if (n < 28 || m[n - 8] != 0x80 || m[n - 7] != 0x28 || m[n - 6] || m[n - 5] != 4)
		return false;
	want = (uint32_t)crc32(0, m, (uInt)(n - 8)) ^ STUN_FINGERPRINT_XOR;
	got = (uint32_t)m[n - 4] << 24 | (uint32_t)m[n - 3] << 16 |
	      (uint32_t)m[n - 2] << 8 | m[n - 1];
	return want == got;
}

/* Walk the attributes (a byte pattern at the end is not enough: the last
 * bytes of an XOR-ed IPv6 address are random). */
static bool has_fingerprint_attr(const uint8_t *m, size_t n)
{
	size_t off = 20;
	uint16_t last = 0;

	while (off + 4 <= n) {
		uint16_t type = (uint16_t)(m[off] << 8 | m[off + 1]);
		size_t len = (size_t)(m[off + 2] << 8 | m[off + 3]);

		last = type;
		off += 4 + ((len + 3) & ~(size_t)3);
	}
	return off == n && last == STUN_ATTR_FINGERPRINT;
}

/* ------------------------------------------------------------------------ */
/* check: many clients, every answer verified                               */
/* ------------------------------------------------------------------------ */

struct pending {
	uint8_t tid[16];
	bool used, classic, fp;
};

struct client {
	int fd;
	struct stun_addr self;
	unsigned int sent, done;
	struct pending win[MAX_WINDOW];
};

static unsigned long n_bad;

__attribute__((format(printf, 1, 2)))
static void bad(const char *fmt, ...)
{
	va_list ap;

	if (n_bad++ < 10) {
		fputs("check: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static void send_next(const struct opts *o, struct client *c, unsigned int slot)
{
	struct pending *p = &c->win[slot];
	struct stun_request_opts ro;
	uint8_t req[128];
	size_t n;

	memset(&ro, 0, sizeof(ro));
	/* Mix: modern, modern + FINGERPRINT, modern + SOFTWARE + FP, classic. */
	switch (c->sent % 4) {
	case 1: ro.fingerprint = true; break;
	case 2: ro.fingerprint = true; ro.software = "e2e client"; break;
	case 3: ro.classic = true; break;
	}
	rnd_bytes(p->tid, 16);
	p->classic = ro.classic;
	p->fp = ro.fingerprint;
	p->used = true;
	n = stun_build_request(req, sizeof(req), p->tid, &ro);
	if (!n || send_to(c->fd, &o->server, req, n))
		die("send: %s", strerror(errno));
	c->sent++;
}

/* Match and verify one response; returns the slot it answered or -1. */
static int verify(const struct opts *o, struct client *c, const uint8_t *buf,
		  size_t n, const struct stun_addr *from)
{
	const struct stun_addr *want_from = o->expect_from.family ? &o->expect_from
								  : &o->server;
	char a[STUN_ADDR_STRLEN], b[STUN_ADDR_STRLEN];

	for (unsigned int i = 0; i < o->window; i++) {
		struct pending *p = &c->win[i];
		struct stun_response_info info;

		/* Match on the ID bytes first (16 classic, cookie + 12 modern). */
		if (!p->used || n < 20 ||
		    memcmp(buf + (p->classic ? 4 : 8), p->tid, p->classic ? 16 : 12))
			continue;
		enum stun_resp_status st = stun_parse_response(buf, n, p->tid, p->classic,
							       &info);
		p->used = false;
		if (st != STUN_RESP_OK) {
			bad("%s: response status %s", stun_addr_format(&c->self, a, sizeof(a)),
			    stun_resp_status_name(st));
			return (int)i;
		}
		if (!stun_addr_equal(from, want_from))
			bad("answer came from %s, expected %s",
			    stun_addr_format(from, a, sizeof(a)),
			    stun_addr_format(want_from, b, sizeof(b)));
		else if (!stun_addr_equal(&info.mapped, &c->self))
			bad("mapped address %s, expected the client's own %s",
			    stun_addr_format(&info.mapped, a, sizeof(a)),
			    stun_addr_format(&c->self, b, sizeof(b)));
		else if (p->classic && (info.has_xor_mapped || !info.has_mapped ||
					has_fingerprint_attr(buf, n)))
			bad("classic answer with XOR-MAPPED-ADDRESS or FINGERPRINT, or "
			    "without MAPPED-ADDRESS");
		else if (!p->classic && !info.has_xor_mapped)
			bad("modern answer without XOR-MAPPED-ADDRESS");
		else if (!p->classic && p->fp != has_fingerprint_attr(buf, n))
			bad("FINGERPRINT %s in the answer to a request %s one",
			    p->fp ? "missing" : "present", p->fp ? "with" : "without");
		else if (p->fp && !fingerprint_valid(buf, n))
			bad("FINGERPRINT CRC wrong");
		else
			c->done++;
		return (int)i;
	}
	bad("a datagram that answers no outstanding request (%zu bytes)", n);
	return -1;
}

static int cmd_check(const struct opts *o)
{
	static struct client cl[MAX_CLIENTS];
	static struct pollfd pfd[MAX_CLIENTS];
	unsigned long total = (unsigned long)o->clients * o->requests, done = 0;
	uint64_t last = now_ms();
	uint8_t buf[2048];

	for (unsigned int i = 0; i < o->clients; i++) {
		cl[i].fd = open_client(o, &cl[i].self);
		pfd[i] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		for (unsigned int s = 0; s < o->window && cl[i].sent < o->requests; s++)
			send_next(o, &cl[i], s);
	}
	for (;;) {
		unsigned long answered = 0;
		int r = poll(pfd, o->clients, 200);

		for (unsigned int i = 0; r > 0 && i < o->clients; i++) {
			struct stun_addr from;
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((n = recv_from(cl[i].fd, buf, sizeof(buf), &from, 0)) >= 0) {
				int slot = verify(o, &cl[i], buf, (size_t)n, &from);

				answered++;
				if (slot >= 0 && cl[i].sent < o->requests)
					send_next(o, &cl[i], (unsigned)slot);
			}
		}
		if (answered)
			last = now_ms();
		done = 0;
		unsigned long outstanding = 0;
		for (unsigned int i = 0; i < o->clients; i++) {
			done += cl[i].done;
			for (unsigned int s = 0; s < o->window; s++)
				outstanding += cl[i].win[s].used;
		}
		if (!outstanding || now_ms() - last > 2000) {
			printf("check: clients=%u requests=%lu correct=%lu bad=%lu lost=%lu\n",
			       o->clients, total, done, n_bad, outstanding);
			return done == total && !n_bad ? 0 : 1;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* load: for the shutdown test                                               */
/* ------------------------------------------------------------------------ */

static int cmd_load(const struct opts *o)
{
	static struct client cl[MAX_CLIENTS];
	static struct pollfd pfd[MAX_CLIENTS];
	unsigned long received = 0, sent = 0;
	uint64_t start = now_ms(), last = start;
	uint8_t buf[2048];
	struct opts lo = *o;

	lo.requests = ~0u;
	for (unsigned int i = 0; i < o->clients; i++) {
		cl[i].fd = open_client(o, &cl[i].self);
		pfd[i] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		for (unsigned int s = 0; s < o->window; s++)
			send_next(&lo, &cl[i], s);
	}
	while (now_ms() - last < o->idle_ms && now_ms() - start < o->max_seconds * 1000ull) {
		if (poll(pfd, o->clients, 50) <= 0)
			continue;
		for (unsigned int i = 0; i < o->clients; i++) {
			struct stun_addr from;
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((n = recv_from(cl[i].fd, buf, sizeof(buf), &from, 0)) >= 0) {
				unsigned long before = cl[i].done;
				int slot = verify(&lo, &cl[i], buf, (size_t)n, &from);

				received += cl[i].done - before;
				last = now_ms();
				/* Stop feeding once the server stops (the test sends
				 * SIGTERM): outstanding requests then simply idle. */
				if (slot >= 0)
					send_next(&lo, &cl[i], (unsigned)slot);
			}
		}
	}
	for (unsigned int i = 0; i < o->clients; i++)
		sent += cl[i].sent;
	printf("load: sent=%lu received=%lu bad=%lu seconds=%.1f\n", sent, received,
	       n_bad, (double)(now_ms() - start) / 1000.0);
	return n_bad ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* proto: one line per case                                                   */
/* ------------------------------------------------------------------------ */

static int n_fail;
static unsigned int p_success, p_error;
static int pfd_fd;
static struct stun_addr p_self;
static const struct opts *p_opts;

__attribute__((format(printf, 2, 3)))
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	fputs(ok ? "ok - " : "not ok - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	n_fail += !ok;
}

/* Append an attribute to a message under construction (raw, so we can
 * write what the codec's writer never would). */
static size_t put_attr(uint8_t *m, size_t n, uint16_t type, const void *v, uint16_t len)
{
	m[n] = (uint8_t)(type >> 8), m[n + 1] = (uint8_t)type;
	m[n + 2] = (uint8_t)(len >> 8), m[n + 3] = (uint8_t)len;
	memcpy(m + n + 4, v, len);
	n += 4 + len;
	while (n & 3)
		m[n++] = 0;
	return n;
}

static void set_len(uint8_t *m, size_t n)
{
	m[2] = (uint8_t)((n - 20) >> 8);
	m[3] = (uint8_t)(n - 20);
}

static size_t put_fingerprint(uint8_t *m, size_t n)
{
	uint8_t v[4];
	uint32_t crc;

	set_len(m, n + 8);
	crc = (uint32_t)crc32(0, m, (uInt)n) ^ STUN_FINGERPRINT_XOR;
	v[0] = (uint8_t)(crc >> 24), v[1] = (uint8_t)(crc >> 16);
	v[2] = (uint8_t)(crc >> 8), v[3] = (uint8_t)crc;
	return put_attr(m, n, STUN_ATTR_FINGERPRINT, v, 4);
}

/* A Binding Request header with a fresh transaction ID; returns 20. */
static size_t header(uint8_t *m, uint16_t type, uint8_t *tid)
{
	m[0] = (uint8_t)(type >> 8), m[1] = (uint8_t)type, m[2] = m[3] = 0;
	m[4] = 0x21, m[5] = 0x12, m[6] = 0xA4, m[7] = 0x42;
	rnd_bytes(m + 8, 12);
	if (tid)
		memcpy(tid, m + 8, 12);
	return 20;
}

/* Send req, and return the next datagram (-1 after 1 s of silence). */
static ssize_t ask(const uint8_t *req, size_t n, uint8_t *resp, size_t cap,
		   struct stun_addr *from)
{
	if (send_to(pfd_fd, &p_opts->server, req, n)) {
		fprintf(stderr, "proto: send: %s\n", strerror(errno));
		return -1;
	}
	ssize_t r = recv_from(pfd_fd, resp, cap, from, 1000);

	/* What the daemon's totals must count: answers that arrived. */
	if (r >= 2 && resp[0] == 0x01 && resp[1] == 0x01)
		p_success++;
	else if (r >= 2 && resp[0] == 0x01 && resp[1] == 0x11)
		p_error++;
	return r;
}

/* A plain valid request whose answer must be the next datagram: proves
 * the previous datagram got no reply and the server still works. */
static bool probe_ok(const char *after)
{
	uint8_t req[64], resp[2048], tid[12];
	struct stun_response_info info;
	struct stun_addr from;
	size_t n = header(req, STUN_BINDING_REQUEST, tid);
	ssize_t r = ask(req, n, resp, sizeof(resp), &from);

	if (r < 0) {
		fprintf(stderr, "proto: no answer to a valid request after %s\n", after);
		return false;
	}
	if (stun_parse_response(resp, (size_t)r, tid, false, &info) != STUN_RESP_OK) {
		fprintf(stderr, "proto: after %s the next datagram was not the answer to "
			"the following valid request (a reply to the bad datagram?)\n", after);
		return false;
	}
	return stun_addr_equal(&info.mapped, &p_self);
}

/* Expect a success answer to req (tid 12 bytes, modern). */
static bool expect_success(const char *name, const uint8_t *req, size_t n,
			   const uint8_t *tid, bool want_fp, size_t want_len)
{
	uint8_t resp[2048];
	struct stun_response_info info;
	struct stun_addr from;
	char a[STUN_ADDR_STRLEN];
	ssize_t r = ask(req, n, resp, sizeof(resp), &from);
	enum stun_resp_status st;

	if (r < 0) {
		result(false, "%s: no answer", name);
		return false;
	}
	st = stun_parse_response(resp, (size_t)r, tid, false, &info);
	bool ok = st == STUN_RESP_OK && info.has_xor_mapped &&
		  stun_addr_equal(&info.mapped, &p_self) &&
		  stun_addr_equal(&from, &p_opts->server) &&
		  has_fingerprint_attr(resp, (size_t)r) == want_fp &&
		  (!want_fp || fingerprint_valid(resp, (size_t)r)) &&
		  (!want_len || (size_t)r == want_len);
	result(ok, "%s (status %s, mapped %s, %zd bytes)", name, stun_resp_status_name(st),
	       stun_addr_format(&info.mapped, a, sizeof(a)), r);
	return ok;
}

static void expect_420(const char *name, const uint8_t *req, size_t n,
		       const uint8_t *tid, const uint16_t *types, unsigned int nt,
		       bool want_fp)
{
	uint8_t resp[2048];
	struct stun_response_info info;
	struct stun_addr from;
	ssize_t r = ask(req, n, resp, sizeof(resp), &from);
	enum stun_resp_status st;
	bool ok;

	if (r < 0) {
		result(false, "%s: no answer", name);
		return;
	}
	st = stun_parse_response(resp, (size_t)r, tid, false, &info);
	ok = st == STUN_RESP_ERROR && info.error_code == 420 && info.n_unknown == nt &&
	     resp[0] == 0x01 && resp[1] == 0x11 &&
	     has_fingerprint_attr(resp, (size_t)r) == want_fp &&
	     (!want_fp || fingerprint_valid(resp, (size_t)r));
	for (unsigned int i = 0; ok && i < nt; i++)
		ok = info.unknown[i] == types[i];
	result(ok, "%s (status %s, code %d, %u unknown listed)", name,
	       stun_resp_status_name(st), info.error_code, info.n_unknown);
}

/* A datagram that must get no reply, then a probe that must. */
static void expect_silence(const char *name, const uint8_t *d, size_t n)
{
	if (send_to(pfd_fd, &p_opts->server, d, n)) {
		result(false, "%s: send: %s", name, strerror(errno));
		return;
	}
	result(probe_ok(name), "no reply to %s, next valid request answered", name);
}

static void proto_success_cases(void)
{
	uint8_t m[256], tid[12];
	bool v6 = p_opts->server.family == STUN_FAMILY_IPV6;
	size_t n;

	n = header(m, STUN_BINDING_REQUEST, tid);
	expect_success("plain Binding request", m, n, tid, false,
		       v6 ? STUN_BASIC_RESP_V6_LEN : STUN_BASIC_RESP_V4_LEN);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_fingerprint(m, n);
	expect_success("FINGERPRINT echoed and valid", m, n, tid, true, 0);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "e2e", 3);
	n = put_attr(m, n, 0x8abc, "optional", 8);	/* unknown, optional */
	set_len(m, n);
	n = put_fingerprint(m, n);
	expect_success("SOFTWARE + unknown optional attribute + FINGERPRINT", m, n, tid,
		       true, 0);

	/* RFC 3489 classic: 16-byte ID, no cookie; answered with
	 * MAPPED-ADDRESS and SOURCE-ADDRESS (the server's own address). */
	{
		uint8_t resp[2048], ctid[16];
		struct stun_request_opts ro = { .classic = true };
		struct stun_response_info info;
		struct stun_addr from;
		char a[STUN_ADDR_STRLEN];

		rnd_bytes(ctid, 16);
		n = stun_build_request(m, sizeof(m), ctid, &ro);
		ssize_t r = ask(m, n, resp, sizeof(resp), &from);
		enum stun_resp_status st = r < 0 ? STUN_RESP_NOT_STUN :
			stun_parse_response(resp, (size_t)r, ctid, true, &info);
		result(st == STUN_RESP_OK && info.has_mapped && !info.has_xor_mapped &&
		       stun_addr_equal(&info.mapped, &p_self) && info.has_origin &&
		       stun_addr_equal(&info.origin, &p_opts->server) &&
		       !memcmp(resp + 4, ctid, 16),
		       "classic RFC 3489 request: MAPPED-ADDRESS %s, SOURCE-ADDRESS is the "
		       "server (status %s)",
		       r < 0 ? "-" : stun_addr_format(&info.mapped, a, sizeof(a)),
		       stun_resp_status_name(st));
	}
}

static void proto_error_cases(void)
{
	uint8_t m[256], tid[12];
	size_t n;
	static const uint16_t two[] = { 0x0031, 0x7abc };
	static const uint16_t change[] = { STUN_ATTR_CHANGE_REQUEST };
	static const uint8_t zero4[4];

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, 0x0031, "abcd", 4);
	n = put_attr(m, n, 0x7abc, "x", 1);
	n = put_attr(m, n, 0x0031, "efgh", 4);	/* listed once */
	set_len(m, n);
	expect_420("420 for unknown comprehension-required attributes", m, n, tid, two, 2,
		   false);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, 0x7abc, "x", 1);
	set_len(m, n);
	n = put_fingerprint(m, n);
	expect_420("420 carries a valid FINGERPRINT when the request had one", m, n, tid,
		   two + 1, 1, true);

	/* Basic mode does not do RFC 5780: CHANGE-REQUEST is unknown.  (400
	 * needs RFC 5780 attributes, so only rfc5780 mode can send it.) */
	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_CHANGE_REQUEST, zero4, 4);
	set_len(m, n);
	expect_420("420 for CHANGE-REQUEST in basic mode", m, n, tid, change, 1, false);
}

static void proto_silence_cases(void)
{
	uint8_t m[4096] = { 0 }, tid[12];
	size_t n;
	char name[96];

	expect_silence("an empty datagram", m, 0);
	n = header(m, STUN_BINDING_REQUEST, tid);
	expect_silence("a 19-byte datagram", m, 19);

	n = header(m, STUN_BINDING_REQUEST, tid);
	m[0] = 0xC0;
	expect_silence("top bits set (not STUN)", m, n);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "abcd", 4);
	set_len(m, n);
	m[3] -= 2;
	expect_silence("length not a multiple of 4", m, n);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "abcd", 4);
	set_len(m, n);
	expect_silence("header length shorter than the datagram", m, n + 4);

	/* Truncations of a valid request at every 4-byte boundary and some
	 * odd ones: the header length no longer matches. */
	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "truncate me", 11);
	set_len(m, n);
	n = put_fingerprint(m, n);
	for (size_t cut = 20; cut < n; cut += 5) {
		snprintf(name, sizeof(name), "a request truncated to %zu of %zu bytes", cut, n);
		expect_silence(name, m, cut);
	}

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_fingerprint(m, n);
	m[n - 1] ^= 1;
	expect_silence("a wrong FINGERPRINT CRC", m, n);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_fingerprint(m, n);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "late", 4);
	set_len(m, n);
	expect_silence("FINGERPRINT not last", m, n);

	n = header(m, STUN_BINDING_REQUEST, tid);
	n = put_attr(m, n, STUN_ATTR_SOFTWARE, "abcdefgh", 8);
	set_len(m, n);
	m[23] = 200;	/* attribute length runs past the message */
	expect_silence("an attribute overrunning the message", m, n);

	n = header(m, STUN_BINDING_SUCCESS, tid);
	expect_silence("an unsolicited Binding success response", m, n);
	n = header(m, STUN_BINDING_ERROR, tid);
	expect_silence("an unsolicited Binding error response", m, n);
	n = header(m, STUN_BINDING_INDICATION, tid);
	expect_silence("a Binding indication", m, n);
	n = header(m, 0x0003, tid);	/* Allocate (TURN) request */
	expect_silence("a request for another method (Allocate)", m, n);

	n = header(m, 0x0002, tid);	/* classic Shared Secret request */
	memset(m + 4, 0x5a, 4);	/* no cookie */
	expect_silence("a classic non-Binding request", m, n);

	/* Larger than a receive buffer (the daemon drops, never truncates). */
	n = header(m, STUN_BINDING_REQUEST, tid);
	memset(m + n, 'p', 3900);
	n = put_attr(m, n, 0x8abc, m + n, 3900);
	set_len(m, n);
	expect_silence("an oversize (3.9 kB) request", m, n);

	/* Random noise: many datagrams, then one probe. */
	unsigned int sent = 0;
	for (unsigned int i = 0; i < 500; i++) {
		size_t len = (size_t)(rnd() % 600);
		rnd_bytes(m, len);
		if (len >= 2 && m[0] == 0 && m[1] == 1)
			m[0] = 0x80;	/* never by chance a Binding request */
		if (send_to(pfd_fd, &p_opts->server, m, len) == 0)
			sent++;
	}
	snprintf(name, sizeof(name), "%u random datagrams", sent);
	result(sent == 500 && probe_ok(name), "no reply to %s, next valid request answered",
	       name);

	/* Nothing else may arrive late either. */
	ssize_t r = recv_from(pfd_fd, m, sizeof(m), NULL, 300);
	result(r < 0, "no stray datagram after the silence cases");
}

static int cmd_proto(const struct opts *o)
{
	p_opts = o;
	pfd_fd = open_client(o, &p_self);
	proto_success_cases();
	proto_error_cases();
	proto_silence_cases();
	close(pfd_fd);
	printf("proto: received success=%u error=%u\n", p_success, p_error);
	return n_fail ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* once: one request, print what came back (option tests)                   */
/* ------------------------------------------------------------------------ */

static int cmd_once(const struct opts *o, bool classic, bool fp)
{
	struct stun_request_opts ro = { .classic = classic, .fingerprint = fp };
	struct stun_response_info info;
	struct stun_addr self, from;
	uint8_t req[128], resp[2048], tid[16];
	int fd = open_client(o, &self);
	size_t n;
	ssize_t r;

	rnd_bytes(tid, sizeof(tid));
	n = stun_build_request(req, sizeof(req), tid, &ro);
	if (!n || send_to(fd, &o->server, req, n))
		die("send: %s", strerror(errno));
	r = recv_from(fd, resp, sizeof(resp), &from, 1000);
	if (r < 0) {
		printf("once: no-answer\n");
		return 1;
	}
	enum stun_resp_status st = stun_parse_response(resp, (size_t)r, tid, classic, &info);
	printf("once: status=%s mapped_ok=%d fingerprint=%d fingerprint_ok=%d software=%.*s\n",
	       stun_resp_status_name(st), stun_addr_equal(&info.mapped, &self),
	       has_fingerprint_attr(resp, (size_t)r),
	       fingerprint_valid(resp, (size_t)r),
	       info.software ? (int)info.software_len : 1,
	       info.software ? info.software : "-");
	close(fd);
	(void)from;
	return st == STUN_RESP_OK ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
	fputs("usage: e2e_stun_client check|proto|load|once|once-fp|once-classic --server IP:PORT [--clients N] "
	      "[--requests K] [--window W] [--bind IP] [--expect-from IP:PORT] "
	      "[--max-seconds S] [--idle-ms I] [--seed N]\n", stderr);
	exit(2);
}

static unsigned int num(const char *s, unsigned int min, unsigned int max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !*s || v < min || v > max)
		die("bad number '%s' (%u..%u)", s, min, max);
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "bind", required_argument, NULL, 'b' },
		{ "expect-from", required_argument, NULL, 'f' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "idle-ms", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .clients = 50, .requests = 20, .window = 4, .max_seconds = 20,
			  .idle_ms = 1000 };
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	rng_state = (((uint64_t)now_ms() * 2654435761u) ^ ((uint64_t)getpid() << 32)) | 1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (stun_addr_parse(&o.server, optarg, STUN_DEFAULT_PORT))
				die("bad --server '%s'", optarg);
			break;
		case 'f':
			if (stun_addr_parse(&o.expect_from, optarg, STUN_DEFAULT_PORT))
				die("bad --expect-from '%s'", optarg);
			break;
		case 'b':
			if (stun_addr_parse(&o.bind, optarg, 0))
				die("bad --bind '%s'", optarg);
			break;
		case 'c': o.clients = num(optarg, 1, MAX_CLIENTS); break;
		case 'r': o.requests = num(optarg, 1, 1000000); break;
		case 'w': o.window = num(optarg, 1, MAX_WINDOW); break;
		case 'm': o.max_seconds = num(optarg, 1, 600); break;
		case 'i': o.idle_ms = num(optarg, 10, 60000); break;
		case 'S': rng_state = num(optarg, 1, ~0u); break;
		default: usage();
		}
	}
	if (!o.server.family)
		usage();
	if (!strcmp(cmd, "check"))
		return cmd_check(&o);
	if (!strcmp(cmd, "proto"))
		return cmd_proto(&o);
	if (!strcmp(cmd, "load"))
		return cmd_load(&o);
	if (!strcmp(cmd, "once"))
		return cmd_once(&o, false, false);
	if (!strcmp(cmd, "once-fp"))
		return cmd_once(&o, false, true);
	if (!strcmp(cmd, "once-classic"))
		return cmd_once(&o, true, false);
	usage();
	return 2;
}
