"""posternd on PostgreSQL when the database aborts its work or goes away (docs/deploy.md, "When the database
restarts or fails over"; docs/multinode.md, "Deadlocks"): a group commit aborted by a deadlock is run again and
every request of it answered 2xx with its data stored once; while the database is down requests get 503 with
Retry-After and a JSON error, a write waits for it up to --db-wait, and the server serves again once the
database is back, without a restart.

Needs POSTERN_IT_DATABASE naming a cluster made by scripts/pg.sh (these tests halt and resume it, and take row
locks in it as its superuser over the socket); skipped without it.
"""
import os
import subprocess
import threading
import time
import urllib.parse

import harness as H
from harness import check, eq, expect_status

PG_SH = os.path.join(H.ROOT, "scripts", "pg.sh")


def _cluster_dir():
    if not H.PG_URL:
        raise H.Skip("needs PostgreSQL (POSTERN_IT_DATABASE)")
    d = urllib.parse.parse_qs(urllib.parse.urlsplit(H.PG_URL).query).get("host", [""])[0]
    if not d or not os.path.isfile(os.path.join(d, "postern-pg")):
        raise H.Skip("needs a cluster made by scripts/pg.sh (POSTERN_IT_DATABASE with host=its directory)")
    return d


def _superuser_url():
    """The same cluster as its bootstrap superuser (trusted on the socket): SET deadlock_timeout needs it."""
    u = urllib.parse.urlsplit(H.PG_URL)
    return urllib.parse.urlunsplit(u._replace(netloc="postgres@" + u.netloc.split("@", 1)[-1]))


def _pg_server(tag, extra=()):
    _cluster_dir()
    s = H.Server(list(extra))
    s.database += f"&application_name={tag}"  # so that the test can find this server's sessions
    return s.start()


def _pg_sh(*args):
    p = subprocess.run(["sh", PG_SH] + list(args), capture_output=True, text=True, timeout=90)
    check(p.returncode == 0, f"pg.sh {' '.join(args)} exited {p.returncode}: {p.stderr[-400:]}")


def _log(s):
    with open(s.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _wait_for(what, cond, timeout=30):
    deadline = time.monotonic() + timeout
    while not cond():
        check(time.monotonic() < deadline, f"{what}: not within {timeout} s")
        time.sleep(0.05)


class Holder:
    """A psql session of the superuser that takes row locks when told to and holds them until commit()."""

    def __init__(self, name):
        self.name = name
        self.p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", _superuser_url()],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.send(f"SET application_name = '{name}'; SET deadlock_timeout = '60s'; BEGIN;")

    def send(self, sql):
        self.p.stdin.write(sql + "\n")
        self.p.stdin.flush()

    def state(self):
        return H.psql(_superuser_url(), f"SELECT state FROM pg_stat_activity WHERE application_name = '{self.name}'").strip()

    def lock(self, sql):
        """Run sql (an UPDATE) and wait until it is done: the session is idle in its transaction again."""
        self.send(sql)
        _wait_for(f"{self.name}: {sql}", lambda: self.state() == "idle in transaction")

    def commit(self):
        self.send("COMMIT;")
        self.p.stdin.close()
        self.p.wait(60)
        check(self.p.returncode == 0, f"{self.name}: psql exited {self.p.returncode}: {self.p.stderr.read()[-400:]}")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)


def _blocked_by(tag, holder):
    """Is a session of the server tagged tag waiting for a lock holder's session has?"""
    out = H.psql(_superuser_url(), f"SELECT count(*) FROM pg_stat_activity s, pg_stat_activity h WHERE s.application_name ="
                           f" '{tag}' AND h.application_name = '{holder}' AND h.pid = ANY(pg_blocking_pids(s.pid))")
    return int(out.strip() or 0) > 0


def _ids(s, users):
    schema = H.pg_schema_of(s.data_dir)
    names = ",".join(f"'{u.username}'" for u in users)
    rows = H.psql(H.PG_URL, f"SELECT username, id FROM {schema}.users WHERE username IN ({names})").split()
    return dict(r.split("|") for r in rows)


def _cmids(s, user, tid):
    return [m["client_msg_id"] for m in s.messages(user, tid)]


def _threaded(fn, *args):
    out = {}

    def go():
        try:
            out["r"] = fn(*args)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out["e"] = e
    t = threading.Thread(target=go)
    t.start()
    return t, out


def _post(s, u, tid, cmid, body=b"hi"):
    return s.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": cmid, "body": H.b64(body)}, token=u.token)


def test_a_group_aborted_by_a_deadlock_is_run_again():
    """A batch of several requests in which one meets a deadlock: all answered 2xx, each stored once."""
    tag = "t36deadlock"
    s = _pg_server(tag)
    holders = []
    try:
        a, b, c, d = (s.new_user(p) for p in "abcd")
        s.befriend(a, b)
        s.befriend(c, d)
        t1 = s.thread(a, [b], expect=201)["thread_id"]
        t2 = s.thread(c, [d], expect=201)["thread_id"]
        s.send(a, t1, cmid="warm-1")
        s.send(c, t2, cmid="warm-2")
        ids = _ids(s, [a, b, c])
        lo, hi = sorted([int(ids[a.username]), int(ids[b.username])])  # a send appends to its members' logs in id order
        schema = H.pg_schema_of(s.data_dir)
        counter = f"UPDATE {schema}.event_counters SET n = n WHERE user_id = %d;"

        # h1 stalls the writer on c's log (so that the next requests queue up and form one group), h2 holds
        # the later of a's and b's logs, which a's send will wait for while holding the earlier one
        h1, h2 = Holder("t36hold1"), Holder("t36hold2")
        holders += [h1, h2]
        h1.lock(counter % int(ids[c.username]))
        h2.lock(counter % hi)
        r0 = _threaded(_post, s, c, t2, "r0")
        _wait_for("the writer waits for t36hold1's lock", lambda: _blocked_by(tag, "t36hold1"))
        r1 = _threaded(_post, s, a, t1, "r1")  # will deadlock with h2
        r2 = _threaded(_post, s, d, t2, "r2")
        r3 = _threaded(s.req, "POST", "/v1/accounts", {"username": H.rand_name("r"), "password": "correct horse battery"})
        time.sleep(0.5)  # the three reach the writer's queue (had one not, it only forms a group of its own)
        h1.commit()
        _wait_for("a's send waits for t36hold2's lock", lambda: _blocked_by(tag, "t36hold2"))
        # the cycle: h2 now waits for the earlier log a's send holds; PostgreSQL aborts the writer's transaction
        # (its deadlock_timeout, 1 s, is the shorter one)
        h2.send(counter % lo)
        h2.commit()
        for name, (t, out) in zip(["r0", "r1", "r2", "r3"], [r0, r1, r2, r3]):
            t.join(60)
            check("e" not in out, f"{name}: {out.get('e')!r}")
            check(200 <= out["r"].status < 300, f"{name} answered {out['r'].status} {out['r'].short_body()}")
        log = _log(s)
        # the writer met the holders: a deadlock, or a group's bounded lock wait that ran out first (either way
        # the request was undone and run again; without that it would have been answered 503, checked above)
        check("deadlock detected" in log or "lock timeout" in log,
              f"the database reported the deadlock or the bounded wait (server log: {log[-1500:]})")
        eq(sorted(_cmids(s, b, t1)), ["r1", "warm-1"], "thread 1 holds each send once")
        eq(sorted(_cmids(s, d, t2)), ["r0", "r2", "warm-2"], "thread 2 holds each send once")
        created = [e for e in s.sync_all(b)[0] if e["type"] == "message.created"]
        eq(sorted(e["message"]["client_msg_id"] for e in created), ["r1", "warm-1"], "b's log has one event a send")
        r = s.req("POST", "/v1/sessions", {"username": r3[1]["r"].json["username"], "password": "correct horse battery"})
        expect_status(r, 201, "login as the account registered in the aborted group")
    finally:
        for h in holders:
            h.kill()
        s.stop()


def _expect_503(r, what):
    eq(r.status, 503, f"{what}: {r.short_body()}")
    ra = r.header("Retry-After")
    check(ra is not None and ra.isdigit() and int(ra) >= 1, f"{what}: Retry-After {ra!r}")
    check(isinstance(r.json, dict) and isinstance(r.json.get("error"), dict), f"{what}: a JSON error: {r.short_body()}")
    return r.json["error"]["code"]


def test_database_down_answers_503_then_serves_again():
    d = _cluster_dir()
    s = _pg_server("t36down", ["--db-wait=1"])
    halted = False
    try:
        a, b = s.new_user(), s.new_user()
        s.befriend(a, b)
        tid = s.thread(a, [b], expect=201)["thread_id"]
        for i in range(3):
            s.send(a, tid, cmid=f"before-{i}")
        _pg_sh("halt", d, "fast")
        halted = True
        eq(_expect_503(_post(s, a, tid, "during-0"), "a send while the database is down"), "database_unavailable",
           "its code")
        _expect_503(_post(s, b, tid, "during-1"), "another send")
        eq(_expect_503(s.req("GET", f"/v1/threads/{tid}/messages", token=a.token), "a read"), "database_unavailable",
           "the read's code")
        _expect_503(s.req("GET", "/v1/health"), "health")
        _expect_503(s.req("POST", "/v1/sessions", {"username": a.username, "password": a.password}), "a login")
        _pg_sh("resume", d)
        halted = False
        s.health_ok("health once the database is back")
        s.send(a, tid, cmid="after-0")
        s.send(b, tid, cmid="during-1", expect=201)  # the 503 stored nothing: the retry makes it
        eq(sorted(_cmids(s, b, tid)), ["after-0", "before-0", "before-1", "before-2", "during-1"],
           "every send answered 2xx is there once, the 503 ones only when retried")
        check(s.login(a), "a login")
    finally:
        if halted:
            _pg_sh("resume", d)
        s.stop()


def test_a_write_waits_for_the_database_to_come_back():
    d = _cluster_dir()
    s = _pg_server("t36wait", ["--db-wait=25"])
    halted = False
    try:
        a, b = s.new_user(), s.new_user()
        s.befriend(a, b)
        tid = s.thread(a, [b], expect=201)["thread_id"]
        _pg_sh("halt", d, "fast")
        halted = True
        t, out = _threaded(_post, s, a, tid, "waited")
        _wait_for("the writer finds the database down", lambda: "writes wait for it" in _log(s))
        _pg_sh("resume", d)
        halted = False
        t.join(40)
        check("e" not in out, f"the send: {out.get('e')!r}")
        eq(out["r"].status, 201, f"the send that waited: {out['r'].short_body()}")
        eq(_cmids(s, b, tid), ["waited"], "stored once")
        check("reachable again" in _log(s), "the writer says the database is back")
    finally:
        if halted:
            _pg_sh("resume", d)
        s.stop()


def test_sends_in_flight_while_the_database_restarts():
    """Each send answered 2xx is stored; each answered 5xx is stored once after a retry with its client_msg_id."""
    d = _cluster_dir()
    s = _pg_server("t36restart", ["--db-wait=20"])
    halted = False
    try:
        a, b = s.new_user(), s.new_user()
        s.befriend(a, b)
        tid = s.thread(a, [b], expect=201)["thread_id"]
        results = {}
        stop = threading.Event()

        def sender(k):
            i = 0
            while not stop.is_set() and i < 200:
                cmid = f"s{k}-{i}"
                r = _post(s, a if k % 2 else b, tid, cmid)
                results[cmid] = r
                i += 1
        threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        _wait_for("sends under way", lambda: len(results) >= 8)
        _pg_sh("halt", d, "immediate")
        halted = True
        _pg_sh("resume", d)
        halted = False
        n = len(results)
        _wait_for("sends go on after the restart", lambda: len(results) >= n + 8)
        stop.set()
        for t in threads:
            t.join(60)
        failed = {c: r for c, r in results.items() if r.status >= 300}
        for c, r in failed.items():
            check(r.status in (500, 503), f"{c}: {r.status} {r.short_body()}")
            check(isinstance(r.json, dict) and "error" in r.json, f"{c}: a JSON error {r.short_body()}")
            if r.status == 503:
                check(r.header("Retry-After"), f"{c}: 503 with Retry-After")
            k = int(c[1:].split("-")[0])
            rr = _post(s, a if k % 2 else b, tid, c)
            check(rr.status in (200, 201), f"retry of {c}: {rr.status} {rr.short_body()}")
        got = _cmids(s, a, tid)
        eq(len(got), len(set(got)), "no send stored twice")
        eq(sorted(got), sorted(results), "every send is stored: the 2xx ones, and the 5xx ones after their retry")
        s.health_ok()
    finally:
        if halted:
            _pg_sh("resume", d)
        s.stop()
