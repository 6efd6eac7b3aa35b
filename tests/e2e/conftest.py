"""Fixtures of the portcullis end-to-end suite.  See README.md here.

Session-wide servers on loopback: HTTP origins on 127.0.0.1, 127.0.0.2 and
::1, a TCP echo server and a sink, and dnsmasq as the only name server
(names: origin.test, other.test -> 127.0.0.1; origin6.test -> ::1;
dual.test -> both; anything under nx.test -> NXDOMAIN).  The system
resolver is never used.  `portcullis(cfg)` starts the binary on a config
and stops it (by PID) at the end of the test.  Every test has an alarm
(E2E_TEST_TIMEOUT, default 90 s) so nothing can hang the run.
"""
import os
import shutil
import signal
import socket
import subprocess

import pytest

import origins
from pc_server import BIN, Server, free_port, wait_for

TEST_TIMEOUT = int(os.environ.get("E2E_TEST_TIMEOUT", "90"))

def pytest_configure(config):
    config.addinivalue_line("markers", "root: needs root")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {TEST_TIMEOUT}s (E2E alarm)")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session", autouse=True)
def _binary_present():
    if not os.access(BIN, os.X_OK):
        pytest.exit(f"portcullis binary not found at {BIN}: run `make` "
                    "(or set PORTCULLIS_BIN)", returncode=2)


@pytest.fixture(scope="session")
def origin():
    s = origins.OriginServer("127.0.0.1").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def origin2():
    """A second origin on 127.0.0.2 (target-address ACL tests)."""
    s = origins.OriginServer("127.0.0.2").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def origin6():
    s = origins.OriginServer("::1", socket.AF_INET6).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def echo():
    s = origins.echo_server()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sink():
    s = origins.sink_server()
    yield s
    s.stop()


class Dns:
    def __init__(self, port, proc):
        self.port = port
        self.proc = proc

    @property
    def nserver(self):
        return f"nserver 127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def dns(tmp_path_factory):
    """dnsmasq on 127.0.0.1:PORT, foreground (-k), no upstream, stopped by
    PID.  .test is local: names without records get NXDOMAIN/NODATA."""
    exe = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    port = free_port()
    d = tmp_path_factory.mktemp("dns")
    cmd = [exe, "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
           "--bind-interfaces", f"--port={port}",
           "--listen-address=127.0.0.1", "--pid-file=",
           f"--log-facility={d}/dnsmasq.log", "--local=/test/",
           "--host-record=origin.test,127.0.0.1",
           "--host-record=other.test,127.0.0.1",
           "--host-record=origin6.test,::1",
           "--host-record=dual.test,127.0.0.1,::1"]
    err = open(d / "stderr.txt", "wb")
    proc = subprocess.Popen(cmd, stdout=err, stderr=err,
                            stdin=subprocess.DEVNULL)
    err.close()

    def up():
        if proc.poll() is not None:
            return True
        for line in open("/proc/net/udp"):
            p = line.split()
            if p[1].endswith(":%04X" % port):
                return True
        return False
    wait_for(up, 5.0)
    if proc.poll() is not None:
        pytest.fail(f"dnsmasq exited: {(d / 'stderr.txt').read_text()}")
    yield Dns(port, proc)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    return free_port()


@pytest.fixture
def portcullis(tmp_path):
    """Factory: portcullis(cfg, ports=None, wait=True, env=None, args=(),
    min_workers=1, binary=None) -> started Server (binary: another
    executable than PORTCULLIS_BIN, e.g. an installed one).  Stopped
    (SIGTERM, then SIGKILL by PID) when the test ends."""
    started = []

    def start(cfg, ports=None, wait=True, env=None, args=(), min_workers=1,
              name=None, preexec=None, binary=None):
        d = tmp_path / (name or f"srv{len(started)}")
        srv = Server(d, cfg, ports=ports, env=env, args=args, preexec=preexec,
                     binary=binary)
        started.append(srv)
        srv.start(wait=wait, min_workers=min_workers)
        return srv
    yield start
    for srv in started:
        srv.stop()
    # an ASan/UBSan build (make asan-e2e) reports on the server's stderr
    for srv in started:
        err = srv.stderr()
        for mark in ("ERROR: AddressSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer"):
            if mark in err:
                pytest.fail(f"sanitizer report in {srv.dir}/stderr.txt:\n"
                            + err[err.index(mark) - 200:][:3000])


@pytest.fixture
def ports():
    """ports(n) -> n distinct free loopback ports."""
    return lambda n=1: [free_port() for _ in range(n)]
