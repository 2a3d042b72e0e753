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
	h->allow_fd = h->deny_fd = -1;
}

void stun_xdp_held_close(struct stun_xdp_held *h)
{
	if (h->prog_fd >= 0)
		close(h->prog_fd);
	if (h->counters_fd >= 0)
		close(h->counters_fd);
	if (h->config_fd >= 0)
		close(h->config_fd);
	if (h->allow_fd >= 0)
		close(h->allow_fd);
	if (h->deny_fd >= 0)
		close(h->deny_fd);
	reset(h);
}

int stun_xdp_hold(const char *ifname, struct stun_xdp_held *h, char *err, size_t errlen)
{
	struct xdp_found f;
	char dir[256], p[300];
	int ret;

	reset(h);
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	h->ifindex = (int)if_nametoindex(ifname);
	if (!h->ifindex) {
		snprintf(err, errlen, "no network interface named %s", ifname);
		return -ENODEV;
	}
	stun_xdp_pin_dir(ifname, dir, sizeof(dir));
	if ((ret = xdp_find(h->ifindex, dir, &f, err, errlen)))
		return ret;
	if (!f.prog_id) {
		xdp_found_close(&f);
		snprintf(err, errlen, "stunring XDP is not attached to %s", ifname);
		return -ENOENT;
	}
	h->counters_fd = f.counters_fd;
	h->config_fd = f.config_fd;
	h->dispatcher = f.dispatcher;
	h->mode = f.mode;
	/* The pin when it is there (any process of ours), else by id
	 * (CAP_SYS_ADMIN: root, before the drop). */
	snprintf(p, sizeof(p), "%s/prog", dir);
	h->prog_fd = bpf_obj_get(p);
	if (h->prog_fd < 0)
		h->prog_fd = bpf_prog_get_fd_by_id(f.prog_id);
	if (h->prog_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot hold the XDP program on %s (id %u): %s",
			 ifname, f.prog_id, strerror(errno));
		stun_xdp_held_close(h);
		return ret;
	}
	/* The ACL tries, by id (CAP_SYS_ADMIN: root, before the drop). */
	h->allow_fd = xdp_find_map(f.prog_id, "acl_allow");
	h->deny_fd = xdp_find_map(f.prog_id, "acl_deny");
	if (h->allow_fd < 0 || h->deny_fd < 0) {
		snprintf(err, errlen, "cannot hold the ACL maps of the XDP program on %s "
			 "(id %u)", ifname, f.prog_id);
		stun_xdp_held_close(h);
		return -ENOENT;
	}
	return 0;
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
			*pins_left = !stun_xdp_remove_pins(h->ifname);
	}
	return ret;
}
