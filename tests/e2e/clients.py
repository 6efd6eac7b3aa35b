"""Client helpers: curl runs, raw HTTP over sockets, raw SOCKS handshakes.

Raw handshakes (rather than PySocks) where a test checks reply codes: PySocks
turns them into exception texts.  Every socket has a timeout.
"""
import base64
import hashlib
import ipaddress
import socket
import struct
import subprocess
import threading
import time

from pc_server import clean_env

TIMEOUT = 10.0


class CurlResult:
    def __init__(self, rc, status, headers, body, stderr, connect=0):
        self.rc = rc
        self.status = status          # last response (0: none)
        self.connect = connect        # reply to curl's CONNECT (0: none)
        self.headers = headers        # list of header blocks (list of lines)
        self.body = body
        self.stderr = stderr

    def header(self, name):
        """Value of name in the last header block, or None."""
        for block in reversed(self.headers):
            for line in block:
                k, _, v = line.partition(":")
                if k.strip().lower() == name.lower():
                    return v.strip()
            break
        return None

    def __repr__(self):
        return (f"CurlResult(rc={self.rc}, status={self.status}, "
                f"connect={self.connect}, "
                f"body={self.body[:200]!r}, stderr={self.stderr[-400:]!r})")


def curl(args, timeout=20, tmpdir=None, input_bytes=None):
    """Run curl with args; returns CurlResult (status of the last response,
    every header block, body bytes).  No proxy from the environment."""
    import tempfile
    with tempfile.TemporaryDirectory(dir=tmpdir) as d:
        hdr = f"{d}/h"
        body = f"{d}/b"
        cmd = ["curl", "-sS", "--max-time", str(timeout), "-D", hdr,
               "-o", body, "-w", "%{http_code} %{http_connect}"] + list(args)
        p = subprocess.run(cmd, capture_output=True, env=clean_env(),
                           timeout=timeout + 10, input=input_bytes)
        try:
            with open(hdr, "rb") as f:
                raw = f.read().decode("latin-1")
        except OSError:
            raw = ""
        try:
            with open(body, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
    blocks, cur = [], []
    for line in raw.split("\r\n"):
        if line == "":
            if cur:
                blocks.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append(cur)
    w = p.stdout.decode().split()
    nums = [int(x) if x.isdigit() else 0 for x in w[-2:]] if len(w) >= 2 \
        else [0, 0]
    return CurlResult(p.returncode, nums[0], blocks, data,
                      p.stderr.decode(errors="replace"), nums[1])


def basic(user, pw):
    return base64.b64encode(f"{user}:{pw}".encode()).decode()


def connect(port, host="127.0.0.1", timeout=TIMEOUT, source=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError(f"EOF after {len(buf)} of {n} bytes")
        buf += d
    return bytes(buf)


def recv_until_close(s, limit=1 << 24):
    buf = bytearray()
    try:
        while len(buf) < limit:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except (ConnectionResetError, socket.timeout):
        pass
    return bytes(buf)


class Reader:
    """Buffered reader over a socket for parsing HTTP responses."""

    def __init__(self, sock):
        self.s = sock
        self.buf = bytearray()

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self, limit=1 << 20):
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self._fill()
        i = self.buf.index(b"\n") + 1
        out = bytes(self.buf[:i])
        del self.buf[:i]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def rest(self):
        out = bytes(self.buf)
        self.buf.clear()
        return out + recv_until_close(self.s)


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"Response({self.version} {self.status} {self.body[:120]!r})"


def read_response(r, method="GET"):
    """Read one HTTP response from Reader r (body by Content-Length, chunked
    or close; none for HEAD, 1xx, 204, 304, and 2xx to CONNECT)."""
    line = r.line().decode("latin-1").rstrip("\r\n")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"bad status line {line!r}")
    status = int(parts[1])
    headers = []
    for _ in range(1000):
        h = r.line().decode("latin-1").rstrip("\r\n")
        if h == "":
            break
        k, _, v = h.partition(":")
        headers.append((k.strip(), v.strip()))
    resp = Response(parts[0], status, parts[2] if len(parts) > 2 else "",
                    headers, b"")
    if method == "HEAD" or status < 200 or status in (204, 304) or \
            (method == "CONNECT" and 200 <= status < 300):
        return resp
    te = (resp.header("Transfer-Encoding") or "").lower()
    cl = resp.header("Content-Length")
    if "chunked" in te:
        body = bytearray()
        for _ in range(1 << 20):
            size = int(r.line().split(b";")[0].strip(), 16)
            if size == 0:
                while r.line() not in (b"\r\n", b"\n"):
                    pass
                break
            body += r.exact(size)
            r.line()
        resp.body = bytes(body)
    elif cl is not None:
        resp.body = r.exact(int(cl))
    else:
        resp.body = r.rest()
    return resp


def http_exchange(port, request, host="127.0.0.1", method=None,
                  timeout=TIMEOUT):
    """Send raw request bytes, read one response; returns Response."""
    s = connect(port, host, timeout)
    try:
        s.sendall(request)
        m = method or request.split(b" ", 1)[0].decode("latin-1")
        return read_response(Reader(s), m)
    finally:
        s.close()


def send_and_read(port, data, timeout=5.0, host="127.0.0.1"):
    """Send data (from a thread, ignoring send errors: the server may stop
    reading early) while reading whatever comes back until close/timeout.
    Returns the bytes received."""
    s = connect(port, host, timeout)
    out = bytearray()

    def writer():
        try:
            s.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not d:
                break
            out += d
    finally:
        s.close()
        t.join(2)
    return bytes(out)


# ---- SOCKS ---------------------------------------------------------------

def socks5_addr(host):
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        b = host.encode()
        return b"\x03" + bytes([len(b)]) + b
    return (b"\x01" if ip.version == 4 else b"\x04") + ip.packed


def socks5_greet(s, methods=(0,)):
    s.sendall(bytes([5, len(methods)]) + bytes(methods))
    return recv_exact(s, 2)


def socks5_userpass(s, user, pw):
    u, p = user.encode(), pw.encode()
    s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
    return recv_exact(s, 2)


def socks5_request(s, host, port, cmd=1):
    """Send a request; returns (reply code, bound address bytes)."""
    s.sendall(bytes([5, cmd, 0]) + socks5_addr(host) + struct.pack(">H", port))
    head = recv_exact(s, 4)
    if head[0] != 5:
        raise ValueError(f"bad SOCKS5 reply {head!r}")
    atyp = head[3]
    if atyp == 1:
        rest = recv_exact(s, 6)
    elif atyp == 4:
        rest = recv_exact(s, 18)
    elif atyp == 3:
        n = recv_exact(s, 1)[0]
        rest = recv_exact(s, n + 2)
    else:
        raise ValueError(f"bad SOCKS5 reply address type {atyp}")
    return head[1], rest


def socks5_open(port, host, dport, user=None, pw=None, timeout=TIMEOUT,
                proxy_host="127.0.0.1"):
    """Full SOCKS5 CONNECT; returns (socket, reply code).  On a failure
    reply the socket is returned too (the caller closes it)."""
    s = connect(port, proxy_host, timeout)
    if user is None:
        m = socks5_greet(s, (0,))
        if m != b"\x05\x00":
            return s, ("method", m)
    else:
        m = socks5_greet(s, (2,))
        if m != b"\x05\x02":
            return s, ("method", m)
        st = socks5_userpass(s, user, pw)
        if st[1] != 0:
            return s, ("auth", st)
    code, _ = socks5_request(s, host, dport)
    return s, code


def socks4_open(port, host, dport, userid=b"", timeout=TIMEOUT):
    """SOCKS4 (IPv4 address) or SOCKS4a (name) CONNECT; returns (socket,
    reply code byte: 90 granted, 91 rejected)."""
    s = connect(port, "127.0.0.1", timeout)
    try:
        ip = ipaddress.IPv4Address(host).packed
        extra = b""
    except ValueError:
        ip = b"\x00\x00\x00\x01"
        extra = host.encode() + b"\x00"
    s.sendall(b"\x04\x01" + struct.pack(">H", dport) + ip + userid + b"\x00"
              + extra)
    rep = recv_exact(s, 8)
    if rep[0] != 0:
        raise ValueError(f"bad SOCKS4 reply {rep!r}")
    return s, rep[1]


def echo_roundtrip(s, size=65536, seed=b"x"):
    """Send size bytes through s and read them back; True when equal."""
    data = (hashlib.sha256(seed).digest() * (size // 32 + 1))[:size]
    got = bytearray()

    def writer():
        try:
            s.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        while len(got) < size:
            d = s.recv(65536)
            if not d:
                break
            got += d
    finally:
        t.join(5)
    return bytes(got) == data


def http_get_over(s, host, path="/hello"):
    """HTTP/1.1 GET over an established tunnel socket; returns Response."""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
              f"Connection: close\r\n\r\n".encode())
    return read_response(Reader(s))


def get_status_len(port, url, timeout=10, headers=""):
    """GET url through the HTTP proxy on port with Connection: close (and
    extra header lines): its status line and the body bytes received until
    the connection ends (or timeout)."""
    s = connect(port, timeout=timeout)
    s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              f"{headers}\r\n".encode())
    data = b""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            b = s.recv(65536)
        except OSError:
            break
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], len(body)
