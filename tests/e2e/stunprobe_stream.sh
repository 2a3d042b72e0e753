#!/usr/bin/env bash
# tests/e2e/stunprobe_stream.sh - stunprobe --tcp and --tls (RFC 8489 6.2.2,
# 6.2.3), inside one throw-away network namespace (its own loopback only):
#  - coturn as the real server over TCP and TLS, IPv4 and IPv6: the mapped
#    address is the client connection's own address and port; TLS with an
#    ECDSA and an RSA certificate, verified with --ca, refused without it
#    (exit 6) unless --insecure, the host name checked (--sni, a name);
#  - stun_stream_fake.py for what a real server should not do: close
#    without an answer, garbage, a wrong transaction ID, silence; an answer
#    split into single bytes after an indication; the ALPN offered;
#  - the stream options' errors: one line, exit 64;
#  - stunringd beside coturn: stunprobe --tcp and --tls get the same
#    answers (the connection's own address) from both;
#  - tshark decodes a capture of both servers' TCP sessions as STUN (stunringd
#    with 200 requests in one segment and a byte per segment), nothing
#    malformed.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
PROBE=${STUNPROBE:-$PWD/$BUILD/stunprobe}
FAKE=$PWD/tests/e2e/stun_stream_fake.py
NS=spstream$$

if [ "$(id -u)" != 0 ]; then
	skip "stunprobe over TCP and TLS" "needs root for a network namespace"
	finish
fi
if [ ! -x "$PROBE" ]; then
	skip "stunprobe over TCP and TLS" "$PROBE not built"
	finish
fi
need_tools "stunprobe over TCP and TLS" turnserver python3 openssl ss
ip netns add "$NS" || { skip "stunprobe over TCP and TLS" "cannot create a network namespace"; finish; }
NETNS+=("$NS")
in_ns() { ip netns exec "$NS" "$@"; }
probe() { in_ns timeout 60 "$PROBE" "$@"; }
in_ns ip link set lo up

# wait_listen PORT...: each port has a TCP listener in the namespace (ss,
# not a connection: the fakes count connections).
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

# wait_grep PATTERN FILE: the line appears within 5 s (the fake logs a
# close after the client has gone).
wait_grep() {
	local i
	for i in $(seq 50); do
		grep -q -- "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# Throw-away certificates: ECDSA P-256 and RSA 2048, self-signed, naming
# localhost, stun.test, 127.0.0.1 and ::1.
SAN="subjectAltName=DNS:localhost,DNS:stun.test,IP:127.0.0.1,IP:::1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=stun.test -addext "$SAN" -keyout "$TMP/ec.key" -out "$TMP/ec.pem" 2>/dev/null &&
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stun.test -addext "$SAN" \
	-keyout "$TMP/rsa.key" -out "$TMP/rsa.pem" 2>/dev/null ||
	{ not_ok "throw-away certificates made"; finish; }

# coturn: TCP on 3478, TLS on 5349 (ECDSA), both families.  Started
# with ip netns exec directly, so $! is the server itself.
ip netns exec "$NS" turnserver -n --stun-only --no-cli --no-dtls -L 127.0.0.1 -L ::1 -p 3478 \
	--tls-listening-port 5349 --cert "$TMP/ec.pem" --pkey "$TMP/ec.key" \
	--log-file "$TMP/coturn.log" --simple-log >/dev/null 2>&1 &
PIDS+=($!)
# The fakes, one process: TCP on 6001.., TLS with the RSA certificate on
# 6101.., logs in $TMP/PORT.log.
specs=() port=6000
for m in answer split close silent garbage wrongtid; do
	port=$((port + 1))
	specs+=("$m:127.0.0.1:$port" "$m:127.0.0.1:$((port + 100)):tls")
done
ip netns exec "$NS" python3 "$FAKE" "$TMP" "$TMP/rsa.pem" "$TMP/rsa.key" "${specs[@]}" \
	"answer:[::1]:6201:tls" &
PIDS+=($!)
if ! wait_listen 3478 5349 6001 6106 6201; then
	not_ok "coturn and the fake servers listen in the namespace"
	show "$TMP/coturn.log"
	finish
fi

# --- coturn over TCP ----------------------------------------------------------
for a in 127.0.0.1:3478 '[::1]:3478'; do
	out=$(probe --tcp --json "$a"); rc=$?
	check_eq "--tcp $a: exit 0, result ok" "$rc:$(jget result <<<"$out")" 0:ok
	check_eq "--tcp $a: transport tcp" "$(jget transport <<<"$out")" tcp
	mapped=$(jget mapped <<<"$out")
	check_eq "--tcp $a: mapped address is the connection's own address and port" \
		"$mapped" "$(jget local <<<"$out")"
	case "$mapped" in
	"${a%:*}":[0-9]*) ok "--tcp $a: mapped address of the right family ($mapped)" ;;
	*) not_ok "--tcp $a: mapped address of the right family ($mapped)" ;;
	esac
done
txt=$(probe --tcp 127.0.0.1); rc=$?
check "--tcp text output: default port 3478, transport and mapped lines" \
	bash -c '[ "$1" = 0 ] && grep -q "^server    127.0.0.1:3478$" <<<"$2" &&
		grep -q "^transport tcp$" <<<"$2" && grep -q "^mapped    127.0.0.1:[0-9]* (XOR-MAPPED-ADDRESS)$" <<<"$2"' \
	_ "$rc" "$txt"

# --- coturn over TLS ----------------------------------------------------------
for a in 127.0.0.1:5349 '[::1]:5349'; do
	out=$(probe --tls --ca "$TMP/ec.pem" --json "$a"); rc=$?
	check_eq "--tls --ca $a (ECDSA): exit 0, result ok" "$rc:$(jget result <<<"$out")" 0:ok
	check_eq "--tls --ca $a: mapped address is the connection's own" \
		"$(jget mapped <<<"$out")" "$(jget local <<<"$out")"
	check_eq "--tls --ca $a: certificate verified" "$(jget certificate_verified <<<"$out")" true
done
case "$(jget tls_version <<<"$out")" in
TLSv1.2 | TLSv1.3) ok "TLS version 1.2 or later ($(jget tls_version <<<"$out"))" ;;
*) not_ok "TLS version 1.2 or later"; echo "# $out" ;;
esac
check_eq "coturn selected the offered ALPN stun.nat-discovery" "$(jget alpn <<<"$out")" stun.nat-discovery
out=$(probe --tls --json 127.0.0.1); rc=$?
check_eq "--tls without --ca: self-signed certificate refused, exit 6" \
	"$rc:$(jget result <<<"$out")" 6:tls_failed
case "$(jget tls_error <<<"$out")" in
"certificate verification failed"*) ok "the error names the failed verification" ;;
*) not_ok "the error names the failed verification"; echo "# $out" ;;
esac
err=$(probe --tls 127.0.0.1 2>&1 >/dev/null)
check_eq "--tls failure: one line on stderr" "$(wc -l <<<"$err")" 1
out=$(probe --tls --insecure --json 127.0.0.1); rc=$?
check_eq "--tls --insecure: exit 0, certificate not verified" \
	"$rc:$(jget certificate_verified <<<"$out")" 0:false
out=$(probe --tls --ca "$TMP/ec.pem" --sni wrong.test --json 127.0.0.1); rc=$?
check_eq "--sni wrong.test: host name mismatch, exit 6" "$rc:$(jget result <<<"$out")" 6:tls_failed
case "$(jget tls_error <<<"$out")" in
*mismatch*) ok "the error says the host name does not match" ;;
*) not_ok "the error says the host name does not match"; echo "# $out" ;;
esac
out=$(probe --tls --ca "$TMP/ec.pem" --sni stun.test --json 127.0.0.1); rc=$?
check_eq "--sni stun.test (named by the certificate): exit 0" "$rc:$(jget result <<<"$out")" 0:ok
out=$(probe -4 --tls --ca "$TMP/ec.pem" --json localhost); rc=$?
check_eq "a host name (localhost) is checked against the certificate: exit 0" \
	"$rc:$(jget server <<<"$out")" 0:127.0.0.1:5349
out=$(probe --tls --ca "$TMP/rsa.pem" --json 127.0.0.1); rc=$?
check_eq "--ca naming another certificate: coturn's is refused, exit 6" "$rc" 6

# --- the fakes: RSA certificate, ALPN, framing, wrong servers ------------------
out=$(probe --tls --ca "$TMP/rsa.pem" --json 127.0.0.1:6101); rc=$?
check_eq "TLS with an RSA certificate: exit 0, mapped is local" \
	"$rc:$(jget mapped <<<"$out")" "0:$(jget local <<<"$out")"
check "stunprobe offered ALPN stun.nat-discovery (the server selected it)" \
	grep -q "^alpn stun.nat-discovery$" "$TMP/6101.log"
out=$(probe --tls --ca "$TMP/rsa.pem" --json '[::1]:6201'); rc=$?
check_eq "TLS over IPv6 (RSA): exit 0, mapped is local" \
	"$rc:$(jget mapped <<<"$out")" "0:$(jget local <<<"$out")"
for t in "--tcp:6002" "--tls --ca $TMP/rsa.pem:6102"; do
	name=${t%% *}; name=${name%:*}
	out=$(probe ${t%:*} --json 127.0.0.1:${t##*:}); rc=$?
	check_eq "$name: an indication, then the answer one byte per segment: exit 0, mapped is local" \
		"$rc:$(jget mapped <<<"$out")" "0:$(jget local <<<"$out")"
done
for t in "--tcp:6003" "--tls --ca $TMP/rsa.pem:6103"; do
	name=${t%% *}; name=${name%:*}
	out=$(probe ${t%:*} --json 127.0.0.1:${t##*:}); rc=$?
	check_eq "$name: server closes without an answer: exit 1, result closed" \
		"$rc:$(jget result <<<"$out")" 1:closed
done
start=$(date +%s%N)
out=$(probe --tcp --timeout 300ms --json 127.0.0.1:6004); rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "--tcp --timeout 300ms against a silent server: exit 1, result timeout" \
	"$rc:$(jget result <<<"$out")" 1:timeout
check "... one request, no retransmission over TCP" wait_grep "^close [0-9]* 1$" "$TMP/6004.log"
check "... given up after the timeout, well before the 5 s default ($ms ms)" [ "$ms" -lt 4000 ]
for t in "--tcp:6005" "--tls --ca $TMP/rsa.pem:6105"; do
	name=${t%% *}; name=${name%:*}
	out=$(probe ${t%:*} --json 127.0.0.1:${t##*:}); rc=$?
	check_eq "$name: bytes that cannot be STUN: exit 4, not_stun" \
		"$rc:$(jget bad_response <<<"$out")" 4:not_stun
done
for t in "--tcp:6006" "--tls --ca $TMP/rsa.pem:6106"; do
	name=${t%% *}; name=${name%:*}
	out=$(probe ${t%:*} --json 127.0.0.1:${t##*:}); rc=$?
	check_eq "$name: a response with another transaction ID: exit 4, wrong_tid" \
		"$rc:$(jget bad_response <<<"$out")" 4:wrong_tid
done
out=$(probe --tcp --json 127.0.0.1:6999); rc=$?
check_eq "--tcp to a closed port: exit 1, connect_failed" "$rc:$(jget result <<<"$out")" 1:connect_failed
out=$(probe --tcp --json 127.0.0.1:6999 127.0.0.1:3478); rc=$?
check_eq "several servers: the next one is tried after a refused connection" \
	"$rc:$(jget server <<<"$out"):$(jget servers_tried <<<"$out")" 0:127.0.0.1:3478:2

# --- option errors: one line, exit 64 --------------------------------------------
experr() {	# experr NAME PATTERN ARGS...
	local name=$1 pattern=$2 rc
	shift 2
	probe "$@" >"$TMP/o" 2>"$TMP/e"; rc=$?
	if [ $rc = 64 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -Eq -- "$pattern" "$TMP/e" && [ ! -s "$TMP/o" ]; then
		ok "$name: exit 64, one line: $(cat "$TMP/e")"
	else
		not_ok "$name: exit $rc"
		show "$TMP/e"
	fi
}
experr "--tcp --behavior" "behavior runs over UDP only" --tcp --behavior 127.0.0.1
experr "--tls --classic" "classic runs over UDP only" --tls --classic 127.0.0.1
experr "--tcp --tls" "exclusive" --tcp --tls 127.0.0.1
experr "--insecure without --tls" "--insecure needs --tls" --insecure 127.0.0.1
experr "--ca without --tls" "--ca needs --tls" --tcp --ca "$TMP/ec.pem" 127.0.0.1
experr "--ca with --insecure" "exclusive" --tls --ca "$TMP/ec.pem" --insecure 127.0.0.1
experr "--rto with --tcp" "no retransmission" --tcp --rto 100 127.0.0.1
experr "--timeout without a stream" "--timeout is for --tcp and --tls" --timeout 1s 127.0.0.1
experr "--timeout 0" "--timeout" --tcp --timeout 0 127.0.0.1
experr "--classic-requests with --tcp" "magic cookie" --tcp --classic-requests 127.0.0.1
experr "--ca FILE missing" "--ca $TMP/none.pem: No such file" --tls --ca "$TMP/none.pem" 127.0.0.1
experr "--ca FILE holding no certificate (a key)" "cannot load" --tls --ca "$TMP/ec.key" 127.0.0.1

# --- stunringd beside coturn: the same answers to our client, and tshark ----
# (3490: coturn holds 3479, its RFC 5780 alternate port)
# decodes both servers' TCP sessions (stunringd's with 200 requests in one
# segment and one a byte at a time, so its framing is what tshark reassembles).
DAEMON=$PWD/$DAEMON
if start_daemon stream ip netns exec "$NS" -- -w 1 --listen 127.0.0.1:3490 \
	--tcp-listen 127.0.0.1:3490 --tcp-listen '[::1]:3490' --tls-listen 127.0.0.1:5360 \
	--tls-cert "$TMP/ec.pem" --tls-key "$TMP/ec.key"; then
	# OPTIONS|HOST|stunringd's PORT (coturn: the default port).
	for t in "--tcp|127.0.0.1|3490" "--tcp|[::1]|3490" "--tls --ca $TMP/ec.pem|127.0.0.1|5360"; do
		IFS='|' read -r opts host port <<<"$t"
		# shellcheck disable=SC2086 # opts holds options
		c=$(probe --json $opts "$host"); crc=$?
		# shellcheck disable=SC2086
		r=$(probe --json $opts "$host:$port"); rrc=$?
		check_eq "stunprobe ${opts%% *} $host: coturn and stunringd each answer" "$crc:$rrc" 0:0
		check "stunprobe ${opts%% *} $host: both report the connection's own address and port ($(jget mapped <<<"$c"), $(jget mapped <<<"$r"))" \
			eval '[ "$(jget mapped <<<"$c")" = "$(jget local <<<"$c")" ] && [ "$(jget mapped <<<"$r")" = "$(jget local <<<"$r")" ] &&
			      [ "$(jget mapped <<<"$c" | sed "s/:[0-9]*$//")" = "$(jget mapped <<<"$r" | sed "s/:[0-9]*$//")" ]'
	done
else
	not_ok "stunringd starts beside coturn in the namespace"
fi
if command -v tshark >/dev/null; then
	ip netns exec "$NS" tshark -i lo -w "$TMP/cap.pcapng" -f "tcp port 3478 or tcp port 3490" 2>"$TMP/tshark.err" &
	cap=$!
	PIDS+=($cap)
	wait_grep "Capturing on" "$TMP/tshark.err"
	# "Capturing on" comes a little before dumpcap really captures, and
	# the last packets reach the file a little after they are sent.
	sleep 1
	probe --tcp 127.0.0.1 >/dev/null; probe --tcp '[::1]' >/dev/null
	probe --tcp 127.0.0.1:3490 >/dev/null; probe --tcp '[::1]:3490' >/dev/null
	in_ns timeout 60 python3 tests/e2e/stun_tcp.py basic --host 127.0.0.1 --port 3490 \
		--label "stunringd basic" >"$TMP/basic" 2>&1
	check "stun_tcp.py basic against stunringd: every request answered in order ($(grep -c '^ok' "$TMP/basic") ok)" \
		eval '! grep -q "^not ok" "$TMP/basic" && grep -q "^ok" "$TMP/basic"'
	sleep 1
	kill -INT $cap 2>/dev/null
	wait $cap 2>/dev/null
	n=$(tshark -r "$TMP/cap.pcapng" -Y "stun && tcp.port == 3478" 2>/dev/null | wc -l)
	nr=$(tshark -r "$TMP/cap.pcapng" -Y "stun && tcp.port == 3490" 2>/dev/null | wc -l)
	# One frame may carry many STUN messages: count the messages.
	mr=$(tshark -r "$TMP/cap.pcapng" -Y "tcp.port == 3490" -T fields -e stun.type 2>/dev/null |
		tr ',' '\n' | grep -c .)
	bad=$(tshark -r "$TMP/cap.pcapng" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null | wc -l)
	check "tshark decodes coturn's two TCP sessions' requests and answers as STUN ($n frames)" [ "$n" -ge 4 ]
	check "tshark decodes stunringd's TCP sessions as STUN ($nr frames, $mr messages)" \
		eval '[ "$nr" -ge 4 ] && [ "$mr" -ge 400 ]'
	check_eq "tshark: no malformed or erroneous frame" "$bad" 0
else
	skip "tshark decodes the TCP session" "tshark not installed"
fi

if [ -n "${DPID:-}" ]; then
	stop_daemon
	req=$(grep ' totals: ' "$DLOG" | grep -o 'tcp_requests=[0-9]* tcp_answered=[0-9]*')
	check "stunringd exits 0 ($req)" [ "$DRC" -eq 0 ]
fi
finish
