#!/usr/bin/env bash
# tests/e2e/stunprobe_cli.sh - stunprobe's plain probe, options, exit codes
# and transaction handling, inside one throw-away network namespace (its own
# loopback only): coturn as a real server (IPv4 and IPv6, two addresses of
# each family so it does RFC 5780), a single-address coturn, and
# stunprobe_fake.py for answers real servers should not give.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/stunprobe_lib.sh
TEST_NAME=stunprobe_cli
PROBE=${STUNPROBE:-$PWD/build/stunprobe}
NS=spcli$$
TMP=$(mktemp -d /tmp/stunprobe_cli.XXXXXX)

cleanup() {
	kill_bg
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

require "[ \$(id -u) = 0 ]" "needs root for network namespaces"
require "[ -x '$PROBE' ]" "build/stunprobe not built"
require "command -v turnserver" "coturn (turnserver) not installed"
require "command -v python3" "python3 not installed"
require "ip netns add $NS" "cannot create a network namespace"

in_ns() { ip netns exec "$NS" "$@"; }
probe() { in_ns timeout 60 "$PROBE" "$@"; }

in_ns ip link set lo up
in_ns ip addr add fd00:5::2/128 dev lo nodad
# RFC 5780 server: two addresses per family.
bg ip netns exec "$NS" turnserver -n --stun-only --no-cli --no-tls --no-dtls \
	-L 127.0.0.1 -L 127.0.0.2 -L ::1 -L fd00:5::2 -p 3478 \
	--log-file "$TMP/coturn.log" --simple-log >/dev/null 2>&1
# Single-address server: no OTHER-ADDRESS.
bg ip netns exec "$NS" turnserver -n --stun-only --no-cli --no-tls --no-dtls \
	-L 127.0.0.3 -p 3490 --log-file "$TMP/coturn1.log" --simple-log >/dev/null 2>&1
for m in silent:5000 error:5010 wrongtid:5020 unknown:5030 noaddr:5040 weird:5050 nochange:5060; do
	bg ip netns exec "$NS" python3 tests/e2e/stunprobe_fake.py "${m%%:*}" 127.0.0.1 "${m#*:}" "$TMP/${m%%:*}.log"
done
require "wait_udp $NS 127.0.0.1 3478 && wait_udp $NS ::1 3478 && wait_udp $NS 127.0.0.3 3490 \
	&& wait_udp $NS 127.0.0.1 5050 && wait_udp $NS 127.0.0.1 5060" "servers did not start in the namespace"

FAST="--rto 100 --rc 3 --rm 2"

# --- plain probe, IPv4 ---------------------------------------------------------
out=$(probe --json $FAST 127.0.0.1); rc=$?
check_eq "IPv4 probe exits 0" "$rc" 0
check_eq "IPv4 result ok" "$(jget result <<<"$out")" ok
check_eq "mapped address equals the local address (no NAT on loopback)" \
	"$(jget mapped <<<"$out")" "$(jget local <<<"$out")"
check_eq "XOR-MAPPED-ADDRESS used" "$(jget mapped_attribute <<<"$out")" XOR-MAPPED-ADDRESS
case "$(jget software <<<"$out")" in Coturn*) ok "server SOFTWARE reported";; *) not_ok "server SOFTWARE reported"; diag "$out";; esac
check_eq "OTHER-ADDRESS reported" "$(jget other_address <<<"$out")" "127.0.0.2:3479"
check "RTT reported" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['rtt_ms'] >= 0" "$out"

# --rto is a duration: a bare number is ms, a unit may be given.
out=$(probe --json --rto 0.1s --rc 3 --rm 2 127.0.0.1); rc=$?
check_eq "--rto 0.1s (a duration with a unit) is accepted" "$rc:$(jget result <<<"$out")" 0:ok
out=$(probe --json --rto 100ms --rc 3 --rm 2 127.0.0.1:5000); rc=$?
check_eq "--rto 100ms --rc 3 --rm 2 against a silent server: timeout, exit 1" "$rc" 1

txt=$(probe $FAST 127.0.0.1:3478); rc=$?
check_eq "text output exits 0" "$rc" 0
check "text output names the mapped address" grep -q '^mapped    127\.0\.0\.1:[0-9]* (XOR-MAPPED-ADDRESS)$' <<<"$txt"
check "text output shows SOFTWARE and RTT" bash -c "grep -q '^software  Coturn' <<<\"\$1\" && grep -q '^rtt  ' <<<\"\$1\"" _ "$txt"

# --- IPv6 and names ------------------------------------------------------------
out=$(probe --json $FAST '[::1]:3478'); rc=$?
check_eq "IPv6 probe exits 0" "$rc" 0
case "$(jget mapped <<<"$out")" in "[::1]:"*) ok "IPv6 mapped address";; *) not_ok "IPv6 mapped address"; diag "$out";; esac
out=$(probe --json $FAST ::1); rc=$?
check_eq "bare IPv6 address, default port" "$rc:$(jget server <<<"$out")" "0:[::1]:3478"
out=$(probe --json -4 $FAST localhost:3478); rc=$?
check_eq "host name via getaddrinfo (-4 localhost)" "$rc:$(jget server <<<"$out")" "0:127.0.0.1:3478"

# --- several servers: tried in order until one answers -------------------------
out=$(probe --json $FAST 127.0.0.1:5000 127.0.0.9:3478 127.0.0.1:3478); rc=$?
check_eq "falls through a silent and a closed server to the third" \
	"$rc:$(jget server <<<"$out"):$(jget servers_tried <<<"$out")" "0:127.0.0.1:3478:3"

# --- classic request -------------------------------------------------------------
out=$(probe --json $FAST --classic-requests 127.0.0.1); rc=$?
check_eq "classic (RFC 3489) request answered with MAPPED-ADDRESS" \
	"$rc:$(jget mapped_attribute <<<"$out")" "0:MAPPED-ADDRESS"

# --- timeout and retransmission ------------------------------------------------
: >"$TMP/silent.log"; echo ready >"$TMP/silent.log"
start=$(date +%s%N)
probe --rto 100 --rc 3 --rm 2 127.0.0.1:5000 >/dev/null 2>"$TMP/err"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "silent server: exit 1 (timeout)" "$rc" 1
sleep 0.2
reqs=$(grep -c '^req ' "$TMP/silent.log")
tids=$(grep '^req ' "$TMP/silent.log" | awk '{print $4}' | sort -u | wc -l)
check_eq "Rc=3: three requests sent" "$reqs" 3
check_eq "retransmissions reuse one transaction ID" "$tids" 1
check "modern request: magic cookie present" grep -q '^req 0001 2112a442 ' "$TMP/silent.log"
# The whole schedule (0, 100, 300 ms, +2 x 100 ms) must have been waited out.
check "timeout not declared before RTO schedule ends (${ms} ms >= 500)" [ "$ms" -ge 500 ]
probe --rto 100 --rc 1 --rm 1 127.0.0.1:5000 >/dev/null 2>&1
probe --rto 100 --rc 1 --rm 1 127.0.0.1:5000 >/dev/null 2>&1
sleep 0.2
t=$(grep '^req ' "$TMP/silent.log" | awk '{print $4}' | tail -n 2 | sort -u | wc -l)
check_eq "new transaction, new random ID" "$t" 2
check "timeout message on stderr" grep -q 'no answer after 3 request' "$TMP/err"

# --- error response, bad responses, ID matching --------------------------------
out=$(probe --json $FAST 127.0.0.1:5010); rc=$?
check_eq "error response: exit 2 with its code" "$rc:$(jget error_code <<<"$out")" "2:400"
probe $FAST 127.0.0.1:5010 2>"$TMP/err" >/dev/null
check "error response message on stderr" grep -q 'error response 400 Bad Request' "$TMP/err"
out=$(probe --json $FAST 127.0.0.1:5020); rc=$?
check_eq "wrong-ID answer ignored, right one from another port accepted" \
	"$rc:$(jget answer_from <<<"$out")" "0:127.0.0.1:5021"
check_eq "the accepted answer's mapped address is ours" "$(jget mapped <<<"$out")" "$(jget local <<<"$out")"
out=$(probe --json $FAST 127.0.0.1:5030); rc=$?
check_eq "unknown comprehension-required attribute: exit 4" "$rc:$(jget bad_response <<<"$out")" "4:unknown_attribute"
out=$(probe --json $FAST 127.0.0.1:5040); rc=$?
check_eq "success without an address: exit 4" "$rc:$(jget bad_response <<<"$out")" "4:no_address"
out=$(probe --json $FAST 127.0.0.1:5050); rc=$?
check_eq "hostile SOFTWARE text is escaped into valid JSON" \
	"$rc:$(python3 -c 'import json,sys; print(ascii(json.loads(sys.argv[1])["software"]))' "$out" 2>&1)" \
	"0:'a\"b\\\\c\\x01\\ufffd\\xe9'"
out=$(probe --json $FAST 127.0.0.1:5010 127.0.0.1:3478); rc=$?
check_eq "error response from the first server, second answers: exit 0" "$rc" 0

# --- behaviour discovery without an alternate address --------------------------
out=$(probe --json --behavior --fast 127.0.0.3:3490); rc=$?
check_eq "single-address server: --behavior exits 3 (incomplete)" "$rc:$(jget result <<<"$out")" "3:incomplete"
check_eq "  ... still says there is no NAT" "$(jget nat <<<"$out")" false
case "$(jget mapping_note <<<"$out")" in *OTHER-ADDRESS*) ok "  ... and says OTHER-ADDRESS is missing";; *) not_ok "  ... and says OTHER-ADDRESS is missing"; diag "$out";; esac
txt=$(probe --behavior --fast 127.0.0.3:3490)
check "  ... text explains what cannot be concluded" grep -q 'mapping and filtering cannot' <<<"$txt"
# coturn puts its own address into CHANGED-ADDRESS there: not an alternate.
out=$(probe --json --classic --fast 127.0.0.3:3490); rc=$?
check_eq "single-address server: --classic exits 3" "$rc:$(jget nat_type <<<"$out")" "3:unknown"
case "$(jget note <<<"$out")" in *"no usable"*) ok "  ... because there is no usable CHANGED-ADDRESS";; *) not_ok "  ... because there is no usable CHANGED-ADDRESS"; diag "$out";; esac

# --- loopback behaviour/classic over both families -----------------------------
out=$(probe --json --behavior --hairpin --fast 127.0.0.1); rc=$?
check_eq "IPv4 loopback --behavior: open, EIM/EIF, hairpin" \
	"$rc:$(jget nat <<<"$out"):$(jget mapping <<<"$out"):$(jget filtering <<<"$out"):$(jget hairpinning <<<"$out"):$(jget classic <<<"$out")" \
	"0:false:endpoint-independent:endpoint-independent:yes:Open Internet"
out=$(probe --json --behavior --fast '[::1]:3478'); rc=$?
check_eq "IPv6 loopback --behavior: open, other address IPv6" \
	"$rc:$(jget classic <<<"$out"):$(jget other_address <<<"$out")" "0:Open Internet:[fd00:5::2]:3479"
out=$(probe --json --classic --fast ::1); rc=$?
check_eq "IPv6 loopback --classic: Open Internet" "$rc:$(jget nat_type <<<"$out")" "0:Open Internet"

# --- default timers, --rfc-timers (issue 14) ------------------------------------
# Durations are reported; the assertions are on what was sent, plus lower
# bounds (the schedule is waited out) and a generous upper limit.
LIMIT_MS=20000
: >"$TMP/silent.log"
start=$(date +%s%N)
probe 127.0.0.1:5000 >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 0.2
diag "duration default timers, silent server: $ms ms"
check_eq "default timers: a silent server is no answer (exit 1)" "$rc" 1
check_eq "default timers: four requests (one lost packet is no verdict)" \
	"$(grep -c '^req ' "$TMP/silent.log")" 4
check "default timers: schedule waited out, within the limit (${ms} ms: 2750..$LIMIT_MS)" \
	bash -c '[ "$1" -ge 2750 ] && [ "$1" -le "$2" ]' _ "$ms" "$LIMIT_MS"
: >"$TMP/silent.log"
start=$(date +%s%N)
probe --rfc-timers --rc 2 --rm 1 127.0.0.1:5000 >/dev/null 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 0.2
check_eq "--rfc-timers --rc 2 --rm 1: two requests, exit 1" \
	"$rc:$(grep -c '^req ' "$TMP/silent.log")" "1:2"
check "--rfc-timers: RFC 8489's 500 ms RTO (${ms} ms >= 1000)" [ "$ms" -ge 1000 ]

# --- --behavior: filtering and mapping at the same time --------------------------
# nochange answers only requests without CHANGE-REQUEST: on loopback that is
# no NAT and address-and-port-dependent filtering (a firewall), and filtering
# Tests II and III are both silent.  Its log shows what ran concurrently.
: >"$TMP/nochange.log"
start=$(date +%s%N)
out=$(probe --json --behavior -v 127.0.0.1:5060 2>"$TMP/err"); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 0.2
diag "duration --behavior, two silent filtering tests: $ms ms"
check_eq "silent CHANGE-REQUESTs: no NAT, EIM, APDF, Symmetric UDP Firewall" \
	"$rc:$(jget nat <<<"$out"):$(jget mapping <<<"$out"):$(jget filtering <<<"$out"):$(jget classic <<<"$out")" \
	"0:false:endpoint-independent:address-and-port-dependent:Symmetric UDP Firewall"
check "  ... within the limit (${ms} ms <= $LIMIT_MS)" [ "$ms" -le "$LIMIT_MS" ]
# Line numbers in the server's log: Test II has CHANGE-REQUEST 6 (IP and
# port), Test III 2 (port); the filtering port is the one that sent them.
last_ii=$(awk '$1 == "req" && $5 == 6 { n = NR } END { print n + 0 }' "$TMP/nochange.log")
first_iii=$(awk '$1 == "req" && $5 == 2 { print NR; exit }' "$TMP/nochange.log")
fport=$(awk '$1 == "req" && $5 != 0 { print $6; exit }' "$TMP/nochange.log")
first_map=$(awk -v f="$fport" '$1 == "req" && $5 == 0 && $6 != f { print NR; exit }' "$TMP/nochange.log")
# (One command per check: a bare "&&" would be outside check's reach.)
before() { [ -n "$1" ] && [ "$1" -lt "$2" ]; }
check "filtering Test III starts while Test II is still retransmitting (line ${first_iii:-none} < $last_ii)" \
	before "$first_iii" "$last_ii"
check "mapping Test I, from its own port, does not wait for filtering (line ${first_map:-none} < $last_ii)" \
	before "$first_map" "$last_ii"
check "the RTT measured by Test I shrinks the later RTO to the floor (-v: RTO 100 ms)" \
	grep -q 'filtering test II .*RTO 100 ms' "$TMP/err"
probe --json --behavior -v --rto 250 127.0.0.1:5060 >/dev/null 2>"$TMP/err"
check "--rto fixes the RTO: no adaptation (-v: RTO 250 ms)" \
	grep -q 'filtering test II .*RTO 250 ms' "$TMP/err"

# --- progress on a terminal, and only there ---------------------------------------
python3 tests/e2e/stunprobe_pty.py "$TMP/tty" ip netns exec "$NS" timeout 60 \
	"$PROBE" --behavior 127.0.0.1:5000 >"$TMP/out"; rc=$?
check_eq "on a terminal: silent server still exits 1" "$rc" 1
check "on a terminal: stderr names the waiting tests and how long they waited" \
	grep -qE 'waiting: .*filtering test I [1-9]\.[0-9] s' "$TMP/tty"
check "  ... mapping test I waits at the same time" grep -q 'mapping test I [0-9]' "$TMP/tty"
check "  ... and the line is erased before the result" \
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.rfind(b"waiting:"); sys.exit(0 if i >= 0 and b"\r\x1b[K" in d[i:] else 1)' "$TMP/tty"
check "  ... stdout carries no progress" bash -c '! grep -q waiting "$1"' _ "$TMP/out"
python3 tests/e2e/stunprobe_pty.py "$TMP/tty" ip netns exec "$NS" timeout 60 \
	"$PROBE" --json --behavior 127.0.0.1:5000 >"$TMP/out"
check "--json on a terminal: no progress line" bash -c '! grep -q waiting "$1"' _ "$TMP/tty"
probe --behavior 127.0.0.1:5000 >/dev/null 2>"$TMP/err"
check "stderr not a terminal: no progress line" bash -c '! grep -q waiting "$1"' _ "$TMP/err"

# --- bad input: one line on stderr, exit 64 -------------------------------------
bad_input() {
	local name=$1
	shift
	probe "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" = 64 ] && [ "$lines" = 1 ] && [ ! -s "$TMP/out" ]; then
		ok "bad input: $name"
	else
		not_ok "bad input: $name (exit $rc, $lines stderr lines)"
		sed 's/^/#   /' "$TMP/err"
	fi
}
bad_input "unknown flag" --frobnicate 127.0.0.1
bad_input "no server" --json
bad_input "bad IPv4 address" 300.1.2.3
bad_input "port 0" 127.0.0.1:0
bad_input "port too big" 127.0.0.1:70000
bad_input "unterminated [IPv6" '[::1'
bad_input "IPv6 literal with -4" -4 ::1
bad_input "bad --rto" --rto abc 127.0.0.1
bad_input "--rc 0" --rc 0 127.0.0.1
# The shared spellings (src/README.md: Command-line conventions) refused alike.
bad_input "--rto with an unknown unit" --rto 500x 127.0.0.1
bad_input "--rto negative" --rto -5 127.0.0.1
bad_input "--rto finer than 1 ms" --rto 1.5ms 127.0.0.1
bad_input "--rc with junk" --rc 12abc 127.0.0.1
bad_input "--rm signed" --rm +2 127.0.0.1
bad_input "port with a sign" localhost:+3478
bad_input "--rto without value" 127.0.0.1 --rto
bad_input "two servers for --behavior" --behavior 127.0.0.1 127.0.0.2
bad_input "--behavior with --classic" --behavior --classic 127.0.0.1
bad_input "--hairpin without --behavior" --hairpin 127.0.0.1
bad_input "bad --bind" --bind nothere 127.0.0.1
bad_input "unresolvable name" no-such-host.invalid
bad_input "--fast with --rfc-timers" --fast --rfc-timers 127.0.0.1
probe --help >/dev/null 2>&1
check_eq "--help exits 0" "$?" 0

tap_end
