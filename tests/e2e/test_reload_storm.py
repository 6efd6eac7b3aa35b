"""HTTP keep-alive through reload and drain loses nothing (issue 14 item 1).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_reload_storm.py

100 kept-alive client connections send GETs through `proxy` back to back
while the master is sent SIGHUP every 0.4 s for 6 s, alternating two valid
configurations (each reload drains the old workers).  Every request is
counted (ka_load.py): none may meet a reset or go unanswered; a request that
met a clean EOF before any byte of its answer on a reused connection is
retried once, as real clients do, and those retries are reported.  The
longer run (60 s, 500 connections) is bench/reload_storm.py.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import ka_load
from pc_server import cfg_head, free_port

HERE = Path(__file__).resolve().parent


def start_origin(port):
    p = subprocess.Popen([sys.executable, str(HERE / "ka_load.py"), "origin",
                          str(port), "512"], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    assert p.stdout.readline().strip() == b"ready"
    return p


def test_keepalive_reload_storm(portcullis):
    oport, pport = free_port(), free_port()
    origin = start_origin(oport)
    try:
        a = cfg_head() + f"workers 2\nproxy -i127.0.0.1 -p{pport}\n"
        b = cfg_head() + f"workers 2\nmaxconn 1000\nauth iponly\nallow *\n" \
            f"proxy -i127.0.0.1 -p{pport}\n"
        srv = portcullis(a, min_workers=2)

        def hup(i):
            srv.write_config(b if i % 2 == 0 else a)
            srv.reload()
        t0 = time.monotonic()
        st = ka_load.run_load(pport, f"http://127.0.0.1:{oport}/x", 100, 6.0,
                              ticker=hup, every=0.4)
        took = time.monotonic() - t0
    finally:
        origin.kill()
        origin.wait(5)
    print(f"\nreload storm: {st.as_dict()} sighups {st.ticks} in "
          f"{took:.1f} s; notes {st.notes}")
    assert st.ticks >= 10
    assert st.ok > 1000, st.as_dict()
    assert st.reset == 0 and st.unanswered == 0 and st.refused == 0, \
        (st.as_dict(), st.notes)
    # the reloads really drained workers: the connections were closed
    # and opened again (Connection: close answers, or retried requests)
    assert st.conns > 100 and st.closes + st.retried > 0, st.as_dict()
    assert srv.running()
    # every answered request has its record
    want = st.ok
    got = srv.wait_log(lambda ln: "/x HTTP/1.1" in ln, count=want,
                       timeout=10)
    assert len(got) >= want, (len(got), want)
    assert os.path.exists(srv.logpath)
