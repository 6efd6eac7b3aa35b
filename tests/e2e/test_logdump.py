"""`logdump IN OUT` (3proxy's): a long tunnel gets a record each time IN
more bytes came from the server or OUT more went to it, before it ends;
as in 3proxy each counts from the tunnel's start, and the last record
(at the end) holds the totals.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_logdump.py

Client: a raw SOCKS5 tunnel to conftest's TCP echo server.
"""
from clients import echo_roundtrip, socks5_open
from pc_server import cfg_head, free_port

LOGF = "G%N|%E|%I|%O|%T"


def start(portcullis, extra):
    port = free_port()
    srv = portcullis(cfg_head(logformat=LOGF, extra=extra) +
                     f"socks -i127.0.0.1 -p{port}\n", ports=[port])
    srv.port = port
    return srv


def records(srv, echo, count):
    lines = srv.wait_log(lambda ln: f"CONNECT 127.0.0.1:{echo.port}" in ln,
                         count, 10.0)
    return [tuple(int(x) for x in ln.split("|")[1:4]) for ln in lines]


def test_records_while_the_tunnel_runs(portcullis, echo):
    srv = start(portcullis, "logdump 100000 0\n")
    s, code = socks5_open(srv.port, "127.0.0.1", echo.port)
    assert code == 0
    assert echo_roundtrip(s, 350000)
    # a record while the tunnel is still open
    early = records(srv, echo, 1)
    assert early[0][1] >= 100000
    s.close()
    # and the end's: one more
    recs = records(srv, echo, len(early) + 1)
    ins = [i for _, i, _ in recs]
    assert all(e == 0 for e, _, _ in recs)
    assert ins == sorted(ins) and ins[0] >= 100000
    assert ins[-1] == 350000 and recs[-1][2] == 350000


def test_out_direction_and_off(portcullis, echo):
    srv = start(portcullis, "logdump 0 200000\n")
    s, code = socks5_open(srv.port, "127.0.0.1", echo.port)
    assert code == 0
    assert echo_roundtrip(s, 450000)
    early = records(srv, echo, 1)
    assert early[0][2] >= 200000
    s.close()
    recs = records(srv, echo, len(early) + 1)
    outs = [o for _, _, o in recs]
    assert outs == sorted(outs) and outs[-1] == 450000
    # without logdump: the end's record only, with the totals
    srv = start(portcullis, "")
    s, code = socks5_open(srv.port, "127.0.0.1", echo.port)
    assert echo_roundtrip(s, 450000)
    assert srv.wait_log(lambda ln: "CONNECT" in ln, 1, 1.0) == []
    s.close()
    assert records(srv, echo, 1) == [(0, 450000, 450000)]
