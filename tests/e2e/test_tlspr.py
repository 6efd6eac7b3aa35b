"""The SNI gateway `tlspr` (3proxy 0.9+, tlspr.8): the ClientHello's server
name is the destination (port -P), checked by the ACL, and the TLS session
is relayed untouched; %T is "VERSION NAME ALPN".

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_tlspr.py -k curl

Origins: `openssl s_server` with a self-signed certificate the test makes.
Names resolve through nsrecord only.
"""
import os
import socket
import subprocess
import time

import pytest

from pc_server import cfg_head, free_port, records, wait_for

NAMES = "nscache 65536\nnsrecord good.test 127.0.0.1\n" \
        "nsrecord bad.test 127.0.0.1\n"


@pytest.fixture
def tls_origin(tmp_path):
    """openssl s_server -www on a free loopback port, stopped by PID."""
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "1", "-subj", "/CN=good.test"],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    p = subprocess.Popen(["openssl", "s_server", "-accept",
                          f"127.0.0.1:{port}", "-cert", str(crt), "-key",
                          str(key), "-www", "-quiet"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False
    assert wait_for(up, 10.0)
    p.port = port
    yield p
    p.kill()
    p.wait(10)


def start(portcullis, dport, acl="allow * * good.test\ndeny *\n", opts=""):
    port = free_port()
    srv = portcullis(cfg_head(extra=NAMES) + "auth iponly\n" + acl +
                     f"tlspr -i127.0.0.1 -p{port} -P{dport} {opts}\n",
                     ports=[port])
    srv.port = port
    return srv


def curl(port, name):
    return subprocess.run(
        ["curl", "-sk", "--max-time", "15", "-o", "/dev/null", "-w",
         "%{http_code}", "--connect-to", f"{name}:443:127.0.0.1:{port}",
         f"https://{name}/"], capture_output=True, text=True, timeout=30)


def test_curl_allowed_name_handshake_completes(portcullis, tls_origin):
    srv = start(portcullis, tls_origin.port)
    p = curl(srv.port, "good.test")
    assert p.stdout == "200", p.stderr
    r = records(srv, "good.test")[0]
    assert r["err"] == "00000"
    assert r["text"].startswith("TLSv1.") and " good.test " in r["text"]
    assert int(r["in"]) > 500 and int(r["out"]) > 200


def test_s_client_servername(portcullis, tls_origin):
    srv = start(portcullis, tls_origin.port)
    p = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{srv.port}", "-servername", "good.test",
                        "-alpn", "h2", "-ign_eof"],
                       input=b"GET / HTTP/1.0\r\n\r\n",
                       capture_output=True, timeout=30)
    assert b"CN = good.test" in p.stdout or b"CN=good.test" in p.stdout
    assert b"HTTP/1.0 200" in p.stdout
    assert records(srv, "good.test h2")[0]["err"] == "00000"


def test_denied_name_refused_and_logged(portcullis, tls_origin):
    srv = start(portcullis, tls_origin.port)
    p = curl(srv.port, "bad.test")
    assert p.stdout == "000"
    r = records(srv, "bad.test")[0]
    assert r["err"] != "00000" and int(r["err"]) < 10   # ACL: 1 or 3
    assert int(r["in"]) == 0


def test_no_sni_refused(portcullis, tls_origin):
    srv = start(portcullis, tls_origin.port)
    subprocess.run(["openssl", "s_client", "-connect",
                    f"127.0.0.1:{srv.port}", "-noservername"],
                   input=b"", capture_output=True, timeout=30)
    assert records(srv, " - ")[0]["err"] == "00307"


def hello_bytes(name):
    """A real ClientHello for name, taken from Python's ssl on a socketpair."""
    import ssl
    a, b = socket.socketpair()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    o = ctx.wrap_socket(a, server_hostname=name, do_handshake_on_connect=False)
    o.setblocking(False)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    b.settimeout(5)
    data = b.recv(65536)
    o.close()
    b.close()
    return data


def test_fragmented_hello_segments_and_records(portcullis, tls_origin):
    """The hello one byte per segment, and re-cut into 7-byte records: the
    name is read either way and the origin receives it (it answers with
    its ServerHello, so the bytes arrived as sent)."""
    srv = start(portcullis, tls_origin.port)
    h = hello_bytes("good.test")
    body = h[5:]
    recut = b"".join(h[:3] + len(body[i:i + 7]).to_bytes(2, "big") +
                     body[i:i + 7] for i in range(0, len(body), 7))
    for data in (h, recut):
        s = socket.create_connection(("127.0.0.1", srv.port), 5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            s.send(data[i:i + 1])
            if i % 50 == 0:
                time.sleep(0.001)
        s.settimeout(10)
        got = s.recv(5)
        s.close()
        assert got[:1] in (b"\x16", b"\x15"), got   # handshake or alert
    assert len(records(srv, "good.test", count=2)) == 2


@pytest.mark.parametrize("data,code", [
    (b"GET / HTTP/1.1\r\nHost: good.test\r\n\r\n", "00301"),
    (b"\x16\x03\x01\x00\x00", "00302"),
    (b"\x16\x03\x01\x00\x04\x02\x00\x00\x00", "00303"),
    (b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x03", "00305"),
])
def test_garbage_logged(portcullis, tls_origin, data, code):
    srv = start(portcullis, tls_origin.port)
    s = socket.create_connection(("127.0.0.1", srv.port), 5)
    s.sendall(data)
    s.settimeout(10)
    assert s.recv(100) == b""
    s.close()

    def hit():
        return any(f" {code} " in ln for ln in srv.log_lines())
    assert wait_for(hit, 10.0), srv.log_lines()


def test_config_options(portcullis, tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("tlspr -c3\n")
    p = subprocess.run([os.environ["PORTCULLIS_BIN"], "-t", str(bad)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "-c3" in p.stderr
    ok = tmp_path / "ok.cfg"
    ok.write_text("tlspr -c -P8443\ntlspr -c0 -p1444\n")
    p = subprocess.run([os.environ["PORTCULLIS_BIN"], "-t", str(ok)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr


def test_socks_parent_tls_redirection(portcullis, tls_origin):
    """`parent 1000 tls 0.0.0.0 0` (3proxy's local redirection to the
    tlspr code): a SOCKS client's tunnel is read as TLS, its server name
    is the destination on the SOCKS request's port and is checked by the
    ACL's second walk; the record keeps the SOCKS name."""
    port = free_port()
    srv = portcullis(cfg_head(extra=NAMES, logformat="G%N|%E|%n|%T") +
                     "auth iponly\nallow * * * * CONNECT\n"
                     "parent 1000 tls 0.0.0.0 0\n"
                     "allow * * good.test\ndeny *\n"
                     f"socks -i127.0.0.1 -p{port}\n", ports=[port])

    def get(name, sni):
        return subprocess.run(
            ["curl", "-sk", "--max-time", "15", "-o", "/dev/null", "-w",
             "%{http_code}", "--socks5-hostname", f"127.0.0.1:{port}",
             "--connect-to", f"{sni}:{tls_origin.port}:{name}:"
             f"{tls_origin.port}", f"https://{sni}:{tls_origin.port}/"],
            capture_output=True, text=True, timeout=30)
    p = get("good.test", "good.test")
    assert p.stdout == "200", p.stderr
    rec = srv.wait_log(lambda ln: "good.test" in ln and "|TLSv1" in ln, 1,
                       5.0)[0].split("|")
    assert rec[:3] == ["SOCK5", "00000", "good.test"], rec
    # the SOCKS target is allowed; the hello's name decides
    p = get("good.test", "bad.test")
    assert p.stdout == "000"
    rec = srv.wait_log(lambda ln: "bad.test" in ln and "|TLSv1" in ln, 1,
                       5.0)[0].split("|")
    assert rec[0] == "SOCK5" and rec[1] in ("00001", "00003"), rec


def test_parent_tls_is_only_local(tmp_path):
    from pc_server import BIN
    f = tmp_path / "c.cfg"
    f.write_text("allow *\nparent 1000 tls 10.0.0.1 443\nsocks\n")
    p = subprocess.run([BIN, "-t", str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 1 and "tls is only a local" in p.stderr, p
