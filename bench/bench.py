"""portcullis benchmark (issue 2 item 9).  `make bench` or
`sh bench/run.sh [part ...] [--quick] [--nolog]`; parts: keepalive bulk
connrate idle (default: all).

Starts nginx (origin, own temp conf) and build/portcullis (generated config:
proxy, socks, tcppm to nginx) on loopback and measures each figure against
direct access to nginx in the same run; prints a table and writes it to
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

from benchlib import (BIN, PY, REPO, Nginx, Portcullis, free_port,
                      kill_pid, listening, stat, wait_for)

HERE = Path(__file__).resolve().parent
LOADGEN = str(HERE / "loadgen.py")
GB = 1e9
MB = 1e6

# Issue 2 targets: (metric key, comparison, value)
TARGETS = {
    "ka50": (">=", 0.25, "ratio"),
    "bulk1_connect": (">=", 0.42, "ratio"),
    "bulk1_socks": (">=", 0.42, "ratio"),
    "bulk1_tcppm": (">=", 0.42, "ratio"),
    "cpu_connect": ("<=", 0.25, "value"),
    "cpu_socks": ("<=", 0.25, "value"),
    "cpu_tcppm": ("<=", 0.25, "value"),
    "conn_socks": (">=", 0.30, "ratio"),
    "idle_rss": ("<=", 60.0, "value"),
}


class Bench:
    def __init__(self, quick=False, log=True):
        self.quick = quick
        self.rows = []            # (key, label, direct, through, unit)
        self.tmp = Path(tempfile.mkdtemp(prefix="pc-bench-"))
        self.nginx = Nginx(self.tmp)
        self.pc = Portcullis(self.tmp, self.nginx.port, log=log)
        self.helpers = []
        self.bare = None          # bare_relay.c process: the CPU floor
        self.bare_port = None

    # ---- bookkeeping -------------------------------------------------------
    def row(self, key, label, direct, through, unit):
        self.rows.append((key, label, direct, through, unit))
        ratio = f"{through / direct:.2f}x" if direct and through is not None \
            else "-"
        print(f"  {label:42s} direct {fmt(direct):>10s}  portcullis "
              f"{fmt(through):>10s} {unit:8s} {ratio}", flush=True)

    def spawn(self, args, **kw):
        p = subprocess.Popen([PY, LOADGEN] + args, text=True, **kw)
        self.helpers.append(p)
        return p

    def cleanup(self):
        for p in self.helpers:
            if p.poll() is None:
                kill_pid(p.pid)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    kill_pid(p.pid, 9)
        if self.bare is not None and self.bare.poll() is None:
            kill_pid(self.bare.pid)
            self.bare.wait(5)
        self.pc.stop()
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
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: (.*)", out)
        rps = float(m.group(1)) if m else 0.0
        if bad or errs:
            print(f"    wrk -c{conns} {'proxy' if absolute else 'direct'}: "
                  f"{bad.group(0) if bad else ''} "
                  f"{errs.group(0) if errs else ''}", flush=True)
        return rps

    def part_keepalive(self):
        print("keep-alive requests/s (wrk, 2 threads, /small.html)")
        for c in (50, 500):
            d = self.wrk(c, self.nginx.port, False)
            t = self.wrk(c, self.pc.pp, True)
            self.row(f"ka{c}", f"HTTP keep-alive, {c} connections", d, t,
                     "req/s")

    # ---- bulk MB/s and CPU s/GB -------------------------------------------
    def curl_args(self, mode):
        n = self.nginx
        return {
            "direct": [n.url("/big.bin")],
            "connect": ["-p", "-x", f"http://127.0.0.1:{self.pc.pp}",
                        n.url("/big.bin")],
            "socks": ["--socks5", f"127.0.0.1:{self.pc.sp}",
                      n.url("/big.bin")],
            "tcppm": [f"http://127.0.0.1:{self.pc.tp}/big.bin"],
            "bare": [f"http://127.0.0.1:{self.bare_port}/big.bin"],
        }[mode]

    def start_bare(self):
        """Builds and starts bench/bare_relay.c (a policy-free blocking
        splice relay) in front of nginx; False when it cannot."""
        exe = self.tmp / "bare_relay"
        r = subprocess.run(["cc", "-O2", "-o", str(exe),
                            str(HERE / "bare_relay.c"), "-lpthread"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"    bare_relay not built: {r.stderr.strip()}")
            return False
        self.bare_port = free_port()
        self.bare = subprocess.Popen([str(exe), str(self.bare_port),
                                      str(self.nginx.port)])
        return wait_for(lambda: listening(self.bare_port), 5)

    def cpu_of(self, mode):
        if mode == "bare":
            st = stat(self.bare.pid)
            return st[2] / os.sysconf("SC_CLK_TCK") if st else 0.0
        return self.pc.cpu_seconds()

    def bulk(self, mode, streams, size):
        """Wall-clock MB/s of `streams` parallel curls of `size` bytes each,
        and the server's CPU seconds per GB moved."""
        rng = ["-r", f"0-{size - 1}"] if size < self.nginx.big else []
        cpu0 = self.cpu_of(mode)
        t0 = time.monotonic()
        procs = [subprocess.Popen(
            ["curl", "-s", "-o", "/dev/null", "--max-time", "120", "-w",
             "%{size_download}"] + rng + self.curl_args(mode),
            stdout=subprocess.PIPE, text=True) for _ in range(streams)]
        total = 0
        for p in procs:
            out, _ = p.communicate(timeout=180)
            total += int(float(out or 0))
        wall = time.monotonic() - t0
        cpu = self.cpu_of(mode) - cpu0
        if total < streams * size:
            print(f"    {mode} x{streams}: short transfer {total} of "
                  f"{streams * size} bytes", flush=True)
        return total / wall / MB, (cpu / (total / GB) if total else None)

    def part_bulk(self):
        """Rounds interleave the modes (direct, the three services and the
        bare splice relay), so a noisy neighbour hits them alike.  MB/s is
        the best round; CPU s/GB is the median round (1 stream only)."""
        rounds = 3
        print(f"bulk MB/s (curl -o /dev/null; best of {rounds}) and server "
              f"CPU s/GB (median of {rounds})")
        size1 = (256 << 20) if self.quick else self.nginx.big
        size8 = (64 << 20) if self.quick else (256 << 20)
        modes = ["direct", "connect", "socks", "tcppm"]
        bare = self.start_bare()
        best = {}
        for streams, size in ((1, size1), (8, size8)):
            ms = modes + (["bare"] if bare and streams == 1 else [])
            runs = {m: [] for m in ms}
            for _ in range(rounds):
                for m in ms:
                    runs[m].append(self.bulk(m, streams, size))
            for m in ms:
                cpus = sorted(r[1] for r in runs[m] if r[1] is not None)
                best[(m, streams)] = (max(r[0] for r in runs[m]),
                                      cpus[len(cpus) // 2] if cpus else None)
            d = best[("direct", streams)][0]
            for mode, label in (("connect", "HTTP CONNECT"),
                                ("socks", "SOCKS5"), ("tcppm", "tcppm")):
                self.row(f"bulk{streams}_{mode}",
                         f"bulk {label}, {streams} stream(s)", d,
                         best[(mode, streams)][0], "MB/s")
        # the floor: the same download through a policy-free splice relay,
        # shown in the "direct" column of the CPU rows
        floor = None
        if bare:
            floor = best[("bare", 1)][1]
            self.row("bulk1_bare", "bulk bare splice relay (reference), 1 "
                     "stream", best[("direct", 1)][0], best[("bare", 1)][0],
                     "MB/s")
        for mode, label in (("connect", "HTTP CONNECT"), ("socks", "SOCKS5"),
                            ("tcppm", "tcppm")):
            self.row(f"cpu_{mode}", f"server CPU per GB, {label}, 1 stream "
                     "(direct column: bare splice relay)",
                     floor, best[(mode, 1)][1], "s/GB")

    # ---- SOCKS5 connections/s ------------------------------------------------
    def rate(self, mode, secs, get):
        procs = []
        for _ in range(4):
            args = ["rate", mode,
                    str(self.nginx.port if mode == "direct" else self.pc.sp),
                    str(self.nginx.port), str(secs)]
            if get:
                args += ["get", f"127.0.0.1:{self.nginx.port}"]
            procs.append(self.spawn(args, stdout=subprocess.PIPE))
        ok = err = 0
        for p in procs:
            out, _ = p.communicate(timeout=secs + 30)
            m = re.search(r"ok (\d+) errors (\d+)", out or "")
            if m:
                ok += int(m.group(1))
                err += int(m.group(2))
        if err:
            print(f"    {mode}{' +GET' if get else ''}: {err} failed "
                  "connections", flush=True)
        return ok / secs

    def part_connrate(self):
        print("SOCKS5 connections/s (4 client processes, open+close)")
        secs = 3 if self.quick else 5
        for get in (False, True):
            d = self.rate("direct", secs, get)
            time.sleep(1)
            t = self.rate("socks", secs, get)
            time.sleep(1)
            key = "conn_socks_get" if get else "conn_socks"
            label = "SOCKS5 conn/s, tunnel + one GET" if get else \
                "SOCKS5 conn/s, open + close"
            self.row(key, label, d, t, "conn/s")

    # ---- RSS with 10,000 idle tunnels --------------------------------------
    def part_idle(self):
        n = 2000 if self.quick else 10000
        print(f"RSS of all server processes with {n} idle SOCKS5 tunnels")
        sink = self.spawn(["sink"], stdout=subprocess.PIPE)
        sport = int(sink.stdout.readline())
        base = self.pc.rss_kb()
        holders = []
        per = n // 4
        for _ in range(4):
            holders.append(self.spawn(["hold", str(self.pc.sp), str(sport),
                                       str(per)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE))
        ready = 0
        t0 = time.monotonic()
        for h in holders:
            line = h.stdout.readline()
            if line.startswith("ready"):
                ready += int(line.split()[1])
            else:
                print(f"    holder: {line.strip()}", flush=True)
        print(f"    {ready} tunnels open in {time.monotonic() - t0:.1f} s",
              flush=True)
        time.sleep(1.0)
        rss = self.pc.rss_kb()
        pss = self.pc.pss_kb()
        for h in holders:
            h.stdin.close()
        for h in holders:
            h.wait(30)
        kill_pid(sink.pid)
        sink.wait(10)
        self.row("idle_rss", f"total RSS, {ready} idle tunnels", None,
                 rss / 1024, "MB")
        self.row("idle_pss", f"total PSS, {ready} idle tunnels", None,
                 pss / 1024, "MB")
        self.row("idle_per", "RSS per idle tunnel (minus idle baseline)",
                 None, (rss - base) / max(ready, 1), "KiB")
        if ready < n:
            print(f"    only {ready} of {n} tunnels opened", flush=True)

    # ---- report ---------------------------------------------------------------
    def table(self):
        lines = ["| figure | direct | portcullis | ratio | target | met |",
                 "| --- | ---: | ---: | ---: | --- | --- |"]
        for key, label, d, t, unit in self.rows:
            ratio = t / d if d and t is not None else None
            tgt = TARGETS.get(key)
            met, tgt_s = "", ""
            if tgt:
                op, val, kind = tgt
                x = ratio if kind == "ratio" else t
                tgt_s = f"{op} {val}{'x' if kind == 'ratio' else ' ' + unit}"
                if x is not None:
                    met = "yes" if (x >= val if op == ">=" else x <= val) \
                        else "NO"
            lines.append(f"| {label} | {fmt(d)} | {fmt(t)} {unit} | "
                         f"{'-' if ratio is None else f'{ratio:.2f}x'} | "
                         f"{tgt_s} | {met} |")
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


def main(argv):
    parts = [a for a in argv if not a.startswith("-")] or \
        ["keepalive", "bulk", "connrate", "idle"]
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
    b = Bench(quick="--quick" in argv, log="--nolog" not in argv)
    t0 = time.monotonic()
    try:
        b.nginx.start()
        b.pc.start()
        for p in parts:
            getattr(b, f"part_{p}")()
        b.pc.pids()
        if b.pc.proc.poll() is not None:
            print("portcullis exited during the run!", file=sys.stderr)
    finally:
        b.cleanup()
    took = time.monotonic() - t0
    head = (f"# portcullis benchmark {datetime.date.today()}\n\n"
            f"commit {commit()}, {platform.node()}, {os.cpu_count()} CPUs, "
            f"Linux {platform.release()}, run took {took:.0f} s; parts: "
            f"{' '.join(parts)}{' (quick)' if b.quick else ''}; access log "
            f"{'off' if '--nolog' in argv else 'on (file)'}.\n"
            "nginx 1 worker, access_log off, sendfile; portcullis default "
            "pool (one worker per CPU per service); all on loopback.\n"
            "MB = 10^6 bytes, GB = 10^9 bytes. Bulk: 3 interleaved "
            "rounds, MB/s the best, CPU the median; 1 stream = 1 GiB, "
            "8 streams = 8 x 256 MiB (--quick: 256 MiB, 8 x 64 MiB); "
            "CPU = utime+stime of master and workers over the run / GB "
            "moved; the bare splice relay (bench/bare_relay.c: blocking "
            "splice, no policy) is this machine's floor for it.\n"
            "Connections/s: 4 Python client processes; 'open + close' = "
            "TCP connect (+ SOCKS5 no-auth CONNECT) and close; direct = TCP "
            "connect to nginx and close.\n\n")
    text = head + b.table() + "\n"
    print()
    print(text)
    out = HERE / f"results-{datetime.date.today()}.md"
    out.write_text(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
