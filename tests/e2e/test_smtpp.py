"""The SMTP gateway (`smtpp [-options]`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_smtpp.py -k sendmail

Spec: issue 4 item 5; 3proxy-behaviour.md "Other services" (EHLO answered
by the proxy, AUTH PLAIN with `user@host:port`, the proxy logs in upstream)
and "Logging" (%N SMTPP, %T `user@host[:port]` without the port when it is
25); 3proxy-language.md 2.3 (662-683), 2.4 (CONNECT for mail gateways),
decision 6 (default port 587).  Unlike 3proxy, an upstream refusal is
passed back to the client (issue 4 item 5).  Implementation:
worker/proto_smtp.c, worker/smtp_parse.c.

aiosmtpd is the real server on loopback; it takes alice/pw with AUTH PLAIN
and LOGIN (or LOGIN only) and keeps every message it accepts.
"""
import base64
import os
import smtplib
import socket
import socketserver
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from clients import Reader, connect, recv_until_close
from pc_server import cfg_head, free_port, port_listening

LOGF = "G%N|%E|%U|%I|%O|%n|%T"
MSG = (b"From: alice@example.test\r\nTo: bob@example.test\r\n"
       b"Subject: hello\r\n\r\n" + b"line of the body\r\n" * 300)


def b64(raw):
    return base64.b64encode(raw).decode()


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and
          auth_data.login == b"alice" and auth_data.password == b"pw")
    server.event_handler.logins.append((mechanism, ok))
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _Handler:
    def __init__(self):
        self.messages = []
        self.ehlos = []
        self.logins = []

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        self.ehlos.append(hostname)
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                              envelope.original_content, session.auth_data))
        return "250 2.0.0 accepted"


@pytest.fixture
def smtpd(request):
    """aiosmtpd on 127.0.0.1 requiring AUTH (alice/pw) without TLS;
    param: mechanisms to leave out."""
    handler = _Handler()
    port = free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port,
                     authenticator=_authenticator, auth_require_tls=False,
                     auth_required=True,  # warns: no TLS on loopback
                     auth_exclude_mechanism=getattr(request, "param", ()))
    handler.logins = []
    ctl.start()
    ctl.port = port
    # the controller's own readiness probe is not a login
    handler.ehlos.clear()
    yield ctl
    ctl.stop()


def start(portcullis, body, extra=""):
    p = free_port()
    srv = portcullis(cfg_head(logformat=LOGF, extra=extra) + body.format(p),
                     ports=[p])
    srv.port_ = p
    return srv


def recs(srv, needle, count=1, timeout=5.0):
    """Records (N, E, U, I, O, n, T) whose line contains needle."""
    lines = srv.wait_log(lambda ln: needle in ln and ln.count("|") >= 6,
                         count, timeout)
    return [tuple(ln.split("|", 6)) for ln in lines]


def codes(srv, needle, count):
    return [r[1] for r in recs(srv, needle, count)]


def client(srv):
    # a local_hostname spares smtplib its getfqdn() lookup
    return smtplib.SMTP("127.0.0.1", srv.port_, timeout=10,
                        local_hostname="client.test")


def line_of(r):
    return r.line().rstrip(b"\r\n")


ALLOW = "allow *\nsmtpp -i127.0.0.1 -p{0}\n"


# ---- the gateway with smtplib ----------------------------------------------

def test_smtplib_sendmail_and_record(portcullis, smtpd):
    srv = start(portcullis, ALLOW)
    c = client(srv)
    code, banner = c.ehlo("client.test")
    assert code == 250 and banner.startswith(b"Proxy")
    assert c.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
    code, _ = c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")
    assert code == 235
    assert c.sendmail("alice@example.test", ["bob@example.test"], MSG) == {}
    c.quit()
    (frm, to, data, login), = smtpd.handler.messages
    assert (frm, to, login.login, login.password) == \
        ("alice@example.test", ["bob@example.test"], b"alice", b"pw")
    assert data.replace(b"\r\n", b"\n") == MSG.replace(b"\r\n", b"\n")
    # the server saw one EHLO, with the client's own domain, and one login
    assert smtpd.handler.ehlos == ["client.test"]
    assert smtpd.handler.logins == [("PLAIN", True)]
    (n, e, u, i, o, host, t), = recs(srv, "alice@")
    assert (n, e, u, t) == ("SMTPP", "00000", "alice",
                            f"alice@127.0.0.1:{smtpd.port}")
    assert host == "127.0.0.1"     # bare, as 3proxy
    # %O: EHLO + AUTH + MAIL/RCPT/DATA + the message; %I: the replies
    assert int(o) > len(MSG) and int(i) > 100


def test_greeting_and_helo(portcullis, smtpd):
    srv = start(portcullis, ALLOW)
    s = connect(srv.port_)
    r = Reader(s)
    assert line_of(r) == b"220 Proxy ready"
    s.sendall(b"HELO x\r\nNOOP\r\nRSET\r\nQUIT\r\n")
    assert [line_of(r) for _ in range(4)] == [
        b"250 Proxy", b"250 2.0.0 OK", b"250 2.0.0 OK", b"221 2.0.0 Bye"]
    assert recv_until_close(s) == b""
    s.close()
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00000|"))


@pytest.mark.parametrize("smtpd", [("PLAIN",)], indirect=True)
def test_server_offering_only_login(portcullis, smtpd):
    """The server has no PLAIN: the proxy logs in with AUTH LOGIN; the
    client uses AUTH LOGIN too (smtplib sends the name as an initial
    response)."""
    srv = start(portcullis, ALLOW)
    c = client(srv)
    c.ehlo("client.test")
    c.user, c.password = f"alice@127.0.0.1:{smtpd.port}", "pw"
    assert c.auth("LOGIN", c.auth_login)[0] == 235
    c.sendmail("alice@example.test", ["bob@example.test"], MSG)
    c.quit()
    assert len(smtpd.handler.messages) == 1
    assert smtpd.handler.logins == [("LOGIN", True)]
    (_, e, u, _, _, _, _), = recs(srv, "alice@")
    assert (e, u) == ("00000", "alice")


def test_raw_auth_without_initial_responses(portcullis, smtpd):
    """AUTH PLAIN and AUTH LOGIN with their data on the next lines
    (RFC 4954 334 continuations); the session is then relayed as it is."""
    srv = start(portcullis, ALLOW)
    for mech in ("PLAIN", "LOGIN"):
        s = connect(srv.port_)
        r = Reader(s)
        line_of(r)
        s.sendall(f"AUTH {mech}\r\n".encode())
        name = f"alice@127.0.0.1:{smtpd.port}".encode()
        if mech == "PLAIN":
            assert line_of(r) == b"334 "
            s.sendall(b64(b"\0" + name + b"\0pw").encode() + b"\r\n")
        else:
            assert line_of(r) == b"334 VXNlcm5hbWU6"
            s.sendall(b64(name).encode() + b"\r\n")
            assert line_of(r) == b"334 UGFzc3dvcmQ6"
            s.sendall(b64(b"pw").encode() + b"\r\n")
        assert line_of(r).startswith(b"235 ")
        # MAIL and RCPT in one write: relayed uninspected
        s.sendall(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n")
        assert line_of(r).startswith(b"250")
        assert line_of(r).startswith(b"250")
        s.sendall(b"QUIT\r\n")
        assert line_of(r).startswith(b"221")
        s.close()
    assert [e for _, e, *_ in recs(srv, "alice@", 2)] == ["00000"] * 2


def test_login_name_with_at_sign(portcullis, smtpd):
    """The last '@' splits: the server is asked for `alice@mail.test`."""
    srv = start(portcullis, ALLOW)
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login(f"alice@mail.test@127.0.0.1:{smtpd.port}", "pw")
    assert ei.value.smtp_code == 535
    c.close()
    assert smtpd.handler.logins[0] == ("PLAIN", False)
    (_, e, u, _, _, _, t) = recs(srv, "alice@mail.test@", 2)[0]
    assert (e, u, t) == ("00680", "alice@mail.test",
                         f"alice@mail.test@127.0.0.1:{smtpd.port}")


# ---- refusals ---------------------------------------------------------------

def test_wrong_password_passed_back(portcullis, smtpd):
    """The server's 535 reaches the client (3proxy leaves it hanging); the
    client may try again on the same connection and succeed."""
    srv = start(portcullis, ALLOW)
    c = client(srv)
    t0 = time.monotonic()
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login(f"alice@127.0.0.1:{smtpd.port}", "wrong")
    assert time.monotonic() - t0 < 5
    # smtplib tried PLAIN then LOGIN: both refused by the server
    assert ei.value.smtp_code == 535
    assert b"Authentication credentials invalid" in ei.value.smtp_error
    assert smtpd.handler.logins == [("PLAIN", False), ("PLAIN", False)]
    assert c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")[0] == 235
    c.sendmail("alice@example.test", ["bob@example.test"], MSG)
    c.quit()
    assert len(smtpd.handler.messages) == 1
    got = recs(srv, "alice@", 3)
    assert [(n, e, u) for n, e, u, *_ in got] == [
        ("SMTPP", "00680", "alice"), ("SMTPP", "00680", "alice"),
        ("SMTPP", "00000", "alice")]


def test_three_failures_hang_up(portcullis, smtpd):
    srv = start(portcullis, ALLOW)
    s = connect(srv.port_)
    r = Reader(s)
    line_of(r)
    bad = b64(f"\0alice@127.0.0.1:{smtpd.port}\0nope".encode()).encode()
    for _ in range(2):
        s.sendall(b"AUTH PLAIN " + bad + b"\r\n")
        assert line_of(r).startswith(b"535 ")
    s.sendall(b"AUTH PLAIN " + bad + b"\r\n")
    assert line_of(r).startswith(b"535 ")
    assert line_of(r) == b"421 4.7.0 too many failed logins"
    assert recv_until_close(s) == b""
    s.close()
    assert codes(srv, "alice@", 3) == ["00680"] * 3


def test_acl_deny_on_target(portcullis, smtpd):
    srv = start(portcullis, f"deny * * 127.0.0.1 {smtpd.port}\n" + ALLOW)
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")
    assert ei.value.smtp_code == 550
    c.close()
    (n, e, u, _, _, _, t) = recs(srv, "alice@")[0]
    assert (n, e, u, t) == ("SMTPP", "00001", "alice",
                            f"alice@127.0.0.1:{smtpd.port}")
    assert smtpd.handler.ehlos == [] and smtpd.handler.logins == []


def test_acl_by_port_and_name(portcullis, smtpd):
    """The ACL sees the login's server as the target: name and port."""
    srv = start(portcullis, f"allow * * mx.test {smtpd.port}\ndeny *\n"
                "smtpp -i127.0.0.1 -p{0}\n",
                extra="nscache 65536\nnsrecord mx.test 127.0.0.1")
    c = client(srv)
    c.login(f"alice@mx.test:{smtpd.port}", "pw")
    c.quit()
    (_, e, _, _, _, host, t), = recs(srv, "alice@mx.test")
    assert (e, host, t) == ("00000", "mx.test", f"alice@mx.test:{smtpd.port}")
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")
    c.close()
    assert recs(srv, "alice@127.0.0.1")[0][1] == "00001"


def test_unreachable_server(portcullis, closed_port):
    srv = start(portcullis, ALLOW)
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login(f"bob@127.0.0.1:{closed_port}", "pw")
    assert ei.value.smtp_code == 454
    c.close()
    (_, e, u, _, _, _, t) = recs(srv, "bob@")[0]
    assert (e, u, t) == ("00013", "bob", f"bob@127.0.0.1:{closed_port}")


def test_unknown_name_and_default_port_in_text(portcullis):
    srv = start(portcullis, ALLOW,
                extra="nscache 65536\nnsrecord mx.test 127.0.0.1")
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login("bob@nowhere.invalid", "pw")
    assert ei.value.smtp_code == 554
    c.close()
    (_, e, _, _, _, _, t) = recs(srv, "bob@")[0]
    assert (e, t) == ("00100", "bob@nowhere.invalid")   # port 25 left out


def test_strong_auth_with_the_login(portcullis, smtpd):
    """auth strong: the AUTH name and password are the proxy's too."""
    srv = start(portcullis, "auth strong\nallow alice\ndeny *\n"
                "smtpp -i127.0.0.1 -p{0}\n", extra="users alice:CL:pw")
    c = client(srv)
    assert c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")[0] == 235
    c.quit()
    srv2 = start(portcullis, "auth strong\nallow alice\ndeny *\n"
                 "smtpp -i127.0.0.1 -p{0}\n", extra="users alice:CL:other")
    c = client(srv2)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")
    assert ei.value.smtp_code == 535
    c.close()
    assert recs(srv2, "alice@")[0][1] == "00006"
    assert smtpd.handler.logins == [("PLAIN", True)]


# ---- servers that do not play along ----------------------------------------

class _FakeHandler(socketserver.StreamRequestHandler):
    timeout = 10

    def handle(self):
        srv = self.server
        self.wfile.write(srv.greeting)
        while True:
            line = self.rfile.readline(2048)
            if not line:
                return
            srv.seen.append(line)
            if line.upper().startswith(b"EHLO"):
                self.wfile.write(srv.ehlo)
            else:
                self.wfile.write(srv.other)


class _FakeServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def fake():
    s = _FakeServer(("127.0.0.1", 0), _FakeHandler)
    s.seen = []
    s.port = s.server_address[1]
    s.greeting, s.ehlo, s.other = b"220 mx\r\n", b"250 mx\r\n", b"502 no\r\n"
    t = threading.Thread(target=s.serve_forever,
                         kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    yield s
    s.shutdown()
    s.server_close()
    t.join(5)


@pytest.mark.parametrize("greeting,ehlo,other,code,reply", [
    (b"554 go away\r\n", b"", b"", "00672", 454),
    (b"220 Proxy ready\r\n", b"", b"", "00672", 454),        # a loop
    (b"220-mx\r\n220 ESMTP\r\n", b"502 what\r\n", b"", "00672", 454),
    (b"220 mx\r\n", b"250-mx\r\n250 AUTH CRAM-MD5\r\n", b"", "00674", 454),
    (b"220 mx\r\n", b"250 AUTH LOGIN\r\n", b"504 5.5.4 nope\r\n", "00680",
     504),
    (b"220 mx\r\n", b"250 AUTH PLAIN\r\n", b"334 \r\n", "00680", 454),
    (b"220 mx\r\n", b"250 AUTH PLAIN\r\n", b"hello\r\n", "00671", 454),
    (b"220 " + b"x" * 5000 + b"\r\n", b"", b"", "00671", 454),
])
def test_server_misbehaves(portcullis, fake, greeting, ehlo, other, code,
                           reply):
    fake.greeting, fake.ehlo, fake.other = greeting, ehlo, other
    srv = start(portcullis, ALLOW)
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
        c.user, c.password = f"alice@127.0.0.1:{fake.port}", "pw"
        c.ehlo()
        c.auth("PLAIN", c.auth_plain)
    assert ei.value.smtp_code == reply
    c.close()
    assert recs(srv, "alice@")[0][1] == code
    # the password never reaches a server that has not offered AUTH
    if code in ("00672", "00674"):
        assert not any(b"AUTH" in ln for ln in fake.seen)


def test_gateway_to_itself(portcullis):
    srv = start(portcullis, ALLOW)
    c = client(srv)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        c.login(f"alice@127.0.0.1:{srv.port_}", "pw")
    c.close()
    # refused before connecting (test_selfloop)
    assert recs(srv, f"alice@127.0.0.1:{srv.port_}")[0][1] == "00080"


def test_timeouts(portcullis):
    """STRING_SHORT bounds the wait for a command (421, 662), STRING_LONG
    the wait for the server (454, 671)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)          # accepts in the kernel, never says a word
    try:
        srv = start(portcullis, ALLOW,
                    extra="timeouts 1 5 2 2 180 1800 15 60 15 5")
        s = connect(srv.port_)
        r = Reader(s)
        line_of(r)
        t0 = time.monotonic()
        assert line_of(r) == b"421 4.4.2 timeout"
        assert 1.5 < time.monotonic() - t0 < 6
        s.close()
        srv.wait_log(lambda ln: ln.startswith("SMTPP|00662|"))
        c = client(srv)
        with pytest.raises(smtplib.SMTPAuthenticationError) as ei:
            c.user, c.password = (
                f"alice@127.0.0.1:{silent.getsockname()[1]}", "pw")
            c.ehlo()
            c.auth("PLAIN", c.auth_plain)
        assert ei.value.smtp_code == 454
        c.close()
        assert recs(srv, "alice@")[0][1] == "00671"
    finally:
        silent.close()


# ---- hostile and malformed clients ----------------------------------------

def _pids(srv):
    return set(srv.worker_pids())


def _still_serves(srv, smtpd, before):
    c = client(srv)
    c.login(f"alice@127.0.0.1:{smtpd.port}", "pw")
    c.sendmail("alice@example.test", ["bob@example.test"], MSG)
    c.quit()
    assert before and before <= _pids(srv)


BAD_AUTH = [
    (b"AUTH PLAIN !!!!\r\n", "00664"),
    (b"AUTH PLAIN =\r\n", "00664"),
    (b"AUTH PLAIN " + b64(b"\0alice@127.0.0.1").encode() + b"\r\n", "00664"),
    (b"AUTH PLAIN " + b64(b"\0alice\0pw").encode() + b"\r\n", "00666"),
    (b"AUTH PLAIN " + b64(b"\0alice@127.0.0.1:0\0pw").encode() + b"\r\n",
     "00666"),
    (b"AUTH PLAIN " + b64(b"\0al\r\nMAIL@127.0.0.1\0pw").encode() + b"\r\n",
     "00666"),
    (b"AUTH PLAIN " + b64(b"\0" + b"a" * 300 + b"@h\0pw").encode() + b"\r\n",
     "00666"),
    (b"AUTH LOGIN " + b64(b"alice").encode() + b"\r\n", "00666"),
    (b"AUTH LOGIN " + b64(b"alice@bad/host").encode() + b"\r\n", "00666"),
    (b"AUTH LOGIN YWxpY2U\r\n", "00664"),
    (b"AUTH LOGIN\r\n" + b64(b"a@127.0.0.1").encode() + b"\r\n=\r\n",
     "00664"),
]


@pytest.mark.parametrize("data,code", BAD_AUTH)
def test_malformed_auth(portcullis, smtpd, data, code):
    """501, a record, and the client may go on."""
    srv = start(portcullis, ALLOW)
    before = _pids(srv)
    s = connect(srv.port_)
    r = Reader(s)
    line_of(r)
    s.sendall(data)
    ln = line_of(r)
    while ln.startswith(b"334"):
        ln = line_of(r)
    assert ln.startswith(b"501 "), ln
    srv.wait_log(lambda x: x.startswith(f"SMTPP|{code}|"))
    s.sendall(b"QUIT\r\n")
    assert line_of(r) == b"221 2.0.0 Bye"
    s.close()
    assert smtpd.handler.ehlos == []
    _still_serves(srv, smtpd, before)


def test_commands_before_auth(portcullis, smtpd):
    srv = start(portcullis, ALLOW)
    s = connect(srv.port_)
    r = Reader(s)
    line_of(r)
    s.sendall(b"MAIL FROM:<a@b>\r\nFOO bar\r\nAUTH CRAM-MD5\r\nAUTH\r\n"
              b"STARTTLS\r\nE\x00HLO x\r\n\xff\xfe\x01\r\nAUTH PLAIN\r\n*\r\n"
              b"QUIT\r\n")
    got = [line_of(r)[:3] for _ in range(10)]
    assert got == [b"530", b"500", b"504", b"501", b"500", b"500", b"500",
                   b"334", b"501", b"221"]
    assert recv_until_close(s) == b""
    s.close()
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00000|"))


def test_too_many_commands(portcullis):
    srv = start(portcullis, ALLOW)
    s = connect(srv.port_)
    s.sendall(b"NOOP\r\n" * 40)
    got = recv_until_close(s)
    s.close()
    assert got.count(b"250 2.0.0 OK") == 16
    assert got.endswith(b"421 4.7.0 too many commands without AUTH\r\n"), got
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00662|"))


def test_binary_garbage(portcullis, smtpd):
    """Lines of every byte value: 500 each, and the session goes on."""
    srv = start(portcullis, ALLOW)
    before = _pids(srv)
    s = connect(srv.port_)
    r = Reader(s)
    line_of(r)
    s.sendall(bytes(range(256)) * 4 + b"\r\nQUIT\r\n")
    assert [line_of(r) for _ in range(5)] == [b"500 5.5.2 syntax error"] * 5
    assert line_of(r) == b"221 2.0.0 Bye"
    s.close()
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00000|"))
    _still_serves(srv, smtpd, before)


@pytest.mark.parametrize("data", [
    b"EHLO " + b"x" * 3000,
    b"AUTH PLAIN " + b"A" * 1200 + b"\r\n",
    bytes(range(11, 256)) * 8,
], ids=["ehlo", "auth", "binary"])
def test_overlong_lines(portcullis, smtpd, data):
    srv = start(portcullis, ALLOW)
    before = _pids(srv)
    s = connect(srv.port_)
    r = Reader(s)
    line_of(r)
    s.sendall(data)
    got = recv_until_close(s)
    s.close()
    assert got.endswith(b"500 5.5.6 line too long\r\n"), got
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00663|"))
    _still_serves(srv, smtpd, before)


def test_client_gone_mid_login(portcullis, smtpd):
    srv = start(portcullis, ALLOW)
    name = f"alice@127.0.0.1:{smtpd.port}".encode()
    for data in (b"", b"AUTH LOGIN\r\n", b"AUTH PLAIN " +
                 b64(b"\0" + name + b"\0pw").encode() + b"\r\n"):
        s = connect(srv.port_)
        Reader(s).line()
        s.sendall(data)
        s.close()
    srv.wait_log(lambda ln: ln.startswith("SMTPP|00662|"), count=2)
    before = _pids(srv)
    _still_serves(srv, smtpd, before)


# ---- config -----------------------------------------------------------------

def test_default_port_587(portcullis, tmp_path):
    """smtpp without -p listens on 587 (decision 6), unless a real MTA
    holds that port on the test host."""
    p = tmp_path / "c.cfg"
    p.write_text("allow *\nsmtpp -i127.0.0.1\n")
    r = subprocess.run([os.environ.get("PORTCULLIS_BIN", "build/portcullis"),
                        "-t", str(p)], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r.stderr
    if port_listening(587):
        pytest.skip("port 587 is in use on this host")
    portcullis(cfg_head() + "allow *\nsmtpp -i127.0.0.1\n", ports=[587])
    s = connect(587)
    assert Reader(s).line() == b"220 Proxy ready\r\n"
    s.close()
