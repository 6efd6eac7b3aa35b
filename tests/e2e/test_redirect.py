"""Local redirection: `parent 1000 http 0.0.0.0 0` after an `allow` on a
socks service hands the client to the HTTP proxy code of the same worker.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_redirect.py -k keep

Spec: issue 3 item 6; 3proxy-language.md 2.4 (last paragraph) and 2.9;
3proxy-behaviour.md "SOCKS" (the record keeps the name SOCK5, %T becomes the
HTTP request line, the ACL is walked again for the HTTP request, so a
second allow is needed); the HowTo's "local redirections" questions (its
example config; "after local redirection rules are applied again ...
Redirection rule itself is skipped").  Implementation: worker/redirect.h,
worker/proto_socks.c redirect(), worker/proto_http.c http_takeover().
"""
import hashlib
import json

import socks

from clients import (Reader, connect, curl, echo_roundtrip, read_response,
                     recv_exact, socks4_open, socks5_greet, socks5_open)
from origins import HELLO
from pc_server import cfg_head, free_port

LOGF = "G%N|%E|%U|%h|%T"
LOCAL = "parent 1000 http 0.0.0.0 0"


def start(portcullis, body, dns=None, nports=1, logformat=LOGF):
    ps = [free_port() for _ in range(nports)]
    srv = portcullis(cfg_head(dns, logformat=logformat) + body.format(*ps),
                     ports=ps)
    srv.ports_ = ps
    return srv


def recs(srv, needle, count=1, timeout=5.0):
    """Records (name, err, user, hops, text) whose text contains needle."""
    lines = srv.wait_log(lambda ln: needle in ln and ln.count("|") >= 4,
                         count, timeout)
    return [tuple(ln.split("|", 4)) for ln in lines]


def two_pass(port_rule, http_ops, svc="socks -i127.0.0.1 -p{0}\n"):
    """The brief's shape: the SOCKS request (CONNECT) to port_rule is
    redirected; the HTTP request needs its own allow for http_ops."""
    return (f"allow * * * {port_rule} CONNECT\n{LOCAL}\n"
            f"allow * * * * {http_ops}\ndeny *\n" + svc)


def socks_url(port, kind="socks5"):
    return ["-x", f"{kind}://127.0.0.1:{port}"]


# ---- clients: curl --socks5 / --socks5-hostname / --socks4 -------------

def test_curl_socks5_url_in_log(portcullis, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"))
    p = srv.ports_[0]
    r = curl(["--socks5", f"127.0.0.1:{p}", origin.url("/redir5?q=1")])
    assert r.status == 404 and r.body == b"not found\n", r
    rec = recs(srv, "/redir5")
    assert rec == [("SOCK5", "00000", "-", "0",
                    f"GET http://127.0.0.1:{origin.port}/redir5?q=1 "
                    "HTTP/1.1")], srv.log_lines()
    # the origin got an origin-form request (the HTTP code forwarded it)
    got = origin.requests_matching("/redir5")
    assert [g["path"] for g in got] == ["/redir5?q=1"]


def test_curl_socks5_hostname_url_in_log(portcullis, dns, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"), dns=dns)
    p = srv.ports_[0]
    r = curl(["--socks5-hostname", f"127.0.0.1:{p}",
              origin.url("/hello", "origin.test")])
    assert r.status == 200 and r.body == HELLO, r
    rec = recs(srv, "origin.test")
    assert rec and rec[0][0:2] == ("SOCK5", "00000"), srv.log_lines()
    assert rec[0][4] == (f"GET http://origin.test:{origin.port}/hello "
                         "HTTP/1.1")


def test_curl_socks4_name_is_sock4(portcullis, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"))
    p = srv.ports_[0]
    r = curl(["--socks4", f"127.0.0.1:{p}", origin.url("/hello?v4")])
    assert r.status == 200 and r.body == HELLO, r
    rec = recs(srv, "/hello?v4")
    assert rec == [("SOCK4", "00000", "-", "0",
                    f"GET http://127.0.0.1:{origin.port}/hello?v4 "
                    "HTTP/1.1")], srv.log_lines()


def test_pysocks_raw_http(portcullis, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP"))
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(socks.SOCKS5, "127.0.0.1", srv.ports_[0])
    try:
        s.connect(("127.0.0.1", origin.port))
        s.sendall(f"GET /hello?py HTTP/1.1\r\nHost: 127.0.0.1:{origin.port}"
                  "\r\nConnection: close\r\n\r\n".encode())
        resp = read_response(Reader(s))
    finally:
        s.close()
    assert resp.status == 200 and resp.body == HELLO
    assert recs(srv, "/hello?py")[0][4] == \
        f"GET http://127.0.0.1:{origin.port}/hello?py HTTP/1.1"


# ---- the second ACL walk ----------------------------------------------

def test_second_walk_applies_http_operations(portcullis, origin):
    """CONNECT is allowed (and redirected) for the origin port; the HTTP
    walk allows only HTTP_GET, so a POST meets `deny *`: 403, %E 1."""
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"))
    p = srv.ports_[0]
    assert curl(["--socks5", f"127.0.0.1:{p}",
                 origin.url("/get2")]).status == 404
    r = curl(["--socks5", f"127.0.0.1:{p}", "-d", "x", origin.url("/post2")])
    assert r.status == 403, r
    rec = recs(srv, "/post2")
    assert rec and rec[0][0:2] == ("SOCK5", "00001"), srv.log_lines()
    assert rec[0][4].startswith("POST http://127.0.0.1:")
    assert not origin.requests_matching("/post2")


def test_first_walk_still_applies(portcullis, origin, origin2):
    """A SOCKS request the first walk refuses never reaches HTTP code."""
    srv = start(portcullis, two_pass(origin.port, "HTTP"))
    s, code = socks5_open(srv.ports_[0], "127.0.0.2", origin2.port)
    s.close()
    assert code == 2


def test_without_second_allow_http_is_refused(portcullis, origin):
    """The HowTo: a second allow is needed.  Only CONNECT is allowed, so
    the HTTP request matches nothing: implicit deny, 407, %E 3."""
    srv = start(portcullis, f"allow * * * {origin.port} CONNECT\n{LOCAL}\n"
                "socks -i127.0.0.1 -p{0}\n")
    r = curl(["--socks5", f"127.0.0.1:{srv.ports_[0]}",
              origin.url("/noallow")])
    assert r.status == 407, r
    assert r.header("Proxy-Authenticate") is not None
    rec = recs(srv, "/noallow")
    assert rec and rec[0][0:2] == ("SOCK5", "00003"), srv.log_lines()


def test_redirect_rule_skipped_on_second_walk(portcullis, origin):
    """3proxy-language.md 2.4 and the HowTo: after a local redirection the
    rule that redirected is skipped.  Here it is the only allow, so the
    HTTP request meets `deny *` (403, %E 1) instead of being allowed by
    the redirecting rule."""
    srv = start(portcullis, f"allow * * * {origin.port}\n{LOCAL}\n"
                "deny *\nsocks -i127.0.0.1 -p{0}\n")
    r = curl(["--socks5", f"127.0.0.1:{srv.ports_[0]}",
              origin.url("/skipped")])
    rec = recs(srv, "/skipped")
    assert r.status == 403, (r, srv.log_lines())
    assert rec and rec[0][1] == "00001"


def test_redirect_again_to_parent(portcullis, origin):
    """The HowTo's second example: after the local redirection the HTTP
    request goes on to an http parent chosen by a later rule (the
    redirecting rule itself is skipped)."""
    par = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    pp = par.ports_[0]
    srv = start(portcullis,
                f"allow * * * {origin.port}\n{LOCAL}\n"
                f"allow * * * {origin.port}\nparent 1000 http 127.0.0.1 {pp}\n"
                "allow *\nsocks -i127.0.0.1 -p{0}\n")
    r = curl(["--socks5", f"127.0.0.1:{srv.ports_[0]}",
              origin.url("/viaparent")])
    assert r.status == 404, r
    seen = par.wait_log(lambda ln: "/viaparent" in ln)
    rec = recs(srv, "/viaparent")
    assert seen, ("the parent never saw the request", srv.log_lines())
    assert rec and rec[0][3] == "1"


# ---- connection handling -----------------------------------------------

def test_keepalive_two_requests_two_records(portcullis, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"))
    s, code = socks5_open(srv.ports_[0], "127.0.0.1", origin.port)
    try:
        assert code == 0
        rd = Reader(s)
        host = f"127.0.0.1:{origin.port}"
        for path in ("/ka1", "/hello?ka2"):
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"
                      .encode())
            resp = read_response(rd)
            assert resp.status in (200, 404)
        assert resp.body == HELLO
    finally:
        s.close()
    rec = recs(srv, "/ka1") + recs(srv, "/hello?ka2")
    assert [r[4] for r in rec] == [
        f"GET http://{host}/ka1 HTTP/1.1",
        f"GET http://{host}/hello?ka2 HTTP/1.1"], srv.log_lines()
    assert all(r[0] == "SOCK5" and r[1] == "00000" for r in rec)


def test_request_sent_with_socks_request(portcullis, origin):
    """The HTTP request arrives in the same segment as the SOCKS5 request
    (bytes read before the hand-over must not be lost)."""
    srv = start(portcullis, two_pass(origin.port, "HTTP_GET"))
    s = connect(srv.ports_[0])
    try:
        assert socks5_greet(s) == b"\x05\x00"
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" +
                  origin.port.to_bytes(2, "big") +
                  f"GET /hello?early HTTP/1.1\r\nHost: 127.0.0.1:"
                  f"{origin.port}\r\nConnection: close\r\n\r\n".encode())
        # granted, naming 0.0.0.0 port 0: nothing was connected
        assert recv_exact(s, 10) == b"\x05\x00\x00\x01" + bytes(6)
        resp = read_response(Reader(s))
    finally:
        s.close()
    assert resp.status == 200 and resp.body == HELLO
    assert recs(srv, "/hello?early")


def test_request_body_through_redirect(portcullis, origin):
    srv = start(portcullis, two_pass(origin.port, "HTTP_PUT"))
    data = hashlib.sha256(b"put").digest() * 4096
    r = curl(["--socks5", f"127.0.0.1:{srv.ports_[0]}", "-X", "PUT",
              "--data-binary", "@-", origin.url("/echo/put")],
             input_bytes=data)
    assert r.status == 200, r
    doc = json.loads(r.body)
    assert doc["method"] == "PUT"
    assert doc["body_sha256"] == hashlib.sha256(data).hexdigest()
    assert recs(srv, "/echo/put")[0][4].startswith("PUT http://")


def test_connect_method_through_redirect(portcullis, echo, closed_port):
    """An HTTPS-style CONNECT sent through the redirected connection: the
    HTTP code opens the tunnel (HTTPS operation) to the CONNECT target.
    The SOCKS target (a closed port) is never connected to."""
    srv = start(portcullis, two_pass(closed_port, "HTTPS"))
    s, code = socks5_open(srv.ports_[0], "127.0.0.1", closed_port)
    try:
        assert code == 0
        s.sendall(f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{echo.port}\r\n\r\n".encode())
        rd = Reader(s)
        resp = read_response(rd, "CONNECT")
        assert resp.status == 200
        assert rd.buf == b""
        assert echo_roundtrip(s, 100000, b"redir-connect")
    finally:
        s.close()
    rec = recs(srv, f"CONNECT 127.0.0.1:{echo.port}")
    assert rec and rec[0][0:2] == ("SOCK5", "00000"), srv.log_lines()


def test_get_refused_where_only_https_allowed(portcullis, origin,
                                              closed_port):
    srv = start(portcullis, two_pass(closed_port, "HTTPS"))
    s, code = socks5_open(srv.ports_[0], "127.0.0.1", closed_port)
    try:
        assert code == 0
        s.sendall(f"GET /onlyhttps HTTP/1.1\r\nHost: 127.0.0.1:"
                  f"{origin.port}\r\n\r\n".encode())
        resp = read_response(Reader(s))
    finally:
        s.close()
    assert resp.status == 403
    assert recs(srv, "/onlyhttps")[0][1] == "00001"


def test_non_http_bytes_get_400(portcullis, closed_port):
    """A client speaking something else (a TLS ClientHello) meets the HTTP
    parser: 400, a 5xx %E code, still under SOCK5."""
    srv = start(portcullis, two_pass(closed_port, "HTTP"))
    s, code = socks5_open(srv.ports_[0], "127.0.0.1", closed_port)
    try:
        assert code == 0
        s.sendall(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" +
                  b"\x00" * 40 + b"\r\n\r\n")
        resp = read_response(Reader(s))
    finally:
        s.close()
    assert resp.status == 400
    lines = srv.wait_log(lambda ln: ln.startswith("SOCK5|005"))
    assert lines, srv.log_lines()


# ---- credentials ----------------------------------------------------------

AUTH = "auth strong\nusers alice:CL:a bob:CL:b\n"


def test_socks5_credentials_reach_http_auth(portcullis, origin):
    """RFC 1929 credentials given to SOCKS are the user of the HTTP walk:
    alice is allowed by name there, bob only by the first walk."""
    srv = start(portcullis, AUTH +
                f"allow alice,bob * * {origin.port} CONNECT\n{LOCAL}\n"
                "allow alice * * * HTTP_GET\ndeny *\n"
                "socks -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r = curl(["-x", f"socks5://alice:a@127.0.0.1:{p}",
              origin.url("/hello?alice")])
    assert r.status == 200 and r.body == HELLO, r
    r = curl(["-x", f"socks5://bob:b@127.0.0.1:{p}",
              origin.url("/hello?bob")])
    assert r.status == 403, r
    a = recs(srv, "/hello?alice")
    b = recs(srv, "/hello?bob")
    assert a and a[0][0:3] == ("SOCK5", "00000", "alice"), srv.log_lines()
    assert b and b[0][0:3] == ("SOCK5", "00001", "bob")
    # a wrong password is refused by the first walk (SOCKS reply 2)
    s, code = socks5_open(p, "127.0.0.1", origin.port, user="alice",
                          pw="wrong")
    s.close()
    assert code == 2


def test_socks4_userid_reaches_http_auth(portcullis, origin):
    """auth useronly: the SOCKS4 user id is the user of the HTTP walk."""
    srv = start(portcullis, "auth useronly\n"
                f"allow carol,dave * * {origin.port} CONNECT\n{LOCAL}\n"
                "allow carol * * * HTTP_GET\ndeny *\n"
                "socks -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    for user, want in ((b"carol", 200), (b"dave", 403)):
        s, code = socks4_open(p, "127.0.0.1", origin.port, userid=user)
        try:
            assert code == 90
            s.sendall(f"GET /hello?{user.decode()} HTTP/1.1\r\nHost: "
                      f"127.0.0.1:{origin.port}\r\n\r\n".encode())
            assert read_response(Reader(s)).status == want
        finally:
            s.close()
    c = recs(srv, "/hello?carol")
    assert c and c[0][0:3] == ("SOCK4", "00000", "carol"), srv.log_lines()


# ---- elsewhere and the HowTo ----------------------------------------------

def test_proxy_service_ignores_local_parent(portcullis, origin, echo):
    """On a proxy service the only parent is the local redirection: the
    HTTP code must not hand the request to itself; it connects direct."""
    srv = start(portcullis, f"allow *\n{LOCAL}\nproxy -i127.0.0.1 -p{{0}}\n")
    p = srv.ports_[0]
    r = curl(["-x", f"http://127.0.0.1:{p}", origin.url("/hello?px")])
    assert r.status == 200 and r.body == HELLO, r
    rec = recs(srv, "/hello?px")
    assert rec == [("PROXY", "00000", "-", "0",
                    f"GET http://127.0.0.1:{origin.port}/hello?px "
                    "HTTP/1.1")], srv.log_lines()
    s = connect(p)
    try:
        s.sendall(f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n\r\n".encode())
        rd = Reader(s)
        assert read_response(rd, "CONNECT").status == 200
        assert echo_roundtrip(s, 20000, b"px")
    finally:
        s.close()


HOWTO = """auth iponly
allow * * * 80,8080-8088,{op}
parent 1000 http 0.0.0.0 0
allow * * * 80,8080-8088,{op}
allow *
socks -i127.0.0.1 -p{{0}}
"""


def test_howto_example(portcullis, origin, echo):
    """The HowTo's example (its port list plus the test origin's port; the
    ftp lines left out): web traffic through the HTTP code with URLs
    logged, everything else relayed directly as SOCKS."""
    srv = start(portcullis, HOWTO.format(op=origin.port))
    p = srv.ports_[0]
    r = curl(["--socks5", f"127.0.0.1:{p}", origin.url("/hello?howto")])
    assert r.status == 200 and r.body == HELLO, r
    rec = recs(srv, "/hello?howto")
    assert rec and rec[0][0:2] == ("SOCK5", "00000"), srv.log_lines()
    assert rec[0][4].startswith("GET http://")
    s, code = socks5_open(p, "127.0.0.1", echo.port)
    try:
        assert code == 0
        assert echo_roundtrip(s, 50000, b"howto")
    finally:
        s.close()
    rec = recs(srv, f"CONNECT 127.0.0.1:{echo.port}")
    assert rec and rec[0][0] == "SOCK5", srv.log_lines()


def test_redirect_config_errors(tmp_path):
    """Only ADDR 0.0.0.0 with PORT 0 is a local redirection; with a port
    it keeps the requested address (a normal parent), so it is accepted."""
    import subprocess
    from pc_server import BIN
    ok = tmp_path / "ok.cfg"
    ok.write_text(f"allow *\n{LOCAL}\nsocks -i127.0.0.1 -p{free_port()}\n")
    p = subprocess.run([BIN, "-t", str(ok)], capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    bad = tmp_path / "bad.cfg"
    bad.write_text(f"{LOCAL}\nsocks -i127.0.0.1 -p{free_port()}\n")
    p = subprocess.run([BIN, "-t", str(bad)], capture_output=True, timeout=10)
    assert p.returncode != 0 and b"parent" in p.stderr, p.stderr
