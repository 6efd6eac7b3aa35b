"""Workers are fork+exec'ed and never read the configuration files.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_exec_spawn.py

Spec: issue 14 item 5.  A worker runs the master's binary in worker mode
(argv[1] --portcullis-worker-v1, its title in argv[0]) with an address
space of its own: the binary and the stack are mapped elsewhere than in
the master and in its siblings (a forked worker would share the master's
layout).  Its configuration is the bytes the master read: a worker
respawned after the included file and a $file changed still serves the
old rules.  The worker mode started by hand is refused with status 2.
"""
import os
import signal
import subprocess

from clients import curl
from origins import HELLO
from pc_server import BIN, cfg_head, clean_env, free_port, proc_status, \
    wait_for

MARK = "--portcullis-worker-v1"


def layout(pid):
    """(start of the binary's first mapping, start of [stack])."""
    exe = os.path.realpath(f"/proc/{pid}/exe")
    binary = stack = None
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if binary is None and len(parts) >= 6 and \
                    os.path.realpath(parts[5]) == exe:
                binary = parts[0].split("-")[0]
            if parts[-1] == "[stack]":
                stack = parts[0].split("-")[0]
    return binary, stack


def argv(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").split(b"\0")


def serves(port, origin):
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
    return r.status == 200 and r.body == HELLO


def test_workers_are_exec_ed_with_their_own_layout(portcullis, origin):
    port = free_port()
    srv = portcullis(cfg_head() + f"workers 2\nproxy -i127.0.0.1 -p{port}\n",
                     min_workers=2)
    pids = srv.worker_pids()
    assert len(pids) == 2
    master = layout(srv.pid)
    seen = {master}
    for pid in pids:
        a = argv(pid)
        assert a[1] == MARK.encode(), a
        assert a[0].startswith(b"portcullis: proxy "), a
        assert os.path.realpath(f"/proc/{pid}/exe") == \
            os.path.realpath(BIN)
        with open(f"/proc/{pid}/comm") as f:
            assert f.read().strip() == "portcullis"
        lay = layout(pid)
        assert None not in lay, lay
        assert lay not in seen, (lay, seen)
        seen.add(lay)
        # what it holds: no config bundle or shared memfd left open
        fds = [os.readlink(f"/proc/{pid}/fd/{n}")
               for n in os.listdir(f"/proc/{pid}/fd")]
        assert not any("memfd:" in t for t in fds), fds
        st = proc_status(pid)
        assert st["Seccomp"] == "2", st
    assert master[0] not in {lay[0] for lay in seen if lay != master}
    assert serves(port, origin)


def test_respawned_worker_keeps_the_bytes_the_master_read(portcullis,
                                                          origin, tmp_path):
    inc = tmp_path / "rules.inc"
    inc.write_text("allow *\n")
    portfile = tmp_path / "port.txt"
    port = free_port()
    portfile.write_text(str(port))
    srv = portcullis(cfg_head() + f"workers 1\ninclude {inc}\n"
                     f"proxy -i127.0.0.1 -p${portfile}\n", ports=[port])
    assert serves(port, origin)
    # the files change; a reload would see it, a respawn must not
    inc.write_text("deny *\n")
    portfile.write_text("not a port")
    old = srv.worker_pids()
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: [p for p in srv.worker_pids()
                             if p not in old], 10), srv.stderr()
    assert wait_for(lambda: serves(port, origin), 10), srv.stderr()
    assert srv.running()


def test_worker_mode_by_hand_is_refused(tmp_path):
    r = subprocess.run([BIN, MARK, "s=0 g=1 n=0 u=0 G=0 l=3 b=-1 i=4 c=5 "
                        "m=6 k=7 p=0 x=0 v=0", "/"], capture_output=True,
                       text=True, timeout=10, env=clean_env(),
                       cwd=str(tmp_path))
    assert r.returncode == 2, r
    assert "for the master's own workers" in r.stderr, r.stderr
    r = subprocess.run([BIN, MARK], capture_output=True, text=True,
                       timeout=10, env=clean_env(), cwd=str(tmp_path))
    assert r.returncode == 2, r
