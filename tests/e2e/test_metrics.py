"""GET /metrics of the admin service: the master's books in the Prometheus
text format 0.0.4, read with Debian's python3-prometheus-client parser.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_metrics.py -k reload

Spec: issue 12 item 4.  Per service (labels service, address, port):
connections active and accepted, requests by %E class, bytes, auth
failures, bandwidth waits, DNS lookups/hits/failures; per worker slot:
restarts and their cause; the master: reloads, generation, log records per
target, the ODBC queue, the counters.  The figures come from the access-log
records and the workers' 1 Hz heartbeats, so a test waits (bounded) for
them to arrive.
"""
import os
import signal

from prometheus_client.parser import text_string_to_metric_families

from clients import connect, curl
from pc_server import cfg_head, free_port, pid_holding_inode, tcp_inode, \
    wait_for


def scrape(port, *extra):
    r = curl([*extra, f"http://127.0.0.1:{port}/metrics"])
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/plain; version=0.0.4")
    return r.body.decode()


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(aport, metric, **labels):
    """Sum of the samples of metric whose labels include labels."""
    total = 0
    for fam in text_string_to_metric_families(scrape(aport)):
        for s in fam.samples:
            if s.name == metric and all(s.labels.get(k) == str(v)
                                      for k, v in labels.items()):
                total += s.value
    return total


def start(portcullis, body, *ports, head=None):
    ap = free_port()
    cfg = (head or cfg_head()) + body.replace("ADMINPORT", str(ap))
    srv = portcullis(cfg, ports=[ap, *ports])
    srv.ap = ap
    return srv


def admin_line():
    return ("flush\nauth iponly\nallow * * * * ADMIN\n"
            "admin -i127.0.0.1 -pADMINPORT\n")


def test_format_every_family_has_help_and_type(portcullis):
    pp = free_port()
    srv = start(portcullis, f"proxy -i127.0.0.1 -p{pp}\n" + admin_line(), pp)
    text = scrape(srv.ap)
    fams = families(text)
    for name in ("portcullis_connections_active",
                 "portcullis_connections_accepted",
                 "portcullis_requests", "portcullis_received_bytes",
                 "portcullis_sent_bytes", "portcullis_auth_failures",
                 "portcullis_bandlimit_waits", "portcullis_dns_lookups",
                 "portcullis_dns_cache_hits", "portcullis_dns_failures",
                 "portcullis_worker_restarts", "portcullis_worker_up",
                 "portcullis_reloads", "portcullis_config_generation",
                 "portcullis_log_records_written",
                 "portcullis_log_records_dropped",
                 "portcullis_odbc_queue_depth",
                 "portcullis_odbc_send_retries",
                 "portcullis_counter_bytes",
                 "portcullis_counter_limit_bytes"):
        assert name in fams, name
    # every family in the text is announced by # HELP and # TYPE
    for name, fam in fams.items():
        assert name.startswith("portcullis_")
        full = name + "_total" if fam.type == "counter" else name
        assert f"# HELP {full} " in text, name
        assert f"# TYPE {full} {fam.type}\n" in text, name
    up = [s for s in fams["portcullis_worker_up"].samples
          if s.labels["service"] == "proxy"]
    assert up and all(s.labels["port"] == str(pp) for s in up)
    assert fams["portcullis_config_generation"].samples[0].value == 1


def test_traffic_counted(portcullis, origin):
    pp = free_port()
    srv = start(portcullis, "users alice:CL:apw\nauth strong\nallow alice\n"
                f"proxy -i127.0.0.1 -p{pp}\n" + admin_line(), pp)
    svc = {"service": "proxy", "port": pp}
    assert value(srv.ap, "portcullis_connections_accepted_total", **svc) == 0
    sizes = [1000, 20000, 50000, 3, 70000]
    for n in sizes:
        r = curl(["-x", f"http://127.0.0.1:{pp}", "-U", "alice:apw",
                  origin.url(f"/big/{n}")])
        assert r.status == 200 and len(r.body) == n, r
    n = len(sizes)
    assert wait_for(lambda: value(
        srv.ap, "portcullis_connections_accepted_total", **svc) == n, 10)
    assert wait_for(lambda: value(srv.ap, "portcullis_requests_total",
                                  **svc, **{"class": "ok"}) == n, 10)
    assert value(srv.ap, "portcullis_received_bytes_total",
                 **svc) >= sum(sizes)
    assert value(srv.ap, "portcullis_sent_bytes_total", **svc) > 0
    # log records: one per request into the file target
    assert value(srv.ap, "portcullis_log_records_written_total",
                 kind="file") >= n
    assert value(srv.ap, "portcullis_log_records_dropped_total") == 0
    # a wrong password and an unknown user: refused and counted
    r = curl(["-x", f"http://127.0.0.1:{pp}", "-U", "alice:wrong",
              origin.url("/hello")])
    assert r.status == 407, r
    r = curl(["-x", f"http://127.0.0.1:{pp}", "-U", "mallory:x",
              origin.url("/hello")])
    assert r.status == 407, r
    assert wait_for(lambda: value(
        srv.ap, "portcullis_auth_failures_total", **svc,
        reason="wrong_password") == 1, 10)
    assert value(srv.ap, "portcullis_auth_failures_total", **svc,
                 reason="unknown_user") == 1
    assert value(srv.ap, "portcullis_requests_total", **svc,
                 **{"class": "auth"}) == 2
    # a connection held open is active
    s = connect(pp)
    assert wait_for(lambda: value(
        srv.ap, "portcullis_connections_active", **svc) == 1, 10)
    s.close()
    assert wait_for(lambda: value(
        srv.ap, "portcullis_connections_active", **svc) == 0, 10)


def test_same_auth_and_acl_as_the_pages(portcullis):
    srv = start(portcullis, "users alice:CL:apw bob:CL:bpw\nauth strong\n"
                "allow alice * * * ADMIN\ndeny *\n"
                "admin -i127.0.0.1 -pADMINPORT\n")
    r = curl([f"http://127.0.0.1:{srv.ap}/metrics"])
    assert r.status == 401, r
    assert b"portcullis_" not in r.body
    assert curl(["-u", "bob:bpw",
                 f"http://127.0.0.1:{srv.ap}/metrics"]).status in (401, 403)
    assert "portcullis_config_generation 1" in scrape(srv.ap, "-u",
                                                      "alice:apw")


def test_reload_counted_and_generation(portcullis):
    pp = free_port()
    body = f"proxy -i127.0.0.1 -p{pp}\n" + admin_line()
    srv = start(portcullis, body, pp)
    assert value(srv.ap, "portcullis_reloads_total", result="ok") == 0
    srv.reload()
    assert wait_for(lambda: value(srv.ap, "portcullis_reloads_total",
                                  result="ok") == 1, 10)
    assert wait_for(lambda: value(srv.ap,
                                  "portcullis_config_generation") == 2, 10)
    # a broken file: counted as failed, the generation stays
    srv.write_config(cfg_head() + "proxy -pNOTAPORT\n")
    srv.reload()
    assert wait_for(lambda: value(srv.ap, "portcullis_reloads_total",
                                  result="failed") == 1, 10)
    assert value(srv.ap, "portcullis_config_generation") == 2
    assert value(srv.ap, "portcullis_reloads_total", result="ok") == 1


def test_killed_worker_restart_and_cause(portcullis):
    pp = free_port()
    srv = start(portcullis, f"proxy -i127.0.0.1 -p{pp}\n" + admin_line(), pp)
    svc = {"service": "proxy", "port": pp}
    assert value(srv.ap, "portcullis_worker_restarts_total", **svc) == 0
    s = connect(pp)
    pid = wait_for(lambda: pid_holding_inode(
        srv.worker_pids(), tcp_inode(pp, s.getsockname()[1])), 10)
    assert pid
    os.kill(pid, signal.SIGKILL)
    s.close()
    assert wait_for(lambda: value(
        srv.ap, "portcullis_worker_restarts_total", **svc, cause="signal",
        detail="SIGKILL") == 1, 10)
    fam = families(scrape(srv.ap))["portcullis_worker_restarts"]
    rows = [x for x in fam.samples if x.labels["service"] == "proxy"]
    assert len(rows) == 1 and rows[0].labels["slot"] in ("1", "2"), rows
    # the slot is filled again
    assert wait_for(lambda: value(srv.ap, "portcullis_worker_up",
                                  **svc) == 2, 10)


def test_dns_and_bandwidth_figures(portcullis, origin, dns):
    pp = free_port()
    srv = start(portcullis, "bandlimin 400000 *\n"
                f"proxy -i127.0.0.1 -p{pp}\n" + admin_line(), pp,
                head=cfg_head(dns=dns))
    svc = {"service": "proxy", "port": pp}
    url = f"http://origin.test:{origin.port}/big/60000"
    for _ in range(2):
        r = curl(["-x", f"http://127.0.0.1:{pp}", url])
        assert r.status == 200 and len(r.body) == 60000, r
    r = curl(["-x", f"http://127.0.0.1:{pp}",
              f"http://nothing.test:{origin.port}/"])
    assert r.status == 502, r
    assert wait_for(lambda: value(srv.ap, "portcullis_dns_lookups_total",
                                  **svc) >= 3, 10)
    assert value(srv.ap, "portcullis_dns_failures_total", **svc) >= 1
    # answers are kept at least 1 s (dnsmasq's TTL is 0): quick small
    # requests after one that resolved find the name in the cache
    for _ in range(8):
        r = curl(["-x", f"http://127.0.0.1:{pp}",
                  f"http://origin.test:{origin.port}/hello"])
        assert r.status == 200, r
    assert wait_for(lambda: value(srv.ap, "portcullis_dns_cache_hits_total",
                                  **svc) >= 1, 10)
    # 60000 bytes at 400 kbit/s: the limit held the transfers
    assert wait_for(lambda: value(srv.ap, "portcullis_bandlimit_waits_total",
                                  **svc) >= 1, 10)
    assert value(srv.ap, "portcullis_bandlimit_wait_seconds_total",
                 **svc) > 0


def test_counters_and_a_text_of_many_pieces(portcullis, origin):
    """300 counter rules: the text is longer than one IPC reply, and
    arrives whole and consistent."""
    pp = free_port()
    rules = "".join(f"countin {i}/rule{i} D {i + 100} * 10.{i % 250}.0.1\n"
                    for i in range(1, 300))
    srv = start(portcullis, "counter {dir}/ct.bin\n" + rules +
                "countin 300/web D 100 *\n" +
                f"proxy -i127.0.0.1 -p{pp}\n" + admin_line(), pp)
    r = curl(["-x", f"http://127.0.0.1:{pp}", origin.url("/big/50000")])
    assert r.status == 200, r
    text = scrape(srv.ap)
    assert len(text) > 3 * 16000
    fams = families(text)
    got = fams["portcullis_counter_bytes"].samples
    assert len(got) == 300
    lim = {s.labels["number"]: s.value
           for s in fams["portcullis_counter_limit_bytes"].samples}
    assert lim["300"] == 100 * 1024 * 1024 and lim["7"] == 107 * 1024 * 1024
    assert wait_for(lambda: value(srv.ap, "portcullis_counter_bytes",
                                  number=300, name="web") >= 50000, 10)
    assert value(srv.ap, "portcullis_counter_bytes", number=7) == 0
    # the text ends where the last family ends
    assert text.endswith("\n")
    assert text.rstrip("\n").rsplit("\n", 1)[1].startswith(
        "portcullis_counter_enabled{")
