#!/usr/bin/env bash
# fuzz_campaign.sh - the long fuzzing campaign: run each harness, one at a
# time, in chunks of CHUNK seconds (tests/fuzz/fuzz_run.sh) until it has
# executed at least EXECS inputs in all, and keep the score.
#
# Usage: fuzz_campaign.sh EXECS CHUNK [HARNESS...]   (default: every harness)
#   nice -n 19 tests/fuzz/fuzz_campaign.sh 100000000 300
#   tests/fuzz/fuzz_campaign.sh 0 0     (prints the score, runs nothing)
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
	build/fuzz/fuzz_config build/fuzz/fuzz_cli build/fuzz/fuzz_validate build/fuzz/fuzz_stream)
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
# The score of every harness in the table, since its last crash: chunks,
# executions, seconds, mean exec/s, and the last chunk's coverage, corpus
# and the highest peak RSS.
printf '%-14s %6s %13s %7s %8s %5s %6s %7s %9s %7s\n' harness chunks executions seconds exec/s cov ft corpus bytes rss_mb
awk -F'\t' 'NR > 1 { h = $2; if (!(h in seen)) { seen[h] = 1; order[++k] = h }
		if ($11 == "crash") { n[h] = x[h] = t[h] = r[h] = 0; next }
		if ($11 != "ok") next
		n[h]++; x[h] += $4; t[h] += $3; c[h] = $6; f[h] = $7; u[h] = $8; b[h] = $9
		if ($10 > r[h]) r[h] = $10 }
	END { for (i = 1; i <= k; i++) { h = order[i]
		printf "%-14s %6d %13d %7d %8d %5s %6s %7s %9s %7d\n", h, n[h], x[h], t[h],
			t[h] ? x[h] / t[h] : 0, c[h], f[h], u[h], b[h], r[h] } }' "$tsv"
exit $rc
