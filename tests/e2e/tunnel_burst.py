"""Tunnel bursts for the heap test (issue 14 item 10): open N SOCKS5
tunnels at once through a proxy to an in-process asyncio echo server,
push a little through each, hold them all, then close them all.

Used by tests/e2e/test_heap_trim.py (a small burst) and
bench/heap_trim.py (10,000 tunnels).  No threads per connection: one
event loop for both ends, so thousands of tunnels fit in one process.
"""
import asyncio
import socket
import struct

from pc_server import proc_status


def rss_kb(pid):
    """VmRSS of pid in KiB, or 0 if it is gone."""
    st = proc_status(pid)
    return int(st["VmRSS"].split()[0]) if st and "VmRSS" in st else 0


async def _echo(reader, writer):
    try:
        while True:
            b = await reader.read(65536)
            if not b:
                break
            writer.write(b)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _tunnel(proxy_port, echo_port, payload, sem):
    async with sem:
        r, w = await asyncio.open_connection("127.0.0.1", proxy_port)
        w.write(b"\x05\x01\x00")
        if await r.readexactly(2) != b"\x05\x00":
            raise RuntimeError("SOCKS5 greeting refused")
        w.write(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") +
                struct.pack(">H", echo_port))
        rep = await r.readexactly(10)
        if rep[1] != 0:
            raise RuntimeError(f"SOCKS5 reply {rep[1]}")
        w.write(payload)
        if await r.readexactly(len(payload)) != payload:
            raise RuntimeError("corrupt echo")
        return r, w


async def _burst(proxy_port, n, payload_len, at_peak, parallel):
    server = await asyncio.start_server(_echo, "127.0.0.1", 0, backlog=4096)
    echo_port = server.sockets[0].getsockname()[1]
    sem = asyncio.Semaphore(parallel)
    payload = bytes(range(256)) * (payload_len // 256)
    try:
        socks = await asyncio.gather(*(
            _tunnel(proxy_port, echo_port, payload, sem) for _ in range(n)))
        peak = at_peak()
        for _, w in socks:
            w.close()
        for _, w in socks:
            try:
                await w.wait_closed()
            except (ConnectionError, OSError):
                pass
    finally:
        server.close()
        await server.wait_closed()
    return peak


def burst(proxy_port, n, payload_len=4096, at_peak=lambda: None,
          parallel=256):
    """Open n tunnels (parallel handshakes at a time), call at_peak() with
    all of them open, close them; returns what at_peak returned."""
    return asyncio.run(_burst(proxy_port, n, payload_len, at_peak,
                              parallel))
