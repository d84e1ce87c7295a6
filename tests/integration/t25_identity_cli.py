"""A person's identity with the postern CLI (issue 7, docs/cli.md): a new device approved by its code, a wrong
code refused and counted until the server says wait; a device approved with the recovery key, a wrong or
mistyped key refused and counted the same way; an identity reset seen by a contact as a change they must
accept, and by the person's other devices as "your identity was reset"; a removed device signed away."""
import json
import os
import re
import subprocess
import tempfile

import harness as H
import t20_cli as C
from harness import check, eq

REFUSED = 3


def new_home(tag):
    d = tempfile.mkdtemp(prefix=f"postern-cli-{tag}-")
    H._tmpdirs.append(d)
    return d


def waiting_device(p, home):
    """Log in on a new home without waiting: exit 3 and the code it shows."""
    r = p.run("--json", "login", p.name, "--wait", "0", home=home, check_ok=False)
    eq(r.returncode, REFUSED, f"a new device waits for approval: {r.stderr!r}")
    return json.loads(r.stdout.splitlines()[0])["approval_code"]


def recover(s, p, home, key):
    env = dict(os.environ, POSTERN_PASSWORD=p.password, POSTERN_RECOVERY_KEY=key)
    return subprocess.run([C.CLI, "--server", f"http://127.0.0.1:{s.port}", "--home", home, "login", p.name, "--recovery-key"],
                          capture_output=True, text=True, timeout=60, env=env)


def test_register_shows_the_recovery_key_once():
    s = H.server()
    p = C.Person(s, "alice")
    out = p.run("register", p.name).stdout
    key = re.search(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){8}", out)
    check(key and "Write it down" in out, f"register's words: {out!r}")
    check(key.group(0) not in p.run("identity").stdout, "the recovery key is shown again later")
    me = p.json("identity")
    check(me["this_device_approved"] and me["state"] == "verified", f"the first device is approved by the new identity: {me}")


def test_approval_by_code_and_wrong_codes_are_counted():
    s = H.server()
    alice = C.Person(s, "alice")
    alice.register()
    tablet = new_home("tablet")
    code = waiting_device(alice, tablet)
    check(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), f"the code: {code!r}")
    out = alice.run("devices").stdout
    check("(not approved: it reads nothing)" in out, f"the waiting device is listed as not approved: {out!r}")
    p = alice.run("send", alice.name, "x", check_ok=False, home=tablet)
    eq(p.returncode != 0, True, "a waiting device sends")
    # a typo: refused before anything is asked; a wrong code: the server has no such device and counts it
    p = alice.run("devices", "approve", "NOT-A-CODE", check_ok=False)
    eq(p.returncode, 1, f"a malformed code: {p.stderr!r}")
    wrong = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    for i in range(5):
        p = alice.run("devices", "approve", wrong, check_ok=False)
        check(p.returncode == 1 and "no new device of yours shows the code" in p.stderr, f"wrong code {i + 1}: {p.stderr!r}")
    p = alice.run("devices", "approve", code, check_ok=False)  # even the right one, until the window ends
    check(p.returncode == 1 and "retry in" in p.stderr, f"after five misses the server makes alice wait: {p.returncode} {p.stderr!r}")


def test_approval_by_code_lets_the_new_device_read():
    s = H.server()
    alice, bob = C.two_people(s)
    alice.run("send", bob.name, "before the laptop")
    laptop = new_home("laptop")
    code = waiting_device(alice, laptop)
    out = alice.run("devices", "approve", code.lower().replace("-", " ")).stdout  # typed loosely, as people do
    check("Approved" in out, f"approve: {out!r}")
    eq(alice.json("identity", home=laptop)["this_device_approved"], True, "the laptop took its approval")
    bob.run("send", alice.name, "hello laptop")
    check("hello laptop" in alice.run("read", bob.name, home=laptop).stdout, "the approved laptop reads")
    alice.run("send", bob.name, "from the laptop", home=laptop)
    check("from the laptop" in bob.run("read", alice.name).stdout, "bob reads the laptop, certified by alice's identity")


def test_recovery_key_approves_and_wrong_keys_are_counted():
    s = H.server()
    alice, other = C.Person(s, "alice"), C.Person(s, "other")
    alice.register()
    other.register()
    phone = new_home("phone")
    waiting_device(alice, phone)
    p = recover(s, alice, phone, alice.recovery_key[:-1] + ("0" if alice.recovery_key[-1] != "0" else "1"))
    check(p.returncode == 1 and "not a recovery key" in p.stderr, f"a mistyped key: {p.returncode} {p.stderr!r}")
    p = recover(s, alice, phone, other.recovery_key)  # well-formed, but another account's
    check(p.returncode == 1 and "does not open your identity backup" in p.stderr, f"a wrong key: {p.returncode} {p.stderr!r}")
    p = recover(s, alice, phone, alice.recovery_key)
    check(p.returncode == 0 and "approved with your recovery key" in p.stdout, f"the right key: {p.stdout!r} {p.stderr!r}")
    eq(alice.json("identity", home=phone)["this_device_approved"], True, "approved by the recovery key")
    # each attempt fetched the backup once: the server counts them (5 per 15 minutes)
    tablet = new_home("tablet")
    waiting_device(alice, tablet)
    for i in range(3):
        recover(s, alice, tablet, other.recovery_key)
    p = recover(s, alice, tablet, alice.recovery_key)
    check(p.returncode == 1 and "retry in" in p.stderr, f"the sixth attempt within the window: {p.returncode} {p.stderr!r}")


def test_identity_reset_is_announced():
    s = H.server()
    alice, bob = C.two_people(s)
    alice.run("send", bob.name, "before")
    bob.run("send", alice.name, "before too")
    laptop = new_home("laptop")
    alice.add_device(laptop)
    p = alice.run("identity", "reset", check_ok=False)
    eq(p.returncode, 2, "a reset without --yes")
    out = alice.run("identity", "reset", "--yes").stdout
    check("You reset your identity" in out and re.search(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){8}", out), f"reset: {out!r}")
    # bob: "alice's identity changed", nothing sent until he accepts
    p = bob.run("send", alice.name, "still you?", check_ok=False)
    check(p.returncode == REFUSED and "identity key changed" in p.stderr, f"bob after alice's reset: {p.stderr!r}")
    bob.run("verify", alice.name, "--accept-new-identity")
    bob.run("send", alice.name, "welcome back")
    check("welcome back" in alice.run("read", bob.name).stdout, "alice reads bob after he accepted")
    # alice's laptop: told that her identity was reset, differently from someone else's change
    me = alice.json("identity", home=laptop)
    eq(me["this_device_approved"], False, "the laptop after the reset elsewhere")
    p = alice.run("send", bob.name, "from the old laptop", check_ok=False, home=laptop)
    check(p.returncode == REFUSED and "not approved" in p.stderr, f"the laptop's send: {p.stderr!r}")


def test_removed_device_is_signed_away():
    s = H.server()
    alice, bob = C.two_people(s)
    laptop = new_home("laptop")
    alice.add_device(laptop)
    dev = json.loads(alice.run("--json", "whoami", home=laptop).stdout)
    alice.run("devices", "remove", dev["device_id"])
    listing = bob.json("verify", alice.name)
    eq([d["device_id"] for d in listing["devices"]], [alice.json("whoami")["device_id"]], "alice's devices as bob verifies them")
    tok = s.req("POST", "/v1/sessions", {"username": bob.name, "password": bob.password}).json["token"]
    got = s.req("GET", f"/v1/users/{alice.user_id()}/devices", token=tok).json
    eq(len(got.get("revocations", [])), 1, "the signed revocation is listed for every client to check")


def test_safety_number_as_a_qr_code():
    s = H.server()
    alice, bob = C.two_people(s)
    out = alice.run("verify", bob.name, "--qr").stdout
    rows = [ln for ln in out.splitlines() if "\u2588" in ln]
    check(len(rows) >= 12 and len({len(r) for r in rows}) == 1, f"a square block of QR rows: {len(rows)} rows, widths {sorted({len(r) for r in rows})}")
    number = alice.json("verify", bob.name)["safety_number"]
    check(number.replace(" ", "")[:5] in out.replace(" ", ""), "the digits are printed too")


def test_new_recovery_key_replaces_the_old_one():
    s = H.server()
    alice = C.Person(s, "alice")
    alice.register()
    old = alice.recovery_key
    new = alice.json("identity", "recovery-key")["recovery_key"]
    check(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){8}", new) and new != old, f"a new key: {new!r}")
    phone = new_home("phone")
    waiting_device(alice, phone)
    p = recover(s, alice, phone, old)
    check(p.returncode == 1 and "does not open your identity backup" in p.stderr, f"the old key after the change: {p.stderr!r}")
    p = recover(s, alice, phone, new)
    check(p.returncode == 0, f"the new key: {p.stderr!r}")
    eq(alice.json("identity", home=phone)["state"], "verified", "the same identity, recovered with the new key")
