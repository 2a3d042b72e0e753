#!/usr/bin/env bash
# tests/e2e/stunload_stream.sh - stunload --transport tcp and tls, inside one
# throw-away network namespace (its own loopback only), every run bounded
# by --count and a timeout:
#  - coturn over TCP and TLS, IPv4 and IPv6: every answer valid (the mapped
#    address is each connection's own address and port), persistent
#    connections (exactly N connections for the whole run);
#  - TLS verified with --ca, refused without it (handshake errors counted,
#    exit 4) unless --tls-insecure;
#  - churn: --requests-per-connection K really opens connections carrying K
#    requests each (counted on the server side by stun_stream_fake.py);
#  - validation: a wrong mapped address, a wrong transaction ID, bytes
#    that cannot be STUN are caught (exit 1); answers split into single
#    bytes after an indication are reassembled;
#  - a refused target: connect errors counted, exit 4; flag errors.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
LOAD=${STUNLOAD:-$PWD/$BUILD/stunload}
FAKE=$PWD/tests/e2e/stun_stream_fake.py
NS=slstream$$

if [ "$(id -u)" != 0 ]; then
	skip "stunload over TCP and TLS" "needs root for a network namespace"
	finish
fi
if [ ! -x "$LOAD" ]; then
	skip "stunload over TCP and TLS" "$LOAD not built"
	finish
fi
need_tools "stunload over TCP and TLS" turnserver python3 openssl ss
ip netns add "$NS" || { skip "stunload over TCP and TLS" "cannot create a network namespace"; finish; }
NETNS+=("$NS")
in_ns() { ip netns exec "$NS" "$@"; }
load() { in_ns timeout 60 "$LOAD" --no-progress "$@"; }
in_ns ip link set lo up

wait_listen() {
	local p i
	for p in "$@"; do
		# Generous: Python and coturn start slowly on a busy machine.
		for i in $(seq 300); do
			[ -n "$(in_ns ss -Hltn "sport = :$p")" ] && break
			sleep 0.1
		done
		[ -n "$(in_ns ss -Hltn "sport = :$p")" ] || return 1
	done
}
# settle FILE: wait until the fake has logged a close for every accept.
settle() {
	local i
	for i in $(seq 50); do
		[ "$(grep -c '^accept ' "$1")" = "$(grep -c '^close ' "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

SAN="subjectAltName=DNS:localhost,DNS:stun.test,IP:127.0.0.1,IP:::1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=stun.test -addext "$SAN" -keyout "$TMP/ec.key" -out "$TMP/ec.pem" 2>/dev/null ||
	{ not_ok "throw-away certificate made"; finish; }

ip netns exec "$NS" turnserver -n --stun-only --no-cli --no-dtls -L 127.0.0.1 -L ::1 -p 3478 \
	--tls-listening-port 5349 --cert "$TMP/ec.pem" --pkey "$TMP/ec.key" \
	--log-file "$TMP/coturn.log" --simple-log >/dev/null 2>&1 &
PIDS+=($!)
# The fakes, one process, logs in $TMP/PORT.log: 7001 answer (TCP), 7101
# answer (TLS), 7002 split, 7003 wrongmapped, 7004 wrongtid, 7005 garbage.
ip netns exec "$NS" python3 "$FAKE" "$TMP" "$TMP/ec.pem" "$TMP/ec.key" \
	answer:127.0.0.1:7001 answer:127.0.0.1:7101:tls split:127.0.0.1:7002 \
	wrongmapped:127.0.0.1:7003 wrongtid:127.0.0.1:7004 garbage:127.0.0.1:7005 &
PIDS+=($!)
if ! wait_listen 3478 5349 7001 7005; then
	not_ok "coturn and the fake servers listen in the namespace"
	show "$TMP/coturn.log"
	finish
fi

# --- coturn, persistent connections -------------------------------------------
for a in 127.0.0.1:3478 '[::1]:3478'; do
	out=$(load --transport tcp --connections 4 -n 2000 --json "$a"); rc=$?
	check_eq "tcp $a: exit 0, all 2000 answers valid (mapped = each connection's own address)" \
		"$rc:$(jget valid <<<"$out"):$(jget invalid <<<"$out")" 0:2000:0
	check_eq "tcp $a: 4 persistent connections, none failed" \
		"$(jget connections_established <<<"$out"):$(jget connect_errors <<<"$out"):$(jget closed_by_server <<<"$out")" 4:0:0
done
for a in 127.0.0.1:5349 '[::1]:5349'; do
	out=$(load --transport tls --ca "$TMP/ec.pem" --connections 3 -n 900 --json "$a"); rc=$?
	check_eq "tls --ca $a: exit 0, all 900 answers valid" \
		"$rc:$(jget valid <<<"$out"):$(jget invalid <<<"$out")" 0:900:0
	check_eq "tls $a: 3 handshakes for 3 persistent connections" \
		"$(jget handshakes <<<"$out"):$(jget connections_established <<<"$out")" 3:3
done
out=$(load --transport tls --connections 2 -n 100 -d 2 --json 127.0.0.1); rc=$?
check_eq "tls without --ca: nothing sent, exit 4" "$rc:$(jget sent <<<"$out")" 4:0
check "... handshake errors counted ($(jget handshake_errors <<<"$out"))" \
	[ "$(jget handshake_errors <<<"$out")" -ge 2 ]
case "$(jget first_connection_error <<<"$out")" in
*"certificate verification failed"*) ok "... the report names the failed verification" ;;
*) not_ok "... the report names the failed verification"; echo "# $out" ;;
esac
out=$(load --transport tls --tls-insecure --connections 2 -n 200 --json 127.0.0.1); rc=$?
check_eq "tls --tls-insecure: exit 0, 200 valid" "$rc:$(jget valid <<<"$out")" 0:200
out=$(load --transport tls --ca "$TMP/ec.pem" --sni stun.test --connections 2 -n 100 --json 127.0.0.1); rc=$?
check_eq "tls --sni stun.test (a name of the certificate): exit 0, 100 valid" "$rc:$(jget valid <<<"$out")" 0:100
out=$(load --transport tls --ca "$TMP/ec.pem" --sni wrong.test --connections 1 -d 1 --json 127.0.0.1); rc=$?
case "$rc:$(jget first_connection_error <<<"$out")" in
4:*mismatch*) ok "tls --sni wrong.test: host name mismatch, exit 4" ;;
*) not_ok "tls --sni wrong.test: host name mismatch, exit 4"; echo "# $out" ;;
esac
txt=$(load --transport tls --ca "$TMP/ec.pem" --connections 2 -n 200 127.0.0.1); rc=$?
check "text report: transport, connections and handshakes lines" \
	bash -c '[ "$1" = 0 ] && grep -q "tls, closed loop, 8 in flight per connection, 2 connections" <<<"$2" &&
		grep -q "^  connections  *2 " <<<"$2" && grep -q "^  handshakes  *2 " <<<"$2"' _ "$rc" "$txt"

# --- churn: K requests per connection, counted by the server -------------------
out=$(load --transport tcp --connections 2 --requests-per-connection 5 -n 100 --json 127.0.0.1:7001); rc=$?
check_eq "tcp churn K=5: exit 0, 100 valid" "$rc:$(jget valid <<<"$out")" 0:100
settle "$TMP/7001.log"
per=$(awk '/^close / && $3 > 0 { print $3 }' "$TMP/7001.log" | sort | uniq -c | awk '{ print $1 "x" $2 }')
check_eq "... the server saw 20 connections of exactly 5 requests each" "$per" 20x5
check_eq "... stunload counted the connections the server accepted" \
	"$(jget connections_established <<<"$out")" "$(grep -c '^accept ' "$TMP/7001.log")"
out=$(load --transport tcp --bind 127.0.0.0/24 --connections 8 -n 400 --json 127.0.0.1:7001); rc=$?
check_eq "--bind 127.0.0.0/24 over tcp: exit 0, 400 valid (mapped = each connection's bound address)" \
	"$rc:$(jget valid <<<"$out")" 0:400
settle "$TMP/7001.log"
check_eq "... the server saw connections from 127.0.0.1 to 127.0.0.8" \
	"$(awk '/^accept / { print $3 }' "$TMP/7001.log" | sort -u | tr '\n' ' ')" \
	"127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 "
out=$(load --transport tls --ca "$TMP/ec.pem" --connections 3 --requests-per-connection 4 -n 120 --json 127.0.0.1:7101); rc=$?
check_eq "tls churn K=4: exit 0, 120 valid" "$rc:$(jget valid <<<"$out")" 0:120
settle "$TMP/7101.log"
per=$(awk '/^close / && $3 > 0 { print $3 }' "$TMP/7101.log" | sort | uniq -c | awk '{ print $1 "x" $2 }')
check_eq "... the server saw 30 TLS connections of exactly 4 requests each" "$per" 30x4
check "... at least 30 handshakes reported, at a rate ($(jget handshakes <<<"$out"), $(jget handshakes_per_s <<<"$out")/s)" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["handshakes"] >= 30 and d["handshakes_per_s"] > 0 and d["connections_per_s"] > 0' "$out"
check "... the server saw ALPN stun.nat-discovery offered" grep -q "^alpn stun.nat-discovery$" "$TMP/7101.log"
check_eq "... no session resumed without --tls-resume" "$(jget handshakes_resumed <<<"$out")" 0
out=$(load --transport tls --ca "$TMP/ec.pem" --tls-resume --connections 2 --requests-per-connection 2 -n 40 --json 127.0.0.1:5349); rc=$?
check "--tls-resume against coturn: exit 0, 40 valid, the successors resumed their sessions ($(jget handshakes_resumed <<<"$out") of $(jget handshakes <<<"$out"))" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["exit_status"] == 0 and d["valid"] == 40 and d["handshakes_resumed"] >= d["handshakes"] - 2 - 2 > 0' "$out"
out=$(load --transport tls --ca "$TMP/ec.pem" --connections 2 --requests-per-connection 1 -n 40 --json '[::1]:5349'); rc=$?
check_eq "tls churn K=1 against coturn over IPv6: exit 0, 40 valid, 40 handshakes at least" \
	"$rc:$(jget valid <<<"$out"):$([ "$(jget handshakes <<<"$out")" -ge 40 ] && echo enough)" 0:40:enough

# --- validation -----------------------------------------------------------------
out=$(load --transport tcp --connections 2 -n 50 --json 127.0.0.1:7002); rc=$?
check_eq "answers one byte per segment after an indication: exit 0, 50 valid" \
	"$rc:$(jget valid <<<"$out")" 0:50
out=$(load --transport tcp --connections 2 -n 50 --json 127.0.0.1:7003); rc=$?
check_eq "a wrong mapped address: exit 1, counted as wrong_mapped_address" \
	"$rc:$(jget invalid_by_kind wrong_mapped_address <<<"$out")" 1:50
out=$(load --transport tcp --connections 1 -n 20 -T 200ms --json 127.0.0.1:7004); rc=$?
check "a wrong transaction ID: exit 1, counted as wrong_tid" \
	test "$rc" = 1 -a "$(jget invalid_by_kind wrong_tid <<<"$out")" -ge 1
out=$(load --transport tcp --connections 1 -n 20 -d 1 -T 200ms --json 127.0.0.1:7005); rc=$?
check "bytes that cannot be STUN: exit 1, counted as malformed" \
	test "$rc" = 1 -a "$(jget invalid_by_kind malformed <<<"$out")" -ge 1
out=$(load --transport tcp --connections 2 -d 1 --json 127.0.0.1:7999); rc=$?
check_eq "a refused target: exit 4, no connection" "$rc:$(jget connections_established <<<"$out")" 4:0
check "... connect errors counted ($(jget connect_errors <<<"$out"))" [ "$(jget connect_errors <<<"$out")" -ge 2 ]

# --- flags ------------------------------------------------------------------------
experr() {	# experr NAME PATTERN ARGS...
	local name=$1 pattern=$2 rc
	shift 2
	load "$@" >"$TMP/o" 2>"$TMP/e"; rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -Eq -- "$pattern" "$TMP/e" && [ ! -s "$TMP/o" ]; then
		ok "$name: exit 2, one line: $(cat "$TMP/e")"
	else
		not_ok "$name: exit $rc"
		show "$TMP/e"
	fi
}
experr "--transport quic" "not udp, tcp or tls" --transport quic 127.0.0.1
experr "--connections with UDP" "--connections needs --transport tcp or tls" --connections 2 127.0.0.1
experr "--sockets with tcp" "--sockets is for UDP" --transport tcp --sockets 2 127.0.0.1
experr "--requests-per-connection 0" "--requests-per-connection" --transport tcp --requests-per-connection 0 127.0.0.1
experr "--mix classic over tcp" "magic cookie" --transport tcp --mix classic 127.0.0.1
experr "--ca without tls" "--ca needs --transport tls" --transport tcp --ca "$TMP/ec.pem" 127.0.0.1
experr "--sni without tls" "--sni needs --transport tls" --transport tcp --sni a.test 127.0.0.1
experr "--tls-resume without tls" "--tls-resume needs --transport tls" --transport tcp --tls-resume 127.0.0.1
experr "--tls-max-version without tls" "--tls-max-version needs --transport tls" --transport tcp --tls-max-version 1.2 127.0.0.1
experr "--tls-max-version 1.1" "not 1.2 or 1.3" --transport tls --tls-max-version 1.1 127.0.0.1
experr "--ca with --tls-insecure" "exclusive" --transport tls --ca "$TMP/ec.pem" --tls-insecure 127.0.0.1
experr "--ca missing file" "No such file" --transport tls --ca "$TMP/none.pem" 127.0.0.1
out=$(load --transport tls --tls-insecure -n 10 --connections 1 --json 127.0.0.1); rc=$?
check_eq "--transport tls: default port 5349" "$rc:$(jget target <<<"$out")" 0:127.0.0.1:5349

finish
