#!/usr/bin/env bash
# tests/e2e/test_daemon_netns.sh - a multi-homed host: stunringd on its
# defaults (wildcard 0.0.0.0:3478 and [::]:3478) in a network namespace with
# two IPv4 and two IPv6 addresses on one link, clients in a second
# namespace.  Each client must be answered from the very address it asked
# (IP_PKTINFO / IPV6_PKTINFO), with its own address mapped.  A control run
# with a plain wildcard socket (no PKTINFO) shows the kernel would answer
# from the other address, so this test can fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT"

if [ "$(id -u)" != 0 ] || ! ip netns add "stunr-probe-$$" 2>/dev/null; then
	skip "multi-homed namespace" "needs root and ip netns"
	finish
fi
ip netns del "stunr-probe-$$"

SRV=stunr-srv-$$ CLI=stunr-cli-$$
NETNS+=("$SRV" "$CLI")
ip netns add "$SRV" && ip netns add "$CLI" &&
	ip link add s0 netns "$SRV" type veth peer name c0 netns "$CLI" &&
	ip -n "$SRV" link set lo up && ip -n "$CLI" link set lo up &&
	ip -n "$SRV" addr add 10.231.0.1/24 dev s0 &&
	ip -n "$SRV" addr add 10.231.0.2/24 dev s0 &&
	ip -n "$SRV" addr add fd00:231::1/64 dev s0 nodad &&
	ip -n "$SRV" addr add fd00:231::2/64 dev s0 nodad &&
	ip -n "$CLI" addr add 10.231.0.10/24 dev c0 &&
	ip -n "$CLI" addr add fd00:231::10/64 dev c0 nodad &&
	ip -n "$SRV" link set s0 up && ip -n "$CLI" link set c0 up
check "namespaces with a two-address server set up" [ $? -eq 0 ]

# Control: a wildcard socket without PKTINFO answers 10.231.0.2 from the
# primary address 10.231.0.1.
python3 - "$SRV" "$CLI" >"$TMP/control" 2>&1 <<'PY'
import socket, subprocess, sys, time
srv = subprocess.Popen(["ip", "netns", "exec", sys.argv[1], "python3", "-c", """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 3479)); s.settimeout(5)
d, a = s.recvfrom(100); s.sendto(d, a)
"""])
time.sleep(0.3)
out = subprocess.run(["ip", "netns", "exec", sys.argv[2], "python3", "-c", """
import socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(3)
c.sendto(b"x", ("10.231.0.2", 3479)); d, a = c.recvfrom(100); print(a[0])
"""], capture_output=True, text=True).stdout.strip()
srv.wait(5)
print("control-reply-from", out)
PY
show "$TMP/control"
if grep -q 'control-reply-from 10.231.0.1$' "$TMP/control"; then
	ok "control: without PKTINFO the kernel answers 10.231.0.2 from 10.231.0.1"
else
	skip "control: without PKTINFO the kernel answers 10.231.0.2 from 10.231.0.1" \
		"the kernel chose differently here; the checks below still hold"
fi

for engine in uring mmsg; do
	if ! start_daemon "netns-$engine" ip netns exec "$SRV" -- --io-engine "$engine" --workers 2; then
		not_ok "$engine: daemon on the defaults starts in the namespace"
		continue
	fi
	check "$engine: default listeners are 0.0.0.0:3478 and [::]:3478" \
		eval 'grep -q "listening on 0.0.0.0:3478:" "$DLOG" && grep -q "listening on \[::\]:3478:" "$DLOG"'
	for target in 10.231.0.1 10.231.0.2 '[fd00:231::1]' '[fd00:231::2]'; do
		case $target in \[*) me='[fd00:231::10]' ;; *) me=10.231.0.10 ;; esac
		ip netns exec "$CLI" "$CLIENT" check --server "$target:3478" --bind "$me" \
			--clients 20 --requests 5 >"$TMP/c" 2>&1
		rc=$?
		show "$TMP/c"
		check "$engine: client asking $target is answered from $target:3478, its own address mapped" \
			[ $rc -eq 0 ]
	done
	stop_daemon
	check "$engine: exits 0" [ "$DRC" -eq 0 ]
	check "$engine: counted 400 answers, no failures" \
		eval '[ "$(total answered)" = 400 ] && [ "$(total send_failed)" = 0 ]'
done
finish
