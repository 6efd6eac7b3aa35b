"""Password hashes for `users` lines, computed here independently of the
server: NT (MD4 of the UTF-16LE password, RFC 1320 written out because
OpenSSL 3 disables MD4) and MD5-crypt via `openssl passwd -1`."""
import struct
import subprocess


def _rotl(x, n):
    x &= 0xFFFFFFFF
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def md4(data):
    msg = bytearray(data)
    bitlen = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bitlen)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476

    def f(x, y, z):
        return (x & y) | (~x & z)

    def g(x, y, z):
        return (x & y) | (x & z) | (y & z)

    def h(x, y, z):
        return x ^ y ^ z
    for off in range(0, len(msg), 64):
        X = struct.unpack("<16I", msg[off:off + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = _rotl(a + f(b, c, d) + X[i], 3)
            d = _rotl(d + f(a, b, c) + X[i + 1], 7)
            c = _rotl(c + f(d, a, b) + X[i + 2], 11)
            b = _rotl(b + f(c, d, a) + X[i + 3], 19)
        for i in (0, 1, 2, 3):
            a = _rotl(a + g(b, c, d) + X[i] + 0x5A827999, 3)
            d = _rotl(d + g(a, b, c) + X[i + 4] + 0x5A827999, 5)
            c = _rotl(c + g(d, a, b) + X[i + 8] + 0x5A827999, 9)
            b = _rotl(b + g(c, d, a) + X[i + 12] + 0x5A827999, 13)
        for i in (0, 2, 1, 3):
            a = _rotl(a + h(b, c, d) + X[i] + 0x6ED9EBA1, 3)
            d = _rotl(d + h(a, b, c) + X[i + 8] + 0x6ED9EBA1, 9)
            c = _rotl(c + h(d, a, b) + X[i + 4] + 0x6ED9EBA1, 11)
            b = _rotl(b + h(c, d, a) + X[i + 12] + 0x6ED9EBA1, 15)
        a = (a + aa) & 0xFFFFFFFF
        b = (b + bb) & 0xFFFFFFFF
        c = (c + cc) & 0xFFFFFFFF
        d = (d + dd) & 0xFFFFFFFF
    return struct.pack("<4I", a, b, c, d)


def nt_hash(password):
    return md4(password.encode("utf-16-le")).hex().upper()


def md5_crypt(password, salt="e2esalt"):
    return subprocess.run(["openssl", "passwd", "-1", "-salt", salt,
                           password], capture_output=True, text=True,
                          check=True).stdout.strip()


_B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def crypt3(password, salt):
    """3proxy 1.0's "$3$SALT$HASH" (3proxy_crypt SALT PASSWORD), from
    Python's own BLAKE2b: a 16-byte digest of the password with its NUL,
    then the salt, in MD5-crypt's byte order and alphabet."""
    import hashlib
    d = hashlib.blake2b(password.encode() + b"\0" + salt.encode(),
                        digest_size=16).digest()
    out = []
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15),
                    (4, 10, 5)):
        v = (d[a] << 16) | (d[b] << 8) | d[c]
        for _ in range(4):
            out.append(_B64[v & 0x3F])
            v >>= 6
    v = d[11]
    for _ in range(2):
        out.append(_B64[v & 0x3F])
        v >>= 6
    return f"$3${salt}${''.join(out)}"
