"""Connect-back: `-rHOST:PORT` on a service and `tcppm -R[ADDR:]PORT`.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_connback.py

Spec: issue 4 item 8; the HowTo's "How to use connect back" (a proxy
that cannot be reached dials out to a tcppm -R on a reachable host, which
pairs its clients with those connections), run here as two instances.
"""
import time

from clients import curl
from pc_server import cfg_head, free_port, records


def pair(portcullis, inner_extra="", outer_acl="allow * * 127.0.0.1\n"):
    back, front = free_port(), free_port()
    outer = portcullis(cfg_head() + "auth iponly\n" + outer_acl +
                       f"tcppm -R127.0.0.1:{back} {front} 127.0.0.1 3128\n",
                       ports=[back, front], name="outer")
    inner = portcullis(cfg_head() + inner_extra +
                       f"proxy -r127.0.0.1:{back}\n", ports=[],
                       name="inner")
    outer.front = front
    return inner, outer


def test_howto_example(portcullis, origin):
    """users/auth strong on the inner proxy, iponly on the outer tcppm:
    the browser's proxy is the outer host; requests are authenticated by
    the inner proxy."""
    inner, outer = pair(portcullis, "users user:CL:password\nauth strong\n"
                        "allow user\n")
    px = ["-x", f"http://127.0.0.1:{outer.front}"]
    for i in range(3):
        r = curl(px + ["--proxy-user", "user:password",
                       origin.url(f"/cb{i}")])
        assert r.status == 404 or r.status == 200, r
    r = curl(px + ["--proxy-user", "user:password", origin.url("/hello")])
    assert r.status == 200 and r.body.startswith(b"hello"), r
    r = curl(px + ["--proxy-user", "user:wrong", origin.url("/hello")])
    assert r.status == 407, r
    recs = records(inner, "/hello", count=2)
    assert {x["err"] for x in recs} == {"00000", "00006"}, recs
    assert all(x["user"] == "user" for x in recs)
    assert records(outer, "127.0.0.1", count=1)


def test_no_inner_connection_times_out(portcullis, origin):
    """Without a -r side, a client of the tcppm -R waits the CONNECTBACK
    timeout (here 2 s) and is closed with code 13."""
    back, front = free_port(), free_port()
    outer = portcullis(cfg_head() + "timeouts 1 5 30 60 180 1800 15 60 15 2"
                       "\n" + f"tcppm -R127.0.0.1:{back} {front} 127.0.0.1 "
                       "3128\n", ports=[back, front])
    t0 = time.monotonic()
    r = curl(["-x", f"http://127.0.0.1:{front}", origin.url("/hello")],
             timeout=10)
    assert r.status == 0 and 1.5 <= time.monotonic() - t0 < 8, r
    assert any(x["err"] == "00013" for x in records(outer, "127.0.0.1"))


def test_outer_acl_applies(portcullis, origin):
    """The tcppm -R side checks its ACL against its own target."""
    inner, outer = pair(portcullis, outer_acl="deny *\n")
    r = curl(["-x", f"http://127.0.0.1:{outer.front}", origin.url("/hello")])
    assert r.status == 0, r
    assert any(x["err"] == "00001" for x in records(outer, "127.0.0.1"))


def test_config_errors(tmp_path):
    import subprocess
    from pc_server import BIN
    for line, tok in (("proxy -rhost.test", "-rhost.test"),
                      ("proxy -R1234", "-R1234"),
                      ("tcppm -Rx:99999 1 h 2", "-Rx:99999")):
        p = tmp_path / "t.cfg"
        p.write_text(f"{line}\n")
        r = subprocess.run([BIN, "-t", str(p)], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 1 and f"{p}:1: {tok}:" in r.stderr, \
            (line, r.stderr)
