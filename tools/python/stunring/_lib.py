# SPDX-License-Identifier: MIT
"""ctypes bindings of libstunring.so.0 (stunring_probe.h, stunring_server.h).

The structs mirror the C header field for field; every call is a plain
ctypes.CDLL call, which releases the GIL while the C function blocks.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

IP_STRLEN = 46
TEXT_LEN = 256
SOFTWARE_LEN = 257
MAX_FAILURES = 16


class Opts(ctypes.Structure):
    _fields_ = [
        ("timeout_ms", ctypes.c_uint),
        ("family", ctypes.c_int),
        ("software", ctypes.c_char_p),
        ("no_fingerprint", ctypes.c_bool),
        ("bind", ctypes.c_char_p),
        ("hairpin", ctypes.c_bool),
        ("modern_requests", ctypes.c_bool),
    ]


class Endpoint(ctypes.Structure):
    _fields_ = [
        ("ip", ctypes.c_char * IP_STRLEN),
        ("port", ctypes.c_uint16),
        ("family", ctypes.c_uint8),
    ]


class Failure(ctypes.Structure):
    _fields_ = [
        ("server_index", ctypes.c_uint),
        ("server", Endpoint),
        ("status", ctypes.c_int),
        ("error_code", ctypes.c_int),
        ("detail", ctypes.c_char * TEXT_LEN),
    ]


class Mapped(ctypes.Structure):
    _fields_ = [
        ("mapped", Endpoint),
        ("local", Endpoint),
        ("server", Endpoint),
        ("server_index", ctypes.c_uint),
        ("rtt_ms", ctypes.c_double),
        ("requests_sent", ctypes.c_uint),
        ("software", ctypes.c_char * SOFTWARE_LEN),
        ("n_failures", ctypes.c_uint),
        ("failures", Failure * MAX_FAILURES),
    ]


class Behavior(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_int),
        ("nat", ctypes.c_int),
        ("mapping", ctypes.c_int),
        ("filtering", ctypes.c_int),
        ("hairpin", ctypes.c_int),
        ("nat_type", ctypes.c_int),
        ("alg", ctypes.c_bool),
        ("server", Endpoint),
        ("other", Endpoint),
        ("mapped", Endpoint),
        ("local_filtering", Endpoint),
        ("local_mapping", Endpoint),
        ("software", ctypes.c_char * SOFTWARE_LEN),
        ("mapping_note", ctypes.c_char * TEXT_LEN),
        ("filtering_note", ctypes.c_char * TEXT_LEN),
        ("detail", ctypes.c_char * TEXT_LEN),
    ]


class Classic(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_int),
        ("nat_type", ctypes.c_int),
        ("nat", ctypes.c_int),
        ("server", Endpoint),
        ("changed", Endpoint),
        ("local", Endpoint),
        ("mapped", Endpoint),
        ("software", ctypes.c_char * SOFTWARE_LEN),
        ("note", ctypes.c_char * TEXT_LEN),
        ("detail", ctypes.c_char * TEXT_LEN),
    ]


LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class ServerConfig(ctypes.Structure):
    _fields_ = [
        ("listen", ctypes.c_char_p),
        ("workers", ctypes.c_uint),
        ("engine", ctypes.c_char_p),
        ("software", ctypes.c_char_p),
        ("fingerprint", ctypes.c_bool),
        ("no_classic", ctypes.c_bool),
        ("pin", ctypes.c_bool),
        ("options", ctypes.POINTER(ctypes.c_char_p)),
        ("log", LOG_FN),
        ("log_user", ctypes.c_void_p),
        ("log_level", ctypes.c_int),
    ]


class ServerStats(ctypes.Structure):
    _fields_ = [
        ("received", ctypes.c_uint64),
        ("requests", ctypes.c_uint64),
        ("answered", ctypes.c_uint64),
        ("errors", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64),
        ("limited", ctypes.c_uint64),
        ("send_failed", ctypes.c_uint64),
        ("failed", ctypes.c_bool),
    ]


def _load() -> ctypes.CDLL:
    """libstunring.so.0: $STUNRING_LIB, else the dynamic linker's search."""
    path = os.environ.get("STUNRING_LIB") or ctypes.util.find_library("stunring") \
        or "libstunring.so.0"
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            f"stunring: cannot load {path} ({e}); install libstunring "
            "(make install) or set STUNRING_LIB to the .so") from None
    lib.stunring_mapped_address.argtypes = [
        ctypes.POINTER(ctypes.c_char_p), ctypes.c_uint,
        ctypes.POINTER(Opts), ctypes.POINTER(Mapped)]
    lib.stunring_nat_behavior.argtypes = [
        ctypes.c_char_p, ctypes.POINTER(Opts), ctypes.POINTER(Behavior)]
    lib.stunring_nat_type.argtypes = [
        ctypes.c_char_p, ctypes.POINTER(Opts), ctypes.POINTER(Classic)]
    for name in ("stunring_mapped_address", "stunring_nat_behavior",
                 "stunring_nat_type"):
        getattr(lib, name).restype = ctypes.c_int
    lib.stunring_server_start.argtypes = [
        ctypes.POINTER(ServerConfig), ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_char_p, ctypes.c_size_t]
    lib.stunring_server_start.restype = ctypes.c_int
    lib.stunring_server_port.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.stunring_server_port.restype = ctypes.c_uint16
    lib.stunring_server_stats.argtypes = [ctypes.c_void_p, ctypes.POINTER(ServerStats)]
    lib.stunring_server_stats.restype = ctypes.c_int
    lib.stunring_server_stop.argtypes = [ctypes.c_void_p]
    lib.stunring_server_stop.restype = None
    for name in ("stunring_nat_type_name", "stunring_dependence_name",
                 "stunring_probe_status_name"):
        fn = getattr(lib, name)
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_char_p
    return lib


lib = _load()
