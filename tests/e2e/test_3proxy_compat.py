"""Behaviour 3proxy 1.0.0's users notice, checked with real clients: the
SOCKS5 method choice (default, -u, -u2), %n of requests naming an
address, %N of SOCKS4a.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_3proxy_compat.py

Spec: issue 10 item 9 (and item 8's -u/-u2); 3proxy's socks.c (method
0 accepted unless -u2, the request then refused by auth with code 4;
hostname kept as the request's text, so %n is bare for IPv4; SOCKS4a is
service SOC45) and log.c (%n brackets only names holding ':').
"""
import pytest
import socks

from clients import (connect, curl, socks4_open, socks5_greet,
                     socks5_request, socks5_userpass)
from origins import HELLO
from pc_server import cfg_head, free_port, one_record

LOGF = "G%N|%E|%U|%n|%T"


def start(portcullis, body, nports=1):
    ps = [free_port() for _ in range(nports)]
    srv = portcullis(cfg_head(logformat=LOGF) + body.format(*ps), ports=ps)
    srv.ps = ps
    return srv


rec = one_record


# ---- SOCKS5 methods --------------------------------------------------------

def test_method_none_offered_to_auth_strong(portcullis, origin):
    srv = start(portcullis, "auth strong\nusers alice:CL:pw\nallow alice\n"
                "socks -i127.0.0.1 -p{0}\n")
    s = connect(srv.ps[0])
    try:
        assert socks5_greet(s, (0,)) == b"\x05\x00"
        code, _ = socks5_request(s, "127.0.0.1", origin.port)
        assert code == 2                # not allowed by the ruleset
    finally:
        s.close()
    assert rec(srv, f"CONNECT 127.0.0.1:{origin.port}") == \
        ("SOCK5", "00004", "-", "127.0.0.1",
         f"CONNECT 127.0.0.1:{origin.port}")
    # offered both, the password method is taken and the user served
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(socks.SOCKS5, "127.0.0.1", srv.ps[0], username="alice",
                password="pw")
    s.connect(("127.0.0.1", origin.port))
    s.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
    assert HELLO in s.recv(65536) + s.recv(65536)
    s.close()


def test_u2_requires_username_password(portcullis, origin):
    srv = start(portcullis, "auth iponly\nallow *\n"
                "socks -u2 -i127.0.0.1 -p{0}\n")
    s = connect(srv.ps[0])
    try:
        assert socks5_greet(s, (0,)) == b"\x05\xff"
    finally:
        s.close()
    n, e, *_ = rec(srv, "SOCK5|00004|")
    assert (n, e) == ("SOCK5", "00004")
    s = connect(srv.ps[0])
    try:
        assert socks5_greet(s, (0, 2)) == b"\x05\x02"
        assert socks5_userpass(s, "bob", "x")[1] == 0
        code, _ = socks5_request(s, "127.0.0.1", origin.port)
        assert code == 0
    finally:
        s.close()


def test_u_never_asks(portcullis, origin):
    """-u: the password method is never chosen, and a SOCKS4 user id is
    not taken as the user (so `allow carol` does not match it)."""
    srv = start(portcullis, "auth useronly\nallow carol\ndeny *\n"
                "socks -u -i127.0.0.1 -p{0}\n")
    s = connect(srv.ps[0])
    try:
        assert socks5_greet(s, (0, 2)) == b"\x05\x00"
    finally:
        s.close()
    s, code = socks4_open(srv.ps[0], "127.0.0.1", origin.port,
                          userid=b"carol")
    s.close()
    assert code == 91
    # without -u the same user id is the user, and allowed
    srv2 = start(portcullis, "auth useronly\nallow carol\ndeny *\n"
                 "socks -i127.0.0.1 -p{0}\n")
    s, code = socks4_open(srv2.ps[0], "127.0.0.1", origin.port,
                          userid=b"carol")
    s.close()
    assert code == 90


# ---- %n and %N ---------------------------------------------------------------

def test_host_of_address_requests(portcullis, origin, origin6, dns):
    srv = start(portcullis, dns.nserver + "\nauth iponly\nallow *\n"
                "proxy -i127.0.0.1 -p{0}\nsocks -i127.0.0.1 -p{1}\n", 2)
    pp, sp = srv.ps
    r = curl(["-x", f"http://127.0.0.1:{pp}", origin.url("/hello")])
    assert r.status == 200
    assert rec(srv, "PROXY|00000|-|127.0.0.1|GET")[3] == "127.0.0.1"
    r = curl(["-x", f"http://127.0.0.1:{pp}",
              f"http://[::1]:{origin6.port}/hello"])
    assert r.status == 200
    assert rec(srv, "|GET http://[::1]")[3] == "[::1]"
    r = curl(["-x", f"http://127.0.0.1:{pp}",
              f"http://origin.test:{origin.port}/hello"])
    assert rec(srv, "|GET http://origin.test")[3] == "origin.test"
    for ver, name in ((socks.SOCKS5, "SOCK5"), (socks.SOCKS4, "SOCK4")):
        s = socks.socksocket()
        s.settimeout(10)
        s.set_proxy(ver, "127.0.0.1", sp)
        s.connect(("127.0.0.1", origin.port))
        s.close()
        assert rec(srv, f"{name}|00000|-|127.0.0.1|CONNECT 127.0.0.1:") \
            is not None
    # SOCKS4a: a name, logged under 3proxy's service name SOC45
    s, code = socks4_open(sp, "origin.test", origin.port)
    s.close()
    assert code == 90
    assert rec(srv, "|CONNECT origin.test:")[:4] == \
        ("SOC45", "00000", "-", "origin.test")


@pytest.mark.parametrize("svc", ["proxy -u", "tcppm -u2 8000 a.test 80"])
def test_u_flags_refused_elsewhere(tmp_path, svc):
    import subprocess
    from pc_server import BIN
    f = tmp_path / "c.cfg"
    f.write_text(f"{svc}\n")
    p = subprocess.run([BIN, "-t", str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "socks and auto only" in p.stderr, p


def test_proxy_u2_needs_a_user(portcullis, origin):
    """proxy -u2 (3proxy's needuser 2): a request without a user name is
    refused with 407 and code 4, even under iponly; with one it passes."""
    srv = start(portcullis, "users bob:CL:pw\nauth iponly\nallow *\n"
                "proxy -u2 -i127.0.0.1 -p{0}\n")
    r = curl(["-x", f"http://127.0.0.1:{srv.ps[0]}", origin.url("/hello")])
    assert r.status == 407, r
    assert rec(srv, "|GET http://")[:2] == ("PROXY", "00004")
    r = curl(["-x", f"http://bob:pw@127.0.0.1:{srv.ps[0]}",
              origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r


# ---- maxconn -------------------------------------------------------------

def echo_ok(s, data=b"ping"):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        b = s.recv(64)
        if not b:
            break
        got += b
    return got == data


@pytest.mark.parametrize("maxconn", [1, 3])
def test_maxconn_is_per_service_whatever_workers(portcullis, echo, maxconn):
    """maxconn N with `workers 2`: N tcppm connections are served at once,
    the next waits (in the backlog) until one ends, then is served."""
    import socket
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 2\nmaxconn {maxconn}\n"
                     f"tcppm -i127.0.0.1 {port} 127.0.0.1 {echo.port}\n",
                     ports=[port], min_workers=2)
    assert len(srv.wait_workers(2)) == 2
    held = []
    try:
        for _ in range(maxconn):
            s = connect(port)
            assert echo_ok(s)
            held.append(s)
        extra = connect(port)
        extra.settimeout(1.5)
        extra.sendall(b"wait")
        with pytest.raises(socket.timeout):
            extra.recv(64)          # not served: the service is full
        held.pop(0).close()
        extra.settimeout(10)
        got = b""
        while len(got) < 4:
            b = extra.recv(64)
            assert b, got
            got += b
        assert got == b"wait"       # served once a place was free
        extra.close()
    finally:
        for s in held:
            s.close()
