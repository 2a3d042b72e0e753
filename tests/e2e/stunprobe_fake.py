#!/usr/bin/env python3
# tests/e2e/stunprobe_fake.py - a deliberately odd STUN "server" for the
# stunprobe tests: answers the way real servers should not, so the client's
# handling of each case can be checked.  IPv4 only, loopback/netns only.
#
# usage: stunprobe_fake.py MODE IP PORT LOGFILE
#   silent    never answer; log each request's transaction ID
#   error     answer 400 Bad Request
#   wrongtid  first a success with a wrong transaction ID, then the right
#             one from ANOTHER port (PORT+1): matching by ID only
#   unknown   success carrying an unknown comprehension-required attribute
#   noaddr    success without any mapped address
#   weird     success whose SOFTWARE has quotes, control bytes, bad UTF-8
#   nochange  success with OTHER-ADDRESS (IP+1, PORT+1) to requests without
#             CHANGE-REQUEST, silence to those with it: what a client sees
#             behind an address-and-port-dependent filter
# Each request is logged as "req TYPE COOKIE TID CHANGE-FLAGS PEER-PORT".
import socket
import struct
import sys

COOKIE = 0x2112A442


def attr(t, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack("!HH", t, len(v)) + v + b"\0" * pad


def xor_mapped(ip, port):
    x = struct.unpack("!I", socket.inet_aton(ip))[0] ^ COOKIE
    return attr(0x0020, struct.pack("!BBHI", 0, 1, port ^ (COOKIE >> 16), x))


def other_address(ip, port):
    a = socket.inet_aton(ip)
    a = a[:3] + bytes([a[3] + 1])
    return attr(0x802C, struct.pack("!BBH", 0, 1, port + 1) + a)


def change_flags(data):
    """CHANGE-REQUEST's flags, 0 when the request has none."""
    pos = 20
    while pos + 4 <= len(data):
        t, n = struct.unpack("!HH", data[pos:pos + 4])
        if t == 0x0003 and n == 4:
            return struct.unpack("!I", data[pos + 4:pos + 8])[0]
        pos += 4 + n + (4 - n % 4) % 4
    return 0


def message(mtype, tid, attrs):
    body = b"".join(attrs)
    return struct.pack("!HHI", mtype, len(body), COOKIE) + tid + body


def main():
    mode, ip, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    alt = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    alt.bind((ip, port + 1))
    with open(log, "a", buffering=1) as f:
        f.write("ready\n")
        while True:
            data, peer = s.recvfrom(2048)
            if len(data) < 20:
                continue
            mtype, _, cookie = struct.unpack("!HHI", data[:8])
            tid = data[8:20]
            change = change_flags(data)
            f.write("req %04x %08x %s %d %d\n" % (mtype, cookie, tid.hex(), change, peer[1]))
            sw = attr(0x8022, b"fake")
            if mode == "silent":
                continue
            if mode == "error":
                ec = attr(0x0009, struct.pack("!HBB", 0, 4, 0) + b"Bad Request")
                s.sendto(message(0x0111, tid, [ec, sw]), peer)
            elif mode == "wrongtid":
                bad = bytes(b ^ 0xFF for b in tid)
                s.sendto(message(0x0101, bad, [xor_mapped("192.0.2.99", 9999)]), peer)
                alt.sendto(message(0x0101, tid, [xor_mapped(*peer), sw]), peer)
            elif mode == "unknown":
                s.sendto(message(0x0101, tid, [xor_mapped(*peer), attr(0x7777, b"x")]), peer)
            elif mode == "weird":
                text = b'a"b\\c\x01\xff\xc3\xa9'
                s.sendto(message(0x0101, tid, [xor_mapped(*peer), attr(0x8022, text)]), peer)
            elif mode == "nochange":
                if not change:
                    s.sendto(message(0x0101, tid, [xor_mapped(*peer), other_address(ip, port), sw]), peer)
            elif mode == "noaddr":
                s.sendto(message(0x0101, tid, [sw]), peer)


if __name__ == "__main__":
    main()
