"""ACLs: users, source CIDRs (v4, v6), targets (CIDR, host wildcards), ports,
operations, first match, implicit deny, auth none/iponly, and the sequential
semantics of service lines and `flush`.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_acl.py -k flush

Spec: issue 2 items 2 and 5, 3proxy-language.md 2.4 and 3.4,
3proxy-behaviour.md "Configuration and process" (no auth line = iponly,
`auth none` ignores ACLs).  Over HTTP: deny -> 403, no match -> 407.
"""
import pytest

from clients import curl, socks5_open
from pc_server import cfg_head, free_port, records


def run(portcullis, body, dns=None, nports=1):
    ps = [free_port() for _ in range(nports)]
    text = cfg_head(dns) + body.format(*ps)
    srv = portcullis(text, ports=ps)
    srv.ports_ = ps
    return srv


def get(port, url, *extra):
    return curl(["-x", f"http://127.0.0.1:{port}", *extra, url]).status


USERS = "auth strong\nusers alice:CL:a bob:CL:b\n"


def test_users(portcullis, origin):
    srv = run(portcullis, USERS + "allow alice\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello"), "--proxy-user", "alice:a") == 200
    assert get(p, origin.url("/hello"), "--proxy-user", "bob:b") == 403


def test_user_list_and_iponly_dash(portcullis, origin):
    """With iponly a request has no user and is compared as `-`."""
    srv = run(portcullis, "auth iponly\nallow -\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    assert get(srv.ports_[0], origin.url("/hello")) == 200
    srv = run(portcullis, USERS + "allow carol,bob\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello"), "--proxy-user", "bob:b") == 200
    assert get(p, origin.url("/hello"), "--proxy-user", "alice:a") == 403


def test_source_cidr_v4(portcullis, origin):
    """127.0.0.2 and 127.0.0.1 are both local: a /32 tells them apart."""
    srv = run(portcullis, "allow * 127.0.0.2/32\ndeny *\n"
              "proxy -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello"), "--interface", "127.0.0.2") == 200
    assert get(p, origin.url("/hello"), "--interface", "127.0.0.1") == 403


def test_source_range_v4(portcullis, origin):
    srv = run(portcullis, "allow * 127.0.0.2-127.0.0.9\ndeny *\n"
              "proxy -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello"), "--interface", "127.0.0.5") == 200
    assert get(p, origin.url("/hello"), "--interface", "127.0.0.1") == 403


def test_source_cidr_v6(portcullis, origin):
    srv = run(portcullis, "allow * ::1/128\ndeny *\nproxy -i::1 -p{0}\n"
              "flush\nallow * 2001:db8::/32\ndeny *\nproxy -i::1 -p{1}\n",
              nports=2)
    a, b = srv.ports_
    assert curl(["-x", f"http://[::1]:{a}", origin.url("/hello")]).status \
        == 200
    assert curl(["-x", f"http://[::1]:{b}", origin.url("/hello")]).status \
        == 403


def test_target_cidr(portcullis, origin, origin2):
    srv = run(portcullis, "allow * * 127.0.0.1/32\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello")) == 200
    assert get(p, origin2.url("/hello")) == 403


@pytest.mark.parametrize("pattern,host,ok", [
    ("origin.test", "origin.test", True),
    ("origin.test", "ORIGIN.TEST", True),
    ("origin.test", "other.test", False),
    ("orig*", "origin.test", True),
    ("orig*", "other.test", False),
    ("*.test", "other.test", True),
    ("*in.test", "origin.test", True),
    ("*in.test", "other.test", False),
    ("*rigi*", "origin.test", True),
    ("*rigi*", "other.test", False),
])
def test_target_host_wildcards(portcullis, dns, origin, pattern, host, ok):
    srv = run(portcullis, f"allow * * {pattern}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n", dns=dns)
    st = get(srv.ports_[0], origin.url("/hello", host))
    assert st == (200 if ok else 403)


def test_host_pattern_does_not_match_address_request(portcullis, dns,
                                                     origin):
    """A host entry is compared only when the request carries a name."""
    srv = run(portcullis, "allow * * origin.test\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n", dns=dns)
    assert get(srv.ports_[0], origin.url("/hello")) == 403


def test_ports_list_and_range(portcullis, origin, closed_port):
    op = origin.port
    srv = run(portcullis, f"allow * * * 1,{op - 5}-{op + 5}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello")) == 200
    other = op + 100 if op < 65000 else op - 100
    assert get(p, f"http://127.0.0.1:{other}/") == 403
    srv = run(portcullis, f"allow * * * 1,{op}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    assert get(srv.ports_[0], origin.url("/hello")) == 200


def test_operation_connect_for_socks(portcullis, origin):
    srv = run(portcullis, "allow * * * * CONNECT\ndeny *\n"
              "socks -i127.0.0.1 -p{0}\nflush\nallow * * * * HTTP\n"
              "deny *\nsocks -i127.0.0.1 -p{1}\n", nports=2)
    a, b = srv.ports_
    s, code = socks5_open(a, "127.0.0.1", origin.port)
    s.close()
    assert code == 0
    s, code = socks5_open(b, "127.0.0.1", origin.port)
    s.close()
    assert code == 2


def test_first_match_wins(portcullis, origin):
    srv = run(portcullis, f"deny * * * {origin.port}\nallow *\n"
              "proxy -i127.0.0.1 -p{0}\nflush\n"
              f"allow *\ndeny * * * {origin.port}\n"
              "proxy -i127.0.0.1 -p{1}\n", nports=2)
    a, b = srv.ports_
    assert get(a, origin.url("/hello")) == 403
    assert get(b, origin.url("/hello")) == 200


def test_implicit_deny_nonempty_list(portcullis, origin):
    """No rule matches in a non-empty list: refused with code 3, which the
    HTTP proxy answers with 407 (3proxy-behaviour.md)."""
    srv = run(portcullis, "allow * * * 1\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    url = origin.url("/implicit")
    assert get(p, url) == 407
    recs = records(srv, "/implicit")
    assert recs and recs[0]["err"] == "00003", srv.log_lines()


def test_empty_acl_allows(portcullis, origin):
    srv = run(portcullis, "auth iponly\nproxy -i127.0.0.1 -p{0}\n")
    assert get(srv.ports_[0], origin.url("/hello")) == 200


def test_no_auth_line_enforces_acl(portcullis, origin):
    """Without any `auth` line the effective type is iponly: ACLs apply."""
    srv = run(portcullis, "deny *\nproxy -i127.0.0.1 -p{0}\n")
    assert get(srv.ports_[0], origin.url("/hello")) == 403


def test_auth_none_ignores_acl(portcullis, origin):
    srv = run(portcullis, "auth none\ndeny *\nproxy -i127.0.0.1 -p{0}\n")
    assert get(srv.ports_[0], origin.url("/hello")) == 200


def test_acl_grows_until_flush(portcullis, origin):
    """Service A: [deny X]; B: [deny X, allow *] (the list keeps growing);
    after flush C: [allow *]."""
    body = (f"deny * * 127.0.0.1 {origin.port}\n"
            "proxy -i127.0.0.1 -p{0}\n"
            "allow *\n"
            "proxy -i127.0.0.1 -p{1}\n"
            "flush\n"
            "allow *\n"
            "proxy -i127.0.0.1 -p{2}\n")
    srv = run(portcullis, body, nports=3)
    a, b, c = srv.ports_
    url = origin.url("/hello")
    assert get(a, url) == 403
    assert get(b, url) == 403
    assert get(c, url) == 200
    assert get(a, "http://127.0.0.2:1/") == 407     # A: no match
    assert get(b, "http://127.0.0.2:1/") == 502     # B: allowed, refused


def test_auth_snapshot_per_service(portcullis, origin):
    body = (USERS + "allow *\nproxy -i127.0.0.1 -p{0}\n"
            "auth iponly\nproxy -i127.0.0.1 -p{1}\n")
    srv = run(portcullis, body, nports=2)
    a, b = srv.ports_
    assert get(a, origin.url("/hello")) == 407
    assert get(a, origin.url("/hello"), "--proxy-user", "alice:a") == 200
    assert get(b, origin.url("/hello")) == 200


def test_combined_fields(portcullis, origin):
    """One rule with user, source, target, port and operation: every field
    has to match."""
    body = (USERS + f"allow alice 127.0.0.0/8 127.0.0.1 {origin.port} "
            "HTTP_GET\ndeny *\nproxy -i127.0.0.1 -p{0}\n")
    srv = run(portcullis, body)
    p = srv.ports_[0]
    u = ["--proxy-user", "alice:a"]
    assert get(p, origin.url("/hello"), *u) == 200
    assert get(p, origin.url("/hello"), "--proxy-user", "bob:b") == 403
    assert get(p, origin.url("/hello"), "-d", "x", *u) == 403
    assert get(p, "http://127.0.0.2:1/", *u) == 403
