/* SPDX-License-Identifier: MIT */
/*
 * mmsg_tcp.c - TCP for the recvmmsg/sendmmsg engine (mmsg_tcp.h).
 *
 * Level-triggered epoll.  A connection asks for EPOLLIN unless the core
 * paused it (backpressure: its unsent replies reached the bound, so the
 * kernel keeps the peer's data and its window closes), and for EPOLLOUT
 * only while replies wait for room in the socket's send buffer; the
 * interest changes (one epoll_ctl) only when one of those two does.
 * Replies are sent at once after each read, with MSG_DONTWAIT.  TLS
 * connections go through the filter's conn_* calls (stream_tls.h).
 */
#include "mmsg_tcp.h"
#include "log.h"
#include "stream_tls.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTENER_BIT (1ull << 32)
#define EVENTS_MAX 64
#define READS_PER_EVENT 8	/* reads from one connection before the next */
#define ACCEPTS_PER_EVENT 64

/* eflags: the interest registered with epoll. */
#define EF_IN 1u
#define EF_OUT 2u

static void conn_close(struct mmsg_tcp *t, struct stream_conn *c, enum stream_close why)
{
	if (stream_is_tls(t->w, c))
		tls_goodbye(t->w, c, why);	/* close_notify, best effort */
	stream_closing(t->w, &t->w->tcp, c, why);
	close(c->fd);	/* leaves the epoll set with it */
	tls_release(t->w, c);
	stream_release(&t->w->tcp, c);
}

static void set_interest(struct mmsg_tcp *t, struct stream_conn *c)
{
	uint16_t want = (c->paused ? 0 : EF_IN) | (conn_out_pending(t->w, c) ? EF_OUT : 0);

	if (want == c->eflags)
		return;
	struct epoll_event ev = {
		.events = (want & EF_IN ? EPOLLIN : 0) | (want & EF_OUT ? EPOLLOUT : 0),
		.data.u64 = stream_index(&t->w->tcp, c),
	};
	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->eflags = want;
}

/* Send what is pending; when that made room, answer what the core kept.
 * -1, or why to close. */
static int flush(struct mmsg_tcp *t, struct stream_conn *c)
{
	for (;;) {
		while (conn_out_pending(t->w, c)) {
			ssize_t n = send(c->fd, conn_out(t->w, c), conn_out_pending(t->w, c),
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				conn_sent(t->w, c, (uint32_t)n);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return -1;
			return STREAM_CLOSE_ERROR;
		}
		/* TLS: the core's replies are encrypted here, and a paused
		 * core's requests go on once they were. */
		if (!c->paused && !stream_is_tls(t->w, c))
			return -1;
		int rc = conn_resume(t->w, c);
		if (rc >= 0)
			return rc;
		if (!conn_out_pending(t->w, c))
			return -1;	/* nothing was answered: wait for input */
	}
}

static void on_conn(struct mmsg_tcp *t, struct stream_conn *c, uint32_t events)
{
	int rc = -1;

	if (events & EPOLLOUT)
		rc = flush(t, c);
	for (int i = 0; rc < 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !c->paused &&
			i < READS_PER_EVENT; i++) {
		ssize_t n = recv(c->fd, t->buf, t->buf_size, MSG_DONTWAIT);

		if (n > 0) {
			rc = conn_input(t->w, c, t->buf, (size_t)n);
			if (rc < 0)
				rc = flush(t, c);
			if ((size_t)n < t->buf_size)
				break;
		} else if (n == 0) {
			rc = STREAM_CLOSE_PEER;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else {
			rc = STREAM_CLOSE_ERROR;
		}
	}
	/* A paused connection is not read, so a reset would be reported
	 * again and again (level-triggered): it ends here. */
	if (rc < 0 && c->paused && (events & (EPOLLERR | EPOLLHUP)))
		rc = STREAM_CLOSE_ERROR;
	if (rc >= 0)
		conn_close(t, c, (enum stream_close)rc);
	else
		set_interest(t, c);
}

/* Out of descriptors: the listener would stay readable and every accept
 * fail, a busy loop; it is left out of the epoll set for 100 ms (the
 * connections wait in the backlog). */
static void accept_pause(struct mmsg_tcp *t, unsigned int li)
{
	static struct log_limit limit;
	struct epoll_event ev = { .events = 0, .data.u64 = LISTENER_BIT | li };

	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, t->w->tcp_fds[li], &ev) == 0) {
		t->accept_paused |= 1u << li;
		t->accept_after = t->w->limiter.now + 100 * 1000000ull;
	}
	log_limited(&limit, LOG_LVL_WARN, "worker %u: accept: %s (raise the open files "
		    "limit or lower --max-connections)", t->w->id, strerror(errno));
}

static void on_listener(struct mmsg_tcp *t, unsigned int li)
{
	struct worker *w = t->w;

	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		struct sockaddr_in6 ss;
		socklen_t len = sizeof(ss);
		struct stun_addr peer, local;
		enum stream_close why;
		struct stream_conn *c;
		int fd = accept4(w->tcp_fds[li], (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				STAT_INC(&w->stats, recv_errors);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				accept_pause(t, li);
			return;
		}
		if (stun_addr_from_sockaddr(&peer, (struct sockaddr *)&ss, len)) {
			STAT_INC(&w->stats, tcp_accepted);
			STAT_INC(&w->stats, tcp_closed[STREAM_CLOSE_ERROR]);
			close(fd);
			continue;
		}
		local = w->cfg->tcp_listen[li].addr;
		len = sizeof(ss);
		if (t->wildcard[li] && (getsockname(fd, (struct sockaddr *)&ss, &len) ||
					stun_addr_from_sockaddr(&local, (struct sockaddr *)&ss, len)))
			local = w->cfg->tcp_listen[li].addr;
		c = stream_open(w, &w->tcp, fd, &peer, &local, li, &why);
		if (!c) {
			close(fd);
			continue;
		}
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = stream_index(&w->tcp, c) };
		int rc = w->cfg->tcp_listen[li].tls ? tls_open(w, c) : -1;

		c->eflags = EF_IN;
		if (rc >= 0)
			conn_close(t, c, (enum stream_close)rc);
		else if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev))
			conn_close(t, c, STREAM_CLOSE_ERROR);
	}
}

void mmsg_tcp_serve(struct mmsg_tcp *t)
{
	struct epoll_event ev[EVENTS_MAX];
	int n = epoll_wait(t->epfd, ev, EVENTS_MAX, 0);

	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;

		if (d & LISTENER_BIT) {
			on_listener(t, (unsigned int)(d & 0xffff));
		} else {
			struct stream_conn *c = &t->w->tcp.conns[(uint32_t)d];
			if (c->state == STREAM_OPEN)	/* not closed earlier in this round */
				on_conn(t, c, ev[i].events);
		}
	}
}

void mmsg_tcp_sweep(struct mmsg_tcp *t)
{
	struct stream_conn *c;
	enum stream_close why;

	if (t->epfd < 0)
		return;
	while ((c = tls_expired(t->w, t->w->limiter.now)))
		conn_close(t, c, STREAM_CLOSE_TLS_TIMEOUT);
	while ((c = stream_expired(&t->w->tcp, t->w->limiter.now, &why)))
		conn_close(t, c, why);
	if (t->accept_paused && t->w->limiter.now >= t->accept_after) {
		for (unsigned int li = 0; li < t->w->ntcp; li++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER_BIT | li };

			if ((t->accept_paused & (1u << li)) &&
			    epoll_ctl(t->epfd, EPOLL_CTL_MOD, t->w->tcp_fds[li], &ev) == 0)
				t->accept_paused &= ~(1u << li);
		}
	}
}

void mmsg_tcp_stop(struct mmsg_tcp *t)
{
	if (t->epfd < 0)
		return;
	for (uint32_t i = 0; i < t->w->tcp.n; i++)
		if (t->w->tcp.conns[i].state == STREAM_OPEN)
			conn_close(t, &t->w->tcp.conns[i], STREAM_CLOSE_SHUTDOWN);
}

int mmsg_tcp_setup(struct mmsg_tcp *t, struct worker *w)
{
	t->w = w;
	t->epfd = -1;
	if (!w->ntcp)
		return 0;
	t->buf_size = w->cfg->tcp_max_msg < MMSG_TCP_BUF ? w->cfg->tcp_max_msg : MMSG_TCP_BUF;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0) {
		log_error("worker %u: epoll_create1: %s", w->id, strerror(errno));
		return -1;
	}
	for (unsigned int li = 0; li < w->ntcp; li++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER_BIT | li };

		t->wildcard[li] = addr_is_any(&w->cfg->tcp_listen[li].addr);
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, w->tcp_fds[li], &ev)) {
			log_error("worker %u: epoll_ctl: %s", w->id, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void mmsg_tcp_teardown(struct mmsg_tcp *t)
{
	if (!t->w)
		return;
	mmsg_tcp_stop(t);
	if (t->epfd >= 0)
		close(t->epfd);
	t->epfd = -1;
}
