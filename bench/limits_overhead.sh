#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# limits_overhead.sh - what the abuse limits (ACL, per-source rate limits,
# global cap) cost when they are on but refuse nothing: the same build
# with them off and on, side by side in one run, in both paths.
#
#   bench/limits_overhead.sh            (or: make bench-limits; root for the XDP part)
#   ROUNDS=9 DURATION=10 bench/limits_overhead.sh
#
# 1. stunringd, as bench/metrics_overhead.sh (bench/overhead_lib.sh): one
#    worker on CPU 0, stunload on CPU 1 (closed loop, SOCKETS x INFLIGHT,
#    or RATE= open loop), answers/s and the daemon's CPU per answer.
#    Variants: off (no limits), lim (LIMITS_D below) and ctl, a second
#    "off" daemon: ctl/off is the A/A control, the noise floor.
# 2. The XDP responder, as bpf/bench_xdp.sh (bpf/bench_xdp_lib.sh): the
#    in-kernel live-frame generator -> veth -> the program -> the counting
#    program on the peer, XDP_COUNT requests per run.  Variants: the bare
#    reflector (bpf/xdp_reflect.bpf.c), stun (no limits), stun_lim
#    (LIMITS_X) and stun_ctl (no limits again: the A/A control).
# The variants alternate within each round, in an order rotated every
# round (the machine is shared and noisy).  Reported: every run, the
# medians, the ratios of the medians and the medians of the per-round
# ratios; for XDP also the limits' cost in ns per answer (1/rate
# difference, per round).
#
# The limits are on with rates no client here reaches (100 M/s per source,
# errors and the global cap alike), and the ACL is really evaluated: an
# allow list holding the clients' prefix (last, after three that do not
# match) and a deny list of four prefixes that do not match.  Before the
# rounds, two short probes prove that this setup does reach the limits:
# the same limits with a low rate must refuse some answers (rate_limit),
# and a deny entry for the client must refuse them all (acl).
#
# PROG_STATS=1 (the default) adds, after the rounds, ROUNDS more runs of
# the three XDP programs with the kernel's BPF run-time statistics on
# (BPF_ENABLE_STATS, held only for these runs, since it slows every BPF
# program on the machine a little): each program's own time per packet,
# run_time_ns / run_cnt.  That is the steadier measure of what the limits
# cost the program, because another job's time on the CPU is not in it.
#
# Invalid if any run gets an invalid answer, or if a limited variant
# refused anything (the daemons' drop counters, the XDP program's
# drop_acl / drop_rate_limit / drop_global_cap / dropped): the script
# then exits 1.  The table also goes to RESULTS/limits_overhead.txt.
#
# Environment: ROUNDS [5], DURATION [5] s, SOCKETS [64], INFLIGHT [8],
# RATE [closed loop], DAEMON [1: run part 1], XDP [1: run part 2; needs
# root], XDP_COUNT [1000000],
# PROG_STATS [1], XDP_LIMITS [LIMITS_X below], PROBES [1: the probes before
# the rounds], GEN_CPU [last CPU], RESULTS [bench/results], BUILD [build].
set -u
export LC_ALL=C
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
SOCKETS=${SOCKETS:-64}
INFLIGHT=${INFLIGHT:-8}
XDP=${XDP:-1}
DAEMON=${DAEMON:-1}
PROG_STATS=${PROG_STATS:-1}
COUNT=${XDP_COUNT:-1000000}
GEN_CPU=${GEN_CPU:-$(($(nproc) - 1))}
RESULTS=${RESULTS:-bench/results}
cd "$(dirname "$0")/.." || exit 1
WORK=$(mktemp -d /tmp/limits-overhead.XXXXXX)
TMP=$WORK
PIDS=()
r=0
die() { echo "limits_overhead: $*" >&2; exit 1; }
# shellcheck source=bench/overhead_lib.sh
. bench/overhead_lib.sh
# shellcheck source=bpf/bench_xdp_lib.sh
. bpf/bench_xdp_lib.sh
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	xb_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (daemon on CPU 0, stunload on CPU 1)"
case "$ROUNDS$DURATION$COUNT" in *[!0-9]*) die "ROUNDS, DURATION and XDP_COUNT are numbers";; esac
[ "$ROUNDS" -ge 1 ] && [ "$COUNT" -ge 1000 ] || die "ROUNDS >= 1 and XDP_COUNT >= 1000"
for f in stunringd stunload stunctl bpf/xdp_reflect.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f is missing: run make"
done
if [ "$XDP" = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "limits_overhead: not root: the XDP part is skipped (XDP=0)" >&2
	XDP=0
fi

# The limits: rates far above what one client reaches here; the ACL with
# the clients' prefix at the end of the allow list (every entry before it
# is tried: the daemon scans, XDP walks an LPM trie) and a deny list that
# is always looked up and never matches.
RATES=(--rate-limit 100M/100M --max-response-rate 100M)
ACL_COMMON=(--allow 192.168.0.0/16 --allow 172.16.0.0/12 --allow fd00::/8
	    --deny 198.51.100.0/24 --deny 203.0.113.0/24 --deny 2001:db8::/32)
LIMITS_D=("${RATES[@]}" --error-rate-limit 100M/100M "${ACL_COMMON[@]}"
	  --deny 127.66.0.0/16 --allow 127.0.0.0/8)
LIMITS_X=("${RATES[@]}" "${ACL_COMMON[@]}" --deny 10.66.1.0/24 --allow 10.66.0.0/24)
# XDP_LIMITS="--max-response-rate 100M" (word-split) replaces LIMITS_X: a
# profiling aid, to see what each limit costs on its own.
if [ -n "${XDP_LIMITS:-}" ]; then read -ra LIMITS_X <<<"$XDP_LIMITS"; fi

if [ -n "${RATE:-}" ]; then LOAD=(--rate "$RATE"); else LOAD=(--inflight "$INFLIGHT"); fi
CMD="ROUNDS=$ROUNDS DURATION=$DURATION${RATE:+ RATE=$RATE} XDP_COUNT=$COUNT DAEMON=$DAEMON XDP=$XDP bench/limits_overhead.sh"
HEAD="# $CMD   ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "$HEAD" >&2
BAD=

DAEMON_TABLE="stunringd: skipped (DAEMON=0)" DAEMON_TOTALS=""
if [ "$DAEMON" = 1 ]; then
	# --- The probes: these limits, with a low rate or the client denied, do
	# refuse answers in this very setup (else the benchmark measures nothing).
	ov_start probe "${LIMITS_D[@]/#100M\/100M/2000/100}"
	# shellcheck disable=SC2154 # PORT_* are set by ov_start
	port=$PORT_probe
	"$BUILD/stunload" -n 20000 -r 20k -T 100ms -q "127.0.0.1:$port"
	ov_stop probe; probe=$TOTALS
	case "$probe" in *" rate_limit="[1-9]*) ;; *) die "probe: a 2000/s rate limit refused nothing: $probe $(cat "$WORK/probe.log")";; esac
	case "$probe" in *" acl="*) die "probe: the ACL refused the allowed client: $probe";; esac
	ov_start probe_acl "${LIMITS_D[@]}" --deny 127.0.0.1/32
	# shellcheck disable=SC2154
	port=$PORT_probe_acl
	"$BUILD/stunload" -n 1000 -T 100ms -q "127.0.0.1:$port"
	ov_stop probe_acl; probe=$TOTALS
	case "$probe" in *" answered=0 "*" acl=1000"*) ;; *) die "probe: a denied client was answered: $probe";; esac
	echo "limits_overhead: probes: stunringd refuses with these limits at a low rate and with the client denied" >&2

	# --- Part 1: stunringd.
	ov_start off
	ov_start lim "${LIMITS_D[@]}"
	ov_start ctl
	for r in $(seq "$ROUNDS"); do
		case $((r % 3)) in
		1) order=(off lim ctl) ;;
		2) order=(lim ctl off) ;;
		0) order=(ctl off lim) ;;
		esac
		for v in "${order[@]}"; do ov_run limits_overhead "$v" "$r"; done
	done
	DAEMON_TOTALS=""
	for v in off lim ctl; do
		ov_stop "$v"; t=$TOTALS
		DAEMON_TOTALS+="  $v: ${t%% | batches*}"$'\n'
		case "$t" in *" dropped=0 "*) ;; *) BAD+="stunringd $v dropped requests: $t"$'\n' ;; esac
	done
	DAEMON_TABLE=$(ov_summary "stunringd (1 worker on CPU 0, stunload on CPU 1, ${RATE:-closed loop} ${LOAD[*]}), $ROUNDS rounds x $DURATION s, medians; ctl: a second limits-off daemon (A/A):" \
		off off:off lim:limits+ACL ctl:ctl)
fi

# --- Part 2: the XDP responder.
# xdp_check NAME: the program's counters after a run; any refusal
# makes the benchmark invalid.
xdp_check() {
	python3 - "$1" "$TMP/counters.json" <<'PY'
import json, sys
name, path = sys.argv[1:3]
try:
    j = json.load(open(path))
except ValueError:
    print(f"{name}: no counters from stunctl stats")
    sys.exit()
c = {}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if isinstance(v, int) and not isinstance(v, bool):
                c[k] = c.get(k, 0) + v
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(j)
bad = {k: c.get(k, 0) for k in ("dropped", "drop_acl", "drop_rate_limit", "drop_global_cap")}
if "answered_v4" not in c:
    print(f"{name}: no answered_v4 in the counters")
elif any(bad.values()):
    print(f"{name}: refused or dropped: {bad}")
PY
}
# prog_ns NAME: with the statistics on, the program on $SIF's time per
# packet to $TMP/ns_NAME.
prog_ns() {
	[ -n "$STATS_PID" ] || return 0
	local id
	id=$(ip -n "$SNS" -j link show "$SIF" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
	bpftool prog show id "$id" --json | python3 -c 'import json, sys
j = json.load(sys.stdin)
if j.get("run_cnt", 0) > 1000:
    print("%.1f" % (j["run_time_ns"] / j["run_cnt"]))' >>"$TMP/ns_$1"
}
STATS_PID=
run_xdp() {
	case $1 in
	reflector) reflector_on; load reflector --echo; xdp_off ;;
	stun | stun_ctl | stun_ps) stun_on; load "$1"; prog_ns "$1"; stun_off ;;
	stun_lim | stun_lim_ps) stun_on "${LIMITS_X[@]}"
		srv "$BUILD/stunctl" limits "$SIF" --json --top 0 >"$TMP/limits.json"
		load "$1"; prog_ns "$1"; stun_off ;;
	reflector_ps) reflector_on; load "$1" --echo; prog_ns "$1"; xdp_off ;;
	esac
	case $1 in stun*) msg=$(xdp_check "$1 round $r"); [ -z "$msg" ] || BAD+="$msg"$'\n' ;; esac
}

XDP_TABLE="XDP: skipped (needs root; XDP=1)"
if [ "$XDP" = 1 ]; then
	xb_setup "xlim$$"
	[ "${PROBES:-1}" = 1 ] || echo "limits_overhead: PROBES=0: the XDP probes are skipped" >&2
	# Probes: the same limits at 2000/s refuse; a denied client gets nothing.
	COUNT_SAVED=$COUNT COUNT=20000 r=probe
	if [ "${PROBES:-1}" = 1 ]; then
		stun_on "${LIMITS_X[@]/#100M\/100M/2000/100}"
		load probe_rate; stun_off
		grep -q '"drop_rate_limit": *[1-9]' "$TMP/counters.json" ||
			die "XDP probe: a 2000/s rate limit refused nothing: $(tr -d '\n\t ' <"$TMP/counters.json")"
		grep -q '"drop_acl": *[1-9]' "$TMP/counters.json" &&
			die "XDP probe: the ACL refused the allowed client: $(tr -d '\n\t ' <"$TMP/counters.json")"
		# (stunload gives up when its first request gets no answer.)
		stun_on "${LIMITS_X[@]}" --deny 10.66.0.2/32
		load probe_acl 2>/dev/null; stun_off
		grep -q '"drop_acl": *[1-9]' "$TMP/counters.json" && grep -q '"answered_v4": *0,' "$TMP/counters.json" ||
			die "XDP probe: a denied client was answered: $(tr -d '\n\t ' <"$TMP/counters.json")"
	fi
	COUNT=$COUNT_SAVED
	: >"$TMP/quality"
	echo "limits_overhead: probes: the XDP program refuses with these limits at a low rate and with the client denied" >&2
	XV=(reflector stun stun_lim stun_ctl)
	for r in $(seq "$ROUNDS"); do
		for i in 0 1 2 3; do run_xdp "${XV[$(((i + r) % 4))]}"; done
	done
	if [ "$PROG_STATS" = 1 ]; then
		# BPF_ENABLE_STATS (bpf() command 32) while this helper lives.
		python3 - <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
attr = (ctypes.c_uint32 * 32)()	# enable_stats.type = BPF_STATS_RUN_TIME (0)
if libc.syscall(321, 32, ctypes.byref(attr), ctypes.sizeof(attr)) < 0:
    sys.exit("limits_overhead: BPF_ENABLE_STATS: %s" % os.strerror(ctypes.get_errno()))
time.sleep(3600)
PY
		STATS_PID=$!
		PIDS+=("$STATS_PID")
		sleep 0.5
		PV=(reflector_ps stun_ps stun_lim_ps)
		for r in $(seq "$ROUNDS"); do
			for i in 0 1 2; do run_xdp "${PV[$(((i + r) % 3))]}"; done
		done
		kill "$STATS_PID"
		wait "$STATS_PID" 2>/dev/null
		STATS_PID=
	fi
	awk '$3 != 0 {print "XDP " $1 " round " $2 ": " $3 " invalid answers"}' "$TMP/quality" >"$TMP/invalid"
	BAD+=$(cat "$TMP/invalid")
	LIM_CFG=$(tr -d '\n\t ' <"$TMP/limits.json")
	XDP_TABLE=$(
		echo "XDP responder (live-frame generator on CPU $GEN_CPU -> veth -> program -> counting program), $ROUNDS rounds x $COUNT requests:"
		echo "  answers/s medians: reflector $(median "$TMP/reflector")  stun $(median "$TMP/stun")  stun+limits $(median "$TMP/stun_lim")  stun ctl $(median "$TMP/stun_ctl")"
		report "  limits+ACL on / off" stun_lim stun; LIM=$MEDIAN_RATIO
		report "  ctl / off (A/A)    " stun_ctl stun; CTL=$MEDIAN_RATIO
		report "  limits+ACL / bare reflector" stun_lim reflector; LREF=$MEDIAN_RATIO
		report "  off / bare reflector" stun reflector; OREF=$MEDIAN_RATIO
		paste "$TMP/stun_lim" "$TMP/stun" | awk '$1 > 0 && $2 > 0 {printf "%.1f\n", 1e9 / $1 - 1e9 / $2}' >"$TMP/ns"
		echo "  cost of the limits per answer (1/rate on - 1/rate off, the generator's CPU): per round $(tr '\n' ' ' <"$TMP/ns")ns (median $(median "$TMP/ns") ns)"
		awk -v l="$LIM" -v c="$CTL" -v r="$LREF" -v o="$OREF" 'BEGIN {
			printf "  targets (median per-round ratios): XDP limits on/off >= 0.95: %s (%.3f, A/A %.3f); limits on / bare reflector >= 0.90: %s (%.3f; off %.3f)\n",
				(l >= 0.95 ? "met" : "NOT met"), l, c, (r >= 0.90 ? "met" : "NOT met"), r, o }'
		if [ "$PROG_STATS" = 1 ] && [ -s "$TMP/ns_stun_ps" ] && [ -s "$TMP/ns_stun_lim_ps" ]; then
			paste "$TMP/ns_stun_lim_ps" "$TMP/ns_stun_ps" | awk '{printf "%.1f\n", $1 - $2}' >"$TMP/ns_diff"
			echo "  the programs' own time per packet (BPF run-time statistics, $ROUNDS more runs each, medians): reflector $(median "$TMP/ns_reflector_ps") ns, stun $(median "$TMP/ns_stun_ps") ns, stun+limits $(median "$TMP/ns_stun_lim_ps") ns: the limits cost $(median "$TMP/ns_diff") ns per packet (per round $(tr '\n' ' ' <"$TMP/ns_diff")ns)"
		fi
		echo "  limits as attached (stunctl limits --json): $LIM_CFG"
	)
fi

# The daemon's target line, from its table's per-round ratios.
DT=$(echo "$DAEMON_TABLE" | awk '/answers\/s/ {
	for (i = 1; i <= NF; i++) if ($i == "per-round") print $(i + 3) }')
{
	echo "$HEAD"
	echo "$DAEMON_TABLE"
	if [ "$DAEMON" = 1 ]; then
		echo "  target (median per-round ratio): stunringd limits on/off answers/s >= 0.95: $(awk -v d="$DT" 'BEGIN { print (d >= 0.95 ? "met" : "NOT met") " (" d ")" }')"
		echo "  daemon totals at the end (dropped must be 0):"
		printf '%s' "$DAEMON_TOTALS"
		echo "  limits (stunringd): ${LIMITS_D[*]}"
	fi
	echo "$XDP_TABLE"
	[ "$XDP" = 1 ] && echo "  limits (XDP): ${LIMITS_X[*]}"
	if [ -n "$BAD" ]; then echo "INVALID:"; printf '%s' "$BAD"; else echo "valid: no invalid answer, no refusal, no drop in any run"; fi
} >"$WORK/table"
mkdir -p "$RESULTS"
cp "$WORK/table" "$RESULTS/limits_overhead.txt"
cat "$WORK/table"
[ -z "$BAD" ]
