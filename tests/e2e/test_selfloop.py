"""No request loops through the proxy itself (issue 14 item 9,
docs/3proxy-differences.md): a target that is one of the configuration's
own listening sockets is refused with %E 80 before any connection - HTTP
403 for an absolute URI and for CONNECT, SOCKS5 reply 2, SOCKS4 91 -
and a service on 0.0.0.0 counts on every local address.  A nearby
target that is not the proxy (another address, the admin service) is not
refused.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_selfloop.py
"""
import socket
import subprocess

import pytest
import socks

from clients import curl, http_get_over
from origins import HELLO
from pc_server import cfg_head, free_port


@pytest.fixture
def loopy(portcullis):
    """proxy and socks on 127.0.0.1, tcppm on 0.0.0.0 (to nowhere), admin
    on 127.0.0.1; self.test names 127.0.0.1."""
    p, s, t, a = (free_port() for _ in range(4))
    nowhere = free_port()
    srv = portcullis(cfg_head(extra="nsrecord self.test 127.0.0.1\n"
                              "nscache 65536") +
                     f"proxy -i127.0.0.1 -p{p}\nsocks -i127.0.0.1 -p{s}\n"
                     f"tcppm -i0.0.0.0 {t} 127.0.0.1 {nowhere}\n"
                     f"admin -i127.0.0.1 -p{a}\n")
    srv.p, srv.s, srv.t, srv.a = p, s, t, a
    return srv


def via_proxy(srv, url, connect=False):
    args = ["-x", f"http://127.0.0.1:{srv.p}"] + (["-p"] if connect else [])
    return curl(args + [url], timeout=10)


def test_http_absolute_uri_to_itself(loopy):
    r = via_proxy(loopy, f"http://127.0.0.1:{loopy.p}/x")
    assert r.status == 403
    r = via_proxy(loopy, f"http://self.test:{loopy.p}/by-name")
    assert r.status == 403
    # a record reaches the log after its connection ended: wait for it
    loopy.wait_log(lambda ln: " 00080 " in ln, count=2, timeout=10)
    recs = [ln for ln in loopy.log_lines() if " 00080 " in ln]
    assert any("/x" in ln for ln in recs), loopy.log_lines()
    assert any("self.test" in ln for ln in recs), loopy.log_lines()


def test_http_connect_to_itself_and_to_a_sibling(loopy):
    # CONNECT to its own port, and to the socks service (one more step)
    for port in (loopy.p, loopy.s):
        r = via_proxy(loopy, f"http://127.0.0.1:{port}/", connect=True)
        assert r.connect == 403, (port, r.connect)
    loopy.wait_log(lambda ln: " 00080 " in ln, count=2, timeout=10)
    recs = [ln for ln in loopy.log_lines() if " 00080 " in ln]
    assert len(recs) >= 2, loopy.log_lines()


def host_addrs():
    """The host's IPv4 addresses other than loopback (hostname -I)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True,
                             text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(a for a in out.split()
                 if "." in a and not a.startswith("127."))


def test_wildcard_listener_matches_every_local_address(loopy):
    # tcppm listens on 0.0.0.0: 127.0.0.1, 127.0.0.2 (local, never
    # configured), 0.0.0.0 and the host's other IPv4 addresses reach it
    for host in ("127.0.0.1", "127.0.0.2", "0.0.0.0") + host_addrs():
        r = via_proxy(loopy, f"http://{host}:{loopy.t}/", connect=True)
        assert r.connect == 403, (host, r.connect)


def test_same_port_other_address_is_not_a_loop(loopy):
    # proxy listens on 127.0.0.1 only: 127.0.0.2 on its port is somebody
    # else (nobody here: the connect fails, code 13, 502)
    r = via_proxy(loopy, f"http://127.0.0.2:{loopy.p}/", connect=True)
    assert r.connect == 502
    assert loopy.wait_log(lambda ln: f"127.0.0.2:{loopy.p}" in ln,
                          timeout=10), loopy.log_lines()
    assert not [ln for ln in loopy.log_lines()
                if " 00080 " in ln and f"127.0.0.2:{loopy.p}" in ln]


def test_admin_is_not_a_loop(loopy):
    r = via_proxy(loopy, f"http://127.0.0.1:{loopy.a}/C")
    assert r.status == 200


def pysocks(srv, version, host, port):
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(version, "127.0.0.1", srv.s)
    try:
        s.connect((host, port))
    finally:
        s.close()


def test_socks5_connect_to_itself(loopy):
    for port in (loopy.s, loopy.p, loopy.t):
        with pytest.raises(socks.ProxyError) as e:
            pysocks(loopy, socks.SOCKS5, "127.0.0.1", port)
        assert "0x02" in str(e.value), str(e.value)
    # a name: resolved by the proxy (socks5h)
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(socks.SOCKS5, "127.0.0.1", loopy.s, rdns=True)
    with pytest.raises(socks.ProxyError) as e:
        s.connect(("self.test", loopy.s))
    s.close()
    assert "0x02" in str(e.value)
    loopy.wait_log(lambda ln: " 00080 " in ln, count=4, timeout=10)
    recs = [ln for ln in loopy.log_lines() if " 00080 " in ln]
    assert len(recs) >= 4, loopy.log_lines()


def test_socks4_connect_to_itself(loopy):
    with pytest.raises(socks.ProxyError) as e:
        pysocks(loopy, socks.SOCKS4, "127.0.0.1", loopy.p)
    assert "0x5b" in str(e.value), str(e.value)


def test_socks_to_an_origin_still_works(loopy, origin):
    s = socks.socksocket()
    s.settimeout(10)
    s.set_proxy(socks.SOCKS5, "127.0.0.1", loopy.s)
    try:
        s.connect(("127.0.0.1", origin.port))
        assert http_get_over(s, f"127.0.0.1:{origin.port}").body == HELLO
    finally:
        s.close()
    r = via_proxy(loopy, origin.url("/hello"))
    assert r.status == 200 and r.body == HELLO


def test_nested_connects_stop_at_the_first(loopy):
    """CONNECT to itself inside a tunnel is what nested 100 deep: the
    first one is refused, so nothing nests."""
    c = socket.create_connection(("127.0.0.1", loopy.p), timeout=10)
    try:
        c.sendall(f"CONNECT 127.0.0.1:{loopy.p} HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{loopy.p}\r\n\r\n".encode())
        head = c.recv(4096)
    finally:
        c.close()
    assert head.startswith(b"HTTP/1.0 403"), head
