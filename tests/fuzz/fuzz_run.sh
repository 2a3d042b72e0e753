#!/usr/bin/env bash
# fuzz_run.sh - run the libFuzzer harnesses for a bounded time and print TAP.
#
# Usage: fuzz_run.sh SECONDS [HARNESS...]   (default: all harnesses in build/fuzz)
# The respond harness is seeded with every vector under each server
# configuration byte (the harness reads config and peer from the first two
# bytes); the corpus grows in build/fuzz/corpus-NAME across runs.  A crash
# leaves its reproducer in build/fuzz/ and fails the run.
set -u
secs=${1:-30}
shift || true
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(build/fuzz/fuzz_respond build/fuzz/fuzz_addr)

seed_respond() {
	local dir=$1 f k p i=0
	for f in $(find tests/data/vectors -name '*.bin' | sort); do
		for k in 00 01 03 04 0b 7f 83 ff; do
			for p in 00 01 08; do
				{ printf "\\x$k\\x$p"; cat "$f"; } >"$dir/seed-$i-$k$p"
				i=$((i + 1))
			done
		done
	done
}

seed_addr() {
	local dir=$1 i=0 s
	for s in 192.0.2.1:32853 '[2001:db8::1]:3478' 10.0.0.1 ::1 '[::]' 255.255.255.255:65535; do
		printf '%s' "$s" >"$dir/seed-$i"
		i=$((i + 1))
	done
}

echo "1..${#harnesses[@]}"
n=0 rc=0
for h in "${harnesses[@]}"; do
	n=$((n + 1))
	name=$(basename "$h")
	if [ ! -x "$h" ]; then
		echo "not ok $n - $name: $h not built"
		rc=1
		continue
	fi
	corpus=build/fuzz/corpus-${name#fuzz_}
	mkdir -p "$corpus" build/fuzz/artifacts
	if [ -z "$(ls -A "$corpus")" ]; then
		case $name in
		fuzz_respond) seed_respond "$corpus" ;;
		fuzz_addr) seed_addr "$corpus" ;;
		esac
	fi
	log=build/fuzz/$name.log
	"$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict=tests/fuzz/stun.dict -artifact_prefix=build/fuzz/artifacts/ \
		"$corpus" >"$log" 2>&1
	status=$?
	execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
	if [ $status -eq 0 ]; then
		echo "ok $n - $name: ${execs:-?} executions in ${secs}s, no crash"
	else
		echo "not ok $n - $name: crashed (exit $status), see $log and build/fuzz/artifacts/"
		grep -E 'ERROR|invariant|runtime error' "$log" | head -5 | sed 's/^/# /'
		rc=1
	fi
done
exit $rc
