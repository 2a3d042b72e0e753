#!/usr/bin/env bash
# tests/e2e/test_daemon_privdrop.sh - stunringd --user NAME: after the
# sockets are bound (one below 1024 included) every thread runs as NAME,
# without supplementary groups or capabilities and with no_new_privs
# (/proc/PID/task/*/status), and the daemon still answers on every
# listener, serves /healthz and re-reads its file on SIGHUP.  An unknown
# user or a switch that cannot happen is one error line and a non-zero
# exit.  Started as a user with ambient capabilities (systemd's User= and
# AmbientCapabilities=), it trims them too.  With --xdp, only the main
# thread keeps CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON (permitted, not
# effective) and the detach at exit still works.  Loopback, and a veth
# pair in namespaces this test creates.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON" "$CLIENT"

if [ "$(id -u)" != 0 ]; then
	skip "stunringd --user" "needs root to switch users"; finish
fi
need_tools "privilege drop" setpriv curl
NOBODY_GID=$(id -g nobody)
chmod o+rx "$TMP"	# the dropped daemon re-reads its file here

# thread_caps PID: one line per thread: "comm uid gid groups prm eff bnd amb nnp".
thread_caps() {
	local t
	for t in /proc/"$1"/task/*; do
		awk -v comm="$(cat "$t/comm")" '
			/^Uid:/ { u = $2 "/" $3 "/" $4 "/" $5 }
			/^Gid:/ { g = $2 "/" $3 "/" $4 "/" $5 }
			/^Groups:/ { gr = NF - 1 }
			/^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 }
			/^CapBnd:/ { b = $2 } /^CapAmb:/ { a = $2 }
			/^NoNewPrivs:/ { n = $2 }
			END { print comm, u, g, gr, p, e, b, a, n }' "$t/status"
	done
}
# every_thread PID N PATTERN: every thread's line matches, and there are >= N.
every_thread() {
	thread_caps "$1" >"$TMP/caps"
	show "$TMP/caps"
	[ "$(wc -l <"$TMP/caps")" -ge "$2" ] && ! grep -vEq "$3" "$TMP/caps"
}
ids="65534/65534/65534/65534 $NOBODY_GID/$NOBODY_GID/$NOBODY_GID/$NOBODY_GID 0"
none="0000000000000000"

# --- --user nobody on a privileged port, IPv4 and IPv6 -------------------------
low=$(python3 -c '
import socket
for p in range(990, 1000):
    try:
        s = socket.socket(); s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p)); u.close()
        print(p); break
    except OSError: pass')
printf 'listen = 127.0.0.1:%s\nlisten = 127.0.0.1:0\nlisten = [::1]:0\nworkers = 2\nuser = nobody\nmetrics = 127.0.0.1:0\n' \
	"$low" >"$TMP/drop.conf"
chmod 644 "$TMP/drop.conf"
if start_daemon drop -- --config "$TMP/drop.conf"; then
	check "logs what it kept: running as nobody, capabilities kept: none" \
		grep -q "privileges: running as nobody, uid 65534 gid $NOBODY_GID, 0 supplementary groups; capabilities kept: none; no_new_privs" "$DLOG"
	check "every thread (main, metrics, 2 workers): uid nobody, gid nogroup, no groups, no capabilities, no_new_privs" \
		every_thread "$DPID" 4 "^[^ ]+ $ids $none $none $none $none 1\$"
	for p in "${LPORTS[@]}"; do
		host=127.0.0.1; [ "$p" = "${LPORTS[2]}" ] && host=[::1]
		"$CLIENT" check --server "$host:$p" --clients 5 --requests 10 >"$TMP/c" 2>&1
		check "answers on $host:$p after the drop" [ $? -eq 0 ]
	done
	murl=$(sed -n 's|.*metrics: \(http://[^/]*\)/metrics.*|\1|p' "$DLOG")
	check "/healthz 200 ok after the drop" eval '[ "$(curl -s -m 5 "$murl/healthz")" = ok ]'
	echo "software = after-drop" >>"$TMP/drop.conf"
	kill -HUP "$DPID"
	for _ in $(seq 100); do grep -q "re-read" "$DLOG" && break; sleep 0.05; done
	check "SIGHUP as nobody: the file is re-read, SOFTWARE applied" \
		grep -q 'SIGHUP: software: "" -> "after-drop"' "$DLOG"
	stop_daemon
	check "SIGTERM: exit 0" [ "$DRC" -eq 0 ]
else
	not_ok "stunringd --user nobody starts on 127.0.0.1:$low"
fi

# --- refusals: before serving, one line ----------------------------------------
expect_error "unknown user" 64 "--user 'no-such-user-x': no such user" \
	--user no-such-user-x --listen 127.0.0.1:0
chmod o+rx "$TMP"
cp "$DAEMON" "$TMP/stunringd" && chmod 755 "$TMP/stunringd"
timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$TMP/stunringd" --user daemon --listen 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 77 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "cannot switch user" "$TMP/err"; then
	ok "a switch that cannot happen (nobody asks for daemon): exit 77, one line: $(cat "$TMP/err")"
else
	not_ok "a switch that cannot happen: exit $rc (want 77, one line)"
	show "$TMP/err"
fi

# --- systemd style: started as nobody with an ambient CAP_NET_BIND_SERVICE -----
if start_daemon ambient setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- \
	--workers 2 --listen "127.0.0.1:$low"; then
	check "ambient capability: binds port $low, then logs the trim" \
		grep -q "privileges: started unprivileged with capabilities, now uid 65534" "$DLOG"
	# No CAP_SETPCAP to empty the bounding set: no_new_privs covers it.
	check "ambient capability: every thread (main, 2 workers) ends with none, no_new_privs" \
		every_thread "$DPID" 3 "^[^ ]+ $ids $none $none [0-9a-f]+ $none 1\$"
	"$CLIENT" check --server "127.0.0.1:$low" --clients 5 --requests 10 >"$TMP/c" 2>&1
	check "ambient capability: answers on 127.0.0.1:$low" [ $? -eq 0 ]
	stop_daemon
else
	not_ok "stunringd as nobody with CAP_NET_BIND_SERVICE starts on port $low"
fi

# --- --xdp --user: main keeps the detach's capabilities, permitted only --------
XCLIENT=$BUILD/stun_xdp_client
if [ ! -x "$XCLIENT" ] || [ ! -x "$BUILD/stunctl" ]; then
	skip "--xdp --user" "$XCLIENT or $BUILD/stunctl not built"; finish
fi
if ! xdp_veth dpriv$$ 10.79.0; then
	skip "--xdp --user" "cannot create namespaces/veth: $(head -1 "$TMP/setup.err")"; finish
fi
xdp_caps="000000c000001000"	# CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39)
# A config file for SIGHUP's limits change (the flags stay as they are).
printf 'rate-limit = 100000\n' >"$TMP/xdp.conf"
chmod 644 "$TMP/xdp.conf"
if start_daemon xdp nsenter --net=/var/run/netns/"$SNS" -- --user nobody --workers 2 \
	--listen 10.79.0.1:3478 --xdp "$SIF" --xdp-mode generic --metrics 127.0.0.1:0 \
	--config "$TMP/xdp.conf"; then
	check "xdp: logs CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON kept, permitted only" \
		grep -Eq "capabilities kept: .*net_admin.*perfmon.*bpf.* \(permitted, effective only" "$DLOG"
	thread_caps "$DPID" >"$TMP/caps"
	show "$TMP/caps"
	check "xdp: main thread: nobody, CapPrm = those three, CapEff none, no bounding set, no_new_privs" \
		eval 'head -1 "$TMP/caps" | grep -Eq "^stunringd $ids $xdp_caps $none $none $none 1\$"'
	check "xdp: every other thread (metrics, workers): no capability at all" \
		eval '[ "$(tail -n +2 "$TMP/caps" | grep -cE "^[^ ]+ $ids $none $none $none $none 1\$")" -ge 3 ] &&
		      [ "$(tail -n +2 "$TMP/caps" | grep -cvE "^[^ ]+ $ids $none $none $none $none 1\$")" -eq 0 ]'
	check "xdp: plain requests answered (by the program), classic ones (by the daemon)" \
		eval 'nsenter --net=/var/run/netns/$CNS $XCLIENT -n 20 10.79.0.1:3478 >/dev/null &&
		      nsenter --net=/var/run/netns/$CNS $XCLIENT -c -n 5 10.79.0.1:3478 >/dev/null'
	murl=$(sed -n 's|.*metrics: \(http://[^/]*\)/metrics.*|\1|p' "$DLOG")
	check "xdp: /metrics reads the program's counters after the drop" \
		eval 'nsenter --net=/var/run/netns/$SNS curl -s -m 5 "$murl/metrics" |
		      grep -qx "stunring_xdp_packets_total{family=\"ipv4\",outcome=\"answered\"} 20"'
	# SIGHUP as nobody: a new deny list reaches the program through the
	# fds held at attach (no bpffs, no lookup by id after the drop).
	echo "deny = 10.79.0.2/32" >>"$TMP/xdp.conf"
	kill -HUP "$DPID"
	for _ in $(seq 100); do grep -q "re-read" "$DLOG" && break; sleep 0.05; done
	check "xdp: SIGHUP as nobody: the program's ACL and rate limits updated" \
		eval 'grep -q "xdp $SIF: ACL and rate limits updated" "$DLOG" &&
		      ! grep -q "cannot update the limits" "$DLOG"'
	nsenter --net=/var/run/netns/$CNS $XCLIENT -n 10 -t 50 10.79.0.1:3478 >"$TMP/denied" 2>&1
	show "$TMP/denied"
	check "xdp: after the SIGHUP the denied client gets no answer" \
		grep -q "answered-correctly 0 bad 0 lost 10" "$TMP/denied"
	check "xdp: ... dropped in the kernel (drop_acl 10 in /metrics)" \
		eval 'nsenter --net=/var/run/netns/$SNS curl -s -m 5 "$murl/metrics" |
		      grep -qx "stunring_xdp_packets_total{family=\"unknown\",outcome=\"drop_acl\"} 10"'
	stop_daemon
	check "xdp: SIGTERM: exit 0, detached" \
		eval '[ "$DRC" -eq 0 ] && grep -q "xdp: detached from $SIF" "$DLOG"'
	check "xdp: no program left on $SIF" \
		eval '! ip -n "$SNS" link show dev "$SIF" | grep -qwE "xdp|xdpgeneric"'
else
	not_ok "stunringd --user nobody --xdp starts"
fi
finish
