#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# metrics_overhead.sh - what --metrics costs the workers: stunringd with
# metrics off against stunringd with --metrics and a scraper fetching its
# /metrics every second over a kept-alive connection (as Prometheus
# would), same binary, same load.
#
#   bench/metrics_overhead.sh            (or: make bench-metrics)
#   ROUNDS=9 DURATION=10 bench/metrics_overhead.sh
#
# As bench/compare.sh: each daemon gets CPU 0 and one worker, stunload gets
# CPU 1 (closed loop, SOCKETS sockets x INFLIGHT requests); the two
# variants alternate within each round, in swapped order every other round,
# because the machine is shared and noisy.  Per run: valid answers/s from
# stunload, and the daemon's CPU per answer (utime+stime of all its
# threads, the HTTP thread included, from /proc/PID/stat over the run).
# A third variant, ctl, is a second metrics-off daemon: ctl/off shows how
# far two identical daemons differ on this machine (the noise floor).
# Prints every run, then the medians, the ratios of the medians and the
# medians of the per-round ratios (on/off and ctl/off in the same round).
# Loopback only; every process it starts is stopped on exit.
#
# RATE=N (e.g. 250k) paces stunload in open loop instead: every variant
# then gets the same load, so CPU per answer compares the daemons at equal
# batch sizes (in closed loop a slower client also means smaller batches
# and more CPU per answer, whoever caused it).
# Environment: ROUNDS [7], DURATION [5] s, SOCKETS [64], INFLIGHT [8], RATE [closed loop],
# BUILD [build].
set -u
export LC_ALL=C
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-5}
SOCKETS=${SOCKETS:-64}
INFLIGHT=${INFLIGHT:-8}
cd "$(dirname "$0")/.." || exit 1
WORK=$(mktemp -d /tmp/metrics-overhead.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "metrics_overhead: $*" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (daemon on CPU 0, stunload on CPU 1)"
for f in "$BUILD/stunringd" "$BUILD/stunload"; do
	[ -x "$f" ] || die "$f is missing: run make"
done
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start NAME ARGS...: a daemon on CPU 0; sets PORT_<NAME>, PID_<NAME>.
start() {
	local name=$1 log=$WORK/$1.log port pid
	shift
	taskset -c 0 "$BUILD/stunringd" --workers 1 --listen 127.0.0.1:0 "$@" 2>"$log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 200); do
		grep -q ' ready: ' "$log" && break
		sleep 0.025
	done
	grep -q ' ready: ' "$log" || die "$name did not start: $(cat "$log")"
	port=$(sed -n 's/.* listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
	printf -v "PORT_$name" %s "$port"
	printf -v "PID_$name" %s "$pid"
}
start off
start on --metrics 127.0.0.1:0
start ctl
MURL=$(sed -n 's|.*metrics: \(http://[^ ,]*/metrics\).*|\1|p' "$WORK/on.log")
[ -n "$MURL" ] || die "no metrics URL in the log"

# The scraper: GET /metrics of the "on" daemon once a second over one
# kept-alive connection, as Prometheus with scrape_interval 1s does, for
# the whole benchmark.  It shares CPU 1 with stunload, in every variant
# alike: a scraper started for the "on" runs only lowered stunload's own
# rate by ~15% (python starting up), even while it scraped an idle daemon.
taskset -c 1 python3 - "$MURL" "$((ROUNDS * 3 * (DURATION + 3) + 30))" "$WORK/scrapes" <<'PY' &
import http.client, sys, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
for i in range(int(sys.argv[2])):
    c.request("GET", u.path)
    if b"stunring_responses_total" in c.getresponse().read():
        open(sys.argv[3], "w").write("%d\n" % (i + 1))
    time.sleep(1)
PY
PIDS+=($!)
sleep 2

if [ -n "${RATE:-}" ]; then LOAD=(--rate "$RATE"); else LOAD=(--inflight "$INFLIGHT"); fi

# run VARIANT ROUND: one stunload run; appends a line to $WORK/runs.
run() {
	local v=$1 r=$2 port pid t0 t1 f=$WORK/$1.$2.json
	port=PORT_$v pid=PID_$v
	t0=$(cpu_ticks "${!pid}")
	"$BUILD/stunload" --sockets "$SOCKETS" "${LOAD[@]}" --threads 1 --cpus 1 \
		--no-progress --json -d "$DURATION" "127.0.0.1:${!port}" >"$f" ||
		die "stunload against $v failed: $(cat "$f")"
	t1=$(cpu_ticks "${!pid}")
	python3 - "$f" "$v" "$r" "$t0" "$t1" "$CLK_TCK" >>"$WORK/runs" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
v, r, t0, t1, hz = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu = (t1 - t0) / hz
print(f"{r} {v} {j['valid_per_s']:.0f} {cpu * 1e6 / max(j['valid'], 1):.3f} {j['lost']}")
PY
	tail -1 "$WORK/runs" | awk '{printf "metrics_overhead: round %s %-3s %8d answers/s %7.3f us CPU/answer lost %s\n", $1, $2, $3, $4, $5}' >&2
}

for r in $(seq "$ROUNDS"); do
	case $((r % 3)) in
	1) run off "$r"; run on "$r"; run ctl "$r" ;;
	2) run on "$r"; run ctl "$r"; run off "$r" ;;
	0) run ctl "$r"; run off "$r"; run on "$r" ;;
	esac
done
echo "metrics_overhead: $(cat "$WORK/scrapes" 2>/dev/null || echo 0) scrapes of /metrics" >&2
python3 - "$WORK/runs" "$ROUNDS" "$DURATION" <<'PY'
import statistics as st, sys
runs = [l.split() for l in open(sys.argv[1])]
val = {(x[0], x[1]): (float(x[2]), float(x[3])) for x in runs}
rounds = sorted({x[0] for x in runs}, key=int)
def med(v, i):
    return st.median(val[r, v][i] for r in rounds)
def pair(v, i):	# median over rounds of v/off within the round
    return st.median(val[r, v][i] / val[r, "off"][i] for r in rounds)
print(f"metrics overhead, {sys.argv[2]} rounds x {sys.argv[3]} s, medians "
      "(ctl: a second metrics-off daemon, the noise floor):")
for i, what, fmt in ((0, "answers/s    ", "9.0f"), (1, "us CPU/answer", "9.3f")):
    print(f"  {what}  off {med('off', i):{fmt}}  on+scraped {med('on', i):{fmt}}  "
          f"ctl {med('ctl', i):{fmt}} | ratio of medians on/off {med('on', i) / med('off', i):.3f} "
          f"ctl/off {med('ctl', i) / med('off', i):.3f} | median of per-round ratios "
          f"on/off {pair('on', i):.3f} ctl/off {pair('ctl', i):.3f}")
PY
