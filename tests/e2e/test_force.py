"""`force` / `noforce` (3proxy's; force is the default): after a reload the
tunnels of a `force` service are checked again against the new users and
ACL, and those now refused are closed and logged with their code (5 a
removed user, 1 a deny rule ...); `noforce` keeps them.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_force.py -k noforce

Clients: SOCKS5 tunnels (raw, with RFC 1929 credentials) and curl through
the HTTP proxy's CONNECT, to the TCP echo server of conftest.
"""
import time

from clients import socks5_open
from pc_server import cfg_head, free_port, wait_for

LOGF = "G%N|%E|%U|%n|%T"


def cfg(port, users, acl, force=""):
    return (cfg_head(logformat=LOGF) + "auth strong\n" +
            f"users {users}\n" + acl + force +
            f"socks -i127.0.0.1 -p{port}\n")


def tunnel(port, echo, user):
    s, code = socks5_open(port, "127.0.0.1", echo.port, user, "pw")
    assert code == 0, code
    assert roundtrip(s)
    return s


def roundtrip(s, data=b"still here"):
    try:
        s.settimeout(5)
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(len(data) - len(got))
            if not b:
                return False
            got += b
        return got == data
    except OSError:
        return False


def closed(s, timeout=15.0):
    """True when the proxy ends the tunnel within timeout."""
    s.settimeout(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if s.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def reload_to(srv, text, port, user):
    """Reload and wait until the new generation serves: a new tunnel
    as user works (the old workers are told to drain then)."""
    srv.write_config(text)
    srv.reload()
    assert wait_for(lambda: new_generation(srv), 15.0)


def new_generation(srv):
    return len(srv.wait_log(lambda ln: "Accepting connections" in ln,
                            2, 0.2)) >= 2


def test_removed_user_tunnel_closed_other_kept(portcullis, echo):
    port = free_port()
    srv = portcullis(cfg(port, "alice:CL:pw bob:CL:pw", "allow alice,bob\n"),
                     ports=[port])
    a = tunnel(port, echo, "alice")
    b = tunnel(port, echo, "bob")
    reload_to(srv, cfg(port, "alice:CL:pw", "allow alice,bob\n"), port,
              "alice")
    assert closed(b), "bob's tunnel outlived his removal"
    assert srv.wait_log(lambda ln: ln.startswith("SOCK5|00005|bob|"), 1,
                        5.0)
    assert roundtrip(a), "alice's tunnel was cut"
    # and a new tunnel of bob's is refused
    s, code = socks5_open(port, "127.0.0.1", echo.port, "bob", "pw")
    assert code != 0
    s.close()
    a.close()
    b.close()


def test_acl_change_closes_what_it_now_denies(portcullis, echo):
    port = free_port()
    srv = portcullis(cfg(port, "alice:CL:pw", "allow alice\n"), ports=[port])
    a = tunnel(port, echo, "alice")
    reload_to(srv, cfg(port, "alice:CL:pw",
                       f"deny * * * {echo.port}\nallow alice\n"),
              port, "alice")
    assert closed(a), "a tunnel the new ACL denies stayed open"
    assert srv.wait_log(lambda ln: ln.startswith("SOCK5|00001|alice|"), 1,
                        5.0)
    a.close()


def test_changed_password_closes(portcullis, echo):
    port = free_port()
    srv = portcullis(cfg(port, "alice:CL:pw", "allow alice\n"), ports=[port])
    a = tunnel(port, echo, "alice")
    reload_to(srv, cfg(port, "alice:CL:new", "allow alice\n"), port, "alice")
    assert closed(a)
    assert srv.wait_log(lambda ln: ln.startswith("SOCK5|00006|alice|"), 1,
                        5.0)
    a.close()


def test_noforce_keeps_them(portcullis, echo):
    port = free_port()
    srv = portcullis(cfg(port, "alice:CL:pw bob:CL:pw", "allow alice,bob\n",
                         "noforce\n"), ports=[port])
    b = tunnel(port, echo, "bob")
    reload_to(srv, cfg(port, "alice:CL:pw", "allow alice\n", "noforce\n"),
              port, "alice")
    # the old worker has been told to drain (the new one serves); bob's
    # tunnel is not checked again and goes on
    time.sleep(2.0)
    assert not closed(b, 1.0)
    assert roundtrip(b)
    b.close()
    assert srv.wait_log(lambda ln: ln.startswith("SOCK5|00000|bob|"), 1,
                        5.0)


def test_unchanged_config_keeps_everything(portcullis, echo):
    port = free_port()
    text = cfg(port, "alice:CL:pw", "allow alice\n")
    srv = portcullis(text, ports=[port])
    a = tunnel(port, echo, "alice")
    reload_to(srv, text, port, "alice")
    time.sleep(2.0)
    assert not closed(a, 1.0)
    assert roundtrip(a)
    a.close()
