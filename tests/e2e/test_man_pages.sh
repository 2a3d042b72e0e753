#!/usr/bin/env bash
# tests/e2e/test_man_pages.sh - the man pages (tools/man/*.scd, built into
# build/man/ by tools/man.mk) document what the programs offer:
#  - every long and short option each program's --help prints (and every
#    stunctl command) is an item of its page: it heads an indented
#    paragraph of the rendered page, not just a word somewhere in it;
#  - every configuration key (stunringd's long options but help, version,
#    config and check-config) is an item of stunringd.conf(5);
#  - mandoc -T lint reports nothing above style level (-W warning: no
#    warning, error or unsupported; style notes are allowed).
# The check is one way: a page may document more than --help prints.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh	# ok, not_ok, finish
B=$BUILD
MAN=$B/man

# report NAME PROBLEM: ok when PROBLEM is empty, else not ok with PROBLEM
# as TAP comments.
report() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$2" | sed 's/^/# /'
	fi
}

if ! command -v mandoc >/dev/null; then
	echo "1..0 # SKIP mandoc not installed (Debian package mandoc; make deps installs it)"
	exit 0
fi
PROGS="stunringd:8 stunctl:8 stunprobe:1 stunload:1 stun-reflector:1 stunring-announce:8"
for p in $PROGS; do
	if [ ! -x "$B/${p%:*}" ]; then
		echo "1..0 # SKIP $B/${p%:*} not built"
		exit 0
	fi
done

# The rendered page's item heads: non-empty lines followed by a line
# indented deeper (the item's body).  Wide, so that nothing wraps.
items() {	# items PAGE
	mandoc -T ascii -O width=400 "$1" | sed 's/.\x08//g' | awk '
		function indent(s) { match(s, /^ */); return RLENGTH }
		NR > 1 && prev ~ /[^ ]/ && $0 ~ /[^ ]/ && indent($0) > indent(prev) { print prev }
		{ prev = $0 }'
}

# check_words PAGE WHAT WORD...: one TAP line for all the words.  A word
# must stand in an item head, not inside a longer option or key name
# (--xdp is not found in --xdp-mode).
check_words() {
	local page=$1 what=$2 missing
	shift 2
	missing=$(items "$page" | awk -v words="$(printf '%s;' "$@")" '
		BEGIN { n = split(words, w, ";") - 1 }
		{ heads = heads " " $0 " " }
		END {
			gsub(/[^A-Za-z0-9_-]/, " ", heads)
			for (i = 1; i <= n; i++)
				if (index(heads, " " w[i] " ") == 0)
					printf " %s", w[i]
		}')
	report "$(basename "$page"): $what ($# of them) each documented as an item" \
		"${missing:+not an item of $page:$missing}"
}

# Long options and short options (-x) in a --help text.
long_opts() { grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u; }
short_opts() { grep -oE -- '(^|[][ ,|])-[A-Za-z0-9]([],| ]|$)' | grep -oE -- '-[A-Za-z0-9]' | sort -u; }

for p in $PROGS; do
	prog=${p%:*}
	page=$MAN/$prog.${p#*:}
	if [ ! -f "$page" ]; then
		report "$prog.${p#*:} built" "missing $page (make builds it from tools/man/$prog.${p#*:}.scd)"
		continue
	fi
	help=$("$B/$prog" --help 2>&1)
	mapfile -t longs < <(printf '%s\n' "$help" | long_opts)
	mapfile -t shorts < <(printf '%s\n' "$help" | short_opts)
	# Guard against an empty list passing vacuously.
	report "$prog --help lists long options (${#longs[@]})" \
		"$([ "${#longs[@]}" -ge 2 ] || printf '%s' "$help")"
	check_words "$page" "--help's long options" "${longs[@]}"
	[ "${#shorts[@]}" -gt 0 ] && check_words "$page" "--help's short options" "${shorts[@]}"
	if [ "$prog" = stunctl ]; then
		# "stunctl xdp attach ...", "stunctl xdp enable|disable ...",
		# "stunctl stats ...": each command is an item.
		mapfile -t cmds < <(printf '%s\n' "$help" |
			sed -nE 's/^ *(usage: *)?stunctl (xdp )?([a-z|-]+).*/\2\3/p' |
			awk '{ n = split($NF, a, "|"); for (i = 1; i <= n; i++) print ($1 == "xdp" ? "xdp " : "") a[i] }' |
			sort -u)
		report "stunctl --help lists its commands (${#cmds[@]})" \
			"$([ "${#cmds[@]}" -ge 8 ] || printf '%s' "$help")"
		check_words "$page" "stunctl's commands" "${cmds[@]}"
	fi
	if [ "$prog" = stunringd ]; then
		mapfile -t keys < <(printf '%s\n' "${longs[@]}" | sed 's/^--//' |
			grep -vxE 'help|version|config|check-config')
		conf=$MAN/stunringd.conf.5
		if [ -f "$conf" ]; then
			check_words "$conf" "configuration keys" "${keys[@]}"
		else
			report "stunringd.conf.5 built" "missing $conf"
		fi
	fi
done

# mandoc's levels: style < warning < error < unsupp.  -W warning prints
# the messages of warning level and above; there must be none.
for page in "$MAN"/*.[1-8]; do
	[ -f "$page" ] || continue
	out=$(mandoc -T lint -W warning "$page" 2>&1) || out="${out:-mandoc exited with status $?}"
	report "mandoc -T lint -W warning $(basename "$page"): nothing above style" "$out"
done

finish
