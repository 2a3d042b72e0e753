/* SPDX-License-Identifier: MIT */
/*
 * stun_limits.h - the abuse limits (ACL, per-source rate limits, global
 * response cap) as one configuration shared by stunringd's workers, the
 * XDP responder's loader and stunctl: one config sets both paths.
 *
 * Compiles for the host and for clang -target bpf (<linux/types.h> only).
 * Addresses are 16 bytes; IPv4 is kept IPv4-mapped (::ffff:a.b.c.d), so a
 * v4 /N prefix is a /(96+N) one and one table serves both families.
 */
#ifndef STUN_LIMITS_H
#define STUN_LIMITS_H

#include <linux/types.h>

#define STUN_ACL_MAX 64		/* prefixes per list (--allow, --deny) */

struct stun_prefix {
	__u8 addr[16];		/* masked to len bits; IPv4 mapped */
	__u32 len;		/* 0..128 (IPv4: 96 + its own length) */
};

/* Every rate is in responses per second, 0 for off. */
struct stun_limits {
	__u32 rate, burst;		/* --rate-limit RATE[/BURST], per prefix */
	__u32 err_rate, err_burst;	/* --error-rate-limit: errors, classic,
					 * RESPONSE-PORT and PADDING answers */
	__u32 max_rate;			/* --max-response-rate: per worker and
					 * per CPU in XDP (burst: max_rate / 10) */
	__u8 prefix4, prefix6;		/* bucket prefix lengths (32, 64) */
	__u16 pad;
	__u32 n_allow, n_deny;
	struct stun_prefix allow[STUN_ACL_MAX];	/* none: every source */
	struct stun_prefix deny[STUN_ACL_MAX];	/* deny wins over allow */
};

#define STUN_LIMITS_PREFIX4_DEFAULT 32
#define STUN_LIMITS_PREFIX6_DEFAULT 64

#endif
