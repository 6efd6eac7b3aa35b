"""portcullis-crypt, the hash tool for `users` lines (the HowTo's mycrypt):
hashes it makes are accepted by a running portcullis and a wrong password
is refused; known vectors and independent implementations (pwhash.py's
MD4, openssl passwd, Python's crypt module) agree with it; salts, stdin,
the terminal prompt and usage errors.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_crypt_tool.py -k nt

Spec: issue 3 item 3, 3proxy-language.md 2.6 and decision 24,
docs/portcullis-crypt.8.  The tool is build/portcullis-crypt, found beside
PORTCULLIS_BIN.
"""
import os
import pty
import select
import subprocess
import time
import warnings

import pytest

from clients import curl, socks5_open
from origins import HELLO
from pc_server import BIN, cfg_head, free_port
from pwhash import crypt3, md4, md5_crypt, nt_hash

TOOL = os.path.join(os.path.dirname(BIN), "portcullis-crypt")
HASH_CHARS = set("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "abcdefghijklmnopqrstuvwxyz")


@pytest.fixture(scope="module", autouse=True)
def _tool_present():
    if not os.access(TOOL, os.X_OK):
        pytest.fail(f"{TOOL} not built: run `make`")


def tool(*args, stdin=None):
    """Run the tool; stdin is text or None (then /dev/null)."""
    return subprocess.run([TOOL, *args], capture_output=True, text=True,
                          input=stdin, timeout=30,
                          stdin=subprocess.DEVNULL if stdin is None else None)


def hash_of(*args, stdin=None):
    p = tool(*args, stdin=stdin)
    assert p.returncode == 0, p
    assert p.stdout.endswith("\n") and p.stdout.count("\n") == 1, p
    return p.stdout[:-1]


def serve(portcullis, users_line):
    port = free_port()
    portcullis(cfg_head() + f"auth strong\n{users_line}\nallow alice\n"
               f"proxy -i127.0.0.1 -p{port}\n")
    return port


def status(port, origin, user, pw):
    return curl(["-x", f"http://127.0.0.1:{port}", "--proxy-user",
                 f"{user}:{pw}", origin.url("/hello")])


def accepted(portcullis, origin, entry, pw, wrong="not-" + "it"):
    """Start a server whose only user is `entry` (quoted, as a CR hash
    needs); the right password gets 200, a wrong one 407."""
    port = serve(portcullis, f'users "{entry}"')
    r = status(port, origin, "alice", pw)
    assert r.status == 200 and r.body == HELLO, r
    r = status(port, origin, "alice", wrong)
    assert r.status == 407, r


# ---- hashes a server accepts ---------------------------------------------

@pytest.mark.parametrize("method,prefix", [
    ("md5", "$1$"), ("sha512", "$6$"), ("yescrypt", "$y$"),
    ("blake2", "$3$")])
def test_cr_hash_accepted(portcullis, origin, method, prefix):
    pw = "Tr0ub4dor&3"
    h = hash_of("-m", method, pw)
    assert h.startswith(prefix), h
    assert set(h) <= HASH_CHARS | {"$"}, h
    assert pw not in h
    accepted(portcullis, origin, f"alice:CR:{h}", pw)


def test_md5_random_salt_is_8_chars_and_fresh():
    hs = {hash_of("-m", "md5", "pw") for _ in range(5)}
    assert len(hs) == 5, hs
    for h in hs:
        _, one, salt, digest = h.split("$")
        assert one == "1" and len(salt) == 8 and len(digest) == 22, h


def test_nt_known_vector_and_accepted(portcullis, origin):
    h = hash_of("-n", "password")
    assert h == "8846F7EAEE8FB117AD06BDD830B7586C"
    assert h == nt_hash("password")     # pwhash.py's own MD4
    h = hash_of("-n", "s3cret pass")
    assert h == nt_hash("s3cret pass")
    accepted(portcullis, origin, f"alice:NT:{h}", "s3cret pass")


def test_socks5_login_with_tool_hash(portcullis, origin):
    """The same user table serves SOCKS5 username/password logins."""
    h = hash_of("-m", "sha512", "sockspw")
    port = free_port()
    portcullis(cfg_head() + f'auth strong\nusers "alice:CR:{h}"\n'
               f"allow alice\nsocks -i127.0.0.1 -p{port}\n")
    s, code = socks5_open(port, "127.0.0.1", origin.port, "alice", "sockspw")
    s.close()
    assert code == 0
    # refused either in the RFC 1929 sub-negotiation or, as 3proxy does,
    # at the request with reply 2 (3proxy-behaviour.md "SOCKS")
    s, code = socks5_open(port, "127.0.0.1", origin.port, "alice", "nope")
    s.close()
    assert code == 2 or (code[0] == "auth" and code[1][1] != 0), code


def test_nt_non_ascii_warns_and_agrees_with_server(portcullis, origin):
    """libxcrypt's NT hash widens each byte (ISO-8859-1), unlike Windows'
    UTF-16LE; the tool warns, and the server agrees with it."""
    pw = "p\u00e4ss"
    p = tool("-n", pw)
    assert p.returncode == 0 and "non-ASCII" in p.stderr, p
    h = p.stdout.strip()
    widened = bytes(v for b in pw.encode() for v in (b, 0))
    assert h == md4(widened).hex().upper()
    assert h != nt_hash(pw)
    assert pw not in p.stderr
    accepted(portcullis, origin, f"alice:NT:{h}", pw)


def test_user_entries_in_a_password_file(portcullis, origin, tmp_path):
    """-u output pasted unquoted into a file for `users $FILE` (inside an
    included file `$` within a word is literal)."""
    cr = hash_of("-u", "alice", "-m", "md5", "alicepw")
    nt = hash_of("-u", "bob", "-n", "bobpw")
    assert cr.startswith("alice:CR:$1$") and nt.startswith("bob:NT:"), \
        (cr, nt)
    f = tmp_path / "passwd"
    f.write_text(f"{cr}\n{nt}\n")
    port = free_port()
    portcullis(cfg_head() + f"auth strong\nusers ${f}\nallow alice,bob\n"
               f"proxy -i127.0.0.1 -p{port}\n")
    assert status(port, origin, "alice", "alicepw").status == 200
    assert status(port, origin, "bob", "bobpw").status == 200
    assert status(port, origin, "alice", "bobpw").status == 407
    assert status(port, origin, "bob", "alicepw").status == 407


# ---- salts: deterministic, and equal to other implementations ------------

def test_salt_option_deterministic_and_matches_openssl():
    a = hash_of("-s", "e2esalt", "crypted")
    assert a == hash_of("-s", "e2esalt", "crypted")
    assert a.startswith("$1$e2esalt$")
    assert a == md5_crypt("crypted", "e2esalt")
    assert a != hash_of("-s", "e2esal", "crypted")


def test_positional_salt_with_a_method_is_mycrypt_form():
    assert hash_of("-m", "md5", "abcdefgh", "password") == \
        hash_of("-s", "abcdefgh", "password") == \
        "$1$abcdefgh$G//4keteveJp0qb8z2DxG/"


# ---- 3proxy_crypt's interface (no option) --------------------------------

def test_3proxy_crypt_forms():
    """PASSWORD prints NT:HEX, SALT PASSWORD prints CR:$3$SALT$HASH, the
    BLAKE2b of 3proxy 1.0 (pwhash.crypt3 is Python's own BLAKE2b)."""
    assert hash_of("password") == "NT:8846F7EAEE8FB117AD06BDD830B7586C"
    assert hash_of("s3cret pass") == "NT:" + nt_hash("s3cret pass")
    assert hash_of("MySalt", "MySecretPassword") == \
        "CR:" + crypt3("MySecretPassword", "MySalt")
    # add3proxyuser.sh's salt is the shell's pid
    assert hash_of("12345", "pw") == "CR:" + crypt3("pw", "12345")
    assert hash_of("-m", "blake2", "-s", "12345", "pw") == \
        crypt3("pw", "12345")
    assert hash_of("12345", "-", stdin="pw\n") == "CR:" + crypt3("pw",
                                                                  "12345")
    salt = "s" * 64
    assert hash_of(salt, "pw") == "CR:" + crypt3("pw", salt)
    assert tool("s" * 65, "pw").returncode == 2
    assert tool("a$b", "pw").returncode == 2


def test_3proxy_crypt_entries_accepted(portcullis, origin, tmp_path):
    """A password file as add3proxyuser.sh writes it: name:CR:$3$... and
    name:NT:...; '$' inside a $file is no include (as 3proxy)."""
    cr = hash_of("4711", "blake pw")
    nt = hash_of("nt pw")
    (tmp_path / "passwd").write_text(f"alice:{cr}\nbob:{nt}\n")
    port = free_port()
    portcullis(cfg_head() + f"auth strong\nusers ${tmp_path}/passwd\n"
               f"allow alice,bob\nproxy -i127.0.0.1 -p{port}\n")
    assert status(port, origin, "alice", "blake pw").status == 200
    assert status(port, origin, "alice", "blake pX").status == 407
    assert status(port, origin, "bob", "nt pw").status == 200
    assert status(port, origin, "bob", "blake pw").status == 407


def test_salt_matches_python_crypt():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        crypt = pytest.importorskip("crypt")
    for salt, pw in (("ab", "x"), ("lFDGlder", "password"),
                     ("./Zz09", "with space")):
        assert hash_of("-s", salt, pw) == crypt.crypt(pw, f"$1${salt}$")
    assert hash_of("-m", "sha512", "-s", "0123456789abcdef", "pw") == \
        crypt.crypt("pw", "$6$0123456789abcdef$")


def test_sha512_salt_matches_openssl():
    want = subprocess.run(["openssl", "passwd", "-6", "-salt", "saltsalt",
                           "pw"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert hash_of("-m", "sha512", "-s", "saltsalt", "pw") == want


# ---- the password from standard input -----------------------------------

def test_stdin_dash_and_r():
    want = hash_of("-s", "stdin", "from stdin")
    assert hash_of("-s", "stdin", "-", stdin="from stdin\n") == want
    assert hash_of("-s", "stdin", "-r", stdin="from stdin\n") == want
    assert hash_of("-m", "md5", "stdin", "-", stdin="from stdin") == want
    assert hash_of("-s", "stdin", "-r", stdin="from stdin\r\n") == want
    # only the first line is the password
    assert hash_of("-s", "stdin", "-r", stdin="from stdin\nmore\n") == want
    assert hash_of("-n", "-r", stdin="password\n") == \
        "8846F7EAEE8FB117AD06BDD830B7586C"


def test_stdin_hash_accepted(portcullis, origin):
    h = hash_of("-u", "alice", "-m", "yescrypt", "-r", stdin="piped pw\n")
    accepted(portcullis, origin, h, "piped pw")


def test_terminal_prompt_without_echo():
    """On a terminal the tool prompts on stderr and turns echo off, so the
    password is not shown; the hash goes to stdout."""
    master, slave = pty.openpty()
    p = subprocess.Popen([TOOL, "-s", "ttysalt", "-r"], stdin=slave,
                         stderr=slave, stdout=subprocess.PIPE, text=True)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 10
        while b"Password: " not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 1024)
        assert b"Password: " in seen, seen
        os.write(master, b"tty secret\n")
        out, _ = p.communicate(timeout=10)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 1024)
            except OSError:      # EIO: the tool closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
        os.close(master)
    assert p.returncode == 0
    assert b"tty secret" not in seen, seen
    assert out.strip() == hash_of("-s", "ttysalt", "tty secret")


# ---- failures -----------------------------------------------------------

@pytest.mark.parametrize("args", [
    [],                              # no password
    ["-r", "pw"],                    # -r and a password operand
    ["-s", "ab", "cd", "pw"],        # -s and a positional salt
    ["a", "b", "c"],                 # three operands
    ["-m", "des", "pw"],             # unknown method
    ["-n", "-m", "md5", "pw"],       # NT has no method
    ["-n", "-s", "ab", "pw"],        # NT has no salt
    ["-n", "ab", "pw"],              # ... positional either
    ["-m", "yescrypt", "-s", "ab", "pw"],
    ["-s", "toolongsalt", "pw"],     # md5 salts are 1-8 characters
    ["-s", "a:b", "pw"],             # outside [./0-9A-Za-z]
    ["-s", "", "pw"],
    ["-m", "sha512", "-s", "x" * 17, "pw"],
    ["-u", "a:b", "pw"],             # would split the entry
    ["-u", "a b", "pw"],
    ["-u", "", "pw"],
    ["-x", "pw"],
])
def test_bad_usage_exits_2(args):
    p = tool(*args)
    assert p.returncode == 2, p
    assert "usage:" in p.stderr and p.stdout == "", p
    assert "pw" not in p.stdout


@pytest.mark.parametrize("args,stdin,why", [
    (["-r"], "", "empty password"),
    (["-r"], "\n", "empty password"),
    ([""], None, "empty password"),
    (["-r"], "x" * 256 + "\n", "too long"),
    (["x" * 256], None, "too long"),
    (["-r"], "a\0b\n", "NUL"),
])
def test_failures_exit_1(args, stdin, why):
    p = tool(*args, stdin=stdin)
    assert p.returncode == 1, p
    assert why in p.stderr and p.stdout == "", p


def test_longest_password_accepted():
    """255 bytes is what a client can send (RFC 1929)."""
    pw = "y" * 255
    assert hash_of("-s", "max", pw) == hash_of("-s", "max", "-r",
                                               stdin=pw + "\n")


def test_password_never_printed():
    for args in (["-s", "salty", "Sekrit-Word"],
                 ["-n", "-u", "alice", "Sekrit-Word"],
                 ["-m", "bogus", "Sekrit-Word"]):
        p = tool(*args)
        assert "Sekrit-Word" not in p.stdout + p.stderr, p
