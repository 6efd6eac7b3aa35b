"""The access log: default format, every logformat macro, %E codes, %N and
%T texts, targets (file, stdout, -l), nolog, start/stop records.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_log.py -k macro

Spec: issue 2 items 3 and 5, 3proxy-language.md 2.1-2.3, 3proxy-behaviour.md
"Logging" (%E five digits, %N names, %T texts, -CHARS+R filter, L/G).
"""
import calendar
import re
import time

import pytest

from clients import (Reader, basic, connect, curl, echo_roundtrip,
                     read_response, recv_until_close, socks4_open,
                     socks5_open)
from pc_server import cfg_head, free_port, records, wait_for
from pwhash import md5_crypt, nt_hash

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]


def test_default_format_shape(portcullis, origin):
    port = free_port()
    srv = portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{port}\n")
    s = connect(port)
    cport = s.getsockname()[1]
    s.sendall(f"GET {origin.url('/hello')} HTTP/1.1\r\nHost: x\r\n"
              "Connection: close\r\n\r\n".encode())
    resp = read_response(Reader(s))
    s.close()
    assert resp.status == 200
    recs = records(srv, "/hello")
    assert recs, srv.log_lines()
    r = recs[0]
    ts = time.strptime(r["ts"][:12], "%y%m%d%H%M%S")
    assert abs(calendar.timegm(ts) - time.time()) < 30, "not UTC now"
    assert r["port"] == str(port) and r["err"] == "00000"
    assert r["user"] == "-"
    assert r["cip"] == "127.0.0.1" and r["cport"] == str(cport)
    assert r["rip"] == "127.0.0.1" and r["rport"] == str(origin.port)
    assert int(r["in"]) > len(resp.body) and int(r["out"]) > 20
    assert r["text"] == f"GET {origin.url('/hello')} HTTP/1.1"


ALL = ("L|%y|%Y|%m|%o|%d|%H|%M|%S|%t|%.|%z|%D|%b|%B|%U|%N|%p|%E|%C|%c|%R|%r"
       "|%i|%e|%Q|%q|%n|%I|%O|%h|%T|%1-2T|%L|%%|%Z")


def test_every_macro(portcullis, dns, origin):
    """Local time in a fixed zone (TZ=XST-05:30 -> %z +0530); a user; a
    name target so %n is the name and %Q its address.  %Z is not a macro
    and prints Z."""
    port = free_port()
    srv = portcullis(cfg_head(dns, logformat=ALL) +
                     "auth strong\nusers alice:CL:pw\nallow *\n"
                     f"proxy -i127.0.0.1 -p{port}\n",
                     env={"TZ": "XST-05:30"})
    url = origin.url("/echo/macro", "origin.test")
    s = connect(port)
    cport = s.getsockname()[1]
    req = (f"GET {url} HTTP/1.1\r\nHost: origin.test\r\n"
           f"Proxy-Authorization: Basic {basic('alice', 'pw')}\r\n"
           "Connection: close\r\n\r\n").encode()
    s.sendall(req)
    raw = recv_until_close(s)
    s.close()
    assert raw.startswith(b"HTTP/1.1 200"), raw[:100]
    lines = srv.wait_log(lambda ln: "/echo/macro" in ln)
    assert lines, srv.log_lines()
    f = lines[0].split("|")
    assert len(f) == 36, f
    (_, y, Y, m, o, d, H, M, S, t, ms, z, D, b, B, U, N, p, E, C, c, R, r,
     i, e, Q, q, n, I, O, h, T, T12, L, pct, Z) = f
    now = time.time()
    assert re.fullmatch(r"\d{10}", t) and abs(int(t) - now) < 30
    lt = time.gmtime(int(t) + 19800)
    assert (Y, y, m, d) == (f"{lt.tm_year:04d}", f"{lt.tm_year % 100:02d}",
                            f"{lt.tm_mon:02d}", f"{lt.tm_mday:02d}")
    assert o == MONTHS[lt.tm_mon - 1]
    assert (H, M, S) == (f"{lt.tm_hour:02d}", f"{lt.tm_min:02d}",
                         f"{lt.tm_sec:02d}"), "%H%M%S and %t disagree"
    assert re.fullmatch(r"\d{3}", ms)
    assert z == "+0530"
    for v in (D, b, B, h, L):
        assert re.fullmatch(r"\d+", v), (D, b, B, h, L)
    assert U == "alice" and N == "PROXY" and p == str(port) and E == "00000"
    assert C == "127.0.0.1" and c == str(cport)
    assert R == "127.0.0.1" and r == str(origin.port)
    assert i == "127.0.0.1" and e == "127.0.0.1"
    assert Q == "127.0.0.1" and q == str(origin.port)
    assert n == "origin.test"
    head, _, body = raw.partition(b"\r\n\r\n")
    assert len(body) + 15 <= int(I) <= len(raw) + 512, (I, len(raw))
    assert len("GET /echo/macro HTTP/1.1\r\n") <= int(O) <= len(req) + 512
    assert T == f"GET {url} HTTP/1.1"
    assert T12 == f"GET {url}"
    assert pct == "%" and Z == "Z"


def test_gmt_prefix_and_filter(portcullis, origin):
    """G: %z is +0000 even with a TZ set; `- +_` replaces blanks by _ in
    %T (the -CHARS+R prefix)."""
    port = free_port()
    srv = portcullis(cfg_head(logformat="- +_G%z|%T|%N") +
                     f"proxy -i127.0.0.1 -p{port}\n",
                     env={"TZ": "XST-05:30"})
    url = origin.url("/hello")
    assert curl(["-x", f"http://127.0.0.1:{port}", url]).status == 200
    lines = srv.wait_log(lambda ln: "/hello" in ln)
    assert lines == [f"+0000|GET_{url}_HTTP/1.1|PROXY"], lines


@pytest.fixture
def coded(portcullis, dns):
    """One proxy with users of every password type and rules that produce
    the %E codes 0-8, 13 and 100."""
    port = free_port()
    users = (f'users alice:CL:pw bob:CL:pw "carol:CR:{md5_crypt("pw")}" '
             f'dave:NT:{nt_hash("pw")}')
    srv = portcullis(cfg_head(dns) + f"auth strong\n{users}\n"
                     "deny * * 127.0.0.2\nallow alice,carol,dave\n"
                     f"proxy -i127.0.0.1 -p{port}\n")
    srv.port = port
    return srv


@pytest.mark.parametrize("user,target,status,code", [
    ("alice:pw", "ORIGIN/echo/e0", 200, "00000"),
    ("carol:pw", "ORIGIN/echo/e0cr", 200, "00000"),
    ("dave:pw", "ORIGIN/echo/e0nt", 200, "00000"),
    ("alice:pw", "http://127.0.0.2:9/e1", 403, "00001"),
    ("bob:pw", "ORIGIN/e3", 407, "00003"),
    (None, "ORIGIN/e4", 407, "00004"),
    ("mallory:pw", "ORIGIN/e5", 407, "00005"),
    ("alice:bad", "ORIGIN/e6", 407, "00006"),
    ("carol:bad", "ORIGIN/e7", 407, "00007"),
    ("dave:bad", "ORIGIN/e8", 407, "00008"),
    ("alice:pw", "CLOSED/e13", 502, "00013"),
    ("alice:pw", "http://x.nx.test/e100", 502, "00100"),
])
def test_error_codes(coded, origin, closed_port, user, target, status,
                     code):
    url = target.replace("ORIGIN", origin.url("")).replace(
        "CLOSED", f"http://127.0.0.1:{closed_port}")
    args = ["-x", f"http://127.0.0.1:{coded.port}"]
    if user:
        args += ["--proxy-user", user]
    r = curl(args + [url])
    assert r.status == status, r
    path = "/" + url.rsplit("/", 1)[1]
    recs = records(coded, path)
    assert recs, coded.log_lines()
    assert recs[0]["err"] == code, recs
    if user and code in ("00000", "00001", "00013", "00100"):
        assert recs[0]["user"] == user.split(":")[0]


def test_bind_failed_code_12(portcullis, origin):
    """-e with an address no interface has: bind() fails (code 12, 502)."""
    port = free_port()
    srv = portcullis(cfg_head() +
                     f"proxy -i127.0.0.1 -e192.0.2.77 -p{port}\n")
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/e12")])
    assert r.status == 502, r
    recs = records(srv, "/e12")
    assert recs and recs[0]["err"] == "00012", srv.log_lines()


def test_socks_codes(portcullis, dns, closed_port, origin):
    port = free_port()
    srv = portcullis(cfg_head(dns) + f"deny * * 127.0.0.2\nallow *\n"
                     f"socks -i127.0.0.1 -p{port}\n")
    for host, dport, rep, code in (
            ("127.0.0.1", closed_port, 5, "00013"),
            ("y.nx.test", 80, 4, "00100"),
            ("127.0.0.2", 7, 2, "00001")):
        s, got = socks5_open(port, host, dport)
        s.close()
        assert got == rep
        recs = records(srv, f"CONNECT {host}:{dport}")
        assert recs and recs[0]["err"] == code, srv.log_lines()


def test_idle_timeout_code_92(portcullis, echo):
    """timeouts CONNECTION_SHORT/LONG = 2 s: an idle SOCKS tunnel is closed
    and logged with 92."""
    port = free_port()
    srv = portcullis(cfg_head(extra="timeouts 1 5 30 60 2 2 15 60 15 5 5") +
                     f"socks -i127.0.0.1 -p{port}\n")
    s, code = socks5_open(port, "127.0.0.1", echo.port, timeout=10)
    assert code == 0
    assert echo_roundtrip(s, 100)
    t0 = time.monotonic()
    got = recv_until_close(s)
    s.close()
    assert got == b"" and time.monotonic() - t0 < 8
    recs = records(srv, f"CONNECT 127.0.0.1:{echo.port}")
    assert recs and recs[0]["err"] == "00092", srv.log_lines()


def test_service_names_and_texts(portcullis, dns, origin, echo):
    pp, sp, tp = free_port(), free_port(), free_port()
    srv = portcullis(cfg_head(dns, logformat="G%N|%p|%E|%T") +
                     f"proxy -i127.0.0.1 -p{pp}\nsocks -i127.0.0.1 -p{sp}\n"
                     f"tcppm -i127.0.0.1 {tp} origin.test {echo.port}\n",
                     ports=[pp, sp, tp])
    assert curl(["-x", f"http://127.0.0.1:{pp}", "-p",
                 origin.url("/hello")]).status == 200
    for opener in (lambda: socks5_open(sp, "origin.test", echo.port),
                   lambda: socks5_open(sp, "127.0.0.1", echo.port),
                   lambda: socks4_open(sp, "127.0.0.1", echo.port),
                   lambda: socks4_open(sp, "origin.test", echo.port)):
        s, code = opener()
        assert code in (0, 90)
        assert echo_roundtrip(s, 10)
        s.close()
    s = connect(tp)
    assert echo_roundtrip(s, 10)
    s.close()
    want = [
        f"PROXY|{pp}|00000|CONNECT 127.0.0.1:{origin.port} HTTP/1.1",
        f"SOCK5|{sp}|00000|CONNECT origin.test:{echo.port}",
        f"SOCK5|{sp}|00000|CONNECT 127.0.0.1:{echo.port}",
        f"SOCK4|{sp}|00000|CONNECT 127.0.0.1:{echo.port}",
        f"SOC45|{sp}|00000|CONNECT origin.test:{echo.port}",   # SOCKS4a
        f"TCPPM|{tp}|00000|origin.test",
    ]
    wait_for(lambda: all(w in srv.log_lines() for w in want), 5)
    lines = srv.log_lines()
    for w in want:
        assert w in lines, (w, lines)


def test_start_and_stop_records(portcullis):
    port, sport = free_port(), free_port()
    srv = portcullis(cfg_head(logformat="G%N|%p|%E|%C:%c|%T") +
                     f"proxy -i127.0.0.1 -p{port}\nsocks -p{sport}\n",
                     ports=[port, sport])
    # the start record names the listening address as %C:%c (3proxy)
    got = srv.wait_log(lambda ln: ln.startswith(
        f"PROXY|{port}|00000|127.0.0.1:{port}|Accepting connections"))
    assert got, srv.log_lines()
    got = srv.wait_log(lambda ln: ln.startswith(
        f"SOCKS|{sport}|00000|0.0.0.0:{sport}|Accepting connections"))
    assert got, srv.log_lines()
    assert srv.stop() == 0
    assert any(ln.startswith(f"PROXY|{port}|00000|0.0.0.0:0|Exiting thread")
               for ln in srv.log_lines()), srv.log_lines()


def test_log_to_stdout(portcullis, origin):
    port = free_port()
    srv = portcullis(f"log\nproxy -i127.0.0.1 -p{port}\n")
    curl(["-x", f"http://127.0.0.1:{port}", origin.url("/stdout")])
    assert wait_for(lambda: "/stdout" in srv.stdout(), 5), srv.stdout()


def test_service_log_option_overrides(portcullis, origin, tmp_path):
    a, b = free_port(), free_port()
    own = tmp_path / "own.log"
    srv = portcullis(cfg_head() + f"proxy -i127.0.0.1 -p{a} -l{own}\n"
                     f"proxy -i127.0.0.1 -p{b}\n", ports=[a, b])
    curl(["-x", f"http://127.0.0.1:{a}", origin.url("/viaA")])
    curl(["-x", f"http://127.0.0.1:{b}", origin.url("/viaB")])
    assert srv.wait_log(lambda ln: "/viaA" in ln, path=own)
    assert srv.wait_log(lambda ln: "/viaB" in ln)
    assert not any("/viaA" in ln for ln in srv.log_lines())
    assert not any("/viaB" in ln for ln in srv.log_lines(own))


def test_nolog(portcullis, origin, origin2):
    port = free_port()
    srv = portcullis(cfg_head() + "allow * * 127.0.0.2\nnolog\nallow *\n"
                     f"proxy -i127.0.0.1 -p{port}\n")
    curl(["-x", f"http://127.0.0.1:{port}", origin2.url("/quiet")])
    curl(["-x", f"http://127.0.0.1:{port}", origin.url("/loud")])
    assert srv.wait_log(lambda ln: "/loud" in ln)
    time.sleep(0.5)
    assert not any("/quiet" in ln for ln in srv.log_lines())


def test_logformat_snapshot_per_service(portcullis, origin):
    a, b = free_port(), free_port()
    srv = portcullis("log {log}\nlogformat \"GA %T\"\n"
                     f"proxy -i127.0.0.1 -p{a}\nlogformat \"GB %T\"\n"
                     f"proxy -i127.0.0.1 -p{b}\n", ports=[a, b])
    curl(["-x", f"http://127.0.0.1:{a}", origin.url("/fa")])
    curl(["-x", f"http://127.0.0.1:{b}", origin.url("/fb")])
    la = srv.wait_log(lambda ln: "/fa" in ln)
    lb = srv.wait_log(lambda ln: "/fb" in ln)
    assert la and la[0].startswith("A GET "), la
    assert lb and lb[0].startswith("B GET "), lb
