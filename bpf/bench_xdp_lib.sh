# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench_xdp_lib.sh - the XDP benchmark's pieces, sourced by bpf/bench_xdp.sh
# and bench/limits_overhead.sh: a veth between two network namespaces,
# stunload's kernel-injection engine on one end (the in-kernel live-frame
# generator plus a counting program), and the system under test attached
# to the other end.
#
# The caller sets BUILD, COUNT (requests per run), GEN_CPU, TMP (a private
# directory), r (the round, for the log lines) and defines die(); it calls
# xb_setup PREFIX once and xb_cleanup from its EXIT trap.  Addresses: the
# server end is 10.66.0.1/24, the generator's 10.66.0.2 (every request
# comes from that one address, from COUNT-independent source ports).

# xb_setup PREFIX: the namespaces PREFIX{s,c} and the veth PREFIX{a,b}.
xb_setup() {
	SNS=${1}s CNS=${1}c SIF=${1}a CIF=${1}b
	ip netns add "$SNS" && ip netns add "$CNS" &&
	ip link add "$SIF" type veth peer name "$CIF" &&
	ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
	ip -n "$SNS" addr add 10.66.0.1/24 dev "$SIF" &&
	ip -n "$CNS" addr add 10.66.0.2/24 dev "$CIF" &&
	ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up ||
		die "cannot create the veth pair between two network namespaces"
}

xb_cleanup() {
	[ -n "${SNS:-}" ] || return 0
	nsenter --net=/var/run/netns/$SNS "$BUILD/stunctl" xdp detach "$SIF" >/dev/null 2>&1
	ip netns del "$SNS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	rm -rf /sys/fs/bpf/stunring/"$SIF"@* 2>/dev/null
}

# A command in the server's namespace (nsenter keeps bpffs, which the
# pins need; ip netns exec would not).
srv() { nsenter --net=/var/run/netns/$SNS "$@"; }

# load NAME [stunload options]: one stunload run of COUNT requests.
# Appends its rate to $TMP/NAME, "NAME ROUND INVALID LOST" to $TMP/quality,
# and prints a line to stderr.  The rate: answers (echoes for a NAME
# starting with "reflector") per second of sending.
load() {
	local name=$1 out rate
	shift
	out=$(taskset -c "$GEN_CPU" "$BUILD/stunload" --engine xdp --netns "$CNS" --interface "$CIF" \
		--count "$COUNT" --json --no-progress "$@" 10.66.0.1:3478 2>"$TMP/err")
	echo "$out" >"$TMP/last.json"
	rate=$(python3 - "$name" "$TMP/last.json" "$r" "$TMP/quality" <<'PY'
import json, sys
name, path, rnd, quality = sys.argv[1:5]
try:
    j = json.load(open(path))
except ValueError:
    open(quality, "a").write("%s %s nojson 0\n" % (name, rnd))
    print("0 no JSON from stunload")
    sys.exit()
echo = name.startswith("reflector")
rate = j.get("answered_per_s", 0) if echo else j.get("valid_per_s", 0)
bad = j.get("invalid", 0)
open(quality, "a").write("%s %s %d %d\n" % (name, rnd, bad, j.get("lost", 0)))
what = "echoed %d" % j.get("echoed", 0) if echo else "valid %d" % j.get("valid", 0)
print("%.0f sent %d answered %d %s invalid %d lost %d in %.3f s: %.0f answers/s%s" % (
    rate, j.get("sent", 0), j.get("answered", 0), what, bad, j.get("lost", 0),
    j.get("duration_s", 0), rate, "  (INVALID ANSWERS)" if bad else ""))
PY
)
	printf 'round %s %-22s %s\n' "$r" "$name:" "${rate#* }" >&2
	[ "${rate%% *}" = 0 ] && printf '  stunload: %s\n' "$(tail -2 "$TMP/err")" >&2
	echo "${rate%% *}" >>"$TMP/$name"
}

reflector_on() { ip -n "$SNS" link set "$SIF" xdpdrv obj "$BUILD/bpf/xdp_reflect.bpf.o" sec xdp || die "attaching the reflector"; }
xdp_off() { ip -n "$SNS" link set "$SIF" xdp off; }
# stun_on [stunctl xdp attach options]: the responder, native mode.
stun_on() { srv "$BUILD/stunctl" xdp attach "$SIF" --mode native "$@" >/dev/null || die "stunctl xdp attach failed"; }
# stun_off: its counters to $TMP/counters.json, then detach.
stun_off() {
	srv "$BUILD/stunctl" stats "$SIF" --json >"$TMP/counters.json" 2>/dev/null
	srv "$BUILD/stunctl" xdp detach "$SIF" >/dev/null
}

# median FILE
median() { sort -n "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# ratios A B: per-round ratios of the rates in files $TMP/A and $TMP/B.
ratios() { paste "$TMP/$1" "$TMP/$2" | awk '$2 > 0 {printf "%.3f\n", $1 / $2}'; }
# report LABEL A B: medians, their ratio, the per-round ratios and their
# median (also left in MEDIAN_RATIO).
report() {
	local a b per med
	a=$(median "$TMP/$2") b=$(median "$TMP/$3")
	per=$(ratios "$2" "$3")
	med=$(echo "$per" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	echo "$1, answers/s: medians $a vs $b: ratio $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}');" \
	     "per round $(echo "$per" | tr '\n' ' ')(median $med)"
	MEDIAN_RATIO=$med
}
