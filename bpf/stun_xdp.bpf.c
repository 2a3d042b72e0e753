// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * stun_xdp.bpf.c - the XDP fast path: answer STUN Binding Requests in place.
 *
 * It answers exactly the requests the daemon's codec (src/stun_respond.c,
 * basic mode) answers with a success: a Binding Request with the magic
 * cookie whose required attributes are all understood, FINGERPRINT checked
 * when present, from a unicast source to one of our unicast addresses.  The
 * reply is XOR-MAPPED-ADDRESS, then SOFTWARE when configured, then
 * FINGERPRINT when the request had one (or always_fingerprint): byte for byte
 * what stun_respond() writes.  Everything else - RFC 3489 clients, requests
 * that need an error response, anything it cannot fully check - goes to
 * stunringd with XDP_PASS, and a per-CPU counter says why.
 *
 * Only requests to one of the interface's own unicast addresses are
 * answered (a table in the config map): on a gateway, requests routed
 * through it to someone else's STUN server are not ours.
 *
 * Shape: two paths with one behaviour.  The fast path (fast_path()) takes
 * what nearly every client sends - untagged Ethernet, IPv4 without options
 * or IPv6, a Binding Request with no attribute or FINGERPRINT only, no
 * SOFTWARE configured - and answers it in straight-line code with direct
 * packet access and one helper call.  Everything else takes the general
 * path: headers are walked with direct packet access; the STUN message is
 * copied into a per-CPU scratch buffer (at most STUN_XDP_MAX_MSG bytes) so
 * its attribute walk and CRC run on bounded map memory the verifier can
 * follow; the reply frame is built in the scratch buffer, the packet resized
 * (grow(): adjust_head, else adjust_tail), and the whole frame written back.
 * The unit tests run every case through the program and through a copy
 * without the fast path and compare the two byte for byte.
 *
 * Checksums are computed from scratch: packets from a local socket arrive
 * on veth with CHECKSUM_PARTIAL, so the UDP checksum field is only the
 * pseudo-header sum and an incremental update would be wrong.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "stun_xdp_common.h"
#include "stun_crc32_table.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* XOR-MAPPED-ADDRESS (IPv6) + SOFTWARE + FINGERPRINT after the header. */
#define RESP_MAX (STUN_HDR_LEN + STUN_ATTR_HDR_LEN + STUN_ADDR_V6_VALUE_LEN + \
		  STUN_ATTR_HDR_LEN + STUN_SOFTWARE_MAX + STUN_FINGERPRINT_ATTR_LEN)
#define UDP_HLEN 8
#define IP_DF 0x4000
#define IP_FRAG_MASK 0x3FFF	/* MF | fragment offset */
#define REPLY_TTL 64

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STUN_XDP_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stun_xdp_config);
} config SEC(".maps");

/* The abuse limits (stun_limits.h; config.acl_*, rate_*, cap_*).
 * acl_allow holds both lists (STUN_XDP_ACL_* in stun_xdp_common.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * STUN_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct stun_xdp_acl_key);
	__type(value, __u8);
} acl_allow SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, STUN_ACL_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct stun_xdp_acl_key);
	__type(value, __u8);
} acl_deny SEC(".maps");

/* Per-source buckets, shared by every CPU: a source's packets may arrive
 * on several queues (RSS hashes ports too), and per-CPU buckets would let
 * it have the rate once per CPU.  Updated with one compare-and-swap, which
 * only contends when one prefix is served on two CPUs at the same moment.
 *
 * Set-associative, as the daemon's table (src/daemon/limiter.h): a keyed
 * hash of the prefix picks a set of STUN_XDP_BUCKET_WAYS buckets, and a
 * new prefix takes the way whose tat is oldest.  A bucket with tat <= now
 * is full again, so recycling it loses nothing; only when every way is
 * busy does an active bucket go, the least limited one (a flooder's tat
 * runs ahead of the clock, so it is the last to be forgotten).  An array,
 * not an LRU hash: the verifier turns an array lookup into a few
 * instructions, where the LRU hash cost a helper call, a jhash and the
 * LRU's own bookkeeping, about 15 ns a packet (make bench-limits).  The
 * table never grows: a flood of new prefixes only recycles buckets. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STUN_XDP_BUCKET_SETS);
	__type(key, __u32);
	__type(value, struct stun_xdp_bucket_set);
} buckets SEC(".maps");

/* The global response cap: per CPU, so no atomics (--max-response-rate
 * is per worker in the daemon, per CPU here). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cap SEC(".maps");

/* STUN_XDP_TEST_* bits: set by the unit tests only (see
 * stun_xdp_common.h).  0 in production: read-only and frozen, so the
 * verifier knows the value and never explores the paths they guard; what
 * is left per packet is a load and a predictable branch or two. */
const volatile __u32 stun_xdp_test_flags = 0;

/* A STUN message in scratch memory.  A struct, so that the global
 * functions below can take it: the verifier checks those once, not once
 * per path through the caller, which keeps the loops affordable. */
struct stun_buf {
	__u8 b[STUN_XDP_MAX_MSG + 8];	/* + 8: see stun_xdp_check */
};

/* Tallies of the attribute walk.  Kept in map memory on purpose: the
 * verifier does not track values there, so paths that differ only in these
 * counts look alike to it and the 128-step walk verifies in linear time. */
struct stun_walk {
	__u32 nfp;		/* FINGERPRINT attributes seen */
	__u32 unknown;		/* unknown comprehension-required ones */
	__u64 seed;		/* in: pseudo + UDP header sum ... */
	__u32 verify;		/* ... to verify the UDP checksum with */
	__u32 pad;
};

/* Per-CPU working memory, laid out as the reply frame: the request is
 * copied into msg and the response built over it, as stun_respond() may
 * do; the UDP header goes right before it and the Ethernet and IP headers
 * end where udp starts, so the whole reply goes back in one store, and
 * the IP header (and every word written) is aligned. */
struct scratch {
	struct stun_walk walk;
	__u8 hdr[64];		/* used from the end: 64 - header length */
	__u8 udp[8];
	struct stun_buf msg;
	__u8 slack[128];	/* lets lengths be bounded with a mask (see below) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* What the reply needs from the request's headers. */
struct frame {
	__u8 mac_src[ETH_ALEN], mac_dst[ETH_ALEN];
	__be16 vlan_tpid, vlan_tci, l3_proto;
	__u32 l2len;		/* 14, or 18 with a VLAN tag */
	__u32 pkt_len;		/* frame length as received */
	__u32 msg_off;		/* offset of the STUN message */
	__u32 msg_len;		/* UDP payload length */
	struct stun_xdp_addr src, dst;
	__be16 sport, dport;
	__be16 udp_check;	/* as received */
	__u8 v6;
};

static __always_inline int pass(enum stun_xdp_counter c)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1;	/* per-CPU: no atomics needed */
	return XDP_PASS;
}

static __always_inline int verdict(enum stun_xdp_counter c, int action)
{
	pass(c);
	return action;
}

/* Denied by the ACL?  k: the source, IPv4 mapped (4 words).  One trie
 * lookup either way: with an allow list, acl_allow's longest match has
 * the verdict of both lists in it. */
static __always_inline int acl_denied(const struct stun_xdp_config *cfg, const __u32 *k)
{
	struct stun_xdp_acl_key key = { .prefixlen = 128 };
	const __u8 *v;

	if (!(cfg->acl_allow | cfg->acl_deny))
		return 0;
	if (cfg->acl_scan4 && (k[0] | k[1]) == 0 && k[2] == bpf_htonl(0xFFFF)) {
		for (__u32 i = 0; i < STUN_XDP_ACL4_MAX; i++) {
			if (i >= cfg->acl_n4)
				break;
			if ((k[3] & cfg->acl4[i].mask) == cfg->acl4[i].net)
				return cfg->acl4[i].deny;
		}
		return cfg->acl_allow != 0;
	}
	__builtin_memcpy(key.addr, k, 16);
	if (!cfg->acl_allow)
		return bpf_map_lookup_elem(&acl_deny, &key) != NULL;
	v = bpf_map_lookup_elem(&acl_allow, &key);
	return !v || *v != STUN_XDP_ACL_ALLOWED;
}

/* The kernel's tick rate, filled in by libbpf from the kernel's config
 * (/boot/config-*, /proc/config.gz) when the program is loaded; 0 when it
 * found neither. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/* The limits' clock, in ns: the last tick's time.  A clock up to a tick
 * behind only hands out a token up to a tick late (rate / HZ fewer answers
 * at worst), never an extra one, as the daemon's one clock read per batch.
 * jiffies * (ns per tick) is that time: the verifier inlines
 * bpf_jiffies64 as a load, where bpf_ktime_get_coarse_ns is a helper call
 * (~6 ns a packet here, two thirds of what the limits cost with it;
 * bpf_ktime_get_ns on kvm-clock ~25 ns).  CONFIG_HZ is a constant to the
 * verifier, which drops the cases that are not taken; a tick rate that
 * does not divide a second keeps the coarse clock. */
static __always_inline __u64 tick_ns(void)
{
	switch (CONFIG_HZ) {
	case 100:
		return bpf_jiffies64() * 10000000ull;
	case 250:
		return bpf_jiffies64() * 4000000ull;
	case 1000:
		return bpf_jiffies64() * 1000000ull;
	default:
		return bpf_ktime_get_coarse_ns();
	}
}

/* GCRA (src/daemon/limiter.h): may the bucket at *tat send now? */
static __always_inline int gcra_next(__u64 tat, __u64 now, __u64 t, __u64 tau,
				     __u64 *next)
{
	__u64 start = tat > now ? tat : now;

	*next = start + t;
	return start + t - now <= tau;
}

/* The set of prefix w: keyed (the seed is random per attach), so a
 * flood cannot aim at one set; the daemon's limit_hash. */
static __always_inline __u32 bucket_set(const struct stun_xdp_config *cfg, const __u32 *w)
{
	__u64 a = ((__u64)w[0] << 32 | w[1]) ^ cfg->bucket_seed[0];
	__u64 b = ((__u64)w[2] << 32 | w[3]) ^ cfg->bucket_seed[1];
	__u64 h = a * 0x9E3779B97F4A7C15ull;

	h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9ull;
	return (__u32)(h ^ (h >> 32)) & (STUN_XDP_BUCKET_SETS - 1);
}

static __always_inline int bucket_is(const struct stun_xdp_bucket *b, const __u32 *w)
{
	return b->key.w[0] == w[0] && b->key.w[1] == w[1] && b->key.w[2] == w[2] &&
	       b->key.w[3] == w[3] && b->tat;
}

/* One per-source token, shared between CPUs (a plain store with credit to
 * spare, else compare-and-swap, retried when another CPU took one at the
 * same moment). */
static __always_inline int source_ok(const struct stun_xdp_config *cfg, const __u32 *k,
				     __u64 now)
{
	__u32 w[4] = { k[0] & cfg->kmask[0], k[1] & cfg->kmask[1], k[2] & cfg->kmask[2],
		       k[3] & cfg->kmask[3] };
	struct stun_xdp_bucket_set *set;
	struct stun_xdp_bucket *b = NULL, *old;
	__u64 next;

	if (k[0] == 0 && k[1] == 0 && k[2] == bpf_htonl(0xFFFF))
		w[3] = k[3] & cfg->kmask4, w[2] = k[2];
	__u32 idx = bucket_set(cfg, w);
	set = bpf_map_lookup_elem(&buckets, &idx);
	if (!set)
		return 1;
	old = &set->way[0];
#pragma unroll
	for (int i = 0; i < STUN_XDP_BUCKET_WAYS; i++) {
		struct stun_xdp_bucket *s = &set->way[i];

		if (bucket_is(s, w)) {
			b = s;
			break;
		}
		if (s->tat < old->tat)
			old = s;
	}
	if (!b) {
		/* A new prefix: full, less this answer's token.  Two CPUs
		 * recycling one way at the same moment may leave a key that
		 * matches neither prefix (both answer; the bucket is recycled
		 * again later): one response too many, never a refused one
		 * that should have gone. */
		old->key.w[0] = w[0];
		old->key.w[1] = w[1];
		old->key.w[2] = w[2];
		old->key.w[3] = w[3];
		old->drops = 0;
		old->tat = now + cfg->rate_t;
		return 1;
	}
	for (int i = 0; i < 4; i++) {
		__u64 tat = *(volatile __u64 *)&b->tat;

		if (!gcra_next(tat, now, cfg->rate_t, cfg->rate_tau, &next)) {
			__sync_fetch_and_add(&b->drops, 1);
			return 0;
		}
		/* More than half the burst left: a plain store.  Another CPU
		 * taking a token of this source in the same few nanoseconds
		 * may overwrite it and one answer goes uncounted, which can
		 * only spend credit the source still has.  Nearer the limit,
		 * where an uncounted answer would be one over it,
		 * compare-and-swap.  The lock costs ~5 ns a packet here, as
		 * much as the rest of the limits together. */
		if (next - now <= cfg->rate_tau >> 1) {
			b->tat = next;
			return 1;
		}
		if (__sync_val_compare_and_swap(&b->tat, tat, next) == tat)
			return 1;
	}
	return 0;
}

/* XDP_DROP (counted) when the limits refuse an answer to k, else -1: the
 * per-source bucket first, then this CPU's cap; a refusal costs no token
 * of the cap. */
static __always_inline int limited(const struct stun_xdp_config *cfg, const __u32 *k)
{
	__u32 zero = 0;
	__u64 now, next = 0, *cap_tat = NULL;

	if (!(cfg->rate_t | cfg->cap_t))
		return -1;
	now = tick_ns();
	if (cfg->cap_t) {
		cap_tat = bpf_map_lookup_elem(&cap, &zero);
		if (cap_tat && !gcra_next(*cap_tat, now, cfg->cap_t, cfg->cap_tau, &next))
			return verdict(STUN_XDP_DROP_CAP, XDP_DROP);
	}
	if (cfg->rate_t && !source_ok(cfg, k, now))
		return verdict(STUN_XDP_DROP_RATE, XDP_DROP);
	if (cap_tat)
		*cap_tat = next;	/* per CPU: a plain store */
	return -1;
}

/* Both checks for a request the program is about to answer. */
static __always_inline int guard(const struct stun_xdp_config *cfg, const __u32 *k)
{
	if (acl_denied(cfg, k))
		return verdict(STUN_XDP_DROP_ACL, XDP_DROP);
	return limited(cfg, k);
}

/* Word loads and stores at offsets we know to be aligned enough (the
 * scratch layout below keeps them so); byte-at-a-time code was a large
 * share of the program's cost. */
#define LD16(p) (*(const __u16 *)(const void *)(p))
#define LD32(p) (*(const __u32 *)(const void *)(p))
#define ST16(p, v) (*(__u16 *)(void *)(p) = (__u16)(v))
#define ST32(p, v) (*(__u32 *)(void *)(p) = (__u32)(v))

/* Internet checksums are summed here, not with bpf_csum_diff(): 32-bit
 * words in memory order into a 64-bit accumulator, folded at the end
 * (RFC 1071: the sum does not depend on byte order, so the folded value is
 * stored as is).  Seven helper calls per answer cost more than the rest of
 * the program. */
static __always_inline __u16 csum_fold(__u64 s)
{
	/* x + (x rotated by half its width): the high half is the sum of
	 * the halves with the end-around carry.  Fewer steps than masking
	 * and adding twice per width (four folds per answer add up). */
	__u32 w = (__u32)((s + (s << 32 | s >> 32)) >> 32);

	return (__u16)((w + (w << 16 | w >> 16)) >> 16);
}

/* A 32-bit word as a 64-bit value, so that sums of several never wrap.
 * Every caller passes a 4-aligned address (a __builtin_memcpy here made
 * clang load byte by byte: a quarter of the program's time). */
static __always_inline __u64 word32(const __u8 *p)
{
	return LD32(p);
}

/* CRC-32 of m[0..len), len <= STUN_XDP_MAX_MSG: one table step per byte,
 * a loop the verifier walks to its bound (once: a global function). */
__attribute__((noinline)) __u32 stun_xdp_crc32(const struct stun_buf *m,
						__u32 len)
{
	__u32 c = 0xFFFFFFFFu;

	if (!m)
		return 0;
	for (__u32 i = 0; i < STUN_XDP_MAX_MSG; i++) {
		if (i >= len)
			break;
		c = stun_crc32_table[0][(c ^ m->b[i]) & 0xff] ^ (c >> 8);
	}
	return ~c;
}

/* stun_addr_is_bogus_source() of src/stun_addr.c, plus IPv4-mapped IPv6
 * sources, which Linux drops on input (so the daemon never sees them). */
static __always_inline int bogus_source(const struct frame *f)
{
	const __u8 *a = f->src.addr;

	if (f->sport == 0)
		return 1;
	if (!f->v6)
		return a[0] == 0 || (a[0] & 0xF0) == 0xE0 ||
		       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	if (a[0] == 0xFF)
		return 1;
	if (LD32(a) | LD32(a + 4))
		return 0;
	/* :: and ::ffff:0:0/96 */
	return (LD32(a + 8) == 0 && LD32(a + 12) == 0) ||
	       LD32(a + 8) == bpf_htonl(0x0000FFFF);
}

/* Grow the frame by delta > 0 bytes: at the head first, which has room in
 * every case we know (drivers and generic XDP reserve XDP_PACKET_HEADROOM),
 * then at the tail (veth in native mode often has no tailroom after copying
 * into its page pool: a failed adjust_tail first would cost a helper call
 * per answer; and in the live-frame benchmark a grown tail, which the
 * kernel zeroes, made every answer about a third more expensive).  Returns
 * where the old frame now starts from ctx->data (delta or 0), negative
 * when neither worked; nothing has changed then. */
static __always_inline int grow(struct xdp_md *ctx, int delta)
{
	if (!(stun_xdp_test_flags & STUN_XDP_TEST_NO_HEADROOM) &&
	    !bpf_xdp_adjust_head(ctx, -delta))
		return delta;
	if (!(stun_xdp_test_flags & STUN_XDP_TEST_NO_TAILROOM) &&
	    !bpf_xdp_adjust_tail(ctx, delta))
		return 0;
	return -1;
}

/* Is the destination one of cfg's local addresses? */
static __always_inline int is_local(const struct stun_xdp_config *cfg,
				    const struct frame *f)
{
	if (!f->v6) {
		__u32 d = (__u32)word32(f->dst.addr);

		for (__u32 i = 0; i < STUN_XDP_MAX_LOCAL; i++) {
			if (i >= cfg->n_local4)
				break;
			if ((__u32)word32(cfg->local4[i]) == d)
				return 1;
		}
		return 0;
	}
	const __u8 *d = f->dst.addr;
	for (__u32 i = 0; i < STUN_XDP_MAX_LOCAL; i++) {
		const __u8 *l = cfg->local6[i];

		if (i >= cfg->n_local6)
			break;
		if (LD32(l) == LD32(d) && LD32(l + 4) == LD32(d + 4) &&
		    LD32(l + 8) == LD32(d + 8) && LD32(l + 12) == LD32(d + 12))
			return 1;
	}
	return 0;
}

/* Ethernet, one optional VLAN tag, IPv4/IPv6, UDP: fill *f or return the
 * counter of why not (-1 when it is ours to look at). */
static __always_inline int parse_headers(struct xdp_md *ctx, struct frame *f)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u32 off = sizeof(*eth), l3_payload;

	f->pkt_len = (__u32)(data_end - data);
	if ((void *)(eth + 1) > data_end)
		return STUN_XDP_PASS_MALFORMED;
	for (int i = 0; i < ETH_ALEN; i += 2) {
		ST16(f->mac_src + i, LD16(eth->h_source + i));
		ST16(f->mac_dst + i, LD16(eth->h_dest + i));
	}
	f->l3_proto = eth->h_proto;
	f->vlan_tpid = 0;
	if (f->l3_proto == bpf_htons(ETH_P_8021Q) ||
	    f->l3_proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = data + off;

		if ((void *)(vh + 1) > data_end)
			return STUN_XDP_PASS_MALFORMED;
		f->vlan_tpid = f->l3_proto;
		f->vlan_tci = vh->tci;
		f->l3_proto = vh->proto;
		off += sizeof(*vh);
	}
	f->l2len = off;

	if (f->l3_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		__u64 sum = 0;

		if ((void *)(ip + 1) > data_end)
			return STUN_XDP_PASS_MALFORMED;
		__u32 hlen = ip->ihl * 4, tot = bpf_ntohs(ip->tot_len);
		if (ip->version != 4 || hlen < sizeof(*ip) || tot < hlen ||
		    off + tot > f->pkt_len)
			return STUN_XDP_PASS_MALFORMED;
		if (ip->protocol != IPPROTO_UDP)
			return STUN_XDP_PASS_NOT_UDP;
		if (ip->frag_off & bpf_htons(IP_FRAG_MASK))
			return STUN_XDP_PASS_FRAGMENT;
		/* The kernel drops a bad header checksum; so do we (pass it). */
		for (__u32 i = 0; i < 15; i++) {
			__u32 *w = (__u32 *)ip + i;

			if (i >= hlen / 4)
				break;
			if ((void *)(w + 1) > data_end)
				return STUN_XDP_PASS_MALFORMED;
			sum += *w;
		}
		if (csum_fold(sum) != 0xFFFF)
			return STUN_XDP_PASS_BAD_CSUM;
		f->v6 = 0;
		f->src.family = STUN_FAMILY_IPV4;
		f->dst.family = STUN_FAMILY_IPV4;
		__builtin_memcpy(f->src.addr, &ip->saddr, 4);
		__builtin_memcpy(f->dst.addr, &ip->daddr, 4);
		udp = (void *)ip + hlen;
		off += hlen;
		l3_payload = tot - hlen;
	} else if (f->l3_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end)
			return STUN_XDP_PASS_MALFORMED;
		l3_payload = bpf_ntohs(ip6->payload_len);
		if (ip6->version != 6 ||
		    off + sizeof(*ip6) + l3_payload > f->pkt_len)
			return STUN_XDP_PASS_MALFORMED;
		/* Extension headers (and jumbograms) are the kernel's job. */
		if (ip6->nexthdr != IPPROTO_UDP)
			return STUN_XDP_PASS_NOT_UDP;
		f->v6 = 1;
		f->src.family = STUN_FAMILY_IPV6;
		f->dst.family = STUN_FAMILY_IPV6;
		__builtin_memcpy(f->src.addr, &ip6->saddr, 16);
		__builtin_memcpy(f->dst.addr, &ip6->daddr, 16);
		udp = (void *)(ip6 + 1);
		off += sizeof(*ip6);
	} else {
		return STUN_XDP_PASS_NOT_IP;
	}

	if ((void *)(udp + 1) > data_end)
		return STUN_XDP_PASS_MALFORMED;
	__u32 ulen = bpf_ntohs(udp->len);
	/* Like udp_rcv(): the datagram is udp->len bytes, which must fit. */
	if (ulen < UDP_HLEN || ulen > l3_payload)
		return STUN_XDP_PASS_MALFORMED;
	f->sport = udp->source;
	f->dport = udp->dest;
	f->udp_check = udp->check;
	f->msg_off = off + UDP_HLEN;
	f->msg_len = ulen - UDP_HLEN;
	return -1;
}

/* Sum of the UDP pseudo header (RFC 768, RFC 8200 section 8.1): the
 * addresses, the protocol and the UDP length (16-bit words in memory
 * order; IPv6's 32-bit fields sum the same for lengths below 65536). */
static __always_inline __u64 pseudo_sum(const struct stun_xdp_addr *src,
					const struct stun_xdp_addr *dst,
					__u32 ulen, int v6)
{
	__u64 s = (__u64)bpf_htons(IPPROTO_UDP) + bpf_htons(ulen);

	s += word32(src->addr) + word32(dst->addr);
	if (v6) {
		s += word32(src->addr + 4) + word32(src->addr + 8) + word32(src->addr + 12);
		s += word32(dst->addr + 4) + word32(dst->addr + 8) + word32(dst->addr + 12);
	}
	return s;
}

/* The codec's frame checks and attribute walk (stun_parse + stun_respond,
 * basic mode) on m[0..n), then - when w->verify - the UDP checksum:
 * w->seed is the sum of the pseudo header and the UDP header.  Returns a counter
 * index, or -1 when a success is due (-2 when, in addition, the request
 * carries a valid FINGERPRINT).  A global function: the verifier checks its
 * loops once, and one call does all the per-byte work. */
__attribute__((noinline)) int stun_xdp_check(const struct stun_buf *buf,
					     struct stun_walk *w, __u32 n,
					     __u64 understood)
{
	__u32 pos = STUN_HDR_LEN, last = 0;

	if (!buf || !w)
		return STUN_XDP_PASS_NO_ROOM;
	w->nfp = 0;
	w->unknown = 0;
	const __u8 *m = buf->b;
	if (n < STUN_HDR_LEN || n > STUN_XDP_MAX_MSG || (m[0] & 0xC0))
		return STUN_XDP_PASS_NOT_STUN;
	__u16 body = bpf_ntohs(LD16(m + 2));
	if ((body & 3) || body + STUN_HDR_LEN != n)
		return STUN_XDP_PASS_NOT_STUN;
	if (LD32(m + 4) != bpf_htonl(STUN_MAGIC_COOKIE))
		return STUN_XDP_PASS_CLASSIC;
	if (LD16(m) != bpf_htons(STUN_BINDING_REQUEST))
		return STUN_XDP_PASS_NOT_REQUEST;

	/* Every attribute is at least 4 bytes: 128 steps cover 512 bytes.
	 * Only pos indexes memory; the rest are counters and flags, which
	 * the verifier need not track precisely, so its states converge. */
	for (int i = 0; i < STUN_XDP_MAX_MSG / STUN_ATTR_HDR_LEN; i++) {
		if (pos >= n)
			break;
		/* pos is a multiple of 4 below n <= 512: the mask is a no-op
		 * that shows the verifier the reads stay inside the buffer. */
		__u32 p = pos & (STUN_XDP_MAX_MSG - STUN_ATTR_HDR_LEN);
		__u16 at = bpf_ntohs(LD16(m + p));
		__u32 step = STUN_ATTR_HDR_LEN + ((bpf_ntohs(LD16(m + p + 2)) + 3u) & ~3u);

		if (pos + step > n)
			return STUN_XDP_PASS_NOT_STUN;	/* attribute overrun */
		/* w->nfp += (at == FINGERPRINT), without a branch: a branch
		 * here doubles the verifier's paths at every step. */
		__u32 x = at ^ STUN_ATTR_FINGERPRINT;
		asm volatile("" : "+r"(x));
		w->nfp += ((x - 1) >> 16) & 1;
		if (at < STUN_ATTR_OPTIONAL_MIN &&
		    (at >= 64 || !((understood >> at) & 1)))
			w->unknown = 1;
		last = pos;
		pos += step;
	}
	if (pos < n)
		return STUN_XDP_PASS_TOO_BIG;	/* cannot happen: n <= 512 */

	if (w->nfp) {
		/* As stun_parse: the first FINGERPRINT must be the last
		 * attribute (so the only one), 4 bytes long, with the CRC of
		 * everything before it. */
		__u32 p = last & (STUN_XDP_MAX_MSG - STUN_ATTR_HDR_LEN);

		if (w->nfp != 1 || LD16(m + p) != bpf_htons(STUN_ATTR_FINGERPRINT) ||
		    LD16(m + p + 2) != bpf_htons(4) ||
		    bpf_htonl(stun_xdp_crc32(buf, p) ^ STUN_FINGERPRINT_XOR) !=
			    LD32(m + p + 4))
			return STUN_XDP_PASS_FINGERPRINT;
	}
	if (w->unknown)
		return STUN_XDP_PASS_UNKNOWN_ATTR;	/* a 420 is due */
	if (w->verify) {
		__u64 seed = w->seed;

		/* n is a multiple of 4 now (the length checks above). */
		for (__u32 i = 0; i < STUN_XDP_MAX_MSG / 4; i++) {
			if (i * 4 >= n)
				break;
			seed += word32(m + i * 4);
		}
		if (csum_fold(seed) != 0xFFFF)
			return STUN_XDP_PASS_BAD_CSUM;
	}
	return w->nfp ? -2 : -1;
}

/* SOFTWARE at m[pos..), zero-padded; returns the new end.  A global
 * function: its copy loop is verified once. */
__attribute__((noinline)) __u32 stun_xdp_put_software(
	struct stun_buf *buf, __u32 pos, const struct stun_xdp_config *cfg)
{
	if (!buf || !cfg || pos > STUN_HDR_LEN + 24)
		return pos;
	__u32 sl = cfg->software_len;
	if (sl == 0 || sl > STUN_SOFTWARE_MAX)
		return pos;
	__u32 padded = (sl + 3) & ~3u;
	/* pos is 32 or 44: a 63 mask the verifier can see keeps every
	 * write below 63 + 4 + 128 < STUN_XDP_MAX_MSG. */
	__u32 at = pos;
	asm volatile("" : "+r"(at));
	__u8 *m = buf->b + (at & 63);

	ST16(m, bpf_htons(STUN_ATTR_SOFTWARE));
	ST16(m + 2, bpf_htons(sl));
	/* A word at a time; the bytes of the last word past sl are zeroed
	 * (padding is sent as zero), whatever the map holds there. */
	for (__u32 i = 0; i < STUN_SOFTWARE_MAX; i += 4) {
		if (i >= padded)
			break;
		__u32 wv = LD32(cfg->software + i);
		if (i + 4 > sl)
			wv &= (1u << ((sl - i) * 8)) - 1;	/* little-endian */
		ST32(m + 4 + i, wv);
	}
	return pos + STUN_ATTR_HDR_LEN + padded;
}

/* Turn the request in s->msg into the Binding success response
 * stun_respond() writes in basic mode.  Returns its length. */
static __always_inline __u32 build_response(struct scratch *s,
					    const struct frame *f,
					    const struct stun_xdp_config *cfg,
					    int fingerprint)
{
	__u8 *m = s->msg.b;
	__u32 alen = f->v6 ? STUN_ADDR_V6_VALUE_LEN : STUN_ADDR_V4_VALUE_LEN;
	__u32 pos;

	/* m[4..20), cookie and transaction ID, stay as the request had them. */
	ST16(m, bpf_htons(STUN_BINDING_SUCCESS));
	ST16(m + 20, bpf_htons(STUN_ATTR_XOR_MAPPED_ADDRESS));
	ST16(m + 22, bpf_htons(alen));
	ST16(m + 24, bpf_htons(f->v6 ? STUN_FAMILY_IPV6 : STUN_FAMILY_IPV4));
	ST16(m + 26, f->sport ^ bpf_htons(STUN_MAGIC_COOKIE >> 16));
	/* Address XOR cookie || transaction ID, the key at m[4..20). */
	ST32(m + 28, LD32(f->src.addr) ^ LD32(m + 4));
	if (f->v6) {
		ST32(m + 32, LD32(f->src.addr + 4) ^ LD32(m + 8));
		ST32(m + 36, LD32(f->src.addr + 8) ^ LD32(m + 12));
		ST32(m + 40, LD32(f->src.addr + 12) ^ LD32(m + 16));
	}
	pos = STUN_HDR_LEN + STUN_ATTR_HDR_LEN + alen;
	if (cfg->software_len)
		pos = stun_xdp_put_software(&s->msg, pos, cfg);

	if (fingerprint && pos <= RESP_MAX - STUN_FINGERPRINT_ATTR_LEN) {
		/* A no-op mask (pos <= 176): clang may test a copy of pos and
		 * index with another, whose bound the verifier then lacks. */
		asm volatile("" : "+r"(pos));
		pos &= 0xFF;
		/* The CRC covers a header whose length counts FINGERPRINT. */
		ST16(m + 2, bpf_htons(pos + STUN_FINGERPRINT_ATTR_LEN - STUN_HDR_LEN));
		__u32 crc = stun_xdp_crc32(&s->msg, pos) ^ STUN_FINGERPRINT_XOR;
		ST16(m + pos, bpf_htons(STUN_ATTR_FINGERPRINT));
		ST16(m + pos + 2, bpf_htons(4));
		ST32(m + pos + 4, bpf_htonl(crc));
		pos += STUN_FINGERPRINT_ATTR_LEN;
	}
	ST16(m + 2, bpf_htons(pos - STUN_HDR_LEN));
	return pos;
}

/* The reply's UDP header with its checksum into s->udp, its Ethernet and
 * IP headers into the end of s->hdr.  Returns the length of the latter. */
static __always_inline __u32 build_headers(struct scratch *s,
					   const struct frame *f, __u32 msg_len)
{
	__u32 ulen = UDP_HLEN + msg_len;
	__u32 iplen = f->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 l2len = f->vlan_tpid ? 18 : 14;
	__u8 *ip = s->hdr + sizeof(s->hdr) - iplen;
	__u8 *h = ip - l2len;
	__u8 *u = s->udp;

	/* No-op mask (ulen <= 8 + RESP_MAX) the verifier can see. */
	asm volatile("" : "+r"(ulen));
	ulen &= 0x1FF;

	ST16(u, f->dport);
	ST16(u + 2, f->sport);
	ST16(u + 4, bpf_htons(ulen));
	__u64 sum = pseudo_sum(&f->dst, &f->src, ulen, f->v6) + f->sport +
		    f->dport + (__u64)bpf_htons(ulen);
	for (__u32 i = 0; i < RESP_MAX / 4; i++) {
		if (i * 4 >= msg_len)
			break;
		sum += word32(s->msg.b + i * 4);
	}
	__u16 check = ~csum_fold(sum);
	ST16(u + 6, check ? check : 0xFFFF);	/* 0 would mean "no checksum" */

	for (int i = 0; i < ETH_ALEN; i += 2) {
		ST16(h + i, LD16(f->mac_src + i));
		ST16(h + ETH_ALEN + i, LD16(f->mac_dst + i));
	}
	if (f->vlan_tpid) {
		ST16(h + 12, f->vlan_tpid);
		ST16(h + 14, f->vlan_tci);
		ST16(h + 16, f->l3_proto);
	} else {
		ST16(h + 12, f->l3_proto);
	}

	if (f->v6) {
		ST32(ip, bpf_htonl(0x60000000));	/* version 6, class 0, no flow label */
		ST16(ip + 4, bpf_htons(ulen));
		ST16(ip + 6, bpf_htons(IPPROTO_UDP << 8 | REPLY_TTL));
		for (int i = 0; i < 16; i += 4) {
			ST32(ip + 8 + i, LD32(f->dst.addr + i));
			ST32(ip + 24 + i, LD32(f->src.addr + i));
		}
		return l2len + iplen;
	}
	/* Always a 20-byte header: the request's IP options are not echoed.
	 * ID 0 and DF, as Linux sends small datagrams. */
	__u16 tot = bpf_htons(sizeof(struct iphdr) + ulen);
	__u16 ipsum = ~csum_fold((__u64)bpf_htons(0x4500) + tot + bpf_htons(IP_DF) +
				 bpf_htons(REPLY_TTL << 8 | IPPROTO_UDP) +
				 word32(f->dst.addr) + word32(f->src.addr));
	ST16(ip, bpf_htons(0x4500));
	ST16(ip + 2, tot);
	ST16(ip + 4, 0);
	ST16(ip + 6, bpf_htons(IP_DF));
	ST16(ip + 8, bpf_htons(REPLY_TTL << 8 | IPPROTO_UDP));
	ST16(ip + 10, ipsum);
	ST32(ip + 12, LD32(f->dst.addr));
	ST32(ip + 16, LD32(f->src.addr));
	return l2len + iplen;
}

/* ------------------------------------------------------------------------ */
/* The fast path                                                             */
/* ------------------------------------------------------------------------ */

/*
 * What browsers and nearly every client send - untagged Ethernet, IPv4
 * without options or IPv6 without extension headers, a Binding Request
 * with no attribute or with FINGERPRINT only - is answered straight from
 * the packet: fixed offsets, every check and checksum in straight-line
 * code, the answer written over the request with direct packet access and
 * a single helper call (to grow the frame).  The general path below costs
 * several times as much per answer (its copies to and from scratch memory,
 * attribute walk and CRC loop; each call is also a return thunk on this
 * kind of CPU).
 *
 * The fast path takes a frame only when every check the general path
 * makes would pass, SOFTWARE is not configured and the answer carries
 * FINGERPRINT exactly when the request does; it then writes the very bytes
 * the general path would (tests/bpf/test_xdp_prog.c compares the two frame
 * by frame).  Otherwise it returns FAST_DECLINE before touching the packet
 * or a counter, and the general path decides.
 */
#define FAST_DECLINE (-1)

/* Untagged frame offsets. */
#define V4_UDP 34
#define V4_MSG 42
#define V6_UDP 54
#define V6_MSG 62
#define L3_OFF 14

/* A 32-bit word in memory order made of two 16-bit ones in memory order
 * (network-order values): the first two bytes, then the next two. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PAIR16(a, b) ((__u32)(__u16)(a) | (__u32)(__u16)(b) << 16)
#else
#define PAIR16(a, b) ((__u32)(__u16)(a) << 16 | (__u32)(__u16)(b))
#endif

/* The configuration allows the fast path for a request to dport. */
static __always_inline int fast_config_ok(const struct stun_xdp_config *cfg,
					  __be16 dport, int fp)
{
	__u16 port = bpf_ntohs(dport);

	return cfg->enabled && !cfg->software_len &&
	       (fp || !cfg->always_fingerprint) &&
	       (cfg->ports[(port >> 3) & 0x1FFF] & (1 << (port & 7)));
}

static __always_inline int fast_local4(const struct stun_xdp_config *cfg,
				       __u32 d)
{
	for (__u32 i = 0; i < STUN_XDP_MAX_LOCAL; i++) {
		if (i >= cfg->n_local4)
			return 0;
		if (LD32(cfg->local4[i]) == d)
			return 1;
	}
	return 0;
}

static __always_inline int fast_local6(const struct stun_xdp_config *cfg,
				       __u32 d0, __u32 d1, __u32 d2, __u32 d3)
{
	for (__u32 i = 0; i < STUN_XDP_MAX_LOCAL; i++) {
		const __u8 *l = cfg->local6[i];

		if (i >= cfg->n_local6)
			return 0;
		if (LD32(l) == d0 && LD32(l + 4) == d1 && LD32(l + 8) == d2 &&
		    LD32(l + 12) == d3)
			return 1;
	}
	return 0;
}

/* The STUN part of a fast-path request at m, as stun_xdp_check() takes it:
 * a Binding Request whose body is empty or (fp) FINGERPRINT only, with a
 * right CRC.  The transaction ID (memory order) and, with fp, the
 * attribute's two words and the CRC register after the ID go to the
 * caller, for the checksum and the answer.  Nonzero: not one. */
struct fast_req {
	__u32 t0, t1, t2;	/* transaction ID */
	__u32 f0, f1;		/* FINGERPRINT header and value, or 0 */
	__u32 crc;		/* CRC register after the ID (fp) */
};

static __always_inline int fast_request(const __u8 *m, const int fp,
					struct fast_req *r)
{
	if (LD32(m) != PAIR16(bpf_htons(STUN_BINDING_REQUEST),
			      bpf_htons(fp ? STUN_FINGERPRINT_ATTR_LEN : 0)) ||
	    LD32(m + 4) != bpf_htonl(STUN_MAGIC_COOKIE))
		return -1;
	r->t0 = LD32(m + 8), r->t1 = LD32(m + 12), r->t2 = LD32(m + 16);
	r->f0 = r->f1 = r->crc = 0;
	if (fp) {
		r->f0 = LD32(m + 20);
		r->f1 = LD32(m + 24);
		r->crc = stun_crc32_request_id(r->t0, r->t1, r->t2);
		if (r->f0 != PAIR16(bpf_htons(STUN_ATTR_FINGERPRINT), bpf_htons(4)) ||
		    r->f1 != bpf_htonl(~r->crc ^ STUN_FINGERPRINT_XOR))
			return -1;
	}
	return 0;
}

/* The answer is stored over the request after the helper call: the
 * request lies at r, off bytes into the new frame at q (0 after
 * adjust_tail).  Stored in ascending order, each answer word lands on
 * request bytes already read, whichever off; both fields of a swapped
 * pair are read before either is stored. */

/* Ethernet: the MACs swapped, then proto. */
static __always_inline void put_eth(__u8 *q, const __u8 *r, __be16 proto)
{
	__u32 dmac = LD32(r + 2), smac = LD32(r + 6);
	__u16 dmac_hi = LD16(r), smac_lo = LD16(r + 10);

	ST32(q, smac);
	ST16(q + 4, smac_lo);
	ST16(q + 6, dmac_hi);
	ST32(q + 8, dmac);
	ST16(q + 12, proto);
}

/* From the UDP header (q and r point at it) to XOR-MAPPED-ADDRESS's
 * family and port: the ports swapped, the lengths, the success header,
 * the cookie, the transaction ID, the attribute header x0.  The address
 * (from +28 on) is the caller's. */
static __always_inline void put_udp_stun(__u8 *q, const __u8 *r, __u32 ulen,
					 __u16 usum, __u32 hdr, __u32 x0,
					 __u16 family)
{
	__u32 ports = LD32(r);

	ST32(q, ports >> 16 | ports << 16);	/* dport, sport */
	ST32(q + 4, PAIR16(bpf_htons(ulen), usum));
	ST32(q + 8, hdr);
	ST32(q + 12, bpf_htonl(STUN_MAGIC_COOKIE));
	ST32(q + 16, LD32(r + 16));
	ST32(q + 20, LD32(r + 20));
	ST32(q + 24, LD32(r + 24));
	ST32(q + 28, x0);
	ST32(q + 32, PAIR16(bpf_htons(family),
			    (__u16)ports ^ bpf_htons(STUN_MAGIC_COOKIE >> 16)));
}

/* FINGERPRINT at q, when the answer has one. */
static __always_inline void put_fingerprint(__u8 *q, const int fp, __u32 value)
{
	if (fp) {
		ST32(q, PAIR16(bpf_htons(STUN_ATTR_FINGERPRINT), bpf_htons(4)));
		ST32(q + 4, value);
	}
}

/* IPv4: a 62-byte frame (plain request) or a 70-byte one (fp: FINGERPRINT). */
static __always_inline int fast_v4(struct xdp_md *ctx,
				   const struct stun_xdp_config *cfg, const int fp)
{
	const __u32 in_len = V4_MSG + STUN_HDR_LEN + (fp ? STUN_FINGERPRINT_ATTR_LEN : 0);
	const __u32 mlen = STUN_HDR_LEN + STUN_ATTR_HDR_LEN + STUN_ADDR_V4_VALUE_LEN +
			   (fp ? STUN_FINGERPRINT_ATTR_LEN : 0);
	const __u32 ulen = UDP_HLEN + mlen, out_len = V4_MSG + mlen;
	const __u32 cookie = bpf_htonl(STUN_MAGIC_COOKIE);
	__u8 *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if ((void *)(p + in_len) > end)
		return FAST_DECLINE;
	/* As parse_headers(): IPv4, no options, not a fragment, UDP, lengths
	 * that add up to the frame exactly (no Ethernet padding). */
	if (LD16(p + 12) != bpf_htons(ETH_P_IP) || p[L3_OFF] != 0x45 ||
	    p[L3_OFF + 9] != IPPROTO_UDP ||
	    (LD16(p + L3_OFF + 6) & bpf_htons(IP_FRAG_MASK)) ||
	    LD16(p + L3_OFF + 2) != bpf_htons(in_len - L3_OFF) ||
	    LD16(p + V4_UDP + 4) != bpf_htons(in_len - V4_UDP))
		return FAST_DECLINE;
	__u32 saddr = LD32(p + L3_OFF + 12), daddr = LD32(p + L3_OFF + 16);
	__u64 addrs = (__u64)saddr + daddr;
	if (csum_fold(addrs + LD32(p + L3_OFF) + LD32(p + L3_OFF + 4) +
		      LD32(p + L3_OFF + 8)) != 0xFFFF)
		return FAST_DECLINE;
	__be16 sport = LD16(p + V4_UDP), dport = LD16(p + V4_UDP + 2);
	__be16 ucheck = LD16(p + V4_UDP + 6);
	if (!fast_config_ok(cfg, dport, fp))
		return FAST_DECLINE;
	/* As bogus_source() and the group-MAC checks. */
	if (((p[0] | p[6]) & 1) || sport == 0 || p[L3_OFF + 12] == 0 ||
	    (p[L3_OFF + 12] & 0xF0) == 0xE0 || saddr == 0xFFFFFFFFu ||
	    !fast_local4(cfg, daddr))
		return FAST_DECLINE;
	struct fast_req m;
	if (fast_request(p + V4_MSG, fp, &m))
		return FAST_DECLINE;
	/* The UDP checksum as the general path takes it: absent, valid, or
	 * partial (the folded pseudo-header sum only: a local sender's
	 * CHECKSUM_PARTIAL).  Verified first: what arrives from a wire. */
	__u64 ph = addrs + bpf_htons(IPPROTO_UDP) + bpf_htons(in_len - V4_UDP);
	if (ucheck &&
	    csum_fold(ph + sport + dport + bpf_htons(in_len - V4_UDP) + ucheck +
		      LD32(p + V4_MSG) + cookie + m.t0 + m.t1 + m.t2 + m.f0 + m.f1) != 0xFFFF &&
	    ucheck != csum_fold(ph))
		return FAST_DECLINE;
	const __u32 src4[4] = { 0, 0, bpf_htonl(0xFFFF), saddr };
	int act = guard(cfg, src4);
	if (act >= 0)
		return act;

	/* The answer, as build_response() and build_headers() write it.  Only
	 * what the helper call below cannot change survives it (ctx, the two
	 * checksums, the FINGERPRINT): a BPF call keeps four registers, and
	 * keeping the whole answer across it spilled a dozen values to the
	 * stack and back.  The rest is read again from the request after it. */
	__u32 hdr = PAIR16(bpf_htons(STUN_BINDING_SUCCESS), bpf_htons(mlen - STUN_HDR_LEN));
	__u32 x0 = PAIR16(bpf_htons(STUN_ATTR_XOR_MAPPED_ADDRESS),
			  bpf_htons(STUN_ADDR_V4_VALUE_LEN));
	__u32 x1 = PAIR16(bpf_htons(STUN_FAMILY_IPV4),
			  sport ^ bpf_htons(STUN_MAGIC_COOKIE >> 16));
	__u32 x2 = saddr ^ cookie, fp_value = 0;
	if (fp) {
		/* The answer's CRC register after the transaction ID, from the
		 * request's (see stun_crc32_table.h), then the address. */
		__u32 crc = m.crc ^ STUN_CRC_REQUEST_TO_SUCCESS_V4;
		crc = stun_crc32_word(stun_crc32_word(stun_crc32_word(crc, x0), x1),
				      x2);
		/* f0, the attribute header, is the same in the answer. */
		fp_value = bpf_htonl(~crc ^ STUN_FINGERPRINT_XOR);
	}
	__u16 tot = bpf_htons(sizeof(struct iphdr) + ulen);
	__u16 ipsum = ~csum_fold(addrs + bpf_htons(0x4500) + tot + bpf_htons(IP_DF) +
				 bpf_htons(REPLY_TTL << 8 | IPPROTO_UDP));
	__u16 usum = ~csum_fold(addrs + bpf_htons(IPPROTO_UDP) +
				2 * (__u64)bpf_htons(ulen) + sport + dport + hdr + cookie +
				m.t0 + m.t1 + m.t2 + x0 + x1 + x2 + m.f0 + fp_value);
	if (!usum)
		usum = 0xFFFF;

	int off = grow(ctx, out_len - in_len);
	if (off < 0)
		return pass(STUN_XDP_PASS_NO_ROOM);
	__u8 *q = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if ((void *)(q + out_len) > end)
		return verdict(STUN_XDP_DROPPED, XDP_DROP);
	/* The request now lies at r (see put_eth()). */
	const __u8 *r = q + off;
	put_eth(q, r, bpf_htons(ETH_P_IP));
	ST32(q + L3_OFF, PAIR16(bpf_htons(0x4500), tot));
	ST32(q + L3_OFF + 4, PAIR16(0, bpf_htons(IP_DF)));
	ST32(q + L3_OFF + 8, PAIR16(bpf_htons(REPLY_TTL << 8 | IPPROTO_UDP), ipsum));
	__u32 src = LD32(r + L3_OFF + 12), dst = LD32(r + L3_OFF + 16);
	ST32(q + L3_OFF + 12, dst);
	ST32(q + L3_OFF + 16, src);
	put_udp_stun(q + V4_UDP, r + V4_UDP, ulen, usum, hdr, x0, STUN_FAMILY_IPV4);
	ST32(q + V4_MSG + 28, src ^ cookie);
	put_fingerprint(q + V4_MSG + 32, fp, fp_value);
	return verdict(STUN_XDP_ANSWERED_V4, XDP_TX);
}

/* IPv6: an 82-byte frame (plain request) or a 90-byte one (fp). */
static __always_inline int fast_v6(struct xdp_md *ctx,
				   const struct stun_xdp_config *cfg, const int fp)
{
	const __u32 in_len = V6_MSG + STUN_HDR_LEN + (fp ? STUN_FINGERPRINT_ATTR_LEN : 0);
	const __u32 mlen = STUN_HDR_LEN + STUN_ATTR_HDR_LEN + STUN_ADDR_V6_VALUE_LEN +
			   (fp ? STUN_FINGERPRINT_ATTR_LEN : 0);
	const __u32 ulen = UDP_HLEN + mlen, out_len = V6_MSG + mlen;
	const __u32 cookie = bpf_htonl(STUN_MAGIC_COOKIE);
	__u8 *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if ((void *)(p + in_len) > end)
		return FAST_DECLINE;
	/* As parse_headers(): IPv6, UDP right after it, exact lengths. */
	if (LD16(p + 12) != bpf_htons(ETH_P_IPV6) || (p[L3_OFF] >> 4) != 6 ||
	    p[L3_OFF + 6] != IPPROTO_UDP ||
	    LD16(p + L3_OFF + 4) != bpf_htons(in_len - V6_UDP) ||
	    LD16(p + V6_UDP + 4) != bpf_htons(in_len - V6_UDP))
		return FAST_DECLINE;
	__u32 s0 = LD32(p + L3_OFF + 8), s1 = LD32(p + L3_OFF + 12);
	__u32 s2 = LD32(p + L3_OFF + 16), s3 = LD32(p + L3_OFF + 20);
	__u32 d0 = LD32(p + L3_OFF + 24), d1 = LD32(p + L3_OFF + 28);
	__u32 d2 = LD32(p + L3_OFF + 32), d3 = LD32(p + L3_OFF + 36);
	__be16 sport = LD16(p + V6_UDP), dport = LD16(p + V6_UDP + 2);
	__be16 ucheck = LD16(p + V6_UDP + 6);
	if (!fast_config_ok(cfg, dport, fp))
		return FAST_DECLINE;
	/* As bogus_source() and the group-MAC checks; IPv6 needs a UDP
	 * checksum. */
	if (((p[0] | p[6]) & 1) || sport == 0 || ucheck == 0 ||
	    p[L3_OFF + 8] == 0xFF ||
	    (!(s0 | s1) && (!(s2 | s3) || s2 == bpf_htonl(0x0000FFFF))) ||
	    !fast_local6(cfg, d0, d1, d2, d3))
		return FAST_DECLINE;
	struct fast_req m;
	if (fast_request(p + V6_MSG, fp, &m))
		return FAST_DECLINE;
	__u64 addrs = (__u64)s0 + s1 + s2 + s3 + d0 + d1 + d2 + d3;
	__u64 ph = addrs + bpf_htons(IPPROTO_UDP) + bpf_htons(in_len - V6_UDP);
	if (csum_fold(ph + sport + dport + bpf_htons(in_len - V6_UDP) + ucheck +
		      LD32(p + V6_MSG) + cookie + m.t0 + m.t1 + m.t2 + m.f0 + m.f1) != 0xFFFF &&
	    ucheck != csum_fold(ph))
		return FAST_DECLINE;
	const __u32 src6[4] = { s0, s1, s2, s3 };
	int act = guard(cfg, src6);
	if (act >= 0)
		return act;

	/* As in fast_v4(): only ctx, the checksum and the FINGERPRINT live
	 * across the helper call; the rest is read again after it. */
	__u32 hdr = PAIR16(bpf_htons(STUN_BINDING_SUCCESS), bpf_htons(mlen - STUN_HDR_LEN));
	__u32 x0 = PAIR16(bpf_htons(STUN_ATTR_XOR_MAPPED_ADDRESS),
			  bpf_htons(STUN_ADDR_V6_VALUE_LEN));
	__u32 x1 = PAIR16(bpf_htons(STUN_FAMILY_IPV6),
			  sport ^ bpf_htons(STUN_MAGIC_COOKIE >> 16));
	/* Address XOR cookie || transaction ID. */
	__u32 a0 = s0 ^ cookie, a1 = s1 ^ m.t0, a2 = s2 ^ m.t1, a3 = s3 ^ m.t2;
	__u32 fp_value = 0;
	if (fp) {
		__u32 crc = m.crc ^ STUN_CRC_REQUEST_TO_SUCCESS_V6;
		crc = stun_crc32_word(stun_crc32_word(crc, x0), x1);
		crc = stun_crc32_word(stun_crc32_word(crc, a0), a1);
		crc = stun_crc32_word(stun_crc32_word(crc, a2), a3);
		fp_value = bpf_htonl(~crc ^ STUN_FINGERPRINT_XOR);
	}
	__u16 usum = ~csum_fold(addrs + bpf_htons(IPPROTO_UDP) + 2 * (__u64)bpf_htons(ulen) +
				sport + dport + hdr + cookie + m.t0 + m.t1 + m.t2 + x0 + x1 +
				a0 + a1 + a2 + a3 + m.f0 + fp_value);
	if (!usum)
		usum = 0xFFFF;

	int off = grow(ctx, out_len - in_len);
	if (off < 0)
		return pass(STUN_XDP_PASS_NO_ROOM);
	__u8 *q = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if ((void *)(q + out_len) > end)
		return verdict(STUN_XDP_DROPPED, XDP_DROP);
	/* The request now lies at r (see put_eth()). */
	const __u8 *r = q + off;
	put_eth(q, r, bpf_htons(ETH_P_IPV6));
	ST32(q + L3_OFF, bpf_htonl(0x60000000));	/* version 6, class 0, no flow label */
	ST32(q + L3_OFF + 4, PAIR16(bpf_htons(ulen), bpf_htons(IPPROTO_UDP << 8 | REPLY_TTL)));
	s0 = LD32(r + L3_OFF + 8), s1 = LD32(r + L3_OFF + 12);
	s2 = LD32(r + L3_OFF + 16), s3 = LD32(r + L3_OFF + 20);
	d0 = LD32(r + L3_OFF + 24), d1 = LD32(r + L3_OFF + 28);
	d2 = LD32(r + L3_OFF + 32), d3 = LD32(r + L3_OFF + 36);
	ST32(q + L3_OFF + 8, d0);
	ST32(q + L3_OFF + 12, d1);
	ST32(q + L3_OFF + 16, d2);
	ST32(q + L3_OFF + 20, d3);
	ST32(q + L3_OFF + 24, s0);
	ST32(q + L3_OFF + 28, s1);
	ST32(q + L3_OFF + 32, s2);
	ST32(q + L3_OFF + 36, s3);
	put_udp_stun(q + V6_UDP, r + V6_UDP, ulen, usum, hdr, x0, STUN_FAMILY_IPV6);
	/* The address XOR cookie || transaction ID, the ID as just stored. */
	ST32(q + V6_MSG + 28, s0 ^ cookie);
	ST32(q + V6_MSG + 32, s1 ^ LD32(q + V6_MSG + 8));
	ST32(q + V6_MSG + 36, s2 ^ LD32(q + V6_MSG + 12));
	ST32(q + V6_MSG + 40, s3 ^ LD32(q + V6_MSG + 16));
	put_fingerprint(q + V6_MSG + 44, fp, fp_value);
	return verdict(STUN_XDP_ANSWERED_V6, XDP_TX);
}

/* XDP_TX when answered here, FAST_DECLINE for the general path. */
static __always_inline int fast_path(struct xdp_md *ctx,
				     const struct stun_xdp_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	switch ((__u32)(data_end - data)) {
	case V4_MSG + STUN_HDR_LEN:
		return fast_v4(ctx, cfg, 0);
	case V4_MSG + STUN_HDR_LEN + STUN_FINGERPRINT_ATTR_LEN:
		return fast_v4(ctx, cfg, 1);
	case V6_MSG + STUN_HDR_LEN:
		return fast_v6(ctx, cfg, 0);
	case V6_MSG + STUN_HDR_LEN + STUN_FINGERPRINT_ATTR_LEN:
		return fast_v6(ctx, cfg, 1);
	}
	return FAST_DECLINE;
}

/* The general path: every frame the fast path does not take. */
static __always_inline int respond_general(struct xdp_md *ctx,
					   const struct stun_xdp_config *cfg)
{
	struct frame f = {};
	__u32 zero = 0;
	int why;

	why = parse_headers(ctx, &f);
	if (why >= 0)
		return pass(why);

	__u16 port = bpf_ntohs(f.dport);
	if (!(cfg->ports[(port >> 3) & 0x1FFF] & (1 << (port & 7))))
		return pass(STUN_XDP_PASS_PORT);
	if (!cfg->enabled)
		return pass(STUN_XDP_PASS_DISABLED);
	/* Group or broadcast MACs either way are never a unicast exchange. */
	if (f.mac_src[0] & 1 || bogus_source(&f))
		return pass(STUN_XDP_PASS_BOGUS_SOURCE);
	/* Only our own unicast addresses: on a gateway, requests routed
	 * through to someone else's STUN server are not ours to answer. */
	if (f.mac_dst[0] & 1 || !is_local(cfg, &f))
		return pass(STUN_XDP_PASS_NOT_LOCAL);
	/* A denied source gets nothing, even what the daemon would answer. */
	__u32 src[4] = { 0, 0, bpf_htonl(0xFFFF), 0 };
	if (f.v6)
		__builtin_memcpy(src, f.src.addr, 16);
	else
		__builtin_memcpy(&src[3], f.src.addr, 4);
	if (acl_denied(cfg, src))
		return verdict(STUN_XDP_DROP_ACL, XDP_DROP);

	__u32 n = f.msg_len;
	if (n > STUN_XDP_MAX_MSG)
		return pass(STUN_XDP_PASS_TOO_BIG);
	if (n < STUN_HDR_LEN)
		return pass(STUN_XDP_PASS_NOT_STUN);
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return pass(STUN_XDP_PASS_NO_ROOM);
	if (bpf_xdp_load_bytes(ctx, f.msg_off, s->msg.b, n))
		return pass(STUN_XDP_PASS_MALFORMED);

	/* The received UDP checksum: verified over the whole datagram,
	 * absent (IPv4 only), or - from a local socket over veth -
	 * CHECKSUM_PARTIAL: the field holds only the folded pseudo-header
	 * sum and the rest is trusted, as the kernel trusts it. */
	s->walk.verify = 0;
	if (f.udp_check == 0) {
		if (f.v6)
			return pass(STUN_XDP_PASS_BAD_CSUM);
	} else {
		__u64 ph = pseudo_sum(&f.src, &f.dst, n + UDP_HLEN, f.v6);
		if ((__u16)f.udp_check != csum_fold(ph)) {
			s->walk.verify = 1;
			s->walk.seed = ph + f.sport + f.dport +
				       (__u64)bpf_htons(n + UDP_HLEN) + f.udp_check;
		}
	}
	why = stun_xdp_check(&s->msg, &s->walk, n, cfg->understood);
	if (why >= 0)
		return pass(why);
	/* Answered here: the limits apply here (what is passed, the
	 * daemon limits itself). */
	int act = limited(cfg, src);
	if (act >= 0)
		return act;

	__u32 mlen = build_response(s, &f, cfg,
				    why == -2 || cfg->always_fingerprint);
	if (mlen > RESP_MAX)
		return pass(STUN_XDP_PASS_NO_ROOM);
	__u32 hlen = build_headers(s, &f, mlen);
	__u32 ulen = UDP_HLEN + mlen;

	/* Resize (see grow(); shrinking at the tail always works).  Nothing
	 * is written before this succeeds, so failing can pass. */
	int delta = (int)(hlen + ulen) - (int)f.pkt_len;
	if (delta > 0) {
		if (grow(ctx, delta) < 0)
			return pass(STUN_XDP_PASS_NO_ROOM);
	} else if (delta < 0) {
		if (bpf_xdp_adjust_tail(ctx, delta))
			return pass(STUN_XDP_PASS_NO_ROOM);
	}
	/* The masks change nothing (hlen <= 58, hlen + ulen <= 250) but give
	 * the verifier a bound it keeps; slack[] covers what they allow.  The
	 * empty asm stops clang from dropping them as redundant. */
	__u32 total = hlen + ulen;
	asm volatile("" : "+r"(hlen), "+r"(total));
	hlen &= 0x3F;
	total &= 0xFF;
	if (!hlen || !total)
		return verdict(STUN_XDP_DROPPED, XDP_DROP);
	if (bpf_xdp_store_bytes(ctx, 0, s->hdr + sizeof(s->hdr) - hlen, total))
		return verdict(STUN_XDP_DROPPED, XDP_DROP);
	return verdict(f.v6 ? STUN_XDP_ANSWERED_V6 : STUN_XDP_ANSWERED_V4,
		       XDP_TX);
}

SEC("xdp")
int stun_xdp_respond(struct xdp_md *ctx)
{
	__u32 zero = 0;
	const struct stun_xdp_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!cfg)
		return pass(STUN_XDP_PASS_DISABLED);
	if (!(stun_xdp_test_flags & STUN_XDP_TEST_NO_FAST_PATH)) {
		int act = fast_path(ctx, cfg);

		if (act >= 0)
			return act;
		if (stun_xdp_test_flags & STUN_XDP_TEST_FAST_ONLY)
			return XDP_ABORTED;
	}
	return respond_general(ctx, cfg);
}
