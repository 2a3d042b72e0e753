/* SPDX-License-Identifier: MIT */
/*
 * stats.h - per-worker counters.
 *
 * Each worker owns one cache-line-aligned block and is its only writer, so
 * the hot path needs no atomic read-modify-write: STAT_ADD is a plain load,
 * add and store (relaxed atomics only so that the stats thread's concurrent
 * reads are well defined; on x86 and arm64 they compile to ordinary moves).
 * Totals are exact once the workers have been joined.
 */
#ifndef STUNRINGD_STATS_H
#define STUNRINGD_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "limiter.h"
#include "stream_conn.h"
#include "stunring.h"

struct worker_stats {
	uint64_t rx;		/* datagrams received (every one is counted once) */
	/* By the peer's address family (FAM_IPV4, FAM_IPV6), for the metrics'
	 * family label: datagrams that reached the codec (rx less truncated
	 * and bad_addr), success responses and error responses (400/420) the
	 * kernel accepted. */
	uint64_t requests[FAM_COUNT];
	uint64_t answered[FAM_COUNT];
	uint64_t errors[FAM_COUNT];
	uint64_t send_failed;	/* replies the kernel refused */
	uint64_t truncated;	/* datagrams larger than a receive buffer */
	uint64_t bad_addr;	/* no usable peer or local address (never seen) */
	uint64_t dropped[STUN_DROP_REASON_COUNT];	/* no reply, by reason */
	uint64_t no_source;	/* no socket has the address rep.src (never seen) */
	uint64_t limited[LIMIT_REASON_COUNT];	/* no reply: ACL, rate limits, cap */
	/* Replies the kernel accepted (answered + errors), by the socket they
	 * left from (enum listen_role: A1:P1, A1:P2, A2:P1, A2:P2), and by the
	 * change from the receiving socket (index rx role ^ tx role: 1 port,
	 * 2 address, 3 both; 0 unused).  RFC 5780 / RFC 3489 CHANGE-REQUEST. */
	uint64_t from_role[4];
	uint64_t changed[4];
	uint64_t response_port;	/* sent to the RESPONSE-PORT, not the source port */
	/* engine events */
	uint64_t batches;	/* completion batches / recvmmsg calls with data */
	uint64_t rearms;	/* multishot receive re-armed */
	uint64_t enobufs;	/* buffer ring ran dry */
	uint64_t recv_errors;	/* receive completions with another error */
	uint64_t sq_full;	/* submission queue filled up mid-batch */
	/* TCP (stream_conn.c): connections accepted and closed (by reason,
	 * refusals included), messages framed, answered and errors (queued on
	 * the connection), by family, framed messages without a reply, and how
	 * often a peer was paused (backpressure). */
	uint64_t tcp_accepted;
	uint64_t tcp_closed[STREAM_CLOSE_COUNT];
	uint64_t tcp_requests[FAM_COUNT];
	uint64_t tcp_answered[FAM_COUNT];
	uint64_t tcp_errors[FAM_COUNT];
	uint64_t tcp_dropped;
	uint64_t tcp_paused;
	/* Framed requests refused by the abuse limits (limiter.h, the same
	 * buckets as UDP): each closes its connection (stream_conn.c). */
	uint64_t tcp_limited[LIMIT_REASON_COUNT];
	/* TLS (stream_tls.c): handshakes finished, failed (error, timeout,
	 * peer gone; refusals by --tls-max-handshakes are only closes), and
	 * the finished ones that resumed a session (a ticket). */
	uint64_t tls_handshakes_ok;
	uint64_t tls_handshakes_failed;
	uint64_t tls_resumed;
} __attribute__((aligned(64)));

#define STAT_ADD(st, field, n) \
	__atomic_store_n(&(st)->field, \
			 __atomic_load_n(&(st)->field, __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define STAT_INC(st, field) STAT_ADD(st, field, 1)

/* sum += *w, read with relaxed loads (safe while the worker runs). */
void stats_accumulate(struct worker_stats *sum, const struct worker_stats *w);
uint64_t stats_dropped_total(const struct worker_stats *s);
/* Over both families. */
uint64_t stats_answered(const struct worker_stats *s);
uint64_t stats_errors(const struct worker_stats *s);
/* One log line: "<what>: requests=N answered=N ..." with the non-zero drop
 * reasons.  rate_interval > 0 adds requests/s since prev.  rfc5780 adds
 * the replies per source socket and per change. */
void stats_log(const char *what, const struct worker_stats *s,
	       const struct worker_stats *prev, double rate_interval, bool rfc5780);

#endif
