/* SPDX-License-Identifier: MIT */
/*
 * announce_route.c - the service addresses on the announce interface
 * (announce.h), through libnl-route-3 (RTM_NEWADDR / RTM_DELADDR), so no
 * netlink message is built by hand and no `ip` process is started.
 *
 * The addresses are host routes (/32, /128): BIRD's protocol direct turns
 * each into exactly that prefix and nothing wider.  IPv6 ones are added
 * with IFA_F_NODAD: duplicate address detection would keep a new address
 * tentative (and BIRD would not see it) for a second, and the same address
 * is meant to be on every node.  The interface is looked up by name on
 * each change, so one that was re-created keeps working.
 */
#include "announce.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct ann_route {
	struct nl_sock *sk;
	char ifname[IF_NAMESIZE];
};

/* The interface's index and flags: 0, or a libnl error (< 0). */
static int find_link(struct ann_route *r, int *ifindex, unsigned int *flags)
{
	struct rtnl_link *link = NULL;
	int err = rtnl_link_get_kernel(r->sk, 0, r->ifname, &link);

	if (err < 0)
		return err;
	*ifindex = rtnl_link_get_ifindex(link);
	*flags = rtnl_link_get_flags(link);
	rtnl_link_put(link);
	return 0;
}

struct ann_route *ann_route_open(const char *ifname, char *why, size_t cap)
{
	struct ann_route *r = calloc(1, sizeof(*r));
	unsigned int flags;
	int ifindex, err;

	if (!r || strlen(ifname) >= sizeof(r->ifname)) {
		snprintf(why, cap, "%s", r ? "interface name too long" : "out of memory");
		free(r);
		return NULL;
	}
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->sk = nl_socket_alloc();
	if (!r->sk) {
		snprintf(why, cap, "out of memory");
		free(r);
		return NULL;
	}
	err = nl_connect(r->sk, NETLINK_ROUTE);
	if (!err)
		err = find_link(r, &ifindex, &flags);
	if (err < 0) {
		if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
			snprintf(why, cap, "interface %s: no such interface", ifname);
		else
			snprintf(why, cap, "interface %s: %s", ifname, nl_geterror(err));
		ann_route_close(r);
		return NULL;
	}
	return r;
}

void ann_route_close(struct ann_route *r)
{
	if (!r)
		return;
	nl_socket_free(r->sk);
	free(r);
}

bool ann_route_link_up(struct ann_route *r)
{
	unsigned int flags = 0;
	int ifindex;

	return find_link(r, &ifindex, &flags) == 0 && (flags & IFF_UP);
}

/* add: 1 to add, 0 to remove. */
static int change(struct ann_route *r, const struct stun_addr *a, unsigned int n,
		  int add, char *why, size_t cap)
{
	unsigned int flags;
	int ifindex, err = find_link(r, &ifindex, &flags);

	if (err < 0) {
		snprintf(why, cap, "interface %s: %s", r->ifname, nl_geterror(err));
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		bool v6 = a[i].family == STUN_FAMILY_IPV6;
		struct rtnl_addr *ra = rtnl_addr_alloc();
		struct nl_addr *local = nl_addr_build(v6 ? AF_INET6 : AF_INET, a[i].ip, v6 ? 16 : 4);
		char text[INET6_ADDRSTRLEN];

		if (!ra || !local) {
			rtnl_addr_put(ra);
			nl_addr_put(local);
			snprintf(why, cap, "out of memory");
			return -1;
		}
		nl_addr_set_prefixlen(local, v6 ? 128 : 32);
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		rtnl_addr_set_prefixlen(ra, v6 ? 128 : 32);
		if (v6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		err = add ? rtnl_addr_add(r->sk, ra, 0) : rtnl_addr_delete(r->sk, ra, 0);
		rtnl_addr_put(ra);
		nl_addr_put(local);
		/* Already there, or already gone: the state we want. */
		if (add ? err == -NLE_EXIST
			: (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV))
			err = 0;
		if (err < 0) {
			inet_ntop(v6 ? AF_INET6 : AF_INET, a[i].ip, text, sizeof(text));
			snprintf(why, cap, "%s %s %s %s: %s", add ? "adding" : "removing", text,
				 add ? "to" : "from", r->ifname, nl_geterror(err));
			return -1;
		}
	}
	return 0;
}

int ann_route_add(struct ann_route *r, const struct stun_addr *a, unsigned int n,
		  char *why, size_t cap)
{
	return change(r, a, n, 1, why, cap);
}

int ann_route_del(struct ann_route *r, const struct stun_addr *a, unsigned int n,
		  char *why, size_t cap)
{
	return change(r, a, n, 0, why, cap);
}
