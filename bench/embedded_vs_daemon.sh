#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# embedded_vs_daemon.sh - does the server embedded in a Python program
# (stunring.serve, libstunring.so) answer at stunringd's rate?  The hot
# path never enters Python, so it should: same workers, same engine.
#
#   bench/embedded_vs_daemon.sh                   (after make)
#   ROUNDS=9 DURATION=10 WORKERS=1 bench/embedded_vs_daemon.sh
#
# Each round runs stunringd and the embedded server (python3 over
# tools/python), one after the other in an order that alternates, each on
# SERVER_CPUS with WORKERS workers, stunload on LOAD_CPUS (closed loop,
# SOCKETS x INFLIGHT) for DURATION seconds against 127.0.0.1.  Reported:
# every run's valid answers/s, the medians, and embedded/daemon (the
# median of the per-round ratios).  Run it on a quiet machine.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WORKERS=${WORKERS:-1}
SOCKETS=${SOCKETS:-16}
INFLIGHT=${INFLIGHT:-8}
SERVER_CPUS=${SERVER_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
PYTHON=${PYTHON:-/usr/bin/python3}
B=build
for f in "$B/stunringd" "$B/stunload" "$B/libstunring.so.0"; do
	[ -e "$f" ] || { echo "embedded_vs_daemon: $f missing: run make" >&2; exit 1; }
done
TMP=$(mktemp -d /tmp/embedded_vs_daemon.XXXXXX)
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

port() {
	"$PYTHON" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start KIND PORT: the server under test, in the background (SPID).
start() {
	case $1 in
	daemon)
		taskset -c "$SERVER_CPUS" "$B/stunringd" -l "127.0.0.1:$2" -w "$WORKERS" \
			--no-pin -L warn 2>>"$TMP/daemon.log" &
		;;
	embedded)
		STUNRING_LIB=$B/libstunring.so.0 PYTHONPATH=tools/python taskset -c "$SERVER_CPUS" \
			"$PYTHON" -c 'import signal, stunring, sys
srv = stunring.serve("127.0.0.1", int(sys.argv[1]), workers=int(sys.argv[2]))
signal.sigwait({signal.SIGTERM})
srv.stop()' "$2" "$WORKERS" 2>>"$TMP/embedded.log" &
		;;
	esac
	SPID=$!
	# Until it answers (bounded).
	for _ in $(seq 100); do
		"$B/stunload" -n 10 -s 1 "127.0.0.1:$2" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "embedded_vs_daemon: $1 never answered" >&2
	return 1
}

run() {		# run KIND: prints valid answers/s
	local p
	p=$(port)
	start "$1" "$p" || exit 1
	taskset -c "$LOAD_CPUS" "$B/stunload" --json -d "$DURATION" -s "$SOCKETS" -i "$INFLIGHT" \
		"127.0.0.1:$p" >"$TMP/load.json" 2>/dev/null
	kill "$SPID"
	wait "$SPID" 2>/dev/null
	SPID=
	"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(d["valid_per_s"]) if d["invalid"] == 0 else 0)' "$TMP/load.json"
}

echo "# $WORKERS worker(s) on CPUs $SERVER_CPUS, stunload on $LOAD_CPUS, ${DURATION}s x $ROUNDS rounds"
printf '%-6s %12s %12s %8s\n' round daemon embedded ratio
: >"$TMP/rows"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then d=$(run daemon); e=$(run embedded); else e=$(run embedded); d=$(run daemon); fi
	printf '%-6s %12s %12s %8s\n' "$r" "$d" "$e" "$(awk -v e="$e" -v d="$d" 'BEGIN { printf "%.3f", d ? e / d : 0 }')"
	echo "$d $e" >>"$TMP/rows"
done
"$PYTHON" - "$TMP/rows" <<'PY'
import statistics, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
d = statistics.median(r[0] for r in rows)
e = statistics.median(r[1] for r in rows)
ratio = statistics.median(r[1] / r[0] for r in rows if r[0])
print(f"median  {d:12.0f} {e:12.0f} {ratio:8.3f}  (embedded/daemon, median of the rounds' ratios)")
PY
