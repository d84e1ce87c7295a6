"""The scoped Inbox API of the partner platform and the story around it (docs/partner.md).

An app is registered; alice approves it; bob, her friend, has not. Alice picks bob on the share page, the app
shares an item to bob's pairwise id, bob sees it in an app thread, accepts the app, replies; the app reads
the reply, bob opens the share, the app deletes its share, alice reads her access log and revokes the grant.
Then: reports, grant boundaries, rate limits, and every partner route against every kind of credential.
"""
import datetime
import json
import os
import time
import re
import subprocess

import harness as H
from harness import check, eq, expect_error, expect_keys, expect_status

SHARE_KEYS = ["share_id", "message_id", "thread_id", "seq", "created_at"]


class World:
    """app + alice (granted, with a browser session) + bob (alice's friend)."""

    def __init__(self, s, app=None, scope=None, bob_friend=True):
        self.s = s
        self.app = app or H.create_app(s, "Tunes")
        self.alice = s.new_user("alice")
        self.bob = s.new_user("bob")
        if bob_friend:
            s.befriend(self.alice, self.bob)
        self.browser = H.Browser(s)
        self.tok = H.grant_tokens(s, self.app, self.alice, scope=scope, browser=self.browser)
        self.at = self.tok["access_token"]

    def grant_id(self, user=None, app=None):
        user = user or self.alice
        app = app or self.app
        g = [x for x in self.s.req("GET", "/v1/me/grants", token=user.token).json["grants"]
             if x["app"]["client_id"] == app.client_id and x["active"]]
        check(g, f"{user.username} has no active grant of {app.client_id}")
        return g[0]["grant_id"]


def share_page(s, app, browser, state="st"):
    return browser.get("/oauth/share?" + H.form_encode({"client_id": app.client_id, "redirect_uri": app.redirect_uri,
                                                        "state": state}))


def pick(s, app, browser, friends, state=None):
    """Alice ticks `friends` on the share page; returns their pairwise ids from the redirect."""
    state = state or ("pick-" + os.urandom(4).hex())
    r = share_page(s, app, browser, state)
    expect_status(r, 200, "share page")
    page = r.raw.decode()
    fields = H.hidden_fields(page)
    check(fields.get("csrf"), "the share page has a csrf field")
    boxes = {i["name"] for i in H.form_inputs(page) if i.get("type") == "checkbox"}
    for f in friends:
        check(f"f_{f.user_id}" in boxes, f"the share page offers no checkbox f_{f.user_id}: {sorted(boxes)}")
        fields[f"f_{f.user_id}"] = "1"
    fields["decision"] = "share"
    r = browser.post("/oauth/share", fields)
    expect_status(r, 303, "share page POST")
    loc = r.header("location") or ""
    check(loc.startswith(app.redirect_uri + "?"), f"share page redirect {loc!r}")
    q = H.query1(loc)
    eq(q.get("state"), state, "share page: state")
    ids = [x for x in q.get("friends", "").split(",") if x]
    eq(len(ids), len(friends), f"share page: friends in {loc!r}")
    for x in ids:
        check(re.match(r"^p_[A-Za-z0-9_-]+$", x), f"pairwise id {x!r}")
    return ids


def send_share(s, tok, to, item="track:42", body=b"listen to this", cmid=None):
    return s.req("POST", "/v1/partner/shares", {"to": to, "item": item, "body": H.b64(body),
                                                "client_msg_id": cmid or ("c" + os.urandom(6).hex())}, token=tok)


def shared(s, w, item="track:42", cmid=None):
    """alice picks bob, the app shares to him; returns (pairwise id of bob, share response JSON)."""
    pb = pick(s, w.app, w.browser, [w.bob])[0]
    r = send_share(s, w.at, pb, item=item, cmid=cmid)
    expect_status(r, 201, "share")
    return pb, r.json


def partner_messages(s, tok, tid):
    r = s.req("GET", f"/v1/partner/threads/{tid}/messages", token=tok)
    expect_status(r, 200, "partner messages")
    return r.json["messages"]


def current_period_start(today=None):
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    base = datetime.date(2024, 1, 1)
    n = (today - base).days // 14
    return base + datetime.timedelta(days=14 * n)


# ----------------------------------------------------------------------------------------------------------
# the story


def test_story():
    s = H.server()
    w = World(s, scope="friends:read messages:send messages:read messages:delete")
    app, alice, bob = w.app, w.alice, w.bob
    eq(set(w.tok["scope"].split()), set(H.USER_SCOPES.split()), "alice granted the full scope set")
    grants = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"]
    eq(len(grants), 1, "one grant")
    gid = grants[0]["grant_id"]
    check(abs((H.ts_epoch(grants[0]["expires_at"]) - H.ts_epoch(grants[0]["created_at"])) / 86400 - 30) < 0.01,
          "the grant lasts 30 days")

    # bob has not granted the app: he is no "friend who also uses the app"
    r = s.req("GET", "/v1/partner/friends", token=w.at)
    expect_status(r, 200, "partner friends")
    eq(r.json, {"friends": []}, "friends:read before bob granted the app")

    # the share page: alice picks bob
    pb = pick(s, app, w.browser, [bob])[0]
    check(bob.user_id not in pb and bob.username not in pb, "the pairwise id is not bob's id")
    eq(pick(s, app, w.browser, [bob])[0], pb, "the pairwise id is stable for this app")

    # the app shares an item to bob
    r = send_share(s, w.at, pb, item="track:42", body=b"ciphertext-1", cmid="story-1")
    expect_status(r, 201, "share to bob")
    expect_keys(r.json, SHARE_KEYS, "share response")
    sh = r.json
    eq(sh["seq"], 1, "first message of a new app thread")
    tid = sh["thread_id"]
    r2 = send_share(s, w.at, pb, item="track:42", body=b"ciphertext-1", cmid="story-1")
    expect_status(r2, 200, "repeated client_msg_id")
    eq(r2.json, sh, "a repeated client_msg_id returns the first answer")

    # bob sees the app thread, labelled with the app, and the share
    ths = s.req("GET", "/v1/threads", token=bob.token).json["threads"]
    t = [x for x in ths if x["thread_id"] == tid]
    check(t, f"bob's thread list lacks the app thread: {ths}")
    t = t[0]
    eq(t.get("kind"), "app", "the app thread's kind")
    check(isinstance(t.get("app"), dict), f"the app thread has no app label: {t}")
    eq(t["app"].get("client_id"), app.client_id, "thread.app.client_id")
    eq({m["user_id"] for m in t["members"]}, {alice.user_id, bob.user_id}, "app thread members")
    ms = s.messages(bob, tid)
    eq(len(ms), 1, "bob sees one message")
    m = ms[0]
    eq((m["kind"], m["sender_id"], m["body"], m["deleted"]), ("share", alice.user_id, H.b64(b"ciphertext-1"), False),
       "the share as bob sees it")
    eq(m.get("item"), "track:42", "the share carries the app's item")
    eq(m["message_id"], sh["message_id"], "message id")

    # bob writes before accepting the app; the app sees only alice's messages
    s.send(bob, tid, body=b"bob-before-consent", cmid="bob-pre")
    s.send(alice, tid, body=b"alice-first-party", cmid="alice-1")
    pm = partner_messages(s, w.at, tid)
    eq({x["sender"] for x in pm}, {[x for x in s.req("GET", "/v1/partner/threads", token=w.at).json["threads"]
                                    [0]["members"] if x["id"] != pb][0]["id"]},
       "before bob accepts, the app sees only alice's messages")
    check(all(H.b64(b"bob-before-consent") != x.get("body") for x in pm), "bob's message leaked to the app")
    eq(len(pm), 2, "alice's two messages")
    th = s.req("GET", "/v1/partner/threads", token=w.at).json["threads"]
    eq([x["thread_id"] for x in th], [tid], "the grant's app threads")
    mem = {x["id"]: x for x in th[0]["members"]}
    check(pb in mem, f"thread members are pairwise ids: {mem}")
    eq(mem[pb]["app_can_read"], False, "bob's app_can_read before consent")
    raw = s.req("GET", "/v1/partner/threads", token=w.at).raw.decode()
    check(alice.user_id not in raw and bob.user_id not in raw, "partner threads leak user ids")

    # bob accepts, replies; the app reads the reply
    r = s.req("POST", f"/v1/threads/{tid}/app-consent", {"accept": True}, token=bob.token)
    expect_status(r, 200, "bob accepts the app")
    reply = s.send(bob, tid, body=b"bob-reply", cmid="bob-reply")
    pm = partner_messages(s, w.at, tid)
    got = [x for x in pm if x["message_id"] == reply["message_id"]]
    check(got, f"the app does not see bob's reply: {pm}")
    eq((got[0]["sender"], got[0]["body"]), (pb, H.b64(b"bob-reply")), "bob's reply as the app sees it")
    th = s.req("GET", "/v1/partner/threads", token=w.at).json["threads"]
    eq({x["id"]: x for x in th[0]["members"]}[pb]["app_can_read"], True, "bob's app_can_read after consent")

    # bob opens the share: counted once
    r = s.req("POST", f"/v1/shares/{sh['share_id']}/click", token=bob.token)
    expect_status(r, 200, "click")
    eq(r.json.get("counted"), True, "first click counted")
    r = s.req("POST", f"/v1/shares/{sh['share_id']}/click", token=bob.token)
    expect_status(r, 200, "second click")
    eq(r.json.get("counted"), False, "second click not counted")

    # the app deletes its share
    r = s.req("DELETE", f"/v1/partner/threads/{tid}/messages/{sh['message_id']}", token=w.at)
    expect_status(r, 204, "the app deletes its share")
    m = [x for x in s.messages(bob, tid) if x["message_id"] == sh["message_id"]][0]
    eq((m["deleted"], m["body"]), (True, None), "bob sees the share deleted")
    ev, _ = s.sync_all(bob)
    check(any(e["type"] == "message.deleted" and e.get("message_id") == sh["message_id"] for e in ev),
          "bob got message.deleted")
    # the app cannot delete bob's reply or alice's first-party message
    r = s.req("DELETE", f"/v1/partner/threads/{tid}/messages/{reply['message_id']}", token=w.at)
    eq(r.status, 404, "the app deleting bob's reply")

    # alice's access log shows each step
    r = s.req("GET", "/v1/me/access-log?limit=100", token=alice.token)
    expect_status(r, 200, "access log")
    entries = r.json["entries"]
    actions = [e["action"] for e in entries]
    for a in ["grant.created", "friends.list", "share_page.pick", "shares.send", "threads.list", "messages.read",
              "messages.delete"]:
        check(a in actions, f"access log lacks {a}: {actions}")
    for e in entries:
        eq(e["grant_id"], gid, "access log grant_id")
    send = [e for e in entries if e["action"] == "shares.send"]
    eq(len(send), 1, "one shares.send entry (the repeated client_msg_id stored nothing)")
    eq((send[0]["thread_id"], send[0]["message_id"]), (tid, sh["message_id"]), "shares.send entry")
    dele = [e for e in entries if e["action"] == "messages.delete"]
    eq((dele[0]["thread_id"], dele[0]["message_id"]), (tid, sh["message_id"]), "messages.delete entry")
    check(any(e["action"] == "messages.read" and e["thread_id"] == tid for e in entries), "messages.read entry")
    eq(s.req("GET", "/v1/me/access-log", token=bob.token).json["entries"], [], "bob's access log (no grant)")

    # alice revokes; the app's next call fails
    r = s.req("DELETE", f"/v1/me/grants/{gid}", token=alice.token)
    expect_status(r, 204, "revoke the grant")
    eq(s.req("GET", "/v1/partner/threads", token=w.at).status, 401, "the app after alice revoked")
    r = H.token(s, app, {"grant_type": "refresh_token", "refresh_token": w.tok["refresh_token"]})
    eq((r.status, (r.json or {}).get("error")), (400, "invalid_grant"), "refresh after alice revoked")
    ev, _ = s.sync_all(bob)
    check(any(e["type"] == "thread.app_revoked" and e.get("thread_id") == tid for e in ev),
          "bob was told thread.app_revoked")
    g = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"]
    eq(g[0]["active"], False, "the revoked grant is inactive")


def test_bob_declines_app_consent():
    s = H.server()
    w = World(s)
    _, sh = shared(s, w)
    tid = sh["thread_id"]
    r = s.req("POST", f"/v1/threads/{tid}/app-consent", {"accept": False}, token=w.bob.token)
    expect_status(r, 200, "decline")
    s.send(w.bob, tid, body=b"private", cmid="priv")
    check(all(m.get("body") != H.b64(b"private") for m in partner_messages(s, w.at, tid)),
          "the app reads a friend's message after they declined")
    expect_error(s.req("POST", f"/v1/threads/{tid}/app-consent", {"accept": "yes"}, token=w.bob.token),
                 400, None, "accept must be a bool")
    eq(s.req("POST", f"/v1/threads/{tid}/app-consent", {"accept": True}, token=s.new_user("x").token).status, 404,
       "app-consent by a non-member")


def test_consent_reaches_forward_only():
    # What bob wrote before accepting the app stays out of its reach after he accepts; what he writes after is read.
    s = H.server()
    w = World(s)
    _, sh = shared(s, w)
    tid = sh["thread_id"]
    s.send(w.bob, tid, body=b"before consent", cmid="early")
    time.sleep(0.01)
    expect_status(s.req("POST", f"/v1/threads/{tid}/app-consent", {"accept": True}, token=w.bob.token), 200, "accept")
    s.send(w.bob, tid, body=b"after consent", cmid="late")
    bodies = [m.get("body") for m in partner_messages(s, w.at, tid)]
    check(H.b64(b"before consent") not in bodies, "the app reads what bob wrote before he accepted")
    check(H.b64(b"after consent") in bodies, "the app cannot read what bob wrote after he accepted")


def test_friend_who_granted_is_listed():
    s = H.server()
    w = World(s)
    H.grant_tokens(s, w.app, w.bob)
    r = s.req("GET", "/v1/partner/friends", token=w.at)
    expect_status(r, 200)
    fr = r.json["friends"]
    eq(len(fr), 1, "bob granted the app: he is listed")
    expect_keys(fr[0], ["id", "display_name"], "partner friend")
    check(fr[0]["id"].startswith("p_") and fr[0]["id"] != w.bob.user_id, "a pairwise id")
    # bob can be shared with without the share page
    expect_status(send_share(s, w.at, fr[0]["id"]), 201, "share to a friend who granted the app")
    # pairwise ids differ between apps
    other = H.create_app(s, "Other", redirect_uris="https://other.example/cb")
    t2 = H.grant_tokens(s, other, w.alice)
    H.grant_tokens(s, other, w.bob)
    fr2 = s.req("GET", "/v1/partner/friends", token=t2["access_token"]).json["friends"]
    check(len(fr2) == 1 and fr2[0]["id"] != fr[0]["id"], f"pairwise ids are per app: {fr} vs {fr2}")


def test_share_to_unpicked_friend_refused():
    """carol, bob's friend, uses the app too but never picked bob and bob never granted the app: the app may not
    share to bob for her, even knowing bob's pairwise id."""
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    carol = s.new_user("carol")
    s.befriend(carol, w.bob)
    ct = H.grant_tokens(s, w.app, carol)["access_token"]
    r = send_share(s, ct, pb, cmid="carol-1")
    check(r.status in (403, 404), f"share to a friend carol never picked: {r.status} {r.short_body()}")
    eq(s.req("GET", "/v1/partner/threads", token=ct).json["threads"], [], "no app thread for carol")
    r = send_share(s, w.at, H.fake_id(pb), cmid="fake-1")
    check(r.status in (403, 404), f"share to an unknown pairwise id: {r.status}")
    eq(len(s.messages(w.bob, sh["thread_id"])), 1, "nothing stored")


def test_send_to_non_friend():
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    r = s.req("DELETE", f"/v1/friends/{w.bob.user_id}", token=w.alice.token)
    expect_status(r, 204, "unfriend")
    r = send_share(s, w.at, pb, cmid="after-unfriend")
    expect_error(r, 403, "not_friends", "share to a former friend")
    eq(len(s.messages(w.alice, sh["thread_id"])), 1, "nothing stored")


def test_thread_outside_grant():
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    # a normal thread of alice's
    normal = s.thread(w.alice, [w.bob])["thread_id"]
    m = s.send(w.alice, normal, body=b"first-party")
    eq(s.req("GET", f"/v1/partner/threads/{normal}/messages", token=w.at).status, 404,
       "the app reading a normal thread of alice's")
    eq(s.req("DELETE", f"/v1/partner/threads/{normal}/messages/{m['message_id']}", token=w.at).status, 404,
       "the app deleting in a normal thread")
    eq(s.messages(w.alice, normal)[0]["deleted"], False, "the first-party message is intact")
    # another app's thread (alice granted both apps)
    other = H.create_app(s, "Other", redirect_uris="https://other.example/cb")
    ob = H.Browser(s)
    ot = H.grant_tokens(s, other, w.alice, browser=ob)["access_token"]
    opb = pick(s, other, ob, [w.bob])[0]
    check(opb != pb, "pairwise ids differ per app")
    r = send_share(s, ot, opb, cmid="other-1")
    expect_status(r, 201, "the other app shares")
    osh = r.json
    check(osh["thread_id"] != sh["thread_id"], "each app gets its own app thread")
    eq(s.req("GET", f"/v1/partner/threads/{osh['thread_id']}/messages", token=w.at).status, 404,
       "the first app reading the other app's thread")
    eq(s.req("DELETE", f"/v1/partner/threads/{osh['thread_id']}/messages/{osh['message_id']}", token=w.at).status,
       404, "the first app deleting the other app's message")
    eq(s.req("DELETE", f"/v1/partner/threads/{sh['thread_id']}/messages/{osh['message_id']}", token=w.at).status,
       404, "the first app deleting the other app's message through its own thread")
    eq(s.req("GET", f"/v1/partner/threads/{sh['thread_id']}/messages", token=ot).status, 404,
       "the second app's token on the first app's thread")
    eq(s.req("DELETE", f"/v1/partner/threads/{sh['thread_id']}/messages/{sh['message_id']}", token=ot).status,
       404, "the second app deleting the first app's share")
    eq([x["thread_id"] for x in s.req("GET", "/v1/partner/threads", token=ot).json["threads"]],
       [osh["thread_id"]], "the other app lists only its own thread")
    eq(s.messages(w.bob, osh["thread_id"])[0]["deleted"], False, "the other app's share is intact")
    eq(s.messages(w.bob, sh["thread_id"])[0]["deleted"], False, "the first app's share is intact")
    # the same app, another person's grant
    carol = s.new_user("carol")
    ct = H.grant_tokens(s, w.app, carol)["access_token"]
    eq(s.req("GET", f"/v1/partner/threads/{sh['thread_id']}/messages", token=ct).status, 404,
       "the same app with carol's grant on alice's app thread")
    # an unknown thread id
    eq(s.req("GET", f"/v1/partner/threads/{H.fake_id(sh['thread_id'])}/messages", token=w.at).status, 404,
       "an unknown thread")


def test_grant_limited_by_authorization_details():
    s = H.server()
    w = World(s)
    _, sh = shared(s, w)
    tid = sh["thread_id"]
    # naming a thread of another app, or a normal thread, is refused
    other = H.create_app(s, "OtherAD", redirect_uris="https://other.example/cb")
    ob = H.Browser(s)
    ot = H.grant_tokens(s, other, w.alice, browser=ob)["access_token"]
    osh = send_share(s, ot, pick(s, other, ob, [w.bob])[0])
    expect_status(osh, 201, "the other app shares")
    normal = s.thread(w.alice, [w.bob])["thread_id"]
    for bad in (osh.json["thread_id"], normal):
        bad_ad = json.dumps([{"type": "postern_threads", "threads": [bad], "actions": ["read"]}])
        r = w.browser.get(H.authorize_path(w.app, scope="messages:read", state="adx",
                                           extra={"authorization_details": bad_ad}))
        eq(H.query1(r.header("location") or "").get("error"), "invalid_authorization_details",
           f"authorization_details naming a thread that is not this app's ({r.status})")
    ad = [{"type": "postern_threads", "threads": [tid], "actions": ["read"]}]
    t = H.grant_tokens(s, w.app, w.alice, scope="messages:read messages:delete",
                       extra={"authorization_details": json.dumps(ad)})
    check("authorization_details" in t, f"the token response shows authorization_details: {t}")
    eq(t["authorization_details"], ad, "authorization_details in the token response")
    r = H.post_form(s, "/oauth/introspect", {"token": t["access_token"]},
                    basic=(w.app.client_id, w.app.client_secret))
    eq(r.json.get("authorization_details"), ad, "authorization_details in introspection")
    expect_status(s.req("GET", f"/v1/partner/threads/{tid}/messages", token=t["access_token"]), 200,
                  "read the named thread")
    r = s.req("DELETE", f"/v1/partner/threads/{tid}/messages/{sh['message_id']}", token=t["access_token"])
    check(r.status in (403, 404), f"delete with only the read action: {r.status}")
    eq(s.messages(w.bob, tid)[0]["deleted"], False, "the share is intact")


def test_rate_limit_per_recipient():
    s = H.server()
    app = H.create_app(s, "Limited", rates={"recipient": 2})
    w = World(s, app=app)
    pb = pick(s, app, w.browser, [w.bob])[0]
    for i in range(2):
        expect_status(send_share(s, w.at, pb, cmid=f"rl{i}"), 201, f"share {i + 1}")
    r = send_share(s, w.at, pb, cmid="rl2")
    expect_error(r, 429, "rate_limited", "third share to the same recipient within the hour")
    ra = r.header("retry-after")
    check(ra is not None and ra.isdigit() and 0 < int(ra) <= 3600, f"Retry-After {ra!r}")
    tid = s.req("GET", "/v1/partner/threads", token=w.at).json["threads"][0]["thread_id"]
    eq(len(s.messages(w.bob, tid)), 2, "nothing stored by the refused share")
    sends = [e for e in s.req("GET", "/v1/me/access-log?limit=100", token=w.alice.token).json["entries"]
             if e["action"] == "shares.send"]
    eq(len(sends), 2, "no shares.send entry for the refused share")
    # another recipient is not limited by bob's count
    carol = s.new_user("carol")
    s.befriend(w.alice, carol)
    pc = pick(s, app, w.browser, [carol])[0]
    expect_status(send_share(s, w.at, pc, cmid="rl-carol"), 201, "share to another recipient")


def test_rate_limit_per_person():
    s = H.server()
    app = H.create_app(s, "LimitedP", rates={"person": 1, "recipient": 0})
    w = World(s, app=app)
    pb = pick(s, app, w.browser, [w.bob])[0]
    expect_status(send_share(s, w.at, pb, cmid="p0"), 201, "first share")
    r = send_share(s, w.at, pb, cmid="p1")
    expect_error(r, 429, "rate_limited", "second share of the person within the hour")
    check(r.header("retry-after"), "Retry-After")


# ----------------------------------------------------------------------------------------------------------
# reports


def test_report():
    # Exact counts (mechanism none, k 1: the operator's explicit choice) to check what is counted; the noise,
    # its settings and the frozen periods are t26_reports.
    with H.Server() as s:
        app = H.create_app(s, "Reporter")
        H.report_settings(s, app, mechanism="none", k=1)
        alice = s.new_user("alice")
        ab = H.Browser(s)
        at = H.grant_tokens(s, app, alice, browser=ab)["access_token"]
        friends = [s.new_user("f") for _ in range(3)]
        for f in friends:
            s.befriend(alice, f)
        pids = pick(s, app, ab, friends)
        out = []
        for i, p in enumerate(pids):
            r = send_share(s, at, p, item="album:7", cmid=f"r{i}")
            expect_status(r, 201, "share")
            out.append(r.json)
        expect_status(send_share(s, at, pids[0], item="track:9", cmid="r-t9"), 201, "share")
        # two of the three recipients open album:7
        for f, sh in list(zip(friends, out))[:2]:
            expect_status(s.req("POST", f"/v1/shares/{sh['share_id']}/click", token=f.token), 200, "click")
        ct = H.client_token(s, app)
        who = [alice.user_id, alice.username] + [f.user_id for f in friends] + [f.username for f in friends] + pids
        # the open period: no counts, only when its report will be ready
        period = current_period_start().isoformat()
        r = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
        expect_status(r, 200, f"report for the open period {period}")
        eq(r.json.get("status"), "open", "the open period's status")
        check("rows" not in r.json and "album:7" not in r.raw.decode(), f"counts for an open period: {r.short_body()}")
        nxt = current_period_start() + datetime.timedelta(days=14)
        eq(r.json.get("ready_at"), f"{nxt.isoformat()}T00:00:00.000Z", "ready_at: the end of the period")
        # two weeks later: the period is closed
        period = H.report_time_passes(s, 14)
        r = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
        expect_status(r, 200, f"report for the closed period {period}")
        j = r.json
        check(isinstance(j, dict), f"report is not a JSON object: {r.short_body()}")
        eq(j.get("status"), "closed", "status")
        text = r.raw.decode()
        for x in who:
            check(x not in text, f"the report contains a person's identifier {x!r}")
        rows = j.get("rows")
        check(isinstance(rows, list), f"report rows: {text[:400]}")
        by_item = {row.get("item"): row for row in rows}
        check("album:7" in by_item and "track:9" in by_item, f"report rows per item: {rows}")
        a7 = by_item["album:7"]
        eq(sorted(a7), ["clicks", "ctr", "item", "recipients", "senders", "shares"], "a row's fields (no date)")
        eq(a7.get("shares"), 3, "album:7 shares")
        eq(a7.get("senders"), 1, "album:7 distinct senders")
        eq(a7.get("recipients"), 3, "album:7 distinct recipients")
        eq(a7.get("clicks"), 2, "album:7 distinct clicking recipients")
        check(abs(a7.get("ctr", -1) - 2 / 3) < 0.001, f"album:7 ctr {a7.get('ctr')} ≈ 2/3")
        t9 = by_item["track:9"]
        eq((t9.get("shares"), t9.get("senders"), t9.get("recipients"), t9.get("clicks")), (1, 1, 1, 0), "track:9")
        eq(j.get("suppressed_rows"), 0, "nothing suppressed with k=1")
        eq((j["privacy"]["mechanism"], j["privacy"]["k"]), ("none", 1), "the settings in the report")
        # CSV: the same report
        r = s.req("GET", f"/v1/partner/reports?period_start={period}&format=csv", token=ct)
        expect_status(r, 200, "CSV report")
        check('"album:7",3,1,3,2,0.6667' in r.raw.decode() and "text/csv" in (r.header("content-type") or ""),
              f"CSV report: {r.header('content-type')} {r.short_body()}")
        for x in who:
            check(x not in r.raw.decode(), f"the CSV report contains {x!r}")
        # frozen: identical bytes later, with another token
        r2 = s.req("GET", f"/v1/partner/reports?period_start={period}", token=H.client_token(s, app))
        expect_status(r2, 200, "a closed period again")
        eq(r2.raw, text.encode(), "a closed period's report bytes on a second fetch")
        # not a period boundary
        bad = (current_period_start() + datetime.timedelta(days=1)).isoformat()
        r = s.req("GET", f"/v1/partner/reports?period_start={bad}", token=ct)
        eq(r.status, 400, "period_start that is not a boundary")
        eq(s.req("GET", "/v1/partner/reports", token=ct).status, 400, "no period_start")
        # the CLI prints the same bytes for the closed period
        p = subprocess.run([H.BIN, "report", "--app", app.client_id, "--period", period, *H.db_args(s)],
                           capture_output=True, timeout=15)
        eq(p.returncode, 0, f"posternd report exit ({p.stderr[-200:]!r})")
        eq(p.stdout.rstrip(b"\n"), r2.raw, "posternd report prints the stored report")


def test_report_k_suppression():
    s = H.server()
    app = H.create_app(s, "Small")
    H.report_settings(s, app, mechanism="none", k=10)
    w = World(s, app=app)
    pb = pick(s, app, w.browser, [w.bob])[0]
    expect_status(send_share(s, w.at, pb, item="rare:1"), 201, "share")
    ct = H.client_token(s, app)
    period = H.report_time_passes(s, 14)
    r = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
    expect_status(r, 200, "report")
    check("rare:1" not in r.raw.decode(), "a bucket with 1 sender is left out with k=10")
    check(r.json.get("suppressed_rows", 0) >= 1, f"suppressed_rows {r.json.get('suppressed_rows')}")


def test_report_cap_per_person_per_period():
    # one person's shares count at most cap times in a period, whatever the item or the day
    with H.Server() as s:
        app = H.create_app(s, "Capped")
        H.report_settings(s, app, mechanism="none", k=1, cap=3)
        w = World(s, app=app)
        pb = pick(s, app, w.browser, [w.bob])[0]
        for i in range(4):
            expect_status(send_share(s, w.at, pb, item="capped:1", cmid=f"c{i}"), 201, "share")
        expect_status(send_share(s, w.at, pb, item="capped:2", cmid="c-other"), 201, "share")
        ct = H.client_token(s, app)
        period = H.report_time_passes(s, 14)
        r = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
        expect_status(r, 200, "report")
        eq([(x["item"], x["shares"]) for x in r.json["rows"]], [("capped:1", 3)],
           "one person's 5 shares counted 3 times with cap 3 (the first three of the period)")
        eq(r.json["privacy"]["cap_per_person_per_period"], 3, "cap in the report")


# ----------------------------------------------------------------------------------------------------------
# every partner route against every kind of credential
#
# Credential kinds: none, malformed, session (a first-party session token), client (a client_credentials
# token), app (an app token with every scope, the owner of the thread in the path), noscope (an app token of
# the same person and app lacking the route's scope), revoked (an app token whose grant was revoked),
# other_app (a token of another app for the same person).

CREDS = ("none", "malformed", "session", "client", "app", "noscope", "revoked", "other_app")
UNAUTH = (401, "unauthorized")
WRONG_KIND = ((401, 403), None)  # a valid credential of the wrong kind: refused (401 or 403)

PARTNER_EXPECT = {
    "GET /v1/partner/friends": {"app": 200, "noscope": (403, "insufficient_scope"), "other_app": 200,
                                "session": UNAUTH, "client": WRONG_KIND},
    "POST /v1/partner/shares": {"app": 201, "noscope": (403, "insufficient_scope"),
                                "other_app": ((403, 404), None), "session": UNAUTH, "client": WRONG_KIND},
    "GET /v1/partner/threads": {"app": 200, "noscope": (403, "insufficient_scope"), "other_app": 200,
                                "session": UNAUTH, "client": WRONG_KIND},
    "GET /v1/partner/threads/{id}/messages": {"app": 200, "noscope": (403, "insufficient_scope"),
                                              "other_app": (404, "not_found"), "session": UNAUTH,
                                              "client": WRONG_KIND},
    "DELETE /v1/partner/threads/{id}/messages/{message_id}": {"app": 204, "noscope": (403, "insufficient_scope"),
                                                              "other_app": (404, "not_found"), "session": UNAUTH,
                                                              "client": WRONG_KIND},
    # sync and events are in `posternd routes` (scope messages:read, app tokens) but not yet in docs/partner.md
    # (test_partner_routes_are_documented); expected like GET /v1/partner/threads.
    "GET /v1/partner/sync": {"app": 200, "noscope": (403, "insufficient_scope"), "other_app": 200,
                             "session": UNAUTH, "client": WRONG_KIND},
    "GET /v1/partner/events": {"app": 200, "noscope": (403, "insufficient_scope"), "other_app": 200,
                               "session": UNAUTH, "client": WRONG_KIND},
    "GET /v1/partner/reports": {"client": 200, "app": WRONG_KIND, "noscope": None, "other_app": WRONG_KIND,
                                "session": UNAUTH},
    # The app's E2EE device: signed over the person's pairwise id for *this* app, so another app's token (another
    # pairwise id) fails the signature. Registered before to-device below (dict order), which needs it.
    "POST /v1/partner/threads": {"app": 200, "noscope": (403, "insufficient_scope"),
                                 "other_app": ((403, 404), None), "session": UNAUTH, "client": WRONG_KIND},
    "POST /v1/partner/devices": {"app": 201, "other_app": (400, "invalid_key"), "session": UNAUTH,
                                 "client": WRONG_KIND},
    "POST /v1/partner/to-device": {"app": 202, "noscope": (403, "insufficient_scope"),
                                   "other_app": (400, "invalid_field"), "session": UNAUTH, "client": WRONG_KIND},
    # Prekeys (protocol 2): uploaded for the grant's own app device (the other app's grant has none), claimed
    # for readers of the grant's threads only (the other app's grant has no thread with bob).
    "POST /v1/partner/keys": {"app": 200, "other_app": (400, "invalid_field"), "session": UNAUTH, "client": WRONG_KIND},
    "GET /v1/partner/keys": {"app": 200, "other_app": (400, "invalid_field"), "session": UNAUTH, "client": WRONG_KIND},
    "POST /v1/partner/keys/claim": {"app": 200, "noscope": (403, "insufficient_scope"), "other_app": (404, "not_found"),
                                    "session": UNAUTH, "client": WRONG_KIND},
}
for _v in PARTNER_EXPECT.values():
    _v.setdefault("none", UNAUTH)
    _v.setdefault("malformed", UNAUTH)
    _v.setdefault("revoked", UNAUTH)


def norm(key):
    return re.sub(r"\{[^}]*\}", "{}", key)


def partner_routes():
    p = subprocess.run([H.BIN, "routes"], capture_output=True, timeout=15)
    check(p.returncode == 0, f"posternd routes exited {p.returncode}")
    return [r for r in json.loads(p.stdout) if r["path"].startswith("/v1/partner/")]


def test_every_partner_route_has_an_expectation():
    known = {norm(k) for k in PARTNER_EXPECT}
    rs = partner_routes()
    check(rs, "posternd routes lists no /v1/partner/ route")
    missing = [f"{r['method']} {r['path']}" for r in rs if norm(f"{r['method']} {r['path']}") not in known]
    check(not missing, f"partner routes without an expectation in t16_partner.PARTNER_EXPECT: {missing}")
    served = {norm(f"{r['method']} {r['path']}") for r in rs}
    extra = [k for k in PARTNER_EXPECT if norm(k) not in served]
    check(not extra, f"documented partner routes missing from `posternd routes`: {extra}")
    for r in rs:
        k = [x for x in PARTNER_EXPECT if norm(x) == norm(f"{r['method']} {r['path']}")][0]
        if r.get("scope"):
            eq(r["scope"], {"GET /v1/partner/friends": "friends:read", "POST /v1/partner/shares": "messages:send",
                            "GET /v1/partner/threads": "messages:read",
                            "GET /v1/partner/threads/{id}/messages": "messages:read",
                            "DELETE /v1/partner/threads/{id}/messages/{message_id}": "messages:delete",
                            "GET /v1/partner/reports": "reports:read", "GET /v1/partner/sync": "messages:read",
                            "GET /v1/partner/events": "messages:read",
                            "POST /v1/partner/to-device": "messages:send", "POST /v1/partner/threads": "messages:send",
                            "POST /v1/partner/keys/claim": "messages:send"}[k], f"scope of {k} in `posternd routes`")


def test_partner_routes_are_documented():
    with open(os.path.join(H.ROOT, "docs", "partner.md")) as f:
        doc = norm(f.read())
    missing = [f"{r['method']} {r['path']}" for r in partner_routes()
               if norm(f"{r['method']} {r['path']}") not in doc]
    check(not missing, f"partner routes served but not documented in docs/partner.md: {missing}")


def test_partner_sync_sees_only_the_grants_threads():
    """GET /v1/partner/sync (in `posternd routes`, not yet in docs/partner.md): the grant's app threads only, and a
    friend's messages only after they accepted the app."""
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    tid = sh["thread_id"]
    normal = s.thread(w.alice, [w.bob])["thread_id"]
    s.send(w.alice, normal, body=b"first-party-secret", cmid="n1")
    s.send(w.bob, tid, body=b"bob-not-yet-accepted", cmid="b1")
    r = s.req("GET", "/v1/partner/sync?timeout=0", token=w.at)
    expect_status(r, 200, "partner sync")
    text = r.raw.decode()
    check(H.b64(b"first-party-secret") not in text and normal not in text, "partner sync leaks a normal thread")
    check(H.b64(b"bob-not-yet-accepted") not in text, "partner sync leaks bob's message before he accepted")
    check(sh["message_id"] in text, "partner sync shows the app's share")
    for x in (w.alice.user_id, w.bob.user_id):
        check(x not in text, f"partner sync leaks the user id {x!r}")
    # the read is in alice's access log (written just after, by the writer)
    for _ in range(50):
        log = s.req("GET", "/v1/me/access-log", token=w.alice.token).json["entries"]
        if any(e["action"] == "events.read" and e["count"] >= 1 for e in log):
            break
        time.sleep(0.05)
    check(any(e["action"] == "events.read" and e["count"] >= 1 for e in log),
          f"the app's sync is not in alice's access log: {[e['action'] for e in log]}")


def test_partner_route_matrix():
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    tid = sh["thread_id"]
    period = current_period_start().isoformat()
    other = H.create_app(s, "OtherM", redirect_uris="https://other.example/cb")
    creds = {"none": None, "malformed": "!!not a token!!", "session": w.alice.token,
             "client": H.client_token(s, w.app), "app": w.at,
             "other_app": H.grant_tokens(s, other, w.alice)["access_token"]}
    rv = H.grant_tokens(s, w.app, s.new_user("rv"))
    H.post_form(s, "/oauth/revoke", {"token": rv["refresh_token"]}, basic=(w.app.client_id, w.app.client_secret))
    creds["revoked"] = rv["access_token"]
    route_scope = {"GET /v1/partner/friends": "friends:read", "POST /v1/partner/shares": "messages:send",
                   "GET /v1/partner/threads": "messages:read",
                   "GET /v1/partner/threads/{id}/messages": "messages:read",
                   "DELETE /v1/partner/threads/{id}/messages/{message_id}": "messages:delete",
                   "GET /v1/partner/sync": "messages:read", "GET /v1/partner/events": "messages:read",
                   "POST /v1/partner/to-device": "messages:send", "POST /v1/partner/threads": "messages:send",
                   "POST /v1/partner/keys/claim": "messages:send"}
    noscope = {}
    for key, sc in route_scope.items():
        rest = " ".join(x for x in H.USER_SCOPES.split() if x != sc)
        t = H.grant_tokens(s, w.app, w.alice, scope=rest)
        eq(set(t["scope"].split()), set(rest.split()), f"narrow grant without {sc}")
        noscope[key] = t["access_token"]
    n = [0]
    sub = H.post_form(s, "/oauth/introspect", {"token": w.at}, basic=(w.app.client_id, w.app.client_secret)).json["sub"]
    bob_dev = s.new_device(w.bob)["device_id"]

    def instance(key):
        """method, path, body for one call; fresh resources where the call consumes them."""
        n[0] += 1
        method, path = key.split(" ", 1)
        if key == "POST /v1/partner/shares":
            return method, path, {"to": pb, "item": "m:1", "body": H.b64(b"x"), "client_msg_id": f"mx{n[0]}"}
        if key == "GET /v1/partner/sync":
            return method, f"{path}?timeout=0", None
        if key == "POST /v1/partner/devices":
            k = s.keygen(sub)
            return method, path, {"name": "tunes-app", "sign_pk": k["sign_pk"], "box_pk": k["box_pk"], "sig": k["sig"]}
        if key == "POST /v1/partner/threads":
            return method, path, {"to": pb}
        if key == "POST /v1/partner/to-device":
            return method, path, {"messages": [{"device_id": bob_dev, "thread_id": tid, "body": H.b64(b"sealed")}]}
        if key == "POST /v1/partner/keys":  # nothing new: the counts of the grant's device
            return method, path, {}
        if key == "POST /v1/partner/keys/claim":
            return method, path, {"devices": [bob_dev]}
        if key == "GET /v1/partner/reports":
            return method, f"{path}?period_start={period}", None
        if "{message_id}" in path:
            r = send_share(s, w.at, pb, cmid=f"del{n[0]}")
            expect_status(r, 201, "share for a delete")
            return method, path.replace("{id}", r.json["thread_id"]).replace("{message_id}", r.json["message_id"]), None
        return method, path.replace("{id}", tid), None

    failures = []
    for key, exp in PARTNER_EXPECT.items():
        for cred in CREDS:
            want = exp.get(cred)
            if want is None:
                continue
            tok = noscope.get(key) if cred == "noscope" else creds[cred]
            method, path, body = instance(key)
            if key == "GET /v1/partner/events":
                with s.sse(token=tok, path=path) as e:
                    r = H.Resp("GET", path, e.status, e.headers_list, e.body)
            else:
                r = s.req(method, path, body=body, token=tok)
            status, code = (want, None) if isinstance(want, int) else want
            ok = r.status in status if isinstance(status, tuple) else r.status == status
            if ok and code is not None:
                got = (r.json or {}).get("error")
                got = got.get("code") if isinstance(got, dict) else got
                ok = got == code
            if ok and cred == "noscope":
                ok = "insufficient_scope" in (r.header("www-authenticate") or "")
            if not ok:
                failures.append(f"{key} as {cred}: got {r.status} {r.short_body(120)}, want {want}")
    check(not failures, f"{len(failures)} cell(s) differ: " + " || ".join(failures))


def test_partner_events_end_on_revocation():
    """docs/partner.md: GET /v1/partner/events ends within a second of the grant being revoked."""
    import time
    s = H.server()
    w = World(s)
    pb, sh = shared(s, w)
    with s.sse(token=w.at, path="/v1/partner/events") as e:
        eq(e.status, 200, "partner events")
        ev = e.next_event(5)
        check(ev is not None and ev["event"] == "message.created", f"the share arrives as message.created: {ev}")
        eq(ev["data"]["message"]["message_id"], sh["message_id"], "the share's message id")
        r = s.req("DELETE", f"/v1/me/grants/{w.grant_id()}", token=w.alice.token)
        expect_status(r, 204, "revoke")
        t0 = time.monotonic()
        while not e.closed and time.monotonic() - t0 < 3:
            if e.next_event(3 - (time.monotonic() - t0)) is None:
                break
        check(e.closed, "the partner event stream is still open 3 s after the grant was revoked")
        check(time.monotonic() - t0 < 2.5, f"the stream ended {time.monotonic() - t0:.1f}s after revocation")


# ---- apps in a browser (CORS) ----

CORS_ROUTES = {("GET", "/.well-known/oauth-authorization-server"), ("POST", "/oauth/token"), ("POST", "/oauth/revoke")}


def test_cors_exactly_on_the_routes_browser_apps_use():
    # Open to every web origin: the OAuth endpoints a public client calls and the Inbox API, whose
    # credentials are bearer tokens or PKCE, never cookies. Nothing a cookie or a person's session reaches.
    p = subprocess.run([H.BIN, "routes"], capture_output=True, timeout=15)
    table = json.loads(p.stdout)
    want = CORS_ROUTES | {(r["method"], r["path"]) for r in table
                          if r["path"].startswith("/v1/partner/") and r["path"] != "/v1/partner/reports"}
    eq({(r["method"], r["path"]) for r in table if r["cors"]}, want, "routes flagged cors")
    for r in table:
        if r["cors"]:
            check("cookie" not in r["creds"] and "session" not in r["creds"],
                  f"{r['method']} {r['path']} is open to web origins but takes {r['creds']}")


def test_cors_preflight_and_answers():
    s = H.server()
    w = World(s)
    origin = {"Origin": "https://tunes.example"}

    def preflight(path, method):
        return s.req("OPTIONS", path, headers=dict(origin, **{"Access-Control-Request-Method": method,
                                                             "Access-Control-Request-Headers": "authorization"}))
    r = preflight("/oauth/token", "POST")
    eq((r.status, r.header("access-control-allow-origin"), r.header("access-control-allow-methods")),
       (204, "*", "POST"), "preflight of the token endpoint")
    check("authorization" in (r.header("access-control-allow-headers") or "").lower(), "Authorization allowed")
    r = preflight("/v1/partner/threads/t_x/messages/m_y", "DELETE")
    eq((r.status, r.header("access-control-allow-methods")), (204, "DELETE"), "preflight with placeholders")
    r = preflight("/v1/partner/threads", "POST")
    eq(sorted((r.header("access-control-allow-methods") or "").split(", ")), ["GET", "POST"], "both methods")
    for path in ("/v1/threads", "/v1/me", "/oauth/authorize", "/account/apps", "/v1/partner/reports", "/nope"):
        r = preflight(path, "GET")
        check(r.status in (404, 405) and r.header("access-control-allow-origin") is None,
              f"OPTIONS {path}: {r.status}, ACAO {r.header('access-control-allow-origin')!r}")

    # answers, successes and errors alike, carry the header on CORS routes only
    r = s.req("GET", "/v1/partner/friends", token=w.at, headers=origin)
    eq((r.status, r.header("access-control-allow-origin")), (200, "*"), "an app call from a browser")
    r = s.req("GET", "/v1/partner/friends", headers=origin)
    eq((r.status, r.header("access-control-allow-origin")), (401, "*"), "a refused app call")
    check("WWW-Authenticate" in (r.header("access-control-expose-headers") or ""), "WWW-Authenticate exposed")
    r = H.post_form(s, "/oauth/token", {"grant_type": "refresh_token", "refresh_token": "nope",
                                        "client_id": w.app.client_id})
    eq((r.status, r.header("access-control-allow-origin")), (401 if w.app.client_secret else 400, "*"),
       "a refused token request")
    with s.sse(token=w.at, path="/v1/partner/events", headers=origin) as st:
        eq((st.status, st.header("access-control-allow-origin")), (200, "*"), "the app's event stream")
    r = s.req("GET", "/.well-known/oauth-authorization-server", headers=origin)
    eq((r.status, r.header("access-control-allow-origin")), (200, "*"), "metadata")
    r = s.req("GET", "/v1/me", token=w.alice.token, headers=origin)
    eq((r.status, r.header("access-control-allow-origin")), (200, None), "a person's route stays same-origin")
    r = w.browser.get("/account/apps")
    eq((r.status, r.header("access-control-allow-origin")), (200, None), "a page stays same-origin")
