/* SPDX-License-Identifier: MIT */
/*
 * uring_tcp.h - the io_uring engine's TCP side (engine_uring.c calls it):
 * a multishot accept per listening socket, a recv per connection into a
 * provided-buffer ring of its own (buffer group 2),
 * sends and closes through the same ring.  What the bytes mean is the
 * stream core's business (stream_conn.h).
 */
#ifndef STUNRINGD_URING_TCP_H
#define STUNRINGD_URING_TCP_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

/* user_data: the operation in the top byte (from UT_OP_BASE on, above the
 * UDP side's), the connection (or listener) index next. */
#define UT_OP_BASE 16
enum { UT_ACCEPT = UT_OP_BASE, UT_RECV, UT_SEND, UT_CLOSE, UT_IGNORE };
#define UT_UD(op, idx) ((uint64_t)(op) << 56 | (uint64_t)(idx) << 32)
#define UT_OP(ud) ((unsigned)((ud) >> 56))
#define UT_IDX(ud) ((unsigned)((ud) >> 32) & 0xffffff)

struct uring_tcp {
	struct io_uring *ring;
	struct worker *w;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	size_t bufs_bytes;
	unsigned int nbufs, buf_size;
	int mask;
	unsigned int returned;	/* buffers added since the last advance */
	unsigned int accepting;	/* bit per listener: multishot accept live */
	bool wildcard[MAX_LISTEN];
	bool stopping;
	uint64_t accept_after;	/* out of descriptors: no re-arm before (ns) */
	/* Connections whose receive is armed again after this batch (each
	 * completed one, unless the connection is paused; a pause is over). */
	uint32_t *rearm;
	uint32_t nrearm;
};

/* In the worker thread, once the ring exists: 0, or -1 after a log line.
 * Nothing to do (and 0) without TCP listeners. */
int uring_tcp_setup(struct uring_tcp *t, struct io_uring *ring, struct worker *w);
void uring_tcp_cqe(struct uring_tcp *t, const struct io_uring_cqe *cqe);
/* After each batch's completions: the timeouts, re-arms, buffers. */
void uring_tcp_batch_end(struct uring_tcp *t);
/* Stop accepting and close every connection. */
void uring_tcp_stop(struct uring_tcp *t);
/* Nothing of ours is left in the ring (after uring_tcp_stop). */
bool uring_tcp_idle(const struct uring_tcp *t);
void uring_tcp_teardown(struct uring_tcp *t);

#endif
