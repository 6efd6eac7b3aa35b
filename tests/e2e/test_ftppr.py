"""The FTP proxy (`ftppr [-options]`), FTP over HTTP in `proxy`
(`GET ftp://...`), and local redirection to the FTP proxy from socks
(`parent 1000 ftp 0.0.0.0 0`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_ftppr.py -k passive

Spec: issue 4 item 4 and issue 3 item 6; 3proxy-behaviour.md "Other
services" (greeting `220 Ready`, `331 ok` to USER, passive towards the
server) and "HTTP proxy" (ftp:// authorised as FTP_GET, password removed
from the logged URL, 780 -> 404); 3proxy-language.md 2.3 (700-799,
800-899), 2.4 (FTP_GET, FTP_PUT, FTP_LIST).  Implementation:
worker/proto_ftp.c, worker/ftp_session.c, worker/ftp_data.c,
worker/ftp_parse.c, worker/http_ftp.c.

pyftpdlib serves a temporary directory on loopback to alice (password pw)
with a 1 MB file of random bytes.
"""
import ftplib
import io
import os
import subprocess
import threading

import pytest
import socks

from pc_server import BIN, cfg_head, clean_env, free_port

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

LOGF = "G%N|%E|%U|%I|%O|%n|%T"
BIG = os.urandom(1 << 20)


@pytest.fixture
def ftpd(tmp_path):
    root = tmp_path / "ftproot"
    (root / "sub").mkdir(parents=True)
    (root / "big.bin").write_bytes(BIG)
    (root / "small.txt").write_bytes(b"hello ftp\n")
    (root / "sub" / "inner.txt").write_bytes(b"inner\n")
    auth = DummyAuthorizer()
    auth.add_user("alice", "pw", str(root), perm="elradfmwMT")
    auth.add_anonymous(str(root))

    class Handler(FTPHandler):
        pass
    Handler.authorizer = auth
    Handler.passive_ports = None
    Handler.permit_foreign_addresses = False
    srv = ThreadedFTPServer(("127.0.0.1", 0), Handler)
    srv.max_cons = 64
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"timeout": 0.1, "blocking": True},
                         daemon=True)
    t.start()
    srv.port = srv.socket.getsockname()[1]
    srv.root = root
    yield srv
    srv.close_all()
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
    assert len(lines) >= count, (needle, lines)
    return [tuple(ln.split("|", 6)) for ln in lines]


def login(srv, ftpd, passive=True, user="alice", pw="pw"):
    c = ftplib.FTP()
    c.connect("127.0.0.1", srv.ports_[0], timeout=10)
    assert c.getwelcome() == "220 Ready"
    c.set_pasv(passive)
    c.login(f"{user}@127.0.0.1:{ftpd.port}", pw)
    return c


def fetch(c, name):
    out = io.BytesIO()
    c.retrbinary(f"RETR {name}", out.write)
    return out.getvalue()


# ---- ftppr with ftplib ------------------------------------------------------

@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_session_retr_stor_list(portcullis, ftpd, passive):
    srv = start(portcullis, "allow *\nftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd, passive)
    assert fetch(c, "big.bin") == BIG
    c.storbinary("STOR up.bin", io.BytesIO(BIG[:300000]))
    assert (ftpd.root / "up.bin").read_bytes() == BIG[:300000]
    names = c.nlst()
    assert {"big.bin", "small.txt", "sub", "up.bin"} <= set(names)
    lines = []
    c.retrlines("LIST", lines.append)
    assert any(ln.endswith(" small.txt") for ln in lines)
    c.cwd("sub")
    assert fetch(c, "inner.txt") == b"inner\n"
    c.quit()
    (n, e, u, i, _, _, t), = recs(srv, "|RETR big.bin")
    # %U: the proxy user, none here (3proxy: the FTP name is not one)
    assert (n, e, u) == ("FTPPR", "00000", "-")
    assert int(i) >= len(BIG)
    (n, e, _, _, o, _, _), = recs(srv, "|STOR up.bin")
    assert (n, e) == ("FTPPR", "00000") and int(o) >= 300000
    recs(srv, "|NLST")
    recs(srv, "|LIST")
    recs(srv, "|RETR inner.txt")
    (n, e, u, _, _, host, t), = recs(srv, f"|alice@127.0.0.1:{ftpd.port}")
    # %n of a login naming an IPv4 address is the bare address (3proxy)
    assert (n, e, u, host) == ("FTPPR", "00000", "-", "127.0.0.1")


def test_acl_refuses_put(portcullis, ftpd):
    srv = start(portcullis, "deny * * * * FTP_PUT\nallow *\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd)
    with pytest.raises(ftplib.error_perm) as ei:
        c.storbinary("STOR no.bin", io.BytesIO(b"data"))
    assert str(ei.value).startswith("550")
    assert not (ftpd.root / "no.bin").exists()
    # the session goes on
    assert fetch(c, "small.txt") == b"hello ftp\n"
    c.quit()
    (n, e, u, *_), = recs(srv, "|STOR no.bin")
    assert (n, e, u) == ("FTPPR", "00001", "-")


def test_acl_refuses_list_and_get_by_op(portcullis, ftpd):
    srv = start(portcullis, "deny * * * * FTP_LIST,FTP_GET\nallow *\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd)
    with pytest.raises(ftplib.error_perm):
        c.nlst()
    with pytest.raises(ftplib.error_perm):
        fetch(c, "small.txt")
    c.storbinary("STOR ok.bin", io.BytesIO(b"fine"))
    assert (ftpd.root / "ok.bin").read_bytes() == b"fine"
    c.quit()
    recs(srv, "|00001|-|", count=2)


def test_3proxy_ftp_data_rule_lets_transfers_through(portcullis, ftpd):
    """3proxy checks FTP_DATA on the data connection: its configs allow
    `CONNECT,FTP_DATA`; a transfer is FTP_DATA here too (as well as
    FTP_GET, FTP_PUT or FTP_LIST), so that config works unchanged."""
    srv = start(portcullis, "allow * * * * CONNECT,FTP_DATA\ndeny *\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd)
    assert fetch(c, "big.bin") == BIG
    assert "small.txt" in c.nlst()
    c.storbinary("STOR data.bin", io.BytesIO(b"via FTP_DATA"))
    assert (ftpd.root / "data.bin").read_bytes() == b"via FTP_DATA"
    c.quit()
    (n, e, *_), = recs(srv, "|RETR big.bin")
    assert (n, e) == ("FTPPR", "00000")
    # and a deny of FTP_DATA refuses every transfer, the login goes on
    srv = start(portcullis, "deny * * * * FTP_DATA\nallow *\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd)
    with pytest.raises(ftplib.error_perm):
        fetch(c, "small.txt")
    with pytest.raises(ftplib.error_perm):
        c.storbinary("STOR no.bin", io.BytesIO(b"x"))
    c.quit()
    assert not (ftpd.root / "no.bin").exists()
    recs(srv, "|00001|-|", count=2)


def test_proxy_credentials_in_the_login(portcullis, ftpd):
    """3proxy's proxyuser:proxypass:name@server form: auth strong checks
    the proxy user, %U logs it (the FTP name is only the server's)."""
    srv = start(portcullis, "auth strong\nusers pu:CL:ppw\nallow pu\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    c = login(srv, ftpd, user="pu:ppw:alice")
    assert fetch(c, "small.txt") == (ftpd.root / "small.txt").read_bytes()
    c.quit()
    (n, e, u, *_), = recs(srv, "|RETR small.txt")
    assert (n, e, u) == ("FTPPR", "00000", "pu")
    with pytest.raises(ftplib.error_perm):
        login(srv, ftpd, user="pu:wrong:alice")
    with pytest.raises(ftplib.error_perm):
        login(srv, ftpd)            # no proxy user at all
    recs(srv, "FTPPR|00006|pu|")    # wrong proxy password
    recs(srv, "FTPPR|00004|-|")     # strong auth without a user


def test_wrong_password_passes_server_reply(portcullis, ftpd):
    srv = start(portcullis, "allow *\nftppr -i127.0.0.1 -p{0}\n")
    with pytest.raises(ftplib.error_perm) as ei:
        login(srv, ftpd, pw="wrong")
    assert str(ei.value).startswith("530")
    (n, e, u, *_), = recs(srv, f"|alice@127.0.0.1:{ftpd.port}")
    assert (n, e, u) == ("FTPPR", "00813", "-")


def test_acl_denies_server(portcullis, ftpd):
    srv = start(portcullis, f"deny * * 127.0.0.1 {ftpd.port}\nallow *\n"
                "ftppr -i127.0.0.1 -p{0}\n")
    with pytest.raises(ftplib.error_perm) as ei:
        login(srv, ftpd)
    assert str(ei.value).startswith("530")
    (n, e, *_), = recs(srv, f"|alice@127.0.0.1:{ftpd.port}")
    assert (n, e) == ("FTPPR", "00001")


# ---- FTP over HTTP (the proxy service) ---------------------------------------

def curl(port, url, *extra):
    """(status, body) of curl -x http://127.0.0.1:port URL."""
    p = subprocess.run(["curl", "-s", "-S", "-x", f"http://127.0.0.1:{port}",
                        "-o", "-", "-w", "\n%{http_code}", "--max-time", "20",
                        *extra, url], capture_output=True, timeout=30)
    body, _, code = p.stdout.rpartition(b"\n")
    return int(code or 0), body


def test_http_ftp_file(portcullis, ftpd):
    srv = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    code, body = curl(srv.ports_[0],
                      f"ftp://alice:pw@127.0.0.1:{ftpd.port}/big.bin")
    assert code == 200 and body == BIG
    (n, e, u, i, _, host, t), = recs(srv, "big.bin")
    assert (n, e, host) == ("PROXY", "00000", "127.0.0.1")
    # the password is not in the log
    assert t == f"GET ftp://alice@127.0.0.1:{ftpd.port}/big.bin HTTP/1.1"
    assert int(i) >= len(BIG)


def test_http_ftp_content_length_and_subdir(portcullis, ftpd):
    srv = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    p = subprocess.run(["curl", "-s", "-i", "-x",
                        f"http://127.0.0.1:{srv.ports_[0]}",
                        f"ftp://alice:pw@127.0.0.1:{ftpd.port}/sub/inner.txt"],
                       capture_output=True, timeout=30)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    assert b"Content-Length: 6" in head and body == b"inner\n"


def test_http_ftp_directory_listing(portcullis, ftpd):
    srv = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    for path in ("/", "/sub/", "/sub"):
        code, body = curl(srv.ports_[0],
                          f"ftp://alice:pw@127.0.0.1:{ftpd.port}{path}")
        assert code == 200, path
        assert body.startswith(b"<html>")
        if path == "/":
            assert b'<a href="small.txt">small.txt</a>' in body
            assert b'<a href="sub/">sub/</a>' in body
        else:
            assert b'<a href="inner.txt">inner.txt</a>' in body


def test_http_ftp_anonymous(portcullis, ftpd):
    srv = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    code, body = curl(srv.ports_[0],
                      f"ftp://127.0.0.1:{ftpd.port}/small.txt")
    assert (code, body) == (200, b"hello ftp\n")


def test_http_ftp_errors(portcullis, ftpd):
    srv = start(portcullis, "allow *\nproxy -i127.0.0.1 -p{0}\n")
    code, _ = curl(srv.ports_[0],
                   f"ftp://alice:pw@127.0.0.1:{ftpd.port}/missing.bin")
    assert code == 404
    code, _ = curl(srv.ports_[0],
                   f"ftp://alice:bad@127.0.0.1:{ftpd.port}/small.txt")
    assert code == 401
    (_, e, *_), = recs(srv, "|GET ftp://alice@127.0.0.1:%d/missing" %
                       ftpd.port)
    assert e == "00780"
    (_, e, *_), = recs(srv, "|GET ftp://alice@127.0.0.1:%d/small" %
                       ftpd.port)
    assert e == "00700"


def test_http_ftp_acl_is_ftp_get(portcullis, ftpd):
    """ftp:// URLs are authorised as FTP_GET, not HTTP_GET."""
    srv = start(portcullis, "allow * * * * FTP_GET\ndeny *\n"
                "proxy -i127.0.0.1 -p{0}\n"
                "flush\nallow * * * * HTTP_GET\ndeny *\n"
                "proxy -i127.0.0.1 -p{1}\n", nports=2)
    code, body = curl(srv.ports_[0],
                      f"ftp://alice:pw@127.0.0.1:{ftpd.port}/small.txt")
    assert (code, body) == (200, b"hello ftp\n")
    code, _ = curl(srv.ports_[1],
                   f"ftp://alice:pw@127.0.0.1:{ftpd.port}/small.txt")
    assert code == 403


# ---- local redirection from socks ------------------------------------------

def socks_ftp(port, target_port, user=None, pw=None):
    """An ftplib client whose control connection is a SOCKS5 CONNECT to
    127.0.0.1:target_port through the proxy; data connections are direct
    (to the proxy's data port, or from it in active mode)."""
    s = socks.socksocket()
    s.set_proxy(socks.SOCKS5, "127.0.0.1", port, username=user,
                password=pw)
    s.settimeout(10)
    s.connect(("127.0.0.1", target_port))
    c = ftplib.FTP()
    c.sock, c.af, c.host, c.port = s, s.family, "127.0.0.1", target_port
    c.timeout = 10
    c.file = s.makefile("r", encoding=c.encoding)
    c.welcome = c.getresp()
    return c


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_socks_local_redirection(portcullis, ftpd, passive):
    srv = start(portcullis,
                "allow * * * * CONNECT\nparent 1000 ftp 0.0.0.0 0\n"
                "allow * * * * FTP_GET,FTP_LIST,CONNECT\ndeny *\n"
                "socks -i127.0.0.1 -p{0}\n")
    c = socks_ftp(srv.ports_[0], ftpd.port)
    assert c.welcome == "220 Ready"
    c.set_pasv(passive)
    c.login("alice", "pw")
    assert fetch(c, "big.bin") == BIG
    assert "small.txt" in c.nlst()
    # FTP_PUT is not allowed on the second walk
    with pytest.raises(ftplib.error_perm):
        c.storbinary("STOR x.bin", io.BytesIO(b"x"))
    c.quit()
    (n, e, u, i, *_), = recs(srv, "|RETR big.bin")
    assert (n, e, u) == ("SOCK5", "00000", "-") and int(i) >= len(BIG)
    (n, e, *_), = recs(srv, "|STOR x.bin")
    assert (n, e) == ("SOCK5", "00001")
    (n, e, u, *_), = recs(srv, f"|alice@127.0.0.1:{ftpd.port}")
    assert (n, e, u) == ("SOCK5", "00000", "-")


def test_parent_ftp_only_local(tmp_path):
    for cfg, ok in (("parent 1000 ftp 127.0.0.1 21", False),
                    ("parent 1000 ftp 0.0.0.0 0", True)):
        path = tmp_path / "t.cfg"
        path.write_text(f"allow *\n{cfg}\nsocks -p1080\nftppr\n")
        p = subprocess.run([BIN, "-t", str(path)], capture_output=True,
                           text=True, timeout=10, env=clean_env())
        assert (p.returncode == 0) == ok, p.stderr
        if not ok:
            assert "ftp is only a local redirection" in p.stderr
