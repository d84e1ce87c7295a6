"""posternd on PostgreSQL when the database fails under it (docs/deploy.md: PostgreSQL): a commit that fails
answers its requests 5xx and the server goes on serving; connections the database dropped are made again.

Needs POSTERN_IT_DATABASE (scripts/test.sh's PostgreSQL run); skipped without it.
"""
import threading

import harness as H
from harness import check, eq, expect_status


def _pg_server(tag):
    if not H.PG_URL:
        raise H.Skip("needs PostgreSQL (POSTERN_IT_DATABASE)")
    s = H.Server()
    s.database += f"&application_name={tag}"  # so that the test can find this server's sessions
    return s.start()


def _schema(s):
    return H.pg_schema_of(s.data_dir)


def test_failed_commit_answers_5xx_and_the_server_goes_on():
    s = _pg_server("t34commit")
    try:
        s.new_user()
        # a check PostgreSQL makes only at COMMIT: the group holding this username cannot commit
        H.psql(H.PG_URL, f"""
            CREATE FUNCTION {_schema(s)}.refuse() RETURNS trigger LANGUAGE plpgsql AS
              $$BEGIN IF NEW.username = 'refused' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END$$;
            CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON {_schema(s)}.users DEFERRABLE INITIALLY DEFERRED
              FOR EACH ROW EXECUTE FUNCTION {_schema(s)}.refuse();""")
        r = s.req("POST", "/v1/accounts", {"username": "refused", "password": "correct horse battery"})
        check(500 <= r.status < 600, f"registration whose commit fails: {r.describe()}")
        check(isinstance(r.json, dict) and "error" in r.json, f"a JSON error body: {r.short_body()}")
        s.health_ok("health after a failed commit")
        # nothing of the failed group is there, and the next group commits
        r = s.req("POST", "/v1/sessions", {"username": "refused", "password": "correct horse battery"})
        eq(r.status, 401, "login as the account whose commit failed")
        u = s.new_user()
        check(u.token or s.login(u), "a new account after the failure")
        # several requests in flight while one of them cannot commit: each gets an answer, none hangs
        results = []

        def register(name):
            rr = s.req("POST", "/v1/accounts", {"username": name, "password": "correct horse battery"})
            results.append((name, rr.status))
        names = ["refused"] + [H.rand_name("g") for _ in range(7)]
        threads = [threading.Thread(target=register, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        eq(len(results), len(names), "answers to requests sent together")
        check(all(st in (201, 500, 503) for _, st in results), f"statuses {results}")
        check(dict(results)["refused"] >= 500, f"the refused one: {results}")
        for name, st in results:  # a 201 is a durable account, a 5xx is none
            r = s.req("POST", "/v1/sessions", {"username": name, "password": "correct horse battery"})
            eq(r.status, 201 if st == 201 else 401, f"login as {name} (registration answered {st})")
    finally:
        s.stop()


def test_dropped_connections_are_made_again():
    s = _pg_server("t34drop")
    try:
        a = s.new_user()
        for round_ in range(2):
            out = H.psql(H.PG_URL, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                   " WHERE application_name = 't34drop'")
            check(int(out.strip() or 0) >= 2, f"round {round_}: terminated {out.strip()} sessions of the server")
            # a write (the writer's BEGIN finds its connection gone) and reads (each reader's too)
            b = s.new_user()
            for _ in range(6):
                r = s.req("GET", "/v1/friends", token=a.token)
                expect_status(r, 200, f"round {round_}: a read after the database dropped the connections")
            a.token = s.login(a)
            check(b.user_id, "the new account")
        s.health_ok()
    finally:
        s.stop()
