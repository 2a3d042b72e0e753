# SPDX-License-Identifier: MIT
"""stunring.serve(): stunringd's server embedded in this Python process,
queried from plain Python sockets, several at once, compared with
stunprobe, and without signal handlers or stderr output of its own."""
import json
import os
import socket
import struct
import subprocess
import sys
import textwrap

import pytest

import stunring

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUNPROBE = os.environ.get("STUNPROBE", os.path.join(ROOT, "build", "stunprobe"))
COOKIE = 0x2112A442


def binding(host: str, port: int, timeout: float = 1.0):
    """One RFC 8489 Binding Request from a fresh socket, decoded by hand:
    (our socket's address, XOR-MAPPED-ADDRESS, SOFTWARE)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        s.settimeout(timeout)
        tid = os.urandom(12)
        s.sendto(struct.pack("!HHI", 0x0001, 0, COOKIE) + tid, (host, port))
        data = s.recv(2048)
        local = s.getsockname()[:2]
    mtype, mlen, cookie = struct.unpack("!HHI", data[:8])
    assert (mtype, cookie, data[8:20]) == (0x0101, COOKIE, tid)
    attrs, i, mapped, software = data[20:20 + mlen], 0, None, None
    while i + 4 <= len(attrs):
        t, n = struct.unpack("!HH", attrs[i:i + 4])
        v = attrs[i + 4:i + 4 + n]
        if t == 0x0020:        # XOR-MAPPED-ADDRESS
            xport = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
            key = struct.pack("!I", COOKIE) + tid
            ip = bytes(a ^ b for a, b in zip(v[4:], key))
            mapped = (socket.inet_ntop(fam, ip), xport)
        elif t == 0x8022:      # SOFTWARE
            software = v.decode()
        i += 4 + n + (-n % 4)
    return local, mapped, software


def test_serve_port_zero_and_answer_python_socket():
    with stunring.serve("127.0.0.1", 0, software="lan-app") as srv:
        assert srv.port > 0 and srv.running
        local, mapped, software = binding("127.0.0.1", srv.port)
        assert mapped == local and software == "lan-app"
        st = srv.stats()
        assert (st.requests, st.answered, st.failed) == (1, 1, False)
    assert not srv.running
    with pytest.raises(stunring.StunError):
        srv.stats()
    srv.stop()      # idempotent


def test_stopped_server_no_longer_answers():
    srv = stunring.serve("127.0.0.1", 0)
    port = srv.port
    binding("127.0.0.1", port)
    srv.stop()
    with pytest.raises(OSError):        # refused (ICMP) or timeout
        binding("127.0.0.1", port, timeout=0.5)


def test_several_servers_in_one_process():
    servers = [stunring.serve("127.0.0.1", 0, software=f"srv{i}", workers=1 + i % 2)
               for i in range(3)]
    try:
        assert len({s.port for s in servers}) == 3
        for i, s in enumerate(servers):
            for _ in range(3):
                assert binding("127.0.0.1", s.port)[2] == f"srv{i}"
        servers[1].stop()
        for i in (0, 2):
            assert binding("127.0.0.1", servers[i].port)[2] == f"srv{i}"
            assert servers[i].stats().answered == 4
    finally:
        for s in servers:
            s.stop()


def test_ipv6_and_mmsg_engine():
    try:
        srv = stunring.serve("::1", 0, engine="mmsg", software="v6")
    except stunring.StunError as e:
        pytest.skip(f"no IPv6 loopback: {e}")
    with srv:
        local, mapped, software = binding("::1", srv.port)
        assert mapped == local and software == "v6"


def test_options_and_errors():
    with pytest.raises(stunring.StunError, match="not assigned|cannot listen"):
        stunring.serve("192.0.2.1", 3478)
    with pytest.raises(stunring.StunError, match="stunringd's"):
        stunring.serve("127.0.0.1", 0, options=["xdp=eth0"])
    with pytest.raises(stunring.StunError, match="unknown option"):
        stunring.serve("127.0.0.1", 0, options=["no-such-key=1"])
    with pytest.raises(stunring.StunError, match="rate-limit"):
        stunring.serve("127.0.0.1", 0, options=["rate-limit=lots"])
    # A real stunringd.conf key: a deny list that covers loopback.
    with stunring.serve("127.0.0.1", 0, options=["deny=127.0.0.0/8"]) as srv:
        with pytest.raises(socket.timeout):
            binding("127.0.0.1", srv.port, timeout=0.3)
        assert srv.stats().limited == 1


def test_log_callback_only():
    lines = []
    with stunring.serve("127.0.0.1", 0, log=lambda lvl, line: lines.append((lvl, line)),
                        log_level=2) as srv:
        binding("127.0.0.1", srv.port)
    assert any("listening on 127.0.0.1:" in line for _, line in lines)
    assert all(lvl <= 2 for lvl, _ in lines)



def test_no_stderr_no_signal_handlers():
    """In a fresh interpreter: serving and stopping write nothing to stderr
    or stdout, and install no signal handler (SigCgt of /proc/self/status,
    which sees C handlers too)."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.join(ROOT, 'tools', 'python')!r})
        import stunring, socket, os, struct
        def caught():
            with open('/proc/self/status') as f:
                return next(l.split()[1] for l in f if l.startswith('SigCgt:'))
        before = caught()
        srv = stunring.serve('127.0.0.1', 0, workers=2)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(struct.pack('!HHI', 1, 0, 0x2112A442) + os.urandom(12), ('127.0.0.1', srv.port))
        s.recv(100)
        s.sendto(b'not stun at all', ('127.0.0.1', srv.port))
        during = caught()
        srv.stop()
        sys.stderr.flush()
        os.write(int(sys.argv[1]), ('%s %s %s' % (before, during, caught())).encode())
    """)
    r, w = os.pipe()
    p = subprocess.run([sys.executable, "-c", code, str(w)], capture_output=True,
                       pass_fds=(w,), timeout=30,
                       env=dict(os.environ, STUNRING_LIB=os.environ["STUNRING_LIB"]))
    os.close(w)
    masks = os.read(r, 200).decode().split()
    os.close(r)
    assert p.returncode == 0, p.stderr
    assert (p.stdout, p.stderr) == (b"", b"")
    # The standard signals (1-31); glibc's own thread signals (32, 33)
    # appear with the first thread of any program.
    std = [int(m, 16) & 0x7FFFFFFF for m in masks]
    assert len(std) == 3 and std[0] == std[1] == std[2]


def test_same_answer_as_stunprobe_and_client():
    if not os.access(STUNPROBE, os.X_OK):
        pytest.skip("build/stunprobe not built")
    with stunring.serve("127.0.0.1", 0, software="embedded") as srv:
        server = f"127.0.0.1:{srv.port}"
        out = subprocess.run([STUNPROBE, "--json", server], capture_output=True,
                             text=True, timeout=30)
        j = json.loads(out.stdout)
        a = stunring.mapped_address(server, timeout=1)
        assert (j["result"], j["software"], j["mapped"].split(":")[0]) == \
            ("ok", "embedded", a.ip)
        assert a.software == "embedded" and a.local == (a.ip, a.port)
        assert srv.stats().answered == 2
