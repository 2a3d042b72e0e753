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

# serve_and_ask PROGRAM N: the embedding example started on a port of its
# choice and asked N times, as its output says; it then stops by itself.
# Checks its answers, its count, its exit status and a quiet stderr.
serve_and_ask() {
	local prog=$1 n=$2 name out=$TMP/$(basename "$1") pid port got=0 rc
	name=$(basename "$prog")
	"$prog" 127.0.0.1:0 "$n" >"$out.out" 2>"$out.err" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		grep -q '^serving on port' "$out.out" && break
		sleep 0.02
	done
	port=$(sed -n 's/^serving on port \([0-9]*\)$/\1/p' "$out.out")
	for _ in $(seq "$n"); do
		"$EX" "127.0.0.1:$port" >/dev/null 2>&1 && got=$((got + 1))
	done
	check_eq "$name answers on the port it printed" "${port:+yes}:$got" "yes:$n"
	wait "$pid"
	rc=$?
	check_eq "$name counts and exits 0, nothing on stderr" \
		"$rc:$(tail -n 1 "$out.out"):$(wc -c <"$out.err")" "0:answered $n of $n requests:0"
}

# The embedded server: started, asked three times, stopped by itself.
serve_and_ask "$EMBED" 3
"$EMBED" 192.0.2.1:3478 1 >"$TMP/embed.out" 2>"$TMP/embed.err"
check_eq "embed_server on an address not of this host: exit 1, one line" \
	"$?:$(wc -l <"$TMP/embed.err")" "1:1"
show "$TMP/embed.err"

# The same example linked with the static library (build/dist/libstunring.a).
STATIC=$BUILD/examples/embed_server_static
if [ -x "$STATIC" ]; then
	check "embed_server_static does not load libstunring.so" bash -c "! ldd $STATIC | grep -q libstunring"
	serve_and_ask "$STATIC" 2
else
	not_ok "$STATIC built"
fi
finish
