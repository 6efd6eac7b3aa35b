"""Load generators run as separate processes by bench.py (stopped by PID).

  loadgen.py sink                       listen on 127.0.0.1:0, print the port,
                                        hold every connection open, discard
                                        what arrives, until SIGTERM
  loadgen.py hold SOCKSPORT DPORT N     open N SOCKS5 tunnels to 127.0.0.1:DPORT,
                                        print "ready N", keep them until stdin
                                        closes
  loadgen.py rate MODE PORT DPORT SECS [get HOSTPORT]
                                        open+close connections in a loop for
                                        SECS: MODE direct (TCP to PORT) or
                                        socks (SOCKS5 via PORT to DPORT);
                                        with `get`, one keep-alive GET of
                                        /small.html per connection; prints
                                        "ok N errors E"
"""
import resource
import selectors
import signal
import socket
import struct
import sys
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError
        buf += d
    return buf


def socks5(s, dport):
    s.sendall(b"\x05\x01\x00")
    if recv_exact(s, 2) != b"\x05\x00":
        raise OSError("method refused")
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", dport))
    rep = recv_exact(s, 10)
    if rep[1] != 0:
        raise OSError(f"reply {rep[1]}")


def sink():
    raise_nofile()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4096)
    ls.setblocking(False)
    print(ls.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        for key, _ in sel.select(1.0):
            s = key.fileobj
            if s is ls:
                for _ in range(256):
                    try:
                        c, _ = ls.accept()
                    except (BlockingIOError, OSError):
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()


def hold(port, dport, n):
    raise_nofile()
    socks_ = []
    for i in range(n):
        for attempt in range(3):
            s = socket.socket()
            s.settimeout(10)
            try:
                s.connect(("127.0.0.1", port))
                socks5(s, dport)
                break
            except OSError as e:
                s.close()
                if attempt == 2:
                    print(f"failed at {i}: {e!r}", flush=True)
                    return 1
                time.sleep(0.1)
        socks_.append(s)
    print(f"ready {len(socks_)}", flush=True)
    sys.stdin.read()
    for s in socks_:
        s.close()
    return 0


def rate(mode, port, dport, secs, get_host=None):
    req = None
    if get_host:
        req = (f"GET /small.html HTTP/1.1\r\nHost: {get_host}\r\n\r\n"
               ).encode()
    ok = err = 0
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            if mode == "socks":
                socks5(s, dport)
            if req:
                s.sendall(req)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    d = s.recv(65536)
                    if not d:
                        raise EOFError
                    buf += d
                head, _, body = buf.partition(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise OSError("status")
                cl = [ln for ln in head.split(b"\r\n")
                      if ln.lower().startswith(b"content-length:")]
                need = int(cl[0].split(b":")[1]) - len(body)
                if need > 0:
                    recv_exact(s, need)
            ok += 1
        except (OSError, EOFError):
            err += 1
        finally:
            s.close()
    print(f"ok {ok} errors {err}", flush=True)


def main(argv):
    if argv[1] == "sink":
        sink()
    elif argv[1] == "hold":
        return hold(int(argv[2]), int(argv[3]), int(argv[4]))
    elif argv[1] == "rate":
        get = argv[7] if len(argv) > 7 and argv[6] == "get" else None
        rate(argv[2], int(argv[3]), int(argv[4]), float(argv[5]), get)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
