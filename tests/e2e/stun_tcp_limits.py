#!/usr/bin/env python3
"""tests/e2e/stun_tcp_limits.py - the abuse limits over TCP and UDP against
a live stunringd on loopback (tests/e2e/test_daemon_tcp_limits.sh), with
the plain-socket client of stun_tcp.py.

  burst N     N Binding Requests back to back on one connection, then read:
              prints "answered A closed" or "answered A open" (A: how many
              answers came, in order, before the end of the stream)
  errors N    the same with requests that get a 420 (an unknown
              comprehension-required attribute): "errors A closed|open"
  udp N       N Binding Requests over UDP, one at a time: "udp A" answered
  trigger F   one request (answered), print "held", wait for file F (at most
              30 s), then one more request: "answered" or "closed"
"""
import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stun_tcp as st  # noqa: E402  (connect, binding, read_msg)


def unknown_attr_request():
    # 0x0030 is comprehension-required and unknown to the server: 420.
    tid = os.urandom(12)
    return struct.pack("!HHI", 1, 8, st.COOKIE) + tid + struct.pack("!HHI", 0x0030, 4, 0)


def answers(o, reqs, want_class):
    s = st.connect(o, o.src)
    try:
        s.sendall(b"".join(reqs))
    except ConnectionError:
        return 0, "closed"
    n = 0
    for r in reqs:
        resp = st.read_msg(s)
        if resp is None:
            break
        cls = (resp[0] << 8 | resp[1]) & 0x0110
        if resp[8:20] != r[8:20] or cls != want_class:
            print(f"answer {n + 1}: wrong transaction or class", file=sys.stderr)
            break
        n += 1
    state = "closed" if n < len(reqs) and st.closed_without_answer(s, 1.0) else "open"
    return n, state


def burst(o):
    n, state = answers(o, [st.binding() for _ in range(o.n)], 0x0100)
    print(f"answered {n} {state}")


def errors(o):
    n, state = answers(o, [unknown_attr_request() for _ in range(o.n)], 0x0110)
    print(f"errors {n} {state}")


def udp(o):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if o.src:
        s.bind((o.src, 0))
    s.settimeout(0.3)
    n = 0
    for _ in range(o.n):
        r = st.binding()
        s.sendto(r, (o.host, o.udp_port or o.port))
        try:
            d = s.recv(2048)
            n += d[8:20] == r[8:20]
        except socket.timeout:
            pass
    print(f"udp {n}")


def trigger(o):
    s = st.connect(o, o.src)
    s.sendall(st.binding())
    if st.read_msg(s) is None:
        print("not answered")
        return
    print("held", flush=True)
    t_end = time.monotonic() + 30
    while not os.path.exists(o.arg) and time.monotonic() < t_end:
        time.sleep(0.05)
    r = st.binding()
    try:
        s.sendall(r)
    except ConnectionError:
        print("closed")
        return
    resp = st.read_msg(s)
    print("answered" if resp is not None and resp[8:20] == r[8:20] else "closed")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["burst", "errors", "udp", "trigger"])
    p.add_argument("arg")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--udp-port", type=int)
    p.add_argument("--src")
    p.add_argument("--timeout", type=float, default=3)
    o = p.parse_args()
    o.n = int(o.arg) if o.cmd != "trigger" else 1
    {"burst": burst, "errors": errors, "udp": udp, "trigger": trigger}[o.cmd](o)
    return 0


if __name__ == "__main__":
    sys.exit(main())
