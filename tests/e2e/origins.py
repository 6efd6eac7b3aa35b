"""Servers the proxy talks to in the e2e suite, all on loopback.

* HTTP origin (threaded http.server subclass, HTTP/1.1 keep-alive) on an
  IPv4 or IPv6 loopback address.  Routes:
    /hello            fixed body HELLO
    /echo[...]        JSON: method, path as received, headers, body length
                      and sha256 (request bodies by Content-Length or chunked)
    /big/N[?rate=B]   N bytes of pattern(N), optionally at about B bytes/s
    /slow/MS          answers after MS milliseconds
    /chunked/N        pattern(N) as a chunked response
    /close            body delimited by closing the connection
  Any other method name (PURGE, PATCH, ...) is served like GET.
  Every request is recorded (method, path, origin-side client port).
* TCP echo server (echoes until EOF, then closes: half-close aware) and a
  sink that reads and discards.

Bodies are generated deterministically by pattern(n); expected digests are
cached, so large transfers are checked byte-exact by sha256.
"""
import hashlib
import http.server
import json
import socket
import socketserver
import threading
import time
import urllib.parse

HELLO = b"hello from origin\n"

_PERIOD = 1048573          # prime: a shifted or repeated block shows up
_BLOCK = None
_DIGESTS = {}
_LOCK = threading.Lock()


def _block():
    global _BLOCK
    with _LOCK:
        if _BLOCK is None:
            parts = [hashlib.sha256(i.to_bytes(4, "big")).digest()
                     for i in range(_PERIOD // 32 + 1)]
            _BLOCK = b"".join(parts)[:_PERIOD]
    return _BLOCK


def pattern_chunks(n, size=65536):
    """Yield pattern(n) in pieces of at most size bytes."""
    blk = _block()
    off = 0
    while off < n:
        start = off % _PERIOD
        take = min(size, n - off, _PERIOD - start)
        yield blk[start:start + take]
        off += take


def pattern(n):
    return b"".join(pattern_chunks(n, 1 << 20))


def pattern_sha256(n):
    with _LOCK:
        if n in _DIGESTS:
            return _DIGESTS[n]
    h = hashlib.sha256()
    for c in pattern_chunks(n, 1 << 20):
        h.update(c)
    d = h.hexdigest()
    with _LOCK:
        _DIGESTS[n] = d
    return d


class OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "e2e-origin"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def __getattr__(self, name):
        # any extension method (PURGE, PROPFIND, ...) is routed like GET
        if name.startswith("do_"):
            return self._route
        raise AttributeError(name)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = bytearray()
            for _ in range(100000):
                line = self.rfile.readline(1024)
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(100):         # trailers
                        t = self.rfile.readline(8192)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                out += self.rfile.read(size)
                self.rfile.readline(8)
            return bytes(out)
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, code, body, ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self):
        raw = self.path
        path = raw
        if raw.startswith("http://"):
            rest = raw[len("http://"):]
            path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        body = self._read_body()
        self.server.record(self.command, raw, self.client_address[1],
                           dict(self.headers), body)
        url = urllib.parse.urlsplit(path)
        parts = [p for p in url.path.split("/") if p]
        query = urllib.parse.parse_qs(url.query)
        head = parts[0] if parts else ""
        if head == "hello":
            return self._send(200, HELLO)
        if head == "echo":
            return self._echo(raw, body)
        if head == "big" and len(parts) > 1:
            rate = float(query.get("rate", ["0"])[0])
            return self._big(int(parts[1]), rate)
        if head == "slow" and len(parts) > 1:
            time.sleep(min(int(parts[1]), 60000) / 1000.0)
            return self._send(200, b"slow done\n")
        if head == "chunked" and len(parts) > 1:
            return self._chunked(int(parts[1]))
        if head == "close":
            return self._close_delimited()
        return self._send(404, b"not found\n")

    def _echo(self, raw, body):
        doc = {
            "method": self.command,
            "path": raw,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "client_port": self.client_address[1],
        }
        self._send(200, json.dumps(doc).encode(), "application/json")

    def _big(self, n, rate):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        t0 = time.monotonic()
        sent = 0
        for c in pattern_chunks(n, 65536):
            self.wfile.write(c)
            sent += len(c)
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)

    def _chunked(self, n):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for c in pattern_chunks(n, 7000):
            self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _close_delimited(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(HELLO * 3)


class OriginServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host="127.0.0.1", family=socket.AF_INET):
        self.address_family = family
        super().__init__((host, 0), OriginHandler)
        self.host = host
        self.port = self.server_address[1]
        self.requests = []
        self._rlock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        daemon=True)

    def record(self, method, path, cport, headers, body):
        with self._rlock:
            self.requests.append({"method": method, "path": path,
                                  "client_port": cport, "headers": headers,
                                  "body_len": len(body)})

    def requests_matching(self, needle):
        with self._rlock:
            return [r for r in self.requests if needle in r["path"]]

    def url(self, path, host=None):
        h = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{h}:{self.port}{path}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(120)
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class _Sink(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(300)
        n = 0
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                n += len(d)
        except OSError:
            pass
        self.server.received.append(n)


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, handler, host="127.0.0.1", family=socket.AF_INET):
        self.address_family = family
        super().__init__((host, 0), handler)
        self.host = host
        self.port = self.server_address[1]
        self.received = []
        self._thread = threading.Thread(target=self.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


def echo_server(host="127.0.0.1", family=socket.AF_INET):
    return TcpServer(_Echo, host, family).start()


def sink_server(host="127.0.0.1", family=socket.AF_INET):
    return TcpServer(_Sink, host, family).start()
