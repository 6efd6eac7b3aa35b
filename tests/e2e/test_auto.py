"""The `auto` service (3proxy 0.9+, auto.c): one port for HTTP proxy,
SOCKS4, SOCKS4a, SOCKS5 and TLS (tlspr) clients, picked by the first byte,
with the service's auth, ACL and log; %N names the protocol picked (PROXY,
SOCK4, SOC45, SOCK5, TLSPR) and a client that sends nothing is logged 801
under AUTO.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_auto.py -k socks4a

Clients: curl (-x http://, --socks4, --socks4a, --socks5,
--socks5-hostname), openssl s_client -servername against an openssl
s_server (test_tlspr's fixture), raw sockets.  Names: dnsmasq
(origin.test, other.test) and nsrecord (good.test).
"""
import subprocess
import time

import pytest

from clients import connect, curl, socks5_open
from origins import HELLO
from pc_server import cfg_head, free_port, one_record
from test_tlspr import tls_origin  # noqa: F401  (a fixture)

LOGF = "G%N|%E|%U|%n|%T"


def start(portcullis, dns, body, dport=443, extra=""):
    port = free_port()
    srv = portcullis(cfg_head(dns, logformat=LOGF,
                              extra="nsrecord good.test 127.0.0.1\n"
                              "nsrecord bad.test 127.0.0.1\n" + extra)
                     + body + f"auto -i127.0.0.1 -p{port} -P{dport}\n",
                     ports=[port])
    srv.port = port
    return srv


rec = one_record


@pytest.mark.parametrize("flag,scheme,host,name", [
    ("-x", "http", "origin.test", "PROXY"),
    ("--socks4", None, "127.0.0.1", "SOCK4"),
    ("--socks4a", None, "origin.test", "SOC45"),
    ("--socks5", None, "127.0.0.1", "SOCK5"),
    ("--socks5-hostname", None, "origin.test", "SOCK5"),
])
def test_curl_every_protocol_on_one_port(portcullis, dns, origin, flag,
                                         scheme, host, name):
    srv = start(portcullis, dns, "auth iponly\nallow *\n")
    proxy = f"{scheme}://127.0.0.1:{srv.port}" if scheme else \
        f"127.0.0.1:{srv.port}"
    r = curl([flag, proxy, origin.url("/hello", host)])
    assert r.status == 200 and r.body == HELLO, r
    n, e, _, _, _ = rec(srv, f"{host}:{origin.port}")
    assert (n, e) == (name, "00000")


def test_tls_hello_goes_to_tlspr(portcullis, dns, tls_origin):  # noqa: F811
    srv = start(portcullis, dns, "auth iponly\nallow * * good.test\n"
                "allow * * origin.test\ndeny *\n", dport=tls_origin.port)
    p = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{srv.port}", "-servername", "good.test",
                        "-ign_eof"], input=b"GET / HTTP/1.0\r\n\r\n",
                       capture_output=True, timeout=30)
    assert b"HTTP/1.0 200" in p.stdout, p.stdout[-400:]
    n, e, _, host, text = rec(srv, " good.test ")
    assert (n, e, host) == ("TLSPR", "00000", "good.test")
    assert text.startswith("TLSv1.")
    # the ACL holds for TLS names as for the others
    subprocess.run(["openssl", "s_client", "-connect",
                    f"127.0.0.1:{srv.port}", "-servername", "bad.test"],
                   input=b"", capture_output=True, timeout=30)
    n, e, _, _, _ = rec(srv, " bad.test ")
    assert n == "TLSPR" and e in ("00001", "00003")


def test_auth_and_acl_hold_for_every_protocol(portcullis, dns, origin):
    srv = start(portcullis, dns, "auth strong\nusers alice:CL:pw\n"
                "deny * * other.test\nallow alice\n")
    ok = origin.url("/hello", "origin.test")
    # HTTP: no credentials asks for them, with them passes
    r = curl(["-x", f"http://127.0.0.1:{srv.port}", ok])
    assert r.status == 407, r
    r = curl(["-x", f"http://alice:pw@127.0.0.1:{srv.port}", ok])
    assert r.status == 200 and r.body == HELLO, r
    assert rec(srv, "|alice|origin.test|GET http://")[:2] == \
        ("PROXY", "00000")
    assert rec(srv, "|-|origin.test|GET http://")[:2] == ("PROXY", "00004")
    # SOCKS5 with the user passes; the denied name is refused either way
    r = curl(["-x", f"socks5h://alice:pw@127.0.0.1:{srv.port}", ok])
    assert r.status == 200 and r.body == HELLO, r
    assert rec(srv, f"CONNECT origin.test:{origin.port}")[:3] == \
        ("SOCK5", "00000", "alice")
    r = curl(["-x", f"socks5h://alice:pw@127.0.0.1:{srv.port}",
              origin.url("/hello", "other.test")])
    assert r.status == 0, r
    assert rec(srv, f"CONNECT other.test:{origin.port}")[:2] == \
        ("SOCK5", "00001")
    r = curl(["-x", f"http://alice:pw@127.0.0.1:{srv.port}",
              origin.url("/hello", "other.test")])
    assert r.status == 403, r
    # SOCKS4 carries no password: strong auth refuses it
    r = curl(["--socks4a", f"127.0.0.1:{srv.port}", ok])
    assert r.status == 0, r
    n, e, _, _, _ = rec(srv, "SOC45|")
    assert e != "00000"


def test_silent_client_logged_801_as_auto(portcullis, dns):
    # CONNECTION_SHORT (the 5th timeout) bounds the wait for the first byte
    srv = start(portcullis, dns, "auth iponly\nallow *\n",
                extra="timeouts 1 5 30 60 2 1800 15 60\n")
    s = connect(srv.port)
    t0 = time.monotonic()
    s.settimeout(15)
    assert s.recv(1) == b""            # closed by the proxy
    assert 1.0 < time.monotonic() - t0 < 12
    s.close()
    n, e, _, _, _ = rec(srv, "AUTO|00801")
    assert n == "AUTO"
    # one that connects and closes at once: 801 too
    connect(srv.port).close()
    srv.wait_log(lambda ln: ln.startswith("AUTO|00801"), 2, 5.0)


def test_garbage_is_answered_as_http(portcullis, dns, echo):
    srv = start(portcullis, dns, "auth iponly\nallow *\n")
    s = connect(srv.port)
    s.sendall(b"\x01\x02 not a request\r\n\r\n")
    s.settimeout(10)
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    assert data.startswith(b"HTTP/1.") and b" 400 " in data[:20], data[:80]
    # and the port still serves SOCKS afterwards
    s, code = socks5_open(srv.port, "127.0.0.1", echo.port)
    try:
        assert code == 0
        s.sendall(b"ping")
        assert s.recv(4) == b"ping"
    finally:
        s.close()


def test_config_options(tmp_path):
    from pc_server import BIN
    f = tmp_path / "c.cfg"
    f.write_text("auto -p18080 -u2 -P8443 -c1\n")
    p = subprocess.run([BIN, "-t", "-v", str(f)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "auto -p18080 -i0.0.0.0 -u2 -P8443 -c1" in p.stdout
    f.write_text("auto\n")
    p = subprocess.run([BIN, "-t", "-v", str(f)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "auto -p8080 " in p.stdout, p
    f.write_text("auto -R9000\n")
    p = subprocess.run([BIN, "-t", str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "c.cfg:1: -R9000" in p.stderr, p
