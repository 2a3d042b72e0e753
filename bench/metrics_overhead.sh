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
# shellcheck source=bench/overhead_lib.sh
. bench/overhead_lib.sh
ov_start off
ov_start on --metrics 127.0.0.1:0
ov_start ctl
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

run() { ov_run metrics_overhead "$@"; }

for r in $(seq "$ROUNDS"); do
	case $((r % 3)) in
	1) run off "$r"; run on "$r"; run ctl "$r" ;;
	2) run on "$r"; run ctl "$r"; run off "$r" ;;
	0) run ctl "$r"; run off "$r"; run on "$r" ;;
	esac
done
echo "metrics_overhead: $(cat "$WORK/scrapes" 2>/dev/null || echo 0) scrapes of /metrics" >&2
ov_summary "metrics overhead, $ROUNDS rounds x $DURATION s, medians (ctl: a second metrics-off daemon, the noise floor):" \
	off off:off on:on+scraped ctl:ctl
