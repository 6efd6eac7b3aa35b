"""How a service's workers take clients (issue 14 item 8,
worker/core/accept.c): a worker near its descriptor limit stops accepting
(the client waits in the backlog, or a sibling takes it) instead of
accepting it and failing with code 11; and the workers' shares of many
idle tunnels stay near the pool's mean.

PORTCULLIS_NOFILE caps each worker's descriptor limit (docs/portcullis.8).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_accept_spread.py
"""
import os
import select
import socket
import struct
import time

from pc_server import cfg_head, free_port, parse_default, wait_for

RESERVE = 32          # FD_RESERVE of accept.c
SLACK = 16            # BALANCE_SLACK of accept.c


def socks_req(dport):
    """Greeting and CONNECT 127.0.0.1:dport in one write."""
    return (b"\x05\x01\x00\x05\x01\x00\x01\x7f\x00\x00\x01" +
            struct.pack(">H", dport))


def poll_replies(pending, secs):
    """Reads the 12-byte answers (method + reply) of pending sockets for
    up to secs; returns {sock: b'...'|None (closed)} for those done."""
    done = {}
    bufs = {s: b"" for s in pending}
    deadline = time.monotonic() + secs
    while bufs and time.monotonic() < deadline:
        r, _, _ = select.select(list(bufs), [], [], 0.1)
        for s in r:
            try:
                d = s.recv(12 - len(bufs[s]))
            except OSError:
                d = b""
            if not d:
                done[s] = None
                del bufs[s]
                continue
            bufs[s] += d
            if len(bufs[s]) == 12:
                done[s] = bufs.pop(s)
    return done


def open_clients(port, n, dport, out):
    """n clients of port, each with its greeting and CONNECT sent,
    appended to out (the caller closes them)."""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        out.append(s)
        s.sendall(socks_req(dport))


def granted(ans):
    return ans is not None and ans[:2] == b"\x05\x00" and ans[3] == 0


def test_fd_reserve_clients_wait_instead_of_code_11(portcullis, sink):
    """One worker with 64 descriptors: 30 clients at once.  Without the
    reserve it accepts until EMFILE and the last accepted clients fail
    (no descriptor for the upstream socket: code 11); with it, it stops
    while 32 are left, the others wait in the backlog, and each is served
    once tunnels close."""
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 1\nsocks -i127.0.0.1 -p{port}\n",
                     env={"PORTCULLIS_NOFILE": "64"})
    clients = []
    try:
        open_clients(port, 30, sink.port, clients)
        waiting = set(clients)
        ok, failed = [], []
        got = poll_replies(waiting, 3.0)
        for s, ans in got.items():
            (ok if granted(ans) else failed).append(s)
            waiting.discard(s)
        assert not failed, f"{len(failed)} clients refused"
        assert ok, "no client was served"
        assert waiting, "all 30 accepted: no reserve kept"
        first = len(ok)
        # closing tunnels lets the waiting clients in, a few at a time
        deadline = time.monotonic() + 30
        while waiting and time.monotonic() < deadline:
            for s in ok:
                s.close()
            ok = []
            got = poll_replies(waiting, 2.0)
            for s, ans in got.items():
                assert granted(ans), "a waiting client was refused"
                ok.append(s)
                waiting.discard(s)
        assert not waiting, f"{len(waiting)} clients never served"
        for s in ok:
            s.close()
        # every tunnel ended normally; none failed for want of a socket
        assert wait_for(lambda: sum(
            1 for ln in srv.log_lines()
            if (r := parse_default(ln)) and "CONNECT" in r["text"]) >= 30,
            10)
        codes = [parse_default(ln)["err"] for ln in srv.log_lines()
                 if parse_default(ln) and "CONNECT" in
                 parse_default(ln)["text"]]
        assert codes and all(c == "00000" for c in codes), codes
        assert first <= (64 - RESERVE) // 2, first
    finally:
        for s in clients:
            s.close()


def sockets_of(pid):
    n = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(
                        "socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return 0
    return n


def test_idle_tunnels_spread_over_workers(portcullis, sink):
    """400 idle tunnels over `workers 4`: no worker holds more than the
    mean plus the slack (plus a tenth, plus the client it takes per
    wake); EPOLLEXCLUSIVE alone gave one worker 35 times another's."""
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 4\nsocks -i127.0.0.1 -p{port}\n",
                     min_workers=4)
    workers = srv.wait_workers(4)
    assert workers and len(workers) == 4
    base = {p: sockets_of(p) for p in workers}
    clients = []
    try:
        open_clients(port, 400, sink.port, clients)
        got = poll_replies(set(clients), 30.0)
        assert len(got) == 400 and all(granted(a) for a in got.values())
        # two sockets per tunnel in its worker
        share = [(sockets_of(p) - base[p]) // 2 for p in workers]
        assert sum(share) >= 390, share
        mean = 400 // 4
        assert max(share) <= mean + SLACK + mean // 10 + 4, share
    finally:
        for s in clients:
            s.close()
