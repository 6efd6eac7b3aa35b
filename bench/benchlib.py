"""Processes the benchmark starts (nginx origin, portcullis) and what it
reads from /proc.  Everything started here is stopped by PID; every wait is
bounded."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = os.environ.get("PORTCULLIS_BIN", str(REPO / "build" / "portcullis"))
PY = "/usr/bin/python3"
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def listening(port):
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                p = line.split()
                if p[3] == "0A" and int(p[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def stat(pid):
    """(state, ppid, utime+stime ticks) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    r = s[s.rfind(")") + 2:].split()
    return r[0], int(r[1]), int(r[11]) + int(r[12])


def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat(int(d))
            if st and st[1] == ppid and st[0] != "Z":
                out.append(int(d))
    return out


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_server(d, text, port, workers):
    """portcullis on d/bench.cfg (text), stdout and stderr in
    d/stderr.txt; returns the Popen once port listens with workers
    workers (RuntimeError after 15 s; then it is stopped)."""
    cfg = d / "bench.cfg"
    cfg.write_text(text)
    err = open(d / "stderr.txt", "wb")
    proc = subprocess.Popen([BIN, str(cfg)], stdout=err, stderr=err,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    err.close()
    if not wait_for(lambda: listening(port) and
                    len(children(proc.pid)) >= workers, 15):
        kill_pid(proc.pid)
        raise RuntimeError("portcullis did not start")
    return proc


def kill_pid(pid, sig=signal.SIGTERM):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Nginx:
    """nginx on 127.0.0.1 as the origin: its own prefix and conf,
    access_log off, keep-alive on, /small.html and a 1 GiB sparse /big.bin
    (served from the page cache with sendfile)."""

    def __init__(self, workdir, workers="1", big=1 << 30):
        self.dir = Path(workdir) / "nginx"
        (self.dir / "www").mkdir(parents=True)
        (self.dir / "tmp").mkdir()
        os.chmod(self.dir, 0o755)
        os.chmod(self.dir / "www", 0o755)
        os.chmod(self.dir.parent, 0o755)
        self.port = free_port()
        self.big = big
        page = (b"<html><head><title>bench</title></head><body>" +
                b"portcullis benchmark page " * 20 + b"</body></html>\n")
        (self.dir / "www" / "small.html").write_bytes(page)
        self.small = len(page)
        with open(self.dir / "www" / "big.bin", "wb") as f:
            f.truncate(big)
        for p in (self.dir / "www").iterdir():
            os.chmod(p, 0o644)
        t = self.dir / "tmp"
        conf = f"""worker_processes {workers};
worker_rlimit_nofile 65536;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 65536; multi_accept on; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    types {{ text/html html; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        root {self.dir}/www;
    }}
}}
"""
        (self.dir / "nginx.conf").write_text(conf)
        self.proc = None

    def start(self):
        err = open(self.dir / "stderr.txt", "wb")
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
             "-e", str(self.dir / "error.log")], stdout=err, stderr=err,
            stdin=subprocess.DEVNULL, start_new_session=True)
        err.close()
        if not wait_for(lambda: listening(self.port) or
                        self.proc.poll() is not None, 10) or \
                self.proc.poll() is not None:
            raise RuntimeError("nginx did not start: " +
                               (self.dir / "error.log").read_text()[-500:])
        # page cache: read the big file once so the first run is not a
        # disk run (sparse: no I/O, but the pages are created now)
        with open(self.dir / "www" / "big.bin", "rb") as f:
            while f.read(1 << 22):
                pass
        return self

    def url(self, path, host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            kill_pid(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                kill_pid(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class Portcullis:
    """build/portcullis with proxy, socks and tcppm to nginx (and, with
    echo_port, a second tcppm to that echo server: self.ep)."""

    def __init__(self, workdir, nginx_port, log=True, workers=None,
                 echo_port=None, binary=None):
        self.bin = binary or BIN
        self.dir = Path(workdir) / "portcullis"
        self.dir.mkdir(parents=True)
        self.pp, self.sp, self.tp = free_port(), free_port(), free_port()
        self.ep = free_port() if echo_port else None
        lines = ["maxconn 30000"]
        lines.append(f"log {self.dir}/access.log" if log else "")
        if workers:
            lines.append(f"workers {workers}")
        lines += [f"proxy -i127.0.0.1 -p{self.pp}",
                  f"socks -i127.0.0.1 -p{self.sp}",
                  f"tcppm -i127.0.0.1 {self.tp} 127.0.0.1 {nginx_port}"]
        if echo_port:
            lines.append(f"tcppm -i127.0.0.1 {self.ep} 127.0.0.1 "
                         f"{echo_port}")
        self.cfg = self.dir / "bench.cfg"
        self.cfg.write_text("\n".join(x for x in lines if x) + "\n")
        self.proc = None
        self.seen = set()

    def start(self):
        err = open(self.dir / "stderr.txt", "wb")
        self.proc = subprocess.Popen([self.bin, str(self.cfg)], stdout=err,
                                     stderr=err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        err.close()
        ports = [p for p in (self.pp, self.sp, self.tp, self.ep) if p]
        ok = wait_for(lambda: self.proc.poll() is not None or
                      (all(listening(p) for p in ports)
                       and len(self.pids()) >= 4), 15)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("portcullis did not start: " +
                               (self.dir / "stderr.txt").read_text()[-800:])
        time.sleep(0.3)
        return self

    def pids(self):
        if not self.proc:
            return []
        p = [self.proc.pid] + children(self.proc.pid)
        self.seen.update(p)
        return p

    def cpu_seconds(self):
        return sum((stat(p) or (0, 0, 0))[2] for p in self.pids()) / CLK

    def rss_kb(self):
        return sum(status_kb(p, "VmRSS") for p in self.pids())

    def pss_kb(self):
        return sum(pss_kb(p) for p in self.pids())

    def stop(self):
        if not self.proc:
            return
        self.pids()
        if self.proc.poll() is None:
            kill_pid(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                kill_pid(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        time.sleep(0.2)
        for p in self.seen:
            st = stat(p)
            if p != self.proc.pid and st and st[0] != "Z":
                try:
                    exe = os.readlink(f"/proc/{p}/exe")
                except OSError:
                    exe = ""
                if os.path.basename(exe).startswith("portcullis"):
                    kill_pid(p, signal.SIGKILL)
