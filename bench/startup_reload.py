"""Start-up and reload time for N services (issue 14 item 5: measured
before and after fork+exec spawning).

  /usr/bin/python3 bench/startup_reload.py [SERVICES [WORKERS [ROUNDS]]]
  (defaults 100 services, `workers 1`, 5 rounds)

The server gets a NOTIFY_SOCKET of the bench's own (master/notify.c):
start-up is the time from exec to READY=1 (every service has a worker
that accepts), reload the time from SIGHUP to the READY=1 that follows
RELOADING=1 (the new generation serves).  Each round starts a fresh
server, reloads it three times (alternating two configs that differ in
one comment, so every service gets a new generation) and stops it by PID.
Prints the median and the worst of each; PORTCULLIS_BIN picks the binary.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import BIN, free_port, kill_pid  # noqa: E402

TIMEOUT = 60.0


def wait_msg(sock, want, deadline, proc):
    while time.monotonic() < deadline and proc.poll() is None:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode(errors="replace")
        except socket.timeout:
            break
        if want in msg.split("\n"):
            return time.monotonic()
    raise SystemExit(f"no {want} within {TIMEOUT} s (server exit status "
                     f"{proc.poll()})")


def config(d, nsvc, workers, tag):
    ports = []
    while len(ports) < nsvc:          # free_port() may repeat itself
        p = free_port()
        if p not in ports:
            ports.append(p)
    lines = [f"# {tag}", f"workers {workers}", f"log {d}/access.log"]
    lines += [f"proxy -i127.0.0.1 -p{p}" for p in ports]
    return "\n".join(lines) + "\n", ports


def one_round(tmp, nsvc, workers):
    d = Path(tempfile.mkdtemp(dir=tmp))
    sockpath = str(d / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sockpath)
    text, ports = config(d, nsvc, workers, "a")
    cfg = d / "bench.cfg"
    cfg.write_text(text)
    env = dict(os.environ, NOTIFY_SOCKET=sockpath)
    env.pop("PORTCULLIS_SANDBOX", None)
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, str(cfg)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL,
                         stderr=open(d / "stderr.txt", "wb"), env=env,
                         start_new_session=True)
    reloads = []
    try:
        start = wait_msg(sock, "READY=1", t0 + TIMEOUT, p) - t0
        for i in range(3):
            # same ports, another comment: a new generation of everything
            cfg.write_text(text.replace("# a", f"# r{i}", 1))
            t1 = time.monotonic()
            p.send_signal(signal.SIGHUP)
            wait_msg(sock, "RELOADING=1", t1 + TIMEOUT, p)
            reloads.append(wait_msg(sock, "READY=1", t1 + TIMEOUT, p) - t1)
            time.sleep(0.5)
    finally:
        kill_pid(p.pid)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            kill_pid(p.pid, signal.SIGKILL)
            p.wait(5)
        sock.close()
    return start, reloads


def main(argv):
    nsvc = int(argv[1]) if len(argv) > 1 else 100
    workers = int(argv[2]) if len(argv) > 2 else 1
    rounds = int(argv[3]) if len(argv) > 3 else 5
    tmp = tempfile.mkdtemp(prefix="pc-startbench-")
    starts, reloads = [], []
    for _ in range(rounds):
        s, r = one_round(tmp, nsvc, workers)
        starts.append(s)
        reloads += r
    ms = [x * 1000 for x in starts]
    rs = [x * 1000 for x in reloads]
    print(f"{nsvc} services x workers {workers}, {rounds} rounds, "
          f"binary {BIN}: start-up median {statistics.median(ms):.0f} ms "
          f"(max {max(ms):.0f}), reload median {statistics.median(rs):.0f} "
          f"ms (max {max(rs):.0f}, {len(rs)} reloads)")


if __name__ == "__main__":
    main(sys.argv)
