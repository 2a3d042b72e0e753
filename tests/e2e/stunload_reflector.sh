#!/usr/bin/env bash
# stunload_reflector.sh - stunload against a correct server
# (build/stun-reflector): zero invalid, zero lost, JSON and CSV well formed,
# bounded runs stop by themselves, IPv4 and IPv6, open and closed loop.
. "$(dirname "$0")/stunload_lib.sh"
REFLECTOR=$BUILD/stun-reflector

if ! start_server v4 "$REFLECTOR" --threads 2 127.0.0.1:0; then
	ok 1 "stun-reflector starts on 127.0.0.1"
	finish
fi
V4=$ADDR

# Closed loop, every kind of request, several threads and sockets.
"$STUNLOAD" --count 20000 --sockets 64 --threads 2 --inflight 4 --no-progress \
	--mix plain=4,fingerprint=2,software=2,classic=1,change-request=1 \
	--json "$V4" >"$TMP/mix.json" 2>"$TMP/mix.err"
rc=$?
ok $rc "closed loop, full mix: exit 0" "$(cat "$TMP/mix.err")"
python3 -m json.tool "$TMP/mix.json" >/dev/null
ok $? "--json output parses with python3 -m json.tool"
check_json "$TMP/mix.json" "all(k in j for k in ('target', 'sent', 'answered', 'valid', 'invalid', 'invalid_by_kind', 'lost', 'late', 'sent_per_s', 'valid_per_s', 'latency_us', 'result')) and all(k in j['latency_us'] for k in ('p50', 'p90', 'p99', 'p99_9', 'max'))"
ok $? "JSON has the documented fields"
# The basic reflector answers CHANGE-REQUEST with 420: counted apart, as
# a server without RFC 5780, not as invalid; everything else valid.
check_json "$TMP/mix.json" "j['sent'] == 20000 and j['invalid'] == 0 and j['lost'] == 0 and j['change_request_unsupported'] == 2000 and j['valid'] == 18000 and j['answered'] == 20000"
ok $? "--count 20000: exactly 20000 sent, 0 invalid, 0 lost, 18000 valid + 2000 x 420"
check_json "$TMP/mix.json" "0 < j['latency_us']['p50'] <= j['latency_us']['p90'] <= j['latency_us']['p99'] <= j['latency_us']['p99_9'] <= j['latency_us']['max'] and j['latency_us']['count'] == j['valid']"
ok $? "latency percentiles are ordered and count every valid answer"

# Open loop, bounded by time, with the CSV time series and forced progress.
start=$(date +%s%N)
"$STUNLOAD" --rate 4000 --duration 2 --sockets 8 --csv "$TMP/series.csv" \
	--progress --json "$V4" >"$TMP/open.json" 2>"$TMP/open.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok $rc "open loop --rate 4000 --duration 2: exit 0" "$(tail -c 300 "$TMP/open.err")"
ok $([ $ms -lt 6000 ] && echo 0 || echo 1) "a 2 s run stops by itself (took ${ms} ms)"
# Paced: never more than the schedule plus the small bank (4 + 32).
check_json "$TMP/open.json" "j['invalid'] == 0 and j['lost'] == 0 and 0 < j['sent'] <= 8000 + 36 and j['mode'] == 'open'"
ok $? "open loop: 0 invalid, 0 lost, at most rate x duration sent"
python3 - "$TMP/series.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
need = {"time_s", "sent", "valid", "invalid", "lost", "sent_per_s", "p99_us"}
ok = rows and need <= set(rows[0]) and all(float(r["sent_per_s"]) >= 0 for r in rows) and len(rows) >= 2
sys.exit(0 if ok else 1)
PY
ok $? "--csv writes a header and one numeric row per second"
grep -q 'sent .*/s .*p99' "$TMP/open.err"
ok $? "--progress shows the live one-line display on stderr"

# The readable summary.
"$STUNLOAD" --count 500 --no-progress "$V4" >"$TMP/text.out" 2>&1
rc=$?
grep -q '^  valid  *500 ' "$TMP/text.out" && grep -q 'result *ok' "$TMP/text.out" &&
	grep -q 'p99.9' "$TMP/text.out"
ok $(( $? || rc )) "text summary shows valid, latency percentiles and the result" "$(cat "$TMP/text.out")"

# A NAT'ed mapping option accepts the true mapping when it names our IP.
"$STUNLOAD" --count 200 --expect-mapped 127.0.0.1 --no-progress -q "$V4"
ok $? "--expect-mapped 127.0.0.1 (IP only, any port) accepts loopback answers"
"$STUNLOAD" --count 200 --expect-mapped 127.0.0.9 --no-progress -q "$V4"
rc=$?
ok $([ $rc -eq 1 ] && echo 0 || echo 1) "--expect-mapped 127.0.0.9 rejects them: exit 1" "got $rc"

# Thousands of simulated clients (distinct source ports).
"$STUNLOAD" --count 8000 --sockets 2000 --inflight 1 --threads 2 --no-progress \
	--json "$V4" >"$TMP/many.json" 2>"$TMP/many.err"
rc=$?
check_json "$TMP/many.json" "j['sent'] == 8000 and j['valid'] == 8000 and j['sockets'] == 2000"
ok $(( $? || rc )) "--sockets 2000: every answer valid for its own source port" "$(cat "$TMP/many.err")"
stop_last_server

# IPv6.
if start_server v6 "$REFLECTOR" '[::1]:0'; then
	"$STUNLOAD" --duration 1 --sockets 4 --mix plain,classic,fingerprint \
		--no-progress --json "$ADDR" >"$TMP/v6.json" 2>"$TMP/v6.err"
	rc=$?
	check_json "$TMP/v6.json" "j['sent'] > 0 and j['invalid'] == 0 and j['lost'] == 0 and j['target'].startswith('[::1]')"
	ok $(( $? || rc )) "IPv6 [::1]: 0 invalid, 0 lost, exit 0" "$(cat "$TMP/v6.err")"
	stop_last_server
else
	skip "IPv6 [::1]" "no IPv6 loopback"
fi

# Nobody listening: ICMP port unreachable, no answer, exit 4.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$STUNLOAD" --count 50 --timeout 200ms --no-progress --json "127.0.0.1:$port" >"$TMP/dead.json" 2>/dev/null
rc=$?
check_json "$TMP/dead.json" "j['valid'] == 0 and j['lost'] == j['sent'] and j['refused'] > 0"
ok $(( $? || rc != 4 )) "closed port: everything lost, refusals counted, exit 4" "rc $rc"

finish
