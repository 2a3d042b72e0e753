#!/usr/bin/env bash
# tests/e2e/examples.sh - the C examples in tools/examples, built against
# libstunring.so and the public headers alone, run as a user would: the
# mapped address from a list whose first servers are dead or do not
# resolve, and one line per server when none answers.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
EX=$BUILD/examples/mapped_address
need_built "$DAEMON" "$EX"

check "mapped_address links libstunring.so.0" \
	bash -c "ldd $EX | grep -q 'libstunring.so.0 => .*build/.*libstunring.so.0'"

if start_daemon examples -- --workers 1 --no-pin --listen 127.0.0.1:0 --software example-test; then
	dead=$(free_pair 127.0.0.1)	# nothing listens there
	out=$("$EX" "127.0.0.1:$dead" no-such-host.invalid "127.0.0.1:${LPORTS[0]}" 2>"$TMP/err")
	rc=$?
	check_eq "answers from the third server, past a dead and an unresolvable one" \
		"$rc:$(echo "$out" | sed 's/ (from \([^,]*\),.*/ \1/' | cut -d' ' -f1,3)" \
		"0:127.0.0.1 127.0.0.1:${LPORTS[0]}"
	stop_daemon
else
	not_ok "stunringd starts"
fi

"$EX" "127.0.0.1:9" no-such-host.invalid >"$TMP/out" 2>"$TMP/err"
rc=$?
check_eq "no server answers: exit 1, one line per server" \
	"$rc:$(wc -l <"$TMP/err"):$(cut -d: -f1 "$TMP/err" | tr '\n' ' ')" \
	"1:2:127.0.0.1 no-such-host.invalid "
show "$TMP/err"
finish
