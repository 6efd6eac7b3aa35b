"""The respawn policy (issue 14 item 2, docs/portcullis.8 WORKER FAILURES):
a crash loop backs off with growing delays and the master says why; a
serving worker killed from outside is replaced at once, however often.

The crash loops come from PORTCULLIS_TEST_CRASH (docs/portcullis.8
ENVIRONMENT): "start" aborts before READY, "ready" is a SIGSEGV and
"sandbox" a forbidden system call right after READY.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_respawn.py -k loop
"""
import os
import re
import time

import pytest

from clients import curl
from kill_probe import kill_run, pct
from pc_server import BIN, cfg_head, free_port

RESPAWN_RE = re.compile(r"proxy 1/1 gen 1: (?P<why>.*): respawning in "
                        r"(?P<delay>[0-9.]+) s \(failure (?P<n>\d+) in a row\)")
DEATH_RE = re.compile(r"proxy 1/1 gen 1 pid \d+ killed by signal (SIG\w+)")


def watch_deaths(srv, count, timeout):
    """Poll the master's stderr from its start; returns, for each of the
    slot's deaths (up to count), (lo, hi, line): the death happened after
    lo (the previous poll) and before hi (the poll that saw it)."""
    seen, prev = [], time.monotonic()
    deadline = prev + timeout
    while len(seen) < count and time.monotonic() < deadline:
        lines = [ln for ln in srv.stderr().splitlines()
                 if DEATH_RE.search(ln)]
        now = time.monotonic()
        for ln in lines[len(seen):]:
            seen.append((prev, now, ln))
        prev = now
        time.sleep(0.02)
    return seen


@pytest.mark.parametrize("hook,why,sig", [
    ("start", "died before READY", "SIGABRT"),
    ("ready", "crashed (SIGSEGV)", "SIGSEGV"),
    ("sandbox", "crashed (SIGSYS)", "SIGSYS"),
])
def test_crash_loop_backs_off(portcullis, hook, why, sig):
    if os.path.basename(os.path.dirname(os.path.abspath(BIN))) == \
            "build-asan":
        pytest.skip("ASan reports the crashes on purpose (and runs "
                    "without the filter)")
    env = {"PORTCULLIS_TEST_CRASH": hook}
    if hook == "sandbox":
        env["PORTCULLIS_SANDBOX"] = "enforce"
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 1\nproxy -i127.0.0.1 -p{port}\n",
                     env=env, wait=False)
    # deaths at about 0, 0.5, 1.5, 3.5 s
    deaths = watch_deaths(srv, 4, 12)
    err = srv.stderr()
    assert len(deaths) == 4, f"{len(deaths)} deaths in 12 s:\n{err}"
    assert all(sig in ln for _, _, ln in deaths), err
    plans = [m for m in map(RESPAWN_RE.search, err.splitlines()) if m]
    assert len(plans) >= 3, f"no back-off logged:\n{err}"
    delays = [float(m["delay"]) for m in plans[:3]]
    assert delays == [0.5, 1.0, 2.0], f"delays {delays}:\n{err}"
    assert [int(m["n"]) for m in plans[:3]] == [1, 2, 3]
    assert all(why in m["why"] for m in plans[:3]), err
    # the delays are kept, not only announced: the longest each gap can
    # have been (a late poll only lengthens it) is at least the delay
    longest = [b[1] - a[0] for a, b in zip(deaths, deaths[1:])]
    for gap, delay in zip(longest, delays):
        assert gap >= delay - 0.05, f"gaps (at most) {longest} < {delays}"
    assert "PORTCULLIS_TEST_CRASH=" + hook in err
    assert srv.running(), "the master ended with its crash-looping worker"


def test_unknown_crash_hook_is_ignored(portcullis, origin):
    port = free_port()
    srv = portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{port}\n",
                     env={"PORTCULLIS_TEST_CRASH": "maybe"})
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
    assert r.status == 200
    assert "PORTCULLIS_TEST_CRASH=maybe: unknown, ignored" in srv.stderr()
    assert "respawning" not in srv.stderr()


def test_outside_kills_are_replaced_at_once(portcullis, origin):
    """SIGKILL a random serving worker of 4 every 0.3-0.8 s for 8 s: most
    slots are killed twice within 10 s, which used to back off 1-8 s."""
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 4\nproxy -i127.0.0.1 -p{port}\n",
                     min_workers=4)
    times, lost = kill_run(srv.pid, 4, 8.0, every=(0.3, 0.8), seed=14)
    err = srv.stderr()
    assert lost == 0, f"{lost} kills not refilled in 10 s:\n{err}"
    assert len(times) >= 8, f"only {len(times)} kills"
    print(f"respawn after SIGKILL: n={len(times)} "
          f"p50={pct(times, 50) * 1000:.0f} ms "
          f"max={max(times) * 1000:.0f} ms")
    assert max(times) < 1.0, f"respawn times {times}"
    assert err.count("respawning now (it was serving)") >= len(times)
    assert "failure" not in err, err
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
    assert r.status == 200
