"""The partner platform's promises, held under attack (issue 11, docs/partner.md):

- every call an app makes with a person's access token is exactly one line in that person's access log —
  allowed, refused for scope (403), for route (a partner token on the person's own API: 401), for rate
  (429), for bad input, and a long-poll however often it is woken;
- an app's event stream and long-poll end within a second of the token's revocation, of the grant's (the
  person, refresh-token reuse, code replay, the app revoking its refresh token, the operator suspending or
  deleting the app from another process), and at the token's expiry, idle or not;
- an authorization code presented by the wrong client (or refused for another reason) is not used up;
- each app sees a name for each person that is not their username, different for every app, which the
  person can choose (API and `postern apps alias`);
- the share page answers with whole pairwise ids or an error, also when allocations fail.

Times are measured against deadlines: each wait ends as soon as what it waits for happens, and fails when it
does not in time.
"""
import os
import re
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import check, eq, expect_error, expect_status

from t16_partner import World, pick, send_share, shared

PAIRWISE_RE = re.compile(r"^p_[A-Za-z0-9_-]{22}$")


# ---- helpers ----

def log_entries(s, user):
    r = s.req("GET", "/v1/me/access-log?limit=200", token=user.token)
    expect_status(r, 200, "access log")
    return r.json["entries"]


def e_key(e):
    return (e["at"], e["action"], e.get("thread_id"), e.get("message_id"), e["count"], e.get("grant_id"))


class LogWatch:
    """The person's access log before a call; then exactly the lines the call added."""

    def __init__(self, s, user):
        self.s, self.user = s, user
        self.before = {e_key(e) for e in log_entries(s, user)}

    def new(self):
        return [e for e in log_entries(self.s, self.user) if e_key(e) not in self.before]

    def one(self, what, settle=0.4, timeout=3.0):
        """Wait (to a deadline) for the call's line, then make sure no second one follows; return it."""
        deadline = time.monotonic() + timeout
        got = self.new()
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
            got = self.new()
        check(got, f"{what}: no line in the access log within {timeout}s")
        time.sleep(settle)  # a second line would be written by now (the after-write is one queued job)
        got = self.new()
        eq(len(got), 1, f"{what}: lines in the access log ({[e['action'] for e in got]})")
        return got[0]


def ended_within(stream, t0, limit, what):
    """Read the SSE stream until it closes; fail unless it closed within `limit` seconds of t0."""
    deadline = t0 + limit + 2
    while not stream.closed and time.monotonic() < deadline:
        stream.next_event(max(0.05, deadline - time.monotonic()))
    check(stream.closed, f"{what}: the stream is still open {time.monotonic() - t0:.1f}s later")
    took = time.monotonic() - t0
    check(took <= limit, f"{what}: the stream ended {took:.2f}s later (limit {limit}s)")
    return took


class LongPoll:
    """GET /v1/partner/sync?timeout=60000 in a thread; .done() waits for the answer."""

    def __init__(self, s, tok, since):
        self.resp = None
        self.finished = None
        self.t = threading.Thread(target=self._run, args=(s, tok, since), daemon=True)
        self.t.start()
        time.sleep(0.4)  # parked by now (the call answers at once only when there is something to say)
        check(self.resp is None, f"the long-poll answered before waiting: {self.resp and self.resp.short_body()}")

    def _run(self, s, tok, since):
        self.resp = s.req("GET", f"/v1/partner/sync?timeout=60000&since={since}", token=tok, timeout=70)
        self.finished = time.monotonic()

    def done(self, t0, limit, what):
        self.t.join(limit + 3)
        check(self.finished is not None, f"{what}: the long-poll is still waiting {time.monotonic() - t0:.1f}s later")
        took = self.finished - t0
        check(took <= limit, f"{what}: the long-poll ended {took:.2f}s later (limit {limit}s)")
        return self.resp


def sync_cursor(s, tok):
    r = s.req("GET", "/v1/partner/sync?timeout=0&limit=500", token=tok)
    expect_status(r, 200, "partner sync")
    return r.json["cursor"]


# ---- 1. the access log: one line per call, every refusal included ----

def test_allowed_call_is_one_line():
    s = H.server()
    w = World(s)
    lw = LogWatch(s, w.alice)
    expect_status(s.req("GET", "/v1/partner/friends", token=w.at), 200, "friends")
    eq(lw.one("an allowed call")["action"], "friends.list", "the line of an allowed call")


def test_refused_for_scope_is_one_line():
    s = H.server()
    w = World(s, scope="friends:read messages:send")
    for method, path, action in (("GET", "/v1/partner/threads", "threads.list"),
                                 ("GET", "/v1/partner/sync?timeout=0", "events.read"),
                                 ("DELETE", "/v1/partner/threads/t_x/messages/m_x", "messages.delete")):
        lw = LogWatch(s, w.alice)
        r = s.req(method, path, token=w.at)
        eq((r.status, ((r.json or {}).get("error") or {}).get("code")), (403, "insufficient_scope"),
           f"{method} {path} without its scope")
        e = lw.one(f"{method} {path} refused for scope")
        eq(e["action"], f"denied.scope:{action}", f"{method} {path}: the line's action")
        eq(e["grant_id"], w.grant_id(), "the line names the grant")
    # the stream too
    lw = LogWatch(s, w.alice)
    with s.sse(token=w.at, path="/v1/partner/events") as st:
        eq(st.status, 403, "events without messages:read")
    eq(lw.one("events refused for scope")["action"], "denied.scope:events.stream", "the stream's line")


def test_partner_token_on_the_persons_routes_is_one_line():
    s = H.server()
    w = World(s)
    for method, path, body in (("GET", "/v1/threads", None), ("GET", "/v1/me", None),
                               ("POST", "/v1/threads", {"members": []}), ("GET", "/v1/sync?timeout=0", None),
                               ("GET", "/v1/partner/reports?period_start=2024-01-01", None)):
        lw = LogWatch(s, w.alice)
        r = s.req(method, path, body, token=w.at)
        expect_error(r, 401, "unauthorized", f"an app's token on {method} {path}")
        e = lw.one(f"an app's token on {method} {path}")
        want = "denied.route:" + method + " " + path.split("?")[0][3:]
        check(e["action"] == want[:39], f"{method} {path}: the line's action {e['action']!r}, want {want[:39]!r}")
        eq(e["app"]["name"], "Tunes", "the line names the app")
    # the stream of the person's own events
    lw = LogWatch(s, w.alice)
    with s.sse(token=w.at, path="/v1/events") as st:
        eq(st.status, 401, "an app's token on /v1/events")
    eq(lw.one("an app's token on /v1/events")["action"], "denied.route:GET /events", "the stream's line")
    # an unknown token names nobody: no line, and the same 401
    lw = LogWatch(s, w.alice)
    expect_error(s.req("GET", "/v1/threads", token="pa." + "A" * 43), 401, "unauthorized", "an unknown app token")
    time.sleep(0.4)
    eq(lw.new(), [], "an unknown token's call leaves no line")


def test_refused_for_rate_is_one_line():
    s = H.server()
    app = H.create_app(s, "Limited", rates={"recipient": 1})
    w = World(s, app=app)
    pb = pick(s, app, w.browser, [w.bob])[0]
    expect_status(send_share(s, w.at, pb, cmid="r1"), 201, "first share")
    lw = LogWatch(s, w.alice)
    r = send_share(s, w.at, pb, cmid="r2")
    expect_error(r, 429, "rate_limited", "second share within the hour")
    eq(lw.one("a share refused for rate")["action"], "denied.rate:shares.send", "the line of a 429")


def test_every_other_refusal_and_a_retry_are_one_line():
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w, cmid="once")
    cases = [
        ("a bad body", lambda: s.req("POST", "/v1/partner/shares", {"to": pb}, token=w.at), 400, "denied:shares.send"),
        ("an unknown recipient", lambda: send_share(s, w.at, "p_" + "x" * 22), 404, "denied:shares.send"),
        ("a thread outside the grant", lambda: s.req("GET", "/v1/partner/threads/t_nope/messages", token=w.at), 404,
         "denied:messages.read"),
        ("another's message", lambda: s.req("DELETE", f"/v1/partner/threads/{sh['thread_id']}/messages/m_nope",
                                            token=w.at), 404, "denied:messages.delete"),
        ("a to-device without a device", lambda: s.req("POST", "/v1/partner/to-device", {"messages": []}, token=w.at),
         400, "denied:keys.share"),
        ("a bad cursor", lambda: s.req("GET", "/v1/partner/sync?since=x", token=w.at), 400, "denied:events.read"),
        ("a repeated client_msg_id", lambda: send_share(s, w.at, pb, cmid="once"), 200, "shares.repeat"),
    ]
    for what, call, status, action in cases:
        lw = LogWatch(s, w.alice)
        r = call()
        eq(r.status, status, f"{what}: status ({r.short_body()})")
        eq(lw.one(what)["action"], action, f"{what}: the line's action")
    # deleting twice: both are lines (the second deletes nothing)
    for i in range(2):
        lw = LogWatch(s, w.alice)
        expect_status(s.req("DELETE", f"/v1/partner/threads/{sh['thread_id']}/messages/{sh['message_id']}", token=w.at),
                      204, f"delete {i + 1}")
        e = lw.one(f"delete {i + 1}")
        eq((e["action"], e["count"], e["message_id"]), ("messages.delete", 1 - i, sh["message_id"]), f"delete {i + 1}: line")


def test_a_long_poll_is_one_line_however_often_it_wakes():
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    cursor = sync_cursor(s, w.at)
    time.sleep(0.3)
    lw = LogWatch(s, w.alice)
    got = {}

    def poll():
        got["r"] = s.req("GET", f"/v1/partner/sync?timeout=20000&since={cursor}", token=w.at, timeout=30)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    time.sleep(0.5)
    # alice's first-party activity wakes her waiters; the app sees nothing of it and waits on
    normal = s.thread(w.alice, [w.bob])["thread_id"]
    for i in range(3):
        s.send(w.alice, normal, body=b"not for the app", cmid=f"n{i}")
    time.sleep(0.4)
    check("r" not in got, "the app's long-poll answered with first-party activity")
    # then the app's own thread gets a message: the poll answers with it
    expect_status(s.req("POST", f"/v1/threads/{sh['thread_id']}/messages",
                        {"client_msg_id": "a1", "body": H.b64(b"alice in the app thread")}, token=w.alice.token),
                  201, "alice writes in the app thread")
    t.join(10)
    check("r" in got, "the long-poll did not answer the app thread's message")
    expect_status(got["r"], 200, "long-poll")
    check(got["r"].json["events"], "the long-poll returned the event")
    e = lw.one("a long-poll woken four times", settle=0.6)
    eq((e["action"], e["count"]), ("events.wait", 0), "the long-poll's one line (written when it began to wait)")


# ---- 2. streams and long-polls end with their credential ----

def revoke_token(s, app, token):
    r = H.post_form(s, "/oauth/revoke", {"token": token}, basic=(app.client_id, app.client_secret))
    expect_status(r, 200, "revoke")


def reuse_refresh(s, w):
    rt = w.tok["refresh_token"]
    expect_status(H.token(s, w.app, {"grant_type": "refresh_token", "refresh_token": rt}), 200, "refresh")
    r = H.token(s, w.app, {"grant_type": "refresh_token", "refresh_token": rt})
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "refresh token reused")


def app_cli(s, verb, client_id):
    p = subprocess.run([H.BIN, "app", verb, client_id, *H.db_args(s)], capture_output=True, text=True,
                       timeout=15)
    check(p.returncode == 0, f"posternd app {verb}: exit {p.returncode} {p.stderr[-300:]!r}")


ENDINGS = [
    ("the token revoked at /oauth/revoke", lambda s, w, at: revoke_token(s, w.app, at)),
    ("the person revokes the grant", lambda s, w, at: expect_status(
        s.req("DELETE", f"/v1/me/grants/{w.grant_id()}", token=w.alice.token), 204, "revoke grant")),
    ("the refresh token reused", lambda s, w, at: reuse_refresh(s, w)),
    ("the app revokes its refresh token", lambda s, w, at: revoke_token(s, w.app, w.tok["refresh_token"])),
    ("the operator suspends the app", lambda s, w, at: app_cli(s, "suspend", w.app.client_id)),
    ("the operator deletes the app", lambda s, w, at: app_cli(s, "delete", w.app.client_id)),
]


def test_stream_ends_with_its_credential():
    s = H.server()
    for cause, act in ENDINGS:
        w = World(s)
        at = w.at
        with s.sse(token=at, path="/v1/partner/events") as st:
            eq(st.status, 200, f"{cause}: events")
            st.next_event(0.3)  # let the stream settle (idle from here on)
            act(s, w, at)
            ended_within(st, time.monotonic(), 1.2, cause)  # from the moment the change is made
        expect_error(s.req("GET", "/v1/partner/friends", token=at), 401, "unauthorized", f"{cause}: the token afterwards")


def test_stream_ends_on_code_replay():
    s = H.server()
    w = World(s)
    code, verifier, _, _ = H.approve(s, w.app, w.alice, browser=w.browser)
    r = H.redeem(s, w.app, code, verifier)
    expect_status(r, 200, "redeem")
    at = r.json["access_token"]
    with s.sse(token=at, path="/v1/partner/events") as st:
        eq(st.status, 200, "events")
        st.next_event(0.3)
        r = H.redeem(s, w.app, code, verifier)
        eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "the code replayed")
        ended_within(st, time.monotonic(), 1.2, "code replay")
    log = [e["action"] for e in log_entries(s, w.alice)]
    check("grant.revoked.code_replay" in log, f"the person's log says why: {log}")


def test_long_poll_ends_with_its_credential():
    s = H.server()
    for cause, act in ENDINGS:
        w = World(s)
        at = w.at
        lp = LongPoll(s, at, sync_cursor(s, at))
        act(s, w, at)
        r = lp.done(time.monotonic(), 1.2, f"long-poll, {cause}")
        expect_error(r, 401, "unauthorized", f"long-poll, {cause}: the answer")


def test_stream_and_long_poll_end_at_the_tokens_expiry():
    with H.Server(extra=["--access-ttl=5", "--heartbeat-ms=15000"]) as s:
        w = World(s)
        issued = time.monotonic()  # the token came moments ago: it expires 5 s from its issue
        with s.sse(token=w.at, path="/v1/partner/events") as st:
            eq(st.status, 200, "events")
            lp = LongPoll(s, w.at, sync_cursor(s, w.at))
            # idle: nothing happens until the token's expiry, well before the 15 s heartbeat
            took = ended_within(st, issued, 6.3, "an idle stream at its token's expiry")
            check(took >= 4.0, f"the stream ended {took:.2f}s after its token was issued, before its 5 s expiry")
            r = lp.done(issued, 6.3, "a long-poll at its token's expiry")
            expect_status(r, 200, "the long-poll's answer at the expiry (nothing new)")
            check(lp.finished - issued >= 4.0, "the long-poll answered before the token's expiry")
        expect_error(s.req("GET", "/v1/partner/friends", token=w.at), 401, "unauthorized", "the expired token")


# ---- 3. a code presented by the wrong client is not used up ----

def test_wrong_client_does_not_use_up_a_code():
    s = H.server()
    app_a = H.create_app(s, "Alpha")
    app_b = H.create_app(s, "Beta", redirect_uris=app_a.redirect_uris)  # even with the same redirect URI
    alice = s.new_user("alice")
    code, verifier, _, _ = H.approve(s, app_a, alice)
    r = H.redeem(s, app_b, code, verifier)
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "another client presents the code")
    # refused for another reason (a wrong verifier, a wrong redirect_uri): not used up either
    r = H.redeem(s, app_a, code, H.pkce_pair()[0])
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "a wrong verifier")
    r = H.token(s, app_a, {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://evil.example/cb",
                           "code_verifier": verifier})
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "a wrong redirect_uri")
    r = H.redeem(s, app_a, code, verifier)
    expect_status(r, 200, "the right client then redeems the code")
    at = r.json["access_token"]
    expect_status(s.req("GET", "/v1/partner/friends", token=at), 200, "its token works")
    # and a second redemption is still a replay that ends the grant
    r = H.redeem(s, app_a, code, verifier)
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "the code replayed")
    expect_error(s.req("GET", "/v1/partner/friends", token=at), 401, "unauthorized", "the token after the replay")


# ---- 4. the names apps see ----

def friends_seen(s, tok):
    r = s.req("GET", "/v1/partner/friends", token=tok)
    expect_status(r, 200, "partner friends")
    return {f["id"]: f["display_name"] for f in r.json["friends"]}


def test_each_app_sees_its_own_name_for_a_friend():
    s = H.server()
    a, b = H.create_app(s, "Alpha"), H.create_app(s, "Beta")
    alice, bob = s.new_user("alice"), s.new_user("bob")
    s.befriend(alice, bob)
    toks = {}
    for app in (a, b):
        for u in (alice, bob):
            toks[(app.client_id, u.username)] = H.grant_tokens(s, app, u)["access_token"]
    seen_a = friends_seen(s, toks[(a.client_id, alice.username)])
    seen_b = friends_seen(s, toks[(b.client_id, alice.username)])
    eq(len(seen_a), 1, "Alpha lists bob")
    name_a, name_b = list(seen_a.values())[0], list(seen_b.values())[0]
    for name in (name_a, name_b):
        check(bob.username not in name and alice.username not in name, f"an app sees a username: {name!r}")
    check(name_a != name_b, f"two apps see the same default name for bob: {name_a!r}")
    check(set(seen_a) != set(seen_b), "two apps see the same pairwise id")

    # bob chooses what Alpha calls him; Beta is not told
    gid = [g for g in s.req("GET", "/v1/me/grants", token=bob.token).json["grants"]
           if g["app"]["client_id"] == a.client_id][0]["grant_id"]
    r = s.req("PUT", f"/v1/me/grants/{gid}/alias", {"alias": "Bobby Tunes"}, token=bob.token)
    expect_status(r, 200, "set an alias")
    eq((r.json["alias"], r.json["chosen"], r.json["app"]["client_id"]), ("Bobby Tunes", True, a.client_id), "the answer")
    eq(list(friends_seen(s, toks[(a.client_id, alice.username)]).values()), ["Bobby Tunes"], "Alpha's name for bob")
    eq(list(friends_seen(s, toks[(b.client_id, alice.username)]).values()), [name_b], "Beta's name for bob, unchanged")
    g = [g for g in s.req("GET", "/v1/me/grants", token=bob.token).json["grants"] if g["grant_id"] == gid][0]
    eq((g["alias"], g["chosen"]), ("Bobby Tunes", True), "the grant lists the alias")

    # the members of an app thread carry the same names
    atok = toks[(a.client_id, alice.username)]
    pb = list(friends_seen(s, atok))[0]
    expect_status(send_share(s, atok, pb), 201, "share")
    th = s.req("GET", "/v1/partner/threads", token=atok).json["threads"][0]
    names = sorted(m["display_name"] for m in th["members"])
    check("Bobby Tunes" in names and alice.username not in names and bob.username not in names,
          f"app thread members' names {names}")

    # refused: the username itself, blank, too long, control characters, not a string; another's grant is 404
    for bad in (bob.username, bob.username.upper(), "   ", "x" * 41, "tab\there", 7):
        expect_error(s.req("PUT", f"/v1/me/grants/{gid}/alias", {"alias": bad}, token=bob.token), 400, "invalid_field",
                     f"alias {bad!r}")
    expect_error(s.req("PUT", f"/v1/me/grants/{gid}/alias", {"alias": "Mine"}, token=alice.token), 404, "not_found",
                 "alice naming bob's grant")
    # null: back to the default, the same one as before
    r = s.req("PUT", f"/v1/me/grants/{gid}/alias", {"alias": None}, token=bob.token)
    expect_status(r, 200, "back to the default")
    eq((r.json["alias"], r.json["chosen"]), (name_a, False), "the default again")


def test_consent_page_says_what_the_app_will_see():
    s = H.server()
    app = H.create_app(s, "Gamma")
    carol = s.new_user("carol")
    b = H.Browser(s)
    r = H.consent_page(s, b, carol, H.authorize_path(app))
    expect_status(r, 200, "consent page")
    page = r.raw.decode()
    check("What it will see" in page and "never by their usernames" in page, "the consent page says what the app sees")
    m = re.search(r"knows you as <strong>([^<]+)</strong>", page)
    check(m and m.group(1).startswith("Postern user ") and carol.username not in m.group(1),
          f"the consent page names carol as the app will: {m and m.group(1)!r}")


def test_alias_with_the_cli():
    pbin = os.path.join(os.path.dirname(H.BIN), "postern")
    check(os.path.exists(pbin), f"{pbin} does not exist")
    s = H.server()
    app = H.create_app(s, "Delta")
    home = tempfile.mkdtemp(prefix="postern-t27-")
    H._tmpdirs.append(home)
    env = dict(os.environ, POSTERN_PASSWORD="password-dave-1")

    def run(*args, ok=True):
        p = subprocess.run([pbin, "--server", f"http://127.0.0.1:{s.port}", "--home", home, *args], capture_output=True,
                           text=True, timeout=60, env=env)
        if ok:
            check(p.returncode == 0, f"postern {' '.join(args)}: exit {p.returncode} {p.stderr[-400:]!r}")
        return p

    name = H.rand_name("dave")
    run("register", name)
    H.grant_tokens(s, app, H.User(name, "password-dave-1", None))
    gid = [ln.split()[0] for ln in run("apps").stdout.splitlines() if "Delta" in ln][0]
    check("knows you as: Postern user " in run("apps").stdout, "postern apps shows the default name")
    p = run("apps", "alias", gid, "Dee")
    check("Dee" in p.stdout, f"postern apps alias prints the name: {p.stdout!r}")
    check("knows you as: Dee" in run("apps").stdout, "postern apps shows the name")
    p = run("apps", "alias", gid, name, ok=False)
    check(p.returncode != 0 and "username" in p.stderr, f"the username refused: {p.returncode} {p.stderr!r}")
    p = run("apps", "unalias", gid)
    check("Postern user" in p.stdout, f"back to the default: {p.stdout!r}")


# ---- 5. the share page under allocation failures ----

def test_share_page_answers_whole_ids_under_faults():
    with H.Server() as s:
        app = H.create_app(s, "Epsilon")
        w = World(s, app=app)
        friends = [w.bob]
        for i in range(5):
            f = s.new_user(f"f{i}")
            s.befriend(w.alice, f)
            friends.append(f)
        r = w.browser.get("/oauth/share?" + H.form_encode({"client_id": app.client_id,
                                                          "redirect_uri": app.redirect_uri, "state": "s"}))
        expect_status(r, 200, "share page")
        fields = H.hidden_fields(r.raw.decode())
        for f in friends:
            fields[f"f_{f.user_id}"] = "1"
        fields["decision"] = "share"
        data_dir = s.data_dir
    answers = {"303": 0, "5xx": 0, "login": 0}
    for every in (151, 307, 601):
        os.environ["POSTERN_FAIL_ALLOC_EVERY"] = str(every)
        try:
            s = H.Server(data_dir=data_dir).start()
        finally:
            del os.environ["POSTERN_FAIL_ALLOC_EVERY"]
        try:
            w.browser.srv = s
            for _ in range(40):
                r = w.browser.post("/oauth/share", fields)
                if r.status == 303:
                    answers["303"] += 1
                    ids = H.query1(r.header("location") or "").get("friends", "").split(",")
                    eq(len(ids), len(friends), f"ids in {r.header('location')!r}")
                    for x in ids:
                        check(PAIRWISE_RE.match(x), f"a malformed pairwise id {x!r} in {r.header('location')!r}")
                    eq(len(set(ids)), len(ids), "distinct ids")
                elif r.status == 401 and b'name="password"' in r.raw:
                    answers["login"] += 1  # the session cookie's lookup failed: the login form
                else:  # an error, whole: JSON (a storage failure can still read as "unknown app", a 400)
                    check(r.status >= 400 and r.json and r.json.get("error"),
                          f"share page under faults: {r.status} {r.short_body()}")
                    answers["5xx" if r.status >= 500 else "4xx"] = answers.get("4xx", 0) + 1 if r.status < 500 \
                        else answers["5xx"] + 1
            check(s.alive(), f"posternd died under allocation faults: {s.log_tail(600)}")
        finally:
            s.stop()
    check(answers["5xx"] > 0 and answers["303"] > 0, f"the faults did not reach the share page both ways: {answers}")
