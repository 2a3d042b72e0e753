/* SPDX-License-Identifier: MIT */
/*
 * probe/probe.h - the STUN client inside libstunring (internal): what
 * stunring_probe.c (the public client API) and stunprobe share.
 *
 *   probe_sock.c      sockets, sending, the ICMP error queue
 *   probe_timers.c    pure: retransmission profiles, RTT estimate (RFC 6298)
 *   probe_txn.c       STUN transactions in flight, several at once
 *                     (RFC 8489 6.2.1), in one poll loop
 *   probe_chain.c     drives one decision tree through transactions
 *   probe_decide.c    pure decision logic: RFC 5780 4.3/4.4, RFC 3489 10.1
 *   probe_status.c    what a transaction status means, in words
 *   probe_behavior.c  runs the RFC 5780 behaviour tests
 *   probe_classic.c   runs the RFC 3489 decision tree
 *   probe_resolve.c   HOST[:PORT] to addresses (getaddrinfo)
 *
 * Nothing here has global state or writes anywhere but its sockets: what a
 * program shows goes through the hooks in struct probe_cfg.
 * probe_decide.c and probe_timers.c have no I/O at all, so tests feed them
 * synthetic results.
 */
#ifndef STUNRING_PROBE_INTERNAL_H
#define STUNRING_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "stunring.h"

/* Retransmission (RFC 8489 6.2.1): sends at 0, RTO, 3 RTO, 7 RTO ... Rc
 * requests in all, then failure Rm x RTO after the last one. */
struct probe_rto {
	unsigned int rto_ms;
	unsigned int rc;
	unsigned int rm;
};
/* --rfc-timers: RFC 8489's defaults.  A silent test costs 39.5 s, and the
 * behaviour tests need silence for their verdicts. */
#define PROBE_RTO_RFC { 500, 7, 16 }
/* The default, NOT RFC 8489's: "no answer" is a verdict here, not a rare
 * failure.  Four sends at 0, .25, .75, 1.75 s (one lost packet cannot turn
 * an answer into silence), failure at 2.75 s; later transactions shrink
 * the RTO to the measured RTT (probe_timers_next).  --fast names it. */
#define PROBE_RTO_DEFAULT { 250, 4, 4 }
/* The smallest RTO the RTT estimate may choose: even on a LAN the four
 * sends then span 0.7 s, and failure comes at 1.1 s. */
#define PROBE_RTO_FLOOR_MS 100

#define PROBE_MAX_SERVERS 64	/* resolved addresses tried in order */

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
int probe_random(void *buf, size_t n);	/* getrandom, all or -errno */

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
	PROBE_CONNECT_FAILED,	/* stream: connect() failed (sys_errno) */
	PROBE_CLOSED,		/* stream: closed by the server before an answer */
	PROBE_TLS_FAILED,	/* handshake or certificate check (reason) */
};

struct probe_result {
	enum probe_status status;
	enum stun_resp_status bad_why;
	int sys_errno;
	unsigned int sent;	/* requests sent (retransmissions + 1) */
	unsigned int rto_ms;	/* the RTO it started with (-v shows it) */
	double rtt_ms;		/* from the first request to the answer */
	struct stun_addr to;	/* where the request went */
	struct stun_addr from;	/* where the answer came from */
	struct stun_response_info info;	/* pointers refer to buf */
	char software[STUN_SOFTWARE_MAX * 2 + 1];	/* NUL-terminated copy */
	char reason[256];				/* NUL-terminated copy */
	uint8_t buf[2048];
};

const char *probe_status_text(enum probe_status s);

/* res from an answer just parsed into res->info with verdict st: its
 * status (OK, an error response, or bad with why), and SOFTWARE and the
 * error reason copied out as C strings, cut to fit.  For the UDP and the
 * stream transactions alike. */
void probe_result_parsed(struct probe_result *res, enum stun_resp_status st);

/* --- Timers (pure) ------------------------------------------------------ */

/* The retransmission profile of a run and what the RTT estimate has learnt
 * (RFC 6298 2.2/2.3: SRTT, RTTVAR; RTO = SRTT + max(G, 4 RTTVAR)). */
struct probe_timers {
	struct probe_rto base;
	bool adapt;
	bool has_rtt;
	double srtt_ms, rttvar_ms;
};
void probe_timers_init(struct probe_timers *t, const struct probe_rto *base,
		       bool adapt);
/* One RTT sample, from a transaction answered without retransmission only
 * (Karn's algorithm, RFC 8489 6.2.1). */
void probe_timers_sample(struct probe_timers *t, double rtt_ms);
/* The profile for the next transaction: the base one, its RTO shrunk to
 * the estimate (never below PROBE_RTO_FLOOR_MS) when adapting. */
struct probe_rto probe_timers_next(const struct probe_timers *t);
/* When a transaction with this profile gives up on a silent peer. */
unsigned long long probe_rto_total_ms(const struct probe_rto *r);

/* --- What a run is told ------------------------------------------------- */

struct probe_engine;

/* How the runners below send, and the program's hooks.  The library's own
 * callers (stunring_probe.c) leave the hooks NULL: quiet, no terminal.
 * stunprobe sets them for -v and its progress line. */
struct probe_cfg {
	struct probe_rto rto;
	bool adapt_rto;		/* shrink rto_ms to the RTT estimate */
	bool classic_requests;	/* RFC 3489 requests (no cookie) */
	bool fingerprint;
	bool hairpin;		/* behaviour: run the RFC 5780 4.5 test */
	const char *software;	/* SOFTWARE in requests; NULL: none */
	const struct stun_addr *bind;	/* local address; NULL: routed one */
	/* One finished test (-v); a free-form note (-v). */
	void (*log_test)(const struct probe_cfg *c, const char *name,
			 const struct probe_result *r);
	void (*log_note)(const struct probe_cfg *c, const char *text);
	/* The progress line while tests wait; NULL: none. */
	void (*progress_draw)(struct probe_engine *e, int64_t now_us);
	void (*progress_clear)(struct probe_engine *e);
	const void *user;	/* the program's, for its hooks */
};

/* --- Transactions in flight --------------------------------------------- */

enum probe_txn_kind {
	TXN_BINDING,	/* a Binding transaction: done at its answer */
	TXN_HAIRPIN,	/* RFC 5780 4.5: done when the request itself arrives
			 * on `listen` (res.status PROBE_OK), else TIMEOUT */
};

/* One transaction.  The caller fills the first block and calls
 * probe_txn_start(); probe_engine_wait() hands it back when done. */
struct probe_txn {
	enum probe_txn_kind kind;
	const char *name;		/* for -v and the progress line */
	struct probe_sock *sock;	/* sends, and hears the answer */
	struct probe_sock *listen;	/* TXN_HAIRPIN: where it should arrive */
	struct stun_addr dst;
	struct probe_req req;
	void *owner;			/* the caller's, e.g. a probe_chain */
	int test;			/* the caller's test number */

	struct probe_rto rto;		/* chosen at start */
	uint8_t tid[STUN_CLASSIC_TID_LEN];
	uint8_t msg[512];
	size_t len;
	int64_t start_us, next_send_us, deadline_us, interval_us;
	bool running, done;
	struct probe_result res;
};

#define PROBE_MAX_TXN 8

/* Runs the transactions started on it concurrently, in one poll loop:
 * new ones paced (RFC 5780 5: at most ten a second, not in step), answers
 * matched to their transaction by ID (item 87), RTT samples fed to timers. */
struct probe_engine {
	const struct probe_cfg *cfg;
	struct probe_timers timers;
	struct probe_txn *txn[PROBE_MAX_TXN];	/* started, not handed back */
	unsigned int n;
	int64_t last_start_us;
	bool progress_drawn;
	int64_t progress_next_us;
	uint8_t scratch[2048];
};

void probe_engine_init(struct probe_engine *e, const struct probe_cfg *cfg);
/* Start t: it runs until probe_engine_wait() hands it back or it is
 * cancelled.  A local failure (getrandom, too many) makes it done at once
 * with PROBE_SYSERR. */
void probe_txn_start(struct probe_engine *e, struct probe_txn *t);
void probe_txn_cancel(struct probe_engine *e, struct probe_txn *t);
/* Wait until one transaction is done and hand it back; NULL when none is
 * running.  The progress line, if any, is cleared on return. */
struct probe_txn *probe_engine_wait(struct probe_engine *e);

/* One Binding transaction on its own in t (the caller's: no hidden
 * state): send req to dst with retransmission, wait for the answer in
 * t->res.  Returns t->res.status. */
enum probe_status probe_transact(struct probe_engine *e, struct probe_sock *s,
				 const struct stun_addr *dst,
				 const struct probe_req *req, const char *name,
				 struct probe_txn *t);

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

/* A test worth starting while t runs, before the tree asks for it: the
 * tree needs it if t stays silent, and its outcome cannot depend on t's
 * (both go to the primary address and open no binding toward the server's
 * other addresses).  RFC 5780 4: clients may parallelize the tests.
 * *_DONE: none. */
enum filter_test filter_ahead(const struct filter_state *st, enum filter_test t);
enum classic_test classic_ahead(const struct classic_state *st,
				enum classic_test t);

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

/* One decision tree (filter_next, map_next, classic_next) run through the
 * engine: the tests it asks for are started, the one *_ahead() suggests
 * too, and a result that arrives early is held until the tree asks for
 * it, so the tree sees its tests in its own order. */
struct probe_chain_ops {
	int (*next)(void *ctx);			/* next test, or n_tests: done */
	int (*ahead)(void *ctx, int test);	/* or n_tests: none */
	/* Where and what to send: sock, dst, req. */
	void (*prepare)(void *ctx, int test, struct probe_txn *t);
	/* May the test start now?  NULL: always.  A test held back is
	 * started by a later probe_chain_resume(). */
	bool (*ready)(void *ctx, int test);
};
/* What the chain records each result into, when the tree asks for it. */
struct probe_chain_tests {
	const char *const *names;	/* per test, for -v and progress */
	const uint32_t *change;		/* CHANGE-REQUEST flags per test; NULL: none */
	struct outcome *outcomes;	/* the tree's t[] */
	struct probe_result *first;	/* a copy of test 0's result */
};
#define PROBE_CHAIN_MAX 4
struct probe_chain {
	const struct probe_chain_ops *ops;
	void *ctx;
	struct probe_chain_tests tests;
	const struct probe_cfg *cfg;
	int n_tests;
	bool finished;
	unsigned char state[PROBE_CHAIN_MAX];	/* chain_state in the .c */
	struct probe_txn txn[PROBE_CHAIN_MAX];
};
void probe_chain_init(struct probe_chain *c, const struct probe_chain_ops *ops,
		      void *ctx, const struct probe_chain_tests *tests,
		      int n_tests, const struct probe_cfg *cfg);
/* Start what the tree asks for first. */
void probe_chain_begin(struct probe_engine *e, struct probe_chain *c);
/* Start what the tree asks for if it is ready now (see ops->ready). */
void probe_chain_resume(struct probe_engine *e, struct probe_chain *c);
/* A finished transaction of this chain (t->owner == c): record it when the
 * tree wants it, start what it asks for next. */
void probe_chain_done(struct probe_engine *e, struct probe_chain *c,
		      struct probe_txn *t);


/* ------------------------------------------------------------------------ */
/* Runners                                                                   */
/* ------------------------------------------------------------------------ */

/* RFC 5780 behaviour discovery against one server (probe_behavior.c): the
 * filtering tests, the mapping tests and, with cfg->hairpin, hairpinning.
 * Everything lives in the caller's struct. */
struct behav_run {
	const struct probe_cfg *cfg;
	struct stun_addr server;
	struct probe_sock fsock, msock, hsock;
	struct filter_state fs;
	struct map_state ms;
	struct probe_result first;	/* mapping Test I, for its details */
	struct probe_result ffirst;	/* filtering Test I */
	int hairpin;			/* 1 yes, 0 no, -1 not tested */
	struct probe_engine eng;
	struct probe_chain fchain, mchain;
	struct probe_txn htxn;
	bool hairpin_started;
	/* Filled at the end (probe_behavior_run returned 0): */
	bool nat_known, nat;
	enum classic_type classic;
};
/* 0, or -errno when a socket could not be had (all closed then).  On 0 the
 * filtering and mapping sockets stay open for the caller's report (their
 * local addresses); probe_behavior_close() closes them. */
int probe_behavior_run(struct behav_run *b, const struct probe_cfg *cfg,
		       const struct stun_addr *server);
void probe_behavior_close(struct behav_run *b);
/* The Test I answer to report details from: the mapping test's (its port
 * is the one mapped), else the filtering test's. */
const struct probe_result *probe_behavior_first(const struct behav_run *b);
/* MAPPED-ADDRESS differs from XOR-MAPPED-ADDRESS: an ALG on the path. */
bool probe_alg_seen(const struct probe_result *r);

/* The RFC 3489 10.1 tree against one server (probe_classic.c): one local
 * port for the whole tree. */
struct classic_run {
	const struct probe_cfg *cfg;
	struct stun_addr server;
	struct probe_sock sock;
	struct classic_state st;
	struct probe_result first;	/* Test I */
	struct probe_engine eng;
	struct probe_chain chain;
};
/* 0 or -errno (no socket). */
int probe_classic_run(struct classic_run *c, const struct probe_cfg *cfg,
		      const struct stun_addr *server);
/* pystun's own strings (its output, which scripts parse; item 94), or
 * NULL when pystun would not print one. */
const char *probe_pystun_name(const struct classic_state *st);

/* HOST[:PORT] (IPv6 as [ADDR]:PORT) into at most max addresses, numeric or
 * resolved with getaddrinfo, in the resolver's order; family 0, 4 or 6.
 * Returns how many (>= 1), or a negative PROBE_RESOLVE_* with *why (a
 * static string: gai_strerror's, or ours). */
enum {
	PROBE_RESOLVE_BAD = -1,		/* not HOST[:PORT] */
	PROBE_RESOLVE_BAD_PORT = -2,
	PROBE_RESOLVE_FAILED = -3,	/* getaddrinfo said no (*why) */
	PROBE_RESOLVE_NONE = -4,	/* no address of the family */
	PROBE_RESOLVE_WRONG_FAMILY = -5,	/* numeric, other family */
	PROBE_RESOLVE_PORT_0 = -6,
};
int probe_resolve(const char *arg, uint16_t default_port, int family,
		  struct stun_addr *out, unsigned int max, const char **why);

#endif /* STUNRING_PROBE_INTERNAL_H */
