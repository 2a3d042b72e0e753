/* SPDX-License-Identifier: MIT */
/*
 * engine_mmsg.c - the fallback engine for kernels or sandboxes without
 * io_uring: recvmmsg a batch, answer each datagram in place, and sendmmsg
 * the replies, none per datagram, nothing allocated after setup.
 *
 * With one listening socket (the usual case, and the benchmark's) the
 * worker blocks in recvmmsg(MSG_WAITFORONE) itself: two system calls per
 * batch, like the minimal reflector.  SO_RCVTIMEO wakes it every
 * STOP_CHECK_MS to see whether it must stop.  With several sockets it polls
 * them (and the stop eventfd) first: three system calls per batch; the poll
 * times out after WORKER_IDLE_WAKE_MS so that an idle worker's heartbeat
 * stays fresh.  With TCP listeners (mmsg_tcp.c) that poll also waits on
 * TCP's epoll set, and the one-socket shortcut is not taken.
 */
#include "worker.h"
#include "log.h"
#include "mmsg_tcp.h"
#include "pktinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define MMSG_BATCH 64
/* Batches taken from one socket before looking at the others again. */
#define MMSG_ROUNDS 8
/* One socket: how long a blocking recvmmsg may keep a stop request waiting. */
#define STOP_CHECK_MS 100

struct mmsg_ctx {
	struct mmsghdr rx[MMSG_BATCH];
	struct iovec riov[MMSG_BATCH];
	struct sockaddr_in6 names[MMSG_BATCH];
	union pktinfo_ctrl rctrl[MMSG_BATCH];
	struct mmsghdr tx[MMSG_BATCH];
	struct iovec tiov[MMSG_BATCH];
	union pktinfo_ctrl tctrl[MMSG_BATCH];
	uint8_t tag[MMSG_BATCH];	/* worker.h TAG_* */
	uint8_t txsock[MMSG_BATCH];
	struct pollfd pfd[MAX_LISTEN + 2];	/* UDP sockets, stop, TCP's epoll */
	struct worker *w;
	struct mmsg_tcp tcp;
	uint8_t bufs[MMSG_BATCH][RX_BUF_STRIDE];	/* worker.h: why the stride */
};

static int mmsg_setup(struct worker *w, void **out)
{
	struct mmsg_ctx *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (c == MAP_FAILED) {
		log_error("worker %u: cannot allocate %zu bytes of buffers", w->id,
			  sizeof(*c));
		return -1;
	}
	*out = c;
	c->w = w;
	for (unsigned int i = 0; i < MMSG_BATCH; i++) {
		struct msghdr *m = &c->rx[i].msg_hdr;

		c->riov[i].iov_base = c->bufs[i];
		c->riov[i].iov_len = RX_MAX_LEN;
		m->msg_iov = &c->riov[i];
		m->msg_iovlen = 1;
		m->msg_name = &c->names[i];
		c->tx[i].msg_hdr.msg_iov = &c->tiov[i];
		c->tx[i].msg_hdr.msg_iovlen = 1;
		c->tx[i].msg_hdr.msg_control = &c->tctrl[i];
	}
	for (unsigned int i = 0; i < w->nsock; i++)
		c->pfd[i] = (struct pollfd){ .fd = w->fds[i], .events = POLLIN };
	c->pfd[w->nsock] = (struct pollfd){ .fd = w->stop_fd, .events = POLLIN };
	if (mmsg_tcp_setup(&c->tcp, w))
		return -1;
	c->pfd[w->nsock + 1] = (struct pollfd){ .fd = c->tcp.epfd, .events = POLLIN };
	if (w->nsock == 1 && !w->ntcp) {
		struct timeval tv = { .tv_usec = STOP_CHECK_MS * 1000 };
		int fl = fcntl(w->fds[0], F_GETFL);

		/* Blocking, with a timeout (header comment).  Sends still
		 * say MSG_DONTWAIT (send_run). */
		if (fl < 0 || fcntl(w->fds[0], F_SETFL, fl & ~O_NONBLOCK) ||
		    setsockopt(w->fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
			log_error("worker %u: cannot make the socket blocking: %s", w->id,
				  strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void count_sent(struct mmsg_ctx *c, unsigned int from, unsigned int n)
{
	for (unsigned int i = from; i < from + n; i++)
		worker_count_sent(c->w, c->tag[i]);
}

static void send_failed(struct mmsg_ctx *c, int err)
{
	static struct log_limit limit;

	STAT_INC(&c->w->stats, send_failed);
	log_limited(&limit, LOG_LVL_WARN, "worker %u: sending a reply failed: %s "
		    "(counted in send_failed)", c->w->id, strerror(err));
}

/* sendmmsg tx[from, to) through one socket, past partial sends and errors
 * (a failing datagram is counted and skipped). */
static void send_run(struct mmsg_ctx *c, int fd, unsigned int from, unsigned int to)
{
	bool waited = false;

	while (from < to) {
		int r = sendmmsg(fd, &c->tx[from], to - from, MSG_DONTWAIT);

		if (r > 0) {
			count_sent(c, from, (unsigned)r);
			from += (unsigned)r;
			waited = false;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS) && !waited) {
			/* Send buffer full: wait for room once, briefly. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 100);
			waited = true;
		} else {
			send_failed(c, r < 0 ? errno : EIO);
			from++;
			waited = false;
		}
	}
}

/* Send the replies of one batch, grouped by the socket they leave from. */
static void send_replies(struct mmsg_ctx *c, unsigned int n)
{
	unsigned int start = 0;

	for (unsigned int i = 1; i <= n; i++) {
		if (i == n || c->txsock[i] != c->txsock[start]) {
			send_run(c, c->w->fds[c->txsock[start]], start, i);
			start = i;
		}
	}
}

/* One recvmmsg batch from socket sock (flags: MSG_DONTWAIT, or
 * MSG_WAITFORONE on a blocking socket); returns how many datagrams. */
/* start: this call's wait is the batch's (one socket): begin the batch
 * here (worker_batch_start), right after recvmmsg returns. */
static int serve_batch(struct mmsg_ctx *c, unsigned int sock, int flags, bool start)
{
	struct worker *w = c->w;
	/* Only a wildcard socket has IP_PKTINFO to deliver (listener.c). */
	bool pi = w->wildcard[sock];
	unsigned int ntx = 0;
	int n;

	for (unsigned int i = 0; i < MMSG_BATCH; i++) {
		c->rx[i].msg_hdr.msg_namelen = sizeof(c->names[i]);
		c->rx[i].msg_hdr.msg_control = pi ? &c->rctrl[i] : NULL;
		c->rx[i].msg_hdr.msg_controllen = pi ? sizeof(c->rctrl[i]) : 0;
	}
	n = recvmmsg(w->fds[sock], c->rx, MMSG_BATCH, flags, NULL);
	if (start)
		worker_batch_start(w);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			STAT_INC(&w->stats, recv_errors);
		return 0;
	}
	STAT_INC(&w->stats, batches);
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &c->rx[i].msg_hdr;
		struct stun_addr local = w->cfg->listen[sock].addr;
		struct stun_reply rep;
		unsigned int tx, tag;
		int ifindex = 0;

		if (__builtin_expect(m->msg_flags & MSG_TRUNC, 0)) {
			STAT_INC(&w->stats, rx);
			STAT_INC(&w->stats, truncated);
			continue;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
			if (!pktinfo_parse(cm, local.port, &local, &ifindex))
				break;
		if (!worker_answer(w, sock, c->bufs[i], c->rx[i].msg_len, RX_BUF_SIZE,
				   m->msg_name, m->msg_namelen, &local, &rep, &tx, &tag))
			continue;
		if (__builtin_expect(rep.dst.port != ntohs(c->names[i].sin6_port), 0))
			sockaddr_set_port(&c->names[i], rep.dst.port);

		struct msghdr *t = &c->tx[ntx].msg_hdr;
		c->tiov[ntx].iov_base = c->bufs[i];
		c->tiov[ntx].iov_len = rep.len;
		t->msg_name = &c->names[i];
		t->msg_namelen = m->msg_namelen;
		c->tag[ntx] = (uint8_t)tag;
		c->txsock[ntx] = (uint8_t)tx;
		/* Only a wildcard socket needs to be told the source address. */
		t->msg_controllen = w->wildcard[c->txsock[ntx]]
			? pktinfo_build(&c->tctrl[ntx], &rep.src, ifindex) : 0;
		ntx++;
	}
	if (ntx)
		send_replies(c, ntx);
	return n;
}

static int mmsg_run(struct worker *w, void *ctx)
{
	struct mmsg_ctx *c = ctx;
	unsigned int ns = w->nsock;

	if (ns == 1 && !w->ntcp) {
		/* A stop request still lets this batch be answered. */
		while (!worker_stopping(w))
			serve_batch(c, 0, MSG_WAITFORONE, true);
		return 0;
	}
	while (!worker_stopping(w)) {
		int r = poll(c->pfd, ns + 1 + (w->ntcp ? 1 : 0), WORKER_IDLE_WAKE_MS);

		worker_batch_start(w);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_error("worker %u: poll: %s", w->id, strerror(errno));
			return -1;
		}
		/* A stop request still lets this round's datagrams be answered. */
		for (unsigned int s = 0; s < ns; s++) {
			if (!(c->pfd[s].revents & (POLLIN | POLLERR)))
				continue;
			for (int round = 0; round < MMSG_ROUNDS; round++)
				if (serve_batch(c, s, MSG_DONTWAIT, false) < MMSG_BATCH)
					break;
		}
		if (w->ntcp) {
			if (c->pfd[ns + 1].revents & POLLIN)
				mmsg_tcp_serve(&c->tcp);
			mmsg_tcp_sweep(&c->tcp);
		}
		if (c->pfd[ns].revents & POLLIN)
			break;
	}
	mmsg_tcp_stop(&c->tcp);
	return 0;
}

static void mmsg_teardown(void *ctx)
{
	if (ctx) {
		mmsg_tcp_teardown(&((struct mmsg_ctx *)ctx)->tcp);
		munmap(ctx, sizeof(struct mmsg_ctx));
	}
}

const struct engine_ops mmsg_engine = {
	.name = "recvmmsg/sendmmsg",
	.setup = mmsg_setup,
	.run = mmsg_run,
	.teardown = mmsg_teardown,
};
