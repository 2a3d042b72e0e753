#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_xdp_e2e.sh - the XDP fast path end to end, in both native and generic
# mode: two network namespaces joined by a veth, `stunctl xdp attach` on the
# server end, real clients on the other.  Checks that the answers are
# correct, that the counters say XDP sent them, that what XDP passes (RFC
# 3489 clients, a disabled responder) is still answered by userspace, that
# stunctl refuses what it must, and that detach leaves the interface clean.
#
# Traffic stays inside the namespaces this script creates.  Everything is
# removed on exit, failure included (trap).  Prints TAP.
#
# Userspace responder: build/stunringd when it starts, else
# build/stun_test_responder (the codec in a 60-line loop), named in the
# output.
set -u

BUILD=${BUILD:-build}
STUNCTL=$BUILD/stunctl
CLIENT=$BUILD/stun_xdp_client
PASS_OBJ=$BUILD/bpf/xdp_pass.bpf.o

T=0
FAILED=0
ok() { T=$((T + 1)); echo "ok $T - $*"; }
not_ok() { T=$((T + 1)); echo "not ok $T - $*"; FAILED=1; }
skip() { T=$((T + 1)); echo "ok $T - $1 # SKIP $2"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
finish() { echo "1..$T"; exit $FAILED; }

# Preconditions: skip loudly, never pass silently.
if [ "$(id -u)" != 0 ]; then
	skip "xdp end-to-end" "needs root (network namespaces, XDP)"; finish
fi
for b in "$STUNCTL" "$CLIENT" "$PASS_OBJ" "$BUILD/stun_test_responder"; do
	if [ ! -e "$b" ]; then
		skip "xdp end-to-end" "$b not built (make $b)"; finish
	fi
done
for t in ip nsenter python3 timeout; do
	if ! command -v $t >/dev/null; then
		skip "xdp end-to-end" "$t not installed"; finish
	fi
done

NS=xe2e$$
SNS=${NS}s CNS=${NS}c
SIF=${NS}a CIF=${NS}b
S4=10.77.0.1 C4=10.77.0.2 S6=fd77::1 C6=fd77::2
RESP_PIDS=()
TMP=$(mktemp -d /tmp/test_xdp_e2e.XXXXXX)

# nsenter keeps the host's /sys, so the pins under /sys/fs/bpf are the
# same ones every command sees ("ip netns exec" would mount a fresh /sys).
srv() { nsenter --net=/var/run/netns/$SNS "$@"; }
cli() { nsenter --net=/var/run/netns/$CNS "$@"; }

cleanup() {
	for p in "${RESP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	srv "$STUNCTL" xdp detach "$SIF" >/dev/null 2>&1
	srv "$STUNCTL" xdp detach "${NS}br" >/dev/null 2>&1
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	# Pins of this run (keyed by interface name and namespace) if detach
	# could not remove them.
	rm -rf /sys/fs/bpf/stunring/"$SIF"@* /sys/fs/bpf/stunring/"${NS}br"@* 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

setup() {
	ip netns add "$SNS" && ip netns add "$CNS" &&
	ip link add "$SIF" type veth peer name "$CIF" &&
	ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
	ip -n "$SNS" addr add $S4/24 dev "$SIF" &&
	ip -n "$CNS" addr add $C4/24 dev "$CIF" &&
	ip -n "$SNS" addr add $S6/64 dev "$SIF" nodad &&
	ip -n "$CNS" addr add $C6/64 dev "$CIF" nodad &&
	ip -n "$SNS" link set lo up && ip -n "$CNS" link set lo up &&
	ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up
}
if ! setup 2>"$TMP/setup.err"; then
	skip "xdp end-to-end" "cannot create namespaces/veth: $(head -1 "$TMP/setup.err")"
	finish
fi

# The userspace responder for whatever XDP passes.
RESPONDER=none
start_responder() {
	if [ -x "$BUILD/stunringd" ]; then
		# nsenter directly (it execs): $! is then the process to kill,
		# not a subshell running the srv function.
		nsenter --net=/var/run/netns/$SNS timeout 120 "$BUILD/stunringd" \
			-l $S4:3478 -l "[$S6]:3478" -w 1 >"$TMP/stunringd.log" 2>&1 &
		RESP_PIDS+=($!)
		for _ in $(seq 20); do
			if cli "$CLIENT" -c -n 1 -t 200 $S4:3478 >/dev/null 2>&1; then
				RESPONDER=stunringd
				return 0
			fi
		done
		kill "${RESP_PIDS[-1]}" 2>/dev/null
	fi
	nsenter --net=/var/run/netns/$SNS timeout 120 "$BUILD/stun_test_responder" -l 110 \
		$S4:3478 >"$TMP/resp4.log" 2>&1 &
	RESP_PIDS+=($!)
	nsenter --net=/var/run/netns/$SNS timeout 120 "$BUILD/stun_test_responder" -l 110 \
		"[$S6]:3478" >"$TMP/resp6.log" 2>&1 &
	RESP_PIDS+=($!)
	for _ in $(seq 20); do
		if cli "$CLIENT" -c -n 1 -t 200 $S4:3478 >/dev/null 2>&1; then
			RESPONDER=stun_test_responder
			return 0
		fi
	done
	return 1
}
check "userspace responder answers before XDP is attached" start_responder
echo "# userspace responder: $RESPONDER"

# Counter value from stunctl stats --json.
counter() {
	srv "$STUNCTL" stats "$SIF" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["interfaces"][0]["counters"][sys.argv[1]])' "$1"
}

# Run a client; its summary line goes to the TAP log as a comment.
client() {
	local out rc
	out=$(cli "$CLIENT" "$@" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	return $rc
}

expect_delta() {	# name before want
	local now
	now=$(counter "$1")
	[ $((now - $2)) -eq "$3" ] || { echo "# $1: $2 -> $now, expected +$3"; return 1; }
}

# Refusals: one clear line, non-zero status.
refuses() {	# pattern, command...
	local pat=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	echo "# $out"
	[ $rc -ne 0 ] && echo "$out" | grep -q "$pat" && [ "$(echo "$out" | wc -l)" -eq 1 ]
}
check "attach refuses an interface that does not exist" \
	refuses "no network interface" srv "$STUNCTL" xdp attach nosuch$$
check "attach refuses a bad --mode" refuses "mode" srv "$STUNCTL" xdp attach "$SIF" --mode turbo
check "attach refuses port 0" refuses "port" srv "$STUNCTL" xdp attach "$SIF" --port 0
if command -v setpriv >/dev/null; then
	check "attach refuses without privileges" refuses "not privileged" \
		srv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$STUNCTL" xdp attach "$SIF"
else
	skip "attach refuses without privileges" "setpriv not installed"
fi
ip -n "$SNS" link set "$SIF" xdp obj "$PASS_OBJ" sec xdp 2>/dev/null
check "attach refuses when another XDP program is attached" \
	refuses "already has an XDP program" srv "$STUNCTL" xdp attach "$SIF"
ip -n "$SNS" link set "$SIF" xdp off

# A device without native XDP (a bridge): native is refused with the
# suggestion, auto falls back to generic.
if ip -n "$SNS" link add "${NS}br" type bridge 2>/dev/null; then
	ip -n "$SNS" link set "${NS}br" up
	check "native mode refused where the driver lacks it, suggesting generic" \
		refuses "does not support native XDP; use --mode generic" \
		srv "$STUNCTL" xdp attach "${NS}br" --mode native
	out=$(srv "$STUNCTL" xdp attach "${NS}br" --mode auto 2>&1)
	echo "# $out"
	check "auto mode falls back to generic and says why" \
		grep -q "generic mode (native XDP not supported" <<<"$out"
	srv "$STUNCTL" xdp detach "${NS}br" >/dev/null 2>&1
	check "... and detaches cleanly" \
		bash -c "! ip -n $SNS link show ${NS}br | grep -q xdp"
	ip -n "$SNS" link del "${NS}br"
else
	skip "native mode refused where the driver lacks it" "cannot create a bridge"
fi

run_mode() {
	local mode=$1 flag
	[ "$mode" = native ] && flag="xdp " || flag="xdpgeneric"
	# Native XDP_TX on veth only delivers with a program on the peer.
	if [ "$mode" = native ]; then
		ip -n "$CNS" link set "$CIF" xdp obj "$PASS_OBJ" sec xdp
	else
		ip -n "$CNS" link set "$CIF" xdp off
	fi

	local out
	out=$(srv "$STUNCTL" xdp attach "$SIF" --mode "$mode" --software "stunring-e2e" 2>&1)
	echo "# $out"
	check "$mode: attach" grep -q "in $mode mode" <<<"$out"
	check "$mode: attach says single program or dispatcher" \
		grep -Eq "single program|dispatcher" <<<"$out"
	check "$mode: the interface runs the program ($flag)" \
		bash -c "ip -n $SNS link show $SIF | grep -q '$flag'"
	check "$mode: status survives the tool's exit" \
		bash -c "$(declare -f srv); SNS=$SNS; srv $STUNCTL xdp status | grep -q '^$SIF: answering.*$mode mode'"
	check "$mode: attaching twice is refused" \
		refuses "already attached" srv "$STUNCTL" xdp attach "$SIF" --mode "$mode"

	local a4 a6 pc pd
	a4=$(counter answered_v4) a6=$(counter answered_v6)
	check "$mode: 50 IPv4 requests answered correctly" client -n 50 -s stunring-e2e $S4:3478
	check "$mode: 50 IPv4 requests with FINGERPRINT answered correctly" \
		client -n 50 -f -s stunring-e2e $S4:3478
	check "$mode: 50 IPv6 requests with FINGERPRINT answered correctly" \
		client -n 50 -f -s stunring-e2e "[$S6]:3478"
	check "$mode: all 100 IPv4 answers came from XDP" expect_delta answered_v4 "$a4" 100
	check "$mode: all 50 IPv6 answers came from XDP" expect_delta answered_v6 "$a6" 50

	# What XDP passes, userspace answers.
	pc=$(counter pass_classic) a4=$(counter answered_v4)
	check "$mode: RFC 3489 requests answered by $RESPONDER" client -n 10 -c $S4:3478
	check "$mode: ... after XDP passed all 10" expect_delta pass_classic "$pc" 10
	srv "$STUNCTL" xdp disable "$SIF" >/dev/null
	pd=$(counter pass_disabled)
	check "$mode: disabled: requests answered by $RESPONDER" client -n 10 $S4:3478
	check "$mode: disabled: XDP passed all 10, answered none" \
		bash -c "$(declare -f expect_delta counter srv); SNS=$SNS SIF=$SIF STUNCTL=$STUNCTL; \
			 expect_delta pass_disabled $pd 10 && expect_delta answered_v4 $a4 0"
	srv "$STUNCTL" xdp enable "$SIF" >/dev/null

	if [ -x "$BUILD/stunload" ]; then
		a4=$(counter answered_v4)
		local lo
		lo=$(cli timeout 30 "$BUILD/stunload" -n 2000 -s 4 -i 4 -T 1 -m plain=50,fingerprint=50 \
			--max-loss 0 --no-progress $S4:3478 2>&1)
		local rc=$?
		echo "$lo" | tail -3 | sed 's/^/# /'
		check "$mode: stunload: 2000 requests, all answers valid, none lost" [ $rc -eq 0 ]
		check "$mode: stunload: all 2000 answered by XDP" expect_delta answered_v4 "$a4" 2000
	else
		skip "$mode: stunload" "$BUILD/stunload not built"
	fi

	check "$mode: stats --json is valid JSON" \
		bash -c "$(declare -f srv); SNS=$SNS; srv $STUNCTL stats --json | python3 -m json.tool >/dev/null"
	check "$mode: dropped stayed 0" [ "$(counter dropped)" = 0 ]

	out=$(srv "$STUNCTL" xdp detach "$SIF" 2>&1)
	echo "# $out"
	check "$mode: detach" grep -q "detached" <<<"$out"
	check "$mode: detach leaves no XDP program on the interface" \
		bash -c "! ip -n $SNS link show $SIF | grep -q 'xdp'"
	check "$mode: detach removes the pins" \
		bash -c "! ls -d /sys/fs/bpf/stunring/$SIF@* 2>/dev/null | grep -q ."
	check "$mode: status no longer lists it" \
		bash -c "$(declare -f srv); SNS=$SNS; ! srv $STUNCTL xdp status | grep -q '^$SIF:'"
	check "$mode: after detach, $RESPONDER answers" client -n 5 $S4:3478
}

run_mode native
run_mode generic
check "detach of a detached interface is refused" \
	refuses "not attached" srv "$STUNCTL" xdp detach "$SIF"
finish
