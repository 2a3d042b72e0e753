#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench_xdp.sh - answers/s of the XDP responder against a bare reflector
# and against stunringd, all driven by stunload's kernel-injection engine
# (stunload --engine xdp): the kernel's live-frame generator injects
# Binding Requests into one end of a veth, the system under test answers
# on the other end, and stunload's counting program validates and counts
# the answers on the first end.  No socket on the client side, so the
# client is never the limit.
#
#   bpf/bench_xdp.sh [ROUNDS] [COUNT]     (defaults 15 rounds of 1000000, about 2 min)
#
# Systems, each run once per round with the same generator on the same
# veth (GEN_CPU pins the generator, default the last CPU; the whole XDP
# pipeline runs on that CPU in softirq context):
#   reflector      bpf/xdp_reflect.bpf.c: swaps MACs, IPs and ports and
#                  returns XDP_TX.  Its "answers" are our own requests
#                  coming back: stunload --echo counts them (same seq,
#                  duplicate and latency checks as real answers).
#   stun xdp       the responder, attached with stunctl xdp attach; every
#                  answer validated (XOR-MAPPED-ADDRESS, FINGERPRINT).
#   both again with 28-byte FINGERPRINT requests (what browsers send);
#   stunringd      one worker pinned to CPU 0, behind the same veth (an
#                  XDP_PASS program on its end, which veth needs to deliver
#                  the generator's frames at all).
# The two runs of each comparison follow each other, and their order
# swaps from round to round: these machines are shared and noisy (the
# same run varies by 20% from one second to the next), and a fixed order
# would favour whoever runs first.  At the end: the medians, their ratios,
# and the median of the per-round ratios, each taken between runs about a
# second apart.  Needs root.
set -u
BUILD=${BUILD:-build}
ROUNDS=${1:-15}
COUNT=${2:-1000000}
NCPU=$(nproc)
GEN_CPU=${GEN_CPU:-$((NCPU - 1))}
DAEMON_CPU=${DAEMON_CPU:-0}

die() { echo "bench_xdp: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
for f in stunload stunctl stunringd bpf/xdp_reflect.bpf.o bpf/xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f missing: run make first"
done
case "$ROUNDS$COUNT" in *[!0-9]*) die "usage: bpf/bench_xdp.sh [ROUNDS] [COUNT]";; esac
[ "$ROUNDS" -ge 1 ] && [ "$COUNT" -ge 1000 ] || die "ROUNDS >= 1 and COUNT >= 1000"

TMP=$(mktemp -d /tmp/bench_xdp.XXXXXX)
DAEMON_PID=
r=0
# shellcheck source=bpf/bench_xdp_lib.sh
. "$(dirname "$0")/bench_xdp_lib.sh"
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	xb_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
xb_setup "xbench$$"

run_system() {
	case $1 in
	reflector) reflector_on; load reflector --echo; xdp_off ;;
	reflector_fp) reflector_on; load reflector_fp --echo --mix fingerprint; xdp_off ;;
	stun) stun_on; load stun; stun_off ;;
	stun_fp) stun_on; load stun_fp --mix fingerprint; stun_off ;;
	stunringd)
		ip -n "$SNS" link set "$SIF" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp || die "attaching xdp_pass"
		# nsenter itself, not srv: $! must be the daemon's pid.
		nsenter --net=/var/run/netns/$SNS taskset -c "$DAEMON_CPU" "$BUILD/stunringd" \
			-l 10.66.0.1:3478 -w 1 >"$TMP/daemon.log" 2>&1 &
		DAEMON_PID=$!
		for _ in $(seq 50); do	# up to 5 s for the socket
			srv ss -Hulpn 'sport = :3478' 2>/dev/null | grep -q stunringd && break
			sleep 0.1
		done
		load stunringd
		kill "$DAEMON_PID" 2>/dev/null ||
			echo "# stunringd had exited during the run: $(tail -2 "$TMP/daemon.log")" >&2
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		xdp_off ;;
	esac
}

echo "# command: bpf/bench_xdp.sh $ROUNDS $COUNT   ($NCPU CPUs, $(uname -r), generator on CPU $GEN_CPU," \
     "stunringd on CPU $DAEMON_CPU, load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for r in $(seq "$ROUNDS"); do
	# Each comparison's two runs back to back, their order swapped every
	# round, and the plain and FINGERPRINT pairs swapped every other one.
	if [ $((r % 2)) = 1 ]; then plain=(reflector stun) fp=(reflector_fp stun_fp)
	else plain=(stun reflector) fp=(stun_fp reflector_fp); fi
	if [ $((r % 4)) -lt 2 ]; then order=("${plain[@]}" "${fp[@]}")
	else order=("${fp[@]}" "${plain[@]}"); fi
	for s in "${order[@]}" stunringd; do
		run_system "$s"
	done
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bpf/bench_xdp.sh $ROUNDS $COUNT; stunload --engine xdp, generator on CPU $GEN_CPU"
echo "stun xdp counters (last plain or FINGERPRINT run): $(tr -d '\n\t ' <"$TMP/counters.json" 2>/dev/null)"
report "stun xdp / bare reflector" stun reflector
plain=$MEDIAN_RATIO
report "stun xdp / bare reflector, FINGERPRINT requests" stun_fp reflector_fp
fp=$MEDIAN_RATIO
report "stun xdp / stunringd (1 worker, pinned to CPU $DAEMON_CPU)" stun stunringd
daemon=$MEDIAN_RATIO
awk -v p="$plain" -v f="$fp" -v d="$daemon" 'BEGIN {
	printf "targets (median per-round ratios): stun xdp >= 0.90 x bare reflector: %s (%.2f; FINGERPRINT %.2f);", (p >= 0.9 ? "met" : "NOT met"), p, f
	printf " stun xdp >= 7 x stunringd: %s (%.1f)\n", (d >= 7 ? "met" : "NOT met"), d }'
