"""Kill run (issue 14 item 2): `workers 4` of `proxy`, SIGKILL of a random
serving worker every 0.5-2 s, and how long each slot stays empty.

  /usr/bin/python3 bench/respawn_kill.py [SECONDS [MIN MAX]]
  (defaults 60 s, a kill every 0.5 to 2.0 s)

The respawn time is the replacement's start time from /proc minus the
kill's (tests/e2e/kill_probe.py).  Prints one line of figures; exits 1
when a slot was not refilled within 10 s or the p99 is 1 s or more.
Everything it starts is stopped by PID.
"""
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from kill_probe import kill_run, pct  # noqa: E402
from benchlib import children, free_port, kill_pid, \
    start_server  # noqa: E402


def main(argv):
    secs = float(argv[1]) if len(argv) > 1 else 60.0
    every = (float(argv[2]), float(argv[3])) if len(argv) > 3 else (0.5, 2.0)
    d = Path(tempfile.mkdtemp(prefix="pc-kill-"))
    port = free_port()
    proc = start_server(d, f"log {d}/access.log\nworkers 4\n"
                        f"proxy -i127.0.0.1 -p{port}\n", port, 4)
    seen = set()     # the live workers at the end (the killed are gone)
    try:
        times, lost = kill_run(proc.pid, 4, secs, every=every)
    finally:
        seen.update(children(proc.pid))
        kill_pid(proc.pid)
        for p in seen:
            kill_pid(p)
    text = (d / "stderr.txt").read_text(errors="replace")
    ms = [t * 1000 for t in times]
    print(f"kill run {secs:.0f} s, workers 4, kill every {every[0]}-"
          f"{every[1]} s: kills {len(ms)}, not refilled {lost}, respawn "
          f"p50 {pct(ms, 50):.0f} ms p99 {pct(ms, 99):.0f} ms max "
          f"{max(ms, default=float('nan')):.0f} ms, backed off "
          f"{text.count('in a row)')}")
    return 1 if lost or not ms or pct(ms, 99) >= 1000 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
