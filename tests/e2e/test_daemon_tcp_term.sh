#!/usr/bin/env bash
# tests/e2e/test_daemon_tcp_term.sh - SIGTERM while a TCP peer never reads,
# for both engines: the daemon has replies it cannot send (the peer's
# window and its own send buffer are full; the io_uring engine has a send
# parked on that socket) and must drop them, not wait for them: it exits 0
# within 3 s, the connection counted as shutdown, and the peer sees the
# connection end.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
PY=tests/e2e/stun_tcp.py

for engine in uring mmsg; do
	E="$engine:"
	if ! start_daemon "term-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 --tcp-listen 127.0.0.1:0; then
		not_ok "$E daemon starts"
		continue
	fi
	P=$(sed -n 's/.* accepting TCP on .*:\([0-9]*\) (port picked by the kernel).*/\1/p' "$DLOG" | head -1)
	# The flooder keeps its connection (and never reads) until its stdin ends.
	mkfifo "$TMP/keep-$engine"
	timeout 60 python3 "$PY" flood --keep --host 127.0.0.1 --port "$P" --seconds 2 \
		<"$TMP/keep-$engine" >"$TMP/flood-$engine" 2>&1 &
	F=$!
	PIDS+=("$F")
	exec 6>"$TMP/keep-$engine"
	for _ in $(seq 200); do grep -q 'flood:' "$TMP/flood-$engine" && break; sleep 0.05; done
	got=$(cat "$TMP/flood-$engine")
	check "$E a peer that never reads has stalled the daemon's replies ($got)" \
		eval 'echo "$got" | grep -q "stalled=1"'
	t0=$(date +%s%N)
	stop_daemon
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "$E SIGTERM with replies that cannot be sent: exit 0 in $ms ms (at most 3000)" \
		eval '[ "$DRC" -eq 0 ] && [ "$ms" -le 3000 ]'
	check "$E counted: closed_shutdown=$(total closed_shutdown) tcp_paused=$(total tcp_paused)" \
		eval '[ "$(total closed_shutdown)" = 1 ] && [ "$(total tcp_paused)" -ge 1 ]'
	peer=$(ss -Htn state established "( dport = :$P )" | wc -l)
	check "$E the peer's connection is no longer established ($peer left)" [ "$peer" -eq 0 ]
	exec 6>&-
	wait "$F" 2>/dev/null
done
finish
