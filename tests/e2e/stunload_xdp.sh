#!/usr/bin/env bash
# stunload_xdp.sh - --engine xdp in two throw-away network namespaces
# joined by a veth pair: requests injected by the kernel's live-frame
# generator on one end; behind the other end a socket server
# (stun-reflector, then the wrong responder), the bare XDP reflector
# (--echo) and the XDP STUN responder.  Checks that answers are counted and
# validated in the BPF program just as the socket engine does, plain and
# FINGERPRINT requests alike, and that the engine refuses clearly what it
# cannot do.  The counting program has a fast path for the usual shapes
# (success with XOR-MAPPED-ADDRESS, with or without FINGERPRINT; --echo:
# our request) and a general one for the rest: each run checks which path
# took its frames (STUNLOAD_BPF_DEBUG reports it), and the faults and the
# SOFTWARE runs put both through the same counts.  Cleans up on any exit.
. "$(dirname "$0")/stunload_lib.sh"
BAD=$BUILD/tests/bad_responder
PASS_OBJ=$BUILD/bench/xdp_peer_pass.bpf.o
REFLECT_OBJ=$BUILD/bpf/xdp_reflect.bpf.o
STUNCTL=$BUILD/stunctl
NSA=slxa$$
NSB=slxb$$
A_IP=10.231.0.1
B_IP=10.231.0.2

# stunctl pins the XDP responder's maps under /sys/fs/bpf/stunring/IF@nsINODE.
PIN=
cleanup_ns() {
	if [ -n "$PIN" ]; then
		nsenter --net=/var/run/netns/"$NSB" "$STUNCTL" xdp detach slxb0 >/dev/null 2>&1
		rm -rf "$PIN"
	fi
	cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap cleanup_ns EXIT

# Refusals need no privileges and no namespace.
"$STUNLOAD" --engine xdp --count 10 127.0.0.1 >/dev/null 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 3 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'interface IF is required' "$TMP/err" && echo 0 || echo 1) \
	"xdp without --interface: one clear refusal, exit 3" "$rc: $(cat "$TMP/err")"
"$STUNLOAD" --engine xdp --interface lo --count 10 '[::1]:3478' >/dev/null 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 3 ] && grep -q 'IPv4' "$TMP/err" && echo 0 || echo 1) \
	"xdp with an IPv6 target: refused with the reason" "$rc: $(cat "$TMP/err")"
"$STUNLOAD" --engine xdp --interface lo --mix classic --count 10 127.0.0.1 >/dev/null 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 3 ] && grep -q 'plain and fingerprint' "$TMP/err" && echo 0 || echo 1) \
	"xdp with --mix classic: refused with the reason" "$rc: $(cat "$TMP/err")"
"$STUNLOAD" --engine xdp --interface lo --mix plain,software --count 10 127.0.0.1 >/dev/null 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 3 ] && grep -q 'software' "$TMP/err" && echo 0 || echo 1) \
	"xdp with --mix plain,software: refused, naming the kind" "$rc: $(cat "$TMP/err")"
"$STUNLOAD" --echo --count 10 127.0.0.1 >/dev/null 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- '--echo needs --engine xdp' "$TMP/err" && echo 0 || echo 1) \
	"--echo with the socket engine: one clear refusal, exit 2" "$rc: $(cat "$TMP/err")"

if [ "$(id -u)" != 0 ] || ! ip netns add "$NSA" 2>/dev/null; then
	skip "xdp engine through a veth pair" "needs root and ip netns"
	finish
fi
ip netns add "$NSB"
ip link add slxa0 netns "$NSA" type veth peer name slxb0 netns "$NSB"
ip -n "$NSA" addr add $A_IP/24 dev slxa0
ip -n "$NSB" addr add $B_IP/24 dev slxb0
ip -n "$NSA" link set slxa0 up
ip -n "$NSB" link set slxb0 up
ip -n "$NSA" link set lo up
ip -n "$NSB" link set lo up
# Redirected frames reach the peer only when it runs an XDP program.
if ! ip -n "$NSB" link set dev slxb0 xdpdrv obj "$PASS_OBJ" sec xdp 2>"$TMP/pass.err"; then
	skip "xdp engine through a veth pair" "cannot attach XDP to a veth: $(head -1 "$TMP/pass.err")"
	finish
fi

XDP=(--engine xdp --netns "$NSA" --interface slxa0 --no-progress --json)
# With it stunload reports "N of M frames through the general path".
export STUNLOAD_BPF_DEBUG=1

# general_path ERRFILE EXPECTED: the frames the general path judged equal
# EXPECTED, a number or "all" (every frame the run received); prints a
# diagnostic line when not.
general_path() {
	local n m
	read -r n m < <(sed -n 's/.*: \([0-9]*\) of \([0-9]*\) frames through the general path.*/\1 \2/p' "$1")
	if [ -z "$n" ] || [ "$m" -eq 0 ] || [ "$n" != "$([ "$2" = all ] && echo "$m" || echo "$2")" ]; then
		echo "general path took ${n:-?} of ${m:-?} frames, expected $2"
		return 1
	fi
}

# xdp_run NAME RC EXPR GENERAL DESCRIPTION STUNLOAD-ARGS...: one run of
# the engine (output in $TMP/NAME.json and .err); ok when it exits with RC,
# its JSON (j, and bad = invalid_by_kind) satisfies EXPR and the general
# path took GENERAL frames.
xdp_run() {
	local name=$1 want=$2 expr=$3 general=$4 what=$5 rc st d
	shift 5
	"$STUNLOAD" "${XDP[@]}" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	check_json "$TMP/$name.json" "$expr"
	st=$?
	d=$(general_path "$TMP/$name.err" "$general")
	ok $(( st || $? || rc != want )) "$what" "rc $rc: $d: $(cat "$TMP/$name.err")"
}

if start_server refl ip netns exec "$NSB" "$BUILD/stun-reflector" $B_IP:3478; then
	"$STUNLOAD" "${XDP[@]}" --rate 10000 --count 10000 --sockets 100 $B_IP:3478 \
		>"$TMP/good.json" 2>"$TMP/good.err"
	rc=$?
	ok $rc "xdp engine against stun-reflector: exit 0" "$(cat "$TMP/good.err")"
	check_json "$TMP/good.json" "j['engine'] == 'xdp' and j['sent'] == 10000 and j['valid'] == 10000 and j['invalid'] == 0 and j['lost'] == 0 and j['latency_us']['count'] == 10000 and j['latency_us']['p50'] > 0"
	st=$?
	d=$(general_path "$TMP/good.err" 0)
	ok $(( st || $? )) "xdp engine: 10000 sent, 10000 valid, 0 invalid, 0 lost, latencies recorded (fast path)" "$d"
	ip -n "$NSA" link show slxa0 | grep -q 'xdp'
	ok $(( ! $? )) "xdp engine: the counting program is detached afterwards"
	# FINGERPRINT requests, their CRC computed in BPF: the codec drops a
	# request with a wrong one, so any mistake shows up as loss.
	for mix in fingerprint plain=1,fingerprint=1; do
		xdp_run fp 0 "j['sent'] == 10000 and j['valid'] == 10000 and j['invalid'] == 0 and j['echoed'] == 0" 0 \
			"xdp engine, --mix $mix, stun-reflector: 10000 sent, 10000 valid (fast path)" \
			--rate 10000 --count 10000 --sockets 100 --mix $mix $B_IP:3478
	done
	stop_last_server
fi

# Faults are caught in the BPF program, in the same counters.  The last
# field: the frames the general path takes (every other answer is broken).
# The broken answers of the first five keep the usual shape, so the fast
# path must catch them: port and address in XOR-MAPPED-ADDRESS, the seen
# bitmap, FINGERPRINT, the salt.  The others are odd shapes for the
# general path: cut short, an error response, a request's type.
for c in "wrong-port|wrong_mapped_address|0" "mapped-ip|wrong_mapped_address|0" \
	 "duplicate|duplicate|0" "bad-fingerprint|bad_fingerprint|0" "wrong-tid|wrong_tid|0" \
	 "truncated|truncated|1000" "error|error_response|1000" "wrong-type|wrong_type|1000"; do
	IFS='|' read -r mode kind general <<<"$c"
	if start_server "x$mode" ip netns exec "$NSB" "$BAD" "$mode" --every 2 $B_IP:3479; then
		xdp_run "x$mode" 1 "bad['$kind'] == 1000 and j['invalid'] == 1000 and j['valid'] == (2000 if '$mode' == 'duplicate' else 1000)" \
			"$general" "xdp engine, $mode responder: 1000 $kind, exit 1 (general path: $general frames)" \
			--rate 5000 --count 2000 --timeout 300ms $B_IP:3479
		stop_last_server
	fi
done

# Answers after --timeout (in the usual shape: the fast path's late check):
# lost, then counted as late, never as invalid nor valid.  1.5 s of
# sending, so most late answers arrive during the run.
if start_server late ip netns exec "$NSB" "$BAD" late --every 2 --delay 400 $B_IP:3479; then
	xdp_run late 0 "j['late'] > 50 and j['invalid'] == 0 and j['lost'] >= j['late'] and j['lost'] == 750 and j['valid'] == 750" 0 \
		"xdp engine, late responder: 750 valid, 750 lost of which some late, 0 invalid, exit 0 (fast path)" \
		--rate 1000 --count 1500 --timeout 200ms $B_IP:3479
	stop_last_server
fi

# The bare XDP reflector (the benchmark's baseline) sends each request back
# with addresses and ports swapped: with --echo those count as "echoed";
# without, the run fails.  Its XDP_TX reaches slxa0 through stunload's own
# counting program.
ip -n "$NSB" link set dev slxb0 xdpdrv off
if [ ! -e "$REFLECT_OBJ" ]; then
	skip "xdp engine against the bare reflector" "$REFLECT_OBJ not built (make test builds it)"
elif ! ip -n "$NSB" link set dev slxb0 xdpdrv obj "$REFLECT_OBJ" sec xdp 2>"$TMP/refl.err"; then
	ok 1 "attach the bare reflector to slxb0" "$(cat "$TMP/refl.err")"
else
	for mix in plain plain=1,fingerprint=1; do
		xdp_run echo 0 "j['sent'] == 10000 and j['echoed'] == 10000 and j['answered'] == 10000 and j['valid'] == 0 and j['invalid'] == 0 and j['latency_us']['count'] == 10000 and j['result'] == 'ok'" 0 \
			"--echo --mix $mix, bare reflector: 10000 echoed, 0 valid, 0 invalid, exit 0 (fast path)" \
			--echo --rate 20000 --count 10000 --sockets 100 --mix $mix $B_IP:3478
	done
	"$STUNLOAD" "${XDP[@]}" --count 1000 --timeout 300ms $B_IP:3478 >/dev/null 2>"$TMP/noecho.err"
	rc=$?
	ok $([ $rc -ne 0 ] && grep -q -- '--echo' "$TMP/noecho.err" && echo 0 || echo 1) \
		"bare reflector without --echo: fails, pointing at --echo" "rc $rc: $(cat "$TMP/noecho.err")"
	ip -n "$NSB" link set dev slxb0 xdpdrv off
fi

# The XDP STUN responder, attached with stunctl (native mode: its XDP_TX
# reaches slxa0 through the counting program).  Nothing listens on 3478
# any more, so every valid answer comes from XDP.
PIN=/sys/fs/bpf/stunring/slxb0@ns$(stat -L -c %i /var/run/netns/"$NSB")
if [ ! -x "$STUNCTL" ]; then
	skip "xdp engine against the XDP responder" "$STUNCTL not built"
elif ! nsenter --net=/var/run/netns/"$NSB" "$STUNCTL" xdp attach slxb0 --mode native \
		>/dev/null 2>"$TMP/stunctl.err"; then
	skip "xdp engine against the XDP responder" "stunctl xdp attach failed: $(head -1 "$TMP/stunctl.err")"
else
	for mix in fingerprint plain=1,fingerprint=1; do
		xdp_run sx 0 "j['sent'] == 10000 and j['valid'] == 10000 and j['invalid'] == 0" 0 \
			"xdp engine, --mix $mix, XDP responder: 10000 sent, 10000 valid (fast path)" \
			--rate 20000 --count 10000 --sockets 100 --mix $mix $B_IP:3478
	done
	# With SOFTWARE the answers have three attributes: every one goes
	# through the general path, and counts the same.
	if ! nsenter --net=/var/run/netns/"$NSB" "$STUNCTL" xdp software slxb0 stunring-test \
			>/dev/null 2>"$TMP/sw.err"; then
		ok 1 "stunctl xdp software slxb0 stunring-test" "$(cat "$TMP/sw.err")"
	else
		for mix in plain plain=1,fingerprint=1; do
			xdp_run sw 0 "j['sent'] == 10000 and j['valid'] == 10000 and j['invalid'] == 0 and j['latency_us']['count'] == 10000" all \
				"xdp engine, --mix $mix, XDP responder with SOFTWARE: 10000 valid (general path)" \
				--rate 20000 --count 10000 --sockets 100 --mix $mix $B_IP:3478
		done
	fi
fi

finish
