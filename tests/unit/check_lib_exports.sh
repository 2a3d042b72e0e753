#!/usr/bin/env bash
# check_lib_exports.sh - libstunring.so.0 exports the public API and
# nothing else (src/libstunring.map): every function declared in the
# installed headers, no internal helper (probe_*, ...), the right SONAME.
so=${1:-build/libstunring.so.0}
static=${2:-build/dist/libstunring.a}
echo "1..5"
if [ ! -f "$so" ]; then
	echo "not ok 1 - $so exists"
	exit 1
fi
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libstunring.so.0 ]; then
	echo "ok 1 - SONAME is libstunring.so.0"
else
	echo "not ok 1 - SONAME is '$soname', not libstunring.so.0"
fi
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sed 's/@.*//' | sort -u)
# Every function the public headers declare (static inline ones aside).
declared=$(cat src/stunring.h src/stun_wire.h src/stunring_probe.h src/stunring_server.h |
	grep -v 'static inline' |
	grep -oE '\b(stun|stunring)_[a-z0-9_]+\(' | tr -d '(' | sort -u)
declared=$(for f in $declared; do
	grep -qE "static inline[^;]*\b$f\(" src/stunring.h src/stun_wire.h src/stunring_probe.h src/stunring_server.h || echo "$f"
done)
missing=$(for f in $declared; do echo "$exported" | grep -qx "$f" || echo "$f"; done)
if [ -z "$missing" ]; then
	echo "ok 2 - every public function is exported ($(echo "$declared" | wc -l))"
else
	echo "not ok 2 - not exported:" $missing
fi
extra=$(for f in $exported; do echo "$declared" | grep -qx "$f" || echo "$f"; done)
if [ -z "$extra" ]; then
	echo "ok 3 - nothing else is exported"
else
	echo "not ok 3 - exported but not public:" $extra
fi
# The client's internals are in the library, and hidden.
if nm "$so" 2>/dev/null | grep -q ' t probe_transact$' ||
   nm -D "$so" | grep -q 'probe_transact'; then
	if nm -D "$so" | grep -qE ' probe_'; then
		echo "not ok 4 - internal probe_* symbols are exported"
	else
		echo "ok 4 - the client's internals (probe_*) are inside but local"
	fi
else
	echo "not ok 4 - probe_transact is not in $so"
fi
# The installed static library: the same API, server included, and only it
# global (its internals localized), so static programs see what the .so
# exports.
if [ -f "$static" ]; then
	sglobal=$(nm --defined-only "$static" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort -u)
	if [ "$sglobal" = "$exported" ]; then
		echo "ok 5 - $static defines the same global symbols as the .so ($(echo "$sglobal" | wc -l)), nothing else"
	else
		echo "not ok 5 - $static's global symbols differ from the .so's:"
		diff <(echo "$exported") <(echo "$sglobal") | sed 's/^/# /' | head -20
	fi
else
	echo "not ok 5 - $static exists"
fi
