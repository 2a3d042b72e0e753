/* SPDX-License-Identifier: MIT */
/*
 * server.h - one STUN server: what it owns (its sockets, its workers, the
 * descriptor that stops them) and the steps of its life.  stunringd's
 * main.c and the embedded server (stunring_server.c) are both built on
 * these, so there is one server, run by two programs: main.c puts the
 * privileged steps (privilege drop, XDP, metrics) and the signals between
 * them, stunring_server_start() runs them in one call.
 */
#ifndef STUNRINGD_SERVER_H
#define STUNRINGD_SERVER_H

#include <semaphore.h>
#include <stdbool.h>

#include "config.h"
#include "worker.h"

struct server {
	struct daemon_config *cfg;	/* the caller's; outlives the server */
	unsigned int nw;		/* workers */
	unsigned int started;		/* threads started: all must be joined */
	int *fds;			/* nw x cfg->n_listen UDP sockets */
	int *tcp_fds;			/* nw x cfg->n_tcp_listen */
	int stop_fd;			/* eventfd: readable once they must stop */
	sem_t ready;
	struct worker *workers;		/* nw, zeroed but for cfg and nsock */
};

/* Open the sockets (UDP and TCP, nw of each listener: SO_REUSEPORT), the
 * stop descriptor and the workers' array.  0, or an exit status (config.h)
 * after a log line, with nothing left open. */
/* Resolve cfg->engine "auto" (and check "uring"): io_uring when this kernel
 * lets us use it, else recvmmsg/sendmmsg.  0 with cfg->engine set (*fell_back
 * when auto had to take mmsg, with the reason in why); -1 when "uring" was
 * asked and cannot be had (the reason in why).  The callers word the log
 * line: stunringd names its flags, the embedded server its config field. */
int server_choose_engine(struct daemon_config *cfg, bool *fell_back, char *why, size_t n);

int server_open(struct server *s, struct daemon_config *cfg, unsigned int nw);
/* Start the workers (worker_start_all) and wait until each serves; the
 * caller has set what else they need (settings, log sink...).  0 or
 * EXIT_OSERR (some may have started: server_stop joins them). */
int server_start(struct server *s, const int *cpus, unsigned int ncpu);
/* Ask every worker to drain and stop, and join them.  Returns true when
 * one failed while serving. */
bool server_stop(struct server *s);
/* Close the sockets, free what server_open got. */
void server_close(struct server *s);

#endif
