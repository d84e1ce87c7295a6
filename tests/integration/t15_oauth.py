"""The OAuth 2.0 authorization server of the partner platform (docs/partner.md: OAuth 2.0 endpoints).

Driven over HTTP like a browser and an app would: metadata, the authorize -> login -> consent -> code flow,
redirect-URI matching, PKCE, code and refresh-token replay, the token, revoke and introspect endpoints.
"""
import os
import re
import threading
import time
import urllib.parse

import harness as H
from harness import check, eq, expect_keys, expect_status

TOKEN_KEYS = ["access_token", "token_type", "expires_in", "scope", "refresh_token", "sub"]
RFC6749_ERRORS = {"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                  "unsupported_grant_type", "invalid_scope", "invalid_authorization_details"}
_apps = {}


def issuer(s):
    return f"http://127.0.0.1:{s.port}"


def app(kind="conf"):
    """One app per kind on the shared server (cached per server port)."""
    s = H.server()
    key = (s.port, kind)
    if key not in _apps:
        if kind == "conf":
            _apps[key] = H.create_app(s, "Tunes")
        elif kind == "other":
            _apps[key] = H.create_app(s, "Other", redirect_uris="https://other.example/cb")
        elif kind == "public":
            _apps[key] = H.create_app(s, "Native", redirect_uris="http://127.0.0.1/cb",
                                      scopes="friends:read messages:send messages:read", public=True)
        elif kind == "narrow":
            _apps[key] = H.create_app(s, "Narrow", redirect_uris="https://narrow.example/cb",
                                      scopes="friends:read messages:read")
    return _apps[key]


def logged_in(s, user=None):
    user = user or s.new_user("alice")
    b = H.Browser(s)
    r = b.get("/oauth/authorize")  # any page; then log in through the form
    b.login(user)
    return user, b


def expect_oauth_error(r, status, error, what):
    """A token-endpoint style error: status, JSON, {"error","error_description"}."""
    expect_status(r, status, what)
    ctype = (r.header("content-type") or "").split(";")[0].strip()
    eq(ctype, "application/json", f"{what}: Content-Type")
    check(isinstance(r.json, dict), f"{what}: body is not a JSON object: {r.short_body()}")
    expect_keys(r.json, ["error", "error_description"], f"{what}: error body")
    check(r.json["error"] in RFC6749_ERRORS, f"{what}: error {r.json['error']!r} is not an RFC 6749 code")
    eq(r.json["error"], error, f"{what}: error")
    check(isinstance(r.json["error_description"], str) and r.json["error_description"],
          f"{what}: error_description must be a non-empty string")
    return r


def expect_error_page(r, what):
    """An HTML error page that never redirects."""
    check(r.header("location") is None, f"{what}: must not redirect, got Location {r.header('location')!r}")
    check(400 <= r.status < 500, f"{what}: expected a 4xx error page, got {r.status} "
                                     f"{re.sub(r'(?s)<head>.*</head>', '', r.short_body(600))[:200]}")
    ctype = (r.header("content-type") or "").split(";")[0].strip()
    eq(ctype, "text/html", f"{what}: Content-Type of the error page")
    expect_frame_headers(r, what)


def expect_redirect_error(r, a, state, error, what, iss=None):
    expect_status(r, (302, 303), what)
    loc = r.header("location") or ""
    check(loc.startswith(a.redirect_uri + "?"), f"{what}: Location {loc!r} is not the redirect URI")
    q = H.query_of(loc)
    for k, v in q.items():
        eq(len(v), 1, f"{what}: parameter {k} repeated in {loc!r}")
    q = {k: v[0] for k, v in q.items()}
    eq(q.get("error"), error, f"{what}: error in {loc!r}")
    check(q.get("error_description"), f"{what}: no error_description in {loc!r}")
    eq(q.get("state"), state, f"{what}: state")
    if iss is not None:
        eq(q.get("iss"), iss, f"{what}: iss")
    check("code" not in q, f"{what}: an error redirect carries a code")
    return q


def expect_frame_headers(r, what):
    csp = r.header("content-security-policy") or ""
    check("frame-ancestors 'none'" in csp, f"{what}: Content-Security-Policy {csp!r} lacks frame-ancestors 'none'")
    eq((r.header("x-frame-options") or "").upper(), "DENY", f"{what}: X-Frame-Options")


class Soft:
    """Collects failures of independent cases so one report lists them all."""

    def __init__(self):
        self.errors = []

    def __call__(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except H.TestFailure as e:
            self.errors.append(str(e))

    def done(self):
        check(not self.errors, f"{len(self.errors)} case(s) failed: " + " || ".join(self.errors))


def api_status(s, tok, path="/v1/partner/threads"):
    return s.req("GET", path, token=tok).status


def introspect(s, a, tok, auth=None):
    return H.post_form(s, "/oauth/introspect", {"token": tok},
                       basic=auth if auth is not None else (a.client_id, a.client_secret))


def refresh(s, a, rt, extra=None):
    f = {"grant_type": "refresh_token", "refresh_token": rt}
    f.update(extra or {})
    return H.token(s, a, f)


# ----------------------------------------------------------------------------------------------------------
# metadata


def test_metadata():
    s = H.server()
    r = s.req("GET", "/.well-known/oauth-authorization-server")
    expect_status(r, 200)
    eq((r.header("content-type") or "").split(";")[0], "application/json", "Content-Type")
    m = r.json
    iss = issuer(s)
    eq(m.get("issuer"), iss, "issuer (exactly http://127.0.0.1:PORT)")
    for k, path in [("authorization_endpoint", "/oauth/authorize"), ("token_endpoint", "/oauth/token"),
                    ("revocation_endpoint", "/oauth/revoke"), ("introspection_endpoint", "/oauth/introspect")]:
        eq(m.get(k), iss + path, k)
    eq(m.get("code_challenge_methods_supported"), ["S256"], "code_challenge_methods_supported (S256 only)")
    eq(m.get("authorization_response_iss_parameter_supported"), True,
       "authorization_response_iss_parameter_supported")
    eq(m.get("response_types_supported"), ["code"], "response_types_supported")
    eq(set(m.get("grant_types_supported") or []), {"authorization_code", "refresh_token", "client_credentials"},
       "grant_types_supported")
    eq(set(m.get("scopes_supported") or []), set(H.ALL_SCOPES.split()), "scopes_supported")
    check({"client_secret_basic", "client_secret_post", "none"} <= set(m.get("token_endpoint_auth_methods_supported")
                                                                     or []),
          f"token_endpoint_auth_methods_supported {m.get('token_endpoint_auth_methods_supported')}")
    check("postern_threads" in (m.get("authorization_details_types_supported") or []),
          "authorization_details_types_supported lacks postern_threads")


def test_public_url_is_the_issuer():
    with H.Server(["--public-url=https://postern.example"]) as s:
        m = s.req("GET", "/.well-known/oauth-authorization-server").json
        eq(m["issuer"], "https://postern.example", "issuer with --public-url")
        eq(m["token_endpoint"], "https://postern.example/oauth/token", "token_endpoint with --public-url")


# ----------------------------------------------------------------------------------------------------------
# the code flow


def test_full_code_flow_like_a_browser():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    b = H.Browser(s)
    verifier, challenge = H.pkce_pair()
    state = "xyz-" + os.urandom(4).hex()
    path = H.authorize_path(a, state=state, challenge=challenge)
    # 1. not logged in: the login form
    r = b.get(path)
    expect_status(r, 200, "authorize without a session")
    page = r.raw.decode()
    check('action="/oauth/login"' in page and 'name="password"' in page, "the login form is shown")
    expect_frame_headers(r, "login form")
    # 2. log in (form-encoded): the cookie
    login_fields = H.hidden_fields(page)
    login_fields.update(username=alice.username, password=alice.password)
    r = b.post("/oauth/login", login_fields)
    check(r.status in (302, 303), f"POST /oauth/login: {r.status} {r.short_body()}")
    val, hdr = H.set_cookie_value(r, "postern_session")
    check(val, f"no postern_session cookie: {r.headers}")
    attrs = [x.strip().lower() for x in hdr.split(";")[1:]]
    check("httponly" in attrs, f"cookie is not HttpOnly: {hdr!r}")
    check("samesite=lax" in attrs, f"cookie is not SameSite=Lax: {hdr!r}")
    b.cookie = val
    # 3. consent page
    r = b.get(path)
    expect_status(r, 200, "consent page")
    expect_frame_headers(r, "consent page")
    page = r.raw.decode()
    check(a.client_id and "Tunes" in page, "the consent page names the app")
    for sc in ["friends:read", "messages:send", "messages:read", "messages:delete"]:
        check(sc in page, f"the consent page lists {sc}")
    fields = H.hidden_fields(page)
    check(fields.get("csrf"), f"the consent page has a hidden csrf field: {sorted(fields)}")
    eq(fields.get("state"), state, "hidden state")
    eq(fields.get("code_challenge"), challenge, "hidden code_challenge")
    eq(fields.get("client_id"), a.client_id, "hidden client_id")
    check('name="expiry_days"' in page, "the consent page offers a lifetime")
    for d in ("1", "30", "90", "365"):
        check(f'value="{d}"' in page, f"the consent page offers {d} days")
    # 4. approve
    fields.update(decision="approve", expiry_days="30")
    r = b.post("/oauth/authorize", fields)
    expect_status(r, 303, "approve")
    loc = r.header("location")
    check(loc and loc.startswith("https://app.example/cb?"), f"Location {loc!r}")
    q = H.query_of(loc)
    eq(sorted(q), ["code", "iss", "state"], "redirect parameters")
    eq(q["state"], [state], "state")
    eq(q["iss"], [issuer(s)], "iss (RFC 9207)")
    code = q["code"][0]
    # 5. token
    r = H.redeem(s, a, code, verifier)
    expect_status(r, 200, "token (authorization_code)")
    eq((r.header("cache-control") or "").lower(), "no-store", "token response Cache-Control")
    expect_keys(r.json, TOKEN_KEYS, "token response")
    t = r.json
    eq(t["token_type"], "Bearer", "token_type")
    check(t["access_token"].startswith("pa."), f"access token {t['access_token']!r} is not pa.…")
    check(len(H.unb64(t["access_token"][3:])) >= 32, "access token carries 256 bits")
    eq(t["expires_in"], 600, "expires_in (--access-ttl default 600)")
    eq(set(t["scope"].split()), {"friends:read", "messages:send", "messages:read", "messages:delete"}, "scope")
    check(t["refresh_token"] and t["refresh_token"] != t["access_token"], "refresh token")
    check(t["sub"].startswith("p_"), f"sub {t['sub']!r} is not the person's pairwise id")
    intro = H.post_form(s, "/oauth/introspect", {"token": t["access_token"]}, basic=(a.client_id, a.client_secret))
    eq(intro.json.get("sub"), t["sub"], "the token response's sub is introspection's sub")
    r = s.req("GET", "/v1/partner/threads", token=t["access_token"])
    expect_status(r, 200, "the access token works")
    # the grant is alice's, for 30 days
    g = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"]
    eq(len(g), 1, "alice has one grant")
    days = (H.ts_epoch(g[0]["expires_at"]) - H.ts_epoch(g[0]["created_at"])) / 86400
    check(abs(days - 30) < 0.01, f"grant lifetime {days} days, want 30")


def test_client_secret_post_and_public_client():
    s = H.server()
    alice = s.new_user("alice")
    a = app()
    code, ver, _, _ = H.approve(s, a, alice)
    r = H.token(s, a, {"grant_type": "authorization_code", "code": code, "redirect_uri": a.redirect_uri,
                       "code_verifier": ver}, auth="post")
    expect_status(r, 200, "client_secret_post")
    p = app("public")
    code, ver, q, _ = H.approve(s, p, alice)
    r = H.token(s, p, {"grant_type": "authorization_code", "code": code, "redirect_uri": p.redirect_uri,
                       "code_verifier": ver}, auth="none")
    expect_status(r, 200, "public client, client_id alone")
    r2 = H.token(s, p, {"grant_type": "refresh_token", "refresh_token": r.json["refresh_token"]}, auth="none")
    expect_status(r2, 200, "public client refresh")


def test_login_wrong_password_sets_no_cookie():
    s = H.server()
    alice = s.new_user("alice")
    r = H.post_form(s, "/oauth/login", {"username": alice.username, "password": "wrong-password!",
                                        "return_to": "/account/apps"})
    check(r.status in (200, 400, 401, 403), f"wrong password: {r.status}")
    eq(H.set_cookie_value(r, "postern_session")[0], None, "cookie after a wrong password")
    check(r.header("location") is None, "wrong password must not redirect")


def test_login_return_to_is_local_only():
    s = H.server()
    alice = s.new_user("alice")
    for bad in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:evil.example"]:
        r = H.post_form(s, "/oauth/login", {"username": alice.username, "password": alice.password,
                                            "return_to": bad})
        loc = r.header("location") or ""
        check(not loc or (loc.startswith("/") and not loc.startswith("//") and not loc.startswith("/\\")),
              f"login return_to={bad!r} redirects off-site: Location {loc!r}")


# ----------------------------------------------------------------------------------------------------------
# redirect URIs

BAD_REDIRECTS = [
    "https://app.example/cb/",                 # trailing slash
    "https://APP.example/cb",                  # case in host
    "https://app.example/CB",                  # case in path
    "HTTPS://app.example/cb",                  # case in scheme
    "https://app.example/cb?x=1",              # extra query
    "https://app.example/cb?",                 # empty query
    "https://app.example/cb#frag",             # fragment
    "https://app.example/cb#",                 # empty fragment
    "https://app.example:8443/cb",             # other port
    "https://app.example:443/cb",              # explicit default port
    "https://user@app.example/cb",             # userinfo
    "https://app.example@evil.example/cb",     # userinfo trick
    "https://app.example/%63b",                # percent-encoded c
    "https://app.example/cb%2F..",             # encoded slash
    "https://app.example/cb/../cb",            # dot segments
    "https://app.example/x/../cb",             # dot segments
    "https://app.example//cb",                 # double slash
    "https://sub.app.example/cb",              # subdomain
    "https://app.example.evil.example/cb",     # suffix domain
    "https://evil.example/cb",                 # other host
    "https://app.example./cb",                 # trailing dot in host
    "http://app.example/cb",                   # http vs https
    "https://app.example\\@evil.example/cb",   # backslash
    "https://app.example\\cb",                 # backslash path
    "https://app.example/cb%00",               # NUL
    "https://app.example/cb ",                 # trailing space
    " https://app.example/cb",                 # leading space
    "//app.example/cb",                        # scheme-relative
    "app.example/cb",                          # no scheme
    "https://app.example/cb;x",                # path parameter
    "javascript:alert(1)//app.example/cb",
    "",                                        # empty
    None,                                      # missing
]


def test_redirect_uri_exact_match_only():
    s = H.server()
    a = app()
    alice, b = logged_in(s)
    anon = H.Browser(s)
    check(len(BAD_REDIRECTS) >= 25, "enough variants")
    for bad in BAD_REDIRECTS:
        path = H.authorize_path(a, redirect_uri=bad or "", omit=("redirect_uri",) if bad is None else ())
        expect_error_page(b.get(path), f"logged in, redirect_uri={bad!r}")
        r = anon.get(path)
        check(r.header("location") is None, f"not logged in, redirect_uri={bad!r}: Location {r.header('location')}")
    # a repeated redirect_uri (the registered one and another)
    path = H.authorize_path(a) + "&redirect_uri=" + urllib.parse.quote("https://evil.example/cb", safe="")
    r = b.get(path)
    check(r.header("location") is None and 400 <= r.status < 500,
          f"repeated redirect_uri: want a 4xx that does not redirect, got {r.status} {r.header('location')!r}")
    # unknown client_id, missing client_id
    fake = H.App("app_" + "A" * 22, None, [a.redirect_uri], a.scopes, False)
    expect_error_page(b.get(H.authorize_path(fake)), "unknown client_id")
    expect_error_page(b.get(H.authorize_path(a, omit=("client_id",))), "missing client_id")
    # another app's registered redirect URI
    expect_error_page(b.get(H.authorize_path(a, redirect_uri=app("other").redirect_uri)),
                      "another app's redirect URI")


def test_consent_post_with_tampered_redirect_uri():
    s = H.server()
    a = app()
    alice, b = logged_in(s)
    r = b.get(H.authorize_path(a))
    expect_status(r, 200, "consent page")
    f = H.hidden_fields(r.raw.decode())
    for bad in ["https://evil.example/cb", "https://app.example/cb/", "https://app.example/cb#x"]:
        g = dict(f, decision="approve", expiry_days="30", redirect_uri=bad)
        r = b.post("/oauth/authorize", g)
        check(r.header("location") is None, f"consent POST with redirect_uri={bad!r} redirects to "
                                            f"{r.header('location')!r}")
        check(r.status >= 400, f"consent POST with redirect_uri={bad!r}: {r.status}")


def test_token_redirect_uri_must_match():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    code, ver, _, _ = H.approve(s, a, alice)
    r = H.token(s, a, {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb/",
                       "code_verifier": ver})
    expect_oauth_error(r, 400, "invalid_grant", "token with another redirect_uri")
    code, ver, _, _ = H.approve(s, a, alice)
    r = H.token(s, a, {"grant_type": "authorization_code", "code": code, "code_verifier": ver})
    check(r.status == 400 and r.json and r.json.get("error") in ("invalid_request", "invalid_grant"),
          f"token without redirect_uri: {r.status} {r.short_body()}")


def test_code_of_another_app():
    s = H.server()
    alice = s.new_user("alice")
    code, ver, _, _ = H.approve(s, app(), alice)
    o = app("other")
    r = H.token(s, o, {"grant_type": "authorization_code", "code": code, "redirect_uri": app().redirect_uri,
                       "code_verifier": ver})
    expect_oauth_error(r, 400, "invalid_grant", "a code redeemed by another app")


def test_public_loopback_any_port():
    s = H.server()
    p = app("public")
    alice, b = logged_in(s)
    soft = Soft()
    for port in (1, 5555, 49152, 65535):
        uri = f"http://127.0.0.1:{port}/cb"
        verifier, challenge = H.pkce_pair()
        r = b.get(H.authorize_path(p, redirect_uri=uri, challenge=challenge, state="s1"))
        expect_status(r, 200, f"consent for {uri}")
        f = H.hidden_fields(r.raw.decode())
        f.update(decision="approve", expiry_days="1")
        r = b.post("/oauth/authorize", f)
        expect_status(r, 303, f"approve {uri}")
        loc = r.header("location") or ""
        check(loc.startswith(uri + "?"), f"redirected to {loc!r}, want {uri}?…")
        code = H.query1(loc)["code"]
        r = H.token(s, p, {"grant_type": "authorization_code", "code": code, "redirect_uri": uri,
                           "code_verifier": verifier}, auth="none")
        expect_status(r, 200, f"token for {uri}")
    for bad in ["http://127.0.0.1:5555/other", "http://127.0.0.1:5555/cb/", "http://localhost:5555/cb",
                "http://127.0.0.2:5555/cb", "http://[::1]:5555/cb", "https://127.0.0.1:5555/cb",
                "http://127.0.0.1:5555/cb?x=1", "http://127.0.0.1:5555/cb#f", "http://127.0.0.1:/cb",
                "http://127.0.0.1:99999/cb", "http://127.0.0.1:5555.evil.example/cb",
                "http://127.0.0.1.evil.example/cb", "http://127.0.0.1:0/cb", "http://127.0.0.1:-1/cb",
                "http://127.0.0.1:5555x/cb"]:
        soft(lambda: expect_error_page(b.get(H.authorize_path(p, redirect_uri=bad)),
                                       f"public loopback variant {bad!r}"))
    soft.done()


def test_confidential_loopback_port_is_exact():
    s = H.server()
    c = H.create_app(s, "LoopConf", redirect_uris="http://127.0.0.1:9000/cb", scopes="friends:read")
    alice, b = logged_in(s)
    r = b.get(H.authorize_path(c))
    expect_status(r, 200, "the registered loopback URI")
    expect_error_page(b.get(H.authorize_path(c, redirect_uri="http://127.0.0.1:9001/cb")),
                      "a confidential client's loopback URI on another port")


# ----------------------------------------------------------------------------------------------------------
# PKCE


def test_pkce_required_s256_only():
    s = H.server()
    a = app()
    iss = issuer(s)
    alice, b = logged_in(s)
    r = b.get(H.authorize_path(a, state="s-miss", omit=("code_challenge", "code_challenge_method")))
    expect_redirect_error(r, a, "s-miss", "invalid_request", "no code_challenge", iss)
    r = b.get(H.authorize_path(a, state="s-miss2", omit=("code_challenge",)))
    expect_redirect_error(r, a, "s-miss2", "invalid_request", "no code_challenge (method S256)", iss)
    v, c = H.pkce_pair()
    r = b.get(H.authorize_path(a, state="s-plain", challenge=v, method="plain"))
    expect_redirect_error(r, a, "s-plain", "invalid_request", "code_challenge_method=plain", iss)
    r = b.get(H.authorize_path(a, state="s-nomethod", challenge=c, omit=("code_challenge_method",)))
    expect_redirect_error(r, a, "s-nomethod", "invalid_request", "no code_challenge_method (defaults to plain)",
                          iss)
    r = b.get(H.authorize_path(a, state="s-short", challenge="abc"))
    expect_redirect_error(r, a, "s-short", "invalid_request", "a code_challenge that is not a SHA-256", iss)


def test_pkce_wrong_verifier():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    code, ver, _, _ = H.approve(s, a, alice)
    other, _ = H.pkce_pair()
    expect_oauth_error(H.redeem(s, a, code, other), 400, "invalid_grant", "wrong code_verifier")
    code, ver, _, _ = H.approve(s, a, alice)
    r = H.token(s, a, {"grant_type": "authorization_code", "code": code, "redirect_uri": a.redirect_uri})
    check(r.status == 400 and r.json and r.json.get("error") in ("invalid_request", "invalid_grant"),
          f"missing code_verifier: {r.status} {r.short_body()}")
    code, ver, _, _ = H.approve(s, a, alice)
    # the challenge itself as the verifier (a downgrade to plain)
    _, ch = H.pkce_pair()
    expect_oauth_error(H.redeem(s, a, code, ver[:-1]), 400, "invalid_grant", "truncated verifier")


# ----------------------------------------------------------------------------------------------------------
# codes


def test_code_replay_revokes_the_grant():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    code, ver, _, _ = H.approve(s, a, alice)
    r = H.redeem(s, a, code, ver)
    expect_status(r, 200, "first redemption")
    t = r.json
    eq(api_status(s, t["access_token"]), 200, "access token before the replay")
    r = H.redeem(s, a, code, ver)
    expect_oauth_error(r, 400, "invalid_grant", "second redemption")
    eq(api_status(s, t["access_token"]), 401, "the first redemption's access token after the code replay")
    expect_oauth_error(refresh(s, a, t["refresh_token"]), 400, "invalid_grant",
                       "the first redemption's refresh token after the code replay")
    eq(introspect(s, a, t["access_token"]).json, {"active": False}, "introspection after the code replay")


def test_code_works_once_within_its_ttl():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    code, ver, _, _ = H.approve(s, a, alice)
    check(code.startswith("pk.") or len(code) >= 32, f"code {code!r}")
    expect_status(H.redeem(s, a, code, ver), 200, "a fresh code")


def test_code_expires():
    with H.Server(["--code-ttl=1"]) as s:
        a = H.create_app(s, "Exp")
        alice = s.new_user("alice")
        code, ver, _, _ = H.approve(s, a, alice)
        time.sleep(2.2)
        expect_oauth_error(H.redeem(s, a, code, ver), 400, "invalid_grant", "a code past --code-ttl")


def test_garbage_code():
    s = H.server()
    a = app()
    _, ver = H.pkce_pair()
    expect_oauth_error(H.redeem(s, a, "pk." + H.b64(os.urandom(32)), ver), 400, "invalid_grant", "unknown code")


# ----------------------------------------------------------------------------------------------------------
# refresh tokens


def test_refresh_rotation_and_replay():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    t0 = H.grant_tokens(s, a, alice)
    r = refresh(s, a, t0["refresh_token"])
    expect_status(r, 200, "refresh")
    expect_keys(r.json, TOKEN_KEYS, "refresh response")
    t1 = r.json
    check(t1["refresh_token"] != t0["refresh_token"], "the refresh token is replaced")
    check(t1["access_token"] != t0["access_token"], "a new access token")
    eq(api_status(s, t1["access_token"]), 200, "new access token works")
    r = refresh(s, a, t1["refresh_token"])
    expect_status(r, 200, "second refresh")
    t2 = r.json
    eq(api_status(s, t2["access_token"]), 200, "newest access token works")
    # presenting a used refresh token fails and revokes the grant
    expect_oauth_error(refresh(s, a, t0["refresh_token"]), 400, "invalid_grant", "a used refresh token")
    eq(api_status(s, t2["access_token"]), 401, "the newest access token after a refresh-token replay")
    expect_oauth_error(refresh(s, a, t2["refresh_token"]), 400, "invalid_grant",
                       "the newest refresh token after a refresh-token replay")
    g = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"]
    check(all(not x["active"] for x in g), f"the grant is revoked: {g}")


def test_refresh_narrowing_scope():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    t0 = H.grant_tokens(s, a, alice)
    r = refresh(s, a, t0["refresh_token"], {"scope": "messages:read"})
    expect_status(r, 200, "refresh narrowed to messages:read")
    eq(r.json["scope"], "messages:read", "narrowed scope")
    eq(s.req("GET", "/v1/partner/friends", token=r.json["access_token"]).status, 403,
       "friends:read with a token narrowed to messages:read")
    r2 = refresh(s, a, r.json["refresh_token"], {"scope": "messages:read reports:read"})
    expect_oauth_error(r2, 400, "invalid_scope", "refresh asking for more than granted")


def test_refresh_token_of_another_app():
    s = H.server()
    alice = s.new_user("alice")
    t = H.grant_tokens(s, app(), alice)
    expect_oauth_error(refresh(s, app("other"), t["refresh_token"]), 400, "invalid_grant",
                       "another app's refresh token")
    expect_status(refresh(s, app(), t["refresh_token"]), 200, "the owner can still refresh")


def test_concurrent_refresh_race():
    """Two refreshes with the same token at once: at most one succeeds; the other presented a used token, so by
    the contract (a used refresh token revokes the whole grant) the grant ends, the winner's tokens included."""
    s = H.server()
    a = app()
    for round_ in range(3):
        alice = s.new_user("alice")
        t0 = H.grant_tokens(s, a, alice)
        results = [None, None]
        barrier = threading.Barrier(2)

        def go(i):
            barrier.wait()
            results[i] = refresh(s, a, t0["refresh_token"])
        ths = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(30)
        ok = [r for r in results if r is not None and r.status == 200]
        check(len(ok) <= 1, f"round {round_}: both concurrent refreshes succeeded")
        for r in results:
            check(r is not None and r.status in (200, 400), f"round {round_}: refresh answered {r}")
            if r.status == 400:
                eq(r.json.get("error"), "invalid_grant", "the losing refresh")
        for r in ok:
            eq(api_status(s, r.json["access_token"]), 401,
               f"round {round_}: the winner's access token after the loser replayed the used refresh token")
            expect_oauth_error(refresh(s, a, r.json["refresh_token"]), 400, "invalid_grant",
                               f"round {round_}: the winner's refresh token after the replay")


# ----------------------------------------------------------------------------------------------------------
# consent: CSRF, deny, scopes, authorization_details


def test_forged_consent_post():
    s = H.server()
    a = app()
    alice, b = logged_in(s)
    r = b.get(H.authorize_path(a, state="forge"))
    f = H.hidden_fields(r.raw.decode())
    f.update(decision="approve", expiry_days="30")
    real = f["csrf"]
    cases = [("wrong csrf", dict(f, csrf=H.fake_id(real)), b),
             ("empty csrf", dict(f, csrf=""), b),
             ("missing csrf", {k: v for k, v in f.items() if k != "csrf"}, b)]
    # another session's csrf
    bob, bb = logged_in(s)
    r2 = bb.get(H.authorize_path(a))
    cases.append(("another session's csrf", dict(f, csrf=H.hidden_fields(r2.raw.decode())["csrf"]), b))
    # the right csrf but no cookie
    cases.append(("no session cookie", dict(f), H.Browser(s)))
    for what, fields, br in cases:
        r = br.post("/oauth/authorize", fields)
        check(r.status == 403 or (what == "no session cookie" and r.status in (401, 403)),
              f"{what}: {r.status} {r.short_body()}")
        loc = r.header("location") or ""
        check("code=" not in loc, f"{what}: a code was issued: {loc!r}")
    eq(s.req("GET", "/v1/me/grants", token=b_token(s, alice)).json["grants"], [], "no grant was made")
    # the real one still works
    r = b.post("/oauth/authorize", f)
    expect_status(r, 303, "the genuine consent POST")
    check("code" in H.query1(r.header("location")), "genuine consent gives a code")


def b_token(s, user):
    if user.token is None:
        user.token = s.login(user)
    return user.token


def test_deny():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    _, _, q, loc = H.approve(s, a, alice, state="deny-me", decision="deny")
    eq(q.get("error"), "access_denied", f"deny: {loc}")
    eq(q.get("state"), "deny-me", "deny: state")
    eq(q.get("iss"), issuer(s), "deny: iss")
    check("code" not in q, "deny carries no code")
    eq(s.req("GET", "/v1/me/grants", token=alice.token).json["grants"], [], "no grant after deny")


def test_scope_errors():
    s = H.server()
    a = app()
    iss = issuer(s)
    alice, b = logged_in(s)
    r = b.get(H.authorize_path(a, scope="friends:read nonsense:write", state="sc1"))
    expect_redirect_error(r, a, "sc1", "invalid_scope", "unknown scope", iss)
    n = app("narrow")
    r = b.get(H.authorize_path(n, scope="friends:read messages:send", state="sc2"))
    expect_redirect_error(r, n, "sc2", "invalid_scope", "a scope outside the app's agreement", iss)
    r = b.get(H.authorize_path(a, scope="reports:read", state="sc3"))
    expect_redirect_error(r, a, "sc3", "invalid_scope", "reports:read asked of a person (client_credentials only)",
                          iss)


def test_authorization_details_errors():
    s = H.server()
    a = app()
    iss = issuer(s)
    alice, b = logged_in(s)
    ad = '[{"type":"payment_initiation","actions":["read"]}]'
    r = b.get(H.authorize_path(a, state="ad1", extra={"authorization_details": ad}))
    expect_redirect_error(r, a, "ad1", "invalid_authorization_details", "authorization_details of an unknown type",
                          iss)
    r = b.get(H.authorize_path(a, state="ad2", extra={"authorization_details": "not json"}))
    expect_redirect_error(r, a, "ad2", "invalid_authorization_details", "authorization_details not JSON", iss)
    ad = '[{"type":"postern_threads","threads":["t_doesnotexist000000000"],"actions":["read"]}]'
    r = b.get(H.authorize_path(a, state="ad3", extra={"authorization_details": ad}))
    expect_redirect_error(r, a, "ad3", "invalid_authorization_details", "a thread that is not the person's", iss)


# ----------------------------------------------------------------------------------------------------------
# frame headers on every page


def test_frame_headers_on_every_html_page():
    s = H.server()
    a = app()
    p = app("public")
    alice = s.new_user("alice")
    anon = H.Browser(s)
    pages = [("login form", anon.get(H.authorize_path(a))),
             ("error page (bad redirect_uri)", anon.get(H.authorize_path(a, redirect_uri="https://evil.example/")))]
    _, b = logged_in(s, alice)
    H.grant_tokens(s, a, alice, browser=b)  # the share page is for apps the person allowed to send
    pages += [("consent page", b.get(H.authorize_path(a))),
              ("consent error page", b.get(H.authorize_path(a, redirect_uri="https://evil.example/"))),
              ("/account/apps", b.get("/account/apps")),
              ("/account/access-log", b.get("/account/access-log")),
              ("/account/apps (no cookie)", anon.get("/account/apps")),
              ("/oauth/share", b.get("/oauth/share?" + H.form_encode({"client_id": a.client_id,
                                                                      "redirect_uri": a.redirect_uri,
                                                                      "state": "s"}))),
              ("/oauth/share error", b.get("/oauth/share?" + H.form_encode({"client_id": a.client_id,
                                                                            "redirect_uri": "https://x.example/",
                                                                            "state": "s"}))),
              ("/oauth/share (public)", b.get("/oauth/share?" + H.form_encode({
                  "client_id": p.client_id, "redirect_uri": "http://127.0.0.1:7000/cb", "state": "s"}))),
              ("forged consent", b.post("/oauth/authorize", {"csrf": "x", "decision": "approve"}))]
    for what, r in pages:
        expect_frame_headers(r, what)
        ctype = (r.header("content-type") or "").split(";")[0]
        check(r.status in (302, 303) or ctype == "text/html", f"{what}: Content-Type {ctype!r} ({r.status})")
    eq(pages[4][1].status, 200, "/account/apps with a cookie")
    eq(pages[5][1].status, 200, "/account/access-log with a cookie")
    eq(pages[7][1].status, 200, "/oauth/share with a cookie")


# ----------------------------------------------------------------------------------------------------------
# revoke, introspect


def test_revoke():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    auth = (a.client_id, a.client_secret)
    # unknown and garbage tokens: 200
    for tok in ["pa." + H.b64(os.urandom(32)), "garbage", "pr." + H.b64(os.urandom(32))]:
        expect_status(H.post_form(s, "/oauth/revoke", {"token": tok}, basic=auth), 200, f"revoke {tok[:6]}…")
    # an access token
    t = H.grant_tokens(s, a, alice)
    eq(api_status(s, t["access_token"]), 200, "before revoke")
    r = H.post_form(s, "/oauth/revoke", {"token": t["access_token"], "token_type_hint": "access_token"}, basic=auth)
    expect_status(r, 200, "revoke an access token")
    eq(api_status(s, t["access_token"]), 401, "a revoked access token at the API")
    expect_status(H.post_form(s, "/oauth/revoke", {"token": t["access_token"]}, basic=auth), 200, "revoke twice")
    # a refresh token ends the grant
    t = H.grant_tokens(s, a, alice)
    r = H.post_form(s, "/oauth/revoke", {"token": t["refresh_token"], "token_type_hint": "refresh_token"},
                    basic=auth)
    expect_status(r, 200, "revoke a refresh token")
    eq(api_status(s, t["access_token"]), 401, "the grant's access token after its refresh token was revoked")
    expect_oauth_error(refresh(s, a, t["refresh_token"]), 400, "invalid_grant", "a revoked refresh token")
    # another app cannot revoke this app's token
    t = H.grant_tokens(s, a, alice)
    o = app("other")
    expect_status(H.post_form(s, "/oauth/revoke", {"token": t["access_token"]},
                              basic=(o.client_id, o.client_secret)), 200, "another app revoking")
    eq(api_status(s, t["access_token"]), 200, "another app's revoke has no effect")
    # wrong client secret
    r = H.post_form(s, "/oauth/revoke", {"token": t["access_token"]}, basic=(a.client_id, "cs.wrong"))
    expect_oauth_error(r, 401, "invalid_client", "revoke with a wrong secret")
    eq(api_status(s, t["access_token"]), 200, "revoke with a wrong secret has no effect")


def test_introspect():
    s = H.server()
    a = app()
    alice = s.new_user("alice")
    t = H.grant_tokens(s, a, alice)
    before = time.time()
    r = introspect(s, a, t["access_token"])
    expect_status(r, 200, "introspect")
    j = r.json
    expect_keys(j, ["active", "scope", "client_id", "sub", "exp", "iat", "iss", "token_type"], "introspection")
    eq(j["active"], True, "active")
    eq(j["scope"], t["scope"], "scope")
    eq(j["client_id"], a.client_id, "client_id")
    eq(j["iss"], issuer(s), "iss")
    check(isinstance(j["sub"], str) and j["sub"].startswith("p_"), f"sub {j['sub']!r} is not a pairwise id")
    check(j["sub"] != alice.user_id and alice.user_id not in r.raw.decode() and alice.username not in
          r.raw.decode(), "introspection leaks the user id or username")
    check(isinstance(j["exp"], int) and abs(j["exp"] - (before + 600)) < 30, f"exp {j['exp']} ≈ now + 600")
    check(isinstance(j["iat"], int) and abs(j["iat"] - before) < 30, f"iat {j['iat']}")
    # another app's token
    o = app("other")
    t2 = H.grant_tokens(s, o, alice)
    r = introspect(s, a, t2["access_token"])
    expect_status(r, 200, "introspect another app's token")
    eq(r.raw.replace(b" ", b""), b'{"active":false}', "another app's token: exactly {\"active\":false}")
    # unknown token, revoked token
    eq(introspect(s, a, "pa." + H.b64(os.urandom(32))).json, {"active": False}, "unknown token")
    H.post_form(s, "/oauth/revoke", {"token": t["access_token"]}, basic=(a.client_id, a.client_secret))
    r = introspect(s, a, t["access_token"])
    expect_status(r, 200, "introspect a revoked token")
    eq(r.raw.replace(b" ", b""), b'{"active":false}', "a revoked token: exactly {\"active\":false}")
    # public client: 401 invalid_client
    p = app("public")
    t3 = H.grant_tokens(s, p, alice)
    r = H.post_form(s, "/oauth/introspect", {"token": t3["access_token"], "client_id": p.client_id})
    expect_oauth_error(r, 401, "invalid_client", "introspection by a public client")
    # no client auth, wrong secret
    expect_oauth_error(H.post_form(s, "/oauth/introspect", {"token": t2["access_token"]}), 401, "invalid_client",
                       "introspection without client authentication")
    expect_oauth_error(introspect(s, o, t2["access_token"], auth=(o.client_id, "cs.nope")), 401,
                       "invalid_client", "introspection with a wrong secret")


# ----------------------------------------------------------------------------------------------------------
# client_credentials, token endpoint errors


def test_client_credentials():
    s = H.server()
    a = app()
    r = H.token(s, a, {"grant_type": "client_credentials", "scope": "reports:read"})
    expect_status(r, 200, "client_credentials")
    expect_keys(r.json, ["access_token", "token_type", "expires_in", "scope"], "client_credentials response")
    eq(r.json["scope"], "reports:read", "scope")
    eq(r.json["token_type"], "Bearer", "token_type")
    eq(r.json["expires_in"], 3600, "expires_in (--client-ttl default 3600)")
    r = H.token(s, a, {"grant_type": "client_credentials"})
    expect_status(r, 200, "client_credentials without scope")
    eq(r.json["scope"], "reports:read", "default scope")
    check("refresh_token" not in r.json, "no refresh token for client_credentials")
    expect_oauth_error(H.token(s, a, {"grant_type": "client_credentials", "scope": "messages:read"}), 400,
                       "invalid_scope", "client_credentials with a person scope")
    p = app("public")
    expect_oauth_error(H.token(s, p, {"grant_type": "client_credentials"}, auth="none"), 400,
                       "unauthorized_client", "client_credentials for a public client")


def test_token_endpoint_errors():
    s = H.server()
    a = app()
    good = {"grant_type": "client_credentials"}
    soft = Soft()
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", good, basic=(a.client_id, "cs.wrong")), 401,
                       "invalid_client", "wrong client secret (basic)")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", dict(good, client_id=a.client_id, client_secret="cs.x")), 401,
                       "invalid_client", "wrong client secret (post)")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", good, basic=("app_" + "Z" * 22, "cs.x")), 401,
                       "invalid_client", "unknown client")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", good), 401, "invalid_client", "no client authentication")
    r = H.post_form(s, "/oauth/token", [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
                    basic=(a.client_id, a.client_secret))
    soft(expect_oauth_error, r, 400, "invalid_request", "a repeated parameter")
    r = H.post_form(s, "/oauth/token", [("grant_type", "client_credentials"), ("scope", "reports:read"),
                                        ("scope", "reports:read")], basic=(a.client_id, a.client_secret))
    soft(expect_oauth_error, r, 400, "invalid_request", "a repeated scope")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", {"grant_type": "password", "username": "x", "password": "y"},
                                   basic=(a.client_id, a.client_secret)), 400, "unsupported_grant_type",
                       "grant_type=password")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", {"grant_type": "urn:x:nope"},
                                   basic=(a.client_id, a.client_secret)), 400, "unsupported_grant_type",
                       "unknown grant_type")
    soft(expect_oauth_error, H.post_form(s, "/oauth/token", {"scope": "reports:read"},
                                   basic=(a.client_id, a.client_secret)), 400, "invalid_request",
                       "no grant_type")
    r = s.req("POST", "/oauth/token", body={"grant_type": "client_credentials"},
              headers={"Authorization": H.basic_auth(a.client_id, a.client_secret)})
    soft(check, r.status in (400, 401, 415), f"JSON body at the token endpoint: {r.status}")
    r = H.post_form(s, "/oauth/token", dict(good, client_id=a.client_id, client_secret=a.client_secret),
                    basic=(a.client_id, a.client_secret))
    soft(check, r.status in (400, 401) and r.json and r.json.get("error") in ("invalid_request", "invalid_client"),
          f"two client authentication methods at once: {r.status} {r.short_body()}")
    soft.done()


def test_client_secret_basic_is_form_urlencoded():
    """RFC 6749 §2.3.1: client_id and secret are form-urlencoded before base64; a client may escape any character
    (oauth4webapi escapes "_", "-", "." as %5F, %2D, %2E), and the server decodes them."""
    import base64
    s = H.server()
    a = app()

    def enc(x):
        return "".join(c if c.isalnum() else "%%%02X" % ord(c) for c in x)
    for what, cid, sec in [("plain", a.client_id, a.client_secret),
                           ("every non-alphanumeric escaped", enc(a.client_id), enc(a.client_secret))]:
        hdr = "Basic " + base64.b64encode(f"{cid}:{sec}".encode()).decode()
        r = H.post_form(s, "/oauth/token", {"grant_type": "client_credentials"}, headers={"Authorization": hdr})
        expect_status(r, 200, f"client_secret_basic, {what}")


def test_only_an_offered_lifetime_is_accepted():
    # the consent page offers 1, 30, 90 and 365 days: "3" and "36" (substrings of those) and 7 are refused
    s = H.server()
    a = app()
    alice, b = logged_in(s)
    for bad in ("3", "36", "7", "0", "-1", "abc", ""):
        verifier, challenge = H.pkce_pair()
        r = b.get(H.authorize_path(a, challenge=challenge, state="s1"))
        f = H.hidden_fields(r.raw.decode())
        f.update(decision="approve", expiry_days=bad)
        r = b.post("/oauth/authorize", f)
        check(r.status == 400 and r.header("location") is None, f"expiry_days={bad!r}: {r.status} {r.header('location')}")
    verifier, challenge = H.pkce_pair()
    r = b.get(H.authorize_path(a, challenge=challenge, state="s1"))
    f = H.hidden_fields(r.raw.decode())
    f.update(decision="approve", expiry_days="365")
    expect_status(b.post("/oauth/authorize", f), 303, "365 days is offered")
