#!/usr/bin/env bash
# tests/e2e/test_daemon_tcp_crowd.sh - 10,000 idle TCP connections held by
# stunringd (io_uring engine, 2 workers) while it serves UDP, by behaviour
# (tests/e2e/tcp_crowd.py opens them from 313 loopback sources, 32 each:
# the default --max-connections-per-source):
#   - all 10,000 connect and get a correct answer, and all are still open
#     after the UDP runs (nothing idle-closed, nothing dropped);
#   - UDP with the crowd connected: every stunload run's answers all valid,
#     no loss, alternating with runs without the crowd (CROWD_ROUNDS rounds, default 2);
#   - the books: tcp_accepted, tcp_requests = tcp_answered, closed_peer for
#     the crowds we closed, closed_shutdown for the one held at SIGTERM,
#     nothing else closed; the UDP totals balance;
#   - memory: the daemon's RSS grows by at most 12 KiB per connection (the
#     stated cost: the pages of its buffers it touched), measured.
# The UDP rates with and without the crowd are printed (medians, ratio),
# not asserted: on a shared 2-core machine a 5% comparison in a test would
# fail on its neighbours' load, not on the daemon.  bench/tcp_compare.sh
# measures it properly (alternating, repeated, medians).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
need_built build/stunload
N=${CROWD_N:-10000}
trap '' PIPE	# a crowd that died: an error below, not the end of the script
# make test: two rounds (the second crowd after the first closed itself);
# make test-full: three.  The rates
# are printed, not asserted: make bench-tcp compares them.
ROUNDS=${CROWD_ROUNDS:-2}

ulimit -Hn 65536 2>/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((N + 1000)) ]; then
	skip "idle crowd" "open files limit $(ulimit -n) < $((N + 1000)) and cannot be raised (not root?)"
	finish
	exit 0
fi
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
wait_line() {	# wait_line FILE PATTERN: until FILE has it (at most 60 s)
	for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
udp_run() {	# udp_run TAG: one bounded stunload run, answers/s to $TMP/rates
	build/stunload -d 1.5 -s 16 -i 8 --timeout 2s --max-loss 0 --no-progress --json \
		"127.0.0.1:$U" >"$TMP/u.json" 2>"$TMP/u.err"
	local rc=$?
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sys.argv[2], round(j["valid_per_s"]), j["valid"], j["lost"], j["invalid"])' \
		"$TMP/u.json" "$1" >>"$TMP/rates" 2>/dev/null
	return $rc
}

# SO_REUSEPORT spreads the connections over the two workers by a hash of
# each 4-tuple, not evenly: each worker's pool (--max-connections / 2) must
# hold all of them.
if ! start_daemon crowd -- -w 2 -e uring --listen 127.0.0.1:0 --tcp-listen 127.0.0.1:0 \
	--max-connections $((2 * N)) --tcp-idle-timeout 10m; then
	not_ok "daemon starts with --max-connections $((2 * N))"
	finish
	exit 1
fi
U=${LPORTS[0]}
P=$(sed -n 's/.* accepting TCP on .*:\([0-9]*\) (port picked by the kernel).*/\1/p' "$DLOG" | head -1)
udp_run warmup >/dev/null
: >"$TMP/rates"
held_ok=0 intact_ok=0 udp_ok=0 rss_line=
for r in $(seq "$ROUNDS"); do
	udp_run without && udp_ok=$((udp_ok + 1))
	before=$(rss_kib "$DPID")
	mkfifo "$TMP/cmd$r"
	timeout 300 python3 tests/e2e/tcp_crowd.py --port "$P" --count "$N" <"$TMP/cmd$r" >"$TMP/crowd$r" 2>&1 &
	CROWD=$!
	PIDS+=("$CROWD")
	exec 5>"$TMP/cmd$r"
	wait_line "$TMP/crowd$r" '^held\|^failed'
	after=$(rss_kib "$DPID")
	if ! grep -q "^held $N " "$TMP/crowd$r"; then
		sed 's/^/# crowd: /' "$TMP/crowd$r"
		grep ' closed_' "$DLOG" | tail -1 | sed 's/^/# /'
		break
	fi
	held_ok=$((held_ok + 1))
	[ -n "$rss_line" ] || rss_line="$before -> $after KiB over $N connections: $(((after - before) * 1024 / N)) bytes each"
	[ $r -gt 1 ] || rss_delta=$((after - before))
	udp_run with && udp_ok=$((udp_ok + 1))
	echo check >&5
	wait_line "$TMP/crowd$r" '^intact'
	grep -q "^intact $N$" "$TMP/crowd$r" && intact_ok=$((intact_ok + 1))
	echo "# round $r: $(head -1 "$TMP/crowd$r"), $(grep '^intact' "$TMP/crowd$r"), RSS $before -> $after KiB"
	if [ "$r" -lt "$ROUNDS" ]; then
		exec 5>&-	# EOF: the crowd closes all and exits
		wait "$CROWD"
		# Until the daemon has closed its side of every one (its
		# per-source counts are back to 0), at most 10 s.
		for _ in $(seq 100); do
			[ "$(ss -Htn state established "( sport = :$P )" | wc -l)" -eq 0 ] && break
			sleep 0.1
		done
	fi
done
check "$ROUNDS crowds of $N connections each: all connected and correctly answered ($held_ok/$ROUNDS)" \
	[ "$held_ok" -eq "$ROUNDS" ]
check "all $N still open after the UDP run beside them, every round ($intact_ok/$ROUNDS)" \
	[ "$intact_ok" -eq "$ROUNDS" ]
check "every UDP run, with and without the crowd: all answers valid, none lost ($udp_ok/$((2 * ROUNDS)))" \
	[ "$udp_ok" -eq $((2 * ROUNDS)) ]
sed 's/^/# udp /' "$TMP/rates"
python3 - "$TMP/rates" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
w = [float(r[1]) for r in rows if r[0] == "with"]
wo = [float(r[1]) for r in rows if r[0] == "without"]
print(f"# UDP answers/s medians: without the crowd {st.median(wo):.0f}, with it {st.median(w):.0f}: "
      f"ratio {st.median(w) / st.median(wo):.3f} (diagnostic only; see bench/tcp_compare.sh)")
PY
check "memory: $rss_line (at most 12 KiB each)" [ "$((rss_delta * 1024 / N))" -le 12288 ]
stop_daemon
exec 5>&- 2>/dev/null
check "SIGTERM with $N connections open: exit 0" [ "$DRC" -eq 0 ]
grep ' totals: ' "$DLOG" | sed 's/^/# /'
acc=$(total tcp_accepted) req=$(total tcp_requests) ans=$(total tcp_answered)
peer=$(total closed_peer) shut=$(total closed_shutdown)
peer=${peer:-0}	# absent from the totals line when 0
others=$(grep ' totals: ' "$DLOG" | grep -o ' closed_[a-z_]*=[0-9]*' | grep -v 'closed_peer=\|closed_shutdown=' | tr -d '\n')
check "books: tcp_accepted=$acc tcp_requests=$req tcp_answered=$ans closed_peer=$peer closed_shutdown=$shut, no other close:${others:- none}" \
	eval '[ "$acc" = $((ROUNDS * N)) ] && [ "$req" = "$acc" ] && [ "$ans" = "$acc" ] && [ "$peer" = $(((ROUNDS - 1) * N)) ] && [ "$shut" = "$N" ] && [ -z "$others" ]'
check "UDP books balance: $(grep -o ' totals: requests=[0-9]* answered=[0-9]*' "$DLOG")" totals_balance
finish
