/* SPDX-License-Identifier: MIT */
/*
 * xdp_loader.h - attach, detach and inspect the XDP responder
 * (bpf/stun_xdp.bpf.c).  Used by stunctl and, for `stunringd --xdp IFACE`,
 * by the daemon: link build/obj/bpf/xdp_loader.o,
 * build/obj/bpf/xdp_find.o and build/obj/bpf/xdp_config.o with $(XDP_LDLIBS) (see bpf/xdp.mk).
 *
 * State lives in the kernel, not in the calling process: every function
 * finds our program from the interface it is attached to (xdp_find.h), so
 * status, stats and detach work from any later process, even one in a
 * fresh mount namespace (ip netns exec, containers) where earlier pins are
 * gone.  Pins under /sys/fs/bpf/stunring/<key>/ (key: the interface name,
 * with "@ns<inode>" appended outside the initial network namespace) are
 * only a fast path to the maps.
 *
 * Every function returns 0 or a negative errno and, on error, leaves one
 * human-readable line (no trailing newline) in err.
 */
#ifndef STUNRING_XDP_LOADER_H
#define STUNRING_XDP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stun_xdp_common.h"

#define STUN_XDP_PIN_ROOT "/sys/fs/bpf/stunring"
#define STUN_XDP_ERRLEN 512

enum stun_xdp_mode {
	STUN_XDP_MODE_AUTO = 0,	/* native, else generic */
	STUN_XDP_MODE_NATIVE,
	STUN_XDP_MODE_GENERIC,
};

struct stun_xdp_held;

struct stun_xdp_opts {
	const char *ifname;
	enum stun_xdp_mode mode;
	const uint16_t *ports;		/* NULL/0: STUN_DEFAULT_PORT */
	unsigned int n_ports;
	const char *software;		/* NULL: no SOFTWARE */
	bool ice_aware;			/* understand PRIORITY, USE-CANDIDATE */
	bool always_fingerprint;
	bool disabled;			/* attach but pass everything */
	/* stunringd: record this process as the owner, and replace our
	 * program when its owner is no longer running (a predecessor killed
	 * with SIGKILL); any other attachment of ours is refused. */
	bool daemon_owned;
	/* ACL, per-source rate limit, per-CPU cap (NULL: none). */
	const struct stun_limits *limits;
	/* Non-NULL: filled with fds to the program and its maps, taken from
	 * the load itself.  Looking them up later (by id) needs CAP_SYS_ADMIN
	 * and the pins may be impossible, so this is how a daemon running
	 * with only CAP_NET_ADMIN, CAP_BPF and CAP_PERFMON keeps them. */
	struct stun_xdp_held *hold;
};

/* What an attachment looks like, for status and the daemon's log. */
struct stun_xdp_info {
	char ifname[64];
	char key[96];			/* pin directory name */
	int ifindex;			/* 0: interface gone */
	uint32_t prog_id;		/* our program on the interface (0: none) */
	bool attached;			/* false: only stale pins are left */
	bool pinned;			/* its pins are valid in this mount ns */
	bool dispatcher;		/* through libxdp's dispatcher */
	enum stun_xdp_mode mode;	/* NATIVE or GENERIC when attached */
	struct stun_xdp_config cfg;
};

/* Fill a configuration from options (ports, SOFTWARE, ICE).  Returns 0 or
 * -EINVAL (SOFTWARE too long or not UTF-8, port 0). */
/* The kernel's tick rate as libbpf kconfig text for the program's
 * CONFIG_HZ extern ("CONFIG_HZ=250\n"), read from /boot/config-RELEASE;
 * "CONFIG_HZ=0\n" when that is missing, and the program then reads the
 * coarse clock (the same time through a helper call).  Given to every open
 * of the skeleton: left to itself libbpf reads /boot or /proc/config.gz
 * and refuses the program when it can read neither (the shipped unit's
 * ProcSubset=pid hides /proc/config.gz). */
const char *stun_xdp_kconfig(void);

int stun_xdp_config_init(struct stun_xdp_config *c,
			 const struct stun_xdp_opts *o, char *err, size_t errlen);

/* Load, attach and pin.  how: one line saying in which mode and whether
 * libxdp's dispatcher or a single program was used, and why. */
int stun_xdp_attach(const struct stun_xdp_opts *o, char *how, size_t howlen,
		    char *err, size_t errlen);
/* Detach our program from ifname and remove its pins.  Another program
 * there is left alone (-ENOENT, named in err). */
int stun_xdp_detach(const char *ifname, char *err, size_t errlen);

/* Our attachments in this network namespace (every interface is asked),
 * then stale pins: up to cap into out; returns how many exist (may exceed
 * cap) or a negative errno. */
int stun_xdp_list(struct stun_xdp_info *out, int cap, char *err, size_t errlen);
/* Counters of one attachment, summed over CPUs. */
int stun_xdp_counters(const char *ifname, uint64_t out[STUN_XDP_COUNTER_COUNT],
		      char *err, size_t errlen);
/* The same from a counters map fd (held by a process that attached the
 * program and can no longer reach bpffs, see xdp_held.h); ifname only
 * names it in err. */
int stun_xdp_counters_fd(int counters_fd, const char *ifname,
			 uint64_t out[STUN_XDP_COUNTER_COUNT], char *err, size_t errlen);
/* Change the live configuration (enable flag, SOFTWARE). */
int stun_xdp_set_enabled(const char *ifname, bool on, char *err, size_t errlen);
int stun_xdp_set_software(const char *ifname, const char *software, char *err,
			  size_t errlen);
/* SOFTWARE (NULL or "": none) and always_fingerprint in one update of
 * the config map behind config_fd (xdp_held.h): no privilege needed
 * beyond holding the fd. */
int stun_xdp_set_policy_fd(int config_fd, const char *ifname, const char *software,
			   bool always_fingerprint, char *err, size_t errlen);

/* Remove ifname's pins and their directory; true when none are left
 * (false, quietly, when bpffs is out of our reach). */
bool stun_xdp_remove_pins(const char *ifname);

/* The limits' part of the configuration (rates as GCRA intervals,
 * bucket masks, ACL flags): what stun_xdp_config_init does with
 * o->limits. */
void stun_xdp_config_limits(struct stun_xdp_config *c, const struct stun_limits *l);
/* Make the acl_allow and acl_deny tries (fds) hold l's lists. */
int stun_xdp_acl_fill(int allow_fd, int deny_fd, const struct stun_limits *l);
/* The rate-limit fields of the config map behind config_fd (the ACL maps
 * are filled by stun_xdp_acl_fill): for a holder of the fds. */
int stun_xdp_set_limits_fd(int config_fd, const char *ifname, const struct stun_limits *l,
			   char *err, size_t errlen);
/* Change the live limits by name: the tries, then the configuration. */
int stun_xdp_set_limits(const char *ifname, const struct stun_limits *l, char *err,
			size_t errlen);
/* The live limits, read back: the ACL tries, the rates (from the GCRA
 * intervals: --error-rate-limit is the daemon's and reads 0) and the
 * bucket prefix lengths. */
int stun_xdp_get_limits(const char *ifname, struct stun_limits *l, char *err,
			size_t errlen);
/* The per-source buckets with the most refused requests: up to cap into
 * keys/drops, most first; how many, or a negative errno. */
int stun_xdp_top_limited(const char *ifname, struct stun_prefix *keys, uint64_t *drops,
			 int cap, char *err, size_t errlen);

/* Refresh the local addresses from the interface's current ones (attach
 * does it once; call again after they change).  Returns how many. */
int stun_xdp_sync_addrs(const char *ifname, char *err, size_t errlen);
/* Replace c's local addresses with ifindex's (at most STUN_XDP_MAX_LOCAL
 * per family; the rest are left to the daemon).  Returns how many. */
int stun_xdp_config_set_addrs(struct stun_xdp_config *c, int ifindex);
/* Add one (family STUN_FAMILY_IPV4/6, network order).  Returns 1 when
 * added, 0 when already there, -ENOSPC when full. */
int stun_xdp_config_add_addr(struct stun_xdp_config *c, int family,
			     const void *addr);

/* Is the stunringd that attached c still running?  False for stunctl's
 * attachments (no owner). */
bool stun_xdp_owner_alive(const struct stun_xdp_config *c);
/* "stunctl", "stunringd pid N, running" or "..., no longer running". */
void stun_xdp_owner_text(const struct stun_xdp_config *c, char *buf, size_t n);

/* Short name of a counter ("answered_v4", "pass_port", ...). */
const char *stun_xdp_counter_name(int i);
const char *stun_xdp_mode_name(enum stun_xdp_mode m);

/* 0 when the caller has CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (in its
 * effective set), else -EPERM with err set. */
int stun_xdp_check_privileges(char *err, size_t errlen);

#endif /* STUNRING_XDP_LOADER_H */
