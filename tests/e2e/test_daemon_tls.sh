#!/usr/bin/env bash
# tests/e2e/test_daemon_tls.sh - stunringd serving STUN over TLS
# (--tls-listen, RFC 8489 6.2.3), for both engines, by behaviour, with
# throwaway certificates made here by `openssl req` (ECDSA P-256 and RSA
# 2048, IP SANs 127.0.0.1 and ::1):
#   - every dual-ip/tcp row of expected.tsv over TLS (tests/e2e/stun_tcp.py
#     --tls: Python's ssl module), each request whole, split at every byte
#     boundary across two TLS records and 40 back to back in one record;
#     IPv4 on 127.0.0.1/127.0.0.2 with the ECDSA certificate, IPv6 in a
#     namespace of our own (::1 + fd00:13::2);
#   - basic mode over IPv4 and IPv6 with the RSA certificate: one byte per
#     record, split everywhere, 200 requests in one record;
#   - stunload --transport tls: 8 persistent connections, every answer valid;
#     churn with --tls-resume (session tickets: resumed handshakes, counted
#     alike by the daemon); a peer that never reads its replies (backpressure
#     through the TLS filter: it cannot push 200 MB in, the RSS stays);
#   - TLS 1.2 and 1.3 each negotiated, ALPN stun.nat-discovery agreed when
#     offered, no ALPN (and another protocol only) still served;
#   - the handshake timeout (a peer that never sends a ClientHello is
#     closed and counted), --tls-max-handshakes (the connection over it is
#     closed at once, counted, and served again once a slot is free), bytes
#     that are not TLS closed and counted, SIGTERM with TLS connections open;
#   - third-party peers: `openssl s_client` carrying a Binding Request gets
#     a valid answer; stunprobe --tls --ca reports its own address; coturn's
#     turnutils_stunclient has no TLS (UDP only), said as a skip;
#   - the certificate: missing, not PEM, a key that is not PEM, a key of
#     another certificate, --tls-listen without --tls-cert: one line naming
#     the file, exit 64; SIGHUP with a broken certificate keeps serving the
#     old one (fingerprint checked with openssl s_client), SIGHUP with a new
#     one serves it to new connections;
#   - the tls-* keys in a configuration file; SIGHUP with tls-cert and tls-key
#     naming other files applies them at once;
#   - kTLS: skipped loudly where the kernel has no "tls" ULP (this one).
#
# No pause between the pieces of a split request (--gap 0): each piece is a
# TLS record of its own, and the daemon decrypts record by record, so the
# core gets the request in those pieces however TCP segments them.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$BUILD/stunprobe" "$BUILD/stunload"
need_tools "TLS tests" openssl python3
PY=tests/e2e/stun_tcp.py

tls_port() {
	sed -n "s/.* accepting TLS on ${1:-127.0.0.1}:\([0-9]*\) .*/\1/p" "$DLOG" | head -1
}
tcp() { timeout 120 python3 "$PY" "$@"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
wait_for() {
	for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
# mkcert NAME ec|rsa: $TMP/NAME.crt and $TMP/NAME.key, self-signed.
mkcert() {
	local alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	[ "$2" = rsa ] && alg=(-newkey rsa:2048)
	openssl req -x509 "${alg[@]}" -nodes -days 2 -subj "/CN=stunring-test-$1" \
		-addext "subjectAltName=IP:127.0.0.1,IP:::1" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.crt" 2>"$TMP/openssl.err"
}
# The SHA-256 fingerprint of the certificate served on 127.0.0.1:$1.
served_fp() {
	timeout 5 openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
file_fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" | cut -d= -f2; }
# free_pair, and P free for TCP on 127.0.0.1 too (free_pair checks UDP only;
# a client's ephemeral port may hold it).
free_pair_tls() {
	local p
	for _ in $(seq 20); do
		p=$(free_pair "$@")
		python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$p" \
			2>/dev/null && break
	done
	echo "$p"
}

if ! mkcert ec ec || ! mkcert rsa rsa || ! mkcert ec2 ec; then
	not_ok "openssl req makes the test certificates"
	show "$TMP/openssl.err"
	finish
fi
ok "throwaway certificates: ECDSA P-256 ($(file_fp "$TMP/ec.crt" | cut -c1-11)...), RSA 2048, a second ECDSA"

for engine in ${ENGINES:-uring mmsg}; do
	E="$engine:"
	# --- dual-ip/tcp rows of expected.tsv over TLS, IPv4, ECDSA -------------
	P=$(free_pair_tls 127.0.0.1 127.0.0.2)
	if start_daemon "dual4-$engine" -- -w 2 -e $engine --listen "127.0.0.1:$P" \
		--alt-ip 127.0.0.2 --alt-port $((P + 1)) --tls-listen "127.0.0.1:$P" \
		--tls-cert "$TMP/ec.crt" --tls-key "$TMP/ec.key"; then
		tcp vectors --gap 0 --tls --ca "$TMP/ec.crt" --host 127.0.0.1 --port "$P" --a2 127.0.0.2 \
			--p2 $((P + 1)) --label "$E TLS IPv4 dual-ip/tcp" >"$TMP/vec" 2>&1
		rc=$?
		tap_lines "" <"$TMP/vec"
		check "$E TLS IPv4 vectors: the replay finished (status $rc)" [ $rc -eq 0 ]
		stop_daemon
		check "$E TLS IPv4 vectors: exit 0; 8 handshakes ok, 3 closed as not STUN (classic), 5 by the peer ($(total tls_handshakes_ok)/$(total closed_not_stun)/$(total closed_peer))" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tls_handshakes_ok)" = 8 ] && [ "$(total closed_not_stun)" = 3 ] && [ "$(total closed_peer)" = 5 ]'
	else
		not_ok "$E TLS IPv4 dual-ip daemon starts"
	fi

	# --- the same over IPv6, in a namespace with two addresses --------------
	NS=stls6$$$engine
	if v6_pair_netns "$NS"; then
		if start_daemon "dual6-$engine" ip netns exec "$NS" -- -w 2 -e $engine \
			--listen "[::1]:$P" --alt-ip fd00:13::2 --alt-port $((P + 1)) \
			--tls-listen "[::1]:$P" --tls-cert "$TMP/ec.crt" --tls-key "$TMP/ec.key"; then
			ip netns exec "$NS" timeout 120 python3 "$PY" vectors --gap 0 --tls --ca "$TMP/ec.crt" \
				--host ::1 --port "$P" --a2 fd00:13::2 --p2 $((P + 1)) \
				--label "$E TLS IPv6 dual-ip/tcp" >"$TMP/vec" 2>&1
			rc=$?
			tap_lines "" <"$TMP/vec"
			check "$E TLS IPv6 vectors: the replay finished (status $rc)" [ $rc -eq 0 ]
			stop_daemon
			check "$E TLS IPv6 vectors: daemon exits 0" [ "$DRC" -eq 0 ]
		else
			not_ok "$E TLS IPv6 dual-ip daemon starts"
		fi
	else
		skip "$E TLS IPv6 vectors" "cannot create a network namespace (not root?)"
	fi

	# --- basic mode, RSA, IPv4 and IPv6; versions and ALPN ------------------
	if start_daemon "basic-$engine" -- -w 2 -e $engine --listen 127.0.0.1:0 \
		--tls-listen 127.0.0.1:0 --tls-listen "[::1]:0" \
		--tls-cert "$TMP/rsa.crt" --tls-key "$TMP/rsa.key"; then
		P4=$(tls_port) P6=$(tls_port '\[::1\]')
		tcp basic --gap 0 --tls --ca "$TMP/rsa.crt" --host 127.0.0.1 --port "$P4" \
			--label "$E TLS basic IPv4 (RSA)" >"$TMP/b" 2>&1
		tap_lines "" <"$TMP/b"
		tcp basic --gap 0 --tls --ca "$TMP/rsa.crt" --host ::1 --port "$P6" \
			--label "$E TLS basic IPv6 (RSA)" >"$TMP/b" 2>&1
		tap_lines "" <"$TMP/b"
		tcp tlsmatrix --tls --ca "$TMP/rsa.crt" --host 127.0.0.1 --port "$P4" \
			--label "$E" >"$TMP/m" 2>&1
		tap_lines "" <"$TMP/m"
		got=$(tcp tlsinfo --tls --ca "$TMP/rsa.crt" --host ::1 --port "$P6" --alpn stun.nat-discovery)
		check "$E TLS over IPv6 with ALPN: answered, mapped = the client ($got)" \
			eval '[ "${got%% *}" != failed ] && [ "$(echo "$got" | cut -d" " -f2)" = stun.nat-discovery ]'
		stop_daemon
		check "$E TLS basic: exit 0, every request answered, 9 handshakes ok, none failed ($(grep -o 'tcp_requests=[0-9]* tcp_answered=[0-9]*' "$DLOG"), $(total tls_handshakes_ok)/$(total tls_handshakes_failed))" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_requests)" -gt 400 ] && [ "$(total tcp_requests)" = "$(total tcp_answered)" ] && [ "$(total tls_handshakes_ok)" = 9 ] && [ "$(total tls_handshakes_failed)" = 0 ]'
	else
		not_ok "$E TLS basic daemon starts"
	fi

	# --- stunload (persistent, churn with tickets), a peer that never reads --
	if start_daemon "load-$engine" -- -w 2 -e $engine --listen 127.0.0.1:0 \
		--tls-listen 127.0.0.1:0 --tls-cert "$TMP/ec.crt" --tls-key "$TMP/ec.key"; then
		P=$(tls_port)
		out=$(timeout 60 "$BUILD/stunload" --no-progress --transport tls --ca "$TMP/ec.crt" \
			--connections 8 -n 4000 --json "127.0.0.1:$P")
		check_eq "$E stunload --transport tls, 8 persistent connections: valid/handshakes" \
			"$(jget valid <<<"$out")/$(jget handshakes <<<"$out")" 4000/8
		out=$(timeout 60 "$BUILD/stunload" --no-progress --transport tls --ca "$TMP/ec.crt" \
			--connections 4 --requests-per-connection 5 --tls-resume -n 400 --json "127.0.0.1:$P")
		hs=$(jget handshakes <<<"$out") res=$(jget handshakes_resumed <<<"$out")
		check "$E stunload churn (5 requests a connection, --tls-resume): 400 valid, $res of $hs handshakes resumed a session ticket" \
			eval '[ "$(jget valid <<<"$out")" = 400 ] && [ "$hs" -ge 80 ] && [ "$res" -ge $((hs - 8)) ]'
		# TLS 1.2 tickets (the version make bench-tcp compares with coturn at).
		out=$(timeout 60 "$BUILD/stunload" --no-progress --transport tls --ca "$TMP/ec.crt" --tls-max-version 1.2 \
			--connections 4 --requests-per-connection 5 --tls-resume -n 400 --json "127.0.0.1:$P")
		hs12=$(jget handshakes <<<"$out") res12=$(jget handshakes_resumed <<<"$out")
		check "$E stunload --tls-max-version 1.2 churn: 400 valid, $res12 of $hs12 handshakes resumed a TLS 1.2 ticket" \
			eval '[ "$(jget valid <<<"$out")" = 400 ] && [ "$hs12" -ge 80 ] && [ "$res12" -ge $((hs12 - 8)) ]'
		hs=$((hs + hs12)) res=$((res + res12))
		tcp basic --tls --ca "$TMP/ec.crt" --host 127.0.0.1 --port "$P" >/dev/null 2>&1	# warm up
		before=$(rss_kib "$DPID")
		got=$(tcp flood --tls --ca "$TMP/ec.crt" --host 127.0.0.1 --port "$P" --seconds 2 --bytes $((200 << 20)))
		after=$(rss_kib "$DPID")
		sent=$(echo "$got" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
		# Under ASan its quarantine holds OpenSSL's freed record buffers:
		# the RSS bound means something only without it.
		bound=$((before + 2048))
		ldd "$DAEMON" 2>/dev/null | grep -q libasan && bound=$((after)) &&
			echo "# RSS not bounded under ASan (quarantine): $before -> $after KiB"
		check "$E TLS peer that never reads could not push 200 MB in, another was served ($got; RSS $before -> $after KiB, at most +2048 without ASan)" \
			eval '[ -n "$sent" ] && [ "$sent" -lt $((200 << 20)) ] && echo "$got" | grep -q "stalled=1" && echo "$got" | grep -q "served=[1-9]" && [ "$after" -le "$bound" ]'
		stop_daemon
		check "$E the daemon counted the same: $(total tls_handshakes_ok) handshakes ok ($((8 + hs + 3)) made), $(total tls_resumed) resumed ($res), backpressure (tcp_paused=$(total tcp_paused)), exit 0" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tls_handshakes_ok)" = $((8 + hs + 3)) ] && [ "$(total tls_resumed)" = "$res" ] && [ "$(total tcp_paused)" -ge 1 ]'
	else
		not_ok "$E TLS load daemon starts"
	fi

	# --- handshake timeout and limit, not TLS, SIGTERM ----------------------
	if start_daemon "limits-$engine" -- -w 2 -e $engine --listen 127.0.0.1:0 \
		--tls-listen 127.0.0.1:0 --tls-cert "$TMP/ec.crt" --tls-key "$TMP/ec.key" \
		--tls-handshake-timeout 1s --tls-max-handshakes 2; then
		P=$(tls_port)
		T=(--tls --ca "$TMP/ec.crt" --host 127.0.0.1 --port "$P")
		got=$(tcp silent --host 127.0.0.1 --port "$P" --timeout 8)
		# The first-message timeout (5 s) would close it too, later.
		check "$E a peer that never sends a ClientHello is closed by the 1 s handshake timeout ($got s)" \
			eval '[ "${got%% *}" = closed ] && awk "BEGIN { exit !(${got#* } < 3) }"'
		got=$(tcp hslimit 2 "${T[@]}" --timeout 4)
		check "$E 2 silent connections hold the 2 handshakes (--tls-max-handshakes 2): a 3rd closed at once, served again once they timed out ($got)" \
			[ "$got" = "closed silent-closed answered" ]
		got=$(tcp send 000100002112a442000102030405060708090a0b --host 127.0.0.1 --port "$P")
		check "$E a plaintext STUN request to the TLS port: a TLS alert at most, then closed ($got)" \
			eval '[ "$got" = closed ] || [ "$got" = "alert, closed" ]'
		timeout 60 python3 "$PY" hold 3 "${T[@]}" >"$TMP/h" 2>&1 &
		H=$!
		PIDS+=("$H")
		wait_for "$TMP/h" held
		stop_daemon
		kill "$H" 2>/dev/null
		check "$E counted: tls_handshake_timeout=$(total closed_tls_handshake_timeout) tls_max_handshakes=$(total closed_tls_max_handshakes) tls_error=$(total closed_tls_error) failed=$(total tls_handshakes_failed) ok=$(total tls_handshakes_ok)" \
			eval '[ "$(total closed_tls_handshake_timeout)" = 3 ] && [ "$(total closed_tls_max_handshakes)" -ge 1 ] && [ "$(total closed_tls_error)" = 1 ] && [ "$(total tls_handshakes_failed)" = 4 ] && [ "$(total tls_handshakes_ok)" = 4 ]'
		check "$E SIGTERM with 3 TLS connections open: exit 0, closed_shutdown=$(total closed_shutdown)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total closed_shutdown)" = 3 ]'
	else
		not_ok "$E TLS limits daemon starts"
	fi
done

# --- third-party peers ---------------------------------------------------------
cp "$TMP/ec.crt" "$TMP/live.crt"
cp "$TMP/ec.key" "$TMP/live.key"
MP=$(free_pair_tls 127.0.0.1)
if start_daemon "peers" -- -w 2 --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
	--tls-cert "$TMP/live.crt" --tls-key "$TMP/live.key" --metrics "127.0.0.1:$MP"; then
	P=$(tls_port)
	# A Binding Request with FINGERPRINT, through openssl's own client.
	python3 -c 'import sys,os; sys.path.insert(0, "tests/e2e"); import stun_tcp as t
sys.stdout.buffer.write(t.binding(tid=bytes.fromhex("0102030405060708090a0b0c"), fp=True))' >"$TMP/req.bin"
	{ cat "$TMP/req.bin"; sleep 1; } | timeout 10 openssl s_client -connect "127.0.0.1:$P" \
		-CAfile "$TMP/ec.crt" -verify_return_error -quiet -no_ign_eof >"$TMP/resp.bin" 2>"$TMP/sc.err"
	got=$(python3 -c 'import sys; sys.path.insert(0, "tests/e2e"); import rfc5780_vectors as rv
r = open(sys.argv[1], "rb").read()
a = rv.attrs(r[:20 + int.from_bytes(r[2:4], "big")]) if len(r) >= 20 else None
xm = rv.addr(dict(a)[0x0020], r[4:20]) if a and 0x0020 in dict(a) else None
print(r[:2].hex(), r[8:20].hex(), xm[0] if xm else None, len(r))' "$TMP/resp.bin")
	check "openssl s_client (certificate verified) carrying a Binding Request: a success response with its transaction ID and XOR-MAPPED-ADDRESS 127.0.0.1 ($got)" \
		eval '[ "$got" = "0101 0102030405060708090a0b0c 127.0.0.1 $(stat -c %s "$TMP/resp.bin")" ]'
	out=$("$BUILD/stunprobe" --tls --ca "$TMP/live.crt" "127.0.0.1:$P" 2>&1)
	local_a=$(echo "$out" | sed -n 's/^local *\([^ ]*\).*/\1/p')
	mapped=$(echo "$out" | sed -n 's/^mapped *\([^ ]*\).*/\1/p')
	check "stunprobe --tls --ca: certificate verified, mapped = its own address ($mapped = $local_a)" \
		eval 'echo "$out" | grep -q "certificate verified" && [ -n "$mapped" ] && [ "$mapped" = "$local_a" ]'
	got=$(tcp tlsinfo --tls --ca "$TMP/live.crt" --host 127.0.0.1 --port "$P")
	check "Python's ssl client: mapped = its own address too ($got)" \
		eval '[ "${got%% *}" != failed ] && [ "${got##* }" != "" ]'
	skip "coturn's turnutils_stunclient over TLS" "it has no TLS option (UDP only: -p -L -f)"
	m=$(curl -s "http://127.0.0.1:$MP/metrics" | grep '^stunring_tls_handshakes_total')
	check "/metrics counts the 3 handshakes: $(echo $m)" \
		eval 'echo "$m" | grep -qx "stunring_tls_handshakes_total{result=\"ok\"} 3" && echo "$m" | grep -qx "stunring_tls_handshakes_total{result=\"failed\"} 0"'

	# --- SIGHUP: a broken certificate keeps the old one, a new one serves --
	old=$(served_fp "$P")
	check_eq "the served certificate is the one given" "$old" "$(file_fp "$TMP/ec.crt")"
	echo "not a certificate" >"$TMP/live.crt"
	kill -HUP "$DPID"
	wait_for "$DLOG" "SIGHUP: .*live.crt"
	check "SIGHUP with a broken certificate: one error line naming the file, nothing changed: $(grep 'SIGHUP: .*live.crt' "$DLOG" | sed 's/^[^ ]* //')" \
		eval '[ "$(grep -c "error: SIGHUP: .*live.crt.*old certificate keeps serving" "$DLOG")" = 1 ]'
	check_eq "... and the old certificate still serves" "$(served_fp "$P")" "$old"
	cp "$TMP/rsa.crt" "$TMP/live.crt"
	cp "$TMP/rsa.key" "$TMP/live.key"
	kill -HUP "$DPID"
	wait_for "$DLOG" "TLS certificate .*live.crt re-read"
	check_eq "SIGHUP with a new certificate (RSA): new connections get it" "$(served_fp "$P")" \
		"$(file_fp "$TMP/rsa.crt")"
	got=$(tcp tlsinfo --tls --ca "$TMP/rsa.crt" --host 127.0.0.1 --port "$P")
	check "... and are answered ($got)" eval '[ "${got%% *}" != failed ]'
	stop_daemon
	check "peers daemon: exit 0, no handshake failed apart from none ($(total tls_handshakes_ok) ok, $(total tls_handshakes_failed) failed)" \
		eval '[ "$DRC" -eq 0 ] && [ "$(total tls_handshakes_failed)" = 0 ]'
else
	not_ok "peers daemon starts"
fi

# --- the same keys in a configuration file; SIGHUP with new file names -----------
printf 'listen = 127.0.0.1:0\ntls-listen = 127.0.0.1:0\ntls-cert = %s\ntls-key = %s\ntls-handshake-timeout = 2s\ntls-max-handshakes = 64\n' \
	"$TMP/ec.crt" "$TMP/ec.key" >"$TMP/tls.conf"
check "--check-config accepts the tls-* keys" eval '"$DAEMON" --check-config --config "$TMP/tls.conf" >/dev/null'
if start_daemon "conf" -- -w 1 --config "$TMP/tls.conf"; then
	P=$(tls_port)
	check_eq "config file: its certificate serves" "$(served_fp "$P")" "$(file_fp "$TMP/ec.crt")"
	sed -i "s|$TMP/ec\.|$TMP/rsa.|" "$TMP/tls.conf"
	kill -HUP "$DPID"
	wait_for "$DLOG" "re-read (generation"
	check "SIGHUP with tls-cert and tls-key naming other files: applied, not a restart ($(grep -c 'SIGHUP: tls-' "$DLOG") lines)" \
		eval 'grep -q "SIGHUP: tls-cert: .*ec.crt -> .*rsa.crt" "$DLOG" && grep -q "0 keys need a restart" "$DLOG"'
	check_eq "... and the new certificate serves" "$(served_fp "$P")" "$(file_fp "$TMP/rsa.crt")"
	stop_daemon
	check "config daemon exits 0" [ "$DRC" -eq 0 ]
else
	not_ok "a daemon with the tls-* keys in its configuration file starts"
fi

# --- kTLS ------------------------------------------------------------------------
ulp=$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null)
if echo "$ulp" | grep -qw tls; then
	skip "kTLS offload" "the kernel has kTLS ($ulp) but stunringd does not use it yet: records go through memory BIOs"
else
	skip "kTLS offload" "this kernel has no kTLS: tcp_available_ulp lists only '${ulp:-nothing}'; records go through memory BIOs"
fi

# --- certificate errors at start ---------------------------------------------------
echo "garbage" >"$TMP/bad.pem"
A=(--listen 127.0.0.1:0 --tls-listen 127.0.0.1:0)
expect_error "a missing certificate" 64 "$TMP/none.crt" "${A[@]}" --tls-cert "$TMP/none.crt" --tls-key "$TMP/ec.key"
expect_error "a certificate that is not PEM" 64 "$TMP/bad.pem" "${A[@]}" --tls-cert "$TMP/bad.pem" --tls-key "$TMP/ec.key"
expect_error "a key that is not PEM" 64 "$TMP/bad.pem" "${A[@]}" --tls-cert "$TMP/ec.crt" --tls-key "$TMP/bad.pem"
expect_error "the key of another certificate (ECDSA)" 64 "$TMP/ec2.key.*does not match" "${A[@]}" --tls-cert "$TMP/ec.crt" --tls-key "$TMP/ec2.key"
expect_error "the key of another certificate (RSA key, ECDSA certificate)" 64 "$TMP/rsa.key.*does not match" "${A[@]}" --tls-cert "$TMP/ec.crt" --tls-key "$TMP/rsa.key"
expect_error "--tls-listen without --tls-cert" 64 "tls-cert" "${A[@]}" --tls-key "$TMP/ec.key"
expect_error "--tls-handshake-timeout out of range" 64 "tls-handshake-timeout" --tls-handshake-timeout 10ms
expect_error "--tls-max-handshakes 0" 64 "tls-max-handshakes" --tls-max-handshakes 0
finish
