"""contrib/portcullis.service run by a real systemd: start (Type=notify
returns once READY=1 came), a request served and logged, `systemctl
reload` (SIGHUP: a new listener serves, same main PID), the sandbox the
unit asks for seen in the master's /proc status, `systemctl stop`
(STOPPING=1, clean exit).

systemd is not PID 1 on the test machines, so the test boots one as PID 1
of new PID, mount and network namespaces (unshare), with tmpfs over /run,
/tmp, /var/tmp, /var/log and /var/lib in its mount namespace, and only the
unit under test to start: sysinit.target, basic.target and the network
targets are masked and a drop-in sets DefaultDependencies=no (without it
the service pulls in sysinit.target, whose systemd-tmpfiles-setup empties
/tmp and whose other units set sysctls, the clock and devices of the host).
Everything else of the unit -- the hardening, Type=notify, ExecStartPre,
ExecReload, KillMode -- is the shipped text, with its binary path pointed
at the build and its configuration path at the namespace's /run.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_systemd.py

Spec: issue 12 item 3.
"""
import os
import shutil
import signal
import subprocess
import time

import pytest

from pc_server import BIN, REPO, children, free_port, need_root, wait_for

UNIT = os.path.join(REPO, "contrib", "portcullis.service")
SYSTEMD = "/lib/systemd/systemd"
MASK = ["sysinit.target", "basic.target", "network.target",
        "network-online.target", "network-pre.target", "multi-user.target",
        "systemd-tmpfiles-setup.service", "systemd-tmpfiles-setup-dev.service",
        "systemd-tmpfiles-clean.timer", "systemd-sysctl.service",
        "systemd-timesyncd.service", "systemd-udev-trigger.service",
        "systemd-udevd.service", "systemd-repart.service",
        "systemd-firstboot.service", "systemd-machine-id-commit.service",
        "systemd-modules-load.service", "systemd-binfmt.service",
        "systemd-random-seed.service"]
CAPS = ["CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT",
        "CAP_KILL", "CAP_SETPCAP"]
CAP_BITS = {"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
            "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10,
            "CAP_SYS_CHROOT": 18}

INNER = r"""set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/system/portcullis.service.d /run/pctest
cp "$PCCFG" /run/pctest/portcullis.cfg
for d in /tmp /var/tmp /var/log /var/lib; do
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp
ip link set lo up
for u in $MASK; do ln -s /dev/null "/run/systemd/system/$u"; done
printf '[Unit]\nDescription=pc test\nDefaultDependencies=no\nWants=systemd-journald.socket\n' \
    > /run/systemd/system/pctest.target
printf '[Unit]\nDefaultDependencies=no\n' \
    > /run/systemd/system/portcullis.service.d/test.conf
sed -e "s#/usr/local/sbin/portcullis#$PCBIN#g" \
    -e "s#/etc/portcullis/portcullis.cfg#/run/pctest/portcullis.cfg#g" \
    "$PCUNIT" > /run/systemd/system/portcullis.service
exec "$SYSTEMD" --system --unit=pctest.target
"""


class Namespace:
    """systemd as PID 1 of its own namespaces; every command runs in them
    by nsenter with the host PID of that PID 1."""

    def __init__(self, tmp_path, cfg):
        (tmp_path / "pc.cfg").write_text(cfg)
        env = dict(os.environ, MASK=" ".join(MASK),
                   PCBIN=os.path.abspath(BIN), PCUNIT=UNIT,
                   PCCFG=str(tmp_path / "pc.cfg"), SYSTEMD=SYSTEMD)
        self.out = open(tmp_path / "ns.out", "wb")
        self.unshare = subprocess.Popen(
            ["unshare", "--fork", "--pid", "--mount", "--net",
             "--mount-proc", "--propagation", "private", "sh", "-c", INNER],
            env=env, stdout=self.out, stderr=subprocess.STDOUT)
        self.init = None
        assert wait_for(self._found_init, 10), self.log()
        assert wait_for(lambda: self.run(
            "systemctl", "is-system-running", check=False).stdout.strip()
            in ("running", "degraded"), 20), self.log()

    def _found_init(self):
        for kid in children(self.unshare.pid):
            try:
                if os.readlink(f"/proc/{kid}/exe").endswith("/systemd"):
                    self.init = kid
            except OSError:
                pass
        return self.init is not None

    def log(self):
        self.out.flush()
        with open(self.out.name, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def run(self, *argv, check=True, net_only=False, timeout=60):
        ns = ["-n"] if net_only else ["-m", "-p", "-n"]
        r = subprocess.run(["nsenter", "-t", str(self.init)] + ns +
                           list(argv), capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, (argv, r.stdout, r.stderr,
                                       self.journal())
        return r

    def journal(self):
        r = subprocess.run(["nsenter", "-t", str(self.init), "-m", "-p",
                            "journalctl", "--no-pager", "-u", "portcullis", "-n", "40"],
                           capture_output=True, text=True, timeout=30)
        return r.stdout[-3000:]

    def show(self, prop):
        return self.run("systemctl", "show", "-p", prop, "--value",
                        "portcullis").stdout.strip()

    def close(self):
        if self.init is not None:
            os.kill(self.init, signal.SIGKILL)
        try:
            self.unshare.wait(10)
        except subprocess.TimeoutExpired:
            self.unshare.kill()
            self.unshare.wait(10)
        self.out.close()


def curl_via(ns, port, url):
    return ns.run("curl", "-s", "-m", "10", "-o", "-", "-w", "\n%{http_code}",
                  "-x", f"http://127.0.0.1:{port}", url, check=False,
                  net_only=True)


@pytest.fixture
def ns(tmp_path):
    need_root()
    for tool in ("unshare", "nsenter", "ip", "curl", SYSTEMD):
        assert shutil.which(tool), f"{tool} missing"
    p1 = free_port()
    cfg = (f"pidfile /run/portcullis/portcullis.pid\n"
           f"log /var/log/portcullis/access.log\n"
           f'logformat "L%t %N %p %E %C %R:%r %O %I %T"\n'
           f"auth iponly\nallow *\nproxy -i127.0.0.1 -p{p1}\n")
    n = Namespace(tmp_path, cfg)
    n.port = p1
    yield n
    n.close()


def master_status(ns, pid):
    text = ns.run("cat", f"/proc/{pid}/status").stdout
    return dict(ln.split(":\t", 1) for ln in text.splitlines() if ":\t" in ln)


def test_start_serve_reload_stop(ns, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "hello.txt").write_text("hello through systemd\n")
    oport = free_port()
    origin = subprocess.Popen(
        ["nsenter", "-t", str(ns.init), "-n", "/usr/bin/python3", "-m",
         "http.server", "--bind", "127.0.0.1", "--directory",
         str(tmp_path / "www"), str(oport)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Type=notify: start returns only after READY=1
        ns.run("systemctl", "start", "portcullis")
        assert ns.show("ActiveState") == "active"
        main = int(ns.show("MainPID"))
        assert main > 1
        # nothing else was started (the masks hold: no tmpfiles, sysctl)
        units = ns.run("systemctl", "list-units", "--type=service",
                       "--no-legend", "--plain").stdout.split("\n")
        names = sorted(u.split()[0] for u in units if u.strip())
        assert names == ["portcullis.service",
                         "systemd-journald.service"], names
        url = f"http://127.0.0.1:{oport}/hello.txt"
        assert wait_for(lambda: curl_via(ns, ns.port, url).stdout.endswith(
            "\n200"), 10), (curl_via(ns, ns.port, url), ns.journal())
        r = curl_via(ns, ns.port, url)
        assert r.stdout == "hello through systemd\n\n200"

        # the sandbox of the unit, on the master
        st = master_status(ns, main)
        want = sum(1 << CAP_BITS[c] for c in CAPS)
        assert int(st["CapBnd"], 16) == want, st["CapBnd"]
        assert st["NoNewPrivs"].strip() == "1"
        assert st["Seccomp"].strip() == "2"
        # its workers run, and were forked by it
        kids = ns.run("sh", "-c", f"grep -l '^PPid:\t{main}$' "
                      "/proc/[0-9]*/status", check=False).stdout.split()
        assert kids, "no worker under the master"

        # the access log is in LogsDirectory=, written by the master
        assert wait_for(lambda: "/hello.txt" in ns.run(
            "cat", "/var/log/portcullis/access.log",
            check=False).stdout, 10)

        # systemctl reload: SIGHUP, a new listener serves, same master
        p2 = free_port()
        ns.run("sh", "-c", f"echo 'proxy -i127.0.0.1 -p{p2}' >> "
               "/run/pctest/portcullis.cfg")
        ns.run("systemctl", "reload", "portcullis")
        assert wait_for(lambda: curl_via(ns, p2, url).stdout.endswith(
            "\n200"), 15), curl_via(ns, p2, url)
        assert curl_via(ns, ns.port, url).stdout.endswith("\n200")
        assert int(ns.show("MainPID")) == main
        assert ns.show("ActiveState") == "active"
        assert ns.show("NRestarts") == "0"

        # the journal stream: priorities kept, no second name[pid]
        def info_lines():
            return ns.run("journalctl", "--no-pager", "-o", "cat", "-u",
                          "portcullis", "-p", "6").stdout
        assert wait_for(lambda: "generation 2 started" in info_lines(), 10)
        info = info_lines()
        warn = ns.run("journalctl", "--no-pager", "-o", "cat", "-u",
                      "portcullis", "-p", "4").stdout
        assert "master: generation 2 started" in info, info
        assert "generation 2 started" not in warn, warn
        assert "portcullis[" not in info, info

        # stop: clean exit, nothing of portcullis left in the namespace
        ns.run("systemctl", "stop", "portcullis", timeout=90)
        assert ns.show("ActiveState") == "inactive"
        assert ns.show("Result") == "success"
        left = ns.run("sh", "-c", "cat /proc/[0-9]*/comm",
                      check=False).stdout.split()
        assert "portcullis" not in left, left
    finally:
        origin.kill()
        origin.wait(10)
