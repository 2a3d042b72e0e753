#!/usr/bin/env bash
# tests/e2e/test_daemon_shutdown.sh - SIGTERM under load loses nothing: the
# daemon drains, exits 0, and its final totals count every answer the
# clients received, exactly once (and none they did not), with each engine,
# and with an io_uring buffer ring so small (16) that it keeps running dry:
# every -ENOBUFS ends the multishot receive, which must be re-armed without
# losing or double-counting a datagram.
# Last, a reply the kernel refuses is counted as send_failed, never as
# answered: the io_uring engine counts a send when it is submitted (a
# successful one posts no completion) and must move a send that failed with
# -EAGAIN (socket send buffer full) from answered to send_failed, and
# logs it at most once a second.
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

# Send buffer full: in a namespace of our own, a tbf qdisc on lo holds the
# replies (and the memory they charge to the daemon's socket) while a
# tiny --sndbuf lets only a few wait, so io_uring sends fail with -EAGAIN.
# As above, SIGTERM under load; the clients then wait until nothing has
# come for 1.5 s, so every reply still queued in tbf reaches them.
NS=stunr-sfull-$$
if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
	skip "uring: a send refused with -EAGAIN is counted as send_failed" "needs root and ip netns"
	finish
fi
NETNS+=("$NS")
if ! ip netns exec "$NS" ip link set lo up ||
	! ip netns exec "$NS" tc qdisc add dev lo root tbf rate 1mbit burst 2kb latency 5s; then
	skip "uring: a send refused with -EAGAIN is counted as send_failed" "cannot set up lo with a tbf qdisc in a namespace"
	finish
fi
if start_daemon "sendfull" ip netns exec "$NS" -- --io-engine uring --workers 1 \
	--listen 127.0.0.1:0 --sndbuf 4096; then
	ip netns exec "$NS" "$CLIENT" load --server "127.0.0.1:${LPORTS[0]}" --clients 64 \
		--window 8 --idle-ms 1500 --max-seconds 20 >"$TMP/load" 2>&1 &
	lpid=$!
	PIDS+=("$lpid")
	sleep 2.5
	stop_daemon
	wait "$lpid"
	lrc=$?
	show "$TMP/load"
	grep -E ' (totals|warn|error):' "$DLOG" | sed 's/^/# /'
	received=$(sed -n 's/^load: .* received=\([0-9]*\) .*/\1/p' "$TMP/load")
	check "send buffer full: exits 0" [ "$DRC" -eq 0 ]
	check "send buffer full: load client saw only correct answers" [ "$lrc" -eq 0 ]
	# Refused sends are logged at most once a second (2.5 s: at most 4
	# lines), each later line counting the ones it stands for.
	warned=$(grep -c "sending a reply failed: Resource temporarily unavailable" "$DLOG")
	suppressed=$(suppressed_count "sending a reply failed" "$DLOG")
	check "send buffer full: sends failed ($(total send_failed)), $warned rate-limited warnings say so ($suppressed suppressed)" \
		eval '[ "$(total send_failed)" -gt 0 ] && [ "$warned" -ge 1 ] && [ "$warned" -le 4 ] &&
			[ $((warned + suppressed)) -le "$(total send_failed)" ]'
	check "send buffer full: answers received by clients ($received) = daemon's answered total ($(total answered))" \
		eval '[ -n "$received" ] && [ "$received" = "$(total answered)" ]'
	check "send buffer full: nothing dropped, no error response" \
		eval '[ "$(total dropped)" = 0 ] && [ "$(total errors)" = 0 ]'
	check "send buffer full: totals balance" totals_balance
else
	not_ok "send buffer full: daemon starts"
fi
finish
