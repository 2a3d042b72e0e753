# SPDX-License-Identifier: MIT
"""nat_behavior() and nat_type() behind one NAT variant of the lab in
tests/e2e/nat_lab.sh (python_nat.sh builds it and runs this in the client
namespace): the verdicts the variant must give, and the same verdicts as
stunprobe's, run beside them from their own ports."""
import json
import os
import subprocess

import pytest

import stunring

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUNPROBE = os.environ.get("STUNPROBE", os.path.join(ROOT, "build", "stunprobe"))
VARIANT = os.environ.get("NAT_VARIANT", "")
# Expected: nat, mapping, filtering, classic name, hairpin ("-": untested).
WANT = os.environ.get("NAT_EXPECT", "").split("|")
BEHAVIOR_SERVER = "198.18.0.2:3478"   # coturn, RFC 5780
CLASSIC_SERVER = "198.18.0.2:3480"    # stund, RFC 3489

pytestmark = pytest.mark.skipif(len(WANT) != 5, reason="run by tests/e2e/python_nat.sh")


def classic_name(stunprobe_name: str) -> str:
    """stunprobe says "Symmetric NAT", the package pystun's "Symmetric"."""
    return "Symmetric" if stunprobe_name == "Symmetric NAT" else stunprobe_name


@pytest.fixture(scope="module")
def stunprobe():
    """stunprobe --behavior and --classic, started before the package's
    calls and collected after them."""
    hp = ["--hairpin"] if WANT[4] != "-" else []
    procs = {
        "behavior": subprocess.Popen([STUNPROBE, "--json", "--behavior", *hp,
                                      BEHAVIOR_SERVER], stdout=subprocess.PIPE, text=True),
        "classic": subprocess.Popen([STUNPROBE, "--json", "--classic", CLASSIC_SERVER],
                                    stdout=subprocess.PIPE, text=True),
    }

    def result(name):
        out, _ = procs[name].communicate(timeout=120)
        return json.loads(out)
    yield result
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.wait()


def test_nat_behavior(stunprobe):
    nat, mapping, filtering, name, hairpin = WANT
    if VARIANT == "blocked":
        with pytest.raises(stunring.StunError, match="no answer"):
            stunring.nat_behavior(BEHAVIOR_SERVER)
        assert stunprobe("behavior")["result"] == "no_answer"
        return
    b = stunring.nat_behavior(BEHAVIOR_SERVER, hairpin=hairpin != "-")
    got = (b.complete, str(b.nat).lower(), b.mapping, b.filtering, b.nat_type)
    assert got == (True, nat, mapping, filtering, classic_name(name))
    if nat == "true":
        assert b.mapped[0] == "198.18.0.1"
    if hairpin != "-":
        assert b.hairpinning == (hairpin == "yes")
    j = stunprobe("behavior")
    assert (str(j["nat"]).lower(), j["mapping"], j["filtering"],
            classic_name(j["classic"])) == got[1:]
    if hairpin != "-":
        assert j["hairpinning"] == hairpin


def test_nat_type(stunprobe):
    name = WANT[3]
    got = stunring.nat_type(CLASSIC_SERVER)
    assert got == classic_name(name)
    assert got in stunring.NAT_TYPES
    assert classic_name(stunprobe("classic")["nat_type"]) == got


def test_get_ip_info():
    """pystun's call: (type, external IP, external port)."""
    t, ip, port = stunring.get_ip_info(stun_host="198.18.0.2", stun_port=3480)
    assert t == classic_name(WANT[3])
    if VARIANT == "blocked":
        assert (ip, port) == (None, None)
    else:
        assert ip == ("198.18.0.1" if WANT[0] == "true" else "10.0.1.2") and port > 0
