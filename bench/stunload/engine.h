/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the socket engine: worker threads, each owning some UDP
 * sockets (one per simulated client: a distinct source port), sending with
 * sendmmsg and receiving with recvmmsg; and the stream engine, whose
 * workers own TCP or TLS connections instead.
 */
#ifndef STUNLOAD_ENGINE_H
#define STUNLOAD_ENGINE_H

#include <pthread.h>
#include <stdint.h>

#include "stunload.h"
#include "txtable.h"
#include "validate.h"

struct sl_sock {
	int fd;
	struct expect x;	/* what a valid mapped address is */
	struct txtable tx;
};

struct sl_worker {
	unsigned id;
	const struct sl_config *cfg;
	struct sl_sock *socks;
	unsigned nsocks;
	int cpu;		/* -1: not pinned */
	uint64_t quota;		/* requests to send; 0: until end_ns */
	uint64_t start_ns;	/* common start of all workers */
	uint64_t end_ns;	/* stop sending; UINT64_MAX: quota only */
	double rate;		/* this worker's share of --rate; 0: closed */
	const volatile int *stop;	/* set by SIGINT/SIGTERM */
	uint64_t stopped_ns;	/* when this worker stopped sending */
	int done;		/* finished (atomic) */
	int error;		/* errno of a failure that ended the worker */
	const char *error_what;
	struct sl_counters c;
	struct hist h;		/* latency of valid answers, ns */
	/* stream engine: its connections' table size and seed, and the
	 * first connect or handshake error, for the report */
	uint32_t tx_entries;
	uint64_t seed;
	unsigned first;		/* index of its first connection of all */
	char conn_error[200];
	pthread_t th;
};

/* Open, size and connect one socket to the target.  Returns 0 or -errno. */
int sl_sock_open(struct sl_sock *s, const struct sl_config *cfg,
		 uint32_t tx_entries, uint64_t seed);
void sl_sock_close(struct sl_sock *s);
void *sl_socket_worker(void *arg);

/* engine_stream.c: --transport tcp/tls.  Each worker opens its share of
 * --connections itself.  sl_stream_init makes what the workers share (the
 * TLS context): 0, or -1 after one error line. */
int sl_stream_init(const struct sl_config *cfg);
void sl_stream_fini(void);
void *sl_stream_worker(void *arg);

/* engine_xdp.c: the kernel-injection engine.  Returns an exit status. */
int sl_xdp_run(const struct sl_config *cfg);

#endif
