"""Traffic counters: counter, countin/countout/countall, nocount*.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_counters.py -k kill

Spec: issue 5 item 4; 3proxy-language.md 2.8 (file layout, NUMBER/NAME,
TYPE, LIMIT in MiB, refusal with code 10); unlike 3proxy, a connection is
cut when it crosses its quota, and counts survive reload, restart and a
killed worker (the workers add to a table shared with the master).
"""
import os
import signal
import socketserver
import struct
import time

from clients import connect, get_status_len, socks5_open
from origins import TcpServer
from pc_server import cfg_head, free_port, records, wait_for

MIB = 1048576


def start(portcullis, tmp_path, rules, name=None):
    pp, sp = free_port(), free_port()
    srv = portcullis(cfg_head() + f"counter {tmp_path}/ct.bin\n" + rules +
                     f"proxy -i127.0.0.1 -p{pp}\n"
                     f"socks -i127.0.0.1 -p{sp}\n", name=name)
    srv.pp, srv.sp = pp, sp
    return srv


def get(port, url, timeout=10):
    return get_status_len(port, url, timeout)


def saved(tmp_path, number):
    """Bytes of counter NUMBER in the counter file (None when absent)."""
    try:
        raw = (tmp_path / "ct.bin").read_bytes()
    except OSError:
        return None
    off = 12 + 24 * (number - 1)
    if raw[:4] != b"3CF\0" or len(raw) < off + 24:
        return None
    return struct.unpack_from("<Q", raw, off)[0]


def test_quota_refuses_a_longer_download_before_sending(portcullis,
                                                       tmp_path, origin):
    """3proxy: a Content-Length the remaining countin quota cannot take is
    refused with 503 before anything of it is sent (not 200 and a cut
    body); a body that fits is served."""
    srv = start(portcullis, tmp_path, "countin 1/a D 1 *\n")
    status, n = get(srv.pp, origin.url("/big/3000000"))
    assert status.startswith(b"HTTP/1.0 503") and n < 2000, (status, n)
    status, n = get(srv.pp, origin.url("/big/700000"))
    assert status.startswith(b"HTTP/1.1 200") and n == 700000
    # 700000 of the MiB used: 400000 more do not fit, 300000 do
    status, n = get(srv.pp, origin.url("/big/400000"))
    assert status.startswith(b"HTTP/1.0 503"), status
    status, n = get(srv.pp, origin.url("/big/300000"))
    assert status.startswith(b"HTTP/1.1 200") and n == 300000
    recs = records(srv, "/big/3000000")
    assert recs[0]["err"] == "00010", recs


class _OneWrite(socketserver.BaseRequestHandler):
    """GET /N: head and N body bytes in one sendall, so the proxy's first
    read holds the head and the start of the body together."""

    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            b = self.request.recv(4096)
            if not b:
                return
            data += b
        n = int(data.split(b" ", 2)[1].rsplit(b"/", 1)[1])
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n" % n + b"x" * n)


def test_refused_response_body_is_not_counted(portcullis, tmp_path):
    """Body bytes that arrived with the head of a response refused for the
    quota never reach the client and do not use the quota up: after eight
    refusals, a download that fits is still served."""
    origin = TcpServer(_OneWrite).start()
    try:
        srv = start(portcullis, tmp_path, "countin 1/a D 1 *\n")
        url = f"http://127.0.0.1:{origin.port}"
        status, n = get(srv.pp, f"{url}/700000")
        assert status.startswith(b"HTTP/1.1 200") and n == 700000
        for _ in range(8):
            status, n = get(srv.pp, f"{url}/400000")
            assert status.startswith(b"HTTP/1.0 503"), status
        status, n = get(srv.pp, f"{url}/300000")
        assert status.startswith(b"HTTP/1.1 200") and n == 300000, \
            (status, n)
    finally:
        origin.stop()


def test_quota_cuts_transfer_then_refuses(portcullis, tmp_path, origin):
    srv = start(portcullis, tmp_path, "countin 1/a D 1 *\n")
    # no Content-Length: served until the count crosses the limit
    status, n = get(srv.pp, origin.url("/chunked/3000000"))
    assert status.startswith(b"HTTP/1.1 200")
    # cut when crossing 1 MiB (headers count too; the read that crosses
    # is not delivered), not at the end
    assert MIB - 2 * 65536 <= n <= MIB, n
    status, n = get(srv.pp, origin.url("/big/1000"))
    assert status.startswith(b"HTTP/1.0 503"), status
    s, code = socks5_open(srv.sp, "127.0.0.1", origin.port)
    s.close()
    assert code == 2
    recs = records(srv, "/big/")
    assert any(r["err"] == "00010" for r in recs), recs


def test_counts_survive_reload_and_restart(portcullis, tmp_path, origin):
    rules = "countin 3 N 2 *\n"
    srv = start(portcullis, tmp_path, rules, name="a")
    status, n = get(srv.pp, origin.url("/big/1500000"))
    assert n == 1500000
    srv.reload()
    time.sleep(1)
    status, n = get(srv.pp, origin.url("/chunked/3000000"))
    # 2 MiB in all: the reload kept the first 1.5 MB
    assert n < 2 * MIB - 1500000 + 2 * 65536, n
    srv.stop()
    assert saved(tmp_path, 3) >= 2 * MIB
    srv2 = start(portcullis, tmp_path, rules, name="b")
    status, _ = get(srv2.pp, origin.url("/big/1000"))
    assert status.startswith(b"HTTP/1.0 503"), "the restart loaded it"


def test_killed_worker_loses_no_counted_byte(portcullis, tmp_path, origin):
    """SIGKILL of the worker in the middle of a slow download: every byte
    the client got is in the counter (saved within 10 s)."""
    srv = start(portcullis, tmp_path, "countin 5 N 100 *\n")
    s = connect(srv.pp)
    s.sendall(f"GET {origin.url('/big/4000000?rate=400000')} HTTP/1.1\r\n"
              "Host: x\r\nConnection: close\r\n\r\n".encode())
    got = 0
    t0 = time.monotonic()
    while got < 1000000 and time.monotonic() - t0 < 10:
        got += len(s.recv(65536))
    # kill the worker holding the connection (the one with more sockets)
    sizes = {}
    for pid in srv.worker_pids():
        try:
            sizes[pid] = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    victim = max(sizes, key=sizes.get)
    assert list(sizes.values()).count(sizes[victim]) == 1, sizes
    os.kill(victim, signal.SIGKILL)
    t1 = time.monotonic()
    while time.monotonic() - t1 < 5:
        try:
            b = s.recv(65536)
        except OSError:
            break
        if not b:
            break
        got += len(b)
    s.close()
    # the proxy rewrites the response head: allow for its few bytes
    assert wait_for(lambda: (saved(tmp_path, 5) or 0) >= got - 512, 15), \
        (saved(tmp_path, 5), got)


def test_exception_and_directions(portcullis, tmp_path, origin, echo):
    """nocountin before a rule exempts 127.0.0.5; countout counts what the
    client sends (through a SOCKS tunnel to the echo server)."""
    srv = start(portcullis, tmp_path, "nocountin * 127.0.0.5\n"
                "countin 8 N 1 *\ncountout 9 N 1 *\n")
    s = connect(srv.pp, source="127.0.0.5")
    s.sendall(f"GET {origin.url('/big/2000000')} HTTP/1.1\r\nHost: x\r\n"
              "Connection: close\r\n\r\n".encode())
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
    s.close()
    assert n > 2000000, "exempt: not cut"
    t, code = socks5_open(srv.sp, "127.0.0.1", echo.port)
    assert code == 0
    sent = 0
    try:
        for _ in range(40):
            t.sendall(b"u" * 65536)
            sent += 65536
            t.recv(65536)
    except OSError:
        pass
    t.close()
    assert sent <= MIB + 4 * 65536, "countout cut the upload near 1 MiB"


def test_counters_tool_through_the_master(portcullis, tmp_path, origin):
    """portcullis-counters lists, resets and sets through the running
    master's control socket; without a server `list` reads the file and
    changes are refused."""
    import subprocess
    from pc_server import BIN
    tool = os.path.join(os.path.dirname(BIN), "portcullis-counters")
    ctr = str(tmp_path / "ct.bin")

    def run(*args):
        return subprocess.run([tool, "-f", ctr] + list(args),
                              capture_output=True, text=True, timeout=10)
    srv = start(portcullis, tmp_path, "countin 4/bob N 1 *\n")
    get(srv.pp, origin.url("/chunked/2000000"))
    r = run("list")
    assert r.returncode == 0, r.stderr
    num, used, limit = r.stdout.split()[:3]
    assert (num, limit) == ("4", str(MIB)) and int(used) >= MIB
    assert r.stdout.split()[4] == "bob"
    assert get(srv.pp, origin.url("/big/10"))[0].startswith(b"HTTP/1.0 503")
    assert run("reset", "4").returncode == 0
    assert run("list").stdout.split()[1] == "0"
    assert get(srv.pp, origin.url("/big/10")) == (b"HTTP/1.1 200 OK", 10)
    assert run("set", "4", str(2 * MIB)).returncode == 0
    assert get(srv.pp, origin.url("/big/10"))[0].startswith(b"HTTP/1.0 503")
    bad = run("set", "x", "1")
    assert bad.returncode == 1 and "error" in bad.stderr, bad
    srv.stop()
    assert not os.path.exists(ctr + ".ctl")
    r = run("list")
    assert r.returncode == 0 and r.stdout.split()[:2] == ["4", str(2 * MIB)]
    assert run("reset", "4").returncode == 1


def test_report_written_at_period_end(portcullis, tmp_path, origin):
    """`counter FILE C REPORT`: when the minute ends, REPORT.YYYY.MM.DD-HH.MM
    (the finished minute) holds "NNNNN BBBB...B #NAME" for each counter
    (waits for the next minute boundary: at most about 62 s)."""
    if time.localtime().tm_sec >= 55:      # not across a boundary
        time.sleep(61 - time.localtime().tm_sec)
    pp, sp = free_port(), free_port()
    srv = portcullis(cfg_head() + f"counter {tmp_path}/ct.bin C "
                     f"{tmp_path}/rep\n" + "countin 12/carol N 100 *\n" +
                     f"proxy -i127.0.0.1 -p{pp}\n")
    status, n = get(pp, origin.url("/big/300000"))
    assert n == 300000
    started = time.localtime()
    name = tmp_path / time.strftime("rep.%Y.%m.%d-%H.%M", started)
    assert wait_for(name.exists, 75), sorted(os.listdir(tmp_path))
    lines = name.read_text().splitlines()
    assert len(lines) == 1, lines
    num, count, label = lines[0].split(" ")
    assert num == "00012" and len(count) == 20 and label == "#carol"
    assert int(count) >= 300000
