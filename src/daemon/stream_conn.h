/* SPDX-License-Identifier: MIT */
/*
 * stream_conn.h - STUN over a byte stream (RFC 8489 section 6.2.2), for
 * every engine: a pool of connections sized once at start, framing,
 * answering, backpressure, and the timeouts.
 *
 * The core sees plaintext only: the engine (io_uring or mmsg) hands it the
 * bytes it received (stream_input) and sends what it has to send
 * (stream_out_*), so a TLS filter can later sit between the two without
 * the core changing.  Nothing here makes a system call or allocates after
 * stream_pool_init.
 *
 * Each connection has two fixed buffers in the pool's arena:
 *   in   2 x max message bytes: the bytes of a message still incomplete,
 *        or, while the connection is paused, the requests not answered yet.
 *        Whole messages that arrive while nothing is buffered are answered
 *        straight from the engine's receive buffer, never copied.
 *   out  max message + 2 x STUN_RESPONSE_OVERHEAD bytes: the replies not
 *        sent yet, in order.  A request is answered only when out has room
 *        for the largest reply it can get; when it has not, the connection
 *        is paused: the engine stops reading it until a send completes
 *        (backpressure: the peer's own TCP window closes).
 */
#ifndef STUNRINGD_STREAM_CONN_H
#define STUNRINGD_STREAM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Why a connection was closed (or refused at once), each counted:
 * stunring_tcp_closed_total{reason}. */
enum stream_close {
	STREAM_CLOSE_PEER = 0,		/* the peer closed (end of stream) */
	STREAM_CLOSE_ERROR,		/* reset, or a receive or send error */
	STREAM_CLOSE_MAX_CONNS,		/* refused: the worker's pool is full */
	STREAM_CLOSE_PER_SOURCE,	/* refused: the source has too many */
	STREAM_CLOSE_ACL,		/* refused: --deny / --allow */
	STREAM_CLOSE_FIRST_TIMEOUT,	/* no complete message in time */
	STREAM_CLOSE_IDLE_TIMEOUT,	/* no complete message for too long */
	STREAM_CLOSE_TOO_BIG,		/* a message over --tcp-max-message */
	STREAM_CLOSE_NOT_STUN,		/* bytes that cannot be framed as STUN */
	STREAM_CLOSE_OVERFLOW,		/* kept sending while paused, past the buffer */
	STREAM_CLOSE_RATE_LIMIT,	/* a request over --rate-limit, --error-rate-limit
					 * or --max-response-rate (stream_conn.c) */
	STREAM_CLOSE_SHUTDOWN,		/* the daemon stopped */
	/* TLS (stream_tls.h) */
	STREAM_CLOSE_TLS_TIMEOUT,	/* handshake not done in time */
	STREAM_CLOSE_TLS_BUSY,		/* refused: --tls-max-handshakes reached */
	STREAM_CLOSE_TLS_ERROR,		/* handshake failed, bad record, alert */
	STREAM_CLOSE_COUNT
};
const char *stream_close_name(enum stream_close r);

#define STREAM_NIL UINT32_MAX

enum stream_state { STREAM_FREE = 0, STREAM_OPEN, STREAM_CLOSING };

struct stream_conn {
	uint32_t prev, next;	/* timer list (or free list: next) */
	uint64_t deadline;	/* ns, the worker's batch clock */
	uint32_t in_len;	/* bytes in in[] */
	uint32_t out_off;	/* out[out_off, out_len): replies not sent */
	uint32_t out_len;
	uint8_t state;		/* enum stream_state */
	uint8_t timer;		/* 0: on no list, 1: first message, 2: idle */
	bool paused;		/* stopped reading: out has no room */
	bool sending;		/* the engine sends out[out_off, ...): no compaction */
	/* Refused by an abuse limit (stream_conn.c): read nothing more, send
	 * what out holds, then close: why + 1 (0: no). */
	uint8_t finish;
	uint8_t listener;	/* index in cfg->tcp_listen */
	uint8_t fam;		/* FAM_IPV4 / FAM_IPV6, of the peer */
	uint16_t eflags;	/* the engine's own (recv armed, close queued...) */
	int fd;
	struct stun_addr peer, local;
};

struct stream_pool {
	struct stream_conn *conns;
	uint8_t *arena;		/* n x (in_cap + out_cap), mmap'ed, touched on use */
	size_t arena_bytes;
	uint32_t n;		/* connections this worker may hold */
	uint32_t open;		/* held now (open or closing) */
	uint32_t in_cap, out_cap, max_msg;
	uint32_t free_head;
	uint64_t first_ns, idle_ns;
	struct { uint32_t head, tail; } timers[2];	/* FIFO: deadlines in order */
};

struct worker;

/* What one connection costs, in bytes, for a maximum message size. */
size_t stream_conn_bytes(unsigned int max_msg);
/* The connections of one worker: cfg's total split over nworkers.  0, or
 * -1 when out of memory. */
int stream_pool_init(struct stream_pool *p, const struct daemon_config *cfg,
		     unsigned int nworkers);
void stream_pool_free(struct stream_pool *p);

static inline uint32_t stream_index(const struct stream_pool *p, const struct stream_conn *c)
{
	return (uint32_t)(c - p->conns);
}

/* A connection the engine accepted on fd (tcp_listen[listener]).  NULL,
 * counted as *why (the engine closes fd at once), when the ACL refuses its
 * source, the source has --max-connections-per-source already, or the pool
 * is full. */
struct stream_conn *stream_open(struct worker *w, struct stream_pool *p, int fd,
				const struct stun_addr *peer, const struct stun_addr *local,
				unsigned int listener, enum stream_close *why);
/* len plaintext bytes from the peer: frame, answer in order into out.
 * Returns -1 to go on (c->paused says whether to stop reading), or why to
 * close the connection now. */
int stream_input(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		 const uint8_t *data, size_t len);
/* After a send completed on a paused connection: answer what in[] holds.
 * -1 (still paused, or not), or why to close (also: a connection refused
 * by a limit whose replies have all been sent). */
int stream_resume(struct worker *w, struct stream_pool *p, struct stream_conn *c);

static inline uint8_t *stream_out(const struct stream_pool *p, const struct stream_conn *c)
{
	return p->arena + (size_t)stream_index(p, c) * (p->in_cap + p->out_cap) + p->in_cap +
	       c->out_off;
}
static inline uint32_t stream_out_pending(const struct stream_conn *c)
{
	return c->out_len - c->out_off;
}
/* n bytes of stream_out left. */
static inline void stream_sent(struct stream_conn *c, uint32_t n)
{
	c->out_off += n;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* A filter (stream_tls.h) finished the connection's handshake: its
 * first-message timeout starts again from now. */
void stream_restart_first_timer(struct worker *w, struct stream_pool *p, struct stream_conn *c);

/* The connection closes (counted as why): off the timer lists; the engine
 * then waits for its own operations and calls stream_release. */
void stream_closing(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		    enum stream_close why);
/* Back to the pool (the fd is closed or being closed). */
void stream_release(struct stream_pool *p, struct stream_conn *c);
/* An open connection whose first-message or idle deadline is before now
 * (*why says which), or NULL: call until NULL once per batch.  Cost: one
 * look at the head of each list when nothing expired. */
struct stream_conn *stream_expired(struct stream_pool *p, uint64_t now,
				   enum stream_close *why);

#endif
