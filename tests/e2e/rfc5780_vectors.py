#!/usr/bin/env python3
"""tests/e2e/rfc5780_vectors.py - replay expected.tsv against a live stunringd
in RFC 5780 mode over real UDP sockets (loopback or a test namespace only).

For every row of one configuration ("dual-ip/udp", "single-ip/udp" or
"dual-ip/udp/no-response-port") the
request file is sent from a client socket to the server's A1:P1, with a fresh
transaction ID (FINGERPRINT recomputed when it was valid) and RESPONSE-PORT
pointed at a second client socket.  The table's reference addresses
(198.51.100.1/2, ports 3478/3479, client port 32853/40000) differ from ours,
so the answer is compared semantically:
  - the verdict: no reply (checked by a probe request whose answer must be
    the very next datagram), a success, or an error with the same code and
    UNKNOWN-ATTRIBUTES;
  - which of the server's four addresses it came FROM (recvfrom) and which
    client socket it went TO (RESPONSE-PORT);
  - XOR-MAPPED-ADDRESS / MAPPED-ADDRESS = the client socket, RESPONSE-ORIGIN
    (SOURCE-ADDRESS for classic) = the address it came from, OTHER-ADDRESS
    (CHANGED-ADDRESS) = A2:P2 or absent, both advertised when --adv1/--adv2
    are given; PADDING exactly when asked, the answer never larger than the request;
  - for dual-ip, the attribute types in the order of the reference response
    expected/NAME.response.bin (SOFTWARE aside).
The attributes are decoded here, not by libstunring, so the check is
independent of the codec under test.  Prints TAP ("ok - ...") lines.
"""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import zlib

COOKIE = 0x2112A442
REF = {"198.51.100.1": "A1", "198.51.100.2": "A2"}
REF_PORT = {3478: "P1", 3479: "P2"}
NAMES = {0x0001: "MAPPED-ADDRESS", 0x0004: "SOURCE-ADDRESS", 0x0005: "CHANGED-ADDRESS",
         0x0009: "ERROR-CODE", 0x000A: "UNKNOWN-ATTRIBUTES", 0x0020: "XOR-MAPPED-ADDRESS",
         0x0026: "PADDING", 0x8022: "SOFTWARE", 0x8028: "FINGERPRINT",
         0x802B: "RESPONSE-ORIGIN", 0x802C: "OTHER-ADDRESS"}


def attrs(msg):
    """[(type, value)] of a well-formed message, or None."""
    out, off = [], 20
    if len(msg) < 20 or struct.unpack("!H", msg[2:4])[0] != len(msg) - 20:
        return None
    while off < len(msg):
        if off + 4 > len(msg):
            return None
        t, n = struct.unpack("!HH", msg[off:off + 4])
        if off + 4 + n > len(msg):
            return None
        out.append((t, msg[off + 4:off + 4 + n]))
        off += 4 + ((n + 3) & ~3)
    return out


def fingerprint(msg):
    return (zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF


def fp_valid(msg):
    a = attrs(msg)
    if not a or a[-1][0] != 0x8028 or len(a[-1][1]) != 4:
        return False
    return struct.unpack("!I", a[-1][1])[0] == fingerprint(msg[:-8])


def rewrite(req, rport):
    """Fresh transaction ID; RESPONSE-PORT -> rport; FINGERPRINT kept valid
    when it was.  Returns (bytes, id bytes the answer must echo)."""
    m = bytearray(req)
    if len(m) < 20:
        return bytes(m), None
    had_fp = fp_valid(req)
    classic = struct.unpack("!I", m[4:8])[0] != COOKIE
    lo = 4 if classic else 8
    m[lo:20] = os.urandom(20 - lo)
    a = attrs(bytes(m))
    if a:
        off = 20
        for t, v in a:
            # Port 0 stays 0: that row is about the 400 it must get.
            if t == 0x0027 and len(v) >= 2 and v[:2] != b"\0\0":
                struct.pack_into("!H", m, off + 4, rport)
            off += 4 + ((len(v) + 3) & ~3)
    if had_fp:
        struct.pack_into("!I", m, len(m) - 4, fingerprint(bytes(m[:-8])))
    return bytes(m), bytes(m[4:20])


def addr(v, tid=None):
    """(ip string, port) of a (XOR-)MAPPED-ADDRESS-format value."""
    fam, port = v[1], struct.unpack("!H", v[2:4])[0]
    raw = v[4:8] if fam == 1 else v[4:20]
    if tid is not None:
        port ^= COOKIE >> 16
        key = struct.pack("!I", COOKIE) + tid[4:]
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    return str(ipaddress.ip_address(raw)), port


class Ctx:
    def __init__(self, o):
        self.o = o
        fam = socket.AF_INET6 if ":" in o.a1 else socket.AF_INET
        self.fam = fam
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.bind((o.client, 0))
        self.r = socket.socket(fam, socket.SOCK_DGRAM)
        self.r.bind((o.client, 0))
        self.sport = self.s.getsockname()[1]
        self.rport = self.r.getsockname()[1]
        self.server = (o.a1, o.p1)
        self.where = {("A1", "P1"): (o.a1, o.p1), ("A1", "P2"): (o.a1, o.p2),
                      ("A2", "P1"): (o.a2, o.p1), ("A2", "P2"): (o.a2, o.p2)}
        self.failed = 0
        # Every datagram received, by the server socket it came from, and
        # how many went to the RESPONSE-PORT socket: compared with the
        # daemon's counters by the caller.
        self.role_of = {}
        for (i, q), (a, p) in self.where.items():
            self.role_of.setdefault((norm(a), p), f"from_{i.lower()}{q.lower()}")
        self.counts = {k: 0 for k in ("from_a1p1", "from_a1p2", "from_a2p1", "from_a2p2",
                                      "response_port", "unknown_source")}

    def adv(self, ip, port):
        """What the server should report for its own address ip:port."""
        if self.o.adv1 and ip == self.o.a1:
            ip = self.o.adv1
        elif self.o.adv2 and ip == self.o.a2:
            ip = self.o.adv2
        return norm(ip), port

    def recv_any(self, timeout):
        """(socket name, data, from) or None."""
        ready, _, _ = select.select([self.s, self.r], [], [], timeout)
        if not ready:
            return None
        sock = ready[0]
        data, frm = sock.recvfrom(65536)
        frm = (norm(frm[0]), frm[1])
        self.counts[self.role_of.get(frm, "unknown_source")] += 1
        if sock is self.r:
            self.counts["response_port"] += 1
        return ("S" if sock is self.s else "R"), data, frm

    def ask(self, req, tid, tries=3):
        """Send req until a datagram echoing tid arrives; others are stale."""
        for _ in range(tries):
            self.s.sendto(req, self.server)
            while True:
                got = self.recv_any(0.5)
                if got is None:
                    break
                if got[1][4:20] == tid:
                    return got
        return None

    def probe(self):
        tid = os.urandom(12)
        req = struct.pack("!HHI", 1, 0, COOKIE) + tid
        self.s.sendto(req, self.server)
        got = self.recv_any(1.0)
        return got is not None and got[0] == "S" and got[1][8:20] == tid, got


def norm(ip):
    return str(ipaddress.ip_address(ip.split("%")[0]))


def tap(ctx, good, name, why=""):
    if good:
        print(f"ok - {name}")
    else:
        print(f"not ok - {name}: {why}")
        ctx.failed += 1
    sys.stdout.flush()


def check_row(ctx, o, row):
    fname, verdict, detail, rsrc, rdst = row[0], row[2], row[3], row[4], row[5]
    label = f"{o.label} {fname}: {verdict}"
    req = open(os.path.join(o.dir, fname), "rb").read()
    req2, tid = rewrite(req, ctx.rport)
    if verdict == "SUCCESS" and ":" in o.client and 0x0026 in dict(attrs(req) or []):
        # The rows are for IPv4.  Over IPv6 each address attribute is 12
        # bytes longer; when that answer with an empty PADDING outgrows the
        # request, the server does not answer (conformance item 64, policy).
        ref = bytes.fromhex(row[6])
        ra = attrs(ref) or []
        fixed = len(ref) - len(dict(ra).get(0x0026, b"")) + \
            12 * sum(1 for t, _ in ra if t in (0x0020, 0x0001, 0x802B, 0x802C))
        if fixed > len(req2):
            verdict, label = "DROP", label + " (IPv6: PADDING request smaller than its answer)"
    if verdict in ("DROP", "NO RESPONSE", "DISCARD"):
        ctx.s.sendto(req2, ctx.server)
        good, got = ctx.probe()
        stray = ctx.recv_any(0.0)
        tap(ctx, good and stray is None, label + " (no reply: the probe's answer came next)",
            f"got {got[1][:4].hex() if got else 'nothing'} / stray {stray is not None}")
        return
    got = ctx.ask(req2, tid)
    if got is None:
        tap(ctx, False, label, "no answer")
        return
    sock, resp, frm = got
    src_ip, src_port = rsrc.rsplit(":", 1)
    exp_from = ctx.where[(REF[src_ip], REF_PORT[int(src_port)])]
    exp_from = (norm(exp_from[0]), exp_from[1])
    exp_sock = "R" if int(rdst.rsplit(":", 1)[1]) != 32853 else "S"
    why = []
    if frm != exp_from:
        why.append(f"came from {frm}, expected {exp_from} ({REF[src_ip]}:{REF_PORT[int(src_port)]})")
    if sock != exp_sock:
        why.append(f"went to the {'RESPONSE-PORT' if sock == 'R' else 'source'} socket")
    a = attrs(resp)
    if a is None:
        tap(ctx, False, label, "malformed response")
        return
    mtype = struct.unpack("!H", resp[:2])[0]
    classic = verdict.endswith("(classic)") or struct.unpack("!I", req[4:8])[0] != COOKIE
    if resp[4:20] != req2[4:20]:
        why.append("transaction ID not echoed")
    got_types = [t for t, _ in a]
    me = (norm(o.client), ctx.sport)
    if verdict.startswith("ERROR"):
        code = int(verdict.split()[1])
        ec = dict(a).get(0x0009)
        got_code = ec[2] * 100 + ec[3] if ec and len(ec) >= 4 else None
        if mtype != 0x0111 or got_code != code:
            why.append(f"type {mtype:#06x} code {got_code}, expected 0x0111 {code}")
        if "UNKNOWN-ATTRIBUTES=" in detail:
            want = [int(x, 16) for x in detail.split("=")[1].split(",")]
            ua = dict(a).get(0x000A, b"")
            listed = [struct.unpack("!H", ua[i:i + 2])[0] for i in range(0, len(ua), 2)]
            # A classic 420 pads the list to an even count by repeating.
            if sorted(set(listed)) != sorted(set(want)):
                why.append(f"UNKNOWN-ATTRIBUTES {listed}, expected {want}")
        if 0x802C in got_types or 0x0005 in got_types:
            why.append("error carries OTHER-ADDRESS/CHANGED-ADDRESS")
    else:
        if mtype != 0x0101:
            why.append(f"type {mtype:#06x}, expected 0x0101")
        d = {}
        for t, v in a:
            d.setdefault(t, v)
        other_exp = ctx.adv(o.a2, o.p2) if o.dual else None
        origin_exp = ctx.adv(*exp_from)
        if classic:
            if 0x0020 in d or 0x802B in d or 0x802C in d or 0x8028 in d:
                why.append("modern attribute in a classic response")
            origin_t, other_t = 0x0004, 0x0005
        else:
            xm = addr(d[0x0020], resp[4:20]) if 0x0020 in d else None
            if xm is None or (norm(xm[0]), xm[1]) != me:
                why.append(f"XOR-MAPPED-ADDRESS {xm}, expected {me}")
            origin_t, other_t = 0x802B, 0x802C
        m = addr(d[0x0001]) if 0x0001 in d else None
        if not m or (norm(m[0]), m[1]) != me:
            why.append(f"MAPPED-ADDRESS {m}, expected {me}")
        og = addr(d[origin_t]) if origin_t in d else None
        if not og or (norm(og[0]), og[1]) != origin_exp:
            why.append(f"{NAMES[origin_t]} {og}, expected {origin_exp}")
        ot = addr(d[other_t]) if other_t in d else None
        if (None if ot is None else (norm(ot[0]), ot[1])) != other_exp:
            why.append(f"{NAMES[other_t]} {ot}, expected {other_exp}")
        req_pad = dict(attrs(req) or []).get(0x0026)
        pad = d.get(0x0026)
        if (req_pad is None) != (pad is None):
            why.append(f"PADDING {'missing' if pad is None else 'unasked'}")
        elif pad is not None and len(resp) > len(req):
            why.append(f"PADDING answer {len(resp)} bytes for a {len(req)}-byte request: amplification")
    if o.config == "dual-ip" and not why:  # the references are for that config
        ref = os.path.join(o.dir, "expected",
                           os.path.basename(fname).replace(".bin", ".response.bin"))
        if os.path.exists(ref):
            ra = attrs(open(ref, "rb").read()) or []
            want = [t for t, _ in ra if t != 0x8022]
            have = [t for t in got_types if t != 0x8022]
            if want != have:
                why.append("attributes " + ",".join(f"{t:#06x}" for t in have) +
                           " differ from the reference " + ",".join(f"{t:#06x}" for t in want))
    desc = f" from {REF[src_ip]}:{REF_PORT[int(src_port)]}" + \
        (" to the RESPONSE-PORT" if exp_sock == "R" else "")
    tap(ctx, not why, label + desc, "; ".join(why))


def build(tid, flags, classic, padding=0):
    """A Binding Request with CHANGE-REQUEST flags (None: without one)."""
    body = b""
    if flags is not None:
        body += struct.pack("!HHI", 0x0003, 4, flags)
    if padding:
        body += struct.pack("!HH", 0x0026, padding) + b"\0" * ((padding + 3) & ~3)
    if classic:
        return struct.pack("!HH", 1, len(body)) + tid + body
    return struct.pack("!HHI", 1, len(body), COOKIE) + tid + body


def matrix(ctx, o):
    """RFC 5780 section 6.1 Table 1 from each of the four addresses: every
    CHANGE-REQUEST combination, modern and classic."""
    roles = [("A1", "P1"), ("A1", "P2"), ("A2", "P1"), ("A2", "P2")]
    other = {"A1": "A2", "A2": "A1", "P1": "P2", "P2": "P1"}
    me = (norm(o.client), ctx.sport)
    for ip_r, port_r in roles:
        to = ctx.where[(ip_r, port_r)]
        for flags in (None, 0, 2, 4, 6):
            for classic in (False, True):
                tid = os.urandom(16 if classic else 12)
                req = build(tid, flags, classic)
                src = (other[ip_r] if flags and flags & 4 else ip_r,
                       other[port_r] if flags and flags & 2 else port_r)
                exp_from = (norm(ctx.where[src][0]), ctx.where[src][1])
                exp_other = ctx.adv(*ctx.where[(other[ip_r], other[port_r])])
                name = (f"{o.label} matrix: {'classic' if classic else 'modern'} to "
                        f"{ip_r}:{port_r} CHANGE-REQUEST "
                        f"{'absent' if flags is None else hex(flags)} answered from "
                        f"{src[0]}:{src[1]}")
                ctx.server = to
                got = ctx.ask(req, req[4:20])
                if got is None:
                    tap(ctx, False, name, "no answer")
                    continue
                sock, resp, frm = got
                d = dict(reversed(attrs(resp) or []))
                why = []
                if struct.unpack("!H", resp[:2])[0] != 0x0101:
                    why.append(f"type {resp[:2].hex()}")
                if frm != exp_from or sock != "S":
                    why.append(f"came from {frm} to {sock}, expected {exp_from}")
                ot, og = (0x0005, 0x0004) if classic else (0x802C, 0x802B)
                if 0x0001 not in d or (norm(addr(d[0x0001])[0]), addr(d[0x0001])[1]) != me:
                    why.append("MAPPED-ADDRESS")
                if og not in d or (norm(addr(d[og])[0]), addr(d[og])[1]) != ctx.adv(*exp_from):
                    why.append(f"{NAMES[og]} {addr(d[og]) if og in d else None}")
                if ot not in d or (norm(addr(d[ot])[0]), addr(d[ot])[1]) != exp_other:
                    why.append(f"{NAMES[ot]} {addr(d[ot]) if ot in d else None}, "
                               f"expected {exp_other}")
                tap(ctx, not why, name, "; ".join(why))
    ctx.server = (o.a1, o.p1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True,
                   choices=["dual-ip", "single-ip", "dual-ip/udp/no-response-port"])
    p.add_argument("--a1", required=True)
    p.add_argument("--a2", default=None)
    p.add_argument("--p1", type=int, required=True)
    p.add_argument("--p2", type=int, default=0)
    p.add_argument("--adv1")
    p.add_argument("--adv2")
    p.add_argument("--client", required=True)
    p.add_argument("--label", default="")
    p.add_argument("--only", help="comma-separated substrings of file names")
    p.add_argument("--matrix", action="store_true",
                   help="also every CHANGE-REQUEST combination sent to each of the "
                        "four addresses (dual-ip)")
    p.add_argument("--dir", default="tests/data/vectors")
    o = p.parse_args()
    o.dual = o.config.startswith("dual-ip")
    table = o.config if "/" in o.config else o.config + "/udp"
    if not o.a2:
        o.a2 = o.a1
    o.label = o.label or o.config
    ctx = Ctx(o)
    n = 0
    with open(os.path.join(o.dir, "expected.tsv")) as f:
        for line in f:
            row = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(row) < 6 or row[1] != table:
                continue
            if o.only and not any(s in row[0] for s in o.only.split(",")):
                continue
            check_row(ctx, o, row)
            n += 1
    tap(ctx, n > 0, f"{o.label}: {n} rows of {table} replayed", "no rows")
    if o.matrix and o.dual:
        matrix(ctx, o)
    print("# received " + " ".join(f"{k}={v}" for k, v in ctx.counts.items()))
    return 1 if ctx.failed else 0


if __name__ == "__main__":
    sys.exit(main())
