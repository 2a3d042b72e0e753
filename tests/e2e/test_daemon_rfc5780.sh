#!/usr/bin/env bash
# tests/e2e/test_daemon_rfc5780.sh - stunringd in RFC 5780 mode over real
# sockets, for both engines:
#   - every row of expected.tsv for dual-ip/udp and single-ip/udp (CHANGE-
#     REQUEST, RESPONSE-PORT, PADDING, classic 11/12, errors and drops)
#     replayed by tests/e2e/rfc5780_vectors.py, which checks the verdict,
#     which of the four server addresses the answer came FROM, which client
#     port it went TO, and MAPPED / RESPONSE-ORIGIN / OTHER-ADDRESS (classic:
#     SOURCE-ADDRESS / CHANGED-ADDRESS); plus RFC 5780 Table 1 sent to each
#     of the four addresses with every flag combination (--matrix);
#   - IPv4 on 127.0.0.1 + 127.0.0.2, IPv6 in a namespace of our own with
#     ::1 + fd00:5780::2 on its loopback;
#   - --no-response-port: the no-response-port rows (420 to RESPONSE-PORT);
#   - --advertise-ip / --advertise-alt-ip in RESPONSE-ORIGIN, OTHER-ADDRESS,
#     SOURCE-ADDRESS and CHANGED-ADDRESS;
#   - the counters per source socket equal what the client received;
#   - every refused RFC 5780 configuration: one error line, its exit status.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
VEC=tests/e2e/rfc5780_vectors.py


# replay LABEL [PREFIX...] -- VECTOR-ARGS...: run the replay against the
# daemon started last, stop it, and check its counters against what the
# client received.
replay() {
	local label=$1 rc k want got
	shift
	local prefix=()
	while [ "$1" != "--" ]; do prefix+=("$1"); shift; done
	shift
	"${prefix[@]}" timeout 60 python3 "$VEC" --label "$label" "$@" >"$TMP/vec" 2>&1
	rc=$?
	tap_lines "" <"$TMP/vec"
	check "$label: the replay finished (status $rc)" [ $rc -eq 0 ]
	stop_daemon
	check "$label: daemon exits 0" [ "$DRC" -eq 0 ]
	check "$label: daemon's books balance" totals_balance
	local line summary=""
	line=$(grep '^# received ' "$TMP/vec")
	for k in from_a1p1 from_a1p2 from_a2p1 from_a2p2 response_port; do
		want=$(echo "$line" | grep -o " $k=[0-9]*" | cut -d= -f2)
		got=$(total $k)
		summary="$summary $k=${got:-?}/${want:-?}"
		[ -n "$want" ] && [ "$want" = "$got" ] || summary="$summary(MISMATCH)"
	done
	local sent=$(( $(total answered) + $(total errors) ))
	local by_src=$(( $(total from_a1p1) + $(total from_a1p2) + $(total from_a2p1) + $(total from_a2p2) ))
	check "$label: counters per source socket equal what the client received (daemon/client):$summary" \
		eval '[ "${summary#*MISMATCH}" = "$summary" ] && [ "$sent" = "$by_src" ]'
	if [ "$label" != "${label#*dual}" ]; then
		check "$label: changed_port/ip/both counted ($(total changed_port)/$(total changed_ip)/$(total changed_both))" \
			eval '[ "$(total changed_port)" -gt 0 ] && [ "$(total changed_ip)" -gt 0 ] && [ "$(total changed_both)" -gt 0 ]'
	fi
}

# --- IPv4 on the host's loopback: 127.0.0.1 and 127.0.0.2 ------------------
for engine in ${ENGINES:-uring mmsg}; do
	P=$(free_pair 127.0.0.1 127.0.0.2)
	if [ "$engine" = uring ]; then
		adv=() vadv=()
	else
		# The mmsg run plays a server behind a 1:1 NAT.
		adv=(--advertise-ip 198.18.0.1 --advertise-alt-ip 198.18.0.2)
		vadv=(--adv1 198.18.0.1 --adv2 198.18.0.2)
	fi
	if start_daemon "v4-dual-$engine" -- -w 2 -e $engine --listen "127.0.0.1:$P" \
		--alt-ip 127.0.0.2 --alt-port $((P + 1)) "${adv[@]}"; then
		check "v4 dual $engine: four sockets logged" \
			eval '[ "$(grep -c "listening on 127.0.0.[12]:\($P\|$((P + 1))\)" "$DLOG")" = 4 ]'
		replay "v4 dual-ip $engine${adv:+ advertised}" -- --config dual-ip --a1 127.0.0.1 \
			--a2 127.0.0.2 --p1 "$P" --p2 $((P + 1)) --client 127.0.0.1 --matrix "${vadv[@]}"
	else
		not_ok "v4 dual $engine: daemon starts"
	fi
	P=$(free_pair 127.0.0.1)
	if [ "$engine" = uring ]; then
		# Single-address mode behind a NAT: RESPONSE-ORIGIN advertised.
		args=(--listen "127.0.0.1:$P" --advertise-ip 198.18.0.9) vadv=(--adv1 198.18.0.9)
	else
		# A wildcard is fine without an alternate: RESPONSE-ORIGIN is the
		# address the request came to (IP_PKTINFO), never 0.0.0.0.
		args=(--listen "0.0.0.0:$P") vadv=()
	fi
	if start_daemon "v4-single-$engine" -- -w 2 -e $engine --rfc5780 "${args[@]}"; then
		replay "v4 single-ip $engine${vadv:+ advertised}" -- --config single-ip --a1 127.0.0.1 \
			--p1 "$P" --client 127.0.0.1 "${vadv[@]}"
	else
		not_ok "v4 single $engine: daemon starts"
	fi
done

# --- --no-response-port: RESPONSE-PORT answered with 420 --------------------
P=$(free_pair 127.0.0.1 127.0.0.2)
if start_daemon norp -- -w 1 --listen "127.0.0.1:$P" --alt-ip 127.0.0.2 --no-response-port; then
	replay "v4 no-response-port" -- --config dual-ip/udp/no-response-port --a1 127.0.0.1 \
		--a2 127.0.0.2 --p1 "$P" --p2 $((P + 1)) --client 127.0.0.1
else
	not_ok "--no-response-port: daemon starts"
fi

# --- both families, an alternate for IPv4 only: IPv6 is single-address ----
P=$(free_pair 127.0.0.1 127.0.0.2 ::1)
if start_daemon mixed -- -w 1 --listen "127.0.0.1:$P" --listen "[::1]:$P" --alt-ip 127.0.0.2; then
	check "mixed: IPv6 logged as single-address mode" \
		grep -q "RFC 5780 IPv6: single-address mode" "$DLOG"
	replay "mixed (IPv4 with --alt-ip): IPv6 single-ip" -- --config single-ip --a1 ::1 --p1 "$P" \
		--client ::1
else
	not_ok "mixed: daemon starts"
fi

# --- IPv6 in a namespace: ::1 and fd00:5780::2 on its loopback ------------
NS=rfc5780-$$
if ip netns add "$NS" 2>"$TMP/ns.err"; then
	NETNS+=("$NS")
	ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add fd00:5780::2/128 dev lo nodad
	for engine in ${ENGINES:-uring mmsg}; do
		if start_daemon "v6-dual-$engine" ip netns exec "$NS" -- -w 2 -e $engine \
			--listen '[::1]:3478' --alt-ip fd00:5780::2 --advertise-alt-ip 2001:db8::2; then
			replay "v6 dual-ip $engine" ip netns exec "$NS" -- --config dual-ip --a1 ::1 \
				--a2 fd00:5780::2 --p1 3478 --p2 3479 --client ::1 --matrix --adv2 2001:db8::2
		else
			not_ok "v6 dual $engine: daemon starts"
		fi
		if start_daemon "v6-single-$engine" ip netns exec "$NS" -- -w 2 -e $engine \
			--rfc5780 --listen '[::1]:3478'; then
			replay "v6 single-ip $engine" ip netns exec "$NS" -- --config single-ip --a1 ::1 \
				--p1 3478 --client ::1
		else
			not_ok "v6 single $engine: daemon starts"
		fi
	done
else
	show "$TMP/ns.err"
	skip "IPv6 RFC 5780 in a namespace" "cannot create a network namespace"
fi

# --- refusals: one error line, the documented status -----------------------
EXPECT_PREFIX="refused: "
P=$(free_pair 127.0.0.1 127.0.0.2)
L=(--listen "127.0.0.1:$P")
expect_error "--alt-port alone (one address, two ports)" 64 "--alt-port without --alt-ip" \
	"${L[@]}" --alt-port $((P + 1))
expect_error "alternate = primary" 64 "is the primary address itself" "${L[@]}" --alt-ip 127.0.0.1
expect_error "alternate of the other family" 64 "--alt-ip ::1: no IPv6 --listen" \
	"${L[@]}" --alt-ip ::1
expect_error "wildcard primary" 64 "needs a concrete primary address" \
	--listen "0.0.0.0:$P" --alt-ip 127.0.0.2
expect_error "default (wildcard) listeners" 64 "needs --listen with the IPv4 primary" \
	--alt-ip 127.0.0.2
expect_error "two primaries of one family" 64 "exactly one IPv4 --listen" \
	"${L[@]}" --listen "127.0.0.1:$((P + 5))" --alt-ip 127.0.0.2
expect_error "ports collide (--alt-port = primary port)" 64 "--alt-port $P is the primary port" \
	"${L[@]}" --alt-ip 127.0.0.2 --alt-port "$P"
expect_error "port 0 with an alternate" 64 "needs an explicit port" \
	--listen 127.0.0.1:0 --alt-ip 127.0.0.2
expect_error "--alt-ip with a port" 64 "--alt-ip '127.0.0.2:5': expected an IP address without a port" \
	"${L[@]}" --alt-ip 127.0.0.2:5
expect_error "--alt-ip twice for IPv4" 64 "given twice for IPv4" \
	"${L[@]}" --alt-ip 127.0.0.2 --alt-ip 127.0.0.3
expect_error "wildcard alternate" 64 "not a wildcard" "${L[@]}" --alt-ip 0.0.0.0
expect_error "bad --alt-port" 64 "--alt-port '0'" "${L[@]}" --alt-ip 127.0.0.2 --alt-port 0
expect_error "--advertise-ip in basic mode" 64 "only apply in RFC 5780 mode" \
	"${L[@]}" --advertise-ip 198.18.0.1
expect_error "--advertise-alt-ip without --alt-ip" 64 "no IPv4 --alt-ip" \
	"${L[@]}" --rfc5780 --advertise-alt-ip 198.18.0.2
expect_error "--advertise-ip with a wildcard single address" 64 "concrete IPv4 --listen" \
	--listen "0.0.0.0:$P" --rfc5780 --advertise-ip 198.18.0.1
# 192.0.2.77 (TEST-NET-1) is on no interface: caught when A2:P1 is bound.
expect_error "alternate not on this host" 68 \
	"192.0.2.77:$P \(RFC 5780 A2:P1, --alt-ip\): address not assigned" \
	"${L[@]}" --alt-ip 192.0.2.77
if start_daemon holder -- -w 1 --listen "127.0.0.2:$((P + 1))"; then
	expect_error "A2:P2 held by another server" 69 \
		"127.0.0.2:$((P + 1)) \(RFC 5780 A2:P2, --alt-ip and --alt-port\): address already in use" \
		"${L[@]}" --alt-ip 127.0.0.2
	stop_daemon
else
	not_ok "holder daemon starts"
fi
check "--help documents --alt-ip, --alt-port, --rfc5780, --advertise-ip, --advertise-alt-ip" \
	eval '"$DAEMON" --help | grep -q -- "--alt-ip IP" && "$DAEMON" --help | grep -q -- "--alt-port PORT" &&
	"$DAEMON" --help | grep -q -- "--rfc5780" && "$DAEMON" --help | grep -q -- "--advertise-alt-ip IP"'
finish
