"""The transparency log (issue 9, docs/transparency.md): checkpoints and proofs checked with an independent
RFC 9162 implementation (tests/vectors/rfc9162.py, Python standard library) and an independent C2SP note
verifier; the person's access-log lines proven; and the server as a liar — a rewritten access-log line, a
deleted entry, a truncated log, an identity key published without an entry, a change to an account its
devices did not make, a fork shown to one client, and a split view against two witnesses — each caught by
the postern CLI with its words."""
import base64
import fcntl
import glob
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import types

import harness as H
import mitm
import t20_cli as C
import t23_malicious as M
from harness import check, eq

sys.path.insert(0, os.path.join(H.ROOT, "tests", "vectors"))
import rfc9162  # noqa: E402
import gen_merkle_vectors as N  # noqa: E402  (an independent C2SP note signer/verifier, pure Python)

REFUSED = 3
WITNESS = os.path.join(os.path.dirname(H.BIN), "postern-witness")


def unb64url(t):
    return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))


def log_key_of(s):
    """The log's signing key from the server's data directory: (name, seed)."""
    with open(os.path.join(s.data_dir, "log.key")) as f:
        _, _, name, _, blob = f.read().strip().split("+", 4)
    raw = base64.b64decode(blob)
    check(raw[0] == 1 and len(raw) == 33, "an Ed25519 signer key")
    return name, raw[1:]


def checkpoint(s):
    cp = s.req("GET", "/v1/log/checkpoint").json
    body, _, sigs = cp["checkpoint"].partition("\n\n")
    origin, size, root = body.split("\n")[:3]
    return cp, origin, int(size), base64.b64decode(root)


def some_people(s, n=3):
    ps = M.people(s, *[f"p{i}" for i in range(n)])
    for a, b in zip(ps, ps[1:]):
        a.run("send", b.name, "hello")
    return ps


def test_checkpoint_and_proofs_verify_independently():
    s = H.server()
    some_people(s)
    cp, origin, size, root = checkpoint(s)
    name, seed = log_key_of(s)
    eq(origin, name, "the checkpoint's origin is the log key's name")
    check(N.open_note(cp["checkpoint"], name, 1, N.ed25519_public(seed)), "the checkpoint's signature, checked by the independent verifier")
    leaves = []
    while len(leaves) < size:
        page = s.req("GET", f"/v1/log/leaves?start={len(leaves)}&end={size}").json["leaves"]
        check(page, "leaves keep coming")
        leaves += [unb64url(x) for x in page]
    tree = rfc9162.Tree(leaves)
    eq(tree.root(size), root, "the independent tree's root over the leaves")
    for i in range(size):
        p = s.req("GET", f"/v1/log/proof/inclusion?size={size}&index={i}").json
        proof = [unb64url(x) for x in p["proof"]]
        check(rfc9162.verify_inclusion(i, size, rfc9162.leaf_hash(leaves[i]), proof, root), f"inclusion of {i}")
        if proof:
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
            check(not rfc9162.verify_inclusion(i, size, rfc9162.leaf_hash(leaves[i]), bad, root), "a flipped bit is refused")
    for first in range(1, size):
        p = s.req("GET", f"/v1/log/proof/consistency?first={first}&second={size}").json
        proof = [unb64url(x) for x in p["proof"]]
        check(rfc9162.verify_consistency(first, size, tree.root(first), root, proof), f"consistency {first} -> {size}")
    H.expect_error(s.req("GET", f"/v1/log/proof/consistency?first={size + 1}&second={size + 1}"), 400, "invalid_field")


def test_access_log_lines_are_proven_and_a_rewritten_one_is_not():
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    out = alice.run("access-log").stdout
    lines = [ln for ln in out.splitlines() if "[" in ln and "log]" in ln]
    check(lines and all("[in the log]" in ln for ln in lines), f"every line proven: {out!r}")
    # ending the grant writes a line too (partner_grant_end): it is logged like the others
    grants = json.loads(alice.run("--json", "apps").stdout)
    gid = [g for g in (grants.get("grants") if isinstance(grants, dict) else grants) if g.get("active")][0]["grant_id"]
    alice.run("apps", "revoke", gid)
    out = alice.run("access-log").stdout
    lines = [ln for ln in out.splitlines() if "[" in ln and "log]" in ln]
    check(any("grant.revoked" in ln for ln in lines) and all("[in the log]" in ln for ln in lines),
          f"every line proven after the revocation: {out!r}")
    with M.db(s) as con:  # the server rewrites what the app did
        con.execute("UPDATE access_log SET action='threads.list' WHERE id=(SELECT MAX(id) FROM access_log WHERE action='shares.send')")
    out = alice.run("access-log").stdout
    check(any("threads.list" in ln and ("[NOT in the transparency log]" in ln or "[REWRITTEN:" in ln) for ln in out.splitlines()),
          f"the rewritten line: {out!r}")


def all_leaves(s, size):
    leaves = []
    while len(leaves) < size:
        page = s.req("GET", f"/v1/log/leaves?start={len(leaves)}&end={size}").json["leaves"]
        check(page, "leaves keep coming")
        leaves += [unb64url(x) for x in page]
    return leaves


def proof_links(page):
    """(index, size) of each inclusion-proof link of a page, in order."""
    return [(int(i), int(n)) for i, n in re.findall(r'href="/v1/log/proof/inclusion\?index=(\d+)&amp;size=(\d+)"', page)]


def check_links(s, links, what):
    """Each link's proof verifies with the independent RFC 9162 code against the tree of its size."""
    check(links, f"{what}: links to proofs")
    size = links[0][1]
    tree = rfc9162.Tree(all_leaves(s, size))
    for i, n in links:
        eq(n, size, "one size for the page")
        p = s.req("GET", f"/v1/log/proof/inclusion?index={i}&size={n}").json
        check(rfc9162.verify_inclusion(i, n, rfc9162.leaf_hash(unb64url(p["leaf"])), [unb64url(x) for x in p["proof"]], tree.root(n)),
              f"{what}: the proof of #{i}")
    return tree


def log_rows(page):
    """The lines of the access-log page: the items of its <ol class="log">."""
    i = page.find('<ol class="log">')
    check(i >= 0, "the access-log page has no list of lines")
    return page[i:page.index("</ol>", i)].split("<li>")[1:]


def test_pages_show_each_line_and_authorisation_in_the_log():
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    b = H.Browser(s)
    b.login(types.SimpleNamespace(username=alice.name, password=alice.password))
    page = b.get("/account/access-log").raw.decode()
    rows = log_rows(page)
    check(rows and all(len(proof_links(r)) == 1 for r in rows), f"each access-log row links to its proof: {page[:3000]!r}")
    check_links(s, proof_links(page), "access-log page")
    with M.db(s) as con:  # the server rewrites what the app did: the page itself must say the line is not in the log
        con.execute("UPDATE access_log SET action='threads.list' WHERE id=(SELECT MAX(id) FROM access_log WHERE action='shares.send')")
    page = b.get("/account/access-log").raw.decode()
    bad = [r for r in log_rows(page) if "not in the log" in r]
    check(len(bad) == 1 and "Listed its conversations" in bad[0], f"the rewritten row, and it alone: {bad!r}")
    # the connected-apps page: the app's device, authorised by alice's identity, with the place of that statement
    page = b.get("/account/apps").raw.decode()
    links = proof_links(page)
    eq(len(links), 1, f"one authorisation on the apps page: {page[:3000]!r}")
    tree = check_links(s, links, "apps page")
    with M.db(s) as con:
        stmt = con.execute("SELECT d.app_auth FROM devices d JOIN users u ON u.id = d.user_id WHERE u.public_id = ? "
                           "AND d.grant_id <> 0 AND d.app_auth IS NOT NULL", (alice.user_id(),)).fetchall()
    eq(len(stmt), 1, "alice authorised one app device")
    stmt = stmt[0][0]
    leaf = tree.leaves[links[0][0]]
    eq(leaf[1], 1, "a KEY leaf")
    eq(leaf[42], 0x40, "of an APP_AUTH statement")
    eq(leaf[43:], hashlib.blake2b(bytes(stmt), digest_size=32).digest(), "the hash of the authorisation the server keeps")


def test_grants_are_logged_and_a_hidden_one_raises_an_alarm():
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    time.sleep(1.1)  # the next checkpoint counts the grant
    out = alice.run("apps").stdout
    rows = [ln for ln in out.splitlines() if ln.startswith("g_")]
    check(rows and all(ln.endswith("[in the log]") for ln in rows), f"the grant proven: {out!r}")
    # the grant's leaf is under alice's label, with the creation event
    _, _, size, _ = checkpoint(s)
    label = hashlib.blake2b(b"postern-log-user:" + alice.user_id().encode(), digest_size=32).digest()
    grants = [lf for lf in all_leaves(s, size) if lf[1] == 3 and lf[10:42] == label]
    eq([lf[42] for lf in grants], [1], "one GRANT leaf, created, under alice's label")
    out = alice.run("log", "verify").stdout
    check("Every change to your account in the log was made by your devices" in out, f"a quiet log: {out!r}")
    # a second grant the server makes for the app and hides from alice's list: in the log, so her client tells her
    import t21_partner_demo as D
    port = D.free_port()
    app2 = H.create_app(s, "Hidden", redirect_uris=f"http://127.0.0.1:{port}/cb")
    D.authorize(s, D.Demo(s, app2), alice, port)
    with M.db(s) as con:
        con.execute("UPDATE grants SET user_id = (SELECT id FROM users WHERE public_id = ?) WHERE app_id = "
                    "(SELECT id FROM apps WHERE client_id = ?)", (bob.user_id(), app2.client_id))
    time.sleep(1.1)
    p = alice.run("log", "verify", check_ok=False)
    eq(p.returncode, REFUSED, f"log verify with a hidden grant: {p.stdout!r} {p.stderr!r}")
    check("an app connection the server does not show you" in p.stdout, f"the words: {p.stdout!r}")
    # and a grant the server lists but never logged is marked so
    with M.db(s) as con:
        con.execute("UPDATE grants SET scopes = scopes || ' messages:read' WHERE app_id = (SELECT id FROM apps WHERE client_id = ?)",
                    (app.client_id,))
    out = alice.run("apps").stdout
    check(any(ln.startswith("g_") and ln.endswith("[NOT in the transparency log]") for ln in out.splitlines()),
          f"a grant whose scopes the server widened: {out!r}")


class WitnessServer:
    """postern-witness serve on a free port (stopped on exit)."""

    def __init__(self, log_key, key_path, state):
        self.p = subprocess.Popen([WITNESS, "serve", "--log-key", log_key, "--key", key_path, "--state", state, "--port", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        check(line.startswith("listening on 127.0.0.1:"), f"postern-witness serve: {line!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def add(self, body):
        """POST /add-checkpoint: (status, content type, text)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/add-checkpoint", body=body.encode())
        r = c.getresponse()
        out = (r.status, r.getheader("Content-Type"), r.read().decode())
        c.close()
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        self.p.wait(timeout=30)


def std_b64(t):
    return base64.b64encode(unb64url(t)).decode()


def test_tlog_witness_protocol():
    """postern-witness serve answers c2sp.org/tlog-witness add-checkpoint, status by status."""
    s = H.server()
    some_people(s, 2)
    wdir = tempfile.mkdtemp(prefix="postern-witness-serve-")
    H._tmpdirs.append(wdir)
    r = subprocess.run([WITNESS, "keygen", "witness.example/w1"], capture_output=True, text=True, check=True)
    key_path, state = os.path.join(wdir, "w1.key"), os.path.join(wdir, "w1.state")
    with open(key_path, "w") as f:
        f.write(r.stdout)
    wpk = base64.b64decode(r.stderr.strip().split("+", 2)[2])
    eq(wpk[0], N.ALG_COSIGNATURE_V1, "a cosigner key")
    log_key = s.req("GET", "/v1/log/checkpoint").json["log_key"]
    time.sleep(1.1)
    cp1, origin, n1, _ = checkpoint(s)
    with WitnessServer(log_key, key_path, state) as w:
        eq(w.add("hello\n")[0], 400, "a body without the old size line")
        eq(w.add(f"old {n1 + 1}\n\n" + cp1["checkpoint"])[0], 400, "an old size above the checkpoint's")
        eq(w.add("old 01\n\n" + cp1["checkpoint"])[0], 400, "a leading zero")
        other = cp1["checkpoint"].replace(origin + "\n", "other.example/log\n", 1)
        eq(w.add("old 0\n\n" + other)[0], 404, "another log's checkpoint")
        name, seed = log_key_of(s)
        body = cp1["checkpoint"].split("\n\n")[0] + "\n"
        forged = body + "\n" + N.sign_line(name, 1, os.urandom(32), body)
        eq(w.add("old 0\n\n" + forged)[0], 403, "a checkpoint signed by another key of the same name")
        # the first checkpoint: from 0, no proof
        st, ctype, text = w.add("old 0\n\n" + cp1["checkpoint"])
        eq(st, 200, f"the first checkpoint: {text!r}")
        check(text.startswith("\u2014 witness.example/w1 ") and text.endswith("\n"), f"one cosignature line: {text!r}")
        _, ts = N.open_note(cp1["checkpoint"] + text, "witness.example/w1", N.ALG_COSIGNATURE_V1, wpk[1:])
        check(abs(ts - time.time()) < 300, "the cosignature's time is now")
        st, ctype, text = w.add("old 0\n\n" + cp1["checkpoint"])
        eq((st, ctype, text), (409, "text/x.tlog.size", f"{n1}\n"), "a stale old size answers the size held")
        # the log grows: a consistency proof from what the witness holds
        some_people(s, 2)
        time.sleep(1.1)
        cp2, _, n2, _ = checkpoint(s)
        proof = [std_b64(x) for x in s.req("GET", f"/v1/log/proof/consistency?first={n1}&second={n2}").json["proof"]]
        bad = [base64.b64encode(bytes([base64.b64decode(proof[0])[0] ^ 1]) + base64.b64decode(proof[0])[1:]).decode()] + proof[1:]
        eq(w.add(f"old {n1}\n" + "".join(x + "\n" for x in bad) + "\n" + cp2["checkpoint"])[0], 422, "a proof with a flipped bit")
        eq(w.add(f"old {n1}\n" + "".join(x + "\n" for x in proof) + "{}\n\n".format("AAAA") + cp2["checkpoint"])[0], 400,
           "a proof line that is not a hash")
        st, _, text = w.add(f"old {n1}\n" + "".join(x + "\n" for x in proof) + "\n" + cp2["checkpoint"])
        eq(st, 200, f"the grown log: {text!r}")
        N.open_note(cp2["checkpoint"] + text, "witness.example/w1", N.ALG_COSIGNATURE_V1, wpk[1:])
        # a fork of the same size, signed by the real log key: refused, and the witness says why
        fork = forged_checkpoint(s, size_delta=0)
        st, _, text = w.add(f"old {n2}\n\n" + fork)
        check(st == 409 and "INCONSISTENT" in text, f"a second tree of the same size: {st} {text!r}")
    # what it co-signed survives a restart; and a decision waits for the state's lock (another witness process)
    with WitnessServer(log_key, key_path, state) as w:
        with open(state + ".lock", "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            got = []
            t = threading.Thread(target=lambda: got.append(w.add("old 0\n\n" + cp1["checkpoint"])))
            t.start()
            t.join(1.5)
            check(t.is_alive() and not got, "no answer while another process holds the witness's lock")
            fcntl.flock(lk, fcntl.LOCK_UN)
            t.join(30)
        eq(got and got[0][2], f"{n2}\n", "the held size after a restart, once the lock is free")


def append_leaf(con, leaf):
    """Append one leaf to the server's log the way the server would (subtree hashes too): the log stays
    consistent, so only the leaf's shape can give the forgery away."""
    n = con.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM tlog_leaves").fetchone()[0]
    h = hashlib.sha256(b"\x00" + leaf).digest()
    con.execute("INSERT INTO tlog_leaves(idx, leaf, entry, at) VALUES(?,?,?,?)", (n, leaf, leaf[-32:], int(time.time() * 1000)))
    con.execute("INSERT INTO tlog_nodes(level, idx, hash) VALUES(0,?,?)", (n, h))
    level = 1
    while (n + 1) % (1 << level) == 0:
        idx = ((n + 1) >> level) - 1
        left = con.execute("SELECT hash FROM tlog_nodes WHERE level=? AND idx=?", (level - 1, 2 * idx)).fetchone()[0]
        h = hashlib.sha256(b"\x01" + left + h).digest()
        con.execute("INSERT INTO tlog_nodes(level, idx, hash) VALUES(?,?,?)", (level, idx, h))
        level += 1
    return n


def label_of(user_id):
    return hashlib.blake2b(b"postern-log-user:" + user_id.encode(), digest_size=32).digest()


def now_bytes():
    return int(time.time() * 1000).to_bytes(8, "big")


def test_a_key_logged_in_a_leaf_of_another_shape_proves_nothing():
    """A forged identity whose hash the server puts in the log, but not where the owner's monitor looks: as
    another statement type under the owner's label, as an access line, under another account's label."""
    s = H.server()
    bob, carol, dave = M.people(s, "bob", "carol", "dave")
    carol.run("send", bob.name, "hello bob")  # carol pins bob's real key
    bob.run("log", "verify")  # bob's device watches the log from here on
    shapes = {
        "another statement type under bob's label": lambda e: b"\x01\x01" + now_bytes() + label_of(bob.user_id()) + bytes([0x42]) + e,
        "an access line": lambda e: b"\x01\x02" + now_bytes() + e,
        "another account's label": lambda e: b"\x01\x01" + now_bytes() + label_of(carol.user_id()) + bytes([0x01]) + e,
    }
    for what, shape in shapes.items():
        M.forge_identity(s, bob)
        with M.db(s) as con:
            stmt = bytes(con.execute("SELECT statement FROM identities WHERE user_id=?", (M.uid(con, bob.user_id()),)).fetchone()[0])
            append_leaf(con, shape(hashlib.blake2b(stmt, digest_size=32).digest()))
        time.sleep(1.1)
        # dave has never seen bob: a first contact takes a key only once the log holds it as bob's identity
        p = dave.run("send", bob.name, "to whom?", check_ok=False)
        eq(p.returncode, REFUSED, f"{what}: dave sends to the forged key: {p.stdout!r} {p.stderr!r}")
        check("only as an entry of another kind or another account" in p.stderr, f"{what}: the words: {p.stderr!r}")
    # a malformed leaf under bob's label is itself an alarm for bob
    with M.db(s) as con:
        append_leaf(con, b"\x01\x02" + now_bytes() + label_of(bob.user_id()))
    time.sleep(1.1)
    p = bob.run("log", "verify", check_ok=False)
    eq(p.returncode, REFUSED, f"bob's monitor: {p.stdout!r}")
    check("a malformed entry under your account" in p.stdout, f"the words: {p.stdout!r}")


def test_an_alarm_stays_until_acknowledged():
    s = H.server()
    alice, bob = M.people(s, "alice", "bob")
    alice.run("log", "verify")
    home_log = os.path.join(alice.home, "log.json")
    fake = M.P.SignKey(os.urandom(32))
    tok = s.req("POST", "/v1/sessions", {"username": alice.name, "password": alice.password}).json["token"]
    stmt = M.P.statement(M.T_IDENTITY, M.P.st_identity(alice.user_id(), alice.name, fake.pk, int(time.time() * 1000)), fake)
    backup = subprocess.run([os.path.join(os.path.dirname(H.BIN), "tools", "stmt"), "backup", M.b64(fake.seed), alice.user_id()],
                            capture_output=True, text=True, check=True)
    r = s.req("PUT", "/v1/me/identity", {"statement": M.b64(stmt), "backup": backup.stdout.strip(), "reset": True}, token=tok)
    check(r.status in (200, 201), f"the reset: {r.status}")
    time.sleep(1.1)
    # a sync finds it (watch monitors the log, at most once a minute: make that minute past)
    state = json.load(open(home_log))
    state["monitored_at"] = 0
    json.dump(state, open(home_log, "w"))
    p = alice.run("watch", "--max-seconds", "2", check_ok=False)
    check("WARNING: the transparency log holds 1 change to your account" in p.stderr, f"watch: {p.stderr!r}")
    p = alice.run("inbox", check_ok=False)
    check("run `postern log verify`" in p.stderr, f"every command repeats it: {p.stderr!r}")
    for _ in range(2):
        p = alice.run("log", "verify", check_ok=False)
        eq(p.returncode, REFUSED, f"log verify still shows it: {p.stdout!r}")
        check("an identity key" in p.stdout and "(0 found now" in p.stdout, f"the words: {p.stdout!r}")
    p = alice.run("log", "ack")
    check("1 alarm acknowledged" in p.stdout, f"ack: {p.stdout!r}")
    p = alice.run("log", "verify", check_ok=False)
    eq(p.returncode, 0, f"after the acknowledgement: {p.stdout!r}")
    check("WARNING" not in alice.run("inbox").stderr, "no more warnings")


def test_an_access_line_rewritten_and_logged_again_is_caught():
    """The server holds the person's log key, so it can log a rewritten line anew; the new leaf comes after
    the leaves of newer lines, and the client says so."""
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    demo.run("friends", check_ok=False)  # a newer line, logged before the rewrite below
    entries = json.loads(alice.run("--json", "access-log").stdout)["entries"]
    line = [e for e in entries if e.get("action") == "shares.send"][-1]
    with M.db(s) as con:
        row = con.execute("SELECT id, at FROM access_log WHERE action='shares.send' ORDER BY id DESC LIMIT 1").fetchone()
        key = bytes(con.execute("SELECT log_key FROM users WHERE public_id=?", (alice.user_id(),)).fetchone()[0])
        con.execute("UPDATE access_log SET action='threads.list' WHERE id=?", (row[0],))
        canon = "postern-access-v2\n%d\n%d\n%s\n%s\n%s\n%s\n%d\n" % (line["seq"], row[1], line.get("grant_id") or "-", "threads.list",
                                                                          line.get("thread_id") or "-", line.get("message_id") or "-",
                                                                          line.get("count") or 0)
        append_leaf(con, b"\x01\x02" + row[1].to_bytes(8, "big") + hashlib.blake2b(canon.encode(), digest_size=32, key=key).digest())
    time.sleep(1.1)
    out = alice.run("access-log").stdout
    bad = [ln for ln in out.splitlines() if "threads.list" in ln and "t_" in ln]
    check(bad and all("[REWRITTEN: changed since this device showed it" in ln for ln in bad), f"the rewritten line: {out!r}")
    # a device that had not seen the original (its memory of the lines cleared) still sees the new leaf out of order
    state = json.load(open(os.path.join(alice.home, "log.json")))
    state.pop("access_seen", None)
    state.pop("access_highest", None)
    json.dump(state, open(os.path.join(alice.home, "log.json"), "w"))
    out = alice.run("access-log").stdout
    bad = [ln for ln in out.splitlines() if "threads.list" in ln and "t_" in ln]
    check(bad and all("[REWRITTEN: logged after newer lines" in ln for ln in bad), f"the rewritten line, not seen before: {out!r}")


def test_dropped_access_lines_are_caught():
    """Each person's lines are numbered in their commitments: a line taken out of the middle leaves a gap, and
    the newest lines a device was shown cannot disappear unnoticed."""
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    entries = json.loads(alice.run("--json", "access-log").stdout)["entries"]
    seqs = [e["seq"] for e in entries]
    eq(seqs, list(range(len(seqs), 0, -1)), "the lines are numbered from 1, newest first")
    with M.db(s) as con:  # a line from the middle goes
        con.execute("DELETE FROM access_log WHERE seq = ? AND user_id = (SELECT id FROM users WHERE public_id = ?)",
                    (seqs[len(seqs) // 2], alice.user_id()))
    out = alice.run("access-log").stdout
    check("[1 line missing here: dropped from what the server shows]" in out, f"the gap: {out!r}")
    with M.db(s) as con:  # and the newest
        con.execute("DELETE FROM access_log WHERE seq = ? AND user_id = (SELECT id FROM users WHERE public_id = ?)",
                    (seqs[0], alice.user_id()))
    p = alice.run("access-log", check_ok=False)
    eq(p.returncode, REFUSED, f"the newest line gone: {p.stdout!r} {p.stderr!r}")
    check("the newest 1 line this device was shown before is gone" in p.stderr, f"the words: {p.stderr!r}")


def test_an_app_authorisation_the_log_does_not_hold_opens_nothing():
    """The server shows an app device with a real authorisation of alice's that it removed from the log's
    view: friends must not encrypt to it."""
    s = H.server()
    alice, bob, demo, app, tid = M.app_story(s)
    bob.run("consent", tid, "accept")
    with M.db(s) as con:  # the log forgets the authorisation (the leaf's entry no longer matches)
        stmt = con.execute("SELECT d.app_auth FROM devices d JOIN users u ON u.id = d.user_id WHERE u.public_id = ? "
                           "AND d.grant_id <> 0 AND d.app_auth IS NOT NULL", (alice.user_id(),)).fetchone()[0]
        e = hashlib.blake2b(bytes(stmt), digest_size=32).digest()
        con.execute("UPDATE tlog_leaves SET entry = ? WHERE entry = ?", (os.urandom(32), e))
    # bob's device forgets what it proved (as a device that never saw the authorisation would be)
    bob_log = os.path.join(bob.home, "log.json")
    state = json.load(open(bob_log))
    state.pop("proven", None)
    json.dump(state, open(bob_log, "w"))
    bob.run("send", tid, "for alice only", check_ok=False)
    text = demo.run("read", tid, check_ok=False).stdout
    check("for alice only" not in text, f"the app reads what bob sent after its authorisation left the log: {text!r}")


def prefix_checkpoint(s, size):
    """The checkpoint a server that cut its log to size leaves would sign: the honest root of that prefix."""
    name, seed = log_key_of(s)
    leaves = [unb64url(x) for x in s.req("GET", f"/v1/log/leaves?start=0&end={size}").json["leaves"]]
    body = N.checkpoint_body(name, size, rfc9162.Tree(leaves).root(size))
    return body + "\n" + N.sign_line(name, 1, seed, body)


def serving(note):
    def rewrite(method, path, status, body):
        if path.startswith("/v1/log/checkpoint") and isinstance(body, dict):
            body["checkpoint"] = note
            body.pop("cosigned_checkpoint", None)  # (the other history has no witnessed checkpoint to offer)
        return body
    return rewrite


def test_truncated_log_is_caught():
    with H.Server() as s:  # a private server: this test's tampering must not reach the others
        alice, bob = M.people(s, "alice", "bob")
        alice.run("log", "verify")
        size = checkpoint(s)[2]
        with mitm.Mitm(s.port, serving(prefix_checkpoint(s, size - 2))) as m:  # the log cut by two entries, re-signed
            p = alice.run("log", "verify", check_ok=False, port=m.port)
        eq(p.returncode, REFUSED, f"log verify on a cut log: {p.stderr!r}")
        check(f"is shorter ({size - 2} entries) than when this device last looked ({size})" in p.stderr, f"the words: {p.stderr!r}")
        check(glob.glob(os.path.join(alice.home, "log-evidence-*.json")), "the evidence is kept")


def test_deleted_entry_is_caught():
    with H.Server() as s:
        alice, bob, carol = M.people(s, "alice", "bob", "carol")
        bob.run("log", "verify")  # bob has accepted a checkpoint that counts every entry so far
        with M.db(s) as con:  # then an entry in the middle quietly goes
            size = con.execute("SELECT MAX(idx) + 1 FROM tlog_leaves").fetchone()[0]
            con.execute("DELETE FROM tlog_leaves WHERE idx = ?", (size // 2,))
        laptop = tempfile.mkdtemp(prefix="postern-cli-laptop-")
        H._tmpdirs.append(laptop)
        bob.add_device(laptop)  # bob's new device audits the log from its start
        p = bob.run("log", "verify", check_ok=False, home=laptop)
        eq(p.returncode, REFUSED, f"log verify with an entry gone: {p.stderr!r}")
        check("cannot hand out every entry its checkpoint counts" in p.stderr, f"the words: {p.stderr!r}")


def test_identity_without_an_entry_is_refused():
    s = H.server()  # (the forged identity is kept out of the log, not put in it: the shared log stays sound)
    alice, bob, carol = M.people(s, "alice", "bob", "carol")
    M.forge_identity(s, bob)  # carol has never talked to bob: on first contact she would pin it, but it is not in the log
    p = carol.run("send", bob.name, "hi bob", check_ok=False)
    eq(p.returncode, REFUSED, f"carol's first message to bob: {p.stderr!r}")
    check("identity key is not in the server's transparency log" in p.stderr, f"the words: {p.stderr!r}")


def test_change_to_the_account_that_no_device_made_raises_an_alarm():
    s = H.server()  # (the change is a real, logged API call: the shared log stays sound)
    alice, bob = M.people(s, "alice", "bob")
    out = alice.run("log", "verify").stdout
    check("Every change to your account in the log was made by your devices" in out, f"a quiet log: {out!r}")
    # someone with alice's password and the server's help resets her identity: the change is in the log, under her label
    fake = M.P.SignKey(os.urandom(32))
    tok = s.req("POST", "/v1/sessions", {"username": alice.name, "password": alice.password}).json["token"]
    stmt = M.P.statement(M.T_IDENTITY, M.P.st_identity(alice.user_id(), alice.name, fake.pk, int(time.time() * 1000)), fake)
    backup = subprocess.run([os.path.join(os.path.dirname(H.BIN), "tools", "stmt"), "backup", M.b64(fake.seed), alice.user_id()],
                            capture_output=True, text=True)
    check(backup.returncode == 0, f"stmt backup: {backup.stderr!r}")
    body = {"statement": M.b64(stmt), "backup": backup.stdout.strip(), "reset": True}
    r = s.req("PUT", "/v1/me/identity", body, token=tok)
    check(r.status in (200, 201), f"the reset through the API: {r.status} {r.raw[:200]!r}")
    time.sleep(1.1)  # the next checkpoint counts it
    p = alice.run("log", "verify", check_ok=False)
    eq(p.returncode, REFUSED, f"log verify after the reset: {p.stdout!r} {p.stderr!r}")
    check("none of your devices made" in p.stdout and "an identity key" in p.stdout, f"the words: {p.stdout!r}")


def forged_checkpoint(s, size_delta=1):
    """A checkpoint signed by the real log key over a root the server's log does not have: a fork."""
    name, seed = log_key_of(s)
    _, origin, size, root = checkpoint(s)
    fake_root = bytes([root[0] ^ 0x55]) + root[1:]
    body = N.checkpoint_body(origin, size + size_delta, fake_root)
    return body + "\n" + N.sign_line(name, 1, seed, body)


def test_fork_shown_to_one_client_is_caught():
    s = H.server()
    alice, bob = M.people(s, "alice", "bob")
    bob.run("log", "verify")  # bob accepts the real history
    note = forged_checkpoint(s)
    with mitm.Mitm(s.port, serving(note)) as m:
        p = bob.run("log", "verify", check_ok=False, port=m.port)
    eq(p.returncode, REFUSED, f"bob against a forked checkpoint: {p.stderr!r}")
    check("does not continue the history this device saw before" in p.stderr, f"the words: {p.stderr!r}")
    ev = glob.glob(os.path.join(bob.home, "log-evidence-*.json"))
    check(ev and json.load(open(ev[0]))["new_checkpoint"] == note, "the forked checkpoint is kept as evidence")


def test_split_view_is_caught_by_two_witnesses():
    wdir = tempfile.mkdtemp(prefix="postern-witnesses-")
    H._tmpdirs.append(wdir)
    verifiers = []
    for w in ("w1", "w2"):
        r = subprocess.run([WITNESS, "keygen", f"witness-{w}.example"], capture_output=True, text=True, check=True)
        with open(os.path.join(wdir, f"{w}.key"), "w") as f:
            f.write(r.stdout)
        verifiers.append(r.stderr.strip())
    keys = os.path.join(wdir, "witnesses")
    with open(keys, "w") as f:
        f.write("\n".join(verifiers) + "\n")
    with H.Server([f"--log-witnesses={keys}"]) as s:
        alice, bob = M.people(s, "alice", "bob")
        log_key = s.req("GET", "/v1/log/checkpoint").json["log_key"]
        time.sleep(1.1)
        for w in ("w1", "w2"):
            r = subprocess.run([WITNESS, "run", "--log", f"http://127.0.0.1:{s.port}", "--log-key", log_key, "--key",
                                os.path.join(wdir, f"{w}.key"), "--state", os.path.join(wdir, f"{w}.state"), "--once"],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0 and "co-signed" in r.stdout, f"witness {w}: {r.stdout!r} {r.stderr!r}")
        env = dict(os.environ, POSTERN_PASSWORD=bob.password, POSTERN_LOG_WITNESSES=keys)

        def bob_verify(port):
            return subprocess.run([C.CLI, "--server", f"http://127.0.0.1:{port}", "--home", bob.home, "log", "verify"],
                                  capture_output=True, text=True, timeout=60, env=env)
        p = bob_verify(s.port)
        check(p.returncode == 0, f"bob with both witnesses on the real log: {p.stdout!r} {p.stderr!r}")
        # the log grows before the witnesses' next round: the newest they co-signed still serves
        M.people(s, "carol")
        time.sleep(1.1)
        cp = s.req("GET", "/v1/log/checkpoint").json
        check(cp["cosigned_checkpoint"] and cp["cosigned_checkpoint"] != cp["checkpoint"], f"two checkpoints: {cp}")
        p = bob_verify(s.port)
        check(p.returncode == 0, f"bob while the newest checkpoint waits for the witnesses: {p.stdout!r} {p.stderr!r}")
        note = forged_checkpoint(s, size_delta=0)
        split = serving(note)
        with mitm.Mitm(s.port, split) as m:
            p = bob_verify(m.port)
        eq(p.returncode, REFUSED, f"bob shown another history: {p.stderr!r}")
        check("carries 0 recent cosignatures of your witnesses, 2 required" in p.stderr, f"the words: {p.stderr!r}")
        # and a witness shown the other history refuses to co-sign it
        with mitm.Mitm(s.port, split) as m:
            r = subprocess.run([WITNESS, "run", "--log", f"http://127.0.0.1:{m.port}", "--log-key", log_key, "--key",
                                os.path.join(wdir, "w1.key"), "--state", os.path.join(wdir, "w1.state"), "--once"],
                               capture_output=True, text=True, timeout=60)
        check(r.returncode == 3 and "INCONSISTENT" in r.stderr, f"the witness and the other history: {r.returncode} {r.stderr!r}")
        # the server keeps cosignatures of its configured witnesses only, and only ones that verify
        r = subprocess.run([WITNESS, "keygen", "witness-w3.example"], capture_output=True, text=True, check=True)
        with open(os.path.join(wdir, "w3.key"), "w") as f:
            f.write(r.stdout)
        r = subprocess.run([WITNESS, "run", "--log", f"http://127.0.0.1:{s.port}", "--log-key", log_key, "--key",
                            os.path.join(wdir, "w3.key"), "--state", os.path.join(wdir, "w3.state"), "--once"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "with any witness key this server knows" in r.stderr,
              f"a witness the server does not know: {r.returncode} {r.stderr!r}")
        size = s.req("GET", "/v1/log/checkpoint").json["size"]
        H.expect_error(s.req("POST", "/v1/log/cosignatures", {"size": size, "cosignature": "\u2014 witness-w1.example AAAA"}),
                       400, "invalid_key")
        H.expect_error(s.req("POST", "/v1/log/cosignatures", {"size": size + 5, "cosignature": "\u2014 w AAAA"}), 404, "not_found")
        cps = s.req("GET", "/v1/log/checkpoint").json["cosigned_checkpoint"]
        eq(sum(1 for l in cps.split("\n\n", 1)[1].splitlines() if l.startswith("\u2014 witness-")), 2,
           f"only the two configured witnesses' cosignatures are served: {cps!r}")
