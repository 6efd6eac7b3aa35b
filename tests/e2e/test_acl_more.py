"""ACL features of issue 3 item 4 that test_acl.py does not reach: every
operation keyword on every service that produces it, implicit deny (the
re-authentication challenge) against `deny *`, `$file` lists, IPv6 targets
and sources, host wildcards through nsrecord, weekdays and time periods
against the real clock, first match across mixed fields, and
`auth iponly strong`.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_acl_more.py -k period

Spec: issue 3 item 4; 3proxy-language.md 2.3 (codes and HTTP replies), 2.4
(fields, first match, implicit deny), 2.5 (auth chains), 3.2 (`$file`);
3proxy-behaviour.md "HTTP proxy" and "SOCKS" (code 3 -> 407 with
Proxy-Authenticate, 1 -> 403; SOCKS5 reply 2 for both).
"""
import socket
import time

import pytest

from clients import (connect, curl, echo_roundtrip, socks5_greet,
                     socks5_open, socks5_request)
from pc_server import cfg_head, free_port

LOGF = "G%N|%E|%U|%C|%T"


def run(portcullis, body, dns=None, nports=1, env=None, extra=""):
    ps = [free_port() for _ in range(nports)]
    text = cfg_head(dns, logformat=LOGF, extra=extra) + body.format(*ps)
    srv = portcullis(text, ports=ps, env=env)
    srv.ports_ = ps
    return srv


def recs(srv, needle, count=1):
    lines = srv.wait_log(lambda ln: needle in ln and ln.count("|") >= 4,
                         count)
    return [tuple(ln.split("|", 4)) for ln in lines]


def px(port, host="127.0.0.1"):
    h = f"[{host}]" if ":" in host else host
    return ["-x", f"http://{h}:{port}"]


def get(port, url, *extra):
    return curl(px(port) + list(extra) + [url]).status


# ---- every operation keyword ---------------------------------------------

# requests: GET PUT POST HEAD OTHER(PATCH) HTTP-CONNECT on a proxy service,
# CONNECT on socks and tcppm.  True = the keyword allows it.
OPS = {
    #              GET    PUT    POST   HEAD   OTHER  HCONN  SOCKS  TCPPM
    "CONNECT":     (0,     0,     0,     0,     0,     0,     1,     1),
    "HTTP_GET":    (1,     0,     0,     0,     0,     0,     0,     0),
    "HTTP_PUT":    (0,     1,     0,     0,     0,     0,     0,     0),
    "HTTP_POST":   (0,     0,     1,     0,     0,     0,     0,     0),
    "HTTP_HEAD":   (0,     0,     0,     1,     0,     0,     0,     0),
    "HTTP_OTHER":  (0,     0,     0,     0,     1,     0,     0,     0),
    "HTTP_CONNECT": (0,    0,     0,     0,     0,     1,     0,     0),
    "HTTPS":       (0,     0,     0,     0,     0,     1,     0,     0),
    "HTTP":        (1,     1,     1,     1,     1,     0,     0,     0),
}


def tcppm_passes(port):
    """True when the port mapper relays (echo), False when it closes."""
    s = connect(port)
    try:
        s.settimeout(5)
        return echo_roundtrip(s, 4096, b"tcppm-op")
    except OSError:
        return False
    finally:
        s.close()


@pytest.mark.parametrize("kw", list(OPS))
def test_operation_keyword_matrix(portcullis, origin, echo, kw):
    body = (f"allow * * * * {kw}\ndeny *\n"
            "proxy -i127.0.0.1 -p{0}\nsocks -i127.0.0.1 -p{1}\n"
            f"tcppm -i127.0.0.1 {{2}} 127.0.0.1 {echo.port}\n")
    srv = run(portcullis, body, nports=3)
    p, s5, tp = srv.ports_
    u = origin.url(f"/echo/{kw}")
    got = (
        get(p, u) == 200,
        get(p, u, "-X", "PUT", "-d", "x") == 200,
        get(p, u, "-d", "x") == 200,
        get(p, u, "-I") == 200,
        get(p, u, "-X", "PATCH", "-d", "x") == 200,
        curl(px(p) + ["-p", origin.url("/hello")]).connect == 200,
    )
    s, code = socks5_open(s5, "127.0.0.1", echo.port)
    s.close()
    got += (code == 0, tcppm_passes(tp))
    assert got == tuple(bool(x) for x in OPS[kw]), srv.log_lines()
    # refusals by `deny *` are code 1 (403 on the proxy)
    refused = [ln for ln in srv.log_lines() if ln.startswith("PROXY|")
               and f"/echo/{kw}" in ln and "|00000|" not in ln]
    assert len(refused) == 5 - sum(OPS[kw][:5])
    assert all("|00001|" in ln for ln in refused), refused


# ---- implicit deny vs `deny *` ---------------------------------------------

def test_implicit_deny_challenges_http_and_socks(portcullis, origin, echo):
    body = ("allow * * * 1\nproxy -i127.0.0.1 -p{0}\n"
            "socks -i127.0.0.1 -p{1}\n")
    srv = run(portcullis, body, nports=2)
    p, s5 = srv.ports_
    r = curl(px(p) + [origin.url("/implicit-h")])
    assert r.status == 407, r
    assert (r.header("Proxy-Authenticate") or "").lower().startswith("basic")
    assert recs(srv, "/implicit-h")[0][1] == "00003"
    s, code = socks5_open(s5, "127.0.0.1", echo.port)
    s.close()
    assert code == 2
    assert recs(srv, f"CONNECT 127.0.0.1:{echo.port}")[0][0:2] == \
        ("SOCK5", "00003")


def test_deny_star_gives_403_without_challenge(portcullis, origin, echo):
    body = ("allow * * * 1\ndeny *\nproxy -i127.0.0.1 -p{0}\n"
            "socks -i127.0.0.1 -p{1}\n")
    srv = run(portcullis, body, nports=2)
    p, s5 = srv.ports_
    r = curl(px(p) + [origin.url("/explicit-h")])
    assert r.status == 403, r
    assert r.header("Proxy-Authenticate") is None
    assert recs(srv, "/explicit-h")[0][1] == "00001"
    s, code = socks5_open(s5, "127.0.0.1", echo.port)
    s.close()
    assert code == 2
    assert recs(srv, f"CONNECT 127.0.0.1:{echo.port}")[0][0:2] == \
        ("SOCK5", "00001")


def test_implicit_deny_lets_another_user_in(portcullis, origin):
    """The challenge is a real re-authentication: bob is not in the list
    (407), alice answers it (200).  With `deny *` bob gets 403."""
    users = "auth strong\nusers alice:CL:a bob:CL:b\n"
    srv = run(portcullis, users + "allow alice\nproxy -i127.0.0.1 -p{0}\n"
              "flush\nallow alice\ndeny *\nproxy -i127.0.0.1 -p{1}\n",
              nports=2)
    a, b = srv.ports_
    u = origin.url("/hello")
    r = curl(px(a) + ["--proxy-user", "bob:b", u])
    assert r.status == 407 and r.header("Proxy-Authenticate"), r
    assert get(a, u, "--proxy-user", "alice:a") == 200
    r = curl(px(b) + ["--proxy-user", "bob:b", u])
    assert r.status == 403 and r.header("Proxy-Authenticate") is None, r


# ---- `$file` lists -----------------------------------------------------------

def test_targets_from_file(portcullis, origin, origin2, dns, tmp_path):
    f = tmp_path / "targets.lst"
    f.write_text("127.0.0.1/32,other.test\n")
    srv = run(portcullis, f"allow * * ${f}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n", dns=dns)
    p = srv.ports_[0]
    assert get(p, origin.url("/hello")) == 200
    assert get(p, origin.url("/hello", "other.test")) == 200
    assert get(p, origin2.url("/hello")) == 403


def test_sources_from_file(portcullis, origin, tmp_path):
    f = tmp_path / "nets.lst"
    f.write_text("127.0.0.2/32,127.0.0.5-127.0.0.6")
    srv = run(portcullis, f"allow * ${f}\ndeny *\n"
              "proxy -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    u = origin.url("/hello")
    assert get(p, u, "--interface", "127.0.0.2") == 200
    assert get(p, u, "--interface", "127.0.0.6") == 200
    assert get(p, u, "--interface", "127.0.0.1") == 403
    assert get(p, u, "--interface", "127.0.0.7") == 403


def test_file_lines_spill_into_next_fields(portcullis, origin, tmp_path):
    """3proxy-language.md 3.2: a file's newlines separate arguments, so a
    second line becomes the next field (here the ports)."""
    f = tmp_path / "spill.lst"
    f.write_text(f"127.0.0.1/32\n{origin.port}\n")
    srv = run(portcullis, f"allow * * ${f}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin.url("/hello")) == 200
    other = free_port()
    assert get(p, f"http://127.0.0.1:{other}/") == 403


def test_users_from_file_in_acl(portcullis, origin, tmp_path):
    f = tmp_path / "who.lst"
    f.write_text("alice,carol")
    srv = run(portcullis, "auth strong\nusers alice:CL:a bob:CL:b "
              f"carol:CL:c\nallow ${f}\ndeny *\nproxy -i127.0.0.1 -p{{0}}\n")
    p = srv.ports_[0]
    u = origin.url("/hello")
    assert get(p, u, "--proxy-user", "carol:c") == 200
    assert get(p, u, "--proxy-user", "bob:b") == 403


# ---- IPv6 ----------------------------------------------------------------------

def _v6_usable():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


v6 = pytest.mark.skipif(not _v6_usable(), reason="::1 is not usable here")


@v6
def test_ipv6_target_cidr(portcullis, origin, origin6):
    srv = run(portcullis, "allow * * ::1/128\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    assert get(p, origin6.url("/hello")) == 200
    assert get(p, origin.url("/hello")) == 403
    r = curl(px(p) + ["-p", origin6.url("/hello")])
    assert r.connect == 200, r


@v6
def test_ipv6_target_of_resolved_name(portcullis, dns, origin, origin6):
    """origin6.test resolves to ::1: an address entry covers it."""
    srv = run(portcullis, "allow * * ::/96,::1\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n", dns=dns)
    p = srv.ports_[0]
    assert get(p, origin6.url("/hello", "origin6.test")) == 200
    assert get(p, origin.url("/hello", "origin.test")) == 403


@v6
def test_ipv6_target_socks(portcullis, origin6, origin):
    srv = run(portcullis, "allow * * ::1\ndeny *\n"
              "socks -i127.0.0.1 -p{0}\n")
    s, code = socks5_open(srv.ports_[0], "::1", origin6.port)
    s.close()
    assert code == 0
    s, code = socks5_open(srv.ports_[0], "127.0.0.1", origin.port)
    s.close()
    assert code == 2


@v6
def test_ipv6_source_range_and_v4_rule(portcullis, origin):
    """A v6 client meets v6 source entries only; a v4 client v4 ones."""
    srv = run(portcullis, "allow * ::1-::5\ndeny *\nproxy -i:: -p{0}\n"
              "flush\nallow * 127.0.0.0/8\ndeny *\nproxy -i:: -p{1}\n",
              nports=2)
    a, b = srv.ports_
    u = origin.url("/hello")
    assert curl(px(a, "::1") + [u]).status == 200
    assert curl(px(b, "::1") + [u]).status == 403
    assert curl(px(b, "127.0.0.1") + [u]).status == 200
    assert curl(px(a, "127.0.0.1") + [u]).status == 403


# ---- host wildcards through nsrecord --------------------------------------------

NAMES = ("www.example.test", "a.b.example.test", "example.test",
         "www.other.test", "wwwx.test", "xmidy.test", "mid.test",
         "plain.test")
WILD = {
    "*.example.test": {"www.example.test", "a.b.example.test"},
    "www.*": {"www.example.test", "www.other.test"},
    "*mid*": {"xmidy.test", "mid.test"},
}


@pytest.mark.parametrize("pattern", list(WILD))
def test_host_wildcards_nsrecord(portcullis, origin, echo, pattern):
    recs_ = "".join(f"nsrecord {n} 127.0.0.1\n" for n in NAMES)
    srv = run(portcullis, f"allow * * {pattern}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\nsocks -i127.0.0.1 -p{1}\n",
              nports=2, extra="nscache 65536\n" + recs_)
    p, s5 = srv.ports_
    for name in NAMES:
        want = name in WILD[pattern]
        st = get(p, origin.url("/hello", name))
        assert st == (200 if want else 403), (name, st)
        s, code = socks5_open(s5, name, echo.port)
        s.close()
        assert code == (0 if want else 2), (name, code)


# ---- weekdays and periods against the clock ----------------------------------------

def _now_utc():
    """(3proxy weekday 0=Sunday, seconds since midnight), taken away from
    the minute of midnight so that a rule built now still holds for the
    few seconds the test runs."""
    for _ in range(3):
        t = time.gmtime()
        sec = t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec
        if 30 <= sec <= 86400 - 20:
            return (t.tm_wday + 1) % 7, sec
        time.sleep(31 - sec if sec < 30 else 86400 - sec + 31)
    raise AssertionError("clock near midnight three times")


def _hms(sec):
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


TZ = {"TZ": "UTC"}


def test_weekday_now_vs_other_days(portcullis, origin):
    wd, _ = _now_utc()
    others = "".join(str(d) for d in range(7) if d != wd)
    srv = run(portcullis, f"allow * * * * * {wd}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\nflush\n"
              f"allow * * * * * {others}\ndeny *\n"
              "proxy -i127.0.0.1 -p{1}\nflush\n"
              f"deny * * * * * {wd}\nallow *\n"
              "proxy -i127.0.0.1 -p{2}\n", nports=3, env=TZ)
    a, b, c = srv.ports_
    u = origin.url("/hello")
    assert get(a, u) == 200
    assert get(b, u) == 403
    assert get(c, u) == 403


def test_sunday_as_seven(portcullis, origin):
    """0 and 7 are both Sunday."""
    wd, _ = _now_utc()
    field = "7" if wd == 0 else "0,7"
    srv = run(portcullis, f"allow * * * * * {field}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n", env=TZ)
    assert get(srv.ports_[0], origin.url("/hello")) == \
        (200 if wd == 0 else 403)


def test_period_now_vs_elsewhere(portcullis, origin):
    wd, sec = _now_utc()
    near = f"{_hms(max(0, sec - 1800))}-{_hms(min(86400, sec + 1800))}"
    if sec >= 7200:
        away = f"00:00:00-{_hms(sec - 3600)}"
    else:
        away = f"{_hms(sec + 3600)}-24:00:00"
    srv = run(portcullis, f"allow * * * * * * {near}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\nflush\n"
              f"allow * * * * * * {away}\ndeny *\n"
              "proxy -i127.0.0.1 -p{1}\nflush\n"
              f"allow * * * * * * {away},{near}\ndeny *\n"
              "proxy -i127.0.0.1 -p{2}\nflush\n"
              f"allow * * * * * {wd} {away}\ndeny *\n"
              "proxy -i127.0.0.1 -p{3}\nflush\n"
              f"allow * * * * * {wd} {near}\ndeny *\n"
              "proxy -i127.0.0.1 -p{4}\n", nports=5, env=TZ)
    got = [get(p, origin.url("/hello")) for p in srv.ports_]
    assert got == [200, 403, 200, 403, 200], (near, away, wd)


def test_period_and_weekday_over_socks(portcullis, echo):
    wd, sec = _now_utc()
    near = f"{_hms(max(0, sec - 600))}-{_hms(min(86400, sec + 600))}"
    other = (wd + 3) % 7
    srv = run(portcullis, f"allow * * * * CONNECT {wd} {near}\ndeny *\n"
              "socks -i127.0.0.1 -p{0}\nflush\n"
              f"allow * * * * CONNECT {other} {near}\ndeny *\n"
              "socks -i127.0.0.1 -p{1}\n", nports=2, env=TZ)
    a, b = srv.ports_
    s, code = socks5_open(a, "127.0.0.1", echo.port)
    s.close()
    assert code == 0
    s, code = socks5_open(b, "127.0.0.1", echo.port)
    s.close()
    assert code == 2


# ---- first match across allow/deny --------------------------------------------------

def test_first_match_mixed_fields(portcullis, origin, origin2):
    """Each request is decided by the first rule whose every field
    matches; a later allow never undoes an earlier deny and the other way
    round."""
    op, op2 = origin.port, origin2.port
    srv = run(portcullis, "allow * 127.0.0.3\n"
              f"deny * * 127.0.0.1 {op} HTTP_POST\n"
              f"allow * * * {op},{op2} HTTP_GET,HTTP_POST\n"
              f"deny * * 127.0.0.2\n"
              "allow *\nproxy -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    u1, u2 = origin.url("/hello"), origin2.url("/hello")
    assert get(p, u1, "-d", "x", "--interface", "127.0.0.3") == 200  # rule 1
    assert get(p, u1, "-d", "x") == 403                              # rule 2
    assert get(p, u1) == 200                                         # rule 3
    assert get(p, u2, "-d", "x") == 200                              # rule 3
    assert get(p, u2, "-X", "PUT", "-d", "x") == 403                 # rule 4
    assert get(p, u1, "-X", "PUT", "-d", "x") == 200                 # rule 5


# ---- auth iponly strong ---------------------------------------------------------------

def test_iponly_strong(portcullis, origin):
    srv = run(portcullis, "auth iponly strong\nusers alice:CL:a bob:CL:b\n"
              "allow * 127.0.0.2\nallow alice\ndeny *\n"
              "proxy -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    r = curl(px(p) + ["--interface", "127.0.0.2", origin.url("/hello?ip")])
    assert r.status == 200, r
    r = curl(px(p) + [origin.url("/hello?nopw")])
    assert r.status == 407 and r.header("Proxy-Authenticate"), r
    r = curl(px(p) + ["--proxy-user", "alice:a", origin.url("/hello?pw")])
    assert r.status == 200, r
    r = curl(px(p) + ["--proxy-user", "bob:b", origin.url("/hello?bob")])
    assert r.status == 403, r
    r = curl(px(p) + ["--proxy-user", "alice:x", origin.url("/hello?bad")])
    assert r.status == 407, r
    assert recs(srv, "/hello?ip")[0][1:3] == ("00000", "-")
    assert recs(srv, "/hello?pw")[0][1:3] == ("00000", "alice")
    assert recs(srv, "/hello?nopw")[0][1] == "00004"
    assert recs(srv, "/hello?bad")[0][1] == "00006"


def test_iponly_strong_socks5(portcullis, echo):
    srv = run(portcullis, "auth iponly strong\nusers alice:CL:a\n"
              "allow * 127.0.0.2\nallow alice\ndeny *\n"
              "socks -i0.0.0.0 -p{0}\n")
    p = srv.ports_[0]
    s = connect(p, source="127.0.0.2")
    try:
        assert socks5_greet(s) == b"\x05\x00"
        code, _ = socks5_request(s, "127.0.0.1", echo.port)
        assert code == 0
        assert echo_roundtrip(s, 4096, b"ip")
    finally:
        s.close()
    s, code = socks5_open(p, "127.0.0.1", echo.port)
    s.close()
    assert code == 2
    s, code = socks5_open(p, "127.0.0.1", echo.port, user="alice", pw="a")
    try:
        assert code == 0
        assert echo_roundtrip(s, 4096, b"pw")
    finally:
        s.close()
