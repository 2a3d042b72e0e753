// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * xdp_pass.bpf.c - XDP_PASS and nothing else.  For the peer end of a veth
 * in the tests and benchmarks: XDP_TX on a veth only delivers when the peer
 * has an XDP program attached (platform notes).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
