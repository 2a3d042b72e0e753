# tests/e2e/python_lib.sh - running the stunring package's pytest tests
# from a TAP test (sourced after stunprobe_lib.sh, not run).
#
# PYTHON: a python3 that has pytest (Debian's python3-pytest): $PYTHON when
# set, else python3 on PATH, else /usr/bin/python3 (a pyenv python3 on PATH
# does not see Debian's packages).
find_python() {
	local p
	for p in ${PYTHON:-} python3 /usr/bin/python3; do
		if "$p" -c 'import pytest' >/dev/null 2>&1; then
			PYTHON=$p
			return 0
		fi
	done
	return 1
}

# run_pytest PREFIX CMD-PREFIX... -- PYTEST-ARGS...: run pytest (under the
# command prefix, e.g. ip netns exec NS env VAR=...), then turn each TAP
# line the conftest plugin wrote into this program's own ok / not_ok /
# skip, named PREFIX: test.  A pytest that reports nothing fails.
run_pytest() {
	local prefix=$1 tap line n=0 rc
	shift
	local pre=()
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	tap=$(mktemp /tmp/stunring_pytest.XXXXXX)
	"${pre[@]}" env STUNRING_TAP="$tap" "$PYTHON" -m pytest -q -p no:cacheprovider \
		"$@" >"$tap.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		n=$((n + 1))
		case "$line" in
		"not ok - "*) not_ok "$prefix${line#not ok - }" ;;
		*"# SKIP "*) line=${line#ok - }; skip "$prefix${line%% # SKIP *}" "${line#* # SKIP }" ;;
		"ok - "*) ok "$prefix${line#ok - }" ;;
		esac
	done <"$tap"
	if [ "$n" = 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
		not_ok "${prefix}pytest ran (exit $rc, $n results)"
	fi
	if [ "$rc" != 0 ]; then
		diag "pytest output:"
		sed 's/^/#   /' "$tap.out" | tail -n 60
	fi
	rm -f "$tap" "$tap.out"
}
