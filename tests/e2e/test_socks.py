"""The SOCKS service: SOCKS5 (no-auth, RFC 1929, IPv4/IPv6/name targets),
SOCKS4 and SOCKS4a, with PySocks, curl and raw handshakes; reply codes.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_socks.py -k socks4a

Spec: issue 2 item 5 (socks), RFC 1928/1929, 3proxy-behaviour.md "SOCKS",
docs/portcullis.8 (reply 2 for codes 1-8, 4 for 100, 5 for 11-19, SOCKS4 91).
"""
import hashlib
import socket

import pytest
import socks

from clients import (connect, curl, echo_roundtrip, http_get_over,
                     recv_until_close, socks4_open, socks5_greet,
                     socks5_open, socks5_request, socks5_userpass)
from origins import HELLO, pattern_sha256
from pc_server import cfg_head, free_port, records


def socks_cfg(port, acl="", auth="", dns=None, extra=""):
    return (cfg_head(dns, extra=extra) + (f"{auth}\n" if auth else "") +
            (f"{acl}\n" if acl else "") + f"socks -i127.0.0.1 -p{port}\n")


def start(portcullis, **kw):
    port = free_port()
    srv = portcullis(socks_cfg(port, **kw))
    srv.port = port
    return srv


@pytest.fixture
def sk(portcullis, dns):
    return start(portcullis, dns=dns)


@pytest.fixture
def sk_auth(portcullis, dns):
    return start(portcullis, dns=dns,
                 auth="auth strong\nusers alice:CL:s3cret", acl="allow *")


def pysocks(srv, version=socks.SOCKS5, rdns=False, user=None, pw=None):
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(version, "127.0.0.1", srv.port, rdns=rdns, username=user,
                password=pw)
    return s


def test_pysocks5_noauth_ipv4(sk, origin):
    s = pysocks(sk)
    try:
        s.connect(("127.0.0.1", origin.port))
        r = http_get_over(s, f"127.0.0.1:{origin.port}")
        assert r.status == 200 and r.body == HELLO
    finally:
        s.close()


def test_pysocks5_domain_via_nserver(sk, origin):
    s = pysocks(sk, rdns=True)
    try:
        s.connect(("origin.test", origin.port))
        r = http_get_over(s, f"origin.test:{origin.port}")
        assert r.status == 200 and r.body == HELLO
    finally:
        s.close()


def test_socks5_domain_via_nsrecord(portcullis, origin):
    """No nserver at all: the name comes from nsrecord."""
    srv = start(portcullis, extra="nscache 65536\nnsrecord rec.test "
                "127.0.0.1")
    s, code = socks5_open(srv.port, "rec.test", origin.port)
    try:
        assert code == 0
        assert http_get_over(s, "rec.test").body == HELLO
    finally:
        s.close()


def test_pysocks5_ipv6_target(sk, origin6):
    s = pysocks(sk)
    try:
        s.connect(("::1", origin6.port))
        r = http_get_over(s, f"[::1]:{origin6.port}")
        assert r.status == 200 and r.body == HELLO
    finally:
        s.close()


def test_socks5_domain_aaaa_only(sk, origin6):
    s, code = socks5_open(sk.port, "origin6.test", origin6.port)
    try:
        assert code == 0
        assert http_get_over(s, "origin6.test").body == HELLO
    finally:
        s.close()


def test_pysocks5_userpass_ok(sk_auth, origin):
    s = pysocks(sk_auth, user="alice", pw="s3cret")
    try:
        s.connect(("127.0.0.1", origin.port))
        assert http_get_over(s, "x").body == HELLO
    finally:
        s.close()


def test_socks5_userpass_wrong_refused(sk_auth, origin):
    """RFC 1929 says a failed sub-negotiation answers a non-zero status;
    3proxy answers success and refuses the request with reply 2.  Either is
    accepted (the spec does not decide); no tunnel may open."""
    s = connect(sk_auth.port)
    try:
        assert socks5_greet(s, (2,)) == b"\x05\x02"
        st = socks5_userpass(s, "alice", "wrong")
        if st[1] != 0:
            assert st[0] == 1
            return
        code, _ = socks5_request(s, "127.0.0.1", origin.port)
        assert code == 2
    finally:
        s.close()


def test_socks5_auth_required_noauth_offer(sk_auth, origin):
    """auth strong and a client offering only 'no authentication': as
    3proxy 1.0, method 0 is accepted, the request is refused with reply 2
    (not allowed) and logged with %E 4 and its target."""
    s = connect(sk_auth.port)
    try:
        assert socks5_greet(s, (0,)) == b"\x05\x00"
        code, _ = socks5_request(s, "127.0.0.1", origin.port)
        assert code == 2
    finally:
        s.close()
    r, = records(sk_auth, f"CONNECT 127.0.0.1:{origin.port}")
    assert r["err"] == "00004" and r["user"] == "-", r


def test_socks5_offers_both_methods_with_auth(sk_auth, origin):
    s, code = socks5_open(sk_auth.port, "127.0.0.1", origin.port,
                          user="alice", pw="s3cret")
    try:
        assert code == 0
        assert http_get_over(s, "x").body == HELLO
    finally:
        s.close()


def test_pysocks4(sk, origin):
    s = pysocks(sk, socks.SOCKS4)
    try:
        s.connect(("127.0.0.1", origin.port))
        assert http_get_over(s, "x").body == HELLO
    finally:
        s.close()


def test_pysocks4a(sk, origin):
    s = pysocks(sk, socks.SOCKS4, rdns=True)
    try:
        s.connect(("origin.test", origin.port))
        assert http_get_over(s, "origin.test").body == HELLO
    finally:
        s.close()


def test_raw_socks4_and_4a(sk, echo):
    s, code = socks4_open(sk.port, "127.0.0.1", echo.port, b"someone")
    try:
        assert code == 90
        assert echo_roundtrip(s, 100000)
    finally:
        s.close()
    s, code = socks4_open(sk.port, "origin.test", echo.port)
    try:
        assert code == 90
        assert echo_roundtrip(s, 100000)
    finally:
        s.close()


@pytest.mark.parametrize("flag,host", [
    ("--socks5", "127.0.0.1"), ("--socks5-hostname", "origin.test"),
    ("--socks4", "127.0.0.1"), ("--socks4a", "origin.test")])
def test_curl_socks(sk, origin, flag, host):
    n = 1 << 20
    r = curl([flag, f"127.0.0.1:{sk.port}", origin.url(f"/big/{n}", host)])
    assert r.status == 200, r
    assert hashlib.sha256(r.body).hexdigest() == pattern_sha256(n)


def test_curl_socks5h_with_credentials(sk_auth, origin):
    r = curl(["-x", f"socks5h://alice:s3cret@127.0.0.1:{sk_auth.port}",
              origin.url("/hello", "origin.test")])
    assert r.status == 200 and r.body == HELLO, r


def test_echo_byte_exact_4mb(sk, echo):
    s, code = socks5_open(sk.port, "127.0.0.1", echo.port)
    try:
        assert code == 0
        assert echo_roundtrip(s, 4 << 20, b"socks")
    finally:
        s.close()


# ---- reply codes ------------------------------------------------------------

def test_socks5_closed_port_reply_5(sk, closed_port):
    s, code = socks5_open(sk.port, "127.0.0.1", closed_port)
    s.close()
    assert code == 5


def test_socks4_closed_port_reply_91(sk, closed_port):
    s, code = socks4_open(sk.port, "127.0.0.1", closed_port)
    s.close()
    assert code == 91


def test_socks5_unresolvable_reply_4(sk):
    s, code = socks5_open(sk.port, "gone.nx.test", 80)
    s.close()
    assert code == 4


def test_socks4a_unresolvable_reply_91(sk):
    s, code = socks4_open(sk.port, "gone.nx.test", 80)
    s.close()
    assert code == 91


def test_socks5_denied_reply_2(portcullis, origin):
    srv = start(portcullis, acl=f"deny * * 127.0.0.1 {origin.port}\nallow *")
    s, code = socks5_open(srv.port, "127.0.0.1", origin.port)
    s.close()
    assert code == 2


def test_socks4_denied_reply_91(portcullis, origin):
    srv = start(portcullis, acl=f"deny * * 127.0.0.1 {origin.port}\nallow *")
    s, code = socks4_open(srv.port, "127.0.0.1", origin.port)
    s.close()
    assert code == 91


def test_socks5_no_acl_match_reply_2(portcullis, origin):
    srv = start(portcullis, acl="allow * * * 1")
    s, code = socks5_open(srv.port, "127.0.0.1", origin.port)
    s.close()
    assert code == 2


def test_socks5_unsupported_command_reply_7(sk, origin):
    """A command RFC 1928 does not define (4): X'07' command not
    supported."""
    s = connect(sk.port)
    try:
        assert socks5_greet(s) == b"\x05\x00"
        code, _ = socks5_request(s, "127.0.0.1", origin.port, cmd=4)
        assert code == 7
    finally:
        s.close()


def test_socks5_bad_address_type_reply_8(sk):
    s = connect(sk.port)
    try:
        assert socks5_greet(s) == b"\x05\x00"
        s.sendall(b"\x05\x01\x00\x09" + b"\x00" * 6)
        head = s.recv(2)
        assert head == b"\x05\x08", head
    finally:
        s.close()


def test_socks5_no_acceptable_method_ff(sk):
    s = connect(sk.port)
    try:
        assert socks5_greet(s, (0x80, 0x81)) == b"\x05\xff"
    finally:
        s.close()


@pytest.mark.parametrize("junk", [
    b"\x05\x00",                       # zero methods offered
    b"\x07\x01\x00",                   # unknown version
    b"\x05\x01",                       # truncated, then close
    b"\x00" * 64,
    b"GET / HTTP/1.1\r\n\r\n",
])
def test_malformed_greeting_worker_survives(sk, origin, junk):
    """Malformed greetings get an error reply (05 FF where a SOCKS5 reply
    is possible) or a close, never a hang; the workers survive and serve."""
    before = sk.worker_pids()
    s = connect(sk.port, timeout=5)
    try:
        s.sendall(junk)
        if junk == b"\x05\x01":
            s.shutdown(socket.SHUT_WR)
        got = recv_until_close(s, 4096)
    finally:
        s.close()
    if junk == b"\x05\x00":
        assert got == b"\x05\xff", got
    else:
        assert got in (b"", b"\x05\xff") or got[:1] in (b"\x00", b"\x05"), \
            got
    s2, code = socks5_open(sk.port, "127.0.0.1", origin.port)
    try:
        assert code == 0
        assert http_get_over(s2, "x").body == HELLO
    finally:
        s2.close()
    assert sk.worker_pids() == before


def test_socks_log_records(sk, echo):
    s, code = socks5_open(sk.port, "127.0.0.1", echo.port)
    assert code == 0
    assert echo_roundtrip(s, 1000)
    s.close()
    recs = records(sk, f"CONNECT 127.0.0.1:{echo.port}")
    assert recs, sk.log_lines()
    assert recs[0]["err"] == "00000"
    assert int(recs[0]["out"]) >= 1000 and int(recs[0]["in"]) >= 1000
