/* SPDX-License-Identifier: MIT */
/*
 * tls_ctx.c - the server's SSL_CTX (stream_tls.h): TLS 1.2 and 1.3, a
 * modern cipher list, the certificate and key (RSA or ECDSA) checked
 * against each other, ALPN stun.nat-discovery (RFC 7443) accepted but not
 * required, session tickets.  Built by main at start and on SIGHUP only:
 * every error is one line that names the file.
 */
#include "stream_tls.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* TLS 1.2: forward secrecy and AEAD only (TLS 1.3's suites are all that). */
#define TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* RFC 7443's ALPN label, in the wire form (length first). */
static const unsigned char alpn_stun[] = "\x12stun.nat-discovery";

static SSL_CTX *current;	/* main's reference; settings blocks hold theirs */

/* A client offering stun.nat-discovery gets it; one offering only other
 * protocols, or none, is served without ALPN (RFC 7443 does not require it). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, alpn_stun, sizeof(alpn_stun) - 1, in, inlen) ==
	    OPENSSL_NPN_NEGOTIATED) {
		*out = sel;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* OpenSSL's last reason, for a message ("unknown" when it gave none). */
static const char *ssl_reason(void)
{
	/* The first error is the cause ("no start line"), the last only
	 * where it surfaced ("PEM lib"). */
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* The file can be opened: OpenSSL's own message for a missing file is
 * "system lib", which says nothing. */
static int readable(const char *file, const char *what, char *err, size_t n)
{
	FILE *f = fopen(file, "r");

	if (!f) {
		snprintf(err, n, "%s: cannot read the TLS %s: %s", file, what, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static SSL_CTX *ctx_new(const char *cert, const char *key, char *err, size_t n)
{
	SSL_CTX *ctx = NULL;

	ERR_clear_error();
	if (readable(cert, "certificate", err, n) || readable(key, "key", err, n))
		return NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, n, "cannot set up TLS: %s", ssl_reason());
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Renegotiation only costs the server: refused.  Buffers released
	 * whenever empty: an idle connection holds no record buffers. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				 SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
		snprintf(err, n, "cannot set the TLS 1.2 ciphers: %s", ssl_reason());
		goto fail;
	}
	/* Session tickets (stateless, keys of this context: one set shared
	 * by every worker) for resumption; no server-side session cache. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* TLS 1.3: one ticket per connection, not OpenSSL's two: a STUN
	 * client reconnects one connection at a time, and each ticket is an
	 * encryption and a record more per handshake. */
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, n, "%s: not a usable PEM certificate: %s", cert, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		/* The key of another certificate fails here already. */
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
		    ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)
			snprintf(err, n, "%s: the key does not match the certificate %s", key, cert);
		else
			snprintf(err, n, "%s: not a usable PEM private key: %s", key, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, n, "%s: the key does not match the certificate %s", key, cert);
		goto fail;
	}
	ERR_clear_error();
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* What the log says about a certificate: its subject and key. */
static void describe(SSL_CTX *ctx, char *buf, size_t n)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	char subj[256] = "?";

	if (x)
		X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	snprintf(buf, n, "%s, %s %d bits", subj,
		 !k ? "?" : EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? "ECDSA" :
		 EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "RSA" : "other key",
		 k ? EVP_PKEY_get_bits(k) : 0);
}

int stream_tls_start(const struct daemon_config *cfg)
{
	char err[600], what[400];

	if (!cfg->n_tls_listen)
		return 0;
	current = ctx_new(cfg->tls_cert, cfg->tls_key, err, sizeof(err));
	if (!current) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	describe(current, what, sizeof(what));
	log_info("TLS: certificate %s (%s); TLS 1.2 and 1.3, ALPN stun.nat-discovery, "
		 "handshakes time out after %llu ms, at most %u at once",
		 cfg->tls_cert, what, (unsigned long long)(cfg->tls_handshake_ns / 1000000),
		 cfg->tls_max_handshakes);
	return 0;
}

int stream_tls_reload(const struct daemon_config *running, const struct daemon_config *f,
		      char *err, size_t errlen)
{
	char what[400];
	SSL_CTX *ctx;

	/* A file that no longer has tls-listen: that needs a restart (logged
	 * as such); the certificate in use stays. */
	if (!running->n_tls_listen || !current || !f->n_tls_listen)
		return 0;
	if (!f->tls_cert || !f->tls_key) {
		snprintf(err, errlen, "--tls-listen needs --tls-cert and --tls-key");
		return -1;
	}
	ctx = ctx_new(f->tls_cert, f->tls_key, err, errlen);
	if (!ctx)
		return -1;
	describe(ctx, what, sizeof(what));
	log_info("SIGHUP: TLS certificate %s re-read (%s): new connections use it",
		 f->tls_cert, what);
	SSL_CTX_free(current);	/* the settings blocks keep theirs */
	current = ctx;
	return 0;
}

void *stream_tls_ctx_get(void)
{
	if (current)
		SSL_CTX_up_ref(current);
	return current;
}

void stream_tls_ctx_put(void *ctx)
{
	SSL_CTX_free(ctx);
}
