"""Parent proxies and chains (`parent WEIGHT TYPE ADDR PORT [USER [PASS]]`).

Every test runs a "child" portcullis whose `allow` rule carries `parent`
lines, and one or more portcullis instances as the parents, all on
loopback; real clients (curl, PySocks, raw sockets) talk to the child, and
the parents' access logs show what reached them.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_parent.py -k chain

Spec: issue 3 item 5 (types, weights, groups = hops, weight-0 fallbacks,
parentretries, a mixed SOCKS5 -> CONNECT -> SOCKS4 chain) and item 8 (`+`
types send the name unresolved; `fakeresolve`), 3proxy-language.md 2.9
(parent) and 2.3 (%E: 13 unreachable parent, 31-34 CONNECT parent, 40-49
SOCKS4 parent, 50-69 SOCKS5 parent; 30-79 -> HTTP 502), 2.1 (%R is the
address actually connected, %h the hops used), section 6 decision 3 (`auth
none` ignores parents), decision 8 (weight 0 = fallback).
"""
import json
import subprocess
import time

import pytest
import socks

from clients import (connect, curl, echo_roundtrip, Reader, read_response,
                     socks5_open)
from origins import HELLO
from pc_server import (BIN, cfg_head, clean_env, free_port, parse_default,
                       records, wait_for)

NAMES = "nscache 65536\nnsrecord origin.test 127.0.0.1"
PARENT_KIND = {"http": "proxy", "connect": "proxy", "connect+": "proxy",
               "socks4": "socks", "socks4+": "socks", "socks5": "socks",
               "socks5+": "socks"}


# ---- helpers ---------------------------------------------------------------

def serve(portcullis, kind, rules="", extra="", name=None):
    """One portcullis running a `proxy` or `socks` service on a fresh
    port, with rules (auth/users/allow/parent lines) before it."""
    port = free_port()
    if rules and not rules.endswith("\n"):
        rules += "\n"
    srv = portcullis(cfg_head(extra=extra) + rules +
                     f"{kind} -i127.0.0.1 -p{port}\n", name=name)
    srv.port = port
    return srv


def chain(*parents, allow="allow *"):
    """An allow line followed by `parent` lines."""
    return "\n".join([allow] + [f"parent {p}" for p in parents]) + "\n"


def px(srv):
    return ["-x", f"http://127.0.0.1:{srv.port}"]


def tag(label):
    return f"/echo/{label}-{time.monotonic_ns()}"


def err(rec):
    return int(rec["err"])


def no_records(srv, needle, settle=0.5):
    """True when no record with needle shows up within settle seconds."""
    time.sleep(settle)
    return not [ln for ln in srv.log_lines()
                if (r := parse_default(ln)) and needle in r["text"]]


def get_through(child, url):
    """GET url through child: curl -x for a proxy, --socks5 otherwise."""
    if child.kind == "proxy":
        return curl(px(child) + [url])
    return curl(["--socks5", f"127.0.0.1:{child.port}", url])


def child_of(portcullis, kind, *parents, extra="", name="child"):
    srv = serve(portcullis, kind, chain(*parents), extra=extra, name=name)
    srv.kind = kind
    return srv


def check_cfg(tmp_path, text):
    p = tmp_path / "t.cfg"
    p.write_text(text)
    r = subprocess.run([BIN, "-t", str(p)], capture_output=True, text=True,
                       timeout=10, env=clean_env())
    return p, r


# ---- one parent of each kind ---------------------------------------------

def test_http_parent_gets_absolute_uri(portcullis, origin):
    """`http` parent: the child hands the request (absolute URI) to the
    parent proxy, which fetches it; no CONNECT on the way."""
    parent = serve(portcullis, "proxy", name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 http 127.0.0.1 {parent.port}")
    path = tag("http")
    r = curl(px(child) + [origin.url(path)])
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    recs = records(parent, path)
    assert len(recs) == 1, parent.log_lines()
    assert recs[0]["text"].startswith("GET http://"), recs
    assert err(recs[0]) == 0, recs
    assert no_records(parent, "CONNECT ", 0.1), parent.log_lines()
    crec = records(child, path)
    assert crec and err(crec[0]) == 0, child.log_lines()


def test_connect_parent_plain_get(portcullis, origin):
    """`connect` parent: a plain GET through the child travels in a CONNECT
    tunnel opened at the parent."""
    parent = serve(portcullis, "proxy", name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 connect 127.0.0.1 {parent.port}")
    path = tag("conn")
    r = curl(px(child) + [origin.url(path)])
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    recs = records(parent, f"CONNECT 127.0.0.1:{origin.port}")
    assert len(recs) == 1, parent.log_lines()
    assert err(recs[0]) == 0, recs
    assert no_records(parent, path, 0.1), \
        f"the parent saw the URL, not a tunnel: {parent.log_lines()}"


def test_connect_parent_client_connect_tunnel(portcullis, echo):
    """A client's own CONNECT through the child, with a `connect` parent:
    byte-exact tunnel to the echo server."""
    parent = serve(portcullis, "proxy", name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 connect 127.0.0.1 {parent.port}")
    s = connect(child.port)
    try:
        s.sendall(f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{echo.port}\r\n\r\n".encode())
        rd = Reader(s)
        resp = read_response(rd, "CONNECT")
        assert resp.status == 200, resp
        assert rd.buf == b"", "bytes after the 200 (parent's reply leaked?)"
        assert echo_roundtrip(s, 1 << 20, b"parent")
    finally:
        s.close()
    recs = records(parent, f"CONNECT 127.0.0.1:{echo.port}")
    assert len(recs) == 1 and err(recs[0]) == 0, parent.log_lines()


@pytest.mark.parametrize("flag", ["--socks5", "--socks4"])
def test_socks5_parent_of_socks_child(portcullis, origin, flag):
    parent = serve(portcullis, "socks", name="parent")
    child = child_of(portcullis, "socks",
                     f"1000 socks5 127.0.0.1 {parent.port}")
    path = tag("s5")
    r = curl([flag, f"127.0.0.1:{child.port}", origin.url(path)])
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    recs = records(parent, f"CONNECT 127.0.0.1:{origin.port}")
    assert len(recs) == 1, parent.log_lines()
    assert err(recs[0]) == 0, recs


def test_socks5_parent_pysocks_echo(portcullis, echo):
    parent = serve(portcullis, "socks", name="parent")
    child = child_of(portcullis, "socks",
                     f"1000 socks5 127.0.0.1 {parent.port}")
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(socks.SOCKS5, "127.0.0.1", child.port)
    try:
        s.connect(("127.0.0.1", echo.port))
        assert echo_roundtrip(s, 1 << 20, b"pysocks")
    finally:
        s.close()
    recs = records(parent, f"CONNECT 127.0.0.1:{echo.port}")
    assert len(recs) == 1 and err(recs[0]) == 0, parent.log_lines()


@pytest.mark.parametrize("ptype", ["socks4", "socks5", "connect", "http"])
def test_each_parent_type_from_proxy_child(portcullis, origin, ptype):
    parent = serve(portcullis, PARENT_KIND[ptype], name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 {ptype} 127.0.0.1 {parent.port}")
    r = curl(px(child) + [origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r
    needle = "/hello" if ptype == "http" else \
        f"CONNECT 127.0.0.1:{origin.port}"
    recs = records(parent, needle)
    assert len(recs) == 1 and err(recs[0]) == 0, parent.log_lines()


# ---- names: `+` types pass them on, the others send the address ----------

@pytest.mark.parametrize("child_kind", ["proxy", "socks"])
@pytest.mark.parametrize("ptype", ["socks4+", "socks5+", "connect+"])
def test_plus_type_sends_name_unresolved(portcullis, origin, ptype,
                                         child_kind):
    """The child has `fakeresolve` and no name server: had it resolved
    origin.test it would have sent 127.0.0.2 (nothing listens there on
    the origin's port).  The parent resolves the name (nsrecord) and logs
    it in %T."""
    parent = serve(portcullis, PARENT_KIND[ptype], "", extra=NAMES,
                   name="parent")
    child = child_of(portcullis, child_kind,
                     f"1000 {ptype} 127.0.0.1 {parent.port}",
                     extra="fakeresolve")
    path = tag("plus")
    url = origin.url(path, "origin.test")
    if child_kind == "proxy":
        r = curl(px(child) + [url])
    else:
        r = curl(["--socks5-hostname", f"127.0.0.1:{child.port}", url])
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    recs = records(parent, f"CONNECT origin.test:{origin.port}")
    assert len(recs) == 1, parent.log_lines()
    assert err(recs[0]) == 0, recs


@pytest.mark.parametrize("ptype", ["socks4", "socks5", "connect"])
def test_plain_type_sends_address(portcullis, origin, ptype):
    """Without `+` the child resolves the name itself (nsrecord) and the
    parent is asked for the address."""
    parent = serve(portcullis, PARENT_KIND[ptype], name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 {ptype} 127.0.0.1 {parent.port}", extra=NAMES)
    r = curl(px(child) + [origin.url("/hello", "origin.test")])
    assert r.status == 200 and r.body == HELLO, r
    recs = records(parent, f"CONNECT 127.0.0.1:{origin.port}")
    assert len(recs) == 1 and err(recs[0]) == 0, parent.log_lines()
    assert no_records(parent, "origin.test", 0.1), parent.log_lines()


# ---- credentials for the parent --------------------------------------------

AUTH_BOB = "auth strong\nusers bob:CL:pw\nallow bob"


@pytest.mark.parametrize("cred,ok", [("bob pw", True), ("bob wrong", False),
                                     ("", False)])
def test_socks5_parent_credentials(portcullis, echo, cred, ok):
    """RFC 1929 towards the parent; a refusal by the parent is a SOCKS5
    parent error: %E 50..69 in the child's record, a failure reply to the
    client."""
    parent = serve(portcullis, "socks", AUTH_BOB, name="parent")
    child = child_of(portcullis, "socks",
                     f"1000 socks5 127.0.0.1 {parent.port} {cred}".rstrip())
    s, code = socks5_open(child.port, "127.0.0.1", echo.port)
    try:
        if ok:
            assert code == 0
            assert echo_roundtrip(s, 10000)
        else:
            assert code != 0, "tunnel opened with bad parent credentials"
    finally:
        s.close()
    needle = f"CONNECT 127.0.0.1:{echo.port}"
    crec = records(child, needle)
    assert len(crec) == 1, child.log_lines()
    if ok:
        assert err(crec[0]) == 0, crec
        prec = records(parent, needle)
        assert len(prec) == 1 and prec[0]["user"] == "bob", \
            parent.log_lines()
        assert err(prec[0]) == 0, prec
    else:
        assert 50 <= err(crec[0]) <= 69, crec


@pytest.mark.parametrize("cred,ok", [("bob pw", True), ("bob wrong", False),
                                     ("", False)])
def test_connect_parent_basic_credentials(portcullis, origin, cred, ok):
    """Basic credentials in the CONNECT to the parent; the parent's 407 is
    a CONNECT parent error: 502 to the client, %E 31..34."""
    parent = serve(portcullis, "proxy", AUTH_BOB, name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 connect 127.0.0.1 {parent.port} {cred}".rstrip())
    path = tag("cred")
    r = curl(px(child) + [origin.url(path)])
    crec = records(child, path)
    assert len(crec) == 1, child.log_lines()
    if ok:
        assert r.status == 200, r
        assert err(crec[0]) == 0, crec
        prec = records(parent, f"CONNECT 127.0.0.1:{origin.port}")
        assert len(prec) == 1 and prec[0]["user"] == "bob", \
            parent.log_lines()
    else:
        assert r.status == 502, r
        assert 31 <= err(crec[0]) <= 34, crec


def test_http_parent_basic_credentials(portcullis, origin):
    """`http` parent with USER PASS: Proxy-Authorization towards the
    parent (auth strong there)."""
    parent = serve(portcullis, "proxy", AUTH_BOB, name="parent")
    child = child_of(portcullis, "proxy",
                     f"1000 http 127.0.0.1 {parent.port} bob pw")
    path = tag("httpcred")
    r = curl(px(child) + [origin.url(path)])
    assert r.status == 200, r
    prec = records(parent, path)
    assert len(prec) == 1 and prec[0]["user"] == "bob", parent.log_lines()
    assert err(prec[0]) == 0, prec


def test_socks4_parent_sends_userid(portcullis, echo):
    """USER on a socks4 parent is the SOCKS4 user id (logged as %U by the
    parent)."""
    parent = serve(portcullis, "socks", name="parent")
    child = child_of(portcullis, "socks",
                     f"1000 socks4 127.0.0.1 {parent.port} bob")
    s, code = socks5_open(child.port, "127.0.0.1", echo.port)
    try:
        assert code == 0
        assert echo_roundtrip(s, 1000)
    finally:
        s.close()
    prec = records(parent, f"CONNECT 127.0.0.1:{echo.port}")
    assert len(prec) == 1 and prec[0]["user"] == "bob", parent.log_lines()


# ---- chains ----------------------------------------------------------------

@pytest.mark.parametrize("child_kind", ["proxy", "socks"])
def test_mixed_chain_socks5_connect_socks4(portcullis, origin, child_kind):
    """child -> A (socks5) -> B (connect) -> C (socks4) -> origin: each hop
    asks the next one for the next hop's address."""
    a = serve(portcullis, "socks", name="A")
    b = serve(portcullis, "proxy", name="B")
    c = serve(portcullis, "socks", name="C")
    child = child_of(portcullis, child_kind,
                     f"1000 socks5 127.0.0.1 {a.port}",
                     f"1000 connect 127.0.0.1 {b.port}",
                     f"1000 socks4 127.0.0.1 {c.port}")
    path = tag("chain")
    r = get_through(child, origin.url(path))
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    for srv, needle in ((a, f"CONNECT 127.0.0.1:{b.port}"),
                        (b, f"CONNECT 127.0.0.1:{c.port} HTTP/1."),
                        (c, f"CONNECT 127.0.0.1:{origin.port}")):
        recs = records(srv, needle)
        assert len(recs) == 1, (srv.dir.name, needle, srv.log_lines())
        assert err(recs[0]) == 0, (srv.dir.name, recs)
        # each parent logs exactly one request record
        others = [ln for ln in srv.log_lines()
                  if (p := parse_default(ln)) and
                  p["text"].startswith(("CONNECT", "GET"))]
        assert len(others) == 1, (srv.dir.name, others)


def test_child_record_names_first_parent_and_hops(portcullis, origin):
    """%R:%r of the child is the address actually connected (the first
    hop), %h the number of hops (3proxy-language.md 2.1)."""
    a = serve(portcullis, "socks", name="A")
    b = serve(portcullis, "socks", name="B")
    one = child_of(portcullis, "proxy", f"1000 socks5 127.0.0.1 {a.port}",
                   name="one")
    two = child_of(portcullis, "proxy", f"1000 socks5 127.0.0.1 {a.port}",
                   f"1000 socks5 127.0.0.1 {b.port}", name="two")
    for child, hops in ((one, "1"), (two, "2")):
        path = tag(f"hops{hops}")
        r = curl(px(child) + [origin.url(path)])
        assert r.status == 200, r
        rec = records(child, path)
        assert rec, child.log_lines()
        assert (rec[0]["rip"], rec[0]["rport"]) == ("127.0.0.1",
                                                    str(a.port)), rec
        assert rec[0]["hops"] == hops, rec


def test_two_groups_form_two_hops(portcullis, echo):
    """500 A + 500 B + 1000 C: first hop A or B, second hop always C."""
    a = serve(portcullis, "socks", name="A")
    b = serve(portcullis, "socks", name="B")
    c = serve(portcullis, "socks", name="C")
    child = child_of(portcullis, "socks",
                     f"500 socks5 127.0.0.1 {a.port}",
                     f"500 socks5 127.0.0.1 {b.port}",
                     f"1000 socks5 127.0.0.1 {c.port}")
    n = 20
    for i in range(n):
        s, code = socks5_open(child.port, "127.0.0.1", echo.port)
        try:
            assert code == 0, i
            assert echo_roundtrip(s, 100, bytes([i]))
        finally:
            s.close()
    via_c = records(c, f"CONNECT 127.0.0.1:{echo.port}", n)
    assert len(via_c) == n, c.log_lines()
    needle = f"CONNECT 127.0.0.1:{c.port}"
    wait_for(lambda: len(records(a, needle, 0, 0)) +
             len(records(b, needle, 0, 0)) >= n, 5)
    na, nb = len(records(a, needle, 0, 0)), len(records(b, needle, 0, 0))
    assert na + nb == n, (na, nb)
    assert no_records(a, f"CONNECT 127.0.0.1:{echo.port}", 0.1)
    assert no_records(b, f"CONNECT 127.0.0.1:{echo.port}", 0.1)


def test_weighted_split_300_700(portcullis, echo):
    """300 A + 700 B is one hop: A about 30 % of new connections.  Over
    n = 200 connections the binomial standard deviation of A's share is
    sqrt(0.3 * 0.7 / 200) = 0.032; the accepted band 0.30 +- 0.10 is more
    than 3 sd wide (a correct server fails it about 0.2 % of runs)."""
    a = serve(portcullis, "socks", name="A")
    b = serve(portcullis, "socks", name="B")
    child = child_of(portcullis, "socks",
                     f"300 socks5 127.0.0.1 {a.port}",
                     f"700 socks5 127.0.0.1 {b.port}")
    n = 200
    failed = 0
    for i in range(n):
        s, code = socks5_open(child.port, "127.0.0.1", echo.port)
        try:
            if code != 0 or not echo_roundtrip(s, 16, bytes([i % 256])):
                failed += 1
        finally:
            s.close()
    assert failed == 0, f"{failed} of {n} connections failed"
    needle = f"CONNECT 127.0.0.1:{echo.port}"
    wait_for(lambda: len(records(a, needle, 0, 0)) +
             len(records(b, needle, 0, 0)) >= n, 10)
    na, nb = len(records(a, needle, 0, 0)), len(records(b, needle, 0, 0))
    assert na + nb == n, (na, nb)
    share = na / n
    assert 0.20 <= share <= 0.40, f"A got {na}/{n} = {share:.3f}"


# ---- failures, fallbacks, retries ------------------------------------------

def test_weight0_fallback_used_when_parent_dead(portcullis, origin,
                                                closed_port):
    a = serve(portcullis, "socks", name="A")
    child = child_of(portcullis, "proxy",
                     f"1000 socks5 127.0.0.1 {closed_port}",
                     f"0 socks5 127.0.0.1 {a.port}")
    path = tag("fb")
    r = curl(px(child) + [origin.url(path)])
    assert r.status == 200, r
    assert json.loads(r.body)["path"] == path
    recs = records(a, f"CONNECT 127.0.0.1:{origin.port}")
    assert len(recs) == 1 and err(recs[0]) == 0, a.log_lines()


def test_weight0_fallback_unused_when_parent_alive(portcullis, origin):
    a = serve(portcullis, "socks", name="A")
    b = serve(portcullis, "socks", name="B")
    child = child_of(portcullis, "proxy",
                     f"1000 socks5 127.0.0.1 {a.port}",
                     f"0 socks5 127.0.0.1 {b.port}")
    for _ in range(5):
        r = curl(px(child) + [origin.url("/hello")])
        assert r.status == 200 and r.body == HELLO, r
    needle = f"CONNECT 127.0.0.1:{origin.port}"
    assert len(records(a, needle, 5)) == 5, a.log_lines()
    assert no_records(b, needle, 0.3), b.log_lines()


def test_parentretries_picks_again(portcullis, echo, closed_port):
    """500 DEAD + 500 A in one hop: a failed pick is retried with a new
    random choice (3proxy-language.md 2.9).  With `parentretries 20` a
    connection fails only if every pick is DEAD: about 0.5^20 = 1e-6 per
    connection; without re-picking about half of the 20 would fail."""
    a = serve(portcullis, "socks", name="A")
    child = child_of(portcullis, "socks",
                     f"500 socks5 127.0.0.1 {closed_port}",
                     f"500 socks5 127.0.0.1 {a.port}",
                     extra="parentretries 20")
    n, failed = 20, []
    for i in range(n):
        s, code = socks5_open(child.port, "127.0.0.1", echo.port)
        try:
            if code != 0 or not echo_roundtrip(s, 16, bytes([i])):
                failed.append((i, code))
        finally:
            s.close()
    assert not failed, f"{len(failed)} of {n} failed: {failed}"
    assert len(records(a, f"CONNECT 127.0.0.1:{echo.port}", n)) == n


@pytest.mark.parametrize("child_kind", ["proxy", "socks"])
def test_unreachable_parent_no_fallback(portcullis, origin, closed_port,
                                        child_kind):
    """A parent nobody listens on: HTTP 502 / SOCKS5 failure reply, the
    child logs %E 13 (3proxy-behaviour.md: like a direct connect
    failure)."""
    child = child_of(portcullis, child_kind,
                     f"1000 socks5 127.0.0.1 {closed_port}",
                     extra="parentretries 1")
    t0 = time.monotonic()
    if child_kind == "proxy":
        path = tag("dead")
        r = curl(px(child) + [origin.url(path)])
        assert r.status == 502, r
        needle = path
    else:
        s, code = socks5_open(child.port, "127.0.0.1", origin.port)
        s.close()
        assert code != 0, "tunnel reported open through a dead parent"
        needle = f"CONNECT 127.0.0.1:{origin.port}"
    assert time.monotonic() - t0 < 10
    recs = records(child, needle)
    assert len(recs) == 1, child.log_lines()
    assert err(recs[0]) == 13, recs


def test_auth_none_ignores_parents(portcullis, origin, closed_port):
    """Decision 3: `auth none` skips the ACL walk and with it the parents;
    the request goes direct."""
    child = serve(portcullis, "proxy", "auth none\n" +
                  chain(f"1000 socks5 127.0.0.1 {closed_port}"),
                  name="child")
    r = curl(px(child) + [origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r


# ---- tcp parent ----------------------------------------------------------

def test_tcp_parent_on_tcppm(portcullis, echo, closed_port):
    """tcppm's own destination is a dead port; the `tcp` parent sends the
    bytes to the echo server instead."""
    port = free_port()
    srv = portcullis(cfg_head() + chain(f"1000 tcp 127.0.0.1 {echo.port}") +
                     f"tcppm -i127.0.0.1 {port} 127.0.0.1 {closed_port}\n",
                     ports=[port], name="child")
    s = connect(port)
    try:
        assert echo_roundtrip(s, 1 << 20, b"tcp-parent")
    finally:
        s.close()
    assert srv.running()


def test_tcp_parent_on_socks(portcullis, echo, closed_port):
    """SOCKS5 request for a dead port; the `tcp` parent connects to the echo
    server, so the tunnel echoes."""
    child = child_of(portcullis, "socks",
                     f"1000 tcp 127.0.0.1 {echo.port}")
    s, code = socks5_open(child.port, "127.0.0.1", closed_port)
    try:
        assert code == 0
        assert echo_roundtrip(s, 100000, b"tcp-socks")
    finally:
        s.close()


# ---- config ----------------------------------------------------------------

def test_config_every_type_accepted(tmp_path):
    lines = ["allow *"]
    for i, t in enumerate(["tcp", "http", "connect", "connect+", "socks4",
                           "socks4+", "socks5", "socks5+"]):
        lines.append(f"parent 1000 {t} 127.0.0.1 {20000 + i}")
    lines += ["allow * 10.0.0.0/8",
              "parent 1000 connect 127.0.0.1 3128 user pass",
              "parent 1000 socks5 127.0.0.1 1080 user",
              "parent 0 socks5 127.0.0.1 1081",
              "parentretries 3", "proxy -p3128", "socks -p1080"]
    p, r = check_cfg(tmp_path, "\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    assert f"{p}: configuration OK" in r.stdout


@pytest.mark.parametrize("text,line,why", [
    ("parent 1000 socks5 127.0.0.1 1080\nallow *\nproxy -p3128\n", 1,
     "before any allow"),
    ("allow *\ndeny *\nparent 1000 socks5 127.0.0.1 1080\nproxy -p3128\n",
     3, "after a deny"),
    ("allow *\nparent 1000 bogus 127.0.0.1 1080\nproxy -p3128\n", 2,
     "unknown type"),
    ("allow *\nparent 1001 socks5 127.0.0.1 1080\nproxy -p3128\n", 2,
     "weight over 1000"),
    ("allow *\nparent abc socks5 127.0.0.1 1080\nproxy -p3128\n", 2,
     "weight not a number"),
    ("allow *\nparent 1000 socks5 127.0.0.1\nproxy -p3128\n", 2,
     "missing port"),
    ("allow *\nparent 1000 socks5 127.0.0.1 70000\nproxy -p3128\n", 2,
     "port out of range"),
])
def test_config_parent_errors(tmp_path, text, line, why):
    """-t exits 1 naming FILE:LINE; a misplaced `parent` names the
    command (the other errors may name the offending token instead)."""
    p, r = check_cfg(tmp_path, text)
    assert r.returncode == 1, (why, r.returncode, r.stderr)
    want = f"{p}:{line}: parent" if why.startswith(("before", "after")) \
        else f"{p}:{line}: "
    assert want in r.stderr, (why, want, r.stderr)


def test_http_parent_results_do_not_outlive_their_server(portcullis, origin,
                                                         origin2):
    """A kept-alive client whose first request went through an `http`
    parent (absolute form, the parent's Proxy-Authorization) and whose
    second goes straight to another server: the second server gets an
    origin-form request without the parent's credentials."""
    parent = serve(portcullis, "proxy", AUTH_BOB, name="parent")
    child = serve(portcullis, "proxy",
                  f"allow * * {origin.host}\n"
                  f"parent 1000 http 127.0.0.1 {parent.port} bob pw\n"
                  f"allow * * {origin2.host}\n", name="child")
    p1, p2 = tag("viaparent"), tag("direct")
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "-x",
                        f"http://127.0.0.1:{child.port}",
                        "-o", "/dev/null", origin.url(p1),
                        "-o", "/dev/null", origin2.url(p2)],
                       capture_output=True, text=True, timeout=30,
                       env=clean_env())
    assert r.returncode == 0, r.stderr
    assert len(records(parent, p1)) == 1, parent.log_lines()
    got = origin2.requests_matching(p2)
    assert len(got) == 1, origin2.requests
    assert got[0]["path"].startswith("/"), got[0]
    hdrs = {k.lower() for k in dict(got[0]["headers"])}
    assert "proxy-authorization" not in hdrs, got[0]
    recs = [x for x in child.log_lines() if p2 in x]
    assert len(recs) == 1, child.log_lines()
