"""Auth types and `authcache`: useronly (HTTP, SOCKS5, SOCKS4), cache +
strong with every authcache mode (ip, user, ip,user, user,password,
ip,user,limit), expiry, reload that removes a user (also on a kept-alive
connection), system authentication (`users name`, root only), nbname
against an NBSTAT responder on 127.0.0.3:137 (root only), and different
auth per service.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_auth.py -k authcache

Spec: issue 3 items 1-3; 3proxy-language.md 2.3 (codes), 2.5 (auth types,
authcache flags), 2.6 (users), section 6 decisions 1 (nbname) and 11
(system authentication); 3proxy-behaviour.md: HTTP 1 -> 403, 2-9 -> 407
with Proxy-Authenticate, 10 -> 503; SOCKS5 reply 2 for codes <= 10, SOCKS4
91; the RFC 1929 sub-negotiation answers success and refusals come at the
request.
"""
import os
import pwd
import random
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from clients import (Reader, basic, connect, curl, echo_roundtrip,
                     read_response, socks4_open, socks5_open)
from pc_server import (BIN, IS_ROOT, cfg_head, clean_env, free_port,
                       parse_default, records, wait_for)


# ---- helpers ---------------------------------------------------------------

def run(portcullis, body, nports=1):
    """Start portcullis on cfg_head() + body, where {0}, {1}... are free
    ports (literal braces of the body must be doubled)."""
    ps = [free_port() for _ in range(nports)]
    srv = portcullis(cfg_head() + body.format(*ps), ports=ps)
    srv.ports_ = ps
    return srv


_seq = [0]


def tag(name):
    _seq[0] += 1
    return f"{name}-{os.getpid()}-{_seq[0]}"


def get(port, origin, name, user=None, iface=None, timeout=10):
    """GET /echo/<unique tag> through the HTTP proxy; returns (CurlResult,
    tag) so the log record can be found by the tag."""
    t = tag(name)
    args = ["-x", f"http://127.0.0.1:{port}"]
    if user is not None:
        args += ["--proxy-user", user]
    if iface:
        args += ["--interface", iface]
    return curl(args + [origin.url(f"/echo/{t}")], timeout=timeout), t


def rec(srv, needle):
    """The one log record whose %T contains needle (fails if none)."""
    rs = records(srv, needle)
    assert rs, f"no log record with {needle!r}:\n" + \
        "\n".join(srv.log_lines())
    return rs[0]


def client_records(srv, n, timeout=5.0):
    """Records of client connections (not the services' own "Accepting
    connections" lines, whose %C:%c is the listening address, as 3proxy
    writes it), once at least n exist or at timeout."""
    def got():
        rs = [r for r in map(parse_default, srv.log_lines())
              if r and r["cip"] != "0.0.0.0" and
              not r["text"].startswith("Accepting connections")]
        return rs if len(rs) >= n else None
    return wait_for(got, timeout) or got() or []


def challenge(r):
    pa = r.header("Proxy-Authenticate") or ""
    return pa.lower().startswith("basic")


USERS = "users alice:CL:a bob:CL:b\n"


# ---- config check ------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "auth useronly",
    "auth nbname",
    "auth cache strong",
    "auth iponly cache strong",
    "authcache ip 60\nauth cache strong",
    "authcache user,pass 60\nauth cache strong",
    "authcache user,password 60\nauth cache strong",
    "authcache ip,user,limit 60\nauth cache strong",
    "authcache user\nauth cache strong",
])
def test_check_accepts(tmp_path, line):
    p = tmp_path / "t.cfg"
    p.write_text(f"log\n{line}\n{USERS}allow *\nproxy -p{free_port()}\n")
    r = subprocess.run([BIN, "-t", str(p)], capture_output=True, text=True,
                       timeout=10, env=clean_env())
    assert r.returncode == 0, (line, r.returncode, r.stderr)


# ---- useronly ------------------------------------------------------------------

def test_useronly_http(portcullis, origin):
    """The Basic username is trusted with any password; ACLs see it."""
    srv = run(portcullis, "auth useronly\nallow alice\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, t = get(p, origin, "uo-alice", "alice:anything-at-all")
    assert r.status == 200, r
    x = rec(srv, t)
    assert x["user"] == "alice" and x["err"] == "00000", x
    r, t = get(p, origin, "uo-alice2", "alice:")
    assert r.status == 200, r
    r, t = get(p, origin, "uo-bob", "bob:b")
    assert r.status == 403, r
    x = rec(srv, t)
    assert x["err"] == "00001" and x["user"] == "bob", x
    assert not origin.requests_matching(t)


def test_useronly_http_no_rule_and_no_user(portcullis, origin):
    """No rule matched -> 407 (code 3); no username at all -> 407 (code
    4) with a Basic challenge."""
    srv = run(portcullis, "auth useronly\nallow alice\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, t = get(p, origin, "uo-nomatch", "bob:b")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00003"
    r, t = get(p, origin, "uo-nouser")
    assert r.status == 407, r
    assert challenge(r), r.headers
    assert rec(srv, t)["err"] == "00004"
    r, t = get(p, origin, "uo-ok", "alice:zzz")
    assert r.status == 200, r


def test_useronly_socks5(portcullis, echo):
    srv = run(portcullis, "auth useronly\nallow alice\ndeny *\n"
              "socks -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    s, code = socks5_open(p, "127.0.0.1", echo.port, user="alice",
                          pw="not-her-password")
    try:
        assert code == 0
        assert echo_roundtrip(s, 4096)
    finally:
        s.close()
    s, code = socks5_open(p, "127.0.0.1", echo.port, user="bob", pw="b")
    s.close()
    assert code == 2
    recs = client_records(srv, 2)
    by_user = {r["user"]: r for r in recs}
    assert "alice" in by_user and by_user["alice"]["err"] == "00000", recs
    assert "bob" in by_user and by_user["bob"]["err"] == "00001", recs


def test_useronly_socks4(portcullis, echo):
    """The SOCKS4 user id is the username; an empty one is no user."""
    srv = run(portcullis, "auth useronly\nallow alice\ndeny *\n"
              "socks -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    s, code = socks4_open(p, "127.0.0.1", echo.port, userid=b"alice")
    try:
        assert code == 90
        assert echo_roundtrip(s, 4096)
    finally:
        s.close()
    s, code = socks4_open(p, "127.0.0.1", echo.port, userid=b"bob")
    s.close()
    assert code == 91
    s, code = socks4_open(p, "127.0.0.1", echo.port, userid=b"")
    s.close()
    assert code == 91
    recs = client_records(srv, 3)
    errs = sorted((r["user"], r["err"]) for r in recs)
    assert ("alice", "00000") in errs, recs
    assert ("bob", "00001") in errs, recs
    assert any(e == "00004" for _, e in errs), recs


def test_auth_per_service(portcullis, origin, echo):
    """`auth` is snapshot state per service line: proxy strong, socks
    useronly, same ACL."""
    srv = run(portcullis, "auth strong\n" + USERS + "allow alice\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n"
              "auth useronly\nsocks -i127.0.0.1 -p{1}\n", nports=2)
    hp, sp = srv.ports_
    r, _ = get(hp, origin, "svc-ok", "alice:a")
    assert r.status == 200, r
    r, t = get(hp, origin, "svc-badpw", "alice:wrong")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00006"
    r, _ = get(hp, origin, "svc-none")
    assert r.status == 407, r
    s, code = socks5_open(sp, "127.0.0.1", echo.port, user="alice",
                          pw="wrong")
    s.close()
    assert code == 0, "useronly service asked for alice's password"
    s, code = socks5_open(sp, "127.0.0.1", echo.port, user="bob", pw="b")
    s.close()
    assert code == 2


# ---- authcache -------------------------------------------------------------

CACHE = "auth cache strong\n" + USERS


def test_authcache_ip(portcullis, origin):
    srv = run(portcullis, CACHE + "authcache ip 60\nallow alice,bob\n"
              "deny *\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, t = get(p, origin, "ip-before")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00004"
    r, t = get(p, origin, "ip-login", "alice:a")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "alice"
    for i in range(3):        # several requests: whichever worker serves
        r, t = get(p, origin, f"ip-cached{i}")
        assert r.status == 200, (i, r)
        x = rec(srv, t)
        assert x["user"] == "alice" and x["err"] == "00000", x


@pytest.mark.parametrize("flags", ["user,password", "user,pass"])
def test_authcache_user_password(portcullis, origin, flags):
    srv = run(portcullis, CACHE + f"authcache {flags} 60\n"
              "allow alice\ndeny *\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, _ = get(p, origin, "up-login", "alice:a")
    assert r.status == 200, r
    r, t = get(p, origin, "up-again", "alice:a")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "alice"
    r, t = get(p, origin, "up-wrong", "alice:wrong")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00006"
    r, t = get(p, origin, "up-nocred")     # no ip in the key
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00004"


def test_authcache_user_only_key(portcullis, origin):
    """`user` alone: the key is the username, so after a login the same
    name with another password is a cache hit (3proxy-language.md 2.5);
    a request without a name is not."""
    srv = run(portcullis, CACHE + "authcache user 60\nallow alice\n"
              "deny *\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, t = get(p, origin, "u-wrong-first", "alice:wrong")
    assert r.status == 407, r           # nothing cached yet
    assert rec(srv, t)["err"] == "00006"
    r, _ = get(p, origin, "u-login", "alice:a")
    assert r.status == 200, r
    r, t = get(p, origin, "u-hit", "alice:wrong")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "alice"
    r, _ = get(p, origin, "u-nocred")
    assert r.status == 407, r


def test_authcache_ip_user(portcullis, origin):
    """`ip,user`: the name must be sent and the address must match."""
    srv = run(portcullis, CACHE + "authcache ip,user 60\nallow alice\n"
              "deny *\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, _ = get(p, origin, "iu-login", "alice:a", iface="127.0.0.1")
    assert r.status == 200, r
    r, t = get(p, origin, "iu-hit", "alice:other", iface="127.0.0.1")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "alice"
    r, t = get(p, origin, "iu-otherip", "alice:other", iface="127.0.0.2")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00006"
    r, _ = get(p, origin, "iu-nocred", iface="127.0.0.1")
    assert r.status == 407, r


def test_authcache_ip_expires(portcullis, origin):
    srv = run(portcullis, CACHE + "authcache ip 2\nallow alice\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, _ = get(p, origin, "exp-login", "alice:a")
    assert r.status == 200, r
    t0 = time.monotonic()
    r, t = get(p, origin, "exp-hit")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "alice"
    last = None
    deadline = t0 + 8
    while time.monotonic() < deadline:
        time.sleep(0.5)
        last, t = get(p, origin, "exp-poll")
        if last.status != 200:
            break
    waited = time.monotonic() - t0
    assert last is not None and last.status == 407, \
        f"cache entry still used {waited:.1f}s after login: {last}"
    assert waited >= 1.0, f"entry gone after {waited:.1f}s, TTL is 2 s"
    assert rec(srv, t)["err"] == "00004"


def test_authcache_limit_binds_user_to_ip(portcullis, origin):
    srv = run(portcullis, CACHE + "authcache ip,user,limit 60\n"
              "allow alice,bob\ndeny *\nproxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, _ = get(p, origin, "lim-login", "bob:b", iface="127.0.0.1")
    assert r.status == 200, r
    r, t = get(p, origin, "lim-other", "bob:b", iface="127.0.0.2")
    assert r.status == 503, r
    x = rec(srv, t)
    assert x["err"] == "00010", x
    assert not origin.requests_matching(t)
    r, _ = get(p, origin, "lim-same", "bob:b", iface="127.0.0.1")
    assert r.status == 200, r
    # the limit binds bob only: alice may use the other address
    r, _ = get(p, origin, "lim-alice", "alice:a", iface="127.0.0.2")
    assert r.status == 200, r


def _ka_get(s, rd, origin, t, user, pw):
    s.sendall(f"GET {origin.url('/echo/' + t)} HTTP/1.1\r\n"
              f"Host: 127.0.0.1:{origin.port}\r\n"
              f"Proxy-Authorization: Basic {basic(user, pw)}\r\n"
              "Proxy-Connection: keep-alive\r\n\r\n".encode())
    return read_response(rd)


def test_reload_removing_user_ends_next_request(portcullis, origin):
    """SIGHUP with alice gone from `users`: her next request is refused
    (407, %E 5), also on a connection kept alive across the reload, and
    the ip cache entry she made is gone."""
    body = ("auth cache strong\nusers {users}\nauthcache ip 60\n"
            "allow alice,bob\ndeny *\nproxy -i127.0.0.1 -p{port}\n")
    port = free_port()
    srv = portcullis(cfg_head() + body.format(
        users="alice:CL:a bob:CL:b", port=port), ports=[port])
    s = connect(port)
    rd = Reader(s)
    try:
        t1 = tag("ka1")
        resp = _ka_get(s, rd, origin, t1, "alice", "a")
        assert resp.status == 200, resp
        r, _ = get(port, origin, "rl-cached")
        assert r.status == 200, r                   # ip entry for alice
        srv.write_config(cfg_head() + body.format(users="bob:CL:b",
                                                  port=port))
        srv.reload()
        gone = wait_for(lambda: get(port, origin, "rl-poll", "alice:a")[0]
                        .status == 407, 10)
        assert gone, "alice still served on new connections after reload"
        # The connection opened before the reload: its next request must
        # not be served as alice.  Either the old worker re-checks it
        # (407, %E 5) or, draining, it closed the idle connection at the
        # reload; both end alice's next request.
        t2 = tag("ka2")
        try:
            resp = _ka_get(s, rd, origin, t2, "alice", "a")
        except (EOFError, ConnectionError) as e:
            resp = e
        if not isinstance(resp, Exception):
            assert resp.status == 407, resp
            assert rec(srv, t2)["err"] == "00005"
        assert not origin.requests_matching(t2), \
            f"alice's request after the reload reached the origin: {resp}"
    finally:
        s.close()
    r, t = get(port, origin, "rl-alice", "alice:a")
    assert r.status == 407, r
    assert rec(srv, t)["err"] == "00005"
    r, t = get(port, origin, "rl-nocred")
    assert r.status == 407, r                       # cache cleared
    r, _ = get(port, origin, "rl-bob", "bob:b")
    assert r.status == 200, r


# ---- system authentication (users NAME, decision 11) -------------------------

@pytest.fixture
def system_user():
    if not IS_ROOT:
        pytest.skip("needs root to create a system user")
    for tool in ("useradd", "chpasswd", "userdel"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    name = None
    for _ in range(20):
        cand = f"pcauthtest{random.randint(1000, 9999)}"
        try:
            pwd.getpwnam(cand)
        except KeyError:
            name = cand
            break
    assert name, "no free pcauthtestNNNN name"
    subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name],
                   check=True, capture_output=True, timeout=20)
    try:
        subprocess.run(["chpasswd"], input=f"{name}:Secr3t!\n".encode(),
                       check=True, capture_output=True, timeout=20)
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=20)


@pytest.mark.root
def test_system_authentication(portcullis, origin, system_user):
    u = system_user
    srv = run(portcullis, f"auth strong\nusers {u}\nallow {u}\ndeny *\n"
              "proxy -i127.0.0.1 -p{0}\n")
    p = srv.ports_[0]
    r, t = get(p, origin, "sys-ok", f"{u}:Secr3t!")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == u
    r, t = get(p, origin, "sys-bad", f"{u}:Secr3t?")
    assert r.status == 407, r
    assert rec(srv, t)["err"] in ("00006", "00007"), rec(srv, t)
    r, _ = get(p, origin, "sys-none")
    assert r.status == 407, r


# ---- nbname (decision 1) -------------------------------------------------------

def nb_decode(enc):
    """RFC 1001 first-level decoding of a 32-byte encoded name."""
    return bytes(((enc[i] - 0x41) << 4) | (enc[i + 1] - 0x41)
                 for i in range(0, 32, 2))


class NbstatResponder:
    """Answers NBSTAT queries on (addr, 137) with a NODE STATUS RESPONSE
    (RFC 1002 4.2.18) listing `names`: (15-char name, suffix, flags)."""

    def __init__(self, addr, names):
        self.names = names
        self.queries = []
        self.stop_ev = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 137))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop_ev.is_set():
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            q = self.parse(data)
            self.queries.append(q)
            if q and q["qtype"] == 0x21:
                try:
                    self.sock.sendto(self.answer(data, q), peer)
                except OSError:
                    pass

    @staticmethod
    def parse(data):
        if len(data) < 12 + 34 + 4:
            return None
        off, labels = 12, []
        for _ in range(64):
            n = data[off]
            off += 1
            if n == 0:
                break
            labels.append(data[off:off + n])
            off += n
        qtype, qclass = struct.unpack(">HH", data[off:off + 4])
        qd = struct.unpack(">H", data[4:6])[0]
        name = nb_decode(labels[0]) if labels and len(labels[0]) == 32 \
            else None
        return {"id": data[:2], "qdcount": qd, "qname_raw": data[12:off],
                "name": name, "qtype": qtype, "qclass": qclass}

    def answer(self, data, q):
        rdata = bytes([len(self.names)])
        for name, suffix, flags in self.names:
            rdata += name.encode().ljust(15, b" ")[:15] + bytes([suffix])
            rdata += struct.pack(">H", flags)
        rdata += bytes(46)
        head = q["id"] + struct.pack(">HHHHH", 0x8400, 0, 1, 0, 0)
        rr = q["qname_raw"] + struct.pack(">HHIH", 0x21, 1, 0, len(rdata))
        return head + rr + rdata

    def close(self):
        self.stop_ev.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def nbstat():
    if not IS_ROOT:
        pytest.skip("needs root to bind UDP port 137")
    made = []

    def start(addr, names):
        try:
            r = NbstatResponder(addr, names)
        except OSError as e:
            pytest.skip(f"cannot bind {addr}:137: {e}")
        made.append(r)
        return r
    yield start
    for r in made:
        r.close()


NB_BODY = "auth nbname\nallow WKS-ALICE\ndeny *\nproxy -i127.0.0.1 -p{0}\n"


@pytest.mark.root
def test_nbname_answer_is_user(portcullis, origin, nbstat):
    resp = nbstat("127.0.0.3", [("WKS-ALICE", 0x00, 0x0400)])
    srv = run(portcullis, NB_BODY)
    r, t = get(srv.ports_[0], origin, "nb-ok", iface="127.0.0.3")
    assert r.status == 200, (r, resp.queries)
    x = rec(srv, t)
    assert x["user"] == "WKS-ALICE" and x["err"] == "00000", x
    qs = [q for q in resp.queries if q]
    assert qs, "no NBSTAT query reached 127.0.0.3:137"
    assert qs[0]["qtype"] == 0x21 and qs[0]["qclass"] == 1, qs[0]
    assert qs[0]["qdcount"] == 1, qs[0]
    assert qs[0]["name"] is not None and qs[0]["name"][:1] == b"*", qs[0]


@pytest.mark.root
def test_nbname_skips_group_names(portcullis, origin, nbstat):
    """The first *unique* workstation name counts: a group name (flag
    0x8000) listed before it is not the user."""
    nbstat("127.0.0.5", [("WORKGROUP", 0x00, 0x8400),
                         ("WKS-ALICE", 0x00, 0x0400)])
    srv = run(portcullis, NB_BODY)
    r, t = get(srv.ports_[0], origin, "nb-grp", iface="127.0.0.5")
    assert r.status == 200, r
    assert rec(srv, t)["user"] == "WKS-ALICE"


@pytest.mark.root
def test_nbname_no_answer_is_no_user(portcullis, origin, nbstat):
    nbstat("127.0.0.3", [("WKS-ALICE", 0x00, 0x0400)])   # not for .4
    srv = run(portcullis, NB_BODY)
    t0 = time.monotonic()
    r, t = get(srv.ports_[0], origin, "nb-none", iface="127.0.0.4",
               timeout=15)
    took = time.monotonic() - t0
    assert r.status == 403, r
    assert took < 6, f"refusal took {took:.1f}s"
    x = rec(srv, t)
    assert x["err"] == "00001" and x["user"] != "WKS-ALICE", x


@pytest.mark.root
def test_nbname_silent_responder_times_out(portcullis, origin):
    """A port-137 socket that never answers (no ICMP shortcut): the
    proxy gives up after its short timeout and treats it as no user."""
    if not IS_ROOT:
        pytest.skip("needs root to bind UDP port 137")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.6", 137))
    except OSError as e:
        sock.close()
        pytest.skip(f"cannot bind 127.0.0.6:137: {e}")
    try:
        srv = run(portcullis, NB_BODY)
        t0 = time.monotonic()
        r, t = get(srv.ports_[0], origin, "nb-silent", iface="127.0.0.6",
                   timeout=15)
        took = time.monotonic() - t0
        assert r.status == 403, r
        assert took < 6, f"refusal took {took:.1f}s"
        assert rec(srv, t)["err"] == "00001"
    finally:
        sock.close()
