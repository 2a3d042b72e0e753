# SPDX-License-Identifier: MIT
"""stunring: STUN from Python, over libstunring.so (the C library of stunring).

    >>> import stunring
    >>> a = stunring.mapped_address(["stun.example.org", "192.0.2.7:3478"])
    >>> a.ip, a.port, a.server, a.rtt
    >>> stunring.nat_type("stun.example.org")        # pystun's names
    'Port Restricted Cone'
    >>> stunring.nat_behavior("stun.example.org").mapping
    'endpoint-independent'
    >>> with stunring.serve("0.0.0.0", 3478, software="my app") as srv:
    ...     run_the_app()                  # STUN answered by C threads

Every call blocks (the GIL is released meanwhile: other Python threads run)
and raises StunError when it cannot give an answer.  Servers are "HOST",
"HOST:PORT" or "[IPv6]:PORT"; host names are resolved, IPv4 and IPv6.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple, Union

from . import _lib

__all__ = [
    "MappedAddress", "NatBehavior", "ServerFailure", "StunError",
    "NoServerAnswered", "mapped_address", "nat_behavior", "nat_type",
    "get_ip_info", "NAT_TYPES", "serve", "Server", "ServerStats",
]

#: The classic names nat_type() returns (pystun's vocabulary).
NAT_TYPES = ("Open Internet", "Full Cone", "Restricted Cone",
             "Port Restricted Cone", "Symmetric", "Symmetric UDP Firewall",
             "Blocked")

DEFAULT_TIMEOUT = 2.75
_BLOCKED = 1          # STUNRING_NAT_BLOCKED


class StunError(Exception):
    """A STUN query could not give its answer."""


@dataclass(frozen=True)
class ServerFailure:
    """What one server address did instead of answering."""
    server: str              #: the argument as given
    address: Optional[str]   #: "IP:PORT" tried, None when it did not resolve
    status: str              #: e.g. "no answer (timeout)", "error response"
    detail: str              #: e.g. "no answer after 4 request(s)"
    error_code: Optional[int] = None   #: STUN error code, with "error response"

    def __str__(self) -> str:
        where = f" ({self.address})" if self.address and \
            self.address != self.server else ""
        return f"{self.server}{where}: {self.detail}"


class NoServerAnswered(StunError):
    """No server gave a mapped address; .failures says what each did."""

    def __init__(self, failures: Sequence[ServerFailure]):
        self.failures = list(failures)
        lines = "; ".join(str(f) for f in self.failures) or "no servers given"
        super().__init__(f"no STUN server answered: {lines}")


@dataclass(frozen=True)
class MappedAddress:
    """The public (server-reflexive) address of a UDP socket."""
    ip: str
    port: int
    server: str       #: the server argument that answered
    rtt: float        #: seconds, first request to the answer
    local: Tuple[str, int] = ("", 0)   #: the socket this is the mapping of
    software: Optional[str] = None     #: the server's SOFTWARE


@dataclass(frozen=True)
class NatBehavior:
    """RFC 5780 verdicts: "endpoint-independent", "address-dependent",
    "address-and-port-dependent" or "unknown" (see .notes)."""
    mapping: str
    filtering: str
    hairpinning: Optional[bool]   #: None unless hairpin=True was asked
    nat: Optional[bool]
    mapped: Tuple[str, int]
    other: Optional[Tuple[str, int]]   #: the server's OTHER-ADDRESS
    nat_type: str                      #: the classic name these imply
    alg: bool                          #: MAPPED-ADDRESS rewritten on the path
    complete: bool
    notes: Tuple[str, ...] = ()


def _s(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _ep(e: _lib.Endpoint) -> Optional[Tuple[str, int]]:
    return (_s(e.ip), e.port) if e.family else None


def _fmt(e: _lib.Endpoint) -> Optional[str]:
    if not e.family:
        return None
    ip = _s(e.ip)
    return f"[{ip}]:{e.port}" if e.family == 6 else f"{ip}:{e.port}"


def _opts(timeout: float, family: int = 0, software: Optional[str] = None,
          bind: Optional[str] = None, fingerprint: bool = True,
          hairpin: bool = False, modern_requests: bool = False) -> _lib.Opts:
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if family not in (0, 4, 6):
        raise ValueError("family must be 0, 4 or 6")
    return _lib.Opts(
        timeout_ms=max(1, int(timeout * 1000)), family=family,
        software=software.encode() if software else None,
        no_fingerprint=not fingerprint,
        bind=bind.encode() if bind else None,
        hairpin=hairpin, modern_requests=modern_requests)


def _status_name(s: int) -> str:
    return _s(_lib.lib.stunring_probe_status_name(s))


def mapped_address(servers: Union[str, Sequence[str]], *,
                   timeout: float = DEFAULT_TIMEOUT, family: int = 0,
                   software: Optional[str] = None, bind: Optional[str] = None,
                   fingerprint: bool = True) -> MappedAddress:
    """Ask each server in turn for this host's public address.

    servers: one "HOST[:PORT]" or a list of them, tried in order (every
    address of a name, in the resolver's order) until one answers.
    timeout: seconds per server address; requests are retransmitted within
    it as RFC 8489 says.  family: 0 (any), 4 or 6.  bind: local "IP[:PORT]".
    Raises NoServerAnswered listing what each server did.
    """
    if isinstance(servers, str):
        servers = [servers]
    servers = list(servers)
    args = (ctypes.c_char_p * max(1, len(servers)))(
        *[s.encode() for s in servers])
    opts = _opts(timeout, family, software, bind, fingerprint)
    out = _lib.Mapped()
    rc = _lib.lib.stunring_mapped_address(args, len(servers), ctypes.byref(opts),
                                          ctypes.byref(out))
    if rc == 0:
        return MappedAddress(
            ip=_s(out.mapped.ip), port=out.mapped.port,
            server=servers[out.server_index], rtt=out.rtt_ms / 1000.0,
            local=(_s(out.local.ip), out.local.port),
            software=_s(out.software) or None)
    failures = []
    for f in out.failures[:min(out.n_failures, _lib.MAX_FAILURES)]:
        failures.append(ServerFailure(
            server=servers[f.server_index] if f.server_index < len(servers) else "",
            address=_fmt(f.server), status=_status_name(f.status),
            detail=_s(f.detail), error_code=f.error_code or None))
    raise NoServerAnswered(failures)


def nat_behavior(server: str, *, timeout: float = DEFAULT_TIMEOUT,
                 hairpin: bool = False, family: int = 0,
                 software: Optional[str] = None,
                 bind: Optional[str] = None) -> NatBehavior:
    """RFC 5780 NAT behaviour discovery against one RFC 5780 server (one
    with an OTHER-ADDRESS): mapping, filtering and, with hairpin=True,
    hairpinning.  A verdict the tests could not reach is "unknown" (see
    .notes, .complete).  Raises StunError when the server did not answer.
    """
    opts = _opts(timeout, family, software, bind, hairpin=hairpin)
    out = _lib.Behavior()
    rc = _lib.lib.stunring_nat_behavior(server.encode(), ctypes.byref(opts),
                                        ctypes.byref(out))
    if out.status != 0:
        raise StunError(f"{server}: {_status_name(out.status)}: {_s(out.detail)}")
    name = _lib.lib.stunring_dependence_name
    return NatBehavior(
        mapping=_s(name(out.mapping)), filtering=_s(name(out.filtering)),
        hairpinning=None if out.hairpin < 0 else bool(out.hairpin),
        nat=None if out.nat < 0 else bool(out.nat),
        mapped=_ep(out.mapped) or ("", 0), other=_ep(out.other),
        nat_type=_s(_lib.lib.stunring_nat_type_name(out.nat_type)),
        alg=bool(out.alg), complete=rc == 0,
        notes=tuple(dict.fromkeys(
            n for n in (_s(out.mapping_note), _s(out.filtering_note)) if n)))


def _classic(server: str, timeout: float, modern_requests: bool,
             bind: Optional[str]) -> _lib.Classic:
    opts = _opts(timeout, bind=bind, modern_requests=modern_requests)
    out = _lib.Classic()
    rc = _lib.lib.stunring_nat_type(server.encode(), ctypes.byref(opts),
                                    ctypes.byref(out))
    if rc != 0:
        why = _s(out.note) or _s(out.detail) or _status_name(out.status)
        raise StunError(f"{server}: NAT type unknown: {why}")
    return out


def nat_type(server: str, *, timeout: float = DEFAULT_TIMEOUT,
             modern_requests: bool = False, bind: Optional[str] = None) -> str:
    """The classic RFC 3489 NAT type, by RFC 3489's decision tree (done
    right: Test III goes to the primary address).  One of NAT_TYPES;
    "Blocked" when the server never answered.  Raises StunError when the
    type cannot be told (e.g. the server has no CHANGED-ADDRESS).
    """
    return _s(_lib.lib.stunring_nat_type_name(
        _classic(server, timeout, modern_requests, bind).nat_type))


def get_ip_info(source_ip: str = "0.0.0.0", source_port: int = 0,
                stun_host: Optional[str] = None, stun_port: int = 3478
                ) -> Tuple[str, Optional[str], Optional[int]]:
    """pystun's call: (nat_type, external_ip, external_port); the external
    address is None when blocked.  A drop-in for `stun.get_ip_info`."""
    if not stun_host:
        raise ValueError("stun_host is required (no public default server)")
    host = f"[{stun_host}]" if ":" in stun_host else stun_host
    bind = None
    if source_ip not in ("0.0.0.0", "") or source_port:
        bind = f"{source_ip}:{source_port}" if ":" not in source_ip \
            else f"[{source_ip}]:{source_port}"
    out = _classic(f"{host}:{stun_port}", DEFAULT_TIMEOUT, False, bind)
    name = _s(_lib.lib.stunring_nat_type_name(out.nat_type))
    if out.nat_type == _BLOCKED or not out.mapped.family:
        return name, None, None
    return name, _s(out.mapped.ip), out.mapped.port


# ---- the embedded server ---------------------------------------------------

@dataclass(frozen=True)
class ServerStats:
    """A server's counters, summed over its workers."""
    received: int       #: datagrams
    requests: int       #: that reached the STUN codec
    answered: int       #: success responses sent
    errors: int         #: error responses sent (400, 420)
    dropped: int        #: no reply: not STUN, malformed...
    limited: int        #: no reply: ACL, rate limits
    send_failed: int    #: replies the kernel refused
    failed: bool        #: a worker's engine failed while serving


class Server:
    """A running embedded STUN server (see serve()).  Its workers are C
    threads of this process: answering never enters Python."""

    def __init__(self, handle: int, host: str, port: int, keep: tuple):
        self._handle: Optional[int] = handle
        self._keep = keep           # what C still points to
        self._lock = threading.Lock()
        self.host = host
        #: the UDP port it listens on (the kernel's pick when 0 was asked)
        self.port = port

    @property
    def running(self) -> bool:
        return self._handle is not None

    def stats(self) -> ServerStats:
        """The counters so far."""
        with self._lock:
            if self._handle is None:
                raise StunError("server stopped")
            st = _lib.ServerStats()
            _lib.lib.stunring_server_stats(self._handle, ctypes.byref(st))
        return ServerStats(st.received, st.requests, st.answered, st.errors,
                           st.dropped, st.limited, st.send_failed, bool(st.failed))

    def stop(self) -> None:
        """Answer what is queued, stop the workers, close the sockets.
        Idempotent."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            _lib.lib.stunring_server_stop(handle)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<stunring.Server {self.host}:{self.port} {state}>"


def serve(host: str = "0.0.0.0", port: int = 3478, *,
          software: Optional[str] = None, workers: int = 1,
          engine: str = "auto", fingerprint: bool = False,
          options: Optional[Sequence[str]] = None,
          log: Optional[Callable[[int, str], None]] = None,
          log_level: int = 1) -> Server:
    """Start stunringd's STUN server inside this process, on UDP host:port
    (port 0: the kernel picks, see .port), with `workers` threads and the
    io_uring engine when the kernel allows ("auto"; or "uring", "mmsg").

    software: the SOFTWARE attribute of answers.  options: more of
    stunringd.conf(5)'s keys as "key=value" ("rate-limit=100",
    "alt-ip=192.0.2.2", ...).  log(level, line) receives the server's log
    lines up to log_level (0 errors, 1 warnings, 2 info, 3 debug), from
    its threads; without it the server logs nothing.
    Returns a Server (a context manager); raises StunError when it cannot
    start (the address is taken, not local, ...).  Keep the Server: like a
    socket, it stops when its last reference goes.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    opts = [o.encode() for o in (options or ())]
    c_opts = (ctypes.c_char_p * (len(opts) + 1))(*opts, None)
    cb = _lib.LOG_FN(lambda _u, lvl, line: log(lvl, _s(line))) if log \
        else _lib.LOG_FN()
    cfg = _lib.ServerConfig(
        listen=listen.encode(), workers=workers, engine=engine.encode(),
        software=software.encode() if software else None,
        fingerprint=fingerprint, options=c_opts, log=cb, log_level=log_level)
    handle = ctypes.c_void_p()
    err = ctypes.create_string_buffer(512)
    if _lib.lib.stunring_server_start(ctypes.byref(cfg), ctypes.byref(handle),
                                      err, len(err)):
        raise StunError(f"cannot serve on {listen}: {_s(err.value)}")
    return Server(handle.value, host,
                  _lib.lib.stunring_server_port(handle.value, 0), (cfg, c_opts, cb))
