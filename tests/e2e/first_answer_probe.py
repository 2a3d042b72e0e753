#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""first_answer_probe.py - a steady trickle of Binding Requests that records
when each was sent and when (if ever) its valid answer came back, so that a
test can tell, to a few milliseconds, when a restarted server answered again.

Every INTERVAL ms it sends one modern request (magic cookie, answered by the
XDP program when one is attached) and one RFC 3489 request (no cookie, which
the XDP program passes to the daemon: its answers always come from stunringd).
An answer is valid when it is a Binding success for a request we sent, with
(XOR-)MAPPED-ADDRESS equal to our own address and port; anything else counts
as invalid.  Runs until SIGTERM/SIGINT or --max-seconds, then writes JSON:
  {"sent": {"plain": N, "classic": N}, "invalid": N,
   "probes": [[kind, send_ns, recv_ns or null], ...]}
Times are time.time_ns() (CLOCK_REALTIME), comparable with `date +%s%N`.

usage: first_answer_probe.py --bind IP --server IP:PORT --out FILE
                             [--interval-ms 2] [--max-seconds 1200]
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import time

COOKIE = 0x2112A442


def request(kind):
    if kind == "plain":
        tid = os.urandom(12)
        return struct.pack("!HHI", 0x0001, 0, COOKIE) + tid, tid
    tid = os.urandom(16)  # RFC 3489: the cookie's 4 bytes are part of the id
    return struct.pack("!HH", 0x0001, 0) + tid, tid


def mapped(msg, classic):
    """The (XOR-)MAPPED-ADDRESS of a success response, as (ip, port)."""
    want = 0x0001 if classic else 0x0020
    pos = 20
    while pos + 4 <= len(msg):
        typ, length = struct.unpack_from("!HH", msg, pos)
        val = msg[pos + 4:pos + 4 + length]
        if typ == want and length == 8 and val[1] == 1:
            port, = struct.unpack_from("!H", val, 2)
            addr = val[4:8]
            if not classic:
                port ^= COOKIE >> 16
                addr = bytes(a ^ c for a, c in zip(addr, struct.pack("!I", COOKIE)))
            return socket.inet_ntoa(addr), port
        pos += 4 + (length + 3) // 4 * 4
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval-ms", type=float, default=2.0)
    ap.add_argument("--max-seconds", type=float, default=1200.0)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    server = (host, int(port))

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.setblocking(False)
    me = s.getsockname()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    pending = {}  # transaction id -> index in probes
    probes = []
    sent = {"plain": 0, "classic": 0}
    invalid = 0
    step = a.interval_ms / 1000.0
    t_end = time.monotonic() + a.max_seconds
    t_next = time.monotonic()
    drain_until = None  # after a stop: no more requests, 300 ms for answers
    while time.monotonic() < t_end:
        now = time.monotonic()
        if stop and drain_until is None:
            drain_until = now + 0.3
        if drain_until is not None and now >= drain_until:
            break
        if drain_until is None and now >= t_next:
            for kind in ("plain", "classic"):
                msg, tid = request(kind)
                try:
                    s.sendto(msg, server)
                except OSError:
                    pass  # counted as sent and lost: the server is not there
                pending[tid] = len(probes)
                probes.append([kind, time.time_ns(), None])
                sent[kind] += 1
            t_next += step
            if t_next < now:  # we were descheduled: do not burst to catch up
                t_next = now + step
        try:
            wake = t_next if drain_until is None else drain_until
            select.select([s], [], [], max(0.0, wake - time.monotonic()))
        except InterruptedError:
            continue
        while True:
            try:
                msg = s.recv(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue  # an ICMP error reported on the socket
            t = time.time_ns()
            if len(msg) < 20:
                invalid += 1
                continue
            typ, = struct.unpack_from("!H", msg)
            classic = msg[4:8] != struct.pack("!I", COOKIE)
            tid = msg[4:20] if classic else msg[8:20]
            i = pending.pop(tid, None)
            if i is None:
                invalid += 1  # not an answer to anything we asked
                continue
            if typ != 0x0101 or mapped(msg, classic) != me or probes[i][0] != ("classic" if classic else "plain"):
                invalid += 1
                continue
            probes[i][2] = t
    with open(a.out, "w") as f:
        json.dump({"sent": sent, "invalid": invalid, "probes": probes}, f)


if __name__ == "__main__":
    main()
