"""The master's own confinement as /proc shows it.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_master_confine.py

Spec: issue 14 item 4.  As root the master keeps exactly CAP_KILL,
CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE and
CAP_SYS_CHROOT (0x405e0) in its effective, permitted and bounding sets,
none ambient, SECBIT_NOROOT; it has NO_NEW_PRIVS and one seccomp filter
(the deny-list; tests/unit/test_confine.c shows it refusing ptrace,
personality, kcmp and unshare with EPERM).  What the kept capabilities are
for still works: a reload binds a new port below 1024 and its workers
chroot and setuid; the workers add their own filter (two).  Not as root
(test_sandbox.py::test_unprivileged_start_still_sandboxed): no capability
to keep, but the filter is there.
"""
import socket

from clients import curl
from origins import HELLO
from pc_server import cfg_head, free_port, need_root, proc_status, wait_for

KEPT = "00000000000405e0"
ZERO = "0000000000000000"


def low_port():
    for p in range(1000, 600, -1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise AssertionError("no free port below 1024")


def test_root_master_keeps_six_capabilities(portcullis, origin):
    need_root()
    port = free_port()
    cfg = cfg_head() + f"proxy -i127.0.0.1 -p{port}\n"
    srv = portcullis(cfg, min_workers=1)
    st = proc_status(srv.pid)
    assert st["CapEff"] == KEPT and st["CapPrm"] == KEPT, st
    assert st["CapBnd"] == KEPT, st["CapBnd"]
    assert st["CapAmb"] == ZERO, st["CapAmb"]
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "1", st
    # reload: a new listener below 1024, workers drop as before
    low = low_port()
    old = set(srv.worker_pids())
    srv.write_config(cfg + f"proxy -i127.0.0.1 -p{low}\n")
    srv.reload()
    assert wait_for(lambda: _serves(low, origin), 10), srv.stderr()
    new = [p for p in srv.worker_pids() if p not in old]
    assert new, srv.stderr()
    for pid in new:
        w = proc_status(pid)
        if w is None:
            continue
        assert all(u != "0" for u in w["Uid"].split()), w["Uid"]
        assert w["CapEff"] == ZERO and w["CapBnd"] == ZERO, w
        assert w["Seccomp_filters"] == "2", w
    st = proc_status(srv.pid)
    assert st["CapEff"] == KEPT and st["CapBnd"] == KEPT, st


def _serves(port, origin):
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url("/hello")])
    return r.status == 200 and r.body == HELLO
