/* SPDX-License-Identifier: MIT */
/*
 * stunprobe.h - the stunprobe client: what its files share.
 *
 * The client itself (sockets, transactions, the decision trees, the
 * behaviour and classic runners) is libstunring's: src/probe/probe.h.
 * What is stunprobe's own:
 *
 *   stunprobe_main.c      main, the plain Binding probe
 *   stunprobe_opts.c      command line, server names and addresses
 *   stunprobe_progress.c  the progress line on a terminal's stderr
 *   stunprobe_behavior.c  prints the RFC 5780 behaviour result
 *   stunprobe_classic.c   prints the RFC 3489 type
 *   stunprobe_status.c    what a transaction status means: exit code
 *   stunprobe_output.c    text and JSON output
 *   stunprobe_stream.c    the plain probe over TCP and TLS (RFC 8489 6.2.2,
 *                         6.2.3): one connection, one request, no
 *                         retransmission, one timeout
 */
#ifndef STUNPROBE_H
#define STUNPROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/probe.h"
#include "stunring.h"

/* Exit status (documented in --help and stunprobe(1)). */
enum probe_exit {
	PROBE_EXIT_OK = 0,
	PROBE_EXIT_TIMEOUT = 1,		/* no server answered (or UDP blocked) */
	PROBE_EXIT_ERROR_RESPONSE = 2,	/* a server sent an error response */
	PROBE_EXIT_INCOMPLETE = 3,	/* discovery could not be completed */
	PROBE_EXIT_BAD_RESPONSE = 4,	/* answer that fails RFC 8489 6.3 */
	PROBE_EXIT_SYSTEM = 5,		/* local failure: socket, getrandom */
	PROBE_EXIT_TLS = 6,		/* TLS handshake or certificate check failed */
	PROBE_EXIT_USAGE = 64,		/* bad flag, address or host name */
};

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

enum probe_mode { PROBE_MODE_BINDING, PROBE_MODE_BEHAVIOR, PROBE_MODE_CLASSIC };
enum probe_transport { PROBE_UDP, PROBE_TCP, PROBE_TLS };

/* Over a stream there is no retransmission (RFC 8489 6.2.2): one timeout
 * covers connecting, the TLS handshake and the answer.  RFC 8489's 39.5 s
 * (--rfc-timers) is far longer than an operator waits at a prompt. */
#define PROBE_STREAM_TIMEOUT_MS 5000
#define PROBE_STREAM_TIMEOUT_RFC_MS 39500

struct probe_server {
	const char *arg;		/* as given on the command line */
	struct stun_addr addr;
};

struct probe_opts {
	enum probe_mode mode;
	bool json;
	bool hairpin;
	bool classic_requests;	/* RFC 3489 requests (no cookie) */
	bool fingerprint;
	int verbose;
	int family;		/* 0, 4 or 6: -4 / -6 */
	struct probe_rto rto;
	bool adapt_rto;		/* shrink rto_ms to the RTT estimate */
	bool progress;		/* progress line: stderr is a terminal, no --json */
	const char *software;	/* SOFTWARE in requests; NULL: none */
	bool has_bind;
	struct stun_addr bind;	/* --bind IP[:PORT] */
	enum probe_transport transport;	/* --tcp, --tls */
	unsigned int stream_timeout_ms;	/* --timeout */
	bool tls_insecure;		/* --insecure */
	const char *tls_ca;		/* --ca FILE */
	const char *tls_sni;		/* --sni NAME */
	unsigned int n_servers;
	struct probe_server servers[PROBE_MAX_SERVERS];
};

/* Parse argv into o.  Prints one error line and returns PROBE_EXIT_USAGE on
 * bad input, -1 after --help / --version (exit 0), 0 to go on. */
int probe_parse_args(struct probe_opts *o, int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* The program around the library's client                                   */
/* ------------------------------------------------------------------------ */

int probe_exit_of(enum probe_status s);	/* PROBE_EXIT_* for a status */

/* What the library's runners need from the options, with stunprobe's hooks
 * (-v, the progress line) set. */
void probe_cfg_from_opts(struct probe_cfg *c, const struct probe_opts *o);

/* The progress line (stunprobe_progress.c): which tests are waiting, for
 * how long.  Hooks of struct probe_cfg, set with o->progress. */
void probe_progress_draw(struct probe_engine *e, int64_t now_us);
void probe_progress_clear(struct probe_engine *e);

int probe_run_binding(const struct probe_opts *o);

/* --- Streams (stunprobe_stream.c) --------------------------------------- */

/* What a stream probe learnt besides the STUN answer. */
struct probe_stream_info {
	bool connected;
	struct stun_addr local;		/* the connection's own address */
	double connect_ms, handshake_ms;
	bool tls, verified;
	char tls_version[16];
	char cipher[64];
	char alpn[32];			/* selected by the server; "" none */
};
/* Set up what every stream probe of the run shares (the TLS context).
 * Returns 0, or an exit status after one error line (a bad --ca file). */
int probe_stream_init(const struct probe_opts *o);
void probe_stream_fini(void);
/* Connect to srv, send one Binding Request, wait for its answer: all
 * within o->stream_timeout_ms.  Returns res->status. */
enum probe_status probe_stream_transact(const struct probe_opts *o,
					const struct probe_server *srv,
					const struct probe_req *req,
					struct probe_stream_info *si,
					struct probe_result *res);
int probe_run_behavior(const struct probe_opts *o);
int probe_run_classic(const struct probe_opts *o);

/* Verbose log line on stderr for one test. */
void probe_log_test(const struct probe_opts *o, const char *name,
		    const struct probe_result *r);

/* A minimal JSON object writer for stdout: one object per run. */
struct jw {
	FILE *f;
	int depth;
	bool first;
};
void jw_begin(struct jw *j, FILE *f);
void jw_end(struct jw *j);
void jw_str(struct jw *j, const char *key, const char *val);	/* NULL: null */
void jw_strn(struct jw *j, const char *key, const char *val, size_t n);
void jw_int(struct jw *j, const char *key, long long v);
void jw_num(struct jw *j, const char *key, double v);
void jw_bool(struct jw *j, const char *key, bool v);
void jw_addr(struct jw *j, const char *key, const struct stun_addr *a);	/* NULL: null */
void jw_array_begin(struct jw *j, const char *key);
void jw_array_str(struct jw *j, const char *val);
void jw_array_end(struct jw *j);

/* "1.2.3.4:5" into a static-free caller buffer. */
static inline const char *probe_fmt(const struct stun_addr *a, char *buf)
{
	return stun_addr_format(a, buf, STUN_ADDR_STRLEN);
}

/* True when a server argument was a host name, not a numeric address. */
static inline bool probe_is_name(const char *arg)
{
	struct stun_addr a;

	return stun_addr_parse(&a, arg, STUN_DEFAULT_PORT) != 0;
}

#endif /* STUNPROBE_H */
