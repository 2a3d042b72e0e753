#!/usr/bin/env bash
# tests/e2e/stunctl_cli.sh - stunctl's command line without XDP attached:
# the shared spellings (src/README.md: Command-line conventions) are accepted,
# every mistake is one line on stderr, nothing on stdout, exit status 2.
# Runs in a network namespace of its own, so no other test's attachment
# shows up in "stunctl stats".
set -u
cd "$(dirname "$0")/../.." || exit 1
STUNCTL=${BUILD:-build}/stunctl
NS=stctl$$
TMP=$(mktemp -d /tmp/stunctl_cli.XXXXXX)
T=0
FAILED=0
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT

ok() {	# ok STATUS NAME [DIAG]
	T=$((T + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T - $2"
	else
		echo "not ok $T - $2"
		[ -n "${3:-}" ] && echo "# $3"
		FAILED=1
	fi
}

if [ ! -x "$STUNCTL" ]; then
	echo "1..0 # SKIP $STUNCTL not built"
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
	echo "1..0 # SKIP needs root to create a network namespace"
	exit 0
fi
in_ns() { ip netns exec "$NS" "$@"; }

# --watch --interval: a report every TIME, --count of them.
watch_ok() {	# watch_ok INTERVAL COUNT MIN_MS
	local start rc ms reports
	start=$(date +%s%N)
	in_ns timeout 10 "$STUNCTL" stats --json --watch --interval "$1" --count "$2" \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	reports=$(grep -c '^{"interfaces":\[\]}$' "$TMP/out")
	[ $rc -eq 0 ] && [ "$reports" -eq "$2" ] && [ "$ms" -ge "$3" ] && [ "$ms" -lt 5000 ]
	ok $? "stats --watch --interval $1 --count $2: $reports reports in $ms ms" \
		"exit $rc, $reports reports: $(cat "$TMP/err")"
}
watch_ok 200ms 3 550
watch_ok 0.1 2 180	# a bare number is seconds
watch_ok 0.25s 2 450

BAD_ARGS=(
	"stats --interval 0.05"
	"stats --interval 2x"
	"stats --interval -1"
	"stats --interval 1e-1"
	"stats --interval 2h"
	"stats --count 0"
	"stats --count -5"
	"stats --count 12abc"
	"stats --count 1.5"
	"stats --interval"
	"stats --frobnicate"
	"stats lo extra"
	"xdp attach lo --port 0"
	"xdp attach lo --port 65536"
	"xdp attach lo --port 3478,,3479"
	"xdp attach lo --port +3478"
	"xdp attach lo --mode warp"
	"xdp attach lo --bogus"
	"xdp attach lo --allow 10.0.0.0/33"
	"xdp attach lo --deny not-an-ip"
	"xdp attach lo --rate-limit 10/x"
	"xdp attach lo --rate-limit-prefix4 0"
	"xdp attach lo --max-response-rate -1"
	"xdp attach lo --error-rate-limit 10"
	"limits --top 1001"
	"limits --top x"
	"limits --frobnicate"
	"limits lo extra"
	"xdp attach"
	"xdp detach"
	"xdp frob"
	"xdp status extra"
	"frobnicate"
	""
)
for a in "${BAD_ARGS[@]}"; do
	# shellcheck disable=SC2086
	in_ns timeout 10 "$STUNCTL" $a >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	[ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$TMP/out" ] && grep -q '^stunctl: ' "$TMP/err"
	ok $? "stunctl ${a:-(no arguments)}: one error line, exit 2" \
		"exit $rc, $lines lines: $(head -3 "$TMP/err")"
done

# Runtime failures keep exit status 1.
in_ns timeout 10 "$STUNCTL" stats nosuchif0 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q '^stunctl: stats: ' "$TMP/err"
ok $? "stats on an interface without XDP: one line, exit 1" "exit $rc: $(cat "$TMP/err")"

in_ns timeout 10 "$STUNCTL" limits >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && grep -q 'not attached to any interface' "$TMP/out"
ok $? "limits with nothing attached: says so, exit 0" "exit $rc: $(cat "$TMP/out" "$TMP/err")"
in_ns timeout 10 "$STUNCTL" limits --json >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = '{"interfaces":[]}' ]
ok $? "limits --json with nothing attached: no interfaces" "exit $rc: $(cat "$TMP/out" "$TMP/err")"

echo "1..$T"
exit $FAILED
