#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench_xdp.sh - answers/s of the XDP responder against a bare reflector
# and against stunringd, with the kernel's live-frame generator as client
# (build/xdp_bench): generator -> veth -> program under test -> XDP_TX ->
# counting program on the generator's side.  No socket on the client side,
# so the client is never the limit.
#
#   bpf/bench_xdp.sh [ROUNDS] [FRAMES]     (defaults 3 rounds of 3000000)
#
# The systems alternate within each round (the machines are noisy); the
# medians and their ratios are printed at the end.  Needs root.
set -u
BUILD=${BUILD:-build}
ROUNDS=${1:-3}
FRAMES=${2:-3000000}

if [ "$(id -u)" != 0 ]; then
	echo "bench_xdp: needs root (network namespaces, XDP)" >&2
	exit 1
fi
NS=xbench$$
SNS=${NS}s CNS=${NS}c SIF=${NS}a CIF=${NS}b
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	nsenter --net=/var/run/netns/$SNS "$BUILD/stunctl" xdp detach "$SIF" >/dev/null 2>&1
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	rm -rf /sys/fs/bpf/stunring/"$SIF"@* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$SNS" && ip netns add "$CNS" &&
ip link add "$SIF" type veth peer name "$CIF" &&
ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
ip -n "$SNS" addr add 10.66.0.1/24 dev "$SIF" &&
ip -n "$CNS" addr add 10.66.0.2/24 dev "$CIF" &&
ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up || exit 1
SMAC=$(ip -n "$SNS" -br link show "$SIF" | awk '{print $3}')

srv() { nsenter --net=/var/run/netns/$SNS "$@"; }
gen() {	# prints the rate before word $1 (answers/s or returned/s)
	local out
	out=$(nsenter --net=/var/run/netns/$CNS "$BUILD/xdp_bench" --interface "$CIF" \
		--src 10.66.0.2 --dst 10.66.0.1 --dst-mac "$SMAC" --count "$FRAMES")
	echo "$out" >&2
	echo "$out" | tr -d , | awk -v k="$1" '{for (i = 1; i <= NF; i++) if ($i == k) print $(i - 1)}'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "# command: bpf/bench_xdp.sh $ROUNDS $FRAMES   ($(nproc) CPUs, $(uname -r))" >&2
for r in $(seq "$ROUNDS"); do
	ip -n "$SNS" link set "$SIF" xdp obj "$BUILD/bpf/xdp_reflect.bpf.o" sec xdp
	echo -n "round $r reflector: " >&2
	gen returned/s >>/tmp/$NS.reflect
	ip -n "$SNS" link set "$SIF" xdp off

	srv "$BUILD/stunctl" xdp attach "$SIF" --mode native >/dev/null || exit 1
	echo -n "round $r stun xdp:  " >&2
	gen answers/s >>/tmp/$NS.stun
	srv "$BUILD/stunctl" stats "$SIF" --json >/tmp/$NS.counters
	srv "$BUILD/stunctl" xdp detach "$SIF" >/dev/null

	if [ -x "$BUILD/stunringd" ]; then
		# veth delivers XDP_TX'd frames only to a peer with a program.
		ip -n "$SNS" link set "$SIF" xdp obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp
		# nsenter itself, not the srv function: $! must be the daemon's
		# pid (nsenter execs), not a subshell's.
		nsenter --net=/var/run/netns/$SNS taskset -c 0 "$BUILD/stunringd" \
			-l 10.66.0.1:3478 -w 1 >/tmp/$NS.daemon.log 2>&1 &
		DAEMON_PID=$!
		sleep 0.5
		echo -n "round $r stunringd: " >&2
		gen answers/s >>/tmp/$NS.daemon
		kill "$DAEMON_PID" 2>/dev/null ||
			echo "# stunringd had exited during the run: $(tail -2 /tmp/$NS.daemon.log)" >&2
		wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
		ip -n "$SNS" link set "$SIF" xdp off
	fi
done
ref=$(median </tmp/$NS.reflect)
stun=$(median </tmp/$NS.stun)
echo "stun xdp counters (last round): $(cat /tmp/$NS.counters)"
echo "median answers/s: bare reflector $ref, stun xdp $stun"
awk -v a="$stun" -v b="$ref" 'BEGIN {printf "stun xdp / bare reflector: %.2f\n", a / b}'
if [ -s /tmp/$NS.daemon ]; then
	d=$(median </tmp/$NS.daemon)
	echo "median answers/s: stunringd (1 worker, pinned to CPU 0) $d"
	awk -v a="$stun" -v b="$d" 'BEGIN {if (b > 0) printf "stun xdp / stunringd: %.1fx\n", a / b}'
fi
rm -f /tmp/$NS.reflect /tmp/$NS.stun /tmp/$NS.daemon /tmp/$NS.counters /tmp/$NS.daemon.log
