#!/usr/bin/env bash
# tests/e2e/test_daemon_clients.sh - third-party clients against stunringd
# on loopback, with every reply captured on lo and decoded by tshark:
#   - coturn's turnutils_stunclient (IPv4 and IPv6) gets its real address;
#   - Debian's stun (RFC 3489, package stun-client) gets well-formed replies
#     (420s in basic mode; RFC 5780 mode: test_daemon_rfc5780_clients.sh);
#   - every datagram the daemon sent is decoded as STUN by tshark (never
#     malformed), every success maps exactly the address it was sent to,
#     every FINGERPRINT verifies, and the capture holds exactly as many
#     replies as the daemon counted.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT"

need_tools "third-party clients" turnutils_stunclient stun tshark dumpcap

if ! start_daemon clients -- --workers 2 --listen 127.0.0.1:0 --listen '[::1]:0'; then
	not_ok "daemon starts"
	finish
fi
P4=${LPORTS[0]} P6=${LPORTS[1]}

# Capture replies and requests on lo (capture filter: our two ports only).
dumpcap -q -i lo -f "udp port $P4 or udp port $P6" -w "$TMP/cap.pcapng" 2>"$TMP/dumpcap.err" &
cap_pid=$!
PIDS+=("$cap_pid")
for _ in $(seq 100); do
	grep -q 'Capturing on' "$TMP/dumpcap.err" && break
	sleep 0.05
done
if ! grep -q 'Capturing on' "$TMP/dumpcap.err"; then
	show "$TMP/dumpcap.err"
	skip "capture on lo" "dumpcap cannot capture here"
	cap_pid=""
fi

# coturn's client never times out by itself (hence timeout) and exits 0
# whatever happens (hence we read what it prints).
declare -A turn_port
for fam in 4 6; do
	if [ $fam = 4 ]; then host=127.0.0.1 port=$P4; else host=::1 port=$P6; fi
	timeout 5 turnutils_stunclient -p "$port" "$host" >"$TMP/turn$fam" 2>&1
	show "$TMP/turn$fam"
	addr=$(sed -n 's/.*UDP reflexive addr: \(.*\)$/\1/p' "$TMP/turn$fam" | head -1)
	turn_port[$fam]=${addr##*:}
	check "turnutils_stunclient IPv$fam: reflexive address ${addr:-none} is $host:<its port>" \
		eval '[ "${addr%:*}" = "$host" ] && [ -n "${turn_port[$fam]}" ]'
done

# Debian's stun (0.97, RFC 3489) puts CHANGE-REQUEST in every request,
# even test I (flags 0).  A basic-mode server must answer those with 420
# (conformance items 36 and 57); it gets its mapped address from RFC 5780
# mode (test_daemon_rfc5780_clients.sh).  It exits 0 and prints "Open"
# whatever it receives: check what it actually received.
timeout 10 stun "127.0.0.1:$P4" 1 -v >"$TMP/stun" 2>&1
grep -E 'Received|ErrorCode|mappedAddr' "$TMP/stun" | sed 's/^/# /'
# Its 28-byte request gets the 36-byte 420 with an empty reason phrase (a
# phrase only when the error is then no larger than the request).
check "stun (RFC 3489 client): its request got a well-formed classic 420 (empty reason phrase)" \
	grep -Eq 'ErrorCode = 4 20 *$' "$TMP/stun"

# Our own client adds FINGERPRINT, classic and error replies to the capture.
"$CLIENT" check --server "127.0.0.1:$P4" --clients 20 --requests 8 >"$TMP/c4" 2>&1
check "e2e client IPv4 through the capture" [ $? -eq 0 ]
"$CLIENT" check --server "[::1]:$P6" --clients 20 --requests 8 >"$TMP/c6" 2>&1
check "e2e client IPv6 through the capture" [ $? -eq 0 ]
"$CLIENT" proto --server "127.0.0.1:$P4" >"$TMP/p4" 2>&1
check "e2e protocol cases through the capture" [ $? -eq 0 ]

sleep 0.3
[ -n "$cap_pid" ] && kill -INT "$cap_pid" && wait "$cap_pid"
stop_daemon
check "daemon exits 0" [ "$DRC" -eq 0 ]

if [ -n "$cap_pid" ]; then
	sent=$(( $(total answered) + $(total errors) ))
	# Every datagram the daemon sent, one line each, tab-separated.
	# Heuristics first: a client port can be some other protocol's (47000 is
	# HCrt), and STUN has no port of its own here.
	tshark -r "$TMP/cap.pcapng" -o udp.try_heuristic_first:TRUE \
		-Y "udp.srcport == $P4 || udp.srcport == $P6" \
		-T fields -E separator=/t -e frame.number -e _ws.col.Protocol \
		-e ip.dst -e ipv6.dst -e udp.dstport -e stun.type -e classicstun.type \
		-e stun.att.ipv4 -e stun.att.ipv6 -e stun.att.port \
		-e classicstun.att.ipv4 -e classicstun.att.port -e stun.att.crc32.status \
		-e _ws.malformed -e _ws.expert.severity -e classicstun.att.ipv6 >"$TMP/replies.tsv" 2>"$TMP/tshark.err"
	n=$(wc -l <"$TMP/replies.tsv")
	check "capture holds exactly the $sent replies the daemon counted (got $n)" [ "$n" = "$sent" ]
	# Decoded as STUN (modern or classic), never malformed, no expert item
	# of warning (0x600000) or error (0x800000) severity; "chat" and
	# "note" items (sequence analysis) are fine.
	bad=$(awk -F'\t' '{ n = split($15, sev, ","); worst = 0
		for (i = 1; i <= n; i++) if (sev[i] + 0 > worst) worst = sev[i] + 0 }
		($2 != "STUN" && $2 != "CLASSIC-STUN") || $14 != "" || worst >= 6291456' "$TMP/replies.tsv")
	check "tshark decodes every reply as STUN, none malformed or with expert warnings" [ -z "$bad" ]
	[ -n "$bad" ] && echo "$bad" | head -5 | sed 's/^/# /'
	# Success responses: the mapped address is where the reply went.
	wrong=$(awk -F'\t' '
		$6 == "0x0101" { ip = $8 != "" ? $8 : $9; port = $10; dst = $3 != "" ? $3 : $4
			if (ip != dst || port != $5) print }
		$7 == "0x0101" { split($11 != "" ? $11 : $16, a, ","); split($12, p, ","); dst = $3 != "" ? $3 : $4
			if (a[1] != dst || p[1] != $5) print }' "$TMP/replies.tsv")
	ok_succ=$(awk -F'\t' '$6 == "0x0101" || $7 == "0x0101"' "$TMP/replies.tsv" | wc -l)
	check "every one of the $ok_succ success replies maps the address it was sent to" \
		eval '[ -z "$wrong" ] && [ "$ok_succ" -gt 300 ]'
	[ -n "$wrong" ] && echo "$wrong" | head -5 | sed 's/^/# /'
	fps=$(awk -F'\t' '$13 != ""' "$TMP/replies.tsv" | wc -l)
	badfp=$(awk -F'\t' '$13 != "" && $13 != "1"' "$TMP/replies.tsv" | wc -l)
	check "tshark verifies all $fps FINGERPRINTs" eval '[ "$fps" -gt 50 ] && [ "$badfp" = 0 ]'
	# Classic replies and 420s are in there too.
	check "capture has classic replies and error replies" \
		eval 'awk -F"\t" "\$7 == \"0x0101\"" "$TMP/replies.tsv" | grep -q . &&
		      awk -F"\t" "\$6 == \"0x0111\" || \$7 == \"0x0111\"" "$TMP/replies.tsv" | grep -q .'
	# turnutils printed the port it really used.
	for fam in 4 6; do
		if [ $fam = 4 ]; then port=$P4; else port=$P6; fi
		check "turnutils_stunclient IPv$fam: the capture shows its request from port ${turn_port[$fam]:-?}" \
			eval '[ -n "${turn_port[$fam]}" ] && [ "$(tshark -r "$TMP/cap.pcapng" -Y "udp.srcport == ${turn_port[$fam]} && udp.dstport == $port" 2>/dev/null | wc -l)" -ge 1 ]'
	done
fi
finish
