"""
harness.py -- black-box test harness for posternd (Python 3.11 standard library only).

What it gives the test files (tNN_*.py):

  server()                  the shared server of the current test file (started lazily; run.py stops it
                            after the file).  Module-level SERVER_FLAGS in a test file adds flags to it.
  Server(extra=[...], data_dir=...)   a private server; use it as a context manager.
  Server(share_database_with=a)       on PostgreSQL: a second node on a's database and schema (t35)
  srv.req(method, path, body=..., token=..., headers=...) -> Resp(status, headers, raw, json)
  srv.new_user(), srv.login(), srv.befriend(a, b), srv.new_device(user), srv.thread(...), srv.send(...),
  srv.sync_all(...), srv.sse(...)   scenario helpers
  raw_request(port, bytes)  a hand-written request over a raw socket (for malformed framing)
  SSE                       a text/event-stream reader over a raw socket (handles chunked encoding)
  expect_status / expect_error / expect_keys / expect_ts / check / eq   assertions with useful messages

Process hygiene: every server is started with --port=0 on 127.0.0.1 and gets a watchdog process (a small
sh loop) that SIGKILLs it when the test runner disappears (orphan) or when a hard deadline passes.  Every
server is also registered so stop_all() (called by run.py after every file, and at exit) kills what is left.
"""
import atexit
import base64
import calendar
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("POSTERND", os.path.join(ROOT, "build", "posternd"))
HOST = "127.0.0.1"
SERVER_HARD_LIMIT_S = int(os.environ.get("POSTERN_IT_SERVER_MAX_S", "600"))
HTTP_TIMEOUT_S = 30
LOG_DIR = os.environ.get("POSTERN_IT_LOG_DIR") or tempfile.mkdtemp(prefix="postern-it-logs-")

# tests/tools/stmt, next to the server binary: signs protocol-2 statements (identity, certificates, links, ...)
STMT_BIN = os.environ.get("POSTERN_STMT", os.path.join(os.path.dirname(BIN), "tools", "stmt"))
# POSTERN_IT_DATABASE: a PostgreSQL URL (scripts/pg.sh's PG_URL). Every server then keeps its data there, in a
# schema of its own named after its data dir (so a restart finds it again), instead of DATA_DIR/postern.db; a
# test that edits a server's database itself does it through server_db(), on either engine.
PG_URL = os.environ.get("POSTERN_IT_DATABASE", "")
# every test registers its accounts from 127.0.0.1: the per-address limit is t29's to test
BASE_FLAGS = ["--pwhash-memlimit=8192", "--pwhash-opslimit=1", "--log-level=warn", "--register-limit=1000000"]
LISTEN_RE = re.compile(r"^posternd listening on http://127\.0\.0\.1:(\d+)$")
# tolerant form used to find the port (the exact form is checked by t01 test_listening_line)
LISTEN_PREFIX_RE = re.compile(r"^posternd listening on http://127\.0\.0\.1:(\d+)(?:\s|$)")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")

# The error vocabulary is the server's own table (`posternd errors`), read from the binary under test once, so
# the tests cannot drift from it: error_table() has its rows, and ERROR_STATUS (code -> HTTP status of every
# error, the status >= 400 rows) and CODES_400 are computed from it when first used (module __getattr__ below).
_error_rows = []


def error_table():
    """The rows of `posternd errors`: [{"name","code","status","message"}, ...] in table order (OK first)."""
    if _error_rows:
        return _error_rows
    try:
        p = subprocess.run([BIN, "errors"], capture_output=True, timeout=15)
    except OSError as e:
        raise TestFailure(f"cannot run {BIN} errors: {e}")
    if p.returncode != 0:
        raise TestFailure(f"posternd errors exited {p.returncode}: {p.stderr[-300:]!r}")
    try:
        rows = json.loads(p.stdout)
    except ValueError:
        raise TestFailure(f"posternd errors printed non-JSON: {p.stdout[:300]!r}")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TestFailure(f"posternd errors: want a non-empty JSON array of objects, got {p.stdout[:300]!r}")
    _error_rows.extend(rows)
    return _error_rows


def error_status():
    """{wire code: HTTP status} of every error (status >= 400) in the server's table."""
    return {r["code"]: r["status"] for r in error_table() if r["status"] >= 400}


def __getattr__(name):
    if name == "ERROR_STATUS":
        return error_status()
    if name == "CODES_400":
        return tuple(c for c, s in error_status().items() if s == 400)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TestFailure(AssertionError):
    pass


# ----------------------------------------------------------------------------------------------------------
# assertions

def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: expected {want!r}, got {got!r}")


def expect_status(resp, status, what=None):
    """status is an int or a tuple of ints. Returns resp."""
    ok = resp.status in status if isinstance(status, (tuple, list, set)) else resp.status == status
    if not ok:
        raise TestFailure(f"{what + ': ' if what else ''}{resp.describe()}: expected status {status}, "
                          f"got {resp.status} {resp.short_body()}")
    return resp


def expect_error(resp, status, code=None, what=None):
    """An error response: the status, JSON content type and exactly {"error":{"code","message"}}.
    code is a string, a tuple of acceptable strings, or None (any code that the table gives this status)."""
    expect_status(resp, status, what)
    pfx = f"{what + ': ' if what else ''}{resp.describe()} -> {resp.status}"
    ctype = resp.header("content-type") or ""
    check(ctype.split(";")[0].strip().lower() == "application/json",
          f"{pfx}: error Content-Type is {ctype!r}, want application/json")
    j = resp.json
    check(isinstance(j, dict), f"{pfx}: error body is not a JSON object: {resp.short_body()}")
    check(set(j.keys()) == {"error"}, f"{pfx}: error body keys {sorted(j.keys())}, want ['error']")
    e = j["error"]
    check(isinstance(e, dict) and set(e.keys()) == {"code", "message"},
          f"{pfx}: error object is {e!r}, want exactly keys code, message")
    check(isinstance(e["code"], str) and isinstance(e["message"], str) and e["message"] != "",
          f"{pfx}: error code/message must be non-empty strings: {e!r}")
    if code is None:
        allowed = tuple(c for c, s in error_status().items() if s == resp.status)
    elif isinstance(code, str):
        allowed = (code,)
    else:
        allowed = tuple(code)
    check(e["code"] in allowed, f"{pfx}: error code {e['code']!r}, want {' or '.join(allowed)}")
    return resp


# Shape problems that do not stop a test (extra, undocumented fields) are collected here; run.py fails the
# test with them once it has run to the end, so one extra field does not hide the behaviour checks after it.
_deferred = []


def defer(msg):
    if msg not in _deferred:
        _deferred.append(msg)


def take_deferred():
    out = list(_deferred)
    _deferred.clear()
    return out


def expect_keys(obj, keys, what):
    """Exactly these keys. Missing keys fail at once; extra keys fail the test at its end (see defer)."""
    check(isinstance(obj, dict), f"{what}: expected a JSON object, got {obj!r}"[:400])
    got = set(obj.keys())
    want = set(keys)
    if want - got:
        raise TestFailure(f"{what}: keys {sorted(got)}, want exactly {sorted(want)} "
                          f"(missing {sorted(want - got)}, extra {sorted(got - want)})")
    if got - want:
        defer(f"{what}: undocumented extra keys {sorted(got - want)} (documented: {sorted(want)})")
    return obj


def expect_ts(value, what):
    check(isinstance(value, str) and TS_RE.match(value) is not None,
          f"{what}: {value!r} is not RFC 3339 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)")
    return value


def expect_id(value, what):
    check(isinstance(value, str) and value != "", f"{what}: expected a non-empty string id, got {value!r}")
    return value


def ts_epoch(value):
    """Seconds since the epoch of an RFC 3339 .mmmZ string."""
    t = time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) + int(value[20:23]) / 1000.0


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rand_name(prefix="u"):
    return (prefix + os.urandom(6).hex())[:32]


_CLASSES = ["0123456789", "abcdef", "ghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "-_"]


def fake_id(real):
    """An id shaped like `real` (same length and character classes where possible) that names nothing."""
    m = re.match(r"^(.*?)(\d+)$", real)
    if len(real) < 16 and m:
        return m.group(1) + str(int(m.group(2)) + 7000000 + int.from_bytes(os.urandom(2), "big"))
    out = list(real)
    changed = 0
    for i in range(len(out) - 1, -1, -1):
        for cls in _CLASSES:
            if out[i] in cls and len(cls) > 1:
                choices = [c for c in cls if c != out[i]]
                out[i] = choices[os.urandom(1)[0] % len(choices)]
                changed += 1
                break
        if changed >= 8:
            break
    if changed == 0:
        return real + "x"
    return "".join(out)


# ----------------------------------------------------------------------------------------------------------
# HTTP

class Resp:
    def __init__(self, method, path, status, headers, raw):
        self.method = method
        self.path = path
        self.status = status
        self.headers_list = headers  # [(lower-case name, value)]
        self.headers = {}
        for k, v in headers:
            self.headers[k] = v if k not in self.headers else self.headers[k] + ", " + v
        self.raw = raw
        self.json = None
        if raw:
            try:
                self.json = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def describe(self):
        return f"{self.method} {self.path}"

    def short_body(self, n=300):
        try:
            s = self.raw.decode("utf-8", "replace")
        except Exception:
            s = repr(self.raw)
        return s if len(s) <= n else s[:n] + "..."

    def __repr__(self):
        return f"<Resp {self.describe()} {self.status} {self.short_body(120)}>"


def http_request(port, method, path, body=None, token=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """body: dict/list (sent as JSON), bytes/str (sent as-is with application/json unless headers say
    otherwise) or None. token: bearer token. headers: extra headers (value None removes a default)."""
    hdrs = {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else
                                                     json.dumps(body).encode())
        hdrs["Content-Type"] = "application/json"
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    for k, v in (headers or {}).items():
        for existing in list(hdrs):
            if existing.lower() == k.lower():
                del hdrs[existing]
        if v is not None:
            hdrs[k] = v
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        return Resp(method, path, r.status, [(k.lower(), v) for k, v in r.getheaders()], raw)
    finally:
        conn.close()


class RawResp(Resp):
    pass


def _parse_head(buf):
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.decode("latin-1").partition(":")
        headers.append((k.strip().lower(), v.strip()))
    return status, headers, rest


def raw_request(port, data, timeout=10, chunk=65536):
    """Send bytes over a fresh socket and parse one HTTP response. Sends in pieces and stops sending when
    the server answers early (e.g. 413 before the body is read). Returns RawResp; raises if no response."""
    first_line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    method, _, rest = first_line.partition(" ")
    path = rest.rsplit(" ", 1)[0]
    s = socket.create_connection((HOST, port), timeout=timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        off = 0
        while off < len(data):
            r, w, _ = select.select([s], [s], [], max(0.0, deadline - time.monotonic()))
            if r:
                break  # the server answers before reading everything
            if not w:
                break
            try:
                off += s.send(data[off:off + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
        while True:
            if b"\r\n\r\n" in buf:
                status, headers, rest_ = _parse_head(buf)
                hd = dict(headers)
                if "content-length" in hd and len(rest_) >= int(hd["content-length"].split(",")[0]):
                    body = rest_[:int(hd["content-length"].split(",")[0])]
                    return RawResp(method, path, status, headers, body)
                if hd.get("transfer-encoding", "").lower() == "chunked":
                    body, done = _dechunk(rest_)
                    if done:
                        return RawResp(method, path, status, headers, body)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure(f"raw {first_line!r}: no complete response within {timeout}s: {buf[:300]!r}")
            s.settimeout(left)
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                got = b""
            except socket.timeout:
                got = None
            if got is None:
                continue
            if not got:
                if b"\r\n\r\n" in buf:
                    status, headers, rest_ = _parse_head(buf)
                    return RawResp(method, path, status, headers, rest_)
                raise TestFailure(f"raw {first_line!r}: connection closed without a response "
                                  f"(got {buf[:300]!r})")
            buf += got
    finally:
        s.close()


def _dechunk(data):
    out = b""
    i = 0
    while True:
        j = data.find(b"\r\n", i)
        if j < 0:
            return out, False
        size = int(data[i:j].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return out, True
        if len(data) < j + 2 + size + 2:
            return out, False
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


# ----------------------------------------------------------------------------------------------------------
# SSE

class SSE:
    """GET an event stream over a raw socket. After construction: status, headers, and (for non-200) body /
    json. next_event(timeout) returns {"id","event","data"(parsed JSON),"raw_data"} or None on timeout;
    heartbeats (comment lines) are counted in self.comments."""

    def __init__(self, port, path="/v1/events", token=None, headers=None, timeout=10, version="1.1"):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        lines = [f"GET {path} HTTP/{version}", f"Host: {HOST}:{port}", "Accept: text/event-stream"]
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.path = path
        self.raw = b""       # undecoded bytes after the head
        self.text = ""      # decoded stream text not yet parsed into events
        self.comments = []
        self.closed = False
        self.chunked = False
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure(f"SSE {path}: no response head within {timeout}s")
            self.sock.settimeout(left)
            got = self.sock.recv(65536)
            if not got:
                raise TestFailure(f"SSE {path}: connection closed before the response head ({buf[:200]!r})")
            buf += got
        self.status, self.headers_list, rest = _parse_head(buf)
        self.headers = dict(self.headers_list)
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.raw = rest
        self.json = None
        self.body = b""
        if self.status != 200:
            # read the (small) error body
            n = int(self.headers.get("content-length", "-1"))
            while (n >= 0 and len(self.raw) < n) or (self.chunked and not _dechunk(self.raw)[1]):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                got = self.sock.recv(65536)
                if not got:
                    break
                self.raw += got
            self.body = _dechunk(self.raw)[0] if self.chunked else self.raw[:n if n >= 0 else None]
            try:
                self.json = json.loads(self.body)
            except ValueError:
                pass

    def header(self, name):
        return self.headers.get(name.lower())

    def _decode_available(self):
        if not self.chunked:
            self.text += self.raw.decode("utf-8")
            self.raw = b""
            return
        while True:
            j = self.raw.find(b"\r\n")
            if j < 0:
                return
            size = int(self.raw[:j].split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.closed = True
                self.raw = b""
                return
            if len(self.raw) < j + 2 + size + 2:
                return
            self.text += self.raw[j + 2:j + 2 + size].decode("utf-8")
            self.raw = self.raw[j + 2 + size + 2:]

    def _pop_block(self):
        t = self.text.replace("\r\n", "\n")
        self.text = t
        k = t.find("\n\n")
        if k < 0:
            return None
        block, self.text = t[:k], t[k + 2:]
        return block

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or self.closed:
            return False
        self.sock.settimeout(left)
        try:
            got = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            self.closed = True
            return False
        if not got:
            self.closed = True
            return False
        self.raw += got
        self._decode_available()
        return True

    def next_block(self, timeout):
        deadline = time.monotonic() + timeout
        self._decode_available()
        while True:
            b = self._pop_block()
            if b is not None:
                return b
            if not self._fill(deadline):
                return None

    def next_event(self, timeout=10):
        """The next real event (comment-only blocks are recorded and skipped), or None on timeout/close."""
        deadline = time.monotonic() + timeout
        while True:
            block = self.next_block(max(0.0, deadline - time.monotonic()))
            if block is None:
                return None
            ev = {"id": None, "event": None, "data": None, "raw_data": None}
            datas = []
            for line in block.split("\n"):
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                name, _, val = line.partition(":")
                if val.startswith(" "):
                    val = val[1:]
                if name == "id":
                    ev["id"] = val
                elif name == "event":
                    ev["event"] = val
                elif name == "data":
                    datas.append(val)
            if not datas and ev["id"] is None and ev["event"] is None:
                continue
            ev["raw_data"] = "\n".join(datas)
            try:
                ev["data"] = json.loads(ev["raw_data"])
            except ValueError:
                ev["data"] = None
            return ev

    def wait_comment(self, timeout):
        """Wait for a comment line (heartbeat); returns it or None. Events seen meanwhile are kept in
        self.skipped."""
        deadline = time.monotonic() + timeout
        n0 = len(self.comments)
        self.skipped = getattr(self, "skipped", [])
        while len(self.comments) == n0:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ev = self.next_event(left)
            if ev is not None:
                self.skipped.append(ev)
            elif len(self.comments) == n0:
                return None
        return self.comments[n0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# ----------------------------------------------------------------------------------------------------------
# servers

_servers = []
_servers_lock = threading.Lock()
_tmpdirs = []

WATCHDOG_SH = r'''
parent=$1; child=$2; left=$3
while [ "$left" -gt 0 ]; do
  kill -0 "$child" 2>/dev/null || exit 0
  kill -0 "$parent" 2>/dev/null || break
  sleep 1
  left=$((left-1))
done
kill -9 "$child" 2>/dev/null
exit 0
'''


class Skip(Exception):
    """A test that cannot run in this configuration: run.py prints it as skipped, neither passed nor failed."""


# ----------------------------------------------------------------------------------------------------------
# the server's own database, opened by a test as its operator could (t23's attacks, moving time in reports)

# Debian's python3-psycopg2 installs here, for Debian's python3; another python3 of the same version (a
# python3 built apart from Debian, first on PATH) imports the module from here when it has none of its own.
DEBIAN_PY3_DIST = "/usr/lib/python3/dist-packages"


def _psycopg2():
    try:
        import psycopg2
    except ImportError:
        if DEBIAN_PY3_DIST in sys.path or not os.path.isdir(DEBIAN_PY3_DIST):
            raise TestFailure("psycopg2 is missing: install python3-psycopg2 (scripts/deps.sh)")
        sys.path.append(DEBIAN_PY3_DIST)  # last, so that nothing else of the running python3 is shadowed
        try:
            import psycopg2
        except ImportError as e:
            raise TestFailure(f"psycopg2 does not import ({e}): install python3-psycopg2 (scripts/deps.sh)")
    return psycopg2


def _pg_sql(sql):
    """sql with sqlite3's ? placeholders as psycopg2's %s (a literal % doubled); quoted text is left alone."""
    out, quoted = [], False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def _plain(row):
    """A row as sqlite3 gives it: psycopg2 answers a BYTEA as a memoryview, sqlite3 a BLOB as bytes."""
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


class _PgCursor:
    def __init__(self, cur):
        self._cur = cur

    def fetchone(self):
        row = self._cur.fetchone()
        return None if row is None else _plain(row)

    def fetchall(self):
        return [_plain(r) for r in self._cur.fetchall()]

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self):
        return self._cur.rowcount


class ServerDB:
    """One connection to a server's own database, SQLite file or PostgreSQL schema alike, with the small part
    of sqlite3's surface the tests use: execute(sql, params) and executemany answer a cursor (fetchone,
    fetchall, iteration, rowcount; a new row's id comes from RETURNING id, portable to both, not lastrowid),
    commit, rollback, close, and `with`. The SQL is written for both engines (ON CONFLICT, not INSERT OR
    ...); only ? placeholders are translated, and a BYTEA comes back as bytes.
    Both engines open a transaction at the first statement: nothing is seen by the server before commit.
    Unlike sqlite3's, leaving a `with` block also closes the connection (after commit, or rollback on an
    exception), so that an attack is durable before the test goes on to drive the clients."""

    def __init__(self, srv):
        self.pg = bool(srv.database)
        if self.pg:
            self._con = _psycopg2().connect(srv.database)  # the URL names the server's schema (search_path)
        else:
            self._con = sqlite3.connect(os.path.join(srv.data_dir, "postern.db"), timeout=30)
            self._con.execute("PRAGMA busy_timeout=30000")

    def execute(self, sql, params=()):
        if not self.pg:
            return self._con.execute(sql, params)
        cur = self._con.cursor()
        cur.execute(_pg_sql(sql), tuple(params))
        return _PgCursor(cur)

    def executemany(self, sql, seq):
        if not self.pg:
            return self._con.executemany(sql, seq)
        cur = self._con.cursor()
        cur.executemany(_pg_sql(sql), [tuple(p) for p in seq])
        return _PgCursor(cur)

    def commit(self):
        self._con.commit()

    def rollback(self):
        self._con.rollback()

    def close(self):
        self._con.close()  # both drivers: a second close does nothing; an open transaction is rolled back

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._con.commit()
            else:
                self._con.rollback()
        finally:
            self._con.close()
        return False


def server_db(srv):
    """A ServerDB on srv's database (its --database URL, else DATA_DIR/postern.db); the caller closes it."""
    return ServerDB(srv)


def psql(url, sql):
    """Run sql with psql against url (PostgreSQL); its output, or TestFailure."""
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", url, "-c", sql], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, f"psql {sql[:80]!r} exited {p.returncode}: {p.stderr[-300:]}")
    return p.stdout


def pg_url_with_schema(url, schema):
    """url with schema as the connection's search_path (libpq's options parameter)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def pg_schema_of(data_dir):
    return "it_" + re.sub(r"[^a-z0-9_]", "_", os.path.basename(data_dir.rstrip("/")).lower())


class User:
    def __init__(self, username, password, user_id, token=None):
        self.username = username
        self.password = password
        self.user_id = user_id
        self.token = token
        self.device = None  # dict: device_id, sign_pk, box_pk, sign_sk, name
        self.identity = None  # protocol 2: {"seed","pk","sk"} of the identity key it published

    def ref(self):
        return {"user_id": self.user_id, "username": self.username}

    def __repr__(self):
        return f"<User {self.username} {self.user_id}>"


class Server:
    counter = 0

    def __init__(self, extra=(), data_dir=None, database=None, share_database_with=None):
        """database: a --database URL; None: PostgreSQL when POSTERN_IT_DATABASE is set, else SQLite; "": SQLite.
        share_database_with: a started Server on PostgreSQL; this one becomes a second node of it (docs/deploy.md,
        "PostgreSQL and several nodes"): the same database URL and schema, a data dir of its own holding copies
        of that server's server.key and log.key, which every node must share."""
        self.extra = list(extra)
        self.own_dir = data_dir is None
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="postern-it-data-")
            _tmpdirs.append(data_dir)
        self.data_dir = data_dir
        self.schema = pg_schema_of(data_dir)  # the schema start() makes when the URL is POSTERN_IT_DATABASE's
        if share_database_with is not None:
            other = share_database_with
            check(database is None, "Server: give database or share_database_with, not both")
            check(other.database.startswith(("postgresql://", "postgres://")) and other.proc is not None,
                  f"Server(share_database_with=...): the other server must have been started on PostgreSQL "
                  f"(its database is {other.database!r})")
            for key in ("server.key", "log.key"):
                src = os.path.join(other.data_dir, key)
                check(os.path.exists(src), f"Server(share_database_with=...): {src} does not exist")
                shutil.copyfile(src, os.path.join(data_dir, key))
                os.chmod(os.path.join(data_dir, key), 0o600)
            database = other.database
            self.schema = other.schema
        if database is None:
            database = pg_url_with_schema(PG_URL, self.schema) if PG_URL else ""
        self.database = database
        self.proc = None
        self.watchdog = None
        self.port = None
        self.expect_dead = False
        self.log_path = None

    # -- lifecycle
    def start(self, timeout=15):
        if not os.path.exists(BIN):
            raise TestFailure(f"{BIN} does not exist (build it with make -C {ROOT} build/posternd)")
        Server.counter += 1
        self.log_path = os.path.join(LOG_DIR, f"posternd-{os.getpid()}-{Server.counter}.log")
        logf = open(self.log_path, "ab")
        argv = [BIN, "--port=0", f"--data-dir={self.data_dir}"] + BASE_FLAGS + self.extra
        if self.database:
            if PG_URL and self.database.startswith(PG_URL):
                psql(PG_URL, f"SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS {self.schema}")
            argv.append(f"--database={self.database}")
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=logf,
                                     cwd=ROOT)
        logf.close()
        self.expect_dead = False
        with _servers_lock:
            _servers.append(self)
        self.watchdog = subprocess.Popen(["sh", "-c", WATCHDOG_SH, "posternd-watchdog", str(os.getpid()),
                                          str(self.proc.pid), str(SERVER_HARD_LIMIT_S)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        fd = self.proc.stdout.fileno()
        line = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in line:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise TestFailure(f"posternd printed no listening line within {timeout}s "
                                  f"(stdout so far {line!r}; log {self.log_tail()})")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                got = os.read(fd, 4096)
                if not got:
                    code = self.proc.wait(5)
                    raise TestFailure(f"posternd exited ({code}) before listening; argv {' '.join(argv)}; "
                                      f"stdout {line!r}; log: {self.log_tail()}")
                line += got
        first = line.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
        self.listen_line = first
        m = LISTEN_PREFIX_RE.match(first)
        if not m:
            self.kill()
            raise TestFailure(f"posternd's first stdout line is {first!r}, want "
                              f"'posternd listening on http://127.0.0.1:PORT'")
        self.port = int(m.group(1))
        check(self.port > 0, "posternd printed port 0")
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        try:
            while self.proc and self.proc.stdout and os.read(self.proc.stdout.fileno(), 4096):
                pass
        except (OSError, ValueError):
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _reap_watchdog(self):
        if self.watchdog is not None:
            if self.watchdog.poll() is None:
                try:
                    self.watchdog.kill()
                except ProcessLookupError:
                    pass
            try:
                self.watchdog.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.watchdog = None

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after timeout. Returns the exit code."""
        code = None
        if self.proc is not None:
            self.expect_dead = True
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    code = self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    code = self.proc.wait(5)
            else:
                code = self.proc.returncode
            try:
                self.proc.stdout.close()
            except Exception:
                pass
        self._reap_watchdog()
        with _servers_lock:
            if self in _servers:
                _servers.remove(self)
        return code

    def kill(self):
        """SIGKILL (a crash)."""
        if self.proc is not None:
            self.expect_dead = True
            if self.proc.poll() is None:
                try:
                    self.proc.kill()
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
        self._reap_watchdog()
        with _servers_lock:
            if self in _servers:
                _servers.remove(self)

    def restart(self):
        """Same data dir, database and flags, new port."""
        s = Server(self.extra, self.data_dir, self.database)
        s.schema = self.schema
        return s.start()

    def log_tail(self, n=1500):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-n:].decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *a):
        self.stop()

    # -- requests
    def req(self, method, path, body=None, token=None, headers=None, timeout=HTTP_TIMEOUT_S):
        return http_request(self.port, method, path, body=body, token=token, headers=headers, timeout=timeout)

    def raw(self, data, timeout=10):
        return raw_request(self.port, data, timeout=timeout)

    def sse(self, token=None, path="/v1/events", headers=None, timeout=10, version="1.1"):
        return SSE(self.port, path=path, token=token, headers=headers, timeout=timeout, version=version)

    def health_ok(self, what="health after the previous request"):
        r = self.req("GET", "/v1/health", timeout=10)
        expect_status(r, 200, what)
        eq(r.json, {"status": "ok", "version": "0.1.0"}, what)

    # -- scenario helpers
    def create_account(self, username=None, password=None):
        username = username or rand_name()
        password = password or ("pw-" + os.urandom(8).hex())
        r = self.req("POST", "/v1/accounts", {"username": username, "password": password})
        expect_status(r, 201, "create account")
        return User(username, password, r.json["user_id"])

    def login(self, user, password=None):
        r = self.req("POST", "/v1/sessions", {"username": user.username, "password": password or user.password})
        expect_status(r, 201, "login")
        return r.json["token"]

    def new_user(self, prefix="u"):
        u = self.create_account(rand_name(prefix))
        u.token = self.login(u)
        return u

    def befriend(self, a, b):
        r = self.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
        expect_status(r, 201, f"friend request {a.username} -> {b.username}")
        rid = r.json["request_id"]
        r = self.req("POST", f"/v1/friends/requests/{rid}/accept", token=b.token)
        expect_status(r, 200, f"accept friend request {a.username} -> {b.username}")
        return rid

    def keygen(self, user_id):
        p = subprocess.run([BIN, "keygen", user_id], capture_output=True, timeout=15)
        check(p.returncode == 0, f"posternd keygen exited {p.returncode}: {p.stderr[-300:]!r}")
        try:
            k = json.loads(p.stdout)
        except ValueError:
            raise TestFailure(f"posternd keygen printed non-JSON: {p.stdout[:300]!r}")
        for f in ("sign_pk", "box_pk", "sig", "sign_sk"):
            check(isinstance(k.get(f), str), f"posternd keygen output lacks {f}: {k!r}")
        return k

    def new_device(self, user, name="laptop", token=None):
        k = self.keygen(user.user_id)
        r = self.req("POST", "/v1/devices", {"name": name, "sign_pk": k["sign_pk"], "box_pk": k["box_pk"],
                                             "sig": k["sig"]}, token=token or user.token)
        expect_status(r, 201, "register device")
        dev = dict(r.json)
        dev["sign_sk"] = k["sign_sk"]
        if token is None or token == user.token:
            user.device = dev
        return dev

    # -- protocol version 2: identity keys and signed statements (made with tests/tools/stmt)
    def publish_identity(self, user, keys=None, reset=None, expect=(200, 201)):
        """PUT /v1/me/identity for user with a fresh (or the given) identity key; sets user.identity to
        {"seed","pk","sk"} and returns the response."""
        keys = keys or json.loads(stmt("keygen"))
        body = {"statement": stmt("sign", keys["sk"], "identity", f"user_id={user.user_id}",
                                  f"username={user.username}", f"key={keys['pk']}"),
                "backup": stmt("backup", keys["seed"], user.user_id)}
        if reset is not None:
            body["reset"] = reset
        r = self.req("PUT", "/v1/me/identity", body, token=user.token)
        expect_status(r, expect, "publish identity")
        if r.status in (200, 201):
            user.identity = keys
        return r

    def cert(self, user, device):
        """A DEVICE_CERT of device (a dict with device_id, sign_pk, box_pk) by user's identity key."""
        return stmt("sign", user.identity["sk"], "cert", f"device_id={device['device_id']}",
                    f"key={device['sign_pk']}", f"key2={device['box_pk']}")

    def certify(self, user, device, box=True, expect=200):
        body = {"cert": self.cert(user, device)}
        if box:
            body["identity_box"] = stmt("box", user.identity["seed"], device["device_id"], device["box_pk"])
        r = self.req("PUT", f"/v1/devices/{device['device_id']}/cert", body, token=user.token)
        expect_status(r, expect, "certify a device")
        return r

    def link(self, user, op, ids, kind=2, prev=None, device=None):
        """A membership link by user's device (op: 1 CREATE, 2 ADD, 3 REMOVE; kind: 1 direct, 2 group)."""
        device = device or user.device
        args = ["sign", device["sign_sk"], "link", f"op={op}", f"kind={kind}", f"actor_user_id={user.user_id}",
                f"actor_device_id={device['device_id']}", "ids=" + ",".join(ids)]
        if prev is not None:
            args.append(f"prev={prev}")
        return stmt(*args)

    def thread(self, creator, members, expect=(200, 201)):
        r = self.req("POST", "/v1/threads", {"members": [m.user_id for m in members]}, token=creator.token)
        expect_status(r, expect, "create thread")
        return r.json

    def send(self, user, thread_id, body=b"hello", cmid=None, kind=None, token=None, expect=201):
        payload = {"client_msg_id": cmid or ("c" + os.urandom(8).hex()), "body": b64(body)}
        if kind is not None:
            payload["kind"] = kind
        r = self.req("POST", f"/v1/threads/{thread_id}/messages", payload, token=token or user.token)
        if expect is not None:
            expect_status(r, expect, "send message")
        return r.json

    def messages(self, user, thread_id, token=None):
        """Every message of the thread visible to user, paging with after=."""
        out = []
        after = 0
        while True:
            r = self.req("GET", f"/v1/threads/{thread_id}/messages?after={after}&limit=200",
                         token=token or user.token)
            expect_status(r, 200, "list messages")
            ms = r.json["messages"]
            out += ms
            if not r.json["has_more"] or not ms:
                return out
            after = ms[-1]["seq"]

    def sync(self, user, since=None, timeout=None, limit=None, token=None):
        q = []
        if since is not None:
            q.append(f"since={since}")
        if timeout is not None:
            q.append(f"timeout={timeout}")
        if limit is not None:
            q.append(f"limit={limit}")
        path = "/v1/sync" + ("?" + "&".join(q) if q else "")
        r = self.req("GET", path, token=token or user.token)
        expect_status(r, 200, "sync")
        return r.json

    def sync_all(self, user, since=None, token=None):
        """All events from `since` (or the start) until the log is drained. Returns (events, cursor)."""
        events = []
        cursor = since
        for _ in range(1000):
            j = self.sync(user, since=cursor, timeout=0, token=token)
            cursor = j["cursor"]
            if not j["events"]:
                return events, cursor
            events += j["events"]
        raise TestFailure("sync never drained")


def stmt(*args):
    """Run tests/tools/stmt with args; its output (a statement, a hash, an id or a code) without the newline."""
    if not os.path.exists(STMT_BIN):
        raise TestFailure(f"{STMT_BIN} does not exist (make {os.path.relpath(STMT_BIN, ROOT)})")
    p = subprocess.run([STMT_BIN, *args], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"stmt {' '.join(args[:2])} exited {p.returncode}: {p.stderr[-300:]!r}")
    return p.stdout.strip()


def stop_all():
    with _servers_lock:
        servers = list(_servers)
    for s in servers:
        try:
            s.stop(timeout=5)
        except Exception:
            try:
                s.kill()
            except Exception:
                pass


def cleanup_tmp():
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)
    _tmpdirs.clear()


atexit.register(stop_all)

# ----------------------------------------------------------------------------------------------------------
# the shared per-file server (run.py sets CURRENT_FLAGS before each file and calls reset_shared() after it)

_shared = None
CURRENT_FLAGS = []


def server():
    global _shared
    if _shared is None or not _shared.alive():
        _shared = Server(CURRENT_FLAGS).start()
    return _shared


def shared_if_started():
    return _shared


def reset_shared():
    global _shared
    if _shared is not None:
        _shared.stop()
    _shared = None


# ----------------------------------------------------------------------------------------------------------
# OAuth 2.0 / partner helpers (docs/partner.md; used by t15_oauth.py and t16_partner.py)

import hashlib  # noqa: E402
import html as _html  # noqa: E402
import urllib.parse  # noqa: E402

ALL_SCOPES = "friends:read messages:send messages:read messages:delete reports:read"
USER_SCOPES = "friends:read messages:send messages:read messages:delete"


class App:
    def __init__(self, client_id, client_secret, redirect_uris, scopes, public):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris)
        self.redirect_uri = self.redirect_uris[0]
        self.scopes = scopes
        self.public = public

    def __repr__(self):
        return f"<App {self.client_id}>"


def db_args(srv):
    """The flags that name srv's database to a posternd admin subcommand: --data-dir, and --database if it has one."""
    return ["--data-dir", srv.data_dir] + (["--database", srv.database] if srv.database else [])


def create_app(srv, name=None, redirect_uris=("https://app.example/cb",), scopes=ALL_SCOPES, public=False,
               rates=None):
    """`posternd app create` against srv's data dir. rates: {"person": N, "app": N, "recipient": N}."""
    if isinstance(redirect_uris, str):
        redirect_uris = [redirect_uris]
    argv = [BIN, "app", "create", *db_args(srv), "--name", name or rand_name("app"),
            "--scopes", scopes]
    for u in redirect_uris:
        argv += ["--redirect-uri", u]
    if public:
        argv.append("--public")
    for k, v in (rates or {}).items():
        argv += [f"--rate-{k}", str(v)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    check(p.returncode == 0, f"posternd app create exited {p.returncode}: {p.stderr[-400:]!r}")
    m = re.search(r"^client_id:\s*(\S+)", p.stdout, re.M)
    check(m, f"posternd app create printed no client_id line: {p.stdout[:400]!r}")
    sm = re.search(r"^client_secret:\s*(\S+)", p.stdout, re.M)
    check(public or sm, f"posternd app create printed no client_secret for a confidential app: {p.stdout[:400]!r}")
    check(not public or not sm, "posternd app create printed a client_secret for a public app")
    return App(m.group(1), sm.group(1) if sm else None, redirect_uris, scopes, public)


def report_settings(srv, app, **opts):
    """`posternd app report-settings CLIENT_ID --k … --cap … --epsilon … --delta … --mechanism …` against srv's
    data dir (opts: mechanism, epsilon, delta, k, cap); returns what it printed."""
    argv = [BIN, "app", "report-settings", app.client_id, *db_args(srv)]
    for k, v in opts.items():
        argv += [f"--{k}", str(v)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    check(p.returncode == 0, f"posternd app report-settings exited {p.returncode}: {p.stderr[-400:]!r}")
    return p.stdout


REPORT_PERIOD_MS = 14 * 86400000


def report_period_start(ms):
    """The first day ("YYYY-MM-DD") of the 14-day report period holding the time ms (periods start 2024-01-01)."""
    day = ms // 86400000
    start = 19723 + (day - 19723) // 14 * 14  # 2024-01-01 is day 19723
    return time.strftime("%Y-%m-%d", time.gmtime(start * 86400))


def report_time_passes(srv, days=14):
    """As if `days` had passed for reports: every share, open and report-settings change in srv's database is
    moved that far into the past (the shifted shares land in an earlier period, closed when days >= 14).
    Frozen reports stay as they are. Returns the period start the most recent share now falls in, or None."""
    ms = days * 86400000
    with server_db(srv) as con:
        con.execute("UPDATE shares SET created_at = created_at - ?", (ms,))
        con.execute("UPDATE share_clicks SET at = at - ?", (ms,))
        con.execute("UPDATE report_settings SET since = since - ?", (ms,))
        last = con.execute("SELECT MAX(created_at) FROM shares").fetchone()[0]
    return report_period_start(last) if last is not None else None


def form_encode(fields):
    """fields: dict or list of pairs (a list may repeat names); a str is sent as it is."""
    if isinstance(fields, str):
        return fields
    return urllib.parse.urlencode(list(fields.items()) if isinstance(fields, dict) else list(fields))


def basic_auth(client_id, secret):
    cred = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
    return "Basic " + base64.b64encode(cred.encode()).decode()


def post_form(srv, path, fields, headers=None, basic=None):
    """POST application/x-www-form-urlencoded. basic: (client_id, client_secret) for client_secret_basic."""
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        hdrs["Authorization"] = basic_auth(*basic)
    hdrs.update(headers or {})
    return srv.req("POST", path, body=form_encode(fields), headers=hdrs)


def pkce_pair():
    verifier = b64(os.urandom(32))
    challenge = b64(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


def query_of(url):
    """The query of a URL as a dict of lists."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def query1(url):
    return {k: v[0] for k, v in query_of(url).items()}


def set_cookie_value(resp, name):
    """The value of cookie `name` in resp's Set-Cookie headers, or None; also returns the whole header."""
    for k, v in resp.headers_list:
        if k == "set-cookie" and v.split("=", 1)[0].strip() == name:
            return v.split("=", 1)[1].split(";", 1)[0], v
    return None, None


def hidden_fields(page_html):
    """{name: value} of every <input type="hidden"> of an HTML page (attributes in any order)."""
    out = {}
    for tag in re.findall(r"<input\b[^>]*>", page_html, re.I | re.S):
        attrs = dict((k.lower(), _html.unescape(v2 if v2 is not None and v1 == "" else v1))
                     for k, v1, v2 in [(a, b, c) for a, b, c in
                                       re.findall(r'([\w:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', tag)])
        if attrs.get("type", "").lower() == "hidden" and "name" in attrs:
            out[attrs["name"]] = attrs.get("value", "")
    return out


def form_inputs(page_html):
    """Every <input> of a page as a list of attribute dicts."""
    res = []
    for tag in re.findall(r"<input\b[^>]*>", page_html, re.I | re.S):
        attrs = {}
        for k, v1, v2 in re.findall(r'([\w:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', tag):
            attrs[k.lower()] = _html.unescape(v1 if v1 or not v2 else v2)
        for flag in re.findall(r"\s(checked|selected|disabled)(?=[\s/>])", tag, re.I):
            attrs.setdefault(flag.lower(), flag.lower())
        res.append(attrs)
    return res


class Browser:
    """A person's browser for one server: keeps the postern_session cookie, never follows redirects."""

    def __init__(self, srv):
        self.srv = srv
        self.cookie = None
        self.login_cookie = None  # postern_login: the login form's CSRF double-submit cookie

    def headers(self, extra=None):
        h = {}
        jar = []
        if self.cookie is not None:
            jar.append(f"postern_session={self.cookie}")
        if self.login_cookie is not None:
            jar.append(f"postern_login={self.login_cookie}")
        if jar:
            h["Cookie"] = "; ".join(jar)
        h.update(extra or {})
        return h

    def _keep(self, r):
        val, _ = set_cookie_value(r, "postern_login")
        if val:
            self.login_cookie = val
        return r

    def get(self, path):
        return self._keep(self.srv.req("GET", path, headers=self.headers()))

    def post(self, path, fields):
        return self._keep(self.srv.req("POST", path, body=form_encode(fields),
                                       headers=self.headers({"Content-Type": "application/x-www-form-urlencoded"})))

    def login(self, user, extra_fields=None):
        """Fetch a login form (for its login_csrf field and cookie), then POST /oauth/login with the user's
        credentials plus the form's hidden fields."""
        fields = {}
        if "login_csrf" not in (extra_fields or {}):  # no form fetched by the caller: fetch one
            form = self.get("/account/apps")
            fields = hidden_fields(form.raw.decode("utf-8", "replace"))
        fields.update({"username": user.username, "password": user.password})
        fields.update(extra_fields or {})
        r = self.post("/oauth/login", fields)
        val, _ = set_cookie_value(r, "postern_session")
        check(val, f"POST /oauth/login set no postern_session cookie: {r.status} {r.headers} {r.short_body()}")
        self.cookie = val
        return r


def authorize_path(app, scope=None, state=None, challenge=None, method="S256", redirect_uri=None, extra=None,
                   omit=()):
    q = {"response_type": "code", "client_id": app.client_id,
         "redirect_uri": redirect_uri if redirect_uri is not None else app.redirect_uri,
         "scope": scope if scope is not None else " ".join(x for x in app.scopes.split() if x != "reports:read"),
         "state": state if state is not None else "st-" + os.urandom(6).hex(),
         "code_challenge": challenge if challenge is not None else pkce_pair()[1],
         "code_challenge_method": method}
    q.update(extra or {})
    for k in omit:
        q.pop(k, None)
    return "/oauth/authorize?" + form_encode(q)


def consent_page(srv, browser, user, path):
    """GET the authorize path as `browser`, logging `user` in through the login form when it is shown.
    Returns the consent page response (200 HTML with hidden fields)."""
    r = browser.get(path)
    if browser.cookie is None or (r.status == 200 and 'name="password"' in r.raw.decode("utf-8", "replace")):
        check(r.status == 200, f"GET {path} without a session: {r.status} {r.short_body()}")
        fields = hidden_fields(r.raw.decode("utf-8", "replace"))
        browser.login(user, fields)
        r = browser.get(path)
    return r


def approve(srv, app, user, scope=None, state=None, browser=None, expiry_days=30, extra=None, decision="approve"):
    """Drive the browser flow for `user` and return (code, verifier, redirect query dict, Location)."""
    verifier, challenge = pkce_pair()
    state = state or ("st-" + os.urandom(6).hex())
    browser = browser or Browser(srv)
    path = authorize_path(app, scope=scope, state=state, challenge=challenge, extra=extra)
    r = consent_page(srv, browser, user, path)
    check(r.status == 200, f"consent page: {r.status} {r.short_body()}")
    fields = hidden_fields(r.raw.decode("utf-8", "replace"))
    check("csrf" in fields, f"consent page has no hidden csrf field: {sorted(fields)}")
    fields["decision"] = decision
    fields["expiry_days"] = str(expiry_days)
    r = browser.post("/oauth/authorize", fields)
    check(r.status == 303, f"POST /oauth/authorize ({decision}): {r.status} {r.short_body()}")
    loc = r.header("location") or ""
    q = query1(loc)
    eq(q.get("state"), state, "state in the redirect")
    if decision == "approve":
        check(q.get("code"), f"no code in the redirect {loc!r}")
    return q.get("code"), verifier, q, loc


def token(srv, app, fields, auth="basic"):
    """POST /oauth/token. auth: "basic", "post", "none" (client_id only) or None (no client auth)."""
    fields = dict(fields) if isinstance(fields, dict) else list(fields)
    if auth == "post" and isinstance(fields, dict):
        fields["client_id"] = app.client_id
        fields["client_secret"] = app.client_secret
    elif auth == "none" and isinstance(fields, dict):
        fields["client_id"] = app.client_id
    if auth == "basic" and app.client_secret is not None:
        return post_form(srv, "/oauth/token", fields, basic=(app.client_id, app.client_secret))
    if auth == "basic":
        if isinstance(fields, dict):
            fields["client_id"] = app.client_id
    return post_form(srv, "/oauth/token", fields)


def redeem(srv, app, code, verifier, auth="basic"):
    return token(srv, app, {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri,
                            "code_verifier": verifier}, auth=auth)


def grant_tokens(srv, app, user, scope=None, browser=None, expiry_days=30, extra=None):
    """The whole code flow: returns the token response JSON."""
    code, verifier, _, _ = approve(srv, app, user, scope=scope, browser=browser, expiry_days=expiry_days,
                                   extra=extra)
    r = redeem(srv, app, code, verifier)
    check(r.status == 200, f"token (authorization_code): {r.status} {r.short_body()}")
    return r.json


def client_token(srv, app, scope="reports:read"):
    fields = {"grant_type": "client_credentials"}
    if scope:
        fields["scope"] = scope
    r = token(srv, app, fields)
    check(r.status == 200, f"token (client_credentials): {r.status} {r.short_body()}")
    return r.json["access_token"]
