"""HTTP keep-alive load through the proxy that counts every request's fate
(test_reload_storm.py, bench/reload_storm.py).

  ka_load.py origin PORT [BODY]   a small asyncio HTTP/1.1 origin on
                                  127.0.0.1:PORT (keep-alive forever, BODY
                                  bytes per answer); prints "ready"

run_load() opens N client connections to the proxy, each sending GETs one
after the other on its kept-alive connection (raw sockets, asyncio).  A
request ends as one of:
  ok          a whole response (Content-Length body) arrived
  reset       ECONNRESET/EPIPE at any point (what the storm must never see)
  unanswered  EOF after part of a response, EOF on a fresh connection,
              no answer within 10 s, or a response that is not 200
  retried     EOF before any response byte on a reused connection: the
              request is sent again on a new connection, as browsers and
              http.client-style clients do for idempotent requests (the
              race of a request with the server's keep-alive close)
  refused     the proxy refused the connection
"""
import asyncio
import sys
import time

ANSWER_WAIT = 10.0


class Stats:
    def __init__(self):
        self.ok = self.reset = self.unanswered = self.retried = 0
        self.refused = self.closes = self.conns = 0
        self.notes = []

    def note(self, what):
        if len(self.notes) < 20:
            self.notes.append(what)

    def as_dict(self):
        return {k: getattr(self, k) for k in
                ("ok", "reset", "unanswered", "retried", "refused", "closes",
                 "conns")}


async def _read_response(reader):
    """(status, close, got_any): reads one response; raises EOFError with
    .got_any when the connection ends early."""
    got = 0
    head = b""
    while b"\r\n\r\n" not in head:
        d = await reader.read(4096)
        if not d:
            e = EOFError("eof in head")
            e.got_any = got > 0
            raise e
        got += len(d)
        head += d
        if len(head) > 65536:
            raise ValueError("head too long")
    hdr, _, rest = head.partition(b"\r\n\r\n")
    lines = hdr.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            length = int(v.strip())
        elif k == b"connection" and v.strip().lower() == b"close":
            close = True
    while len(rest) < length:
        d = await reader.read(65536)
        if not d:
            e = EOFError("eof in body")
            e.got_any = True
            raise e
        rest += d
    if len(rest) != length:
        raise ValueError("bytes after the response")
    return status, close


async def _client(stats, proxy_port, target, deadline):
    req = (f"GET {target} HTTP/1.1\r\nHost: {target.split('/')[2]}\r\n"
           f"\r\n").encode()
    reader = writer = None
    reused = False
    retry = False
    while time.monotonic() < deadline or retry:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", proxy_port)
            except ConnectionRefusedError:
                stats.refused += 1
                await asyncio.sleep(0.05)
                continue
            except OSError as e:
                stats.refused += 1
                stats.note(f"connect: {e!r}")
                await asyncio.sleep(0.05)
                continue
            stats.conns += 1
            reused = False
        retry = False
        try:
            writer.write(req)
            await writer.drain()
            status, close = await asyncio.wait_for(_read_response(reader),
                                                   ANSWER_WAIT)
            if status != 200:
                stats.unanswered += 1
                stats.note(f"status {status}")
            else:
                stats.ok += 1
            reused = True
            if close:
                stats.closes += 1
                writer.close()
                writer = None
            continue
        except (ConnectionResetError, BrokenPipeError) as e:
            stats.reset += 1
            stats.note(f"reset (reused {reused}): {e!r}")
        except EOFError as e:
            if reused and not e.got_any:
                stats.retried += 1
                retry = True
            else:
                stats.unanswered += 1
                stats.note(f"eof (reused {reused}, bytes {e.got_any})")
        except asyncio.TimeoutError:
            stats.unanswered += 1
            stats.note("no answer in time")
        except (ValueError, IndexError, OSError) as e:
            stats.unanswered += 1
            stats.note(f"bad response: {e!r}")
        try:
            writer.close()
        except Exception:
            pass
        writer = None
    if writer is not None:
        writer.close()


async def _load(proxy_port, target, conns, seconds, ticker, every):
    stats = Stats()
    deadline = time.monotonic() + seconds
    tasks = [asyncio.create_task(_client(stats, proxy_port, target,
                                         deadline)) for _ in range(conns)]
    ticks = 0
    if ticker is not None:
        while time.monotonic() < deadline - every / 2:
            await asyncio.sleep(every)
            ticker(ticks)
            ticks += 1
    await asyncio.gather(*tasks)
    stats.ticks = ticks
    return stats


def run_load(proxy_port, target, conns, seconds, ticker=None, every=0.4):
    """Runs the load for seconds; ticker(i) is called every `every` s
    meanwhile (e.g. a SIGHUP).  Returns Stats (with .ticks)."""
    return asyncio.run(_load(proxy_port, target, conns, seconds, ticker,
                             every))


# ---- the origin -------------------------------------------------------------

async def _serve(reader, writer, body):
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" +
            body)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = await reader.read(65536)
                if not d:
                    return
                buf += d
            _, _, buf = buf.partition(b"\r\n\r\n")
            writer.write(resp)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _origin(port, size):
    body = (b"x" * 63 + b"\n") * (size // 64) + b"y" * (size % 64)
    srv = await asyncio.start_server(lambda r, w: _serve(r, w, body),
                                     "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "origin":
        asyncio.run(_origin(int(sys.argv[2]),
                            int(sys.argv[3]) if len(sys.argv) > 3 else 512))
    else:
        sys.exit(__doc__)
