"""The server as the attacker (issue 7, docs/protocol.md §19).  Each test plays one attack against real postern
processes and a real posternd, either by editing the running server's own database (what an operator can do)
or through mitm.py, a proxy that rewrites the server's answers (what a patched posternd can do).  For each:
no key reaches the attacker -- it holds the keys of the devices it invents and tries to open every hand-over
addressed to them -- and the person's client refuses, or the reader flags, with the words a person sees."""
import base64
import json
import os
import sys
import time

import harness as H
import mitm
import t20_cli as C
from harness import check, eq

sys.path.insert(0, os.path.join(H.ROOT, "tests", "vectors"))
import gen_proto_vectors as P  # noqa: E402  (the independent implementation of docs/protocol.md, reused as the attacker's)

T_DEVICE_CERT, T_DEVICE_REVOKE, T_PREKEY, T_IDENTITY, T_LINK = 0x21, 0x22, 0x23, 0x20, 0x30
REFUSED = 3  # the CLI's exit code for "refused to keep you safe: nothing was sent"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(t):
    return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))


def db(s):
    """The running server's own database, SQLite or PostgreSQL (harness.ServerDB): `with db(s) as con:` commits
    the attack and closes before the test drives the clients again."""
    return H.server_db(s)


def uid(con, public_id):
    return con.execute("SELECT id FROM users WHERE public_id=?", (public_id,)).fetchone()[0]


def people(s, *names):
    ps = [C.Person(s, n) for n in names]
    for p in ps:
        p.register()
    for i, a in enumerate(ps):
        for b in ps[i + 1:]:
            C.befriend(a, b)
    return ps


class Rogue:
    """A device the attacker makes: its own keys, a registration it signs itself, a certificate by an identity
    key the attacker holds (not the victim's), and prekeys it signs, all inserted into the server's tables."""

    def __init__(self, s, owner_public_id, tag):
        self.s = s
        seed = os.urandom(32)
        self.sign = P.SignKey(seed)
        self.box_pk, self.box_sk = P.box_keypair(os.urandom(32))
        self.spk_pk, self.spk_sk = P.box_keypair(os.urandom(32))
        self.opk_pk, self.opk_sk = P.box_keypair(os.urandom(32))
        self.fake_identity = P.SignKey(os.urandom(32))
        self.device_id = "d_" + b64(os.urandom(16))
        self.owner = owner_public_id
        reg = self.sign.sign(f"postern-device-v1:{owner_public_id}:{b64(self.box_pk)}".encode())
        cert = P.statement(T_DEVICE_CERT, P.st_device_cert(self.device_id, self.sign.pk, self.box_pk, int(time.time() * 1000)),
                           self.fake_identity)
        with db(s) as con:
            self.row = con.execute("INSERT INTO devices(public_id, user_id, name, sign_pk, box_pk, created_at, reg_sig, cert) "
                                   "VALUES (?,?,?,?,?,?,?,?) RETURNING id", (self.device_id, uid(con, owner_public_id), f"rogue {tag}",
                                                                             b64(self.sign.pk), b64(self.box_pk), int(time.time() * 1000),
                                                                             b64(reg), cert)).fetchone()[0]
            for kind, key_id, pk in ((2, 7, self.spk_pk), (1, 8, self.opk_pk)):
                st = P.statement(T_PREKEY, P.st_prekey(self.device_id, kind, key_id, pk, int(time.time() * 1000)), self.sign)
                con.execute("INSERT INTO prekeys(device_id, kind, key_id, statement, created_at) VALUES (?,?,?,?,?)",
                            (self.row, kind, key_id, st, int(time.time() * 1000)))

    def handovers(self):
        """Every hand-over the server holds for this device, and what the attacker opens of them."""
        with db(self.s) as con:
            rows = con.execute("SELECT data FROM events WHERE type='to_device' AND device_id=?", (self.row,)).fetchall()
        opened = []
        for (data,) in rows:
            raw = unb64(json.loads(data)["body"])
            try:
                opened.append(self.open(raw))
            except Exception:  # noqa: BLE001 -- a hand-over the attacker cannot open is what the test wants
                pass
        return rows, opened

    def open(self, raw):
        t = raw[3]
        off = 4 + t
        spk_id, opk_id = int.from_bytes(raw[off:off + 4], "big"), int.from_bytes(raw[off + 4:off + 8], "big")
        e_pk, nonce = raw[off + 8:off + 40], raw[off + 40:off + 64]
        ad, ct = raw[:off + 64], raw[off + 64:]
        dh = P.x25519(self.box_sk, e_pk) + P.x25519(self.spk_sk, e_pk) + (P.x25519(self.opk_sk, e_pk) if opk_id else b"")
        key = P.H(b"postern-handover-v2:" + dh + ad + self.box_pk + self.spk_pk + (self.opk_pk if opk_id else b""))
        return P.aead_open(key, nonce, ad, ct)


def messages(s, person, tid):
    tok = s.req("POST", "/v1/sessions", {"username": person.name, "password": person.password}).json["token"]
    return s.req("GET", f"/v1/threads/{tid}/messages", token=tok).json["messages"]


def thread_of(person, other):
    return [t for t in person.json("inbox")["threads"] if other.user_id() in [m["user_id"] for m in t["members"]]][0]["thread_id"]


# ---- devices ----

def test_server_made_device_gets_no_key():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    alice.run("send", bob.name, "before the attack")
    rogue = Rogue(s, bob.user_id(), "bob")
    alice.run("send", bob.name, "after the attack: only bob's own devices may read this")
    rows, opened = rogue.handovers()
    eq((len(rows), opened), (0, []), "hand-overs to the server's device, and what it opened")
    check("after the attack" in alice.run("read", bob.name).stdout and "after the attack" in bob.run("read", alice.name).stdout,
          "alice and bob still talk")
    out = alice.run("verify", bob.name).stdout
    check("1 more listed by the server, not approved by that key: nothing is encrypted to them" in out,
          f"what alice sees of bob's devices: {out!r}")


def test_key_swap_on_an_existing_device_is_refused():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    alice.run("send", bob.name, "before the swap")
    swap_pk, _ = P.box_keypair(os.urandom(32))
    with db(s) as con:  # the same device id, the server's box key
        con.execute("UPDATE devices SET box_pk=? WHERE public_id=?", (b64(swap_pk), bob.json("whoami")["device_id"]))
    p = alice.run("send", bob.name, "after the swap", check_ok=False)
    eq(p.returncode, REFUSED, f"alice's send after the swap: {p.stderr!r}")
    check("nobody else in this conversation has a device you can verify" in p.stderr and "nothing was sent" in p.stderr,
          f"what alice is told: {p.stderr!r}")
    tid = thread_of(alice, bob)
    check(all("after the swap" not in (m.get("body") or "") for m in messages(s, alice, tid)), "nothing was posted")


def test_forged_device_revocation_is_ignored():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    dev = bob.json("whoami")["device_id"]
    with db(s) as con:  # a revocation "by bob's identity", signed by a key the server made
        spk = con.execute("SELECT sign_pk FROM devices WHERE public_id=?", (dev,)).fetchone()[0]
        st = P.statement(T_DEVICE_REVOKE, P.st_device_revoke(dev, unb64(spk), int(time.time() * 1000)), P.SignKey(os.urandom(32)))
        row = con.execute("SELECT id, user_id FROM devices WHERE public_id=?", (dev,)).fetchone()
        con.execute("INSERT INTO device_revocations(user_id, device_id, statement, created_at) VALUES (?,?,?,?)",
                    (row[1], row[0], st, int(time.time() * 1000)))
    alice.run("send", bob.name, "bob still reads this")
    check("bob still reads this" in bob.run("read", alice.name).stdout, "a forged revocation cut bob off")


# ---- identities ----

def forge_identity(s, person):
    fake = P.SignKey(os.urandom(32))
    st = P.statement(T_IDENTITY, P.st_identity(person.user_id(), person.name, fake.pk, int(time.time() * 1000)), fake)
    with db(s) as con:
        con.execute("UPDATE identities SET id_pk=?, statement=? WHERE user_id=?", (fake.pk, st, uid(con, person.user_id())))
    return fake


def test_swapped_identity_blocks_sending_until_accepted():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    alice.run("send", bob.name, "hello")
    forge_identity(s, bob)
    p = alice.run("send", bob.name, "to the impostor?", check_ok=False)
    eq(p.returncode, REFUSED, f"send after bob's identity changed: {p.stderr!r}")
    check("identity key changed: nothing is sent to them until you check it" in p.stderr, f"the words: {p.stderr!r}")
    out = alice.run("verify", bob.name).stdout
    check("CHANGED since you pinned it" in out and "--accept-new-identity" in out, f"verify after the change: {out!r}")
    # and the impostor's key cannot even be accepted: the server kept it out of its transparency log
    p = alice.run("verify", bob.name, "--accept-new-identity", check_ok=False)
    eq(p.returncode, REFUSED, f"accepting a key that is in no log: {p.stderr!r}")
    check("is not in the server's transparency log" in p.stderr, f"the words: {p.stderr!r}")


def test_verified_contact_blocks_until_verified_again():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    alice.run("send", bob.name, "hello")
    alice.run("verify", bob.name, "--confirm")
    eq(alice.json("verify", bob.name)["state"], "verified", "bob verified")
    forge_identity(s, bob)
    p = alice.run("verify", bob.name, "--accept-new-identity", check_ok=False)
    eq(p.returncode, REFUSED, f"accepting a verified contact's new key: {p.stderr!r}")
    check("you had verified" in p.stderr, f"the words: {p.stderr!r}")
    p = alice.run("send", bob.name, "no", check_ok=False)
    eq(p.returncode, REFUSED, "send to a verified contact whose key changed")


def test_identity_pin_is_shared_by_the_persons_devices():
    # alice pins bob on her first device; the server then shows her new device another key for bob: the new
    # device reads alice's signed pin from the server and refuses, it does not trust-on-first-use again
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    alice.run("send", bob.name, "hello")
    forge_identity(s, bob)
    laptop = C.tempfile.mkdtemp(prefix="postern-cli-laptop-")
    H._tmpdirs.append(laptop)
    alice.add_device(laptop)
    p = alice.run("send", bob.name, "from the laptop", check_ok=False, home=laptop)
    eq(p.returncode, REFUSED, f"the new device trusted the server's key for bob: {p.stderr!r}")


# ---- membership ----

def group(s):
    alice, bob, carol, mallory = people(s, "alice", "bob", "carol", "mallory")
    tid = alice.json("group", bob.name, carol.name)["thread_id"]
    alice.run("send", tid, "hello group")
    return alice, bob, carol, mallory, tid


def test_injected_group_member_gets_no_key():
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    with db(s) as con:
        t = con.execute("SELECT id, last_seq FROM threads WHERE public_id=?", (tid,)).fetchone()
        con.execute("INSERT INTO members(thread_id, user_id, joined_seq, read_seq) VALUES (?,?,?,0)", (t[0], uid(con, mallory.user_id()), t[1]))
    alice.run("send", tid, "not for mallory")
    out = mallory.run("read", tid, check_ok=False).stdout
    check("not for mallory" not in out and "cannot decrypt" in out, f"what the injected member reads: {out!r}")
    with db(s) as con:
        got = con.execute("SELECT COUNT(*) FROM events e JOIN devices d ON d.id=e.device_id WHERE e.type='to_device' AND d.user_id=?",
                          (uid(con, mallory.user_id()),)).fetchone()[0]
    eq(got, 0, "hand-overs to mallory's devices")
    check("not for mallory" in carol.run("read", tid).stdout, "the real members still read")


def test_forged_membership_link_is_refused():
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    rogue = Rogue(s, carol.user_id(), "carol")
    with db(s) as con:  # "carol's device" adds mallory: signed by the server's device of carol
        t = con.execute("SELECT id, chain_length, chain_head FROM threads WHERE public_id=?", (tid,)).fetchone()
        link = P.statement(T_LINK, P.st_link(t[2], os.urandom(16), 2, 2, carol.user_id(), rogue.device_id, [mallory.user_id()],
                                             int(time.time() * 1000)), rogue.sign)
        con.execute("INSERT INTO chain_links(thread_id, seq, hash, link, created_at) VALUES (?,?,?,?,?)",
                    (t[0], t[1] + 1, P.H(link), link, int(time.time() * 1000)))
        con.execute("UPDATE threads SET chain_length=?, chain_head=? WHERE id=?", (t[1] + 1, P.H(link), t[0]))
        con.execute("INSERT INTO members(thread_id, user_id, joined_seq, read_seq) VALUES (?,?,0,0)", (t[0], uid(con, mallory.user_id())))
    p = alice.run("send", tid, "to whom?", check_ok=False)
    eq(p.returncode, REFUSED, f"send over a forged link: {p.stderr!r}")
    check("is not signed by a device of" in p.stderr, f"the words: {p.stderr!r}")
    eq(rogue.handovers()[1], [], "what the rogue device opened")


def test_rewritten_membership_history_is_refused():
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    alice.run("group", "remove", tid, carol.name)
    alice.run("send", tid, "carol is out")  # alice's client pinned the chain with the removal
    with db(s) as con:  # the server drops the removal: carol back in
        t = con.execute("SELECT id, chain_length FROM threads WHERE public_id=?", (tid,)).fetchone()
        first = con.execute("SELECT hash FROM chain_links WHERE thread_id=? AND seq=1", (t[0],)).fetchone()[0]
        con.execute("DELETE FROM chain_links WHERE thread_id=? AND seq>1", (t[0],))
        con.execute("UPDATE threads SET chain_length=1, chain_head=? WHERE id=?", (first, t[0]))
        con.execute("INSERT INTO members(thread_id, user_id, joined_seq, read_seq) VALUES (?,?,0,0) ON CONFLICT DO NOTHING",
                    (t[0], uid(con, carol.user_id())))
    p = alice.run("send", tid, "does carol read this?", check_ok=False)
    eq(p.returncode, REFUSED, f"send over a rewritten history: {p.stderr!r}")
    check("does not continue the one this device saw before" in p.stderr, f"the words: {p.stderr!r}")


def test_withheld_link_shows_as_an_unknown_member_list():
    # a split view: the server hides alice's addition of dave from bob's client; bob reads alice's next message,
    # which is bound to the member list alice saw, and is told he was shown another one
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    bob.run("read", tid)  # bob pins the chain as it is

    def hide_last_link(method, path, status, body):
        if path.startswith(f"/v1/threads/{tid}/chain") and isinstance(body, dict) and len(body.get("links", [])) > 1:
            body["links"] = body["links"][:1]
        return body
    alice.run("group", "add", tid, mallory.name)
    alice.run("send", tid, "mallory joined")
    with mitm.Mitm(s.port, hide_last_link) as m:
        got = json.loads(bob.run("--json", "read", tid, port=m.port).stdout)["messages"]
    last = [x for x in got if x.get("text") == "mallory joined"]
    check(last and "unknown_members" in last[0]["warnings"], f"bob is not told: {got[-1:]}")
    check("a list of members this device never saw" in last[0]["notice"], f"the words: {last[0]['notice']!r}")


# ---- messages ----

def test_relabelled_sender_is_shown_as_the_signer():
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    alice.run("send", tid, "signed by alice")
    with db(s) as con:
        con.execute("UPDATE messages SET sender_id=? WHERE body IS NOT NULL AND id=(SELECT MAX(id) FROM messages)", (uid(con, carol.user_id()),))
    got = json.loads(bob.run("--json", "read", tid).stdout)["messages"][-1]
    eq((got["text"], got["sender_id"]), ("signed by alice", alice.user_id()), "the message as bob sees it")
    check("relabelled" in got["warnings"] and f"labelled this message as sent by {carol.name}, but it was signed by a device of {alice.name}"
          in got["notice"], f"the words: {got['notice']!r}")
    out = bob.run("read", tid).stdout
    check(f"{alice.name}: signed by alice" in out, f"bob's screen: {out!r}")


def test_message_moved_to_another_thread_is_not_shown():
    s = H.server()
    alice, bob, carol, mallory, tid = group(s)
    alice.run("send", bob.name, "only in the direct thread")
    direct = thread_of(alice, bob)
    with db(s) as con:
        g = con.execute("SELECT id, last_seq FROM threads WHERE public_id=?", (tid,)).fetchone()
        m = con.execute("SELECT m.id FROM messages m JOIN threads t ON t.id=m.thread_id WHERE t.public_id=? ORDER BY m.seq DESC LIMIT 1",
                        (direct,)).fetchone()[0]
        con.execute("UPDATE messages SET thread_id=?, seq=? WHERE id=?", (g[0], g[1] + 1, m))
        con.execute("UPDATE threads SET last_seq=? WHERE id=?", (g[1] + 1, g[0]))
    got = json.loads(carol.run("--json", "read", tid).stdout)["messages"][-1]
    eq(got["text"], None, "the moved message's text in the group")
    check("written for another conversation" in (got["notice"] or ""), f"the words: {got}")


def test_reordered_and_dropped_messages_are_reported():
    s = H.server()
    alice, bob = people(s, "alice", "bob")
    for i in range(1, 6):
        alice.run("send", bob.name, f"number {i}")
    tid = thread_of(alice, bob)
    with db(s) as con:
        ids = [r[0] for r in con.execute("SELECT m.id FROM messages m JOIN threads t ON t.id=m.thread_id WHERE t.public_id=? ORDER BY m.seq",
                                         (tid,))]
        seq = {i: con.execute("SELECT seq FROM messages WHERE id=?", (i,)).fetchone()[0] for i in ids}
        a, b = ids[1], ids[2]  # swap numbers 2 and 3
        con.execute("UPDATE messages SET seq=-1 WHERE id=?", (a,))
        con.execute("UPDATE messages SET seq=? WHERE id=?", (seq[a], b))
        con.execute("UPDATE messages SET seq=? WHERE id=?", (seq[b], a))
        con.execute("DELETE FROM messages WHERE id=?", (ids[3],))  # drop number 4
    got = json.loads(bob.run("--json", "read", alice.name).stdout)["messages"]
    by_text = {m["text"]: m for m in got}
    eq([m["text"] for m in got], ["number 1", "number 3", "number 2", "number 5"], "what bob gets")
    check("out_of_order" in by_text["number 2"]["warnings"] and "out of order" in by_text["number 2"]["notice"],
          f"number 2: {by_text['number 2']}")
    check("gap" in by_text["number 5"]["warnings"] and f"1 message from {alice.name} is missing before this one." in by_text["number 5"]["notice"],
          f"number 5: {by_text['number 5']}")
    out = bob.run("read", alice.name).stdout  # and on the screen, from the cache, the same words
    check("is missing before this one" in out and "out of order" in out, f"bob's screen: {out!r}")


# ---- partner apps ----

def app_story(s):
    """alice connects Tunes (partner-demo) and approves its device by code; the app shares with bob."""
    import t21_partner_demo as D
    port = D.free_port()
    app = H.create_app(s, "Tunes", redirect_uris=f"http://127.0.0.1:{port}/cb")
    alice, bob = people(s, "alice", "bob")
    demo = D.Demo(s, app)
    b = D.authorize(s, demo, alice, port)
    alice.run("apps", "approve", demo.run("code").stdout.strip())
    pid = D.pick_friend(s, b, app, bob.name)
    tid = json.loads(demo.run("share", pid, "track:7", "a song for bob").stdout)["thread_id"]
    check("a song for bob" in bob.run("read", tid).stdout, "bob reads the app's share")
    return alice, bob, demo, app, tid


def test_injected_app_device_gets_no_key():
    s = H.server()
    alice, bob, demo, app, tid = app_story(s)
    bob.run("consent", tid, "accept")
    rogue = Rogue(s, alice.user_id(), "app")
    with db(s) as con:  # an app device on alice's grant, keys the server made, "authorised" by a key it made
        grant = con.execute("SELECT grant_id FROM devices WHERE grant_id<>0 LIMIT 1").fetchone()[0]
        con.execute("UPDATE devices SET grant_id=?, cert=NULL WHERE id=?", (grant, rogue.row))
    bob.run("send", tid, "for alice and the app she approved, not for the server")
    alice.run("send", tid, "alice too")
    eq(rogue.handovers(), ([], []), "hand-overs to the injected app device")
    # (the tampered server may now starve the real app device too: refusing service is the one thing it can do)
    check("for alice and the app she approved" in alice.run("read", tid).stdout, "alice reads bob")


def test_forged_consent_does_not_open_the_friends_messages():
    s = H.server()
    alice, bob, demo, app, tid = app_story(s)
    # bob never consented; the server makes up his consent, signed by a key of its own
    fake = P.SignKey(os.urandom(32))
    st = P.statement(0x42, P.st_app_consent(tid, app.client_id, 1, int(time.time() * 1000)), fake)
    with db(s) as con:
        t = con.execute("SELECT id FROM threads WHERE public_id=?", (tid,)).fetchone()[0]
        con.execute("INSERT INTO app_consents(thread_id, user_id, state, at, statement) VALUES (?,?,1,?,?) ON CONFLICT(thread_id, user_id)"
                    " DO UPDATE SET state = excluded.state, at = excluded.at, statement = excluded.statement",
                    (t, uid(con, bob.user_id()), int(time.time() * 1000), st))
    bob.run("send", tid, "only alice may read this")
    out = demo.run("read", tid).stdout
    check("only alice may read this" not in out, f"the app read bob's message on a forged consent: {out[:400]}")
