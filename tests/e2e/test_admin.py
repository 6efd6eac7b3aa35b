"""The admin service: web pages with curl against the admin port.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_admin.py -k reload

Spec: issue 4 item 7; 3proxy-language.md 1.1 (`admin`, port 80, pages /C
/R /S /F) and 2.4 (operation ADMIN).  Our HTML pages: / index, /W
connection counts per service and worker, /C traffic counters, /E the
running configuration with passwords masked, /R reload (GET or POST).
Every page passes the service's auth chain and its ACL with operation
ADMIN; credentials come in "Authorization: Basic" (401 + WWW-Authenticate
when missing or wrong, and, as 3proxy, when the ACL refuses).  3proxy's
own shapes (/S XML, /SX, /F the file, /CD /CS, -s, %T) are in
test_admin_3proxy.py.
"""
import html
import re
import socket
import subprocess
import time

from clients import connect, curl
from pc_server import BIN, cfg_head, free_port, parse_default, \
    port_listening, wait_for


def page(port, path, *extra):
    return curl([*extra, f"http://127.0.0.1:{port}{path}"])


def start(portcullis, body, *extra_ports):
    ap = free_port()
    cfg = cfg_head() + body.replace("ADMINPORT", str(ap))
    srv = portcullis(cfg, ports=[ap, *extra_ports])
    srv.ap = ap
    return srv


def proxy_cfg(pp):
    return f"proxy -i127.0.0.1 -p{pp}\n"


def test_index_and_pages(portcullis):
    srv = start(portcullis, "admin -i127.0.0.1 -pADMINPORT\n")
    r = page(srv.ap, "/")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/html")
    for link in (b'href="/S"', b'href="/C"', b'href="/F"', b'action="/R"'):
        assert link in r.body
    assert b"<script" not in r.body.lower()
    assert page(srv.ap, "/nothing").status == 404
    assert page(srv.ap, "/C").status == 200
    # HEAD: the head alone
    r = page(srv.ap, "/", "-I")
    assert r.status == 200 and b"<html" not in r.body, r
    assert page(srv.ap, "/", "-X", "DELETE").status == 405
    # %T is the path without its '/', as 3proxy logs it
    recs = [parse_default(ln) for ln in srv.wait_log(
        lambda ln: (parse_default(ln) or {}).get("text") == "C")]
    assert recs[0]["port"] == str(srv.ap) and recs[0]["err"] == "00000"


def test_config_masks_secrets(portcullis):
    pp = free_port()
    srv = start(portcullis,
                "users alice:CL:secretpw "
                "carol:NT:B7E0AEC2D3F6D8C31F4E3B4A5C6D7E8F\n"
                "allow * * * * *\n"
                "parent 1000 http 127.0.0.1 3999 puser parentpw\n"
                + proxy_cfg(pp) +
                "flush\nadmin -i127.0.0.1 -pADMINPORT\n", pp)
    r = page(srv.ap, "/E")
    assert r.status == 200, r
    m = re.search(r"<pre>\n(.*)</pre>", r.body.decode(), re.S)
    assert m, r
    text = html.unescape(m.group(1))
    assert f"proxy -p{pp} -i127.0.0.1" in text
    assert f"admin -p{srv.ap} -i127.0.0.1" in text
    # masks that parse and match no password (portcullis.8, -t -v)
    assert 'users "alice:CR:$6$maskedCL$"' in text
    assert 'users "carol:CR:$6$maskedNT$"' in text
    assert "parent 1000 http 127.0.0.1 3999 puser *****" in text
    for secret in ("secretpw", "parentpw", "B7E0AEC2", "b7e0aec2"):
        assert secret not in text
    # the page is a configuration: -t reads it back
    p = srv.dir / "rendered.cfg"
    p.write_text(text)
    t = subprocess.run([BIN, "-t", str(p)],
                       capture_output=True, text=True, timeout=30)
    assert t.returncode == 0, t.stderr


def served(port, host_port):
    """(active, accepted) of the service row listening on host_port."""
    r = page(port, "/W")
    assert r.status == 200, r
    m = re.search(r"<th>\d+ \w+ " + re.escape(host_port) +
                  r'</th>.*?class="active">(\d+)</th>'
                  r'<th class="accepted">(\d+)</th>', r.body.decode())
    assert m, r.body
    return int(m.group(1)), int(m.group(2))


def test_connection_counts_change(portcullis, origin):
    pp = free_port()
    srv = start(portcullis, proxy_cfg(pp) +
                "admin -i127.0.0.1 -pADMINPORT\n", pp)
    assert served(srv.ap, f"127.0.0.1:{pp}") == (0, 0)
    for _ in range(3):
        r = curl(["-x", f"http://127.0.0.1:{pp}", origin.url("/hello")])
        assert r.status == 200, r
    # the figures are the workers' 1 Hz heartbeats
    assert wait_for(lambda: served(srv.ap, f"127.0.0.1:{pp}")[1] == 3, 5)
    # a connection held open is active
    s = connect(pp)
    assert wait_for(lambda: served(srv.ap, f"127.0.0.1:{pp}")[0] == 1, 5)
    s.close()
    assert wait_for(lambda: served(srv.ap, f"127.0.0.1:{pp}")[0] == 0, 5)


def test_counters_show_bytes(portcullis, origin):
    pp = free_port()
    srv = start(portcullis, "counter {dir}/ct.bin\n"
                "countin 7/webtraffic D 100 *\n" + proxy_cfg(pp) +
                "admin -i127.0.0.1 -pADMINPORT\n", pp)

    def bytes_of():
        r = page(srv.ap, "/C")
        assert r.status == 200, r
        m = re.search(r"<td>7</td><td>webtraffic</td><td>countin</td>"
                      r'<td>day</td><td class="bytes">(\d+)</td>'
                      r"<td>104857600</td>", r.body.decode())
        assert m, r.body
        return int(m.group(1))
    assert bytes_of() == 0
    r = curl(["-x", f"http://127.0.0.1:{pp}", origin.url("/big/50000")])
    assert r.status == 200 and len(r.body) == 50000, r
    assert bytes_of() >= 50000


def test_reload_takes_effect(portcullis):
    pp = free_port()
    body = "admin -i127.0.0.1 -pADMINPORT\n"
    srv = start(portcullis, body)
    assert not port_listening(pp)
    srv.write_config(cfg_head() + body.replace("ADMINPORT", str(srv.ap)) +
                     proxy_cfg(pp))
    r = page(srv.ap, "/R", "-X", "POST", "-d", "")
    assert r.status == 200, r
    assert b"Reload requested" in r.body
    assert wait_for(lambda: port_listening(pp), 10)
    assert "reload asked through the admin service" in srv.stderr()
    # GET works too, as in 3proxy; the new admin worker answers
    r = wait_for(lambda: page(srv.ap, "/R").status == 200, 10)
    assert r


def test_auth_and_acl(portcullis):
    srv = start(portcullis, "users alice:CL:apw bob:CL:bpw\nauth strong\n"
                "allow alice * * * ADMIN\ndeny *\n"
                "admin -i127.0.0.1 -pADMINPORT\n")
    r = page(srv.ap, "/")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate").startswith("Basic realm=")
    assert page(srv.ap, "/F", "-u", "alice:apw").status == 200
    assert page(srv.ap, "/", "-u", "alice:wrong").status == 401
    # an explicit deny is 401 too, as 3proxy answers it
    r = page(srv.ap, "/", "-u", "bob:bpw")
    assert r.status == 401 and r.header("WWW-Authenticate"), r
    # Proxy-Authorization is not a web server's login
    assert page(srv.ap, "/", "-H",
                "Proxy-Authorization: Basic YWxpY2U6YXB3").status == 401
    # a refused request reloads nothing
    assert page(srv.ap, "/R", "-u", "bob:bpw").status == 401
    assert "reload asked" not in srv.stderr()
    recs = srv.wait_log(lambda ln: " bob " in ln and ln.endswith(" 0 "),
                        count=1)
    assert any(parse_default(x)["user"] == "bob" and
               parse_default(x)["err"] == "00001" for x in recs), recs


def test_acl_operation_admin_only(portcullis):
    """A rule for other operations does not open the admin pages."""
    srv = start(portcullis, "allow * * * * HTTP\ndeny *\n"
                "admin -i127.0.0.1 -pADMINPORT\n")
    assert page(srv.ap, "/").status == 401


def test_garbage_does_not_kill_the_worker(portcullis):
    srv = start(portcullis, "admin -i127.0.0.1 -pADMINPORT\n")
    pids = srv.worker_pids()
    for junk in (b"\x00\x01\x02garbage\r\n\r\n", b"GET\r\n\r\n",
                 b"GET / HTTP/9.9\r\n\r\n", b"GET /" + b"A" * 9000 + b"\r\n",
                 b"POST /R HTTP/1.1\r\nHost: x\r\nContent-Length: 999999"
                 b"\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                 b"\r\n\r\n",
                 b"GET / HTTP/1.1\r\nAuthorization: Basic !!!\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                 + b"QUFB" * 500 + b"\r\n\r\n"):
        s = connect(srv.ap)
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            data = s.recv(4096)
        except OSError:
            data = b""
        s.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 "), data
    # half a request, then the client goes away
    s = connect(srv.ap)
    s.sendall(b"GET / HT")
    s.close()
    time.sleep(0.3)
    assert srv.worker_pids() == pids
    assert page(srv.ap, "/").status == 200
    assert "killed" not in srv.stderr()
