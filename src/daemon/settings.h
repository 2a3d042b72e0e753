/* SPDX-License-Identifier: MIT */
/*
 * settings.h - what SIGHUP may change while the workers serve (SOFTWARE,
 * the FINGERPRINT policy, classic on/off, RESPONSE-PORT), as one immutable
 * block per generation.
 *
 * main builds a new block and publishes it to every worker (one release
 * store per worker); a worker picks it up between two batches (one acquire
 * load per batch: a plain load on x86 and arm64) and says so with a store
 * of its own.  Nothing on the per-packet path changes: no lock, no atomic
 * read-modify-write, and a batch is answered with one generation from
 * its first packet to its last.  main frees a block once no worker uses
 * it any more.
 */
#ifndef STUNRINGD_SETTINGS_H
#define STUNRINGD_SETTINGS_H

#include "config.h"
#include "limiter.h"

struct settings {
	/* cfg->fam[] as config_load built it, SOFTWARE pointing into
	 * software[] below so the block owns it. */
	struct stun_server_cfg fam[FAM_COUNT];
	/* The same for TCP connections (transport TCP: RFC 8489's stream
	 * rules, 400 to CHANGE-REQUEST and RESPONSE-PORT). */
	struct stun_server_cfg tcp[FAM_COUNT];
	char software[STUN_SOFTWARE_MAX + 1];
	unsigned int generation;
	/* --allow, --deny, the rates per worker (limiter.h). */
	struct limit_params limits;
	/* --tls-listen: the SSL_CTX new connections use (stream_tls.h), one
	 * reference held by the block; NULL without TLS. */
	void *tls_ctx;
};

/* A block for cfg (malloc; NULL when out of memory). */
struct settings *settings_new(const struct daemon_config *cfg, unsigned int nworkers,
			      unsigned int generation);
void settings_free(struct settings *s);

#endif
