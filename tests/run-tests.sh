#!/usr/bin/env bash
# tests/run-tests.sh - run every test program and sum their TAP results.
#
# Usage: run-tests.sh LOGDIR PROGRAM...
# Each PROGRAM prints TAP on stdout ("ok N - name", "not ok N - name",
# "... # SKIP reason").  cmocka programs do so with CMOCKA_MESSAGE_OUTPUT=TAP.
# A program that exits non-zero without reporting a failure (a crash, a
# sanitizer abort) counts as one failure.  The last line is the summary CI
# reads: "N passed, N failed, N skipped".
set -u
logdir=$1
shift
mkdir -p "$logdir"
export CMOCKA_MESSAGE_OUTPUT=TAP

passed=0 failed=0 skipped=0
for prog in "$@"; do
	name=$(echo "$prog" | sed 's|^build/||; s|[/ ]|_|g')
	log="$logdir/$name.log"
	start=$(date +%s)
	"$prog" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(( $(date +%s) - start ))
	p=0 f=0 s=0
	while IFS= read -r line; do
		case "$line" in
		*"# SKIP"* | *"# skip"*)
			case "$line" in ok* | "not ok"*) s=$((s + 1)); echo "  skip: $prog: ${line#*# }";; esac ;;
		"not ok"*) f=$((f + 1)); echo "  FAIL: $prog: $line" ;;
		ok*) p=$((p + 1)) ;;
		esac
	done <"$log"
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		f=1
		echo "  FAIL: $prog exited with status $rc without reporting a failure"
	fi
	if [ $f -ne 0 ]; then
		echo "---- last lines of $log ----"
		tail -n 30 "$log"
		echo "----"
	fi
	printf '%-48s %3d passed, %d failed, %d skipped (%ds)\n' "$prog" $p $f $s $secs
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
