/* SPDX-License-Identifier: MIT */
/*
 * xdp_held.h - an attachment held open by the process that made it:
 * stunringd --xdp --user NAME.  After the privilege drop the daemon can
 * no longer reach bpffs (/sys/fs/bpf is root's, mode 0700) nor look
 * programs up by id (that needs CAP_SYS_ADMIN), so it takes fds to the
 * program and its maps while still root: reading the counters and
 * updating the configuration and the ACL then need no privilege at all, and the
 * detach at exit only CAP_NET_ADMIN (netlink, replacing exactly our
 * program, never another one put there meanwhile).
 *
 * The pins stay as stunctl's fast path.  A daemon that has dropped its
 * privileges cannot remove them at exit: they then name a detached
 * program until the next start (or stunctl xdp detach) removes them.
 */
#ifndef STUNRING_XDP_HELD_H
#define STUNRING_XDP_HELD_H

#include <net/if.h>

#include "xdp_loader.h"

struct stun_xdp_held {
	char ifname[IF_NAMESIZE];
	int ifindex;
	int prog_fd, counters_fd, config_fd;	/* -1 when not held */
	int allow_fd, deny_fd;		/* the ACL tries (SIGHUP's limits) */
	bool dispatcher;		/* inside libxdp's dispatcher */
	enum stun_xdp_mode mode;	/* NATIVE or GENERIC */
};

/* Take fds to our program on ifname (just attached).  0, or a negative
 * errno with err set (h is then closed). */
int stun_xdp_hold(const char *ifname, struct stun_xdp_held *h, char *err,
		  size_t errlen);
/* Detach the held program, then remove the pins when still possible
 * (*pins_left says whether they stay).  The fds stay open (a reader of
 * the counters may still be using them) until stun_xdp_held_close.  0,
 * or a negative errno with err set. */
int stun_xdp_held_detach(struct stun_xdp_held *h, bool *pins_left, char *err,
			 size_t errlen);
void stun_xdp_held_close(struct stun_xdp_held *h);

#endif
