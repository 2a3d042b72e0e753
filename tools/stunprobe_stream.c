/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_stream.c - the plain probe over TCP and TLS (RFC 8489 6.2.2
 * and 6.2.3).
 *
 * A stream is reliable, so there is no retransmission: one connection, one
 * request, one timeout that covers connecting, the TLS handshake and the
 * answer.  Answers are framed with the codec's stun_frame_len.  Only our
 * one request is outstanding on the connection, so a response with another
 * transaction ID, bytes that cannot be STUN, or a close before the answer
 * are the server's fault and end the probe at once; indications (and any
 * other non-response) are skipped, as RFC 8489 lets a server send them.
 *
 * The socket is non-blocking and every wait is a poll() bounded by the one
 * deadline, so a server that stalls anywhere costs at most the timeout.
 */
#include "stunprobe.h"
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

static SSL_CTX *tls_ctx;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int probe_stream_init(const struct probe_opts *o)
{
	struct tls_client_opts to = { .insecure = o->tls_insecure, .ca_file = o->tls_ca };
	char err[512];

	if (o->transport == PROBE_UDP)
		return 0;
	/* OpenSSL writes with write(): a server that has gone must give
	 * EPIPE, not kill the probe. */
	signal(SIGPIPE, SIG_IGN);
	if (o->transport != PROBE_TLS)
		return 0;
	tls_ctx = tls_client_ctx(&to, err, sizeof(err));
	if (!tls_ctx) {
		fprintf(stderr, "stunprobe: %s\n", err);
		return PROBE_EXIT_USAGE;
	}
	return 0;
}

void probe_stream_fini(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

/* One connection's state while the probe runs. */
struct conn {
	int fd;
	SSL *ssl;
	int64_t deadline_us;
};

/* Wait for fd to become ready for events, until the deadline: 1 ready,
 * 0 timeout, -errno. */
static int wait_fd(const struct conn *c, short events)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int64_t left = c->deadline_us - now_us();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)((left + 999) / 1000));
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : r > 0;
	}
}

/* What the certificate must name: --sni, else the host name given, else
 * the IP address connected to. */
static void tls_name(const struct probe_opts *o, const struct probe_server *srv,
		     char *buf, size_t cap)
{
	const char *colon;
	size_t n;

	if (o->tls_sni) {
		snprintf(buf, cap, "%s", o->tls_sni);
		return;
	}
	if (probe_is_name(srv->arg)) {
		colon = strchr(srv->arg, ':');
		n = colon ? (size_t)(colon - srv->arg) : strlen(srv->arg);
		snprintf(buf, cap, "%.*s", (int)n, srv->arg);
		return;
	}
	inet_ntop(srv->addr.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
		  srv->addr.ip, buf, (socklen_t)cap);
}

static enum probe_status fail(struct probe_result *res, enum probe_status st, int err)
{
	res->status = st;
	res->sys_errno = err;
	return st;
}

static enum probe_status tls_fail(struct probe_result *res, SSL *ssl, int ret)
{
	tls_client_why(ssl, ret, res->reason, sizeof(res->reason));
	return fail(res, PROBE_TLS_FAILED, 0);
}

static enum probe_status do_connect(const struct probe_opts *o, struct conn *c,
				    const struct probe_server *srv,
				    struct probe_stream_info *si,
				    struct probe_result *res)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, err = 0, r;
	int64_t t0 = now_us();

	c->fd = socket(srv->addr.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(res, PROBE_SYSERR, errno);
	/* One small request: do not let Nagle hold it back. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->has_bind) {
		if (o->bind.family != srv->addr.family)
			return fail(res, PROBE_SYSERR, EAFNOSUPPORT);
		setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sl = stun_addr_to_sockaddr(&o->bind, &ss);
		if (bind(c->fd, (struct sockaddr *)&ss, sl) < 0)
			return fail(res, PROBE_SYSERR, errno);
	}
	sl = stun_addr_to_sockaddr(&srv->addr, &ss);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS)
			return fail(res, PROBE_CONNECT_FAILED, errno);
		r = wait_fd(c, POLLOUT);
		if (r < 0)
			return fail(res, PROBE_SYSERR, -r);
		if (r == 0)
			return fail(res, PROBE_TIMEOUT, 0);
		sl = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err)
			return fail(res, PROBE_CONNECT_FAILED, err);
	}
	si->connect_ms = (double)(now_us() - t0) / 1000.0;
	sl = sizeof(ss);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    stun_addr_from_sockaddr(&si->local, (struct sockaddr *)&ss, sl))
		return fail(res, PROBE_SYSERR, errno ? errno : EAFNOSUPPORT);
	si->connected = true;
	return PROBE_OK;
}

/* Wait for what an SSL call asked for: PROBE_OK to retry, else a failure
 * already recorded in res. */
static enum probe_status tls_wait(struct conn *c, int ret, struct probe_result *res)
{
	int e = SSL_get_error(c->ssl, ret), r;

	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		return tls_fail(res, c->ssl, ret);
	r = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
	if (r < 0)
		return fail(res, PROBE_SYSERR, -r);
	return r ? PROBE_OK : fail(res, PROBE_TIMEOUT, 0);
}

static enum probe_status do_handshake(const struct probe_opts *o, struct conn *c,
				      const struct probe_server *srv,
				      struct probe_stream_info *si,
				      struct probe_result *res)
{
	char name[256];
	int64_t t0 = now_us();
	int ret;

	tls_name(o, srv, name, sizeof(name));
	c->ssl = tls_client_new(tls_ctx, c->fd, name, res->reason, sizeof(res->reason));
	if (!c->ssl)
		return fail(res, PROBE_TLS_FAILED, 0);
	si->tls = true;
	ERR_clear_error();
	while ((ret = SSL_connect(c->ssl)) != 1) {
		enum probe_status st = tls_wait(c, ret, res);

		if (st != PROBE_OK)
			return st;
	}
	si->handshake_ms = (double)(now_us() - t0) / 1000.0;
	si->verified = !o->tls_insecure;
	snprintf(si->tls_version, sizeof(si->tls_version), "%s", SSL_get_version(c->ssl));
	snprintf(si->cipher, sizeof(si->cipher), "%s", SSL_get_cipher_name(c->ssl));
	tls_client_alpn(c->ssl, si->alpn, sizeof(si->alpn));
	return PROBE_OK;
}

static enum probe_status send_all(struct conn *c, const uint8_t *buf, size_t len,
				  struct probe_result *res)
{
	while (len) {
		ssize_t n;

		if (c->ssl) {
			int ret = SSL_write(c->ssl, buf, (int)len);

			if (ret <= 0) {
				enum probe_status st = tls_wait(c, ret, res);

				if (st != PROBE_OK)
					return st;
				continue;
			}
			n = ret;
		} else {
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0) {
				int r;

				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return fail(res, errno == EPIPE || errno == ECONNRESET ?
						    PROBE_CLOSED : PROBE_SYSERR, errno);
				r = wait_fd(c, POLLOUT);
				if (r <= 0)
					return r ? fail(res, PROBE_SYSERR, -r) :
						   fail(res, PROBE_TIMEOUT, 0);
				continue;
			}
		}
		buf += n;
		len -= (size_t)n;
	}
	return PROBE_OK;
}

/* Read more bytes into buf: > 0 how many, 0 after a failure recorded in
 * res (timeout, close, error). */
static size_t recv_some(struct conn *c, uint8_t *buf, size_t cap,
			struct probe_result *res)
{
	for (;;) {
		ssize_t n;
		int r;

		if (c->ssl) {
			int ret = SSL_read(c->ssl, buf, (int)cap);

			if (ret > 0)
				return (size_t)ret;
			r = SSL_get_error(c->ssl, ret);
			if (r == SSL_ERROR_ZERO_RETURN ||
			    (r == SSL_ERROR_SYSCALL && !ERR_peek_error() && ret == 0)) {
				fail(res, PROBE_CLOSED, 0);
				return 0;
			}
			if (r == SSL_ERROR_SYSCALL && !ERR_peek_error() && errno == ECONNRESET) {
				fail(res, PROBE_CLOSED, ECONNRESET);
				return 0;
			}
			if (tls_wait(c, ret, res) != PROBE_OK)
				return 0;
			continue;
		}
		n = recv(c->fd, buf, cap, 0);
		if (n > 0)
			return (size_t)n;
		if (n == 0 || errno == ECONNRESET) {
			fail(res, PROBE_CLOSED, n ? errno : 0);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			fail(res, PROBE_SYSERR, errno);
			return 0;
		}
		r = wait_fd(c, POLLIN);
		if (r <= 0) {
			if (r)
				fail(res, PROBE_SYSERR, -r);
			else
				fail(res, PROBE_TIMEOUT, 0);
			return 0;
		}
	}
}

/* Read frames until the answer to tid: its status. */
static enum probe_status read_answer(struct conn *c, const uint8_t *tid,
				     int64_t sent_us, struct probe_result *res)
{
	size_t have = 0;

	for (;;) {
		long flen = stun_frame_len(res->buf, have);
		enum stun_resp_status st;

		if (flen < 0) {		/* cannot be STUN: the stream is lost */
			res->bad_why = STUN_RESP_NOT_STUN;
			return fail(res, PROBE_BAD_RESPONSE, 0);
		}
		if (flen == 0) {
			size_t n;

			/* The header says it needs more than the buffer holds:
			 * no Binding answer is that large. */
			if (have >= STUN_HDR_LEN) {
				size_t need = STUN_HDR_LEN + ((size_t)res->buf[2] << 8 | res->buf[3]);

				if (need > sizeof(res->buf)) {
					res->bad_why = STUN_RESP_NOT_STUN;
					return fail(res, PROBE_BAD_RESPONSE, 0);
				}
			}
			n = recv_some(c, res->buf + have, sizeof(res->buf) - have, res);
			if (!n)
				return res->status;
			have += n;
			continue;
		}
		st = stun_parse_response(res->buf, (size_t)flen, tid, false, &res->info);
		if (st == STUN_RESP_NOT_RESPONSE) {
			/* An indication (or a stray request): skip it. */
			memmove(res->buf, res->buf + flen, have - (size_t)flen);
			have -= (size_t)flen;
			continue;
		}
		res->rtt_ms = (double)(now_us() - sent_us) / 1000.0;
		probe_result_parsed(res, st);
		return res->status;
	}
}

enum probe_status probe_stream_transact(const struct probe_opts *o,
					const struct probe_server *srv,
					const struct probe_req *req,
					struct probe_stream_info *si,
					struct probe_result *res)
{
	struct stun_request_opts ro = {
		.fingerprint = req->fingerprint,
		.software = req->software,
	};
	struct conn c = { .fd = -1 };
	uint8_t tid[STUN_TID_LEN], msg[512];
	size_t len;
	int64_t sent_us;
	int err;

	memset(res, 0, offsetof(struct probe_result, buf));
	memset(si, 0, sizeof(*si));
	res->to = srv->addr;
	res->from = srv->addr;	/* a stream's answers come from its peer */
	c.deadline_us = now_us() + (int64_t)o->stream_timeout_ms * 1000;

	err = probe_random(tid, sizeof(tid));
	if (err) {
		fail(res, PROBE_SYSERR, -err);
		goto out;
	}
	len = stun_build_request(msg, sizeof(msg), tid, &ro);
	if (!len) {
		fail(res, PROBE_SYSERR, EMSGSIZE);
		goto out;
	}
	if (do_connect(o, &c, srv, si, res) != PROBE_OK)
		goto out;
	if (o->transport == PROBE_TLS && do_handshake(o, &c, srv, si, res) != PROBE_OK)
		goto out;
	sent_us = now_us();
	if (send_all(&c, msg, len, res) != PROBE_OK)
		goto out;
	res->sent = 1;
	read_answer(&c, tid, sent_us, res);
out:
	if (c.ssl) {
		/* close_notify, without waiting for the server's. */
		if (res->status != PROBE_TLS_FAILED)
			SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.fd >= 0)
		close(c.fd);
	ERR_clear_error();
	return res->status;
}
