/* SPDX-License-Identifier: MIT */
/*
 * xdp_find.h - find stunring's XDP responder on an interface from the
 * interface itself, for xdp_loader.c.
 *
 * Pins in bpffs do not survive everywhere: `ip netns exec` and containers
 * give each command a fresh mount namespace, so the bpffs one command
 * mounted (and its pins) is gone for the next while the program stays
 * attached and answering.  So the truth is the interface: ask the kernel
 * which XDP programs it runs (netlink, through libxdp, which also sees
 * inside its dispatcher), and recognise ours by its name and its maps'
 * names, types and sizes.  Pins are only a fast path to the same maps.
 */
#ifndef STUNRING_XDP_FIND_H
#define STUNRING_XDP_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdp_loader.h"

/* The program's name as the kernel keeps it: BPF_OBJ_NAME_LEN - 1 bytes
 * of the function name in bpf/stun_xdp.bpf.c. */
#define STUN_XDP_PROG_NAME "stun_xdp_respond"

struct xdp_found {
	/* Ours, attached to the interface; prog_id 0: not attached. */
	uint32_t prog_id;
	int counters_fd, config_fd;	/* -1 unless prog_id */
	bool dispatcher;		/* inside libxdp's dispatcher */
	enum stun_xdp_mode mode;	/* NATIVE or GENERIC */
	bool via_pins;			/* the fds came from valid pins */
	/* Someone else's program on the interface (0: none), for messages. */
	uint32_t foreign_id;
	char foreign_name[16];
};

/* Look at ifindex; pin_dir (may be NULL) is tried first for the maps.
 * Returns 0 (f->prog_id says whether ours is there) or a negative errno
 * with err set.  Close with xdp_found_close. */
int xdp_find(int ifindex, const char *pin_dir, struct xdp_found *f, char *err,
	     size_t errlen);
void xdp_found_close(struct xdp_found *f);
/* An fd of program prog_id's map called name, or -1. */
int xdp_find_map(uint32_t prog_id, const char *name);

#endif /* STUNRING_XDP_FIND_H */
