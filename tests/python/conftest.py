# SPDX-License-Identifier: MIT
"""pytest setup for the stunring package's tests.

The package is imported from tools/python and libstunring.so.0 from build/
(STUNRING_LIB), so the tests run the tree being built.  With STUNRING_TAP
set, each test's result is appended to that file as a TAP line (without a
number: the wrapper scripts number them), so tests/run-tests.sh counts
them like every other test.
"""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "python"))
os.environ.setdefault("STUNRING_LIB", os.path.join(ROOT, "build", "libstunring.so.0"))


def _tap(line: str) -> None:
    path = os.environ.get("STUNRING_TAP")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def pytest_runtest_logreport(report):
    name = report.nodeid.split("::", 1)[-1]
    if report.skipped and report.when in ("setup", "call"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
        _tap(f"ok - {name} # SKIP {reason}")
    elif report.failed:
        _tap(f"not ok - {name} ({report.when})")
    elif report.when == "call" and report.passed:
        _tap(f"ok - {name}")
