"""`make install` and `make uninstall` into a temporary DESTDIR, and the
installed files at work: the installed server checks the installed sample
configuration and serves a request through a temporary one (with a
password hash made by the installed portcullis-crypt), the installed man
pages render without a warning, the unit names the installed paths, a
second install keeps a changed configuration and uninstall removes
everything else.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_install.py -k serves

Spec: issue 12 item 1.  The tree installed is the one PORTCULLIS_BIN was
built in (`make install BUILD=<its directory>`), so the binary under test
is the one the rest of the suite tests.
"""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from clients import curl
from origins import HELLO
from pc_server import BIN, REPO, free_port

MAN_PAGES = ["man5/portcullis.cfg.5", "man8/portcullis.8",
             "man8/portcullis-crypt.8", "man8/portcullis-counters.8"]


def build_dir():
    b = Path(BIN).resolve().parent
    try:
        return b.relative_to(REPO)
    except ValueError:
        pytest.skip(f"{BIN} is not built in {REPO}: nothing to install")


def make(*args):
    """make -C REPO BUILD=... ARGS; the caller's make variables (a
    jobserver this process does not hold) are left out."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    p = subprocess.run(["make", "--no-print-directory", "-C", str(REPO),
                        f"BUILD={build_dir()}", *args], env=env,
                       capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout + p.stderr


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    d = tmp_path_factory.mktemp("destdir")
    make("install", f"DESTDIR={d}")
    return d


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def files_under(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*")
                  if not p.is_dir())


def test_files_where_they_belong(dest):
    usr = dest / "usr/local"
    want = {
        usr / "sbin/portcullis": 0o755,
        usr / "bin/portcullis-crypt": 0o755,
        usr / "bin/portcullis-counters": 0o755,
        dest / "etc/portcullis/portcullis.cfg": 0o640,
        dest / "etc/logrotate.d/portcullis": 0o644,
        usr / "lib/systemd/system/portcullis.service": 0o644,
        usr / "share/doc/portcullis/examples/portcullis.cfg.sample": 0o644,
        usr / "share/doc/portcullis/examples/3proxy-howto.cfg": 0o644,
        usr / "share/doc/portcullis/README.md": 0o644,
        usr / "share/doc/portcullis/security.md": 0o644,
    }
    for m in MAN_PAGES:
        want[usr / "share/man" / m] = 0o644
    for p, m in want.items():
        assert p.is_file(), p
        assert mode(p) == m, (p, oct(mode(p)))
    assert (dest / "etc/portcullis/portcullis.cfg").read_bytes() == \
        (REPO / "contrib/portcullis.cfg.sample").read_bytes()
    assert (usr / "sbin/portcullis").read_bytes() == Path(BIN).read_bytes()
    # nothing else: no server in bin/, no tool in sbin/
    assert sorted(os.listdir(usr / "sbin")) == ["portcullis"]
    assert sorted(os.listdir(usr / "bin")) == ["portcullis-counters",
                                                "portcullis-crypt"]


def test_unit_names_the_installed_paths(dest, tmp_path):
    unit = (dest / "usr/local/lib/systemd/system/portcullis.service"
            ).read_text()
    assert "ExecStart=/usr/local/sbin/portcullis " \
        "/etc/portcullis/portcullis.cfg\n" in unit, unit
    d = tmp_path / "usr-prefix"
    make("install", f"DESTDIR={d}", "PREFIX=/usr")
    unit = (d / "usr/lib/systemd/system/portcullis.service").read_text()
    assert "ExecStart=/usr/sbin/portcullis /etc/portcullis/portcullis.cfg\n" \
        in unit, unit
    assert "/usr/local" not in unit
    assert (d / "usr/sbin/portcullis").is_file()
    assert (d / "etc/portcullis/portcullis.cfg").is_file()


def test_man_pages_render_without_warnings(dest):
    for tool in ("man", "mandoc"):
        assert shutil.which(tool), f"{tool} missing: contrib/install-deps.sh"
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for m in MAN_PAGES:
        page = dest / "usr/local/share/man" / m
        p = subprocess.run(["man", "--warnings", "-l", str(page)], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stderr == "", (m, p.stderr)
        assert "NAME" in p.stdout and "portcullis" in p.stdout, m
        p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", str(page)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stdout + p.stderr == "", \
            (m, p.stdout + p.stderr)


def test_installed_server_checks_the_sample(dest):
    cfg = dest / "etc/portcullis/portcullis.cfg"
    p = subprocess.run([str(dest / "usr/local/sbin/portcullis"), "-t",
                        str(cfg)], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{cfg}: configuration OK\n", p.stdout
    # and -t really checks: a broken copy is refused with file:line (at
    # the top: the sample ends with `end`)
    bad = dest / "broken.cfg"
    bad.write_text("proxy -pnotaport\n" + cfg.read_text())
    p = subprocess.run([str(dest / "usr/local/sbin/portcullis"), "-t",
                        str(bad)], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 1 and f"{bad}:1:" in p.stderr, p


def test_installed_server_serves(dest, portcullis, origin):
    crypt = dest / "usr/local/bin/portcullis-crypt"
    p = subprocess.run([str(crypt), "-m", "sha512", "s3cret-pw"],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0 and p.stdout.startswith("$6$"), p
    port = free_port()
    srv = portcullis(f'log {{log}}\nauth strong\nusers "alice:CR:'
                     f'{p.stdout.strip()}"\nallow alice\n'
                     f"proxy -i127.0.0.1 -p{port}\n",
                     binary=str(dest / "usr/local/sbin/portcullis"))
    assert os.readlink(f"/proc/{srv.pid}/exe") == \
        str(dest / "usr/local/sbin/portcullis")
    r = curl(["-x", f"http://127.0.0.1:{port}", "--proxy-user",
              "alice:s3cret-pw", origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO, r
    r = curl(["-x", f"http://127.0.0.1:{port}", "--proxy-user",
              "alice:wrong", origin.url("/hello")])
    assert r.status == 407, r
    assert srv.wait_log(lambda ln: "alice" in ln and "/hello" in ln), \
        srv.log_lines()


def test_reinstall_keeps_config_uninstall_removes(tmp_path):
    d = tmp_path / "root"
    make("install", f"DESTDIR={d}")
    cfg = d / "etc/portcullis/portcullis.cfg"
    cfg.write_text("# mine\nproxy -p3128\n")
    out = make("install", f"DESTDIR={d}")
    assert "keeping" in out, out
    assert cfg.read_text() == "# mine\nproxy -p3128\n"
    make("uninstall", f"DESTDIR={d}")
    assert files_under(d) == ["etc/portcullis/portcullis.cfg"]
    # an unchanged sample goes with the rest
    make("install", f"DESTDIR={d}")
    cfg.unlink()
    make("install", f"DESTDIR={d}")
    make("uninstall", f"DESTDIR={d}")
    assert files_under(d) == []
    assert not (d / "etc/portcullis").exists()


def test_binary_hardened():
    """The default build flags: full RELRO (BIND_NOW), PIE, fortified libc
    calls and the stack protector (README "Install")."""
    if os.path.basename(os.path.dirname(os.path.abspath(BIN))) in (
            "build-asan", "build-clang"):
        pytest.skip("sanitizer and clang builds set their own flags")
    dyn = subprocess.run(["readelf", "-d", BIN], capture_output=True,
                         text=True, check=True).stdout
    assert "BIND_NOW" in dyn and "PIE" in dyn, dyn
    syms = subprocess.run(["nm", "-D", BIN], capture_output=True,
                          text=True, check=True).stdout
    assert "__stack_chk_fail" in syms, "no stack protector"
    assert "_chk@" in syms, "no fortified calls"
