"""The HTTP proxy service (`proxy`): methods, bodies, keep-alive, CONNECT,
transparent requests, Basic auth, error statuses, ACL operations.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_proxy.py -k connect

Spec: issue 2 item 5 (proxy), 3proxy-behaviour.md "HTTP proxy",
docs/portcullis.8 ACCESS LOG (status per code).
"""
import hashlib
import json
import os
import socket
import time

import pytest

from clients import (Reader, connect, curl, echo_roundtrip,
                     http_exchange, read_response, send_and_read)
from origins import HELLO, pattern_sha256
from pc_server import cfg_head, free_port, records


def proxy_cfg(port, acl="", auth="", dns=None, extra=""):
    return (cfg_head(dns, extra=extra) + (f"{auth}\n" if auth else "") +
            (f"{acl}\n" if acl else "") + f"proxy -i127.0.0.1 -p{port}\n")


@pytest.fixture
def proxy(portcullis):
    port = free_port()
    srv = portcullis(proxy_cfg(port))
    srv.port = port
    return srv


def px(srv):
    return ["-x", f"http://127.0.0.1:{srv.port}"]


def echo_json(r):
    assert r.status == 200, r
    return json.loads(r.body)


def test_get(proxy, origin):
    r = curl(px(proxy) + [origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r


def test_head(proxy, origin):
    """HEAD carries Content-Length but no body: on the same kept-alive
    connection the next response's status line follows HEAD's headers
    directly (curl -I cannot see a stray body, it stops reading)."""
    r = curl(px(proxy) + ["-I", origin.url("/big/5000")])
    assert r.status == 200, r
    assert r.header("Content-Length") == "5000"
    s = connect(proxy.port)
    try:
        rd = Reader(s)
        for method in ("HEAD", "GET"):
            s.sendall(f"{method} {origin.url('/big/5000')} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\n\r\n".encode())
            resp = read_response(rd, method)
            assert resp.status == 200, resp
            assert resp.header("Content-Length") == "5000", resp.headers
            assert len(resp.body) == (0 if method == "HEAD" else 5000)
    finally:
        s.close()


def test_post_content_length(proxy, origin, tmp_path):
    data = os.urandom(300000)
    f = tmp_path / "body"
    f.write_bytes(data)
    j = echo_json(curl(px(proxy) + ["--data-binary", f"@{f}",
                                    origin.url("/echo/post")]))
    assert j["method"] == "POST"
    assert j["body_len"] == len(data)
    assert j["body_sha256"] == hashlib.sha256(data).hexdigest()


def test_post_chunked(proxy, origin, tmp_path):
    data = os.urandom(200001)
    f = tmp_path / "body"
    f.write_bytes(data)
    j = echo_json(curl(px(proxy) + ["-H", "Transfer-Encoding: chunked",
                                    "--data-binary", f"@{f}",
                                    origin.url("/echo/chunked")]))
    assert j["body_len"] == len(data)
    assert j["body_sha256"] == hashlib.sha256(data).hexdigest()


def test_put_delete_options_other(proxy, origin, tmp_path):
    f = tmp_path / "up"
    f.write_bytes(b"x" * 12345)
    j = echo_json(curl(px(proxy) + ["-T", str(f), origin.url("/echo/put")]))
    assert j["method"] == "PUT" and j["body_len"] == 12345
    for m in ("DELETE", "OPTIONS", "PATCH", "PURGE"):
        j = echo_json(curl(px(proxy) + ["-X", m, origin.url("/echo/" + m)]))
        assert j["method"] == m


def test_chunked_response(proxy, origin):
    r = curl(px(proxy) + [origin.url("/chunked/100000")])
    assert r.status == 200
    assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(100000)


def test_close_delimited_response(proxy, origin):
    r = curl(px(proxy) + [origin.url("/close")])
    assert r.status == 200 and r.body == HELLO * 3, r


def test_large_get_byte_exact(proxy, origin):
    n = 8 << 20
    r = curl(px(proxy) + [origin.url(f"/big/{n}")])
    assert r.status == 200
    assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(n)


def test_forwarded_request_is_origin_form_without_proxy_headers(proxy,
                                                                 origin):
    """The origin gets the request; Proxy-Authorization / Proxy-Connection
    (hop-by-hop for the proxy) are not forwarded."""
    j = echo_json(curl(px(proxy) + ["-H", "Proxy-Connection: keep-alive",
                                    "-H", "X-Test: 1",
                                    origin.url("/echo/hdrs")]))
    names = [k.lower() for k, _ in j["headers"]]
    assert "x-test" in names
    assert "proxy-connection" not in names
    assert "proxy-authorization" not in names


def test_keepalive_client_and_origin(proxy, origin):
    """curl with three URLs reuses one proxy connection: the three records
    carry the same %c; the origin sees one upstream connection too
    (keep-alive on both sides, issue 2 item 5)."""
    tag = f"ka{time.monotonic_ns()}"
    urls = [origin.url(f"/echo/{tag}/{i}") for i in range(3)]
    # one -o per URL: without them curl writes the later bodies to stdout,
    # where the -w status is read
    r = curl(px(proxy) + urls + ["-o", "/dev/null", "-o", "/dev/null"])
    assert r.rc == 0 and r.status == 200, r
    recs = records(proxy, tag, 3)
    assert len(recs) == 3, proxy.log_lines()
    assert len({x["cport"] for x in recs}) == 1, recs
    seen = origin.requests_matching(tag)
    assert len(seen) == 3
    assert len({x["client_port"] for x in seen}) == 1, \
        "proxy opened a new origin connection per request"


def test_keepalive_raw_pipelined_sequence(proxy, origin):
    """Several requests one after another on one raw socket."""
    s = connect(proxy.port)
    r = Reader(s)
    try:
        for i in range(5):
            s.sendall(f"GET {origin.url('/hello')} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{origin.port}\r\n\r\n".encode())
            resp = read_response(r)
            assert resp.status == 200 and resp.body == HELLO, (i, resp)
    finally:
        s.close()


def test_connect_tunnel_curl(proxy, origin):
    n = 2 << 20
    r = curl(px(proxy) + ["-p", origin.url(f"/big/{n}")])
    assert r.status == 200, r
    assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(n)
    assert r.connect == 200, r


def test_connect_tunnel_raw_echo(proxy, echo):
    s = connect(proxy.port)
    try:
        s.sendall(f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{echo.port}\r\n\r\n".encode())
        rd = Reader(s)
        resp = read_response(rd, "CONNECT")
        assert resp.status == 200
        assert rd.buf == b""
        assert echo_roundtrip(s, 1 << 20)
    finally:
        s.close()


def test_transparent_origin_form_with_host(proxy, origin):
    resp = http_exchange(proxy.port,
                         f"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:"
                         f"{origin.port}\r\nConnection: close\r\n\r\n"
                         .encode())
    assert resp.status == 200 and resp.body == HELLO, resp


def test_origin_form_without_host_is_400(proxy):
    resp = http_exchange(proxy.port, b"GET /hello HTTP/1.1\r\n\r\n")
    assert resp.status == 400, resp


# ---- auth ----------------------------------------------------------------

@pytest.fixture
def strong(portcullis):
    port = free_port()
    srv = portcullis(proxy_cfg(port, auth="auth strong\nusers alice:CL:s3cret",
                               acl="allow *"))
    srv.port = port
    return srv


def test_auth_required_407(strong, origin):
    r = curl(px(strong) + [origin.url("/hello")])
    assert r.status == 407, r
    pa = r.header("Proxy-Authenticate")
    assert pa and pa.lower().startswith("basic"), r.headers


def test_auth_ok(strong, origin):
    r = curl(px(strong) + ["--proxy-user", "alice:s3cret",
                           origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r


def test_auth_wrong_password_407(strong, origin):
    r = curl(px(strong) + ["--proxy-user", "alice:nope",
                           origin.url("/hello")])
    assert r.status == 407, r


def test_auth_unknown_user_407(strong, origin):
    r = curl(px(strong) + ["--proxy-user", "mallory:s3cret",
                           origin.url("/hello")])
    assert r.status == 407, r


def test_auth_connect(strong, origin):
    r = curl(px(strong) + ["-p", origin.url("/hello")])
    assert r.connect == 407, r
    r = curl(px(strong) + ["-p", "--proxy-user", "alice:s3cret",
                           origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r


def test_auth_header_not_forwarded(strong, origin):
    j = echo_json(curl(px(strong) + ["--proxy-user", "alice:s3cret",
                                     origin.url("/echo/auth")]))
    assert "proxy-authorization" not in [k.lower() for k, _ in j["headers"]]


# ---- errors --------------------------------------------------------------

def test_deny_403(portcullis, origin):
    port = free_port()
    srv = portcullis(proxy_cfg(port, acl=f"deny * * 127.0.0.1 {origin.port}"
                               "\nallow *"))
    srv.port = port
    r = curl(px(srv) + [origin.url("/hello")])
    assert r.status == 403, r
    assert b"<" in r.body, "error page should be a small HTML body"


def test_closed_port_502(proxy, closed_port):
    r = curl(px(proxy) + [f"http://127.0.0.1:{closed_port}/"])
    assert r.status == 502, r


def test_unresolvable_name_502(portcullis, dns):
    port = free_port()
    srv = portcullis(proxy_cfg(port, dns=dns))
    srv.port = port
    r = curl(px(srv) + ["http://nothing.nx.test/"])
    assert r.status == 502, r


def test_name_resolved_by_nserver(portcullis, dns, origin):
    port = free_port()
    srv = portcullis(proxy_cfg(port, dns=dns))
    srv.port = port
    r = curl(px(srv) + [origin.url("/hello", host="origin.test")])
    assert r.status == 200 and r.body == HELLO, r


def test_garbage_request_line_400(proxy):
    resp = http_exchange(proxy.port, b"THIS IS NOT HTTP\r\n\r\n", method="GET")
    assert resp.status == 400, resp


def test_bad_version_or_missing_uri_400(proxy):
    resp = http_exchange(proxy.port, b"GET\r\n\r\n", method="GET")
    assert resp.status == 400, resp


def test_request_line_too_long_414(proxy, origin):
    """The spec names no limit: 64 KiB of URI is beyond any sane one
    (the worker's is 32 KiB, 3proxy's line length)."""
    req = (f"GET {origin.url('/')}{'a' * 65536} HTTP/1.1\r\n"
           f"Host: x\r\n\r\n").encode()
    got = send_and_read(proxy.port, req)
    assert got.startswith(b"HTTP/1."), got[:200]
    assert got.split(b" ", 2)[1] == b"414", got[:200]


def test_headers_as_large_as_3proxy_takes(proxy, origin):
    """3proxy 1.0 reads header lines of up to 32 KiB and about 512 KiB of
    headers in all: such a request passes (16 fields of 30000 bytes, 480
    KB; the origin's own limit is 100 fields)."""
    hdrs = "".join(f"X-Big-{i}: {'c' * 30000}\r\n" for i in range(16))
    req = (f"GET {origin.url('/echo')} HTTP/1.1\r\nHost: x\r\n"
           f"Connection: close\r\n{hdrs}\r\n").encode()
    got = send_and_read(proxy.port, req, timeout=15)
    assert got.split(b" ", 2)[1:2] == [b"200"], got[:200]
    doc = json.loads(got.partition(b"\r\n\r\n")[2])
    sent = [v for k, v in doc["headers"] if k.startswith("X-Big-")]
    assert len(sent) == 16 and all(v == "c" * 30000 for v in sent)
    # a request line of 30000 bytes too
    req = (f"GET {origin.url('/hello')}?{'q' * 30000} HTTP/1.1\r\n"
           f"Host: x\r\nConnection: close\r\n\r\n").encode()
    got = send_and_read(proxy.port, req, timeout=15)
    assert got.split(b" ", 2)[1:2] == [b"200"], got[:200]


def test_header_block_too_large_431(proxy, origin):
    """700 KB of header fields (the worker's limit is 576 KiB)."""
    hdrs = "".join(f"X-Filler-{i}: {'b' * 2000}\r\n" for i in range(350))
    req = (f"GET {origin.url('/hello')} HTTP/1.1\r\nHost: x\r\n{hdrs}\r\n"
           ).encode()
    got = send_and_read(proxy.port, req)
    assert got.startswith(b"HTTP/1."), got[:200]
    assert got.split(b" ", 2)[1] == b"431", got[:200]


def test_too_many_header_fields_431(proxy, origin):
    hdrs = "".join(f"X-{i}: v\r\n" for i in range(3000))
    req = (f"GET {origin.url('/hello')} HTTP/1.1\r\nHost: x\r\n{hdrs}\r\n"
           ).encode()
    got = send_and_read(proxy.port, req)
    assert got.split(b" ", 2)[1:2] == [b"431"], got[:200]


def test_conflicting_framing_400(proxy, origin):
    req = (f"POST {origin.url('/echo')} HTTP/1.1\r\nHost: x\r\n"
           "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").encode()
    got = send_and_read(proxy.port, req)
    assert got.split(b" ", 2)[1:2] == [b"400"], got[:200]


def test_origin_timeout_504(portcullis, origin):
    """An origin that does not answer within the idle timeout (timeouts:
    CONNECTION_SHORT = 2 s) gives 504 (issue 2 item 5: 504 timeout)."""
    port = free_port()
    srv = portcullis(proxy_cfg(port, extra="timeouts 1 5 30 60 2 2 15 60 2"
                               " 5 5"))
    srv.port = port
    t0 = time.monotonic()
    r = curl(px(srv) + [origin.url("/slow/8000")], timeout=15)
    assert r.status == 504, r
    assert time.monotonic() - t0 < 7.5


def test_connect_timeout_504(portcullis):
    """A connect() that never completes: a listener with a full accept queue
    drops SYNs.  timeouts CONNECT = 2 s -> 504."""
    port = free_port()
    srv = portcullis(proxy_cfg(port, extra="timeouts 1 5 30 60 180 1800 15 "
                               "60 2 5 5"))
    srv.port = port
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    fillers = []
    try:
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(ls.getsockname())
            fillers.append(c)
        time.sleep(0.2)
        t0 = time.monotonic()
        r = curl(px(srv) + [f"http://127.0.0.1:{ls.getsockname()[1]}/"],
                 timeout=15)
        assert r.status == 504, r
        assert time.monotonic() - t0 < 8
    finally:
        for c in fillers:
            c.close()
        ls.close()


# ---- ACL operations --------------------------------------------------------

@pytest.mark.parametrize("acl,get,post,connect", [
    ("allow * * * * HTTP_GET\ndeny *", 200, 403, 403),
    ("allow * * * * HTTP_POST\ndeny *", 403, 200, 403),
    ("allow * * * * HTTP_CONNECT\ndeny *", 403, 403, 200),
    ("allow * * * * HTTPS\ndeny *", 403, 403, 200),
    ("allow * * * * HTTP\ndeny *", 200, 200, 403),
    ("deny * * * * HTTP_POST\nallow *", 200, 403, 200),
    ("allow * * * * HTTP_OTHER\ndeny *", 403, 403, 403),
])
def test_acl_operations(portcullis, origin, acl, get, post, connect):
    port = free_port()
    srv = portcullis(proxy_cfg(port, acl=acl))
    srv.port = port
    assert curl(px(srv) + [origin.url("/hello")]).status == get
    assert curl(px(srv) + ["-d", "x", origin.url("/echo")]).status == post
    r = curl(px(srv) + ["-p", origin.url("/hello")])
    assert r.connect == connect, r


def test_acl_head_put_other(portcullis, origin):
    port = free_port()
    srv = portcullis(proxy_cfg(port, acl="allow * * * * HTTP_HEAD,HTTP_PUT,"
                               "HTTP_OTHER\ndeny *"))
    srv.port = port
    assert curl(px(srv) + ["-I", origin.url("/hello")]).status == 200
    assert curl(px(srv) + ["-X", "PUT", "-d", "x",
                           origin.url("/echo")]).status == 200
    assert curl(px(srv) + ["-X", "DELETE", origin.url("/echo")]).status == 200
    assert curl(px(srv) + [origin.url("/hello")]).status == 403


def test_log_record_per_request(proxy, origin):
    tag = f"rec{time.monotonic_ns()}"
    curl(px(proxy) + [origin.url(f"/echo/{tag}")])
    recs = records(proxy, tag)
    assert recs and recs[0]["err"] == "00000", proxy.log_lines()
    assert recs[0]["text"] == f"GET {origin.url('/echo/' + tag)} HTTP/1.1"
