/* SPDX-License-Identifier: MIT */
/* xdp_fdstore.c - see xdp_fdstore.h. */
#include "xdp_fdstore.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define FDNAME "stunring-xdp"

/* Take ours off ifindex if it is still there: 0 when it was detached,
 * -ENOENT when another program (or none) is there now. */
static int detach_if_ours(int fd, int ifindex, unsigned int *id)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	*id = info.id;
	int flags = q.skb_prog_id == info.id ? XDP_FLAGS_SKB_MODE :
		    q.drv_prog_id == info.id ? XDP_FLAGS_DRV_MODE : 0;
	if (!flags)
		return -ENOENT;
	/* The kernel refuses (EEXIST) if another program replaced ours. */
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);
	return bpf_xdp_detach(ifindex, flags, &o);
}

void xdp_fdstore_take_orphan(const char *ifname, char *note, size_t notelen)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	note[0] = 0;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		unsigned int id = 0;
		if (names && names[i] && !strcmp(names[i], FDNAME)) {
			int ifindex = (int)if_nametoindex(ifname);
			int ret = ifindex ? detach_if_ours(fd, ifindex, &id) : -ENODEV;
			if (!ret)
				snprintf(note, notelen, "took off prog id %u, left on %s by the "
					 "previous stunringd (its fd was in systemd's fd store)",
					 id, ifname);
			xdp_fdstore_forget();
		}
		close(fd);
	}
	if (names)
		for (int i = 0; i < n; i++)
			free(names[i]);
	free(names);
}

void xdp_fdstore_save(int prog_fd)
{
	if (getenv("NOTIFY_SOCKET"))
		sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" FDNAME, &prog_fd, 1);
}

void xdp_fdstore_forget(void)
{
	if (getenv("NOTIFY_SOCKET"))
		sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=" FDNAME);
}
