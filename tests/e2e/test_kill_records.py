"""A killed worker loses no record of a finished request (issue 14 item 7,
docs/architecture.md "Access-log records"): the bytes that end a response
leave only after the turn's log batch went to the master.

The worker (`workers 1`) is SIGKILLed the moment the client has read each
response to its end; every such response must have its record.
PORTCULLIS_TEST_TURN_DELAY=40 makes every busy loop turn sleep 40 ms
before its end-of-turn work, so a record that waits there while the
client already has its response is lost for certain (without it the
window is microseconds and the test could not fail).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_kill_records.py
"""
import os
import signal
import time

import pytest

from clients import Reader, connect, read_response
from origins import pattern
from pc_server import cfg_head, free_port, wait_for

SIZE = 128 * 1024
ROUNDS = 8


def one_worker(srv, old=None):
    """The pool's worker once it is a new one (not old) and serving."""
    def ready():
        pids = [p for p in srv.worker_pids() if p != old]
        return pids[0] if pids else None
    pid = wait_for(ready, 10)
    assert pid, f"no worker after {old}:\n{srv.stderr()}"
    return pid


@pytest.mark.parametrize("how", ["keep-alive", "close", "error"])
def test_record_of_each_finished_response_survives_a_kill(portcullis, origin,
                                                          how):
    port = free_port()
    srv = portcullis(cfg_head() + "deny * * 127.0.0.1 1\n"
                     f"allow *\nworkers 1\nproxy -i127.0.0.1 -p{port}\n",
                     env={"PORTCULLIS_TEST_TURN_DELAY": "40"})
    pid = one_worker(srv)
    want = []
    for i in range(ROUNDS):
        mark = f"k{i}x{time.monotonic_ns()}"
        if how == "error":      # a 403 page (deny), then the close
            url = f"http://127.0.0.1:1/{mark}"
        else:
            url = origin.url(f"/big/{SIZE}?{mark}")
        conn = "close" if how != "keep-alive" else "keep-alive"
        # the proxy's port may be between workers for a moment
        s = wait_for(lambda: _try_connect(port), 10)
        assert s, "proxy not accepting"
        try:
            s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n"
                      f"Connection: {conn}\r\n\r\n".encode())
            r = read_response(Reader(s))
        finally:
            # the client has the whole response: kill at once
            os.kill(pid, signal.SIGKILL)
            s.close()
        if how == "error":
            assert r.status == 403
        else:
            assert r.status == 200 and len(r.body) == SIZE
            assert r.body == pattern(SIZE)
        want.append(mark)
        pid = one_worker(srv, old=pid)
    lines = srv.wait_log(lambda ln: any(m in ln for m in want),
                         len(want), 10)
    missing = [m for m in want if not any(m in ln for ln in lines)]
    assert not missing, (f"{len(missing)} of {len(want)} finished "
                         f"responses have no record: {missing}\n"
                         + "\n".join(srv.log_lines()))


def _try_connect(port):
    try:
        return connect(port)
    except OSError:
        return None
