#!/usr/bin/env python3
"""tests/e2e/tcp_crowd.py - an idle crowd of TCP connections to a STUN
server (tests/e2e/test_daemon_tcp_crowd.sh, bench/tcp_compare.sh).

  tcp_crowd.py --host H --port P --count N [--per-source K] [--base 127.1.0.0]

Opens N connections, K per source address (127.1.0.1, 127.1.0.2, ... from
--base: loopback, so any 127.x address is local), in waves; sends one
Binding Request on each and checks its answer (the transaction ID, a
success response).  Prints "held N" once all are answered (or "failed
REASON" and exits 1), then reads commands from stdin, one a line:
  check   print "intact N": how many are still open (an idle connection
          must not be readable; EOF or a reset is)
  close   close them all, print "closed N"
and at EOF closes them all and exits.

--tls: each connection does a TLS handshake first (blocking, one at a time,
certificate not verified: a benchmark's idle TLS crowd, bench/tcp_compare.sh).
"""
import argparse
import os
import select
import ssl
import socket
import struct
import sys
import time

COOKIE = 0x2112A442
WAVE = 500


def src_addr(base, i):
    b = struct.unpack("!I", socket.inet_aton(base))[0] + 1 + i
    return socket.inet_ntoa(struct.pack("!I", b))


def open_crowd(o):
    socks, ep = [], select.epoll()
    for start in range(0, o.count, WAVE):
        wave = {}
        for i in range(start, min(start + WAVE, o.count)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((src_addr(o.base, i // o.per_source), 0))
            s.connect_ex((o.host, o.port))
            tid = os.urandom(12)
            wave[s.fileno()] = [s, struct.pack("!HHI", 1, 0, COOKIE) + tid, b"", False]
            ep.register(s.fileno(), select.EPOLLOUT)
        t_end = time.monotonic() + o.timeout
        pending = len(wave)
        while pending and time.monotonic() < t_end:
            for fd, ev in ep.poll(0.5):
                w = wave[fd]
                if ev & (select.EPOLLERR | select.EPOLLHUP):
                    return None, f"connection {len(socks) + 1}: refused or reset"
                if not w[3] and ev & select.EPOLLOUT:
                    w[0].send(w[1])
                    w[3] = True
                    ep.modify(fd, select.EPOLLIN)
                elif ev & select.EPOLLIN:
                    d = w[0].recv(512)
                    if not d:
                        return None, "closed before its answer"
                    w[2] += d
                    if len(w[2]) >= 20 and len(w[2]) >= 20 + struct.unpack("!H", w[2][2:4])[0]:
                        if w[2][:2] != b"\x01\x01" or w[2][4:20] != w[1][4:20]:
                            return None, "a wrong answer"
                        ep.unregister(fd)
                        socks.append(w[0])
                        pending -= 1
        if pending:
            return None, f"{pending} of a wave unanswered after {o.timeout} s"
    ep.close()
    return socks, None


def open_tls_crowd(o):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    socks = []
    for i in range(o.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(o.timeout)
        s.bind((src_addr(o.base, i // o.per_source), 0))
        try:
            s.connect((o.host, o.port))
            t = ctx.wrap_socket(s)
            req = struct.pack("!HHI", 1, 0, COOKIE) + os.urandom(12)
            t.sendall(req)
            d = t.recv(512)
        except (OSError, ssl.SSLError) as e:
            return None, f"connection {i + 1}: {e}"
        if d[:2] != b"\x01\x01" or d[4:20] != req[4:20]:
            return None, "a wrong answer"
        socks.append(t)
    return socks, None


def intact(socks):

    ep = select.epoll()
    for s in socks:
        ep.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
    bad = len(ep.poll(0.2))
    ep.close()
    return len(socks) - bad


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--per-source", type=int, default=32)
    p.add_argument("--base", default="127.1.0.0")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--tls", action="store_true")
    o = p.parse_args()
    t0 = time.monotonic()
    socks, err = (open_tls_crowd if o.tls else open_crowd)(o)
    if err:
        print(f"failed {err}", flush=True)
        return 1
    print(f"held {len(socks)} in {time.monotonic() - t0:.1f}s", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "check":
            print(f"intact {intact(socks)}", flush=True)
        elif cmd == "close":
            for s in socks:
                s.close()
            print(f"closed {len(socks)}", flush=True)
            socks = []
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
