#!/usr/bin/env bash
# tests/e2e/test_daemon_config.sh - stunringd's configuration file and
# SIGHUP, as an operator uses them: --check-config prints "FILE: ok" or one
# "FILE:LINE: problem" line per problem and exits 0 or 64; the daemon
# refuses a bad file with the same line; every long option is a key; flags
# override the file; SIGHUP changes SOFTWARE, FINGERPRINT, classic and the
# log level at once, warns once per key that needs a restart and keeps its
# value, and a bad file changes nothing; 40 SIGHUPs under load lose no
# request.  Traffic goes to 127.0.0.1 only.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
STUNLOAD=$BUILD/stunload
need_built "$DAEMON" "$CLIENT" "$STUNLOAD"
need_tools "configuration file" python3 timeout

conf() { printf '%s\n' "$@" >"$TMP/$CONF"; }

# check_config NAME STATUS FILE [PATTERN...]: --check-config on FILE exits
# STATUS and prints exactly the lines matching the PATTERNs, in order.
check_config() {
	local name=$1 want=$2 file=$3 rc
	shift 3
	timeout 10 "$DAEMON" --check-config --config "$file" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	cat "$TMP/out" "$TMP/err" >"$TMP/all"
	local n=0 bad=0 p
	for p in "$@"; do
		n=$((n + 1))
		sed -n "${n}p" "$TMP/all" | grep -Eq -- "$p" || { echo "# line $n does not match: $p"; bad=1; }
	done
	if [ $rc -eq "$want" ] && [ $bad -eq 0 ] && [ "$(wc -l <"$TMP/all")" -eq $# ]; then
		ok "$name: exit $rc, $# line(s)"
	else
		not_ok "$name: exit $rc (want $want)"
		show "$TMP/all"
	fi
}

# --- --check-config -------------------------------------------------------------
CONF=good.conf
conf "# a comment" "; another" "" "listen = 127.0.0.1:3478" "  listen = [::1]:3478" \
	"software = stunring test" "fingerprint = yes" "no-classic = off" "workers = 2" \
	"stats-interval = 30s" "log-level = warn"
check_config "a good file" 0 "$TMP/good.conf" "^$TMP/good.conf: ok$"

CONF=bad.conf
conf "listen = 127.0.0.1:3478" "software = one" "software = two" "bogus = 1" \
	"workers = abc" "[server]" "fingerprint = maybe" "metrics: 127.0.0.1:9478" \
	"rcvbuf = 4MB" "help = yes" "= 3" "log-level = loud" \
	"software2 = $(printf 'x%.0s' $(seq 300))" "listen = 127.0.0.1:70000"
F=$TMP/bad.conf
check_config "every problem, one FILE:LINE line each" 64 "$F" \
	"^$F:3: 'software' given twice \(first on line 2\)" \
	"^$F:4: unknown key 'bogus'$" \
	"^$F:5: workers 'abc': not a number; expected 1 to 256$" \
	"^$F:6: sections are not used" \
	"^$F:7: fingerprint 'maybe': expected yes or no$" \
	"^$F:8: expected key = value" \
	"^$F:9: rcvbuf '4MB': unknown unit" \
	"^$F:10: unknown key 'help'$" \
	"^$F:11: a key is missing before '='$" \
	"^$F:12: log-level 'loud': expected error, warn, info or debug$" \
	"^$F:13: line too long$" \
	"^$F:14: listen '127.0.0.1:70000'"

timeout 10 "$DAEMON" --config "$F" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "the daemon refuses the same file: exit 64, one line, the first problem" \
	bash -c "[ $rc -eq 64 ] && [ \$(wc -l <$TMP/err) -eq 1 ] &&
		grep -q \"^$F:3: 'software' given twice (first on line 2).*(and 11 more: stunringd --check-config --config $F)\$\" $TMP/err"
show "$TMP/err"

CONF=cross.conf
conf "listen = 127.0.0.1:3478" "xdp-mode = native"
check_config "a problem across keys names the file" 64 "$TMP/cross.conf" \
	"^$TMP/cross.conf: xdp-mode needs --xdp IFACE"
CONF=rfc.conf
conf "listen = 0.0.0.0:3478" "alt-ip = 127.0.0.2"
check_config "RFC 5780 checks run too" 64 "$TMP/rfc.conf" \
	"^$TMP/rfc.conf: listen 0.0.0.0:3478: RFC 5780 mode needs a concrete primary"
check_config "a missing file" 64 "$TMP/nonexistent.conf" \
	"^$TMP/nonexistent.conf: cannot read: No such file or directory$"
if [ ! -e /etc/stunring/stunringd.conf ]; then
	timeout 10 "$DAEMON" --check-config >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "--check-config without any file: exit 64, one line" \
		bash -c "[ $rc -eq 64 ] && [ \$(wc -l <$TMP/err) -eq 1 ] && grep -q 'no configuration file' $TMP/err"
else
	skip "--check-config without any file" "/etc/stunring/stunringd.conf exists here"
fi

# --- every long option is a key ---------------------------------------------------
# A valid value for each; a new option without a row here fails the test.
declare -A value=(
	[listen]=127.0.0.1:3478 [workers]=2 [no-pin]=yes [io-engine]=mmsg
	[software]=x [fingerprint]=yes [no-classic]=yes [rcvbuf]=1M [sndbuf]=1M
	[ring-buffers]=256 [stats-interval]=10s [log-level]=debug [alt-ip]=127.0.0.2
	[alt-port]=3479 [rfc5780]=yes [advertise-ip]=192.0.2.1
	[advertise-alt-ip]=192.0.2.2 [no-response-port]=yes [xdp]=eth0 [xdp-mode]=generic
	[metrics]=127.0.0.1:9478 [user]=nobody
	[metrics]=127.0.0.1:9478 [allow]=10.0.0.0/8,::1 [deny]=10.1.0.0/16 [rate-limit]=100/200
	[error-rate-limit]=10/20 [rate-limit-prefix4]=24 [rate-limit-prefix6]=56
	[max-response-rate]=100k
	[tcp-listen]=127.0.0.1:3478 [max-connections]=1000 [max-connections-per-source]=8
	[tcp-idle-timeout]=1m [tcp-first-message-timeout]=2s [tcp-max-message]=4K
	[tls-listen]=127.0.0.1:5349 [tls-cert]=/etc/ssl/cert.pem [tls-key]=/etc/ssl/key.pem
	[tls-handshake-timeout]=2s [tls-max-handshakes]=100
)
missing="" refused=""
for opt in $("$DAEMON" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//' | sort -u); do
	case $opt in help | version | config | check-config) continue ;; esac
	if [ -z "${value[$opt]:-}" ]; then
		missing="$missing $opt"
		continue
	fi
	# alt-ip, xdp and tls-listen need company to pass the checks across keys.
	case $opt in
	alt-ip | alt-port | rfc5780 | advertise-ip | advertise-alt-ip)
		printf 'listen = 127.0.0.1:3478\n%s = %s\n' "$opt" "${value[$opt]}" >"$TMP/one.conf"
		[ "$opt" = advertise-alt-ip ] && echo "alt-ip = 127.0.0.2" >>"$TMP/one.conf"
		[ "$opt" = advertise-ip ] && echo "rfc5780 = yes" >>"$TMP/one.conf"
		[ "$opt" = alt-port ] && echo "alt-ip = 127.0.0.2" >>"$TMP/one.conf" ;;
	xdp-mode) printf 'xdp = eth0\n%s = %s\n' "$opt" "${value[$opt]}" >"$TMP/one.conf" ;;
	tls-listen) printf '%s = %s\ntls-cert = /x.pem\ntls-key = /y.pem\n' "$opt" "${value[$opt]}" >"$TMP/one.conf" ;;
	*) printf '%s = %s\n' "$opt" "${value[$opt]}" >"$TMP/one.conf" ;;
	esac
	"$DAEMON" --check-config --config "$TMP/one.conf" >/dev/null 2>"$TMP/err" ||
		refused="$refused $opt($(head -1 "$TMP/err"))"
done
check "every option in --help has a key of its name${missing:+ (no value for:$missing)}" [ -z "$missing" ]
check "every key takes a valid value${refused:+ (refused:$refused)}" [ -z "$refused" ]

# The example config that make install ships documents every key.
EXAMPLE=tools/dist/stunringd.conf
check_config "the shipped example config is valid" 0 "$EXAMPLE" "^$EXAMPLE: ok$"
undocumented=""
for opt in "${!value[@]}"; do
	grep -Eq "^#?$opt =( |$)" "$EXAMPLE" || undocumented="$undocumented $opt"
done
check "the example config shows every key${undocumented:+ (missing:$undocumented)}" \
	[ -z "$undocumented" ]

# --- flags override the file; the file alone configures the daemon ----------------
ports=($(free_pair 127.0.0.1))
P1=${ports[0]} P2=$((ports[0] + 1))
CONF=run.conf
conf "listen = 127.0.0.1:$P1" "software = from-file" "workers = 1"
start_daemon file -- --config "$TMP/run.conf"
check "the file's listen and software serve" bash -c \
	"$CLIENT once --server 127.0.0.1:$P1 | grep -q 'status=ok .*software=from-file'"
stop_daemon
start_daemon flags -- --config "$TMP/run.conf" --software from-flag --listen 127.0.0.1:$P2
check "--software overrides the key" bash -c \
	"$CLIENT once --server 127.0.0.1:$P2 | grep -q 'software=from-flag'"
check "--listen replaces the file's list (nothing on its port)" bash -c \
	"$CLIENT once --server 127.0.0.1:$P1 | grep -q no-answer"

# --- SIGHUP -------------------------------------------------------------------------
conf "listen = 127.0.0.1:$P1" "software = from-file" "workers = 1" "log-level = info"
check "before SIGHUP: classic requests answered, no FINGERPRINT" bash -c \
	"$CLIENT once-classic --server 127.0.0.1:$P2 | grep -q 'status=ok' &&
	 $CLIENT once --server 127.0.0.1:$P2 | grep -q 'fingerprint=0'"
conf "listen = 127.0.0.1:$P1" "software = reloaded" "workers = 3" "fingerprint = yes" \
	"no-classic = yes" "log-level = debug" "rcvbuf = 1M"
kill -HUP "$DPID"
for _ in $(seq 50); do grep -q 're-read (generation 1)' "$DLOG" && break; sleep 0.05; done
# The file's new listen does not count: --listen on the command line wins.
check "SIGHUP logs what changed and what needs a restart" \
	grep -q 're-read (generation 1): 3 changes applied, 2 keys need a restart' "$DLOG"
check "one warning per restart-only key, the old value kept" bash -c \
	"[ \$(grep -c 'needs a restart; it stays' $DLOG) -eq 2 ] &&
	 grep -q 'workers changed (1 -> 3) but needs a restart; it stays 1' $DLOG &&
	 grep -q 'rcvbuf changed (4194304 -> 1048576) but needs a restart; it stays 4194304' $DLOG"
check "the old value really stays: still one worker thread" bash -c \
	"[ \$(cat /proc/$DPID/task/*/comm | grep -c '^stunringd/') -eq 1 ]"
check "the flag still wins over the file after SIGHUP (software from-flag)" bash -c \
	"$CLIENT once --server 127.0.0.1:$P2 | grep -q 'software=from-flag'"
check "FINGERPRINT policy changed at once" bash -c \
	"$CLIENT once --server 127.0.0.1:$P2 | grep -q 'fingerprint=1 fingerprint_ok=1'"
check "classic requests now ignored" bash -c \
	"$CLIENT once-classic --server 127.0.0.1:$P2 | grep -q no-answer"
check "log level now debug" bash -c "grep -q 'SIGHUP: log-level: info -> debug' $DLOG"

cp "$TMP/run.conf" "$TMP/run.good"
conf "fingerprint = no" "workers = lots"
kill -HUP "$DPID"
for _ in $(seq 50); do grep -q 'nothing changed' "$DLOG" && break; sleep 0.05; done
check "a bad file on SIGHUP: one error line with FILE:LINE, nothing changed" bash -c \
	"[ \$(grep -c 'error: SIGHUP' $DLOG) -eq 1 ] &&
	 grep -q \"error: SIGHUP: $TMP/run.conf:2: workers 'lots': .*; nothing changed\" $DLOG"
check "... and the old settings still serve (FINGERPRINT on)" bash -c \
	"$CLIENT once --server 127.0.0.1:$P2 | grep -q 'fingerprint=1 fingerprint_ok=1'"

# 40 SIGHUPs, alternating two files, while stunload sends 8000 requests:
# every one answered and valid.
cp "$TMP/run.good" "$TMP/a.conf"
sed 's/software = reloaded/software = other/; s/fingerprint = yes/fingerprint = no/' \
	"$TMP/run.good" >"$TMP/b.conf"
cp "$TMP/a.conf" "$TMP/run.conf"
timeout 60 "$STUNLOAD" -n 8000 -r 4000 -s 8 --json --no-progress 127.0.0.1:$P2 \
	>"$TMP/load.json" 2>"$TMP/load.err" &
LPID=$!
for i in $(seq 40); do
	if [ $((i % 2)) -eq 0 ]; then cp "$TMP/a.conf" "$TMP/run.conf"; else cp "$TMP/b.conf" "$TMP/run.conf"; fi
	kill -HUP "$DPID"
	sleep 0.05
done
wait "$LPID"
lrc=$?
check "40 SIGHUPs under load: stunload exit 0, every request answered and valid" \
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("# sent %d valid %d lost %d invalid %d" % (j["sent"], j["valid"], j["lost"], j["invalid"]))
assert int(sys.argv[2]) == 0 and j["sent"] == 8000 and j["valid"] == 8000 and j["lost"] == 0, j' \
	"$TMP/load.json" "$lrc"
check "the daemon applied them (generation 41)" grep -q 're-read (generation 41)' "$DLOG"
stop_daemon
check "SIGTERM after the reloads: exit 0, totals balance" bash -c "[ $DRC -eq 0 ]" 
check "... totals balance" totals_balance
finish
