"""Reload storm (issue 14 item 1): HTTP keep-alive load through `proxy`
while the master gets SIGHUP every second, alternating two valid configs.

  /usr/bin/python3 bench/reload_storm.py [SECONDS [CONNS [EVERY]]]
  (defaults 60 s, 500 connections, SIGHUP every 1.0 s)

nginx (benchlib.Nginx) is the origin, build/portcullis the proxy
(`workers 2`); the client is tests/e2e/ka_load.py (raw asyncio sockets,
every request counted: ok, reset, unanswered, retried on a clean EOF of a
reused connection, refused).  Prints one line of figures; exits 1 when a
request met a reset or went unanswered.  Everything it starts is stopped
by PID.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

import ka_load  # noqa: E402
from benchlib import BIN, Nginx, free_port, kill_pid, listening, \
    wait_for, children  # noqa: E402


def main(argv):
    secs = float(argv[1]) if len(argv) > 1 else 60.0
    conns = int(argv[2]) if len(argv) > 2 else 500
    every = float(argv[3]) if len(argv) > 3 else 1.0
    tmp = Path(tempfile.mkdtemp(prefix="pc-storm-"))
    nginx = Nginx(tmp).start()
    port = free_port()
    d = tmp / "portcullis"
    d.mkdir()
    cfg = d / "storm.cfg"
    a = f"maxconn 30000\nlog {d}/access.log\nworkers 2\n" \
        f"proxy -i127.0.0.1 -p{port}\n"
    b = f"maxconn 20000\nlog {d}/access.log\nworkers 2\nauth iponly\n" \
        f"allow *\nproxy -i127.0.0.1 -p{port}\n"
    cfg.write_text(a)
    err = open(d / "stderr.txt", "wb")
    proc = subprocess.Popen([BIN, str(cfg)], stdout=err, stderr=err,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    err.close()
    seen = set()
    try:
        if not wait_for(lambda: listening(port) and
                        len(children(proc.pid)) >= 2, 15):
            raise RuntimeError("portcullis did not start")

        def hup(i):
            seen.update(children(proc.pid))
            cfg.write_text(b if i % 2 == 0 else a)
            os.kill(proc.pid, signal.SIGHUP)
        t0 = time.monotonic()
        st = ka_load.run_load(port, nginx.url("/small.html"), conns, secs,
                              ticker=hup, every=every)
        took = time.monotonic() - t0
        drained = (d / "stderr.txt").read_text().count("(drained)")
        print(f"reload storm: {secs:.0f} s, {conns} connections, "
              f"{st.ticks} SIGHUPs in {took:.1f} s, {drained} workers "
              f"drained: ok {st.ok} ({st.ok / took:.0f}/s), reset "
              f"{st.reset}, unanswered {st.unanswered}, retried "
              f"{st.retried}, refused {st.refused}, Connection: close "
              f"answers {st.closes}, connections opened {st.conns}")
        for n in st.notes:
            print("  ", n)
        return 0 if st.reset == 0 and st.unanswered == 0 else 1
    finally:
        seen.update(children(proc.pid))
        kill_pid(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            kill_pid(proc.pid, signal.SIGKILL)
        time.sleep(0.3)
        for p in seen:          # only our own workers (pids are reused)
            try:
                mine = os.path.basename(os.readlink(f"/proc/{p}/exe")) \
                    .startswith("portcullis")
            except OSError:
                mine = False
            if mine:
                kill_pid(p, signal.SIGKILL)
        nginx.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
