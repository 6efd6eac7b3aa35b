"""A throwaway PostgreSQL cluster for the ODBC tests (test_odbc.py,
test_fleet.py): initdb + pg_ctl as the postgres user in its own directory
under /tmp, on a free loopback port; skipped with the reason when that
cannot run.  stop()/start() take the server down and up again on the same
data (an outage); destroy() removes it."""
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pc_server import IS_ROOT, free_port

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_DRIVER = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"


class Cluster:
    def __init__(self):
        if not IS_ROOT:
            pytest.skip("PostgreSQL test runs the cluster as the postgres "
                        "user (needs root)")
        if not (os.path.exists(f"{PG_BIN}/initdb") and
                os.path.exists(PG_DRIVER)):
            pytest.skip("postgresql-15 or odbc-postgresql not installed")
        if shutil.which("psql") is None:
            pytest.skip("psql not installed")
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no postgres user")
        # pytest's tmp_path lies under a root-only directory: the cluster
        # gets its own directory in /tmp, removed by destroy()
        self.dir = Path(tempfile.mkdtemp(prefix="pc-pg-"))
        os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        self.port = free_port()
        r = self.as_pg(f"{PG_BIN}/initdb", "-D", str(self.dir / "data"),
                       "-A", "trust", "-U", "postgres")
        if r.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            pytest.skip(f"initdb failed: {r.stderr[-300:]}")
        if not self.start():
            shutil.rmtree(self.dir, ignore_errors=True)
            pytest.skip("pg_ctl start failed")

    def as_pg(self, *cmd, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--"] +
                              list(cmd), capture_output=True, text=True,
                              timeout=timeout, cwd="/")

    def start(self):
        r = self.as_pg(f"{PG_BIN}/pg_ctl", "-D", str(self.dir / "data"),
                       "-w", "-l", str(self.dir / "pg.log"), "-o",
                       f"-p {self.port} -k {self.dir} "
                       "-c listen_addresses=127.0.0.1", "start")
        return r.returncode == 0

    def stop(self, mode="fast"):
        r = self.as_pg(f"{PG_BIN}/pg_ctl", "-D", str(self.dir / "data"),
                       "-m", mode, "-w", "stop")
        return r.returncode == 0

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def dsn(self):
        return (f"DRIVER={{PostgreSQL Unicode}};Server=127.0.0.1;"
                f"Port={self.port};Database=postgres")

    def psql(self, sql):
        r = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-h",
                            "127.0.0.1", "-p", str(self.port), "-U",
                            "postgres", "-At", "-c", sql],
                           capture_output=True, text=True, timeout=30,
                           cwd="/")
        assert r.returncode == 0, r.stderr
        return r.stdout.splitlines()


def pg_cluster(tmp_path=None):
    """(port, dir, destroy) of a new cluster (test_odbc.py's form)."""
    c = Cluster()
    return c.port, c.dir, c.destroy


def psql(port, sql):
    r = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-h",
                        "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "-At", "-c", sql], capture_output=True, text=True,
                       timeout=30, cwd="/")
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()
