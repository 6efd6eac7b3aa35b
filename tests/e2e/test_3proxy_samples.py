"""Golden test: every configuration 3proxy ships passes `portcullis -t`,
or fails only where docs/3proxy-differences.md says why.

The files are 3proxy's own (tests/conf/3proxy/, with 3proxy's licence
notice); each test writes a copy into a temporary folder with the
host-specific names pointed there (every replacement is listed below and
must apply).  Besides each file as shipped, every block of commented-out
command lines of 3proxy.cfg.sample, and the whole of 3proxy.cfg.in, is
tried uncommented: that is how their users use them.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_3proxy_samples.py

Spec: issue 10 item 6.
"""
import re
import subprocess

import pytest

from pc_server import BIN, REPO

SRC = REPO / "tests" / "conf" / "3proxy"
DIFFS = (REPO / "docs" / "3proxy-differences.md").read_text()

# first words of the commented lines that are commands (the rest of the
# comments are prose)
COMMANDS = {
    "config", "system", "nsrecord", "users", "daemon", "log", "logformat",
    "archiver", "auth", "allow", "deny", "parent", "external", "internal",
    "udppm", "tcppm", "flush", "maxconn", "chroot", "setgid", "setuid",
    "monitor", "counter", "include", "pidfile", "nscache", "nserver",
    "proxy", "socks", "admin", "rotate",
}


def replace(text, old, new):
    assert old in text, old
    return text.replace(old, new)


def check(path, cwd):
    return subprocess.run([BIN, "-t", str(path)], capture_output=True,
                          text=True, timeout=30, cwd=str(cwd),
                          stdin=subprocess.DEVNULL)


def ok(path, cwd):
    p = check(path, cwd)
    assert p.returncode == 0 and "configuration OK" in p.stdout, p
    return p


def documented(heading):
    """The difference has its section in docs/3proxy-differences.md."""
    assert f"\n## {heading}\n" in DIFFS, heading


def sample_text(tmp_path):
    t = (SRC / "3proxy.cfg.sample").read_text()
    (tmp_path / "logs").mkdir()
    return replace(t, r"log c:\3proxy\logs\3proxy.log D",
                   f"log {tmp_path}/logs/3proxy.log D")


def test_sample_as_shipped(tmp_path):
    f = tmp_path / "3proxy.cfg"
    f.write_text(sample_text(tmp_path))
    ok(f, tmp_path)


def test_sql_sample_as_shipped(tmp_path):
    t = (SRC / "sql-3proxy.cfg.sample").read_text()
    # dighosts' list of free networks: one word (line ends separate
    # words in a $file, as in 3proxy)
    (tmp_path / "freenetworks.net").write_text("10.0.0.0/8,"
                                               "192.168.0.0/16\n")
    t = replace(t, r"$c:\3proxy\freenetworks.net",
                f"${tmp_path}/freenetworks.net")
    f = tmp_path / "3proxy.cfg"
    f.write_text(t)
    ok(f, tmp_path)


def jail(tmp_path):
    root = tmp_path / "jail"
    for d in ("conf", "count", "logs"):
        (root / d).mkdir(parents=True)
    (root / "conf" / "3proxy.cfg").write_text(
        (SRC / "3proxy.cfg.inchroot").read_text())
    for f in ("passwd", "counters", "bandlimiters"):
        (root / "conf" / f).write_text("")
    return root


def test_chroot_layout_as_shipped(tmp_path):
    root = jail(tmp_path)
    t = replace((SRC / "3proxy.cfg.chroot").read_text(),
                "chroot /usr/local/3proxy ", f"chroot {root} ")
    f = tmp_path / "3proxy.cfg"
    f.write_text(t)
    ok(f, tmp_path)
    # the names of the inner file are inside the jail: without it, the
    # include fails naming the jail's path
    (root / "conf" / "passwd").unlink()
    p = check(f, tmp_path)
    assert p.returncode == 1 and f"{root}/conf/passwd" in p.stderr, p


def cmake_in(tmp_path):
    """3proxy.cfg.in as CMake installs it, @VARS@ into tmp_path."""
    t = (SRC / "3proxy.cfg.in").read_text()
    for d in ("bin", "etc/3proxy", "conf", "count", "run"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    t = t.replace("@CMAKE_INSTALL_FULL_BINDIR@", f"{tmp_path}/bin")
    t = t.replace("@CMAKE_INSTALL_FULL_SYSCONFDIR@", f"{tmp_path}/etc")
    t = t.replace("@3PROXY_CONFDIR@", f"{tmp_path}/conf")
    t = t.replace("@3PROXY_COUNTERDIR@", f"{tmp_path}/count")
    t = replace(t, "/var/run/3proxy/", f"{tmp_path}/run/")
    assert "@" not in t.replace("log @3proxy", ""), t
    for f in ("passwd", "counters", "bandlimiters"):
        (tmp_path / "conf" / f).write_text("")
    return t


def test_cmake_config_as_installed(tmp_path):
    f = tmp_path / "etc" / "3proxy" / "3proxy.cfg"
    t = cmake_in(tmp_path)
    f.write_text(t)
    ok(f, tmp_path)
    # every command in it uncommented: the template's intended use
    on = "\n".join(ln[1:] if ln.startswith("#") and not ln.startswith("#!")
                   and ln[1:].split(" ")[0] in COMMANDS else ln
                   for ln in t.splitlines()) + "\n"
    assert "\nauth strong\n" in on and "\nadmin -p8080\n" in on, on
    f.write_text(on)
    ok(f, tmp_path)


def commented_blocks(text):
    """(first, last) line indexes of runs of commented-out commands."""
    lines = text.splitlines()
    blocks, start = [], None
    for i, ln in enumerate(lines + [""]):
        m = re.match(r"#([a-z]+)(\s|$)", ln)
        is_cmd = m is not None and m.group(1) in COMMANDS
        if is_cmd and start is None:
            start = i
        elif not is_cmd and start is not None:
            blocks.append((start, i - 1))
            start = None
    return lines, blocks


# The blocks that fail, each on a deliberate difference: the first
# uncommented line, the message, the section of 3proxy-differences.md.
EXPECTED_FAILURES = {
    '#system "echo Hello world!"':
        ("system: refused", "`system` is refused"),
    "#nsrecord wpad.security.nnov.ru www.security.nnov.ru":
        ("an address, not a host name", "`nsrecord` takes an address"),
    "#allow ADMINISTRATOR,root":
        ("words after the password", "`parent`: no words after the "
         "password"),
    "#udppm -s 53 ns.my.provider 53":
        ("port 53 is already used", "Two services on one port are an "
         "error"),
}


def test_sample_commented_blocks(tmp_path):
    """Each block of commented-out commands of 3proxy.cfg.sample, alone
    uncommented (paths of its files pointed into tmp_path; `$./x` names
    are relative to the working directory, which is tmp_path)."""
    text = sample_text(tmp_path)
    (tmp_path / "passwd").write_text("alice:CL:x\n")
    (tmp_path / "external.ip").write_text("10.1.1.1\n")
    (tmp_path / "internal.ip").write_text("192.168.1.1\n")
    (tmp_path / "jail").mkdir()
    lines, blocks = commented_blocks(text)
    assert len(blocks) >= 12, blocks
    seen = set()
    for first, last in blocks:
        cur = list(lines)
        for i in range(first, last + 1):
            cur[i] = cur[i][1:]
        t = "\n".join(cur) + "\n"
        t = t.replace("users $/usr/local/etc/3proxy/passwd",
                      f"users ${tmp_path}/passwd")
        t = t.replace("log /var/log/3proxy/log D",
                      f"log {tmp_path}/logs/log D")
        t = t.replace("chroot /usr/local/jail", f"chroot {tmp_path}/jail")
        f = tmp_path / "one.cfg"
        f.write_text(t)
        p = check(f, tmp_path)
        want = EXPECTED_FAILURES.get(lines[first])
        if want is None:
            assert p.returncode == 0, (lines[first:last + 1], p)
            continue
        seen.add(lines[first])
        assert p.returncode == 1 and want[0] in p.stderr, \
            (lines[first:last + 1], p)
        documented(want[1])
    assert seen == set(EXPECTED_FAILURES), seen


@pytest.mark.parametrize("heading", [
    "The master never chroots; it reads DIR + name instead",
    "`system` is refused",
])
def test_differences_are_documented(heading):
    documented(heading)
