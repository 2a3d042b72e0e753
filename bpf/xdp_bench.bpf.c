// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * xdp_bench.bpf.c - the benchmark's two ends on the client side of a veth
 * (see bpf/xdp_bench.c):
 *   bench_gen    run with BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES:
 *                every repetition rewrites the request frame from tmpl and
 *                transmits it (XDP_TX).  The rewrite is needed: pages come
 *                back from the responder holding its answer, and the
 *                generator resets only the frame's pointers, not its bytes;
 *   bench_count  attached to the same interface: counts what comes back
 *                (any UDP from the server port, and Binding successes
 *                among them) and drops it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "stun_wire.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

enum { RETURNED, STUN_SUCCESS, OTHER, NCOUNT };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NCOUNT);
	__type(key, __u32);
	__type(value, __u64);
} bench_counts SEC(".maps");

const volatile __u16 server_port = STUN_DEFAULT_PORT;
const volatile __u32 tmpl_len = 0;
const volatile __u8 tmpl[128] = {};

static __always_inline void bump(__u32 k, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&bench_counts, &k);

	if (v)
		*v += n;
}

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	__u32 len = tmpl_len & 127;

	if (!len || bpf_xdp_store_bytes(ctx, 0, (void *)tmpl, len))
		return XDP_ABORTED;
	return XDP_TX;
}

SEC("xdp")
int bench_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *stun = (void *)(udp + 1);

	if ((void *)(stun + 2) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    udp->source != bpf_htons(server_port)) {
		bump(OTHER, 1);
		return XDP_PASS;
	}
	bump(RETURNED, 1);
	/* The same work whatever came back, so that counting costs a
	 * reflector's run no less than a responder's. */
	bump(STUN_SUCCESS, stun[0] == (STUN_BINDING_SUCCESS >> 8) &&
			   stun[1] == (STUN_BINDING_SUCCESS & 0xff));
	return XDP_DROP;
}
