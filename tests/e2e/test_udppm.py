"""The UDP port mapper (`udppm [-s] LOCALPORT HOST PORT`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_udppm.py -k single

Spec: issue 4 item 2; 3proxy-language.md 1.1 (udppm, -s single-packet
mode); docs/portcullis.cfg.5 SERVICES.  Each client address and port is
one session with its own socket to the target; the target's answers go
back to that client only.
"""
import os
import socket
import threading
import time

import pytest

from pc_server import cfg_head, free_port


class UdpEcho:
    """Answers every datagram twice ("echo:" + data, then "again:" +
    data), so the single-packet mode can be told apart."""

    def __init__(self, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.bind((host, 0))
        self.port = self.s.getsockname()[1]
        self.s.settimeout(0.2)
        self.seen = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop.is_set():
            try:
                d, a = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.seen.append(a)
            self.s.sendto(b"echo:" + d, a)
            self.s.sendto(b"again:" + d, a)

    def close(self):
        self.stop.set()
        self.t.join(2)
        self.s.close()


@pytest.fixture
def uecho():
    e = UdpEcho()
    yield e
    e.close()


def start(portcullis, target, tport, opts="", acl="", logformat=None,
          extra=""):
    port = free_port()
    srv = portcullis(cfg_head(logformat=logformat, extra=extra) + acl +
                     f"udppm -i127.0.0.1 {opts} {port} {target} {tport}\n",
                     ports=[])
    srv.port = port
    return srv


def client(src="127.0.0.1"):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind((src, 0))
    c.settimeout(3)
    return c


def test_datagrams_both_ways(portcullis, uecho):
    srv = start(portcullis, "127.0.0.1", uecho.port)
    c = client()
    for i in range(5):
        c.sendto(b"ping%d" % i, ("127.0.0.1", srv.port))
        assert c.recvfrom(100)[0] == b"echo:ping%d" % i
        assert c.recvfrom(100)[0] == b"again:ping%d" % i
    # one session: the target saw a single source port
    assert len(set(uecho.seen)) == 1


def test_large_datagram_byte_exact(portcullis, uecho):
    srv = start(portcullis, "127.0.0.1", uecho.port)
    c = client()
    data = os.urandom(60000)
    c.sendto(data, ("127.0.0.1", srv.port))
    assert c.recvfrom(65535)[0] == b"echo:" + data


def test_sessions_are_per_client(portcullis, uecho):
    """Two clients get two sessions; each gets only its own answers."""
    srv = start(portcullis, "127.0.0.1", uecho.port)
    a, b = client(), client("127.0.0.2")
    a.sendto(b"from-a", ("127.0.0.1", srv.port))
    b.sendto(b"from-b", ("127.0.0.1", srv.port))
    assert a.recvfrom(100)[0] == b"echo:from-a"
    assert b.recvfrom(100)[0] == b"echo:from-b"
    assert a.recvfrom(100)[0] == b"again:from-a"
    assert b.recvfrom(100)[0] == b"again:from-b"
    assert len(set(uecho.seen)) == 2


def test_single_packet_mode(portcullis, uecho):
    """-s: one datagram, one answer; the second answer is not relayed and
    the session is logged at once."""
    srv = start(portcullis, "127.0.0.1", uecho.port, opts="-s",
                logformat="L%N %E %C %I %T")
    c = client()
    c.sendto(b"q", ("127.0.0.1", srv.port))
    assert c.recvfrom(100)[0] == b"echo:q"
    c.settimeout(0.7)
    with pytest.raises(socket.timeout):
        c.recvfrom(100)
    lines = srv.wait_log(lambda ln: ln.startswith("UDPPM 00000 127.0.0.1 6 "))
    assert lines, srv.log_lines()


def test_target_by_name_and_log_record(portcullis, uecho):
    srv = start(portcullis, "udp.test", uecho.port,
                logformat="L%N %E %C %R:%r %I %O %T",
                extra="nsrecord udp.test 127.0.0.1\ntimeouts 1 5 30 2")
    c = client()
    c.sendto(b"abc", ("127.0.0.1", srv.port))
    assert c.recvfrom(100)[0] == b"echo:abc"
    assert c.recvfrom(100)[0] == b"again:abc"
    # the session ends after the idle timeout (STRING_LONG = 2 s here)
    lines = srv.wait_log(lambda ln: ln.startswith("UDPPM 00000 127.0.0.1 ")
                         and "udp.test" in ln, timeout=10)
    assert lines, srv.log_lines()
    f = lines[0].split()
    assert f[3] == f"127.0.0.1:{uecho.port}"
    # %I: both answers (8 + 9 bytes), %O: the 3 bytes sent
    assert (f[4], f[5], f[6]) == ("17", "3", "udp.test")


def test_acl_denies_target(portcullis, uecho):
    srv = start(portcullis, "127.0.0.1", uecho.port,
                acl="deny * * 127.0.0.1\nallow *\n",
                logformat="L%N %E %C %T")
    c = client()
    c.sendto(b"no", ("127.0.0.1", srv.port))
    c.settimeout(0.7)
    with pytest.raises(socket.timeout):
        c.recvfrom(100)
    assert uecho.seen == []
    assert srv.wait_log(lambda ln: ln.startswith("UDPPM 00001 ")), \
        srv.log_lines()


def test_config_errors(tmp_path):
    import subprocess
    from pc_server import BIN
    for line, tok in (("udppm 1 h", "udppm"), ("udppm -p5 1 h 2", "-p5"),
                      ("udppm 0 h 2", "0"), ("udppm -q 1 h 2", "-q")):
        p = tmp_path / "t.cfg"
        p.write_text(f"{line}\n")
        r = subprocess.run([BIN, "-t", str(p)], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 1, (line, r.stdout, r.stderr)
        assert f"{p}:1: {tok}:" in r.stderr, (line, r.stderr)
