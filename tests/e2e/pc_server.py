"""Start and watch build/portcullis for the e2e tests.

Server writes the config into its own directory, starts the binary
(PORTCULLIS_BIN, default build/portcullis) with stdout and stderr captured to
files, waits (bounded) until every listening port is in LISTEN state and the
master has worker children, and offers pid, worker pids (found by scanning
/proc for PPid: this kernel has no /proc/PID/task/*/children), the access-log
lines, reload() (SIGHUP) and stop() (SIGTERM, wait, SIGKILL fallback of the
master and the workers it had, by PID).

In config text, {log} becomes the access-log path and {dir} the server's
directory (plain replacement: `%` and braces of logformat are untouched).
"""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORTCULLIS_BIN", str(REPO / "build" / "portcullis"))


IS_ROOT = os.geteuid() == 0

_handed_out = set()


def free_port():
    """A TCP port free on 127.0.0.1 and ::1, not handed out before in this
    run (two tests never get the same one)."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port in _handed_out:
            continue
        try:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.bind(("::1", port))
            s6.close()
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port found")


def need_root():
    import pytest
    if not IS_ROOT:
        pytest.skip("needs root (chroot, setuid and capability checks)")


class ServerError(Exception):
    pass


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                "no_proxy", "ftp_proxy")}
    if extra:
        env.update(extra)
    return env


def wait_for(pred, timeout=5.0, interval=0.05):
    """Poll pred() until it returns a true value or timeout; return it."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def proc_stat_fields(pid):
    """The fields of /proc/PID/stat after the command (field 3, the
    state, first), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rfind(")") + 2:].split()


def proc_stat(pid):
    """(state, ppid, utime, stime) of pid, or None if it is gone."""
    rest = proc_stat_fields(pid)
    if rest is None:
        return None
    return rest[0], int(rest[1]), int(rest[11]), int(rest[12])


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        return None
    return out


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st and st[1] == ppid and st[0] != "Z":
            out.append(int(d))
    return sorted(out)


def listening_ports():
    """Set of (addr_hex, port) in LISTEN state from /proc/net/tcp{,6}."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[3] == "0A":
                        a, _, port = p[1].partition(":")
                        ports.add((a, int(port, 16)))
        except OSError:
            pass
    return ports


def port_listening(port):
    return any(p == port for _, p in listening_ports())


def tcp_inode(local_port, remote_port):
    """Inode of the socket whose local port is local_port and remote port
    remote_port (the server side of a client connection), or None."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                p = line.split()
                lp = int(p[1].rsplit(":", 1)[1], 16)
                rp = int(p[2].rsplit(":", 1)[1], 16)
                if lp == local_port and rp == remote_port:
                    return int(p[9])
    return None


def pid_holding_inode(pids, inode):
    want = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == want:
                    return pid
            except OSError:
                continue
    return None


_PORT_RE = re.compile(r"(?:^|\s)-p(\d+)")


def config_ports(text):
    """Listening ports named on service lines of a config text."""
    ports = []
    for line in text.splitlines():
        w = line.split()
        if not w or line[0] in " \t#":
            continue
        if w[0] in ("proxy", "socks"):
            m = _PORT_RE.search(line)
            ports.append(int(m.group(1)) if m else
                         (3128 if w[0] == "proxy" else 1080))
        elif w[0] == "tcppm":
            pos = [x for x in w[1:] if not x.startswith("-")]
            if pos:
                ports.append(int(pos[0]))
    return ports


class Server:
    def __init__(self, workdir, cfg_text, ports=None, env=None, args=(),
                 cfg_name="portcullis.cfg", preexec=None, binary=None):
        self.binary = binary or BIN
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.logpath = self.dir / "access.log"
        self.cfgpath = self.dir / cfg_name
        self.stdout_path = self.dir / "stdout.txt"
        self.stderr_path = self.dir / "stderr.txt"
        self.env = clean_env(env)
        self.args = list(args)
        self.preexec = preexec
        self.proc = None
        self.pid = None
        self.known_workers = set()
        self.write_config(cfg_text)
        self.ports = list(ports) if ports is not None else \
            config_ports(self.cfg_text)

    def subst(self, text):
        return text.replace("{log}", str(self.logpath)).replace(
            "{dir}", str(self.dir))

    def write_config(self, text):
        self.cfg_text = self.subst(text)
        self.cfgpath.write_text(self.cfg_text)

    def start(self, wait=True, timeout=10.0, min_workers=1):
        if self.proc is not None:
            # a restart: workers of the killed run may still be dying with
            # the listening sockets open (bind would fail); bounded
            wait_for(lambda: not any(port_listening(p) for p in self.ports),
                     10)
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary] + self.args + [str(self.cfgpath)],
            stdin=subprocess.DEVNULL,
            stdout=out, stderr=err, env=self.env, cwd=str(self.dir),
            start_new_session=True, preexec_fn=self.preexec)
        out.close()
        err.close()
        self.pid = self.proc.pid
        if wait:
            self.wait_ready(timeout, min_workers)
        return self

    def wait_ready(self, timeout=10.0, min_workers=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"portcullis exited with {self.proc.returncode} during "
                    f"start-up; stderr:\n{self.stderr()}")
            up = all(port_listening(p) for p in self.ports)
            if up and len(self.worker_pids()) >= min_workers:
                return
            time.sleep(0.05)
        missing = [p for p in self.ports if not port_listening(p)]
        raise ServerError(
            f"portcullis not ready after {timeout}s (ports not listening: "
            f"{missing}, workers: {self.worker_pids()}); stderr:\n"
            f"{self.stderr()}")

    def worker_pids(self):
        pids = children(self.pid) if self.pid else []
        self.known_workers.update(pids)
        return pids

    def wait_workers(self, n, timeout=10.0):
        return wait_for(lambda: len(self.worker_pids()) >= n and
                        self.worker_pids(), timeout)

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stdout(self):
        try:
            return self.stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_lines(self, path=None):
        p = Path(path) if path else self.logpath
        try:
            return p.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def wait_log(self, pred, count=1, timeout=5.0, path=None):
        """Lines for which pred(line) is true, once at least count exist
        (or whatever matched when timeout expires)."""
        def got():
            m = [ln for ln in self.log_lines(path) if pred(ln)]
            return m if len(m) >= count else None
        return wait_for(got, timeout) or \
            [ln for ln in self.log_lines(path) if pred(ln)]

    def signal(self, sig):
        os.kill(self.pid, sig)

    def reload(self):
        self.signal(signal.SIGHUP)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=8.0):
        """SIGTERM; after timeout SIGKILL the master and every worker seen.
        Returns the master's exit status (negative: killed by signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.worker_pids()
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.reap_leftovers()
        return self.proc.returncode

    def kill(self):
        for pid in [self.pid] + sorted(self.known_workers):
            if pid != self.pid and not is_ours(pid):
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def reap_leftovers(self, timeout=5.0):
        """Workers still alive after the master ended are killed by PID
        (they would keep ports of later tests busy); returns their pids."""
        def left():
            return [p for p in self.known_workers if alive(p) and is_ours(p)]
        wait_for(lambda: not left(), timeout)
        rest = left()
        for p in rest:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return rest


def is_ours(pid):
    """pid runs the portcullis binary (guards against a reused pid)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = ""
    if exe and os.path.basename(exe.replace(" (deleted)", "")) == \
            os.path.basename(BIN):
        return True
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip().startswith("portcullis")
    except OSError:
        return False


def cfg_head(dns=None, logformat=None, extra=""):
    """Common first lines: access log to {log}, the test name server."""
    lines = ["log {log}"]
    if logformat:
        lines.append(f'logformat "{logformat}"')
    if dns is not None:
        lines += [dns.nserver, "nscache 65536"]
    if extra:
        lines.append(extra.strip("\n"))
    return "\n".join(lines) + "\n"


DEFAULT_LOG_RE = re.compile(
    r"^(?P<ts>\d{12}\.\d{3}) (?P<port>\d+) (?P<err>\d{5}) (?P<user>\S+) "
    r"(?P<cip>\S+):(?P<cport>\d+) (?P<rip>\S+):(?P<rport>\d+) "
    r"(?P<out>\d+) (?P<in>\d+) (?P<hops>\d+) (?P<text>.*)$")


def parse_default(line):
    """Fields of a record in the 3proxy default format, or None."""
    m = DEFAULT_LOG_RE.match(line)
    return m.groupdict() if m else None


def records(srv, needle, count=1, timeout=5.0):
    """Parsed default-format records whose %T contains needle."""
    def hit(ln):
        r = parse_default(ln)
        return r is not None and needle in r["text"]
    return [parse_default(ln) for ln in srv.wait_log(hit, count, timeout)]


def one_record(srv, needle, timeout=5.0, fields=5):
    """The fields of the one record whose line contains needle, for a
    logformat of fields separated by "|" ("G%N|%E|%U|%n|%T" ...)."""
    lines = srv.wait_log(lambda ln: needle in ln, 1, timeout)
    assert len(lines) == 1, (needle, srv.log_lines())
    return tuple(lines[0].split("|", fields - 1))
