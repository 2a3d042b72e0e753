/* SPDX-License-Identifier: MIT */
/*
 * settings.c - build a settings block (settings.h).
 */
#include "settings.h"
#include "stream_tls.h"

#include <stdlib.h>
#include <string.h>

struct settings *settings_new(const struct daemon_config *cfg, unsigned int nworkers,
			      unsigned int generation)
{
	struct settings *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->generation = generation;
	if (cfg->stun.software_len)
		memcpy(s->software, cfg->stun.software, cfg->stun.software_len);
	for (unsigned int f = 0; f < FAM_COUNT; f++) {
		s->fam[f] = cfg->fam[f];
		s->fam[f].software = cfg->fam[f].software_len ? s->software : NULL;
		s->tcp[f] = s->fam[f];
		s->tcp[f].transport = STUN_TRANSPORT_TCP;
	}
	limit_params_init(&s->limits, &cfg->limits, nworkers);
	s->tls_ctx = stream_tls_ctx_get();
	return s;
}

void settings_free(struct settings *s)
{
	if (!s)
		return;
	stream_tls_ctx_put(s->tls_ctx);
	free(s);
}
