/* SPDX-License-Identifier: MIT */
/*
 * engine_socket.c - one worker thread: its sockets, one epoll set, batches
 * of requests out with sendmmsg, batches of answers in with recvmmsg, every
 * answer validated.  Nothing is allocated once the loop runs.
 *
 * Open loop (--rate): a pacer says how many requests are due; they are
 * spread over the worker's sockets in turn.  Closed loop (--inflight):
 * every socket is kept topped up to N outstanding requests.  Either way the
 * worker stops sending at the deadline or its quota, then waits up to
 * --timeout for the last answers.
 */
#include "engine.h"
#include "run_phase.h"
#include "cli/cli.h"
#include "pacing.h"
#include "requests.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX		256	/* largest request we build */
#define ANSWER_MAX	2048	/* larger answers are "oversize" */
#define GSO_MAX		64	/* segments per UDP GSO send (kernel limit) */

struct wctx {
	struct sl_worker *w;
	const struct sl_config *cfg;
	struct stun_request_opts opts[REQ_KIND_COUNT];
	uint8_t mix[MIX_MAX];
	unsigned mix_len, mix_pos;
	unsigned next_sock;	/* open loop: round robin */
	bool sending;
	/* send batch: requests of equal size go out as one UDP GSO send
	 * (one trip through the IP stack, split into datagrams at the end),
	 * the rest one datagram each */
	bool gso;
	uint8_t sbuf[SL_BATCH][REQ_MAX];
	struct iovec siov[SL_BATCH];
	struct mmsghdr smsg[SL_BATCH];
	unsigned group_n[SL_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} sctl[SL_BATCH];
	struct tx_entry *sent[SL_BATCH];
	/* receive batch */
	uint8_t rbuf[SL_BATCH][ANSWER_MAX];
	struct iovec riov[SL_BATCH];
	struct mmsghdr rmsg[SL_BATCH];
};

uint64_t sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --bind: the next host address of the prefix (setup only, so a shared
 * counter for the threads is fine). */
static int bind_next(int fd, const struct stun_prefix *p, int fam)
{
	static unsigned int next;

	return sl_bind_nth(fd, p, fam, __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED));
}

int sl_sock_open(struct sl_sock *s, const struct sl_config *cfg,
		 uint32_t tx_entries, uint64_t seed)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = cfg->target.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	/* Big buffers for a few sockets, modest ones for thousands. */
	int buf = (int)(64u * 1024 * 1024 / cfg->sockets);

	if (buf > 4 * 1024 * 1024)
		buf = 4 * 1024 * 1024;
	if (buf < 64 * 1024)
		buf = 64 * 1024;
	memset(s, 0, sizeof(*s));
	s->fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	/* Connected: the kernel drops datagrams from anyone but the target
	 * and sends without a per-packet route lookup. */
	if (cfg->bind.len && bind_next(s->fd, &cfg->bind, fam) < 0)
		goto fail;
	sl = stun_addr_to_sockaddr(&cfg->target, &ss);
	if (connect(s->fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	if (stun_addr_from_sockaddr(&s->x.self, (struct sockaddr *)&ss, sl)) {
		errno = EAFNOSUPPORT;
		goto fail;
	}
	s->x.mode = cfg->expect;
	s->x.addr = cfg->expect_addr;
	if (tx_init(&s->tx, tx_entries, seed)) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:;
	int err = errno;

	close(s->fd);
	s->fd = -1;
	return -err;
}

void sl_sock_close(struct sl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	tx_free(&s->tx);
}

static void init_ctx(struct wctx *x, struct sl_worker *w)
{
	memset(x, 0, sizeof(*x));
	x->w = w;
	x->cfg = w->cfg;
	sl_request_opts(w->cfg, x->opts);
	x->mix_len = sl_build_mix(w->cfg, x->mix);
	/* Workers start at different points of the sequence. */
	x->mix_pos = w->id * 7919u % x->mix_len;
	x->gso = w->cfg->gso;
	for (int i = 0; i < SL_BATCH; i++) {
		struct cmsghdr *cm = (struct cmsghdr *)x->sctl[i].buf;

		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		x->siov[i].iov_base = x->sbuf[i];
		x->riov[i].iov_base = x->rbuf[i];
		x->riov[i].iov_len = ANSWER_MAX;
		x->rmsg[i].msg_hdr.msg_iov = &x->riov[i];
		x->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	x->sending = true;
}

static uint64_t quota_left(const struct wctx *x, uint64_t want)
{
	const struct sl_worker *w = x->w;

	if (!w->quota)
		return want;
	return w->c.sent >= w->quota ? 0 :
	       (w->quota - w->c.sent < want ? w->quota - w->c.sent : want);
}

/* Lay the k built requests out as messages: with GSO, each run of equal
 * size becomes one message of several segments.  Returns the count. */
static unsigned group(struct wctx *x, unsigned k)
{
	unsigned g = 0;

	for (unsigned i = 0; i < k; g++) {
		struct msghdr *h = &x->smsg[g].msg_hdr;
		unsigned j = i + 1;
		size_t len = x->siov[i].iov_len;

		while (x->gso && j < k && j - i < GSO_MAX &&
		       x->siov[j].iov_len == len)
			j++;
		h->msg_iov = &x->siov[i];
		h->msg_iovlen = j - i;
		if (j - i > 1) {
			uint16_t seg = (uint16_t)len;

			memcpy(CMSG_DATA((struct cmsghdr *)x->sctl[g].buf), &seg,
			       sizeof(seg));
			h->msg_control = x->sctl[g].buf;
			h->msg_controllen = sizeof(x->sctl[g].buf);
		} else {
			h->msg_control = NULL;
			h->msg_controllen = 0;
		}
		x->group_n[g] = j - i;
		i = j;
	}
	return g;
}

/* Send up to n requests on one socket; returns how many left. */
static unsigned send_batch(struct wctx *x, struct sl_sock *s, unsigned n)
{
	struct sl_worker *w = x->w;
	uint64_t now = sl_now_ns();
	unsigned k = 0, g, done = 0;
	int r;

	if (n > SL_BATCH)
		n = SL_BATCH;
	while (k < n) {
		uint8_t kind = x->mix[x->mix_pos];
		bool classic = kind == REQ_CLASSIC;
		uint8_t tid[16];
		struct tx_entry *e;
		size_t len;

		e = tx_alloc(&s->tx, now, kind, classic, tid);
		if (!e) {
			CNT_ADD(w->c.table_full, 1);
			break;
		}
		if (++x->mix_pos == x->mix_len)
			x->mix_pos = 0;
		len = stun_build_request(x->sbuf[k], REQ_MAX,
					 classic ? tid : tid + 4, &x->opts[kind]);
		x->siov[k].iov_len = len;
		x->sent[k++] = e;
	}
	if (!k)
		return 0;
	g = group(x, k);
	r = sendmmsg(s->fd, x->smsg, g, MSG_DONTWAIT);
	if (r < 0 && x->gso && (errno == EINVAL || errno == EIO ||
				errno == EOPNOTSUPP)) {
		/* No UDP GSO here: one datagram per message from now on. */
		x->gso = false;
		g = group(x, k);
		r = sendmmsg(s->fd, x->smsg, g, MSG_DONTWAIT);
	}
	if (r < 0) {
		if (errno == ECONNREFUSED)
			CNT_ADD(w->c.refused, 1);
		else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			 errno != ENOBUFS && errno != EINTR)
			CNT_ADD(w->c.send_errors, 1);
		r = 0;
	}
	for (int i = 0; i < r; i++)
		done += x->group_n[i];
	for (unsigned i = done; i < k; i++)
		tx_cancel(&s->tx, x->sent[i]);
	CNT_ADD(w->c.sent, done);
	return done;
}

/* Closed loop: top the socket up to --inflight outstanding requests. */
static void refill(struct wctx *x, struct sl_sock *s)
{
	while (x->sending && s->tx.outstanding < x->cfg->inflight) {
		uint64_t room = quota_left(x, x->cfg->inflight - s->tx.outstanding);

		if (!room || !send_batch(x, s, (unsigned)room))
			break;
	}
}

static void receive(struct wctx *x, struct sl_sock *s)
{
	for (;;) {
		int r = recvmmsg(s->fd, x->rmsg, SL_BATCH, MSG_DONTWAIT, NULL);
		uint64_t now;

		if (r < 0) {
			/* An ICMP port unreachable is reported once, then
			 * cleared: count it and read on. */
			if (errno == ECONNREFUSED) {
				CNT_ADD(x->w->c.refused, 1);
				continue;
			}
			return;
		}
		now = sl_now_ns();
		for (int i = 0; i < r; i++)
			sl_count_answer(x->w, &s->tx, &s->x, x->rbuf[i],
					x->rmsg[i].msg_len,
					x->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC, now);
		if (r < SL_BATCH)
			return;
	}
}

/* Open loop: send what the pacer says is due, spread over the sockets. */
static void send_due(struct wctx *x, struct pacer *p, uint64_t now)
{
	struct sl_worker *w = x->w;
	uint64_t due = quota_left(x, pacer_due(p, now));
	unsigned tried = 0;

	while (due && tried < w->nsocks) {
		/* Fair share per socket, so thousands of sockets each get a
		 * request rather than a few getting a batch. */
		uint64_t chunk = (due + w->nsocks - 1) / w->nsocks;
		unsigned k;

		if (chunk > SL_BATCH)
			chunk = SL_BATCH;
		k = send_batch(x, &w->socks[x->next_sock], (unsigned)chunk);
		if (++x->next_sock == w->nsocks)
			x->next_sock = 0;
		pacer_commit(p, k);
		due -= k;
		tried = k ? 0 : tried + 1;	/* give up once all are full */
	}
}

static void expire(struct wctx *x, uint64_t deadline, bool refill_too)
{
	struct sl_worker *w = x->w;

	for (unsigned i = 0; i < w->nsocks; i++) {
		uint32_t n = tx_expire(&w->socks[i].tx, deadline);

		if (n)
			CNT_ADD(w->c.lost, n);
		if (refill_too)
			refill(x, &w->socks[i]);
	}
}

static uint32_t outstanding(const struct sl_worker *w)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < w->nsocks; i++)
		n += w->socks[i].tx.outstanding;
	return n;
}

static void pin(struct sl_worker *w)
{
	int err = cli_pin_thread(w->cpu);

	if (err) {
		w->error = err;
		w->error_what = "pinning to a CPU of --cpus";
	}
}

static int run(struct wctx *x)
{
	struct sl_worker *w = x->w;
	bool open_loop = w->rate > 0;
	uint64_t timeout = x->cfg->timeout_ns;
	struct epoll_event evs[64];
	struct sl_phase ph;
	struct pacer pacer;
	int ep;

	sl_phase_init(&ph, w, timeout, 100000000);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	for (unsigned i = 0; i < w->nsocks; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, w->socks[i].fd, &ev) < 0) {
			int err = errno;

			close(ep);
			return -err;
		}
	}
	if (open_loop)
		pacer_init(&pacer, w->start_ns, w->rate, SL_BATCH);
	else
		for (unsigned i = 0; i < w->nsocks; i++)
			refill(x, &w->socks[i]);

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
			enum sl_phase_next next = sl_phase_draining(&ph, w, now, outstanding(w) != 0);

			if (next == SL_PHASE_EXPIRE_END)
				expire(x, UINT64_MAX, false);
			if (next != SL_PHASE_GO)
				break;
		}
		ts = sl_phase_wait(&ph, w, x->sending, now,
				   open_loop ? pacer_next_ns(&pacer) : UINT64_MAX);
		n = epoll_pwait2(ep, evs, 64, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			int err = errno;

			close(ep);
			return -err;
		}
		for (int i = 0; i < n; i++) {
			struct sl_sock *s = &w->socks[evs[i].data.u32];

			receive(x, s);
			if (!open_loop)
				refill(x, s);
		}
		now = sl_now_ns();
		if (sl_phase_scan_due(&ph, now))
			expire(x, now - timeout, !open_loop);
	}
	if (x->sending)
		w->stopped_ns = sl_now_ns();
	close(ep);
	return 0;
}

void *sl_socket_worker(void *arg)
{
	struct sl_worker *w = arg;
	struct wctx *x = malloc(sizeof(*x));
	int r;

	pin(w);
	if (!x) {
		w->error = ENOMEM;
		w->error_what = "allocating the worker's buffers";
	} else if (!w->error) {
		init_ctx(x, w);
		r = run(x);
		if (r < 0) {
			w->error = -r;
			w->error_what = "epoll";
		}
	}
	free(x);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
