/* SPDX-License-Identifier: MIT */
/*
 * stream_tls.c - the TLS filter between the engines and the stream core
 * (stream_tls.h): one SSL per connection over two memory BIOs, the
 * handshake limit and timeout, close_notify.
 *
 * OpenSSL's error queue is per thread and must be empty before each
 * SSL_* call for SSL_get_error to be right: it is cleared after every
 * failure, so it stays empty on the way in.
 */
#include "stream_tls.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* Handshakes in progress in the whole daemon (--tls-max-handshakes):
 * touched at accept and when a handshake ends, never per message. */
static unsigned int handshaking;

int stream_tls_worker_init(struct worker *w)
{
	struct stream_tls *t;
	bool any = false;

	w->tls = NULL;
	for (unsigned int li = 0; li < w->ntcp; li++)
		any |= w->cfg->tcp_listen[li].tls;
	if (!any)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto oom;
	t->n = w->tcp.n;
	t->hs_ns = w->cfg->tls_handshake_ns;
	t->head = t->tail = STREAM_NIL;
	t->pt_size = w->cfg->tcp_max_msg < sizeof(t->pt) ? w->cfg->tcp_max_msg : sizeof(t->pt);
	t->conns = calloc(t->n, sizeof(*t->conns));
	t->ct_bytes = (size_t)t->n * TLS_CT_CAP;
	void *m = mmap(NULL, t->ct_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	t->ct = m == MAP_FAILED ? NULL : m;
	w->tls = t;
	if (!t->conns || !t->ct)
		goto oom;
	return 0;
oom:
	log_error("worker %u: cannot reserve memory for the TLS connections", w->id);
	stream_tls_worker_free(w);
	return -1;
}

void stream_tls_worker_free(struct worker *w)
{
	struct stream_tls *t = w->tls;

	if (!t)
		return;
	for (uint32_t i = 0; t->conns && i < t->n; i++)
		if (t->conns[i].ssl)
			tls_release(w, &w->tcp.conns[i]);
	if (t->ct)
		munmap(t->ct, t->ct_bytes);
	free(t->conns);
	free(t);
	w->tls = NULL;
}

static void timer_unlink(struct stream_tls *st, struct tls_conn *t)
{
	if (!t->on_timer)
		return;
	if (t->prev != STREAM_NIL)
		st->conns[t->prev].next = t->next;
	else
		st->head = t->next;
	if (t->next != STREAM_NIL)
		st->conns[t->next].prev = t->prev;
	else
		st->tail = t->prev;
	t->on_timer = false;
}

static void timer_push(struct stream_tls *st, struct tls_conn *t, uint64_t deadline)
{
	uint32_t i = (uint32_t)(t - st->conns);

	t->deadline = deadline;
	t->on_timer = true;
	t->next = STREAM_NIL;
	t->prev = st->tail;
	if (t->prev != STREAM_NIL)
		st->conns[t->prev].next = i;
	else
		st->head = i;
	st->tail = i;
}

/* The handshake is over, either way: out of the count and the timer. */
static void handshake_over(struct worker *w, struct tls_conn *t, bool ok)
{
	if (!t->handshaking)
		return;
	t->handshaking = false;
	timer_unlink(w->tls, t);
	__atomic_fetch_sub(&handshaking, 1, __ATOMIC_RELAXED);
	if (ok) {
		STAT_INC(&w->stats, tls_handshakes_ok);
		if (SSL_session_reused(t->ssl))
			STAT_INC(&w->stats, tls_resumed);
	} else {
		STAT_INC(&w->stats, tls_handshakes_failed);
	}
}

int tls_open(struct worker *w, struct stream_conn *c)
{
	struct tls_conn *t = tls_of(w, c);
	void *ctx = w->used_settings->tls_ctx;
	SSL *ssl = NULL;
	BIO *rb = NULL, *wb = NULL;

	memset(t, 0, sizeof(*t));
	if (__atomic_fetch_add(&handshaking, 1, __ATOMIC_RELAXED) >= w->cfg->tls_max_handshakes) {
		__atomic_fetch_sub(&handshaking, 1, __ATOMIC_RELAXED);
		return STREAM_CLOSE_TLS_BUSY;
	}
	if (!ctx || !(ssl = SSL_new(ctx)) || !(rb = BIO_new(BIO_s_mem())) ||
	    !(wb = BIO_new(BIO_s_mem()))) {
		static struct log_limit limit;

		log_limited(&limit, LOG_LVL_WARN, "worker %u: TLS: out of memory for a connection",
			    w->id);
		BIO_free(rb);
		SSL_free(ssl);
		ERR_clear_error();
		__atomic_fetch_sub(&handshaking, 1, __ATOMIC_RELAXED);
		return STREAM_CLOSE_ERROR;
	}
	/* An empty read BIO means "wait for more", not end of stream. */
	BIO_set_mem_eof_return(rb, -1);
	BIO_set_mem_eof_return(wb, -1);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_accept_state(ssl);
	t->ssl = ssl;
	t->rbio = rb;
	t->wbio = wb;
	t->handshaking = true;
	t->prev = t->next = STREAM_NIL;
	timer_push(w->tls, t, w->limiter.now + w->tls->hs_ns);
	return -1;
}

static inline uint8_t *ct_of(const struct worker *w, const struct tls_conn *t)
{
	return w->tls->ct + (size_t)(t - w->tls->conns) * TLS_CT_CAP;
}

/* Refill ct[] from the write BIO once it is all sent. */
static void stage(struct worker *w, struct tls_conn *t)
{
	int n;

	if (t->ct_off != t->ct_len || !BIO_ctrl_pending(t->wbio))
		return;
	n = BIO_read(t->wbio, ct_of(w, t), TLS_CT_CAP);
	t->ct_off = 0;
	t->ct_len = n > 0 ? (uint32_t)n : 0;
}

/* The core's replies into records, when the write BIO is empty (the
 * bound: see stream_tls.h), then staged.  -1, or why to close. */
static int encrypt_out(struct worker *w, struct stream_conn *c, struct tls_conn *t)
{
	uint32_t n = stream_out_pending(c);

	if (n && !t->handshaking && !BIO_ctrl_pending(t->wbio)) {
		/* A memory BIO never refuses: all of it goes, in one record
		 * while it fits (the out buffer is smaller than a record). */
		int r = SSL_write(t->ssl, stream_out(&w->tcp, c), (int)n);

		if (r <= 0) {
			ERR_clear_error();
			return STREAM_CLOSE_TLS_ERROR;
		}
		stream_sent(c, (uint32_t)r);
	}
	stage(w, t);
	return -1;
}

/* Handshake, then decrypt and hand the plaintext to the core until the
 * read BIO is empty or the core pauses.  -1, or why to close. */
static int pump(struct worker *w, struct stream_conn *c, struct tls_conn *t)
{
	struct stream_tls *st = w->tls;
	int r, e, rc;

	if (t->handshaking) {
		r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			e = SSL_get_error(t->ssl, r);
			stage(w, t);	/* the next flight, or the alert */
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return -1;
			if (__builtin_expect(log_threshold >= LOG_LVL_DEBUG, 0)) {
				char peer[STUN_ADDR_STRLEN];

				stun_addr_format(&c->peer, peer, sizeof(peer));
				log_debug("worker %u: TLS handshake with %s failed: %s", w->id,
					  peer, ERR_reason_error_string(ERR_peek_last_error())
						? ERR_reason_error_string(ERR_peek_last_error())
						: "?");
			}
			ERR_clear_error();
			return STREAM_CLOSE_TLS_ERROR;
		}
		handshake_over(w, t, true);
		/* The first request is timed from the end of the handshake. */
		stream_restart_first_timer(w, &w->tcp, c);
	}
	while (!c->paused && c->state == STREAM_OPEN) {
		r = SSL_read(t->ssl, st->pt, (int)st->pt_size);
		if (r > 0) {
			if ((rc = stream_input(w, &w->tcp, c, st->pt, (size_t)r)) >= 0)
				return rc;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			break;
		ERR_clear_error();
		return e == SSL_ERROR_ZERO_RETURN ? STREAM_CLOSE_PEER : STREAM_CLOSE_TLS_ERROR;
	}
	return encrypt_out(w, c, t);
}

int tls_input(struct worker *w, struct stream_conn *c, const uint8_t *data, size_t len)
{
	struct tls_conn *t = tls_of(w, c);

	if (c->state != STREAM_OPEN)
		return -1;
	/* The engine reads at most a buffer (4 KiB) at a time and not at all
	 * while the core is paused: the read BIO stays that small. */
	if (len && BIO_write(t->rbio, data, (int)len) != (int)len) {
		ERR_clear_error();
		return STREAM_CLOSE_ERROR;
	}
	return pump(w, c, t);
}

int tls_resume(struct worker *w, struct stream_conn *c)
{
	struct tls_conn *t = tls_of(w, c);
	int rc;

	if (c->state != STREAM_OPEN)
		return -1;
	if ((rc = encrypt_out(w, c, t)) >= 0)
		return rc;
	if (c->paused && (rc = stream_resume(w, &w->tcp, c)) >= 0)
		return rc;
	if (!c->paused)
		return pump(w, c, t);
	return encrypt_out(w, c, t);
}

void tls_sent(struct worker *w, struct stream_conn *c, uint32_t n)
{
	struct tls_conn *t = tls_of(w, c);

	t->ct_off += n;
	if (t->ct_off >= t->ct_len) {
		t->ct_off = t->ct_len = 0;
		stage(w, t);
	}
}

void tls_goodbye(struct worker *w, struct stream_conn *c, enum stream_close why)
{
	struct tls_conn *t = tls_of(w, c);
	uint8_t *buf = w->tls->pt;

	if (!t->ssl || why == STREAM_CLOSE_ERROR)
		return;	/* the socket is broken: nothing would arrive */
	if (!t->handshaking && why != STREAM_CLOSE_TLS_ERROR)
		SSL_shutdown(t->ssl);	/* queues close_notify; we do not wait for the peer's */
	/* What is staged first, then the write BIO; MSG_DONTWAIT: a peer that
	 * does not read simply misses it. */
	if (t->ct_len > t->ct_off &&
	    send(c->fd, ct_of(w, t) + t->ct_off, t->ct_len - t->ct_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(t->ct_len - t->ct_off)) {
		ERR_clear_error();
		return;
	}
	t->ct_off = t->ct_len = 0;
	for (int n; (n = BIO_read(t->wbio, buf, (int)sizeof(w->tls->pt))) > 0;)
		if (send(c->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
			break;
	ERR_clear_error();
}

void tls_release(struct worker *w, struct stream_conn *c)
{
	struct tls_conn *t;

	if (!w->tls)
		return;
	t = tls_of(w, c);
	if (!t->ssl)
		return;
	handshake_over(w, t, false);
	SSL_free(t->ssl);	/* and its two BIOs */
	ERR_clear_error();
	t->ssl = NULL;
	t->ct_off = t->ct_len = 0;
}

struct stream_conn *tls_expired(struct worker *w, uint64_t now)
{
	struct stream_tls *st = w->tls;

	while (st && st->head != STREAM_NIL && st->conns[st->head].deadline <= now) {
		uint32_t i = st->head;

		timer_unlink(st, &st->conns[i]);
		if (w->tcp.conns[i].state == STREAM_OPEN)
			return &w->tcp.conns[i];
	}
	return NULL;
}
