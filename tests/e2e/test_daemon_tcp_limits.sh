#!/usr/bin/env bash
# tests/e2e/test_daemon_tcp_limits.sh - the abuse limits (--rate-limit,
# --error-rate-limit, --max-response-rate, --allow/--deny) on requests over
# TCP, for both engines, by behaviour (tests/e2e/stun_tcp_limits.py):
#   - a burst over --rate-limit on one connection: exactly BURST answers, in
#     order, then the connection is closed (the request over the limit is
#     never answered; see stunringd(8) "TCP", Abuse limits);
#   - UDP and TCP share the buckets: a source that spent its burst over UDP
#     is refused on TCP at once, and served again once the bucket refilled;
#   - --error-rate-limit: 420s stop (close) at its burst while plain
#     requests from the same source are still answered;
#   - --max-response-rate: the worker's cap closes a connection over it;
#   - --deny added by SIGHUP closes a connection already open at its next
#     request, and refuses new ones from that source; another is served;
#   - every refusal counted: closed_rate_limit / closed_acl and
#     tcp_limited_<limit> in the totals line.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/daemon_lib.sh
need_built "$DAEMON"
PY=tests/e2e/stun_tcp_limits.py

tcp_port() {
	sed -n 's/.* accepting TCP on .*:\([0-9]*\) (port picked by the kernel).*/\1/p' "$DLOG" | head -1
}
lim() { timeout 60 python3 "$PY" "$@" --host 127.0.0.1 --port "$P"; }
wait_for() {
	for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

for engine in ${ENGINES:-uring mmsg}; do
	E="$engine:"
	# --- --rate-limit: a burst on one connection ------------------------------
	if start_daemon "rate-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --rate-limit 10/10; then
		P=$(tcp_port)
		got=$(lim burst 30 --src 127.0.0.5)
		# 30 requests in one segment reach the worker in one or two
		# batches: the bucket's 10, maybe one more token that came in
		# between, never 30.
		check "$E --rate-limit 10/10: 30 back to back: the burst answered in order, then closed ($got)" \
			eval '[ "${got##* }" = closed ] && a=$(echo "$got" | cut -d" " -f2) && [ "$a" -ge 10 ] && [ "$a" -le 12 ]'
		got=$(lim burst 5 --src 127.0.0.6)
		check "$E another source has a bucket of its own ($got)" [ "$got" = "answered 5 open" ]
		stop_daemon
		check "$E counted: closed_rate_limit=$(total closed_rate_limit) tcp_limited_rate_limit=$(total tcp_limited_rate_limit), exit 0" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total closed_rate_limit)" = 1 ] && [ "$(total tcp_limited_rate_limit)" = 1 ]'
	else
		not_ok "$E rate daemon starts"
	fi

	# --- the same buckets as UDP ------------------------------------------------
	if start_daemon "shared-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --rate-limit 1/5; then
		P=$(tcp_port)
		U=${LPORTS[0]}
		got=$(lim udp 5 --src 127.0.0.5 --udp-port "$U")
		check "$E --rate-limit 1/5: 5 UDP requests answered ($got)" [ "$got" = "udp 5" ]
		got=$(lim burst 3 --src 127.0.0.5)
		# Within a second of the UDP burst: at most one new token.
		check "$E then TCP from the same source: refused at once, closed ($got)" \
			eval '[ "${got##* }" = closed ] && [ "$(echo "$got" | cut -d" " -f2)" -le 1 ]'
		sleep 2.2
		got=$(lim burst 1 --src 127.0.0.5)
		check "$E 2 s later the bucket has refilled: answered over TCP ($got)" [ "$got" = "answered 1 open" ]
		stop_daemon
		check "$E counted: rate_limit=$(total rate_limit) (UDP) tcp_limited_rate_limit=$(total tcp_limited_rate_limit)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_limited_rate_limit)" = 1 ] && [ "$(total closed_rate_limit)" = 1 ]'
	else
		not_ok "$E shared daemon starts"
	fi

	# --- --error-rate-limit, --max-response-rate --------------------------------
	if start_daemon "err-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --error-rate-limit 2/4; then
		P=$(tcp_port)
		got=$(lim errors 10 --src 127.0.0.5)
		check "$E --error-rate-limit 2/4: 10 requests that get a 420: 4 answered, then closed ($got)" \
			eval '[ "${got##* }" = closed ] && a=$(echo "$got" | cut -d" " -f2) && [ "$a" -ge 4 ] && [ "$a" -le 5 ]'
		got=$(lim burst 20 --src 127.0.0.5)
		check "$E plain requests from that source still answered ($got)" [ "$got" = "answered 20 open" ]
		stop_daemon
		check "$E counted: tcp_limited_error_rate_limit=$(total tcp_limited_error_rate_limit) closed_rate_limit=$(total closed_rate_limit) tcp_errors=$(total tcp_errors)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_limited_error_rate_limit)" = 1 ] && [ "$(total closed_rate_limit)" = 1 ]'
	else
		not_ok "$E error-rate daemon starts"
	fi
	if start_daemon "cap-$engine" -- -w 1 -e $engine --listen 127.0.0.1:0 \
		--tcp-listen 127.0.0.1:0 --max-response-rate 20; then
		P=$(tcp_port)
		got=$(lim burst 40 --src 127.0.0.5)
		# The cap's burst is a tenth of a second of it: 2.
		check "$E --max-response-rate 20: 40 back to back: closed after a few ($got)" \
			eval '[ "${got##* }" = closed ] && [ "$(echo "$got" | cut -d" " -f2)" -le 6 ]'
		sleep 0.5
		got=$(lim burst 1 --src 127.0.0.6)
		check "$E the cap refills: answered again ($got)" [ "$got" = "answered 1 open" ]
		stop_daemon
		check "$E counted: tcp_limited_global_cap=$(total tcp_limited_global_cap)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total tcp_limited_global_cap)" = 1 ] && [ "$(total closed_rate_limit)" = 1 ]'
	else
		not_ok "$E cap daemon starts"
	fi

	# --- --deny by SIGHUP, with a connection open --------------------------------
	CONF=$TMP/acl-$engine.conf
	printf '%s\n' "listen = 127.0.0.1:0" "tcp-listen = 127.0.0.1:0" "workers = 1" \
		"io-engine = $engine" >"$CONF"
	if start_daemon "acl-$engine" -- --config "$CONF"; then
		P=$(tcp_port)
		rm -f "$TMP/go"
		lim trigger "$TMP/go" --src 127.0.0.5 >"$TMP/trig" 2>&1 &
		T=$!
		PIDS+=("$T")
		check "$E a connection from 127.0.0.5 answered and held" wait_for "$TMP/trig" held
		echo "deny = 127.0.0.5/32" >>"$CONF"
		kill -HUP "$DPID"
		wait_for "$DLOG" "SIGHUP: .* re-read"
		touch "$TMP/go"
		wait "$T"
		got=$(tail -1 "$TMP/trig")
		check "$E --deny 127.0.0.5 by SIGHUP: its open connection closed at its next request ($got)" [ "$got" = closed ]
		got=$(lim burst 1 --src 127.0.0.5)
		check "$E a new connection from 127.0.0.5 refused ($got)" [ "$got" = "answered 0 closed" ]
		got=$(lim burst 1 --src 127.0.0.6)
		check "$E 127.0.0.6 still served ($got)" [ "$got" = "answered 1 open" ]
		stop_daemon
		check "$E counted: closed_acl=$(total closed_acl) (one open, one at accept) tcp_limited_acl=$(total tcp_limited_acl)" \
			eval '[ "$DRC" -eq 0 ] && [ "$(total closed_acl)" = 2 ] && [ "$(total tcp_limited_acl)" = 1 ]'
	else
		not_ok "$E acl daemon starts"
	fi
done
finish
