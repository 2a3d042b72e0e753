/* SPDX-License-Identifier: MIT */
/*
 * stream_tls.h - STUN over TLS (RFC 8489 section 6.2.3): a filter between
 * the engines and the stream core (stream_conn.h), through OpenSSL memory
 * BIOs, so the bytes still come and go through the worker's own ring (or
 * the mmsg engine's epoll): no socket BIO, no blocking call, no thread.
 *
 *   received ciphertext -> rbio -> SSL_read -> stream_input (plaintext)
 *   the core's replies  -> SSL_write -> wbio -> ct[] (staged) -> send
 *
 * The engines call the conn_* wrappers below: for a plaintext connection
 * they are the core's own calls (one well-predicted test of w->tls, which
 * is NULL unless a --tls-listen address exists); for a TLS one they go
 * through the filter.
 *
 * Sends read the staging buffer ct[] of the connection, never OpenSSL's
 * memory BIO (which may move its buffer whenever OpenSSL writes, e.g. a
 * session ticket, while an io_uring send is still in flight).  ct[] is
 * refilled from the write BIO only once it has been sent.
 *
 * Backpressure is the core's: its replies are encrypted only when the
 * write BIO is empty, so unsent ciphertext stays under about one out
 * buffer plus ct[], the core's out buffer then fills and pauses the
 * connection, and a paused connection is neither decrypted further nor
 * read.
 *
 * Memory: a connection's SSL object comes from OpenSSL at accept
 * (SSL_MODE_RELEASE_BUFFERS: its record buffers are freed whenever they
 * are empty, so an idle connection keeps only the SSL state); ct[] is
 * TLS_CT_CAP bytes of a per-worker arena reserved at start and backed by
 * pages only once used.
 *
 * The SSL_CTX (certificate, key, session-ticket keys) is built by main at
 * start and again on each SIGHUP; it travels to the workers in the
 * settings block (settings.h), which holds a reference, so connections
 * accepted after a reload use the new certificate and open ones keep
 * theirs.
 */
#ifndef STUNRINGD_STREAM_TLS_H
#define STUNRINGD_STREAM_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "stream_conn.h"
#include "worker.h"

struct ssl_st;
struct bio_st;

/* Ciphertext staged for the engine's send, per connection. */
#define TLS_CT_CAP 4096

struct tls_conn {
	struct ssl_st *ssl;	/* NULL: a plaintext connection */
	struct bio_st *rbio, *wbio;	/* owned by ssl */
	uint32_t ct_off, ct_len;	/* ct[ct_off, ct_len): to send */
	uint32_t prev, next;	/* handshake timer list */
	uint64_t deadline;	/* ns: handshake not done by then: closed */
	bool handshaking;	/* counted in the daemon's handshakes */
	bool on_timer;
};

struct stream_tls {
	struct tls_conn *conns;	/* one per connection of the pool */
	uint8_t *ct;		/* n x TLS_CT_CAP, mmap'ed, touched on use */
	size_t ct_bytes;
	uint32_t n;
	uint64_t hs_ns;
	uint32_t head, tail;	/* handshake deadlines, FIFO (one timeout) */
	unsigned int pt_size;	/* SSL_read's chunk: at most the max message */
	uint8_t pt[4096];
};

/* main, at start: build the SSL_CTX when cfg has --tls-listen.  0, or
 * EXIT_USAGE after one error line naming the file (missing, unreadable,
 * not a certificate or key, key not the certificate's). */
int stream_tls_start(const struct daemon_config *cfg);
/* SIGHUP: the certificate and key of f again.  0 (new connections get
 * them), or -1 with one line naming the file in err (the old ones keep
 * serving).  0 without TLS listeners. */
int stream_tls_reload(const struct daemon_config *running, const struct daemon_config *f,
		      char *err, size_t errlen);
/* A reference to the SSL_CTX in use (NULL without TLS), for a settings
 * block; dropped with stream_tls_ctx_put. */
void *stream_tls_ctx_get(void);
void stream_tls_ctx_put(void *ctx);

/* In the worker, after stream_pool_init: w->tls, or NULL without TLS
 * listeners.  0, or -1 after a log line. */
int stream_tls_worker_init(struct worker *w);
void stream_tls_worker_free(struct worker *w);

/* A connection accepted on a TLS listener: -1, or why to close it at once
 * (--tls-max-handshakes reached, out of memory). */
int tls_open(struct worker *w, struct stream_conn *c);
/* Ciphertext from the peer.  -1, or why to close. */
int tls_input(struct worker *w, struct stream_conn *c, const uint8_t *data, size_t len);
/* After a send completed: encrypt what the core queued, let a paused core
 * go on, decrypt what waits.  -1, or why to close. */
int tls_resume(struct worker *w, struct stream_conn *c);
/* n bytes of tls_out sent (the next staged from the write BIO). */
void tls_sent(struct worker *w, struct stream_conn *c, uint32_t n);
/* The connection closes (no send of ours in flight): close_notify, or the
 * alert of a failed handshake, best effort, without waiting. */
void tls_goodbye(struct worker *w, struct stream_conn *c, enum stream_close why);
/* Its SSL goes (before stream_release). */
void tls_release(struct worker *w, struct stream_conn *c);
/* An open connection whose handshake deadline passed (taken off the
 * timer list), or NULL: call until NULL once per batch, before
 * stream_expired. */
struct stream_conn *tls_expired(struct worker *w, uint64_t now);

static inline struct tls_conn *tls_of(const struct worker *w, const struct stream_conn *c)
{
	return &w->tls->conns[stream_index(&w->tcp, c)];
}

static inline bool stream_is_tls(const struct worker *w, const struct stream_conn *c)
{
	return __builtin_expect(w->tls != NULL, 0) && tls_of(w, c)->ssl;
}

/* What the engines call, plaintext and TLS alike. */
static inline int conn_input(struct worker *w, struct stream_conn *c, const uint8_t *data,
			     size_t len)
{
	if (stream_is_tls(w, c))
		return tls_input(w, c, data, len);
	return stream_input(w, &w->tcp, c, data, len);
}

static inline uint8_t *conn_out(struct worker *w, struct stream_conn *c)
{
	if (stream_is_tls(w, c)) {
		struct tls_conn *t = tls_of(w, c);
		return w->tls->ct + (size_t)stream_index(&w->tcp, c) * TLS_CT_CAP + t->ct_off;
	}
	return stream_out(&w->tcp, c);
}

static inline uint32_t conn_out_pending(struct worker *w, struct stream_conn *c)
{
	if (stream_is_tls(w, c)) {
		struct tls_conn *t = tls_of(w, c);
		return t->ct_len - t->ct_off;
	}
	return stream_out_pending(c);
}

static inline void conn_sent(struct worker *w, struct stream_conn *c, uint32_t n)
{
	if (stream_is_tls(w, c))
		tls_sent(w, c, n);
	else
		stream_sent(c, n);
}

/* After a send completed: -1, or why to close. */
static inline int conn_resume(struct worker *w, struct stream_conn *c)
{
	if (stream_is_tls(w, c))
		return tls_resume(w, c);
	return c->paused ? stream_resume(w, &w->tcp, c) : -1;
}

#endif
