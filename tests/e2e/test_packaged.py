"""3proxy's packaged layout, driven: /etc/3proxy/3proxy.cfg that chroots
and includes /conf/3proxy.cfg, the jail's config with `config`,
`monitor`, `counter`, `users $/conf/passwd`, `include /conf/counters`,
`include /conf/bandlimiters` and the admin page, and add3proxyuser.sh
appending users, counters and limiters -- 3proxy's own files
(tests/conf/3proxy/), with the jail moved into a temporary folder.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_packaged.py

Spec: issue 10 item 1; 3proxy's conf.c (chroot at parse time, so later
names are inside the jail; `config` names what a reload reads) and its
init scripts (pidfile, kill -USR1 to reload, kill to stop).  Needs root
(workers jail into the folder as the user `proxy`).
"""
import glob
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import pytest

from clients import curl, http_get_over, socks5_open
from origins import HELLO
from pc_server import BIN, REPO, alive, free_port, need_root, wait_for

SRC = REPO / "tests" / "conf" / "3proxy"
CRYPT = os.path.join(os.path.dirname(BIN), "portcullis-crypt")
MIB = 1048576


def replace(text, old, new):
    """One visible change of a 3proxy file; it must apply."""
    assert old in text, old
    return text.replace(old, new)


class Layout:
    """The jail DIR (3proxy's /usr/local/3proxy), its conf/, count/ and
    logs/, the top config, and add3proxyuser.sh wired to this jail with
    portcullis-crypt in 3proxy_crypt's place."""

    def __init__(self, tmp_path, dns):
        self.root = tmp_path / "usr-local-3proxy"
        for d in ("conf", "count", "logs"):
            (self.root / d).mkdir(parents=True)
        os.chmod(self.root, 0o755)
        self.pp, self.sp, self.ap = free_port(), free_port(), free_port()
        self.top = (SRC / "3proxy.cfg.chroot").read_text()
        self.top = replace(self.top, "chroot /usr/local/3proxy ",
                           f"chroot {self.root} ")
        inner = (SRC / "3proxy.cfg.inchroot").read_text()
        # no name server of the Internet: the test's dnsmasq
        inner = replace(inner, "nserver 8.8.8.8\nnserver 8.8.4.4\n",
                        dns.nserver + "\n")
        # the file log the packaged config offers commented out, so the
        # test can read the records (syslog is another test's business),
        # and a pidfile as 3proxy.cfg.in has, inside the jail
        inner = replace(inner, "log @3proxy\n#log /logs/3proxy-%y%m%d.log D",
                        "#log @3proxy\nlog /logs/3proxy-%y%m%d.log D\n"
                        "pidfile /3proxy.pid")
        # fixed ports 3128, 1080, 8080 -> free loopback ports
        inner = replace(inner, "proxy -n\n",
                        f"proxy -n -i127.0.0.1 -p{self.pp}\n")
        inner = replace(inner, "socks\n", f"socks -i127.0.0.1 -p{self.sp}\n")
        inner = replace(inner, "admin -p8080",
                        f"admin -i127.0.0.1 -p{self.ap}")
        (self.root / "conf" / "3proxy.cfg").write_text(inner)
        for f in ("passwd", "counters", "bandlimiters"):
            (self.root / "conf" / f).write_text("")
        bindir = tmp_path / "bin"
        bindir.mkdir()
        os.symlink(CRYPT, bindir / "3proxy_crypt")
        script = (SRC / "add3proxyuser.sh.in").read_text()
        script = script.replace("@3PROXY_CONFDIR@", str(self.root / "conf"))
        script = replace(script, "@CMAKE_INSTALL_FULL_BINDIR@/@CRYPT_PREFIX@"
                         "crypt", str(bindir / "3proxy_crypt"))
        self.add_script = bindir / "add3proxyuser.sh"
        self.add_script.write_text(script)
        self.pidfile = self.root / "3proxy.pid"

    def add_user(self, *args):
        """add3proxyuser.sh NAME PASSWORD [DAY_MB [BPS]] (its `[ $2 ]`
        tests unquoted words: no blanks in a password)."""
        p = subprocess.run(["sh", str(self.add_script), *map(str, args)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stderr == "", p

    def log_text(self):
        return "".join(Path(f).read_text(errors="replace") for f in
                       glob.glob(str(self.root / "logs" / "3proxy-*.log")))

    def init_script(self, action):
        """What 3proxy's init.d script runs for reload and stop."""
        cmd = {"reload": f"kill -s USR1 `cat {self.pidfile}`",
               "stop": f"kill `cat {self.pidfile}`"}[action]
        return subprocess.run(["sh", "-c", cmd], timeout=10).returncode


@pytest.fixture
def layout(tmp_path, dns):
    need_root()
    if not os.access(CRYPT, os.X_OK):
        pytest.fail(f"{CRYPT} not built: run `make`")
    try:
        pwd.getpwnam("proxy")
    except KeyError:
        pytest.skip("no user `proxy` (3proxy's packages create it)")
    return Layout(tmp_path, dns)


def proxy_get(lay, url, user, pw, timeout=20):
    return curl(["-x", f"http://127.0.0.1:{lay.pp}", "--proxy-user",
                 f"{user}:{pw}", url], timeout=timeout)


def test_check_mode_reads_inside_the_jail(layout, tmp_path):
    top = tmp_path / "3proxy.cfg"
    top.write_text(layout.top)
    p = subprocess.run([BIN, "-t", str(top)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p
    # before the chroot line a name is the host's: the same include
    # written first does not find the file
    top.write_text("include /conf/3proxy.cfg\n" + layout.top)
    p = subprocess.run([BIN, "-t", str(top)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and "/conf/3proxy.cfg" in p.stderr, p


def test_packaged_layout(layout, portcullis, origin, origin2, tmp_path):
    lay = layout
    lay.add_user("alice", "alicepw", 1)             # 1 MB a day
    lay.add_user("bob", "bobpw", 100, 800000)       # 100 KB/s
    lay.add_user("admin", "adminpw")
    passwd = (lay.root / "conf" / "passwd").read_text()
    assert passwd.startswith("alice:CR:$3$"), passwd
    srv = portcullis(lay.top, ports=[lay.pp, lay.sp, lay.ap], name="etc")
    master = srv.pid
    assert wait_for(lambda: lay.pidfile.exists() and
                    lay.pidfile.read_text().strip() == str(master), 5)

    # workers are jailed in DIR as proxy:proxy; the master is not
    pw = pwd.getpwnam("proxy")
    workers = srv.wait_workers(3)
    assert workers
    for w in workers:
        assert os.readlink(f"/proc/{w}/root") == str(lay.root)
        st = open(f"/proc/{w}/status").read()
        assert f"\nUid:\t{pw.pw_uid}\t" in st and \
            f"\nGid:\t{pw.pw_gid}\t" in st, st
    assert os.readlink(f"/proc/{master}/root") == "/"

    # proxy with a user of passwd; the packaged ACL denies 127.0.0.1
    r = proxy_get(lay, origin2.url("/hello"), "alice", "alicepw")
    assert r.status == 200 and r.body == HELLO, r
    assert proxy_get(lay, origin2.url("/hello"), "alice", "wrong").status \
        == 407
    assert proxy_get(lay, origin.url("/hello"), "alice", "alicepw").status \
        == 403

    # socks with a user of passwd
    s, code = socks5_open(lay.sp, "127.0.0.2", origin2.port, user="bob",
                          pw="bobpw")
    try:
        assert code == 0, code
        assert http_get_over(s, "127.0.0.2").body == HELLO
    finally:
        s.close()

    # bandlimin 800000 bob: 300 KB take about 3 s (at least 2)
    t0 = time.monotonic()
    r = proxy_get(lay, origin2.url("/big/300000"), "bob", "bobpw",
                  timeout=30)
    took = time.monotonic() - t0
    assert r.status == 200 and len(r.body) == 300000, r
    assert took >= 2.0, took

    # countall "0/alice" D 1 alice: a body the rest of the MiB cannot
    # take is refused at once (3proxy), a chunked one is cut when it
    # crosses, then alice is refused
    r = proxy_get(lay, origin2.url("/big/900000"), "alice", "alicepw")
    assert r.status == 200 and len(r.body) == 900000, r
    r = proxy_get(lay, origin2.url("/big/900000"), "alice", "alicepw")
    assert r.status == 503 and r.body.find(b"\0" * 100) < 0, r
    proxy_get(lay, origin2.url("/chunked/400000"), "alice", "alicepw")
    r = proxy_get(lay, origin2.url("/hello"), "alice", "alicepw")
    assert r.status == 503, r
    # ... and bob is not
    assert proxy_get(lay, origin2.url("/hello"), "bob", "bobpw").status \
        == 200

    # the admin page: `flush`, `allow admin`
    r = curl(["-u", "admin:adminpw", f"http://127.0.0.1:{lay.ap}/"])
    assert r.status == 200, r
    r = curl(["-u", "bob:bobpw", f"http://127.0.0.1:{lay.ap}/"])
    assert r.status in (401, 403), r

    # records went to /logs/3proxy-%y%m%d.log inside the jail
    assert wait_for(lambda: "alice" in lay.log_text() and
                    "bob" in lay.log_text(), 5), lay.log_text()

    # add3proxyuser.sh, then the init script's reload (kill -USR1 of the
    # pidfile); the reload reads `config /conf/3proxy.cfg` in the jail,
    # not the top file (now broken on purpose)
    lay.add_user("carol", "carolpw", 10, 8000000)
    assert proxy_get(lay, origin2.url("/hello"), "carol", "carolpw") \
        .status == 407
    (tmp_path / "etc" / "portcullis.cfg").write_text("bogus line\n")
    assert lay.init_script("reload") == 0
    assert wait_for(lambda: proxy_get(lay, origin2.url("/hello"), "carol",
                                      "carolpw").status == 200, 15)
    assert "bandlimin 8000000 carol" in \
        (lay.root / "conf" / "bandlimiters").read_text()
    assert alive(master) and srv.pid == master

    # the init script's stop: kill of the pidfile; counters are saved in
    # /count inside the jail and the pidfile goes
    assert lay.init_script("stop") == 0
    srv.proc.wait(10)
    assert srv.proc.returncode == 0
    assert (lay.root / "count" / "3proxy.3cf").exists()
    assert not lay.pidfile.exists()
    assert "cannot" not in srv.stderr(), srv.stderr()


def test_monitor_reloads_from_the_jail(layout, portcullis, origin2):
    """`monitor /conf/3proxy.cfg` watches the file inside the jail: an edit
    there is picked up without a signal."""
    lay = layout
    lay.add_user("alice", "alicepw")
    srv = portcullis(lay.top, ports=[lay.pp, lay.sp, lay.ap], name="etc")
    assert proxy_get(lay, origin2.url("/hello"), "dave", "dave pw").status \
        == 407
    cfg = lay.root / "conf" / "3proxy.cfg"
    time.sleep(1.1)     # a new modification time
    cfg.write_text(cfg.read_text().replace(
        "users $/conf/passwd", 'users $/conf/passwd "dave:CL:dave pw"'))
    assert wait_for(lambda: proxy_get(lay, origin2.url("/hello"), "dave",
                                      "dave pw").status == 200, 15)
    srv.signal(signal.SIGTERM)
