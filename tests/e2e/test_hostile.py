"""Hostile input to the proxy and socks ports: garbage, half requests, huge
headers, binary junk, abrupt closes, many at once.  Each case gets an error
reply or a close (never a hang: every read is bounded), and afterwards the
very same worker processes still serve.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_hostile.py -k junk

Spec: issue 2 item 6 ("malformed HTTP and SOCKS input gets an error reply and
the worker stays alive") and BRIEF ("nothing a client sends may crash a
worker").
"""
import os
import random
import socket
import struct
import threading

import pytest

from clients import (connect, curl, http_get_over, send_and_read,
                     socks5_open)
from origins import HELLO
from pc_server import cfg_head, free_port

RNG = random.Random(20240601)


@pytest.fixture(scope="module")
def both(tmp_path_factory, origin):
    """One server for the module (proxy and socks, 2 workers each) so that
    'same worker pids' spans every case."""
    from pc_server import Server
    pp, sp = free_port(), free_port()
    srv = Server(tmp_path_factory.mktemp("hostile"),
                 cfg_head() + f"workers 2\nproxy -i127.0.0.1 -p{pp}\n"
                 f"socks -i127.0.0.1 -p{sp}\n", ports=[pp, sp])
    srv.start(min_workers=4)
    srv.pp, srv.sp = pp, sp
    srv.initial = srv.worker_pids()
    yield srv
    srv.stop()


def healthy(srv, origin):
    r = curl(["-x", f"http://127.0.0.1:{srv.pp}", origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r
    s, code = socks5_open(srv.sp, "127.0.0.1", origin.port)
    try:
        assert code == 0 and http_get_over(s, "x").body == HELLO
    finally:
        s.close()
    now = srv.worker_pids()
    before, srv.initial = srv.initial, now     # later cases start afresh
    assert now == before, \
        f"workers changed: {before} -> {now}; stderr: {srv.stderr()[-1000:]}"


def status_of(reply):
    if not reply.startswith(b"HTTP/1."):
        return None
    return int(reply.split(b" ", 2)[1])


HTTP_CASES = {
    "binary_junk": bytes(RNG.getrandbits(8) for _ in range(4096)),
    "nul_in_line": b"GET http://127.0.0.1/\x00x HTTP/1.1\r\nHost: x\r\n\r\n",
    "no_version": b"GET http://127.0.0.1/\r\n\r\n",
    "bad_version": b"GET http://127.0.0.1/ HTTP/9.9\r\nHost: x\r\n\r\n",
    "space_storm": b" " * 5000 + b"\r\n\r\n",
    "bad_header": b"GET http://127.0.0.1/ HTTP/1.1\r\nNoColonHere\r\n\r\n",
    "obs_fold": b"GET http://127.0.0.1/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "neg_length": b"POST http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: -5\r\n\r\n",
    "huge_length": b"POST http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 99999999999999999999999\r\n\r\n",
    "cl_and_te": b"POST http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"0\r\n\r\n",
    "bad_chunk": b"POST http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    "bad_port": b"GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "empty_host": b"GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n",
    "connect_no_port": b"CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
    "bad_scheme": b"GET gopher://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad_basic": b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n"
                 b"Proxy-Authorization: Basic !!!!\r\n\r\n",
    "huge_line": b"GET http://x/" + b"a" * 300000 + b" HTTP/1.1\r\n\r\n",
    "huge_header": b"GET http://x/ HTTP/1.1\r\nX: " + b"b" * 300000 +
                   b"\r\n\r\n",
    "lf_only_garbage": b"\n" * 10000,
}


@pytest.mark.parametrize("name", sorted(HTTP_CASES))
def test_http_garbage(both, origin, name):
    """Answered with a 4xx/5xx error page within 5 s (a run of bare LFs may
    also just be ignored: RFC 9112 lets a server skip empty lines before a
    request line, so silence is accepted there)."""
    got = send_and_read(both.pp, HTTP_CASES[name], timeout=5)
    st = status_of(got)
    if not (name == "lf_only_garbage" and got == b""):
        assert st is not None and 400 <= st <= 505, got[:200]
    healthy(both, origin)


def test_http_half_request_then_close(both, origin):
    for part in (b"GET http://127.0.0.1:", b"GET http://127.0.0.1/ HTTP/1.1"
                 b"\r\nHost: x\r\nX-Partial: ab", b"POST http://127.0.0.1:"
                 + str(origin.port).encode() + b"/echo HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 1000\r\n\r\nonly-some"):
        s = connect(both.pp)
        s.sendall(part)
        s.close()
    healthy(both, origin)


def test_http_reset_mid_response(both, origin):
    """Client resets (SO_LINGER 0) in the middle of a large response."""
    for _ in range(5):
        s = connect(both.pp)
        s.sendall(f"GET {origin.url('/big/20000000')} HTTP/1.1\r\nHost: x"
                  "\r\n\r\n".encode())
        s.recv(1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    healthy(both, origin)


SOCKS_CASES = {
    "junk": bytes(RNG.getrandbits(8) for _ in range(4096)),
    "v5_zero_methods": b"\x05\x00",
    "v5_255_methods_short": b"\x05\xff\x00\x01",
    "v5_bad_request_version": b"\x05\x01\x00\x04\x01\x00\x01\x7f\x00\x00\x01"
                              b"\x00\x50",
    "v5_name_len_0": b"\x05\x01\x00\x05\x01\x00\x03\x00\x00\x50",
    "v5_name_truncated": b"\x05\x01\x00\x05\x01\x00\x03\xff" + b"a" * 10,
    "v5_name_with_nul": b"\x05\x01\x00\x05\x01\x00\x03\x05ab\x00cd\x00\x50",
    "v5_bad_atyp": b"\x05\x01\x00\x05\x01\x00\x07" + b"\x00" * 20,
    "v5_userpass_bad_version": b"\x05\x01\x02\x09\x01a\x01b",
    "v4_no_nul_userid": b"\x04\x01\x00\x50\x7f\x00\x00\x01" + b"u" * 5000,
    "v4a_no_nul_host": b"\x04\x01\x00\x50\x00\x00\x00\x01\x00" + b"h" * 5000,
    "v4_bad_command": b"\x04\x09\x00\x50\x7f\x00\x00\x01\x00",
    "http_to_socks": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "v5_then_junk_after_reply": b"\x05\x01\x00" +
                                bytes(RNG.getrandbits(8) for _ in range(300)),
}


@pytest.mark.parametrize("name", sorted(SOCKS_CASES))
def test_socks_garbage(both, origin, name):
    got = send_and_read(both.sp, SOCKS_CASES[name], timeout=5)
    assert len(got) <= 64, got[:100]
    healthy(both, origin)


def test_many_garbage_connections_in_parallel(both, origin):
    def one(i):
        port = both.pp if i % 2 else both.sp
        try:
            send_and_read(port, os.urandom(RNG.randrange(1, 3000)), 5)
        except OSError:
            pass
    ts = [threading.Thread(target=one, args=(i,)) for i in range(60)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    healthy(both, origin)


def test_idle_connections_do_not_block_others(both, origin):
    """Connections that send nothing must not stall service for others."""
    idle = [connect(both.pp) for _ in range(20)] + \
        [connect(both.sp) for _ in range(20)]
    try:
        healthy(both, origin)
    finally:
        for s in idle:
            s.close()
