"""The TCP port mapper (`tcppm [-options] LOCALPORT HOST PORT`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_tcppm.py -k socat

Spec: issue 2 item 5 (tcppm), 3proxy-behaviour.md (%T is the target host;
destinations given by name are resolved per connection).
"""
import hashlib
import os
import socket
import subprocess

from clients import connect, echo_roundtrip, recv_until_close
from origins import pattern_sha256
from pc_server import cfg_head, free_port, records


def start(portcullis, host, dport, dns=None, acl="", opts=""):
    port = free_port()
    srv = portcullis(cfg_head(dns) + (f"{acl}\n" if acl else "") +
                     f"tcppm -i127.0.0.1 {opts} {port} {host} {dport}\n",
                     ports=[port])
    srv.port = port
    return srv


def test_socat_echo_byte_exact(portcullis, echo, tmp_path):
    """socat sends 3 MB, half-closes, and must read back every byte: the
    mapper relays the half-close (FIN) and keeps the other direction."""
    srv = start(portcullis, "127.0.0.1", echo.port)
    data = os.urandom(3 << 20)
    src = tmp_path / "in"
    src.write_bytes(data)
    # stdin/stdout ("-"): a FILE: address would be opened read-write and
    # receive the echoed bytes itself
    with open(src, "rb") as f:
        p = subprocess.run(["socat", "-t", "10", "-T", "20", "-",
                            f"TCP:127.0.0.1:{srv.port}"], stdin=f,
                           capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout) == len(data)
    assert hashlib.sha256(p.stdout).digest() == hashlib.sha256(data).digest()


def test_python_echo_no_half_close(portcullis, echo):
    srv = start(portcullis, "127.0.0.1", echo.port)
    s = connect(srv.port)
    try:
        assert echo_roundtrip(s, 2 << 20, b"tcppm")
    finally:
        s.close()


def test_http_download_through_mapper(portcullis, origin):
    srv = start(portcullis, "127.0.0.1", origin.port)
    n = 5 << 20
    s = connect(srv.port)
    try:
        s.sendall(f"GET /big/{n} HTTP/1.1\r\nHost: x\r\nConnection: close"
                  "\r\n\r\n".encode())
        got = recv_until_close(s, n + 4096)
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    assert hashlib.sha256(body).hexdigest() == pattern_sha256(n)


def test_target_by_name(portcullis, dns, echo):
    srv = start(portcullis, "origin.test", echo.port, dns=dns)
    s = connect(srv.port)
    try:
        assert echo_roundtrip(s, 10000)
    finally:
        s.close()


def test_server_closes_first(portcullis, origin):
    """The origin closes after its reply: the client sees the close."""
    srv = start(portcullis, "127.0.0.1", origin.port)
    s = connect(srv.port, timeout=5)
    try:
        s.sendall(b"GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
        got = recv_until_close(s)
    finally:
        s.close()
    assert got.startswith(b"HTTP/1.") and got.endswith(b"origin\n"), got


def test_closed_target_closes_client(portcullis, closed_port):
    srv = start(portcullis, "127.0.0.1", closed_port)
    s = connect(srv.port, timeout=5)
    try:
        assert recv_until_close(s) == b""
    finally:
        s.close()
    recs = records(srv, "127.0.0.1")
    assert recs and recs[0]["err"] == "00013", srv.log_lines()


def test_denied_by_acl(portcullis, echo):
    srv = start(portcullis, "127.0.0.1", echo.port,
                acl=f"deny * * * {echo.port}\nallow *")
    s = connect(srv.port, timeout=5)
    try:
        s.sendall(b"hello")
        try:
            got = recv_until_close(s)
        except ConnectionResetError:
            got = b""
    finally:
        s.close()
    assert got == b""
    recs = records(srv, "127.0.0.1")
    assert recs and recs[0]["err"] == "00001", srv.log_lines()


def test_log_record_tcppm(portcullis, echo):
    srv = start(portcullis, "127.0.0.1", echo.port)
    s = connect(srv.port)
    assert echo_roundtrip(s, 5000)
    s.shutdown(socket.SHUT_WR)
    recv_until_close(s)
    s.close()
    recs = records(srv, "127.0.0.1")
    assert recs, srv.log_lines()
    r = recs[-1]
    assert r["err"] == "00000" and r["port"] == str(srv.port)
    assert r["rport"] == str(echo.port)
    assert int(r["out"]) == 5000 and int(r["in"]) == 5000
