"""Leaving and abuse (issue 11, item 5; docs/api.md "Deleting an account", docs/deploy.md "Registration").

A person deletes their account with the CLI (`postern account delete`, the password asked again): their friends
see their messages as tombstones, every session, device, token and app grant ends at once, the pairwise id an
app held resolves to nothing, their access log is gone, their shares leave the report period that is still open
(a frozen one stays byte for byte), and nobody can take the username during the quarantine. Then registration:
closed, by invitation (`posternd invite`), and limited per client address — behind a proxy, per forwarded
address."""
import json
import os
import subprocess
import time

import harness as H
from harness import check, eq, expect_error, expect_status
from t16_partner import World, pick, send_share
from t20_cli import CLI, Person, befriend


def db_count(s, sql, *args):
    with H.server_db(s) as con:
        return con.execute(sql, args).fetchone()[0]


def test_delete_with_the_cli_end_to_end():
    s = H.server()
    a, b = Person(s, "leaver"), Person(s, "friend")
    a.register()
    b.register()
    befriend(a, b)
    a.run("send", b.name, "hello from the one who leaves")
    b.run("send", a.name, "hello back")
    before = json.dumps(b.json("read", a.name))
    check("hello from the one who leaves" in before, f"bob reads alice's message first: {before[:400]}")
    a_id = a.user_id()
    # a second session (another login), and a raw session token of the account
    tok = s.req("POST", "/v1/sessions", {"username": a.name, "password": a.password}).json["token"]
    expect_status(s.req("GET", "/v1/me", token=tok), 200, "a second session works before")

    # a wrong password deletes nothing
    p = subprocess.run([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", a.home, "account", "delete"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, POSTERN_PASSWORD="not-the-password"))
    check(p.returncode != 0 and "password is wrong" in p.stderr, f"a wrong password: {p.returncode} {p.stderr!r}")
    expect_status(s.req("GET", "/v1/me", token=tok), 200, "nothing ended after a wrong password")

    a.run("account", "delete")
    # every session ends at once
    expect_error(s.req("GET", "/v1/me", token=tok), 401, "unauthorized", "the other session after deletion")
    p = a.run("whoami", check_ok=False)
    check(p.returncode != 0, "the CLI's home forgot its session")
    # nobody can log in
    expect_error(s.req("POST", "/v1/sessions", {"username": a.name, "password": a.password}), 401,
                 "invalid_credentials", "logging in to a deleted account")
    # the friend: no friend any more, a tombstone where the message was, their own message intact
    friends = json.dumps(b.json("friends"))
    check(a.name not in friends, f"bob's friends still list alice: {friends[:300]}")
    after = b.run("read", a.name, check_ok=False)
    check("hello from the one who leaves" not in after.stdout, f"the CLI still shows the deleted text: {after.stdout!r}")
    check("hello back" in after.stdout or after.returncode != 0, f"bob's own message: {after.stdout!r}")
    bt = s.req("POST", "/v1/sessions", {"username": b.name, "password": b.password}).json["token"]
    threads = s.req("GET", "/v1/threads", token=bt).json["threads"]
    check(threads, "bob keeps the conversation")
    msgs = s.req("GET", f"/v1/threads/{threads[0]['thread_id']}/messages", token=bt).json["messages"]
    mine = [m for m in msgs if m["sender_id"] == a_id]
    check(mine, f"bob's thread still lists alice's message, as a tombstone: {json.dumps(msgs)[:400]}")
    for m in mine:
        check(m.get("body") is None and m.get("deleted") is True, f"alice's message is not a tombstone: {m}")
    check(any(m["sender_id"] != a_id and m.get("body") for m in msgs), "bob's own message keeps its body")
    # bob heard it: account.deleted and friend.removed in his event log
    evs = s.sync_all(H.User(b.name, b.password, None, bt))[0]
    for kind in ("account.deleted", "friend.removed"):
        got = [e for e in evs if e["type"] == kind]
        check(got and json.dumps(got[-1]).find(a_id) >= 0, f"bob got {kind} naming alice: {got}")
    # the account's id names nothing any more
    expect_error(s.req("GET", f"/v1/users/{a_id}/devices", token=bt), 404, "not_found", "the deleted user's devices")
    expect_error(s.req("POST", "/v1/friends/requests", {"username": a.name}, token=bt), 404, None,
                 "a friend request to the deleted username")
    # the username stays taken during the quarantine
    expect_error(s.req("POST", "/v1/accounts", {"username": a.name, "password": "password1"}), 409, "username_taken",
                 "the username during the quarantine")
    # the database keeps no identity, device key material, session or event of the account
    eq(db_count(s, "SELECT COUNT(*) FROM identities i JOIN users u ON u.id = i.user_id WHERE u.public_id = ?", a_id), 0,
       "identity rows")
    eq(db_count(s, "SELECT COUNT(*) FROM devices d JOIN users u ON u.id = d.user_id WHERE u.public_id = ?"
               " AND (d.removed_at = 0 OR d.cert IS NOT NULL OR d.identity_box IS NOT NULL)", a_id), 0, "live or certified devices")
    eq(db_count(s, "SELECT COUNT(*) FROM prekeys p JOIN devices d ON d.id = p.device_id JOIN users u ON u.id = d.user_id"
               " WHERE u.public_id = ?", a_id), 0, "prekeys")
    eq(db_count(s, "SELECT COUNT(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.public_id = ?", a_id), 0, "events")
    eq(db_count(s, "SELECT COUNT(*) FROM messages g JOIN users u ON u.id = g.sender_id WHERE u.public_id = ?"
               " AND g.body IS NOT NULL", a_id), 0, "message bodies")
    # deleting twice: the session is gone, so 401
    expect_error(s.req("DELETE", "/v1/me", {"password": a.password}, token=tok), 401, "unauthorized", "deleting twice")


def test_username_free_after_quarantine():
    with H.Server(["--username-quarantine=0"]) as s:
        u = s.new_user("q")
        expect_status(s.req("DELETE", "/v1/me", {"password": u.password}, token=u.token), 204, "delete")
        r = expect_status(s.req("POST", "/v1/accounts", {"username": u.username, "password": "another-pw1"}), 201,
                          "the username after a quarantine of 0 days")
        check(r.json["user_id"] != u.user_id, "a new account, not the old one back")
        expect_error(s.req("POST", "/v1/sessions", {"username": u.username, "password": u.password}), 401,
                     "invalid_credentials", "the old password on the new account")


def test_delete_needs_the_password():
    s = H.server()
    u = s.new_user("pw")
    for body, status, code in (({}, 400, "invalid_field"), ({"password": "wrong-password"}, 403, "forbidden"),
                               ({"password": 12}, 400, "invalid_field")):
        expect_error(s.req("DELETE", "/v1/me", body, token=u.token), status, code, f"DELETE /v1/me {body}")
    expect_status(s.req("GET", "/v1/me", token=u.token), 200, "still there")


def test_partner_grant_tokens_pairwise_access_log_and_shares():
    s = H.server()
    w = World(s)  # alice granted the app; bob is her friend
    pb = pick(s, w.app, w.browser, [w.bob])[0]
    expect_status(send_share(s, w.at, pb, item="track:frozen"), 201, "a share in a period that will be frozen")
    # that period closes and its report is frozen
    period = H.report_time_passes(s, 14)
    ct = H.client_token(s, w.app)
    frozen = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
    expect_status(frozen, 200, "the closed period's report")
    # a share in the open period, a refresh token, an access-log line
    expect_status(send_share(s, w.at, pb, item="track:open"), 201, "a share in the open period")
    alice_id = w.alice.user_id
    check(db_count(s, "SELECT COUNT(*) FROM shares s JOIN users u ON u.id = s.sender WHERE u.public_id = ?", alice_id) >= 1,
          "alice's shares are stored")
    log = s.req("GET", "/v1/me/access-log", token=w.alice.token).json
    check(log.get("entries"), "alice's access log has lines")

    app_stream = s.sse(token=w.at, path="/v1/partner/events")
    own_stream = s.sse(token=w.alice.token)
    expect_status(s.req("DELETE", "/v1/me", {"password": w.alice.password}, token=w.alice.token), 204, "alice leaves")
    # both streams end at once (the issue: within a second), not at the next heartbeat (15 s)
    for what, stream, within in (("the app's stream", app_stream, 1.0), ("her own stream", own_stream, 1.0)):
        deadline = time.monotonic() + within
        while not stream.closed and time.monotonic() < deadline:
            stream.next_block(max(0.05, deadline - time.monotonic()))
        check(stream.closed, f"{what} is still open {within} s after the deletion")
        stream.close()

    # the app's tokens are dead, its refresh token too
    expect_error(s.req("GET", "/v1/partner/threads", token=w.at), 401, "unauthorized", "the app's access token")
    r = H.token(s, w.app, {"grant_type": "refresh_token", "refresh_token": w.tok["refresh_token"]})
    eq(r.status, 400, f"the refresh token after deletion: {r.short_body()}")
    eq(r.json.get("error"), "invalid_grant", "refresh after deletion")
    # the pairwise id alice's app held for her resolves to nothing (bob's, held through her grant, is gone too)
    eq(db_count(s, "SELECT COUNT(*) FROM pairwise p JOIN users u ON u.id = p.user_id WHERE u.public_id = ?", alice_id), 0,
       "alice's pairwise ids")
    eq(db_count(s, "SELECT COUNT(*) FROM access_log l JOIN users u ON u.id = l.user_id WHERE u.public_id = ?", alice_id), 0,
       "alice's access log")
    # her shares left the open period; the frozen report is the same bytes
    eq(db_count(s, "SELECT COUNT(*) FROM shares s JOIN users u ON u.id = s.sender WHERE u.public_id = ?", alice_id), 0,
       "alice's shares")
    again = s.req("GET", f"/v1/partner/reports?period_start={period}", token=ct)
    eq(again.raw, frozen.raw, "the frozen report after the deletion")
    # bob's conversation with the app shows the share as a tombstone
    bt = w.bob.token
    for t in s.req("GET", "/v1/threads", token=bt).json["threads"]:
        for m in s.req("GET", f"/v1/threads/{t['thread_id']}/messages", token=bt).json["messages"]:
            if m.get("sender_id") == alice_id or m.get("item"):
                check(m.get("body") in (None, ""), f"a share of alice's still has its body: {m}")


def test_registration_closed():
    with H.Server(["--registration=closed"]) as s:
        expect_error(s.req("POST", "/v1/accounts", {"username": H.rand_name("cl"), "password": "password1"}), 403,
                     "forbidden", "registration closed")
        r = subprocess.run([H.BIN, "--registration=maybe", "--port=0"], capture_output=True, text=True, timeout=10)
        check(r.returncode != 0 and "registration" in r.stderr, f"a bad --registration value: {r.returncode} {r.stderr!r}")


def invite_codes(s, n, days=None):
    argv = [H.BIN, "invite", "--count", str(n), *H.db_args(s)] + (["--days", str(days)] if days else [])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    check(p.returncode == 0, f"posternd invite: {p.returncode} {p.stderr!r}")
    codes = p.stdout.split()
    eq(len(codes), n, "invite codes printed")
    return codes


def test_registration_by_invite():
    with H.Server(["--registration=invite"]) as s:
        codes = invite_codes(s, 2)
        eq(len(set(codes)), 2, "distinct codes")
        name = H.rand_name("inv")
        expect_error(s.req("POST", "/v1/accounts", {"username": name, "password": "password1"}), 403, "forbidden",
                     "no invite")
        expect_error(s.req("POST", "/v1/accounts", {"username": name, "password": "password1", "invite": "inv.nope"}),
                     403, "forbidden", "an unknown invite")
        expect_status(s.req("POST", "/v1/accounts", {"username": name, "password": "password1", "invite": codes[0]}), 201,
                      "a good invite")
        expect_error(s.req("POST", "/v1/accounts", {"username": H.rand_name("inv"), "password": "password1",
                                                    "invite": codes[0]}), 403, "forbidden", "the invite used twice")
        # a taken username keeps the invite good
        expect_error(s.req("POST", "/v1/accounts", {"username": name, "password": "password1", "invite": codes[1]}), 409,
                     "username_taken", "a taken name with a good invite")
        # the CLI: postern register --invite
        p = Person(s, "cli")
        out = p.json("register", p.name, "--invite", codes[1])
        check(out.get("recovery_key"), f"registered with an invite through the CLI: {out}")
        expect_error(s.req("POST", "/v1/accounts", {"username": H.rand_name("inv"), "password": "password1",
                                                    "invite": codes[1]}), 403, "forbidden", "the CLI's invite reused")
        # an expired invite
        old = invite_codes(s, 1, days=1)[0]
        with H.server_db(s) as con:
            con.execute("UPDATE invites SET expires_at = 1 WHERE used_at = 0")
        expect_error(s.req("POST", "/v1/accounts", {"username": H.rand_name("inv"), "password": "password1", "invite": old}),
                     403, "forbidden", "an expired invite")


def test_registration_rate_limited_per_address():
    with H.Server(["--register-limit=3", "--register-window=3600"]) as s:
        for i in range(3):
            expect_status(s.req("POST", "/v1/accounts", {"username": H.rand_name("rl"), "password": "password1"}), 201,
                          f"account {i + 1} of 3")
        r = expect_error(s.req("POST", "/v1/accounts", {"username": H.rand_name("rl"), "password": "password1"}), 429,
                         "rate_limited", "the fourth account from one address")
        check(int(r.header("retry-after") or 0) > 0, "Retry-After on 429")
        # a forwarded address means nothing without a proxy in front
        r = s.req("POST", "/v1/accounts", {"username": H.rand_name("rl"), "password": "password1"},
                  headers={"X-Forwarded-For": "203.0.113.9"})
        expect_error(r, 429, "rate_limited", "X-Forwarded-For from a client talking to posternd directly")


def test_registration_rate_limited_per_forwarded_address():
    with H.Server(["--register-limit=2", "--public-url=https://chat.example.org"]) as s:
        def reg(xff):
            return s.req("POST", "/v1/accounts", {"username": H.rand_name("fw"), "password": "password1"},
                         headers={"X-Forwarded-For": xff})
        for i in range(2):
            expect_status(reg("203.0.113.1"), 201, f"client 1, account {i + 1}")
        expect_error(reg("203.0.113.1"), 429, "rate_limited", "client 1, third account")
        # the last entry is the proxy's: a client cannot choose it by sending its own header first
        expect_error(reg("198.51.100.7, 203.0.113.1"), 429, "rate_limited", "client 1 with a forged first entry")
        expect_status(reg("203.0.113.1, 198.51.100.7"), 201, "another client (the last entry)")
        expect_status(reg("203.0.113.2"), 201, "client 2")
        # IPv6: one /64 is one client
        expect_status(reg("2001:db8:1:2::1"), 201, "v6 client, first")
        expect_status(reg("2001:db8:1:2:ffff::9"), 201, "v6 client, second in the same /64")
        expect_error(reg("2001:db8:1:2::abcd"), 429, "rate_limited", "v6 client, third in the same /64")
        expect_status(reg("2001:db8:1:3::1"), 201, "another /64")
