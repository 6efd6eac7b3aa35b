"""Kill run (issue 14 item 2): SIGKILL a random serving worker of a master
every MIN..MAX seconds and measure how long its slot stays empty.

The respawn time of one kill is the replacement's start time (field 22 of
/proc/PID/stat, in clock ticks since boot, 10 ms at USER_HZ 100) minus
the moment of the kill (CLOCK_BOOTTIME, the same clock), so the figure
does not depend on how fast this process polls.  Used by
tests/e2e/test_respawn.py (a few seconds) and bench/respawn_kill.py
(60 s).
"""
import math
import os
import random
import signal
import time

from pc_server import proc_stat_fields

HZ = os.sysconf("SC_CLK_TCK")


def workers(ppid):
    """Live children of ppid: {pid: start time in seconds since boot}."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat_fields(int(d))
        if st and int(st[1]) == ppid and st[0] != "Z":
            out[int(d)] = int(st[19]) / HZ
    return out


def boot_now():
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def kill_run(master, nworkers, secs, every=(0.5, 2.0), settle=0.2,
             wait=10.0, seed=None):
    """Kill for secs seconds; returns (respawn times in s, kills whose
    slot was not refilled within wait seconds).  Only workers older than
    settle seconds are picked (a worker killed before READY backs off by
    design).  Waits between kills until the pool is full again."""
    rnd = random.Random(seed)
    times, lost = [], 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        time.sleep(rnd.uniform(*every))
        pool = workers(master)
        now = boot_now()
        ripe = [p for p, t in pool.items() if now - t >= settle]
        if len(pool) < nworkers or not ripe:
            continue
        victim = rnd.choice(ripe)
        before = set(pool)
        t_kill = boot_now()
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + wait
        new = {}
        while time.monotonic() < deadline:
            new = {p: t for p, t in workers(master).items()
                   if p not in before}
            if new:
                break
            time.sleep(0.005)
        if not new:
            lost += 1
            continue
        # start times are whole ticks: a fork in the kill's own tick can
        # read as slightly before it
        times.append(max(0.0, min(new.values()) - t_kill))
    return times, lost


def pct(xs, q):
    """The q-th percentile (nearest rank) of xs."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, math.ceil(q / 100.0 * len(s)) - 1))
    return s[k]
