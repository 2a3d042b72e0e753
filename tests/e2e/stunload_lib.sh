# tests/e2e/stunload_lib.sh - shared by the stunload_*.sh tests (sourced).
# TAP output, servers started in the background and always stopped, and
# JSON checks with python3.  Loopback only; every run is bounded.

cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
STUNLOAD=$BUILD/stunload
TMP=$(mktemp -d "/tmp/$(basename "$0" .sh).$$.XXXXXX")
PIDS=()
T=0
FAILED=0

cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() {	# ok CONDITION-STATUS NAME [DIAG...]
	local st=$1 name=$2
	shift 2
	T=$((T + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $T - $name"
	else
		echo "not ok $T - $name"
		for d in "$@"; do echo "# $d"; done
		FAILED=1
	fi
}

skip() {
	T=$((T + 1))
	echo "ok $T - $1 # SKIP $2"
}

finish() {
	echo "1..$T"
	exit $FAILED
}

# start_server NAME CMD... : run CMD in the background, wait for its
# "listening on ADDR" line and set ADDR to it.
start_server() {
	local name=$1 out
	shift
	out=$TMP/$name.out
	"$@" >"$out" 2>"$TMP/$name.err" &
	PIDS+=($!)
	for _ in $(seq 100); do
		ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$out")
		[ -n "$ADDR" ] && return 0
		sleep 0.05
	done
	echo "# $name did not start: $(cat "$TMP/$name.err")"
	return 1
}

stop_last_server() {
	local p=${PIDS[-1]}
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset 'PIDS[-1]'
}

# check_json FILE 'python expression over j' : true when it holds.
check_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("# no JSON result: %s" % e)
    sys.exit(1)
bad = j["invalid_by_kind"]
ok = eval(sys.argv[2])
if not ok:
    print("# failed: " + sys.argv[2])
    print("# " + json.dumps({k: j[k] for k in ("sent", "answered", "valid", "invalid", "lost", "late")}))
    print("# invalid_by_kind " + json.dumps({k: v for k, v in bad.items() if v}))
sys.exit(0 if ok else 1)
PY
}
