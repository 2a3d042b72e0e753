/* SPDX-License-Identifier: MIT */
/*
 * xdp_shared.h - what the XDP engine's BPF programs (xdp_gen.bpf.c) and
 * their loader (engine_xdp.c) agree on: the counter slots and the frame
 * layout.  Plain macros: it is compiled for the host and for -target bpf.
 */
#ifndef STUNLOAD_XDP_SHARED_H
#define STUNLOAD_XDP_SHARED_H

/* Per-CPU counters of the counting program. */
#define SLX_RECEIVED		0	/* frames addressed to the run */
#define SLX_ANSWERED		1	/* first answer to a request we sent */
#define SLX_VALID		2
#define SLX_LATE		3	/* answer after --timeout */
#define SLX_TRUNCATED		4
#define SLX_MALFORMED		5
#define SLX_OVERSIZE		6
#define SLX_WRONG_TID		7
#define SLX_DUPLICATE		8
#define SLX_WRONG_TYPE		9
#define SLX_ERROR_RESPONSE	10
#define SLX_BAD_FINGERPRINT	11
#define SLX_NO_MAPPED		12
#define SLX_WRONG_MAPPED	13
#define SLX_ECHOED		14	/* --echo: our own request came back */
#define SLX_COUNTERS		15

/* Ethernet + IPv4 (no options) + UDP + a 20-byte Binding Request, or a
 * 28-byte one whose only attribute is FINGERPRINT. */
#define SLX_ETH_LEN	14
#define SLX_IP_LEN	20
#define SLX_UDP_LEN	8
#define SLX_STUN_OFF	(SLX_ETH_LEN + SLX_IP_LEN + SLX_UDP_LEN)
#define SLX_FRAME_LEN	(SLX_STUN_OFF + 20)
#define SLX_FP_LEN	8	/* the FINGERPRINT attribute */
#define SLX_FRAME_FP_LEN (SLX_FRAME_LEN + SLX_FP_LEN)
#define SLX_MSG_MAX	256	/* longer answers are "oversize" here */

/* Latency histogram: same buckets as histogram.h. */
#define SLX_HIST_BUCKETS (256 + 40 * 128)

#endif
