#!/usr/bin/env python3
"""tests/e2e/stun_tcp.py - STUN over TCP against a live stunringd (loopback
or a namespace of the test's own only), with plain sockets: the answers are
decoded here, not by libstunring.  Prints TAP lines ("ok - ..."); exits 1
when one failed.

  vectors     every TCP row of expected.tsv (dual-ip/tcp: the daemon runs
              with --alt-ip), each request sent whole, split at every byte
              boundary, and many back to back in one segment
  basic       Binding Requests in basic mode: whole, one byte at a time,
              split everywhere, 200 in one segment, answers in order
  hold N      open N connections that each got an answer, print "held",
              keep them until killed (at most 60 s)
  flood       one peer that sends requests and never reads (--bytes), while
              a second peer is served; prints how many bytes the first got
              into the kernel and whether the second was answered
  probe       one request on a new connection: prints "answered", "closed"
              (EOF or reset without an answer) or "timeout"
  slow        a request one byte every --gap seconds: prints "closed AFTER"
              (seconds) or "answered"
  idle        one request, then nothing: prints "closed AFTER" or "open"
  send HEX    raw bytes, then "closed" / "answered" / "timeout"
  steady      a request every --gap seconds for --seconds: "answered N until
              the end" (or "until closed")
  tlsinfo     (with --tls) one request: prints "VERSION ALPN MAPPED" (ALPN
              "-" when none was agreed), or "failed WHY"
  silent      a plain TCP connection that sends nothing (to a TLS port: no
              ClientHello): prints "closed AFTER" or "open" after --timeout
  silenthold N  N such connections, print "held", keep them (at most 60 s)
  tlsmatrix   (with --tls) TLS 1.2 and 1.3, each offering ALPN
              stun.nat-discovery, nothing, and h2 only: TAP lines (version
              as pinned, stun.nat-discovery agreed only when offered, the
              answer's XOR-MAPPED-ADDRESS the client's own address)
  hslimit N   (with --tls) N silent connections (no ClientHello), then a TLS
              request: prints "FIRST SILENT SECOND": FIRST the request's fate
              while they hold the handshakes, SILENT whether the server closed
              them ("silent-closed") within --timeout, SECOND a request's fate
              after that

With --tls every connection is TLS (Python's ssl module, not OpenSSL's
command line): the certificate is checked against --ca and must name
--host; --tls-version 1.2 or 1.3 pins the version, --alpn NAME offers ALPN
(none by default).  Each sendall is one or more TLS records, so a request
split across sends is split across records, and many requests in one
sendall share a record.
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc5780_vectors as rv  # noqa: E402  (attrs, addr, rewrite, fingerprint)

COOKIE = 0x2112A442
failed = 0


def tap(good, name, why=""):
    global failed
    if good:
        print(f"ok - {name}")
    else:
        print(f"not ok - {name}: {why}")
        failed += 1
    sys.stdout.flush()


def tls_context(o):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(o.ca)
    if o.tls_version:
        v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[o.tls_version]
        ctx.minimum_version = ctx.maximum_version = v
    if o.alpn:
        ctx.set_alpn_protocols([o.alpn])
    return ctx


def connect(o, src=None, plain=False):
    fam = socket.AF_INET6 if ":" in o.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if src:
        s.bind((src, 0))
    s.settimeout(o.timeout)
    s.connect((o.host, o.port))
    if getattr(o, "tls", False) and not plain:  # callers without --tls (stun_tcp_limits.py)
        try:
            s = tls_context(o).wrap_socket(s, server_hostname=o.host)
        except (ssl.SSLError, OSError) as e:
            # Refused at once (a limit): the handshake meets EOF or a reset.
            s.close()
            raise ConnectionResetError(f"TLS handshake: {e}")
    return s


def binding(tid=None, fp=False):
    tid = tid or os.urandom(12)
    m = struct.pack("!HHI", 1, 8 if fp else 0, COOKIE) + tid
    if fp:
        m += struct.pack("!HHI", 0x8028, 4, rv.fingerprint(m) & 0xFFFFFFFF)
    return m


def read_msg(s):
    """One framed STUN message, or None at EOF/reset/timeout."""
    buf = b""
    try:
        while len(buf) < 20:
            d = s.recv(20 - len(buf))
            if not d:
                return None
            buf += d
        need = 20 + struct.unpack("!H", buf[2:4])[0]
        while len(buf) < need:
            d = s.recv(need - len(buf))
            if not d:
                return None
            buf += d
    except (socket.timeout, ConnectionError, ssl.SSLError):
        return None
    return buf


def closed_without_answer(s, wait):
    """True when the peer closes (EOF or reset) with no byte for us."""
    s.settimeout(wait)
    try:
        d = s.recv(4096)
        return d == b""
    except (ConnectionResetError, ssl.SSLEOFError):
        return True
    except socket.timeout:
        return False


def norm(ip):
    return rv.norm(ip)


def check_success(resp, req, me, server, other, ref_types):
    why = []
    a = rv.attrs(resp)
    if a is None:
        return ["malformed response"]
    if struct.unpack("!H", resp[:2])[0] != 0x0101:
        why.append(f"type {resp[:2].hex()}")
    if resp[4:20] != req[4:20]:
        why.append("transaction ID not echoed")
    d = {}
    for t, v in a:
        d.setdefault(t, v)
    xm = rv.addr(d[0x0020], resp[4:20]) if 0x0020 in d else None
    if xm is None or (norm(xm[0]), xm[1]) != me:
        why.append(f"XOR-MAPPED-ADDRESS {xm}, expected {me}")
    if other is not None:
        for t, want in ((0x0001, me), (0x802B, server), (0x802C, other)):
            got = rv.addr(d[t]) if t in d else None
            if got is None or (norm(got[0]), got[1]) != want:
                why.append(f"{rv.NAMES[t]} {got}, expected {want}")
    if ref_types is not None:
        have = [t for t, _ in a if t != 0x8022]
        if have != ref_types:
            why.append("attributes " + ",".join(f"{t:#06x}" for t in have) +
                       " differ from the reference " + ",".join(f"{t:#06x}" for t in ref_types))
    return why


def check_error(resp, req, code):
    a = rv.attrs(resp)
    if a is None:
        return ["malformed response"]
    ec = dict(a).get(0x0009)
    got = ec[2] * 100 + ec[3] if ec and len(ec) >= 4 else None
    why = []
    if struct.unpack("!H", resp[:2])[0] != 0x0111 or got != code:
        why.append(f"type {resp[:2].hex()} code {got}, expected 0111 {code}")
    if resp[4:20] != req[4:20]:
        why.append("transaction ID not echoed")
    return why


def split_stream(data):
    """The messages of a back-to-back stream (for the #msgN rows)."""
    out, off = [], 0
    while off + 20 <= len(data):
        n = 20 + struct.unpack("!H", data[off + 2:off + 4])[0]
        out.append(data[off:off + n])
        off += n
    return out


def fresh(msgs):
    """Each message with a fresh transaction ID (FINGERPRINT kept valid)."""
    return [rv.rewrite(m, 9)[0] for m in msgs]


def vectors(o):
    rows = {}
    with open(os.path.join(o.dir, "expected.tsv")) as f:
        for line in f:
            row = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(row) < 7 or row[1] != "dual-ip/tcp":
                continue
            name = row[0].split("#")[0]
            rows.setdefault(name, []).append(row)
    n = 0
    for name, rs in rows.items():
        raw = open(os.path.join(o.dir, name), "rb").read()
        verdict = rs[0][2]
        label = f"{o.label} {name}: {verdict}"
        if verdict.startswith("DROP"):
            # Classic STUN cannot be framed on a stream: the connection
            # closes without an answer (and the next one is served).
            s = connect(o)
            s.sendall(raw)
            tap(closed_without_answer(s, 3), label + " (connection closed, no answer)")
            s.close()
            n += 1
            continue
        msgs = split_stream(raw) if len(rs) > 1 or "#msg" in rs[0][0] else [raw]
        ref = []
        for r in sorted(rs, key=lambda r: r[0]):
            ref.append([t for t, _ in (rv.attrs(bytes.fromhex(r[6])) or []) if t != 0x8022])
        s = connect(o)
        me = (norm(s.getsockname()[0]), s.getsockname()[1])

        def judge(resp, req, i):
            if verdict.startswith("ERROR"):
                return check_error(resp, req, int(verdict.split()[1]))
            return check_success(resp, req, me, o.server, o.other, ref[i])

        def ask(parts, reqs, what):
            for p in parts:
                s.sendall(p)
                if len(parts) > 1:
                    time.sleep(o.gap)
            why = []
            for i, req in enumerate(reqs):
                resp = read_msg(s)
                if resp is None:
                    why.append(f"no answer {i + 1} of {len(reqs)}")
                    break
                w = judge(resp, req, i % len(msgs))
                if w:
                    why.append(f"answer {i + 1}: " + "; ".join(w))
                    break
            tap(not why, f"{label} ({what})", "; ".join(why))

        reqs = fresh(msgs)
        ask([b"".join(reqs)], reqs, f"{len(reqs)} message(s) in one segment")
        stream = b""
        for k in range(1, sum(len(m) for m in msgs)):
            reqs = fresh(msgs)
            stream = b"".join(reqs)
            s.settimeout(o.timeout)
            for p in (stream[:k], stream[k:]):
                s.sendall(p)
                time.sleep(o.gap)
            for i, req in enumerate(reqs):
                resp = read_msg(s)
                w = ["no answer"] if resp is None else judge(resp, req, i)
                if w:
                    tap(False, f"{label} (split at byte {k})", "; ".join(w))
                    break
            else:
                continue
            break
        else:
            tap(True, f"{label} (split at each of the {len(stream) - 1} byte boundaries, "
                      "same connection)")
        reqs = fresh(msgs * 40)
        ask([b"".join(reqs)], reqs, f"{len(reqs)} back to back in one segment")
        s.close()
        n += 1
    tap(n > 0, f"{o.label}: {n} request files of the dual-ip/tcp rows replayed")


def basic(o):
    s = connect(o)
    me = (norm(s.getsockname()[0]), s.getsockname()[1])

    def answers(reqs, what):
        why = []
        for i, req in enumerate(reqs):
            resp = read_msg(s)
            if resp is None:
                why.append(f"no answer {i + 1} of {len(reqs)}")
                break
            w = check_success(resp, req, me, None, None, None)
            if w:
                why.append(f"answer {i + 1}: " + "; ".join(w))
                break
        tap(not why, f"{o.label}: {what}", "; ".join(why))

    req = binding()
    s.sendall(req)
    answers([req], "one Binding Request, XOR-MAPPED-ADDRESS is the client")
    req = binding(fp=True)
    for b in req:
        s.sendall(bytes([b]))
        time.sleep(o.gap)
    answers([req], f"one byte per segment ({len(req)} segments)")
    ok = True
    for k in range(1, len(req)):
        r = binding(fp=True)
        s.sendall(r[:k])
        time.sleep(o.gap)
        s.sendall(r[k:])
        resp = read_msg(s)
        if resp is None or check_success(resp, r, me, None, None, None):
            ok = False
            tap(False, f"{o.label}: split at byte {k}", "bad or no answer")
            break
    if ok:
        tap(True, f"{o.label}: split at each of the {len(req) - 1} byte boundaries")
    reqs = [binding(fp=bool(i & 1)) for i in range(200)]
    s.sendall(b"".join(reqs))
    answers(reqs, "200 requests in one segment, answered in order")
    s.close()


def tlsmatrix(o):
    for v in ("1.2", "1.3"):
        for alpn in ("stun.nat-discovery", None, "h2"):
            o.tls_version, o.alpn = v, alpn
            got = tlsinfo(o, quiet=True).split()
            want_alpn = "stun.nat-discovery" if alpn == "stun.nat-discovery" else "-"
            tap(got[0] == f"TLSv{v}" and got[1:2] == [want_alpn],
                f"{o.label}: TLS {v} offering ALPN {alpn or 'nothing'}: {' '.join(got)}",
                f"expected TLSv{v} {want_alpn}")


def probe_once(o):
    try:
        s = connect(o, o.src)
        s.sendall(binding())
    except ConnectionError:
        return "closed"
    resp = read_msg(s)
    if resp is not None:
        return "answered"
    return "closed" if closed_without_answer(s, 0.1) else "timeout"


def hslimit(o):
    socks = [connect(o, plain=True) for _ in range(o.n)]
    time.sleep(0.2)  # accepted by now: each holds a handshake
    first = probe_once(o)
    closed = all(closed_without_answer(s, o.timeout) for s in socks)
    second = probe_once(o)
    print(f"{first} {'silent-closed' if closed else 'silent-open'} {second}")


def tlsinfo(o, quiet=False):
    try:
        s = connect(o)
        req = binding()
        s.sendall(req)
        resp = read_msg(s)
    except (OSError, ssl.SSLError) as e:
        out = f"failed {e}"
    else:
        why = ["no answer"] if resp is None else check_success(
            resp, req, (norm(s.getsockname()[0]), s.getsockname()[1]), None, None, None)
        if why:
            out = "failed " + "; ".join(why)
        else:
            xm = rv.addr(dict(rv.attrs(resp))[0x0020], resp[4:20])
            out = f"{s.version()} {s.selected_alpn_protocol() or '-'} {norm(xm[0])}:{xm[1]}"
        s.close()
    if not quiet:
        print(out)
    return out


def silent(o):
    s = connect(o, plain=True)
    t0 = time.monotonic()
    if closed_without_answer(s, o.timeout):
        print(f"closed {time.monotonic() - t0:.1f}")
    else:
        print("open")


def silenthold(o):
    socks = [connect(o, o.src, plain=True) for _ in range(o.n)]
    print("held", flush=True)
    time.sleep(60)
    del socks


def hold(o):
    socks = []
    for i in range(o.n):
        s = connect(o, o.src)
        r = binding()
        s.sendall(r)
        if read_msg(s) is None:
            print(f"connection {i + 1} not answered")
            sys.exit(1)
        socks.append(s)
    print("held", flush=True)
    # Until the test kills it (SIGTERM), at most a minute.
    time.sleep(60)


def probe(o):
    try:
        s = connect(o, o.src)
        s.sendall(binding())
    except ConnectionError:
        print("closed")
        return
    resp = read_msg(s)
    if resp is not None:
        print("answered")
        return
    print("closed" if closed_without_answer(s, 0.1) else "timeout")


def slow(o):
    s = connect(o)
    req = binding()
    t0 = time.monotonic()
    try:
        for b in req:
            s.sendall(bytes([b]))
            s.settimeout(o.gap)
            try:
                d = s.recv(1)
                if d == b"":
                    print(f"closed {time.monotonic() - t0:.1f}")
                    return
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        print(f"closed {time.monotonic() - t0:.1f}")
        return
    print("answered" if read_msg(s) else "closed late")


def idle(o):
    s = connect(o)
    req = binding()
    s.sendall(req)
    if read_msg(s) is None:
        print("not answered")
        return
    t0 = time.monotonic()
    if closed_without_answer(s, o.timeout):
        print(f"closed {time.monotonic() - t0:.1f}")
    else:
        print("open")


def steady(o):
    """A request every --gap seconds for --seconds: a busy connection is
    never idle."""
    s = connect(o)
    n, t_end = 0, time.monotonic() + o.seconds
    while time.monotonic() < t_end:
        r = binding()
        try:
            s.sendall(r)
        except ConnectionError:
            break
        resp = read_msg(s)
        if resp is None or resp[4:20] != r[4:20]:
            break
        n += 1
        time.sleep(o.gap)
    print(f"answered {n} until {'the end' if time.monotonic() >= t_end else 'closed'}")


def send_raw(o):
    s = connect(o)
    s.sendall(bytes.fromhex(o.hex))
    s.settimeout(o.timeout)
    try:
        d = s.recv(4096)
        if d[:1] == b"\x15":
            # A TLS alert record (bytes sent to a TLS port): then EOF?
            print("alert, closed" if closed_without_answer(s, o.timeout) else "alert")
            return
        print("closed" if d == b"" else "answered")
    except ConnectionResetError:
        print("closed")
    except socket.timeout:
        print("timeout")


def flood(o):
    """A peer that writes and never reads; the kernel's buffers fill, then
    the server must stop reading it.  Meanwhile a second peer is served."""
    bad = connect(o)
    bad.setblocking(False)
    chunk = b"".join(binding() for _ in range(512))
    sent, t_end = 0, time.monotonic() + o.seconds
    served = [0]

    def other():
        s = connect(o)
        while time.monotonic() < t_end:
            r = binding()
            s.sendall(r)
            resp = read_msg(s)
            if resp is None or resp[4:20] != r[4:20]:
                return
            served[0] += 1
            time.sleep(0.01)
        s.close()

    th = threading.Thread(target=other)
    th.start()
    stalled_since = None
    while time.monotonic() < t_end and sent < o.bytes:
        try:
            n = bad.send(chunk)
            sent += n
            stalled_since = None
        except (BlockingIOError, ssl.SSLWantWriteError):
            stalled_since = stalled_since or time.monotonic()
            time.sleep(0.02)
        except ConnectionError:
            print(f"flood: closed by the server after {sent} bytes")
            break
    th.join()
    stalled = stalled_since is not None and time.monotonic() - stalled_since > 0.5
    print(f"flood: sent={sent} offered={o.bytes} stalled={int(stalled)} served={served[0]}")
    sys.stdout.flush()
    if o.keep:
        sys.stdin.read()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["vectors", "basic", "hold", "probe", "slow", "idle",
                                   "send", "flood", "steady", "tlsinfo", "silent",
                                   "silenthold", "tlsmatrix", "hslimit"])
    p.add_argument("arg", nargs="?")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--a2")
    p.add_argument("--p2", type=int)
    p.add_argument("--src")
    p.add_argument("--label", default="tcp")
    p.add_argument("--gap", type=float, default=0.002)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--bytes", type=int, default=200 << 20)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--dir", default="tests/data/vectors")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca")
    p.add_argument("--tls-version", choices=["1.2", "1.3"])
    p.add_argument("--alpn")
    o = p.parse_args()
    o.server = (norm(o.host), o.port)
    o.other = (norm(o.a2), o.p2) if o.a2 else None
    o.n = int(o.arg or 1) if o.cmd in ("hold", "silenthold", "hslimit") else 1
    o.hex = o.arg
    {"vectors": vectors, "basic": basic, "hold": hold, "probe": probe, "slow": slow,
     "idle": idle, "send": send_raw, "flood": flood, "steady": steady, "tlsinfo": tlsinfo,
     "silent": silent, "silenthold": silenthold, "tlsmatrix": tlsmatrix,
     "hslimit": hslimit}[o.cmd](o)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
