#!/usr/bin/env bash
# tests/e2e/test_daemon_metrics.sh - stunringd --metrics end to end, on
# loopback: a real Prometheus server scrapes the daemon every second and its
# query API must report exactly the answers stunload counted (by family
# too); promtool finds nothing wrong in /metrics; /readyz and /healthz, and
# /healthz turning 503 while a worker is stalled (the test-only
# STUNRINGD_TEST_FAULTS hook) and 200 again after; per-packet log lines
# rate-limited under a flood of malformed datagrams; journald-style lines
# when JOURNAL_STREAM names stderr.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
STUNLOAD=$BUILD/stunload
need_built "$DAEMON" "$STUNLOAD"
need_tools "metrics: prometheus, promtool and curl" prometheus promtool curl python3

# GET PATH: the status code, the body in $TMP/body.
get() { curl -s -m 5 -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$MPORT$1"; }
# prom_query EXPR: the scalar value of an instant query ("" when none).
prom_query() {
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
free_tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- bad operator input: one line, exit 64 ----------------------------------
expect_error "--metrics without an address" 64 "^stunringd: --metrics 'nowhere': expected IP:PORT" \
	--metrics nowhere
STUNRINGD_TEST_FAULTS=bogus expect_error "bad STUNRINGD_TEST_FAULTS" 64 \
	"STUNRINGD_TEST_FAULTS='bogus': expected stall=WORKER:SECONDS" --listen 127.0.0.1:0

# --- the daemon, its endpoints and Prometheus -------------------------------
if ! STUNRINGD_TEST_FAULTS=stall=1:7 start_daemon metrics -- --workers 2 \
	--listen 127.0.0.1:0 --listen '[::1]:0' --metrics 127.0.0.1:0 --log-level debug; then
	not_ok "daemon with --metrics starts"
	finish
fi
MPORT=$(sed -n 's|.*metrics: http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$DLOG")
check "the log names the metrics URL (port $MPORT)" [ -n "$MPORT" ]
check "/readyz: 200 ready once the workers are set up" eval '[ "$(get /readyz)" = 200 ] && grep -qx ready "$TMP/body"'
check "/healthz: 200 ok" eval '[ "$(get /healthz)" = 200 ] && grep -qx ok "$TMP/body"'
check "an unknown path: 404" [ "$(get /nothing)" = 404 ]
check "POST: 405" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")" = 405 ]

PPORT=$(free_tcp_port)
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: stunringd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn 2>"$TMP/prometheus.log" &
PROM=$!
PIDS+=("$PROM")

# Load on both families while Prometheus starts.
"$STUNLOAD" --json --no-progress -d 1 "127.0.0.1:${LPORTS[0]}" >"$TMP/load4.json"
rc4=$?
"$STUNLOAD" --json --no-progress -d 1 "[::1]:${LPORTS[1]}" >"$TMP/load6.json"
rc6=$?
answered() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["valid"])' "$1"; }
a4=$(answered "$TMP/load4.json") a6=$(answered "$TMP/load6.json")
check "stunload: every answer valid (IPv4 $a4, IPv6 $a6)" \
	eval '[ $rc4 -eq 0 ] && [ $rc6 -eq 0 ] && [ "$a4" -gt 0 ] && [ "$a6" -gt 0 ]'

got="" got6="" up=""
for _ in $(seq 60); do
	got=$(prom_query 'sum(stunring_responses_total)')
	[ "$got" = $((a4 + a6)) ] && break
	sleep 0.5
done
got6=$(prom_query 'sum(stunring_responses_total{family="ipv6",class="success"})')
up=$(prom_query 'up{job="stunringd"}')
check "Prometheus scraped the daemon (up=$up)" [ "$up" = 1 ]
check "Prometheus: sum(stunring_responses_total) = $got, the $((a4 + a6)) answers stunload counted" \
	[ "$got" = $((a4 + a6)) ]
check "Prometheus: IPv6 success responses = $got6, stunload's $a6" [ "$got6" = "$a6" ]
[ "$got" = $((a4 + a6)) ] || show "$TMP/prometheus.log"

get /metrics >/dev/null
cp "$TMP/body" "$TMP/metrics.txt"
if promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1; then
	ok "promtool check metrics: no problem in /metrics"
else
	not_ok "promtool check metrics: no problem in /metrics"
	show "$TMP/promtool.out"
fi
check "/metrics: build info, start time, per-worker counters" eval \
	'grep -q "^stunring_build_info{version=\"[^\"]*\"} 1$" "$TMP/metrics.txt" &&
	 grep -q "^process_start_time_seconds [0-9]" "$TMP/metrics.txt" &&
	 grep -q "^stunring_worker_batches_total{worker=\"1\"} [0-9]" "$TMP/metrics.txt"'

# The Grafana dashboard (tools/dist/grafana/stunringd.json): Prometheus
# accepts each of its queries, and each metric it names is one we serve
# (the XDP one only with --xdp).
python3 - tools/dist/grafana/stunringd.json "$TMP/metrics.txt" "$PPORT" >"$TMP/grafana.out" 2>&1 <<'PY'
import json, re, sys, urllib.parse, urllib.request
dash = json.load(open(sys.argv[1]))
served = set(re.findall(r"^# TYPE (\S+)", open(sys.argv[2]).read(), re.M))
bad = 0
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
for e in exprs:
    q = e.replace("$instance", ".*")
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (sys.argv[3], urllib.parse.urlencode({"query": q}))
    try:
        status = json.load(urllib.request.urlopen(url, timeout=5))["status"]
    except Exception as ex:
        status = str(ex)
    for name in re.findall(r"\b((?:stunring|process)_[a-z0-9_]+)", e):
        if name not in served and name != "stunring_xdp_packets_total":
            print("not served:", name); bad = 1
    if status != "success":
        print("query failed:", q, status); bad = 1
print("%d queries" % len(exprs))
sys.exit(bad)
PY
grc=$?
check "Grafana dashboard: $(tail -1 "$TMP/grafana.out"), all accepted by Prometheus, every metric served" \
	[ $grc -eq 0 ]
[ $grc -eq 0 ] || show "$TMP/grafana.out"

# --- --metrics on a port in use (Prometheus's): exit 69 ----------------------
timeout 10 "$DAEMON" --listen 127.0.0.1:0 --metrics "127.0.0.1:$PPORT" 2>"$TMP/inuse" >/dev/null
rc=$?
check "--metrics on a port in use: exit 69 with an error line" \
	eval '[ $rc -eq 69 ] && grep -q "error: --metrics 127.0.0.1:$PPORT: cannot listen: Address already in use" "$TMP/inuse"'

kill -TERM "$PROM" 2>/dev/null
wait "$PROM" 2>/dev/null

# --- a flood of malformed datagrams: the debug line about them is
# rate-limited (one per second, the rest counted as suppressed).
elapsed=$(python3 - "${LPORTS[0]}" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(30000):
    s.sendto(b"\xff" * 20, ("127.0.0.1", int(sys.argv[1])))
    if i % 1000 == 999:
        time.sleep(0.08)
print(int(time.monotonic() - t0) + 1)
PY
)
sleep 0.3
get /metrics >/dev/null
flood=$(sed -n 's/^stunring_dropped_total{reason="not_stun"} //p' "$TMP/body")
lines=$(grep -c 'no reply to 127.0.0.1:[0-9]*: not_stun' "$DLOG")
supp=$(suppressed_count 'no reply to 127.0.0.1:[0-9]*: not_stun' "$DLOG")
check "malformed flood: $flood dropped over ~${elapsed} s, $lines log lines (at most one a second), $supp suppressed" \
	eval '[ "$flood" -ge 30000 ] && [ "$lines" -ge 1 ] && [ "$lines" -le $((elapsed + 1)) ] &&
		[ "$supp" -gt 0 ] && [ $((lines + supp)) -le "$flood" ]'

# --- a stalled worker: /healthz 503 naming it, then 200 again ----------------
kill -USR2 "$DPID"
code=""
for _ in $(seq 60); do
	code=$(get /healthz)
	[ "$code" = 503 ] && break
	sleep 0.25
done
check "/healthz: 503 while worker 1 is stalled ($(head -1 "$TMP/body"))" \
	eval '[ "$code" = 503 ] && grep -q "^worker 1: no progress for [0-9.]* s$" "$TMP/body" &&
		! grep -q "^worker 0" "$TMP/body"'
check "/readyz stays 200 while a worker is stalled" [ "$(get /readyz)" = 200 ]
for _ in $(seq 60); do
	code=$(get /healthz)
	[ "$code" = 200 ] && break
	sleep 0.25
done
check "/healthz: 200 again once the stall is over" eval '[ "$code" = 200 ] && grep -qx ok "$TMP/body"'
stop_daemon
check "exits 0 on SIGTERM" [ "$DRC" -eq 0 ]
check "--metrics port is closed after exit" eval '! curl -s -m 2 -o /dev/null "http://127.0.0.1:$MPORT/healthz"'

# --- journald-style lines when JOURNAL_STREAM names our stderr --------------
: >"$TMP/journal.log"
js=$(stat -c '%d:%i' "$TMP/journal.log")
if start_daemon journal env JOURNAL_STREAM="$js" STUNRINGD_TEST_FAULTS=stall=0:1 -- \
	--workers 1 --listen 127.0.0.1:0; then
	stop_daemon
	show "$DLOG"
	check "JOURNAL_STREAM=$js (our stderr): every line '<N>' prefixed, no timestamp" \
		eval '[ "$(grep -cv "^<[0-7]>" "$DLOG")" = 0 ] && ! grep -q "^<[0-7]>[0-9]\{4\}-" "$DLOG"'
	check "journald priorities: <4> warning, <6> info" \
		eval 'grep -q "^<4>test-only fault hook armed" "$DLOG" && grep -q "^<6>stunringd .* ready: " "$DLOG"'
else
	not_ok "daemon starts with JOURNAL_STREAM set"
fi
if start_daemon notjournal env JOURNAL_STREAM=1:1 -- --workers 1 --listen 127.0.0.1:0; then
	stop_daemon
	check "JOURNAL_STREAM naming another stream: the usual timestamped lines" \
		grep -q '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T.*Z info: stunringd .* ready: ' "$DLOG"
else
	not_ok "daemon starts with a foreign JOURNAL_STREAM"
fi
finish
