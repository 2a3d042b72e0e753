/* SPDX-License-Identifier: MIT */
/*
 * tls_client.c - see tls_client.h.
 */
#include "tls_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* The newest OpenSSL error as text, or fallback. */
static const char *queue_error(char *buf, size_t cap, const char *fallback)
{
	unsigned long e = ERR_get_error(), last = e;

	while (e) {	/* the last one queued is the closest to the cause */
		last = e;
		e = ERR_get_error();
	}
	if (!last) {
		snprintf(buf, cap, "%s", fallback);
		return buf;
	}
	/* The reason alone ("no certificate or crl found") reads better
	 * than the full "error:05800088:x509 ...". */
	if (ERR_reason_error_string(last))
		snprintf(buf, cap, "%s", ERR_reason_error_string(last));
	else
		ERR_error_string_n(last, buf, cap);
	return buf;
}

SSL_CTX *tls_client_ctx(const struct tls_client_opts *o, char *err, size_t cap)
{
	/* ALPN wire format: a length byte, then the name. */
	static const unsigned char alpn[] = "\x12" STUN_TLS_ALPN;
	char why[256];
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, cap, "TLS: %s", queue_error(why, sizeof(why), "SSL_CTX_new failed"));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (o->max_version)
		SSL_CTX_set_max_proto_version(ctx, o->max_version);
	/* A server that closes without close_notify has simply closed: STUN
	 * messages carry their own length, so a truncation cannot pass for
	 * a whole answer. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Partial writes, and a retried write may come from a moved buffer:
	 * the load generator refills its buffers between retries. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1)) {
		snprintf(err, cap, "TLS: cannot offer ALPN %s", STUN_TLS_ALPN);
		goto fail;
	}
	if (o->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (o->ca_file) {
		FILE *f = fopen(o->ca_file, "r");

		if (!f) {
			snprintf(err, cap, "--ca %s: %s", o->ca_file, strerror(errno));
			goto fail;
		}
		fclose(f);
		if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
			snprintf(err, cap, "--ca %s: cannot load: %s", o->ca_file,
				 queue_error(why, sizeof(why), strerror(errno)));
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, cap, "TLS: cannot load the system's trusted certificates: %s",
			 queue_error(why, sizeof(why), "unknown error"));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL *tls_client_new(SSL_CTX *ctx, int fd, const char *name, char *err, size_t cap)
{
	char why[256];
	SSL *ssl;

	ERR_clear_error();
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, cap, "TLS: %s", queue_error(why, sizeof(why), "SSL_new failed"));
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	if (name && *name) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

		/* An IP literal is checked against the certificate's IP
		 * addresses; a name against its DNS names, and sent as SNI. */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
			X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(ssl, name) != 1 ||
			    SSL_set_tlsext_host_name(ssl, name) != 1) {
				snprintf(err, cap, "TLS: bad server name '%s'", name);
				SSL_free(ssl);
				return NULL;
			}
		}
	}
	return ssl;
}

const char *tls_client_why(SSL *ssl, int ret, char *buf, size_t cap)
{
	long v = SSL_get_verify_result(ssl);
	int e = SSL_get_error(ssl, ret);

	if (v != X509_V_OK && SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE) {
		ERR_clear_error();
		snprintf(buf, cap, "certificate verification failed: %s",
			 X509_verify_cert_error_string(v));
		return buf;
	}
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(buf, cap, "%s", errno && ret < 0 ? strerror(errno) :
			 "connection closed during the TLS handshake");
		return buf;
	}
	return queue_error(buf, cap, "TLS error");
}

void tls_client_alpn(SSL *ssl, char *buf, size_t cap)
{
	const unsigned char *p = NULL;
	unsigned int n = 0;

	SSL_get0_alpn_selected(ssl, &p, &n);
	if (n >= cap)
		n = (unsigned int)cap - 1;
	if (n)
		memcpy(buf, p, n);
	buf[n] = 0;
}
