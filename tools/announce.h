/* SPDX-License-Identifier: MIT */
/*
 * announce.h - stunring-announce, the anycast health checker: it adds this
 * node's service addresses to an interface that BIRD exports (protocol
 * direct) while the local stunringd is healthy, and removes them when it is
 * not, or when the announcer stops.  The parts, one job each:
 *   announce_state.c  rise/fall counts and the hold-down (no I/O, unit-tested)
 *   announce_probe.c  the checks: GET /healthz, a Binding Request
 *   announce_route.c  the addresses on the interface, through libnl-route-3
 *   announce_main.c   the command line, the loop, signals and the log
 *
 * A program of its own rather than a stunctl command: it is a long-running
 * service with its own unit that needs only CAP_NET_ADMIN and libnl, while
 * stunctl is the XDP tool (libbpf, libxdp, CAP_BPF) run by hand.
 */
#ifndef STUNRING_ANNOUNCE_H
#define STUNRING_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stunring.h"

/* ---- announce_state.c ---------------------------------------------------- */

struct ann_state {
	unsigned int rise, fall;	/* consecutive results needed to change */
	uint64_t hold_down_ns;		/* withdrawn at least this long */
	bool announced;
	unsigned int ok_run, fail_run;	/* the current streak */
	uint64_t hold_until_ns;		/* no announce before this time */
};

enum ann_action {
	ANN_NONE = 0,
	ANN_ANNOUNCE,	/* add the addresses (announced is now true) */
	ANN_WITHDRAW,	/* remove them (announced is now false) */
	ANN_HELD,	/* healthy enough to announce, but in the hold-down */
};

void ann_state_init(struct ann_state *s, unsigned int rise, unsigned int fall,
		    uint64_t hold_down_ns);
/* One check's result at now_ns: what to do.  When ANN_ANNOUNCE's addresses
 * could not be added, ann_state_announce_failed puts the state back so the
 * next healthy check tries again. */
enum ann_action ann_state_step(struct ann_state *s, bool healthy, uint64_t now_ns);
void ann_state_announce_failed(struct ann_state *s);

/* ---- announce_probe.c ---------------------------------------------------- */

#define ANN_WHY_LEN 160

/* GET /healthz from stunringd's --metrics address: true on HTTP 200.
 * Otherwise why says what went wrong (connection refused, the 503 body's
 * first line, a timeout). */
bool ann_probe_healthz(const struct stun_addr *metrics, uint64_t timeout_ns,
		       char *why, size_t cap);
/* One Binding Request to a service address: true on a success response
 * to our transaction (retransmitted once at half the timeout). */
bool ann_probe_stun(const struct stun_addr *service, uint64_t timeout_ns,
		    char *why, size_t cap);

/* ---- announce_route.c ---------------------------------------------------- */

struct ann_route;	/* the netlink socket and the interface */

/* Open a NETLINK_ROUTE socket and find the interface: NULL with why set
 * (no such interface, no permission). */
struct ann_route *ann_route_open(const char *ifname, char *why, size_t cap);
void ann_route_close(struct ann_route *r);
bool ann_route_link_up(struct ann_route *r);
/* Add (or remove) each address as a host route (/32, /128; IPv6 without
 * duplicate address detection).  Already there (or already gone) counts
 * as done.  0, or -1 with why naming the address that failed. */
int ann_route_add(struct ann_route *r, const struct stun_addr *a, unsigned int n,
		  char *why, size_t cap);
int ann_route_del(struct ann_route *r, const struct stun_addr *a, unsigned int n,
		  char *why, size_t cap);

#endif
