#!/usr/bin/env bash
# tests/e2e/test_daemon_sanitizers.sh - the loopback end-to-end, the
# shutdown, the RFC 5780, the TCP, the TCP limits and the TLS tests again, on stunringd built with
# ASan+UBSan
# (build/san/stunringd): any memory error, undefined behaviour or leak makes
# the daemon exit non-zero, which those tests check.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
SAN=${STUNRINGD_SAN:-$BUILD/san/stunringd}
need_built "$SAN" "$CLIENT" "$NO_URING"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in basic shutdown rfc5780 tcp tcp_limits tls; do
	STUNRINGD=$SAN tests/e2e/test_daemon_$t.sh >"$TMP/$t" 2>&1
	rc=$?
	tap_lines "asan+ubsan $t: " <"$TMP/$t"
	check "asan+ubsan $t: test script exits 0" [ $rc -eq 0 ]
done
finish
