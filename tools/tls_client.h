/* SPDX-License-Identifier: MIT */
/*
 * tls_client.h - the TLS client side both stunprobe and stunload use
 * (OpenSSL 3): a context that verifies the server by default, and one
 * connection's setup on a socket the caller owns and drives (blocking or
 * not: the caller handles SSL_ERROR_WANT_READ / _WRITE).
 *
 * Kept out of libstunring: the codec library does not depend on OpenSSL.
 */
#ifndef STUNRING_TLS_CLIENT_H
#define STUNRING_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* RFC 7443: the ALPN protocol ID of STUN (NAT discovery).  Offered, not
 * required: a server that selects no protocol is fine. */
#define STUN_TLS_ALPN "stun.nat-discovery"
/* RFC 8489 section 6.2.3: the default port of STUN over TLS ("stuns"). */
#define STUN_TLS_DEFAULT_PORT 5349

struct tls_client_opts {
	bool insecure;		/* no certificate or name verification */
	const char *ca_file;	/* trust only these PEM certificates; NULL:
				 * the system store */
	int max_version;	/* TLS1_2_VERSION...; 0: the newest both know */
};

/* A context: TLS 1.2 and 1.3, ALPN offered, verification on unless
 * insecure.  NULL with one line in err (e.g. the CA file's problem). */
SSL_CTX *tls_client_ctx(const struct tls_client_opts *o, char *err, size_t cap);

/* One connection on fd (connected).  name: what the certificate must
 * name: a host name (also sent as SNI) or an IP literal (checked against
 * the certificate's IP addresses; no SNI, RFC 6066 section 3).  NULL with
 * one line in err. */
SSL *tls_client_new(SSL_CTX *ctx, int fd, const char *name, char *err, size_t cap);

/* Why a handshake (or another call) failed: the certificate verification
 * result when that is the cause, else OpenSSL's error queue, else errno.
 * ret: the failing call's return; the queue is emptied. */
const char *tls_client_why(SSL *ssl, int ret, char *buf, size_t cap);

/* After the handshake: the ALPN protocol the server selected, or "". */
void tls_client_alpn(SSL *ssl, char *buf, size_t cap);

#endif
