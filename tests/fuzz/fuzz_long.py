#!/usr/bin/python3
"""Long libFuzzer runs of the fuzz targets (`make fuzz-long`).

    fuzz_long.py [--cpu-seconds N] [--jobs J] [--out FILE] TARGET...

Each TARGET is a libFuzzer binary of `make fuzz` (build-fuzz/fuzz/fuzz_NAME).
It runs on a scratch copy of tests/fuzz/corpus/NAME until the process has
used N seconds of CPU (not wall time: the machine may be shared; a run also
stops after 4 N seconds of wall time), then the grown corpus is minimised
into tests/fuzz/corpus/NAME with -merge=1 (only inputs that add
features are added; the hand-written seeds stay).  A crash stops that target:
its input is kept as tests/fuzz/corpus/NAME/crash-* (a regression seed once
the bug is fixed) and reported.  One line per target goes to --out as a
Markdown table row: executions, coverage (cov), features (ft), corpus files
before and after, CPU seconds, crashes.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def cpu_seconds(pid):
    """utime + stime of a live process, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def run_one(binary, cpu_budget):
    name = os.path.basename(binary).removeprefix("fuzz_")
    corpus = os.path.join(ROOT, "tests/fuzz/corpus", name)
    os.makedirs(corpus, exist_ok=True)
    before = len(os.listdir(corpus))
    work = tempfile.mkdtemp(prefix=f"fuzz-{name}-")
    scratch = os.path.join(work, "corpus")
    shutil.copytree(corpus, scratch)
    artifacts = os.path.join(work, "artifacts") + "/"
    os.makedirs(artifacts)
    log = open(os.path.join(work, "log.txt"), "w+")
    proc = subprocess.Popen(
        [binary, "-print_final_stats=1", "-max_len=65536",
         f"-artifact_prefix={artifacts}", scratch],
        stdout=log, stderr=subprocess.STDOUT)
    used, t0 = 0.0, time.monotonic()
    while proc.poll() is None:
        time.sleep(2)
        used = max(used, cpu_seconds(proc.pid))
        if used >= cpu_budget or time.monotonic() - t0 > 4 * cpu_budget:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    log.seek(0)
    text = log.read()
    crashes = sorted(os.listdir(artifacts))
    for c in crashes:
        shutil.copy(os.path.join(artifacts, c), os.path.join(corpus, c))
    # minimise: only inputs that add features join the committed corpus,
    # whose hand-written seeds stay as they are
    subprocess.run([binary, "-merge=1", "-max_len=65536", corpus, scratch],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, timeout=1800)
    after = len(os.listdir(corpus))
    execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    stats = re.findall(r"#\d+\s+\w+\s+cov: (\d+) ft: (\d+)", text)
    cov, ft = stats[-1] if stats else ("?", "?")
    row = (f"| {name} | {execs[-1] if execs else '?'} | {cov} | {ft} | "
           f"{before} | {after} | {used:.0f} | {len(crashes)} |")
    if crashes:
        print(f"{name}: CRASH, see {work}/log.txt", file=sys.stderr)
    else:
        shutil.rmtree(work)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu-seconds", type=float, default=600)
    ap.add_argument("--out", default=None)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    rows = []
    for t in a.targets:
        row = run_one(t, a.cpu_seconds)
        print(row, flush=True)
        rows.append(row)
        if a.out:
            with open(a.out, "a") as f:
                f.write(row + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
