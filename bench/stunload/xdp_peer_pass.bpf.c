// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * xdp_peer_pass.bpf.c - XDP_PASS only.  Frames redirected into a veth are
 * only delivered when the peer end runs an XDP program; the stunload xdp
 * tests attach this one there when the server behind it is a socket server.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("xdp")
int slx_peer_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
