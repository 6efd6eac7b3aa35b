"""Bandwidth limits: bandlimin / bandlimout / nobandlimin / nobandlimout.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_bandlim.py -k shared

Spec: issue 5 item 5; 3proxy-language.md 2.7 (RATE in bits per second,
one rule = one pipe shared by everything it matches, all matching rules
until the first matching exception); HowTo "How to limit bandwidth".
Rates are compared as ratios of what the same run measures, with
tolerances stated per test.
"""
import json
import subprocess
import threading
import time

from clients import connect, recv_until_close, socks5_open
from pc_server import cfg_head, free_port


def start(portcullis, rules):
    pp, sp = free_port(), free_port()
    srv = portcullis(cfg_head() + rules +
                     f"proxy -i127.0.0.1 -p{pp}\n"
                     f"socks -i127.0.0.1 -p{sp}\n")
    srv.pp, srv.sp = pp, sp
    return srv


def timed_get(port, url, secs, src=None, socks=None):
    """Bytes of url's body read in secs seconds (bounded)."""
    if socks is None:
        s = connect(port, source=src)
        s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close"
                  "\r\n\r\n".encode())
    else:
        host, dport, path = socks
        s, code = socks5_open(port, host, dport)
        assert code == 0, code
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close"
                  "\r\n\r\n".encode())
    s.settimeout(0.5)
    got, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < secs:
        try:
            b = s.recv(65536)
        except TimeoutError:
            continue
        if not b:
            break
        got += len(b)
    s.close()
    return got, time.monotonic() - t0


def test_one_mbit_holds_within_10_percent(portcullis, origin):
    """1 Mbit/s = 125000 bytes/s over a 5 s download (headers included:
    within 10 %)."""
    srv = start(portcullis, "bandlimin 1000000 *\n")
    got, secs = timed_get(srv.pp, origin.url("/big/20000000"), 5)
    rate = got / secs
    assert 0.9 * 125000 <= rate <= 1.1 * 125000, rate


def test_limit_applies_to_socks_tunnels(portcullis, origin):
    srv = start(portcullis, "bandlimin 1000000 *\n")
    got, secs = timed_get(srv.sp, None, 3,
                          socks=("127.0.0.1", origin.port, "/big/20000000"))
    assert 0.9 * 125000 <= got / secs <= 1.1 * 125000, got / secs


def test_shared_pipe_splits_between_two_clients(portcullis, origin):
    """One rule is one pipe: two clients on two connections (one through
    the proxy, one through SOCKS: different workers and services) share
    57600 bit/s = 7200 bytes/s, about half each."""
    srv = start(portcullis, "bandlimin 57600 *\n")
    res = {}

    def run(name, **kw):
        res[name] = timed_get(**kw)
    a = threading.Thread(target=run, args=("a",), kwargs=dict(
        port=srv.pp, url=origin.url("/big/2000000"), secs=4))
    b = threading.Thread(target=run, args=("b",), kwargs=dict(
        port=srv.sp, url=None, secs=4,
        socks=("127.0.0.1", origin.port, "/big/2000000")))
    a.start()
    b.start()
    a.join(10)
    b.join(10)
    ra = res["a"][0] / res["a"][1]
    rb = res["b"][0] / res["b"][1]
    # together within 25 % of the pipe; each between 30 % and 70 %
    assert 0.75 * 7200 <= ra + rb <= 1.25 * 7200, (ra, rb)
    assert 0.3 <= ra / (ra + rb) <= 0.7, (ra, rb)


def test_exception_is_not_slowed(portcullis, origin):
    """nobandlimin before the rule exempts 127.0.0.5; others are held to
    the rule.  The exempt download is at least 10x the limited one."""
    srv = start(portcullis, "nobandlimin * 127.0.0.5\n"
                "bandlimin 400000 *\n")
    free, fs = timed_get(srv.pp, origin.url("/big/3000000"), 2,
                         src="127.0.0.5")
    held, hs = timed_get(srv.pp, origin.url("/big/3000000"), 2)
    assert free >= 3000000, free
    assert held / hs <= 1.1 * 50000, held / hs
    assert free / fs >= 10 * held / hs


def test_bandlimout_limits_uploads(portcullis, echo):
    """bandlimout: client -> server, through a SOCKS tunnel to the echo
    server: 400000 bit/s = 50000 bytes/s of upload."""
    srv = start(portcullis, "bandlimout 400000 *\n")
    s, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
    assert code == 0, code
    s.settimeout(0.5)
    data = b"x" * 65536
    sent, got, t0 = 0, 0, time.monotonic()
    s.setblocking(False)
    while time.monotonic() - t0 < 3:
        try:
            sent += s.send(data)
        except BlockingIOError:
            pass
        try:
            b = s.recv(65536)
            got += len(b)
        except BlockingIOError:
            time.sleep(0.01)
    s.close()
    rate = got / (time.monotonic() - t0)
    assert 0.7 * 50000 <= rate <= 1.15 * 50000, rate


def test_bandlimout_limits_http_request_bodies(portcullis, origin,
                                              tmp_path):
    """bandlimout holds an HTTP request body as it holds a tunnel's
    upload: curl POSTs 150000 bytes through the proxy at 400000 bit/s
    (50000 bytes/s: about 3 s); without the rule the same POST is fast.
    The origin gets every byte."""
    body = tmp_path / "body"
    body.write_bytes(b"y" * 150000)

    def post(srv):
        t0 = time.monotonic()
        p = subprocess.run(
            ["curl", "-sS", "--max-time", "30", "-x",
             f"http://127.0.0.1:{srv.pp}", "--data-binary", f"@{body}",
             "-H", "Expect:", origin.url("/echo/upload")],
            capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["body_len"] == 150000
        return time.monotonic() - t0

    held = post(start(portcullis, "bandlimout 400000 *\n"))
    free = post(start(portcullis, ""))
    assert 0.7 * 3.0 <= held <= 10.0, held
    assert free < held / 3, (free, held)


def test_rule_fields_select_targets(portcullis, origin, origin2):
    """The ACL fields pick what a rule limits: only origin's port."""
    srv = start(portcullis, f"bandlimin 400000 * * * {origin.port}\n")
    slow, ss = timed_get(srv.pp, origin.url("/big/2000000"), 1.5)
    fast, fs = timed_get(srv.pp, origin2.url("/big/2000000"), 1.5)
    assert slow / ss <= 1.1 * 50000
    assert fast >= 2000000


def test_config_errors(tmp_path):
    import subprocess
    from pc_server import BIN
    for line, tok in (("bandlimin 100 *", "100"),
                      ("bandlimin x *", "x"),
                      ("bandlimout 1000 * 10.0.0.0/40", "10.0.0.0/40")):
        p = tmp_path / "t.cfg"
        p.write_text(f"{line}\n")
        r = subprocess.run([BIN, "-t", str(p)], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 1 and f"{p}:1: {tok}:" in r.stderr, \
            (line, r.stderr)


def test_connlim_concurrent_and_exception(portcullis, echo, origin):
    """connlim 2 0: two tunnels at once, the third refused (SOCKS5 reply
    2, %E 10; HTTP 503); noconnlim before it exempts 127.0.0.5; closing
    one lets the next in."""
    srv = start(portcullis, "noconnlim * 127.0.0.5\n"
                f"connlim 2 0 * * * {echo.port}\n")
    held = []
    codes = []
    for _ in range(3):
        s, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
        codes.append(code)
        held.append(s)
    assert codes == [0, 0, 2], codes
    s = connect(srv.pp)
    s.sendall(f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\nHost: x\r\n\r\n"
              .encode())
    assert s.recv(64).startswith(b"HTTP/1.0 503"), "HTTP gets 503"
    s.close()
    x = connect(srv.sp, source="127.0.0.5")
    x.sendall(b"\x05\x01\x00")
    assert x.recv(2) == b"\x05\x00"
    x.sendall(b"\x05\x01\x00\x01" + bytes([127, 0, 0, 1]) +
              echo.port.to_bytes(2, "big"))
    assert x.recv(10)[1] == 0, "exempt source"
    x.close()
    held[0].close()
    time.sleep(0.3)
    s, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
    assert code == 0, "a place came free"
    s.close()
    for h in held[1:]:
        h.close()
    assert srv.wait_log(lambda ln: " 00010 " in ln), srv.log_lines()


def test_connlim_rate_per_period(portcullis, echo):
    """connlim 3 2: three new connections per 2 s; the fourth at once is
    refused, one is admitted again after the period."""
    srv = start(portcullis, "connlim 3 2 *\n")
    codes = []
    for _ in range(4):
        s, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
        codes.append(code)
        s.close()
    assert codes == [0, 0, 0, 2], codes
    time.sleep(2.2)
    s, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
    s.close()
    assert code == 0
