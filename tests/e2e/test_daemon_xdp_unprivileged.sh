#!/usr/bin/env bash
# tests/e2e/test_daemon_xdp_unprivileged.sh - stunringd --xdp under the
# systemd unit plus its XDP drop-in (tools/dist/stunringd-xdp.conf),
# emulated without systemd: setpriv starts it as an ordinary user (nobody)
# with exactly the drop-in's capabilities (CAP_NET_ADMIN, CAP_BPF,
# CAP_PERFMON, CAP_NET_BIND_SERVICE) ambient and in the bounding set, and
# no access to bpffs (/sys/fs/bpf is root's 0700).  The attach must then
# work without pins and say so, the program must answer, stunctl (root)
# must find it from the interface, SIGHUP must update it through the held
# fds, and SIGTERM must detach it.  A veth pair in namespaces this test
# creates, generic mode.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
XCLIENT=$BUILD/stun_xdp_client
STUNCTL=$BUILD/stunctl

if [ "$(id -u)" != 0 ]; then
	skip "stunringd --xdp as a user with capabilities" "needs root to set up namespaces and users"
	finish
fi
need_tools "unprivileged XDP" setpriv nsenter python3
if [ ! -x "$XCLIENT" ] || [ ! -x "$STUNCTL" ]; then
	skip "stunringd --xdp as a user with capabilities" "$XCLIENT or $STUNCTL not built"
	finish
fi
# The claim is "no bpffs for the daemon": prove the premise, or skip.
if setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	test -x /sys/fs/bpf 2>/dev/null; then
	skip "stunringd --xdp without bpffs" "nobody can enter /sys/fs/bpf on this machine ($(ls -ld /sys/fs/bpf))"
	finish
fi

if ! xdp_veth dxun$$ 10.78.0; then
	skip "stunringd --xdp as a user with capabilities" "cannot create namespaces/veth: $(head -1 "$TMP/setup.err")"
	finish
fi

# nobody must reach the binary and its file.
chmod o+rx "$TMP"
cp "$DAEMON" "$TMP/stunringd" && chmod 755 "$TMP/stunringd"
DAEMON=$TMP/stunringd
printf 'listen = 10.78.0.1:3478\nworkers = 2\nxdp = %s\nxdp-mode = generic\n' "$SIF" >"$TMP/x.conf"
chmod 644 "$TMP/x.conf"

in_s() { nsenter --net=/var/run/netns/"$SNS" "$@"; }
in_c() { nsenter --net=/var/run/netns/"$CNS" "$@"; }
answered() {	# from a root stunctl, which finds the program from the interface
	in_s "$STUNCTL" stats "$SIF" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["interfaces"][0]["counters"]["answered_v4"] if d["interfaces"] else "none")'
}

# The capabilities the unit and its XDP drop-in give, as setpriv spells them.
caps=$(cat tools/dist/stunringd.service tools/dist/stunringd-xdp.conf |
	sed -n 's/^AmbientCapabilities=//p' | tr ' ' '\n' | sort -u |
	sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd,)
echo "# the unit's capabilities with the XDP drop-in: $caps"
xdp_caps="000000c000001000"	# CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39)
none="0000000000000000"
if start_daemon xunpriv nsenter --net=/var/run/netns/"$SNS" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps="$caps" --ambient-caps="$caps" --bounding-set=-all,"$caps" -- \
	--config "$TMP/x.conf"; then
	show "$DLOG"
	check "attaches without pins and says so (bpffs is root's)" \
		grep -q "xdp: attached to $SIF .* generic mode .*not pinned: .*Permission denied; stunctl finds it from the interface" "$DLOG"
	check "no pin directory was left for $SIF" \
		eval '! ls -d /sys/fs/bpf/stunring/"$SIF"@* 2>/dev/null'
	check "the drop keeps NET_ADMIN, BPF, PERFMON permitted for the detach" \
		grep -Eq "privileges: started unprivileged with capabilities, now uid 65534 .*capabilities kept: .*net_admin.*perfmon.*bpf.* \(permitted, effective only" "$DLOG"
	check "main thread: CapPrm = those three, CapEff and CapAmb none, no_new_privs" \
		eval 'awk "/^CapPrm:/{p=\$2} /^CapEff:/{e=\$2} /^CapAmb:/{a=\$2} /^NoNewPrivs:/{n=\$2}
			END{exit !(p==\"$xdp_caps\" && e==\"$none\" && a==\"$none\" && n==1)}" /proc/"$DPID"/status'
	in_c "$XCLIENT" -n 20 10.78.0.1:3478 >"$TMP/xc" 2>&1
	check "20 requests answered" [ $? -eq 0 ]
	got=$(answered)
	check "root's stunctl stats finds it from the interface: answered_v4 = 20 (got $got)" [ "$got" = 20 ]

	printf 'software = unpriv-hup\ndeny = 203.0.113.0/24\n' >>"$TMP/x.conf"
	kill -HUP "$DPID"
	for _ in $(seq 100); do grep -q "re-read" "$DLOG" && break; sleep 0.05; done
	check "SIGHUP: the program's SOFTWARE policy is updated through the held fds" \
		grep -q "xdp $SIF: SOFTWARE and FINGERPRINT policy updated" "$DLOG"
	check "SIGHUP: the program's ACL and rate limits are updated through the held fds" \
		grep -q "xdp $SIF: ACL and rate limits updated" "$DLOG"
	check "SIGHUP: no error" eval '! grep -q "error:" "$DLOG"'
	in_c "$XCLIENT" -n 10 10.78.0.1:3478 >"$TMP/xc" 2>&1
	got=$(answered)
	check "after SIGHUP still answered by XDP: answered_v4 = 30 (got $got)" [ "$got" = 30 ]

	stop_daemon
	show "$DLOG"
	check "SIGTERM: exit 0, detached, no word of pins left" \
		eval '[ "$DRC" -eq 0 ] && grep -q "xdp: detached from $SIF\$" "$DLOG"'
	check "no XDP program left on $SIF" \
		eval '! ip -n "$SNS" link show dev "$SIF" | grep -qwE "xdp|xdpgeneric"'
else
	not_ok "stunringd --xdp starts as nobody with CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON"
fi
finish
