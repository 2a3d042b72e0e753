/* SPDX-License-Identifier: MIT */
/*
 * stun_xdp_common.h - what the XDP responder (stun_xdp.bpf.c) and its
 * userspace side (xdp_loader.c, stunctl, the tests) agree on: the counter
 * indexes, the configuration map's value and the local-address key.
 *
 * Compiles for the host and for clang -target bpf: fixed-size types from
 * <linux/types.h> only, no libc.
 */
#ifndef STUN_XDP_COMMON_H
#define STUN_XDP_COMMON_H

#include <linux/types.h>

#include "stun_wire.h"
#include "stun_limits.h"

/* Largest STUN message the program parses in the kernel.  Bigger requests
 * go to the daemon (counter pass_too_big).  512 is bpf_csum_diff's limit and
 * keeps the FINGERPRINT CRC loop small enough for the verifier; browsers'
 * ICE checks are 100-200 bytes. */
#define STUN_XDP_MAX_MSG	512

/* config.understood: one bit per comprehension-required attribute type
 * 0x0000-0x003F the daemon understands, filled by the loader from the
 * codec's stun_understood_mask() for basic mode.  Types >= 0x40 below
 * 0x8000 are never understood; 0x8000 and up are optional. */

/* Outcome counters: one per-CPU u64 each.  Names: stun_xdp_counter_names in
 * xdp_loader.c (keep the order). */
enum stun_xdp_counter {
	STUN_XDP_ANSWERED_V4 = 0,
	STUN_XDP_ANSWERED_V6,
	STUN_XDP_PASS_NOT_IP,		/* not IPv4/IPv6 (ARP, LLDP, QinQ...) */
	STUN_XDP_PASS_NOT_UDP,		/* other protocol, IPv6 extension header */
	STUN_XDP_PASS_PORT,		/* UDP to a port we do not serve */
	STUN_XDP_PASS_MALFORMED,	/* truncated frame, bad IP/UDP lengths */
	STUN_XDP_PASS_FRAGMENT,		/* IPv4 fragment: the kernel reassembles */
	STUN_XDP_PASS_DISABLED,		/* responder disabled in the config */
	STUN_XDP_PASS_BOGUS_SOURCE,	/* multicast/broadcast/unspecified/port 0 */
	STUN_XDP_PASS_NOT_LOCAL,	/* destination not one of our addresses */
	STUN_XDP_PASS_BAD_CSUM,		/* IPv4 header or UDP checksum wrong */
	STUN_XDP_PASS_TOO_BIG,		/* STUN message over STUN_XDP_MAX_MSG */
	STUN_XDP_PASS_NOT_STUN,		/* fails the codec's frame checks */
	STUN_XDP_PASS_CLASSIC,		/* RFC 3489 (no cookie): the daemon's */
	STUN_XDP_PASS_NOT_REQUEST,	/* not a Binding Request */
	STUN_XDP_PASS_UNKNOWN_ATTR,	/* needs a 420 (or RFC 5780 handling) */
	STUN_XDP_PASS_FINGERPRINT,	/* FINGERPRINT bad, misplaced, wrong size */
	STUN_XDP_PASS_NO_ROOM,		/* could not resize the frame */
	STUN_XDP_DROPPED,		/* frame half-rewritten: cannot pass it */
	/* The abuse limits (stun_limits.h): STUN to a served port of ours
	 * that gets no answer.  Dropped, not passed: the daemon would only
	 * refuse it again, at ~100x the cost per packet. */
	STUN_XDP_DROP_ACL,		/* source denied (acl_allow / acl_deny) */
	STUN_XDP_DROP_RATE,		/* over the per-source rate limit */
	STUN_XDP_DROP_CAP,		/* over this CPU's response cap */
	STUN_XDP_COUNTER_COUNT
};

#define STUN_XDP_MAX_LOCAL	16	/* local addresses per family */

/* Bits of the program's read-only stun_xdp_test_flags, for the unit tests
 * only: they set it before loading a second copy of the program so that
 * paths the test harness cannot reach otherwise run (bpf_prog_test_run
 * frames always have headroom and tailroom).  stunctl never sets it; with
 * it 0 the verifier removes the code these guard. */
#define STUN_XDP_TEST_NO_HEADROOM	1u	/* act as if adjust_head failed */
#define STUN_XDP_TEST_NO_TAILROOM	2u	/* act as if adjust_tail failed */
#define STUN_XDP_TEST_NO_FAST_PATH	4u	/* always take the general path */
#define STUN_XDP_TEST_FAST_ONLY		8u	/* XDP_ABORTED where the fast path
						   declines: shows what it takes */

/* The single entry of the "config" map.  Written by userspace while the
 * program runs (one bpf_map_update_elem), read once per packet. */
/* IPv4 prefixes scanned in the config before falling back to the trie
 * (stun_xdp_config.acl4). */
#define STUN_XDP_ACL4_MAX 16

struct stun_xdp_config {
	__u32 enabled;			/* 0: pass everything to the daemon */
	__u32 always_fingerprint;	/* the daemon's always_fingerprint */
	__u64 understood;		/* stun_understood_mask(), basic mode */
	__u32 software_len;		/* 0: no SOFTWARE attribute */
	__u8 software[STUN_SOFTWARE_MAX];	/* valid UTF-8, not terminated */
	/* The unicast addresses the program answers from (a request's
	 * destination must be one): the interface's, at attach time or the
	 * last `stunctl xdp sync-addrs`.  Scanned, not hashed: a few
	 * compares cost less than a hash map lookup.  Others: the daemon's. */
	__u32 n_local4, n_local6;
	__u8 local4[STUN_XDP_MAX_LOCAL][4];
	__u8 local6[STUN_XDP_MAX_LOCAL][16];
	__u8 ports[65536 / 8];		/* bitmap of UDP ports to answer */
	/* Abuse limits, from the same stun_limits as the daemon's.  The ACL
	 * lives in the acl_allow / acl_deny LPM tries (keys IPv4-mapped);
	 * these say whether each is in force.  With an allow list, one lookup
	 * in acl_allow decides (it also holds the deny list: see
	 * STUN_XDP_ACL_*); without, one in acl_deny. */
	__u32 acl_allow;		/* non-zero: only sources in acl_allow */
	__u32 acl_deny;			/* non-zero: look sources up in acl_deny */
	/* GCRA (see src/daemon/limiter.h), ns; 0: off.  rate: per source
	 * prefix, shared by every CPU (the buckets map); cap: per CPU. */
	__u64 rate_t, rate_tau;
	__u64 cap_t, cap_tau;
	__u32 kmask[4];			/* bucket key mask, IPv6 (network order) */
	__u32 kmask4;			/* ... and IPv4 (the last word) */
	__u32 kpad;
	__u64 bucket_seed[2];		/* keys the bucket hash: random per attach */
	/* IPv4 sources skip the trie when the lists are short: acl4[] holds
	 * the ACL's prefixes that can match an IPv4 source, longest first,
	 * each with its verdict; the first match decides, none means denied
	 * when there is an allow list.  A few compares in the config already
	 * at hand cost a fraction of an LPM trie lookup. */
	__u32 acl_scan4;		/* non-zero: IPv4 sources use acl4[] */
	__u32 acl_n4;
	struct {
		__be32 net, mask;	/* network order; net masked */
		__u32 deny;		/* the verdict of a match */
	} acl4[STUN_XDP_ACL4_MAX];
	/* Who attached it (never read by the program): a stunringd's pid and
	 * start time (/proc/PID/stat field 22, so a reused pid is not taken
	 * for it), or 0 for stunctl.  A restarted daemon replaces a program
	 * whose owner is gone and leaves any other alone. */
	__u32 owner_pid;
	__u32 owner_pad;
	__u64 owner_start;
};

/* Per-source buckets: STUN_XDP_BUCKET_SETS sets of STUN_XDP_BUCKET_WAYS,
 * 65536 buckets of 32 bytes (2 MiB), never more. */
#define STUN_XDP_BUCKET_WAYS 4
#define STUN_XDP_BUCKET_SETS 16384	/* a power of two */
#define STUN_XDP_BUCKETS (STUN_XDP_BUCKET_SETS * STUN_XDP_BUCKET_WAYS)

/* acl_allow's values: the bits of a prefix.  The trie holds the allow
 * list and, when there is one, the deny list too, so that its longest
 * match alone gives the verdict: an allow prefix that lies inside a deny
 * prefix is marked denied (deny wins), and a deny prefix inside an allow
 * prefix is the longer match.  A source is answered when its longest
 * match is exactly STUN_XDP_ACL_ALLOWED; acl_deny keeps the plain deny
 * list (its values 1), for a configuration without an allow list and for
 * reading the lists back. */
#define STUN_XDP_ACL_LISTED	1	/* on the allow list (read back) */
#define STUN_XDP_ACL_DENIED	2	/* on, or inside, a deny prefix */
#define STUN_XDP_ACL_ALLOWED	STUN_XDP_ACL_LISTED

/* acl_allow / acl_deny key (BPF_MAP_TYPE_LPM_TRIE). */
struct stun_xdp_acl_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* A bucket's key: the masked source prefix (IPv4 mapped, 4 words). */
struct stun_xdp_bucket_key {
	__u32 w[4];
};
struct stun_xdp_bucket {
	struct stun_xdp_bucket_key key;
	__u64 tat;			/* full again at (bpf_ktime_get_coarse_ns);
					   0: never used */
	__u64 drops;			/* requests refused: stunctl limits */
};
/* One element of the buckets array: the ways a prefix's hash can use. */
struct stun_xdp_bucket_set {
	struct stun_xdp_bucket way[STUN_XDP_BUCKET_WAYS];
};

/* An address as the program keeps it.  IPv4 uses addr[0..3]. */
struct stun_xdp_addr {
	__u32 family;			/* STUN_FAMILY_IPV4 / STUN_FAMILY_IPV6 */
	__u8 addr[16];
};

#endif /* STUN_XDP_COMMON_H */
