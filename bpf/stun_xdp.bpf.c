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
 * Shape: headers are walked with direct packet access; the STUN message is
 * copied into a per-CPU scratch buffer (at most STUN_XDP_MAX_MSG bytes) so
 * its attribute walk and CRC run on bounded map memory the verifier can
 * follow; the reply frame is built in the scratch buffer, the packet resized
 * (adjust_tail, else adjust_head: veth often has no tailroom), and the whole
 * frame written back.  Checksums are computed from scratch: packets from a
 * local socket arrive on veth with CHECKSUM_PARTIAL, so the UDP checksum
 * field is only the pseudo-header sum and an incremental update would be
 * wrong.
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
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
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
		c = stun_crc32_table[(c ^ m->b[i]) & 0xff] ^ (c >> 8);
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

SEC("xdp")
int stun_xdp_respond(struct xdp_md *ctx)
{
	struct frame f = {};
	__u32 zero = 0;
	int why;

	why = parse_headers(ctx, &f);
	if (why >= 0)
		return pass(why);

	struct stun_xdp_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return pass(STUN_XDP_PASS_DISABLED);
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

	__u32 mlen = build_response(s, &f, cfg,
				    why == -2 || cfg->always_fingerprint);
	if (mlen > RESP_MAX)
		return pass(STUN_XDP_PASS_NO_ROOM);
	__u32 hlen = build_headers(s, &f, mlen);
	__u32 ulen = UDP_HLEN + mlen;

	/* Resize: tailroom first; veth in native mode often has none after
	 * copying into its page pool, so then grow at the head instead.
	 * Nothing is written before this succeeds, so failing can pass. */
	int delta = (int)(hlen + ulen) - (int)f.pkt_len;
	if (delta > 0) {
		if (bpf_xdp_adjust_tail(ctx, delta) &&
		    bpf_xdp_adjust_head(ctx, -delta))
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
