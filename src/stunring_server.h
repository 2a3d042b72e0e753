/* SPDX-License-Identifier: MIT */
/*
 * stunring_server.h - stunringd's STUN server inside your program: the
 * daemon's own workers and engines (io_uring, or recvmmsg/sendmmsg) run as
 * threads of the calling process until stunring_server_stop().
 *
 * No signal handler is installed and nothing is written to stderr: log
 * lines go to the callback in the config, or nowhere.  A server keeps all
 * its state in its struct stunring_server: several may run in one process
 * (on different addresses).  The hot path never leaves C.
 *
 *   struct stunring_server_config c = { .listen = "0.0.0.0:3478" };
 *   struct stunring_server *s;
 *   char err[256];
 *   if (stunring_server_start(&c, &s, err, sizeof(err)))
 *           fprintf(stderr, "%s\n", err);
 *   ...
 *   stunring_server_stop(s);
 *
 * UDP only: TCP and TLS listeners, XDP, metrics and privilege dropping
 * stay stunringd's.
 */
#ifndef STUNRING_SERVER_H
#define STUNRING_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels of the callback: lower is more severe. */
enum stunring_log_level {
	STUNRING_LOG_ERROR = 0,
	STUNRING_LOG_WARN,
	STUNRING_LOG_INFO,
	STUNRING_LOG_DEBUG,
};

struct stunring_server_config {
	/* stunringd's --listen: "IP:PORT[,IP:PORT...]", [IPv6]:PORT; port 0
	 * lets the kernel pick (stunring_server_port tells which).  NULL:
	 * "0.0.0.0:3478,[::]:3478". */
	const char *listen;
	unsigned int workers;	/* threads sharing the sockets; 0: one */
	const char *engine;	/* "auto" (NULL), "uring" or "mmsg" */
	const char *software;	/* SOFTWARE in answers; NULL: none */
	bool fingerprint;	/* FINGERPRINT in every answer, asked or not */
	bool no_classic;	/* no answers to RFC 3489 (no cookie) requests */
	bool pin;		/* pin worker i to the i-th allowed CPU */
	/* More of stunringd.conf(5)'s keys as "key=value" (rate-limit,
	 * allow, deny, alt-ip, rcvbuf...), NULL-terminated; NULL: none.
	 * Keys that concern the daemon's process (user, xdp, metrics,
	 * tcp-listen, tls-listen, log-level, stats-interval) are refused. */
	const char *const *options;
	/* Log lines (no newline), from any of the server's threads. */
	void (*log)(void *user, int level, const char *line);
	void *log_user;
	int log_level;		/* enum stunring_log_level; 0 is errors only */
};

struct stunring_server;

/* Open the sockets, start the workers, return once they serve.  0 with
 * *out set, or -1 with one line in err (when errlen > 0) and nothing left
 * running. */
int stunring_server_start(const struct stunring_server_config *cfg,
			  struct stunring_server **out, char *err, size_t errlen);

/* The port listener i (in --listen order) is bound to; 0: no such one. */
uint16_t stunring_server_port(const struct stunring_server *s, unsigned int i);

struct stunring_server_stats {
	uint64_t received;	/* datagrams */
	uint64_t requests;	/* that reached the STUN codec */
	uint64_t answered;	/* success responses sent */
	uint64_t errors;	/* error responses sent (400, 420) */
	uint64_t dropped;	/* no reply: not STUN, malformed... */
	uint64_t limited;	/* no reply: ACL, rate limits */
	uint64_t send_failed;	/* replies the kernel refused */
	bool failed;		/* a worker's engine failed while serving */
};

/* The counters, summed over the workers (each read is atomic, the sum is
 * not a snapshot).  0, or -1 for a NULL server. */
int stunring_server_stats(const struct stunring_server *s,
			  struct stunring_server_stats *st);

/* Stop: every worker answers what it holds, then exits; joined, sockets
 * closed, memory freed.  NULL is a no-op. */
void stunring_server_stop(struct stunring_server *s);

#ifdef __cplusplus
}
#endif

#endif /* STUNRING_SERVER_H */
