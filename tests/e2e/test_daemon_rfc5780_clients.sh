#!/usr/bin/env bash
# tests/e2e/test_daemon_rfc5780_clients.sh - third-party NAT behaviour
# discovery clients against stunringd in RFC 5780 mode, with no NAT between
# them, so each must conclude "no NAT / endpoint-independent":
#   - coturn's turnutils_natdiscovery: mapping (-m) and filtering (-f)
#     tests over IPv4 (127.0.0.1 + 127.0.0.2) and IPv6 (a namespace of our
#     own with ::1 + fd00:5780::2), and again with -P (1500-byte PADDING):
#     a capture on lo shows every padded request got a padded answer no
#     larger than the request plus the address attributes;
#   - Debian's stun (RFC 3489, package stun-client): tests I, II (change IP;
#     0.97 does not ask for the port), III (change port) and I(2) all
#     answered with success from the address asked for, its
#     MAPPED-ADDRESS ours, verdict "Open".  It prints "Open" even when it
#     only got errors, so what it received is checked line by line, and the
#     daemon's counters must show the changed-source answers it asked for.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"

need_tools "RFC 5780 third-party clients" turnutils_natdiscovery stun tshark dumpcap


# natdiscovery LABEL A1 A2 P1 P2 [PREFIX...] -- [FLAGS]: mapping + filtering
# tests; the verdicts must be endpoint-independent and the addresses the
# server reported must be its own four.
natdiscovery() {
	local label=$1 a1=$2 a2=$3 p1=$4 p2=$5 out
	shift 5
	local prefix=()
	while [ "$1" != "--" ]; do prefix+=("$1"); shift; done
	shift
	out=$TMP/nd-${label// /_}
	"${prefix[@]}" timeout 20 turnutils_natdiscovery -m -f "$@" -L "$a1" -p "$p1" "$a1" >"$out" 2>&1
	grep -E 'NAT|origin|Other addr|reflexive' "$out" | sed 's/^/# /'
	check "$label: mapping is endpoint-independent (No NAT)" \
		eval 'grep -q "No NAT! (Endpoint Independent Mapping)" "$out" &&
		      grep -q "NAT with Endpoint Independent Mapping!" "$out" &&
		      ! grep -q "Dependent Mapping" "$out"'
	check "$label: filtering is endpoint-independent" \
		eval 'grep -q "NAT with Endpoint Independent Filtering!" "$out" &&
		      ! grep -q "Dependent Filtering" "$out"'
	# Test II went to A2:P1; the filtering test's change-both answer came
	# from A2:P2; every OTHER-ADDRESS names the server's other address.
	check "$label: RESPONSE-ORIGIN A1:P1, A2:P1 and A2:P2 seen; OTHER-ADDRESS A2:P2 / A1:P2" \
		eval 'grep -Fq "Response origin: : $a1:$p1" "$out" &&
		      grep -Fq "Response origin: : $a2:$p1" "$out" &&
		      grep -Fq "Response origin: : $a2:$p2" "$out" &&
		      grep -Fq "Other addr: : $a2:$p2" "$out" &&
		      grep -Fq "Other addr: : $a1:$p2" "$out" &&
		      ! grep -q "Other addr: : .*:0$" "$out"'
}

# --- IPv4 on the host's loopback, with a capture for PADDING ---------------
P=$(free_pair 127.0.0.1 127.0.0.2)
if ! start_daemon v4 -- -w 2 --listen "127.0.0.1:$P" --alt-ip 127.0.0.2 --software stunring-test; then
	not_ok "IPv4 RFC 5780 daemon starts"
	finish
fi
dumpcap -q -i lo -f "udp and (port $P or port $((P + 1)))" -w "$TMP/cap.pcapng" 2>"$TMP/dumpcap.err" &
cap_pid=$!
PIDS+=("$cap_pid")
for _ in $(seq 100); do
	grep -q 'Capturing on' "$TMP/dumpcap.err" && break
	sleep 0.05
done
grep -q 'Capturing on' "$TMP/dumpcap.err" || cap_pid=""

natdiscovery "natdiscovery IPv4" 127.0.0.1 127.0.0.2 "$P" $((P + 1)) --
natdiscovery "natdiscovery IPv4 -P (padding)" 127.0.0.1 127.0.0.2 "$P" $((P + 1)) -- -P

# Debian's stun: exits with the NAT type and prints "Open" whatever it got.
timeout 20 stun "127.0.0.1:$P" -v >"$TMP/stun" 2>&1
grep -E 'Received message|ErrorCode|MappedAddress|SourceAddress|ChangedAddress|^test|Primary' \
	"$TMP/stun" | sed 's/^/# /'
check "stun: tests I, II, III and I(2) all answered" \
	eval 'for t in "test I = 1" "test II = 1" "test III = 1" "test I(2) = 1"; do
		grep -qF "$t" "$TMP/stun" || exit 1; done'
check "stun: no error response received" eval '! grep -q ErrorCode "$TMP/stun"'
# Test I goes to A1:P1, test II asks for another IP (stun 0.97 sets only
# the change-IP flag), test III for another port, test I(2) goes to the
# CHANGED-ADDRESS's IP on the primary port (A2:P1).
check "stun: MAPPED-ADDRESS always 127.0.0.1; answers from A1:P1, A2:P1 (change IP), A1:P2 (change port)" \
	eval 'grep -q "MappedAddress = 127.0.0.1:" "$TMP/stun" &&
	      ! grep "MappedAddress = " "$TMP/stun" | grep -vq "= 127.0.0.1:" &&
	      grep -Fxq "SourceAddress = 127.0.0.1:$P" "$TMP/stun" &&
	      grep -Fxq "SourceAddress = 127.0.0.2:$P" "$TMP/stun" &&
	      grep -Fxq "SourceAddress = 127.0.0.1:$((P + 1))" "$TMP/stun"'
check "stun: CHANGED-ADDRESS is A2:P2 for requests to A1:P1, A1:P2 for the one to A2:P1" \
	eval 'grep -Fxq "ChangedAddress = 127.0.0.2:$((P + 1))" "$TMP/stun" &&
	      grep -Fxq "ChangedAddress = 127.0.0.1:$((P + 1))" "$TMP/stun"'
check "stun: verdict Open (no NAT)" grep -q "Primary: Open" "$TMP/stun"

sleep 0.3
[ -n "$cap_pid" ] && kill -INT "$cap_pid" && wait "$cap_pid"
stop_daemon
check "IPv4 daemon exits 0, books balance, no error responses" \
	eval '[ "$DRC" -eq 0 ] && totals_balance && [ "$(total errors)" = 0 ]'
grep ' totals: ' "$DLOG" | sed 's/^/# /'
# stun's tests II and III, natdiscovery's filtering test II (twice).
check "counters show the changed-source answers (port $(total changed_port), ip $(total changed_ip), both $(total changed_both))" \
	eval '[ "$(total changed_port)" -ge 1 ] && [ "$(total changed_ip)" -ge 1 ] &&
	      [ "$(total changed_both)" -ge 2 ]'

if [ -n "$cap_pid" ]; then
	tshark -r "$TMP/cap.pcapng" -o udp.try_heuristic_first:TRUE -T fields -E separator=/t \
		-e udp.srcport -e udp.dstport -e udp.length -e stun.type -e stun.att.type \
		>"$TMP/cap.tsv" 2>/dev/null
	# Requests with PADDING, and answers with PADDING.
	preq=$(awk -F'\t' '$4 == "0x0001" && $5 ~ /0x0026/' "$TMP/cap.tsv" | wc -l)
	pans=$(awk -F'\t' '$4 == "0x0101" && $5 ~ /0x0026/' "$TMP/cap.tsv" | wc -l)
	maxreq=$(awk -F'\t' '$4 == "0x0001" { if ($3 > m) m = $3 } END { print m + 0 }' "$TMP/cap.tsv")
	maxans=$(awk -F'\t' '$4 == "0x0101" { if ($3 > m) m = $3 } END { print m + 0 }' "$TMP/cap.tsv")
	check "natdiscovery -P: all $preq padded requests got a padded answer ($pans)" \
		eval '[ "$preq" -ge 4 ] && [ "$pans" = "$preq" ]'
	# No amplification: PADDING fills the answer up to the request's
	# size, no further (RFC 5780 section 10, conformance item 64).
	check "PADDING answers no larger than the request (request $maxreq, answer $maxans)" \
		eval '[ "$maxreq" -gt 1500 ] && [ "$maxans" -le "$maxreq" ]'
else
	skip "PADDING seen on the wire" "dumpcap cannot capture on lo here"
fi

# --- IPv6 in a namespace: ::1 and fd00:5780::2 on its loopback ------------
NS=rfc5780c-$$
if ip netns add "$NS" 2>"$TMP/ns.err"; then
	NETNS+=("$NS")
	ip -n "$NS" link set lo up && ip -n "$NS" addr add fd00:5780::2/128 dev lo nodad
	if start_daemon v6 ip netns exec "$NS" -- -w 2 --listen '[::1]:3478' --alt-ip fd00:5780::2; then
		natdiscovery "natdiscovery IPv6" ::1 fd00:5780::2 3478 3479 ip netns exec "$NS" --
		natdiscovery "natdiscovery IPv6 -P (padding)" ::1 fd00:5780::2 3478 3479 \
			ip netns exec "$NS" -- -P
		stop_daemon
		check "IPv6 daemon exits 0, books balance, no error responses" \
			eval '[ "$DRC" -eq 0 ] && totals_balance && [ "$(total errors)" = 0 ]'
	else
		not_ok "IPv6 RFC 5780 daemon starts in the namespace"
	fi
else
	show "$TMP/ns.err"
	skip "IPv6 RFC 5780 clients" "cannot create a network namespace"
fi
finish
