"""ODBC access logging: `log &DSN,USER,PASS` and `-l&...` with an SQL
logformat, executed by the master's ODBC helper process (issue 5 item 1).

SQLite through Debian's libsqliteodbc (driver "SQLite3"), both as a
DSN-less connection string and as a DSN from an odbc.ini in the test's
directory (ODBCINI / ODBCSYSINI); PostgreSQL with odbc-postgresql against a
throwaway cluster the test starts as the postgres user (skipped with the
reason when that cannot run).  Also: a database that is unavailable (the
table does not exist yet) keeps the records and writes them when it
returns; a killed helper is restarted; quotes in request text cannot break
out of the SQL string.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_odbc.py -k missing
"""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from clients import curl
from pc_server import BIN, clean_env, free_port, proc_status, \
    wait_for

SQLITE_DRIVER = "/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so"

TABLE = ("CREATE TABLE proxystat (t INTEGER, client TEXT, usr TEXT, "
         "bytes INTEGER, req TEXT)")
# the HowTo's form: -\'+_ turns \ and ' into _, G = UTC
HOWTO_FMT = ("-\\'+_GINSERT INTO proxystat VALUES "
             "(%t, '%C', '%U', %I, '%T')")
# no filter: portcullis doubles ' in %U %n %T itself
PLAIN_FMT = "GINSERT INTO proxystat VALUES (%t, '%C', '%U', %I, '%T')"

pytestmark = pytest.mark.skipif(
    not os.path.exists(SQLITE_DRIVER),
    reason="libsqliteodbc not installed (contrib/install-deps.sh test)")


def make_db(path, table=True):
    c = sqlite3.connect(path)
    if table:
        c.execute(TABLE)
        c.commit()
    c.close()


def rows(path, like="GET %"):
    try:
        c = sqlite3.connect(path, timeout=5)
        r = c.execute("SELECT t, client, usr, bytes, req FROM proxystat "
                      "WHERE req LIKE ? ORDER BY rowid", (like,)).fetchall()
        c.close()
        return r
    except sqlite3.OperationalError:
        return []


def wait_rows(path, n, timeout=10.0, like="GET %"):
    return wait_for(lambda: len(rows(path, like)) >= n and rows(path, like),
                    timeout) or rows(path, like)


def get(port, origin, path):
    r = curl(["-x", f"http://127.0.0.1:{port}", origin.url(path)])
    assert r.status in (200, 404), r


def helper_pid(srv):
    m = wait_for(lambda: re.findall(r"ODBC helper pid (\d+) started",
                                    srv.stderr()), 5)
    assert m, srv.stderr()
    return int(m[-1])


def sqlite_cfg(db, fmt, port):
    return (f'log "&DRIVER=SQLite3;Database={db}"\n'
            f'logformat "{fmt}"\nproxy -i127.0.0.1 -p{port}\n')


def test_rows_arrive_with_values(portcullis, origin, tmp_path):
    db = str(tmp_path / "log.db")
    make_db(db)
    port = free_port()
    srv = portcullis(sqlite_cfg(db, HOWTO_FMT, port))
    helper_pid(srv)
    t0 = int(time.time())
    for i in range(3):
        get(port, origin, f"/odbc/{i}")
    got = wait_rows(db, 3)
    assert len(got) == 3, (got, srv.stderr())
    for i, (t, client, usr, nbytes, req) in enumerate(got):
        assert abs(t - t0) < 30
        assert client == "127.0.0.1" and usr == "-"
        assert nbytes > 0
        assert req == f"GET {origin.url(f'/odbc/{i}')} HTTP/1.1"
    # the master's own service record goes the same way
    assert rows(db, "Accepting connections%"), srv.stderr()


def test_helper_confined(portcullis, origin, tmp_path):
    """Issue 14 item 4: the helper keeps uid 0 (the database is root's)
    but no capability, NO_NEW_PRIVS, the master's deny-list plus its own
    (no exec): two filters; rows still arrive."""
    db = str(tmp_path / "c.db")
    make_db(db)
    port = free_port()
    srv = portcullis(sqlite_cfg(db, HOWTO_FMT, port))
    st = proc_status(helper_pid(srv))
    for f in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
        assert st[f] == "0000000000000000", (f, st[f])
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    assert st["Seccomp_filters"] == "2"
    get(port, origin, "/confined")
    got = wait_rows(db, 1)
    assert got and "/confined" in got[0][4], (got, srv.stderr())


def test_filter_prefix_and_doubled_quotes(portcullis, origin, tmp_path):
    """With the HowTo's -\\'+_ prefix a quote becomes _; without a prefix
    it is doubled, so the value arrives intact and the statement cannot be
    broken out of (the second request would otherwise run a DROP)."""
    db1, db2 = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    make_db(db1)
    make_db(db2)
    p1, p2 = free_port(), free_port()
    portcullis(sqlite_cfg(db1, HOWTO_FMT, p1), name="howto")
    srv = portcullis(sqlite_cfg(db2, PLAIN_FMT, p2), name="plain")
    evil = "/q'x');DROP%20TABLE%20proxystat;--"
    get(p1, origin, "/q'x")
    get(p2, origin, "/q'x")
    get(p2, origin, evil)
    a = wait_rows(db1, 1)
    assert a and a[0][4].endswith("/q_x HTTP/1.1"), a
    b = wait_rows(db2, 2)
    assert len(b) == 2, (b, srv.stderr())
    assert b[0][4].endswith("/q'x HTTP/1.1"), b
    assert b[1][4].endswith(evil + " HTTP/1.1"), b


def test_table_missing_then_created(portcullis, origin, tmp_path):
    """The database refuses every statement (no table): records stay
    queued in the helper, the failure is reported, and once the table
    exists all of them are written, in order."""
    db = str(tmp_path / "late.db")
    make_db(db, table=False)
    port = free_port()
    srv = portcullis(sqlite_cfg(db, HOWTO_FMT, port))
    for i in range(4):
        get(port, origin, f"/late/{i}")
    assert wait_for(lambda: "keeping records" in srv.stderr(), 10), \
        srv.stderr()
    assert rows(db) == []
    make_db(db)
    got = wait_rows(db, 4, timeout=15)
    assert [r[4] for r in got] == [
        f"GET {origin.url(f'/late/{i}')} HTTP/1.1" for i in range(4)], \
        (got, srv.stderr())
    assert wait_for(lambda: "writing again" in srv.stderr(), 5), srv.stderr()


def test_killed_helper_is_restarted(portcullis, origin, tmp_path):
    db = str(tmp_path / "k.db")
    make_db(db)
    port = free_port()
    srv = portcullis(sqlite_cfg(db, HOWTO_FMT, port))
    pid = helper_pid(srv)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: len(re.findall(r"ODBC helper pid \d+ started",
                                           srv.stderr())) >= 2, 10), \
        srv.stderr()
    assert "killed by signal 9" in srv.stderr()
    new = helper_pid(srv)
    assert new != pid
    srv.known_workers.add(new)
    get(port, origin, "/after-restart")
    got = wait_rows(db, 1)
    assert got and "/after-restart" in got[0][4], (got, srv.stderr())
    assert srv.running()


def test_stopped_helper_does_not_stall_the_master(portcullis, origin,
                                                  tmp_path):
    """A helper that hangs (SIGSTOP, as a driver stuck in a network call
    would) holds nothing up: requests are served and logged to the file
    target of another service meanwhile, and the queued statements reach
    the database once it runs again."""
    db = str(tmp_path / "s.db")
    make_db(db)
    port, port2 = free_port(), free_port()
    srv = portcullis(sqlite_cfg(db, HOWTO_FMT, port) +
                     f"log {{log}}\nlogformat \"L%T\"\n"
                     f"proxy -i127.0.0.1 -p{port2}\n")
    pid = helper_pid(srv)
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        for i in range(20):
            get(port, origin, f"/stalled/{i}")
            get(port2, origin, f"/file/{i}")
        assert time.monotonic() - t0 < 15
        assert len(srv.wait_log(lambda ln: "/file/" in ln, 20)) == 20
        assert rows(db) == []
    finally:
        os.kill(pid, signal.SIGCONT)
    got = wait_rows(db, 20)
    assert [r[4] for r in got] == [
        f"GET {origin.url(f'/stalled/{i}')} HTTP/1.1" for i in range(20)], \
        srv.stderr()


def test_reload_switches_database(portcullis, origin, tmp_path):
    """SIGHUP with another database: one helper serves both generations
    (messages carry their target), new records go to the new one."""
    db1, db2 = str(tmp_path / "r1.db"), str(tmp_path / "r2.db")
    make_db(db1)
    make_db(db2)
    port = free_port()
    srv = portcullis(sqlite_cfg(db1, HOWTO_FMT, port))
    pid = helper_pid(srv)
    get(port, origin, "/before")
    assert wait_rows(db1, 1), srv.stderr()
    srv.write_config(sqlite_cfg(db2, HOWTO_FMT, port))
    srv.reload()
    assert wait_for(lambda: "generation 2 started" in srv.stderr(), 10), \
        srv.stderr()

    def after():
        get(port, origin, "/after")
        return rows(db2)
    got = wait_for(after, 10, interval=0.5)
    assert got and all("/after" in r[4] for r in got), (got, srv.stderr())
    assert helper_pid(srv) == pid


def test_dsn_from_odbc_ini_and_service_option(portcullis, origin, tmp_path):
    """A DSN name (no '='), found through ODBCINI; `-l&DSN` on the
    service line."""
    db = str(tmp_path / "dsn.db")
    make_db(db)
    ini = tmp_path / "odbc.ini"
    ini.write_text(f"[pclog]\nDriver={SQLITE_DRIVER}\nDatabase={db}\n")
    port = free_port()
    srv = portcullis(f'logformat "{HOWTO_FMT}"\n'
                     f"proxy -i127.0.0.1 -p{port} -l&pclog\n",
                     env={"ODBCINI": str(ini), "ODBCSYSINI": str(tmp_path)})
    get(port, origin, "/dsn")
    got = wait_rows(db, 1)
    assert got and "/dsn" in got[0][4], (got, srv.stderr())


def test_unknown_dsn_is_reported_not_fatal(portcullis, origin, tmp_path):
    port = free_port()
    srv = portcullis(f'log "&nosuchdsn,u,secretpw"\n'
                     f'logformat "{HOWTO_FMT}"\n'
                     f"proxy -i127.0.0.1 -p{port}\n",
                     env={"ODBCINI": str(tmp_path / "none.ini"),
                          "ODBCSYSINI": str(tmp_path)})
    get(port, origin, "/nodsn")
    assert wait_for(lambda: "nosuchdsn: connect failed" in srv.stderr(),
                    10), srv.stderr()
    assert "secretpw" not in srv.stderr()
    assert srv.running()


@pytest.mark.parametrize("spec,reason", [
    ('log "&"', "empty or over-long ODBC data source"),
    ('log "&a,b,c,d"', "expected &DSN[,USER[,PASSWORD]]"),
    ('log "&dsn" D', "a rotation type needs a log file"),
])
def test_bad_odbc_targets(tmp_path, spec, reason):
    p = tmp_path / "bad.cfg"
    p.write_text(spec + "\nproxy -i127.0.0.1 -p3999\n")
    r = subprocess.run([BIN, "-t", str(p)], capture_output=True, text=True,
                       timeout=10, env=clean_env())
    assert r.returncode == 1 and reason in r.stderr, r.stderr


# ---- PostgreSQL ----------------------------------------------------------

from pgcluster import pg_cluster, psql  # noqa: E402


def test_postgresql(portcullis, origin, tmp_path):
    if shutil.which("psql") is None:
        pytest.skip("psql not installed")
    pgport, _, stop = pg_cluster(tmp_path)
    try:
        psql(pgport, TABLE.replace("INTEGER", "BIGINT"))
        port = free_port()
        dsn = (f"DRIVER={{PostgreSQL Unicode}};Server=127.0.0.1;"
               f"Port={pgport};Database=postgres")
        srv = portcullis(f'log "&{dsn},postgres,unused"\n'
                         f'logformat "{PLAIN_FMT}"\n'
                         f"proxy -i127.0.0.1 -p{port}\n")
        get(port, origin, "/pg/1")
        get(port, origin, "/pg/o'k")

        def got():
            r = psql(pgport, "SELECT client, req FROM proxystat WHERE req "
                     "LIKE 'GET %' ORDER BY req")
            return r if len(r) >= 2 else None
        r = wait_for(got, 15)
        assert r, srv.stderr()
        assert r[0] == f"127.0.0.1|GET {origin.url('/pg/1')} HTTP/1.1"
        quoted = origin.url("/pg/o'k")
        assert r[1] == f"127.0.0.1|GET {quoted} HTTP/1.1"
        assert "unused" not in srv.stderr()
    finally:
        stop()
