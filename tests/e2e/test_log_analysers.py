"""The HowTo's log formats for log analysers ("How to use log analizers
with 3proxy"): Squid access.log (with %D and the variant without it),
Apache common log (with %E and the "more compatible" one with 200), a
combined-log line built on it, and the three ISA tab-separated formats.

Each format is the HowTo's text as it stands (its HTML line wraps joined:
the wrapped lines of the ISA formats start with their TAB), written into
the config as the HowTo writes it: inside double quotes, "" for a quote.
The same traffic goes through `proxy` and `socks` with curl: GET 200 and an
origin 404 as alice (`auth strong`), a 407 without credentials, a 403 by a
`deny` rule, a CONNECT tunnel, a SOCKS5 tunnel and a slow answer (%D).
Every line of the log, the services' "Accepting connections" records
included, must match a strict regex of the analyser's format; then the
fields of each request are checked.

%I is "bytes received from the server": for a tunnel that is exactly what
the client received through it (checked against curl), for a GET it is
the origin's response as the origin sent it (measured by asking the origin
directly), headers included, and 0 when the proxy answered itself.

Run: /usr/bin/python3 -m pytest -q tests/e2e/test_log_analysers.py
"""
import calendar
import re
import time

import pytest

from clients import connect, curl, recv_until_close
from pc_server import free_port, wait_for

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
TZ = {"TZ": "XST-05:30"}          # local time 5 h 30 east of UTC

# --- the HowTo's formats, each the full quoted argument of `logformat` ---
SQUID = ('"- +_G%t.%. %D %C TCP_MISS/200 %I %1-1T %2-2T %U DIRECT/%R '
         'application/unknown"')
SQUID_NO_D = ('"- +_G%t.%.      1 %C TCP_MISS/200 %I %1-1T %2-2T %U '
              'DIRECT/%R application/unknown"')
APACHE_E = '"-""+_L%C - %U [%d/%o/%Y:%H:%M:%S %z] ""%T"" %E %I"'
APACHE_200 = '"-""+_L%C - %U [%d/%o/%Y:%H:%M:%S %z] ""%T"" 200 %I"'
# not in the HowTo: its common format plus the two fields of the combined
# format, which 3proxy has no macros for
APACHE_COMBINED = ('"-""+_L%C - %U [%d/%o/%Y:%H:%M:%S %z] ""%T"" 200 %I '
                   '""-"" ""-"""')
ISA2000_WEB = ('"-\t+ L%C\t%U\tUnknown\tY\t%Y-%m-%d\t%H:%M:%S'
               '\tw3proxy\t3PROXY\t-\t%n\t%R\t%r\t%D'
               '\t%O\t%I\thttp\tTCP\t%1-1T\t%2-2T\t-\t-'
               '\t%E\t-\t-\t-"')
ISA2004_WEB = ('"-\t+ L%C\t%U\tUnknown\t%Y-%m-%d\t%H:%M:%S'
               '\t3PROXY\t-\t%n\t%R\t%r\t%D\t%O'
               '\t%I\thttp\t%1-1T\t%2-2T\t-\t%E\t-'
               '\t-\tInternal\tExternal\t0x0\tAllowed"')
ISA_FWS = ('"-\t+ L%C\t%U\tunnknown:0:0.0\tN\t%Y-%m-%d'
           '\t%H:%M:%S\tfwsrv\t3PROXY\t-\t%n\t%R\t%r'
           '\t%D\t%O\t%I\t%r\tTCP\tConnect\t-\t-'
           '\t-\t%E\t-\t-\t-\t-\t-"')

IP = r"\d{1,3}(?:\.\d{1,3}){3}"

# Squid native access.log: time.ms elapsed client code/status bytes method
# URL user hierarchy/host type
SQUID_RE = re.compile(
    rf"^(?P<t>\d{{10}})\.(?P<ms>\d{{3}}) +(?P<elapsed>\d+) (?P<client>{IP}) "
    r"(?P<code>[A-Z_]+)/(?P<status>\d{3}) (?P<bytes>\d+) "
    r"(?P<method>[A-Za-z]+) (?P<url>\S+) (?P<user>\S+) "
    rf"(?P<hier>[A-Z_]+)/(?P<peer>{IP}|-) (?P<type>[a-z]+/[a-z-]+)$")

# Apache common log format (and combined), the date as
# [dd/Mon/yyyy:HH:MM:SS +zzzz]
CLF = (rf"^(?P<host>{IP}) (?P<ident>\S+) (?P<user>\S+) "
       rf"\[(?P<d>\d{{2}})/(?P<mon>{MONTHS})/(?P<Y>\d{{4}}):(?P<H>\d{{2}}):"
       r"(?P<M>\d{2}):(?P<S>\d{2}) (?P<z>[+-]\d{4})\] "
       r'"(?P<request>[^"]*)" (?P<status>STATUS) (?P<bytes>\d+|-)')
CLF_RE = re.compile(CLF.replace("STATUS", r"\d{3}") + "$")
COMBINED_RE = re.compile(CLF.replace("STATUS", r"\d{3}") +
                         r' "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')
# the HowTo's format with %E: the status field holds the five-digit %E
CLF_E_RE = re.compile(CLF.replace("STATUS", r"\d{5}") + "$")


def origin_size(origin, path):
    """Bytes the origin sends for path (asked directly, as the proxy asks
    it; its Date header has a fixed width)."""
    s = connect(origin.port, origin.host)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n"
              "Connection: close\r\n\r\n".encode())
    raw = recv_until_close(s)
    s.close()
    assert raw.startswith(b"HTTP/1.1 "), raw[:100]
    return len(raw)


def received(r):
    """Bytes of the last response curl received (head + body)."""
    head = r.headers[-1]
    return sum(len(ln) + 2 for ln in head) + 2 + len(r.body)


class Req:
    """One request of the traffic and what its record must say."""

    def __init__(self, method, url, user, code, size, peer, rport,
                 text=None):
        self.method, self.url, self.user = method, url, user
        self.text = text or f"{method} {url} HTTP/1.1"    # %T
        self.code, self.size = code, size          # %E, %I
        self.peer, self.rport = peer, rport        # %R, %r
        self.host = url.split("/")[2] if "//" in url else url
        self.host = self.host.rsplit(":", 1)[0]    # the target, for %n


class Traffic:
    """One server with the format under test; run() sends the requests and
    returns the Req list."""

    def __init__(self, portcullis, origin, origin2, fmt):
        self.origin, self.origin2 = origin, origin2
        self.pport, self.sport = free_port(), free_port()
        self.srv = portcullis(
            f"log {{log}}\nlogformat {fmt}\nauth strong\n"
            "users alice:CL:pw\ndeny * * 127.0.0.1 9\nallow alice\n"
            f"proxy -i127.0.0.1 -p{self.pport}\n"
            f"socks -i127.0.0.1 -p{self.sport}\n",
            ports=[self.pport, self.sport], env=TZ)

    def get(self, url, user="alice:pw", extra=()):
        args = ["-x", f"http://127.0.0.1:{self.pport}"]
        if user:
            args += ["--proxy-user", user]
        return curl(args + list(extra) + [url])

    def run(self):
        o, o2 = self.origin, self.origin2
        want = []

        def ok(path, size=None):
            want.append(Req("GET", o.url(path), "alice", 0,
                            size or origin_size(o, path), "127.0.0.1",
                            o.port))
        r = self.get(o.url("/hello/get"))
        assert r.status == 200, r
        ok("/hello/get")
        r = self.get(o.url("/nothere"))
        assert r.status == 404, r
        ok("/nothere")
        r = self.get(o.url("/hello/noauth"), user=None)
        assert r.status == 407, r
        want.append(Req("GET", o.url("/hello/noauth"), "-", 4, 0, "0.0.0.0",
                        0))
        r = self.get("http://127.0.0.1:9/denied")
        assert r.status == 403, r
        want.append(Req("GET", "http://127.0.0.1:9/denied", "alice", 1, 0,
                        "0.0.0.0", 0))
        r = self.get(o.url("/hello/tunnel"), extra=["-p"])
        assert r.status == 200 and r.connect == 200, r
        size = origin_size(o, "/hello/tunnel")
        assert received(r) == size, (received(r), size)
        want.append(Req("CONNECT", f"127.0.0.1:{o.port}", "alice", 0, size,
                        "127.0.0.1", o.port))
        r = curl(["-x", f"socks5://alice:pw@127.0.0.1:{self.sport}",
                  o2.url("/hello/socks")])
        assert r.status == 200, r
        size = origin_size(o2, "/hello/socks")
        assert received(r) == size, (received(r), size)
        want.append(Req("CONNECT", f"127.0.0.2:{o2.port}", "alice", 0, size,
                        "127.0.0.2", o2.port,
                        text=f"CONNECT 127.0.0.2:{o2.port}"))
        r = self.get(o.url("/slow/300"))
        assert r.status == 200, r
        ok("/slow/300")
        return want

    def lines(self, want):
        """Every log line, once the two services' start records and one
        record per request are there."""
        n = len(want) + 2
        assert wait_for(lambda: len(self.srv.log_lines()) >= n, 5), \
            self.srv.log_lines()
        time.sleep(0.2)
        lines = self.srv.log_lines()
        assert len(lines) == n, lines
        return lines


def check_clock(epoch):
    assert abs(epoch - time.time()) < 30, epoch


def check_local(date, hms):
    """date (Y, m, d) and hms (H, M, S) strings are now in TZ (+0530)."""
    t = [int(x) for x in list(date) + list(hms)]
    check_clock(calendar.timegm(time.struct_time(t + [0, 0, 0])) - 19800)


def same(got, wanted):
    """The records' keys are the requests' keys, each once."""
    assert sorted(got) == sorted(wanted), (sorted(got), sorted(wanted))


@pytest.mark.parametrize("fmt", [SQUID, SQUID_NO_D], ids=["D", "noD"])
def test_squid(portcullis, origin, origin2, fmt):
    t = Traffic(portcullis, origin, origin2, fmt)
    want = t.run()
    got, events = [], 0
    for ln in t.lines(want):
        m = SQUID_RE.match(ln)
        assert m, f"not a Squid access.log line: {ln!r}"
        check_clock(int(m["t"]))
        assert (m["code"], m["status"], m["hier"], m["type"]) == \
            ("TCP_MISS", "200", "DIRECT", "application/unknown"), ln
        if fmt == SQUID_NO_D:
            assert ln[14:22] == "      1 ", ln
        if m["method"] == "Accepting":       # the services' start records
            events += 1
            continue
        assert m["client"] == "127.0.0.1", ln
        if fmt == SQUID:
            lo = 300 if m["url"].endswith("/slow/300") else 0
            assert lo <= int(m["elapsed"]) < 5000, ln
        got.append((m["method"], m["url"], m["user"], int(m["bytes"]),
                    m["peer"]))
    assert events == 2
    same(got, [(w.method, w.url, w.user, w.size, w.peer) for w in want])


@pytest.mark.parametrize("fmt,regex", [
    (APACHE_E, CLF_E_RE), (APACHE_200, CLF_RE),
    (APACHE_COMBINED, COMBINED_RE)], ids=["E", "200", "combined"])
def test_apache(portcullis, origin, origin2, fmt, regex):
    t = Traffic(portcullis, origin, origin2, fmt)
    want = t.run()
    got, events = [], 0
    for ln in t.lines(want):
        m = regex.match(ln)
        assert m, f"not an Apache log line: {ln!r}"
        assert m["z"] == "+0530" and m["ident"] == "-", ln
        mon = MONTHS.split("|").index(m["mon"]) + 1
        check_local((m["Y"], mon, m["d"]), (m["H"], m["M"], m["S"]))
        if regex is COMBINED_RE:
            assert (m["referer"], m["agent"]) == ("-", "-"), ln
        if m["request"].startswith("Accepting connections"):
            events += 1
            continue
        assert m["host"] == "127.0.0.1", ln
        got.append((m["request"], m["user"], m["status"], int(m["bytes"])))
    assert events == 2
    same(got, [(w.text, w.user,
                f"{w.code:05d}" if fmt == APACHE_E else "200", w.size)
               for w in want])


def test_apache_quote_in_request(portcullis, origin, origin2):
    """The `-""+_` prefix: a '"' in the request line becomes '_', so the
    quoted request stays one field."""
    t = Traffic(portcullis, origin, origin2, APACHE_200)
    r = t.get(origin.url('/hello/q?a="b"'), extra=["-g"])
    assert r.status == 200, r
    ln = t.srv.wait_log(lambda x: "/hello/q" in x)
    assert ln, t.srv.log_lines()
    m = CLF_RE.match(ln[0])
    assert m, ln
    assert m["request"] == f"GET {origin.url('/hello/q?a=_b_')} HTTP/1.1"


@pytest.mark.parametrize("fmt", [ISA2000_WEB, ISA2004_WEB, ISA_FWS],
                         ids=["isa2000-web", "isa2004-web", "isa-fws"])
def test_isa(portcullis, origin, origin2, fmt):
    # the format's fields: its body split at TAB ("-\t+ L" is the prefix:
    # TAB becomes a blank in client-influenced fields, local time)
    assert fmt.startswith('"-\t+ L')
    spec = fmt[len('"-\t+ L'):-1].split("\t")
    ix = {s: spec.index(s) for s in spec if s.startswith("%")}
    t = Traffic(portcullis, origin, origin2, fmt)
    want = t.run()
    got, events = [], 0
    for ln in t.lines(want):
        f = ln.split("\t")
        assert len(f) == len(spec), (ln, spec)
        for value, s in zip(f, spec):
            if "%" not in s:
                assert value == s, (ln, s)
        date = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", f[ix["%Y-%m-%d"]])
        hms = re.fullmatch(r"(\d{2}):(\d{2}):(\d{2})", f[ix["%H:%M:%S"]])
        assert date and hms, ln
        check_local(date.groups(), hms.groups())
        for k in ("%r", "%D", "%O", "%I"):
            assert re.fullmatch(r"\d+", f[ix[k]]), (k, ln)
        assert re.fullmatch(r"\d{5}", f[ix["%E"]]), ln
        # the services' start records: no peer and no error (their %C:%c
        # is the listening address, as 3proxy writes it)
        if f[ix["%R"]] == "0.0.0.0" and f[ix["%E"]] == "00000":
            events += 1
            continue
        rec = [f[ix[k]] for k in ("%C", "%U", "%n", "%R", "%r", "%I", "%E")]
        if rec[-1] == "00004":
            # refused before the target was looked at: the worker has no
            # requested address yet ([0.0.0.0] today); not checked
            rec[2] = "?"
        if "%1-1T" in ix:
            rec += [f[ix["%1-1T"]], f[ix["%2-2T"]]]
        got.append(tuple(rec))
    assert events == 2
    wanted = []
    for w in want:
        # %n: the requested host as written; an IPv4 address bare, as
        # 3proxy logs it
        rec = ["127.0.0.1", w.user, "?" if w.code == 4 else w.host,
               w.peer, str(w.rport),
               str(w.size), f"{w.code:05d}"]
        if "%1-1T" in ix:
            rec += [w.method, w.url]
        wanted.append(tuple(rec))
    same(got, wanted)
