#!/usr/bin/env bash
# stunload_faults.sh - stunload against a responder that answers wrongly on
# purpose (tests/e2e/bad_responder.c): each fault lands in its own counter,
# the correct answers in between still count as valid, and any invalid
# answer makes the exit status 1.
. "$(dirname "$0")/stunload_lib.sh"
BAD=$BUILD/tests/bad_responder

# 100 requests, every 2nd answered wrongly: exactly 50 faults.  One round
# of 4 sockets x 32 in flight, so a lost answer costs one short timeout.
ARGS=(--count 100 --sockets 4 --inflight 32 --timeout 300ms
      --mix plain,fingerprint,software --no-progress --json)

# mode | expected exit | python condition on the JSON
CASES=(
"wrong-tid|1|bad['wrong_tid'] == 50 and j['invalid'] == 50 and j['valid'] == 50 and j['lost'] == 50"
"wrong-port|1|bad['wrong_mapped_address'] == 50 and j['invalid'] == 50 and j['valid'] == 50 and j['lost'] == 0"
"bad-fingerprint|1|bad['bad_fingerprint'] == 50 and j['invalid'] == 50 and j['valid'] == 50 and j['lost'] == 0"
"duplicate|1|bad['duplicate'] == 50 and j['invalid'] == 50 and j['valid'] == 100 and j['lost'] == 0"
"truncated|1|bad['truncated'] == 50 and j['invalid'] == 50 and j['valid'] == 50 and j['lost'] == 50"
"short|1|bad['truncated'] == 50 and j['invalid'] == 50 and j['valid'] == 50 and j['lost'] == 50"
"error|1|bad['error_response'] == 50 and j['invalid'] == 50 and j['valid'] == 50"
"wrong-type|1|bad['wrong_type'] == 50 and j['invalid'] == 50 and j['valid'] == 50"
"drop|0|j['lost'] == 50 and j['invalid'] == 0 and j['valid'] == 50 and j['answered'] == 50"
"good|0|j['valid'] == 100 and j['invalid'] == 0 and j['lost'] == 0"
)

for c in "${CASES[@]}"; do
	IFS='|' read -r mode want cond <<<"$c"
	if ! start_server "$mode" "$BAD" "$mode" --every 2 127.0.0.1:0; then
		ok 1 "$mode: responder starts"
		continue
	fi
	"$STUNLOAD" "${ARGS[@]}" "$ADDR" >"$TMP/$mode.json" 2>"$TMP/$mode.stderr"
	rc=$?
	stop_last_server
	ok $([ $rc -eq "$want" ] && echo 0 || echo 1) "$mode: exit status $want" \
		"got $rc: $(cat "$TMP/$mode.stderr")"
	check_json "$TMP/$mode.json" "$cond"
	ok $? "$mode: counted as $cond"
done

# Loss is not an invalid answer, but --max-loss makes it fail the run.
if start_server drop2 "$BAD" drop --every 2 127.0.0.1:0; then
	"$STUNLOAD" "${ARGS[@]}" --max-loss 10 "$ADDR" >"$TMP/drop2.json" 2>/dev/null
	rc=$?
	ok $([ $rc -eq 4 ] && echo 0 || echo 1) "drop: --max-loss 10 with 50% lost exits 4" "got $rc"
	stop_last_server
fi

# Nothing answers at all: exit 4, everything lost, nothing invalid.
if start_server drop3 "$BAD" drop 127.0.0.1:0; then
	"$STUNLOAD" "${ARGS[@]}" "$ADDR" >"$TMP/drop3.json" 2>/dev/null
	rc=$?
	ok $([ $rc -eq 4 ] && echo 0 || echo 1) "no answer at all exits 4" "got $rc"
	check_json "$TMP/drop3.json" "j['lost'] == 100 and j['invalid'] == 0 and j['result'].startswith('FAIL')"
	ok $? "no answer at all: 100 lost, 0 invalid"
	stop_last_server
fi

# A NAT'ed mapping: wrong unless the operator names the public IP.
if start_server nat "$BAD" mapped-ip 127.0.0.1:0; then
	"$STUNLOAD" "${ARGS[@]}" "$ADDR" >"$TMP/nat1.json" 2>/dev/null
	rc=$?
	check_json "$TMP/nat1.json" "bad['wrong_mapped_address'] == 100 and j['valid'] == 0"
	ok $(( $? || rc != 1 )) "mapped-ip: foreign mapping is wrong_mapped_address, exit 1" "rc $rc"
	"$STUNLOAD" "${ARGS[@]}" --expect-mapped 192.0.2.1 "$ADDR" >"$TMP/nat2.json" 2>/dev/null
	rc=$?
	check_json "$TMP/nat2.json" "j['valid'] == 100 and j['invalid'] == 0"
	ok $(( $? || rc != 0 )) "mapped-ip: --expect-mapped 192.0.2.1 accepts it, exit 0" "rc $rc"
	"$STUNLOAD" "${ARGS[@]}" --expect-mapped 192.0.2.2 "$ADDR" >"$TMP/nat3.json" 2>/dev/null
	rc=$?
	check_json "$TMP/nat3.json" "bad['wrong_mapped_address'] == 100"
	ok $(( $? || rc != 1 )) "mapped-ip: --expect-mapped 192.0.2.2 still rejects it" "rc $rc"
	stop_last_server
fi

# Answers that come after --timeout: lost, then counted as late, never as
# invalid.  Open loop for 1.5 s, so most late answers arrive during the run.
if start_server late "$BAD" late --every 2 --delay 400 127.0.0.1:0; then
	"$STUNLOAD" --rate 200 --duration 1.5 --sockets 4 --timeout 200ms --no-progress \
		--json "$ADDR" >"$TMP/late.json" 2>/dev/null
	rc=$?
	check_json "$TMP/late.json" "j['late'] > 50 and j['invalid'] == 0 and j['lost'] >= j['late'] and abs(j['lost'] - j['sent'] / 2) <= 2 and j['valid'] + j['lost'] == j['sent']"
	ok $(( $? || rc != 0 )) "late: answers after --timeout are lost + late, not invalid, exit 0" "rc $rc"
	stop_last_server
fi

# The same faults over IPv6.
if start_server v6 "$BAD" wrong-port --every 2 '[::1]:0'; then
	"$STUNLOAD" "${ARGS[@]}" "$ADDR" >"$TMP/v6.json" 2>/dev/null
	rc=$?
	check_json "$TMP/v6.json" "bad['wrong_mapped_address'] == 50 and j['valid'] == 50"
	ok $(( $? || rc != 1 )) "IPv6 wrong-port: 50 wrong_mapped_address, exit 1" "rc $rc"
	stop_last_server
else
	skip "IPv6 wrong-port" "no IPv6 loopback"
fi

finish
