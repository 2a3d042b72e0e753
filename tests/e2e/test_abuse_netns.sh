#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_abuse_netns.sh - the abuse limits under load, with and without the
# XDP responder attached (README "Abuse protection").  Two namespaces joined
# by a veth: stunringd in one (2 workers), the clients in the other:
#   flood   10.79.0.2      open-loop flood, 16 sockets, with --rate-limit R/B:
#                          answered <= (R * T + B) * 1.05 (T: the send time)
#                          and >= R / 2 * T * 0.9 (limited, not cut off)
#   polite  10.79.0.3      1 socket, well under the limit, at the same time:
#                          loss <= 0.1 %
#   spoofed 10.80.0.0/20   256 sockets over a local /20 (AnyIP route): total
#                          answers <= (cap * 2 * T + burst) * 1.05
#   ACL     --deny 10.79.0.2: that client gets nothing, 10.79.0.3 everything
# ABUSE_T (seconds per run, default 2) makes the soak version (make soak).
# Everything is removed on exit, failure included.  Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$BUILD/stunload"
LOAD=$BUILD/stunload
PASS_OBJ=$BUILD/bpf/xdp_pass.bpf.o
T=${ABUSE_T:-2}
FLOOD_RATE=${ABUSE_FLOOD_RATE:-20000}

if [ "$(id -u)" != 0 ]; then
	skip "abuse limits in namespaces" "needs root"; finish
fi
NS=abu$$
SNS=${NS}s CNS=${NS}c SIF=${NS}a CIF=${NS}b
S4=10.79.0.1
NETNS+=("$SNS" "$CNS")
srv() { nsenter --net=/var/run/netns/$SNS "$@"; }
cli() { nsenter --net=/var/run/netns/$CNS "$@"; }
if ! { ip netns add "$SNS" && ip netns add "$CNS" &&
       ip link add "$SIF" type veth peer name "$CIF" &&
       ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
       ip -n "$SNS" addr add $S4/24 dev "$SIF" &&
       ip -n "$CNS" addr add 10.79.0.2/24 dev "$CIF" &&
       ip -n "$CNS" addr add 10.79.0.3/24 dev "$CIF" &&
       ip -n "$CNS" route add local 10.80.0.0/20 dev lo &&
       ip -n "$SNS" link set lo up && ip -n "$CNS" link set lo up &&
       ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up &&
       ip -n "$SNS" route add 10.80.0.0/20 via 10.79.0.2; } 2>"$TMP/setup.err"; then
	skip "abuse limits in namespaces" "cannot create namespaces: $(head -1 "$TMP/setup.err")"
	finish
fi
# Native XDP_TX on a veth needs a program on the peer.
ip -n "$CNS" link set dev "$CIF" xdpdrv obj "$PASS_OBJ" sec xdp 2>/dev/null
XDP_OK=$?

# load NAME ARGS...: stunload in the client namespace, JSON in $TMP/NAME.json.
load() {
	local name=$1
	shift
	cli "$LOAD" --json --no-progress -d "$T" -T 500ms "$@" $S4:3478 >"$TMP/$name.json" 2>"$TMP/$name.err"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/$1.json" "$2"; }
xdp_counter() {	# NAME: a counter of the XDP program on $SIF
	srv "$BUILD/stunctl" stats "$SIF" --json | python3 -c '
import json,sys; print(json.load(sys.stdin)["interfaces"][0]["counters"][sys.argv[1]])' "$1"
}
metric() {	# the daemon's /metrics line matching $1, its value (0 when absent)
	srv curl -s "http://$S4:9479/metrics" | awk -v m="$1" 'index($0, m) == 1 { v = $2 } END { print v + 0 }'
}

# run VARIANT DAEMON-ARGS...: start, flood + polite, spoofed, stop.
run() {
	local v=$1
	shift
	if ! start_daemon "$v" nsenter --net=/var/run/netns/$SNS -- -c /dev/null -l $S4:3478 -w 2 --metrics $S4:9479 "$@"; then
		not_ok "$v: stunringd starts"; return
	fi
	load flood -r "$FLOOD_RATE" -s 16 --bind 10.79.0.2 &
	local fpid=$!
	load polite -r 50 -s 1 --bind 10.79.0.3
	wait $fpid
	local fa fs pa ps pl budget floor
	fa=$(field flood valid) fs=$(field flood sent)
	pa=$(field polite valid) ps=$(field polite sent) pl=$(field polite lost)
	budget=$(( (100 * T + 200) * 105 / 100 ))
	floor=$(( 50 * T * 90 / 100 ))
	echo "# $v: flood sent $fs answered $fa (budget $budget, floor $floor); polite sent $ps answered $pa lost $pl"
	check "$v: flooding source answered at most 100/s x ${T}s + 200 (+5%)" [ "$fa" -le "$budget" ]
	check "$v: flooding source still answered at its share of the rate" [ "$fa" -ge "$floor" ]
	check "$v: the flood was really a flood" [ "$fs" -ge $((FLOOD_RATE * T / 2)) ]
	check "$v: polite client on another address lost <= 0.1%" \
		[ "$ps" -gt 0 ] && [ $((pl * 1000)) -le "$ps" ]
	if [ "${XDPV:-}" ]; then
		local xr
		xr=$(xdp_counter drop_rate_limit)
		check "$v: the kernel refused the flood (drop_rate_limit $xr)" [ "$xr" -gt 0 ]
	else
		local dr
		dr=$(metric 'stunring_dropped_total{reason="rate_limit"}')
		check "$v: /metrics counts the refusals (rate_limit $dr)" [ "$dr" -gt 0 ]
	fi
	stop_daemon
	check "$v: stunringd exits 0 (status $DRC)" [ "$DRC" -eq 0 ] || show "$DLOG"
}

run daemon --rate-limit 100/200
if [ "$XDP_OK" = 0 ] && [ -x "$BUILD/stunctl" ]; then
	XDPV=1 run xdp --rate-limit 100/200 --xdp "$SIF" --xdp-mode native
else
	skip "xdp: rate limit" "native XDP on veth unavailable"
fi

# Spoofed-style: 256 sources over a /20, each under any per-source limit;
# the global cap (per worker, and per CPU in XDP: 2 of each) bounds them.
spoofed() {
	local v=$1
	shift
	if ! start_daemon "sp-$v" nsenter --net=/var/run/netns/$SNS -- -c /dev/null -l $S4:3478 -w 2 --metrics $S4:9479 \
	     --max-response-rate 1000 "$@"; then
		not_ok "$v: stunringd starts with --max-response-rate"; return
	fi
	load spoof -r "$FLOOD_RATE" -s 256 --bind 10.80.0.0/20
	local a s cap
	a=$(field spoof valid) s=$(field spoof sent)
	cap=$(( (1000 * 2 * T + 2 * 100) * 105 / 100 ))
	echo "# $v spoofed: sent $s answered $a (cap $cap)"
	check "$v: spoofed-style flood over a /20 stays under the global cap" [ "$a" -le "$cap" ]
	check "$v: the cap still answers (>= half of it)" [ "$a" -ge $((1000 * T)) ]
	[ "$v" = xdp ] && check "xdp: the kernel counted drop_global_cap" [ "$(xdp_counter drop_global_cap)" -gt 0 ]
	stop_daemon
}
spoofed daemon
if [ "$XDP_OK" = 0 ]; then
	spoofed xdp --xdp "$SIF" --xdp-mode native
fi

# ACL: deny one client address.
acl() {
	local v=$1
	shift
	if ! start_daemon "acl-$v" nsenter --net=/var/run/netns/$SNS -- -c /dev/null -l $S4:3478 -w 2 --deny 10.79.0.2/32 \
	     --allow 10.79.0.0/24 "$@"; then
		not_ok "$v: stunringd starts with --allow/--deny"; return
	fi
	load denied -r 200 -s 4 --bind 10.79.0.2
	load allowed -r 200 -s 4 --bind 10.79.0.3
	echo "# $v acl: denied $(field denied valid)/$(field denied sent), allowed $(field allowed valid)/$(field allowed sent)"
	check "$v: denied source gets nothing" [ "$(field denied valid)" -eq 0 ] && [ "$(field denied sent)" -gt 0 ]
	check "$v: allowed source gets every answer" [ "$(field allowed lost)" -eq 0 ] && [ "$(field allowed sent)" -gt 0 ]
	[ "$v" = xdp ] && check "xdp: the kernel dropped the denied source (drop_acl)" \
		[ "$(xdp_counter drop_acl)" -eq "$(field denied sent)" ]
	stop_daemon
}
acl daemon
if [ "$XDP_OK" = 0 ]; then
	acl xdp --xdp "$SIF" --xdp-mode native
fi
finish
