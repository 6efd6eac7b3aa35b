"""The POP3 gateway (`pop3p [-options]`) and local redirection to it from
socks (`parent 1000 pop3 0.0.0.0 0`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_pop3p.py -k poplib

Spec: issue 4 item 3 and issue 3 item 6; 3proxy-behaviour.md "Other
services" (greeting `+OK Proxy`, `USER user@host[:port]` split at the last
`@`, the server's greeting consumed, `USER user` forwarded) and "Logging"
(%N POP3P, %T `user@host[:port]` without the port when it is 110);
3proxy-language.md 2.3 (611-623), 2.4 (CONNECT for mail gateways), 2.9
(local redirection, ACL walked again).  Implementation:
worker/proto_pop3.c, worker/pop3_parse.c.

A small threaded POP3 server on loopback holds two messages for alice
(password pw) and notes every command it receives.
"""
import os
import poplib
import socket
import subprocess
import socketserver
import threading
import time

import pytest
import socks

from clients import Reader, connect, recv_until_close
from pc_server import cfg_head, free_port, need_root

LOGF = "G%N|%E|%U|%I|%O|%n|%T"
MSGS = [b"Subject: one\r\n\r\nfirst message\r\n",
        b"Subject: two\r\n\r\n" + (b"x" * 70 + b"\r\n") * 200 +
        b".dot line\r\n"]


class _Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def send(self, line):
        self.wfile.write(line + b"\r\n")

    def handle(self):
        srv = self.server
        self.send(srv.greeting)
        user, authed = None, False
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return
            srv.seen.append(line)
            cmd, _, arg = line.strip().partition(b" ")
            cmd = cmd.upper()
            if cmd == b"USER":
                user = arg
                self.send(b"+OK user " + arg)
            elif cmd == b"PASS":
                authed = user == b"alice" and arg == b"pw"
                self.send(b"+OK logged in" if authed else b"-ERR bad login")
            elif cmd == b"QUIT":
                self.send(b"+OK bye")
                return
            elif not authed:
                self.send(b"-ERR log in first")
            elif cmd == b"STAT":
                self.send(b"+OK %d %d" % (len(MSGS), sum(map(len, MSGS))))
            elif cmd == b"LIST":
                self.send(b"+OK")
                for i, m in enumerate(MSGS, 1):
                    self.send(b"%d %d" % (i, len(m)))
                self.send(b".")
            elif cmd == b"RETR" and arg in (b"1", b"2"):
                m = MSGS[int(arg) - 1]
                self.send(b"+OK %d octets" % len(m))
                for ln in m.split(b"\r\n")[:-1]:
                    self.send(b"." + ln if ln.startswith(b".") else ln)
                self.send(b".")
            else:
                self.send(b"-ERR unknown")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def pop3(request):
    greeting = getattr(request, "param", b"+OK test POP3 ready")
    s = _Server(("127.0.0.1", 0), _Handler)
    s.greeting = greeting
    s.seen = []
    s.port = s.server_address[1]
    t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval":
                                                         0.1}, daemon=True)
    t.start()
    yield s
    s.shutdown()
    s.server_close()
    t.join(5)


def start(portcullis, body, extra="", nports=1):
    ps = [free_port() for _ in range(nports)]
    srv = portcullis(cfg_head(logformat=LOGF, extra=extra) +
                     body.format(*ps), ports=ps)
    srv.ports_ = ps
    return srv


def recs(srv, needle, count=1, timeout=5.0):
    """Records (N, E, U, I, O, n, T) whose line contains needle."""
    lines = srv.wait_log(lambda ln: needle in ln and ln.count("|") >= 6,
                         count, timeout)
    return [tuple(ln.split("|", 6)) for ln in lines]


def session(client):
    """Log in as alice, check STAT, LIST and both RETRs, QUIT."""
    assert client.pass_("pw").startswith(b"+OK")
    assert client.stat() == (2, sum(map(len, MSGS)))
    assert client.list()[1] == [b"1 %d" % len(MSGS[0]),
                                b"2 %d" % len(MSGS[1])]
    for i, m in enumerate(MSGS, 1):
        resp, lines, _ = client.retr(i)
        assert resp.startswith(b"+OK")
        assert b"\r\n".join(lines) + b"\r\n" == m
    assert client.quit().startswith(b"+OK")


def line_of(r):
    return r.line().rstrip(b"\r\n")


# ---- the gateway with poplib ----------------------------------------------

def test_poplib_session_and_record(portcullis, pop3):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    assert c.getwelcome() == b"+OK Proxy"
    assert c.user(f"alice@127.0.0.1:{pop3.port}") == b"+OK user alice"
    session(c)
    # the server saw USER alice (not the login), then the client's PASS
    assert pop3.seen[:2] == [b"USER alice\r\n", b"PASS pw\r\n"]
    (n, e, u, i, o, host, t), = recs(srv, "alice@")
    assert (n, e, u, t) == ("POP3P", "00000", "alice",
                            f"alice@127.0.0.1:{pop3.port}")
    assert host == "127.0.0.1"     # bare, as 3proxy
    # %I: greeting + replies + both messages; %O: USER + PASS + commands
    assert int(i) > sum(map(len, MSGS)) and int(o) >= len(b"USER alice\r\n")


def test_name_target_through_nsrecord(portcullis, pop3):
    srv = start(portcullis, "allow * * pop.test\ndeny *\n"
                "pop3p -i127.0.0.1 -p{0}\n",
                extra="nscache 65536\nnsrecord pop.test 127.0.0.1")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    c.user(f"alice@pop.test:{pop3.port}")
    session(c)
    (n, e, u, _, _, host, t), = recs(srv, "alice@")
    assert (n, e, u, host, t) == ("POP3P", "00000", "alice", "pop.test",
                                  f"alice@pop.test:{pop3.port}")


def test_last_at_splits_and_pipelined_pass(portcullis, pop3):
    """A name with '@' in it: the last '@' splits.  USER and PASS sent in
    one write reach the server in order."""
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    s = connect(srv.ports_[0])
    r = Reader(s)
    assert line_of(r) == b"+OK Proxy"
    s.sendall(f"USER a@b@127.0.0.1:{pop3.port}\r\nPASS x\r\nQUIT\r\n"
              .encode())
    assert line_of(r) == b"+OK user a@b"
    assert line_of(r) == b"-ERR bad login"
    assert line_of(r) == b"+OK bye"
    s.close()
    assert pop3.seen == [b"USER a@b\r\n", b"PASS x\r\n", b"QUIT\r\n"]
    (_, e, u, _, _, _, t), = recs(srv, "a@b@")
    assert (e, u, t) == ("00000", "a@b", f"a@b@127.0.0.1:{pop3.port}")


# ---- refusals ---------------------------------------------------------------

def test_acl_deny_on_target(portcullis, pop3):
    srv = start(portcullis, f"deny * * 127.0.0.1 {pop3.port}\nallow *\n"
                "pop3p -i127.0.0.1 -p{0}\n")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    with pytest.raises(poplib.error_proto) as ei:
        c.user(f"alice@127.0.0.1:{pop3.port}")
    assert str(ei.value).startswith("b'-ERR")
    c.close()
    (n, e, u, _, _, _, t), = recs(srv, "alice@")
    assert (n, e, u, t) == ("POP3P", "00001", "alice",
                            f"alice@127.0.0.1:{pop3.port}")
    assert pop3.seen == []


def test_unreachable_server(portcullis, closed_port):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    with pytest.raises(poplib.error_proto) as ei:
        c.user(f"bob@127.0.0.1:{closed_port}")
    assert "-ERR" in str(ei.value)
    c.close()
    (_, e, u, _, _, _, t), = recs(srv, "bob@")
    assert (e, u, t) == ("00013", "bob", f"bob@127.0.0.1:{closed_port}")


def test_unknown_name(portcullis):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n",
                extra="nscache 65536\nnsrecord pop.test 127.0.0.1")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    with pytest.raises(poplib.error_proto):
        c.user("bob@nowhere.invalid")
    c.close()
    (_, e, _, _, _, _, t), = recs(srv, "bob@")
    assert (e, t) == ("00100", "bob@nowhere.invalid")


def test_strong_auth_proxy_login_form(portcullis, pop3):
    """auth strong: `USER proxyuser:proxypass:name@server` carries the
    proxy's credentials; %U is the proxy user, the server sees the name."""
    srv = start(portcullis, "auth strong\nallow bob\ndeny *\n"
                "pop3p -i127.0.0.1 -p{0}\n", extra="users bob:CL:secret")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    c.user(f"bob:secret:alice@127.0.0.1:{pop3.port}")
    session(c)
    (_, e, u, _, _, _, t), = recs(srv, "alice@")
    assert (e, u, t) == ("00000", "bob", f"alice@127.0.0.1:{pop3.port}")
    for login, code in ((f"bob:wrong:alice@127.0.0.1:{pop3.port}", "00006"),
                        (f"alice@127.0.0.1:{pop3.port}", "00004")):
        c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
        with pytest.raises(poplib.error_proto):
            c.user(login)
        c.close()
        srv.wait_log(lambda ln, code=code: f"|{code}|" in ln)
    assert pop3.seen.count(b"USER alice\r\n") == 1


@pytest.mark.parametrize("pop3", [b"-ERR go away", b"+OK Proxy"],
                         indirect=True)
def test_server_greeting_refused(portcullis, pop3):
    """A server that does not say +OK, or says the proxy's own greeting
    (a gateway talking to itself): -ERR and %E 622."""
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    with pytest.raises(poplib.error_proto):
        c.user(f"alice@127.0.0.1:{pop3.port}")
    c.close()
    (_, e, _, i, _, _, _), = recs(srv, "alice@")
    assert e == "00622" and int(i) == len(pop3.greeting) + 2
    assert pop3.seen == []


def test_gateway_to_itself(portcullis):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    c = poplib.POP3("127.0.0.1", p, timeout=10)
    with pytest.raises(poplib.error_proto):
        c.user(f"alice@127.0.0.1:{p}")
    c.close()
    (_, e, _, _, _, _, _), = recs(srv, f"alice@127.0.0.1:{p}")
    assert e == "00080"      # refused before connecting (test_selfloop)


# ---- hostile and malformed clients ----------------------------------------

BAD = [
    (b"USER\r\n", "00614"),
    (b"USER    \r\n", "00614"),
    (b"USER alice\r\n", "00615"),                 # no server, no default
    (b"USER alice@\r\n", "00615"),
    (b"USER @127.0.0.1\r\n", "00615"),
    (b"USER alice@127.0.0.1:0\r\n", "00615"),
    (b"USER alice@127.0.0.1:99999\r\n", "00615"),
    (b"USER alice@bad/host\r\n", "00615"),
    (b"USER alice@[::1\r\n", "00615"),
    (b"USER al\x00ice@127.0.0.1\r\n", "00615"),
    (b"USER al\rPASS x@127.0.0.1\r\n", "00615"),
    (b"USER a:b@127.0.0.1\r\n", "00615"),         # half a proxy login
    (b"USER " + b"a" * 300 + b"@127.0.0.1\r\n", "00615"),
    (b"USER " + b"a" * 600, "00613"),             # no LF in 512 bytes
    (b"\xff\xfe" * 400, "00613"),
]


def _pid_set(srv):
    return set(srv.worker_pids())


@pytest.mark.parametrize("data,code", BAD)
def test_malformed_login(portcullis, pop3, data, code):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    before = _pid_set(srv)
    s = connect(srv.ports_[0])
    r = Reader(s)
    assert line_of(r) == b"+OK Proxy"
    s.sendall(data)
    assert line_of(r).startswith(b"-ERR")
    assert recv_until_close(s) == b""
    s.close()
    srv.wait_log(lambda ln: f"POP3P|{code}|" in ln)
    assert pop3.seen == []
    # the worker lives on and serves the next client
    c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
    c.user(f"alice@127.0.0.1:{pop3.port}")
    session(c)
    # no worker died (the pool may still have been growing at the start)
    assert before and before <= _pid_set(srv)


def test_commands_before_user(portcullis):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    s = connect(srv.ports_[0])
    r = Reader(s)
    line_of(r)
    s.sendall(b"CAPA\r\nSTAT\r\nQUIT\r\n")
    assert line_of(r) == b"-ERR need USER first"
    assert line_of(r) == b"-ERR need USER first"
    assert line_of(r) == b"+OK"
    assert recv_until_close(s) == b""
    s.close()
    srv.wait_log(lambda ln: ln.startswith("POP3P|00000|"))
    # a client that never logs in is cut off after a bounded number
    s = connect(srv.ports_[0])
    s.sendall(b"NOOP\r\n" * 40)
    got = recv_until_close(s)
    s.close()
    assert got.count(b"-ERR need USER first") == 16
    assert got.endswith(b"-ERR too many commands before USER\r\n"), got
    srv.wait_log(lambda ln: ln.startswith("POP3P|00612|"))


def test_client_closes_mid_login(portcullis):
    srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n")
    for data in (b"", b"USER alice@127.0.0.1"):
        s = connect(srv.ports_[0])
        Reader(s).line()
        s.sendall(data)
        s.close()
    srv.wait_log(lambda ln: ln.startswith("POP3P|00612|"), count=2)


def test_timeouts(portcullis):
    """STRING_SHORT bounds the wait for a login line (612), STRING_LONG
    the wait for the server's greeting (621); both answer -ERR timeout."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)          # accepts in the kernel, never says a word
    try:
        srv = start(portcullis, "allow *\npop3p -i127.0.0.1 -p{0}\n",
                    extra="timeouts 1 5 2 2 180 1800 15 60 15 5")
        s = connect(srv.ports_[0])
        r = Reader(s)
        line_of(r)
        t0 = time.monotonic()
        assert line_of(r) == b"-ERR timeout"
        assert 1.5 < time.monotonic() - t0 < 6
        s.close()
        srv.wait_log(lambda ln: ln.startswith("POP3P|00612|"))
        c = poplib.POP3("127.0.0.1", srv.ports_[0], timeout=10)
        with pytest.raises(poplib.error_proto) as ei:
            c.user(f"alice@127.0.0.1:{silent.getsockname()[1]}")
        assert "-ERR timeout" in str(ei.value)
        c.close()
        (_, e, _, _, _, _, _), = recs(srv, "alice@")
        assert e == "00621"
    finally:
        silent.close()


# ---- config -----------------------------------------------------------------

def test_default_port_110_and_config_check(tmp_path):
    """pop3p without -p listens on 110 (checked by the config printer:
    binding 110 would clash with a real POP3 server on the test host)."""
    p = tmp_path / "c.cfg"
    p.write_text("pop3p -i127.0.0.1\nallow *\nparent 1000 pop3 0.0.0.0 0\n"
                 "socks -i127.0.0.1 -p1080\n")
    r = subprocess.run([os.environ["PORTCULLIS_BIN"], "-t", str(p)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    p.write_text("allow *\nparent 1000 pop3 127.0.0.1 110\nsocks\n")
    r = subprocess.run([os.environ["PORTCULLIS_BIN"], "-t", str(p)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "pop3 is only a local redirection" in \
        r.stderr, r.stderr


# ---- local redirection from socks ------------------------------------------

class SocksPOP3(poplib.POP3):
    """poplib over a SOCKS5 connection to the proxy (PySocks)."""

    def __init__(self, proxy_port, host, port, **kw):
        self._proxy_port = proxy_port
        super().__init__(host, port, **kw)

    def _create_socket(self, timeout):
        s = socks.socksocket()
        s.set_proxy(socks.SOCKS5, "127.0.0.1", self._proxy_port)
        s.settimeout(timeout)
        s.connect((self.host, self.port))
        return s


REDIR = ("allow * * * {pport} CONNECT\nparent 1000 pop3 0.0.0.0 0\n"
         "{second}\nsocks -i127.0.0.1 -p{{0}}\n")


def test_socks_redirect_to_pop3(portcullis, pop3):
    srv = start(portcullis, REDIR.format(pport=pop3.port, second="allow *"))
    c = SocksPOP3(srv.ports_[0], "127.0.0.1", pop3.port, timeout=10)
    assert c.getwelcome() == b"+OK Proxy"
    c.user(f"alice@127.0.0.1:{pop3.port}")
    session(c)
    (n, e, u, i, o, _, t), = recs(srv, "alice@")
    assert (n, e, u, t) == ("SOCK5", "00000", "alice",
                            f"alice@127.0.0.1:{pop3.port}")
    assert int(i) > sum(map(len, MSGS)) and int(o) > 0
    assert pop3.seen[0] == b"USER alice\r\n"


def test_socks_redirect_login_without_server(portcullis, pop3):
    """`USER alice` alone: the server is the SOCKS target."""
    srv = start(portcullis, REDIR.format(pport=pop3.port, second="allow *"))
    c = SocksPOP3(srv.ports_[0], "127.0.0.1", pop3.port, timeout=10)
    c.user("alice")
    session(c)
    (n, e, _, _, _, _, t), = recs(srv, "alice@")
    assert (n, e, t) == ("SOCK5", "00000", f"alice@127.0.0.1:{pop3.port}")


def test_socks_redirect_acl_walked_again(portcullis, pop3):
    """The SOCKS request (to port 110) is redirected; the POP3 login names
    another port, which no rule allows: refused by the second walk."""
    srv = start(portcullis, REDIR.format(pport=110, second="deny *"))
    c = SocksPOP3(srv.ports_[0], "127.0.0.1", 110, timeout=10)
    assert c.getwelcome() == b"+OK Proxy"
    with pytest.raises(poplib.error_proto):
        c.user(f"alice@127.0.0.1:{pop3.port}")
    c.close()
    (n, e, _, _, _, _, t), = recs(srv, "alice@")
    assert (n, e, t) == ("SOCK5", "00001", f"alice@127.0.0.1:{pop3.port}")
    assert pop3.seen == []


def test_socks_redirect_rule_skipped_on_second_walk(portcullis, pop3):
    """The rule that redirected matches the login's server too, but the
    second walk passes over it (3proxy-language.md 2.9): `deny *` then
    refuses the login."""
    srv = start(portcullis, REDIR.format(pport=pop3.port, second="deny *"))
    c = SocksPOP3(srv.ports_[0], "127.0.0.1", pop3.port, timeout=10)
    with pytest.raises(poplib.error_proto):
        c.user(f"alice@127.0.0.1:{pop3.port}")
    c.close()
    (n, e, _, _, _, _, _), = recs(srv, "alice@")
    assert (n, e) == ("SOCK5", "00001")
    assert pop3.seen == []


def test_socks_redirect_carries_socks_login(portcullis, pop3):
    """auth strong on socks: the RFC 1929 login given to SOCKS serves the
    POP3 handler's ACL walk too."""
    srv = start(portcullis, "auth strong\n" + REDIR.format(
        pport=pop3.port, second="allow bob\ndeny *"),
        extra="users bob:CL:secret")
    p = srv.ports_[0]

    class Authed(SocksPOP3):
        def _create_socket(self, timeout):
            s = socks.socksocket()
            s.set_proxy(socks.SOCKS5, "127.0.0.1", p, username="bob",
                        password="secret")
            s.settimeout(timeout)
            s.connect((self.host, self.port))
            return s
    c = Authed(p, "127.0.0.1", pop3.port, timeout=10)
    c.user(f"alice@127.0.0.1:{pop3.port}")
    session(c)
    (n, e, u, _, _, _, _), = recs(srv, "alice@")
    assert (n, e, u) == ("SOCK5", "00000", "bob")
