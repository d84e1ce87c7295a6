"""The limits on guessing hold across nodes (docs/multinode.md, "Limits"): two posternd processes on one
PostgreSQL database, a deployment's two nodes, count one username's failed logins (and one account's backup
fetches) together, so alternating between them gets N guesses in all, not N on each; a successful login on
one clears the count on both.

Each node counts its own guesses at once and tells the other over the bus; the docs promise the other hears
within one second, so the test gives each count that second (SETTLE_S) before using the other node.

Needs POSTERN_IT_DATABASE; skipped without it.
"""
import os
import shutil
import tempfile
import time

import harness as H
from harness import check, eq

SETTLE_S = 1.0  # the documented bound for a count to reach the other nodes
LIMIT = 3


def _wait_listening(tags, timeout=10):
    """Wait until each server tagged (application_name) has its bus connection LISTENing."""
    names = ",".join(f"'{t}'" for t in tags)
    deadline = time.monotonic() + timeout
    while True:
        out = H.psql(H.PG_URL, f"SELECT count(*) FROM pg_stat_activity WHERE application_name IN ({names})"
                               " AND query LIKE 'LISTEN%'").strip()
        if out == str(len(tags)):
            return
        check(time.monotonic() < deadline, f"the nodes' bus connections listening: {out} of {len(tags)}")
        time.sleep(0.05)


def _two_nodes(tag, extra):
    """Two nodes of one deployment: the second has the first's database and schema (its data directory has the
    same name in another place, so the harness picks the same schema) and a copy of its server.key and log.key,
    which every node of a deployment shares (docs/deploy.md)."""
    if not H.PG_URL:
        raise H.Skip("needs PostgreSQL (POSTERN_IT_DATABASE)")
    a = H.Server(extra)
    a.database += f"&application_name={tag}a"
    a.start()
    parent = tempfile.mkdtemp(prefix="postern-it-node2-")
    H._tmpdirs.append(parent)
    b_dir = os.path.join(parent, os.path.basename(a.data_dir.rstrip("/")))
    os.mkdir(b_dir, 0o700)
    for name in ("server.key", "log.key"):
        shutil.copy2(os.path.join(a.data_dir, name), os.path.join(b_dir, name))
    b = H.Server(extra, data_dir=b_dir)
    eq(b.database, a.database.rsplit("&application_name=", 1)[0], "the second node's database and schema")
    b.database += f"&application_name={tag}b"
    try:
        b.start()
        _wait_listening([f"{tag}a", f"{tag}b"])
    except BaseException:
        a.stop()
        b.stop()
        raise
    return a, b


def _login(s, user, password):
    return s.req("POST", "/v1/sessions", {"username": user.username, "password": password})


def test_failed_logins_count_across_nodes():
    a, b = _two_nodes("t35login", [f"--login-fail-limit={LIMIT}"])
    try:
        u = a.new_user()  # made on A, seen by B: one database
        nodes = [a, b]
        # LIMIT wrong passwords, alternating A, B, A: each node alone has seen fewer than LIMIT of them
        for i in range(LIMIT):
            r = _login(nodes[i % 2], u, "wrong password")
            eq(r.status, 401, f"wrong password #{i + 1}, on node {'AB'[i % 2]}")
            time.sleep(SETTLE_S)
        # both nodes now refuse even the right password: LIMIT in all, not LIMIT on each
        for name, s in (("B", b), ("A", a)):
            r = _login(s, u, u.password)
            eq(r.status, 429, f"the right password on node {name} after {LIMIT} failures on A and B: {r.status} {r.short_body()}")
            check(int(r.headers.get("retry-after", "0")) > 0, f"Retry-After on node {name}: {r.headers}")
        # another username is not affected, on either node
        v = b.new_user()
        eq(_login(a, v, "wrong password").status, 401, "another username's failure on A")
    finally:
        a.stop()
        b.stop()


def test_a_login_clears_the_count_on_every_node():
    a, b = _two_nodes("t35clear", [f"--login-fail-limit={LIMIT}"])
    try:
        u = a.new_user()
        for s, name in ((a, "A"), (b, "B")):  # LIMIT - 1 failures in all
            eq(_login(s, u, "wrong password").status, 401, f"a wrong password on {name}")
            time.sleep(SETTLE_S)
        eq(_login(b, u, u.password).status, 201, "the right password on B, one failure short of the limit")
        time.sleep(SETTLE_S)
        # the login on B cleared the count on A too: LIMIT - 1 more failures leave room for a login on A
        for s, name in ((a, "A"), (b, "B")):
            eq(_login(s, u, "wrong password").status, 401, f"a wrong password on {name} after the login")
            time.sleep(SETTLE_S)
        r = _login(a, u, u.password)
        eq(r.status, 201, f"the right password on A: the login on B had cleared A's count too: {r.status} {r.short_body()}")
    finally:
        a.stop()
        b.stop()


def test_backup_fetches_count_across_nodes():
    a, b = _two_nodes("t35backup", ["--backup-fetch-limit=2"])
    try:
        u = a.new_user()
        token_b = b.login(u)
        for s, token, name in ((a, u.token, "A"), (b, token_b, "B")):
            r = s.req("GET", "/v1/me/identity/backup", token=token)
            check(r.status != 429, f"backup fetch on {name}, within the limit: {r.status} {r.short_body()}")
            time.sleep(SETTLE_S)
        for s, token, name in ((a, u.token, "A"), (b, token_b, "B")):
            r = s.req("GET", "/v1/me/identity/backup", token=token)
            eq(r.status, 429, f"a third backup fetch on {name}, two made on A and B: {r.status} {r.short_body()}")
    finally:
        a.stop()
        b.stop()
