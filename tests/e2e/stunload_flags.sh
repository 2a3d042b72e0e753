#!/usr/bin/env bash
# stunload_flags.sh - an operator's mistake gets exactly one error line on
# stderr, nothing on stdout and exit status 2; --help and --version work.
. "$(dirname "$0")/stunload_lib.sh"

BAD_ARGS=(
	"--rate abc 127.0.0.1"
	"--rate 0 127.0.0.1"
	"--duration -1 127.0.0.1"
	"--duration 5x 127.0.0.1"
	"--count 0 127.0.0.1"
	"--count 1.5 127.0.0.1"
	"--sockets 0 127.0.0.1"
	"--sockets 100000 127.0.0.1"
	"--threads 0 127.0.0.1"
	"--threads 4 --sockets 2 127.0.0.1"
	"--cpus x 127.0.0.1"
	"--cpus 3-1 127.0.0.1"
	"--mix bogus 127.0.0.1"
	"--mix plain=0 127.0.0.1"
	"--timeout 0 127.0.0.1"
	"--expect-mapped nonsense 127.0.0.1"
	"--expect-mapped ::1 127.0.0.1"
	"--max-loss 200 127.0.0.1"
	"--engine warp 127.0.0.1"
	"--interface lo 127.0.0.1"
	"--rate 100 --inflight 4 127.0.0.1"
	"--frobnicate 127.0.0.1"
	"-z 127.0.0.1"
	"127.0.0.1 --rate"
	""
	"999.1.1.1"
	"127.0.0.1:99999"
	"127.0.0.1 127.0.0.2"
	"--csv /nonexistent-dir/x.csv --count 1 127.0.0.1"
	# The shared spellings (src/README.md: Command-line conventions): what strtod
	# used to let through (signs, hex, exponents) and unknown units.
	"--rate 0x10 127.0.0.1"
	"--count 1e3 127.0.0.1"
	"--sockets +5 127.0.0.1"
	"--threads -1 127.0.0.1"
	"--inflight 8abc 127.0.0.1"
	"--duration 5sec 127.0.0.1"
	"--timeout 2h 127.0.0.1"
	"--cpus 0,,1 127.0.0.1"
	"--cpus -1 127.0.0.1"
	"--mix plain=1.5 127.0.0.1"
	"127.0.0.1:+3478"
)

for a in "${BAD_ARGS[@]}"; do
	# shellcheck disable=SC2086
	timeout 10 "$STUNLOAD" $a >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	[ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$TMP/out" ] &&
		grep -q '^stunload: ' "$TMP/err"
	ok $? "stunload ${a:-(no arguments)}: one error line, exit 2" \
		"exit $rc, $lines lines: $(cat "$TMP/err")"
done

# ... and what every program accepts: durations with h, ms or a bare number
# of seconds, counts with k.  Nothing listens on port 9: exit 4 (no answer),
# not 2.
timeout 10 "$STUNLOAD" --count 2 --duration 0.01h --timeout 100ms --rate 1k \
	--no-progress 127.0.0.1:9 >"$TMP/out" 2>"$TMP/err"
rc=$?
ok $([ $rc -eq 4 ] && echo 0 || echo 1) "--duration 0.01h --timeout 100ms --rate 1k accepted" \
	"exit $rc: $(cat "$TMP/err")"

"$STUNLOAD" --help >"$TMP/out" 2>&1
ok $(( $? || ! $(grep -c -- '--expect-mapped' "$TMP/out") )) "--help prints usage, exit 0"
"$STUNLOAD" --version | grep -q '^stunload [0-9]'
ok $? "--version"

for a in "--threads 0" "--threads x" "--threads -2" "--threads" "--bogus" "1.2.3" \
	"127.0.0.1:1 127.0.0.1:2"; do
	# shellcheck disable=SC2086
	timeout 5 "$BUILD/stun-reflector" $a >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	ok $([ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^stun-reflector: ' "$TMP/err" &&
		echo 0 || echo 1) \
		"stun-reflector $a: one error line, exit 2" "exit $rc: $(cat "$TMP/err")"
done

finish
