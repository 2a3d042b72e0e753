/* SPDX-License-Identifier: MIT */
/*
 * stunring_probe.h - libstunring's STUN client: what a program asks a STUN
 * server, the way stunprobe(1) does (it is a thin program over this).
 *
 *   stunring_mapped_address()  the public address of a UDP socket: a list
 *                              of servers tried in turn (RFC 8489 6.2.1
 *                              retransmission to each), host names resolved,
 *                              IPv4 and IPv6
 *   stunring_nat_behavior()    RFC 5780 mapping, filtering, hairpinning
 *   stunring_nat_type()        the classic RFC 3489 type, with pystun's names
 *
 * Every call blocks until it has its answer or its timeouts have run out,
 * and writes only into the caller's result struct: no allocation the
 * caller cannot see (getaddrinfo's own is freed before the call returns),
 * no global state, no output.  Calls on different threads are
 * independent.  A zeroed struct stunring_probe_opts (or NULL) is the
 * default: the profile stunprobe uses.
 */
#ifndef STUNRING_PROBE_H
#define STUNRING_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STUNRING_PROBE_MAX_FAILURES 16	/* failures reported (more are counted) */
#define STUNRING_IP_STRLEN 46		/* INET6_ADDRSTRLEN */
#define STUNRING_TEXT_LEN 256
#define STUNRING_SOFTWARE_LEN 257	/* SOFTWARE as text, NUL-terminated */

struct stunring_probe_opts {
	/* Per server (per test for the discovery calls): give up this long
	 * after the first request.  0: 2750 ms.  Requests go at 0, RTO,
	 * 3 RTO, 7 RTO with RTO = timeout / 11 (RFC 8489 6.2.1 with Rc 4,
	 * Rm 4), later ones shrink to the measured RTT (RFC 6298). */
	unsigned int timeout_ms;
	int family;		/* 0: any, 4: IPv4 only, 6: IPv6 only */
	const char *software;	/* SOFTWARE in requests; NULL: none */
	bool no_fingerprint;	/* leave FINGERPRINT out of requests */
	const char *bind;	/* local "IP[:PORT]"; NULL: the routed address */
	bool hairpin;		/* stunring_nat_behavior: test hairpinning */
	/* stunring_nat_type: RFC 8489 requests instead of RFC 3489 ones
	 * (which every classic server understands). */
	bool modern_requests;
};

/* How one server (or one test) ended. */
enum stunring_probe_status {
	STUNRING_PROBE_OK = 0,
	STUNRING_PROBE_TIMEOUT,		/* no answer in time */
	STUNRING_PROBE_UNREACHABLE,	/* an ICMP error came back */
	STUNRING_PROBE_ERROR_RESPONSE,	/* error response (error_code) */
	STUNRING_PROBE_BAD_RESPONSE,	/* our transaction, unusable answer */
	STUNRING_PROBE_LOCAL_ERROR,	/* socket, getrandom... (detail) */
	STUNRING_PROBE_BAD_SERVER,	/* not HOST[:PORT], or not resolved */
};

struct stunring_endpoint {
	char ip[STUNRING_IP_STRLEN];	/* "192.0.2.1", "2001:db8::1"; "" none */
	uint16_t port;
	uint8_t family;			/* 4 or 6; 0: none */
};

struct stunring_probe_failure {
	unsigned int server_index;	/* into the servers[] passed */
	struct stunring_endpoint server;	/* the address tried, if any */
	int status;			/* enum stunring_probe_status */
	int error_code;			/* with STUNRING_PROBE_ERROR_RESPONSE */
	char detail[STUNRING_TEXT_LEN];	/* what happened, in words */
};

struct stunring_mapped {
	struct stunring_endpoint mapped;	/* the public address */
	struct stunring_endpoint local;	/* the socket it is the mapping of */
	struct stunring_endpoint server;	/* the address that answered */
	unsigned int server_index;	/* which servers[] entry answered */
	double rtt_ms;			/* first request to the answer */
	unsigned int requests_sent;
	char software[STUNRING_SOFTWARE_LEN];	/* the server's SOFTWARE; "" none */
	unsigned int n_failures;	/* servers (addresses) that failed first */
	struct stunring_probe_failure failures[STUNRING_PROBE_MAX_FAILURES];
};

/* Ask servers[0], then the next, until one gives a mapped address.  A name
 * may resolve to several addresses: each is tried in the resolver's order.
 * Returns 0 with out filled, or -1 when none answered (out->failures says
 * what each did); out is always written. */
int stunring_mapped_address(const char *const *servers, unsigned int n_servers,
			    const struct stunring_probe_opts *opts,
			    struct stunring_mapped *out);

/* RFC 5780 4.3 / 4.4 verdicts. */
enum stunring_dependence {
	STUNRING_UNKNOWN = 0,
	STUNRING_ENDPOINT_INDEPENDENT,
	STUNRING_ADDRESS_DEPENDENT,
	STUNRING_ADDRESS_PORT_DEPENDENT,
};

/* The classic RFC 3489 types. */
enum stunring_nat_type {
	STUNRING_NAT_UNKNOWN = 0,
	STUNRING_NAT_BLOCKED,
	STUNRING_NAT_OPEN,
	STUNRING_NAT_FULL_CONE,
	STUNRING_NAT_RESTRICTED,
	STUNRING_NAT_PORT_RESTRICTED,
	STUNRING_NAT_SYMMETRIC,
	STUNRING_NAT_SYMMETRIC_FIREWALL,
};

struct stunring_behavior {
	int status;			/* Test I: enum stunring_probe_status */
	int nat;			/* 1 NAT, 0 none, -1 unknown */
	int mapping;			/* enum stunring_dependence */
	int filtering;			/* enum stunring_dependence */
	int hairpin;			/* 1 yes, 0 no, -1 not tested */
	int nat_type;			/* enum stunring_nat_type these imply */
	bool alg;			/* MAPPED-ADDRESS rewritten on the path */
	struct stunring_endpoint server, other, mapped;
	struct stunring_endpoint local_filtering, local_mapping;
	char software[STUNRING_SOFTWARE_LEN];
	char mapping_note[STUNRING_TEXT_LEN];	/* why unknown; "" */
	char filtering_note[STUNRING_TEXT_LEN];
	char detail[STUNRING_TEXT_LEN];	/* Test I's failure; "" */
};

/* RFC 5780 behaviour discovery against one server (which must have an
 * OTHER-ADDRESS for the verdicts).  Returns 0 when mapping and filtering
 * are both known, -1 otherwise (out says how far it got). */
int stunring_nat_behavior(const char *server,
			  const struct stunring_probe_opts *opts,
			  struct stunring_behavior *out);

struct stunring_classic {
	int status;			/* Test I: enum stunring_probe_status */
	int nat_type;			/* enum stunring_nat_type */
	int nat;			/* 1 NAT, 0 none, -1 unknown */
	struct stunring_endpoint server, changed, local, mapped;
	char software[STUNRING_SOFTWARE_LEN];
	char note[STUNRING_TEXT_LEN];	/* why unknown; "" */
	char detail[STUNRING_TEXT_LEN];	/* Test I's failure; "" */
};

/* The RFC 3489 10.1 decision tree against one server.  Returns 0 when the
 * type is known (STUNRING_NAT_BLOCKED included), -1 otherwise. */
int stunring_nat_type(const char *server, const struct stunring_probe_opts *opts,
		      struct stunring_classic *out);

/* Names: "Full Cone", "Restricted Cone", "Port Restricted Cone",
 * "Symmetric", "Open Internet", "Symmetric UDP Firewall", "Blocked",
 * "unknown" (pystun's, so its users can switch); "endpoint-independent",
 * ...; "answered", "no answer (timeout)", ... */
const char *stunring_nat_type_name(int nat_type);
const char *stunring_dependence_name(int dependence);
const char *stunring_probe_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* STUNRING_PROBE_H */
