#!/usr/bin/env bash
# tests/e2e/test_daemon_tcp.sh - stunringd serving STUN over TCP
# (--tcp-listen), for both engines, by behaviour, with tests/e2e/stun_tcp.py
# (plain Python sockets; the answers are decoded there, not by libstunring):
#   - every dual-ip/tcp row of expected.tsv over a real connection (the
#     daemon in RFC 5780 mode: 400 to CHANGE-REQUEST and RESPONSE-PORT,
#     classic requests close the connection, back-to-back requests answered
#     in order with MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS), each request also
#     split at every byte boundary and 40 copies in one segment; IPv4 on
#     127.0.0.1/127.0.0.2, IPv6 in a namespace of our own (::1 + fd00:13::2);
#   - basic mode over IPv4 and IPv6: whole, a byte per segment, split
#     everywhere, 200 in one segment;
#   - the limits: total and per-source caps (the connection over the cap is
#     closed at once, a slot freed serves again), the first-message timeout
#     (a slowloris sending a byte every 300 ms is closed long before its
#     request is complete), the idle timeout (an idle connection closes, a
#     busy one does not), a message over --tcp-max-message and bytes that
#     cannot be STUN close the connection, one of exactly the maximum does
#     not; each close counted by reason;
#   - backpressure: a peer that sends and never reads is no longer read once
#     its replies back up (it cannot push 200 MB into the daemon), another
#     peer is served meanwhile, the daemon's RSS does not grow;
#   - SIGTERM with open connections: exit 0, every one counted as shutdown;
#   - bad --tcp-* values: one error line, exit 64; a TCP port in use: 69.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
PY=tests/e2e/stun_tcp.py

# The TCP port the daemon picked for its first --tcp-listen address.
tcp_port() {
	sed -n 's/.* accepting TCP on .*:\([0-9]*\) (port picked by the kernel).*/\1/p' "$DLOG" | head -1
}
tcp() { timeout 120 python3 "$PY" "$@"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# wait_for FILE TEXT: until FILE says TEXT (at most 20 s).
wait_for() {
	for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

for engine in ${ENGINES:-uring mmsg}; do
	E="$engine:"
	# --- dual-ip/tcp rows of expected.tsv, IPv4 -----------------------------
	P=$(free_pair 127.0.0.1 127.0.0.2)
	if start_daemon "dual4-$engine" -- -w 2 -e $engine --listen "127.0.0.1:$P" \
		--alt-ip 127.0.0.2 --alt-port $((P + 1)) --tcp-listen "127.0.0.1:$P"; then
		tcp vectors --host 127.0.0.1 --port "$P" --a2 127.0.0.2 --p2 $((P + 1)) \
			--label "$E IPv4 dual-ip/tcp" >"$TMP/vec" 2>&1
		rc=$?
		tap_lines "" <"$TMP/vec"
		check "$E IPv4 vectors: the replay finished (status $rc)" [ $rc -eq 0 ]
		stop_daemon
		check "$E IPv4 vectors: daemon exits 0" [ "$DRC" -eq 0 ]
		check "$E IPv4 vectors: 8 connections, 3 closed as not STUN (classic), 5 by the peer ($(total tcp_accepted)/$(total closed_not_stun)/$(total closed_peer))" \
			eval '[ "$(total tcp_accepted)" = 8 ] && [ "$(total closed_not_stun)" = 3 ] && [ "$(total closed_peer)" = 5 ]'
	else
		not_ok "$E IPv4 dual-ip daemon starts"
	fi

	# --- the same over IPv6, in a namespace with two addresses --------------
	NS=stcp6$$$engine
	if v6_pair_netns "$NS"; then
		if start_daemon "dual6-$engine" ip netns exec "$NS" -- -w 2 -e $engine \
			--listen "[::1]:$P" --alt-ip fd00:13::2 --alt-port $((P + 1)) --tcp-listen "[::1]:$P"; then
			ip netns exec "$NS" timeout 120 python3 "$PY" vectors --host ::1 --port "$P" \
				--a2 fd00:13::2 --p2 $((P + 1)) --label "$E IPv6 dual-ip/tcp" >"$TMP/vec" 2>&1
			rc=$?
			tap_lines "" <"$TMP/vec"
			check "$E IPv6 vectors: the replay finished (status $rc)" [ $rc -eq 0 ]
			stop_daemon
			check "$E IPv6 vectors: daemon exits 0" [ "$DRC" -eq 0 ]
		else
			not_ok "$E IPv6 dual-ip daemon starts"
		fi
	else
		skip "$E IPv6 vectors" "cannot create a network namespace (not root?)"
	fi

	# --- basic mode, IPv4 and IPv6 -----------------------------------------
	if start_daemon "basic-$engine" -- -w 2 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --tcp-listen "[::1]:0"; then
		P4=$(tcp_port)
		P6=$(sed -n 's/.* accepting TCP on \[::1\]:\([0-9]*\) .*/\1/p' "$DLOG")
		tcp basic --host 127.0.0.1 --port "$P4" --label "$E basic IPv4" >"$TMP/b" 2>&1
		check "$E basic IPv4: finished (status $?)" true
		tap_lines "" <"$TMP/b"
		tcp basic --host ::1 --port "$P6" --label "$E basic IPv6" >"$TMP/b" 2>&1
		tap_lines "" <"$TMP/b"
		stop_daemon
		check "$E basic: daemon exits 0, books of both families: $(grep -o 'tcp_requests=[0-9]* tcp_answered=[0-9]*' "$DLOG")" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_requests)" -gt 0 ] && [ "$(total tcp_requests)" = "$(total tcp_answered)" ]'
	else
		not_ok "$E basic daemon starts"
	fi

	# --- connection caps ------------------------------------------------------
	if start_daemon "caps-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --max-connections 6 --max-connections-per-source 3; then
		P=$(tcp_port)
		timeout 60 python3 "$PY" hold 3 --host 127.0.0.1 --port "$P" --src 127.0.0.5 >"$TMP/h5" 2>&1 &
		H5=$!
		PIDS+=("$H5")
		check "$E caps: 3 connections from 127.0.0.5 served" wait_for "$TMP/h5" held
		got=$(tcp probe --host 127.0.0.1 --port "$P" --src 127.0.0.5)
		check "$E caps: a 4th from 127.0.0.5 closed at once without an answer ($got)" [ "$got" = closed ]
		got=$(tcp probe --host 127.0.0.1 --port "$P" --src 127.0.0.6)
		check "$E caps: 127.0.0.6 still served ($got)" [ "$got" = answered ]
		timeout 60 python3 "$PY" hold 3 --host 127.0.0.1 --port "$P" --src 127.0.0.6 >"$TMP/h6" 2>&1 &
		H6=$!
		PIDS+=("$H6")
		check "$E caps: 3 from 127.0.0.6 held too (6 = --max-connections)" wait_for "$TMP/h6" held
		got=$(tcp probe --host 127.0.0.1 --port "$P" --src 127.0.0.7)
		check "$E caps: a 7th connection, from a new source, closed at once ($got)" [ "$got" = closed ]
		kill "$H5" 2>/dev/null
		wait "$H5" 2>/dev/null
		got=closed
		for _ in $(seq 20); do
			got=$(tcp probe --host 127.0.0.1 --port "$P" --src 127.0.0.7)
			[ "$got" = answered ] && break
			sleep 0.2
		done
		check "$E caps: once 127.0.0.5's close, 127.0.0.7 is served ($got)" [ "$got" = answered ]
		kill "$H6" 2>/dev/null
		wait "$H6" 2>/dev/null
		stop_daemon
		check "$E caps: counted: per_source=$(total closed_per_source) max_connections=$(total closed_max_connections)" \
			eval '[ "$(total closed_per_source)" = 1 ] && [ "$(total closed_max_connections)" -ge 1 ]'
	else
		not_ok "$E caps daemon starts"
	fi

	# --- timeouts, sizes ------------------------------------------------------
	if start_daemon "timeouts-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --tcp-first-message-timeout 1s --tcp-idle-timeout 2s \
		--tcp-max-message 256; then
		P=$(tcp_port)
		got=$(tcp slow --host 127.0.0.1 --port "$P" --gap 0.3)
		# 20 bytes at one every 300 ms take 6 s: closed well before.
		check "$E slowloris (a byte every 300 ms) closed by the first-message timeout ($got s)" \
			eval '[ "${got%% *}" = closed ] && awk "BEGIN { exit !(${got#* } < 5.5) }"'
		got=$(tcp idle --host 127.0.0.1 --port "$P" --timeout 15)
		check "$E an idle connection closed by the idle timeout ($got s)" \
			eval '[ "${got%% *}" = closed ] && awk "BEGIN { exit !(${got#* } < 10) }"'
		got=$(tcp steady --host 127.0.0.1 --port "$P" --gap 0.5 --seconds 3)
		check "$E a connection with a request every 500 ms stays open past the idle timeout ($got)" \
			eval '[ "${got#* * }" = "until the end" ]'
		# A header announcing 20 + 240 > 256 bytes.
		got=$(tcp send 000100f02112a442000102030405060708090a0b --host 127.0.0.1 --port "$P")
		check "$E a message over --tcp-max-message closes the connection ($got)" [ "$got" = closed ]
		got=$(tcp send "$(printf 'GET / HTTP/1.0\r\n\r\n' | od -An -tx1 | tr -d ' \n')" --host 127.0.0.1 --port "$P")
		check "$E bytes that are not STUN close the connection ($got)" [ "$got" = closed ]
		# Exactly 256 bytes: a SOFTWARE attribute of 232 bytes.
		sw=$(printf '61%.0s' $(seq 232))
		got=$(tcp send "000100ec2112a442000102030405060708090a0b802200e8$sw" --host 127.0.0.1 --port "$P")
		check "$E a message of exactly --tcp-max-message is answered ($got)" [ "$got" = answered ]
		stop_daemon
		check "$E timeouts: counted: first_message_timeout=$(total closed_first_message_timeout) idle_timeout=$(total closed_idle_timeout) too_big=$(total closed_too_big) not_stun=$(total closed_not_stun)" \
			eval '[ "$(total closed_first_message_timeout)" = 1 ] && [ "$(total closed_idle_timeout)" -ge 1 ] && [ "$(total closed_too_big)" = 1 ] && [ "$(total closed_not_stun)" = 1 ]'
	else
		not_ok "$E timeouts daemon starts"
	fi

	# --- backpressure: a peer that never reads --------------------------------
	if start_daemon "flood-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0; then
		P=$(tcp_port)
		tcp basic --host 127.0.0.1 --port "$P" >/dev/null 2>&1	# warm up
		before=$(rss_kib "$DPID")
		got=$(tcp flood --host 127.0.0.1 --port "$P" --seconds 3 --bytes $((200 << 20)))
		after=$(rss_kib "$DPID")
		echo "# $got; RSS ${before} -> ${after} KiB"
		sent=$(echo "$got" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
		check "$E a peer that never reads could not push 200 MB in: the daemon stopped reading it (${sent:-?} bytes taken)" \
			eval '[ -n "$sent" ] && [ "$sent" -lt $((200 << 20)) ] && echo "$got" | grep -q "stalled=1"'
		check "$E another peer was served meanwhile ($got)" \
			eval 'echo "$got" | grep -q "served=[1-9]"'
		check "$E the daemon's RSS did not grow ($before -> $after KiB, at most +2048)" \
			[ "$after" -le $((before + 2048)) ]
		stop_daemon
		check "$E backpressure counted (tcp_paused=$(total tcp_paused)), exit 0" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_paused)" -ge 1 ]'
	else
		not_ok "$E flood daemon starts"
	fi

	# --- SIGTERM with open connections ----------------------------------------
	if start_daemon "term-$engine" -- -w 2 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0; then
		P=$(tcp_port)
		timeout 60 python3 "$PY" hold 10 --host 127.0.0.1 --port "$P" >"$TMP/h" 2>&1 &
		H=$!
		PIDS+=("$H")
		wait_for "$TMP/h" held
		stop_daemon
		check "$E SIGTERM with 10 connections open: exit 0, closed_shutdown=$(total closed_shutdown)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total closed_shutdown)" = 10 ]'
		kill "$H" 2>/dev/null
	else
		not_ok "$E term daemon starts"
	fi
done

# --- operator errors ----------------------------------------------------------
expect_error "--tcp-listen not an address" 64 "tcp-listen" --tcp-listen nonsense
expect_error "--tcp-max-message too small" 64 "tcp-max-message" --tcp-max-message 100
expect_error "--tcp-idle-timeout without a value unit" 64 "tcp-idle-timeout" --tcp-idle-timeout 5sec
expect_error "--max-connections 0" 64 "max-connections" --max-connections 0
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$TMP/busy" &
BUSY=$!
PIDS+=("$BUSY")
wait_for "$TMP/busy" '[0-9]'
expect_error "a TCP port in use" 69 "in use" --listen 127.0.0.1:0 --tcp-listen "127.0.0.1:$(cat "$TMP/busy")"
kill "$BUSY" 2>/dev/null
finish
