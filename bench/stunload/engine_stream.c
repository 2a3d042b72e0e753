/* SPDX-License-Identifier: MIT */
/*
 * engine_stream.c - --transport tcp and tls: one worker thread owns its
 * share of --connections, all non-blocking in one epoll set.
 *
 * Each connection carries many requests back to back (RFC 8489 6.2.2:
 * pipelined, answered in order), kept topped up to --inflight outstanding
 * (closed loop) or fed by the pacer (--rate).  Answers are framed with the
 * codec's stun_frame_len and judged exactly as UDP answers are
 * (sl_validate), against the connection's own address and port; Binding
 * Indications (keepalives a server may send) are skipped.
 *
 * --requests-per-connection K: after K requests and their answers (or
 * their timeouts) the connection is closed and a new one opened in its
 * place, so the run measures connection set-up (for TLS: handshakes;
 * with --tls-resume each new connection offers its predecessor's session,
 * so they are resumed handshakes where the server agrees).
 *
 * A connect or handshake that fails is counted, its first error kept for
 * the report, and the connection retried after a short pause; the run
 * fails only when nothing ever connected.  A connection the server closes
 * loses its outstanding requests (counted lost) and is replaced.  Buffers
 * are allocated once, before the loop.
 */
#include "engine.h"
#include "run_phase.h"
#include "cli/cli.h"
#include "pacing.h"
#include "requests.h"
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#define REQ_MAX		256	/* largest request we build */
#define ANSWER_MAX	2048	/* larger answers are "oversize" */
#define RBUF		(2 * ANSWER_MAX)
#define OBUF		2048	/* requests built, not yet written */
/* Pause before retrying a connection that failed or that the server
 * closed without answering anything: no busy loop against a refusing
 * server. */
#define RETRY_NS	100000000u

static SSL_CTX *tls_ctx;

int sl_stream_init(const struct sl_config *cfg)
{
	struct tls_client_opts o = { .insecure = cfg->tls_insecure, .ca_file = cfg->tls_ca,
				     .max_version = cfg->tls_max_version };
	char err[512];

	if (cfg->transport != TRANSPORT_TLS)
		return 0;
	tls_ctx = tls_client_ctx(&o, err, sizeof(err));
	if (!tls_ctx) {
		fprintf(stderr, "stunload: %s\n", err);
		return -1;
	}
	return 0;
}

void sl_stream_fini(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

enum conn_state {
	C_IDLE,		/* no socket; (re)connect at retry_ns */
	C_CONNECTING,	/* connect() in progress */
	C_HANDSHAKE,	/* TLS handshake in progress */
	C_READY,
};

struct conn {
	int fd;
	SSL *ssl;
	SSL_SESSION *sess;	/* --tls-resume: the last connection's */
	uint8_t state;		/* enum conn_state */
	bool want_write;	/* an SSL call asked to wait for writability */
	uint32_t events;	/* what epoll watches now */
	uint32_t gen;		/* which socket of this slot an event is for */
	uint64_t retry_ns;
	uint64_t sent_here;	/* requests sent on this connection */
	bool answered_here;	/* it got at least one answer */
	struct expect x;	/* self: this connection's own address */
	struct txtable tx;
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *obuf;
	size_t olen, ooff;
};

struct sctx {
	struct sl_worker *w;
	const struct sl_config *cfg;
	struct conn *c;
	unsigned n;
	int ep;
	struct stun_request_opts opts[REQ_KIND_COUNT];
	uint8_t mix[MIX_MAX];
	unsigned mix_len, mix_pos;
	unsigned next_conn;	/* open loop: round robin */
	bool sending;
	uint8_t *arena;
};

static void note_error(struct sl_worker *w, const char *fmt, const char *what)
{
	if (!w->conn_error[0])
		snprintf(w->conn_error, sizeof(w->conn_error), fmt, what);
}

/* An event names the slot and the generation of its socket: one queued
 * for a socket closed earlier in the same batch must not reach the
 * slot's new one. */
static uint64_t ev_data(const struct sctx *x, const struct conn *c)
{
	return (uint64_t)c->gen << 32 | (uint32_t)(c - x->c);
}

static void set_events(struct sctx *x, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.u64 = ev_data(x, c) };

	if (ev == c->events)
		return;
	if (epoll_ctl(x->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

/* Close the connection; its outstanding requests are lost.  retry: when
 * to open the next one (0: now). */
static void conn_close(struct sctx *x, struct conn *c, uint64_t retry_ns)
{
	uint32_t lost = tx_expire(&c->tx, UINT64_MAX);

	if (lost)
		CNT_ADD(x->w->c.lost, lost);
	if (c->ssl) {
		/* Keep the session for the next connection (TLS 1.3: its
		 * ticket came after the handshake, read by now). */
		if (x->cfg->tls_resume && c->state == C_READY) {
			SSL_SESSION *s = SSL_get1_session(c->ssl);

			if (s && SSL_SESSION_is_resumable(s)) {
				SSL_SESSION_free(c->sess);
				c->sess = s;
			} else {
				SSL_SESSION_free(s);
			}
		}
		/* close_notify when it was up; never wait for the peer's */
		if (c->state == C_READY)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->gen++;
	c->state = C_IDLE;
	c->events = 0;
	c->want_write = false;
	c->rlen = c->olen = c->ooff = 0;
	c->sent_here = 0;
	c->answered_here = false;
	c->retry_ns = retry_ns;
	ERR_clear_error();
}

static void conn_start(struct sctx *x, struct conn *c)
{
	const struct sl_config *cfg = x->cfg;
	struct sl_worker *w = x->w;
	struct sockaddr_storage ss;
	struct epoll_event e = { .events = EPOLLOUT, .data.u64 = ev_data(x, c) };
	socklen_t sl;
	int one = 1;

	CNT_ADD(w->c.conn_attempts, 1);
	c->fd = socket(cfg->target.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "socket: %s", strerror(errno));
		c->retry_ns = sl_now_ns() + RETRY_NS;
		return;
	}
	/* Requests leave as soon as they are built, not when Nagle lets
	 * them: latency is what is measured. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* --bind: connection k always comes from the k-th address, a fresh
	 * port each time (servers limit connections per source address). */
	if (cfg->bind.len &&
	    sl_bind_nth(c->fd, &cfg->bind, cfg->target.family == STUN_FAMILY_IPV6 ?
			AF_INET6 : AF_INET, w->first + (unsigned)(c - x->c)) < 0) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "bind (--bind): %s", strerror(errno));
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	sl = stun_addr_to_sockaddr(&cfg->target, &ss);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "connect: %s", strerror(errno));
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, c->fd, &e) < 0) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "epoll_ctl: %s", strerror(errno));
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	c->events = EPOLLOUT;
	c->state = C_CONNECTING;
}

static void refill(struct sctx *x, struct conn *c);

/* Drive the TLS handshake as far as it goes now. */
static void handshake(struct sctx *x, struct conn *c)
{
	struct sl_worker *w = x->w;
	char why[200];
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		CNT_ADD(w->c.handshakes, 1);
		if (SSL_session_reused(c->ssl))
			CNT_ADD(w->c.handshakes_resumed, 1);
		c->state = C_READY;
		set_events(x, c, EPOLLIN);
		refill(x, c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		set_events(x, c, EPOLLIN);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		set_events(x, c, EPOLLOUT);
		return;
	}
	CNT_ADD(w->c.handshake_errors, 1);
	note_error(w, "TLS handshake: %s", tls_client_why(c->ssl, r, why, sizeof(why)));
	conn_close(x, c, sl_now_ns() + RETRY_NS);
}

/* connect() finished: check how, then start TLS or send. */
static void connected(struct sctx *x, struct conn *c)
{
	struct sl_worker *w = x->w;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(int);
	char why[200];
	int err = 0;

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
	if (err) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "connect: %s", strerror(err));
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	sl = sizeof(ss);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    stun_addr_from_sockaddr(&c->x.self, (struct sockaddr *)&ss, sl)) {
		CNT_ADD(w->c.conn_errors, 1);
		note_error(w, "getsockname: %s", strerror(errno));
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	CNT_ADD(w->c.conn_established, 1);
	if (x->cfg->transport != TRANSPORT_TLS) {
		c->state = C_READY;
		set_events(x, c, EPOLLIN);
		refill(x, c);
		return;
	}
	c->ssl = tls_client_new(tls_ctx, c->fd, x->cfg->target_host, why, sizeof(why));
	if (!c->ssl) {
		CNT_ADD(w->c.handshake_errors, 1);
		note_error(w, "%s", why);
		conn_close(x, c, sl_now_ns() + RETRY_NS);
		return;
	}
	if (c->sess)
		SSL_set_session(c->ssl, c->sess);
	c->state = C_HANDSHAKE;
	handshake(x, c);
}

/* The server closed the connection, reset it, or broke TLS. */
static void peer_gone(struct sctx *x, struct conn *c)
{
	CNT_ADD(x->w->c.conn_closed_by_peer, 1);
	/* One that worked is replaced at once; one that never answered
	 * waits, so a server refusing service is not hammered. */
	conn_close(x, c, c->answered_here ? 0 : sl_now_ns() + RETRY_NS);
}

/* Write what is waiting in obuf.  Returns false when the connection was
 * closed. */
static bool flush(struct sctx *x, struct conn *c)
{
	while (c->ooff < c->olen) {
		size_t left = c->olen - c->ooff;
		ssize_t n;

		if (c->ssl) {
			int r;

			ERR_clear_error();
			r = SSL_write(c->ssl, c->obuf + c->ooff, (int)left);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					c->want_write = e == SSL_ERROR_WANT_WRITE;
					break;
				}
				CNT_ADD(x->w->c.send_errors, 1);
				peer_gone(x, c);
				return false;
			}
			n = r;
		} else {
			n = send(c->fd, c->obuf + c->ooff, left, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN) {
					c->want_write = true;
					break;
				}
				if (errno != EPIPE && errno != ECONNRESET)
					CNT_ADD(x->w->c.send_errors, 1);
				peer_gone(x, c);
				return false;
			}
		}
		c->ooff += (size_t)n;
	}
	if (c->ooff == c->olen) {
		c->ooff = c->olen = 0;
		c->want_write = false;
	}
	set_events(x, c, EPOLLIN | (c->want_write ? EPOLLOUT : 0));
	return true;
}

static uint64_t quota_left(const struct sctx *x, uint64_t want)
{
	const struct sl_worker *w = x->w;

	if (!w->quota)
		return want;
	return w->c.sent >= w->quota ? 0 :
	       (w->quota - w->c.sent < want ? w->quota - w->c.sent : want);
}

/* Build up to n requests into the connection's empty obuf and write them.
 * Returns how many were sent (they count as sent once built: a failure to
 * write them closes the connection and counts them lost). */
static unsigned send_some(struct sctx *x, struct conn *c, unsigned n)
{
	struct sl_worker *w = x->w;
	uint64_t now = sl_now_ns();
	unsigned k = 0;

	if (c->state != C_READY || c->olen)
		return 0;
	if (x->cfg->requests_per_conn) {
		uint64_t room = x->cfg->requests_per_conn - c->sent_here;

		if (room < n)
			n = (unsigned)room;
	}
	while (k < n && OBUF - c->olen >= REQ_MAX) {
		uint8_t kind = x->mix[x->mix_pos];
		uint8_t tid[16];
		struct tx_entry *e;

		e = tx_alloc(&c->tx, now, kind, false, tid);
		if (!e) {
			CNT_ADD(w->c.table_full, 1);
			break;
		}
		if (++x->mix_pos == x->mix_len)
			x->mix_pos = 0;
		c->olen += stun_build_request(c->obuf + c->olen, REQ_MAX, tid + 4,
					      &x->opts[kind]);
		k++;
	}
	if (!k)
		return 0;
	c->sent_here += k;
	CNT_ADD(w->c.sent, k);
	flush(x, c);
	return k;
}

/* Closed loop: top the connection up to --inflight outstanding. */
static void refill(struct sctx *x, struct conn *c)
{
	if (!x->sending || x->w->rate > 0)
		return;
	while (c->state == C_READY && c->tx.outstanding < x->cfg->inflight) {
		uint64_t room = quota_left(x, x->cfg->inflight - c->tx.outstanding);

		if (!room || !send_some(x, c, (unsigned)room))
			break;
	}
}

/* With --requests-per-connection: all K sent and none outstanding (each
 * answered or given up on): replace the connection. */
static bool recycle_if_done(struct sctx *x, struct conn *c)
{
	uint64_t k = x->cfg->requests_per_conn;

	if (!k || c->state != C_READY || c->sent_here < k || c->tx.outstanding)
		return false;
	CNT_ADD(x->w->c.conn_recycled, 1);
	conn_close(x, c, 0);
	if (x->sending)
		conn_start(x, c);
	return true;
}

/* Take the complete answers out of rbuf.  Returns false when the stream
 * was broken (bytes that cannot be STUN, an answer too large) and the
 * connection closed. */
static bool take_answers(struct sctx *x, struct conn *c)
{
	size_t off = 0;
	uint64_t now = sl_now_ns();

	for (;;) {
		long flen = stun_frame_len(c->rbuf + off, c->rlen - off);

		if (flen == 0 && c->rlen - off >= STUN_HDR_LEN) {
			const uint8_t *h = c->rbuf + off;

			if (STUN_HDR_LEN + ((size_t)h[2] << 8 | h[3]) > ANSWER_MAX) {
				CNT_ADD(x->w->c.invalid[BAD_OVERSIZE], 1);
				conn_close(x, c, sl_now_ns() + RETRY_NS);
				return false;
			}
		}
		if (flen < 0) {
			/* Cannot be framed: nothing after it can be trusted. */
			CNT_ADD(x->w->c.invalid[BAD_MALFORMED], 1);
			conn_close(x, c, sl_now_ns() + RETRY_NS);
			return false;
		}
		if (flen == 0)
			break;
		/* A Binding Indication is a keepalive a server may send on a
		 * stream (RFC 8489 6.2.2): not an answer, skip it. */
		if (c->rbuf[off] == 0x00 && c->rbuf[off + 1] == 0x11) {
			off += (size_t)flen;
			continue;
		}
		sl_count_answer(x->w, &c->tx, &c->x, c->rbuf + off, (size_t)flen,
				false, now);
		c->answered_here = true;
		off += (size_t)flen;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return true;
}

/* Read what the connection has.  Returns false when it was closed. */
static bool receive(struct sctx *x, struct conn *c)
{
	for (;;) {
		size_t room = RBUF - c->rlen;
		ssize_t n;

		if (c->ssl) {
			int r, e;

			ERR_clear_error();
			r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)room);
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ)
					return true;
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want_write = true;
					set_events(x, c, EPOLLIN | EPOLLOUT);
					return true;
				}
				peer_gone(x, c);
				return false;
			}
			n = r;
		} else {
			n = recv(c->fd, c->rbuf + c->rlen, room, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return true;
			if (n <= 0) {
				peer_gone(x, c);
				return false;
			}
		}
		c->rlen += (size_t)n;
		if (!take_answers(x, c))
			return false;
	}
}

static void on_event(struct sctx *x, struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case C_CONNECTING:
		connected(x, c);
		return;
	case C_HANDSHAKE:
		handshake(x, c);
		return;
	case C_READY:
		break;
	default:
		return;
	}
	(void)ev;	/* level-triggered: read and write whatever can go */
	if (c->olen && !flush(x, c))
		return;
	if (!receive(x, c))
		return;
	if (recycle_if_done(x, c))
		return;
	refill(x, c);
}

/* Open loop: send what the pacer says is due, spread over the ready
 * connections. */
static void send_due(struct sctx *x, struct pacer *p, uint64_t now)
{
	uint64_t due = quota_left(x, pacer_due(p, now));
	unsigned tried = 0;

	while (due && tried < x->n) {
		uint64_t chunk = (due + x->n - 1) / x->n;
		unsigned k;

		if (chunk > SL_BATCH)
			chunk = SL_BATCH;
		k = send_some(x, &x->c[x->next_conn], (unsigned)chunk);
		if (++x->next_conn == x->n)
			x->next_conn = 0;
		pacer_commit(p, k);
		due -= k;
		tried = k ? 0 : tried + 1;
	}
}

/* The periodic scan: time out requests, replace finished or failed
 * connections whose pause is over. */
static void scan(struct sctx *x, uint64_t now, uint64_t deadline)
{
	for (unsigned i = 0; i < x->n; i++) {
		struct conn *c = &x->c[i];
		uint32_t lost = tx_expire(&c->tx, deadline);

		if (lost)
			CNT_ADD(x->w->c.lost, lost);
		if (c->state == C_IDLE) {
			if (x->sending && now >= c->retry_ns)
				conn_start(x, c);
			continue;
		}
		if (!recycle_if_done(x, c))
			refill(x, c);
	}
}

static uint32_t outstanding(const struct sctx *x)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < x->n; i++)
		n += x->c[i].tx.outstanding;
	return n;
}

static int setup(struct sctx *x, struct sl_worker *w)
{
	memset(x, 0, sizeof(*x));
	x->w = w;
	x->cfg = w->cfg;
	x->n = w->nsocks;
	sl_request_opts(w->cfg, x->opts);
	x->mix_len = sl_build_mix(w->cfg, x->mix);
	x->mix_pos = w->id * 7919u % x->mix_len;
	x->sending = true;
	x->ep = epoll_create1(EPOLL_CLOEXEC);
	if (x->ep < 0)
		return -errno;
	x->c = calloc(x->n, sizeof(*x->c));
	x->arena = malloc((size_t)x->n * (RBUF + OBUF));
	if (!x->c || !x->arena)
		return -ENOMEM;
	for (unsigned i = 0; i < x->n; i++) {
		struct conn *c = &x->c[i];

		c->fd = -1;
		c->rbuf = x->arena + (size_t)i * (RBUF + OBUF);
		c->obuf = c->rbuf + RBUF;
		c->x.mode = w->cfg->expect;
		c->x.addr = w->cfg->expect_addr;
		if (tx_init(&c->tx, w->tx_entries,
			    w->seed + (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15)))
			return -ENOMEM;
	}
	return 0;
}

static void teardown(struct sctx *x)
{
	for (unsigned i = 0; x->c && i < x->n; i++) {
		struct conn *c = &x->c[i];

		if (c->fd >= 0 || c->ssl) {
			SSL_free(c->ssl);
			if (c->fd >= 0)
				close(c->fd);
		}
		SSL_SESSION_free(c->sess);
		tx_free(&c->tx);
	}
	free(x->c);
	free(x->arena);
	if (x->ep >= 0)
		close(x->ep);
}

static int run(struct sctx *x)
{
	struct sl_worker *w = x->w;
	bool open_loop = w->rate > 0;
	uint64_t timeout = x->cfg->timeout_ns;
	struct epoll_event evs[64];
	struct sl_phase ph;
	struct pacer pacer;

	/* The scan is also the reconnect clock: at least every 20 ms. */
	sl_phase_init(&ph, w, timeout, 20000000);
	for (unsigned i = 0; i < x->n; i++)
		conn_start(x, &x->c[i]);
	if (open_loop)
		pacer_init(&pacer, w->start_ns, w->rate, SL_BATCH);

	for (;;) {
		uint64_t now = sl_now_ns();
		struct timespec ts;
		int n;

		sl_phase_check_stop(&ph, w, &x->sending, now);
		if (x->sending && open_loop) {
			send_due(x, &pacer, now);
			CNT_ADD(w->c.pace_dropped, pacer.dropped - w->c.pace_dropped);
		}
		if (!x->sending) {
			enum sl_phase_next next = sl_phase_draining(&ph, w, now, outstanding(x) != 0);

			if (next == SL_PHASE_EXPIRE_END)
				for (unsigned i = 0; i < x->n; i++) {
					uint32_t lost = tx_expire(&x->c[i].tx, UINT64_MAX);

					if (lost)
						CNT_ADD(w->c.lost, lost);
				}
			if (next != SL_PHASE_GO)
				break;
		}
		ts = sl_phase_wait(&ph, w, x->sending, now,
				   open_loop ? pacer_next_ns(&pacer) : UINT64_MAX);
		n = epoll_pwait2(x->ep, evs, 64, &ts, NULL);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct conn *c = &x->c[(uint32_t)evs[i].data.u64];

			if (c->gen == (uint32_t)(evs[i].data.u64 >> 32))
				on_event(x, c, evs[i].events);
		}
		now = sl_now_ns();
		if (sl_phase_scan_due(&ph, now))
			scan(x, now, now - timeout);
	}
	if (x->sending)
		w->stopped_ns = sl_now_ns();
	/* Close what is open (TLS: close_notify) before the report. */
	for (unsigned i = 0; i < x->n; i++)
		if (x->c[i].state != C_IDLE)
			conn_close(x, &x->c[i], 0);
	return 0;
}

void *sl_stream_worker(void *arg)
{
	struct sl_worker *w = arg;
	struct sctx *x = malloc(sizeof(*x));
	int r;

	r = cli_pin_thread(w->cpu);
	if (r) {
		w->error = r;
		w->error_what = "pinning to a CPU of --cpus";
	}
	if (!x) {
		w->error = ENOMEM;
		w->error_what = "allocating the worker's buffers";
	} else if (!w->error) {
		r = setup(x, w);
		if (!r)
			r = run(x);
		if (r < 0) {
			w->error = -r;
			w->error_what = r == -ENOMEM ? "allocating the connections" : "epoll";
		}
		teardown(x);
	}
	free(x);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
