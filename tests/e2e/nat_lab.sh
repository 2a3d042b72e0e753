# tests/e2e/nat_lab.sh - the NAT lab of stunprobe_nat.sh, shared with the
# Python package's NAT test (python_nat.sh): three network namespaces,
#
#   client 10.0.1.2 --- lan 10.0.1.1 [NAT, nftables] wan 198.18.0.1 --- server 198.18.0.2 + .3
#
# with coturn (RFC 5780: 198.18.0.2/.3, ports 3478/3479), stund (RFC 3489:
# ports 3480/3481) and, with RINGD=1, stunringd in RFC 5780 mode (3490).
# The sourcing test sets C, N, S (namespace names), TMP, STUNRINGD, RINGD
# and sources stunprobe_lib.sh first (bg, wait_udp).  nat_rules VARIANT and
# gateway_input print nftables rule sets for the NAT host.  teardown removes
# the lab (and kills JOBS, the sourcing test's own background jobs, if any);
# the EXIT trap removes it and TMP.

JOBS=()
teardown() {
	[ ${#JOBS[@]} -gt 0 ] && kill "${JOBS[@]}" 2>/dev/null
	kill_bg
	ip netns del "$C" 2>/dev/null
	ip netns del "$N" 2>/dev/null
	ip netns del "$S" 2>/dev/null
}
cleanup() {
	teardown
	rm -rf "$TMP"
}
trap cleanup EXIT

setup() {
	local ns
	for ns in "$C" "$N" "$S"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip -n "$C" link add eth0 type veth peer name lan netns "$N" || return 1
	ip -n "$S" link add eth0 type veth peer name wan netns "$N" || return 1
	ip -n "$C" addr add 10.0.1.2/24 dev eth0
	ip -n "$C" link set eth0 up
	ip -n "$C" route add default via 10.0.1.1
	ip -n "$N" addr add 10.0.1.1/24 dev lan
	ip -n "$N" addr add 198.18.0.1/24 dev wan
	ip -n "$N" link set lan up
	ip -n "$N" link set wan up
	ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$S" addr add 198.18.0.2/24 dev eth0
	ip -n "$S" addr add 198.18.0.3/24 dev eth0
	ip -n "$S" link set eth0 up
	# Only used without NAT: the client's own address is then routed.
	ip -n "$S" route add 10.0.1.0/24 via 198.18.0.1
	bg ip netns exec "$S" turnserver -n --stun-only --no-cli --no-tls --no-dtls \
		-L 198.18.0.2 -L 198.18.0.3 -p 3478 --alt-listening-port 3479 \
		--log-file "$TMP/coturn.log" --simple-log >/dev/null 2>&1
	bg ip netns exec "$S" stund -h 198.18.0.2 -a 198.18.0.3 -p 3480 -o 3481 \
		>/dev/null 2>&1
	if [ "$RINGD" = 1 ]; then
		bg ip netns exec "$S" "$STUNRINGD" -l 198.18.0.2:3490 --alt-ip 198.18.0.3 \
			-w 1 --no-pin -s stunringd 2>>"$TMP/stunringd.log"
	fi
	wait_udp "$S" 198.18.0.2 3478 && wait_udp "$S" 198.18.0.3 3479 &&
		wait_udp "$S" 198.18.0.2 3480 && wait_udp "$S" 198.18.0.3 3481 &&
		{ [ "$RINGD" = 0 ] || wait_udp "$S" 198.18.0.3 3491; }
}

# The NAT variants, as nftables rule sets on the NAT host.
nat_rules() {
	case $1 in
	none) ;;	# plain routing
	firewall)	# no translation, stateful filtering (RFC 4787 APDF)
		cat <<-'EOF'
		table inet fw {
			chain forward_c {
				type filter hook forward priority filter; policy accept;
				iifname "wan" ct state established,related accept
				iifname "wan" drop
			}
		}
		EOF
		;;
	masquerade | masquerade-open)	# port-preserving: EIM, conntrack filtering: APDF
		cat <<-'EOF'
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "wan" masquerade
			}
		}
		EOF
		;;
	symmetric)	# a new random port per flow (iptables: --random-fully): APDM
		cat <<-'EOF'
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "wan" masquerade fully-random
			}
		}
		EOF
		;;
	fullcone)	# EIM + EIF: any packet to a mapped port goes to the client
		cat <<-'EOF'
		table ip nat {
			chain pre {
				type nat hook prerouting priority dstnat;
				ip daddr 198.18.0.1 udp dport 1024-65535 dnat to 10.0.1.2
			}
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "wan" masquerade
				# hairpinning, with the source made the public address
				oifname "lan" ip saddr 10.0.1.0/24 ct status dnat snat to 198.18.0.1
			}
		}
		EOF
		;;
	restricted)	# EIM + ADF: any port of an IP the client port sent to
		cat <<-'EOF'
		table ip nat {
			set contacted {
				type ipv4_addr . inet_service
				flags dynamic,timeout
				timeout 10m
			}
			chain forward_c {
				type filter hook forward priority filter;
				iifname "lan" meta l4proto udp update @contacted { ip daddr . udp sport }
			}
			chain pre {
				type nat hook prerouting priority dstnat;
				iifname "wan" ip saddr . udp dport @contacted dnat to 10.0.1.2
			}
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "wan" masquerade
			}
		}
		EOF
		;;
	blocked)	# STUN never gets through
		cat <<-'EOF'
		table inet fw {
			chain forward_c {
				type filter hook forward priority filter;
				udp dport 3478-3491 drop
			}
		}
		EOF
		;;
	esac
}

gateway_input() {
	cat <<-'EOF'
	table inet gw {
		chain input_c {
			type filter hook input priority filter; policy accept;
			iifname "wan" ct state established,related accept
			iifname "wan" drop
		}
	}
	EOF
}

