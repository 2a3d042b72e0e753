#!/usr/bin/env bash
# tests/e2e/test_daemon_basic.sh - stunringd end to end on loopback, IPv4 and
# IPv6, with each engine: many concurrent clients (many source ports) with
# every answer checked, FINGERPRINT, classic clients, 420s, and garbage that
# must get no reply while valid traffic flows.  Also the io_uring fallback
# under a seccomp filter that forbids io_uring.
#
# 400 is not tested here: stunringd runs in basic mode, where the RFC 5780
# attributes that could make a request "bad" are unknown, hence 420.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT" "$NO_URING"

CLIENTS=200 REQS=25

run_engine() {
	local engine=$1 label=$2 fam server want_ok=0 want_err=0 n
	if ! start_daemon "basic-$engine" -- --io-engine "$engine" --workers 2 \
		--listen 127.0.0.1:0 --listen '[::1]:0'; then
		not_ok "$engine: daemon starts"
		return
	fi
	check "$engine: daemon reports the $label engine" \
		grep -q "ready: 2 workers, $label engine" "$DLOG"
	for fam in 4 6; do
		if [ $fam = 4 ]; then server=127.0.0.1:${LPORTS[0]}; else server="[::1]:${LPORTS[1]}"; fi
		# Valid traffic from many ports and protocol cases with garbage,
		# at the same time: the garbage must not disturb the others.
		"$CLIENT" check --server "$server" --clients $CLIENTS --requests $REQS \
			--window 4 >"$TMP/check$fam" 2>&1 &
		local cpid=$!
		"$CLIENT" proto --server "$server" >"$TMP/proto$fam" 2>&1
		local prc=$?
		tap_lines "$engine IPv$fam: " <"$TMP/proto$fam"
		n=$(sed -n 's/^proto: received success=\([0-9]*\) error=\([0-9]*\)$/\1 \2/p' "$TMP/proto$fam")
		want_ok=$((want_ok + ${n% *})) want_err=$((want_err + ${n#* }))
		check "$engine IPv$fam: protocol cases client exits 0" [ $prc -eq 0 ]
		wait $cpid
		local crc=$?
		grep '^check:' "$TMP/check$fam" | sed 's/^/# /'
		n=$(sed -n 's/^check: .* correct=\([0-9]*\) .*/\1/p' "$TMP/check$fam")
		want_ok=$((want_ok + ${n:-0}))
		if [ $crc -eq 0 ]; then
			ok "$engine IPv$fam: $((CLIENTS * REQS)) requests from $CLIENTS source ports, every answer correct"
		else
			not_ok "$engine IPv$fam: $((CLIENTS * REQS)) requests from $CLIENTS source ports, every answer correct"
			show "$TMP/check$fam"
		fi
	done
	stop_daemon
	check "$engine: exits 0 on SIGTERM" [ "$DRC" -eq 0 ]
	# Exactly the answers the clients received, no more, no less.
	check "$engine: totals count exactly the $want_ok success answers clients received" \
		[ "$(total answered)" = "$want_ok" ]
	check "$engine: totals count exactly the $want_err error answers clients received" \
		[ "$(total errors)" = "$want_err" ]
	check "$engine: totals balance (requests = answered + errors + dropped)" totals_balance
	check "$engine: no send failures" [ "$(total send_failed)" = 0 ]
	check "$engine: garbage counted by reason" [ "$(total not_stun)" -ge 2 ]
	grep -E ' (totals|warn|error):' "$DLOG" | sed 's/^/# /'
}

run_engine uring io_uring
run_engine mmsg recvmmsg/sendmmsg

# Response options: --software, --fingerprint, --no-classic.
if start_daemon options -- --workers 1 --listen 127.0.0.1:0 --software "stunringd e2e" \
	--fingerprint --no-classic; then
	s=127.0.0.1:${LPORTS[0]}
	out=$("$CLIENT" once --server "$s")
	echo "# $out"
	check "--software: SOFTWARE in the response" eval '[[ "$out" == *"software=stunringd e2e"* ]]'
	check "--fingerprint: valid FINGERPRINT in the answer to a request without one" \
		eval '[[ "$out" == *"status=ok mapped_ok=1 fingerprint=1 fingerprint_ok=1"* ]]'
	out=$("$CLIENT" once-classic --server "$s")
	echo "# $out"
	check "--no-classic: an RFC 3489 request gets no answer" [ "$out" = "once: no-answer" ]
	stop_daemon
	check "options: exits 0, the classic request counted as no_cookie" \
		eval '[ "$DRC" -eq 0 ] && [ "$(total no_cookie)" = 1 ]'
else
	not_ok "options: daemon starts"
fi

# Where io_uring is forbidden (a container's seccomp profile): auto falls
# back with one clear line; --io-engine uring refuses with one error line.
if start_daemon fallback "$NO_URING" -- --workers 1 --listen 127.0.0.1:0; then
	check "fallback: one warning line names the fallback" \
		[ "$(grep -c 'io_uring is not usable here.*falling back to the recvmmsg/sendmmsg engine' "$DLOG")" = 1 ]
	"$CLIENT" check --server "127.0.0.1:${LPORTS[0]}" --clients 20 --requests 10 >"$TMP/fb" 2>&1
	rc=$?
	show "$TMP/fb"
	check "fallback: serves with recvmmsg/sendmmsg (every answer correct)" [ $rc -eq 0 ]
	stop_daemon
	check "fallback: exits 0" [ "$DRC" -eq 0 ]
else
	not_ok "fallback: daemon starts without io_uring"
fi
"$NO_URING" "$DAEMON" --io-engine uring --listen 127.0.0.1:0 >"$TMP/forced.out" 2>"$TMP/forced.err"
rc=$?
check "forced uring without io_uring: exit 71 (got $rc)" [ $rc -eq 71 ]
check "forced uring without io_uring: exactly one error line" \
	eval '[ "$(wc -l <"$TMP/forced.err")" = 1 ] && grep -q "error: --io-engine uring" "$TMP/forced.err"'
finish
