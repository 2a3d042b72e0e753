#!/usr/bin/env bash
# tests/e2e/test_anycast_cluster.sh - the anycast lab (tools/dist/anycast/):
# one router namespace running BIRD with ECMP (merge paths, L4 hashing),
# three node namespaces each running stunringd, BIRD and stunring-announce
# and announcing 198.51.100.53/32 and 2001:db8:53::53/128, and a client
# namespace behind the router.  The BIRD configurations are the shipped
# templates with their defines rewritten.  Checks, IPv4 and IPv6:
#  - spread: 64 flows reach all three nodes (told apart by SOFTWARE), each
#    flow the same node every time; wildcard sockets answer from the
#    anycast address;
#  - RFC 5780 behaviour discovery (stunprobe --behavior, behind a NAT on the
#    router) gives the same verdicts against the anycast address as against
#    a single node;
#  - failover: kill -9 one node's stunringd under a steady request stream:
#    the route loses that node within 5 s (the time is printed), the losses
#    fall in that window only, then the two others answer everything;
#    restarted, the node is back after the hold-down;
#  - graceful stop: SIGTERM the announcer, then the daemon (what systemd
#    does): withdrawn first, drained after, nothing lost.
# Every process and namespace goes on exit, whatever happened.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
ANNOUNCE=$BUILD/stunring-announce
PROBE=$BUILD/stunprobe
ACLIENT=tests/e2e/anycast_client.py
need_built "$DAEMON" "$ANNOUNCE" "$PROBE" "$CLIENT"

# The announcer's operator errors: one line, and the exit status its man
# page gives (2 usage, 1 cannot manage the interface).
announce_error() {	# announce_error NAME STATUS PATTERN ARGS...
	local name=$1 want=$2 pattern=$3 rc
	shift 3
	timeout 10 "$ANNOUNCE" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq "$want" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -Eq -- "$pattern" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok "stunring-announce $name: exit $rc, one line: $(cat "$TMP/err")"
	else
		not_ok "stunring-announce $name: exit $rc (want $want)"
		show "$TMP/err"
	fi
}
announce_error "without --address" 2 "--address is required" --interface lo
announce_error "--address with a port" 2 "without a port" --address 192.0.2.1:3478
announce_error "--timeout longer than --interval" 2 "must not exceed --interval" \
	--address 192.0.2.1 --interval 1s --timeout 2s
announce_error "--rise 0" 2 "^stunring-announce: --rise '0'" --address 192.0.2.1 --rise 0
announce_error "an unknown interface" 1 "interface ac16-none: no such interface" \
	--address 192.0.2.1 --interface ac16-none

if [ "$(id -u)" != 0 ] || ! ip netns add "ac16-probe-$$" 2>/dev/null; then
	skip "anycast lab" "needs root and ip netns"
	finish
fi
ip netns del "ac16-probe-$$"
if ! command -v bird >/dev/null; then
	skip "anycast lab" "BIRD 2 is not installed (Debian package bird2; make deps installs it)"
	finish
fi
command -v nft >/dev/null || { skip "anycast lab" "nft missing (package nftables)"; finish; }

A4=198.51.100.53 A6=2001:db8:53::53
HOLD=4	# the announcers' --hold-down, seconds
R=ac16r-$$ C=ac16c-$$
N=("" "ac16n1-$$" "ac16n2-$$" "ac16n3-$$")
MAIN=() ANN=()
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
now() { date +%s.%N; }
ts() { date -d "$1" +%s.%N; }	# a log line's timestamp, as now() gives it
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- the namespaces -------------------------------------------------------
setup() {
	local k ns
	for ns in "$R" "$C" "${N[1]}" "${N[2]}" "${N[3]}"; do
		ip netns add "$ns" && NETNS+=("$ns") && ip -n "$ns" link set lo up || return 1
	done
	nsx "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1 || return 1
	ip link add c0 netns "$C" type veth peer name rc netns "$R" &&
	ip -n "$R" addr add 10.16.100.1/24 dev rc && ip -n "$R" addr add fd16:100::1/64 dev rc nodad &&
	ip -n "$C" addr add 10.16.100.2/24 dev c0 && ip -n "$C" addr add fd16:100::2/64 dev c0 nodad &&
	ip -n "$R" link set rc up && ip -n "$C" link set c0 up &&
	ip -n "$C" route add default via 10.16.100.1 && ip -n "$C" -6 route add default via fd16:100::1 ||
		return 1
	for k in 1 2 3; do
		ns=${N[$k]}
		ip link add eth0 netns "$ns" type veth peer name "rn$k" netns "$R" &&
		ip -n "$R" addr add "10.16.$k.1/24" dev "rn$k" &&
		ip -n "$R" addr add "fd16:$k::1/64" dev "rn$k" nodad &&
		ip -n "$ns" addr add "10.16.$k.2/24" dev eth0 &&
		ip -n "$ns" addr add "fd16:$k::2/64" dev eth0 nodad &&
		ip -n "$R" link set "rn$k" up && ip -n "$ns" link set eth0 up &&
		ip -n "$ns" route add default via "10.16.$k.1" &&
		ip -n "$ns" -6 route add default via "fd16:$k::1" &&
		# The service addresses: always on lo (stunringd binds them,
		# and answers during a drain), announced through anycast0.
		ip -n "$ns" addr add "$A4/32" dev lo && ip -n "$ns" addr add "$A6/128" dev lo || return 1
		# A dummy interface, or where the kernel has no dummy driver
		# (CONFIG_DUMMY off on this test machine) a bridge without
		# ports, which behaves the same for this purpose.
		{ ip -n "$ns" link add anycast0 type dummy 2>/dev/null ||
		  ip -n "$ns" link add anycast0 type bridge; } && ip -n "$ns" link set anycast0 up ||
			return 1
	done
}

# The templates, defines rewritten for this node (or the router).  BFD
# works in namespaces, but on a loaded shared test machine a process can
# be starved for seconds, and 300 ms BFD (or a 3 s hold time) then tears
# sessions down; the failover checked here is the announcer's withdrawal,
# a BGP UPDATE, which needs neither.  LAB_BFD=1 keeps the templates' timers.
lab_timers() {
	if [ "${LAB_BFD:-0}" = 1 ]; then cat; return; fi
	sed -e 's|bfd on;|bfd off;|' -e 's|hold time 3;|hold time 30;|' -e 's|keepalive time 1;|keepalive time 10;|'
}
node_conf() {	# node_conf K
	sed -e "s|^define NODE_ID = .*|define NODE_ID = 10.16.$1.2;|" \
	    -e "s|^define UPSTREAM1_V4 = .*|define UPSTREAM1_V4 = 10.16.$1.1;|" \
	    -e "s|^define UPSTREAM1_V6 = .*|define UPSTREAM1_V6 = fd16:$1::1;|" \
		tools/dist/anycast/bird-node.conf | lab_timers
}

start_bird() {	# start_bird NS NAME CONF
	ip netns exec "$1" bird -f -s "$TMP/$2.ctl" -c "$3" -P "$TMP/$2.pid" 2>"$TMP/$2.log" &
	PIDS+=($!)
}

start_node_daemon() {	# start_node_daemon K
	start_daemon "node$1" ip netns exec "${N[$1]}" -- \
		--listen "$A4:3478,[$A6]:3478" --alt-ip "10.16.$1.2" --alt-ip "fd16:$1::2" \
		--software "node$1" --workers 1 --metrics 127.0.0.1:9478 && MAIN[$1]=$DPID
}

start_announcer() {	# start_announcer K
	ip netns exec "${N[$1]}" "$ANNOUNCE" --interface anycast0 --address "$A4,$A6" \
		--healthz 127.0.0.1:9478 --stun "$A4,[$A6]" --interval 500ms --timeout 500ms \
		--rise 3 --fall 3 --hold-down "${HOLD}s" --drain 2s 2>>"$TMP/ann$1.log" &
	ANN[$1]=$!
	PIDS+=($!)
}

# paths FAMILY PREFIX: how many next hops the router has for PREFIX.
paths() {
	local out
	out=$(ip -n "$R" "$1" route show "$2" 2>/dev/null)
	if [ -z "$out" ]; then echo 0
	elif grep -q nexthop <<<"$out"; then grep -c 'nexthop via' <<<"$out"
	else echo 1; fi
}
# wait_paths N SECONDS: both prefixes with N next hops; 0 or 1 (timeout).
wait_paths() {
	local end
	end=$(awk -v t="$(now)" -v s="$2" 'BEGIN { printf "%.3f", t + s }')
	while :; do
		[ "$(paths -4 "$A4/32")" = "$1" ] && [ "$(paths -6 "$A6/128")" = "$1" ] && return 0
		awk -v t="$(now)" -v e="$end" 'BEGIN { exit !(t > e) }' && return 1
		sleep 0.02
	done
}

if ! setup 2>"$TMP/setup.err"; then
	not_ok "lab namespaces set up"
	show "$TMP/setup.err"
	finish
fi
ok "lab set up: router, client, 3 nodes; anycast0 is a $(ip -n "${N[1]}" -d link show anycast0 | grep -oE 'dummy|bridge' | head -1)"

sed -e "s|^define ROUTER_ID = .*|define ROUTER_ID = 10.16.100.1;|" \
	tools/dist/anycast/bird-router-lab.conf | lab_timers >"$TMP/router.conf"
start_bird "$R" router "$TMP/router.conf"
for k in 1 2 3; do
	node_conf "$k" >"$TMP/n$k.conf"
	start_bird "${N[$k]}" "n$k" "$TMP/n$k.conf"
	start_node_daemon "$k" || { not_ok "stunringd on node $k"; finish; }
	start_daemon "wild$k" ip netns exec "${N[$k]}" -- --listen "0.0.0.0:3490,[::]:3490" \
		--software "wild$k" --workers 1 || { not_ok "wildcard stunringd on node $k"; finish; }
	start_announcer "$k"
done
t0=$(now)
if wait_paths 3 30; then
	ok "router has 3 next hops for $A4/32 and $A6/128 after $(secs "$t0" "$(now)") s"
else
	not_ok "router has 3 next hops for $A4/32 and $A6/128 (have $(paths -4 "$A4/32") and $(paths -6 "$A6/128"))"
	nsx "$R" birdc -s "$TMP/router.ctl" show protocols | show /dev/stdin
	for k in 1 2 3; do show "$TMP/ann$k.log"; done
	finish
fi
if [ "${LAB_BFD:-0}" = 1 ]; then
	up=$(nsx "$R" birdc -s "$TMP/router.ctl" show bfd sessions | grep -cw Up)
	check "LAB_BFD=1: the router's BFD sessions with the nodes are up ($up of 6)" [ "$up" = 6 ]
fi
# The node templates export nothing but the service prefixes.
bad=$(ip -n "$R" route show proto bird | grep -v "^$A4 " | grep -v '^[[:space:]]')
bad6=$(ip -n "$R" -6 route show proto bird | grep -v "^$A6 " | grep -v '^[[:space:]]')
check "the router learned the service prefixes and nothing else${bad:+: $bad}${bad6:+ $bad6}" \
	[ -z "$bad$bad6" ]

# settled: all three nodes in the route before a check starts (a node
# the loaded test machine starved long enough to fail its checks is
# withdrawn for a while: that is the announcer doing its job).
settled() {
	wait_paths 3 20 || echo "# not all three nodes announced: $(paths -4 "$A4/32") / $(paths -6 "$A6/128")"
}

# --- spread ---------------------------------------------------------------
spread() {	# spread ADDR LABEL
	local out
	settled
	out=$(nsx "$C" python3 "$ACLIENT" spread "$1" 3478 64 3 2>"$TMP/spread.err")
	echo "# $2 spread: $out"
	check "$2: 64 flows, every one answered, each by one node every time" \
		grep -q 'sticky=64 unanswered=0' <<<"$out"
	check "$2: all three nodes answer some flows" \
		grep -Eq 'nodes=node1:[0-9]+,node2:[0-9]+,node3:[0-9]+ ' <<<"$out"
	[ -s "$TMP/spread.err" ] && show "$TMP/spread.err"
}
spread "$A4" IPv4
spread "$A6" IPv6
# Wildcard sockets (0.0.0.0, [::]) answer from the anycast address asked
# (PKTINFO): e2e_stun_client checks every answer's source.
for a in "$A4 10.16.100.2" "[$A6] fd16:100::2"; do
	set -- $a
	check "wildcard stunringd on each node answers $1 from $1 (16 flows x 4)" \
		nsx "$C" "$CLIENT" check --server "$1:3490" --bind "$2" --clients 16 --requests 4
done

# --- RFC 5780 -------------------------------------------------------------
# A single node for comparison: node 1 with two unicast addresses of its
# own.  The router masquerades what the client sends, so the filtering
# test has something to find.
ip -n "${N[1]}" addr add 10.16.1.3/24 dev eth0 && ip -n "${N[1]}" addr add fd16:1::3/64 dev eth0 nodad
start_daemon single ip netns exec "${N[1]}" -- --listen "10.16.1.2:3500,[fd16:1::2]:3500" \
	--alt-ip 10.16.1.3 --alt-ip fd16:1::3 --software single --workers 1 ||
	not_ok "a single RFC 5780 stunringd on node 1"
nsx "$R" nft -f - <<'EOF'
table inet ac16nat {
	chain post {
		type nat hook postrouting priority srcnat;
		iifname "rc" oifname != "rc" masquerade
	}
}
EOF
settled
verdicts() { grep -E '^(mapping|filtering) ' "$1" | tr -s ' ' | tr '\n' ';'; }
for fam in 4 6; do
	if [ $fam = 4 ]; then any=$A4 one=10.16.1.2:3500; else any="[$A6]" one="[fd16:1::2]:3500"; fi
	nsx "$C" "$PROBE" --rto 500ms --behavior "$any" >"$TMP/probe-any$fam" 2>&1
	nsx "$C" "$PROBE" --rto 500ms --behavior "$one" >"$TMP/probe-one$fam" 2>&1
	va=$(verdicts "$TMP/probe-any$fam") vo=$(verdicts "$TMP/probe-one$fam")
	echo "# IPv$fam anycast: $va single node: $vo"
	if [ -n "$va" ] && [ "$va" = "$vo" ] && grep -q '^mapping ' <<<"${va//;/$'\n'}" &&
		! grep -qi 'unknown\|error\|no answer' <<<"$va"; then
		ok "IPv$fam: stunprobe --behavior against the anycast address gives the single node's verdicts ($va)"
	else
		not_ok "IPv$fam: stunprobe --behavior verdicts: anycast '$va', single node '$vo'"
		show "$TMP/probe-any$fam"
		show "$TMP/probe-one$fam"
	fi
done
nsx "$R" nft delete table inet ac16nat

# --- failover -------------------------------------------------------------
# stream_start SECONDS: 400 requests/s over 16 IPv4 and 16 IPv6 flows
# (with 16 flows in all, ECMP left one node without any about once in
# 700 runs; with 32, once in half a million).
# Returns once it is sending.
stream_start() {
	rm -f "$TMP/stream" "$TMP/stream.started"
	nsx "$C" python3 "$ACLIENT" stream "$TMP/stream" "$1" 400 16 "$A4:3478" "[$A6]:3478" &
	SPID=$!
	PIDS+=($!)
	for _ in $(seq 200); do
		[ -e "$TMP/stream.started" ] && return 0
		sleep 0.05
	done
}
settled
stream_start 12
sleep 2
t_kill=$(now)
kill -KILL "${MAIN[3]}"
if wait_paths 2 5; then
	t_gone=$(now)
	ok "kill -9 of node 3's stunringd: withdrawn from the router after $(secs "$t_kill" "$t_gone") s (bound 5 s)"
else
	t_gone=$(now)
	not_ok "kill -9 of node 3's stunringd: still $(paths -4 "$A4/32") / $(paths -6 "$A6/128") next hops after 5 s"
	show "$TMP/ann3.log"
fi
sleep 0.3
t_restart=$(now)
start_node_daemon 3 || not_ok "node 3's stunringd restarted"
if wait_paths 3 $((HOLD + 10)); then
	t_back=$(now)
	ok "node 3 back in the route $(secs "$t_gone" "$t_back") s after the router dropped it (restarted after $(secs "$t_gone" "$t_restart") s)"
	# Healthy again about 2 s after the withdrawal (restart + 3 checks),
	# but announced only when the hold-down has passed: the announcer's
	# own log times both (the router sees each a little later).  The
	# hold-down runs from the start of the check that failed, which is
	# logged when the check ends, up to --timeout (0.5 s) later.
	held=$(awk '/ withdrawing / { w = $1; a = ""; h = 0 } / healthy again; held down / { h = 1 }
		/ announced / && w && a == "" { a = $1 }
		END { print (w == "" ? "-" : w), (a == "" ? "-" : a), h + 0 }' "$TMP/ann3.log")
	read -r w a h <<<"$held"
	[ "$w" = - ] && w=
	[ "$a" = - ] && a=
	gap=$( [ -n "$w" ] && [ -n "$a" ] && secs "$(ts "$w")" "$(ts "$a")")
	check "node 3 was healthy again inside the ${HOLD} s hold-down, and announced ${gap:-?} s after its withdrawal" \
		eval '[ "$h" = 1 ] && [ -n "$gap" ] && awk -v g="$gap" -v h="$HOLD" "BEGIN { exit !(g >= h - 0.5) }"'
else
	t_back=$(now)
	not_ok "node 3 back in the route after its restart"
	show "$TMP/ann3.log"
fi
wait "$SPID"
# Until node 3's announcer announced again (its log; the router sees it a
# little later), only node 1 and node 2 can answer.
res=$(python3 "$ACLIENT" analyze "$TMP/stream" "$(awk -v t="$t_kill" 'BEGIN { printf "%.3f", t - 0.1 }')" \
	"$(awk -v t="$t_gone" 'BEGIN { printf "%.3f", t + 0.3 }')" "$( [ -n "${a:-}" ] && ts "$a" || echo "$t_back")")
echo "# failover stream: $res"
lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' <<<"$res")
window=$(secs "$t_kill" "$t_gone")
echo "# $lost requests lost, in the $window s between the kill and the withdrawal"
check "failover: node 3 answered its share of the stream in the second before the kill ($res)" \
	grep -q ' before=node1,node2,node3 ' <<<"$res"
check "failover: losses only between the kill and the withdrawal (+0.3 s)" \
	grep -q ' lost_outside=0 ' <<<"$res"
check "failover: from the withdrawal until node 3 returns every request answered, by node1 and node2 only" \
	grep -Eq 'after=[1-9][0-9]* nodes_after=node1,node2$' <<<"$res"
spread "$A4" "IPv4 after node 3's return"

# --- graceful stop --------------------------------------------------------
# What systemctl stop stunringd does with stunring-announce.service bound
# to it: the announcer stops first (withdraw, drain), then the daemon.
settled
stream_start 6
sleep 1.5
t_stop=$(now)
kill -TERM "${ANN[2]}"
wait_paths 2 5 && t_gone=$(now) || t_gone=
wait "${ANN[2]}"
arc=$?
t_ann_exit=$(now)
kill -TERM "${MAIN[2]}"
wait "${MAIN[2]}"
drc=$?
echo "# graceful: route withdrawn after ${t_gone:+$(secs "$t_stop" "$t_gone")} s, announcer exited after $(secs "$t_stop" "$t_ann_exit") s"
check "graceful stop: the announcer withdrew (router at 2 next hops), logged it, exited 0 (status $arc), then stunringd exited 0 ($drc)" \
	test -n "$t_gone" -a "$arc" = 0 -a "$drc" = 0
grep 'stopping' "$TMP/ann2.log" | show /dev/stdin
wait "$SPID"
res=$(python3 "$ACLIENT" analyze "$TMP/stream" "$t_stop" "$t_ann_exit" 1e12)
echo "# graceful stream: $res"
check "graceful stop: node 2 answered its share of the stream in the second before the stop" \
	grep -q ' before=node1,node2,node3 ' <<<"$res"
check "graceful stop: no request lost" grep -q ' lost=0 ' <<<"$res"
check "graceful stop: afterwards node1 and node3 answer everything" \
	grep -Eq 'after=[1-9][0-9]* nodes_after=node1,node3$' <<<"$res"

# The announcers' transitions, for the log.
for k in 1 2 3; do
	grep -E 'announced|withdrawing|held down|stopping' "$TMP/ann$k.log" | sed "s/^/# node$k: /"
done
finish
