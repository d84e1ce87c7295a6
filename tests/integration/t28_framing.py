"""HTTP framing (issue 11, item 4; docs/deploy.md "HTTP framing"): every request head is checked before anything
else reads it, and a bad one is refused with 400, a JSON error and `Connection: close`, so that nothing after
it on the connection runs. Each attack carries a hidden request (it would create an account) that must never
run. Then the answers libmicrohttpd still gives itself, exactly as docs/deploy.md lists them, and last the
same attacks against posternd behind the nginx site of docs/deploy.md, started here on 127.0.0.1."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness as H
from harness import check, eq, expect_error, expect_status

DEPLOY_MD = os.path.join(H.ROOT, "docs", "deploy.md")


# ---- raw exchanges ------------------------------------------------------------------------------------------

def exchange(port, data, timeout=5):
    """Send data on a fresh connection, read until the peer closes (or timeout). Returns (responses, closed):
    every response parsed from the bytes (status, headers dict, body) and whether the server closed."""
    s = socket.create_connection((H.HOST, port), timeout=timeout)
    buf = b""
    closed = False
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # once an answer is in, half a second of silence ends the wait (a kept-alive connection)
            idle = 0.5 if parse_responses(buf) else deadline - time.monotonic()
            s.settimeout(max(0.05, min(idle, deadline - time.monotonic())))
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                got = b""
            if not got:
                closed = True
                break
            buf += got
    finally:
        s.close()
    return parse_responses(buf), closed


def parse_responses(buf):
    out = []
    while buf.startswith(b"HTTP/"):
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        hd = {}
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            hd[k.strip().lower()] = v.strip()
        n = int(hd.get("content-length", "0"))
        out.append((status, hd, rest[:n]))
        buf = rest[n:]
    return out


def hidden_request():
    """A request that creates a fresh account; returns (bytes, username)."""
    name = H.rand_name("smug")
    body = json.dumps({"username": name, "password": "password1"}).encode()
    req = (b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    return req, name


def account_exists(s, name):
    r = s.req("POST", "/v1/sessions", {"username": name, "password": "password1"})
    return r.status == 201


def expect_refused(port, data, what, closes=True, statuses=(400,)):
    """Exactly one answer: a JSON 400 with Connection: close, and the server closes the connection."""
    resps, closed = exchange(port, data)
    check(len(resps) == 1, f"{what}: want exactly one answer, got {len(resps)}: {[r[:2] for r in resps]}")
    status, hd, body = resps[0]
    check(status in statuses, f"{what}: want {statuses}, got {status} {body[:200]!r}")
    check(hd.get("content-type", "").startswith("application/json"),
          f"{what}: want a JSON error, got {hd.get('content-type')!r} {body[:200]!r}")
    j = json.loads(body)
    check(set(j) == {"error"} and set(j["error"]) == {"code", "message"}, f"{what}: error body {j!r}")
    if closes:
        check(hd.get("connection", "").lower() == "close", f"{what}: want Connection: close, got {hd!r}")
        check(closed, f"{what}: the server kept the connection open after refusing the head")
    return j


# Each attack: (what, bytes before the hidden request, whether the hidden request rides as the body).
def attacks():
    out = []

    def add(what, make):
        hidden, name = hidden_request()
        out.append((what, make(hidden), name))

    add("a bare CR hiding Content-Length", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Foo: a\rContent-Length: %d\r\n\r\n" % len(h) + h)
    add("a NUL inside Content-Length", lambda h:
        b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 0\x00%d\r\n\r\n" % len(h) + h)
    add("a NUL in the value of the first header", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\x00y\r\nX-A: 1\r\n\r\n" + h)
    add("a NUL in a middle header", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\nX-B: 2\r\n\r\n" + h)
    add("a NUL in the last header", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00\x00b\r\n\r\n" + h)
    add("a NUL ending a value", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: ab\x00\r\nX-B: 2\r\n\r\n" + h)
    add("a NUL right after the colon", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A:\x00 b\r\n\r\n" + h)
    add("a NUL in the request target", lambda h:
        b"GET /v1/health\x00/../accounts HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("a NUL in the method", lambda h:
        b"GE\x00T /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    for c in (b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x1f", b"\x7f"):
        add(f"control byte {c!r} in a value", lambda h, c=c:
            b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a" + c + b"b\r\n\r\n" + h)
    add("a control byte in a header name", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-\x01A: a\r\n\r\n" + h)
    add("a bare CR in a header name", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-\rA: a\r\n\r\n" + h)
    add("a space before the colon of Content-Length", lambda h:
        b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length : %d\r\n\r\n" % len(h) + h)
    add("a bare LF ending a header line", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n" + h)
    add("a bare LF ending the head", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\n\n" + h)
    add("a folded header line", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" + h)
    add("a folded Content-Length", lambda h:
        b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\n"
        b" %d\r\n\r\n" % len(h) + h)
    add("a space in the target", lambda h:
        b"GET /v1/he alth HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("two spaces after the method", lambda h:
        b"GET  /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("a bare CR in the target", lambda h:
        b"GET /v1/health\r HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("an escaped NUL in the path", lambda h:
        b"GET /v1/health%00x HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("an escaped CR in the query", lambda h:
        b"GET /v1/health?a=%0d HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("a non-ASCII byte in the target", lambda h:
        b"GET /v1/health\xe9 HTTP/1.1\r\nHost: x\r\n\r\n" + h)
    add("HTTP/1.1 without Host", lambda h:
        b"GET /v1/health HTTP/1.1\r\nX-A: 1\r\n\r\n" + h)
    add("two Host headers", lambda h:
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + h)
    add("Content-Length with Transfer-Encoding", lambda h:
        b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 5\r\n\r\n0\r\n\r\n" + h)
    return out


def test_attacks_refused_and_nothing_hidden_runs():
    s = H.server()
    for what, data, name in attacks():
        expect_refused(s.port, data, what)
        check(not account_exists(s, name), f"{what}: the hidden request ran")
        s.health_ok(f"health after {what}")


def test_bad_trailer_refused():
    s = H.server()
    hidden, name = hidden_request()
    body = json.dumps({"username": H.rand_name("tr"), "password": "password1"}).encode()
    for trailer in (b"X-T: a\rb", b"X-T: a\x01b", b"X\x7fT: a"):
        data = (b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n%s\r\n\r\n" % (len(body), body, trailer)) + hidden
        expect_refused(s.port, data, f"trailer {trailer!r}")
        check(not account_exists(s, name), f"trailer {trailer!r}: the hidden request ran")


def test_sound_heads_accepted():
    s = H.server()
    for what, data in [
        ("a TAB inside a value", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\tb\t\r\nConnection: close\r\n\r\n"),
        ("obs-text in a value", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9 \xff\r\nConnection: close\r\n\r\n"),
        ("no space after the colon", b"GET /v1/health HTTP/1.1\r\nHost:x\r\nX-A:1\r\nConnection:close\r\n\r\n"),
        ("an empty value", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A:\r\nConnection: close\r\n\r\n"),
        ("HTTP/1.0 without Host", b"GET /v1/health HTTP/1.0\r\n\r\n"),
        ("HTTP/1.0 without any header", b"GET /v1/health?x=1 HTTP/1.0\r\n\r\n"),
        ("an escaped space and slash in the query", b"GET /v1/health?a=%20%2F HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ]:
        resps, _ = exchange(s.port, data)
        check(len(resps) == 1 and resps[0][0] == 200, f"{what}: want one 200, got {[r[:2] for r in resps]}")


def test_long_head_arriving_byte_by_byte():
    # the head grows libmicrohttpd's read buffer many times: every line must still be where it should be
    s = H.server()
    lines = [b"X-Fill-%02d: %s" % (i, b"v" * 90) for i in range(42)]  # ~4.4 KiB: grows, fits --conn-memory
    data = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n"
    sock = socket.create_connection((H.HOST, s.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for i in range(0, len(data), 7):
            sock.sendall(data[i:i + 7])
            if i % 700 == 0:
                time.sleep(0.002)
        buf = b""
        while True:
            got = sock.recv(65536)
            if not got:
                break
            buf += got
    finally:
        sock.close()
    resps = parse_responses(buf)
    check(len(resps) == 1 and resps[0][0] == 200, f"a {len(data)}-byte head in 7-byte pieces: {[r[:2] for r in resps]}")


def test_pipelined_requests():
    s = H.server()
    good = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    resps, _ = exchange(s.port, good + good + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    eq([r[0] for r in resps], [200, 200, 200], "three pipelined requests")
    hidden, name = hidden_request()
    resps, closed = exchange(s.port, good + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" + hidden)
    eq([r[0] for r in resps], [200, 400], "a good request, then a bad head on the same connection")
    check(closed, "the connection closes after the bad head")
    check(not account_exists(s, name), "the request after the bad head ran")


# What libmicrohttpd still answers itself (docs/deploy.md's table): HTML, connection closed, nothing run.
MHD_OWN = [
    ("a header line without a colon", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", 400),
    ("a NUL before the colon", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A\x00: 1\r\n\r\n", 400),
    ("a Content-Length that is not digits", b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400),
    ("a Content-Length too large for 64 bits",
     b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
    ("malformed chunked framing", b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n", 400),
    ("a request line over --conn-memory", b"GET /v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("headers over --conn-memory", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ("HTTP/2.0 in the request line", b"GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
]


def test_libmicrohttpd_own_answers_as_documented():
    s = H.server()
    doc = open(DEPLOY_MD, encoding="utf-8").read()
    table = doc[doc.index("These answers still come from libmicrohttpd itself"):]
    table = table[:table.index("\n\n", table.index("| status |"))]
    documented = set(int(m) for m in re.findall(r"^\| `(\d{3})` \|", table, re.M))
    for what, data, want in MHD_OWN:
        hidden, name = hidden_request()
        resps, closed = exchange(s.port, data + hidden)
        check(resps, f"{what}: no answer")
        status, hd, body = resps[0]
        eq(status, want, f"{what}: status")
        check(want in documented, f"{what}: {want} is not in docs/deploy.md's table of libmicrohttpd's answers")
        doubled = "Content-Length" in what  # 0.9.75 sends its status line twice for a Content-Length it refuses
        check(hd.get("content-type") is None and body.startswith(b"HTTP/1.1 " if doubled else b"<html>"),
              f"{what}: libmicrohttpd's answer changed (now {hd.get('content-type')!r} {body[:80]!r}); "
              "update docs/deploy.md")
        check(closed, f"{what}: the connection stays open")
        check(not account_exists(s, name), f"{what}: the request after it ran")
        s.health_ok(f"health after {what}")


# ---- behind nginx ---------------------------------------------------------------------------------------------

def nginx_binary():
    for p in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if p and os.access(p, os.X_OK):
            return p
    raise H.TestFailure("nginx is not installed (scripts/deps.sh installs it)")


def free_port():
    sk = socket.socket()
    sk.bind((H.HOST, 0))
    port = sk.getsockname()[1]
    sk.close()
    return port


def documented_site(upstream_port, listen_port):
    """The nginx site of docs/deploy.md, on 127.0.0.1 without TLS, for posternd on upstream_port."""
    doc = open(DEPLOY_MD, encoding="utf-8").read()
    start = doc.index("<!-- t28: nginx site begins -->")
    end = doc.index("<!-- t28: nginx site ends -->")
    block = [ln[4:] if ln.startswith("    ") else ln for ln in doc[start:end].splitlines()[1:]]
    out = []
    for ln in block:
        if re.search(r"^\s*(ssl_certificate|ssl_certificate_key|server_name)\b", ln):
            continue
        ln = ln.replace("listen 443 ssl http2;", f"listen {H.HOST}:{listen_port};")
        ln = ln.replace("127.0.0.1:8080", f"127.0.0.1:{upstream_port}")
        out.append(ln)
    site = "\n".join(out)
    check(f"listen {H.HOST}:{listen_port};" in site and f"127.0.0.1:{upstream_port}" in site,
          "docs/deploy.md's nginx site no longer has the listen/upstream lines this test rewrites")
    return site


class Nginx:
    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="postern-it-nginx-")
        self.port = free_port()
        site = documented_site(upstream_port, self.port)
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = (f"daemon off;\n{user}worker_processes 1;\npid {self.dir}/nginx.pid;\n"
                f"error_log {self.dir}/error.log info;\nevents {{ worker_connections 256; }}\n"
                f"http {{\n  access_log {self.dir}/access.log;\n"
                + "".join(f"  {k}_temp_path {self.dir}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
                + site + "\n}\n")
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([nginx_binary(), "-p", self.dir, "-e", f"{self.dir}/error.log", "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise H.TestFailure(f"nginx exited {self.proc.returncode}: {self.proc.stderr.read()[-800:]!r}")
            try:
                socket.create_connection((H.HOST, self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise H.TestFailure("nginx did not listen within 10 s")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


# A bare LF ends a line for nginx as for libmicrohttpd (RFC 9112 2.2 lets a recipient accept it), and nginx
# skips extra spaces in the request line; it forwards such a request in canonical form, a sound head.
NGINX_NORMALISES = {"a bare LF ending a header line", "a bare LF ending the head", "two spaces after the method"}


def test_behind_documented_nginx():
    s = H.server()
    with Nginx(s.port) as ng:
        # the site works for people: register, log in, a chunked body (nginx re-frames it), an event stream
        name = H.rand_name("ngx")
        expect_status(H.http_request(ng.port, "POST", "/v1/accounts", {"username": name, "password": "password1"}), 201,
                      "register through nginx")
        r = expect_status(H.http_request(ng.port, "POST", "/v1/sessions", {"username": name, "password": "password1"}),
                          201, "log in through nginx")
        token = r.json["token"]
        expect_status(H.http_request(ng.port, "GET", "/v1/me", token=token), 200, "GET /v1/me through nginx")
        body = json.dumps({"username": H.rand_name("ngc"), "password": "password1"}).encode()
        resps, _ = exchange(ng.port, b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        check(resps and resps[0][0] == 201, f"a chunked registration through nginx: {[r[:2] for r in resps]}")
        expect_error(H.http_request(ng.port, "GET", "/v1/nowhere"), 404, "not_found", "posternd's errors pass through")
        # every attack: refused (by nginx or by posternd), as JSON, and the hidden request never runs
        for what, data, hidden_name in attacks() + [(w, d + hidden_request()[0], None) for w, d, _ in MHD_OWN]:
            if what in ("HTTP/2.0 in the request line",):
                continue  # nginx answers 505 with its own page; nothing reaches posternd
            resps, _ = exchange(ng.port, data)
            check(resps, f"nginx, {what}: no answer")
            status, hd, rbody = resps[0]
            if what in NGINX_NORMALISES:
                eq(status, 200, f"nginx, {what}: nginx reads it as the client meant and sends posternd CRLF")
                continue
            check(status in (400, 413, 414, 431, 494), f"nginx, {what}: want a refusal, got {status} {rbody[:120]!r}")
            if status in (400, 413):
                check(hd.get("content-type", "").startswith("application/json"),
                      f"nginx, {what}: {status} is not JSON: {hd.get('content-type')!r} {rbody[:120]!r}")
            # nginx may well read the bytes after a refused request as the client's next request (they are
            # one, to nginx); smuggling is posternd running a request nginx did not answer the client for
            if hidden_name and account_exists(s, hidden_name):
                check([r[0] for r in resps] == [status, 201],
                      f"nginx, {what}: the hidden request ran behind nginx's back: {[r[:2] for r in resps]}")
        s.health_ok("posternd after every attack through nginx")
