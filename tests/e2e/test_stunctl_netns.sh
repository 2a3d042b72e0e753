#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_stunctl_netns.sh - stunctl and stunringd --xdp as an operator types
# them: every step a separate `ip netns exec`, which gives each command a
# fresh mount namespace and a fresh /sys, so the bpffs (and the pins) that
# one command made are gone for the next.  status, stats and detach must
# find the program from the interface; a daemon restarted after SIGKILL must
# replace what its predecessor left; a foreign program is left alone;
# attach's limit flags and `stunctl limits` (one source flooded past them).
#
# Traffic stays inside the two namespaces this script creates; both (and the
# veth, and with it any XDP program) are removed on exit.  Prints TAP.
set -u
. "$(dirname "$0")/daemon_lib.sh"

STUNCTL=$BUILD/stunctl
XCLIENT=$BUILD/stun_xdp_client
PASS_OBJ=$BUILD/bpf/xdp_pass.bpf.o
need_built "$DAEMON" "$STUNCTL" "$XCLIENT"
[ -e "$PASS_OBJ" ] || need_built "$PASS_OBJ"

if [ "$(id -u)" != 0 ]; then
	skip "stunctl under ip netns exec" "needs root (network namespaces, XDP)"
	finish
fi
need_tools "stunctl under ip netns exec" ip python3 timeout

S=stn$$s C=stn$$c SIF=stn$$a CIF=stn$$b
SRV=10.213.0.2 CLI=10.213.0.1
setup() {
	ip netns add "$S" && NETNS+=("$S") && ip netns add "$C" && NETNS+=("$C") &&
	ip link add "$CIF" netns "$C" type veth peer name "$SIF" netns "$S" &&
	ip -n "$S" addr add $SRV/24 dev "$SIF" && ip -n "$C" addr add $CLI/24 dev "$CIF" &&
	ip -n "$S" link set lo up && ip -n "$C" link set lo up &&
	ip -n "$S" link set "$SIF" up && ip -n "$C" link set "$CIF" up
}
if ! setup 2>"$TMP/setup.err"; then
	skip "stunctl under ip netns exec" "cannot create namespaces/veth: $(head -1 "$TMP/setup.err")"
	finish
fi

# Each of these is its own `ip netns exec`, as typed at a prompt.
in_s() { timeout 20 ip netns exec "$S" "$@"; }
in_c() { timeout 20 ip netns exec "$C" "$@"; }

# clients N: N Binding Requests from the client namespace, all answered.
clients() {
	local out
	out=$(in_c "$XCLIENT" -n "$1" "$SRV:3478" 2>&1)
	echo "# $out"
	echo "$out" | grep -q "answered-correctly $1 bad 0 lost 0"
}
# xdp_counter NAME: from `stunctl stats --json`, a fresh ip netns exec.
xdp_counter() {
	in_s "$STUNCTL" stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["interfaces"][0]["counters"][sys.argv[1]] if d["interfaces"] else "none")' "$1"
}
expect_counter() {	# NAME WANT
	local got
	got=$(xdp_counter "$1")
	echo "# $1 = $got (want $2)"
	[ "$got" = "$2" ]
}
xdp_on_iface() { ip -n "$S" link show "$SIF" | grep -q xdp; }
# One line on stderr matching PATTERN, exit status 1.
refuses() {	# PATTERN COMMAND...
	local pat=$1 rc
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	show "$TMP/err"
	[ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "$pat" "$TMP/err"
}

# --- the sequence of the report (issue 14, part 1) ---------------------------
check "stunringd starts under ip netns exec" \
	start_daemon plain ip netns exec "$S" -- --listen $SRV:3478 --workers 1
in_s "$STUNCTL" xdp attach "$SIF" --mode generic >"$TMP/attach" 2>&1
rc=$?
show "$TMP/attach"
check "stunctl xdp attach (generic) in its own ip netns exec" [ $rc -eq 0 ]
check "attach says it mounted bpffs and that the pins die with the mount namespace" \
	grep -q "stunctl mounted it: the pins last only as long as this mount namespace" "$TMP/attach"
check "40 requests from the client namespace answered" clients 40
check "stats --json (a fresh ip netns exec) counts XDP's 40 answers" \
	expect_counter answered_v4 40
in_s "$STUNCTL" stats "$SIF" >"$TMP/stats" 2>&1
show "$TMP/stats"
check "stats IFACE (text) shows the interface and the answers" \
	grep -Eq "^ +answered_v4 +40$" "$TMP/stats"
in_s "$STUNCTL" xdp status --json >"$TMP/status" 2>&1
show "$TMP/status"
check "status --json: attached, generic mode, found without pins" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["attachments"]
assert len(a) == 1 and a[0]["interface"] == sys.argv[2], a
assert a[0]["attached"] and a[0]["mode"] == "generic" and not a[0]["pinned"], a
assert a[0]["ports"] == [3478], a' "$TMP/status" "$SIF"

# The live configuration is reachable without pins too.
check "xdp disable in its own ip netns exec" in_s "$STUNCTL" xdp disable "$SIF"
check "disabled: 10 requests answered (by the daemon)" clients 10
check "disabled: XDP passed them (pass_disabled 10)" expect_counter pass_disabled 10
check "disabled: XDP answered no more (answered_v4 still 40)" expect_counter answered_v4 40
check "xdp enable in its own ip netns exec" in_s "$STUNCTL" xdp enable "$SIF"
check "enabled again: 5 requests answered" clients 5
check "enabled again: by XDP (answered_v4 45)" expect_counter answered_v4 45

in_s "$STUNCTL" xdp detach "$SIF" >"$TMP/detach" 2>&1
rc=$?
show "$TMP/detach"
check "xdp detach in its own ip netns exec" [ $rc -eq 0 ]
check "the interface is clean after detach" bash -c "! ip -n $S link show $SIF | grep -q xdp"
check "status after detach: nothing attached" bash -c \
	"ip netns exec $S $STUNCTL xdp status | grep -q 'not attached to any interface'"
check "a second detach: one line, not attached" \
	refuses "stunring XDP is not attached to $SIF" in_s "$STUNCTL" xdp detach "$SIF"
check "the daemon answers what XDP no longer does" clients 5

# --- stunctl limits: the limits attach set, and the top limited prefixes -------
in_s "$STUNCTL" xdp attach "$SIF" --mode generic --rate-limit 10/10 \
	--allow 10.213.0.0/16,2001:db8::/32 --deny 10.213.9.0/24 --deny 10.213.8.7 \
	--rate-limit-prefix4 24 --max-response-rate 5000 >"$TMP/attach" 2>&1
rc=$?
show "$TMP/attach"
check "xdp attach with --allow, --deny, --rate-limit, --rate-limit-prefix4, --max-response-rate" \
	[ $rc -eq 0 ]
# 100 requests, 10 ms apiece: one /24 bucket of 10/s, burst 10, refuses most.
in_c "$XCLIENT" -n 100 -t 10 "$SRV:3478" >"$TMP/flood" 2>&1
show "$TMP/flood"
in_s "$STUNCTL" limits --json >"$TMP/limits" 2>&1
show "$TMP/limits"
check "limits --json: the configured ACL, rate, prefix lengths and cap" python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))["interfaces"]
assert len(i) == 1 and i[0]["interface"] == sys.argv[2], i
l = i[0]["limits"]
assert l["allow"] == ["10.213.0.0/16", "2001:db8::/32"], l
assert sorted(l["deny"]) == ["10.213.8.7/32", "10.213.9.0/24"], l
assert (l["rate_limit"], l["burst"], l["max_response_rate"]) == (10, 10, 5000), l
assert (l["rate_limit_prefix4"], l["rate_limit_prefix6"]) == (24, 64), l' "$TMP/limits" "$SIF"
check "limits --json: the flooding /24 first among the top limited, with drops" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["interfaces"][0]["top_limited"]
assert t and t[0]["prefix"] == "10.213.0.0/24" and t[0]["drops"] >= 50, t' "$TMP/limits"
check "drop_rate_limit counts the same refusals" bash -c \
	"[ \$(ip netns exec $S $STUNCTL stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"interfaces\"][0][\"counters\"][\"drop_rate_limit\"])') -ge 50 ]"
in_s "$STUNCTL" limits "$SIF" --top 3 >"$TMP/limits.txt" 2>&1
show "$TMP/limits.txt"
check "limits IFACE (text): rate, lists and the limited prefix" bash -c "
	grep -Eq '^  rate-limit +10/10$' $TMP/limits.txt &&
	grep -Eq '^  allow +10.213.0.0/16,2001:db8::/32$' $TMP/limits.txt &&
	grep -Eq '^    10.213.0.0/24 +[0-9]+ refused$' $TMP/limits.txt"
in_s "$STUNCTL" limits --top 0 >"$TMP/limits0" 2>&1
check "limits --top 0: the limits, no top list" bash -c \
	"grep -q 'rate-limit  *10/10' $TMP/limits0 && ! grep -q 'refused\|top limited' $TMP/limits0"
check "xdp attach --rate-limit with a bad value: usage error (exit 2)" bash -c \
	"ip netns exec $S $STUNCTL xdp attach $SIF --rate-limit fast 2>/dev/null; [ \$? -eq 2 ]"
check "limits on an interface without stunring XDP: one line, exit 1" \
	refuses "stunring XDP is not attached to lo" in_s "$STUNCTL" limits lo
in_s "$STUNCTL" xdp detach "$SIF" >/dev/null 2>&1

# --- someone else's program is left alone -------------------------------------
if ip -n "$S" link set "$SIF" xdpgeneric obj "$PASS_OBJ" sec xdp 2>"$TMP/ipxdp"; then
	check "detach refuses a foreign program and names it" \
		refuses "is not stunring's: left alone" in_s "$STUNCTL" xdp detach "$SIF"
	check "the foreign program is still attached" xdp_on_iface
	check "stats refuses: not ours" \
		refuses "not attached to $SIF" in_s "$STUNCTL" stats "$SIF"
	check "attach refuses to replace it" \
		refuses "already has an XDP program" in_s "$STUNCTL" xdp attach "$SIF" --mode generic
	ip -n "$S" link set "$SIF" xdpgeneric off
else
	skip "foreign program left alone" "ip link cannot attach $PASS_OBJ: $(head -1 "$TMP/ipxdp")"
fi
stop_daemon
check "the plain daemon stopped cleanly" [ "$DRC" -eq 0 ]

# --- stunringd --xdp after kill -9 ---------------------------------------------
check "stunringd --xdp starts under ip netns exec" \
	start_daemon xdp1 ip netns exec "$S" -- --listen $SRV:3478 --workers 1 \
	--xdp "$SIF" --xdp-mode generic
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
check "after kill -9 its program is still on the interface" xdp_on_iface
in_s "$STUNCTL" xdp status >"$TMP/status" 2>&1
show "$TMP/status"
check "status (fresh ip netns exec) sees the orphan and its dead owner" \
	grep -q "^$SIF: answering, .*attached by stunringd pid $DPID, no longer running" "$TMP/status"
OLDPID=$DPID
check "a restarted stunringd --xdp starts over the orphan" \
	start_daemon xdp2 ip netns exec "$S" -- --listen $SRV:3478 --workers 1 \
	--xdp "$SIF" --xdp-mode generic
check "it says it replaced the program its predecessor left" \
	grep -q "replaced prog id [0-9]*, left by stunringd pid $OLDPID (no longer running)" "$DLOG"
check "one program on the interface" bash -c \
	"[ \$(ip netns exec $S $STUNCTL xdp status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"attachments\"]))') = 1 ]"
check "20 requests answered" clients 20
check "by the new program (answered_v4 20: fresh counters)" expect_counter answered_v4 20
# A running daemon's program is not taken over, nor is stunctl's.
# refused_daemon NAME PORT PATTERN: stunringd --xdp exits non-zero, its
# error naming the owner it found.
refused_daemon() {
	timeout 10 ip netns exec "$S" "$DAEMON" --listen "$SRV:$2" --workers 1 \
		--xdp "$SIF" --xdp-mode generic >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	show "$TMP/err"
	check "$1" bash -c "[ $rc -ne 0 ] && grep -q '$3' $TMP/err"
}
refused_daemon "a second stunringd --xdp: refused, naming the running owner" 3479 \
	"by stunringd pid $DPID, running"
stop_daemon
check "SIGTERM: exit 0" [ "$DRC" -eq 0 ]
check "it detached on the way out" grep -q "xdp: detached from $SIF" "$DLOG"
check "the interface is clean" bash -c "! ip -n $S link show $SIF | grep -q xdp"
in_s "$STUNCTL" xdp attach "$SIF" --mode generic >/dev/null 2>&1
refused_daemon "stunringd --xdp over stunctl's attachment: refused, naming stunctl" 3478 \
	"by stunctl;"
check "... and stunctl's program is left attached" xdp_on_iface
in_s "$STUNCTL" xdp detach "$SIF" >/dev/null 2>&1
finish
