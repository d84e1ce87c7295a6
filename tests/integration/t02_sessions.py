"""Sessions: bearer tokens, logout, rejection of bad credentials."""
import harness as H
from harness import check, eq, expect_error, expect_status


def test_logout_stops_token_at_once():
    s = H.server()
    u = s.new_user()
    other = s.login(u)
    r = s.req("DELETE", "/v1/sessions/current", token=u.token)
    expect_status(r, 204)
    eq(r.raw, b"", "204 body")
    expect_error(s.req("GET", "/v1/me", token=u.token), 401, "unauthorized", "token after logout")
    expect_error(s.req("DELETE", "/v1/sessions/current", token=u.token), 401, "unauthorized",
                 "logging out twice")
    expect_error(s.req("GET", "/v1/threads", token=u.token), 401, "unauthorized", "token after logout")
    # the other session of the same user is untouched
    r = s.req("GET", "/v1/me", token=other)
    expect_status(r, 200, "the user's other session")
    eq(r.json["user_id"], u.user_id, "other session's user")


def test_missing_or_malformed_authorization():
    s = H.server()
    u = s.new_user()
    variants = [
        None,
        "Bearer",
        "Bearer ",
        "Bearer not-a-real-token",
        "Bearer " + u.token + "x",
        "Bearer " + u.token[:-1],
        "Basic " + H.b64(b"user:pass"),
        u.token,                                  # scheme missing
        "Token " + u.token,                        # wrong scheme
        "Bearer " + u.token + " " + u.token,       # two tokens
        "Bearer " + "\u00e9".encode().decode("latin-1") * 10,
    ]
    for v in variants:
        hdrs = {} if v is None else {"Authorization": v}
        r = s.req("GET", "/v1/me", headers=hdrs)
        expect_error(r, 401, "unauthorized", f"Authorization: {v!r}")
    # and the real token still works after all that
    expect_status(s.req("GET", "/v1/me", token=u.token), 200)


def test_unauthorized_bodies_identical():
    # missing / garbage / logged-out tokens are all "unauthorized": same status, same code
    s = H.server()
    u = s.new_user()
    t = s.login(u)
    expect_status(s.req("DELETE", "/v1/sessions/current", token=t), 204)
    rs = [s.req("GET", "/v1/me"), s.req("GET", "/v1/me", token="garbage"),
          s.req("GET", "/v1/me", token=t), s.req("GET", "/v1/me", token=H.fake_id(u.token))]
    for r in rs:
        expect_error(r, 401, "unauthorized")


def test_tokens_are_per_user():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    ra = s.req("GET", "/v1/me", token=a.token)
    rb = s.req("GET", "/v1/me", token=b.token)
    eq(ra.json["user_id"], a.user_id, "me of a")
    eq(rb.json["user_id"], b.user_id, "me of b")
    check(a.token != b.token, "two users share a token")


def test_logout_of_one_session_keeps_device_of_other():
    s = H.server()
    u = s.new_user()
    dev = s.new_device(u)
    t2 = s.login(u)
    r = s.req("GET", "/v1/me", token=t2)
    eq(r.json["device_id"], None, "a new session is not bound to a device")
    expect_status(s.req("DELETE", "/v1/sessions/current", token=t2), 204)
    r = s.req("GET", "/v1/me", token=u.token)
    expect_status(r, 200)
    eq(r.json["device_id"], dev["device_id"], "device binding of the first session")


def test_sessions_survive_restart():
    # POST /v1/sessions is a write: its 2xx means it is on disk, so the token works after a restart
    with H.Server() as s:
        u = s.new_user()
        s.stop()
        s2 = s.restart()
        try:
            r = s2.req("GET", "/v1/me", token=u.token)
            expect_status(r, 200, "token issued before a restart")
            eq(r.json["user_id"], u.user_id, "me after restart")
            expect_status(s2.req("POST", "/v1/sessions", {"username": u.username, "password": u.password}), 201,
                          "login after restart")
        finally:
            s2.stop()


def test_change_password():
    s = H.server()
    u = s.new_user()
    other = s.login(u)
    r = s.req("POST", "/v1/me/password", {"current_password": "not it at all", "new_password": "brand-new-pw"},
              token=u.token)
    expect_error(r, 403, "forbidden")
    expect_error(s.req("POST", "/v1/me/password", {"current_password": u.password, "new_password": "short"},
                       token=u.token), 400, "invalid_field")
    expect_error(s.req("POST", "/v1/me/password", {"new_password": "brand-new-pw"}, token=u.token), 400,
                 "invalid_field")
    expect_status(s.req("GET", "/v1/me", token=other), 200, "refusals change nothing")
    r = s.req("POST", "/v1/me/password", {"current_password": u.password, "new_password": "brand-new-pw"},
              token=u.token)
    expect_status(r, 204)
    expect_status(s.req("GET", "/v1/me", token=u.token), 200, "the session that changed it goes on")
    expect_error(s.req("GET", "/v1/me", token=other), 401, "unauthorized")
    expect_error(s.req("POST", "/v1/sessions", {"username": u.username, "password": u.password}), 401,
                 "invalid_credentials")
    expect_status(s.req("POST", "/v1/sessions", {"username": u.username, "password": "brand-new-pw"}), 201,
                  "login with the new password")


def test_wrong_current_passwords_hit_the_login_limit():
    with H.Server(["--login-fail-limit=3"]) as s:
        u = s.new_user()
        for _ in range(3):
            expect_error(s.req("POST", "/v1/me/password", {"current_password": "wrong-wrong", "new_password":
                                                           "brand-new-pw"}, token=u.token), 403, "forbidden")
        r = s.req("POST", "/v1/me/password", {"current_password": u.password, "new_password": "brand-new-pw"},
                  token=u.token)
        expect_error(r, 429, "rate_limited")


def _stream_ends(st, timeout):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not st.closed:
        st.next_event(0.2)
    return st.closed


def test_event_streams_end_with_their_session():
    # logging out, or a password change elsewhere, ends that session's open event stream at once (the default
    # heartbeat is 15 s: the stream must not wait for it)
    with H.Server([]) as s:
        u = s.new_user()
        t_logout, t_other = s.login(u), s.login(u)
        with s.sse(token=t_logout) as a, s.sse(token=t_other) as b, s.sse(token=u.token) as keep:
            for st in (a, b, keep):
                eq(st.status, 200, "stream opened")
            expect_status(s.req("DELETE", "/v1/sessions/current", token=t_logout), 204)
            check(_stream_ends(a, 1), "the stream of a logged-out session is still open after 1 s")
            expect_status(s.req("POST", "/v1/me/password", {"current_password": u.password,
                                                            "new_password": "brand-new-pw"}, token=u.token), 204)
            check(_stream_ends(b, 1), "the stream of a session ended by a password change is still open after 1 s")
            check(not _stream_ends(keep, 1), "the stream of the session that changed the password ended")


def test_logout_everywhere():
    s = H.server()
    u, v = s.new_user(), s.new_user()
    t2 = s.login(u)
    with s.sse(token=t2) as st:
        eq(st.status, 200, "stream opened")
        expect_status(s.req("DELETE", "/v1/sessions", token=u.token), 204)
        for t in (u.token, t2):
            expect_error(s.req("GET", "/v1/me", token=t), 401, "unauthorized")
    expect_status(s.req("GET", "/v1/me", token=v.token), 200, "another person's session")
    expect_status(s.req("POST", "/v1/sessions", {"username": u.username, "password": u.password}), 201,
                  "logging in again")


def test_list_and_end_sessions():
    s = H.server()
    u, v = s.new_user(), s.new_user()
    s.new_device(u)
    phone = s.login(u)
    r = s.req("GET", "/v1/sessions", token=u.token)
    expect_status(r, 200)
    rows = r.json["sessions"]
    eq([x["current"] for x in rows], [True, False], "the current session is marked")
    eq((rows[0]["device"]["device_id"], rows[1]["device"]), (u.device["device_id"], None), "devices")
    check(all(x["session_id"].startswith("s_") and len(x["session_id"]) == 24 for x in rows), f"ids: {rows}")
    eq(s.req("GET", "/v1/sessions", token=phone).json["sessions"][1]["current"], True, "seen from the phone")
    expect_error(s.req("DELETE", f"/v1/sessions/{rows[1]['session_id']}", token=v.token), 404, "not_found",
                 "someone else's session")
    expect_error(s.req("DELETE", "/v1/sessions/s_nope", token=u.token), 404, "not_found")
    expect_status(s.req("DELETE", f"/v1/sessions/{rows[1]['session_id']}", token=u.token), 204)
    expect_error(s.req("GET", "/v1/me", token=phone), 401, "unauthorized")
    eq([x["session_id"] for x in s.req("GET", "/v1/sessions", token=u.token).json["sessions"]],
       [rows[0]["session_id"]], "sessions after ending the phone's")
    expect_status(s.req("DELETE", "/v1/sessions/current", token=u.token), 204, "current still means this one")
