#!/usr/bin/env bash
# tests/e2e/test_daemon_cli.sh - what an operator sees from stunringd's
# command line: --help/--version, and for every mistake (bad flag, bad
# value, address not on this host, port in use, missing privilege) exactly
# one clear error line and a distinct non-zero exit status, never a crash.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT"


"$DAEMON" --help >"$TMP/help" 2>&1
rc=$?
check "--help exits 0 and documents --listen, --workers, --io-engine" \
	eval '[ $rc -eq 0 ] && grep -q -- "--listen IP\[:PORT\]" "$TMP/help" &&
	grep -q -- "--workers N" "$TMP/help" && grep -q -- "--io-engine" "$TMP/help"'
check "--version prints the version" eval '"$DAEMON" --version | grep -Eq "^stunringd [0-9]+\.[0-9]+"'

expect_error "unknown flag" 64 "unknown option '--frobnicate'" --frobnicate
expect_error "unknown short flag" 64 "unknown option '-q'" -q
expect_error "flag without its value" 64 "'--listen' needs a value" --listen
expect_error "stray argument" 64 "unexpected argument 'extra'" extra
expect_error "not an address" 64 "--listen 'stun.example.org'" --listen stun.example.org
expect_error "bad port" 64 "--listen '127.0.0.1:70000'" --listen 127.0.0.1:70000
expect_error "IPv6 without brackets and port" 64 "--listen '::1:3478:x'" --listen ::1:3478:x
expect_error "zero workers" 64 "--workers '0'" --workers 0
expect_error "bad engine" 64 "--io-engine 'epoll'" --io-engine epoll
expect_error "bad log level" 64 "--log-level 'loud'" --log-level loud
expect_error "bad stats interval" 64 "--stats-interval '-1'" --stats-interval -1
expect_error "SOFTWARE too long" 64 "--software" --software "$(printf 'x%.0s' $(seq 200))"
expect_error "ring buffers not a power of two" 64 "--ring-buffers '1000'" --ring-buffers 1000
# The spellings every stunring program shares (src/README.md: Command-line
# conventions): signs, junk and unknown units get the same one line.
expect_error "signed count" 64 "--workers '-5': negative" --workers -5
expect_error "number with junk" 64 "--workers '12abc': unknown multiplier" --workers 12abc
expect_error "count out of range" 64 "--workers '0': too small; expected 1 to 256" --workers 0
expect_error "unknown size unit" 64 "--rcvbuf '4MB': unknown unit" --rcvbuf 4MB
expect_error "size too large" 64 "--sndbuf '2G': too large" --sndbuf 2G
expect_error "unknown duration unit" 64 "--stats-interval '10x': unknown unit \\(ms, s, m or h\\)" \
	--stats-interval 10x
expect_error "stats interval too short" 64 "--stats-interval '5ms': too small" --stats-interval 5ms
expect_error "port 0" 64 "--alt-port '0': too small" --alt-port 0
expect_error "empty list item" 64 "--listen '127.0.0.1,': empty list item" --listen 127.0.0.1,
expect_error "address twice in one list" 64 "--listen '127.0.0.1:3478' given twice" \
	--listen 127.0.0.1,127.0.0.1:3478
# 192.0.2.1 (TEST-NET-1) is on no interface here; bind fails before any
# packet could be sent.
expect_error "address not on this host" 68 "192.0.2.1:3478: address not assigned" \
	--listen 192.0.2.1:3478

# ... and what they accept: sizes with binary units, durations with a unit
# (the counters line every 200 ms), an address list in one --listen.
if start_daemon spellings -- --workers 1 --rcvbuf 1MiB --sndbuf 512k \
	--stats-interval 200ms --listen 127.0.0.1:0,[::1]:0; then
	check "--listen 127.0.0.1:0,[::1]:0 listens on both" \
		eval '[ ${#LPORTS[@]} -eq 2 ] && grep -q "listening on \[::1\]:" "$DLOG"'
	sleep 1.1
	stop_daemon
	n=$(grep -c ' stats: ' "$DLOG")
	check "--stats-interval 200ms: a counters line every 200 ms ($n in 1.1 s)" [ "$n" -ge 3 ]
	check "--rcvbuf 1MiB, --sndbuf 512k: 1048576 and 524288 bytes asked" \
		eval 'grep -q "for 1048576 asked" "$DLOG" && grep -q "for 524288 (SO_SNDBUF" "$DLOG"'
else
	not_ok "stunringd starts with --rcvbuf 1MiB --stats-interval 200ms --listen A,B"
fi

# Port in use: by another stunringd (SO_REUSEPORT must not silently share
# it) and by a plain socket.
if start_daemon holder -- --workers 1 --listen 127.0.0.1:0; then
	port=${LPORTS[0]}
	expect_error "port in use by another stunringd" 69 \
		"127.0.0.1:$port: address already in use" --listen "127.0.0.1:$port"
	expect_error "wildcard on a port in use" 69 "0.0.0.0:$port: address already in use" \
		--listen "0.0.0.0:$port"
	stop_daemon
else
	not_ok "port-in-use holder daemon starts"
fi

# A supervisor restarting a crashed (SIGKILLed) daemon at once: the kernel
# releases the io_uring's sockets asynchronously, the new one must wait for
# them rather than fail with "in use".
if start_daemon crashed -- --workers 2 --listen 127.0.0.1:0; then
	port=${LPORTS[0]}
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	if start_daemon restarted -- --workers 2 --listen "127.0.0.1:$port"; then
		ok "restart on 127.0.0.1:$port right after SIGKILL"
		stop_daemon
	else
		not_ok "restart on 127.0.0.1:$port right after SIGKILL"
	fi
else
	not_ok "daemon to crash starts"
fi

# systemd Type=notify (libsystemd's sd_notify): READY=1 once serving,
# RELOADING=1 then READY=1 around a SIGHUP re-read, WATCHDOG=1 at half of
# WATCHDOG_USEC but none while a worker is stalled (the test-only fault
# hook: SIGUSR2 stalls worker 0), again once it recovers, STOPPING=1 on
# SIGTERM.  The receiver prints each datagram on one line ('|' for its
# newlines); the test drops MARK-* lines into the same socket to cut the
# stream into before and after.
python3 - "$TMP/notify.sock" >"$TMP/notify.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(30)
while True:
    m = s.recv(4096).decode().strip().replace("\n", "|")
    print(m, flush=True)
    if m == "MARK-END":
        break
PY
npid=$!
PIDS+=("$npid")
mark() { python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(), sys.argv[1])' "$TMP/notify.sock" "MARK-$1"; }
# between A B: the notify lines after MARK-A and before MARK-B.
between() { sed -n "/^MARK-$1\$/,/^MARK-$2\$/p" "$TMP/notify.out" | grep -v '^MARK-'; }
wait_log() { for _ in $(seq 200); do grep -q "$1" "$DLOG" && return 0; sleep 0.05; done; return 1; }
for _ in $(seq 100); do [ -S "$TMP/notify.sock" ] && break; sleep 0.05; done
printf 'listen = 127.0.0.1:0\nworkers = 1\n' >"$TMP/notify.conf"
if NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=1000000 STUNRINGD_TEST_FAULTS=stall=0:8 \
	start_daemon notify -- --config "$TMP/notify.conf"; then
	sleep 1.2	# two watchdog intervals
	mark A
	kill -HUP "$DPID"
	wait_log "SIGHUP: .* re-read"
	sleep 0.3
	mark B
	kill -USR2 "$DPID"
	wait_log "not sending WATCHDOG=1" && mark C
	sleep 1.5	# three intervals, well inside the 8 s stall
	mark D
	wait_log "every worker healthy again"
	sleep 1.2
	mark E
	stop_daemon
	mark END
	wait "$npid"
	first=$(head -1 "$TMP/notify.out")
	check "sd_notify: READY=1 first, once serving ($first)" eval '[ "${first%%|*}" = READY=1 ]'
	check "WATCHDOG_USEC=1s: WATCHDOG=1 while healthy (every 0.5 s)" \
		eval '[ "$(sed "/^MARK-A\$/q" "$TMP/notify.out" | grep -c "^WATCHDOG=1\$")" -ge 2 ]'
	check "SIGHUP: RELOADING=1 then READY=1" \
		eval 'between A B | grep -v WATCHDOG | tr "\n" " " | grep -Eq "^RELOADING=1\|MONOTONIC_USEC=[0-9]+ READY=1 $"'
	check "stalled worker: no WATCHDOG=1 for 1.5 s (the daemon said why)" \
		eval 'grep -q "^MARK-C\$" "$TMP/notify.out" && [ -z "$(between C D)" ]'
	check "recovered worker: WATCHDOG=1 again" eval 'between D E | grep -q "^WATCHDOG=1\$"'
	check "SIGTERM: STOPPING=1 last" eval '[ "$(between E END | grep -v WATCHDOG)" = STOPPING=1 ]'
	show "$TMP/notify.out"
else
	not_ok "sd_notify: daemon starts"
fi

# Missing privilege: a port below 1024 as an unprivileged user.
unpriv_start=$(sysctl -n net.ipv4.ip_unprivileged_port_start 2>/dev/null || echo 1024)
if [ "$(id -u)" != 0 ]; then
	skip "privileged port as nobody" "needs root to switch to nobody"
elif [ "$unpriv_start" -le 999 ]; then
	skip "privileged port as nobody" "net.ipv4.ip_unprivileged_port_start=$unpriv_start lets anyone bind 999"
elif ! command -v setpriv >/dev/null; then
	skip "privileged port as nobody" "setpriv (util-linux) not installed"
else
	chmod o+rx "$TMP"
	cp "$DAEMON" "$TMP/stunringd" && chmod 755 "$TMP/stunringd"
	DAEMON_SAVED=$DAEMON
	DAEMON=$TMP/stunringd
	asnobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
	timeout 10 "${asnobody[@]}" "$DAEMON" --listen 127.0.0.1:999 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 77 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "permission denied" "$TMP/err"; then
		ok "privileged port as nobody: exit 77, one line: $(cat "$TMP/err")"
	else
		not_ok "privileged port as nobody: exit $rc (want 77)"
		show "$TMP/err"
	fi
	# An unprivileged user gets a working daemon on a high port, io_uring
	# included where kernel.io_uring_disabled allows it.
	if start_daemon nobody "${asnobody[@]}" -- --workers 1 --listen 127.0.0.1:0; then
		check "unprivileged: plain SO_RCVBUF (no FORCE without CAP_NET_ADMIN)" \
			grep -q 'asked (SO_RCVBUF)' "$DLOG"
		"$CLIENT" check --server "127.0.0.1:${LPORTS[0]}" --clients 10 --requests 10 >"$TMP/c" 2>&1
		rc=$?
		show "$TMP/c"
		check "unprivileged: answers correctly" [ $rc -eq 0 ]
		stop_daemon
		check "unprivileged: exits 0" [ "$DRC" -eq 0 ]
		grep -E ' (ready|warn):' "$DLOG" | sed 's/^/# /'
	else
		not_ok "unprivileged: starts on a high port"
	fi
	DAEMON=$DAEMON_SAVED
fi
finish
