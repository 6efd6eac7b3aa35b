"""SOCKS BIND (SOCKS5 and SOCKS4) and SOCKS5 UDP ASSOCIATE, end to end.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_socks_bind_udp.py -k udp

Spec: issue 4 item 1; RFC 1928 sections 4 (BIND, UDP ASSOCIATE), 6 (the
two BIND replies, BND.ADDR/BND.PORT of the UDP relay) and 7 (the UDP
header, FRAG, dropping what cannot be relayed); the SOCKS4 BIND protocol
(two replies, code 90/91); 3proxy-language.md 2.1 (%T `BIND host:port`,
`UDPMAP host:port`) and 2.4 (operations CONNECT, BIND, UDPASSOC);
3proxy-behaviour.md "SOCKS" (reply codes; the BIND peer must come from the
requested address unless it is 0.0.0.0; the UDP reply carries the relay on
the internal address; datagrams to the client carry their real source).

Deliberate difference from 3proxy: portcullis listen()s before the first
BIND reply, so a peer connecting as soon as the client has the port is never
refused (3proxy replies first; an early peer can get a refusal).

UDP targets are echo servers this file starts on 127.0.0.1 and ::1; BIND
peers are plain sockets of the test.  Every socket has a timeout of at most
5 s; "nothing arrives" is checked with short waits.
"""
import ipaddress
import os
import socket
import struct
import threading
import time

import pytest
import socks

from clients import connect, recv_exact, socks5_addr, socks5_greet
from pc_server import cfg_head, free_port, records, wait_for

T = 5.0          # every socket timeout of this file
QUIET = 0.8      # how long "nothing arrives" is watched


# ---- servers and helpers ----------------------------------------------------

class UdpEcho:
    """UDP echo on host: sends every datagram back to its sender and
    remembers (source, data) of what it got."""

    def __init__(self, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.got = []
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.got.append((src, data))
            try:
                self.sock.sendto(data, src)
            except OSError:
                pass

    def received(self, data):
        return any(d == data for _, d in self.got)

    def stop(self):
        self.stopping = True
        self.t.join(2)
        self.sock.close()


@pytest.fixture
def uecho():
    e = UdpEcho("127.0.0.1")
    yield e
    e.stop()


def socks_cfg(port, acl="", dns=None, extra="", opts=""):
    return (cfg_head(dns, extra=extra) + (f"{acl}\n" if acl else "") +
            f"socks -i127.0.0.1 -p{port}{opts}\n")


def start(portcullis, **kw):
    port = free_port()
    srv = portcullis(socks_cfg(port, **kw))
    srv.port = port
    return srv


@pytest.fixture
def sk(portcullis):
    return start(portcullis)


def read_addr(s, atyp):
    if atyp == 1:
        raw = recv_exact(s, 6)
        return str(ipaddress.IPv4Address(raw[:4])), struct.unpack(
            ">H", raw[4:])[0]
    if atyp == 4:
        raw = recv_exact(s, 18)
        return str(ipaddress.IPv6Address(raw[:16])), struct.unpack(
            ">H", raw[16:])[0]
    if atyp == 3:
        n = recv_exact(s, 1)[0]
        raw = recv_exact(s, n + 2)
        return raw[:n].decode(), struct.unpack(">H", raw[n:])[0]
    raise ValueError(f"bad SOCKS5 address type {atyp}")


def s5_reply(s):
    """One SOCKS5 reply: (code, host, port)."""
    head = recv_exact(s, 4)
    assert head[0] == 5 and head[2] == 0, head
    host, port = read_addr(s, head[3])
    return head[1], host, port


def s5_command(port, cmd, host, dport, source=None):
    """Greeting, then a request; returns (socket, first reply)."""
    s = connect(port, timeout=T, source=source)
    assert socks5_greet(s) == b"\x05\x00"
    s.sendall(bytes([5, cmd, 0]) + socks5_addr(host) +
              struct.pack(">H", dport))
    return s, s5_reply(s)


def s4_reply(s):
    rep = recv_exact(s, 8)
    assert rep[0] == 0, rep
    return rep[1], str(ipaddress.IPv4Address(rep[4:8])), \
        struct.unpack(">H", rep[2:4])[0]


def s4_bind(port, host, dport, userid=b"tester"):
    s = connect(port, timeout=T)
    s.sendall(b"\x04\x02" + struct.pack(">H", dport) +
              ipaddress.IPv4Address(host).packed + userid + b"\x00")
    return s, s4_reply(s)


def udp_header(host, port, frag=0):
    return b"\x00\x00" + bytes([frag]) + socks5_addr(host) + \
        struct.pack(">H", port)


def parse_udp(d):
    """(frag, host, port, data) of a datagram from the relay."""
    assert d[:2] == b"\x00\x00", d[:8]
    atyp = d[3]
    if atyp == 1:
        host, off = str(ipaddress.IPv4Address(d[4:8])), 8
    elif atyp == 4:
        host, off = str(ipaddress.IPv6Address(d[4:20])), 20
    else:
        raise AssertionError(f"relay answered with address type {atyp}")
    return d[2], host, struct.unpack(">H", d[off:off + 2])[0], d[off + 2:]


def udp_sock(source="127.0.0.1"):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((source, 0))
    u.settimeout(T)
    return u


def recv_or_none(u, wait=QUIET):
    u.settimeout(wait)
    try:
        return u.recvfrom(65535)
    except (socket.timeout, ConnectionRefusedError):
        return None
    finally:
        u.settimeout(T)


def associate(srv, hint=("0.0.0.0", 0)):
    """UDP ASSOCIATE; returns (tcp socket, (relay host, relay port))."""
    s, (code, host, port) = s5_command(srv.port, 3, hint[0], hint[1])
    assert code == 0, code
    return s, (host, port)


def relay_once(u, relay, host, port, data, attempts=3):
    """Send data for host:port through the relay until an answer comes
    (UDP may drop); returns the parsed answer."""
    for _ in range(attempts):
        u.sendto(udp_header(host, port) + data, relay)
        got = recv_or_none(u, 1.5)
        if got is not None:
            assert got[1] == relay, (got[1], relay)
            return parse_udp(got[0])
    raise AssertionError(f"no answer through the relay for {host}:{port}")


def both_ways(a, b, n):
    """n bytes from a to b and n other bytes from b to a at the same time;
    True when both arrive byte-exact."""
    da = os.urandom(n)
    db = os.urandom(n)
    got = {}

    def send(s, d):
        try:
            s.sendall(d)
        except OSError:
            pass

    def read(s, key):
        try:
            got[key] = recv_exact(s, n)
        except (OSError, EOFError) as e:
            got[key] = e
    ts = [threading.Thread(target=send, args=(a, da), daemon=True),
          threading.Thread(target=send, args=(b, db), daemon=True),
          threading.Thread(target=read, args=(b, "b"), daemon=True)]
    for t in ts:
        t.start()
    read(a, "a")
    for t in ts:
        t.join(T)
    return got.get("b") == da and got.get("a") == db


def closed_by_peer(s, wait=T):
    """True when s sees EOF or a reset within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


# ---- UDP ASSOCIATE ----------------------------------------------------------

def test_udp_raw_ipv4(sk, uecho):
    """The reply names the relay on the address the client reached (code 0,
    a real port); a datagram sent there reaches the echo server and its
    answer comes back with the header naming the echo server."""
    s, relay = associate(sk)
    u = udp_sock()
    try:
        assert relay[0] == "127.0.0.1" and relay[1] != 0, relay
        frag, host, port, data = relay_once(u, relay, "127.0.0.1",
                                            uecho.port, b"ping-v4")
        assert (frag, host, port, data) == (0, "127.0.0.1", uecho.port,
                                            b"ping-v4")
        # the echo server saw the datagram without the SOCKS header
        assert uecho.received(b"ping-v4")
        # the same association carries more datagrams
        for i in range(5):
            msg = b"again-%d" % i
            assert relay_once(u, relay, "127.0.0.1", uecho.port,
                              msg)[3] == msg
    finally:
        u.close()
        s.close()


@pytest.mark.parametrize("rdns", [True, False], ids=["rdns", "nordns"])
def test_udp_pysocks(sk, uecho, rdns):
    """PySocks binds its UDP socket and names ("0", port) in the request:
    with rdns (its default) that is ATYP 3, the name "0", which only hints
    at the client's source and must not need resolving; without rdns it
    is 0.0.0.0."""
    u = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
    u.set_proxy(socks.SOCKS5, "127.0.0.1", sk.port, rdns=rdns)
    u.settimeout(T)
    try:
        for i in range(3):
            msg = b"pysocks-%d" % i
            u.sendto(msg, ("127.0.0.1", uecho.port))
            data, src = u.recvfrom(65535)
            assert data == msg
            assert src == ("127.0.0.1", uecho.port)
    finally:
        u.close()


def test_udp_name_target_via_nsrecord(portcullis, uecho):
    """ATYP 3 resolved by the worker (nsrecord, no name server); the answer
    names the real address.  Two names in a row: the second is not lost
    behind the first resolution."""
    srv = start(portcullis, extra="nscache 65536\nnsrecord udp.test "
                "127.0.0.1\nnsrecord udp2.test 127.0.0.1")
    s, relay = associate(srv)
    u = udp_sock()
    try:
        for name in ("udp.test", "udp2.test", "udp.test"):
            msg = name.encode() + b"-data"
            frag, host, port, data = relay_once(u, relay, name, uecho.port,
                                                msg)
            assert (host, port, data) == ("127.0.0.1", uecho.port, msg)
    finally:
        u.close()
        s.close()


def test_udp_unresolvable_name_dropped(portcullis, dns, uecho):
    srv = start(portcullis, dns=dns)
    s, relay = associate(srv)
    u = udp_sock()
    try:
        u.sendto(udp_header("gone.nx.test", uecho.port) + b"lost", relay)
        assert recv_or_none(u) is None
        assert not uecho.received(b"lost")
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"still")[3] == b"still"
    finally:
        u.close()
        s.close()


def ipv6_echo_or_skip():
    try:
        return UdpEcho("::1")
    except OSError as e:
        pytest.skip(f"::1 unusable here: {e}")


def test_udp_ipv6_target(sk):
    e6 = ipv6_echo_or_skip()
    s, relay = associate(sk)
    u = udp_sock()
    try:
        frag, host, port, data = relay_once(u, relay, "::1", e6.port,
                                            b"ping-v6")
        assert (frag, host, port, data) == (0, "::1", e6.port, b"ping-v6")
    finally:
        u.close()
        s.close()
        e6.stop()


def test_udp_client_over_ipv6(portcullis):
    """Client and relay on ::1: the reply names ::1."""
    e6 = ipv6_echo_or_skip()
    port = free_port()
    srv = portcullis(cfg_head() + f"socks -i::1 -p{port}\n")
    try:
        s = connect(port, "::1", timeout=T)
        assert socks5_greet(s) == b"\x05\x00"
        s.sendall(b"\x05\x03\x00" + socks5_addr("::") + b"\x00\x00")
        code, rhost, rport = s5_reply(s)
        assert code == 0 and rhost == "::1" and rport != 0
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.bind(("::1", 0))
        u.settimeout(T)
        u.sendto(udp_header("::1", e6.port) + b"six", ("::1", rport))
        d, src = u.recvfrom(65535)
        assert src[:2] == ("::1", rport)
        assert parse_udp(d) == (0, "::1", e6.port, b"six")
        u.close()
        s.close()
    finally:
        e6.stop()
    assert srv.running()


def test_udp_fragment_dropped(sk, uecho):
    s, relay = associate(sk)
    u = udp_sock()
    try:
        u.sendto(udp_header("127.0.0.1", uecho.port, frag=1) + b"frag1",
                 relay)
        u.sendto(udp_header("127.0.0.1", uecho.port, frag=0x81) + b"frag2",
                 relay)
        assert recv_or_none(u) is None
        assert not uecho.received(b"frag1") and not uecho.received(b"frag2")
        # the association is still there for whole datagrams
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"whole")[3] == b"whole"
    finally:
        u.close()
        s.close()


def test_udp_malformed_headers_dropped(sk, uecho):
    s, relay = associate(sk)
    u = udp_sock()
    try:
        for junk in (b"", b"\x00", b"\x00\x00\x00", b"\x00\x00\x00\x01\x7f",
                     b"\x01\x00\x00\x01\x7f\x00\x00\x01\x00\x50x",
                     b"\x00\x00\x00\x09\x7f\x00\x00\x01\x00\x50x",
                     b"\x00\x00\x00\x03\x00\x00\x50x",
                     b"\x00\x00\x00\x03\x20ab"):
            u.sendto(junk, relay)
        assert recv_or_none(u) is None
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"after-junk")[3] == b"after-junk"
    finally:
        u.close()
        s.close()
    assert sk.running()


def test_udp_other_source_address_ignored(sk, uecho):
    """The TCP connection comes from 127.0.0.1: a datagram from 127.0.0.2
    is not relayed (nor answered), before or after the client's own."""
    s, relay = associate(sk)
    u = udp_sock("127.0.0.1")
    other = udp_sock("127.0.0.2")
    try:
        other.sendto(udp_header("127.0.0.1", uecho.port) + b"intruder1",
                     relay)
        assert recv_or_none(other) is None
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"mine")[3] == b"mine"
        other.sendto(udp_header("127.0.0.1", uecho.port) + b"intruder2",
                     relay)
        assert recv_or_none(other) is None
        assert not uecho.received(b"intruder1")
        assert not uecho.received(b"intruder2")
    finally:
        other.close()
        u.close()
        s.close()


def test_udp_port_named_in_request_is_the_only_one(sk, uecho):
    """The request names the client's UDP address: another port of the
    same host is ignored."""
    u = udp_sock()
    other = udp_sock()
    s, relay = associate(sk, hint=u.getsockname())
    try:
        other.sendto(udp_header("127.0.0.1", uecho.port) + b"wrong-port",
                     relay)
        assert recv_or_none(other) is None
        assert not uecho.received(b"wrong-port")
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"right-port")[3] == b"right-port"
    finally:
        other.close()
        u.close()
        s.close()


def test_udp_ends_with_tcp_connection(sk, uecho):
    s, relay = associate(sk)
    u = udp_sock()
    try:
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"before")[3] == b"before"
        s.close()
        assert records(sk, "UDPMAP"), sk.log_lines()
        u.sendto(udp_header("127.0.0.1", uecho.port) + b"after", relay)
        assert recv_or_none(u) is None
        assert not uecho.received(b"after")
    finally:
        u.close()
        s.close()


def test_udp_association_outlives_handshake_timeouts(portcullis, uecho):
    """The association lives until its TCP connection ends (or the
    CONNECTION_LONG idle timeout), not for the handshake's STRING_SHORT /
    BYTE_LONG timeouts (set to 2 s here)."""
    srv = start(portcullis, extra="timeouts 1 2 2 60 180 1800 15 60")
    s, relay = associate(srv)
    u = udp_sock()
    try:
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"early")[3] == b"early"
        time.sleep(3.5)
        s.settimeout(0.2)
        with pytest.raises(socket.timeout):
            s.recv(1)       # the TCP connection is still open
        assert relay_once(u, relay, "127.0.0.1", uecho.port,
                          b"late")[3] == b"late"
    finally:
        u.close()
        s.close()


def test_udp_large_datagram_byte_exact(sk, uecho):
    s, relay = associate(sk)
    u = udp_sock()
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        big = os.urandom(60000)
        frag, host, port, data = relay_once(u, relay, "127.0.0.1",
                                            uecho.port, big)
        assert (host, port) == ("127.0.0.1", uecho.port)
        assert data == big
    finally:
        u.close()
        s.close()


def test_udp_log_record(sk, uecho):
    s, relay = associate(sk)
    u = udp_sock()
    try:
        for i in range(4):
            assert relay_once(u, relay, "127.0.0.1", uecho.port,
                              b"%d" % i * 250)[3] == b"%d" % i * 250
    finally:
        u.close()
        s.close()
    recs = records(sk, "UDPMAP 0.0.0.0:0")
    assert recs, sk.log_lines()
    r = recs[0]
    assert r["err"] == "00000", r
    assert int(r["out"]) >= 1000 and int(r["in"]) >= 1000, r


def test_udp_acl_per_destination(portcullis, uecho):
    """`allow * * 127.0.0.1 ECHOPORT UDPASSOC` then `deny *`: the request
    (naming 0.0.0.0:0, no address and no port) is granted, datagrams to the
    echo port pass, datagrams to another port are dropped."""
    other = UdpEcho("127.0.0.1")
    srv = start(portcullis, acl=f"allow * * 127.0.0.1 {uecho.port} "
                "UDPASSOC\ndeny *")
    try:
        s, (code, rhost, rport) = s5_command(srv.port, 3, "0.0.0.0", 0)
        assert code == 0, f"UDP ASSOCIATE refused with reply {code}"
        u = udp_sock()
        try:
            relay = (rhost, rport)
            assert relay_once(u, relay, "127.0.0.1", uecho.port,
                              b"allowed")[3] == b"allowed"
            u.sendto(udp_header("127.0.0.1", other.port) + b"denied", relay)
            assert recv_or_none(u) is None
            assert not other.received(b"denied")
        finally:
            u.close()
            s.close()
    finally:
        other.stop()


def test_udp_acl_connect_only_refuses_associate(portcullis, uecho):
    srv = start(portcullis, acl="allow * * * * CONNECT\ndeny *")
    s, (code, _, _) = s5_command(srv.port, 3, "0.0.0.0", 0)
    try:
        assert code == 2
        assert closed_by_peer(s)
    finally:
        s.close()
    recs = records(srv, "UDPMAP")
    assert recs and recs[0]["err"] != "00000", srv.log_lines()


def test_udp_socks4_has_no_associate(sk):
    """SOCKS4 has no UDP: command 3 is refused (91) or the connection is
    closed; never granted."""
    s = connect(sk.port, timeout=T)
    try:
        s.sendall(b"\x04\x03\x00\x50\x7f\x00\x00\x01\x00")
        rep = s.recv(8)
        assert rep == b"" or (rep[0] == 0 and rep[1] != 90), rep
    except ConnectionResetError:
        pass
    finally:
        s.close()
    assert sk.running()


# ---- BIND -------------------------------------------------------------------

def peer_from(source, port):
    p = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    p.settimeout(T)
    p.bind((source, 0))
    p.connect(("127.0.0.1", port))
    return p


def test_socks5_bind_two_replies_and_relay(sk):
    s, (code, bhost, bport) = s5_command(sk.port, 2, "127.0.0.1", 0)
    peer = None
    try:
        assert code == 0 and bhost == "127.0.0.1" and bport != 0
        # listening already (the first reply comes after listen())
        peer = peer_from("127.0.0.1", bport)
        code2, phost, pport = s5_reply(s)
        assert code2 == 0
        assert (phost, pport) == peer.getsockname()
        assert both_ways(s, peer, 1 << 20)
    finally:
        s.close()
        if peer:
            peer.close()


def test_socks5_bind_peer_immediately_not_refused(sk):
    """Our deliberate difference from 3proxy: connecting the instant the
    first reply arrives always succeeds."""
    for _ in range(5):
        s, (code, _, bport) = s5_command(sk.port, 2, "127.0.0.1", 0)
        try:
            assert code == 0
            peer = peer_from("127.0.0.1", bport)
            assert s5_reply(s)[0] == 0
            peer.sendall(b"hi")
            assert recv_exact(s, 2) == b"hi"
            peer.close()
        finally:
            s.close()


def test_socks5_bind_half_close_both_ways(sk):
    s, (code, _, bport) = s5_command(sk.port, 2, "127.0.0.1", 0)
    peer = peer_from("127.0.0.1", bport)
    try:
        assert s5_reply(s)[0] == 0
        peer.sendall(b"from-peer")
        peer.shutdown(socket.SHUT_WR)
        assert recv_exact(s, 9) == b"from-peer"
        assert s.recv(10) == b""
        s.sendall(b"from-client")
        assert recv_exact(peer, 11) == b"from-client"
    finally:
        s.close()
        peer.close()


def test_socks5_bind_wrong_peer_address_not_taken(sk):
    """The request names 127.0.0.1: a peer from 127.0.0.2 is closed without
    a second reply; the right peer is accepted afterwards."""
    s, (code, _, bport) = s5_command(sk.port, 2, "127.0.0.1", 0)
    wrong = right = None
    try:
        assert code == 0
        wrong = peer_from("127.0.0.2", bport)
        assert closed_by_peer(wrong)
        s.settimeout(QUIET)
        with pytest.raises(socket.timeout):
            s.recv(1)
        s.settimeout(T)
        right = peer_from("127.0.0.1", bport)
        code2, phost, pport = s5_reply(s)
        assert code2 == 0 and (phost, pport) == right.getsockname()
        right.sendall(b"right peer")
        assert recv_exact(s, 10) == b"right peer"
    finally:
        s.close()
        for p in (wrong, right):
            if p:
                p.close()


def test_socks5_bind_any_address_accepts_anyone(sk):
    s, (code, _, bport) = s5_command(sk.port, 2, "0.0.0.0", 0)
    peer = None
    try:
        assert code == 0
        peer = peer_from("127.0.0.2", bport)
        code2, phost, pport = s5_reply(s)
        assert code2 == 0 and (phost, pport) == ("127.0.0.2",
                                                 peer.getsockname()[1])
        assert both_ways(s, peer, 65536)
    finally:
        s.close()
        if peer:
            peer.close()


def test_socks4_bind(sk):
    s, (code, bhost, bport) = s4_bind(sk.port, "127.0.0.1", 0)
    peer = None
    try:
        assert code == 90 and bport != 0
        assert bhost in ("127.0.0.1", "0.0.0.0")
        peer = peer_from("127.0.0.1", bport)
        code2, phost, pport = s4_reply(s)
        assert code2 == 90 and (phost, pport) == peer.getsockname()
        assert both_ways(s, peer, 1 << 20)
    finally:
        s.close()
        if peer:
            peer.close()


def test_bind_acl_allowed_and_denied(portcullis):
    """BIND is its own operation: a rule for BIND lets SOCKS5 and SOCKS4
    BIND through and refuses CONNECT; a rule for CONNECT only refuses
    BIND (SOCKS5 reply 2, SOCKS4 91)."""
    srv = start(portcullis, acl="allow * * * * BIND\ndeny *")
    s, (code, _, bport) = s5_command(srv.port, 2, "127.0.0.1", 0)
    s.close()
    assert code == 0 and bport != 0
    s, (code, _, _) = s4_bind(srv.port, "127.0.0.1", 0)
    s.close()
    assert code == 90
    s, (code, _, _) = s5_command(srv.port, 1, "127.0.0.1", srv.port)
    s.close()
    assert code == 2

    srv2 = start(portcullis, acl="allow * * * * CONNECT\ndeny *")
    s, (code, _, _) = s5_command(srv2.port, 2, "127.0.0.1", 0)
    s.close()
    assert code == 2
    s, (code, _, _) = s4_bind(srv2.port, "127.0.0.1", 0)
    s.close()
    assert code == 91


def test_bind_acl_target_is_requested_address(portcullis):
    """The BIND target in the ACL is the address of the request."""
    srv = start(portcullis, acl="allow * * 127.0.0.2 * BIND\ndeny *")
    s, (code, _, _) = s5_command(srv.port, 2, "127.0.0.2", 0)
    s.close()
    assert code == 0
    s, (code, _, _) = s5_command(srv.port, 2, "127.0.0.1", 0)
    s.close()
    assert code == 2


def test_bind_log_record(sk):
    s, (code, _, bport) = s5_command(sk.port, 2, "127.0.0.1", 2121)
    peer = peer_from("127.0.0.1", bport)
    try:
        assert code == 0 and s5_reply(s)[0] == 0
        peer.sendall(b"p" * 3000)
        assert recv_exact(s, 3000) == b"p" * 3000
        s.sendall(b"c" * 2000)
        assert recv_exact(peer, 2000) == b"c" * 2000
    finally:
        s.close()
        peer.close()
    recs = records(sk, "BIND 127.0.0.1:2121")
    assert recs, sk.log_lines()
    r = recs[0]
    assert r["err"] == "00000", r
    assert int(r["out"]) >= 2000 and int(r["in"]) >= 3000, r


def test_bind_peer_after_handshake_timeouts(portcullis):
    """Waiting for the peer is bounded by CONNECTION_SHORT, not by the
    handshake's STRING_SHORT / BYTE_LONG (2 s here): a peer arriving after
    3 s is still taken."""
    srv = start(portcullis, extra="timeouts 1 2 2 60 30 1800 15 60")
    s, (code, _, bport) = s5_command(srv.port, 2, "127.0.0.1", 0)
    peer = None
    try:
        assert code == 0
        time.sleep(3)
        peer = peer_from("127.0.0.1", bport)
        code2, phost, pport = s5_reply(s)
        assert code2 == 0 and (phost, pport) == peer.getsockname()
    finally:
        s.close()
        if peer:
            peer.close()


def test_bind_client_closes_while_waiting(sk):
    """The client goes away before any peer: the listening socket is
    closed, a record is written, the worker keeps serving."""
    before = sk.worker_pids()
    s, (code, _, bport) = s5_command(sk.port, 2, "127.0.0.1", 7)
    assert code == 0
    s.close()
    assert records(sk, "BIND 127.0.0.1:7"), sk.log_lines()

    def refused():
        p = socket.socket()
        p.settimeout(T)
        try:
            p.connect(("127.0.0.1", bport))
        except ConnectionRefusedError:
            return True
        finally:
            p.close()
        return False
    assert wait_for(refused, T)
    s, (code, _, bport2) = s5_command(sk.port, 2, "127.0.0.1", 0)
    try:
        assert code == 0
        peer = peer_from("127.0.0.1", bport2)
        assert s5_reply(s)[0] == 0
        peer.close()
    finally:
        s.close()
    assert sk.worker_pids() == before


def test_bind_no_peer_times_out(portcullis):
    """CONNECTION_SHORT (the fifth timeout) bounds the wait: a failure
    reply, then the close."""
    srv = start(portcullis, extra="timeouts 1 5 30 60 2 1800 15 60")
    s, (code, _, _) = s5_command(srv.port, 2, "127.0.0.1", 0)
    try:
        assert code == 0
        t0 = time.monotonic()
        code2, _, _ = s5_reply(s)
        assert code2 != 0
        assert time.monotonic() - t0 < 4.5
        assert closed_by_peer(s)
    finally:
        s.close()


def test_ftp_style_connect_plus_bind(sk):
    """Active FTP through SOCKS: a CONNECT for the control connection, a
    BIND naming the server for the data connection; the server, told the
    BND address in a PORT command, connects there and sends the file."""
    payload = os.urandom(300000)
    srv_sock = socket.socket()
    srv_sock.bind(("127.0.0.1", 0))
    srv_sock.listen(1)
    srv_sock.settimeout(T)
    err = []

    def server():
        try:
            ctl, _ = srv_sock.accept()
            ctl.settimeout(T)
            line = b""
            while not line.endswith(b"\r\n"):
                line += ctl.recv(100)
            nums = [int(x) for x in line.split()[1].split(b",")]
            host = ".".join(map(str, nums[:4]))
            d = socket.create_connection((host, nums[4] * 256 + nums[5]), T)
            d.sendall(payload)
            d.close()
            ctl.sendall(b"226 done\r\n")
            ctl.close()
        except Exception as e:     # reported by the test below
            err.append(e)
    t = threading.Thread(target=server, daemon=True)
    t.start()
    sport = srv_sock.getsockname()[1]
    ctl, (code, _, _) = s5_command(sk.port, 1, "127.0.0.1", sport)
    data, (bcode, bhost, bport) = s5_command(sk.port, 2, "127.0.0.1", sport)
    try:
        assert code == 0 and bcode == 0
        h = bhost.split(".")
        ctl.sendall(f"PORT {','.join(h)},{bport >> 8},{bport & 255}\r\n"
                    .encode())
        code2, phost, _ = s5_reply(data)
        assert code2 == 0 and phost == "127.0.0.1"
        got = bytearray()
        while True:
            d = data.recv(65536)
            if not d:
                break
            got += d
        assert bytes(got) == payload
        assert recv_exact(ctl, 10) == b"226 done\r\n"
    finally:
        t.join(T)
        ctl.close()
        data.close()
        srv_sock.close()
    assert not err, err
