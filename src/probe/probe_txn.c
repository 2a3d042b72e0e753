/* SPDX-License-Identifier: MIT */
/*
 * probe_txn.c - STUN transactions in flight, several at once.
 *
 * Each transaction follows RFC 8489 6.2.1: requests at 0, RTO, 3 RTO,
 * 7 RTO ... (the interval doubles), Rc in all, then failure Rm x RTO after
 * the last.  One poll loop serves all of them, so tests that do not
 * influence each other (filtering and mapping, each on its own socket)
 * wait out their silences at the same time instead of one after another.
 * Answers are matched by transaction ID only (conformance item 87): with
 * CHANGE-REQUEST they come from another address on purpose.
 */
#include "probe/probe.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* RFC 5780 section 5: at most 10 new transactions per second, paced so
 * that their retransmissions do not go out in step. */
#define TXN_GAP_US 100000
/* How often the progress line is redrawn. */
#define PROGRESS_TICK_US 250000

void probe_engine_init(struct probe_engine *e, const struct probe_cfg *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	probe_timers_init(&e->timers, &cfg->rto, cfg->adapt_rto);
}

static void finish(struct probe_txn *t, enum probe_status st, int err)
{
	t->res.status = st;
	t->res.sys_errno = err;
	t->done = true;
}

static int build(struct probe_txn *t)
{
	const struct probe_req *req = &t->req;
	struct stun_request_opts ro = {
		.classic = req->classic,
		.fingerprint = req->fingerprint,
		.software = req->software,
		.change_request = req->change != 0,
		.change_flags = req->change,
	};
	int err;

	if (t->kind == TXN_HAIRPIN)	/* found by its ID at the listener */
		ro = (struct stun_request_opts){ .fingerprint = true };
	err = probe_random(t->tid, sizeof(t->tid));
	if (err)
		return err;
	/* A modern ID could, by chance, make a classic request look modern
	 * (item 50); a classic one must not start with the cookie. */
	if (req->classic && t->tid[0] == 0x21 && t->tid[1] == 0x12 &&
	    t->tid[2] == 0xA4 && t->tid[3] == 0x42)
		t->tid[0] ^= 0xff;
	t->len = stun_build_request(t->msg, sizeof(t->msg), t->tid, &ro);
	return t->len ? 0 : -EMSGSIZE;
}

void probe_txn_start(struct probe_engine *e, struct probe_txn *t)
{
	int64_t now = now_us(), at;
	int err;

	memset(&t->res, 0, offsetof(struct probe_result, buf));
	t->res.to = t->dst;
	t->running = true;
	t->done = false;
	t->rto = probe_timers_next(&e->timers);
	t->res.rto_ms = t->rto.rto_ms;
	/* The runners start at most a few at a time: more is a bug, which
	 * a library must not answer with abort().  The transaction is done
	 * at once and never handed back: its runner sees it done. */
	if (e->n == PROBE_MAX_TXN) {
		finish(t, PROBE_SYSERR, ENOBUFS);
		return;
	}
	e->txn[e->n++] = t;
	err = build(t);
	if (err) {
		finish(t, PROBE_SYSERR, -err);
		return;
	}
	at = e->last_start_us ? e->last_start_us + TXN_GAP_US : now;
	if (at < now)
		at = now;
	e->last_start_us = at;
	t->start_us = t->next_send_us = at;
	t->deadline_us = 0;
	t->interval_us = (int64_t)t->rto.rto_ms * 1000;
}

static void drop(struct probe_engine *e, struct probe_txn *t)
{
	for (unsigned int i = 0; i < e->n; i++) {
		if (e->txn[i] == t) {
			e->txn[i] = e->txn[--e->n];
			break;
		}
	}
	t->running = false;
}

void probe_txn_cancel(struct probe_engine *e, struct probe_txn *t)
{
	if (t->running)
		drop(e, t);
}

/* Drain a socket's error queue: a hard ICMP error about a destination ends
 * the transactions on that socket that send there.  Returns true when it
 * ended `t` (t may be NULL). */
static bool read_errors(struct probe_engine *e, const struct probe_sock *s,
			const struct probe_txn *t)
{
	struct stun_addr offender;
	bool hit = false;
	int err;

	while (probe_sock_error(s, &offender, &err)) {
		if (!err)
			continue;
		for (unsigned int i = 0; i < e->n; i++) {
			struct probe_txn *x = e->txn[i];
			if (x->done || x->sock->fd != s->fd ||
			    !stun_addr_equal(&x->dst, &offender))
				continue;
			finish(x, PROBE_UNREACHABLE, err);
			hit |= x == t;
		}
	}
	return hit;
}

static void send_one(struct probe_engine *e, struct probe_txn *t, int64_t now)
{
	int err = probe_sock_send(t->sock, &t->dst, t->msg, t->len);

	/* With IP_RECVERR an ICMP error about an earlier destination of this
	 * socket also fails the next send: it belongs to whoever sent there,
	 * and this one sends again. */
	if (err == -ECONNREFUSED && !read_errors(e, t->sock, t))
		err = probe_sock_send(t->sock, &t->dst, t->msg, t->len);
	if (t->done)
		return;
	/* No route, or an ICMP error reported on this send: like a hard
	 * ICMP error, the end of the transaction. */
	if (err == -EHOSTUNREACH || err == -ENETUNREACH || err == -ECONNREFUSED) {
		finish(t, PROBE_UNREACHABLE, -err);
		return;
	}
	if (err) {
		finish(t, PROBE_SYSERR, -err);
		return;
	}
	t->res.sent++;
	if (t->res.sent >= t->rto.rc)
		t->deadline_us = now + (int64_t)t->rto.rm * t->rto.rto_ms * 1000;
	else
		t->next_send_us = now + t->interval_us;
	t->interval_us *= 2;
}

/* Send what is due, end what has timed out; returns when to look again. */
static int64_t run_timers(struct probe_engine *e, int64_t now)
{
	int64_t wake = INT64_MAX;

	for (unsigned int i = 0; i < e->n; i++) {
		struct probe_txn *t = e->txn[i];
		int64_t w;

		if (t->done)
			continue;
		if (!t->deadline_us && now >= t->next_send_us)
			send_one(e, t, now);
		if (t->done)
			continue;
		if (t->deadline_us && now >= t->deadline_us) {
			finish(t, PROBE_TIMEOUT, 0);
			continue;
		}
		w = t->deadline_us ? t->deadline_us : t->next_send_us;
		if (w < wake)
			wake = w;
	}
	return wake;
}

static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	if (src && n)
		memcpy(dst, src, n);
	dst[src ? n : 0] = 0;
}

void probe_result_parsed(struct probe_result *res, enum stun_resp_status st)
{
	if (st == STUN_RESP_OK) {
		res->status = PROBE_OK;
	} else if (st == STUN_RESP_ERROR) {
		res->status = PROBE_ERROR_RESPONSE;
	} else {
		res->status = PROBE_BAD_RESPONSE;
		res->bad_why = st;
	}
	copy_text(res->software, sizeof(res->software), res->info.software,
		  res->info.software_len);
	copy_text(res->reason, sizeof(res->reason), res->info.reason, res->info.reason_len);
}

/* Does the datagram in e->scratch answer t?  Then fill t->res. */
static bool take_answer(struct probe_engine *e, struct probe_txn *t, size_t n,
			const struct stun_addr *from, int64_t now)
{
	struct probe_result *res = &t->res;
	enum stun_resp_status st;

	st = stun_parse_response(e->scratch, n, t->tid, t->req.classic, &res->info);
	switch (st) {
	case STUN_RESP_NOT_STUN:
	case STUN_RESP_BAD_FINGERPRINT:
	case STUN_RESP_NOT_RESPONSE:
	case STUN_RESP_WRONG_TID:
		return false;	/* not ours: drop and keep waiting (item 87) */
	default:
		break;
	}
	/* Parse again where it stays: info points into the buffer. */
	memcpy(res->buf, e->scratch, n);
	st = stun_parse_response(res->buf, n, t->tid, t->req.classic, &res->info);
	probe_result_parsed(res, st);
	res->from = *from;
	res->rtt_ms = (double)(now - t->start_us) / 1000.0;
	t->done = true;
	/* Karn: a retransmitted request makes the sample ambiguous. */
	if (res->sent == 1)
		probe_timers_sample(&e->timers, res->rtt_ms);
	return true;
}

/* Is this datagram t's own hairpinned Binding Request? */
static bool is_own_request(const uint8_t *buf, size_t n, const struct probe_txn *t)
{
	struct stun_msg m;

	if (stun_parse(&m, buf, n, STUN_TRANSPORT_UDP, STUN_CLASSIC_NONE,
		       ~UINT64_C(0)) != STUN_DROP_NONE)
		return false;
	return m.cls == STUN_CLASS_REQUEST && m.method == STUN_METHOD_BINDING &&
	       !m.classic && !memcmp(stun_tid(&m), t->tid, STUN_TID_LEN);
}

/* Read every datagram waiting on fd and give each to the transaction it
 * belongs to; the rest are dropped. */
static void read_datagrams(struct probe_engine *e, const struct probe_sock *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct stun_addr from = { 0 };
		ssize_t n;
		int64_t now;

		n = recvfrom(s->fd, e->scratch, sizeof(e->scratch), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A reported ICMP error: its entry is on the queue. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH) {
				read_errors(e, s, NULL);
				continue;
			}
			return;		/* EAGAIN, or nothing more to do here */
		}
		now = now_us();
		stun_addr_from_sockaddr(&from, (struct sockaddr *)&ss, sl);
		for (unsigned int i = 0; i < e->n; i++) {
			struct probe_txn *t = e->txn[i];
			if (t->done)
				continue;
			if (t->kind == TXN_BINDING && t->sock->fd == s->fd &&
			    take_answer(e, t, (size_t)n, &from, now))
				break;
			if (t->kind == TXN_HAIRPIN && t->listen->fd == s->fd &&
			    is_own_request(e->scratch, (size_t)n, t)) {
				t->res.rtt_ms = (double)(now - t->start_us) / 1000.0;
				finish(t, PROBE_OK, 0);
				break;
			}
		}
	}
}

static struct probe_txn *take_done(struct probe_engine *e)
{
	for (unsigned int i = 0; i < e->n; i++) {
		struct probe_txn *t = e->txn[i];
		if (t->done) {
			drop(e, t);
			return t;
		}
	}
	return NULL;
}

/* The sockets the running transactions listen on, each once. */
static unsigned int poll_set(const struct probe_engine *e, struct pollfd *pfd,
			     const struct probe_sock **socks)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < e->n; i++) {
		const struct probe_txn *t = e->txn[i];
		const struct probe_sock *want[2] = { t->sock, t->listen };

		for (unsigned int k = 0; k < 2; k++) {
			unsigned int j;

			if (!want[k] || (k == 1 && t->kind != TXN_HAIRPIN))
				continue;
			for (j = 0; j < n && pfd[j].fd != want[k]->fd; j++)
				;
			if (j < n)
				continue;
			pfd[n] = (struct pollfd){ .fd = want[k]->fd, .events = POLLIN };
			socks[n++] = want[k];
		}
	}
	return n;
}

/* Microseconds to a poll() timeout, rounded up, in a safe range. */
static int poll_ms(int64_t us)
{
	if (us <= 0)
		return 0;
	return us > 60000000 ? 60000 : (int)((us + 999) / 1000);
}

struct probe_txn *probe_engine_wait(struct probe_engine *e)
{
	struct pollfd pfd[2 * PROBE_MAX_TXN];
	const struct probe_sock *socks[2 * PROBE_MAX_TXN];
	struct probe_txn *t;

	for (;;) {
		int64_t now = now_us(), wake;
		unsigned int n;
		int r;

		wake = run_timers(e, now);
		t = take_done(e);
		if (t || !e->n) {
			if (e->cfg->progress_clear)
				e->cfg->progress_clear(e);
			return t;
		}
		if (e->cfg->progress_draw) {
			e->cfg->progress_draw(e, now);
			if (wake > e->progress_next_us)
				wake = e->progress_next_us;
		}
		n = poll_set(e, pfd, socks);
		r = poll(pfd, n, poll_ms(wake - now));
		if (r < 0 && errno != EINTR) {
			for (unsigned int i = 0; i < e->n; i++)
				finish(e->txn[i], PROBE_SYSERR, errno);
			continue;
		}
		for (unsigned int i = 0; r > 0 && i < n; i++) {
			if (pfd[i].revents & POLLERR)
				read_errors(e, socks[i], NULL);
			if (pfd[i].revents & POLLIN)
				read_datagrams(e, socks[i]);
		}
	}
}

enum probe_status probe_transact(struct probe_engine *e, struct probe_sock *s,
				 const struct stun_addr *dst,
				 const struct probe_req *req, const char *name,
				 struct probe_txn *t)
{
	struct probe_txn *done;

	*t = (struct probe_txn){ .kind = TXN_BINDING, .name = name, .sock = s,
				 .dst = *dst, .req = *req };
	probe_txn_start(e, t);
	while ((done = probe_engine_wait(e)) && done != t)
		;
	return t->res.status;
}
