"""portcullis benchmark (issues 2 and 13).  `make bench` or
`sh bench/run.sh [part ...] [--quick] [--reps N] [--base BIN]`; parts:
keepalive bulk connrate idle (default: all).  --base BIN: keepalive and
connrate also through two servers of BIN (an older build), in the same
repetitions, as [--base] rows (before/after figures from one run).

Starts nginx (origin, own temp conf), an echo origin (connrate.c) and two
build/portcullis servers with the same services (proxy, socks, tcppm to
nginx and to the echo origin), one without an access log and one with
`log FILE`, and measures each workload against direct access to the
origin in the same run: the repetitions interleave direct, without log
and with log, and every figure is the median of them.  Server CPU
(utime+stime of master and workers, /proc/PID/stat) is given per request,
per connection or per GB.  Prints a table and writes it to
bench/results-<date>.md.  Everything it starts is stopped by PID.
"""
import datetime
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (BIN, CLK, PY, REPO, Nginx, Portcullis, children,
                      free_port, kill_pid, listening, stat, wait_for)

HERE = Path(__file__).resolve().parent
LOADGEN = str(HERE / "loadgen.py")
GB = 1e9
MB = 1e6
PAR = 50                 # connections in parallel for connrate

# Issue 13 targets: key -> (comparison, value, kind).  kind "ratio" is
# portcullis / direct, "value" the figure itself, "cpu" the CPU column.
TARGETS = {
    "ka50": [(">=", 0.65, "ratio")],
    "ka500": [(">=", 0.65, "ratio")],
    "close": [(">=", 0.60, "ratio")],
    "conn_socks": [(">=", 0.50, "ratio"), ("<=", 30.0, "cpu")],
    "conn_tcppm": [(">=", 0.60, "ratio")],
    "idle_per": [("<=", 3.0, "value")],
}
LOG_TARGET = 0.95        # with log FILE >= 0.95x of the figure without


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


class Bench:
    def __init__(self, quick=False, reps=3, base=None):
        self.quick = quick
        self.base = base          # --base BIN: the same servers from BIN
        self.pcb = self.pclb = None
        self.reps = reps
        # (key, label, unit, direct, off, log, cpu_off, cpu_log, cpu_unit)
        self.rows = []
        self.tmp = Path(tempfile.mkdtemp(prefix="pc-bench-"))
        self.nginx = Nginx(self.tmp)
        self.helpers = []
        self.bare = None          # bare_relay.c process: the CPU floor
        self.bare_port = None
        self.crate = None         # connrate.c binary
        self.echo = None
        self.echo_port = None
        self.pc = self.pcl = None
        self.origin = {}          # key -> the origin's CPU us/conn, direct

    def start(self):
        self.nginx.start()
        self.crate = self.build("connrate.c", "connrate")
        if self.crate is not None:
            self.echo = subprocess.Popen([self.crate, "echo"],
                                         stdout=subprocess.PIPE, text=True)
            self.echo_port = int(self.echo.stdout.readline())
        self.pc = Portcullis(self.tmp / "off", self.nginx.port, log=False,
                             echo_port=self.echo_port).start()
        self.pcl = Portcullis(self.tmp / "log", self.nginx.port, log=True,
                              echo_port=self.echo_port).start()
        if self.base:
            self.pcb = Portcullis(self.tmp / "boff", self.nginx.port,
                                  log=False, echo_port=self.echo_port,
                                  binary=self.base).start()
            self.pclb = Portcullis(self.tmp / "blog", self.nginx.port,
                                   log=True, echo_port=self.echo_port,
                                   binary=self.base).start()

    def servers(self, with_base=False):
        s = [("off", self.pc), ("log", self.pcl)]
        if with_base and self.base:
            s += [("boff", self.pcb), ("blog", self.pclb)]
        return s

    def rows_of(self, key, label, unit, direct, runs, cpus, cu):
        """The row of this build, and with --base the row of BIN measured
        in the same repetitions."""
        self.row(key, label, unit, direct, median(runs["off"]),
                 median(runs["log"]), median(cpus["off"]),
                 median(cpus["log"]), cu)
        if self.base:
            self.row("before_" + key, label + " [--base]", unit, direct,
                     median(runs["boff"]), median(runs["blog"]),
                     median(cpus["boff"]), median(cpus["blog"]), cu)

    # ---- bookkeeping -------------------------------------------------------
    def row(self, key, label, unit, direct, off, log=None, cpu_off=None,
            cpu_log=None, cpu_unit=""):
        self.rows.append((key, label, unit, direct, off, log, cpu_off,
                          cpu_log, cpu_unit))
        ratio = f"{off / direct:.2f}x" if direct and off is not None else "-"
        lr = f"{log / off:.2f}x" if off and log is not None else "-"
        cpu = "" if cpu_off is None else \
            f"  CPU {fmt(cpu_off)}/{fmt(cpu_log)} {cpu_unit}"
        print(f"  {label:44s} direct {fmt(direct):>9s}  off {fmt(off):>9s}"
              f"  log {fmt(log):>9s} {unit:7s} {ratio} log/off {lr}{cpu}",
              flush=True)

    def spawn(self, args, **kw):
        p = subprocess.Popen([PY, LOADGEN] + args, text=True, **kw)
        self.helpers.append(p)
        return p

    def build(self, src, name, libs=()):
        exe = self.tmp / name
        r = subprocess.run(["cc", "-O2", "-o", str(exe), str(HERE / src)] +
                           list(libs), capture_output=True, text=True)
        if r.returncode != 0:
            print(f"    {src} not built: {r.stderr.strip()}")
            return None
        return str(exe)

    def cleanup(self):
        for p in self.helpers + [self.bare, self.echo]:
            if p is not None and p.poll() is None:
                kill_pid(p.pid)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    kill_pid(p.pid, 9)
        for pc in (self.pc, self.pcl, self.pcb, self.pclb):
            if pc is not None:
                pc.stop()
        self.nginx.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- keep-alive requests/s with wrk ------------------------------------
    def wrk(self, conns, target_port, absolute):
        secs = 3 if self.quick else 5
        script = self.tmp / "abs.lua"
        url = self.nginx.url("/small.html")
        script.write_text(f'wrk.path = "{url}"\n'
                          f'wrk.headers["Host"] = "127.0.0.1:'
                          f'{self.nginx.port}"\n')
        cmd = ["wrk", "-t2", f"-c{conns}", f"-d{secs}s", "--timeout", "5s"]
        if absolute:
            cmd += ["-s", str(script)]
        cmd.append(f"http://127.0.0.1:{target_port}/small.html")
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=secs + 30).stdout
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        reqs = re.search(r"(\d+) requests in", out)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: (.*)", out)
        if bad or errs:
            print(f"    wrk -c{conns} {'proxy' if absolute else 'direct'}: "
                  f"{bad.group(0) if bad else ''} "
                  f"{errs.group(0) if errs else ''}", flush=True)
        return (float(m.group(1)) if m else 0.0,
                int(reqs.group(1)) if reqs else 0)

    def part_keepalive(self):
        print(f"keep-alive requests/s (wrk, 2 threads, /small.html; median "
              f"of {self.reps}) and server CPU us per request")
        for c in (50, 500):
            runs = {"direct": [], "off": [], "log": [], "boff": [],
                    "blog": []}
            cpus = {"off": [], "log": [], "boff": [], "blog": []}
            for _ in range(self.reps):
                runs["direct"].append(self.wrk(c, self.nginx.port, False)[0])
                for name, pc in self.servers(True):
                    c0 = pc.cpu_seconds()
                    rps, n = self.wrk(c, pc.pp, True)
                    runs[name].append(rps)
                    if n:
                        cpus[name].append((pc.cpu_seconds() - c0) * 1e6 / n)
            self.rows_of(f"ka{c}", f"HTTP keep-alive, {c} connections",
                         "req/s", median(runs["direct"]), runs, cpus,
                         "us/req")

    # ---- connections/s: connect, one exchange, close ------------------------
    def origin_cpu(self, mode):
        """CPU seconds so far of the origin a direct run talks to: the
        echo server, or nginx's worker (HTTP)."""
        if mode == "http":
            pids = children(self.nginx.proc.pid)
        else:
            pids = [self.echo.pid]
        return sum((stat(p) or (0, 0, 0))[2] for p in pids) / CLK

    def crate_run(self, mode, port, arg, secs):
        out = subprocess.run([self.crate, mode, str(port), str(arg),
                              str(PAR), str(secs)], capture_output=True,
                             text=True, timeout=secs + 30).stdout
        m = re.search(r"ok (\d+) errors (\d+)", out)
        ok, err = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if err:
            print(f"    {mode} :{port}: {err} failed sessions", flush=True)
        return ok

    def part_connrate(self):
        if self.crate is None:
            print("connrate: bench/connrate.c not built, skipped")
            return
        secs = 2 if self.quick else 4
        print(f"connections/s (bench/connrate.c, {PAR} in parallel, "
              f"{secs} s; median of {self.reps}) and server CPU us per "
              "connection")
        e, n = self.echo_port, self.nginx
        # key, label, connrate mode, direct (port, arg), via(pc) (port, arg)
        work = [
            ("conn_socks", "SOCKS5 conn/s (handshake, 1-byte echo)",
             "socks", ("direct", e, e), lambda pc: (pc.sp, e)),
            ("conn_tcppm", "tcppm conn/s (1-byte echo)", "direct",
             ("direct", e, e), lambda pc: (pc.ep, e)),
            ("conn_connect", "HTTP CONNECT conn/s (1-byte echo)", "connect",
             ("direct", e, e), lambda pc: (pc.pp, e)),
            ("close", "HTTP Connection: close req/s", "http",
             ("http", n.port, "/small.html"),
             lambda pc: (pc.pp, n.url("/small.html"))),
        ]
        for key, label, mode, direct, via in work:
            runs = {"direct": [], "off": [], "log": [], "boff": [],
                    "blog": []}
            cpus = {"off": [], "log": [], "boff": [], "blog": []}
            origin = []
            for _ in range(self.reps):
                o0 = self.origin_cpu(direct[0])
                ok = self.crate_run(*direct, secs)
                runs["direct"].append(ok / secs)
                if ok:
                    origin.append((self.origin_cpu(direct[0]) - o0) * 1e6 /
                                  ok)
                for name, pc in self.servers(True):
                    c0 = pc.cpu_seconds()
                    port, arg = via(pc)
                    ok = self.crate_run(mode, port, arg, secs)
                    runs[name].append(ok / secs)
                    if ok:
                        cpus[name].append((pc.cpu_seconds() - c0) * 1e6 / ok)
            self.rows_of(key, label, "conn/s", median(runs["direct"]), runs,
                         cpus, "us/conn")
            # the floor: what the origin alone spends per connection
            print(f"    origin CPU per connection, direct run: "
                  f"{fmt(median(origin))} us", flush=True)
            self.origin[key] = median(origin)

    # ---- bulk MB/s and CPU s/GB -------------------------------------------
    def curl_args(self, mode, pc):
        url = self.nginx.url("/big.bin")
        if mode == "connect":
            return ["-p", "-x", f"http://127.0.0.1:{pc.pp}", url]
        if mode == "socks":
            return ["--socks5", f"127.0.0.1:{pc.sp}", url]
        if mode == "tcppm":
            return [f"http://127.0.0.1:{pc.tp}/big.bin"]
        if mode == "bare":
            return [f"http://127.0.0.1:{self.bare_port}/big.bin"]
        return [url]

    def start_bare(self):
        """Starts bench/bare_relay.c (a policy-free blocking splice relay)
        in front of nginx; False when it cannot."""
        exe = self.build("bare_relay.c", "bare_relay", ["-lpthread"])
        if exe is None:
            return False
        self.bare_port = free_port()
        self.bare = subprocess.Popen([exe, str(self.bare_port),
                                      str(self.nginx.port)])
        return wait_for(lambda: listening(self.bare_port), 5)

    def cpu_of(self, mode, pc):
        if mode == "bare":
            st = stat(self.bare.pid)
            return st[2] / os.sysconf("SC_CLK_TCK") if st else 0.0
        return pc.cpu_seconds() if pc is not None else 0.0

    def bulk(self, mode, pc, streams, size):
        """Wall-clock MB/s of `streams` parallel curls of `size` bytes each,
        and the server's CPU seconds per GB moved."""
        rng = ["-r", f"0-{size - 1}"] if size < self.nginx.big else []
        cpu0 = self.cpu_of(mode, pc)
        t0 = time.monotonic()
        procs = [subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "--max-time", "120", "-w",
             "%{size_download}"] + rng + self.curl_args(mode, pc),
            stdout=subprocess.PIPE, text=True) for _ in range(streams)]
        total = 0
        for p in procs:
            out, _ = p.communicate(timeout=180)
            total += int(float(out or 0))
        wall = time.monotonic() - t0
        cpu = self.cpu_of(mode, pc) - cpu0
        if total < streams * size:
            print(f"    {mode} x{streams}: short transfer {total} of "
                  f"{streams * size} bytes", flush=True)
        return total / wall / MB, (cpu / (total / GB) if total else None)

    def part_bulk(self):
        """Rounds interleave direct, the three services without and with
        the log and the bare splice relay, so a noisy neighbour hits them
        alike; MB/s and CPU s/GB are the medians."""
        print(f"bulk MB/s (curl -o /dev/null) and server CPU s/GB, median "
              f"of {self.reps}")
        size1 = (256 << 20) if self.quick else self.nginx.big
        size8 = (64 << 20) if self.quick else (256 << 20)
        bare = self.start_bare()
        runs = {}
        svc = ("connect", "socks", "tcppm")
        for streams, size in ((1, size1), (8, size8)):
            for _ in range(self.reps):
                todo = [("direct", None, None)] + \
                    [(m, name, pc) for m in svc for name, pc in
                     self.servers()] + \
                    ([("bare", None, None)] if bare else [])
                for m, name, pc in todo:
                    runs.setdefault((m, name, streams), []).append(
                        self.bulk(m, pc, streams, size))
        med = {k: (median([r[0] for r in v]), median([r[1] for r in v]))
               for k, v in runs.items()}
        for streams in (1, 8):
            d = med[("direct", None, streams)][0]
            for m, label in (("connect", "HTTP CONNECT"), ("socks", "SOCKS5"),
                             ("tcppm", "tcppm")):
                off, log = med[(m, "off", streams)], med[(m, "log", streams)]
                self.row(f"bulk{streams}_{m}", f"bulk {label}, {streams} "
                         "stream(s)", "MB/s", d, off[0], log[0], off[1],
                         log[1], "s/GB")
            if bare:
                b = med[("bare", None, streams)]
                self.row(f"bulk{streams}_bare", f"bulk bare splice relay, "
                         f"{streams} stream(s)", "MB/s", d, b[0], None,
                         b[1], None, "s/GB")

    # ---- RSS with 10,000 idle tunnels --------------------------------------
    def part_idle(self):
        """Without log only: an idle tunnel writes no record until it
        closes."""
        n = 2000 if self.quick else 10000
        print(f"RSS of all server processes with {n} idle SOCKS5 tunnels")
        sink = self.spawn(["sink"], stdout=subprocess.PIPE)
        sport = int(sink.stdout.readline())
        base = self.pc.rss_kb()
        holders = []
        per = n // 4
        t0 = time.monotonic()
        for _ in range(4):
            holders.append(self.spawn(["hold", str(self.pc.sp), str(sport),
                                       str(per)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE))
        ready = 0
        for h in holders:
            line = h.stdout.readline()
            if line.startswith("ready"):
                ready += int(line.split()[1])
            else:
                print(f"    holder: {line.strip()}", flush=True)
        took = time.monotonic() - t0
        print(f"    {ready} tunnels open in {took:.1f} s "
              f"({ready / took:,.0f}/s)", flush=True)
        time.sleep(1.0)
        rss = self.pc.rss_kb()
        pss = self.pc.pss_kb()
        for h in holders:
            h.stdin.close()
        for h in holders:
            h.wait(30)
        kill_pid(sink.pid)
        sink.wait(10)
        self.row("idle_rss", f"total RSS, {ready} idle tunnels", "MB", None,
                 rss / 1024)
        self.row("idle_pss", f"total PSS, {ready} idle tunnels", "MB", None,
                 pss / 1024)
        self.row("idle_per", "RSS per idle tunnel (minus idle baseline)",
                 "KiB", None, (rss - base) / max(ready, 1))
        self.row("idle_rate", "idle tunnel setup rate (4 Python clients)",
                 "tun/s", None, ready / took)
        if ready < n:
            print(f"    only {ready} of {n} tunnels opened", flush=True)

    # ---- report ---------------------------------------------------------------
    def table(self):
        lines = ["| figure | direct | portcullis | ratio | with log FILE | "
                 "log/off | server CPU off / log | origin CPU (direct) | "
                 "target | met |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
                 "--- | --- |"]
        for key, label, unit, d, t, lg, co, cl, cu in self.rows:
            ratio = t / d if d and t is not None else None
            lr = lg / t if t and lg is not None else None
            met, tgt_s = [], []
            for op, val, kind in TARGETS.get(key, []):
                x = {"ratio": ratio, "value": t, "cpu": co}[kind]
                tgt_s.append(f"{op} {val}" + {"ratio": "x", "value":
                                               " " + unit,
                                               "cpu": " " + cu}[kind])
                if x is not None:
                    met.append("yes" if (x >= val if op == ">=" else
                                         x <= val) else "NO")
            if lr is not None and unit not in ("MB", "KiB", "tun/s"):
                tgt_s.append(f"log >= {LOG_TARGET}x")
                met.append("yes" if lr >= LOG_TARGET else "NO")
            cpu = "-" if co is None else \
                f"{fmt(co)} / {fmt(cl)} {cu}" if cl is not None else \
                f"{fmt(co)} {cu}"
            org = self.origin.get(key.replace("before_", ""))
            lines.append(
                f"| {label} | {fmt(d)} | {fmt(t)} {unit} | "
                f"{'-' if ratio is None else f'{ratio:.2f}x'} | "
                f"{fmt(lg)} | {'-' if lr is None else f'{lr:.2f}x'} | "
                f"{cpu} | {'-' if org is None else fmt(org) + ' ' + cu} | "
                f"{', '.join(tgt_s)} | {', '.join(met)} |")
        return "\n".join(lines)


def fmt(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"


def commit():
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main(argv):
    reps, base = 3, None
    if "--reps" in argv:
        i = argv.index("--reps")
        reps = max(1, int(argv[i + 1]))
        del argv[i:i + 2]
    if "--base" in argv:       # keepalive and connrate also through BIN
        i = argv.index("--base")
        base = os.path.abspath(argv[i + 1])
        del argv[i:i + 2]
    parts = [a for a in argv if not a.startswith("-")] or \
        ["keepalive", "connrate", "bulk", "idle"]
    bad = set(parts) - {"keepalive", "bulk", "connrate", "idle"}
    if bad:
        print(f"unknown part(s) {sorted(bad)}; parts: keepalive bulk "
              "connrate idle", file=sys.stderr)
        return 2
    if not os.access(BIN, os.X_OK):
        print(f"{BIN} not built (make)", file=sys.stderr)
        return 2
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (200000, 200000))
    except (ValueError, OSError):
        pass                   # not root: the hard limit stays
    b = Bench(quick="--quick" in argv, reps=reps, base=base)
    t0 = time.monotonic()
    load0 = loadavg()
    try:
        b.start()
        for p in parts:
            getattr(b, f"part_{p}")()
        for _, pc in b.servers(True):
            pc.pids()
            if pc.proc.poll() is not None:
                print("portcullis exited during the run!", file=sys.stderr)
    finally:
        b.cleanup()
    took = time.monotonic() - t0
    head = (f"# portcullis benchmark {datetime.date.today()}\n\n"
            f"commit {commit()}, {platform.node()}, {os.cpu_count()} CPUs, "
            f"Linux {platform.release()}, run took {took:.0f} s; parts: "
            f"{' '.join(parts)}{' (quick)' if b.quick else ''}"
            f"{f'; [--base] rows: {base}' if base else ''}; load "
            f"average at start {load0}, at end {loadavg()}.\n"
            "nginx 1 worker, access_log off, sendfile; two portcullis "
            "servers, default pool (one worker per CPU per service), one "
            "without access log (off) and one with `log FILE`; all on "
            "loopback. Every figure is the median of "
            f"{b.reps} repetitions that interleave direct, off and log.\n"
            "Server CPU = utime+stime of master and workers over the "
            "repetition / requests, connections or GB moved.\n"
            "Connections/s: bench/connrate.c, one process, "
            f"{PAR} sessions in parallel, each connect, handshake "
            "(SOCKS5 no-auth greeting then CONNECT; HTTP CONNECT), one "
            "byte echoed by bench/connrate.c's echo origin, close; direct "
            "= the same without the proxy; Connection: close = one GET of "
            "/small.html per connection, read to EOF; origin CPU = what "
            "the echo origin (nginx's worker for HTTP) spends per "
            "connection in the direct run, a floor for one end of one "
            "connection.\n"
            "MB = 10^6 bytes, GB = 10^9 bytes. Bulk: 1 stream = 1 GiB, "
            "8 streams = 8 x 256 MiB (--quick: 256 MiB, 8 x 64 MiB); the "
            "bare splice relay (bench/bare_relay.c: blocking splice, no "
            "policy) is this machine's floor for CPU s/GB.\n\n")
    text = head + b.table() + "\n"
    print()
    print(text)
    out = HERE / f"results-{datetime.date.today()}.md"
    out.write_text(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
