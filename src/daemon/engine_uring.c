/* SPDX-License-Identifier: MIT */
/*
 * engine_uring.c - the io_uring engine: one ring per worker, created in the
 * worker thread; a multishot recvmsg per socket fed by one provided-buffer
 * ring; every reply built in place in its receive buffer and sent with send
 * (or sendmsg, which carries the IP_PKTINFO source of a wildcard socket).
 *
 * Sends are MSG_DONTWAIT and IOSQE_CQE_SKIP_SUCCESS: io_uring issues them
 * inline while it consumes the submission queue, so by the time the SQ is
 * consumed every reply has been copied into the kernel (or has failed), and
 * its buffer is not needed any more: it goes back to the ring as soon as
 * the send is queued (DEFER_TASKRUN rings, see queue_reply) or once the SQ
 * is consumed (other rings).  A reply is counted then.  A successful send
 * posts no completion, which halves the completions and the loop
 * iterations; a failed one (-EAGAIN when the socket's send buffer is full:
 * MSG_DONTWAIT never parks a send whose buffer is already back in the ring)
 * posts one, and on_send moves it from answered to send_failed.
 *
 * TCP (--tcp-listen) is uring_tcp.c's, on the same ring.
 *
 * Per completion batch there is exactly one system call
 * (io_uring_submit_and_wait_timeout: submits the replies and waits for
 * more, at most WORKER_IDLE_WAKE_MS), and
 * per datagram none, no allocation and no lock.
 */
#include "worker.h"
#include "log.h"
#include "pktinfo.h"
#include "uring_tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BGID 1
#define DRAIN_TIMEOUT_MS 3000

/* user_data: operation in the top byte, socket (recv) or reply tag (send,
 * worker.h TAG_*) next, buffer id in the low 16 bits. */
enum op { OP_RECV = 1, OP_SEND, OP_STOP, OP_CANCEL };
#define UD(op, arg, bid) ((uint64_t)(op) << 56 | (uint64_t)(arg) << 32 | (bid))
#define UD_OP(ud) ((unsigned)((ud) >> 56))
#define UD_ARG(ud) ((unsigned)((ud) >> 32) & 0xffffff)
#define UD_BID(ud) ((unsigned)(ud) & 0xffff)

/* What a sendmsg reply needs until it is submitted; one per buffer. */
struct send_slot {
	struct msghdr msg;
	struct iovec iov;
	union pktinfo_ctrl ctrl;
};

struct uring_ctx {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	size_t bufs_bytes;
	struct send_slot *slots;
	/* Replies queued in the SQ, not yet consumed by the kernel: their
	 * buffers are still in use, and they are not counted yet. */
	struct pending_send { uint16_t bid; uint8_t tag; } *pend;
	unsigned int npend;
	unsigned int nbufs;
	int mask;
	unsigned int returned;	/* buffers added since the last advance */
	unsigned int armed;	/* bit per socket: multishot receive live */
	/* DEFER_TASKRUN ring: a reply's buffer goes back as soon as its send
	 * is queued (queue_reply says why that is safe). */
	bool early_recycle;
	bool stopping;
	struct msghdr rx_tmpl;	/* what every received buffer is laid out as */
	struct worker *w;
	struct uring_tcp tcp;	/* --tcp-listen: accepts, connections */
};

static void *map_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline uint8_t *buf_addr(struct uring_ctx *c, unsigned int bid)
{
	return c->bufs + (size_t)bid * RX_BUF_STRIDE;
}

/* Hand a buffer back to the kernel; made visible in bulk by flush. */
static inline void recycle(struct uring_ctx *c, unsigned int bid)
{
	io_uring_buf_ring_add(c->br, buf_addr(c, bid), RX_MAX_LEN, (unsigned short)bid,
			      c->mask, (int)c->returned++);
}

static inline void flush_buffers(struct uring_ctx *c)
{
	if (c->returned) {
		io_uring_buf_ring_advance(c->br, (int)c->returned);
		c->returned = 0;
	}
}

static inline struct io_uring_sqe *get_sqe(struct uring_ctx *c)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (__builtin_expect(!sqe, 0)) {
		/* More replies in this batch than SQ entries: push these out. */
		STAT_INC(&c->w->stats, sq_full);
		io_uring_submit(&c->ring);
		sqe = io_uring_get_sqe(&c->ring);
	}
	return sqe;
}

static void arm_recv(struct uring_ctx *c, unsigned int sock)
{
	struct io_uring_sqe *sqe = get_sqe(c);

	io_uring_prep_recvmsg_multishot(sqe, (int)sock, &c->rx_tmpl, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, UD(OP_RECV, sock, 0));
	c->armed |= 1u << sock;
}

static void arm_stop(struct uring_ctx *c)
{
	struct io_uring_sqe *sqe = get_sqe(c);

	io_uring_prep_poll_add(sqe, c->w->stop_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(OP_STOP, 0, 0));
}

/* Ring flags, best first: DEFER_TASKRUN keeps completions on this thread
 * and batches them (without it a busy ring ran its buffers dry). */
static int create_ring(struct uring_ctx *c, unsigned int sq, unsigned int cq)
{
	static const unsigned int tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;

	for (unsigned int i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		p.flags = tries[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = cq;
		ret = io_uring_queue_init_params(sq, &c->ring, &p);
		if (ret == 0) {
			c->early_recycle = i == 0;
			if (i > 0 && c->w->id == 0)
				log_info("io_uring: this kernel lacks SINGLE_ISSUER|DEFER_TASKRUN; "
					 "using %s", i == 1 ? "COOP_TASKRUN" : "no setup flags");
			return 0;
		}
		if (ret != -EINVAL)
			break;
	}
	log_error("worker %u: io_uring_queue_init (%u SQ, %u CQ entries): %s", c->w->id,
		  sq, cq, strerror(-ret));
	return -1;
}

static int setup_buffers(struct uring_ctx *c)
{
	struct io_uring_buf_reg reg;
	int ret;

	c->br_bytes = c->nbufs * sizeof(struct io_uring_buf);
	c->bufs_bytes = (size_t)c->nbufs * RX_BUF_STRIDE;
	c->br = map_zeroed(c->br_bytes);
	c->bufs = map_zeroed(c->bufs_bytes);
	c->slots = calloc(c->nbufs, sizeof(*c->slots));
	c->pend = calloc(c->nbufs, sizeof(*c->pend));
	if (!c->br || !c->bufs || !c->slots || !c->pend) {
		log_error("worker %u: cannot allocate %zu bytes of receive buffers",
			  c->w->id, c->bufs_bytes);
		return -1;
	}
	/* liburing 2.3 has no io_uring_setup_buf_ring: register our own. */
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)c->br;
	reg.ring_entries = c->nbufs;
	reg.bgid = BGID;
	ret = io_uring_register_buf_ring(&c->ring, &reg, 0);
	if (ret) {
		log_error("worker %u: io_uring_register_buf_ring: %s (needs Linux 5.19)",
			  c->w->id, strerror(-ret));
		return -1;
	}
	c->mask = io_uring_buf_ring_mask(c->nbufs);
	io_uring_buf_ring_init(c->br);
	for (unsigned int i = 0; i < c->nbufs; i++) {
		struct send_slot *s = &c->slots[i];

		recycle(c, i);
		s->msg.msg_iov = &s->iov;
		s->msg.msg_iovlen = 1;
		s->msg.msg_control = &s->ctrl;
	}
	flush_buffers(c);
	return 0;
}

static int uring_setup(struct worker *w, void **out)
{
	struct uring_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		log_error("worker %u: out of memory", w->id);
		return -1;
	}
	*out = c;
	c->w = w;
	c->nbufs = w->cfg->ring_buffers;
	/* In-flight sends are bounded by the buffers, so an SQ of nbufs
	 * entries takes a whole batch of replies, and a CQ of 4 x nbufs every
	 * receive and send completion that can be pending at once. */
	unsigned int cq = c->nbufs < 16384 ? c->nbufs * 4 : 65536;
	/* TCP: up to a receive, a send and a close per connection. */
	while (w->ntcp && cq < 65536 && cq < 2 * w->tcp.n)
		cq *= 2;
	if (create_ring(c, c->nbufs < 4096 ? c->nbufs : 4096, cq))
		return -1;
	if (setup_buffers(c))
		return -1;
	/* Blocking sockets: io_uring polls them internally.  Sends still
	 * never wait: each one says MSG_DONTWAIT itself (queue_reply). */
	for (unsigned int i = 0; i < w->nsock; i++) {
		int fl = fcntl(w->fds[i], F_GETFL);
		fcntl(w->fds[i], F_SETFL, fl & ~O_NONBLOCK);
	}
	ret = io_uring_register_files(&c->ring, w->fds, w->nsock);
	if (ret) {
		log_error("worker %u: io_uring_register_files: %s", w->id, strerror(-ret));
		return -1;
	}
	/* Name area rounded up to 8 bytes, so the control message the kernel
	 * writes right after it is aligned for struct cmsghdr. */
	c->rx_tmpl.msg_namelen = (sizeof(struct sockaddr_in6) + 7) & ~7u;
	/* Only wildcard sockets receive IP_PKTINFO (listener.c): without one,
	 * no room is reserved for it in every buffer. */
	for (unsigned int i = 0; i < w->nsock; i++)
		if (w->wildcard[i])
			c->rx_tmpl.msg_controllen = PKTINFO_CTRL_LEN;
	if (uring_tcp_setup(&c->tcp, &c->ring, w))
		return -1;
	for (unsigned int i = 0; i < w->nsock; i++)
		arm_recv(c, i);
	arm_stop(c);
	ret = io_uring_submit(&c->ring);
	if (ret < 0) {
		log_error("worker %u: io_uring_submit: %s", w->id, strerror(-ret));
		return -1;
	}
	return 0;
}

static void queue_reply(struct uring_ctx *c, unsigned int sock, unsigned int bid,
			uint8_t *reply, const struct stun_reply *rep, void *name,
			unsigned int namelen, int ifindex, unsigned int tag)
{
	struct send_slot *s = &c->slots[bid];
	struct io_uring_sqe *sqe = get_sqe(c);

	/* The peer's sockaddr stays where the kernel put it, in the buffer,
	 * in front of the payload the reply overwrote. */
	if (!c->w->wildcard[sock]) {
		/* The bound address is the source: plain send, which is
		 * cheaper than sendmsg (no msghdr to copy in). */
		io_uring_prep_send(sqe, (int)sock, reply, rep->len, MSG_DONTWAIT);
		io_uring_prep_send_set_addr(sqe, name, (uint16_t)namelen);
	} else {
		s->iov.iov_base = reply;
		s->iov.iov_len = rep->len;
		s->msg.msg_name = name;
		s->msg.msg_namelen = namelen;
		s->msg.msg_controllen = pktinfo_build(&s->ctrl, &rep->src, ifindex);
		io_uring_prep_sendmsg(sqe, (int)sock, &s->msg, MSG_DONTWAIT);
	}
	/* MSG_DONTWAIT makes io_uring issue the send once, inline at submit,
	 * and fail it with -EAGAIN rather than park it (header comment). */
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(sqe, UD(OP_SEND, tag, bid));
	if (c->early_recycle) {
		/* The buffer goes back now, before the send is even submitted,
		 * so the receives in the same io_uring_enter already have it
		 * (held until after the wait, with 128 buffers, every batch
		 * ran the ring dry).  Safe with DEFER_TASKRUN only: the kernel
		 * sees it once flush_buffers publishes it, after this batch,
		 * and then fills buffers only while it runs this ring's task
		 * work, which io_uring_enter does after it has submitted the
		 * whole SQ (not at all if the submit stopped short); a receive
		 * re-armed in that SQ comes after these sends.  Each send is
		 * issued inline there and copies its datagram (MSG_DONTWAIT:
		 * never parked for later).  Without DEFER_TASKRUN, task work
		 * runs on entry, before the submit: sends_submitted. */
		recycle(c, bid);
		worker_count_sent(c->w, tag);
		return;
	}
	c->pend[c->npend++] = (struct pending_send){ (uint16_t)bid, (uint8_t)tag };
}

/* After a submit: once the kernel has consumed the whole SQ, every queued
 * send has been issued (copied into an skb, or failed with a completion of
 * its own that on_send uncounts), so the buffers go back to the ring and
 * the replies are counted.  If the SQ was not emptied (an interrupted
 * submit), they wait for the next one: a buffer whose SQE is still queued
 * must not be handed to the kernel for a receive. */
static void sends_submitted(struct uring_ctx *c)
{
	if (!c->npend || io_uring_sq_ready(&c->ring))
		return;
	for (unsigned int i = 0; i < c->npend; i++) {
		recycle(c, c->pend[i].bid);
		worker_count_sent(c->w, c->pend[i].tag);
	}
	c->npend = 0;
}

static void on_recv(struct uring_ctx *c, const struct io_uring_cqe *cqe)
{
	struct worker *w = c->w;
	unsigned int sock = UD_ARG(cqe->user_data);
	struct io_uring_recvmsg_out *o;
	struct stun_addr local;
	struct stun_reply rep;
	unsigned int tx, tag;
	int ifindex = 0;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		c->armed &= ~(1u << sock);	/* re-armed after this batch */
		if (cqe->res == -ENOBUFS)
			STAT_INC(&w->stats, enobufs);
	}
	if (cqe->res < 0) {
		if (cqe->res != -ENOBUFS && cqe->res != -ECANCELED)
			STAT_INC(&w->stats, recv_errors);
		return;
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return;

	unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	uint8_t *buf = buf_addr(c, bid);

	o = io_uring_recvmsg_validate(buf, cqe->res, &c->rx_tmpl);
	if (__builtin_expect(!o || o->namelen > c->rx_tmpl.msg_namelen, 0)) {
		STAT_INC(&w->stats, rx);
		STAT_INC(&w->stats, bad_addr);
		recycle(c, bid);
		return;
	}
	if (__builtin_expect(o->flags & MSG_TRUNC, 0)) {
		STAT_INC(&w->stats, rx);
		STAT_INC(&w->stats, truncated);
		recycle(c, bid);
		return;
	}
	local = w->cfg->listen[sock].addr;
	for (struct cmsghdr *cm = io_uring_recvmsg_cmsg_firsthdr(o, &c->rx_tmpl); cm;
	     cm = io_uring_recvmsg_cmsg_nexthdr(o, &c->rx_tmpl, cm))
		if (!pktinfo_parse(cm, local.port, &local, &ifindex))
			break;

	uint8_t *pkt = io_uring_recvmsg_payload(o, &c->rx_tmpl);
	uint32_t len = io_uring_recvmsg_payload_length(o, cqe->res, &c->rx_tmpl);
	uint32_t cap = (uint32_t)(buf + RX_BUF_SIZE - pkt);
	void *name = io_uring_recvmsg_name(o);

	if (!worker_answer(w, sock, pkt, len, cap, name, o->namelen, &local, &rep, &tx,
			   &tag)) {
		recycle(c, bid);
		return;
	}
	if (__builtin_expect(rep.dst.port != ntohs(((struct sockaddr_in6 *)name)->sin6_port), 0))
		sockaddr_set_port(name, rep.dst.port);
	queue_reply(c, tx, bid, pkt, &rep, name, o->namelen, ifindex, tag);
}

/* Only a failed send posts a completion (IOSQE_CQE_SKIP_SUCCESS).  Its
 * buffer is already back in the ring and its reply was counted (queue_reply
 * or sends_submitted): move it from answered/errors to send_failed. */
static void on_send(struct uring_ctx *c, const struct io_uring_cqe *cqe)
{
	static struct log_limit limit;
	struct worker *w = c->w;

	if (cqe->res >= 0)
		return;
	worker_uncount_sent(w, UD_ARG(cqe->user_data));
	STAT_INC(&w->stats, send_failed);
	log_limited(&limit, LOG_LVL_WARN, "worker %u: sending a reply failed: %s "
		    "(counted in send_failed)", w->id, strerror(-cqe->res));
}

/* Stop receiving; what was received is still answered (drain). */
static void begin_stop(struct uring_ctx *c)
{
	c->stopping = true;
	for (unsigned int i = 0; i < c->w->nsock; i++) {
		if (!(c->armed & (1u << i)))
			continue;
		struct io_uring_sqe *sqe = get_sqe(c);
		io_uring_prep_cancel64(sqe, UD(OP_RECV, i, 0), 0);
		io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, i, 0));
	}
	uring_tcp_stop(&c->tcp);
}

static unsigned int process_batch(struct uring_ctx *c)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&c->ring, head, cqe) {
		switch (UD_OP(cqe->user_data)) {
		case OP_RECV:
			on_recv(c, cqe);
			break;
		case OP_SEND:
			on_send(c, cqe);
			break;
		case OP_STOP:
			begin_stop(c);
			break;
		default:
			if (UD_OP(cqe->user_data) >= UT_OP_BASE)
				uring_tcp_cqe(&c->tcp, cqe);
			break;
		}
		n++;
	}
	io_uring_cq_advance(&c->ring, n);
	flush_buffers(c);
	uring_tcp_batch_end(&c->tcp);
	return n;
}

/* Re-arm receives that ended (-ENOBUFS, or the kernel's own reasons).
 * Always at once, even when every buffer waits in a queued send: successful
 * sends post no completion, so a ring with no receive armed could sleep
 * forever; the queued sends' buffers are back by the time the re-armed
 * receive runs, or right after the submit (one more -ENOBUFS at worst). */
static void rearm(struct uring_ctx *c)
{
	unsigned int all = (1u << c->w->nsock) - 1;

	if (c->stopping || c->armed == all)
		return;
	for (unsigned int i = 0; i < c->w->nsock; i++) {
		if (!(c->armed & (1u << i))) {
			arm_recv(c, i);
			STAT_INC(&c->w->stats, rearms);
		}
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int uring_run(struct worker *w, void *ctx)
{
	struct uring_ctx *c = ctx;
	uint64_t deadline = 0;

	for (;;) {
		/* Idle, the wait still ends every WORKER_IDLE_WAKE_MS, so that
		 * the heartbeat stays fresh; draining, every 50 ms. */
		struct __kernel_timespec ts = { .tv_sec = WORKER_IDLE_WAKE_MS / 1000 };
		struct io_uring_cqe *cqe;
		int ret;

		if (c->stopping) {
			if (!c->armed && !c->npend && !io_uring_sq_ready(&c->ring) &&
			    uring_tcp_idle(&c->tcp))
				break;
			if (!deadline)
				deadline = now_ms() + DRAIN_TIMEOUT_MS;
			else if (now_ms() > deadline) {
				log_warn("worker %u: drain timed out with %u replies not submitted",
					 w->id, c->npend);
				break;
			}
			ts = (struct __kernel_timespec){ .tv_nsec = 50 * 1000000 };
		}
		ret = io_uring_submit_and_wait_timeout(&c->ring, &cqe, 1, &ts, NULL);
		if (ret == -ETIME)
			ret = 0;
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			log_error("worker %u: io_uring_submit_and_wait: %s", w->id,
				  strerror(-ret));
			return -1;
		}
		sends_submitted(c);
		worker_batch_start(w);
		if (process_batch(c))
			STAT_INC(&w->stats, batches);
		rearm(c);
	}
	return 0;
}

static void uring_teardown(void *ctx)
{
	struct uring_ctx *c = ctx;

	if (!c)
		return;
	if (c->ring.ring_fd > 0) {
		/* The ring's own teardown runs later in a kernel worker and
		 * would keep the registered sockets bound after we exit (a
		 * quick restart would find its port "in use"): drop them now. */
		io_uring_unregister_files(&c->ring);
		io_uring_queue_exit(&c->ring);
	}
	uring_tcp_teardown(&c->tcp);
	if (c->br)
		munmap(c->br, c->br_bytes);
	if (c->bufs)
		munmap(c->bufs, c->bufs_bytes);
	free(c->slots);
	free(c->pend);
	free(c);
}

const struct engine_ops uring_engine = {
	.name = "io_uring",
	.setup = uring_setup,
	.run = uring_run,
	.teardown = uring_teardown,
};

/* Try exactly what the engine needs, on an AF_UNIX datagram pair (works
 * even in a namespace whose loopback is down): a ring, a registered buffer
 * ring and one multishot recvmsg completion. */
int uring_probe(char *why, size_t cap)
{
	struct io_uring ring;
	struct io_uring_buf_reg reg;
	struct io_uring_buf_ring *br = NULL;
	struct io_uring_cqe *cqe;
	struct msghdr msg;
	const size_t nb = 4, bsz = 256;
	uint8_t *bufs = NULL;
	int sv[2] = { -1, -1 }, ret, rc = -1;
	bool ring_ok = false;

	memset(&msg, 0, sizeof(msg));
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret) {
		snprintf(why, cap, "io_uring_setup: %s", strerror(-ret));
		return -1;
	}
	ring_ok = true;
	br = map_zeroed(4096);
	bufs = map_zeroed(nb * bsz);
	if (!br || !bufs || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, cap, "probe setup: %s", strerror(errno));
		goto out;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = nb;
	reg.bgid = BGID;
	ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (ret) {
		snprintf(why, cap, "io_uring_register_buf_ring: %s (needs Linux 5.19)",
			 strerror(-ret));
		goto out;
	}
	io_uring_buf_ring_init(br);
	for (size_t i = 0; i < nb; i++)
		io_uring_buf_ring_add(br, bufs + i * bsz, (unsigned)bsz, (unsigned short)i,
				      io_uring_buf_ring_mask(nb), (int)i);
	io_uring_buf_ring_advance(br, (int)nb);

	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recvmsg_multishot(sqe, sv[0], &msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	if (io_uring_submit(&ring) != 1 || write(sv[1], "x", 1) != 1) {
		snprintf(why, cap, "io_uring_submit: %s", strerror(errno));
		goto out;
	}
	struct __kernel_timespec ts = { .tv_sec = 1 };
	ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	if (ret) {
		snprintf(why, cap, "no completion for a probe datagram: %s", strerror(-ret));
		goto out;
	}
	if (cqe->res < 0)
		snprintf(why, cap, "multishot recvmsg: %s (needs Linux 6.0)",
			 strerror(-cqe->res));
	else if (!(cqe->flags & IORING_CQE_F_MORE) || !(cqe->flags & IORING_CQE_F_BUFFER))
		snprintf(why, cap, "multishot recvmsg did not stay armed");
	else
		rc = 0;
	io_uring_cqe_seen(&ring, cqe);
out:
	if (ring_ok)
		io_uring_queue_exit(&ring);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (br)
		munmap(br, 4096);
	if (bufs)
		munmap(bufs, nb * bsz);
	return rc;
}
