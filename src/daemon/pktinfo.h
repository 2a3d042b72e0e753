/* SPDX-License-Identifier: MIT */
/*
 * pktinfo.h - the local address of a datagram (IP_PKTINFO /
 * IPV6_PKTINFO), read from what the kernel gives us and written back on the
 * reply, so a wildcard-bound multi-homed host answers from the very address
 * the client used instead of whatever the routing table prefers.
 * Inline: both engines call these once per datagram.
 */
#ifndef STUNRINGD_PKTINFO_H
#define STUNRINGD_PKTINFO_H

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "stunring.h"

/* Room for one pktinfo control message of either family. */
#define PKTINFO_CTRL_LEN CMSG_SPACE(sizeof(struct in6_pktinfo))
union pktinfo_ctrl {
	struct cmsghdr align;
	unsigned char buf[PKTINFO_CTRL_LEN];
};

/* If c is a pktinfo message: the local address (with port) into *local, the
 * arrival interface into *ifindex, and return 0.  Otherwise -1. */
static inline int pktinfo_parse(const struct cmsghdr *c, uint16_t port,
				struct stun_addr *local, int *ifindex)
{
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
		struct in_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		memset(local, 0, sizeof(*local));
		local->family = STUN_FAMILY_IPV4;
		local->port = port;
		/* ipi_spec_dst: the destination for unicast, a local address
		 * for a broadcast; never a broadcast we could not send from. */
		memcpy(local->ip, &pi.ipi_spec_dst, 4);
		*ifindex = pi.ipi_ifindex;
		return 0;
	}
	if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
		struct in6_pktinfo pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		local->family = STUN_FAMILY_IPV6;
		local->port = port;
		memcpy(local->ip, &pi.ipi6_addr, 16);
		*ifindex = (int)pi.ipi6_ifindex;
		return 0;
	}
	return -1;
}

/* Write the control message that makes the kernel send from src; returns
 * its length for msg_controllen.  IPv4 leaves the interface to routing;
 * IPv6 pins it only for a link-local source, which means nothing without. */
static inline size_t pktinfo_build(union pktinfo_ctrl *ctrl,
				   const struct stun_addr *src, int ifindex)
{
	struct cmsghdr *c = &ctrl->align;

	if (src->family == STUN_FAMILY_IPV4) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, src->ip, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	struct in6_pktinfo pi;

	memcpy(&pi.ipi6_addr, src->ip, 16);
	pi.ipi6_ifindex = (src->ip[0] == 0xfe && (src->ip[1] & 0xc0) == 0x80)
				  ? (unsigned)ifindex : 0;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}

#endif
