"""Fleet mode: `counter &DSN` counters shared by three nodes through one
PostgreSQL (issue 11; docs/fleet.md).

One cluster for the module (tests/e2e/pgcluster.py: initdb in /tmp, on
loopback), three portcullis nodes per test, each test on its own counter
NUMBER.  Checked: a user downloading through the three nodes in turn is
cut when the fleet's total crosses the limit (within one batch); the
database stopped mid-test and started again loses no byte and counts none
twice; a node SIGKILLed and restarted goes on from the database's total;
a period's row is one for the fleet; `users &DSN` reads users at start and
at SIGHUP on every node, and no worker holds their passwords.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_fleet.py -k outage
"""
import base64
import os
import re
import signal
import time

import pytest

from clients import curl, get_status_len
from pc_server import cfg_head, free_port, records, wait_for
from pgcluster import Cluster
from pwhash import md5_crypt, nt_hash

MIB = 1048576
AUTH = base64.b64encode(b"alice:pw").decode()


@pytest.fixture(scope="module")
def pg():
    c = Cluster()
    yield c
    c.destroy()


def total(pg, num):
    """The fleet's bytes of counter num over its rows (0 when none)."""
    r = pg.psql("SELECT coalesce(sum(bytes), 0) FROM "
                f"portcullis_fleet_counters WHERE num = {num}")
    return int(r[0]) if r else 0


def rows(pg, num):
    return pg.psql("SELECT period_start, bytes FROM portcullis_fleet_counters "
                   f"WHERE num = {num} ORDER BY period_start")


def node(portcullis, pg, name, rules, extra="", tmp=None, batch=256,
         admin=False):
    port = free_port()
    ap = free_port() if admin else None
    tail = ("flush\nauth iponly\nallow * * * * ADMIN\n"
            f"admin -i127.0.0.1 -p{ap}\n") if admin else ""
    state = f"{tmp}/{name}.state" if tmp is not None else ""
    srv = portcullis(cfg_head() +
                     f'counter "&{pg.dsn()},postgres,unused"\n'
                     f'fleet {name} "{state}" {batch}\n{extra}'
                     "users alice:CL:pw\nauth strong\n" + rules +
                     f"allow alice\nproxy -i127.0.0.1 -p{port}\n" + tail,
                     name=name)
    srv.port, srv.ap = port, ap
    return srv


def learnt(srv, num, want, timeout=10):
    """Waits until the node's counter num (its slot: the fleet's total as
    the node knows it, /metrics) is at least want; the value."""
    def slot():
        r = curl([f"http://127.0.0.1:{srv.ap}/metrics"])
        m = re.search(rf'^portcullis_counter_bytes{{[^}}]*number="{num}"'
                      r"[^}]*} (\d+)$", r.body.decode(), re.M)
        return int(m.group(1)) if m else 0
    wait_for(lambda: slot() >= want, timeout, interval=0.1)
    return slot()


def metric(srv, name):
    """The value of an unlabelled sample of the node's /metrics."""
    r = curl([f"http://127.0.0.1:{srv.ap}/metrics"])
    assert r.status == 200, r
    m = re.search(rf"^{name} (\S+)$", r.body.decode(), re.M)
    assert m, r.body.decode()[-2000:]
    return float(m.group(1))


def get(port, url, timeout=15, auth=AUTH):
    """Status line and body bytes until the connection ends."""
    return get_status_len(port, url, timeout,
                          f"Proxy-Authorization: Basic {auth}\r\n")


def counted(srvs, n):
    """Bytes the nodes' access logs say came from the servers (%I), once
    the n downloads (/big/, /chunked/) made so far are logged."""
    def recs():
        got = []
        for s in srvs:
            got += [r for r in records(s, "/", count=0, timeout=0)
                    if "/big/" in r["text"] or "/chunked/" in r["text"]]
        return got if len(got) >= n else None
    got = wait_for(recs, 10)
    assert got, [s.log_lines() for s in srvs]
    return sum(int(r["in"]) for r in got)


def settle(pg, num, want, timeout=15):
    """Waits until the database's total of num is want; the total."""
    wait_for(lambda: total(pg, num) >= want, timeout, interval=0.2)
    return total(pg, num)


def test_quota_holds_across_three_nodes(portcullis, pg, origin, tmp_path):
    """8 MiB for alice over the fleet: 3 MiB through node a, 3 through b,
    then c cuts its transfer at about the 2 MiB left (one batch of 256 KiB
    and the proxy's own head are the slack), and every node refuses
    the next request."""
    rules = "countin 11/alice D 8 alice\n"
    a, b, c = (node(portcullis, pg, n, rules, admin=True)
               for n in ("fa1", "fb1", "fc1"))
    for srv in (a, b):
        status, n = get(srv.port, origin.url("/big/3145728"))
        assert status.startswith(b"HTTP/1.1 200") and n == 3145728, status
    want = counted([a, b], 2)
    assert settle(pg, 11, want) == want, (total(pg, 11), want)
    assert learnt(c, 11, want) == want    # c's batch came back
    status, n = get(c.port, origin.url("/chunked/6000000"))
    left = 8 * MIB - want
    print(f"fleet quota: {want} B through a and b, c cut after {n} B of "
          f"{left} B left")
    assert left - 65536 <= n <= left + 256 * 1024 + 65536, (n, left)
    fleet = settle(pg, 11, 8 * MIB)
    print(f"fleet total {fleet} B, limit {8 * MIB} B, over by "
          f"{fleet - 8 * MIB} B")
    assert 8 * MIB <= fleet <= 8 * MIB + 256 * 1024 + 65536, fleet
    for srv in (a, b, c):
        assert learnt(srv, 11, fleet) >= fleet
        status, n = get(srv.port, origin.url("/big/1000"))
        assert status.startswith(b"HTTP/1.0 503"), (srv.dir, status)
    recs = records(c, "/chunked/6000000")
    assert recs and recs[0]["err"] == "00010", recs


@pytest.mark.parametrize("batch_kb,num", [(64, 15), (1024, 16)])
def test_concurrent_overshoot_within_the_bound(portcullis, pg, origin,
                                               batch_kb, num):
    """Three nodes download at about 2 MB/s each at the same time from an
    8 MiB quota: each is cut, and the fleet's overshoot stays within
    docs/fleet.md's bound 2 k r w, w = min(1 s, max(B/r, 0.1 s)) + R
    (R: 0.05 s allowed for the database's round trip on a loaded
    machine), plus one 64 KiB read per node."""
    import threading
    rate = 2000000
    rules = f"countin {num}/alice D 8 alice\n"
    srvs = [node(portcullis, pg, f"f{n}{num}", rules, batch=batch_kb)
            for n in "abc"]
    got = [None] * 3

    def run(i):
        got[i] = get(srvs[i].port,
                     origin.url(f"/big/4000000?rate={rate}"), timeout=20)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert all(g is not None and g[0].startswith(b"HTTP/1.1 200")
               for g in got), got
    # the quota was crossed and cut what was still moving (a node that
    # learns late may finish its download: that is the overshoot)
    assert sum(g[1] for g in got) > 8 * MIB, got
    assert any(g[1] < 4000000 for g in got), got
    received = sum(g[1] for g in got)
    want = counted(srvs, 3)
    fleet = settle(pg, num, want)
    w = min(1.0, max(batch_kb * 1024 / rate, 0.1)) + 0.05
    bound = 2 * 3 * rate * w + 3 * 65536
    print(f"fleet overshoot: batch {batch_kb} KiB, 3 nodes at "
          f"{rate} B/s: clients got {received} B, fleet total {fleet} B, "
          f"over by {fleet - 8 * MIB} B (bound {int(bound)} B)")
    assert fleet == want, (fleet, want)
    assert fleet - 8 * MIB <= bound, (fleet, bound)


def test_outage_loses_nothing(portcullis, pg, origin, tmp_path):
    """PostgreSQL stopped while the nodes move bytes and started again:
    the database ends with exactly the bytes the nodes counted, with the
    quota still enforced from the last total plus local bytes meanwhile."""
    rules = "countin 12/alice D 100 alice\n"
    srvs = [node(portcullis, pg, n, rules, admin=n == "fa2")
            for n in ("fa2", "fb2", "fc2")]
    status, n = get(srvs[0].port, origin.url("/big/2000000"))
    assert n == 2000000
    first = counted(srvs, 1)
    assert settle(pg, 12, first) == first
    assert metric(srvs[0], "portcullis_fleet_answer_age_seconds") < 1.5
    assert pg.stop()
    try:
        for i, srv in enumerate(srvs):
            status, n = get(srv.port, origin.url(f"/big/{1000000 * (i + 1)}"))
            assert n == 1000000 * (i + 1), (i, status, n)
        time.sleep(1.5)            # batches fail and are kept
        # node a: one batch kept, its 1 MB unconfirmed, no answer since
        assert metric(srvs[0], "portcullis_fleet_batches_queued") == 1
        assert metric(srvs[0], "portcullis_fleet_unconfirmed_bytes") > 1000000
        assert metric(srvs[0], "portcullis_fleet_answer_age_seconds") >= 1
    finally:
        assert pg.start()
    want = counted(srvs, 4)
    assert want >= first + 6000000
    assert settle(pg, 12, want, timeout=20) == want, (total(pg, 12), want)
    time.sleep(1.2)                  # no batch is applied twice
    assert total(pg, 12) == want
    for srv in srvs:
        assert "counting locally" in srv.stderr(), srv.stderr()
    # a batch goes every second: between two, none is waiting
    assert wait_for(lambda: metric(srvs[0], "portcullis_fleet_batches_queued")
                    == 0 and metric(srvs[0],
                                    "portcullis_fleet_unconfirmed_bytes") == 0,
                    10, interval=0.1)


def test_killed_node_goes_on_from_the_database(portcullis, pg, origin,
                                               tmp_path):
    """A node SIGKILLed and started again learns the fleet's total: the
    quota still holds for it; what it had not charged (at most its last
    batch) is all the fleet can lose."""
    rules = "countin 13/alice D 4 alice\n"
    a = node(portcullis, pg, "fa3", rules, tmp=tmp_path, admin=True)
    b = node(portcullis, pg, "fb3", rules, tmp=tmp_path)
    status, n = get(b.port, origin.url("/big/3000000"))
    assert n == 3000000
    want = counted([b], 1)
    assert settle(pg, 13, want) == want
    a.signal(signal.SIGKILL)
    a.kill()
    a.start()
    assert learnt(a, 13, want) == want
    # 1 MiB + 48 KiB is left of 4 MiB: 2 MB do not fit (Content-Length)
    status, n = get(a.port, origin.url("/big/2000000"))
    assert status.startswith(b"HTTP/1.0 503"), status
    status, n = get(a.port, origin.url("/chunked/3000000"))
    assert n <= 4 * MIB - want + 256 * 1024 + 65536, n


def test_restarts_while_the_database_is_down(portcullis, pg, origin,
                                             tmp_path):
    """With the database down, node a is SIGKILLed and node b stopped
    (SIGTERM) after moving bytes; both start again and the database comes
    back: the state files charge everything they counted (a moved its
    bytes more than a second before the kill, the state file's period),
    nothing twice."""
    rules = "countin 17/alice D 100 alice\n"
    a = node(portcullis, pg, "fa7", rules, tmp=tmp_path)
    b = node(portcullis, pg, "fb7", rules, tmp=tmp_path)
    assert pg.stop()
    try:
        assert get(a.port, origin.url("/big/1500000"))[1] == 1500000
        assert get(b.port, origin.url("/big/700000"))[1] == 700000
        want = counted([a, b], 2)
        time.sleep(1.5)               # a state file write has passed
        a.signal(signal.SIGKILL)
        a.kill()
        assert b.stop() == 0
        assert "the state file keeps them" in b.stderr(), b.stderr()
        a.start()
        b.start()
        time.sleep(1.0)               # batches fail and are kept again
    finally:
        assert pg.start()
    assert settle(pg, 17, want, timeout=20) == want, (rows(pg, 17), want)
    time.sleep(1.2)
    assert total(pg, 17) == want, (rows(pg, 17), want)


def test_new_period_is_a_new_row_on_every_node(portcullis, pg, origin,
                                               tmp_path):
    """A used-up quota starts again on every node when its period changes
    (here a reload from D to N, never: the same path as the calendar's
    day change, the period start in the row's key moves, to 0), and the
    old row keeps its bytes."""
    rules = "countin 18/alice D 2 alice\n"
    a, b = (node(portcullis, pg, n, rules) for n in ("fa8", "fb8"))
    status, n = get(a.port, origin.url("/chunked/3000000"))
    assert n < 3000000
    time.sleep(1.2)
    assert get(b.port, origin.url("/big/1000"))[0].startswith(b"HTTP/1.0 503")
    day = rows(pg, 18)
    assert len(day) == 1, day
    for srv in (a, b):
        srv.write_config(srv.cfg_text.replace("countin 18/alice D",
                                              "countin 18/alice N"))
        srv.reload()
    time.sleep(1.2)
    for srv in (a, b):
        status, n = get(srv.port, origin.url("/big/500000"))
        assert status.startswith(b"HTTP/1.1 200") and n == 500000, status
    want = counted([a, b], 3)
    assert settle(pg, 18, want) == want, (rows(pg, 18), want)
    r = rows(pg, 18)
    assert len(r) == 2 and r[0] != r[1], r
    assert day[0] in r, (day, r)      # the day's row kept its bytes


def test_killed_helper_is_restarted(portcullis, pg, origin):
    """SIGKILL of the fleet helper: the master starts another (after 1 s),
    sends it the unanswered batch, and the database ends with every
    byte once."""
    rules = "countin 19/alice D 100 alice\n"
    a = node(portcullis, pg, "fa9", rules)
    assert get(a.port, origin.url("/big/800000"))[1] == 800000
    pids = wait_for(lambda: re.findall(r"fleet helper pid (\d+) started",
                                       a.stderr()), 5)
    assert pids, a.stderr()
    os.kill(int(pids[-1]), signal.SIGKILL)
    assert get(a.port, origin.url("/big/900000"))[1] == 900000
    assert wait_for(lambda: len(re.findall(r"fleet helper pid \d+ started",
                                           a.stderr())) == 2, 10), a.stderr()
    assert "its batch is sent again" in a.stderr()
    want = counted([a], 2)
    assert settle(pg, 19, want) == want, (rows(pg, 19), want)
    assert stays_at(pg, 19, want)


def stays_at(pg, num, want):
    """No batch applied twice: the total stays at want a batch later."""
    time.sleep(1.2)
    return total(pg, num) == want


def test_period_row_is_one_for_the_fleet(portcullis, pg, origin, tmp_path):
    """A minute counter (C): the row key is the minute's start, the same
    on every node, so the fleet has one row per minute however many nodes
    charged it."""
    rules = "countin 14/alice C 100 alice\n"
    srvs = [node(portcullis, pg, n, rules) for n in ("fa4", "fb4", "fc4")]
    for srv in srvs:
        get(srv.port, origin.url("/big/100000"))
    want = counted(srvs, 3)
    assert settle(pg, 14, want) == want, (rows(pg, 14), want)
    r = rows(pg, 14)
    starts = {int(x.split("|")[0]) for x in r}
    assert all(s % 60 == 0 for s in starts), r
    assert len(r) == len(starts) <= 2, r


def test_users_from_the_database(portcullis, pg, origin, tmp_path):
    """`users &DSN`: two nodes take their users from portcullis_users at
    start; a user added (and one removed) in the database reaches both
    with SIGHUP; the file's users go on working; no worker holds a
    database password."""
    pg.psql("CREATE TABLE IF NOT EXISTS portcullis_users (name text "
            "PRIMARY KEY, password text NOT NULL)")
    pg.psql("DELETE FROM portcullis_users")
    pg.psql("INSERT INTO portcullis_users VALUES ('bob', 'CL:bob-pw'), "
            "('dave', 'CL:dave-never-sent-by-a-client'), "
            f"('erin', 'CR:{md5_crypt('erin-pw')}'), "
            f"('fay', 'NT:{nt_hash('fay-pw')}')")
    srvs = []
    for name in ("ua", "ub"):
        port = free_port()
        srv = portcullis(cfg_head() +
                         f'users alice:CL:pw "&{pg.dsn()},postgres,x"\n'
                         "auth strong\nallow *\n"
                         f"proxy -i127.0.0.1 -p{port}\n", name=name)
        srv.port = port
        srvs.append(srv)

    def basic(user, pw):
        return base64.b64encode(f"{user}:{pw}".encode()).decode()

    def status(srv, user, pw):
        return get(srv.port, origin.url("/big/10"), auth=basic(user, pw))[0]

    def all_are(user, pw, want):
        return all(status(s, user, pw).split(b" ")[1] == want for s in srvs)
    assert wait_for(lambda: all_are("bob", "bob-pw", b"200"), 10), \
        [s.stderr() for s in srvs]
    assert all_are("bob", "wrong", b"407")
    assert all_are("erin", "erin-pw", b"200")       # a crypt(3) hash
    assert all_are("erin", "bob-pw", b"407")
    assert all_are("fay", "fay-pw", b"200")         # an NT hash
    assert all_are("alice", "pw", b"200")
    assert all_are("carol", "carol-pw", b"407")
    pg.psql("INSERT INTO portcullis_users VALUES ('carol', 'carol-pw')")
    pg.psql("DELETE FROM portcullis_users WHERE name = 'bob'")
    for s in srvs:
        s.reload()
    assert wait_for(lambda: all_are("carol", "carol-pw", b"200") and
                    all_are("bob", "bob-pw", b"407"), 10), \
        [s.stderr() for s in srvs]
    assert all_are("alice", "pw", b"200")
    for s in srvs:
        assert "users read from the database" in s.stderr()
    # the new generation's workers were forked while the master held
    # dave's password (no client ever sent it): they wiped it first
    # (fleet_users_wipe), the master has it
    secret = b"dave-never-sent-by-a-client"
    assert holds(srvs[0].pid, secret) is True
    for s in srvs:
        helpers = {int(p) for p in re.findall(r"fleet helper pid (\d+) "
                                              "started", s.stderr())}
        workers = [p for p in s.worker_pids() if p not in helpers]
        assert workers and helpers
        for pid in workers:
            assert holds(pid, secret) is False, pid


def holds(pid, needle):
    """True when a writable private mapping of pid holds needle (None
    when its memory cannot be read)."""
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb")
    except OSError:
        return None
    found = False
    with mem:
        for ln in maps:
            f = ln.split()
            if len(f) < 2 or not f[1].startswith("rw"):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if hi - lo > 256 * MIB:
                continue
            try:
                mem.seek(lo)
                if needle in mem.read(hi - lo):
                    found = True
            except OSError:
                continue
    return found


@pytest.mark.parametrize("line,token,reason", [
    ("fleet bad/name\n", "bad/name", "a node name is"),
    ("fleet n1 st 0\n", "0", "batch must be"),
    ('counter "&"\n', "&", "empty or over-long ODBC data source"),
    ('counter "&dsn,u,p,x"\n', "&dsn,u,p,x", "expected &DSN"),
    ('users "&a" "&b"\n', "&b", "a second users database"),
])
def test_bad_fleet_lines(tmp_path, line, token, reason):
    """Errors name file:line:token and the server does not start."""
    import subprocess
    from pc_server import BIN, clean_env
    p = tmp_path / "bad.cfg"
    p.write_text("proxy -i127.0.0.1 -p3128\n" + line)
    r = subprocess.run([BIN, "-t", str(p)], capture_output=True, text=True,
                       timeout=10, env=clean_env())
    assert r.returncode == 1, r.stderr
    assert f"{p}:2: {token}: {reason}" in r.stderr, r.stderr
