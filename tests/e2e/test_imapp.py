"""The IMAP gateway (`imapp [-options]`, 3proxy 1.0's imapp.c).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_imapp.py -k fetch

The client logs in as `name@server[:port]` (LOGIN, AUTHENTICATE PLAIN or
LOGIN); the proxy logs in to that server as `name` with the client's tag,
by the server's mechanism as 3proxy picks it (AUTHENTICATE PLAIN, else
LOGIN, else the LOGIN command), and relays the rest.  %N IMAPP, %T
`name@server[:port]` (no port when it is 143), codes 691-699.

The origin is a small IMAP server of the test's own (greeting with or
without capabilities, CAPABILITY, LOGIN, AUTHENTICATE PLAIN/LOGIN, SELECT,
FETCH, LOGOUT) on loopback; the client is Python's imaplib.
"""
import base64
import imaplib
import socketserver
import threading

import pytest

from clients import Reader, connect
from origins import pattern
from pc_server import cfg_head, free_port, one_record

LOGF = "G%N|%E|%U|%n|%T"
MSG = b"Subject: hi\r\n\r\n" + pattern(100000)


def _astrings(s):
    """The atoms and quoted strings of s."""
    out, i = [], 0
    while i < len(s):
        if s[i] == " ":
            i += 1
        elif s[i] == '"':
            j, v = i + 1, ""
            while s[j] != '"':
                if s[j] == "\\":
                    j += 1
                v += s[j]
                j += 1
            out.append(v)
            i = j + 1
        else:
            j = s.find(" ", i)
            j = len(s) if j < 0 else j
            out.append(s[i:j])
            i = j
    return out


class _Imap(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def check(self, tag, method, user, pw):
        ok = (user, pw) == ("alice", self.server.password)
        self.server.logins.append((method, user, pw, ok))
        self.say(f"{tag} OK LOGIN completed" if ok else
                 f"{tag} NO [AUTHENTICATIONFAILED] bad credentials")
        return ok

    def b64line(self):
        return base64.b64decode(self.rfile.readline().strip()).decode()

    def handle(self):
        srv = self.server
        caps = "IMAP4rev1" + "".join(f" AUTH={m}" for m in srv.mechs)
        self.say(f"* OK [CAPABILITY {caps}] ready" if srv.greet_caps
                 else "* OK ready")
        while True:
            line = self.rfile.readline().decode().rstrip("\r\n")
            if not line:
                return
            tag, _, rest = line.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            srv.commands.append(cmd)
            if cmd == "CAPABILITY":
                self.say(f"* CAPABILITY {caps}")
                self.say(f"{tag} OK done")
            elif cmd == "LOGIN":
                self.check(tag, "LOGIN", *_astrings(arg))
            elif cmd == "AUTHENTICATE" and arg.upper() == "PLAIN":
                self.say("+ ")
                _, user, pw = self.b64line().split("\0")
                self.check(tag, "PLAIN", user, pw)
            elif cmd == "AUTHENTICATE" and arg.upper() == "LOGIN":
                self.say("+ VXNlcm5hbWU6")
                user = self.b64line()
                self.say("+ UGFzc3dvcmQ6")
                self.check(tag, "SASL-LOGIN", user, self.b64line())
            elif cmd == "SELECT":
                self.say("* 1 EXISTS")
                self.say(f"{tag} OK [READ-WRITE] SELECT completed")
            elif cmd == "FETCH":
                self.wfile.write(b"* 1 FETCH (BODY[] {%d}\r\n" % len(MSG) +
                                 MSG + b")\r\n")
                self.say(f"{tag} OK FETCH completed")
            elif cmd == "LOGOUT":
                self.say("* BYE")
                self.say(f"{tag} OK LOGOUT completed")
                return
            else:
                self.say(f"{tag} BAD what")


@pytest.fixture
def imapd(request):
    """The IMAP origin; param: (AUTH mechanisms, capabilities in the
    greeting)."""
    mechs, greet = getattr(request, "param", (("PLAIN", "LOGIN"), True))
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Imap)
    srv.daemon_threads = True
    srv.mechs, srv.greet_caps, srv.password = mechs, greet, "pw"
    srv.logins, srv.commands = [], []
    srv.port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def start(portcullis, acl="allow *\n", extra=""):
    p = free_port()
    srv = portcullis(cfg_head(logformat=LOGF, extra=extra) + acl +
                     f"imapp -i127.0.0.1 -p{p}\n", ports=[p])
    srv.port = p
    return srv


rec = one_record


def imap(srv):
    return imaplib.IMAP4("127.0.0.1", srv.port, timeout=10)


def fetch_all(c):
    typ, _ = c.select("INBOX")
    assert typ == "OK"
    typ, data = c.fetch("1", "(BODY[])")
    assert typ == "OK"
    return data[0][1]


def test_imaplib_login_select_fetch(portcullis, imapd):
    srv = start(portcullis)
    c = imap(srv)
    assert "AUTH=PLAIN" in c.capabilities
    c.login(f"alice@127.0.0.1:{imapd.port}", "pw")
    assert fetch_all(c) == MSG
    c.logout()
    # the server offers AUTH=PLAIN: the proxy logs in with it (3proxy's)
    assert imapd.logins == [("PLAIN", "alice", "pw", True)]
    n, e, _, host, text = rec(srv, f"|alice@127.0.0.1:{imapd.port}")
    assert (n, e, host) == ("IMAPP", "00000", "127.0.0.1")


@pytest.mark.parametrize("imapd", [((), False)], indirect=True)
def test_no_mechanisms_login_command_quoted(portcullis, imapd):
    imapd.password = 'p "w\\ x'
    srv = start(portcullis)
    c = imap(srv)
    c.login(f"alice@127.0.0.1:{imapd.port}", 'p "w\\ x')
    assert fetch_all(c) == MSG
    c.logout()
    # no capabilities in the greeting: the proxy asked for them
    assert imapd.commands[:2] == ["CAPABILITY", "LOGIN"]
    assert imapd.logins == [("LOGIN", "alice", 'p "w\\ x', True)]


@pytest.mark.parametrize("imapd", [(("LOGIN",), True)], indirect=True)
def test_authenticate_plain_to_a_login_only_server(portcullis, imapd):
    srv = start(portcullis)
    c = imap(srv)
    name = f"alice@127.0.0.1:{imapd.port}"
    c.authenticate("PLAIN", lambda _: f"\0{name}\0pw".encode())
    assert fetch_all(c) == MSG
    c.logout()
    assert imapd.logins == [("SASL-LOGIN", "alice", "pw", True)]


def test_authenticate_login(portcullis, imapd):
    srv = start(portcullis)
    c = imap(srv)
    steps = iter([f"alice@127.0.0.1:{imapd.port}".encode(), b"pw"])
    c.authenticate("LOGIN", lambda _: next(steps))
    assert fetch_all(c) == MSG
    c.logout()
    assert imapd.logins == [("SASL-LOGIN", "alice", "pw", True)]


def test_server_refusal_reaches_the_client(portcullis, imapd):
    srv = start(portcullis)
    c = imap(srv)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(f"alice@127.0.0.1:{imapd.port}", "wrong")
    assert imapd.logins == [("PLAIN", "alice", "wrong", False)]


def test_acl_denied(portcullis, imapd):
    srv = start(portcullis, acl="deny * * 127.0.0.1\nallow *\n")
    c = imap(srv)
    with pytest.raises(imaplib.IMAP4.error, match="access denied"):
        c.login(f"alice@127.0.0.1:{imapd.port}", "pw")
    assert rec(srv, "IMAPP|00001|")[4] == f"alice@127.0.0.1:{imapd.port}"
    assert imapd.logins == []


def closed(r):
    # an overlong line is closed unread: a reset
    with pytest.raises((EOFError, ConnectionResetError)):
        r.line()


def lines_until(r, tag):
    out = []
    while True:
        ln = r.line()
        assert ln, out
        out.append(ln.rstrip(b"\r\n"))
        if ln.startswith(tag + b" ") or ln.startswith(b"* BYE") and \
                tag == b"*":
            return out


def test_raw_commands_and_errors(portcullis, imapd):
    srv = start(portcullis)
    s = connect(srv.port)
    r = Reader(s)
    assert r.line().startswith(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN "
                               b"AUTH=LOGIN] IMAP4rev1 Proxy Ready")
    s.sendall(b"a1 CAPABILITY\r\n")
    assert lines_until(r, b"a1") == [
        b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN",
        b"a1 OK CAPABILITY completed"]
    s.sendall(b"a2 SELECT INBOX\r\na3 NOOP\r\na4 AUTHENTICATE CRAM-MD5\r\n")
    assert r.line() == b"a2 BAD need LOGIN first\r\n"
    assert r.line() == b"a3 OK NOOP completed\r\n"
    assert r.line().startswith(b"a4 NO ")
    s.sendall(b"a5 LOGOUT\r\n")
    assert lines_until(r, b"a5") == [b"* BYE", b"a5 OK LOGOUT completed"]
    closed(r)
    s.close()
    assert srv.wait_log(lambda ln: ln == "IMAPP|00000|-|[0.0.0.0]|", 1, 5)

    seen = {}

    def one(data, reply_start, code):
        s = connect(srv.port)
        r = Reader(s)
        r.line()
        s.sendall(data)
        got = r.line()
        assert got.startswith(reply_start), got
        closed(r)
        s.close()
        seen[code] = seen.get(code, 0) + 1
        assert srv.wait_log(lambda ln: ln.startswith(f"IMAPP|{code:05d}|"),
                            seen[code], 5.0)

    one(b"LOGOUT\r\n", b"* BAD ", 692)
    one(b"b LOGIN bob pw\r\n", b"b NO name@server", 694)
    one(b"c LOGIN {5}\r\n", b"c BAD malformed", 693)
    one(b"d LOGIN x" + b"y" * 3000 + b"\r\n", b"* BAD line too long", 692)
    # a login naming the proxy itself: refused before connecting (code
    # 80, test_selfloop)
    one(f"e LOGIN bob@127.0.0.1:{srv.port} pw\r\n".encode(),
        b"e NO cannot connect", 80)


def test_unreachable_server(portcullis):
    srv = start(portcullis)
    dead = free_port()
    s = connect(srv.port)
    r = Reader(s)
    r.line()
    s.sendall(f"t LOGIN bob@127.0.0.1:{dead} pw\r\n".encode())
    assert r.line().startswith(b"t NO ")
    s.close()
    n, e, _, _, text = rec(srv, f"bob@127.0.0.1:{dead}")
    assert n == "IMAPP" and 11 <= int(e) <= 19


def test_default_port_and_x(tmp_path):
    import subprocess
    from pc_server import BIN
    f = tmp_path / "c.cfg"
    f.write_text("imapp -x\n")
    p = subprocess.run([BIN, "-t", "-v", str(f)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "imapp -p143 " in p.stdout, p
