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

systemd-analyze security --offline=yes --no-pager "$TMP/stunringd.service" >"$TMP/sec" 2>&1
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$TMP/sec")
check "systemd-analyze security --offline=yes: exposure ${score:-?} <= 2.0" \
	eval '[ -n "$score" ] && awk -v s="$score" "BEGIN { exit !(s <= 2.0) }"'
grep -E '✗|Overall' "$TMP/sec" | sed 's/^/# /'

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
: >"$TMP/allowed"
while IFS= read -r line; do
	case $line in
	"~"*) expand ${line#\~} | sort -u >"$TMP/deny"
	      grep -vxFf "$TMP/deny" "$TMP/allowed" >"$TMP/a2"; mv "$TMP/a2" "$TMP/allowed" ;;
	*) expand $line >>"$TMP/allowed" ;;
	esac
done < <(sed -n 's/^SystemCallFilter=//p' "$UNIT")
for sc in io_uring_setup io_uring_enter io_uring_register capset sched_setaffinity; do
	check "SystemCallFilter= allows $sc" grep -qx "$sc" "$TMP/allowed"
done
check "... and still denies mount and kexec_load" eval '! grep -qxE "mount|kexec_load" "$TMP/allowed"'

check "Type=notify, WatchdogSec=, ExecReload= sends SIGHUP, Restart=on-failure" \
	eval 'grep -qx "Type=notify" "$UNIT" && grep -q "^WatchdogSec=[1-9]" "$UNIT" &&
	      grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" "$UNIT" && grep -qx "Restart=on-failure" "$UNIT"'
check "a system user from tools/dist/stunringd.sysusers" \
	eval 'u=$(sed -n "s/^User=//p" "$UNIT") && [ -n "$u" ] &&
	      grep -Eq "^u $u " tools/dist/stunringd.sysusers'
finish
