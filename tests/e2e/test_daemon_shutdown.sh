#!/usr/bin/env bash
# tests/e2e/test_daemon_shutdown.sh - SIGTERM under load loses nothing: the
# daemon drains, exits 0, and its final totals count every answer the
# clients received, exactly once (and none they did not), with each engine,
# and with an io_uring buffer ring so small (16) that it keeps running dry:
# every -ENOBUFS ends the multishot receive, which must be re-armed without
# losing or double-counting a datagram.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT"

for variant in uring mmsg uring-16; do
	engine=${variant%-16}
	extra=()
	[ "$variant" = uring-16 ] && extra=(--ring-buffers 16)
	if ! start_daemon "shutdown-$variant" -- --io-engine "$engine" --workers 2 \
		--listen 127.0.0.1:0 --stats-interval 1 "${extra[@]}"; then
		not_ok "$variant: daemon starts"
		continue
	fi
	# 64 source ports x 8 requests in flight, refilled as answers come,
	# until the daemon has been silent for 1 s (bounded to 20 s).
	"$CLIENT" load --server "127.0.0.1:${LPORTS[0]}" --clients 64 --window 8 \
		--idle-ms 1000 --max-seconds 20 >"$TMP/load" 2>&1 &
	lpid=$!
	PIDS+=("$lpid")
	sleep 1.5
	stop_daemon
	wait "$lpid"
	lrc=$?
	show "$TMP/load"
	grep -E ' (stats|totals|warn|error):' "$DLOG" | sed 's/^/# /'
	received=$(sed -n 's/^load: .* received=\([0-9]*\) .*/\1/p' "$TMP/load")
	check "$variant: exits 0 after SIGTERM under load" [ "$DRC" -eq 0 ]
	check "$variant: logged the drain" grep -q 'SIGTERM received: draining' "$DLOG"
	check "$variant: load client saw only correct answers" [ "$lrc" -eq 0 ]
	check "$variant: was under load (>1000 answers before SIGTERM)" [ "${received:-0}" -gt 1000 ]
	check "$variant: answers received by clients ($received) = daemon's answered total ($(total answered))" \
		eval '[ -n "$received" ] && [ "$received" = "$(total answered)" ]'
	check "$variant: nothing failed to send, nothing dropped" \
		eval '[ "$(total send_failed)" = 0 ] && [ "$(total dropped)" = 0 ] && [ "$(total errors)" = 0 ]'
	check "$variant: totals balance" totals_balance
	if [ "$variant" = uring-16 ]; then
		check "$variant: the buffer ring ran dry and receives were re-armed ($(total rearms) times)" \
			eval '[ "$(total enobufs)" -gt 0 ] && [ "$(total rearms)" -gt 0 ]'
	fi
done
finish
