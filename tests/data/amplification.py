#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""amplification.py - byte amplification (response bytes / request bytes) of
every answered vector in tests/data/vectors/expected.tsv, per server
configuration (the vectors' config column: basic, classic, RFC 5780 ...).
Prints one Markdown row per configuration: vectors answered, worst ratio and
the vector that has it.  A report (README "Abuse protection"), not a pass/fail
test: the 1.6x target is not met yet (see README)."""
import os
import sys

base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors")
worst = {}
for line in open(os.path.join(base, "expected.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    f, cfg, verdict, _detail, _src, _dst, hexr = line.rstrip("\n").split("\t")
    if hexr == "-":
        continue
    if "#" in f or "/tcp" in cfg:
        continue  # TCP streams: no reflection over TCP
    req = os.path.getsize(os.path.join(base, f))
    ratio = len(bytes.fromhex(hexr)) / req
    n, w, wf = worst.get(cfg, (0, 0.0, ""))
    worst[cfg] = (n + 1, max(w, ratio), f"{f} ({verdict}, {req} -> {len(hexr)//2} B)" if ratio > w else wf)
print("| configuration | answered vectors | worst ratio | worst vector |")
print("|---|---|---|---|")
for cfg in sorted(worst):
    n, w, wf = worst[cfg]
    print(f"| {cfg} | {n} | {w:.2f}x | {wf} |")
