/* SPDX-License-Identifier: MIT */
/*
 * worker.h - one worker thread: its sockets (one per listening address),
 * its engine (io_uring or recvmmsg/sendmmsg) and its counters.
 *
 * The engines share the per-datagram decision below: count the datagram,
 * let the codec answer it in place, and pick the socket to reply from.
 */
#ifndef STUNRINGD_WORKER_H
#define STUNRINGD_WORKER_H

#include <arpa/inet.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <stdbool.h>

#include "config.h"
#include "stats.h"

/* Receive buffers: a datagram may use RX_MAX_LEN bytes (headers included
 * for io_uring); the rest of the RX_BUF_SIZE slot is room for the response,
 * which the codec writes over its request and which is at most
 * STUN_RESPONSE_OVERHEAD bytes longer. */
#define RX_BUF_SIZE 4096
#define RX_MAX_LEN (RX_BUF_SIZE - STUN_RESPONSE_OVERHEAD)

enum reply_kind { REPLY_SUCCESS = 0, REPLY_ERROR = 1 };

struct worker {
	struct worker_stats stats;	/* first: its own cache lines */
	unsigned int id;
	int cpu;			/* pinned CPU, -1 for none */
	pthread_t thread;
	const struct daemon_config *cfg;
	unsigned int nsock;
	int fds[MAX_LISTEN];		/* one per cfg->listen[] entry */
	/* Bound to 0.0.0.0 or ::: replies need IP_PKTINFO to leave from the
	 * address that was asked; a specific bind already fixes the source. */
	bool wildcard[MAX_LISTEN];
	int stop_fd;			/* eventfd, readable once we must stop */
	enum io_engine engine;
	sem_t *started;		/* posted once set up (or failed) */
	bool setup_failed;
	bool run_failed;
};

struct engine_ops {
	const char *name;
	/* In the worker thread: rings, buffers.  0 or -1 after a log line. */
	int (*setup)(struct worker *w, void **ctx);
	/* Serve until stop_fd fires, then drain.  0 or -1 after a log line. */
	int (*run)(struct worker *w, void *ctx);
	void (*teardown)(void *ctx);
};

extern const struct engine_ops uring_engine;
extern const struct engine_ops mmsg_engine;

/* Whether this kernel and this process may use the io_uring engine
 * (multishot recvmsg with a provided buffer ring).  0, or -1 with why. */
int uring_probe(char *why, size_t cap);

int worker_start(struct worker *w);
/* True once main has asked the workers to stop. */
bool worker_stopping(void);
void worker_request_stop(int stop_fd);

/* Count one datagram and answer it in place: pkt holds len bytes, cap bytes
 * of room.  Returns the reply length (*rep says from where, to where and
 * what kind), or 0 when it gets no reply (the reason is counted). */
static inline uint32_t worker_answer(struct worker *w, uint8_t *pkt, uint32_t len,
				     uint32_t cap, const struct sockaddr *peer_sa,
				     unsigned int peer_len,
				     const struct stun_addr *local,
				     struct stun_reply *rep)
{
	struct stun_addr peer;

	STAT_INC(&w->stats, rx);
	if (stun_addr_from_sockaddr(&peer, peer_sa, peer_len)) {
		STAT_INC(&w->stats, bad_addr);
		return 0;
	}
	if (stun_respond(pkt, len, &peer, local, &w->cfg->stun, pkt, cap, rep) ==
	    STUN_VERDICT_DROP) {
		STAT_INC(&w->stats, dropped[rep->reason]);
		return 0;
	}
	return rep->len;
}

/* The socket to answer from: the one whose address is rep->src.  Basic
 * mode always answers from the receiving socket; RFC 5780 mode may ask for
 * another port (CHANGE-REQUEST), which is another listener. */
static inline unsigned int worker_reply_sock(const struct worker *w,
					     unsigned int rx_sock,
					     const struct stun_addr *src)
{
	const struct listen_spec *ls = w->cfg->listen;

	if (__builtin_expect(src->port == ls[rx_sock].addr.port, 1))
		return rx_sock;
	for (unsigned int i = 0; i < w->nsock; i++)
		if (ls[i].addr.family == src->family && ls[i].addr.port == src->port)
			return i;
	return rx_sock;
}

static inline bool addr_is_any(const struct stun_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->ip, zero, a->family == STUN_FAMILY_IPV6 ? 16 : 4);
}

/* RESPONSE-PORT (RFC 5780) may send elsewhere than the peer's port. */
static inline void sockaddr_set_port(void *sa, uint16_t port)
{
	/* sin_port and sin6_port share their offset. */
	struct sockaddr_in6 *s6 = sa;
	s6->sin6_port = htons(port);
}

#endif
