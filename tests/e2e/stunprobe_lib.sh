# tests/e2e/stunprobe_lib.sh - TAP and process helpers shared by the
# stunprobe end-to-end tests (sourced, not run).

TAP_N=0
TAP_FAILED=0
BG_PIDS=()

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
diag() { echo "# $*"; }

# check NAME CONDITION...: ok when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# Equality with a diagnostic line on failure.
check_eq() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "  got:  '$got'"
		diag "  want: '$want'"
	fi
}

# A field of a JSON object on stdin ("null" when absent or null).
jget() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("INVALID-JSON"); sys.exit(0)
v = d.get(sys.argv[1])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1"
}

# Start a background command and remember it for cleanup.
bg() {
	"$@" &
	BG_PIDS+=($!)
}

kill_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}

# Wait (bounded) until a UDP port is bound in a namespace: wait_udp NS IP PORT
wait_udp() {
	local ns=$1 ip=$2 port=$3 i
	for i in $(seq 50); do
		if ip netns exec "$ns" ss -Hnlu 2>/dev/null | awk '{print $4}' |
			grep -qxF -e "$ip:$port" -e "[$ip]:$port"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Skip the whole program (loudly) when the machine lacks something.
require() {
	local what=$1 why=$2
	if ! eval "$what" >/dev/null 2>&1; then
		skip "$TEST_NAME" "$why"
		echo "1..$TAP_N"
		exit 0
	fi
}

tap_end() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
