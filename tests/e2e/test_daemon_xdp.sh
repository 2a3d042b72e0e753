#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_daemon_xdp.sh - `stunringd --xdp IFACE`, the operator's one command:
# the daemon attaches the XDP responder at start, plain Binding Requests are
# answered by the kernel (the XDP counters move, the daemon's do not), what
# XDP passes (RFC 3489 clients) is answered by the daemon, and SIGTERM
# detaches the program and removes its pins.  Native mode (with an XDP_PASS
# program on the client's veth end, which native XDP_TX on veth needs) and
# generic mode.  Also the refusals.
#
# Two network namespaces joined by a veth; everything is removed on exit,
# failure included.  Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh

STUNCTL=$BUILD/stunctl
XCLIENT=$BUILD/stun_xdp_client
PASS_OBJ=$BUILD/bpf/xdp_pass.bpf.o

if [ "$(id -u)" != 0 ]; then
	skip "stunringd --xdp" "needs root (network namespaces, XDP)"; finish
fi
need_built "$DAEMON" "$STUNCTL" "$XCLIENT"
[ -e "$PASS_OBJ" ] || { skip "stunringd --xdp" "$PASS_OBJ not built"; finish; }

NS=dxdp$$
SNS=${NS}s CNS=${NS}c SIF=${NS}a CIF=${NS}b
S4=10.78.0.1 C4=10.78.0.2
NETNS+=("$SNS" "$CNS")

# nsenter keeps the host's /sys, so the pins under /sys/fs/bpf are shared.
srv() { nsenter --net=/var/run/netns/$SNS "$@"; }
cli() { nsenter --net=/var/run/netns/$CNS "$@"; }

# Detach and unpin before daemon_lib's cleanup removes the namespaces.
xdp_cleanup() {
	srv "$STUNCTL" xdp detach "$SIF" >/dev/null 2>&1
	rm -rf /sys/fs/bpf/stunring/"$SIF"@* 2>/dev/null
	cleanup
}
trap xdp_cleanup EXIT

if ! { ip netns add "$SNS" && ip netns add "$CNS" &&
       ip link add "$SIF" type veth peer name "$CIF" &&
       ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
       ip -n "$SNS" addr add $S4/24 dev "$SIF" && ip -n "$CNS" addr add $C4/24 dev "$CIF" &&
       ip -n "$SNS" link set lo up && ip -n "$CNS" link set lo up &&
       ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up; } 2>"$TMP/setup.err"; then
	skip "stunringd --xdp" "cannot create namespaces/veth: $(head -1 "$TMP/setup.err")"
	finish
fi

client() {	# run the test client in the client namespace; output as TAP comments
	local out rc
	out=$(cli "$XCLIENT" "$@" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	return $rc
}

counter() {	# NAME: an XDP counter of $SIF
	srv "$STUNCTL" stats "$SIF" --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["interfaces"][0]["counters"][sys.argv[1]])' "$1"
}

run_mode() {	# MODE (native|generic)
	local mode=$1 a4 p4 pc
	if [ "$mode" = native ]; then
		ip -n "$CNS" link set dev "$CIF" xdpdrv obj "$PASS_OBJ" sec xdp 2>"$TMP/pass.err" ||
			{ not_ok "$mode: XDP_PASS on the client end: $(cat "$TMP/pass.err")"; return; }
	else
		ip -n "$CNS" link set dev "$CIF" xdpdrv off 2>/dev/null
	fi
	if ! start_daemon "xdp-$mode" nsenter --net=/var/run/netns/$SNS -- -l $S4:3478 -w 1 \
		--software stunring-xdp-e2e --xdp "$SIF" --xdp-mode "$mode" --metrics 127.0.0.1:0; then
		not_ok "$mode: stunringd --xdp starts"; return
	fi
	ok "$mode: stunringd --xdp $SIF starts"
	check "$mode: the daemon logs how XDP was attached" \
		grep -q "info: xdp: attached to $SIF .* in $mode mode" "$DLOG"
	local want=xdp; [ "$mode" = generic ] && want=xdpgeneric
	check "$mode: the interface carries the program ($want)" \
		sh -c "ip -n $SNS link show dev $SIF | grep -qw $want"

	a4=$(counter answered_v4); pc=$(counter pass_classic)
	check "$mode: 200 Binding Requests (100 with FINGERPRINT) answered correctly" \
		sh -c "nsenter --net=/var/run/netns/$CNS $XCLIENT -n 100 -s stunring-xdp-e2e $S4:3478 >/dev/null &&
		       nsenter --net=/var/run/netns/$CNS $XCLIENT -n 100 -f -s stunring-xdp-e2e $S4:3478 >/dev/null"
	check "$mode: answered_v4 moved by exactly 200: the kernel answered them" \
		test "$(counter answered_v4)" -eq $((a4 + 200))
	check "$mode: 20 classic requests answered (by the daemon, XDP passes them)" \
		client -c -n 20 $S4:3478
	check "$mode: pass_classic moved by 20" test "$(counter pass_classic)" -eq $((pc + 20))
	# --metrics: ready once attached, and the program's own per-CPU counters.
	local murl
	murl=$(sed -n 's|.*metrics: \(http://[^/]*\)/metrics.*|\1|p' "$DLOG")
	check "$mode: /readyz 200 with the program attached" \
		eval '[ "$(srv curl -s -m 5 "$murl/readyz")" = ready ]'
	srv curl -s -m 5 "$murl/metrics" >"$TMP/xdp-metrics.txt"
	check "$mode: stunring_xdp_packets_total answered/ipv4 and pass_classic equal the program's counters" \
		sh -c "grep -qx 'stunring_xdp_packets_total{family=\"ipv4\",outcome=\"answered\"} $(counter answered_v4)' $TMP/xdp-metrics.txt &&
		       grep -qx 'stunring_xdp_packets_total{family=\"unknown\",outcome=\"pass_classic\"} $(counter pass_classic)' $TMP/xdp-metrics.txt"

	stop_daemon
	check "$mode: SIGTERM stops the daemon with status 0" test "$DRC" -eq 0
	check "$mode: the daemon counted only what XDP passed (20 classic)" \
		grep -q "totals: requests=20 answered=20" "$DLOG"
	check "$mode: it logged the XDP totals and detached" \
		sh -c "grep -q 'xdp $SIF totals: answered_v4=200' $DLOG &&
		       grep -q 'xdp: detached from $SIF' $DLOG"
	check "$mode: no XDP program left on $SIF" \
		sh -c "! ip -n $SNS link show dev $SIF | grep -qwE 'xdp|xdpgeneric|xdpdrv'"
	check "$mode: no pins left" sh -c "! ls -d /sys/fs/bpf/stunring/$SIF@* 2>/dev/null | grep -q ."
}

run_mode native
run_mode generic

# Refusals: one error line, a non-zero status, nothing left attached.
srv "$DAEMON" -l $S4:3478 --xdp nosuchif0 >"$TMP/out" 2>"$TMP/err"; rc=$?
check "no such interface: exit 68 with one error line" \
	sh -c "[ $rc -eq 68 ] && [ \$(grep -c 'error:' $TMP/err) -eq 1 ] && grep -q 'nosuchif0' $TMP/err"
srv "$DAEMON" -l $S4:3478 --rfc5780 --xdp "$SIF" >"$TMP/out" 2>"$TMP/err"; rc=$?
check "with --rfc5780: exit 64, refused before anything is attached" \
	sh -c "[ $rc -eq 64 ] && [ \$(wc -l <$TMP/err) -eq 1 ] && ! ip -n $SNS link show dev $SIF | grep -qw xdp"
if command -v setpriv >/dev/null; then
	srv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$DAEMON" -l $S4:13478 --xdp "$SIF" >"$TMP/out" 2>"$TMP/err"; rc=$?
	check "without privileges: exit 77 with one error line" \
		sh -c "[ $rc -eq 77 ] && [ \$(grep -c 'error:' $TMP/err) -eq 1 ]"
else
	skip "without privileges" "setpriv not installed"
fi
srv "$STUNCTL" xdp attach "$SIF" --mode generic >/dev/null 2>&1
srv "$DAEMON" -l $S4:3478 --xdp "$SIF" --xdp-mode generic >"$TMP/out" 2>"$TMP/err"; rc=$?
check "an XDP program already attached: refused with one error line" \
	sh -c "[ $rc -ne 0 ] && [ \$(grep -c 'error:' $TMP/err) -eq 1 ]"
sed 's/^/# /' "$TMP/err"
check "... and the attachment it found is left alone" \
	sh -c "ip -n $SNS link show dev $SIF | grep -qw xdpgeneric"
srv "$STUNCTL" xdp detach "$SIF" >/dev/null 2>&1
finish
