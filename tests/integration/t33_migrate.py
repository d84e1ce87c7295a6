"""posternd migrate: a deployment's SQLite data copied into PostgreSQL (docs/deploy.md: PostgreSQL).

Needs a PostgreSQL server: POSTERN_IT_DATABASE (scripts/test.sh sets it for its PostgreSQL run, from
scripts/pg.sh); without it every test here is skipped. Each test copies into a schema of its own.
"""
import os
import subprocess

import harness as H
from harness import check, eq, expect_status


def _need_pg():
    if not H.PG_URL:
        raise H.Skip("needs PostgreSQL (POSTERN_IT_DATABASE)")


def _fresh_schema(tag):
    schema = f"mig_{tag}_{os.getpid()}_{H.rand_name('x').lower()}"
    schema = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in schema)
    H.psql(H.PG_URL, f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    return H.pg_url_with_schema(H.PG_URL, schema)


def _migrate(src_dir, url):
    return subprocess.run([H.BIN, "migrate", "--from", f"sqlite:{os.path.join(src_dir, 'postern.db')}", "--to", url],
                          capture_output=True, text=True, timeout=120)


def test_copied_deployment_serves_the_same_data_and_continues_its_event_ids():
    _need_pg()
    s = H.Server(database="").start()  # the deployment as it is today: SQLite in its data dir
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    bodies = [bytes([i, 0, 255, 10, 13]) * (i + 1) for i in range(12)]  # binary: NUL, 0xff, newlines
    for body in bodies:
        s.send(a, tid, body=body)
    before = s.messages(b, tid)
    events_before, cursor = s.sync_all(b)
    check(len(events_before) >= len(bodies), f"b has {len(events_before)} events")
    app = H.create_app(s, name="Copied app")
    s.stop()

    url = _fresh_schema("ok")
    p = _migrate(s.data_dir, url)
    eq(p.returncode, 0, f"posternd migrate exit status (stdout {p.stdout[-600:]!r}, stderr {p.stderr[-600:]!r})")
    check("counts equal" in p.stdout and "sampled rows identical" in p.stdout, f"migrate's last line: {p.stdout[-300:]!r}")
    check("migrate: messages" in p.stdout and " 12 rows" in p.stdout, f"messages line: {p.stdout!r}"[:600])

    # the same data dir (its keys) with the data now in PostgreSQL
    t = H.Server(data_dir=s.data_dir, database=url).start()
    try:
        a.token = t.login(a)
        b.token = t.login(b)
        eq(t.messages(b, tid), before, "messages after the move")
        events_after, cursor_after = t.sync_all(b)
        eq([e["cursor"] for e in events_after], [e["cursor"] for e in events_before], "event cursors after the move")
        # an old cursor still holds, and a new event comes after every copied one
        t.send(a, tid, body=b"after the move")
        new, _ = t.sync_all(b, since=cursor)
        check(new and all(int(e["cursor"]) > int(cursor) for e in new), f"events since the old cursor: {new!r}"[:400])
        check(any(e["type"] == "message.created" for e in new), "the new message's event")
        r = t.req("GET", "/v1/sync?since=" + cursor, token=b.token)
        expect_status(r, 200, "sync with a cursor from SQLite")
        # the app made before the move is there for the admin commands against PostgreSQL
        p2 = subprocess.run([H.BIN, "app", "show", app.client_id, *H.db_args(t)], capture_output=True, text=True,
                            timeout=15)
        eq(p2.returncode, 0, f"posternd app show after the move ({p2.stderr[-300:]!r})")
        check("Copied app" in p2.stdout, f"app show: {p2.stdout[:300]!r}")
    finally:
        t.stop()


def test_refuses_a_database_that_holds_data_and_bad_arguments():
    _need_pg()
    s = H.Server(database="").start()
    s.new_user()
    s.stop()
    url = _fresh_schema("twice")
    eq(_migrate(s.data_dir, url).returncode, 0, "first copy")
    p = _migrate(s.data_dir, url)
    eq(p.returncode, 1, "a second copy into the same database")
    check("not empty" in p.stdout, f"the reason: {p.stdout[-300:]!r}")
    for argv in (["migrate"], ["migrate", "--from", "x.db", "--to", url], ["migrate", "--from", "sqlite:x", "--to", "mysql://x"],
                 ["migrate", "--from", "sqlite:/nonexistent/postern.db", "--to", url]):
        p = subprocess.run([H.BIN, *argv], capture_output=True, text=True, timeout=30)
        check(p.returncode in (1, 2) and p.stderr.strip(), f"{argv[1:]!r}: exit {p.returncode}, stderr {p.stderr!r}")
