#!/usr/bin/env bash
# tests/e2e/examples.sh - the C examples in tools/examples, built against
# libstunring.so and the public headers alone, run as a user would: the
# mapped address from a list whose first servers are dead or do not
# resolve, and one line per server when none answers; the embedded server
# answering it, then counting what it answered; its start errors; the same
# example linked with the static libstunring.a.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
EX=$BUILD/examples/mapped_address
EMBED=$BUILD/examples/embed_server
need_built "$DAEMON" "$EX" "$EMBED"

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

# The embedded server: started, asked three times, stopped by itself.
"$EMBED" 127.0.0.1:0 3 >"$TMP/embed.out" 2>"$TMP/embed.err" &
epid=$!
PIDS+=("$epid")
for _ in $(seq 100); do
	grep -q '^serving on port' "$TMP/embed.out" && break
	sleep 0.02
done
eport=$(sed -n 's/^serving on port \([0-9]*\)$/\1/p' "$TMP/embed.out")
n=0
for _ in 1 2 3; do
	"$EX" "127.0.0.1:$eport" >/dev/null 2>&1 && n=$((n + 1))
done
check_eq "embed_server answers on the port it printed" "${eport:+yes}:$n" "yes:3"
wait "$epid"
check_eq "embed_server counts and exits 0, nothing on stderr" \
	"$?:$(tail -n 1 "$TMP/embed.out"):$(wc -c <"$TMP/embed.err")" "0:answered 3 of 3 requests:0"
"$EMBED" 192.0.2.1:3478 1 >"$TMP/embed.out" 2>"$TMP/embed.err"
check_eq "embed_server on an address not of this host: exit 1, one line" \
	"$?:$(wc -l <"$TMP/embed.err")" "1:1"
show "$TMP/embed.err"

# The same example linked with the static library (build/dist/libstunring.a).
STATIC=$BUILD/examples/embed_server_static
if [ -x "$STATIC" ]; then
	check "embed_server_static does not load libstunring.so" bash -c "! ldd $STATIC | grep -q libstunring"
	"$STATIC" 127.0.0.1:0 2 >"$TMP/static.out" 2>"$TMP/static.err" &
	spid=$!
	PIDS+=("$spid")
	for _ in $(seq 100); do
		grep -q '^serving on port' "$TMP/static.out" && break
		sleep 0.02
	done
	sport=$(sed -n 's/^serving on port \([0-9]*\)$/\1/p' "$TMP/static.out")
	n=0
	for _ in 1 2; do
		"$EX" "127.0.0.1:$sport" >/dev/null 2>&1 && n=$((n + 1))
	done
	wait "$spid"
	check_eq "embed_server_static answers, counts and exits 0" \
		"${sport:+yes}:$n:$?:$(tail -n 1 "$TMP/static.out")" "yes:2:0:answered 2 of 2 requests"
else
	not_ok "$STATIC built"
fi
finish
