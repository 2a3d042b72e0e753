# SPDX-License-Identifier: MIT
"""The stunring package's client calls on loopback: against stunringd, and
past servers that are dead, silent or answer wrongly (fakes on Python
sockets).  The answers are compared with stunprobe's own."""
import json
import os
import socket
import struct
import subprocess
import threading
import time

import pytest

import stunring

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUNRINGD = os.environ.get("STUNRINGD", os.path.join(ROOT, "build", "stunringd"))
STUNPROBE = os.environ.get("STUNPROBE", os.path.join(ROOT, "build", "stunprobe"))
SOFTWARE = "pytest-stunring"
COOKIE = 0x2112A442


def free_udp_port(host: str = "127.0.0.1") -> int:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_answering(port: int, host: str = "127.0.0.1", within: float = 5.0) -> None:
    """Until the daemon answers a Binding Request (bounded)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            stunring.mapped_address(f"{host}:{port}" if ":" not in host
                                    else f"[{host}]:{port}", timeout=0.2)
            return
        except stunring.StunError:
            time.sleep(0.05)
    raise RuntimeError(f"stunringd on {host}:{port} never answered")


@pytest.fixture(scope="module")
def daemon():
    """stunringd on 127.0.0.1 (and ::1 when there is IPv6): its ports."""
    if not os.access(STUNRINGD, os.X_OK):
        pytest.skip("build/stunringd not built")
    port = free_udp_port()
    args = [STUNRINGD, "-l", f"127.0.0.1:{port}", "-w", "1", "--no-pin", "-s", SOFTWARE]
    port6 = None
    if has_ipv6():
        port6 = free_udp_port("::1")
        args[3:3] = ["-l", f"[::1]:{port6}"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_answering(port)
        yield {"port": port, "port6": port6}
    finally:
        p.terminate()
        p.wait(timeout=10)


class FakeServer:
    """A UDP socket on loopback that answers each request with answer(req)
    (None: stays silent), in its own thread."""

    def __init__(self, answer):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.requests = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                req, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            self.requests += 1
            resp = self.answer(req)
            if resp:
                self.sock.sendto(resp, peer)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def error_response(req: bytes) -> bytes:
    """A well-formed 500 Server Error to the request's transaction."""
    reason = b"Server Error"
    attr = struct.pack("!xxBB", 5, 0) + reason
    attr = struct.pack("!HH", 0x0009, len(attr)) + attr + b"\0" * (-len(attr) % 4)
    return struct.pack("!HHI", 0x0111, len(attr), COOKIE) + req[8:20] + attr


def no_address_response(req: bytes) -> bytes:
    """A success response with no (XOR-)MAPPED-ADDRESS: unusable."""
    return struct.pack("!HHI", 0x0101, 0, COOKIE) + req[8:20]


@pytest.fixture
def fakes():
    made = []

    def make(answer):
        f = FakeServer(answer)
        made.append(f)
        return f
    yield make
    for f in made:
        f.close()


def stunprobe_json(*args: str) -> dict:
    out = subprocess.run([STUNPROBE, "--json", *args], capture_output=True,
                         text=True, timeout=60)
    return json.loads(out.stdout)


def test_mapped_address_from_stunringd(daemon):
    a = stunring.mapped_address([f"127.0.0.1:{daemon['port']}"], timeout=1)
    assert a.ip == "127.0.0.1"
    # On loopback the mapped address is the socket's own.
    assert a.local == ("127.0.0.1", a.port)
    assert a.server == f"127.0.0.1:{daemon['port']}"
    assert a.software == SOFTWARE
    assert 0 < a.rtt < 1


def test_mapped_address_ipv6(daemon):
    if not daemon["port6"]:
        pytest.skip("no IPv6 loopback")
    a = stunring.mapped_address(f"[::1]:{daemon['port6']}", timeout=1)
    assert (a.ip, a.local) == ("::1", ("::1", a.port))


def test_host_name_resolved(daemon):
    a = stunring.mapped_address(f"localhost:{daemon['port']}", timeout=1, family=4)
    assert a.ip == "127.0.0.1" and a.server == f"localhost:{daemon['port']}"


def test_fallback_past_dead_silent_and_wrong_servers(daemon, fakes):
    silent = fakes(lambda req: None)
    erring = fakes(error_response)
    broken = fakes(no_address_response)
    dead = free_udp_port()
    good = f"127.0.0.1:{daemon['port']}"
    servers = ["no-such-host.invalid", f"127.0.0.1:{dead}",
               f"127.0.0.1:{silent.port}", f"127.0.0.1:{erring.port}",
               f"127.0.0.1:{broken.port}", good]
    a = stunring.mapped_address(servers, timeout=0.6)
    assert a.server == good and a.ip == "127.0.0.1"
    assert silent.requests >= 2, "the silent server got retransmissions"
    assert erring.requests == 1 and broken.requests == 1


def test_all_fail_lists_each_server(fakes):
    silent = fakes(lambda req: None)
    erring = fakes(error_response)
    broken = fakes(no_address_response)
    dead = free_udp_port()
    servers = ["no-such-host.invalid", f"127.0.0.1:{dead}",
               f"127.0.0.1:{silent.port}", f"127.0.0.1:{erring.port}",
               f"127.0.0.1:{broken.port}"]
    with pytest.raises(stunring.NoServerAnswered) as e:
        stunring.mapped_address(servers, timeout=0.5)
    f = e.value.failures
    assert [x.server for x in f] == servers
    assert [x.status for x in f] == [
        "bad server name or address", "unreachable (ICMP error)",
        "no answer (timeout)", "error response", "unusable response"]
    assert f[0].address is None and "cannot resolve" in f[0].detail
    assert f[3].error_code == 500 and "Server Error" in f[3].detail
    msg = str(e.value)
    for s in servers:
        assert s in msg


def test_bad_arguments():
    with pytest.raises(ValueError):
        stunring.mapped_address("127.0.0.1", timeout=0)
    with pytest.raises(stunring.NoServerAnswered):
        stunring.mapped_address([], timeout=0.1)


def test_gil_released_and_calls_independent(fakes):
    """Four threads wait on a silent server at once: the waits overlap
    (serially they would take 4 x 1 s) and Python keeps running."""
    silent = fakes(lambda req: None)
    errors = []

    def ask():
        try:
            stunring.mapped_address(f"127.0.0.1:{silent.port}", timeout=1.0)
        except stunring.NoServerAnswered as e:
            errors.append(e)

    t0 = time.monotonic()
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    spins = 0
    while any(t.is_alive() for t in threads):
        spins += 1
        time.sleep(0.001)
    took = time.monotonic() - t0
    assert len(errors) == 4
    assert took < 3.0, f"the four 1 s waits took {took:.2f} s: not concurrent"
    assert spins > 50, "the main thread did not run while the calls blocked"


def test_same_answer_as_stunprobe(daemon):
    if not os.access(STUNPROBE, os.X_OK):
        pytest.skip("build/stunprobe not built")
    server = f"127.0.0.1:{daemon['port']}"
    j = stunprobe_json(server)
    a = stunring.mapped_address(server, timeout=1)
    ip, port = j["mapped"].rsplit(":", 1)
    assert (j["result"], j["server"], j["software"]) == ("ok", server, a.software)
    assert ip == a.ip
    # Each maps its own socket's port.
    assert j["local"] == f"{ip}:{port}" and a.local == (a.ip, a.port)


def test_nat_type_needs_changed_address(daemon):
    """stunringd without --alt-ip has no CHANGED-ADDRESS: the type cannot
    be told, as stunprobe --classic says too."""
    with pytest.raises(stunring.StunError, match="OTHER-ADDRESS/CHANGED-ADDRESS"):
        stunring.nat_type(f"127.0.0.1:{daemon['port']}", timeout=0.5)
    b = stunring.nat_behavior(f"127.0.0.1:{daemon['port']}", timeout=0.5)
    assert (b.complete, b.nat, b.mapping, b.other) == (False, False, "unknown", None)


def test_nat_behavior_silent_server_raises(fakes):
    silent = fakes(lambda req: None)
    with pytest.raises(stunring.StunError, match="timeout"):
        stunring.nat_behavior(f"127.0.0.1:{silent.port}", timeout=0.3)
    # pystun's Blocked: the classic tree's own verdict, not an error.
    assert stunring.nat_type(f"127.0.0.1:{silent.port}", timeout=0.3) == "Blocked"
