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
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from tunnel_burst import burst, rss_kb  # noqa: E402
from benchlib import children, free_port, kill_pid, \
    start_server  # noqa: E402


def main(argv):
    rounds = int(argv[1]) if len(argv) > 1 else 3
    per = int(argv[2]) if len(argv) > 2 else 5000
    nb = int(argv[3]) if len(argv) > 3 else 2
    d = Path(tempfile.mkdtemp(prefix="pc-heap-"))
    port = free_port()
    proc = start_server(d, f"maxconn 30000\nlog {d}/access.log\n"
                        f"workers 1\nsocks -i127.0.0.1 -p{port}\n", port, 1)
    pid = children(proc.pid)[0]
    idle = []
    try:
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
        kill_pid(pid)
    return 1 if any(x > idle[0] * 1.10 for x in idle) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
