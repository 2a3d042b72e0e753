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
# Each round runs, on the same veth with the same generator: the reflector
# and the XDP responder on plain 20-byte Binding Requests, both again on
# 28-byte requests with FINGERPRINT (what browsers send), and stunringd on
# plain requests.  The systems alternate within each round (the machines
# are noisy); at the end come the medians, their ratios, and the median of
# the per-round ratios (each taken between runs seconds apart), for two
# rates: answers per wall-clock second, and answers per second of CPU time
# of the generator process plus ksoftirqd (the whole XDP pipeline runs
# there; time other tenants of a shared machine take is left out).  The
# latter says nothing about stunringd, whose work is elsewhere: wall clock
# only for it.  Needs root.
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
	rm -f /tmp/"$NS".*
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
gen() {	# prints the wall-clock and CPU-time rates: "$1/s" and "$1/cpu-s"
	local out
	out=$(nsenter --net=/var/run/netns/$CNS "$BUILD/xdp_bench" --interface "$CIF" \
		--src 10.66.0.2 --dst 10.66.0.1 --dst-mac "$SMAC" --count "$FRAMES" "${@:2}")
	echo "$out" >&2
	echo "$out" | tr -d ',;' | awk -v k="$1" '{for (i = 1; i <= NF; i++) {
		if ($i == k "/s") w = $(i - 1); if ($i == k "/cpu-s") c = $(i - 1) }
		print w, c}'
}
# median COLUMN FILE
median() { awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# ratios COLUMN FILE_A FILE_B: per-round ratios (line r of each is round r).
ratios() { paste "$2" "$3" | awk -v c="$1" -v n="$(head -1 "$2" | wc -w)" \
	'$(c + n) > 0 {printf "%.3f\n", $c / $(c + n)}'; }
# report NAME FILE_A FILE_B: medians and ratios of A against B, both rates.
report() {
	for c in 1 2; do
		local unit=$([ $c = 1 ] && echo "/s (wall clock)" || echo "/cpu-s (generator CPU time)")
		local a b
		a=$(median $c "$2") b=$(median $c "$3")
		echo "$1, answers$unit: medians $a vs $b: ratio $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}');" \
		     "per round $(ratios $c "$2" "$3" | tr '\n' ' ')(median $(ratios $c "$2" "$3" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'))"
	done
}

echo "# command: bpf/bench_xdp.sh $ROUNDS $FRAMES   ($(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for r in $(seq "$ROUNDS"); do
	ip -n "$SNS" link set "$SIF" xdp obj "$BUILD/bpf/xdp_reflect.bpf.o" sec xdp
	echo -n "round $r reflector:            " >&2
	gen returned >>/tmp/$NS.reflect
	ip -n "$SNS" link set "$SIF" xdp off

	srv "$BUILD/stunctl" xdp attach "$SIF" --mode native >/dev/null || exit 1
	echo -n "round $r stun xdp:             " >&2
	gen answers >>/tmp/$NS.stun
	srv "$BUILD/stunctl" xdp detach "$SIF" >/dev/null

	ip -n "$SNS" link set "$SIF" xdp obj "$BUILD/bpf/xdp_reflect.bpf.o" sec xdp
	echo -n "round $r reflector, FINGERPRINT: " >&2
	gen returned --fingerprint >>/tmp/$NS.reflect_fp
	ip -n "$SNS" link set "$SIF" xdp off

	srv "$BUILD/stunctl" xdp attach "$SIF" --mode native >/dev/null || exit 1
	echo -n "round $r stun xdp, FINGERPRINT:  " >&2
	gen answers --fingerprint >>/tmp/$NS.stun_fp
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
		echo -n "round $r stunringd:            " >&2
		gen answers >>/tmp/$NS.daemon
		kill "$DAEMON_PID" 2>/dev/null ||
			echo "# stunringd had exited during the run: $(tail -2 /tmp/$NS.daemon.log)" >&2
		wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
		ip -n "$SNS" link set "$SIF" xdp off
	fi
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "stun xdp counters (last round, FINGERPRINT run): $(cat /tmp/$NS.counters)"
report "stun xdp / bare reflector" /tmp/$NS.stun /tmp/$NS.reflect
report "stun xdp / bare reflector, FINGERPRINT requests" /tmp/$NS.stun_fp /tmp/$NS.reflect_fp
if [ -s /tmp/$NS.daemon ]; then
	# stunringd's work is not in the generator's CPU time: wall clock only.
	report "stun xdp / stunringd (1 worker, pinned to CPU 0)" /tmp/$NS.stun /tmp/$NS.daemon |
		head -1
fi
rm -f /tmp/$NS.reflect /tmp/$NS.stun /tmp/$NS.reflect_fp /tmp/$NS.stun_fp \
	/tmp/$NS.daemon /tmp/$NS.counters /tmp/$NS.daemon.log
