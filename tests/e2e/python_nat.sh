#!/usr/bin/env bash
# tests/e2e/python_nat.sh - the stunring package's nat_behavior() and
# nat_type() behind the NAT variants stunprobe_nat.sh emulates (the lab is
# tests/e2e/nat_lab.sh): tests/python/test_nat.py runs in the client
# namespace of each variant, against coturn (RFC 5780) and stund (RFC
# 3489), beside stunprobe, whose verdicts it must equal.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/stunprobe_lib.sh
. tests/e2e/nat_lab.sh
. tests/e2e/python_lib.sh
TEST_NAME=python_nat
C=pynat$$c N=pynat$$n S=pynat$$s
TMP=$(mktemp -d /tmp/python_nat.XXXXXX)
STUNRINGD=${STUNRINGD:-$PWD/build/stunringd}
RINGD=0		# coturn and stund are the servers here

require "[ \$(id -u) = 0 ]" "needs root for network namespaces"
require "[ -f build/libstunring.so.0 ] && [ -x build/stunprobe ]" "build/libstunring.so.0 or build/stunprobe not built"
require find_python "no python3 with pytest (Debian: python3-pytest)"
require "command -v turnserver" "coturn (turnserver) not installed"
require "command -v stund" "stun-server (stund) not installed"
require "command -v nft" "nftables not installed"
require "ip netns add $C && ip netns del $C" "cannot create network namespaces"

# variant NAT MAPPING FILTERING CLASSIC HAIRPIN (as in stunprobe_nat.sh)
variant() {
	local v=$1
	teardown
	if ! setup; then
		not_ok "$v: topology and servers start"
		return
	fi
	if ! { nat_rules "$v"; gateway_input; } | ip netns exec "$N" nft -f -; then
		not_ok "$v: nftables rule set loads"
		return
	fi
	run_pytest "$v: " ip netns exec "$C" env NAT_VARIANT="$v" \
		NAT_EXPECT="$2|$3|$4|$5|$6" -- tests/python/test_nat.py
}

#       variant     nat   mapping                    filtering                  classic name             hairpin
variant none       false endpoint-independent       endpoint-independent       "Open Internet"          yes
variant firewall   false endpoint-independent       address-and-port-dependent "Symmetric UDP Firewall" -
variant masquerade true  endpoint-independent       address-and-port-dependent "Port Restricted Cone"   no
variant restricted true  endpoint-independent       address-dependent          "Restricted Cone"        -
variant fullcone   true  endpoint-independent       endpoint-independent       "Full Cone"              yes
variant symmetric  true  address-and-port-dependent address-and-port-dependent "Symmetric NAT"          -
variant blocked    -     -                          -                          "Blocked"                -

tap_end
