#!/usr/bin/env bash
# tests/system/test_nspawn.sh - the package under a real systemd (make
# test-system; too slow and too dependent on the network for make test).
#
# 1. A Debian 12 tree (debootstrap --variant=minbase, plus systemd and
#    dbus) from the machine's own apt mirror, cached per day under
#    /var/tmp so reruns only copy it.
# 2. A throwaway copy of it; apt-get installs build/stunring_*.deb into it
#    as a user would (apt resolves the runtime libraries), then: stunringd
#    --version, the man pages, the unit, the sysusers file, the stunring
#    user, the configuration and the XDP drop-in example are where they
#    should be.
# 3. systemd-nspawn --boot of that copy (its own network namespace, a veth
#    pair to the host): enable --now stunringd -> active once READY=1 (Type=notify);
#    stunprobe 127.0.0.1 is answered; systemctl reload -> the journal shows
#    the SIGHUP re-read and it stays active; kill -9 of the main PID ->
#    systemd restarts it (new MainPID, active); the watchdog keeps being
#    fed and never fires.
# 4. --xdp host0 under the unit with the packaged drop-in
#    (stunringd-xdp.conf): attached without pins, 20 requests from the
#    host answered by the program; after kill -9 the restarted daemon
#    takes the old program off (fd store); detached on stop.  Then poweroff.
#
# The host's systemd is not PID 1 here, so nspawn neither registers with
# machined nor asks for a scope (--register=no --keep-unit), and commands
# reach the container with nsenter into its PID 1's namespaces.  Anything
# this machine cannot do is a loud SKIP with the error lines.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh

BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
CACHE_DIR=${NSPAWN_CACHE:-/var/tmp}
BASE=$CACHE_DIR/stunring-nspawn-bookworm-$(date +%Y%m%d)
WORK=$CACHE_DIR/stunring-nspawn-run.$$
MACHINE=stunsys$$
NSPAWN_PID=
state=

if [ "$(id -u)" != 0 ]; then
	skip "package under systemd-nspawn" "needs root (debootstrap, systemd-nspawn)"; finish
fi
need_tools "package under systemd-nspawn" debootstrap systemd-nspawn nsenter chroot
DEB=$(ls -t "$BUILD"/stunring_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
if [ -z "$DEB" ]; then
	skip "package under systemd-nspawn" "no $BUILD/stunring_*.deb: run make deb (make test-system does)"; finish
fi
VERSION=$(dpkg-deb -f "$DEB" Version)
# stunring depends on libstunring0 of the same build (not in the archive).
LIBDEB=$BUILD/libstunring0_${VERSION}_$(dpkg --print-architecture).deb
if [ ! -e "$LIBDEB" ]; then
	skip "package under systemd-nspawn" "no $LIBDEB: run make deb (make test-system does)"; finish
fi

sys_cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null	# nspawn powers the container off
		for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$NSPAWN_PID" 2>/dev/null
	fi
	rm -rf "$WORK" "$BASE.tmp.$$"
	cleanup
}
trap sys_cleanup EXIT

# --- 1. the cached base tree -------------------------------------------------
# The mirror apt uses here (deb822 or one-line sources), the only one reachable.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p; s/^deb \(http[^ ]*debian\)\/* bookworm .*/\1/p' \
	/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
if [ ! -e "$BASE/.complete" ]; then
	# Yesterday's trees are ours and stale: 250 MB each.
	rm -rf "$CACHE_DIR"/stunring-nspawn-bookworm-*
	t0=$SECONDS
	if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
		bookworm "$BASE.tmp.$$" "$mirror" >"$TMP/debootstrap.log" 2>&1; then
		skip "package under systemd-nspawn" "debootstrap bookworm from $mirror failed: $(grep -E '^E:|^W:' "$TMP/debootstrap.log" | head -3 | tr '\n' ' ')"
		finish
	fi
	mv "$BASE.tmp.$$" "$BASE" && touch "$BASE/.complete"
	echo "# debootstrap of $BASE from $mirror: $((SECONDS - t0)) s"
else
	echo "# cached tree $BASE"
fi

# --- 2. install the package as a user would -----------------------------------
t0=$SECONDS
cp -a --reflink=auto "$BASE" "$WORK"
rm -f "$WORK/.complete"
# Not /tmp: nspawn mounts a tmpfs there.
cp "$DEB" "$LIBDEB" "$WORK/var/tmp/"
# Not booted: the host's network, the host's resolv.conf.
systemd-nspawn -q --register=no --keep-unit --resolv-conf=copy-host -D "$WORK" \
	-E DEBIAN_FRONTEND=noninteractive sh -c \
	"apt-get update -q && apt-get install -y -q --no-install-recommends /var/tmp/$(basename "$DEB") /var/tmp/$(basename "$LIBDEB")" \
	>"$TMP/apt.log" 2>&1
rc=$?
echo "# apt-get install of $(basename "$DEB") in a copy of the tree: $((SECONDS - t0)) s"
if [ $rc -ne 0 ]; then
	show "$TMP/apt.log"
	not_ok "apt-get install -y ./$(basename "$DEB") in a fresh bookworm tree (exit $rc)"
	finish
fi
ok "apt-get install -y ./$(basename "$DEB") in a fresh bookworm tree, dependencies resolved by apt: $(sed -n 's/.* \([0-9]* newly installed\).*/\1/p' "$TMP/apt.log" | head -1)"
in_tree() { chroot "$WORK" "$@"; }
out=$(in_tree /usr/sbin/stunringd --version 2>&1)
check "stunringd --version in the tree says $VERSION ($out)" eval '[[ "$out" == *"$VERSION"* ]]'
for m in man8/stunringd.8 man5/stunringd.conf.5 man8/stunctl.8 man1/stunprobe.1 \
	 man1/stunload.1 man1/stun-reflector.1; do
	check "man page /usr/share/man/$m.gz" test -s "$WORK/usr/share/man/$m.gz"
done
unit=$(in_tree dpkg -L stunring | grep '/systemd/system/stunringd\.service$')
check "the unit is installed (${unit:-missing}) and runs /usr/sbin/stunringd" \
	eval '[ -n "$unit" ] && grep -q "^ExecStart=/usr/sbin/stunringd " "$WORK$unit"'
sysusers=$(in_tree dpkg -L stunring | grep '/sysusers\.d/.*\.conf$')
check "the sysusers file is installed (${sysusers:-missing})" test -n "$sysusers"
check "the stunring system user exists after the install" \
	eval 'in_tree getent passwd stunring | grep -q ":/usr/sbin/nologin$"'
check "/etc/stunring/stunringd.conf, a conffile" \
	eval 'test -s "$WORK/etc/stunring/stunringd.conf" &&
	      in_tree dpkg-query -W -f="\${Conffiles}" stunring | grep -q /etc/stunring/stunringd.conf'
check "the XDP drop-in example is shipped" \
	test -s "$WORK/usr/share/doc/stunring/examples/stunringd-xdp.conf"
check "enabled by the package (multi-user.target wants it)" \
	test -L "$WORK/etc/systemd/system/multi-user.target.wants/stunringd.service"

# --- 3. boot it ---------------------------------------------------------------
# A run killed by SIGKILL cannot clean up: its host-side veth (ve-stunsysPID,
# 10.77.0.1) outlives it and would take this run's XDP-phase packets.
for l in $(ip -br link | awk '$1 ~ /^ve-stunsys[0-9]+@/ { sub(/@.*/, "", $1); print $1 }'); do
	kill -0 "${l#ve-stunsys}" 2>/dev/null && continue
	echo "# removing $l, left by a run that no longer exists"
	ip link del "$l"
done
# --network-veth: only host0 inside, its peer on the host for the XDP
# phase.  nspawn's own seccomp filter refuses bpf() unless asked, and its
# default capabilities lack CAP_BPF and CAP_PERFMON.
systemd-nspawn --boot -D "$WORK" --machine "$MACHINE" --network-veth \
	--capability=CAP_BPF,CAP_PERFMON --system-call-filter=bpf \
	--register=no --keep-unit >"$TMP/boot.log" 2>&1 </dev/null &
NSPAWN_PID=$!
LEADER=
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$BOOT_TIMEOUT" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; do
	LEADER=$(ps -o pid= --ppid "$NSPAWN_PID" | head -1 | tr -d ' ')
	[ -n "$LEADER" ] && state=$(nsenter -t "$LEADER" -a systemctl is-system-running 2>/dev/null) &&
		case $state in running|degraded) break ;; esac
	sleep 0.5
done
if [ -z "$LEADER" ] || ! kill -0 "$NSPAWN_PID" 2>/dev/null ||
   ! nsenter -t "$LEADER" -a systemctl is-system-running >/dev/null 2>&1; then
	why=$(grep -vE '^\s*$' "$TMP/boot.log" | tail -5 | tr '\n' '|')
	skip "systemd-nspawn --boot" "the container did not reach running in ${BOOT_TIMEOUT}s: ${why:-systemd-nspawn printed nothing}${LEADER:+ (its pid 1: $LEADER, is-system-running: ${state:-no answer})}"
	finish
fi
echo "# booted in $((SECONDS - t0)) s"
in_c() { nsenter -t "$LEADER" -a "$@"; }
show_journal() { in_c journalctl -u stunringd --no-pager -o short-precise >"$TMP/journal" 2>&1; show "$TMP/journal"; }
prop() { in_c systemctl show -P "$1" stunringd; }

# The container booted with the package's enablement: started at boot.
# Restart it under our eyes, as an operator would after configuring it.
in_c systemctl enable --now stunringd >"$TMP/enable" 2>&1
in_c systemctl restart stunringd
check "systemctl enable --now; restart: is-active active" \
	eval '[ "$(in_c systemctl is-active stunringd)" = active ]'
# is-active says active for Type=notify only once READY=1 came.
check "Type=notify, and READY=1 came: active, and the daemon logged ready" \
	eval '[ "$(prop Type)" = notify ] && in_c journalctl -u stunringd -o cat --no-pager | grep -q " ready: "'
check "runs as the stunring user" eval '[ "$(in_c stat -c %U /proc/"$(prop MainPID)")" = stunring ]'
in_c stunprobe 127.0.0.1 >"$TMP/probe" 2>&1
rc=$?
show "$TMP/probe"
check "stunprobe 127.0.0.1 inside the container is answered (exit $rc)" \
	eval '[ $rc -eq 0 ] && grep -Eq "^mapped +127\.0\.0\.1:[0-9]+ " "$TMP/probe"'

since=$(in_c date '+%Y-%m-%d %H:%M:%S')
in_c systemctl reload stunringd
for _ in $(seq 50); do
	in_c journalctl -u stunringd --since "$since" -o cat --no-pager | grep -q "re-read" && break
	sleep 0.2
done
check "systemctl reload: the journal shows the SIGHUP re-read" \
	eval 'in_c journalctl -u stunringd --since "$since" -o cat --no-pager | grep -q "SIGHUP: .* re-read"'
check "... and it stays active" eval '[ "$(in_c systemctl is-active stunringd)" = active ]'

old=$(prop MainPID)
restarts=$(prop NRestarts)
in_c sh -c "kill -9 $old"	# dash's kill: the test must not need procps
new=$old
for _ in $(seq 100); do
	new=$(prop MainPID)
	[ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$(in_c systemctl is-active stunringd)" = active ] && break
	sleep 0.1
done
check "kill -9 $old: Restart=on-failure brings a new MainPID ($new), active, NRestarts $restarts -> $(prop NRestarts)" \
	eval '[ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$(in_c systemctl is-active stunringd)" = active ] &&
	      [ "$(prop NRestarts)" = $((restarts + 1)) ]'

# WatchdogSec=20s: healthy, the pings keep coming (WatchdogTimestamp moves)
# and no timeout is logged over more than one full period.
w1=$(prop WatchdogTimestampMonotonic)
sleep 22
w2=$(prop WatchdogTimestampMonotonic)
check "watchdog fed: WatchdogTimestamp moved ($w1 -> $w2)" eval '[ "$w2" -gt "$w1" ] 2>/dev/null'
check "watchdog never fired, same MainPID after 22 s, still active" \
	eval '! in_c journalctl --no-pager -o cat | grep -qi "watchdog timeout" &&
	      [ "$(prop MainPID)" = "$new" ] && [ "$(in_c systemctl is-active stunringd)" = active ]'
show_journal

# --- 4. --xdp under the unit with the shipped drop-in --------------------------
# The host sends through the veth pair, so requests cross host0's XDP hook
# (generic mode); root's stunctl (host binary, container's netns) counts.
xdp_phase() {
	local idx ve got
	if [ ! -x "$BUILD/stun_xdp_client" ] || [ ! -x "$BUILD/stunctl" ]; then
		skip "--xdp under the unit" "$BUILD/stun_xdp_client or $BUILD/stunctl not built"; return
	fi
	idx=$(nsenter -t "$LEADER" -n ip -o link show host0 2>/dev/null | sed -n 's/.*host0@if\([0-9]*\):.*/\1/p')
	ve=$(ip -o link | awk -F': ' -v i="$idx" '$1 == i { print $2 }' | cut -d@ -f1)
	if [ -z "$ve" ] || ! { nsenter -t "$LEADER" -n ip addr add 10.77.0.2/30 dev host0 &&
			       nsenter -t "$LEADER" -n ip link set host0 up &&
			       ip addr add 10.77.0.1/30 dev "$ve" && ip link set "$ve" up; } 2>"$TMP/veth.err"; then
		skip "--xdp under the unit" "no usable veth pair (host0@if${idx:-?}, host side '${ve:-?}'): $(head -1 "$TMP/veth.err")"
		return
	fi
	mkdir -p "$WORK/etc/systemd/system/stunringd.service.d"
	cp "$WORK/usr/share/doc/stunring/examples/stunringd-xdp.conf" \
		"$WORK/etc/systemd/system/stunringd.service.d/xdp.conf"
	printf 'xdp = host0\nxdp-mode = generic\n' >>"$WORK/etc/stunring/stunringd.conf"
	since=$(in_c date '+%Y-%m-%d %H:%M:%S')
	in_c systemctl daemon-reload
	in_c systemctl restart stunringd
	in_c journalctl -u stunringd --since "$since" -o cat --no-pager >"$TMP/xj"
	show "$TMP/xj"
	check "with the packaged XDP drop-in: active, attached to host0 without pins, as user stunring" \
		eval '[ "$(in_c systemctl is-active stunringd)" = active ] &&
		      grep -q "^xdp: attached to host0 .*not pinned: .*stunctl finds it from the interface" "$TMP/xj" &&
		      [ "$(in_c stat -c %U /proc/"$(prop MainPID)")" = stunring ]'
	"$BUILD/stun_xdp_client" -n 20 10.77.0.2:3478 >"$TMP/xc" 2>&1
	show "$TMP/xc"
	nsenter -t "$LEADER" -n "$BUILD/stunctl" stats host0 --json >"$TMP/xstats" 2>&1
	echo "# stunctl stats: $(tr -d '\n\t ' <"$TMP/xstats")"
	got=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["interfaces"][0]["counters"]["answered_v4"] if d["interfaces"] else "none")' <"$TMP/xstats" 2>/dev/null)
	check "20 requests from the host answered by the program on host0 (answered_v4 = ${got:-?})" \
		eval 'grep -q "answered-correctly 20 bad 0 lost 0" "$TMP/xc" && [ "$got" = 20 ]'
	# SIGKILL leaves the program on host0; without CAP_SYS_ADMIN only the
	# fd systemd kept (FileDescriptorStoreMax=) lets the next one take it off.
	local old new
	old=$(prop MainPID)
	in_c sh -c "kill -9 $old"
	for _ in $(seq 100); do
		new=$(prop MainPID)
		[ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$(in_c systemctl is-active stunringd)" = active ] && break
		sleep 0.1
	done
	in_c journalctl -u stunringd --since "$since" -o cat --no-pager >"$TMP/xj"
	check "--xdp, kill -9: restarted (MainPID $old -> $new), took off its predecessor's program via the fd store" \
		eval '[ "$new" != "$old" ] && [ "$(in_c systemctl is-active stunringd)" = active ] &&
		      grep -q "^xdp: took off prog id [0-9]*, left on host0 by the previous stunringd" "$TMP/xj"'
	"$BUILD/stun_xdp_client" -n 10 10.77.0.2:3478 >"$TMP/xc" 2>&1
	check "... and the new program answers" grep -q "answered-correctly 10 bad 0 lost 0" "$TMP/xc"
	in_c systemctl stop stunringd
	check "systemctl stop: detached, host0 clean" \
		eval 'in_c journalctl -u stunringd --since "$since" -o cat --no-pager | grep -q "^xdp: detached from host0" &&
		      ! nsenter -t "$LEADER" -n ip link show dev host0 | grep -qwE "xdp|xdpgeneric"'
}
xdp_phase

in_c systemctl poweroff >/dev/null 2>&1
for _ in $(seq 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
check "poweroff: the container exits" eval '! kill -0 "$NSPAWN_PID" 2>/dev/null'
wait "$NSPAWN_PID" 2>/dev/null
NSPAWN_PID=
finish
