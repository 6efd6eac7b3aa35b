"""Process-level behaviour: worker crash and respawn, reload (SIGHUP,
SIGUSR1) under load and with a broken file, log reopen (SIGUSR2), clean stop
(SIGTERM, SIGINT), daemon + pidfile.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_resilience.py -k sighup

Spec: issue 2 items 3 and 6, privsep-anchors.md 3.12-3.13, the decided
signals (HUP/USR1 reload, USR2 reopen logs, TERM/INT stop), docs/portcullis.8
(pidfile removed at stop, monitor files).
"""
import hashlib
import os
import signal
import subprocess
import threading
import time

import pytest

from clients import (connect, curl, echo_roundtrip, recv_exact,
                     recv_until_close, socks5_open)
from origins import pattern_sha256
from pc_server import (Server, alive, cfg_head, children, clean_env,
                       free_port, is_ours, pid_holding_inode, port_listening,
                       tcp_inode, wait_for)


class Flow(threading.Thread):
    """Ping-pong through an echo tunnel, checking every byte."""

    def __init__(self, sock, chunk=32768):
        super().__init__(daemon=True)
        self.s = sock
        self.chunk = chunk
        self.bytes = 0
        self.error = None
        self.halt = threading.Event()

    def run(self):
        seq = 0
        try:
            while not self.halt.is_set():
                data = hashlib.sha256(seq.to_bytes(8, "big")).digest() * \
                    (self.chunk // 32)
                self.s.sendall(data)
                if recv_exact(self.s, len(data)) != data:
                    raise AssertionError(f"corrupt echo at chunk {seq}")
                self.bytes += len(data)
                seq += 1
        except Exception as e:      # noqa: BLE001 (reported by the test)
            self.error = e


def worker_of(srv, listen_port, sock):
    inode = tcp_inode(listen_port, sock.getsockname()[1])
    if inode is None:
        return None
    return pid_holding_inode(srv.worker_pids(), inode)


def open_on_both_workers(srv, port, echo, limit=64):
    """Open SOCKS tunnels (in parallel batches, so that accepts spread)
    until two workers each hold one; returns ({pid: sock}, all socks)."""
    held, socks_ = {}, []
    lock = threading.Lock()

    def one():
        s, code = socks5_open(port, "127.0.0.1", echo.port)
        assert code == 0
        with lock:
            socks_.append(s)
    while len(socks_) < limit:
        ts = [threading.Thread(target=one) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(15)
        for s in list(socks_):
            w = worker_of(srv, port, s)
            if w and w not in held:
                held[w] = s
        if len(held) >= 2:
            break
    return held, socks_


def test_worker_sigkill_respawn_sibling_tunnel_flows(portcullis, echo):
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 2\nsocks -i127.0.0.1 -p{port}\n",
                     min_workers=2)
    held, all_socks = open_on_both_workers(srv, port, echo)
    try:
        assert len(held) >= 2, (
            f"all {len(all_socks)} tunnels landed on worker(s) "
            f"{list(held)}: accepts do not spread over the pool")
        (victim, vsock), (keeper, ksock) = list(held.items())[:2]
        flow = Flow(ksock)
        flow.start()
        time.sleep(0.5)
        before_pids = set(srv.worker_pids())
        at_kill = flow.bytes
        os.kill(victim, signal.SIGKILL)
        vsock.settimeout(5)
        try:
            assert recv_until_close(vsock) == b""
        except OSError:
            pass
        new = wait_for(lambda: set(srv.worker_pids()) - before_pids, 10)
        assert new, f"worker {victim} was not respawned within 10 s"
        assert victim not in srv.worker_pids()
        time.sleep(1.0)
        flow.halt.set()
        flow.join(10)
        assert flow.error is None, f"sibling tunnel broke: {flow.error!r}"
        assert flow.bytes > at_kill + (1 << 20), \
            "sibling tunnel stopped flowing after the kill"
        s, code = socks5_open(port, "127.0.0.1", echo.port)
        assert code == 0 and echo_roundtrip(s, 10000)
        s.close()
        assert str(victim) in srv.stderr(), "worker death not logged"
    finally:
        for s in all_socks:
            s.close()


def test_idle_worker_killed_is_respawned(portcullis):
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 2\nproxy -i127.0.0.1 -p{port}\n",
                     min_workers=2)
    before = srv.worker_pids()
    os.kill(before[0], signal.SIGKILL)
    ok = wait_for(lambda: len(srv.worker_pids()) == 2 and
                  before[0] not in srv.worker_pids(), 10)
    assert ok, f"pool not refilled: {srv.worker_pids()} (was {before})"
    assert srv.running()


def proxy_v(origin, port, deny):
    # noforce: the running download is kept through the drain although
    # the new ACL refuses it (with force, 3proxy's default, it is closed:
    # test_force.py)
    rule = f"deny * * 127.0.0.1 {origin.port}\nallow *\n" if deny else ""
    return cfg_head() + "noforce\n" + rule + f"proxy -i127.0.0.1 -p{port}\n"


def connect_status(port, origin):
    return curl(["-x", f"http://127.0.0.1:{port}", "-p",
                 origin.url("/hello")]).connect


@pytest.mark.slow
def test_sighup_during_20mb_connect_download(portcullis, origin, tmp_path):
    n = 20 << 20
    port = free_port()
    srv = portcullis(proxy_v(origin, port, deny=False))
    out = tmp_path / "dl"
    proc = subprocess.Popen(
        ["curl", "-sS", "--max-time", "60", "-p", "-x",
         f"http://127.0.0.1:{port}", "-o", str(out),
         origin.url(f"/big/{n}?rate=8000000")], env=clean_env(),
        stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: out.exists() and
                        out.stat().st_size > (2 << 20), 15)
        old = set(srv.worker_pids())
        srv.write_config(proxy_v(origin, port, deny=True))
        srv.reload()
        size_at_hup = out.stat().st_size
        assert size_at_hup < n, "download finished before the reload"
        flipped = wait_for(lambda: connect_status(port, origin) == 403, 10)
        assert flipped, "new connections do not see the new config"
        for _ in range(3):
            assert connect_status(port, origin) == 403
        assert set(srv.worker_pids()) - old, "no new worker generation"
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()
    data = out.read_bytes()
    assert len(data) == n
    assert hashlib.sha256(data).hexdigest() == pattern_sha256(n)


def test_sighup_broken_config_keeps_old(portcullis, origin):
    port = free_port()
    srv = portcullis(proxy_v(origin, port, deny=False))
    before = srv.worker_pids()
    srv.write_config("log {log}\ninternal 127.0.0.1\nfrobnicate now\n"
                     f"proxy -p{port}\n")
    srv.reload()
    want = f"{srv.cfgpath}:3: frobnicate"
    assert wait_for(lambda: want in srv.stderr(), 5), srv.stderr()
    assert connect_status(port, origin) == 200
    assert srv.worker_pids() == before, "workers replaced by a failed reload"
    srv.write_config(proxy_v(origin, port, deny=True))
    srv.reload()
    assert wait_for(lambda: connect_status(port, origin) == 403, 10)


def test_sigusr1_reloads(portcullis, origin):
    port = free_port()
    srv = portcullis(proxy_v(origin, port, deny=False))
    assert connect_status(port, origin) == 200
    srv.write_config(proxy_v(origin, port, deny=True))
    srv.signal(signal.SIGUSR1)
    assert wait_for(lambda: connect_status(port, origin) == 403, 10)


def test_reload_no_refused_connections(portcullis, origin):
    """Requests in a loop while SIGHUP reloads: none is refused or fails."""
    port = free_port()
    srv = portcullis(proxy_v(origin, port, deny=False))
    results, stop = [], threading.Event()

    def loop():
        for _ in range(2000):
            if stop.is_set():
                break
            try:
                s = connect(port, timeout=5)
                s.sendall(f"GET {origin.url('/hello')} HTTP/1.1\r\nHost: x"
                          "\r\nConnection: close\r\n\r\n".encode())
                got = recv_until_close(s)
                s.close()
                results.append(got[:12])
            except OSError as e:
                results.append(repr(e).encode())
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    time.sleep(0.3)
    srv.write_config(proxy_v(origin, port, deny=False) + "\n")
    srv.reload()
    time.sleep(1.5)
    srv.reload()
    time.sleep(1.5)
    stop.set()
    t.join(15)
    bad = [r for r in results if not r.startswith(b"HTTP/1.1 200")]
    assert results and not bad, (len(results), bad[:5])


def test_reload_adds_and_removes_listeners(portcullis, origin, echo):
    a, b = free_port(), free_port()
    srv = portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{a}\n")
    srv.write_config(cfg_head() + f"tcppm -i127.0.0.1 {b} 127.0.0.1 "
                     f"{echo.port}\n")
    srv.reload()
    assert wait_for(lambda: port_listening(b), 10), "new listener missing"
    s = connect(b)
    assert echo_roundtrip(s, 1000)
    s.close()
    assert wait_for(lambda: not port_listening(a), 15), \
        "removed listener still open"


def test_sigusr2_reopens_log(portcullis, origin):
    port = free_port()
    srv = portcullis(proxy_v(origin, port, deny=False))
    curl(["-x", f"http://127.0.0.1:{port}", origin.url("/before")])
    assert srv.wait_log(lambda ln: "/before" in ln)
    moved = srv.logpath.with_name("access.log.1")
    os.rename(srv.logpath, moved)
    srv.signal(signal.SIGUSR2)
    time.sleep(0.5)
    curl(["-x", f"http://127.0.0.1:{port}", origin.url("/after")])
    assert srv.wait_log(lambda ln: "/after" in ln), \
        f"not in the reopened file; moved file: {moved.read_text()[-300:]}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_clean(portcullis, echo, sig):
    port = free_port()
    srv = portcullis(cfg_head() + f"socks -i127.0.0.1 -p{port}\n")
    s, code = socks5_open(port, "127.0.0.1", echo.port)
    assert code == 0
    workers = srv.worker_pids()
    srv.signal(sig)
    try:
        srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail("master still running 10 s after the signal")
    finally:
        s.close()
    assert srv.proc.returncode == 0
    left = wait_for(lambda: not any(alive(p) for p in workers), 5)
    assert left, f"workers left running: {[p for p in workers if alive(p)]}"
    assert not port_listening(port)


def test_daemon_and_pidfile(tmp_path, origin):
    port = free_port()
    pidfile = tmp_path / "s" / "pc.pid"
    srv = Server(tmp_path / "s", cfg_head() + f"daemon\npidfile {pidfile}\n"
                 f"proxy -i127.0.0.1 -p{port}\n")
    srv.start(wait=False)
    daemon_pid = None
    try:
        srv.proc.wait(10)
        assert srv.proc.returncode == 0, srv.stderr()
        assert wait_for(lambda: pidfile.exists() and
                        pidfile.read_text().strip().isdigit(), 5)
        daemon_pid = int(pidfile.read_text().strip())
        assert daemon_pid != srv.proc.pid
        assert alive(daemon_pid) and is_ours(daemon_pid)
        assert wait_for(lambda: port_listening(port) and
                        children(daemon_pid), 10)
        r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
        assert r.status == 200
        workers = children(daemon_pid)
        os.kill(daemon_pid, signal.SIGTERM)
        assert wait_for(lambda: not alive(daemon_pid), 10)
        assert wait_for(lambda: not any(alive(p) for p in workers), 5)
        assert not pidfile.exists(), "pidfile left after stop (portcullis.8)"
    finally:
        if daemon_pid and alive(daemon_pid) and is_ours(daemon_pid):
            for p in children(daemon_pid):
                os.kill(p, signal.SIGKILL)
            os.kill(daemon_pid, signal.SIGKILL)
