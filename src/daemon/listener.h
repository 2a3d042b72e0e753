/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the UDP sockets (and the TCP listeners, the same way): one per (worker, listening address), all of
 * one address in a SO_REUSEPORT group so the kernel spreads clients over
 * the workers by flow hash.
 */
#ifndef STUNRINGD_LISTENER_H
#define STUNRINGD_LISTENER_H

#include "config.h"

/* Open workers x cfg->n_listen sockets: fds[w * n_listen + l].  A port 0
 * is resolved once and written back into cfg->listen[l].addr; a default
 * IPv6 listener on a host without IPv6 is removed from cfg with a warning.
 * Returns 0, or an exit status after one error line (nothing left open). */
int listeners_open(struct daemon_config *cfg, unsigned int workers, int *fds);
void listeners_close(int *fds, unsigned int n);
/* The same for cfg->tcp_listen: workers x n_tcp_listen listening TCP
 * sockets, fds[w * n_tcp_listen + l].  Call it after listeners_open,
 * which checks that the TCP ports are free too (one error line before
 * anything is opened). */
int tcp_listeners_open(struct daemon_config *cfg, unsigned int workers, int *fds);

#endif
