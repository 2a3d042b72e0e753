#!/usr/bin/env bash
# tests/e2e/test_systemd_unit.sh - tools/dist/stunringd.service as systemd
# reads it, offline (no running systemd needed): systemd-analyze verify
# accepts it, and systemd-analyze security --offline=yes rates its
# exposure at most 2.0 (coturn's Debian unit: 9.0, chrony's: 3.7).  The
# ExecStart= binary must exist for verify, so a copy of the unit points at
# the built daemon.  Also: the unit's syscall filter keeps what the daemon
# needs (io_uring, capset, CPU pinning) and its Type=notify plumbing is
# there.  A real boot under systemd is `make test-system`.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
UNIT=tools/dist/stunringd.service
need_built "$DAEMON"
if ! command -v systemd-analyze >/dev/null; then
	skip "systemd unit" "systemd-analyze missing (Debian package systemd; make deps)"; finish
fi

sed "s|^ExecStart=/usr/local/bin/stunringd|ExecStart=$PWD/$DAEMON|" "$UNIT" >"$TMP/stunringd.service"
check "the copy runs the built daemon" grep -q "^ExecStart=$PWD/$DAEMON " "$TMP/stunringd.service"
systemd-analyze verify "$TMP/stunringd.service" >"$TMP/verify" 2>&1
rc=$?
check "systemd-analyze verify: exit 0, nothing said" eval '[ $rc -eq 0 ] && [ ! -s "$TMP/verify" ]'
show "$TMP/verify"

exposure() {	# UNITFILE: its systemd-analyze security --offline=yes score
	systemd-analyze security --offline=yes --no-pager "$1" >"$TMP/sec" 2>&1
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$TMP/sec"
}
score=$(exposure "$TMP/stunringd.service")
check "systemd-analyze security --offline=yes: exposure ${score:-?} <= 2.0" \
	eval '[ -n "$score" ] && awk -v s="$score" "BEGIN { exit !(s <= 2.0) }"'
grep -E '✗|Overall' "$TMP/sec" | sed 's/^/# /'
check "the unit's comment states the same exposure ($score)" \
	grep -q "^# --offline=yes): $score;" "$UNIT"

# With the XDP drop-in: systemd reads drop-ins as if appended to the unit.
DROPIN=tools/dist/stunringd-xdp.conf
cat "$TMP/stunringd.service" "$DROPIN" >"$TMP/stunringd-xdp.service"
systemd-analyze verify "$TMP/stunringd-xdp.service" >"$TMP/verify" 2>&1
rc=$?
check "unit + $DROPIN: systemd-analyze verify: exit 0, nothing said" \
	eval '[ $rc -eq 0 ] && [ ! -s "$TMP/verify" ]'
show "$TMP/verify"
xscore=$(exposure "$TMP/stunringd-xdp.service")
# Stated, not bounded by 2.0: the XDP attach needs CAP_BPF, CAP_NET_ADMIN.
echo "# exposure with the XDP drop-in: ${xscore:-?} (without: $score)"
grep -E '✗|Overall' "$TMP/sec" | sed 's/^/# /'
check "unit + XDP drop-in: exposure ${xscore:-?}, as the drop-in's comment says" \
	eval '[ -n "$xscore" ] && grep -q "file): $xscore, from $score without it" "$DROPIN"'

# What the daemon needs, as systemd resolves the unit's filter: the allow
# lines in order, each "~" line taking its groups away again.
expand() {	# NAME...: syscalls, @groups expanded (they nest)
	local n
	for n in "$@"; do
		case $n in
		@*) expand $(systemd-analyze syscall-filter --no-pager "$n" |
			     sed -n 's/^ \{4\}\([@a-z0-9_-]*\)$/\1/p') ;;
		*) echo "$n" ;;
		esac
	done
}
allowed() {	# FILE...: the syscalls their SystemCallFilter= lines allow
	: >"$TMP/allowed"
	while IFS= read -r line; do
		case $line in
		"~"*) expand ${line#\~} | sort -u >"$TMP/deny"
		      grep -vxFf "$TMP/deny" "$TMP/allowed" >"$TMP/a2"; mv "$TMP/a2" "$TMP/allowed" ;;
		*) expand $line >>"$TMP/allowed" ;;
		esac
	done < <(cat "$@" | sed -n 's/^SystemCallFilter=//p')
}
allowed "$UNIT"
for sc in io_uring_setup io_uring_enter io_uring_register capset sched_setaffinity; do
	check "SystemCallFilter= allows $sc" grep -qx "$sc" "$TMP/allowed"
done
check "... and still denies mount, kexec_load and bpf" eval '! grep -qxE "mount|kexec_load|bpf" "$TMP/allowed"'
allowed "$UNIT" "$DROPIN"
check "with the XDP drop-in: bpf allowed, mount and kexec_load still denied" \
	eval 'grep -qx bpf "$TMP/allowed" && ! grep -qxE "mount|kexec_load" "$TMP/allowed"'
check "with the XDP drop-in: ambient and bounding sets are NET_BIND_SERVICE, NET_ADMIN, BPF, PERFMON" \
	eval 'for k in AmbientCapabilities CapabilityBoundingSet; do
		[ "$(cat "$UNIT" "$DROPIN" | sed -n "s/^$k=//p" | tr " " "\n" | sort -u | tr "\n" " ")" = \
		  "CAP_BPF CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_PERFMON " ] || exit 1; done'

check "Type=notify, WatchdogSec=, ExecReload= sends SIGHUP, Restart=on-failure" \
	eval 'grep -qx "Type=notify" "$UNIT" && grep -q "^WatchdogSec=[1-9]" "$UNIT" &&
	      grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" "$UNIT" && grep -qx "Restart=on-failure" "$UNIT"'
check "a system user from tools/dist/stunringd.sysusers" \
	eval 'u=$(sed -n "s/^User=//p" "$UNIT") && [ -n "$u" ] &&
	      grep -Eq "^u $u " tools/dist/stunringd.sysusers'
# stunring-announce.service (the anycast announcer): verified together with
# the daemon's unit it binds to (--man=no: its page is not installed here).
AUNIT=tools/dist/stunring-announce.service
if [ -x "$BUILD/stunring-announce" ]; then
	sed "s|^ExecStart=/usr/local/bin/stunring-announce|ExecStart=$PWD/$BUILD/stunring-announce|" \
		"$AUNIT" >"$TMP/stunring-announce.service"
	systemd-analyze verify --man=no "$TMP/stunringd.service" "$TMP/stunring-announce.service" \
		>"$TMP/verify" 2>&1
	rc=$?
	check "$AUNIT: systemd-analyze verify: exit 0, nothing said" \
		eval '[ $rc -eq 0 ] && [ ! -s "$TMP/verify" ]'
	show "$TMP/verify"
	ascore=$(exposure "$TMP/stunring-announce.service")
	check "$AUNIT: exposure ${ascore:-?} <= 2.0, as its comment says" \
		eval '[ -n "$ascore" ] && awk -v s="$ascore" "BEGIN { exit !(s <= 2.0) }" &&
		      grep -q "^# Exposure (systemd-analyze security --offline=yes): $ascore\.$" "$AUNIT"'
	grep -E '✗|Overall' "$TMP/sec" | sed 's/^/# /'
	check "$AUNIT: bound to stunringd (After=, BindsTo=), only CAP_NET_ADMIN" \
		eval 'grep -q "^After=stunringd.service" "$AUNIT" && grep -qx "BindsTo=stunringd.service" "$AUNIT" &&
		      grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN" "$AUNIT"'
else
	skip "$AUNIT" "$BUILD/stunring-announce not built"
fi
finish
