"""Log rotation, archiving and syslog (issue 5 items 1 and 3).

The minute rotation (`log FILE C`) is driven across one real minute
boundary: old periods are seeded as files beforehand, so that one boundary
shows the naming, the archiver (gzip removes the original), and `rotate`
keeping only the newest finished periods.  Syslog records go to a Unix
datagram socket the test binds at /dev/log (root, and only when nothing is
there).
"""
import gzip
import os
import signal
import socket
import time

import pytest

from clients import curl
from pc_server import IS_ROOT, cfg_head, free_port, wait_for

FMT = "L%t %T"


def minute_name(base, t):
    return base + time.strftime(".%Y.%m.%d-%H.%M", time.localtime(t))


def request(port, origin, path):
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url(path)])
    assert r.status in (200, 404), r   # the origin answers 404 here


def sleep_until(t):
    d = t - time.time()
    assert d < 65, "wait past the bound"
    if d > 0:
        time.sleep(d)


@pytest.mark.slow
def test_minute_rotation_archive_and_rotate(portcullis, origin, tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    base = str(d / "access.log")
    seeded = [base + ".2020.01.01-00.00.gz", base + ".2020.01.01-00.01.gz",
              base + ".2020.01.01-00.02", base + ".2020.01.01-00.02.gz"]
    for p in seeded:
        open(p, "wb").close()
    (d / "notes.txt").write_text("not a log\n")
    # far from a boundary, so the first request is in the first file
    if time.time() % 60 > 56:
        sleep_until((time.time() // 60 + 1) * 60 + 0.5)
    port = free_port()
    srv = portcullis(f'log {base} C\nrotate 2\narchiver gz /bin/gzip %F\n'
                     f'logformat "{FMT}"\nproxy -i127.0.0.1 -p{port}\n')
    start = time.time()
    first = minute_name(base, start)
    assert os.path.exists(first), sorted(os.listdir(d))
    assert not os.path.exists(base), "the live file carries the suffix"
    request(port, origin, "/before")
    boundary = (start // 60 + 1) * 60
    sleep_until(boundary - 1.5)
    request(port, origin, "/before2")
    assert srv.wait_log(lambda ln: "/before2" in ln, path=first)
    sleep_until(boundary + 1.5)
    request(port, origin, "/after")
    second = minute_name(base, boundary)
    assert srv.wait_log(lambda ln: "/after" in ln, path=second), \
        sorted(os.listdir(d))
    # gzip replaces the finished file by its archive
    assert wait_for(lambda: not os.path.exists(first) and
                    os.path.exists(first + ".gz"), 10), sorted(os.listdir(d))
    with gzip.open(first + ".gz", "rt") as f:
        old = f.read().splitlines()
    assert any("/before " in ln for ln in old), old
    assert any("/before2 " in ln for ln in old), old
    assert not any("/after" in ln for ln in old), old
    # every record sits in the file of its minute
    for ln in old:
        assert int(ln.split()[0]) < boundary, ln
    for ln in srv.log_lines(second):
        assert int(ln.split()[0]) >= boundary, ln
    # rotate 2: the two newest finished periods (this one, 00.02 with
    # both its files) stay; older ones go; other names are untouched
    names = sorted(os.listdir(d))
    assert names == sorted([os.path.basename(p) for p in
                            [first + ".gz", second, seeded[2], seeded[3]]] +
                           ["notes.txt"]), names
    assert "archiver pid" in srv.stderr()


def test_day_file_and_template(portcullis, origin, tmp_path):
    p1, p2 = free_port(), free_port()
    d = tmp_path / "logs"
    d.mkdir()
    srv = portcullis(f"log {d}/day.log D\nlogformat \"{FMT}\"\n"
                     f"proxy -i127.0.0.1 -p{p1}\n"
                     f"log {d}/%Y%m%d-%o.log D\n"
                     f"proxy -i127.0.0.1 -p{p2}\n")
    request(p1, origin, "/day")
    request(p2, origin, "/tmpl")
    now = time.localtime()
    day = d / ("day.log" + time.strftime(".%Y.%m.%d", now))
    assert srv.wait_log(lambda ln: "/day" in ln, path=day), os.listdir(d)
    # the template names the day itself, without a suffix
    tmpl = d / (time.strftime("%Y%m%d-", now) +
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                 "Sep", "Oct", "Nov", "Dec"][now.tm_mon - 1] + ".log")
    assert srv.wait_log(lambda ln: "/tmpl" in ln, path=tmpl), os.listdir(d)


def test_per_service_template_and_week(portcullis, origin, tmp_path):
    p1, p2 = free_port(), free_port()
    d = tmp_path / "logs"
    d.mkdir()
    srv = portcullis(f"log {d}/week.log W\nlogformat \"{FMT}\"\n"
                     f"proxy -i127.0.0.1 -p{p1}\n"
                     f"proxy -i127.0.0.1 -p{p2} -l{d}/svc-%Y.log\n")
    request(p1, origin, "/week")
    request(p2, origin, "/svc")
    now = time.time()
    lt = time.localtime(now)
    sunday = time.localtime(now - ((lt.tm_wday + 1) % 7) * 86400)
    week = d / ("week.log" + time.strftime(".%Y.%m.%d", sunday))
    assert srv.wait_log(lambda ln: "/week" in ln, path=week), os.listdir(d)
    svc = d / time.strftime("svc-%Y.log", lt)
    assert srv.wait_log(lambda ln: "/svc" in ln, path=svc), os.listdir(d)


def test_sigusr2_recreates_rotating_file(portcullis, origin, tmp_path):
    port = free_port()
    d = tmp_path / "logs"
    d.mkdir()
    if time.time() % 3600 > 3590:
        sleep_until((time.time() // 3600 + 1) * 3600 + 0.5)
    srv = portcullis(f"log {d}/a.log H\nlogformat \"{FMT}\"\n"
                     f"proxy -i127.0.0.1 -p{port}\n")
    live = d / ("a.log" + time.strftime(".%Y.%m.%d-%H"))
    request(port, origin, "/one")
    assert srv.wait_log(lambda ln: "/one" in ln, path=live)
    os.rename(live, d / "moved")
    srv.signal(signal.SIGUSR2)
    assert wait_for(live.exists, 5), os.listdir(d)
    request(port, origin, "/two")
    assert srv.wait_log(lambda ln: "/two" in ln, path=live)
    assert "/two" not in (d / "moved").read_text()
    # a reload (SIGHUP) reopens too
    os.rename(live, d / "moved2")
    srv.reload()
    assert wait_for(live.exists, 5), os.listdir(d)


@pytest.mark.parametrize("line,tok,why", [
    ("log /tmp/x Q", "Q", "unknown log rotation type"),
    ("log /tmp/x 7", "7", "unknown log rotation type"),
    ("log /tmp/%Y-%Q.log D", "/tmp/%Y-%Q.log", "unknown macro %Q"),
    ("log @ D", "D", "a rotation type needs a log file"),
    ("log @", "@", "empty syslog ident"),
    ("rotate x", "x", "expected 0..100000"),
    ("archiver gz", "archiver", "wrong number of arguments"),
    ("archiver a/b gzip %F", "a/b", "invalid archive extension"),
])
def test_config_errors(tmp_path, line, tok, why):
    import subprocess
    from pc_server import BIN
    cfg = tmp_path / "c.cfg"
    cfg.write_text(line + "\n")
    r = subprocess.run([BIN, "-t", str(cfg)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0
    assert f"{cfg}:1: {tok}: {why}" in r.stderr, r.stderr


def test_types_accepted(tmp_path):
    import subprocess
    from pc_server import BIN
    cfg = tmp_path / "c.cfg"
    cfg.write_text("".join(f"log {tmp_path}/l{c} {c}\n" for c in
                           ["C", "H", "D", "W", "M", "Y", "c", "daily",
                            "Hourly"]) +
                   f"log G{tmp_path}/%Y.log D\nrotate 30\n"
                   "archiver zip /usr/bin/zip -m %A %F\n"
                   "log @portcullis\nproxy -p1 -l@other\n")
    r = subprocess.run([BIN, "-t", str(cfg)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def devlog():
    """A datagram socket bound at /dev/log, removed afterwards."""
    if not IS_ROOT:
        pytest.skip("binding /dev/log needs root")
    if os.path.lexists("/dev/log"):
        pytest.skip("/dev/log exists (a syslog daemon runs): the test "
                    "would not see the records")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind("/dev/log")
        s.settimeout(0.2)
        yield s
    finally:
        s.close()
        try:
            os.unlink("/dev/log")
        except OSError:
            pass


def syslog_messages(s, want, timeout=5.0):
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got.append(s.recv(65536).decode(errors="replace"))
        except socket.timeout:
            continue
        if all(any(w in m for m in got) for w in want):
            break
    return got


def test_syslog_global_and_per_service(portcullis, origin, devlog):
    p1, p2 = free_port(), free_port()
    srv = portcullis(f"log @pctest\nlogformat \"{FMT}\"\n"
                     f"proxy -i127.0.0.1 -p{p1}\n"
                     f"proxy -i127.0.0.1 -p{p2} -l@pcsvc\n")
    request(p1, origin, "/sys1")
    request(p2, origin, "/sys2")
    msgs = syslog_messages(devlog, ["/sys1", "/sys2"])
    one = [m for m in msgs if "/sys1" in m]
    two = [m for m in msgs if "/sys2" in m]
    assert one and two, msgs
    # <30> = facility daemon (3) * 8 + info (6); the master's pid
    assert one[0].startswith("<30>"), one
    assert f" pctest[{srv.pid}]: " in one[0], one
    assert f" pcsvc[{srv.pid}]: " in two[0], two
    assert one[0].endswith(f"GET {origin.url('/sys1')} HTTP/1.1"), one
