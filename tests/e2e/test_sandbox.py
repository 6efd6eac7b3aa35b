"""Worker sandbox as /proc shows it.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_sandbox.py -k jail

Spec: issue 2 item 4 (root: non-zero Uid, CapEff 0, NoNewPrivs 1,
Seccomp 2, root is the jail, default jail /run/portcullis/empty, `chroot`,
`setuid`/`setgid` override; non-root: warning, NoNewPrivs and seccomp still
applied), privsep-anchors.md 3.13 (tier R also: Groups empty, CapPrm and
CapBnd 0, a writable jail is refused).  The protocol tests elsewhere run with
the sandbox enforcing (no PORTCULLIS_SANDBOX in the environment).
"""
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from clients import curl
from origins import HELLO
from pc_server import IS_ROOT, Server, cfg_head, free_port, need_root, \
    proc_status

DEFAULT_JAIL = "/run/portcullis/empty"
ZERO = "0000000000000000"


def default_uid():
    """The workers' default user: portcullis where it exists (the Debian
    package creates it), else nobody."""
    for name in ("portcullis", "nobody"):
        try:
            return str(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass
    pytest.fail("neither portcullis nor nobody exists")


def start(portcullis, extra="", n=2):
    port = free_port()
    srv = portcullis(cfg_head(extra=extra) + f"workers {n}\n"
                     f"proxy -i127.0.0.1 -p{port}\n", min_workers=n)
    srv.port = port
    return srv


def statuses(srv):
    pids = srv.worker_pids()
    assert pids, "no worker processes"
    return {p: proc_status(p) for p in pids}


def test_root_workers_unprivileged(portcullis, origin):
    need_root()
    srv = start(portcullis)
    for pid, st in statuses(srv).items():
        uids = st["Uid"].split()
        gids = st["Gid"].split()
        assert all(u != "0" for u in uids), (pid, st["Uid"])
        assert all(g != "0" for g in gids), (pid, st["Gid"])
        assert uids[0] == default_uid(), f"default user: {st['Uid']}"
        assert st.get("Groups", "") == "", (pid, st["Groups"])
        assert st["CapEff"] == ZERO, (pid, st["CapEff"])
        assert st["CapPrm"] == ZERO, (pid, st["CapPrm"])
        assert st["CapInh"] == ZERO, (pid, st["CapInh"])
        assert st.get("CapAmb", ZERO) == ZERO, (pid, st["CapAmb"])
        assert st["NoNewPrivs"] == "1", pid
        assert st["Seccomp"] == "2", pid
        assert os.readlink(f"/proc/{pid}/root") == DEFAULT_JAIL
    r = curl(["-x", f"http://127.0.0.1:{srv.port}", origin.url("/hello")])
    assert r.status == 200 and r.body == HELLO


def test_root_bounding_set_empty(portcullis):
    """privsep-anchors.md 3.13 tier R: CapBnd 0 too."""
    need_root()
    srv = start(portcullis)
    for pid, st in statuses(srv).items():
        assert st["CapBnd"] == ZERO, (pid, st["CapBnd"])


def test_master_stays_root(portcullis):
    need_root()
    srv = start(portcullis)
    st = proc_status(srv.pid)
    assert st["Uid"].split()[0] == "0"
    assert os.readlink(f"/proc/{srv.pid}/root") == "/"


def test_jail_is_empty_root_owned(portcullis):
    need_root()
    start(portcullis)
    st = os.stat(DEFAULT_JAIL)
    assert st.st_uid == 0 and (st.st_mode & 0o022) == 0
    assert os.listdir(DEFAULT_JAIL) == []


def test_chroot_setuid_setgid_override(portcullis, tmp_path, origin):
    need_root()
    jail = tmp_path / "jail"
    jail.mkdir(mode=0o755)
    os.chmod(jail, 0o755)
    srv = start(portcullis, extra=f"chroot {jail}\nsetuid 4321\n"
                "setgid 4322")
    for pid, st in statuses(srv).items():
        assert st["Uid"].split() == ["4321"] * 4, st["Uid"]
        assert st["Gid"].split() == ["4322"] * 4, st["Gid"]
        assert os.readlink(f"/proc/{pid}/root") == str(jail)
        assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
    r = curl(["-x", f"http://127.0.0.1:{srv.port}", origin.url("/hello")])
    assert r.status == 200


def test_writable_jail_refused(tmp_path):
    """A jail the workers could write to is refused at start (exit 1 and a
    readable error naming it)."""
    need_root()
    jail = tmp_path / "wjail"
    jail.mkdir()
    os.chmod(jail, 0o777)
    port = free_port()
    srv = Server(tmp_path / "s", cfg_head() + f"chroot {jail}\n"
                 f"proxy -i127.0.0.1 -p{port}\n")
    srv.start(wait=False)
    try:
        srv.proc.wait(10)
    except Exception:
        srv.stop()
        pytest.fail("server started with a world-writable jail")
    assert srv.proc.returncode == 1, srv.stderr()
    assert str(jail) in srv.stderr()


def test_unprivileged_start_still_sandboxed(origin):
    """Started as a non-root user (as root: the test drops to nobody before
    exec): a warning on stderr, workers still have NoNewPrivs 1 and
    Seccomp 2, the master (nothing to drop) its deny-list (issue 14 item
    4), and the proxy serves."""
    d = Path(tempfile.mkdtemp(prefix="pc-e2e-nonroot-"))
    os.chmod(d, 0o777)
    port = free_port()
    pre = None
    if IS_ROOT:
        def pre():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    srv = Server(d / "srv", cfg_head() + f"proxy -i127.0.0.1 -p{port}\n",
                 preexec=pre)
    os.chmod(d / "srv", 0o777)
    try:
        srv.start(min_workers=1)
        assert "warn" in srv.stderr().lower() or "root" in srv.stderr(), \
            srv.stderr()
        for pid in srv.worker_pids():
            st = proc_status(pid)
            assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
        st = proc_status(srv.pid)
        assert st["CapEff"] == ZERO and st["NoNewPrivs"] == "1" and \
            st["Seccomp"] == "2", st
        r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
        assert r.status == 200 and r.body == HELLO, r
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_worker_descriptors_only_what_it_needs(portcullis):
    """Issue 14 item 3: stdin and stdout are /dev/null, stderr the pipe the
    master reads (lines logged tagged with the worker), then only the
    epoll instance, the listener and the IPC socket: nothing of the
    master's (its stdout may be the access log)."""
    srv = start(portcullis)
    master_out = os.readlink(f"/proc/{srv.pid}/fd/1")
    for pid in srv.worker_pids():
        fds = {int(f): os.readlink(f"/proc/{pid}/fd/{f}")
               for f in os.listdir(f"/proc/{pid}/fd")}
        assert fds[0] == "/dev/null" and fds[1] == "/dev/null", fds
        assert fds[2].startswith("pipe:"), fds
        assert master_out not in fds.values(), (master_out, fds)
        rest = [v for k, v in fds.items() if k > 2]
        assert sorted(v.split(":")[0] for v in rest) == \
            ["anon_inode", "socket", "socket"], fds
        assert any("eventpoll" in v for v in rest), fds
