#!/usr/bin/env bash
# fuzz_campaign.sh - the long fuzzing campaign: run each harness, one at a
# time, in chunks of CHUNK seconds (tests/fuzz/fuzz_run.sh) until it has
# executed at least EXECS inputs in all, and keep the score.
#
# Usage: fuzz_campaign.sh EXECS CHUNK [HARNESS...]   (default: every harness)
#   nice -n 19 tests/fuzz/fuzz_campaign.sh 100000000 300
#
# Every chunk is one row of build/fuzz/campaign.tsv (date, harness, seconds,
# executions, exec/s, coverage, features, corpus, peak RSS, verdict).  A
# harness's total is the sum of its "ok" rows since its last "crash" row:
# a crash stops the campaign, and once the bug is fixed the count of that
# harness starts again from zero.  Runs interrupted in between keep their
# rows, so the campaign can be resumed with the same command.
set -u
want=${1:?usage: fuzz_campaign.sh EXECS CHUNK [HARNESS...]}
chunk=${2:?usage: fuzz_campaign.sh EXECS CHUNK [HARNESS...]}
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(build/fuzz/fuzz_respond build/fuzz/fuzz_addr \
	build/fuzz/fuzz_config build/fuzz/fuzz_cli build/fuzz/fuzz_validate)
tsv=build/fuzz/campaign.tsv
mkdir -p build/fuzz
[ -s "$tsv" ] || printf 'date\tharness\tseconds\texecutions\texec_per_s\tcov\tft\tcorpus_units\tcorpus_bytes\tpeak_rss_mb\tverdict\n' >"$tsv"

# Executions of harness $1 so far: ok rows after its last crash row.
total() {
	awk -F'\t' -v h="$1" '$2 == h { if ($11 == "crash") t = 0; else if ($11 == "ok") t += $4 }
		END { printf "%d\n", t }' "$tsv"
}

rc=0
for h in "${harnesses[@]}"; do
	name=$(basename "$h")
	while [ "$(total "$name")" -lt "$want" ]; do
		t0=$(date +%s)
		tests/fuzz/fuzz_run.sh "$chunk" "$h" >/dev/null
		status=$?
		t1=$(date +%s)
		log=build/fuzz/$name.log
		fstat() { awk -v k="stat::$1:" '$1 == k { print $2; exit }' "$log"; }
		done_line=$(grep -m1 -P '^#\d+\tDONE ' "$log")
		cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
		ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
		corp=$(sed -n 's/.* corp: \([0-9]*\)\/\([0-9]*[a-zA-Z]*\).*/\1\t\2/p' <<<"$done_line")
		verdict=ok
		[ $status -eq 0 ] || verdict=crash
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" \
			$((t1 - t0)) "$(fstat number_of_executed_units)" "$(fstat average_exec_per_sec)" \
			"${cov:--}" "${ft:--}" "${corp:--	-}" "$(fstat peak_rss_mb)" "$verdict" >>"$tsv"
		if [ $verdict = crash ]; then
			echo "$name: crashed, see $log and build/fuzz/artifacts/" >&2
			rc=1
			break
		fi
		echo "$name: $(total "$name") executions so far" >&2
	done
done
echo "# harness executions (since the last crash)"
for h in "${harnesses[@]}"; do
	name=$(basename "$h")
	echo "$name $(total "$name")"
done
exit $rc
