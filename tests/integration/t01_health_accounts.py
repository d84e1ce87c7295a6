"""Health, accounts and logins (docs/api.md: Health, Accounts and sessions, Conventions)."""
import time

import harness as H
from harness import check, eq, expect_error, expect_keys, expect_status, expect_ts


def test_health():
    s = H.server()
    r = s.req("GET", "/v1/health")
    expect_status(r, 200)
    eq((r.header("content-type") or "").split(";")[0].strip(), "application/json", "health Content-Type")
    eq(r.json, {"status": "ok", "version": "0.1.0"}, "GET /v1/health body")


def test_listening_line():
    # the one stdout line is exactly `posternd listening on http://127.0.0.1:PORT`
    s = H.server()
    check(H.LISTEN_RE.match(s.listen_line) is not None,
          f"first stdout line is {s.listen_line!r}, want exactly 'posternd listening on http://127.0.0.1:{s.port}'")


def test_help_lists_every_option_once_with_its_default():
    import subprocess
    p = subprocess.run([H.BIN, "--help"], capture_output=True, text=True, timeout=10)
    eq(p.returncode, 0, "posternd --help exit status")
    opts = [ln.split()[0] for ln in p.stdout.splitlines() if ln.startswith("  --")]
    check(len(opts) >= 20 and len(set(opts)) == len(opts), f"options in --help: {opts}")
    check("(default )" not in p.stdout, "an option shows an empty '(default )'")
    check("--port" in opts and "(default 8080)" in p.stdout, "--port and its default in --help")


def test_unknown_path_is_404():
    s = H.server()
    expect_error(s.req("GET", "/v1/nope"), 404, "not_found")
    expect_error(s.req("GET", "/nope"), 404, "not_found")
    expect_error(s.req("GET", "/v1/threads/x/y/z"), 404, "not_found")


def test_known_path_other_method_is_405():
    s = H.server()
    expect_error(s.req("DELETE", "/v1/health"), 405, "method_not_allowed")
    expect_error(s.req("POST", "/v1/health", {}), 405, "method_not_allowed")
    expect_error(s.req("GET", "/v1/accounts"), 405, "method_not_allowed")
    expect_error(s.req("PUT", "/v1/sessions", {}), 405, "method_not_allowed")


def test_create_account():
    s = H.server()
    name = H.rand_name("acct")
    r = s.req("POST", "/v1/accounts", {"username": name, "password": "correct horse"})
    expect_status(r, 201)
    expect_keys(r.json, ["user_id", "username"], "POST /v1/accounts body")
    H.expect_id(r.json["user_id"], "user_id")
    eq(r.json["username"], name, "username echoed")
    r2 = s.req("POST", "/v1/accounts", {"username": H.rand_name("acct"), "password": "correct horse"})
    expect_status(r2, 201)
    check(r2.json["user_id"] != r.json["user_id"], "two accounts got the same user_id")


def test_username_taken():
    s = H.server()
    name = H.rand_name("dup")
    expect_status(s.req("POST", "/v1/accounts", {"username": name, "password": "password1"}), 201)
    r = s.req("POST", "/v1/accounts", {"username": name, "password": "password2"})
    expect_error(r, 409, "username_taken")


def test_username_rules():
    s = H.server()
    tag = H.rand_name("")[:8]
    good = [tag + "abc", (tag + "x" * 40)[:32], "a_" + tag, "b." + tag, "c-" + tag, tag[:3]]
    # the 3-character name could collide with an earlier run only within one data dir: the dir is fresh
    for name in good:
        r = s.req("POST", "/v1/accounts", {"username": name, "password": "password1"})
        expect_status(r, 201, f"username {name!r} ({len(name)} chars) is valid")
    bad = ["ab", "x" * 33, "Alice" + tag, "has space" + tag[:3], "at@" + tag, "sl/" + tag, "", "dollar$" + tag[:2],
           "caf\u00e9" + tag[:3], "tab\t" + tag[:3], "plus+" + tag[:3]]
    for name in bad:
        r = s.req("POST", "/v1/accounts", {"username": name, "password": "password1"})
        expect_error(r, 400, "invalid_field", f"username {name!r}")


def test_password_length_in_bytes():
    s = H.server()
    cases = [("1234567", 400), ("12345678", 201), ("x" * 1024, 201), ("x" * 1025, 400), ("", 400),
             # 3 two-byte characters = 6 bytes: too short; 4 of them = 8 bytes: long enough
             ("\u00e9\u00e9\u00e9", 400), ("\u00e9\u00e9\u00e9\u00e9", 201),
             # 512 two-byte characters = 1024 bytes; 513 = 1026 bytes
             ("\u00e9" * 512, 201), ("\u00e9" * 513, 400)]
    for pw, want in cases:
        r = s.req("POST", "/v1/accounts", {"username": H.rand_name("pw"), "password": pw})
        if want == 201:
            expect_status(r, 201, f"password of {len(pw.encode())} bytes")
        else:
            expect_error(r, 400, "invalid_field", f"password of {len(pw.encode())} bytes")


def test_account_missing_and_mistyped_fields():
    s = H.server()
    for body in [{}, {"username": H.rand_name()}, {"password": "password1"},
                 {"username": 12345, "password": "password1"}, {"username": H.rand_name(), "password": 12345678},
                 {"username": None, "password": "password1"}, {"username": [H.rand_name()], "password": "password1"},
                 {"username": H.rand_name(), "password": True}]:
        expect_error(s.req("POST", "/v1/accounts", body), 400, "invalid_field", f"body {body!r}")


def test_login():
    s = H.server()
    u = s.create_account()
    before = time.time()
    r = s.req("POST", "/v1/sessions", {"username": u.username, "password": u.password})
    expect_status(r, 201)
    expect_keys(r.json, ["token", "user_id", "expires_at"], "POST /v1/sessions body")
    eq(r.json["user_id"], u.user_id, "login user_id")
    check(isinstance(r.json["token"], str) and len(r.json["token"]) >= 16,
          f"token should be a long opaque string, got {r.json['token']!r}")
    expect_ts(r.json["expires_at"], "expires_at")
    exp = H.ts_epoch(r.json["expires_at"])
    # default --session-ttl is 30 days
    check(abs(exp - (before + 2592000)) < 3600, f"expires_at {r.json['expires_at']} is not ~30 days from now")


def test_login_twice_gives_distinct_tokens():
    s = H.server()
    u = s.create_account()
    t1, t2 = s.login(u), s.login(u)
    check(t1 != t2, "two logins returned the same token")
    for t in (t1, t2):
        expect_status(s.req("GET", "/v1/me", token=t), 200)


def test_wrong_password_and_unknown_user_identical():
    s = H.server()
    u = s.create_account()
    r1 = s.req("POST", "/v1/sessions", {"username": u.username, "password": "wrong-password"})
    r2 = s.req("POST", "/v1/sessions", {"username": H.rand_name("ghost"), "password": "wrong-password"})
    r3 = s.req("POST", "/v1/sessions", {"username": H.rand_name("ghost"), "password": u.password})
    for r in (r1, r2, r3):
        expect_error(r, 401, "invalid_credentials")
    eq(r2.raw, r1.raw, "unknown-user body vs wrong-password body")
    eq(r3.raw, r1.raw, "unknown-user body vs wrong-password body")


def test_login_bad_input():
    s = H.server()
    expect_error(s.req("POST", "/v1/sessions", {"username": "abcdef"}), 400, "invalid_field")
    expect_error(s.req("POST", "/v1/sessions", {"password": "abcdefgh"}), 400, "invalid_field")
    expect_error(s.req("POST", "/v1/sessions", {"username": 5, "password": "abcdefgh"}), 400, "invalid_field")
    expect_error(s.req("POST", "/v1/sessions", b"not json"), 400, "invalid_json")


def test_me():
    s = H.server()
    u = s.new_user()
    r = s.req("GET", "/v1/me", token=u.token)
    expect_status(r, 200)
    expect_keys(r.json, ["user_id", "username", "created_at", "device_id"], "GET /v1/me")
    eq(r.json["user_id"], u.user_id, "me.user_id")
    eq(r.json["username"], u.username, "me.username")
    expect_ts(r.json["created_at"], "me.created_at")
    check(abs(H.ts_epoch(r.json["created_at"]) - time.time()) < 120, "me.created_at is not about now")
    eq(r.json["device_id"], None, "me.device_id before registering a device")


def test_wrong_content_type_is_415():
    s = H.server()
    body = b'{"username":"%s","password":"password1"}' % H.rand_name().encode()
    r = s.req("POST", "/v1/accounts", body, headers={"Content-Type": "text/plain"})
    expect_error(r, 415, "unsupported_media_type")
    r = s.req("POST", "/v1/accounts", body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_error(r, 415, "unsupported_media_type")
    r = s.req("POST", "/v1/accounts", body, headers={"Content-Type": None})
    expect_error(r, 415, "unsupported_media_type", "a JSON body without Content-Type")


def test_json_content_type_with_charset_accepted():
    s = H.server()
    body = b'{"username":"%s","password":"password1"}' % H.rand_name().encode()
    r = s.req("POST", "/v1/accounts", body, headers={"Content-Type": "application/json; charset=utf-8"})
    expect_status(r, 201, "Content-Type: application/json; charset=utf-8")


def test_login_rate_limit():
    with H.Server(["--login-fail-limit=3", "--login-fail-window=60"]) as s:
        u = s.create_account()
        other = s.create_account()
        for i in range(3):
            expect_error(s.req("POST", "/v1/sessions", {"username": u.username, "password": "bad-password"}),
                         401, "invalid_credentials", f"failed login #{i + 1}")
        r = s.req("POST", "/v1/sessions", {"username": u.username, "password": "bad-password"})
        expect_error(r, 429, "rate_limited", "4th failed login within the window")
        ra = r.header("retry-after")
        check(ra is not None and ra.strip().isdigit() and 1 <= int(ra) <= 60,
              f"429 needs Retry-After in seconds within the 60 s window, got {ra!r}")
        # the limit is per username: another account still logs in, and still gets 401 for a wrong password
        expect_error(s.req("POST", "/v1/sessions", {"username": other.username, "password": "bad-password"}),
                     401, "invalid_credentials", "other username is not limited")
        expect_status(s.req("POST", "/v1/sessions", {"username": other.username, "password": other.password}),
                      201, "other username logs in")


def test_login_rate_limit_unknown_username_same_as_known():
    # Unknown and known usernames must answer alike (no account enumeration): the per-username limit
    # also applies to a username that does not exist.
    with H.Server(["--login-fail-limit=2", "--login-fail-window=60"]) as s:
        ghost = H.rand_name("ghost")
        for i in range(2):
            expect_error(s.req("POST", "/v1/sessions", {"username": ghost, "password": "bad-password"}),
                         401, "invalid_credentials", f"unknown user failed login #{i + 1}")
        r = s.req("POST", "/v1/sessions", {"username": ghost, "password": "bad-password"})
        expect_error(r, 429, "rate_limited", "3rd failed login for an unknown username")
        check((r.header("retry-after") or "").strip().isdigit(), "429 without a numeric Retry-After")


def test_secrets_never_reach_the_log():
    # at the most verbose level, a session's token, a password and a message body appear nowhere in the log
    with H.Server(["--log-level=debug"]) as s:
        u = s.new_user("secretive")
        v = s.new_user("other")
        s.befriend(u, v)
        tid = s.thread(u, [v])["thread_id"]
        body = "c2VjcmV0LWJvZHktY2FuYXJ5"  # base64url of "secret-body-canary"
        s.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": "c1", "body": body}, token=u.token)
        s.req("GET", "/v1/me", token=u.token + "x")                      # a malformed token
        s.req("POST", "/v1/sessions", {"username": u.username, "password": "wrong-" + u.password})
        s.req("GET", f"/v1/sync?since=0&timeout=0", token=u.token)
        s.stop()
        with open(s.log_path, "rb") as f:
            log = f.read()
        check(b"/v1/" in log, "the debug log is empty: the test sees nothing")
        for secret in (u.token, u.password, body, "secret-body-canary"):
            check(secret.encode() not in log, f"{secret[:8]}… is in the server log")
