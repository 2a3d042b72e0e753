#!/usr/bin/env bash
# tests/e2e/test_daemon_sanitizers.sh - the loopback end-to-end, the
# shutdown, the RFC 5780, the TCP, the TCP limits and the TLS tests again, on
# stunringd built with ASan+UBSan (build/san/stunringd): any memory error,
# undefined behaviour or leak makes the daemon exit non-zero, which those
# tests check.
#
# SAN_ENGINES (default: uring) is the engines the RFC 5780, TCP, TCP limits
# and TLS tests run under the sanitizers: make test runs them on io_uring
# only (both engines share the stream core and the codec; the plain build
# runs both), make soak on both ("uring mmsg").  Two scripts run at a time:
# they mostly wait on the daemon, and each has its own ports and namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
SAN=${STUNRINGD_SAN:-$BUILD/san/stunringd}
need_built "$SAN" "$CLIENT" "$NO_URING"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Two lanes of about equal length; the results are reported in one order.
lane() {
	local t
	for t in "$@"; do
		ENGINES=${SAN_ENGINES:-uring} STUNRINGD=$SAN tests/e2e/test_daemon_$t.sh >"$TMP/$t" 2>&1
		echo $? >"$TMP/$t.rc"
	done
}
lane tcp rfc5780 basic &
l1=$!
lane tls tcp_limits shutdown &
l2=$!
PIDS+=("$l1" "$l2")
wait "$l1" "$l2"
for t in basic shutdown rfc5780 tcp tcp_limits tls; do
	rc=$(cat "$TMP/$t.rc" 2>/dev/null || echo 1)
	tap_lines "asan+ubsan $t: " <"$TMP/$t"
	check "asan+ubsan $t: test script exits 0" [ "$rc" -eq 0 ]
done
finish
