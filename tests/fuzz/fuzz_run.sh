#!/usr/bin/env bash
# fuzz_run.sh - run the libFuzzer harnesses for a bounded time and print TAP.
#
# Usage: fuzz_run.sh SECONDS [HARNESS...]   (default: every harness)
# Each harness is seeded from realistic inputs the first time (seed_NAME
# below: the vectors, the shipped config, the flag spellings of the unit
# tests); the corpus grows in build/fuzz/corpus-NAME across runs.  A crash
# or an invariant failure leaves its reproducer in build/fuzz/artifacts/
# and fails the run.  build/fuzz/NAME.log keeps libFuzzer's output (its
# final stat:: lines give the executions, fuzz_campaign.sh adds them up).
#
# RSS: ASan's quarantine holds freed memory (libFuzzer's copy of every
# input) up to quarantine_size_mb, 256 MB by default, so a run's RSS climbs
# to ~480 MB in its first seconds and stays there.  That is no leak: with
# quarantine_size_mb=16 fuzz_respond stays at 83 MB for good.  16 MB still
# holds the frees of thousands of inputs (a use-after-free in a harness
# happens within one input), and fresh quarantined memory costs page
# faults: 16 MB is also faster.
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
secs=${1:-30}
shift || true
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(build/fuzz/fuzz_respond build/fuzz/fuzz_addr \
	build/fuzz/fuzz_config build/fuzz/fuzz_cli build/fuzz/fuzz_validate build/fuzz/fuzz_stream)

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

# The shipped example, then each of its keys uncommented, alone and all
# together, and a few of the mistakes test_daemon_config.sh makes.
seed_config() {
	local dir=$1 conf=tools/dist/stunringd.conf i=0 line
	cp "$conf" "$dir/seed-shipped"
	sed -E 's/^#([a-z0-9-]+ = )/\1/' "$conf" >"$dir/seed-uncommented"
	grep -E '^#?[a-z0-9-]+ = ' "$conf" | sed 's/^#//' >"$dir/seed-all-keys"
	while IFS= read -r line; do
		printf '%s\n' "$line" >"$dir/seed-key-$i"
		i=$((i + 1))
	done < <(grep -E '^#?[a-z0-9-]+ = ' "$conf" | sed 's/^#//')
	printf '[main]\nworkers: 4\n= 3\nworkers = 2\nworkers = 3\n  continued\nbogus = 1\n' >"$dir/seed-bad-1"
	printf 'xdp = eth0\nrfc5780 = yes\nxdp-mode = native\n' >"$dir/seed-bad-2"
	printf 'listen = 127.0.0.1:3478,127.0.0.1:3478\nrate-limit = 5/0\r\n' >"$dir/seed-bad-3"
}

# Byte 0 picks the parser (0-9, fuzz_cli.c), byte 1 its range or option;
# the values are the spellings the unit test tries, and the limits'.
seed_cli() {
	local dir=$1 i=0 s p
	while IFS= read -r s; do
		for p in 0 1 2 3 4 5 6 7 8 9; do
			{ printf "\\x0$p\\x$(printf %02x $((i % 64)))"; printf '%s' "$s"; } \
				>"$dir/seed-$i-$p"
		done
		i=$((i + 1))
	done < <({ grep -o '"[^"%\\]*"' tests/unit/test_cli.c | tr -d '"'
		printf '%s\n' 100/500 10/50 1k/2k 0/5 192.168.0.0/16,fd00::/8 \
			203.0.113.0/24 ::ffff:1.2.3.4/120 2001:db8::/32 10.0.0.1 0-3,6 \
			'[2001:db8::1]:3478' 32 64 128; } | sort -u)
}

# Byte 0 the expectation, 1 how many requests, 2 their fate, 3 what the
# harness does to the datagram (copy a sent ID in, XOR-encode the address),
# then one kind byte per request and the answer (fuzz_validate.c): valid
# modern, classic and IPv6 answers, a 420 to CHANGE-REQUEST, and the RFC
# 5769 responses.
seed_validate() {
	local dir=$1 tid='\x21\x12\xa4\x42\0\0\0\0\0\0\0\0\0\0\0\0' f i=0
	# modern, MAP_SELF 192.0.2.1:40000
	printf "\\x00\\x00\\x00\\x03\\x00\\x01\\x01\\x00\\x0c$tid\\x00\\x20\\x00\\x08\\x00\\x01\\x9c\\x40\\xc0\\x00\\x02\\x01" >"$dir/seed-modern"
	# modern with MAPPED-ADDRESS and FINGERPRINT-less SOFTWARE, three requests
	printf "\\x00\\x02\\x00\\x23\\x00\\x01\\x02\\x01\\x01\\x00\\x24$tid\\x00\\x01\\x00\\x08\\x00\\x01\\x9c\\x40\\xc0\\x00\\x02\\x01\\x00\\x20\\x00\\x08\\x00\\x01\\x9c\\x40\\xc0\\x00\\x02\\x01\\x80\\x22\\x00\\x04test" >"$dir/seed-modern-3"
	# classic, MAPPED-ADDRESS
	printf "\\x00\\x00\\x00\\x01\\x03\\x01\\x01\\x00\\x0c$tid\\x00\\x01\\x00\\x08\\x00\\x01\\x9c\\x40\\xc0\\x00\\x02\\x01" >"$dir/seed-classic"
	# IPv6 self [2001:db8::1]:40000
	printf "\\x04\\x00\\x00\\x03\\x00\\x01\\x01\\x00\\x18$tid\\x00\\x20\\x00\\x14\\x00\\x02\\x9c\\x40\\x20\\x01\\x0d\\xb8\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\x01" >"$dir/seed-v6"
	# MAP_IP_PORT 203.0.113.5:5000
	printf "\\x02\\x00\\x00\\x03\\x00\\x01\\x01\\x00\\x0c$tid\\x00\\x20\\x00\\x08\\x00\\x01\\x13\\x88\\xcb\\x00\\x71\\x05" >"$dir/seed-ip-port"
	# 420 listing CHANGE-REQUEST to a CHANGE-REQUEST
	printf "\\x00\\x00\\x00\\x01\\x04\\x01\\x11\\x00\\x10$tid\\x00\\x09\\x00\\x04\\x00\\x00\\x04\\x14\\x00\\x0a\\x00\\x02\\x00\\x03\\x00\\x00" >"$dir/seed-420"
	for f in tests/data/vectors/*response*.bin; do
		{ printf '\x00\x00\x00\x01\x00'; cat "$f"; } >"$dir/seed-vector-$i"
		i=$((i + 1))
	done
}

# Byte 0 the setup, then operations (fuzz_stream.c step()): open a
# connection, append requests of several sizes, deliver them in chunks of 1,
# 7 and 256 bytes, read the replies whole or through a send in flight, let
# time pass, close; with and without the limits, several maximum sizes.
seed_stream() {
	local dir=$1 i=0 setup body
	body='\x00\x00\x01\x00\x00\x01\x00\x05\x01\x00\x10\x03\x00\x06\x03\x00\x00\x06\x00\x07\x00\x01\x03\x00\xff\x05\x00\x08\x40\x09\x00'
	for setup in 00 01 02 03 13 23 43 63 a3; do
		printf "\\x$setup$body" >"$dir/seed-$i"
		i=$((i + 1))
	done
	# Two connections, garbage on the second, timers.
	printf '\x01\x00\x00\x00\x01\x01\x10\x04\x02\x1fGET / HTTP/1.0\r\n\r\n\x03\x10\xff\x03\x00\x13\x08\xff\x08\xff' >"$dir/seed-$i"
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
		fuzz_config) seed_config "$corpus" ;;
		fuzz_cli) seed_cli "$corpus" ;;
		fuzz_validate) seed_validate "$corpus" ;;
		fuzz_stream) seed_stream "$corpus" ;;
		esac
	fi
	log=build/fuzz/$name.log
	dict=tests/fuzz/stun.dict	# the codec, the addresses, the answers
	[ ! -f "tests/fuzz/${name#fuzz_}.dict" ] || dict=tests/fuzz/${name#fuzz_}.dict
	# A config file of 1 KB has ~40 lines: every key, repeats, the
	# checks across keys; longer ones only cost time per input.
	maxlen=()
	[ "$name" != fuzz_config ] || maxlen=(-max_len=1024)
	"$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${maxlen[@]}" \
		-dict="$dict" -artifact_prefix=build/fuzz/artifacts/ \
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
