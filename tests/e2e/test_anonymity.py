"""What the origin learns about the client through the HTTP proxy, as
3proxy's proxy.c tells it (its -a options): by default a `Forwarded:
for=IP:PORT;by=HOST:PORT` field (RFC 7239); -a nothing; -a1 `Via` and an
`X-Forwarded-For` with a random IPv4 address; -a2 `Via` and the client's
real address.  CONNECT tunnels carry nothing.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_anonymity.py -k a2

Client: curl through the proxy; origin: the test origin's /echo, which
answers with the request's fields as JSON.
"""
import json
import socket

import pytest

from clients import curl
from pc_server import cfg_head, free_port

ADDED = ("forwarded", "via", "x-forwarded-for")


def fields(portcullis, origin, opt, host="127.0.0.1"):
    port = free_port()
    portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{port} {opt}\n",
               ports=[port])
    r = curl(["-x", f"http://127.0.0.1:{port}",
              origin.url("/echo/anon", host)])
    assert r.status == 200, r
    doc = json.loads(r.body)
    got = {k.lower(): v for k, v in doc["headers"]}
    return port, {k: got[k] for k in ADDED if k in got}


def test_default_forwarded(portcullis, origin):
    port, f = fields(portcullis, origin, "")
    assert set(f) == {"forwarded"}, f
    cip, _, rest = f["forwarded"].partition(";")
    assert cip.startswith("for=127.0.0.1:") and int(cip.split(":")[1]) > 0
    assert rest == f"by={socket.gethostname()}:{port}"


def test_a_sends_nothing(portcullis, origin):
    _, f = fields(portcullis, origin, "-a")
    assert f == {}


def test_a1_via_and_a_made_up_address(portcullis, origin):
    seen = set()
    for _ in range(3):
        port, f = fields(portcullis, origin, "-a1")
        assert set(f) == {"via", "x-forwarded-for"}, f
        assert f["via"] == f"1.1 {socket.gethostname()}:{port} (portcullis)"
        socket.inet_aton(f["x-forwarded-for"])        # an IPv4 address
        seen.add(f["x-forwarded-for"])
    assert "127.0.0.1" not in seen and len(seen) > 1, seen


def test_a2_via_and_the_real_address(portcullis, origin):
    port, f = fields(portcullis, origin, "-a2")
    assert f == {"via": f"1.1 {socket.gethostname()}:{port} (portcullis)",
                 "x-forwarded-for": "127.0.0.1"}


@pytest.mark.parametrize("opt", ["", "-a2"])
def test_connect_tunnel_carries_nothing(portcullis, origin, opt):
    port = free_port()
    portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{port} {opt}\n",
               ports=[port])
    r = curl(["-p", "-x", f"http://127.0.0.1:{port}",
              origin.url("/echo/tunnel", "127.0.0.1")])
    assert r.status == 200, r
    names = {k.lower() for k, _ in json.loads(r.body)["headers"]}
    assert not names & set(ADDED)
