"""systemd's readiness protocol (Type=notify) without systemd: the test
binds a Unix datagram socket, starts the server with NOTIFY_SOCKET naming
it and reads what the master sends, with the sender's credentials
(SO_PASSCRED), as systemd does for NotifyAccess=main.

READY=1 once every service has a worker that accepts (a request goes
through right then); at SIGHUP RELOADING=1 with MONOTONIC_USEC (the
monotonic clock of the moment, as systemd 253 wants), then READY=1 once
the new generation serves (its new listener answers); a refused
configuration also ends with READY=1, its STATUS naming the error; SIGTERM
sends STOPPING=1 and the master exits 0.  An abstract socket (@name)
works the same; a bad NOTIFY_SOCKET is ignored with a warning.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_notify.py -k reload

Spec: issue 12 item 3; sd_notify(3) (READY, RELOADING, MONOTONIC_USEC,
STOPPING, STATUS); master/notify.c.
"""
import os
import select
import signal
import socket
import struct
import time

import pytest

from clients import curl
from origins import HELLO
from pc_server import cfg_head, free_port


class Notify:
    """The manager's end: a bound SOCK_DGRAM socket with SO_PASSCRED."""

    def __init__(self, addr):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(addr)
        self.env = addr if addr[0] != "\0" else "@" + addr[1:]

    def next(self, timeout=15.0):
        """(fields dict, sender pid) of the next datagram, or None."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = None
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", val[:12])[0]
        text = data.decode()
        assert text.endswith("\n"), text
        fields = dict(ln.split("=", 1) for ln in text.splitlines())
        return fields, pid

    def expect(self, key, srv, timeout=15.0):
        got = self.next(timeout)
        assert got is not None, f"no {key}=1 within {timeout}s; stderr:\n" \
            + srv.stderr()
        fields, pid = got
        assert fields.get(key) == "1", fields
        assert pid == srv.pid, (pid, srv.pid)
        return fields

    def quiet(self, timeout=0.5):
        got = self.next(timeout)
        assert got is None, got

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(tmp_path):
    n = Notify(str(tmp_path / "notify.sock"))
    yield n
    n.close()


def config(ports):
    return cfg_head() + "workers 2\n" + "".join(
        f"proxy -i127.0.0.1 -p{p}\n" for p in ports)


def get(port, origin):
    return curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])


def start(portcullis, notify, ports):
    srv = portcullis(config(ports), wait=False,
                     env={"NOTIFY_SOCKET": notify.env})
    return srv


def test_ready_reload_stop(portcullis, notify, origin):
    p1, p2 = free_port(), free_port()
    srv = start(portcullis, notify, [p1])
    f = notify.expect("READY", srv)
    assert f.get("STATUS", "").startswith("serving"), f
    r = get(p1, origin)       # READY means served, without waiting more
    assert r.status == 200 and r.body == HELLO, r
    notify.quiet()

    srv.write_config(config([p1, p2]))
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    srv.reload()
    f = notify.expect("RELOADING", srv)
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert before <= int(f["MONOTONIC_USEC"]) <= after, (before, f, after)
    f = notify.expect("READY", srv)
    assert "generation 2" in f.get("STATUS", ""), f
    r = get(p2, origin)       # the new generation's listener serves
    assert r.status == 200 and r.body == HELLO, r
    notify.quiet()

    srv.write_config("proxy -pnotaport\n")
    srv.reload()
    notify.expect("RELOADING", srv)
    f = notify.expect("READY", srv)
    assert "reload failed" in f.get("STATUS", "") and "notaport" in \
        f["STATUS"], f
    r = get(p1, origin)
    assert r.status == 200, r

    srv.signal(signal.SIGTERM)
    notify.expect("STOPPING", srv)
    assert srv.proc.wait(15) == 0


def test_abstract_socket(portcullis, origin):
    n = Notify(f"\0portcullis-test-{os.getpid()}-{free_port()}")
    try:
        p = free_port()
        srv = start(portcullis, n, [p])
        n.expect("READY", srv)
        assert get(p, origin).status == 200
        srv.signal(signal.SIGTERM)
        n.expect("STOPPING", srv)
        assert srv.proc.wait(15) == 0
    finally:
        n.close()


def test_without_or_bad_notify_socket(portcullis, origin):
    p = free_port()
    srv = portcullis(config([p]), env={"NOTIFY_SOCKET": "relative/path"})
    assert get(p, origin).status == 200
    assert "NOTIFY_SOCKET=relative/path" in srv.stderr(), srv.stderr()
    p = free_port()
    srv = portcullis(config([p]))
    assert get(p, origin).status == 200
    assert "NOTIFY_SOCKET" not in srv.stderr()


def test_no_worker_can_start_stops_with_78(portcullis, notify):
    """Every worker of a service exits 78 (its setup cannot work): the
    master never says READY=1, says STOPPING=1, logs the service and
    exits 78, which the shipped unit does not restart on."""
    p = free_port()
    srv = portcullis(config([p]), wait=False,
                     env={"NOTIFY_SOCKET": notify.env,
                          "PORTCULLIS_TEST_CRASH": "config"})
    fields = notify.expect("STOPPING", srv, timeout=15)
    assert "READY" not in fields, fields
    srv.proc.wait(15)
    err = srv.stderr()
    assert srv.proc.returncode == 78, err
    assert "proxy at " in err and "no worker can start" in err, err
    assert err.count("exited with status 78") == 2, err
    assert "respawning" not in err, err

