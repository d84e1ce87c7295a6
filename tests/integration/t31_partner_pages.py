"""The partner pages as a person gets them (docs/partner.md: pages for people): sign-in, consent, the share
page, connected apps with disconnect, and the access log. Each check reads the HTML a browser would get.

Story: an app with a homepage and a privacy link; alice signs in for it, consents, picks bob, the app shares
to bob; alice reads her connected apps (one card for two consents), her access log (names, not ids; refusals
worded as refusals; filtered by app), takes bob back on the share page, and disconnects the app for good.
"""
import base64
import datetime
import hashlib
import re
import subprocess

import harness as H
import t16_partner as P
from harness import check, eq, expect_status

HOMEPAGE = "https://tunes.example/home?a=1&b=2"
PRIVACY = "https://tunes.example/privacy"
NO_DELETE = "friends:read messages:send messages:read"


def make_app(s, name="Tunes", **kw):
    a = H.create_app(s, name, **kw)
    return a


def app_with_links(s, name="Tunes"):
    """`posternd app create` with --homepage and --privacy-url (create_app has no such options)."""
    argv = [H.BIN, "app", "create", *H.db_args(s), "--name", name, "--scopes", H.ALL_SCOPES,
            "--redirect-uri", "https://app.example/cb", "--homepage", HOMEPAGE, "--privacy-url", PRIVACY]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=15)
    check(p.returncode == 0, f"app create with links exited {p.returncode}: {p.stderr[-300:]!r}")
    cid = re.search(r"^client_id:\s*(\S+)", p.stdout, re.M).group(1)
    secret = re.search(r"^client_secret:\s*(\S+)", p.stdout, re.M).group(1)
    check(f"homepage:       {HOMEPAGE}" in p.stdout, f"app create prints the homepage: {p.stdout!r}")
    return H.App(cid, secret, ["https://app.example/cb"], H.ALL_SCOPES, False)


def text(r):
    return r.raw.decode("utf-8", "replace")


def section(page, start_marker, end_marker="</section>"):
    """The part of page from start_marker to the next end_marker."""
    i = page.find(start_marker)
    check(i >= 0, f"the page has no {start_marker!r}")
    j = page.find(end_marker, i)
    return page[i:j if j >= 0 else len(page)]


def expect_page(r, status, what):
    expect_status(r, status, what)
    eq((r.header("content-type") or "").split(";")[0], "text/html", f"{what}: Content-Type")
    check("frame-ancestors 'none'" in (r.header("content-security-policy") or ""), f"{what}: frame-ancestors")
    check("no-store" in (r.header("cache-control") or ""), f"{what}: Cache-Control {r.header('cache-control')!r}")
    return text(r)


# ----------------------------------------------------------------------------------------------------------
# app create: homepage and privacy URL

def test_app_create_refuses_bad_urls():
    s = H.server()
    base = [H.BIN, "app", "create", *H.db_args(s), "--name", "Bad", "--scopes", "friends:read",
            "--redirect-uri", "https://app.example/cb"]
    for flag in ("--homepage", "--privacy-url"):
        for bad in ["javascript:alert(1)", "ftp://tunes.example/", "https://", "https:///path", "tunes.example",
                    "https://tunes.example/a b", 'https://tunes.example/"x', "https://tunes.example/<x>",
                    "https://user@tunes.example/", "http://x.example/" + "a" * 600, "data:text/html,hi"]:
            p = subprocess.run(base + [flag, bad], capture_output=True, text=True, timeout=15)
            check(p.returncode != 0, f"app create {flag} {bad[:40]!r} was accepted: {p.stdout[-200:]!r}")
            check("--homepage and --privacy-url must be" in p.stderr, f"{flag} {bad[:40]!r}: stderr {p.stderr!r}")
            check("client_id" not in p.stdout, f"{flag} {bad[:40]!r}: an app was stored")
    # a redirect URI over plain http only to the loopback literals themselves, not to host names that begin
    # with them (the check once took any URI with the prefix http://127.0.0.1)
    reg = [H.BIN, "app", "create", *H.db_args(s), "--name", "Loop", "--scopes", "friends:read", "--public"]
    for bad in ["http://127.0.0.1.attacker.example/cb", "http://127.0.0.10/cb", "http://[::1]evil/cb", "http://127.0.0.1@x.example/"]:
        p = subprocess.run(reg + ["--redirect-uri", bad], capture_output=True, text=True, timeout=15)
        check(p.returncode != 0 and "client_id" not in p.stdout, f"redirect URI {bad!r} was accepted: {p.stdout[-200:]!r}")
    for good in ["http://127.0.0.1/cb", "http://127.0.0.1:8700/cb", "http://[::1]:9/cb"]:
        p = subprocess.run(reg + ["--redirect-uri", good], capture_output=True, text=True, timeout=15)
        eq(p.returncode, 0, f"redirect URI {good!r}: {p.stderr!r}")
    # plain http is allowed (an intranet app), and shown by `app show`
    p = subprocess.run(base + ["--homepage", "http://intranet.example/tunes"], capture_output=True, text=True, timeout=15)
    eq(p.returncode, 0, f"http homepage: {p.stderr!r}")
    cid = re.search(r"^client_id:\s*(\S+)", p.stdout, re.M).group(1)
    p = subprocess.run([H.BIN, "app", "show", cid, *H.db_args(s)], capture_output=True, text=True, timeout=15)
    check("homepage:       http://intranet.example/tunes" in p.stdout, f"app show: {p.stdout!r}")
    check("privacy policy: (none)" in p.stdout, f"app show without a privacy URL: {p.stdout!r}")


# ----------------------------------------------------------------------------------------------------------
# sign-in

def test_login_names_app_and_server_and_links_signup():
    s = H.server()
    a = make_app(s, "Login <Tunes> & Co")
    page = expect_page(H.Browser(s).get(H.authorize_path(a)), 200, "login for an app")
    check("Sign in to continue to Login &lt;Tunes&gt; &amp; Co" in page, "the login page names the app (escaped)")
    check("<Tunes>" not in page, "the app name is escaped")
    check(f"127.0.0.1:{s.port}" in page, "the login page names the server")
    check('href="/#/register"' in page, "the login page links to sign-up")
    check('<label for="username">' in page and 'id="username"' in page, "real labels")
    # a wrong password shows the form again, still naming the app
    b = H.Browser(s)
    fields = H.hidden_fields(text(b.get(H.authorize_path(a))))
    alice = s.new_user("alice")
    r = b.post("/oauth/login", dict(fields, username=alice.username, password="wrong-password!"))
    eq(r.status, 401, "a wrong password")
    again = text(r)
    check("Wrong username or password" in again and "Sign in to continue to Login &lt;Tunes&gt; &amp; Co" in again,
          "the form shown again names the app")
    page = expect_page(H.Browser(s).get("/account/apps"), 200, "login for the account pages")
    check("Sign in to Postern" in page and 'href="/#/register"' in page, "plain sign-in page with sign-up link")


# ----------------------------------------------------------------------------------------------------------
# consent

def _thread_with(s, w):
    """An app thread between alice and bob (the app shared to bob); its id."""
    P.shared(s, w)
    return s.req("GET", "/v1/partner/threads", token=w.at).json["threads"][0]["thread_id"]


def test_consent_shows_identity_limits_dates_and_reports():
    s = H.server()
    a = app_with_links(s)
    w = P.World(s, app=a)
    tid = _thread_with(s, w)
    details = '[{"type":"postern_threads","threads":["%s"],"actions":["read","send"]}]' % tid
    path = H.authorize_path(a, scope="messages:read messages:send", extra={"authorization_details": details})
    page = expect_page(w.browser.get(path), 200, "consent for a read+send grant")
    # identity: homepage and privacy links, escaped
    check('href="https://tunes.example/home?a=1&amp;b=2"' in page, "the homepage link (escaped &)")
    check(">tunes.example</a>" in page, "the homepage is shown by its host")
    check(f'href="{PRIVACY}"' in page and "privacy policy" in page.lower(), "the privacy link")
    # the conversation by the other person's name, never alice's, with exactly the grant's actions
    where = section(page, 'id="where"')
    check("with <strong>" + w.bob.username + "</strong>" in where, f"the conversation is named 'with bob': {where!r}")
    check(w.alice.username not in where, "the person's own name is not in the conversation list")
    check(tid not in where, "no thread id in the conversation list")
    check("read messages" in where and "send shares" in where, "the grant's actions are listed")
    check("delete" not in page.lower(), "a read+send grant says nothing of deleting")
    # lifetimes with their end dates
    today = datetime.datetime.now(datetime.timezone.utc)
    for days in (1, 30, 90, 365):
        end = today + datetime.timedelta(days=days)
        label = f'value="{days}"'
        check(label in page, f"{days} days offered")
        m = re.search(r'value="%d"[^>]*><span>%d days?, until <time datetime="(\d{4}-\d\d-\d\d)">(\d{1,2} \w{3} \d{4})</time>'
                      % (days, days), page)
        check(m, f"the {days}-day option names its end date")
        check(m.group(1) in (end.strftime("%Y-%m-%d"), (end + datetime.timedelta(days=1)).strftime("%Y-%m-%d")),
              f"{days} days ends {m.group(1)}, want about {end.date()}")
        eq(m.group(2), f"{int(m.group(1)[8:])} {datetime.date.fromisoformat(m.group(1)).strftime('%b')} {m.group(1)[:4]}",
           f"{days} days: the date in words")
    check("aggregate reports" in page and "no person" in page, "the page says shares and clicks feed the reports")
    check("labelled with" in page, "friends get messages labelled with the app")
    # and it still works: approving gives a grant that carries the limits
    fields = H.hidden_fields(page)
    fields.update(decision="approve", expiry_days="30")
    expect_status(w.browser.post("/oauth/authorize", fields), 303, "approve from the new page")


def test_consent_group_names_others_only():
    """A conversation named by authorization_details is named by its other member only: alice (the person) and
    carol (a friend who is not in it) never show."""
    s = H.server()
    w = P.World(s, app=make_app(s, "Groupish"))
    tid = _thread_with(s, w)
    carol = s.new_user("carol")
    s.befriend(w.alice, carol)
    details = '[{"type":"postern_threads","threads":["%s"],"actions":["read"]}]' % tid
    page = text(w.browser.get(H.authorize_path(w.app, scope="messages:read", extra={"authorization_details": details})))
    where = section(page, 'id="where"')
    eq(where.count("<li>"), 1, "one conversation listed")
    check(w.bob.username in where and w.alice.username not in where and carol.username not in where, where)


# ----------------------------------------------------------------------------------------------------------
# connected apps: one card per app, disconnect ends every grant of it

def _active(page):
    return section(page, 'id="s0"')


def test_apps_grouped_and_disconnect_ends_every_grant():
    s = H.server()
    a = app_with_links(s, "Twice")
    alice = s.new_user("alice")
    b = H.Browser(s)
    t1 = H.grant_tokens(s, a, alice, browser=b)
    t2 = H.grant_tokens(s, a, alice, browser=b, scope="friends:read")
    page = expect_page(b.get("/account/apps"), 200, "connected apps")
    active = _active(page)
    eq(active.count("<article"), 1, "two consents to one app are one app card")
    eq(active.count("<h3>Twice</h3>"), 1, "the app is named once")
    check("2 consents" in active, "the card says it holds two consents")
    check('href="https://tunes.example/home?a=1&amp;b=2"' in active and f'href="{PRIVACY}"' in active,
          "homepage and privacy links on the card")
    check("<table" not in page, "no table (it scrolled sideways at 390 px)")
    check(f'href="/account/apps/{a.client_id}/disconnect"' in active, "a Disconnect link")
    for sec in ('id="s0">Active', 'id="s1">Expired', 'id="s2">Removed'):
        check(sec in page, f"section {sec}")

    # bob cannot see or end alice's app: answered like an app that does not exist
    bob = s.new_user("bob")
    bb = H.Browser(s)
    bb.login(bob)
    r_bob = bb.get(f"/account/apps/{a.client_id}/disconnect")
    r_none = bb.get("/account/apps/app_doesnotexist00000000/disconnect")
    eq((r_bob.status, r_none.status), (404, 404), "someone else's app / no app: both 404")
    eq(re.sub(r'value="[^"]*"', "", text(r_bob)), re.sub(r'value="[^"]*"', "", text(r_none)),
       "not yours reads like does not exist")
    bcsrf = H.hidden_fields(text(bb.get(H.authorize_path(a))))["csrf"]  # bob's own, good CSRF token
    r = bb.post(f"/account/apps/{a.client_id}/disconnect", {"csrf": bcsrf})
    eq(r.status, 404, "bob's POST with his own good CSRF token: alice's app is not his")
    eq(s.req("GET", "/v1/partner/friends", token=t1["access_token"]).status, 200, "alice's app still works")

    # the confirmation page says what stops; the POST needs its CSRF token
    confirm = expect_page(b.get(f"/account/apps/{a.client_id}/disconnect"), 200, "confirmation page")
    check("What stops" in confirm and "you allowed it 2 times" in confirm, "the confirmation says what stops")
    fields = H.hidden_fields(confirm)
    check(fields.get("csrf"), "the confirmation form carries a CSRF token")
    r = b.post(f"/account/apps/{a.client_id}/disconnect", {"csrf": "forged"})
    eq(r.status, 403, "a forged disconnect")
    eq(s.req("GET", "/v1/partner/friends", token=t2["access_token"]).status, 200, "nothing ended by the forged POST")
    r = b.post(f"/account/apps/{a.client_id}/disconnect", fields)
    expect_status(r, 303, "disconnect")
    loc = r.header("location") or ""
    eq(loc, f"/account/apps?disconnected={a.client_id}", "back to the apps page with the result")
    for t in (t1, t2):
        eq(s.req("GET", "/v1/partner/friends", token=t["access_token"]).status, 401, "every token of the app ends")
        r = H.token(s, a, {"grant_type": "refresh_token", "refresh_token": t["refresh_token"]})
        eq(r.status, 400, "its refresh tokens end too")
    grants = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"]
    eq([g["active"] for g in grants], [False, False], "both grants ended")
    eq(grants[0]["app"].get("homepage"), HOMEPAGE, "the grants JSON carries the homepage")
    eq(grants[0]["app"].get("privacy_url"), PRIVACY, "and the privacy URL")
    page = expect_page(b.get(loc), 200, "the result")
    check('role="status"' in page and "<strong>Twice</strong> is disconnected" in page, "the result is said")
    check("<article" not in _active(page), "no active app left")
    removed = section(page, 'id="s2"')
    eq(removed.count("<article"), 1, "the app is in Removed, once")
    check("disconnect\"" not in removed, "no Disconnect button on a removed app")
    # nothing left to disconnect
    eq(b.get(f"/account/apps/{a.client_id}/disconnect").status, 404, "disconnecting again")


def test_expired_grants_in_their_own_section():
    s = H.server()
    a = make_app(s, "Shortlived")
    alice = s.new_user("alice")
    b = H.Browser(s)
    H.grant_tokens(s, a, alice, browser=b, expiry_days=1)
    page = text(b.get("/account/apps"))
    check("<h3>Shortlived</h3>" in _active(page), "a one-day grant is active")
    check("<article" not in section(page, 'id="s1"'), "nothing expired yet")
    # as if the day had passed: the grant's end moves into the past (the server reads it on every request)
    gid = s.req("GET", "/v1/me/grants", token=alice.token).json["grants"][0]["grant_id"]
    with H.server_db(s) as con:
        con.execute("UPDATE grants SET expires_at = expires_at - 2 * 86400000 WHERE public_id = ?", (gid,))
    page = text(b.get("/account/apps"))
    check("<article" not in _active(page), "the expired grant is no longer active")
    expired = section(page, 'id="s1"')
    check("<h3>Shortlived</h3>" in expired and "Expired</dt>" in expired, "it is under Expired")
    check("disconnect\"" not in expired, "no Disconnect on an expired app")
    check("<article" not in section(page, 'id="s2"'), "and not under Removed")
    eq(b.get(f"/account/apps/{a.client_id}/disconnect").status, 404, "nothing live to disconnect")


# ----------------------------------------------------------------------------------------------------------
# the access log

def test_access_log_names_recipients_refusals_filter():
    s = H.server()
    w = P.World(s, app=make_app(s, "Logger"), scope=NO_DELETE)
    pb, share = P.shared(s, w)
    tid = share["thread_id"]
    # a refused call: the grant has no messages:delete
    r = s.req("DELETE", f"/v1/partner/threads/{tid}/messages/{share['message_id']}", token=w.at)
    eq(r.status, 403, "delete without the scope")
    other = make_app(s, "Elsewhere")
    H.grant_tokens(s, other, w.alice, browser=w.browser)
    page = expect_page(w.browser.get("/account/access-log"), 200, "access log")
    log = section(page, '<ol class="log">', "</ol>")
    check(f"Sent a share to <strong>{w.bob.username}</strong>" in log, f"the share names its recipient: {log[:600]!r}")
    check(not re.search(r"\bt_[A-Za-z0-9_-]{8,}", page), "no raw thread id on the page")
    check("Tried to delete a message — refused</span>: not allowed by your grant" in log, "the refusal reads as one")
    check("Deleted a message" not in page, "a refused delete never reads as done")
    check('<time datetime="' in log and "UTC" in log and "Times are in UTC" in page, "times in <time>, zone named")
    check(f'href="/account/apps/{w.app.client_id}/disconnect"' in log, "a way to disconnect from the log")
    check("<table" not in page, "no table")
    # the filter: a <select> in a GET form; only that app's lines
    check('<form class="card row" method="get" action="/account/access-log">' in page and '<select id="app" name="app">' in page,
          "a GET form with a select")
    check(f'<option value="{w.app.client_id}">Logger</option>' in page, "the app is offered in the filter")
    check("Elsewhere" in log, "unfiltered: both apps")
    page = expect_page(w.browser.get(f"/account/access-log?app={w.app.client_id}"), 200, "filtered")
    log = section(page, '<ol class="log">', "</ol>")
    check("Elsewhere" not in log and "Logger" in log, "filtered to one app")
    check(f'<option value="{w.app.client_id}" selected>' in page, "the filter shows its choice")
    check(f'class="btn danger" href="/account/apps/{w.app.client_id}/disconnect"' in page, "disconnect from the filter")
    page = expect_page(w.browser.get(f"/account/access-log?app={other.client_id}"), 200, "the other app")
    check("Sent a share" not in page and "You connected the app" in page, "the other app's lines only")
    # an app alice never connected reads like no app at all
    third = make_app(s, "Stranger")
    r1 = w.browser.get(f"/account/access-log?app={third.client_id}")
    r2 = w.browser.get("/account/access-log?app=app_nope")
    eq((r1.status, r2.status), (404, 404), "someone else's app / no app")
    check("Stranger" not in text(r1), "the stranger app is not named")
    # the JSON log is unchanged: codes, not words
    entries = s.req("GET", "/v1/me/access-log?limit=100", token=w.alice.token).json["entries"]
    check(any(e["action"] == "denied.scope:messages.delete" for e in entries), "the JSON keeps the code")


# ----------------------------------------------------------------------------------------------------------
# the share page

def test_share_page_picked_before_unpick_search():
    s = H.server()
    w = P.World(s, app=make_app(s, "Sharer"))
    carol = s.new_user("carol")
    s.befriend(w.alice, carol)
    pb = P.pick(s, w.app, w.browser, [w.bob])[0]
    page = expect_page(P.share_page(s, w.app, w.browser), 200, "share page")
    picked = section(page, 'id="picked"')
    check(w.bob.username in picked and carol.username not in picked, "bob is listed as picked before")
    check(f'name="unpick" value="{w.bob.user_id}"' in picked, "with a Remove button")
    boxes = {i["name"]: i for i in H.form_inputs(page) if i.get("type") == "checkbox"}
    check("checked" in boxes[f"f_{w.bob.user_id}"], "bob's box is ticked")
    check("checked" not in boxes[f"f_{carol.user_id}"], "carol's is not")
    check("labelled with <strong>Sharer</strong>" in page, "the page says what friends will get")
    # search: a GET form
    page = text(w.browser.get("/oauth/share?" + H.form_encode({"client_id": w.app.client_id,
                                                               "redirect_uri": w.app.redirect_uri, "state": "s",
                                                               "q": carol.username[:5].upper()})))
    boxes = {i["name"] for i in H.form_inputs(page) if i.get("type") == "checkbox"}
    eq(boxes, {f"f_{carol.user_id}"}, "the search keeps carol only")
    check('role="search"' in page and 'type="search"' in page, "a search form")
    # un-pick: CSRF-checked, then bob can no longer be sent to
    fields = H.hidden_fields(picked)
    eq(fields.get("decision"), "unpick", "the remove form")
    r = w.browser.post("/oauth/share", dict(fields, csrf="forged", unpick=w.bob.user_id))
    eq(r.status, 403, "a forged un-pick")
    expect_status(P.send_share(s, w.at, pb), 201, "bob still reachable after the forged un-pick")
    r = w.browser.post("/oauth/share", dict(fields, unpick=carol.user_id + "x"))
    eq(r.status, 400, "un-picking someone who is not a friend")
    r = w.browser.post("/oauth/share", dict(fields, unpick=w.bob.user_id))
    expect_status(r, 303, "un-pick")
    loc = r.header("location") or ""
    check(loc.startswith("/oauth/share?") and "unpicked=1" in loc, f"back to the share page: {loc!r}")
    r = P.send_share(s, w.at, pb)
    eq(r.status, 404, "the app can no longer send to bob")
    page = text(w.browser.get(loc))
    check('role="status"' in page and "Removed" in page, "the page says so")
    check(w.bob.username not in section(page, 'id="picked"'), "bob is no longer listed as picked")
    log = text(w.browser.get("/account/access-log"))
    check("You took back a friend it could send to" in log, "the un-pick is in the access log")


# ----------------------------------------------------------------------------------------------------------
# look: one stylesheet, light and dark, narrow screens

def test_pages_share_one_responsive_stylesheet():
    s = H.server()
    w = P.World(s, app=make_app(s, "Looks"))
    pages = [text(w.browser.get(p)) for p in ("/account/apps", "/account/access-log")]
    pages.append(text(H.Browser(s).get(H.authorize_path(w.app))))
    check(not any("<style" in p or " style=" in p for p in pages), "no inline style (the pages' policy forbids it)")
    links = {re.search(r'<link rel="stylesheet" href="(/assets/pages\.[0-9a-f]{16}\.css)" integrity="(sha384-[^"]+)">', p).groups()
             for p in pages}
    eq(len(links), 1, "the same stylesheet on every page")
    href, sri = links.pop()
    r = s.req("GET", href)
    H.expect_status(r, 200, f"GET {href}")
    eq(sri, "sha384-" + base64.b64encode(hashlib.sha384(r.raw).digest()).decode(), "the stylesheet's integrity")
    css = r.raw.decode()
    for p in ("/account/apps", "/account/access-log"):
        csp = w.browser.get(p).header("content-security-policy") or ""
        check("style-src 'self'" in csp and "unsafe-inline" not in csp, f"{p}: policy {csp}")
    check("prefers-color-scheme:dark" in css and "--bg:" in css, "light and dark on custom properties")
    check(not re.search(r"(?<!max-)(?<!min-)width:\s*\d{3,}px", css), "no fixed pixel widths")
    check(":focus-visible" in css, "focus is visible")
    for p in pages:
        check('name="viewport" content="width=device-width, initial-scale=1"' in p, "viewport meta")
        heads = [int(x) for x in re.findall(r"<h([1-6])", p)]
        check(heads and heads[0] == 1 and all(b - a <= 1 for a, b in zip(heads, heads[1:])),
              f"headings in order: {heads}")
