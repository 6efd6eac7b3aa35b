"""Heap after bursts (issue 14 item 10): `workers 1` of socks, rounds of
10,000 SOCKS5 tunnels (two bursts of 5,000 open at once, 4 KiB echoed
through each, then all closed), the worker's RSS at the start, at each
burst's peak and 2 s after each round.

  /usr/bin/python3 bench/heap_trim.py [ROUNDS [PER_BURST [BURSTS]]]
  (defaults 3 rounds, 5000 tunnels a burst, 2 bursts a round)

Prints one line per round and exits 1 when a round's idle RSS is more
than 10 % above the first round's.  Everything it starts is stopped by
PID.
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from tunnel_burst import burst, rss_kb  # noqa: E402
from benchlib import BIN, free_port, kill_pid, listening, \
    wait_for, children  # noqa: E402


def main(argv):
    rounds = int(argv[1]) if len(argv) > 1 else 3
    per = int(argv[2]) if len(argv) > 2 else 5000
    nb = int(argv[3]) if len(argv) > 3 else 2
    d = Path(tempfile.mkdtemp(prefix="pc-heap-"))
    port = free_port()
    cfg = d / "heap.cfg"
    cfg.write_text(f"maxconn 30000\nlog {d}/access.log\nworkers 1\n"
                   f"socks -i127.0.0.1 -p{port}\n")
    err = open(d / "stderr.txt", "wb")
    proc = subprocess.Popen([BIN, str(cfg)], stdout=err, stderr=err,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    err.close()
    seen = set()
    idle = []
    try:
        if not wait_for(lambda: listening(port) and
                        len(children(proc.pid)) >= 1, 15):
            raise RuntimeError("portcullis did not start")
        pid = children(proc.pid)[0]
        seen.add(pid)
        burst(port, 64)
        time.sleep(2)
        start = rss_kb(pid)
        print(f"worker RSS at the start {start} KiB")
        for i in range(rounds):
            peaks = [burst(port, per, at_peak=lambda: rss_kb(pid))
                     for _ in range(nb)]
            time.sleep(2)
            idle.append(rss_kb(pid))
            print(f"round {i + 1}: {per * nb} tunnels, peak "
                  f"{max(peaks)} KiB, idle after {idle[-1]} KiB "
                  f"({100 * idle[-1] / idle[0]:.0f} % of round 1's)")
    finally:
        kill_pid(proc.pid)
        for p in seen:
            kill_pid(p)
    return 1 if any(x > idle[0] * 1.10 for x in idle) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
