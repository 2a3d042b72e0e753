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
#include "log.h"
#include "monotime.h"
#include "settings.h"
#include "stats.h"
#include "stream_conn.h"

/* Receive buffers: a datagram may use RX_MAX_LEN bytes (headers included
 * for io_uring); the rest of the RX_BUF_SIZE slot is room for the response,
 * which the codec writes over its request and which is at most
 * STUN_RESPONSE_OVERHEAD bytes longer. */
#define RX_BUF_SIZE 4096
#define RX_MAX_LEN (RX_BUF_SIZE - STUN_RESPONSE_OVERHEAD)
/* Distance between two buffers: one cache line more than a page, so that
 * the first lines of consecutive buffers (headers, address, the request and
 * its reply: all a datagram touches) fall in different cache sets.  With a
 * 4096-byte stride they all compete for the same few sets of the L1/L2. */
#define RX_BUF_STRIDE (RX_BUF_SIZE + 64)

/* The longest an engine waits for traffic before its loop goes round
 * again: an idle worker still refreshes its heartbeat this often. */
#define WORKER_IDLE_WAKE_MS 1000

struct worker {
	struct worker_stats stats;	/* first: its own cache lines */
	/* The abuse limits (limiter.h): its buckets and clock, and the
	 * block's read-only parameters (worker_pick_settings). */
	struct limiter limiter;
	const struct limit_params *limits;
	/* Health (health.c, metrics_http.c): CLOCK_MONOTONIC ns at the
	 * start of the latest loop iteration, stored once per batch or idle
	 * wake-up (worker_batch_start), read by the metrics thread. */
	uint64_t heartbeat_ns;
	/* Test-only fault hook (test_faults.c): when non-zero, the worker
	 * stalls this many ms before its next batch.  Only main writes it,
	 * and only under STUNRINGD_TEST_FAULTS. */
	uint32_t test_stall_ms;
	unsigned int id;
	unsigned int nworkers;		/* how many share the listeners */
	int cpu;			/* pinned CPU, -1 for none */
	pthread_t thread;
	const struct daemon_config *cfg;
	unsigned int nsock;
	int fds[MAX_LISTEN];		/* one per cfg->listen[] entry */
	/* Bound to 0.0.0.0 or ::: replies need IP_PKTINFO to leave from the
	 * address that was asked; a specific bind already fixes the source. */
	bool wildcard[MAX_LISTEN];
	/* TCP (stream_conn.h): the listening sockets (one per
	 * cfg->tcp_listen entry) and the pool of connections, set up by
	 * worker_main when there is a TCP listener. */
	unsigned int ntcp;
	int tcp_fds[MAX_LISTEN];
	struct stream_pool tcp;
	/* --tls-listen (stream_tls.h): per connection the TLS state; NULL
	 * without a TLS listener (the plaintext path then tests only this). */
	struct stream_tls *tls;
	int stop_fd;			/* eventfd, readable once we must stop */
	enum io_engine engine;
	/* SIGHUP's settings (settings.h): main stores next_settings; the
	 * worker switches between batches (worker_pick_settings) and stores
	 * what it now uses in used_settings, for main to free old blocks. */
	const struct settings *next_settings;
	const struct settings *used_settings;
	/* Per listener: what stun_respond is told, from the block in use. */
	const struct stun_server_cfg *stun[MAX_LISTEN];
	sem_t *started;		/* posted once set up (or failed) */
	bool setup_failed;
	bool run_failed;
	bool stop;			/* set by worker_request_stop */
	/* Where this worker's log lines go (log.h); NULL: stderr. */
	const struct log_sink *log_sink;
	/* Called in the worker when its engine fails while serving; NULL:
	 * SIGUSR1 to the process (stunringd's main waits for it). */
	void (*on_failure)(struct worker *w);
	void *owner;			/* the embedded server's, for on_failure */
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
/* Out of line, at debug level only: why a datagram got no reply, at most
 * one line per second per reason (log_limited). */
void worker_log_drop(const struct worker *w, enum stun_drop_reason reason,
		     const struct stun_addr *peer);
/* Out of line: the test-only stall (worker_batch_start). */
void worker_test_stall(struct worker *w);

/* True once main has asked the workers to stop. */
bool worker_stopping(const struct worker *w);
/* Set the stop flag of workers[0..n) and wake them through stop_fd. */
void worker_request_stop(struct worker *workers, unsigned int n, int stop_fd);
/* Start nw workers on their sockets (fds[w * n_listen + l], tcp_fds the
 * same) and wait until each has set up its engine.  Returns how many
 * threads were started (all must be joined); *ok is false when one could
 * not start or set up.  Fields of workers[] set beforehand (log_sink,
 * on_failure, owner, settings) are kept. */
unsigned int worker_start_all(struct worker *workers, unsigned int nw,
			      const struct daemon_config *cfg, const int *fds,
			      const int *tcp_fds, const int *cpus, unsigned int ncpu,
			      int stop_fd, sem_t *ready, bool *ok);

/* What a queued reply is, kept until the kernel accepts it (io_uring
 * user_data, mmsg array) so it is counted only once really sent: bit 0 an
 * error response, bits 1-2 the role of the socket it leaves from, bits 3-4
 * the change from the receiving socket (rx role ^ tx role), bit 5 sent to a
 * RESPONSE-PORT, bit 6 an IPv6 peer. */
#define TAG_ERROR 1u
#define TAG_ROLE(t) (((t) >> 1) & 3u)
#define TAG_CHANGE(t) (((t) >> 3) & 3u)
#define TAG_RPORT (1u << 5)
#define TAG_V6 (1u << 6)
#define TAG_FAM(t) (((t) >> 6) & 1u)	/* FAM_IPV4 or FAM_IPV6 */

/* Between two batches: move to the settings main published last, if they
 * are new.  One acquire load when nothing changed. */
static inline void worker_pick_settings(struct worker *w)
{
	const struct settings *s = __atomic_load_n(&w->next_settings, __ATOMIC_ACQUIRE);

	if (__builtin_expect(s == w->used_settings, 1))
		return;
	for (unsigned int i = 0; i < w->nsock; i++)
		w->stun[i] = &s->fam[fam_index(&w->cfg->listen[i].addr)];
	w->limits = &s->limits;
	__atomic_store_n(&w->used_settings, s, __ATOMIC_RELEASE);
}

/* Once per batch, after the engine's wait returned (with datagrams, or an
 * idle wake-up at most WORKER_IDLE_WAKE_MS later) and before it answers
 * anything: one clock read for the heartbeat (the health check's coarse
 * clock tolerates one slightly ahead) and the buckets' clock, which must
 * not lag behind the wait; SIGHUP's settings; the test-only stall. */
static inline void worker_batch_start(struct worker *w)
{
	uint64_t now = monotime_ns();

	__atomic_store_n(&w->heartbeat_ns, now, __ATOMIC_RELAXED);
	w->limiter.now = now;
	worker_pick_settings(w);
	if (__builtin_expect(__atomic_load_n(&w->test_stall_ms, __ATOMIC_RELAXED) != 0, 0))
		worker_test_stall(w);
}

/* The socket to answer from: the one whose address is rep->src.  The
 * receiving socket in basic mode (src is the local address the request came
 * to); in RFC 5780 mode a CHANGE-REQUEST names one of the other three.
 * -1 when no listener has that address (cannot happen with a configuration
 * rfc5780.c accepted; counted, never answered from a wrong address). */
static inline int worker_reply_sock(const struct worker *w, unsigned int rx_sock,
				    const struct stun_addr *local,
				    const struct stun_addr *src)
{
	const struct listen_spec *ls = w->cfg->listen;

	if (__builtin_expect(src->port == local->port &&
			     !memcmp(src->ip, local->ip, sizeof(src->ip)), 1))
		return (int)rx_sock;
	for (unsigned int i = 0; i < w->nsock; i++)
		if (!w->wildcard[i] && ls[i].addr.family == src->family &&
		    ls[i].addr.port == src->port &&
		    !memcmp(ls[i].addr.ip, src->ip, sizeof(src->ip)))
			return (int)i;
	return -1;
}

/* Count one datagram received on socket rx_sock and answer it in place:
 * pkt holds len bytes, cap bytes of room.  Returns the reply length (*rep
 * says from where, to where and what kind; *tx_sock the socket to send it
 * from, *tag what to count once it is sent), or 0 when it gets no reply
 * (the reason is counted). */
static inline uint32_t worker_answer(struct worker *w, unsigned int rx_sock,
				     uint8_t *pkt, uint32_t len, uint32_t cap,
				     const struct sockaddr *peer_sa, unsigned int peer_len,
				     const struct stun_addr *local,
				     struct stun_reply *rep, unsigned int *tx_sock,
				     unsigned int *tag)
{
	const struct listen_spec *ls = w->cfg->listen;
	const struct limit_params *lp = w->limits;
	struct stun_addr peer;
	uint64_t key[2];
	int tx;

	STAT_INC(&w->stats, rx);
	if (stun_addr_from_sockaddr(&peer, peer_sa, peer_len)) {
		STAT_INC(&w->stats, bad_addr);
		return 0;
	}
	STAT_INC(&w->stats, requests[fam_index(&peer)]);
	/* The key is needed by the ACL and the buckets: made once. */
	if (__builtin_expect(lp->acl || lp->buckets, 0))
		limit_key(&peer, key);
	if (__builtin_expect(lp->acl, 0)) {
		if (limit_acl_denied(lp, key)) {
			STAT_INC(&w->stats, limited[LIMIT_ACL]);
			return 0;
		}
	}
	if (stun_respond(pkt, len, &peer, local, w->stun[rx_sock], pkt, cap, rep) ==
	    STUN_VERDICT_DROP) {
		STAT_INC(&w->stats, dropped[rep->reason]);
		if (__builtin_expect(log_threshold >= LOG_LVL_DEBUG, 0))
			worker_log_drop(w, rep->reason, &peer);
		return 0;
	}
	tx = worker_reply_sock(w, rx_sock, local, &rep->src);
	if (__builtin_expect(tx < 0, 0)) {
		STAT_INC(&w->stats, no_source);
		return 0;
	}
	if (__builtin_expect(lp->buckets || lp->cap_t, 0)) {
		enum limit_reason why;

		why = limit_charge(&w->limiter, lp, key, peer.family == STUN_FAMILY_IPV6,
				   limit_strict(rep, &peer));
		if (why != LIMIT_OK) {
			STAT_INC(&w->stats, limited[why]);
			return 0;
		}
	}
	*tx_sock = (unsigned int)tx;
	*tag = (rep->verdict == STUN_VERDICT_ERROR ? TAG_ERROR : 0) |
	       (unsigned int)ls[tx].role << 1 |
	       (unsigned int)(ls[tx].role ^ ls[rx_sock].role) << 3 |
	       (rep->dst.port != peer.port ? TAG_RPORT : 0) |
	       (peer.family == STUN_FAMILY_IPV6 ? TAG_V6 : 0);
	return rep->len;
}

/* A reply the kernel accepted. */
static inline void worker_count_sent(struct worker *w, unsigned int tag)
{
	if (tag & TAG_ERROR)
		STAT_INC(&w->stats, errors[TAG_FAM(tag)]);
	else
		STAT_INC(&w->stats, answered[TAG_FAM(tag)]);
	STAT_INC(&w->stats, from_role[TAG_ROLE(tag)]);
	if (__builtin_expect(tag & ~(TAG_ERROR | 6u | TAG_V6), 0)) {
		if (TAG_CHANGE(tag))
			STAT_INC(&w->stats, changed[TAG_CHANGE(tag)]);
		if (tag & TAG_RPORT)
			STAT_INC(&w->stats, response_port);
	}
}

/* A reply counted by worker_count_sent that the kernel then refused (the
 * io_uring engine counts a send when it is submitted: a success posts no
 * completion).  Exact once the worker has stopped. */
static inline void worker_uncount_sent(struct worker *w, unsigned int tag)
{
	if (tag & TAG_ERROR)
		STAT_ADD(&w->stats, errors[TAG_FAM(tag)], (uint64_t)-1);
	else
		STAT_ADD(&w->stats, answered[TAG_FAM(tag)], (uint64_t)-1);
	STAT_ADD(&w->stats, from_role[TAG_ROLE(tag)], (uint64_t)-1);
	if (TAG_CHANGE(tag))
		STAT_ADD(&w->stats, changed[TAG_CHANGE(tag)], (uint64_t)-1);
	if (tag & TAG_RPORT)
		STAT_ADD(&w->stats, response_port, (uint64_t)-1);
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
