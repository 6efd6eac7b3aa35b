"""The systemd unit as systemd itself reads it: `systemd-analyze verify`
finds nothing wrong with contrib/portcullis.service (its binary paths
pointed at the build, its man: links at the docs), the offline security
assessment stays at the level docs/security.md states, and the unit's
capability bounding set is the table of docs/security.md, no more, no less.

systemd is not PID 1 on the test machines, so this is systemd's parser
and assessor, not a run under systemd.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_unit.py

Spec: issue 12 item 3.
"""
import os
import re
import shutil
import subprocess

import pytest

from pc_server import BIN, REPO

UNIT = os.path.join(REPO, "contrib", "portcullis.service")
SECURITY_MD = os.path.join(REPO, "docs", "security.md")


def analyze():
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze missing: contrib/install-deps.sh test "
                    "installs the systemd package")
    return exe


def unit_text():
    with open(UNIT) as f:
        return f.read()


def test_verify_clean(tmp_path):
    unit = tmp_path / "portcullis.service"
    unit.write_text(unit_text().replace("/usr/local/sbin/portcullis",
                                        os.path.abspath(BIN)))
    for sec, page in (("man8", "portcullis.8"), ("man5", "portcullis.cfg.5")):
        (tmp_path / "man" / sec).mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(REPO, "docs", page),
                    tmp_path / "man" / sec / page)
    env = dict(os.environ, MANPATH=str(tmp_path / "man"))
    r = subprocess.run([analyze(), "verify", str(unit)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def stated_exposure():
    with open(SECURITY_MD) as f:
        m = re.search(r"gives \*\*(\d+\.\d) OK\*\*", f.read())
    assert m, "docs/security.md states no systemd-analyze figure"
    return float(m.group(1))


def test_exposure_as_documented():
    r = subprocess.run([analyze(), "security", "--offline=true", UNIT],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for portcullis\.service: "
                  r"(\d+\.\d)", r.stdout)
    assert m, r.stdout[-2000:] + r.stderr
    assert float(m.group(1)) <= stated_exposure(), m.group(0)


def test_capabilities_are_the_documented_ones():
    caps = set()
    for ln in unit_text().splitlines():
        if ln.startswith("CapabilityBoundingSet="):
            caps |= set(ln.split("=", 1)[1].split())
    with open(SECURITY_MD) as f:
        doc = f.read()
    start = doc.index("| capability | why (code) |")
    table = doc[start:doc.index("\n\n", start)]
    documented = set(re.findall(r"`(CAP_[A-Z_]+)`", table))
    assert caps and caps == documented, (sorted(caps), sorted(documented))
