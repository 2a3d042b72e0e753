// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * xdp_gen.bpf.c - stunload's kernel-injection engine, two programs:
 *
 *  slx_gen    run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (the
 *             kernel's own packet generator, as xdp-trafficgen uses it): it
 *             stamps each copy of the template Binding Request with a new
 *             transaction ID and source port (and, for a FINGERPRINT
 *             request, its CRC) and redirects it out of the interface.
 *             No socket, no skb: well over 1M/s on one core.
 *  slx_count  attached to the same interface: every answer to the run is
 *             validated here and dropped; anything else passes.  With
 *             --echo, our own request sent back by a bare reflector counts
 *             as "echoed" after the same checks as an answer.
 *
 * The 12-byte transaction ID is [seq:4][send time, ns mod 2^32:4][salt:4],
 * so an answer carries what is needed to check it and time it: seq must
 * have been sent and not answered before (a bitmap), the salt must be this
 * run's, XOR-MAPPED-ADDRESS must be our IP and the source port that seq was
 * sent from, FINGERPRINT must be right when present.
 *
 * slx_count has two paths to the same verdicts and counters.  The fast
 * one reads the packet directly and takes the shapes of nearly every
 * frame of a run: a success of exactly header + XOR-MAPPED-ADDRESS (IPv4),
 * 32 bytes, or the same + FINGERPRINT, 40; with --echo our own request,
 * 20 bytes, or 28 with FINGERPRINT.  Its CRC starts from a constant
 * register (the first 8 bytes are fixed) and runs a word at a time.  The
 * general path, judge(), copies any other message out of the packet and
 * walks its attributes with bpf_loop: SOFTWARE, error responses, odd or
 * broken answers.  Both share claim(), the ID checks.  The validator must
 * cost little next to the responder under test, or it blurs benchmarks.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "stun_wire.h"
#include "stun_crc32_table.h"
#include "xdp_shared.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader before load. */
const volatile __u32 out_ifindex = 0;
const volatile __u32 our_ip = 0;	/* network order */
const volatile __u32 server_ip = 0;	/* network order */
const volatile __u16 server_port = 0;	/* network order */
const volatile __u16 port_base = 0;	/* host order */
const volatile __u16 port_count = 1;
const volatile __u32 salt = 0;
const volatile __u32 seen_mask = 0;	/* bitmap words - 1 */
const volatile __u32 timeout_ns = 1000000000;
const volatile __u32 echo_mode = 0;	/* --echo: count our requests back */
/* --mix weights of plain and FINGERPRINT requests.  With any FINGERPRINT
 * weight the live frames are FINGERPRINT-sized and plain requests shrink
 * their copy; with none the plain path is exactly as without a mix. */
const volatile __u32 mix_plain = 1;
const volatile __u32 mix_fp = 0;

/* The whole request frame.  Live frames are recycled with whatever the
 * last user left in them (an XDP responder turns them into answers in
 * place), so every copy is rewritten from this template, not patched. */
__u64 tmpl[8];	/* .bss: written after load, once the MAC is known */
__u64 tmpl_fp[9];	/* the same with FINGERPRINT (CRC written per copy) */

const volatile __u64 interval_ps = 0;	/* --rate; 0: as fast as it goes */
const volatile __u64 bank = 64;		/* largest backlog after a stall */

/* The generator's state, in .bss so the loader reads and steers it through
 * the mmapped skeleton while BPF_PROG_TEST_RUN runs.  One CPU runs the
 * generator, so plain updates suffice. */
__u64 gen_seq = 0;	/* requests generated so far */
__u64 gen_limit = 0;	/* --count: generate no more than this */
__u64 gen_start_ns = 0;	/* schedule origin for --rate */
__u64 gen_end_ns = 0;	/* --duration, or "stop now" */
__u64 gen_skipped = 0;	/* dropped from the schedule after stalls */
__u32 gen_mix_acc = 0;	/* smooth weighted round robin of the mix */
__u64 general_frames = 0;	/* slx_count: frames judged by the general path */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLX_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLX_HIST_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* One bit per seq: answered already?  Sized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

/* The answer, and what the attribute walk found.  The findings live in
 * map memory rather than in registers on purpose: the verifier does not
 * track constants there, so paths through the loop merge instead of
 * multiplying (flags in registers exceeded its 1M-instruction budget). */
struct scratch {
	union {
		__u8 b[SLX_MSG_MAX];
		__u32 w[SLX_MSG_MAX / 4];	/* for the CRC, word by word */
	};
	__u32 has_xor, xor_ok, fp_bad, fp_pos;
	__u32 pos, dlen, dport, malformed, crc;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

#define M(i) ((i) & (SLX_MSG_MAX - 1))

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		(*c)++;
}

/* Is the next request of a plain/FINGERPRINT mix a FINGERPRINT one?  Each
 * kind evenly spread, as the socket engine's smooth weighted round robin. */
static __always_inline int next_is_fp(void)
{
	if (!mix_fp)
		return 0;
	if (!mix_plain)
		return 1;
	gen_mix_acc += mix_fp;
	if (gen_mix_acc < mix_plain + mix_fp)
		return 0;
	gen_mix_acc -= mix_plain + mix_fp;
	return 1;
}

SEC("xdp")
int slx_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + SLX_ETH_LEN + SLX_IP_LEN;
	__u8 *tid = data + SLX_STUN_OFF + 8;
	__u64 seq, now;
	__u32 v;
	int fp;

	if (data + SLX_FRAME_LEN > end)
		return XDP_ABORTED;
	/* Not due (paced, stopped or done): this copy is simply dropped;
	 * a dropped live frame costs a few tens of nanoseconds. */
	now = bpf_ktime_get_ns();
	if (now >= gen_end_ns || gen_seq >= gen_limit)
		return XDP_DROP;
	if (interval_ps) {
		__u64 due = (now - gen_start_ns) * 1000 / interval_ps;

		if (gen_seq >= due)
			return XDP_DROP;
		if (due - gen_seq > bank) {	/* no catch-up burst */
			__u64 skip = due - gen_seq - bank;

			gen_skipped += skip;
			gen_start_ns += skip * interval_ps / 1000;
		}
	}
	fp = next_is_fp();
	if (fp && data + SLX_FRAME_FP_LEN > end)
		return XDP_ABORTED;	/* the loader sizes the frames: never */
	seq = gen_seq++;
	if (fp) {
		__u64 *w = data;
		__u32 w4 = (__u32)tmpl_fp[8];
		__u16 w2 = (__u16)(tmpl_fp[8] >> 32);

		/* 70 bytes: eight words, then 4 + 2 bytes (little endian). */
		w[0] = tmpl_fp[0]; w[1] = tmpl_fp[1]; w[2] = tmpl_fp[2];
		w[3] = tmpl_fp[3]; w[4] = tmpl_fp[4]; w[5] = tmpl_fp[5];
		w[6] = tmpl_fp[6]; w[7] = tmpl_fp[7];
		__builtin_memcpy(data + 64, &w4, 4);
		__builtin_memcpy(data + 68, &w2, 2);
	} else {
		__u64 *w = data;
		__u32 w4 = (__u32)tmpl[7];
		__u16 w2 = (__u16)(tmpl[7] >> 32);

		/* 62 bytes: seven words, then 4 + 2 bytes (little endian). */
		w[0] = tmpl[0]; w[1] = tmpl[1]; w[2] = tmpl[2]; w[3] = tmpl[3];
		w[4] = tmpl[4]; w[5] = tmpl[5]; w[6] = tmpl[6];
		__builtin_memcpy(data + 56, &w4, 4);
		__builtin_memcpy(data + 60, &w2, 2);
	}
	udp->source = bpf_htons(port_base + (__u16)(seq % port_count));
	v = (__u32)seq;
	__builtin_memcpy(tid, &v, 4);
	v = (__u32)now;
	__builtin_memcpy(tid + 4, &v, 4);
	v = salt;
	__builtin_memcpy(tid + 8, &v, 4);
	if (fp) {
		/* The first 8 bytes (type, length 8, cookie) are the same in
		 * every such request: their CRC register is a constant; then
		 * the three ID words, in memory order as just written. */
		__u32 crc = stun_crc32_request_id((__u32)seq, (__u32)now, salt);

		v = bpf_htonl(~crc ^ STUN_FINGERPRINT_XOR);
		__builtin_memcpy(tid + 16, &v, 4);
	} else if (mix_fp) {
		/* The copies are FINGERPRINT-sized; the kernel restores the
		 * length of each copy before its next use. */
		if (bpf_xdp_adjust_tail(ctx, -SLX_FP_LEN))
			return XDP_ABORTED;
	}
	return bpf_redirect(out_ifindex, 0);
}

static __always_inline __u32 hist_index(__u64 v)
{
	__u32 msb = 0, shift;
	__u64 x = v;

	if (v < 256)
		return (__u32)v;
	if (x >> 32) { msb += 32; x >>= 32; }
	if (x >> 16) { msb += 16; x >>= 16; }
	if (x >> 8) { msb += 8; x >>= 8; }
	if (x >> 4) { msb += 4; x >>= 4; }
	if (x >> 2) { msb += 2; x >>= 2; }
	if (x >> 1) { msb += 1; }
	shift = msb - 7;
	if (shift > 40)
		return SLX_HIST_BUCKETS - 1;
	return 256 + (shift - 1) * 128 + (__u32)((v >> shift) - 128);
}

static __always_inline __u32 rd32(const __u8 *m, __u32 i)
{
	return (__u32)m[M(i)] << 24 | (__u32)m[M(i + 1)] << 16 |
	       (__u32)m[M(i + 2)] << 8 | m[M(i + 3)];
}

/* One attribute per call, from bpf_loop: the verifier checks the callback
 * once instead of once per iteration and path. */
struct loop_ctx {
	struct scratch *s;	/* bpf_loop wants a stack pointer */
};

static long walk_attr(__u32 i, void *ctx)
{
	struct scratch *s = ((struct loop_ctx *)ctx)->s;
	const __u8 *m = s->b;
	__u32 pos = s->pos, at, alen;

	(void)i;
	if (pos + 4 > s->dlen || pos >= SLX_MSG_MAX)
		return 1;
	at = (__u32)m[M(pos)] << 8 | m[M(pos + 1)];
	alen = (__u32)m[M(pos + 2)] << 8 | m[M(pos + 3)];
	if (pos + 4 + alen > s->dlen) {
		s->malformed = 1;
		return 1;
	}
	if (at == STUN_ATTR_XOR_MAPPED_ADDRESS && !s->has_xor) {
		s->has_xor = 1;
		s->xor_ok = alen == 8 && m[M(pos + 5)] == STUN_FAMILY_IPV4 &&
			    (((__u32)m[M(pos + 6)] << 8 | m[M(pos + 7)]) ^
			     (STUN_MAGIC_COOKIE >> 16)) == s->dport &&
			    (rd32(m, pos + 8) ^ STUN_MAGIC_COOKIE) ==
				    bpf_ntohl(our_ip);
	} else if (at == STUN_ATTR_FINGERPRINT) {
		s->fp_bad = alen != 4 || pos + 8 != s->dlen;
		s->fp_pos = pos;
	}
	s->pos = pos + 4 + ((alen + 3) & ~3u);
	return 0;
}

/* One 4-byte word of the CRC per call: attributes are 4-byte aligned, so
 * FINGERPRINT starts at a multiple of 4. */
static long crc_step(__u32 i, void *ctx)
{
	struct scratch *s = ((struct loop_ctx *)ctx)->s;

	s->crc = stun_crc32_word(s->crc, s->w[i & (SLX_MSG_MAX / 4 - 1)]);
	return 0;
}

/* Is this answer to one of our requests, and the first one to it?  The
 * salt must be this run's, seq sent already and from the port the answer
 * came to, not answered before (the seen bitmap, set here), and in time.
 * All four are the 12-byte transaction ID's words after the cookie, in
 * memory order, as slx_gen wrote them.  Counts SLX_ANSWERED and returns it
 * when all holds, else the verdict.  Both paths of slx_count use it. */
static __always_inline __u32 claim(__u32 tid_seq, __u32 tid_time,
				   __u32 tid_salt, __u16 dport, __u64 *latency)
{
	__u32 seq = tid_seq, sent = (__u32)gen_seq;
	__u64 *word, bit, old;

	if (tid_salt != salt)
		return SLX_WRONG_TID;
	if ((__s32)(seq - sent) >= 0)
		return SLX_WRONG_TID;
	if (dport != port_base + seq % port_count)
		return SLX_WRONG_TID;
	word = bpf_map_lookup_elem(&seen, &(__u32){ (seq >> 6) & seen_mask });
	if (!word)
		return SLX_WRONG_TID;
	bit = 1ULL << (seq & 63);
	old = __sync_fetch_and_or(word, bit);
	if (old & bit)
		return SLX_DUPLICATE;
	*latency = (__u32)((__u32)bpf_ktime_get_ns() - tid_time);
	if (*latency > timeout_ns)
		return SLX_LATE;
	count(SLX_ANSWERED);
	return SLX_ANSWERED;
}

/* The general path: validate one answer of any shape (dlen bytes in
 * s->b); returns the counter to bump. */
static __always_inline __u32 judge(struct scratch *s, __u32 dlen, __u16 dport,
				   __u64 *latency)
{
	const __u8 *m = s->b;
	struct loop_ctx lc = { .s = s };
	__u32 hlen, type, v;

	if (m[0] & 0xC0)
		return SLX_MALFORMED;
	hlen = (__u32)m[2] << 8 | m[3];
	if (hlen + STUN_HDR_LEN > dlen)
		return SLX_TRUNCATED;
	if (hlen + STUN_HDR_LEN != dlen || (hlen & 3))
		return SLX_MALFORMED;
	/* Ours?  Cookie, then salt, a seq already sent, from the right port
	 * (s->w[2..4]: the ID after the cookie, in memory order). */
	if (rd32(m, 4) != STUN_MAGIC_COOKIE)
		return SLX_WRONG_TID;
	v = claim(s->w[2], s->w[3], s->w[4], dport, latency);
	if (v != SLX_ANSWERED)
		return v;

	/* Attributes: XOR-MAPPED-ADDRESS and FINGERPRINT. */
	s->has_xor = s->xor_ok = s->fp_bad = s->fp_pos = 0;
	s->pos = STUN_HDR_LEN;
	s->dlen = dlen;
	s->dport = dport;
	s->malformed = 0;
	bpf_loop(32, walk_attr, &lc, 0);
	if (s->malformed)
		return SLX_MALFORMED;
	if (s->fp_pos && !s->fp_bad) {
		s->crc = 0xFFFFFFFF;
		bpf_loop(s->fp_pos / 4, crc_step, &lc, 0);
		s->fp_bad = (s->crc ^ 0xFFFFFFFF ^ STUN_FINGERPRINT_XOR) !=
			    rd32(m, s->fp_pos + 4);
	}
	if (s->fp_bad)
		return SLX_BAD_FINGERPRINT;
	type = (__u32)m[0] << 8 | m[1];
	/* --echo: a bare reflector's copy of our request, checked above
	 * exactly as an answer is. */
	if (echo_mode && type == STUN_BINDING_REQUEST)
		return SLX_ECHOED;
	if (type == STUN_BINDING_ERROR)
		return SLX_ERROR_RESPONSE;
	if (type != STUN_BINDING_SUCCESS)
		return SLX_WRONG_TYPE;
	if (!s->has_xor)
		return SLX_NO_MAPPED;
	if (!s->xor_ok)
		return SLX_WRONG_MAPPED;
	return SLX_VALID;
}

/* The fast path, straight from the packet: the shapes of nearly all
 * traffic, each validated exactly as judge() would (same checks, same
 * order, same verdicts).  SLX_NOT_FAST: not this shape, over to judge(). */
#define SLX_NOT_FAST SLX_COUNTERS

#define LD32(p) (*(const __u32 *)(const void *)(p))
/* A 32-bit word in memory order made of two network-order 16-bit ones. */
#define PAIR16(a, b) ((__u32)(__u16)(a) | (__u32)(__u16)(b) << 16)

/* The FINGERPRINT attribute's value for the CRC register crc. */
#define FP_VALUE(crc) bpf_htonl(~(crc) ^ STUN_FINGERPRINT_XOR)

/* A Binding success of exactly header + XOR-MAPPED-ADDRESS (IPv4), 32
 * bytes, and with fp FINGERPRINT after it, 40 bytes: what stun_respond()
 * and the XDP responder send to our requests.  Given a cookie, type and
 * length that judge() accepts, and the two attributes where its walk finds
 * them, judge() decides in this order: claim(), FINGERPRINT, then the
 * address; the reserved byte before the family is not looked at. */
static __always_inline __u32 fast_success(const __u8 *m, const void *end,
					  __u16 dport, __u64 *latency,
					  const int fp)
{
	const __u32 cookie = bpf_htonl(STUN_MAGIC_COOKIE);
	__u32 v, t0, t1, t2, x1, x2;

	if ((void *)(m + 32 + (fp ? STUN_FINGERPRINT_ATTR_LEN : 0)) > end)
		return SLX_NOT_FAST;	/* checked by the caller: never */
	if (LD32(m) != PAIR16(bpf_htons(STUN_BINDING_SUCCESS), bpf_htons(fp ? 20 : 12)) ||
	    LD32(m + 4) != cookie ||
	    LD32(m + 20) != PAIR16(bpf_htons(STUN_ATTR_XOR_MAPPED_ADDRESS), bpf_htons(8)) ||
	    (fp && LD32(m + 32) != PAIR16(bpf_htons(STUN_ATTR_FINGERPRINT), bpf_htons(4))))
		return SLX_NOT_FAST;
	t0 = LD32(m + 8), t1 = LD32(m + 12), t2 = LD32(m + 16);
	v = claim(t0, t1, t2, dport, latency);
	if (v != SLX_ANSWERED)
		return v;
	x1 = LD32(m + 24), x2 = LD32(m + 28);
	if (fp) {
		/* The first 8 bytes are a constant: the request's register
		 * after them, through the ID, turned into the success's (see
		 * stun_crc32_table.h), then the attribute, as received. */
		__u32 crc = stun_crc32_request_id(t0, t1, t2);

		crc ^= STUN_CRC_REQUEST_TO_SUCCESS_V4;
		crc = stun_crc32_word(stun_crc32_word(stun_crc32_word(crc, LD32(m + 20)),
						      x1), x2);
		if (LD32(m + 36) != FP_VALUE(crc))
			return SLX_BAD_FINGERPRINT;
	}
	/* Family and port (the low byte, reserved, masked off), address. */
	if ((x1 & ~0xFFu) != PAIR16(bpf_htons(STUN_FAMILY_IPV4),
				    bpf_htons(dport ^ (STUN_MAGIC_COOKIE >> 16))) ||
	    (x2 ^ cookie) != our_ip)
		return SLX_WRONG_MAPPED;
	return SLX_VALID;
}

/* --echo: our own Binding Request come back, 20 bytes, or with fp 28
 * with its FINGERPRINT: judge() runs claim(), then the FINGERPRINT. */
static __always_inline __u32 fast_echo(const __u8 *m, const void *end,
				       __u16 dport, __u64 *latency, const int fp)
{
	__u32 v, t0, t1, t2;

	if ((void *)(m + 20 + (fp ? STUN_FINGERPRINT_ATTR_LEN : 0)) > end)
		return SLX_NOT_FAST;	/* checked by the caller: never */
	if (LD32(m) != PAIR16(bpf_htons(STUN_BINDING_REQUEST), bpf_htons(fp ? 8 : 0)) ||
	    LD32(m + 4) != bpf_htonl(STUN_MAGIC_COOKIE) ||
	    (fp && LD32(m + 20) != PAIR16(bpf_htons(STUN_ATTR_FINGERPRINT), bpf_htons(4))))
		return SLX_NOT_FAST;
	t0 = LD32(m + 8), t1 = LD32(m + 12), t2 = LD32(m + 16);
	v = claim(t0, t1, t2, dport, latency);
	if (v != SLX_ANSWERED)
		return v;
	if (fp && LD32(m + 24) != FP_VALUE(stun_crc32_request_id(t0, t1, t2)))
		return SLX_BAD_FINGERPRINT;
	return SLX_ECHOED;
}

SEC("xdp")
int slx_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + SLX_ETH_LEN;
	struct udphdr *udp = data + SLX_ETH_LEN + SLX_IP_LEN;
	struct scratch *s;
	const __u8 *stun;
	__u32 zero = 0, dlen, verdict;
	__u64 latency = 0;
	__u16 dport;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    ip->saddr != server_ip || ip->daddr != our_ip ||
	    (ip->frag_off & bpf_htons(0x3FFF)) || udp->source != server_port)
		return XDP_PASS;
	dport = bpf_ntohs(udp->dest);
	if ((__u16)(dport - port_base) >= port_count)
		return XDP_PASS;
	/* From here on the frame belongs to the run: count it, drop it. */
	count(SLX_RECEIVED);
	dlen = bpf_ntohs(udp->len);
	if (dlen < SLX_UDP_LEN + STUN_HDR_LEN ||
	    (void *)(udp + 1) + (dlen - SLX_UDP_LEN) > end) {
		count(SLX_TRUNCATED);
		return XDP_DROP;
	}
	dlen -= SLX_UDP_LEN;
	if (dlen > SLX_MSG_MAX) {
		count(SLX_OVERSIZE);
		return XDP_DROP;
	}
	/* The common shapes straight from the packet; the rest, copied
	 * out, through the general path. */
	stun = data + SLX_STUN_OFF;
	switch (dlen) {
	case 20:
		verdict = echo_mode ? fast_echo(stun, end, dport, &latency, 0) : SLX_NOT_FAST;
		break;
	case 28:
		verdict = echo_mode ? fast_echo(stun, end, dport, &latency, 1) : SLX_NOT_FAST;
		break;
	case 32:
		verdict = fast_success(stun, end, dport, &latency, 0);
		break;
	case 40:
		verdict = fast_success(stun, end, dport, &latency, 1);
		break;
	default:
		verdict = SLX_NOT_FAST;
	}
	if (verdict == SLX_NOT_FAST) {
		/* Seen by the tests (STUNLOAD_BPF_DEBUG): which path ran. */
		__sync_fetch_and_add(&general_frames, 1);
		s = bpf_map_lookup_elem(&scratch_map, &zero);
		if (!s || bpf_xdp_load_bytes(ctx, SLX_STUN_OFF, s->b, dlen))
			return XDP_DROP;
		verdict = judge(s, dlen, dport, &latency);
	}
	count(verdict);
	if (verdict == SLX_VALID || verdict == SLX_ECHOED) {
		__u32 idx = hist_index(latency);
		__u64 *h = bpf_map_lookup_elem(&hist, &idx);

		if (h)
			(*h)++;
	}
	return XDP_DROP;
}
