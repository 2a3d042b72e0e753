/* SPDX-License-Identifier: MIT */
/*
 * stream_sources.h - how many TCP connections each source address has
 * open, over all the workers (--max-connections-per-source).
 *
 * SO_REUSEPORT spreads one source's connections over every worker, so the
 * count is shared: one table, sized once at start for every connection the
 * daemon may hold, behind one mutex.  It is touched once when a
 * connection is accepted and once when it is closed, never per message.
 */
#ifndef STUNRINGD_STREAM_SOURCES_H
#define STUNRINGD_STREAM_SOURCES_H

#include <stdbool.h>

#include "stunring.h"

/* For max_conns connections in all, at most limit per source (0: none;
 * nothing is allocated).  0, or -1 when out of memory. */
int stream_sources_init(unsigned int max_conns, unsigned int limit);
void stream_sources_free(void);
/* Count one more connection from ip's address (the port is ignored):
 * false, and nothing counted, when it already has limit of them. */
bool stream_source_take(const struct stun_addr *ip);
/* One connection from ip's address closed (taken before). */
void stream_source_put(const struct stun_addr *ip);

#endif
