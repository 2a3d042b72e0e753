# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# overhead_lib.sh - the pieces of an A/B benchmark of stunringd variants
# (same binary, different options), sourced by bench/metrics_overhead.sh
# and bench/limits_overhead.sh: each variant is one daemon with one worker
# on CPU 0, stunload drives it from CPU 1, and every run records valid
# answers/s and the daemon's CPU per answer (utime+stime of all its
# threads from /proc/PID/stat over the run).
#
# The caller sets BUILD, WORK (a private directory), DURATION, SOCKETS,
# LOAD (stunload's load options, an array), PIDS=() (killed by its EXIT
# trap) and defines die().  Runs go to $WORK/runs, one line each:
# "ROUND VARIANT ANSWERS_PER_S US_CPU_PER_ANSWER LOST INVALID".

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ov_start NAME ARGS...: a daemon on CPU 0, loopback, a kernel-picked
# port; sets PORT_<NAME> and PID_<NAME>.
ov_start() {
	local name=$1 log=$WORK/$1.log port pid
	shift
	taskset -c 0 "$BUILD/stunringd" --workers 1 --listen 127.0.0.1:0 "$@" 2>"$log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 200); do
		grep -qs ' ready: ' "$log" && break
		sleep 0.025
	done
	grep -q ' ready: ' "$log" || die "$name did not start: $(cat "$log")"
	port=$(sed -n 's/.* listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
	printf -v "PORT_$name" %s "$port"
	printf -v "PID_$name" %s "$pid"
}

# ov_stop NAME: SIGTERM, wait, and set TOTALS to the daemon's "totals:"
# line (its counters over its whole life: dropped=, and the reasons).  Not
# in a $(...): a subshell cannot wait for the daemon.
ov_stop() {
	local pid=PID_$1
	kill "${!pid}" 2>/dev/null
	wait "${!pid}" 2>/dev/null
	# shellcheck disable=SC2034 # the caller's result
	TOTALS=$(sed -n 's/.* totals: //p' "$WORK/$1.log")
}

# ov_run TAG VARIANT ROUND: one stunload run against VARIANT's daemon.
ov_run() {
	local tag=$1 v=$2 r=$3 port pid t0 t1 f=$WORK/$2.$3.json
	port=PORT_$v pid=PID_$v
	t0=$(cpu_ticks "${!pid}")
	"$BUILD/stunload" --sockets "$SOCKETS" "${LOAD[@]}" --threads 1 --cpus 1 \
		--no-progress --json -d "$DURATION" "127.0.0.1:${!port}" >"$f" ||
		die "stunload against $v failed (exit 1: an invalid answer): $(cat "$f")"
	t1=$(cpu_ticks "${!pid}")
	python3 - "$f" "$v" "$r" "$t0" "$t1" "$CLK_TCK" >>"$WORK/runs" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
v, r, t0, t1, hz = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu = (t1 - t0) / hz
print(f"{r} {v} {j['valid_per_s']:.0f} {cpu * 1e6 / max(j['valid'], 1):.3f} {j['lost']} {j['invalid']}")
PY
	tail -1 "$WORK/runs" | awk -v t="$tag" '{printf "%s: round %s %-3s %8d answers/s %7.3f us CPU/answer lost %s invalid %s\n", t, $1, $2, $3, $4, $5, $6}' >&2
}

# ov_summary TITLE BASE VARIANT:LABEL...: the medians per variant, the
# ratios of the medians to BASE's and the medians over rounds of the
# per-round ratios (VARIANT/BASE within the same round).
ov_summary() {
	python3 - "$WORK/runs" "$@" <<'PY'
import statistics as st, sys
runs = [l.split() for l in open(sys.argv[1])]
title, base, vs = sys.argv[2], sys.argv[3], [a.split(":", 1) for a in sys.argv[4:]]
val = {(x[0], x[1]): (float(x[2]), float(x[3])) for x in runs}
rounds = sorted({x[0] for x in runs}, key=int)
def med(v, i):
    return st.median(val[r, v][i] for r in rounds)
def pair(v, i):	# rounds without a measurable base (0 CPU ticks) left out
    return st.median([val[r, v][i] / val[r, base][i] for r in rounds if val[r, base][i]] or [0])
print(title)
for i, what, fmt in ((0, "answers/s    ", "9.0f"), (1, "us CPU/answer", "9.3f")):
    print(f"  {what}  " + "  ".join(f"{lab} {med(v, i):{fmt}}" for v, lab in vs) +
          " | ratio of medians " + " ".join(f"{v}/{base} {med(v, i) / (med(base, i) or 1):.3f}"
                                            for v, _ in vs if v != base) +
          " | median of per-round ratios " + " ".join(f"{v}/{base} {pair(v, i):.3f}"
                                                     for v, _ in vs if v != base))
PY
}
