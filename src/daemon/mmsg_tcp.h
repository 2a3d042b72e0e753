/* SPDX-License-Identifier: MIT */
/*
 * mmsg_tcp.h - the recvmmsg/sendmmsg engine's TCP side (engine_mmsg.c
 * calls it): non-blocking sockets in one epoll set, which the engine's
 * poll waits on beside its UDP sockets.  Same core (stream_conn.h), same
 * limits, same counters as the io_uring engine.
 */
#ifndef STUNRINGD_MMSG_TCP_H
#define STUNRINGD_MMSG_TCP_H

#include "worker.h"

/* Bytes read from a socket at a time: at most the largest message, so
 * that the core's input buffer (twice that) always has room; at most 4 KiB. */
#define MMSG_TCP_BUF 4096

struct mmsg_tcp {
	struct worker *w;
	int epfd;		/* -1 without TCP listeners */
	unsigned int buf_size;
	bool wildcard[MAX_LISTEN];
	unsigned int accept_paused;	/* bit per listener: out of descriptors */
	uint64_t accept_after;		/* ns: when to try those again */
	uint8_t buf[MMSG_TCP_BUF];
};

/* 0, or -1 after a log line; nothing to do without TCP listeners. */
int mmsg_tcp_setup(struct mmsg_tcp *t, struct worker *w);
/* The epoll set is readable: accept, read, answer, send (nothing waits). */
void mmsg_tcp_serve(struct mmsg_tcp *t);
/* Once per loop: close the connections whose timeout passed. */
void mmsg_tcp_sweep(struct mmsg_tcp *t);
/* Close every connection (the daemon stops). */
void mmsg_tcp_stop(struct mmsg_tcp *t);
void mmsg_tcp_teardown(struct mmsg_tcp *t);

#endif
