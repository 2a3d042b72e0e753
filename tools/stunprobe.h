/* SPDX-License-Identifier: MIT */
/*
 * stunprobe.h - the stunprobe client: what its files share.
 *
 *   stunprobe_main.c      main, the plain Binding probe
 *   stunprobe_opts.c      command line, server names and addresses
 *   stunprobe_sock.c      sockets, sending, the ICMP error queue
 *   stunprobe_txn.c       one STUN transaction (RFC 8489 6.2.1)
 *   stunprobe_decide.c    pure decision logic: RFC 5780 4.3/4.4, RFC 3489 10.1
 *   stunprobe_behavior.c  runs the RFC 5780 behaviour tests
 *   stunprobe_classic.c   runs the RFC 3489 decision tree
 *   stunprobe_status.c    what a transaction status means: text, exit code
 *   stunprobe_output.c    text and JSON output
 *
 * stunprobe_decide.c has no I/O at all, so tests feed it synthetic results.
 */
#ifndef STUNPROBE_H
#define STUNPROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stunring.h"

/* Exit status (documented in --help and the README). */
enum probe_exit {
	PROBE_EXIT_OK = 0,
	PROBE_EXIT_TIMEOUT = 1,		/* no server answered (or UDP blocked) */
	PROBE_EXIT_ERROR_RESPONSE = 2,	/* a server sent an error response */
	PROBE_EXIT_INCOMPLETE = 3,	/* discovery could not be completed */
	PROBE_EXIT_BAD_RESPONSE = 4,	/* answer that fails RFC 8489 6.3 */
	PROBE_EXIT_SYSTEM = 5,		/* local failure: socket, getrandom */
	PROBE_EXIT_USAGE = 64,		/* bad flag, address or host name */
};

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* Retransmission (RFC 8489 6.2.1): sends at 0, RTO, 3 RTO, 7 RTO ... Rc
 * requests in all, then failure Rm x RTO after the last one. */
struct probe_rto {
	unsigned int rto_ms;
	unsigned int rc;
	unsigned int rm;
};
#define PROBE_RTO_DEFAULT { 500, 7, 16 }	/* RFC 8489: fails at 39.5 s */
/* --fast: NOT the RFC default.  For LANs and tests, where "no answer" is
 * a result that otherwise costs 39.5 s: sends at 0, .25, .75, 1.75 s,
 * failure at 2.75 s. */
#define PROBE_RTO_FAST { 250, 4, 4 }

enum probe_mode { PROBE_MODE_BINDING, PROBE_MODE_BEHAVIOR, PROBE_MODE_CLASSIC };

#define PROBE_MAX_SERVERS 64	/* resolved addresses tried in order */

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
	const char *software;	/* SOFTWARE in requests; NULL: none */
	bool has_bind;
	struct stun_addr bind;	/* --bind IP[:PORT] */
	unsigned int n_servers;
	struct probe_server servers[PROBE_MAX_SERVERS];
};

/* Parse argv into o.  Prints one error line and returns PROBE_EXIT_USAGE on
 * bad input, -1 after --help / --version (exit 0), 0 to go on. */
int probe_parse_args(struct probe_opts *o, int argc, char **argv);

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

/* An unconnected UDP socket bound to a known local address, so a mapped
 * address can be compared with the real local IP and port (conformance
 * item 94 b). */
struct probe_sock {
	int fd;
	struct stun_addr local;
};

/* Open a socket for talking to server: bind to bind (when given) or to the
 * local address the kernel routes from toward server, with a fresh
 * kernel-chosen port.  Returns 0 or -errno. */
int probe_sock_open(struct probe_sock *s, const struct stun_addr *server,
		    const struct stun_addr *bind);
void probe_sock_close(struct probe_sock *s);
/* sendto dst: 0 or -errno. */
int probe_sock_send(const struct probe_sock *s, const struct stun_addr *dst,
		    const uint8_t *buf, size_t len);
/* Take one entry off the socket's error queue: 1 with *offender (where the
 * failed datagram went) and *err (a hard ICMP error's errno, or 0), 0 when
 * the queue is empty. */
int probe_sock_error(const struct probe_sock *s, struct stun_addr *offender,
		     int *err);

struct probe_req {
	bool classic;
	bool fingerprint;
	const char *software;
	uint32_t change;	/* CHANGE-REQUEST flags; 0: no attribute */
};

enum probe_status {
	PROBE_OK = 0,		/* success response */
	PROBE_TIMEOUT,		/* no answer after Rc requests and Rm x RTO */
	PROBE_UNREACHABLE,	/* hard ICMP error from the path */
	PROBE_ERROR_RESPONSE,	/* error response (info.error_code) */
	PROBE_BAD_RESPONSE,	/* our transaction, but unusable (bad_why) */
	PROBE_SYSERR,		/* local failure (sys_errno) */
};

struct probe_result {
	enum probe_status status;
	enum stun_resp_status bad_why;
	int sys_errno;
	unsigned int sent;	/* requests sent (retransmissions + 1) */
	double rtt_ms;		/* from the first request to the answer */
	struct stun_addr to;	/* where the request went */
	struct stun_addr from;	/* where the answer came from */
	struct stun_response_info info;	/* pointers refer to buf */
	char software[STUN_SOFTWARE_MAX * 2 + 1];	/* NUL-terminated copy */
	char reason[256];				/* NUL-terminated copy */
	uint8_t buf[2048];
};

/* One Binding transaction: send req to dst with retransmission, wait for
 * the answer matched by transaction ID only (item 87).  Returns res->status. */
enum probe_status probe_transact(struct probe_sock *s,
				 const struct stun_addr *dst,
				 const struct probe_req *req,
				 const struct probe_rto *rto,
				 struct probe_result *res);

/* Hairpinning (RFC 5780 4.5): from `from`, send a Binding Request to
 * `target` (the mapped address of `listen`), retransmitting per rto, and
 * report whether it arrived on `listen`.  Returns 1 yes, 0 no, -errno. */
int probe_hairpin(struct probe_sock *from, struct probe_sock *listen,
		  const struct stun_addr *target, const struct probe_rto *rto);

int probe_random(void *buf, size_t n);	/* getrandom, all or -errno */

/* stunprobe_status.c: main, behavior and classic all use these, so they
 * live apart from each of them. */
const char *probe_status_text(enum probe_status s);
int probe_exit_of(enum probe_status s);	/* PROBE_EXIT_* for a status */

/* ------------------------------------------------------------------------ */
/* Decision logic (pure)                                                     */
/* ------------------------------------------------------------------------ */

/* What one test returned, as the decision logic sees it. */
enum outcome_kind {
	OUT_NOT_RUN = 0,
	OUT_ANSWER,		/* success response from the expected source */
	OUT_SILENT,		/* no answer (timeout) */
	OUT_REFUSED,		/* error response: server will not do it */
	OUT_WRONG_SOURCE,	/* answer, but CHANGE-REQUEST not honoured */
	OUT_FAILED,		/* local error, ICMP error, bad response */
};

struct outcome {
	enum outcome_kind kind;
	bool has_other;
	struct stun_addr mapped;
	struct stun_addr other;	/* OTHER-ADDRESS / CHANGED-ADDRESS */
};

/* --- RFC 5780 4.4 filtering ------------------------------------------- */
enum filter_test { FT_I, FT_II, FT_III, FT_DONE };
enum filtering {
	FILT_UNKNOWN = 0,
	FILT_EI,		/* endpoint-independent */
	FILT_AD,		/* address-dependent */
	FILT_APD,		/* address-and-port-dependent */
};
/* --- RFC 5780 4.3 mapping --------------------------------------------- */
enum map_test { MT_I, MT_II, MT_III, MT_DONE };
enum mapping {
	MAP_UNKNOWN = 0,
	MAP_EI,
	MAP_AD,
	MAP_APD,
};
/* Why a behaviour result is unknown. */
enum behav_why {
	WHY_NONE = 0,
	WHY_NO_ANSWER,		/* Test I got no answer: blocked or down */
	WHY_NO_OTHER,		/* no OTHER-ADDRESS: not an RFC 5780 server */
	WHY_REFUSED,		/* error response (e.g. 420 to CHANGE-REQUEST) */
	WHY_WRONG_SOURCE,	/* server ignored CHANGE-REQUEST */
	WHY_SILENT_ALT,		/* alternate address never answered */
	WHY_FAILED,		/* local or ICMP error, bad response */
};

struct filter_state {
	struct stun_addr local;
	struct outcome t[FT_DONE];
	bool nat;		/* Test I mapped != local */
	enum filtering result;
	enum behav_why why;
};
struct map_state {
	struct stun_addr local;
	struct outcome t[MT_DONE];
	bool nat;
	enum mapping result;
	enum behav_why why;
};

/* The next test to run, or *_DONE with result / why filled in. */
enum filter_test filter_next(struct filter_state *st);
enum map_test map_next(struct map_state *st);

/* --- RFC 3489 10.1 ---------------------------------------------------- */
enum classic_test { CT_I, CT_II, CT_I_CHANGED, CT_III, CT_DONE };
enum classic_type {
	NAT_UNKNOWN = 0,
	NAT_BLOCKED,
	NAT_OPEN,
	NAT_FULL_CONE,
	NAT_RESTRICTED,
	NAT_PORT_RESTRICTED,
	NAT_SYMMETRIC,
	NAT_SYM_FIREWALL,
};
struct classic_state {
	struct stun_addr local;
	struct outcome t[CT_DONE];
	bool nat;
	enum classic_type result;
	enum behav_why why;	/* with NAT_UNKNOWN */
};
enum classic_test classic_next(struct classic_state *st);

/* The RFC 3489 name the classic tree would give these behaviours (it asks
 * Test II, i.e. filtering, before it looks at mapping). */
enum classic_type classic_from_behavior(bool nat, enum mapping m,
					enum filtering f);

const char *mapping_name(enum mapping m);
const char *filtering_name(enum filtering f);
const char *classic_name(enum classic_type t);
const char *behav_why_text(enum behav_why w);
/* Map a transaction result to an outcome; change: CHANGE-REQUEST flags that
 * were sent, checked against where the answer came from. */
void outcome_from_result(struct outcome *out, const struct probe_result *r,
			 uint32_t change);

/* ------------------------------------------------------------------------ */
/* Runners and output                                                        */
/* ------------------------------------------------------------------------ */

int probe_run_binding(const struct probe_opts *o);
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
