"""The whole story with real clients: two people on the postern CLI and a partner app on libpostern
(examples/partner-demo). alice and bob befriend and chat; alice authorizes the app through the consent page
(PKCE, a loopback redirect the app listens on); the app shares an encrypted item with bob; bob consents and
replies; the app reads the reply (decrypted by its own device) and deletes its share; alice revokes; the app
can neither call the API nor decrypt bob's next message; the app's report has no counts while its period is
open, and shows the share once the period has closed."""
import datetime
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import harness as H
import t20_cli as C
from harness import check, eq

DEMO = os.environ.get("POSTERN_DEMO", os.path.join(os.path.dirname(H.BIN), "partner-demo"))


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def current_period():
    today = datetime.date.today()
    start = datetime.date(2024, 1, 1)
    return (start + datetime.timedelta(days=((today - start).days // 14) * 14)).isoformat()


class Demo:
    def __init__(self, s, app):
        self.s, self.app = s, app
        self.home = tempfile.mkdtemp(prefix="postern-demo-")
        H._tmpdirs.append(self.home)

    def argv(self, *args):
        return [DEMO, "--server", f"http://127.0.0.1:{self.s.port}", "--home", self.home, "--client-id", self.app.client_id,
                "--client-secret", self.app.client_secret] + list(args)

    def run(self, *args, check_ok=True):
        p = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=60)
        if check_ok:
            check(p.returncode == 0, f"partner-demo {' '.join(args)} exited {p.returncode}: {p.stderr.strip()[:400]}")
        return p


def browser_for(s, person):
    b = H.Browser(s)
    b.login(H.User(person.name, person.password, person.user_id()))
    return b


def authorize(s, demo, alice, port):
    proc = subprocess.Popen(demo.argv("authorize", str(port)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        check(line.startswith("open: "), f"partner-demo authorize printed {line!r}")
        url = urllib.parse.urlparse(line[6:])
        path = url.path + "?" + url.query
        b = browser_for(s, alice)
        r = b.get(path)
        H.expect_status(r, 200, "consent page")
        fields = H.hidden_fields(r.raw.decode())
        fields.update(decision="approve", expiry_days="30")
        r = b.post("/oauth/authorize", fields)
        H.expect_status(r, 303, "approve")
        loc = r.header("location")
        check(loc.startswith(f"http://127.0.0.1:{port}/cb?"), f"redirect to the app's loopback: {loc!r}")
        with urllib.request.urlopen(loc, timeout=10) as resp:  # the browser follows the redirect to the app
            eq(resp.status, 200, "the app's loopback page")
        out, err = proc.communicate(timeout=60)
        check(proc.returncode == 0 and "authorized" in out, f"partner-demo authorize: {proc.returncode} {out!r} {err!r}")
        return b
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def pick_friend(s, b, app, friend_name):
    q = urllib.parse.urlencode({"client_id": app.client_id, "redirect_uri": app.redirect_uris[0], "state": "pick"})
    r = b.get(f"/oauth/share?{q}")
    H.expect_status(r, 200, "share page")
    page = r.raw.decode()
    fields = H.hidden_fields(page)
    box = [i for i in H.form_inputs(page) if i.get("type") == "checkbox"]
    check(box, "the share page lists friends")
    # the checkbox whose label is the friend's name
    for inp in box:
        if friend_name in page.split(inp["name"], 1)[1][:200]:
            fields[inp["name"]] = "1"
    fields["decision"] = "share"
    r = b.post("/oauth/share", fields)
    H.expect_status(r, 303, "share page answer")
    got = urllib.parse.parse_qs(urllib.parse.urlparse(r.header("location")).query)
    return got["friends"][0]


def envelope_session_id(body):
    return C.envelope_session_id(body)


def test_story_with_the_cli_and_the_partner_demo():
    check(os.path.exists(DEMO), f"{DEMO} is not built (make build/partner-demo)")
    s = H.server()
    port = free_port()
    app = H.create_app(s, "Tunes", redirect_uris=f"http://127.0.0.1:{port}/cb")
    H.report_settings(s, app, mechanism="none", k=1)  # exact counts, so that one share shows
    alice, bob = C.two_people(s)
    # they chat
    alice.run("send", bob.name, "hey bob")
    bob.run("send", alice.name, "hey alice")
    check("hey bob" in bob.run("read", alice.name).stdout, "bob reads alice")
    # alice authorizes the app; picks bob on the share page
    demo = Demo(s, app)
    b = authorize(s, demo, alice, port)
    # alice's own client signs for the app's device, once the code the app shows matches (nobody encrypts to it before)
    code = demo.run("code").stdout.strip()
    alice.run("apps", "approve", code)
    pid = pick_friend(s, b, app, bob.name)
    # the app shares an encrypted item with bob
    import json
    shared = demo.run("share", pid, "track:42", "listen to this, bob").stdout
    sh = json.loads(shared)
    check("thread_id" in sh, f"share answer: {shared[:300]}")
    tid, mid = sh["thread_id"], sh["message_id"]
    out = bob.run("read", tid).stdout
    check("listen to this, bob" in out, f"bob decrypts the app's share: {out[:400]}")
    # before bob consents the app sees only alice's side; bob accepts and replies
    bob.run("consent", tid, "accept")
    bob.run("send", tid, "great track, alice")
    out = demo.run("read", tid).stdout
    check("great track, alice" in out, f"the app decrypts bob's reply after his consent: {out[:600]}")
    check("listen to this, bob" in out, "the app reads its own share back")
    # the app deletes its share: gone from bob's read
    demo.run("delete", tid, mid)
    out = bob.run("read", tid).stdout
    check("listen to this, bob" not in out, "the deleted share is still readable by bob")
    # alice's access log shows each step
    log = json.loads(alice.run("--json", "access-log").stdout)
    actions = json.dumps(log)
    for a in ("grant.created", "devices.register", "shares.send", "messages.read", "messages.delete"):
        check(a in actions, f"alice's access log lacks {a}: {actions[:600]}")
    # alice revokes: the app can no longer call the API ...
    grants = json.loads(alice.run("--json", "apps").stdout)
    gid = [g for g in (grants.get("grants") if isinstance(grants, dict) else grants) if g.get("active")][0]["grant_id"]
    alice.run("apps", "revoke", gid)
    p = demo.run("friends", check_ok=False)
    check(p.returncode != 0, f"the app still calls the API after revocation: {p.stdout[:200]}")
    # ... nor decrypt bob's next message: bob's client starts a session the app's device never receives
    bob.run("send", tid, "after the revocation")
    tok = s.req("POST", "/v1/sessions", {"username": bob.name, "password": bob.password}).json["token"]
    msgs = s.req("GET", f"/v1/threads/{tid}/messages", token=tok).json["messages"]
    last = envelope_session_id(msgs[-1]["body"])
    check(not C.home_has(demo.home, last), "the revoked app's device holds the session of bob's next message")
    check(C.home_has(demo.home, envelope_session_id(msgs[-2]["body"])), "the app never had bob's earlier session (test is blind)")
    # the report: nothing while the period is open; two weeks later the share counted, no person in it
    r = json.loads(demo.run("report", current_period()).stdout)
    check(r.get("status") == "open" and "rows" not in r, f"report of the open period: {r}")
    rep = demo.run("report", H.report_time_passes(s, 14)).stdout
    r = json.loads(rep)
    check(any(row.get("item") == "track:42" and row.get("shares") == 1 for row in r.get("rows", [])), f"report: {rep[:400]}")
    for secret in (alice.name, bob.name, pid, alice.user_id(), bob.user_id()):
        check(secret not in rep, f"the report contains {secret}")
