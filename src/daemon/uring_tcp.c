/* SPDX-License-Identifier: MIT */
/*
 * uring_tcp.c - the io_uring engine's TCP side (uring_tcp.h).
 *
 * Per connection at most one recv (one-shot, on_recv says why) and one
 * send are in the ring.
 * A receive's buffer goes back to the ring as soon as the core has read it
 * (the core copies only an incomplete tail), so paused or idle connections
 * hold no receive buffer.  Backpressure: when the core pauses a connection
 * (its unsent replies reached the bound), its receive is not armed again;
 * the peer's data then waits in the kernel and its TCP window closes.
 * When a send completes, the core answers what it kept and the receive is
 * armed again.  A connection closes in three steps: cancel what it has in the
 * ring (a parked send of a peer that never reads would otherwise stay
 * forever), wait for those completions, then close the socket through the
 * ring and give the slot back once that completes.
 *
 * A --tls-listen connection is the same, through the TLS filter's conn_*
 * calls (stream_tls.h): the ring reads and sends ciphertext, the filter
 * turns it into the core's plaintext and back.
 */
#include "uring_tcp.h"
#include "log.h"
#include "stream_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_BGID 2
/* A receive buffer: at most the largest message (the core's input buffer
 * of twice that then always has room for one), and at most 4 KiB. */
#define TCP_BUF_MAX 4096

/* eflags */
#define EF_RECV 1u	/* multishot recv in the ring */
#define EF_SEND 2u	/* a send in the ring */
#define EF_CANCEL_ALL 4u	/* closing: a cancel of recv and send submitted */
#define EF_CLOSE 8u	/* the close submitted */
#define EF_REARM 16u	/* queued in t->rearm */

static struct io_uring_sqe *sqe_get(struct uring_tcp *t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(t->ring);

	if (__builtin_expect(!sqe, 0)) {
		STAT_INC(&t->w->stats, sq_full);
		io_uring_submit(t->ring);
		sqe = io_uring_get_sqe(t->ring);
	}
	return sqe;
}

static inline uint8_t *tbuf(struct uring_tcp *t, unsigned int bid)
{
	return t->bufs + (size_t)bid * t->buf_size;
}

static inline void recycle(struct uring_tcp *t, unsigned int bid)
{
	io_uring_buf_ring_add(t->br, tbuf(t, bid), t->buf_size, (unsigned short)bid, t->mask,
			      (int)t->returned++);
}

static void arm_accept(struct uring_tcp *t, unsigned int li)
{
	struct io_uring_sqe *sqe = sqe_get(t);

	io_uring_prep_multishot_accept(sqe, t->w->tcp_fds[li], NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, UT_UD(UT_ACCEPT, li));
	t->accepting |= 1u << li;
}

static void arm_recv(struct uring_tcp *t, struct stream_conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(t);

	/* One-shot, re-armed after each completion (on_recv says why). */
	io_uring_prep_recv(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = TCP_BGID;
	io_uring_sqe_set_data64(sqe, UT_UD(UT_RECV, stream_index(&t->w->tcp, c)));
	c->eflags |= EF_RECV;
}

static void queue_rearm(struct uring_tcp *t, struct stream_conn *c)
{
	if (c->eflags & EF_REARM)
		return;
	c->eflags |= EF_REARM;
	t->rearm[t->nrearm++] = stream_index(&t->w->tcp, c);
}

/* The last step of a close, once nothing of c is in the ring. */
static void maybe_close(struct uring_tcp *t, struct stream_conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->state != STREAM_CLOSING || (c->eflags & (EF_RECV | EF_SEND | EF_CLOSE)))
		return;
	sqe = sqe_get(t);
	io_uring_prep_close(sqe, c->fd);
	io_uring_sqe_set_data64(sqe, UT_UD(UT_CLOSE, stream_index(&t->w->tcp, c)));
	c->eflags |= EF_CLOSE;
}

static void conn_close(struct uring_tcp *t, struct stream_conn *c, enum stream_close why)
{
	if (c->state != STREAM_OPEN)
		return;
	/* close_notify (or a failed handshake's alert) unless a send of
	 * ours is still in the socket: its record must not be cut. */
	if (stream_is_tls(t->w, c) && !(c->eflags & EF_SEND))
		tls_goodbye(t->w, c, why);
	stream_closing(t->w, &t->w->tcp, c, why);
	if (c->eflags & (EF_RECV | EF_SEND)) {
		struct io_uring_sqe *sqe = sqe_get(t);

		io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, UT_UD(UT_IGNORE, 0));
		c->eflags |= EF_CANCEL_ALL;
	}
	maybe_close(t, c);
}

static void kick_send(struct uring_tcp *t, struct stream_conn *c)
{
	struct io_uring_sqe *sqe;
	uint32_t n = conn_out_pending(t->w, c);

	if (c->state != STREAM_OPEN || (c->eflags & EF_SEND) || !n)
		return;
	sqe = sqe_get(t);
	/* A blocking socket: the ring waits for room in its send buffer,
	 * and the completion says how much left. */
	io_uring_prep_send(sqe, c->fd, conn_out(t->w, c), n, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, UT_UD(UT_SEND, stream_index(&t->w->tcp, c)));
	c->eflags |= EF_SEND;
	/* A TLS send reads the filter's ciphertext, not the core's out. */
	c->sending = !stream_is_tls(t->w, c);
}

static void on_accept(struct uring_tcp *t, const struct io_uring_cqe *cqe)
{
	struct worker *w = t->w;
	unsigned int li = UT_IDX(cqe->user_data);
	struct sockaddr_in6 ss;
	socklen_t len = sizeof(ss);
	struct stun_addr peer, local;
	enum stream_close why;
	struct stream_conn *c;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		t->accepting &= ~(1u << li);	/* re-armed after the batch */
	if (cqe->res < 0) {
		if (cqe->res != -ECANCELED)
			STAT_INC(&w->stats, recv_errors);
		if (cqe->res == -EMFILE || cqe->res == -ENFILE) {
			/* Out of descriptors: the accept would fail again at
			 * once; wait a little before re-arming it (the
			 * connections stay in the backlog meanwhile). */
			static struct log_limit limit;

			t->accept_after = w->limiter.now + 100 * 1000000ull;
			log_limited(&limit, LOG_LVL_WARN, "worker %u: accept: %s (raise the "
				    "open files limit or lower --max-connections)", w->id,
				    strerror(-cqe->res));
		}
		return;
	}
	int fd = cqe->res;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) ||
	    stun_addr_from_sockaddr(&peer, (struct sockaddr *)&ss, len)) {
		/* Reset before we got to it. */
		STAT_INC(&w->stats, tcp_accepted);
		STAT_INC(&w->stats, tcp_closed[STREAM_CLOSE_ERROR]);
		close(fd);
		return;
	}
	local = w->cfg->tcp_listen[li].addr;
	len = sizeof(ss);
	if (t->wildcard[li] && (getsockname(fd, (struct sockaddr *)&ss, &len) ||
				stun_addr_from_sockaddr(&local, (struct sockaddr *)&ss, len)))
		local = w->cfg->tcp_listen[li].addr;
	c = t->stopping ? NULL : stream_open(w, &w->tcp, fd, &peer, &local, li, &why);
	if (!c) {
		if (t->stopping) {
			STAT_INC(&w->stats, tcp_accepted);
			STAT_INC(&w->stats, tcp_closed[STREAM_CLOSE_SHUTDOWN]);
		}
		struct io_uring_sqe *sqe = sqe_get(t);
		io_uring_prep_close(sqe, fd);
		io_uring_sqe_set_data64(sqe, UT_UD(UT_IGNORE, 0));
		return;
	}
	if (w->cfg->tcp_listen[li].tls) {
		int rc = tls_open(w, c);

		if (rc >= 0) {
			conn_close(t, c, (enum stream_close)rc);
			return;
		}
	}
	arm_recv(t, c);
}

/* A receive completed.  It is one-shot: a multishot receive cannot be
 * stopped at once when the core pauses the connection (the completions it
 * already posted keep coming in the same batch: a peer that never reads
 * overran the input buffer that way), while a one-shot one is simply not
 * armed again until a send made room.  The re-arm rides in the batch's
 * one submit: no system call of its own. */
static void on_recv(struct uring_tcp *t, const struct io_uring_cqe *cqe)
{
	struct worker *w = t->w;
	struct stream_conn *c = &w->tcp.conns[UT_IDX(cqe->user_data)];
	int rc = -1;

	c->eflags &= ~EF_RECV;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		if (cqe->res > 0)
			rc = conn_input(w, c, tbuf(t, bid), (size_t)cqe->res);
		recycle(t, bid);
	}
	if (c->state != STREAM_OPEN) {
		maybe_close(t, c);
		return;
	}
	if (cqe->res == 0)
		rc = STREAM_CLOSE_PEER;
	else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED)
		rc = STREAM_CLOSE_ERROR;
	else if (cqe->res == -ENOBUFS)
		STAT_INC(&w->stats, enobufs);
	if (rc >= 0) {
		conn_close(t, c, (enum stream_close)rc);
		return;
	}
	if (!c->paused)
		queue_rearm(t, c);
	kick_send(t, c);
}

static void on_send(struct uring_tcp *t, const struct io_uring_cqe *cqe)
{
	struct worker *w = t->w;
	struct stream_conn *c = &w->tcp.conns[UT_IDX(cqe->user_data)];
	int rc = -1;

	c->eflags &= ~EF_SEND;
	c->sending = false;
	if (c->state != STREAM_OPEN) {
		maybe_close(t, c);
		return;
	}
	if (cqe->res <= 0) {	/* nothing left at all: as good as an error */
		conn_close(t, c, STREAM_CLOSE_ERROR);
		return;
	}
	conn_sent(w, c, (uint32_t)cqe->res);
	if (c->paused || stream_is_tls(w, c)) {
		rc = conn_resume(w, c);
		if (rc >= 0) {
			conn_close(t, c, (enum stream_close)rc);
			return;
		}
		if (!c->paused && !(c->eflags & EF_RECV))
			queue_rearm(t, c);
	}
	kick_send(t, c);
}

void uring_tcp_cqe(struct uring_tcp *t, const struct io_uring_cqe *cqe)
{
	switch (UT_OP(cqe->user_data)) {
	case UT_ACCEPT:
		on_accept(t, cqe);
		break;
	case UT_RECV:
		on_recv(t, cqe);
		break;
	case UT_SEND:
		on_send(t, cqe);
		break;
	case UT_CLOSE:
		tls_release(t->w, &t->w->tcp.conns[UT_IDX(cqe->user_data)]);
		stream_release(&t->w->tcp, &t->w->tcp.conns[UT_IDX(cqe->user_data)]);
		break;
	default:	/* UT_IGNORE: cancels of a close, closes of refused sockets */
		break;
	}
}

void uring_tcp_batch_end(struct uring_tcp *t)
{
	struct worker *w = t->w;
	struct stream_conn *c;
	enum stream_close why;

	if (!w->ntcp)
		return;
	while ((c = tls_expired(w, w->limiter.now)))
		conn_close(t, c, STREAM_CLOSE_TLS_TIMEOUT);
	while ((c = stream_expired(&w->tcp, w->limiter.now, &why)))
		conn_close(t, c, why);
	for (uint32_t i = 0; i < t->nrearm; i++) {
		c = &w->tcp.conns[t->rearm[i]];
		c->eflags &= ~EF_REARM;
		if (c->state == STREAM_OPEN && !c->paused && !(c->eflags & EF_RECV))
			arm_recv(t, c);
	}
	t->nrearm = 0;
	if (!t->stopping && w->limiter.now >= t->accept_after)
		for (unsigned int li = 0; li < w->ntcp; li++)
			if (!(t->accepting & (1u << li))) {
				arm_accept(t, li);
				STAT_INC(&w->stats, rearms);
			}
	if (t->returned) {
		io_uring_buf_ring_advance(t->br, (int)t->returned);
		t->returned = 0;
	}
}

void uring_tcp_stop(struct uring_tcp *t)
{
	struct worker *w = t->w;

	if (!w->ntcp)
		return;
	t->stopping = true;
	for (unsigned int li = 0; li < w->ntcp; li++) {
		if (!(t->accepting & (1u << li)))
			continue;
		struct io_uring_sqe *sqe = sqe_get(t);
		io_uring_prep_cancel64(sqe, UT_UD(UT_ACCEPT, li), 0);
		io_uring_sqe_set_data64(sqe, UT_UD(UT_IGNORE, 0));
	}
	for (uint32_t i = 0; i < w->tcp.n; i++)
		if (w->tcp.conns[i].state == STREAM_OPEN)
			conn_close(t, &w->tcp.conns[i], STREAM_CLOSE_SHUTDOWN);
}

bool uring_tcp_idle(const struct uring_tcp *t)
{
	return !t->w->ntcp || (!t->accepting && !t->w->tcp.open);
}

static void *map_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int uring_tcp_setup(struct uring_tcp *t, struct io_uring *ring, struct worker *w)
{
	struct io_uring_buf_reg reg;
	int ret;

	memset(t, 0, sizeof(*t));
	t->ring = ring;
	t->w = w;
	if (!w->ntcp)
		return 0;
	t->nbufs = w->cfg->ring_buffers;
	t->buf_size = w->cfg->tcp_max_msg < TCP_BUF_MAX ? w->cfg->tcp_max_msg : TCP_BUF_MAX;
	t->br_bytes = t->nbufs * sizeof(struct io_uring_buf);
	t->bufs_bytes = (size_t)t->nbufs * t->buf_size;
	t->br = map_zeroed(t->br_bytes);
	t->bufs = map_zeroed(t->bufs_bytes);
	t->rearm = calloc(w->tcp.n, sizeof(*t->rearm));
	if (!t->br || !t->bufs || !t->rearm) {
		log_error("worker %u: cannot allocate the TCP receive buffers", w->id);
		return -1;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)t->br;
	reg.ring_entries = t->nbufs;
	reg.bgid = TCP_BGID;
	ret = io_uring_register_buf_ring(ring, &reg, 0);
	if (ret) {
		log_error("worker %u: io_uring_register_buf_ring (TCP): %s", w->id,
			  strerror(-ret));
		return -1;
	}
	t->mask = io_uring_buf_ring_mask(t->nbufs);
	io_uring_buf_ring_init(t->br);
	for (unsigned int i = 0; i < t->nbufs; i++)
		recycle(t, i);
	io_uring_buf_ring_advance(t->br, (int)t->returned);
	t->returned = 0;
	for (unsigned int li = 0; li < w->ntcp; li++) {
		/* Blocking: the ring waits for connections, data and room
		 * (a non-blocking socket would get -EAGAIN instead). */
		int fl = fcntl(w->tcp_fds[li], F_GETFL);

		fcntl(w->tcp_fds[li], F_SETFL, fl & ~O_NONBLOCK);
		t->wildcard[li] = addr_is_any(&w->cfg->tcp_listen[li].addr);
		arm_accept(t, li);
	}
	return 0;
}

void uring_tcp_teardown(struct uring_tcp *t)
{
	if (t->w && t->w->ntcp) {
		/* Connections still open (a drain that timed out): close. */
		for (uint32_t i = 0; i < t->w->tcp.n; i++) {
			struct stream_conn *c = &t->w->tcp.conns[i];
			if (c->state != STREAM_FREE && !(c->eflags & EF_CLOSE))
				close(c->fd);
			tls_release(t->w, c);
			stream_release(&t->w->tcp, c);
		}
	}
	if (t->br)
		munmap(t->br, t->br_bytes);
	if (t->bufs)
		munmap(t->bufs, t->bufs_bytes);
	free(t->rearm);
	memset(t, 0, sizeof(*t));
}
