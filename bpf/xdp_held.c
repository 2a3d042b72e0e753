/* SPDX-License-Identifier: MIT */
/* xdp_held.c - see xdp_held.h. */
#include "xdp_held.h"
#include "xdp_find.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void reset(struct stun_xdp_held *h)
{
	memset(h, 0, sizeof(*h));
	h->prog_fd = h->counters_fd = h->config_fd = -1;
	h->acl_allow_fd = h->acl_deny_fd = -1;
}

void stun_xdp_held_close(struct stun_xdp_held *h)
{
	if (h->prog_fd >= 0)
		close(h->prog_fd);
	if (h->counters_fd >= 0)
		close(h->counters_fd);
	if (h->config_fd >= 0)
		close(h->config_fd);
	if (h->acl_allow_fd >= 0)
		close(h->acl_allow_fd);
	if (h->acl_deny_fd >= 0)
		close(h->acl_deny_fd);
	reset(h);
}

int stun_xdp_held_detach(struct stun_xdp_held *h, bool *pins_left, char *err,
			 size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = h->prog_fd);
	int ret;

	*pins_left = false;
	if (h->dispatcher) {
		/* Ours is one of libxdp's programs there: libxdp takes it out
		 * (which looks the dispatcher up by id: root only). */
		ret = stun_xdp_detach(h->ifname, err, errlen);
	} else {
		/* Netlink with the program we expect: the kernel refuses
		 * (EEXIST) when another program replaced ours meanwhile. */
		ret = bpf_xdp_detach(h->ifindex, h->mode == STUN_XDP_MODE_GENERIC ?
				     XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE, &o);
		if (ret)
			snprintf(err, errlen, "cannot detach from %s: %s", h->ifname,
				 strerror(-ret));
		else
			*pins_left = h->pinned && !stun_xdp_remove_pins(h->ifname);
	}
	return ret;
}

int stun_xdp_held_set_limits(const struct stun_xdp_held *h, const struct stun_limits *l,
			     char *err, size_t errlen)
{
	if (h->acl_allow_fd < 0 || h->acl_deny_fd < 0 || h->config_fd < 0)
		return stun_xdp_set_limits(h->ifname, l, err, errlen);
	int ret = stun_xdp_acl_fill(h->acl_allow_fd, h->acl_deny_fd, l);
	if (ret) {
		snprintf(err, errlen, "cannot update the ACL of %s: %s", h->ifname,
			 strerror(-ret));
		return ret;
	}
	return stun_xdp_set_limits_fd(h->config_fd, h->ifname, l, err, errlen);
}
