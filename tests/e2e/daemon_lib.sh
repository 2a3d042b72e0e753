# tests/e2e/daemon_lib.sh - helpers shared by the stunringd end-to-end tests (test_daemon_*.sh).
# shellcheck shell=bash disable=SC2034
# Sourced, not run.  Prints TAP: "ok N - name", "not ok N - name",
# "ok N - name # SKIP reason"; finish prints the plan and sets the status.
#
# Traffic goes only to loopback or into namespaces the test creates; every
# daemon and namespace is removed on exit, whatever happened.

BUILD=${BUILD:-build}
DAEMON=${STUNRINGD:-$BUILD/stunringd}
CLIENT=$BUILD/e2e_stun_client
NO_URING=$BUILD/e2e_no_io_uring
TMP=$(mktemp -d "/tmp/stunring-e2e.XXXXXX")
tap_n=0
tap_failed=0
PIDS=()
NETNS=()

cleanup() {
	local p n
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for n in "${NETNS[@]}"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $*"; tap_failed=1; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
# check NAME COMMAND...: ok when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# Renumber TAP lines from another program ("ok - x", "ok 3 - x",
# "not ok - x", "ok 4 - x # SKIP y") as ours, with a prefix.
tap_lines() {
	local prefix=$1 line rest
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			rest=$(echo "$line" | sed -E 's/^(not )?ok( [0-9]+)? - //')
			case "$line" in
			*"# SKIP"*) skip "$prefix${rest%% # SKIP*}" "${rest#*# SKIP }" ;;
			"not ok"*) not_ok "$prefix$rest" ;;
			*) ok "$prefix$rest" ;;
			esac ;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done
}
finish() {
	echo "1..$tap_n"
	exit $tap_failed
}
# Show a file as TAP comments (diagnostics on failure).
show() { sed 's/^/# /' "$1"; }

# veth_netns SNS CNS SIF CIF SADDR/LEN CADDR/LEN: two network namespaces
# (added to NETNS, so cleanup removes them) joined by a veth, SIF in SNS
# with SADDR and CIF in CNS with CADDR, everything up.
veth_netns() {
	ip netns add "$1" && NETNS+=("$1") && ip netns add "$2" && NETNS+=("$2") &&
	ip link add "$3" type veth peer name "$4" &&
	ip link set "$3" netns "$1" && ip link set "$4" netns "$2" &&
	ip -n "$1" addr add "$5" dev "$3" && ip -n "$2" addr add "$6" dev "$4" &&
	ip -n "$1" link set lo up && ip -n "$2" link set lo up &&
	ip -n "$1" link set "$3" up && ip -n "$2" link set "$4" up
}

need_built() {
	local f
	for f in "$@"; do
		if [ ! -x "$f" ]; then
			echo "# $f is missing: run make $f" >&2
			echo "not ok 1 - $f built"
			echo "1..1"
			exit 1
		fi
	done
}

# start_daemon NAME [PREFIX...] -- ARGS...: start stunringd in the background
# (PREFIX: e.g. ip netns exec NS), wait until it logs "ready".  Sets DPID,
# DLOG and LPORTS (the listening ports, in --listen order).
start_daemon() {
	local name=$1
	shift
	local prefix=()
	while [ "$1" != "--" ]; do prefix+=("$1"); shift; done
	shift
	DLOG=$TMP/$name.log
	: >"$DLOG"
	"${prefix[@]}" "$DAEMON" "$@" 2>"$DLOG" &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 200); do
		grep -q ' ready: ' "$DLOG" && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.025
	done
	if ! grep -q ' ready: ' "$DLOG"; then
		show "$DLOG"
		return 1
	fi
	mapfile -t LPORTS < <(sed -n 's/.* listening on .*:\([0-9]*\)\( (port picked by the kernel)\)\{0,1\}: .*/\1/p' "$DLOG")
}

# stop_daemon: SIGTERM, wait; DRC = its exit status.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	DRC=$?
}

# total FIELD: a counter from the daemon's final "totals:" line.
total() {
	grep ' totals: ' "$DLOG" | grep -o " $1=[0-9]*" | head -1 | cut -d= -f2
}

# suppressed_count PATTERN FILE: the "(N similar suppressed)" counts of the
# rate-limited log lines matching PATTERN, summed.
suppressed_count() {
	grep -- "$1" "$2" | sed -n 's/.*(\([0-9]*\) similar suppressed)$/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# The daemon's books balance: every datagram answered, errored or dropped.
totals_balance() {
	local rx ans err drop fail
	rx=$(total requests) ans=$(total answered) err=$(total errors)
	drop=$(total dropped) fail=$(total send_failed)
	[ -n "$rx" ] && [ "$rx" -eq $((ans + err + drop + fail)) ]
}

# Two consecutive free UDP ports (P, P+1) on every given address.
free_pair() {
	python3 - "$@" <<'PY'
import random, socket, sys
for _ in range(500):
    p = random.randint(20000, 60000)
    socks, ok = [], True
    for ip in sys.argv[1:]:
        for q in (p, p + 1):
            s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            try:
                s.bind((ip, q))
            except OSError:
                ok = False
    for s in socks:
        s.close()
    if ok:
        print(p)
        break
PY
}

# v6_pair_netns NS: a network namespace (in NETNS, so cleanup removes it)
# whose loopback has ::1 and fd00:13::2, the two addresses of an IPv6
# dual-address daemon; P: a free pair of ports there.  Fails when the
# namespace cannot be made.
v6_pair_netns() {
	ip netns add "$1" 2>/dev/null || return 1
	NETNS+=("$1")
	ip -n "$1" link set lo up
	ip -n "$1" addr add fd00:13::2/128 dev lo nodad
	P=$(ip netns exec "$1" bash -c "$(declare -f free_pair); free_pair ::1 fd00:13::2")
}

# expect_error NAME STATUS PATTERN ARGS...: stunringd ARGS exits STATUS with one
# stderr line matching PATTERN and nothing on stdout (EXPECT_PREFIX: a
# prefix for the test names).
expect_error() {
	local name=$1 want=$2 pattern=$3 rc lines
	shift 3
	timeout 10 "$DAEMON" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ $rc -eq "$want" ] && [ "$lines" = 1 ] && grep -Eq -- "$pattern" "$TMP/err" &&
		[ ! -s "$TMP/out" ]; then
		ok "${EXPECT_PREFIX:-}$name: exit $rc, one line: $(cat "$TMP/err")"
	else
		not_ok "${EXPECT_PREFIX:-}$name: exit $rc (want $want), $lines stderr lines"
		show "$TMP/err"
	fi
}

# need_tools WHAT TOOL...: skip the whole test, loudly, when a tool is missing.
need_tools() {
	local what=$1 t missing=""
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		skip "$what" "missing:$missing (make deps installs coturn stun-client tshark)"
		finish
	fi
}

# xdp_veth NAME NET: server and client namespaces NAMEs, NAMEc joined by a
# veth pair NAMEa (server, NET.1/24) - NAMEb (client, NET.2/24); sets SNS
# CNS SIF CIF.  On exit, whatever stunring XDP is on SIF is detached and
# the namespaces go.  Non-zero with the first error in $TMP/setup.err.
xdp_veth() {
	SNS=$1s CNS=$1c SIF=$1a CIF=$1b
	NETNS+=("$SNS" "$CNS")
	trap xdp_veth_cleanup EXIT
	{ ip netns add "$SNS" && ip netns add "$CNS" &&
	  ip link add "$SIF" type veth peer name "$CIF" &&
	  ip link set "$SIF" netns "$SNS" && ip link set "$CIF" netns "$CNS" &&
	  ip -n "$SNS" addr add "$2.1/24" dev "$SIF" && ip -n "$CNS" addr add "$2.2/24" dev "$CIF" &&
	  ip -n "$SNS" link set lo up &&
	  ip -n "$SNS" link set "$SIF" up && ip -n "$CNS" link set "$CIF" up; } 2>"$TMP/setup.err"
}
xdp_veth_cleanup() {
	nsenter --net=/var/run/netns/"$SNS" "$BUILD/stunctl" xdp detach "$SIF" >/dev/null 2>&1
	rm -rf /sys/fs/bpf/stunring/"$SIF"@* 2>/dev/null
	cleanup
}

# check_eq NAME GOT WANT: ok when equal, else not ok with both values.
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}

# jget KEY [SUBKEY]: a field (or a field of an object field) of the JSON
# object on stdin; "null" when absent, "INVALID-JSON" when it is not JSON.
jget() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("INVALID-JSON"); sys.exit(0)
v = d.get(sys.argv[1])
if isinstance(v, dict) and len(sys.argv) > 2:
    v = v.get(sys.argv[2])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$@"
}
