#!/usr/bin/env python3
# tests/e2e/stun_stream_fake.py - a STUN server over TCP or TLS for the
# stream tests of stunprobe and stunload: answers right, or the ways a
# server must not, so each client reaction can be checked.  Loopback or a
# test's own network namespace only.
#
# usage: stun_stream_fake.py LOGDIR CERT KEY MODE:IP:PORT[:tls] ...
#   one listener per argument (one process: Python starts slowly on a busy
#   machine), each logging to LOGDIR/PORT.log; with :tls it speaks TLS with
#   CERT and KEY, ALPN stun.nat-discovery accepted, not required.
#   IP may be an IPv6 address in brackets: answer:[::1]:6201:tls.
#   answer      a correct success response to every Binding Request, in
#               order (pipelined requests are fine)
#   split       the same, first a Binding Indication, and every byte of
#               every message written on its own (TCP_NODELAY)
#   close       read the request, close without an answer
#   silent      read, never answer (the client's timeout ends it)
#   garbage     answer with bytes that cannot be STUN
#   wrongtid    a success response with another transaction ID
#   wrongmapped a success response naming the peer's port + 1
# A log gets one line per event: "listening", "accept PORT IP",
# "alpn NAME|none", "close PORT REQUESTS" (requests read on that
# connection).  Listening starts on every port before the first
# "listening" line is written.
import socket
import ssl
import struct
import sys
import threading
import time

COOKIE = 0x2112A442
lock = threading.Lock()


def log(f, line):
    with lock:
        f.write(line + "\n")
        f.flush()


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)


def xor_mapped(peer, tid):
    ip, port = peer[0], peer[1]
    if ":" in ip:
        raw = socket.inet_pton(socket.AF_INET6, ip)
        key = struct.pack("!I", COOKIE) + tid
        x = bytes(a ^ b for a, b in zip(raw, key))
        fam = 2
    else:
        x = struct.pack("!I", struct.unpack("!I", socket.inet_aton(ip))[0] ^ COOKIE)
        fam = 1
    return attr(0x0020, struct.pack("!BBH", 0, fam, port ^ (COOKIE >> 16)) + x)


def message(mtype, tid, attrs):
    body = b"".join(attrs)
    return struct.pack("!HHI", mtype, len(body), COOKIE) + tid + body


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve(conn, peer, mode, f):
    requests = 0
    try:
        while True:
            hdr = recv_exact(conn, 20)
            if hdr is None:
                break
            mtype, length, cookie = struct.unpack("!HHI", hdr[:8])
            body = recv_exact(conn, length)
            if body is None:
                break
            requests += 1
            tid = hdr[8:20]
            if mode == "close":
                break
            if mode == "silent":
                continue
            if mode == "garbage":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                continue
            if mode == "wrongtid":
                tid = bytes(b ^ 0x5A for b in tid)
            mapped = peer
            if mode == "wrongmapped":
                mapped = (peer[0], (peer[1] + 1) & 0xFFFF)
            out = message(0x0101, tid, [xor_mapped(mapped, tid),
                                        attr(0x8022, b"stream-fake")])
            if mode == "split":
                out = message(0x0011, bytes(12), []) + out
                for i in range(len(out)):
                    conn.sendall(out[i:i + 1])
                    time.sleep(0.0005)
            else:
                conn.sendall(out)
    except (OSError, ssl.SSLError):
        pass
    finally:
        log(f, "close %d %d" % (peer[1], requests))
        try:
            conn.close()
        except OSError:
            pass


def handle(raw, peer, mode, f, ctx):
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log(f, "accept %d %s" % (peer[1], peer[0]))
    conn = raw
    if ctx:
        try:
            raw.settimeout(10)
            conn = ctx.wrap_socket(raw, server_side=True)
            conn.settimeout(None)
        except (OSError, ssl.SSLError) as e:
            log(f, "handshake-failed %d %s" % (peer[1], type(e).__name__))
            raw.close()
            return
        log(f, "alpn %s" % (conn.selected_alpn_protocol() or "none"))
    serve(conn, peer, mode, f)


def parse(spec):
    mode, rest = spec.split(":", 1)
    if rest.startswith("["):
        ip, rest = rest[1:].split("]:", 1)
    else:
        ip, rest = rest.split(":", 1)
    port, _, tls = rest.partition(":")
    return mode, ip, int(port), tls == "tls"


def accept_loop(s, mode, f, ctx):
    while True:
        raw, peer = s.accept()
        threading.Thread(target=handle, args=(raw, peer, mode, f, ctx),
                         daemon=True).start()


def main():
    logdir, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["stun.nat-discovery"])
    listeners = []
    for spec in sys.argv[4:]:
        mode, ip, port, tls = parse(spec)
        s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET,
                          socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.listen(128)
        listeners.append((s, mode, open("%s/%d.log" % (logdir, port), "a"),
                          ctx if tls else None))
    for s, mode, f, c in listeners:
        log(f, "listening")
        threading.Thread(target=accept_loop, args=(s, mode, f, c),
                         daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
