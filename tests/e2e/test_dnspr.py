"""The DNS proxy (`dnspr [-s]`).

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_dnspr.py -k forward

Spec: issue 4 item 6; 3proxy-language.md 1.1/1.2 (dnspr, -s),
3proxy-behaviour.md ("dnspr needs nscache; A queries are answered from
nsrecord, the cache or the nserver; other types are forwarded; an
unresolvable name gets NXDOMAIN"; %T TTTT/name/address); the docs'
dnspr entry.  Driven with dig against a dnsmasq this file starts.
"""
import shutil
import socket
import subprocess

import pytest

from pc_server import wait_for
from pc_server import cfg_head, free_port


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """dnsmasq with A, AAAA, TXT and MX records; .test is local (unknown
    names: NXDOMAIN)."""
    exe = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    port = free_port()
    d = tmp_path_factory.mktemp("dnsup")
    proc = subprocess.Popen(
        [exe, "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
         "--bind-interfaces", f"--port={port}", "--listen-address=127.0.0.1",
         "--pid-file=", f"--log-facility={d}/log", "--local=/test/",
         "--host-record=fwd.test,127.0.0.9",
         "--host-record=six.test,2001:db8::9",
         "--txt-record=txt.test,hello txt",
         "--mx-host=mx.test,mail.test,10"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL)

    def up():
        return proc.poll() is not None or any(
            ln.split()[1].endswith(":%04X" % port)
            for ln in open("/proc/net/udp") if ":" in ln.split()[1])
    wait_for(up, 5.0)
    if proc.poll() is not None:
        pytest.fail("dnsmasq did not start")
    yield port
    proc.terminate()
    proc.wait(5)


def start(portcullis, upstream, opts="", extra="", acl="",
          logformat=None):
    port = free_port()
    srv = portcullis(cfg_head(logformat=logformat,
                              extra=f"nserver 127.0.0.1:{upstream}\n"
                              "nscache 1000\n"
                              "nsrecord static.test 10.1.2.3\n" + extra) +
                     acl + f"dnspr -i127.0.0.1 {opts} -p{port}\n", ports=[])
    srv.port = port
    return srv


def dig(port, name, qtype="A", short=True):
    args = ["dig", "+time=3", "+tries=1", "@127.0.0.1", "-p", str(port),
            name, qtype]
    if short:
        args.insert(1, "+short")
    r = subprocess.run(args, capture_output=True, text=True, timeout=15)
    return r.stdout


def status(port, name, qtype="A"):
    for ln in dig(port, name, qtype, short=False).splitlines():
        if "status:" in ln:
            return ln.split("status:")[1].split(",")[0].strip()
    return None


def test_static_record_answered(portcullis, upstream):
    srv = start(portcullis, upstream)
    assert dig(srv.port, "static.test").split() == ["10.1.2.3"]
    lines = srv.wait_log(lambda ln: "0001/static.test/10.1.2.3" in ln)
    assert lines and " 00000 " in lines[0], srv.log_lines()


def test_a_and_aaaa_from_upstream(portcullis, upstream):
    srv = start(portcullis, upstream)
    assert dig(srv.port, "fwd.test").split() == ["127.0.0.9"]
    assert dig(srv.port, "six.test", "AAAA").split() == ["2001:db8::9"]
    assert srv.wait_log(lambda ln: "001c/six.test/2001:db8::9" in ln)


def test_other_types_forwarded(portcullis, upstream):
    srv = start(portcullis, upstream)
    assert dig(srv.port, "txt.test", "TXT").strip() == '"hello txt"'
    assert dig(srv.port, "mx.test", "MX").split() == ["10", "mail.test."]
    assert srv.wait_log(lambda ln: "0010/txt.test/" in ln)


def test_unknown_name_nxdomain(portcullis, upstream):
    srv = start(portcullis, upstream)
    assert status(srv.port, "nope.test") == "NXDOMAIN"
    assert status(srv.port, "nope.test", "TXT") == "NXDOMAIN"
    assert srv.wait_log(lambda ln: " 00100 " in ln and
                        "0001/nope.test/" in ln)


def test_single_mode_ignores_static_records(portcullis, upstream):
    """-s forwards every query: nsrecord is not consulted (dnsmasq has no
    static.test, so NXDOMAIN), names upstream knows still resolve."""
    srv = start(portcullis, upstream, opts="-s")
    assert status(srv.port, "static.test") == "NXDOMAIN"
    assert dig(srv.port, "fwd.test").split() == ["127.0.0.9"]


def test_failover_to_second_nserver(portcullis, upstream):
    """The first nserver does not answer (a UDP port nobody reads): the
    query goes on to the next one, in the order given."""
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))
    try:
        port = free_port()
        srv = portcullis(cfg_head(extra=f"nserver 127.0.0.1:"
                                  f"{dead.getsockname()[1]}\n"
                                  f"nserver 127.0.0.1:{upstream}\n"
                                  "timeouts 1 5 30 60 180 1800 2\n") +
                         f"dnspr -i127.0.0.1 -p{port}\n", ports=[])
        assert dig(port, "txt.test", "TXT").strip() == '"hello txt"'
        assert dig(port, "fwd.test").split() == ["127.0.0.9"]
    finally:
        dead.close()
    assert srv.running()


def test_acl_refuses_names(portcullis, upstream):
    srv = start(portcullis, upstream,
                acl="allow * * *.test * DNSRESOLVE\ndeny *\n")
    assert dig(srv.port, "fwd.test").split() == ["127.0.0.9"]
    assert status(srv.port, "example.org") == "REFUSED"
    assert srv.wait_log(lambda ln: " 00001 " in ln and "example.org" in ln)


def test_malformed_queries_worker_survives(portcullis, upstream):
    srv = start(portcullis, upstream)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    for junk in (b"", b"\x00", b"\x12\x34" + b"\xff" * 10,
                 b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c",
                 b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x3f" * 300):
        s.sendto(junk, ("127.0.0.1", srv.port))
        try:
            ans, _ = s.recvfrom(512)
            # an answer to junk is FORMERR with the same id
            assert ans[:2] == junk[:2] and ans[3] & 15 == 1
        except socket.timeout:
            assert len(junk) < 12
    assert dig(srv.port, "static.test").split() == ["10.1.2.3"]
    assert srv.running()
