"""The postern CLI and libpostern against a real server: two people befriend and chat end to end, live
watching, plaintext canaries found nowhere on the server (database, WAL, logs), and the cryptographic
guarantees after a change: a removed member and a removed device receive no key for what is sent after it."""
import base64
import json
import os
import re
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import check, eq

CLI = os.environ.get("POSTERN_CLI", os.path.join(os.path.dirname(H.BIN), "postern"))


class Person:
    def __init__(self, s, name):
        self.s = s
        self.name = H.rand_name(name)
        self.password = "pw-" + os.urandom(6).hex()
        self.home = tempfile.mkdtemp(prefix=f"postern-cli-{name}-")
        H._tmpdirs.append(self.home)

    def run(self, *args, check_ok=True, timeout=60, home=None, stdin=None, port=None):
        env = dict(os.environ, POSTERN_PASSWORD=self.password)
        p = subprocess.run([CLI, "--server", f"http://127.0.0.1:{port or self.s.port}", "--home", home or self.home] + list(args),
                           capture_output=True, text=True, timeout=timeout, env=env, input=stdin)
        if check_ok:
            check(p.returncode == 0, f"postern {' '.join(args)} exited {p.returncode}: {p.stderr.strip()[:400]}")
        return p

    def json(self, *args, home=None, port=None):
        return json.loads(self.run("--json", *args, home=home, port=port).stdout)

    def register(self):
        """Register and log in here as the account's first device; keeps the recovery key it shows once."""
        out = self.json("register", self.name)
        check(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){8}", out.get("recovery_key", "")), f"register shows a recovery key: {out}")
        self.recovery_key = out["recovery_key"]

    def add_device(self, home, *extra):
        """Log in on another home, a new device: it shows a code, the first device approves it, as a person would."""
        p = self.run("--json", "login", self.name, "--wait", "0", *extra, home=home, check_ok=False)
        check(p.returncode == 3, f"a new device waits for approval (exit 3), got {p.returncode}: {p.stderr!r}")
        code = json.loads(p.stdout.splitlines()[0])["approval_code"]
        self.run("devices", "approve", code)
        out = json.loads(self.run("--json", "identity", home=home).stdout)
        check(out.get("this_device_approved") is True, f"the new device took its approval: {out}")

    def user_id(self):
        return self.json("whoami")["user_id"]


def befriend(a, b):
    a.run("friends", "add", b.name)
    reqs = b.json("friends")
    text = json.dumps(reqs)
    rid = None

    def walk(x):  # the incoming request id, wherever the CLI's JSON puts it
        nonlocal rid
        if isinstance(x, dict):
            if "request_id" in x and rid is None:
                rid = x["request_id"]
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(reqs)
    check(rid, f"{b.name} sees no incoming request: {text[:300]}")
    b.run("friends", "accept", rid)


def two_people(s):
    a, b = Person(s, "alice"), Person(s, "bob")
    for p in (a, b):
        p.register()
        p.run("login", p.name)
    befriend(a, b)
    return a, b


def texts(p, who):
    out = p.run("read", who, "--limit", "50").stdout
    return out


def test_chat_end_to_end():
    if not os.path.exists(CLI):
        raise H.TestFailure(f"{CLI} is not built (make build/postern)")
    s = H.server()
    a, b = two_people(s)
    a.run("send", b.name, "hello bob, this is alice")
    b.run("send", a.name, "hi alice!")
    out = texts(b, a.name)
    check("hello bob, this is alice" in out and "hi alice!" in out, f"bob's read: {out[:500]}")
    out = texts(a, b.name)
    check("hello bob, this is alice" in out and "hi alice!" in out, f"alice's read: {out[:500]}")
    # the safety number: the same 60 digits on both sides, from the two identity keys
    seen_by_a, seen_by_b = a.json("verify", b.name), b.json("verify", a.name)
    check(re.fullmatch(r"\d{5}( \d{5}){11}", seen_by_a.get("safety_number") or ""), f"a safety number: {seen_by_a}")
    eq(seen_by_a["safety_number"], seen_by_b["safety_number"], "alice's and bob's safety numbers")
    eq((seen_by_a["state"], len(seen_by_a["devices"])), ("seen", 1), "bob's identity pinned on first contact, his one device verified")
    # on the server, bodies are ciphertext
    tid = json.loads(a.run("--json", "inbox").stdout)
    raw = json.dumps(tid)
    check("hello bob" not in raw, "the inbox JSON shows plaintext")


def test_watch_receives_live():
    s = H.server()
    a, b = two_people(s)
    a.run("send", b.name, "warm-up")  # the thread and the session exist
    got = {}

    def watch():
        got["p"] = b.run("watch", "--max-seconds", "6", check_ok=False, timeout=30)

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(1.5)
    a.run("send", b.name, "live message for bob")
    t.join(40)
    out = got["p"].stdout if "p" in got else ""
    check("live message for bob" in out, f"watch printed: {out[:500]!r} (stderr {got.get('p') and got['p'].stderr[:300]!r})")


def scan_for(paths, needle):
    hits = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                if needle in f.read():
                    hits.append(p)
        except OSError:
            pass
    return hits


def test_plaintext_canaries_never_reach_the_server():
    s = H.Server().start()
    try:
        a, b = two_people(s)
        canaries = [f"CANARY-{os.urandom(8).hex()}" for _ in range(5)]
        for c in canaries[:3]:
            a.run("send", b.name, c)
        for c in canaries[3:]:
            b.run("send", a.name, c)
        out = texts(b, a.name)
        for c in canaries:
            check(c in out, f"canary {c} did not arrive decrypted")
        # with the server running (WAL not yet checkpointed) and after it stopped
        files = [os.path.join(s.data_dir, f) for f in os.listdir(s.data_dir)] + [s.log_path]
        for c in canaries:
            eq(scan_for(files, c.encode()), [], f"plaintext {c} on the server")
        s.stop()
        files = [os.path.join(s.data_dir, f) for f in os.listdir(s.data_dir)] + [s.log_path]
        for c in canaries:
            eq(scan_for(files, c.encode()), [], f"plaintext {c} on the server after shutdown")
            # nor in base64 by accident of a shifted alignment: the body is an envelope, not the text
            for shift in range(3):
                enc = base64.urlsafe_b64encode(b"xx"[:shift] + c.encode()).rstrip(b"=")[4:20]
                eq(scan_for(files, enc), [], f"base64 of plaintext {c} on the server")
    finally:
        s.stop()


def envelope_session_id(body_b64):
    env = base64.urlsafe_b64decode(body_b64 + "=" * (-len(body_b64) % 4))
    check(env[0] == 0x50 and env[1] == 2 and env[2] == 1, "not a version 2 message envelope")
    t = env[3]
    d = env[4 + t]
    return env[37 + t + d: 53 + t + d]  # after the 32-byte membership head (docs/protocol.md §5)


def home_has(home, needle):
    for name in os.listdir(home):
        with open(os.path.join(home, name), "rb") as f:
            if needle in f.read():
                return True
    return False


def test_removed_member_gets_no_key_for_later_messages():
    s = H.server()
    a, b = two_people(s)
    c = Person(s, "carol")
    c.register()
    c.run("login", c.name)
    befriend(a, c)
    # a group thread alice + bob + carol, made with the CLI
    tok = s.req("POST", "/v1/sessions", {"username": a.name, "password": a.password}).json["token"]
    tid = a.json("group", b.name, c.name)["thread_id"]
    a.run("send", tid, "before carol leaves")
    check("before carol leaves" in c.run("read", tid).stdout, "carol reads the message sent while she was in")
    a.run("group", "remove", tid, c.name)
    a.run("send", tid, "after carol left")
    check("after carol left" in b.run("read", tid).stdout, "bob still reads")
    msgs = s.req("GET", f"/v1/threads/{tid}/messages", token=tok).json["messages"]
    before = envelope_session_id(msgs[0]["body"])
    after = envelope_session_id(msgs[-1]["body"])
    check(before != after, "alice kept the same session after a member left: carol could derive the next keys")
    out = c.run("read", tid, check_ok=False)  # no longer a member: the server refuses her the thread
    check("after carol left" not in out.stdout, "carol reads what was sent after she left")
    c.run("watch", "--max-seconds", "1", check_ok=False, timeout=30)  # carol takes whatever keys reached her
    check(home_has(c.home, before), "carol's store lacks the session she was given (test is blind)")
    check(not home_has(c.home, after), "carol received the session used after she was removed")
    check(home_has(b.home, after), "bob lacks the new session")


def test_removed_device_gets_no_key_for_later_messages():
    s = H.server()
    a, b = two_people(s)
    a.run("send", b.name, "to both of bob's devices")
    second = tempfile.mkdtemp(prefix="postern-cli-bob2-")
    H._tmpdirs.append(second)
    b.add_device(second, "--device-name", "tablet")
    p = a.run("send", b.name, "now bob has a tablet")
    check("devices that can read" in p.stderr, f"alice is not told that bob's devices changed: {p.stderr!r}")
    check("now bob has a tablet" in b.run("read", a.name, home=second).stdout, "bob's tablet reads new messages")
    who = json.loads(b.run("--json", "whoami", home=second).stdout)
    dev = who["device_id"]
    b.run("devices", "remove", dev)
    a.run("send", b.name, "after the tablet was removed")
    tok = s.req("POST", "/v1/sessions", {"username": a.name, "password": a.password}).json["token"]
    tid = s.req("GET", "/v1/threads", token=tok).json["threads"][0]["thread_id"]
    msgs = s.req("GET", f"/v1/threads/{tid}/messages", token=tok).json["messages"]
    after = envelope_session_id(msgs[-1]["body"])
    check("after the tablet was removed" in b.run("read", a.name).stdout, "bob's first device still reads")
    out = b.run("read", a.name, home=second, check_ok=False)  # the tablet syncs and tries
    check("after the tablet was removed" not in out.stdout, "the removed tablet decrypts a later message")
    check(home_has(second, envelope_session_id(msgs[-2]["body"])) or "now bob has a tablet" in out.stdout,
          "the tablet never had the earlier session (test is blind)")
    check(not home_has(second, after), "the removed tablet received the session used after its removal")


def test_passphrase_seals_the_key_store():
    s = H.server()
    p = Person(s, "sealed")
    env = dict(os.environ, POSTERN_PASSWORD=p.password, POSTERN_PASSPHRASE="correct horse battery")

    def run(*args, passphrase="correct horse battery"):
        e = dict(env, POSTERN_PASSPHRASE=passphrase)
        return subprocess.run([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", p.home] + list(args),
                              capture_output=True, text=True, timeout=60, env=e)

    check(run("register", p.name).returncode == 0, "register")
    r = run("login", p.name)
    check(r.returncode == 0, f"login with a passphrase: {r.stderr}")
    r = run("--json", "whoami")
    check(r.returncode == 0, f"whoami with the passphrase: {r.stderr}")
    # the session token and the device's secret keys are not readable in the files
    tok = s.req("POST", "/v1/sessions", {"username": p.name, "password": p.password}).json  # a second session
    for name in os.listdir(p.home):
        with open(os.path.join(p.home, name), "rb") as f:
            data = f.read()
        check(b"sign_sk" not in data and b"token" not in data, f"{name} holds secrets in the clear")
        mode = os.stat(os.path.join(p.home, name)).st_mode & 0o777
        check(mode & 0o077 == 0, f"{name} is readable by others: {oct(mode)}")
    check(tok.get("token"), "second login")
    r = run("--json", "whoami", passphrase="wrong passphrase")
    check(r.returncode != 0, "a wrong passphrase opened the key store")


def test_watch_stops_cleanly_on_sigint():
    import signal
    s = H.server()
    a, b = two_people(s)
    env = dict(os.environ, POSTERN_PASSWORD=b.password)
    p = subprocess.Popen([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", b.home, "watch"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=5)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
    eq(p.returncode, 0, f"watch after Ctrl-C (stderr {err[-200:]!r})")


def _thread_ids(text):
    import re
    return re.findall(r"^(t_\S+)", text, re.M)


def _pages(person, args, items, max_pages, flag="--cursor"):
    """Run `postern ARGS --limit 2`, then each `FLAG VALUE` the page prints as the command for the next page,
    to the last page. Returns the list of each page's items (items(stdout) -> list)."""
    import re
    out_pages, value = [], None
    command = " ".join(args)
    while True:
        out = person.run(*args, "--limit", "2", *([flag, value] if value else [])).stdout
        got = items(out)
        check(got, f"a `{command}` page with nothing on it: {out!r}")
        out_pages.append(got)
        m = re.search(rf"postern {re.escape(command)} {flag} (\S+)", out)
        if m is None:
            return out_pages
        value = m.group(1)
        check(len(out_pages) < max_pages, f"`{command}` keeps pointing at more pages")


def test_inbox_and_access_log_page_through_everything():
    # more conversations (and access-log entries) than one page: each page points at the next, and
    # following the pointers shows every item once.
    s = H.server()
    alice = Person(s, "alice")
    alice.register()
    alice.run("login", alice.name)
    for name in ("bob", "carol", "dave"):
        f = Person(s, name)
        f.register()
        f.run("login", f.name)
        befriend(alice, f)
        alice.run("send", f.name, f"hello {name}")
    every = [t["thread_id"] for t in alice.json("inbox")["threads"]]
    eq(len(every), 3, "threads in the JSON inbox")
    pages = _pages(alice, ["inbox"], _thread_ids, 5)
    eq((len(pages), sum(pages, [])), (2, every), "inbox pages of 2, followed through --cursor")
    p = alice.run("inbox", "--cursor", "not-a-cursor", check_ok=False)
    check(p.returncode != 0 and "cursor" in p.stderr.lower(), f"a bad cursor: exit {p.returncode}, {p.stderr!r}")

    # five partner calls -> five access-log entries
    app_name = H.rand_name("pager")
    app = H.create_app(s, name=app_name)
    user = H.User(alice.name, alice.password, alice.user_id())
    tok = H.grant_tokens(s, app, user)["access_token"]
    for _ in range(5):
        H.expect_status(s.req("GET", "/v1/partner/friends", token=tok), 200, "app lists friends")
    whole = alice.json("access-log", "--limit", "200")["entries"]
    check(len(whole) >= 5 and whole[0]["action"] == whole[4]["action"], f"access log: {whole}")
    pages = _pages(alice, ["access-log"], lambda out: [ln for ln in out.splitlines() if app_name in ln], 10)
    eq((len(pages), sum(len(p) for p in pages)), ((len(whole) + 1) // 2, len(whole)),
       "access-log pages of 2 cover the whole log once")


def test_read_pages_back_through_history():
    s = H.server()
    a, b = two_people(s)
    for i in range(1, 6):
        a.run("send", b.name, f"note number {i}")
    pages = _pages(b, ["read", a.name], lambda out: re.findall(r"note number (\d)", out), 5, flag="--before")
    eq(pages, [["4", "5"], ["2", "3"], ["1"]], "read --limit 2, then --before each page's first seq")
    out = b.run("read", a.name, "--before", "1").stdout
    check("No older messages." in out, f"read --before 1: {out!r}")
    j = b.json("read", a.name, "--limit", "2")
    eq(([m["text"] for m in j["messages"]], j["older_before"]), (["note number 4", "note number 5"], 4),
       "read --json: the page and where the older one starts")
    j = b.json("read", a.name, "--limit", "2", "--before", "2")
    eq(([m["text"] for m in j["messages"]], j["older_before"]), (["note number 1"], None), "the first page")


def test_longest_text_goes_through_and_one_byte_more_is_refused():
    # PST_TEXT_MAX (include/postern/postern.h) = 65024 bytes: one envelope's plaintext
    s = H.server()
    a, b = two_people(s)
    longest = ("0123456789abcdef" * 4064)[:65024]
    a.run("send", b.name, "-", stdin=longest + "\n")
    got = b.json("read", a.name, "--limit", "1")["messages"]
    eq((len(got), got[0]["text"] == longest), (1, True), "a 65,024-byte text, read back")
    p = a.run("send", b.name, "-", stdin=longest + "x", check_ok=False)
    check(p.returncode != 0 and "65024" in p.stderr, f"65,025 bytes: exit {p.returncode}, {p.stderr.strip()!r}")
    eq(len(b.json("read", a.name, "--limit", "5")["messages"]), 1, "nothing more was sent")


def test_text_that_is_not_utf8():
    # libpostern will not send it; a client that does (tests/tools/raw_send) gets its bytes repaired on the
    # receiving side, and the repaired text stays readable: it is kept although its key is gone.
    s = H.server()
    a, b = two_people(s)
    a.run("send", b.name, "first")
    tid = a.json("inbox")["threads"][0]["thread_id"]
    p = subprocess.run([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", a.home, "send", b.name, "-"],
                       input=b"bad \xff\xfe bytes", capture_output=True, timeout=30,
                       env=dict(os.environ, POSTERN_PASSWORD=a.password))
    check(p.returncode != 0 and b"UTF-8" in p.stderr, f"the CLI sent text that is not UTF-8: {p.stdout!r} {p.stderr!r}")
    raw = os.path.join(os.path.dirname(H.BIN), "tools", "raw_send")
    r = subprocess.run([raw, f"http://127.0.0.1:{s.port}", a.home, tid, (b"bad \xff\xfe bytes").hex()],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"raw_send: {r.stderr!r}")
    for attempt in ("first read", "second read"):
        got = b.json("read", a.name, "--limit", "5")["messages"]
        eq([(m["decrypt"], m["text"]) for m in got], [("ok", "first"), ("ok", "bad \ufffd\ufffd bytes")], attempt)
    check("bad \ufffd\ufffd bytes" in b.run("read", a.name).stdout, "the human output of the repaired text")


def test_processes_sharing_a_home_lose_nothing():
    # the README's way of using postern: `watch` in one terminal while `send` runs in others, all on one
    # home. Each changes the key store (chains, the plaintext cache); none may undo another's change.
    s = H.server()
    a, b = two_people(s)
    a.run("send", b.name, "hello")
    b.run("read", a.name)
    env = dict(os.environ, POSTERN_PASSWORD=a.password)
    watch = subprocess.Popen([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", a.home, "watch",
                              "--max-seconds", "60"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(0.5)

        def sends(person, to, tag):
            for i in range(8):
                person.run("send", to, f"{tag} {i}")
        threads = [threading.Thread(target=sends, args=args) for args in
                   ((a, b.name, "a1"), (a, b.name, "a2"), (b, a.name, "b1"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1)
    finally:
        watch.terminate()
        watch.wait(timeout=10)
    for reader, other in ((a, b), (b, a)):
        got = reader.json("read", other.name, "--limit", "50")["messages"]
        bad = [(m["seq"], m["decrypt"]) for m in got if m["decrypt"] != "ok"]
        eq((len(got), bad), (25, []), f"{reader.name} reads every message")


def test_password_change_from_the_cli():
    s = H.server()
    a = Person(s, "alice")
    a.register()
    a.run("login", a.name)
    other_home = tempfile.mkdtemp(prefix="postern-cli-alice2-")
    H._tmpdirs.append(other_home)
    a.add_device(other_home)
    env = dict(os.environ, POSTERN_PASSWORD="wrong password", POSTERN_NEW_PASSWORD="brand-new-pw")
    base = [CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", a.home, "password"]
    p = subprocess.run(base, capture_output=True, text=True, timeout=30, env=env)
    check(p.returncode == 1 and "current password is wrong" in p.stderr, f"wrong current: {p.returncode} {p.stderr!r}")
    env["POSTERN_PASSWORD"] = a.password
    p = subprocess.run(base, capture_output=True, text=True, timeout=30, env=env)
    check(p.returncode == 0 and "Password changed" in p.stdout, f"change: {p.returncode} {p.stdout!r} {p.stderr!r}")
    a.run("whoami")  # this home's session goes on
    p = a.run("whoami", home=other_home, check_ok=False)
    check(p.returncode == 1, f"the other home's session still works: {p.stdout!r}")
    a.password = "brand-new-pw"
    a.run("login", a.name, home=other_home)
    out = a.run("logout", "--everywhere").stdout
    check("every session" in out, f"logout --everywhere: {out!r}")
    for home in (a.home, other_home):
        p = a.run("whoami", home=home, check_ok=False)
        check(p.returncode != 0, f"a session survived logout --everywhere: {p.stdout!r}")


def test_withdraw_a_friend_request():
    s = H.server()
    a, b = Person(s, "alice"), Person(s, "bob")
    for p in (a, b):
        p.register()
        p.run("login", p.name)
    a.run("friends", "add", b.name)
    mine = a.json("friends")["outgoing"]
    eq(len(mine), 1, "alice's waiting request")
    out = a.run("friends").stdout
    check(f"postern friends withdraw {mine[0]['request_id']}" in out, f"the hint to withdraw: {out!r}")
    got = {}
    watcher = threading.Thread(target=lambda: got.update(p=b.run("watch", "--max-seconds", "4", timeout=30)))
    watcher.start()
    time.sleep(1.5)
    out = a.run("friends", "withdraw", mine[0]["request_id"]).stdout
    check("Withdrew" in out, f"withdraw: {out!r}")
    watcher.join(40)
    seen = got["p"].stdout if "p" in got else ""
    check(f"friend request {mine[0]['request_id']} was withdrawn" in seen, f"bob's watch printed: {seen!r}")
    eq((a.json("friends")["outgoing"], b.json("friends")["incoming"]), ([], []), "no request left on either side")
    p = b.run("friends", "accept", mine[0]["request_id"], check_ok=False)
    check(p.returncode != 0, "bob accepted a withdrawn request")


def test_login_at_the_device_cap_can_make_room():
    # a person whose account has as many devices as allowed logs in on a new machine: the login keeps the
    # session without a device, so the person can remove an old device from there and log in again
    with H.Server(["--max-devices=1"]) as s:
        a = Person(s, "alice")
        a.register()
        a.run("login", a.name)
        old = a.json("whoami")["device_id"]
        new_home = tempfile.mkdtemp(prefix="postern-cli-alice-new-")
        H._tmpdirs.append(new_home)
        p = a.run("login", a.name, home=new_home, check_ok=False)
        check(p.returncode == 1 and "postern devices remove" in p.stderr, f"login at the cap: {p.stderr!r}")
        listed = json.loads(a.run("--json", "devices", home=new_home).stdout)["devices"]
        eq([d["device_id"] for d in listed], [old], "the devices, listed from the new machine")
        a.run("devices", "remove", old, home=new_home)
        # the only approved device is gone: the new one approves itself with the recovery key written down
        env = dict(os.environ, POSTERN_PASSWORD=a.password, POSTERN_RECOVERY_KEY=a.recovery_key.lower().replace("-", " "))
        p = subprocess.run([CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", new_home, "login", a.name, "--recovery-key"],
                           capture_output=True, text=True, timeout=60, env=env)
        check(p.returncode == 0 and "approved with your recovery key" in p.stdout, f"recovery: {p.returncode} {p.stdout!r} {p.stderr!r}")
        eq(json.loads(a.run("--json", "whoami", home=new_home).stdout)["device_id"] not in (None, old), True,
           "a new device after making room")


def test_sessions_from_the_cli():
    s = H.server()
    a = Person(s, "alice")
    a.register()  # registering logs this home in: one session
    phone = tempfile.mkdtemp(prefix="postern-cli-alice-phone-")
    H._tmpdirs.append(phone)
    a.add_device(phone, "--device-name", "phone")
    rows = a.json("sessions")["sessions"]
    eq(len(rows), 2, "two sessions")
    out = a.run("sessions").stdout
    check("(this session)" in out and "phone" in out, f"postern sessions: {out!r}")
    other = [r for r in rows if not r["current"]][0]
    a.run("sessions", "end", other["session_id"])
    p = a.run("whoami", home=phone, check_ok=False)
    check(p.returncode != 0, f"the ended session still works: {p.stdout!r}")
    eq([r["current"] for r in a.json("sessions")["sessions"]], [True], "one session left")
