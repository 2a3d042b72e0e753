#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare.sh - the side-by-side benchmark: stunringd (io_uring and
# recvmmsg engines) against the minimal recvmmsg/sendmmsg reflector (the
# kernel's limit), coturn (turnserver --stun-only) and Debian's stund, all
# driven by the same stunload settings, plus once the XDP live-frame
# benchmark (bpf/bench_xdp.sh).
#
#   bench/compare.sh                     (or: make bench)
#   ROUNDS=5 DURATION=10 bench/compare.sh
#
# Fairness on a 2-CPU machine: every server gets CPU 0 and one worker
# (stunringd --workers 1, stun-reflector --threads 1, coturn -m 1, stund
# is single-threaded; taskset -c 0 for all of them), stunload gets CPU 1
# (--cpus 1).  The systems alternate within each round (A B C D E, A B C D
# E, ...) because the machine is shared and noisy; the report gives
# medians and min-max of the rounds.
#
# Per system and round:
#   (a) max rate: closed-loop stunload for DURATION s, valid answers/s;
#   (b) latency p50/p99 at a fixed open-loop rate (RATE/s, LAT_DURATION s);
#   (c) the server's CPU per answer: utime+stime of the process (all its
#       threads) from /proc/PID/stat over run (a), divided by the answers;
#       the same over run (b), where every server gets the same load.
# The reflector is also driven by a second load generator, pion/stun's
# stun-bench (Debian golang-github-pion-stun-dev), to show stunload is not
# the limit.
# Any invalid answer, or a run where nothing was answered, stops the
# benchmark with an error: a server that answers wrongly gets no number.
#
# Environment (defaults in brackets): ROUNDS [5], DURATION [5] s,
# RATE [20000]/s, LAT_DURATION [3] s, SOCKETS [64], INFLIGHT [8],
# SYSTEMS [all: reflector uring mmsg coturn stund], PION_WORKERS [32],
# XDP [1: run bpf/bench_xdp.sh XDP_ROUNDS XDP_FRAMES, 9 x 1000000],
# VARIANT2 [0: 1 adds 2-worker variants, servers and stunload unpinned
# over both CPUs], RESULTS [bench/results], BUILD [build].
#
# Writes RESULTS/compare.md, compare.csv and compare.png.  Uses only
# loopback (127.0.0.1, and 127.0.0.2 as stund's second address) and the
# network namespaces bench_xdp.sh creates.  Cleans up on exit and Ctrl-C.
set -u
export LC_ALL=C

BUILD=${BUILD:-build}
RESULTS=${RESULTS:-bench/results}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
RATE=${RATE:-20000}
LAT_DURATION=${LAT_DURATION:-3}
SOCKETS=${SOCKETS:-64}
INFLIGHT=${INFLIGHT:-8}
SYSTEMS=${SYSTEMS:-reflector uring mmsg coturn stund}
PION_WORKERS=${PION_WORKERS:-32}
XDP=${XDP:-1}
XDP_ROUNDS=${XDP_ROUNDS:-9}
XDP_FRAMES=${XDP_FRAMES:-1000000}
VARIANT2=${VARIANT2:-0}
HERE=$(cd "$(dirname "$0")" && pwd)
# Paths (BUILD, RESULTS) are relative to the top of the tree, as in make.
cd "$HERE/.." || exit 1

die() { echo "compare: $*" >&2; exit 1; }
log() { echo "compare: $*" >&2; }

for v in ROUNDS DURATION RATE LAT_DURATION SOCKETS INFLIGHT PION_WORKERS XDP_ROUNDS XDP_FRAMES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (server on CPU 0, stunload on CPU 1)"

# --- what we need ----------------------------------------------------------
for b in stunringd stunload stun-reflector; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is missing: run 'make bench' (or make $BUILD/$b)"
done
# The peers come from Debian, as make deps installs them.
need_pkg() {	# need_pkg PACKAGE COMMAND
	command -v "$2" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		die "$2 not found: install Debian package $1 (as root: make deps, or apt-get install $1)"
	fi
	log "installing Debian package $1 for $2"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$1" >&2; } ||
		die "cannot install $1"
	command -v "$2" >/dev/null 2>&1 || die "$2 still missing after installing $1"
}
PATH=$PATH:/usr/sbin:/sbin
case " $SYSTEMS " in *" coturn "*) need_pkg coturn turnserver ;; esac
case " $SYSTEMS " in *" stund "*) need_pkg stun-server stund ;; esac
need_pkg gnuplot-nox gnuplot
need_pkg python3 python3
PION=$BUILD/bench/stun-bench	# pion/stun's load tool, built by bench/compare.mk
CLK_TCK=$(getconf CLK_TCK)

# --- processes we start, and their cleanup -----------------------------------
WORK=$(mktemp -d /tmp/stunring-compare.XXXXXX) || die "mktemp failed"
# Private copies: the same binaries for the whole run, even if the tree is
# rebuilt meanwhile.
mkdir -p "$WORK/bin" && cp "$BUILD/stunringd" "$BUILD/stunload" "$BUILD/stun-reflector" "$WORK/bin/" ||
	die "cannot copy the binaries to $WORK"
[ -x "$PION" ] && cp "$PION" "$WORK/bin/" && PION=$WORK/bin/stun-bench
BIN=$WORK/bin
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		sleep 0.3
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	# Children still running (a stunload interrupted mid-run): by PID only.
	local p
	for p in $(jobs -p); do kill -TERM "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "compare: interrupted" >&2; exit 130' INT TERM

# A UDP port P such that P and P+1 are free on 127.0.0.1 and 127.0.0.2
# (stund binds both ports on both addresses).
free_port() {
	python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 60000)
    socks = []
    try:
        for a in ("127.0.0.1", "127.0.0.2"):
            for q in (p, p + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((a, q))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(p)
    break
else:
    raise SystemExit("no free port")
EOF
}

# start_server SYSTEM PORT: starts it on 127.0.0.1:PORT pinned as the
# fairness rules say, sets SERVER_PID (the server's own pid: taskset execs).
start_server() {
	local sys=$1 port=$2 out=$WORK/$1.log
	local pin="taskset -c 0" w=1
	case $sys in *-2w) pin="taskset -c 0,1"; w=2 ;; esac
	case $sys in
	reflector|reflector-2w)
		$pin "$BIN/stun-reflector" --threads $w $([ $w -gt 1 ] && echo --pin) "127.0.0.1:$port" >"$out" 2>&1 & ;;
	uring|uring-2w)
		$pin "$BIN/stunringd" -l "127.0.0.1:$port" -w $w -e uring >"$out" 2>&1 & ;;
	mmsg)
		$pin "$BIN/stunringd" -l "127.0.0.1:$port" -w $w -e mmsg >"$out" 2>&1 & ;;
	coturn|coturn-2w)
		# -n: no config file; loopback only; no TCP/TLS/DTLS/CLI; -m N: N
		# relay (UDP) threads; logs to our file only.
		$pin turnserver -n --stun-only -L 127.0.0.1 -p "$port" --no-tcp --no-tls \
			--no-dtls --no-cli -m $w --no-software-attribute \
			--log-file stdout --simple-log --no-stdout-log \
			--pidfile "$WORK/turnserver.pid" >"$out" 2>&1 & ;;
	stund)
		# RFC 3489 needs a second address and port: 127.0.0.2, PORT+1.
		$pin stund -h 127.0.0.1 -a 127.0.0.2 -p "$port" -o $((port + 1)) >"$out" 2>&1 & ;;
	*) die "unknown system '$sys'" ;;
	esac
	SERVER_PID=$!
}

stop_server() {
	local pid=$SERVER_PID i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		# A zombie is gone but for its exit status.
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
		log "$1 (pid $pid) ignored SIGTERM for 5 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	SERVER_PID=
	[ -e "/proc/$pid" ] && die "$1 (pid $pid) is still there after being stopped"
	return 0
}

# wait_answering SYSTEM PORT: short stunload probes until one is answered
# correctly (at most 5 s).
wait_answering() {
	local i
	for i in $(seq 25); do
		kill -0 "$SERVER_PID" 2>/dev/null ||
			die "$1 exited at start: $(tail -3 "$WORK/$1.log")"
		"$BIN/stunload" --count 20 --sockets 4 --timeout 200ms --no-progress -q \
			"127.0.0.1:$2" 2>/dev/null && return 0
		sleep 0.2
	done
	die "$1 does not answer on 127.0.0.1:$2 after 5 s: $(tail -3 "$WORK/$1.log")"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# json FILE FIELD...: prints the fields (dotted paths) of stunload's JSON.
json() {
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for f in sys.argv[2:]:
    v = d
    for k in f.split("."):
        v = v[k]
    out.append(str(v))
print(" ".join(out))
EOF
}

# check_run SYSTEM KIND FILE STATUS: an invalid answer, or nothing valid,
# fails the benchmark loudly.
check_run() {
	local sys=$1 kind=$2 f=$3 st=$4 inv
	[ -s "$f" ] || die "$sys $kind: stunload printed nothing (exit $st)"
	inv=$(json "$f" invalid) || die "$sys $kind: unreadable stunload JSON"
	if [ "$inv" != 0 ] || [ "$st" = 1 ]; then
		die "$sys $kind: $inv INVALID answers ($(json "$f" invalid_by_kind)): this server answers wrongly, it gets no number"
	fi
	[ "$st" = 0 ] || die "$sys $kind: stunload exited $st ($(json "$f" result 2>/dev/null))"
}

CSV=$WORK/compare.csv
echo "round,system,tool,workers,valid_per_s,sent,answered,valid,invalid,lost,duration_s,server_cpu_s,cpu_us_per_answer,lat_rate,lat_valid_per_s,lat_lost,lat_p50_us,lat_p99_us,lat_cpu_us_per_answer" >"$CSV"

STUNLOAD_ARGS="--sockets $SOCKETS --inflight $INFLIGHT --threads 1 --cpus 1 --no-progress --json"
LAT_ARGS="--sockets $SOCKETS --rate $RATE --threads 1 --cpus 1 --no-progress --json"

# measure SYSTEM ROUND: one slot of the alternation.
measure() {
	local sys=$1 r=$2 port w=1 sl_args=$STUNLOAD_ARGS lat_args=$LAT_ARGS
	local t0 t1 st cpu_s per lper lval f=$WORK/$1.$2.max.json lf=$WORK/$1.$2.lat.json
	case $sys in *-2w)
		w=2
		sl_args="--sockets $SOCKETS --inflight $INFLIGHT --threads 2 --cpus 0,1 --no-progress --json"
		lat_args="--sockets $SOCKETS --rate $RATE --threads 2 --cpus 0,1 --no-progress --json" ;;
	esac
	port=$(free_port) || die "no free UDP port on loopback"
	start_server "$sys" "$port"
	wait_answering "$sys" "$port"

	# (a) + (c): max rate, the server's CPU over the same interval.
	t0=$(cpu_ticks "$SERVER_PID")
	"$BIN/stunload" $sl_args --duration "$DURATION" "127.0.0.1:$port" >"$f"
	st=$?
	t1=$(cpu_ticks "$SERVER_PID")
	check_run "$sys" "max-rate run" "$f" "$st"
	read -r vps sent ans val inv lost dur <<<"$(json "$f" valid_per_s sent answered valid invalid lost duration_s)"
	cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / hz}')
	per=$(awk -v c="$cpu_s" -v n="$val" 'BEGIN {printf "%.3f", (n > 0 ? c * 1e6 / n : 0)}')

	# (b): latency at a rate every system sustains.
	# Also the server's CPU per answer at this equal load (a rate-bound
	# figure: per-wakeup costs, small batches).
	t0=$(cpu_ticks "$SERVER_PID")
	"$BIN/stunload" $lat_args --duration "$LAT_DURATION" "127.0.0.1:$port" >"$lf"
	st=$?
	t1=$(cpu_ticks "$SERVER_PID")
	check_run "$sys" "fixed-rate run" "$lf" "$st"
	read -r lvps llost p50 p99 lval <<<"$(json "$lf" valid_per_s lost latency_us.p50 latency_us.p99 valid)"
	lper=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v n="$lval" \
		'BEGIN {printf "%.3f", (n > 0 ? (b - a) / hz * 1e6 / n : 0)}')

	printf '%s,%s,stunload,%s,%.0f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.0f,%s,%.1f,%.1f,%s\n' \
		"$r" "$sys" "$w" "$vps" "$sent" "$ans" "$val" "$inv" "$lost" "$dur" "$cpu_s" "$per" \
		"$RATE" "$lvps" "$llost" "$p50" "$p99" "$lper" >>"$CSV"
	printf 'compare: round %s %-12s %8.0f valid/s  lost %-6s cpu %5s s = %6s us/answer | @%s/s p50 %7.1f p99 %8.1f us lost %s cpu %s us/answer\n' \
		"$r" "$sys" "$vps" "$lost" "$cpu_s" "$per" "$RATE" "$p50" "$p99" "$llost" "$lper" >&2

	# The second tool, on the reflector only: pion/stun's stun-bench,
	# GOMAXPROCS=1 on CPU 1, against the same server instance.
	if [ "$sys" = reflector ] && [ -x "$PION" ]; then
		local pout prps ptot pt0 pt1
		pt0=$(cpu_ticks "$SERVER_PID")
		# Not in $(...): a Ctrl-C must reach this shell's trap.
		GOMAXPROCS=1 taskset -c 1 "$PION" -addr 127.0.0.1 -port "$port" \
			-d "${DURATION}s" -w "$PION_WORKERS" >"$WORK/pion.txt" 2>&1
		pt1=$(cpu_ticks "$SERVER_PID")
		pout=$(cat "$WORK/pion.txt")
		prps=$(echo "$pout" | awk '$1 == "rps:" {print $2}')
		ptot=$(echo "$pout" | awk '$1 == "total:" {print $2}')
		[ -n "$prps" ] || die "pion stun-bench gave no rate: $pout"
		local pcpu pper
		pcpu=$(awk -v a="$pt0" -v b="$pt1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / hz}')
		pper=$(awk -v c="$pcpu" -v n="$prps" -v d="$DURATION" 'BEGIN {printf "%.3f", (n > 0 ? c * 1e6 / (n * d) : 0)}')
		printf '%s,reflector,pion-stun-bench,1,%s,%s,,%.0f,,,%s,%s,%s,,,,,,\n' "$r" "$prps" "$ptot" \
			"$(awk -v n="$prps" -v d="$DURATION" 'BEGIN {print n * d}')" "$DURATION" "$pcpu" "$pper" >>"$CSV"
		printf 'compare: round %s %-12s %8s answers/s (pion stun-bench -w %s, on CPU 1)\n' \
			"$r" "reflector" "$prps" "$PION_WORKERS" >&2
	fi
	stop_server "$sys"
}

SYS_LIST=$SYSTEMS
[ "$VARIANT2" = 1 ] && SYS_LIST="$SYS_LIST reflector-2w uring-2w coturn-2w"
[ -x "$PION" ] || log "SKIP second tool: $PION is missing (Debian golang-go + golang-github-pion-stun-dev; make bench builds it)"

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "servers pinned to CPU 0 with one worker each; stunload pinned to CPU 1 ($SOCKETS sockets x $INFLIGHT in flight, closed loop, ${DURATION} s; then ${RATE}/s open loop, ${LAT_DURATION} s)"
[ "$VARIANT2" = 1 ] && log "2-worker variants (*-2w): servers and stunload both spread over CPUs 0,1 (not pinned apart)"
log "systems: $SYS_LIST; $ROUNDS rounds, alternating"
for r in $(seq "$ROUNDS"); do
	for s in $SYS_LIST; do
		measure "$s" "$r"
	done
done

# The XDP fast path: a different setup (veth + in-kernel generator).
XDP_OUT=$WORK/xdp.txt
if [ "$XDP" = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		log "SKIP XDP benchmark: needs root"
		echo "SKIP: needs root" >"$XDP_OUT"
	elif [ ! -x "$BUILD/stunctl" ] || [ ! -e "$BUILD/bpf/xdp_reflect.bpf.o" ]; then
		log "SKIP XDP benchmark: $BUILD/stunctl or $BUILD/bpf/xdp_reflect.bpf.o missing (make bench builds them)"
		echo "SKIP: $BUILD/stunctl or $BUILD/bpf/xdp_reflect.bpf.o missing" >"$XDP_OUT"
	else
		log "XDP fast path: bpf/bench_xdp.sh $XDP_ROUNDS $XDP_FRAMES"
		BUILD=$BUILD "$HERE/../bpf/bench_xdp.sh" "$XDP_ROUNDS" "$XDP_FRAMES" >"$XDP_OUT" 2>"$WORK/xdp.err" ||
			die "bpf/bench_xdp.sh failed: $(tail -5 "$WORK/xdp.err")"
		cat "$WORK/xdp.err" "$XDP_OUT" >&2
	fi
fi

mkdir -p "$RESULTS" || die "cannot create $RESULTS"
cp "$CSV" "$RESULTS/compare.csv"
CMD="ROUNDS=$ROUNDS DURATION=$DURATION RATE=$RATE LAT_DURATION=$LAT_DURATION SOCKETS=$SOCKETS INFLIGHT=$INFLIGHT bench/compare.sh"
python3 "$HERE/compare_report.py" --csv "$CSV" --md "$RESULTS/compare.md" \
	--plot-data "$WORK/plot.dat" --xdp "$XDP_OUT" --date "$START" --load "$LOAD0" \
	--command "$CMD" --duration "$DURATION" --rate "$RATE" --lat-duration "$LAT_DURATION" \
	--sockets "$SOCKETS" --inflight "$INFLIGHT" --rounds "$ROUNDS" \
	--pion-workers "$PION_WORKERS" || die "report failed"
gnuplot -e "datafile='$WORK/plot.dat'; outfile='$RESULTS/compare.png'; subtitle='$START, $(nproc) CPUs, $ROUNDS rounds of ${DURATION} s'" \
	"$HERE/compare.gp" || die "gnuplot failed"
cat "$RESULTS/compare.md"
log "wrote $RESULTS/compare.md, $RESULTS/compare.csv, $RESULTS/compare.png"
