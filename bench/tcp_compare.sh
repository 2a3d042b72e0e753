#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tcp_compare.sh - STUN over TCP, stunringd against coturn, side by side in
# one run (make bench-tcp):
#
#   bench/tcp_compare.sh
#   ROUNDS=9 DURATION=10 bench/tcp_compare.sh
#   TLS_CERT=cert.pem TLS_KEY=key.pem bench/tcp_compare.sh     (your own key)
#
# Fairness on a 2-CPU machine: each server gets CPU 0 and one worker
# (stunringd --workers 1, coturn -m 1; taskset -c 0), stunload gets CPU 1.
# Both servers run for the whole benchmark; the runs alternate between
# them, in an order rotated every round, because the machine is shared and
# noisy.  Reported: every run, the medians, and the median of the per-round
# ratios stunringd/coturn.
#
# Per round and server:
#   tcp        requests/s over CONNS persistent connections (stunload
#              --transport tcp --connections CONNS --inflight INFLIGHT),
#              valid answers/s and the server's CPU per answer;
#   churn      new connections/s with --requests-per-connection 1 (connect,
#              one request, its answer, close: the handshakes/s of TCP);
#   tls        requests/s over TLS, as tcp;
#   tls_churn  TLS handshakes/s with session tickets (--tls-resume), one
#              request each, at TLS 1.2 for both (--tls-max-version 1.2:
#              coturn 4.6.1's TLS listener speaks no 1.3, and a TLS 1.2
#              resumption skips the key exchange a 1.3 one does, so only
#              the same version compares the servers);
#   tls13_churn  the same at the newest version each server speaks
#              (stunringd 1.3, coturn 1.2): what a default client gets.
#   The certificate: TLS_CERT and TLS_KEY, or a throw-away ECDSA P-256 one
#   (the issue's setting) made here with openssl; the versions each server
#   negotiated (openssl s_client) go into the report.
# Then memory per idle connection, each server freshly started for each
# crowd (a second crowd would reuse the memory the first one freed): the
# server's RSS before and after CROWD connections (tests/e2e/tcp_crowd.py:
# each answered once, then idle), (after - before) / CROWD, TCP and TLS.
# Then stunringd's UDP rate with and without an idle crowd of CROWD
# connections (issue 13: within 5%), alternating, ROUNDS times.
#
# Any invalid answer stops the benchmark: a server that answers wrongly
# gets no number.  stunringd runs with --max-connections-per-source 0:
# every client here has the same address (127.0.0.1), and coturn has no
# such cap; the crowd comes from 127.1.x.y sources anyway.
#
# Environment (defaults in brackets): ROUNDS [5], DURATION [5] s, CONNS
# [100], INFLIGHT [8], CROWD [10000], TLS_CERT, TLS_KEY, RESULTS
# [bench/results], BUILD [build], QUICK [0: 1 = ROUNDS 3, DURATION 2, for
# a loaded machine].  Writes RESULTS/tcp_compare.txt.
set -u
export LC_ALL=C

BUILD=${BUILD:-build}
RESULTS=${RESULTS:-bench/results}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNS=${CONNS:-100}
INFLIGHT=${INFLIGHT:-8}
CROWD=${CROWD:-10000}
TLS_CERT=${TLS_CERT:-}
USER_CERT=$TLS_CERT
TLS_KEY=${TLS_KEY:-}
if [ "${QUICK:-0}" = 1 ]; then
	ROUNDS=3 DURATION=2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1

die() { echo "tcp_compare: $*" >&2; exit 1; }
log() { echo "tcp_compare: $*" >&2; }

for v in ROUNDS DURATION CONNS INFLIGHT CROWD; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (servers on CPU 0, stunload on CPU 1)"
for b in stunringd stunload; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is missing: run 'make bench-tcp'"
done
command -v turnserver >/dev/null || die "turnserver not found: install Debian package coturn (make bench-deps)"
TLS=1
if [ -n "$TLS_CERT$TLS_KEY" ]; then
	[ -r "$TLS_CERT" ] && [ -r "$TLS_KEY" ] || die "TLS_CERT and TLS_KEY must both be readable files"
elif command -v openssl >/dev/null; then
	TLS=make	# below, once $WORK exists
else
	TLS=0
	log "no openssl and no TLS_CERT/TLS_KEY: the TLS rows are left out"
fi
ulimit -Hn 65536 2>/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((CROWD + 1000)) ] || die "open files limit $(ulimit -n) < CROWD + 1000"

WORK=$(mktemp -d /tmp/tcp_compare.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$TLS" = make ]; then
	TLS=1 TLS_CERT=$WORK/cert.pem TLS_KEY=$WORK/key.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null || die "openssl req: no throw-away certificate"
	chmod 644 "$TLS_KEY" "$WORK"	# coturn may read it as another user
fi

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the servers ---------------------------------------------------------
SR_TCP=$(free_port) SR_TLS=$(free_port) CT_TCP=$(free_port) CT_TLS=$(free_port)
SR_PID= CT_PID=
stop_servers() {
	local p
	for p in $SR_PID $CT_PID; do kill "$p" 2>/dev/null; done
	for p in $SR_PID $CT_PID; do wait "$p" 2>/dev/null; done
	SR_PID= CT_PID=
}
start_servers() {
	local sr_tls=() ct_tls=(--no-tls)
	[ $TLS = 0 ] || sr_tls=(--tls-listen "127.0.0.1:$SR_TLS" --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY")
	taskset -c 0 "$BUILD/stunringd" --workers 1 --listen 127.0.0.1:0 --tcp-listen "127.0.0.1:$SR_TCP" \
		"${sr_tls[@]}" --max-connections $((CROWD + 2 * CONNS + 1000)) --max-connections-per-source 0 \
		--tcp-idle-timeout 10m 2>"$WORK/stunringd.log" &
	SR_PID=$!
	PIDS+=("$SR_PID")
	[ $TLS = 0 ] || ct_tls=(--tls-listening-port "$CT_TLS" --cert "$TLS_CERT" --pkey "$TLS_KEY")
	# -n: no config file; loopback only; TCP (and TLS), no UDP, DTLS or CLI;
	# -m 1: one relay thread; logs to our file only.
	taskset -c 0 turnserver -n --stun-only -L 127.0.0.1 -p "$CT_TCP" --no-udp --no-dtls --no-cli \
		"${ct_tls[@]}" -m 1 --no-software-attribute --log-file stdout --simple-log --no-stdout-log \
		--pidfile "$WORK/turnserver.pid" >"$WORK/coturn.log" 2>&1 &
	CT_PID=$!
	PIDS+=("$CT_PID")
	for _ in $(seq 200); do
		grep -qs ' ready: ' "$WORK/stunringd.log" && break
		sleep 0.025
	done
	grep -q ' ready: ' "$WORK/stunringd.log" || die "stunringd did not start: $(cat "$WORK/stunringd.log")"
	SR_UDP=$(sed -n 's/.* listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/stunringd.log" | head -1)
	for _ in $(seq 100); do
		"$BUILD/stunload" --transport tcp --connections 1 -n 1 -q "127.0.0.1:$CT_TCP" 2>/dev/null && break
		sleep 0.1
	done
	"$BUILD/stunload" --transport tcp --connections 1 -n 1 -q "127.0.0.1:$CT_TCP" ||
		die "coturn does not answer over TCP: $(tail -5 "$WORK/coturn.log")"
}
start_servers

# --- the rounds ------------------------------------------------------------
# run SYS MODE ROUND: one stunload run; a line in $WORK/runs:
# "ROUND SYS MODE ANSWERS_PER_S CONNS_PER_S US_CPU_PER_ANSWER LOST".
run() {
	local sys=$1 mode=$2 r=$3 pid port f=$WORK/$1.$2.$3.json t0 t1 load=()
	case $sys in
	stunringd) pid=$SR_PID; port=$SR_TCP; [[ $mode == tls* ]] && port=$SR_TLS ;;
	coturn) pid=$CT_PID; port=$CT_TCP; [[ $mode == tls* ]] && port=$CT_TLS ;;
	esac
	case $mode in
	tcp) load=(--transport tcp --connections "$CONNS" --inflight "$INFLIGHT") ;;
	churn) load=(--transport tcp --connections "$CONNS" --requests-per-connection 1) ;;
	tls) load=(--transport tls --tls-insecure --connections "$CONNS" --inflight "$INFLIGHT") ;;
	tls_churn) load=(--transport tls --tls-insecure --tls-resume --tls-max-version 1.2
			 --connections "$CONNS" --requests-per-connection 1) ;;
	tls13_churn) load=(--transport tls --tls-insecure --tls-resume --connections "$CONNS"
			   --requests-per-connection 1) ;;
	esac
	t0=$(cpu_ticks "$pid")
	"$BUILD/stunload" "${load[@]}" --threads 1 --cpus 1 --no-progress --json -d "$DURATION" \
		"127.0.0.1:$port" >"$f"
	local rc=$?
	t1=$(cpu_ticks "$pid")
	[ $rc -ne 1 ] || die "$sys $mode: an invalid answer: $(cat "$f")"
	python3 - "$f" "$sys" "$mode" "$r" "$t0" "$t1" "$CLK_TCK" >>"$WORK/runs" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
s, m, r, t0, t1, hz = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
if j["valid"] == 0:
    sys.exit(1)
cps = j.get("handshakes_per_s") if m.startswith("tls") and j.get("handshakes_per_s") else j["connections_per_s"]
print(f"{r} {s} {m} {j['valid_per_s']:.0f} {cps:.0f} {(t1 - t0) / hz * 1e6 / j['valid']:.3f} {j['lost']}")
PY
		die "$sys $mode: nothing answered: $(cat "$f")"
	tail -1 "$WORK/runs" | awk '{printf "tcp_compare: round %s %-9s %-9s %9d answers/s %7d conns/s %7.3f us CPU/answer lost %s\n", $1, $2, $3, $4, $5, $6, $7}' >&2
}

MODES="tcp churn"
[ $TLS = 0 ] || MODES="$MODES tls tls_churn tls13_churn"
# The TLS version each server negotiates with a client that offers all.
VERSIONS=
if [ $TLS = 1 ]; then
	for sp in "stunringd $SR_TLS" "coturn $CT_TLS"; do
		v=$(openssl s_client -connect "127.0.0.1:${sp#* }" </dev/null 2>/dev/null | sed -n 's/^New, \(TLSv[0-9.]*\),.*/\1/p' | head -1)
		VERSIONS="$VERSIONS ${sp% *} ${v:-?};"
	done
	log "negotiated with a client offering every version:$VERSIONS"
fi
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD0=$(load_avg)
: >"$WORK/runs"
for r in $(seq "$ROUNDS"); do
	order="stunringd coturn"
	[ $((r % 2)) = 0 ] && order="coturn stunringd"
	for mode in $MODES; do
		for sys in $order; do
			run "$sys" "$mode" "$r"
		done
	done
done

# --- memory per idle connection ----------------------------------------------
# crowd SYS PORT [--tls]: RSS before and after CROWD idle connections.
crowd() {
	local sys=$1 port=$2 pid before after out=$WORK/crowd.$1${3:-}
	shift 2
	case $sys in stunringd) pid=$SR_PID ;; coturn) pid=$CT_PID ;; esac
	before=$(rss_kib "$pid")
	mkfifo "$WORK/cmd"
	python3 tests/e2e/tcp_crowd.py --port "$port" --count "$CROWD" "$@" <"$WORK/cmd" >"$out" 2>&1 &
	local cp=$!
	exec 5>"$WORK/cmd"
	for _ in $(seq 1200); do grep -qs '^held\|^failed' "$out" && break; sleep 0.1; done
	sleep 1	# the server's side settles (coturn hands connections to its relay thread)
	after=$(rss_kib "$pid")
	grep -q "^held $CROWD " "$out" || die "$sys: the crowd failed: $(cat "$out")"
	echo "$sys${1:+ $1} $before $after $(((after - before) * 1024 / CROWD))" >>"$WORK/mem"
	exec 5>&-
	wait "$cp"
	rm -f "$WORK/cmd"
	log "memory: $sys${1:+ $1}: RSS $before -> $after KiB over $CROWD connections"
	sleep 2	# the closes reach the server
}
: >"$WORK/mem"
stop_servers; start_servers
crowd stunringd "$SR_TCP"
crowd coturn "$CT_TCP"
if [ $TLS = 1 ]; then
	stop_servers; start_servers
	crowd stunringd "$SR_TLS" --tls
	crowd coturn "$CT_TLS" --tls
fi

# --- UDP with and without an idle crowd (stunringd) ----------------------------
udp_run() {	# udp_run TAG ROUND
	"$BUILD/stunload" -s 64 -i 8 --threads 1 --cpus 1 --no-progress --json -d "$DURATION" \
		"127.0.0.1:$SR_UDP" >"$WORK/u.json" || die "UDP run failed: $(cat "$WORK/u.json")"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sys.argv[3], sys.argv[2], round(j["valid_per_s"]))' \
		"$WORK/u.json" "$1" "$2" >>"$WORK/udp"
	log "UDP round $2 $1: $(tail -1 "$WORK/udp" | cut -d' ' -f3) answers/s"
}
: >"$WORK/udp"
for r in $(seq "$ROUNDS"); do
	udp_run without "$r"
	mkfifo "$WORK/cmd"
	python3 tests/e2e/tcp_crowd.py --port "$SR_TCP" --count "$CROWD" <"$WORK/cmd" >"$WORK/ucrowd" 2>&1 &
	cp=$!
	exec 5>"$WORK/cmd"
	for _ in $(seq 1200); do grep -qs '^held\|^failed' "$WORK/ucrowd" && break; sleep 0.1; done
	grep -q "^held $CROWD " "$WORK/ucrowd" || die "the UDP round's crowd failed: $(cat "$WORK/ucrowd")"
	udp_run with "$r"
	exec 5>&-
	wait "$cp"
	rm -f "$WORK/cmd"
	sleep 2
done

# --- the report ----------------------------------------------------------------
mkdir -p "$RESULTS"
OUT=$RESULTS/tcp_compare.txt
{
	echo "# ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS INFLIGHT=$INFLIGHT CROWD=$CROWD${USER_CERT:+ TLS_CERT=$TLS_CERT} bench/tcp_compare.sh   ($(date -u '+%F %H:%M') UTC, $(nproc) CPUs, $(uname -r), load average at start $LOAD0, at end $(load_avg))"
	echo "# stunringd $(git describe --always --dirty 2>/dev/null) vs $(turnserver --version 2>/dev/null | head -1 | sed 's/^/coturn /'); each on CPU 0 with one worker, stunload on CPU 1"
	[ -z "$VERSIONS" ] || echo "# TLS negotiated with a client offering every version:$VERSIONS TLS key: $(openssl pkey -in "$TLS_KEY" -noout -text 2>/dev/null | head -1)"
	python3 - "$WORK/runs" "$WORK/mem" "$WORK/udp" <<'PY'
import statistics as st, sys
runs = [l.split() for l in open(sys.argv[1])]
what = {"tcp": "requests/s, persistent", "churn": "connections/s, 1 request each",
        "tls": "requests/s, persistent TLS",
        "tls_churn": "TLS 1.2 handshakes/s (tickets: resumed), 1 request each, both at the same version",
        "tls13_churn": "TLS handshakes/s (tickets), 1 request each, each at its newest version"}
target = {"tcp": 1.5, "tls": 1.5, "tls_churn": 1.0}
modes = [m for m in ("tcp", "churn", "tls", "tls_churn", "tls13_churn") if any(x[2] == m for x in runs)]
val = {(x[0], x[1], x[2]): x for x in runs}
rounds = sorted({x[0] for x in runs}, key=int)
for m in modes:
    col = 4 if m.endswith("churn") else 3
    print(f"{m}: {what[m]}, {len(rounds)} rounds:")
    for s in ("stunringd", "coturn"):
        v = [float(val[r, s, m][col]) for r in rounds]
        cpu = [float(val[r, s, m][5]) for r in rounds]
        lost = sum(int(val[r, s, m][6]) for r in rounds)
        print(f"  {s:9s} median {st.median(v):9.0f}  (min {min(v):.0f}, max {max(v):.0f}; "
              f"runs {' '.join(f'{x:.0f}' for x in v)})  CPU/answer {st.median(cpu):.3f} us  lost {lost}")
    ratios = [float(val[r, "stunringd", m][col]) / float(val[r, "coturn", m][col]) for r in rounds]
    med = st.median(ratios)
    t = target.get(m)
    verdict = f"  target >= {t}: {'met' if med >= t else 'NOT met'}" if t else ""
    print(f"  stunringd / coturn: median of per-round ratios {med:.2f} "
          f"(per round {' '.join(f'{x:.2f}' for x in ratios)}){verdict}")
print("memory per idle connection (RSS after - before, over the crowd; each answered once):")
for l in open(sys.argv[2]):
    f = l.split()
    name = " ".join(f[:-3])
    print(f"  {name:14s} RSS {f[-3]} -> {f[-2]} KiB: {int(f[-1])} bytes each")
u = [l.split() for l in open(sys.argv[3])]
wo = {x[0]: float(x[2]) for x in u if x[1] == "without"}
w = {x[0]: float(x[2]) for x in u if x[1] == "with"}
pr = [w[r] / wo[r] for r in sorted(wo, key=int)]
print(f"stunringd UDP answers/s without / with an idle crowd (alternating, {len(pr)} rounds): "
      f"medians {st.median(wo.values()):.0f} / {st.median(w.values()):.0f}; "
      f"median of per-round ratios {st.median(pr):.3f} (per round {' '.join(f'{x:.3f}' for x in pr)}); "
      f"within 5%: {'met' if st.median(pr) >= 0.95 else 'NOT met'}")
PY
	echo "valid: no invalid answer in any run (stunload exit 1 would have stopped the benchmark)"
} >"$OUT"
cat "$OUT"
