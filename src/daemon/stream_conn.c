/* SPDX-License-Identifier: MIT */
/*
 * stream_conn.c - the stream core (stream_conn.h): the pool, framing with
 * stun_frame_len, answers with stun_respond (transport TCP), the timers.
 *
 * Timers: a connection is on one of two FIFO lists, "first message" and
 * "idle", each with one fixed timeout, so appending at the tail keeps each
 * list in deadline order; a complete message moves the connection to the
 * idle list's tail.  Expiry looks at the two heads once per batch, with
 * the clock the worker read for the batch: no system call, no scan.
 */
#include "stream_conn.h"
#include "stream_sources.h"
#include "worker.h"

#include <string.h>
#include <sys/mman.h>

static uint32_t in_cap_of(unsigned int max_msg)
{
	return 2 * max_msg;
}

static uint32_t out_cap_of(unsigned int max_msg)
{
	return max_msg + 2 * STUN_RESPONSE_OVERHEAD;
}

size_t stream_conn_bytes(unsigned int max_msg)
{
	return sizeof(struct stream_conn) + in_cap_of(max_msg) + out_cap_of(max_msg);
}

int stream_pool_init(struct stream_pool *p, const struct daemon_config *cfg,
		     unsigned int nworkers)
{
	memset(p, 0, sizeof(*p));
	p->n = (cfg->max_conns + nworkers - 1) / nworkers;
	p->max_msg = cfg->tcp_max_msg;
	p->in_cap = in_cap_of(p->max_msg);
	p->out_cap = out_cap_of(p->max_msg);
	p->first_ns = cfg->tcp_first_ns;
	p->idle_ns = cfg->tcp_idle_ns;
	/* One mapping for the states and the buffers: reserved now, backed
	 * by pages only once a connection touches them. */
	size_t states = ((size_t)p->n * sizeof(struct stream_conn) + 4095) & ~(size_t)4095;
	p->arena_bytes = states + (size_t)p->n * (p->in_cap + p->out_cap);
	void *m = mmap(NULL, p->arena_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		p->arena_bytes = 0;
		return -1;
	}
	p->conns = m;
	p->arena = (uint8_t *)m + states;
	for (uint32_t i = 0; i < p->n; i++)
		p->conns[i].next = i + 1 < p->n ? i + 1 : STREAM_NIL;
	p->free_head = 0;
	for (int t = 0; t < 2; t++)
		p->timers[t].head = p->timers[t].tail = STREAM_NIL;
	return 0;
}

void stream_pool_free(struct stream_pool *p)
{
	if (p->arena_bytes)
		munmap(p->conns, p->arena_bytes);
	memset(p, 0, sizeof(*p));
}

static inline uint8_t *in_buf(const struct stream_pool *p, const struct stream_conn *c)
{
	return p->arena + (size_t)stream_index(p, c) * (p->in_cap + p->out_cap);
}

static void timer_unlink(struct stream_pool *p, struct stream_conn *c)
{
	if (!c->timer)
		return;
	unsigned int t = c->timer - 1u;

	if (c->prev != STREAM_NIL)
		p->conns[c->prev].next = c->next;
	else
		p->timers[t].head = c->next;
	if (c->next != STREAM_NIL)
		p->conns[c->next].prev = c->prev;
	else
		p->timers[t].tail = c->prev;
	c->timer = 0;
}

/* At the tail of list t (0 first message, 1 idle), due at deadline. */
static void timer_push(struct stream_pool *p, struct stream_conn *c, unsigned int t,
		       uint64_t deadline)
{
	uint32_t i = stream_index(p, c);

	timer_unlink(p, c);
	c->deadline = deadline;
	c->timer = (uint8_t)(t + 1);
	c->next = STREAM_NIL;
	c->prev = p->timers[t].tail;
	if (c->prev != STREAM_NIL)
		p->conns[c->prev].next = i;
	else
		p->timers[t].head = i;
	p->timers[t].tail = i;
}

struct stream_conn *stream_open(struct worker *w, struct stream_pool *p, int fd,
				const struct stun_addr *peer, const struct stun_addr *local,
				unsigned int listener, enum stream_close *why)
{
	const struct limit_params *lp = w->limits;
	struct stream_conn *c;

	STAT_INC(&w->stats, tcp_accepted);
	if (__builtin_expect(lp->acl, 0)) {
		uint64_t key[2];

		limit_key(peer, key);
		if (limit_acl_denied(lp, key)) {
			*why = STREAM_CLOSE_ACL;
			goto refused;
		}
	}
	if (p->free_head == STREAM_NIL) {
		*why = STREAM_CLOSE_MAX_CONNS;
		goto refused;
	}
	if (!stream_source_take(peer)) {
		*why = STREAM_CLOSE_PER_SOURCE;
		goto refused;
	}
	c = &p->conns[p->free_head];
	p->free_head = c->next;
	p->open++;
	c->state = STREAM_OPEN;
	c->timer = 0;
	c->in_len = c->out_off = c->out_len = 0;
	c->paused = c->sending = false;
	c->finish = 0;
	c->listener = (uint8_t)listener;
	c->fam = (uint8_t)fam_index(peer);
	c->eflags = 0;
	c->fd = fd;
	c->peer = *peer;
	c->local = *local;
	timer_push(p, c, 0, w->limiter.now + p->first_ns);
	return c;
refused:
	STAT_INC(&w->stats, tcp_closed[*why]);
	return NULL;
}

void stream_restart_first_timer(struct worker *w, struct stream_pool *p, struct stream_conn *c)
{
	if (c->state == STREAM_OPEN && c->timer == 1)
		timer_push(p, c, 0, w->limiter.now + p->first_ns);
}

void stream_closing(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		    enum stream_close why)
{
	if (c->state != STREAM_OPEN)
		return;
	timer_unlink(p, c);
	c->state = STREAM_CLOSING;
	STAT_INC(&w->stats, tcp_closed[why]);
}

void stream_release(struct stream_pool *p, struct stream_conn *c)
{
	if (c->state == STREAM_FREE)
		return;
	timer_unlink(p, c);
	stream_source_put(&c->peer);
	c->state = STREAM_FREE;
	c->fd = -1;
	c->next = p->free_head;
	p->free_head = stream_index(p, c);
	p->open--;
}

struct stream_conn *stream_expired(struct stream_pool *p, uint64_t now,
				   enum stream_close *why)
{
	for (unsigned int t = 0; t < 2; t++) {
		uint32_t h = p->timers[t].head;

		if (h != STREAM_NIL && p->conns[h].deadline <= now) {
			*why = t ? STREAM_CLOSE_IDLE_TIMEOUT : STREAM_CLOSE_FIRST_TIMEOUT;
			return &p->conns[h];
		}
	}
	return NULL;
}

/* Room for replies at the end of out, moving the unsent ones to the front
 * first when no send is reading them. */
static uint32_t out_room(struct stream_pool *p, struct stream_conn *c)
{
	if (c->out_off && !c->sending) {
		uint8_t *out = in_buf(p, c) + p->in_cap;

		memmove(out, out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return p->out_cap - c->out_len;
}

/* The abuse limits (limiter.h) on a framed request, with the worker's own
 * buckets: the ones its UDP datagrams charge, so a source gets its rate
 * over both transports together, not once per transport.  The ACL is
 * checked at accept (stream_open) and again here, since SIGHUP may deny a
 * source that holds a connection.
 *
 * A request over a limit is not answered and ends its connection
 * (counted: tcp_limited by the limit, then tcp_closed rate_limit or acl),
 * where a datagram just gets no answer.  Over UDP no answer is a loss the
 * client retransmits into; over TCP the client does not retransmit (RFC
 * 8489 section 6.2.2) and would wait for its whole transaction timeout
 * (39.5 s) on a connection we hold for nothing.  Closing tells it at
 * once, frees the slot, and costs an abusive source a new handshake
 * (under the per-source cap) per refused request.  No STUN error code
 * says "slow down" (RFC 8489 has none; a 4xx would itself be an answer
 * to limit).  The answers to the requests before it were within the
 * limits: they are sent first (finish), so a pipelining client gets all
 * it was granted, in order, then the end of the stream. */
static int finish(struct stream_conn *c, enum stream_close why)
{
	if (!stream_out_pending(c))
		return why;
	c->finish = (uint8_t)(why + 1);
	c->paused = true;	/* the engine stops reading; a send resumes */
	return -1;
}

static int charge(struct worker *w, struct stream_conn *c, const struct stun_reply *rep,
		  const uint64_t key[2])
{
	enum limit_reason why = limit_charge(&w->limiter, w->limits, key,
					     c->fam == FAM_IPV6, limit_strict(rep, &c->peer));

	if (why == LIMIT_OK)
		return -1;
	STAT_INC(&w->stats, tcp_limited[why]);
	return finish(c, STREAM_CLOSE_RATE_LIMIT);
}

/* Answer one framed message of len bytes into out (room checked).  -1, or
 * why to close (the abuse limits refused it). */
static int answer(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		  const uint8_t *msg, uint32_t len)
{
	const struct settings *s = w->used_settings;
	const struct limit_params *lp = w->limits;
	uint8_t *out = in_buf(p, c) + p->in_cap + c->out_len;
	struct stun_reply rep;
	uint64_t key[2];

	STAT_INC(&w->stats, tcp_requests[c->fam]);
	if (__builtin_expect(lp->acl || lp->buckets || lp->cap_t, 0)) {
		limit_key(&c->peer, key);
		if (lp->acl && limit_acl_denied(lp, key)) {
			STAT_INC(&w->stats, tcp_limited[LIMIT_ACL]);
			return finish(c, STREAM_CLOSE_ACL);
		}
	}
	if (stun_respond(msg, len, &c->peer, &c->local, &s->tcp[c->fam], out,
			 p->out_cap - c->out_len, &rep) == STUN_VERDICT_DROP) {
		STAT_INC(&w->stats, tcp_dropped);
		if (__builtin_expect(log_threshold >= LOG_LVL_DEBUG, 0))
			worker_log_drop(w, rep.reason, &c->peer);
	} else {
		if (__builtin_expect(lp->buckets || lp->cap_t, 0)) {
			int rc = charge(w, c, &rep, key);

			if (rc >= 0 || c->finish)
				return rc;
		}
		c->out_len += rep.len;
		if (rep.verdict == STUN_VERDICT_ERROR)
			STAT_INC(&w->stats, tcp_errors[c->fam]);
		else
			STAT_INC(&w->stats, tcp_answered[c->fam]);
	}
	/* A complete message, answered or not: the idle clock restarts. */
	if (c->timer != 2 || c->deadline != w->limiter.now + p->idle_ns)
		timer_push(p, c, 1, w->limiter.now + p->idle_ns);
	return -1;
}

/* Frame and answer the messages at the start of buf[0, len), as long as
 * out has room.  *used: the bytes consumed.  -1, or why to close. */
static int consume(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		   const uint8_t *buf, uint32_t len, uint32_t *used)
{
	uint32_t off = 0;

	while (off < len) {
		uint32_t avail = len - off;
		long fl;

		fl = stun_frame_len(buf + off, avail);
		if (fl < 0) {
			*used = off;
			return STREAM_CLOSE_NOT_STUN;
		}
		/* The length field is there from the 4th byte on: refuse a
		 * message too big before waiting for all of it. */
		if (avail >= 4 && 20u + (uint32_t)(buf[off + 2] << 8 | buf[off + 3]) > p->max_msg) {
			*used = off;
			return STREAM_CLOSE_TOO_BIG;
		}
		if (fl == 0)
			break;
		if (out_room(p, c) < (uint32_t)fl + STUN_RESPONSE_OVERHEAD) {
			if (!c->paused)
				STAT_INC(&w->stats, tcp_paused);
			c->paused = true;
			*used = off;
			return -1;
		}
		int rc = answer(w, p, c, buf + off, (uint32_t)fl);

		if (rc >= 0 || c->finish) {
			*used = off;
			return rc;
		}
		off += (uint32_t)fl;
	}
	c->paused = false;
	*used = off;
	return -1;
}

/* Answer what in[] holds; what is left moves to its front. */
static int drain_in(struct worker *w, struct stream_pool *p, struct stream_conn *c)
{
	uint8_t *in = in_buf(p, c);
	uint32_t used;
	int rc = consume(w, p, c, in, c->in_len, &used);

	if (used) {
		memmove(in, in + used, c->in_len - used);
		c->in_len -= used;
	}
	return rc;
}

int stream_input(struct worker *w, struct stream_pool *p, struct stream_conn *c,
		 const uint8_t *data, size_t len)
{
	int rc;

	if (c->state != STREAM_OPEN || c->finish)
		return -1;	/* finish: bytes read before the engine stopped */
	while (len) {
		uint32_t n;

		if (!c->in_len && !c->paused) {
			/* The fast path: whole messages straight from the
			 * engine's buffer; only a tail is copied. */
			uint32_t used;

			rc = consume(w, p, c, data, (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len),
				     &used);
			if (rc >= 0 || c->finish)
				return rc;	/* finish: the rest is never read */
			data += used;
			len -= used;
			if (!len)
				break;
		}
		n = p->in_cap - c->in_len;
		if (!n)	/* paused, and the peer kept sending */
			return STREAM_CLOSE_OVERFLOW;
		if (n > len)
			n = (uint32_t)len;
		memcpy(in_buf(p, c) + c->in_len, data, n);
		c->in_len += n;
		data += n;
		len -= n;
		if (c->paused)
			continue;	/* keep it: answered once sends make room */
		if ((rc = drain_in(w, p, c)) >= 0 || c->finish)
			return rc;
	}
	return -1;
}

int stream_resume(struct worker *w, struct stream_pool *p, struct stream_conn *c)
{
	if (c->state != STREAM_OPEN)
		return -1;
	if (c->finish)	/* refused by a limit: close once all is sent */
		return stream_out_pending(c) ? -1 : c->finish - 1;
	c->paused = false;
	return drain_in(w, p, c);
}
