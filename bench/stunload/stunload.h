/* SPDX-License-Identifier: MIT */
/*
 * stunload.h - what the parts of stunload share: the run configuration,
 * the kinds of request and of invalid answer, and the per-worker counters.
 */
#ifndef STUNLOAD_H
#define STUNLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "stunring.h"
#include "stun_limits.h"
#include "histogram.h"

#define SL_MAX_THREADS	64
#define SL_MAX_SOCKETS	65536
#define SL_BATCH	32	/* requests per sendmmsg, answers per recvmmsg */
#define SL_TLS_PORT	5349	/* RFC 8489 6.2.3: STUN over TLS */

/* Kinds of Binding Request in the --mix. */
enum req_kind {
	REQ_PLAIN,		/* RFC 8489, no attributes */
	REQ_FINGERPRINT,	/* with FINGERPRINT */
	REQ_SOFTWARE,		/* with SOFTWARE and FINGERPRINT */
	REQ_CLASSIC,		/* RFC 3489: no cookie, 16-byte ID */
	REQ_CHANGE,		/* RFC 5780 CHANGE-REQUEST, no flags set */
	REQ_KIND_COUNT
};
extern const char *const req_kind_names[REQ_KIND_COUNT];

/* Why an answer is invalid.  Each is counted on its own. */
enum bad_kind {
	BAD_TRUNCATED,		/* shorter than 20 bytes or than its length */
	BAD_MALFORMED,		/* otherwise not a well-formed STUN message */
	BAD_OVERSIZE,		/* larger than any sane answer (MSG_TRUNC) */
	BAD_WRONG_TID,		/* a transaction ID this socket never sent */
	BAD_DUPLICATE,		/* a second answer to the same request */
	BAD_WRONG_TYPE,		/* not a Binding response */
	BAD_ERROR_RESPONSE,	/* a Binding error response */
	BAD_FINGERPRINT,	/* FINGERPRINT present but wrong */
	BAD_NO_MAPPED,		/* no (XOR-)MAPPED-ADDRESS */
	BAD_WRONG_MAPPED,	/* mapped address is not ours */
	BAD_ATTRIBUTE,		/* malformed or unknown required attribute */
	BAD_KIND_COUNT
};
extern const char *const bad_kind_names[BAD_KIND_COUNT];

/* Which mapped address counts as correct. */
enum map_expect {
	MAP_SELF,		/* the socket's own address and port */
	MAP_IP,			/* a given IP, any port (NAT) */
	MAP_IP_PORT,		/* exactly a given address and port */
	MAP_ANY,		/* any address of the right family */
};

enum sl_engine { ENGINE_SOCKET, ENGINE_XDP };
enum sl_transport { TRANSPORT_UDP, TRANSPORT_TCP, TRANSPORT_TLS };
extern const char *const sl_transport_names[3];

struct sl_config {
	struct stun_addr target;
	char target_str[STUN_ADDR_STRLEN];
	/* What a TLS certificate must name: the host name given, else the
	 * IP literal. */
	char target_host[256];
	enum sl_engine engine;
	/* --transport tcp/tls: `sockets` counts connections (--connections);
	 * each carries requests_per_conn requests and is then replaced by a
	 * new one (0: persistent). */
	enum sl_transport transport;
	uint64_t requests_per_conn;
	bool tls_insecure;	/* --tls-insecure */
	bool tls_resume;	/* --tls-resume: offer the last session again */
	int tls_max_version;	/* --tls-max-version: TLS1_2_VERSION...; 0: any */
	const char *tls_ca;	/* --ca FILE */
	double duration_s;	/* 0: bounded by count only */
	uint64_t count;		/* 0: bounded by duration only */
	double rate;		/* requests/s in total; 0: closed loop */
	unsigned inflight;	/* closed loop: per socket */
	unsigned sockets;
	unsigned threads;
	int cpus[SL_MAX_THREADS];
	unsigned n_cpus;
	unsigned mix[REQ_KIND_COUNT];	/* weights */
	uint64_t timeout_ns;
	enum map_expect expect;
	struct stun_addr expect_addr;
	/* --bind IP[/LEN]: socket k binds to the k-th host address of the
	 * prefix (a spoofed-style flood from many sources; len 0: none). */
	struct stun_prefix bind;
	double max_loss_pct;	/* < 0: loss never fails the run */
	bool json;
	bool progress;		/* one-line display on stderr */
	bool quiet;
	const char *csv_path;
	const char *software;
	bool gso;		/* UDP GSO for runs of equal-size requests */
	/* --engine xdp */
	const char *xdp_ifname;
	const char *xdp_netns;
	bool echo;		/* target is a bare reflector: count echoes */
};

/* Counters of one worker.  Only the worker writes them (relaxed atomic
 * stores); the main thread reads them every second for the display. */
struct sl_counters {
	uint64_t sent;
	uint64_t answered;	/* requests that got an answer, valid or not */
	uint64_t valid;
	uint64_t echoed;	/* --echo: our own request came back */
	uint64_t lost;		/* no answer within --timeout */
	uint64_t late;		/* answers after their request timed out */
	uint64_t unsupported;	/* 420 to CHANGE-REQUEST: server lacks 5780 */
	uint64_t refused;	/* ICMP port unreachable on the socket */
	uint64_t send_errors;
	uint64_t pace_dropped;	/* open loop: schedule slots skipped */
	uint64_t table_full;	/* too many outstanding on a socket */
	uint64_t invalid[BAD_KIND_COUNT];
	/* --transport tcp/tls */
	uint64_t conn_attempts;		/* connect() calls */
	uint64_t conn_established;	/* TCP connections made */
	uint64_t conn_errors;		/* connect() failed (refused, ...) */
	uint64_t handshakes;		/* TLS handshakes completed */
	uint64_t handshakes_resumed;	/* of which resumed a session */
	uint64_t handshake_errors;	/* TLS handshakes failed */
	uint64_t conn_closed_by_peer;	/* closed or reset by the server */
	uint64_t conn_recycled;		/* closed by us after K answers */
};

#define CNT_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define CNT_LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static inline uint64_t invalid_total(const struct sl_counters *c)
{
	uint64_t n = 0;

	for (int i = 0; i < BAD_KIND_COUNT; i++)
		n += c->invalid[i];
	return n;
}

/* The exit status of a usage error (one line on stderr). */
#define SL_EXIT_USAGE 2

/* options.c: parse argv into cfg.  Returns -1 to go on, or the exit status
 * for main to return: 0 after --help/--version, SL_EXIT_USAGE after one
 * error line. */
int sl_parse_options(struct sl_config *cfg, int argc, char **argv);

uint64_t sl_now_ns(void);

#endif
