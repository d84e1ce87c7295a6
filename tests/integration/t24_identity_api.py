"""Identity keys, signed devices, membership chains, prekeys and signed app authorisations (protocol version 2):
docs/api.md "Identity keys and signed devices", "Prekeys", the `link` parts of "Threads", and docs/partner.md
"Signed by the person, not listed by the server".

The server keeps what clients sign and checks each statement's shape and signature before it keeps it. The
statements here are made by tests/tools/stmt (the protocol module's own signing code); a refused one is made
valid and then changed in exactly one way.
"""
import json
import os

import harness as H
from harness import check, eq, expect_error, expect_keys, expect_status, expect_ts, stmt

IDENTITY_KEYS = ["user_id", "username", "id_pk", "statement", "created_at"]
DEVICE_KEYS = ["device_id", "user_id", "name", "sign_pk", "box_pk", "created_at", "reg_sig", "cert"]


def keygen():
    return json.loads(stmt("keygen"))


def identity_body(u, keys, **over):
    fields = {"user_id": u.user_id, "username": u.username, "key": keys["pk"]}
    fields.update(over.pop("fields", {}))
    body = {"statement": stmt("sign", over.pop("sk", keys["sk"]), "identity", *[f"{k}={v}" for k, v in fields.items()]),
            "backup": over.pop("backup", None) or stmt("backup", keys["seed"], u.user_id)}
    body.update(over)
    return body


def events(s, u, since=None):
    evs, cur = s.sync_all(u, since=since)
    return evs, cur


def second_device(s, u, name="phone"):
    """A new login of u with a device of its own: (token, device)."""
    tok = s.login(u)
    return tok, s.new_device(u, name=name, token=tok)


def revoke_stmt(u, dev, **over):
    f = {"device_id": dev["device_id"], "key": dev["sign_pk"]}
    f.update(over)
    return stmt("sign", u.identity["sk"], "revoke", *[f"{k}={v}" for k, v in f.items()])


def prekey(dev, key_id, kind=1, sk=None, **over):
    """A PREKEY statement of dev (kind 1 one-time, 2 signed), signed by dev's key unless sk is given."""
    f = {"device_id": dev["device_id"], "op": kind, "key_id": key_id, "key": H.b64(os.urandom(32))}
    f.update(over)
    return stmt("sign", sk or dev["sign_sk"], "prekey", *[f"{k}={v}" for k, v in f.items()])


# ---- the identity key ----

def test_identity_publish_replace_and_reset():
    s = H.server()
    a, b = s.new_user("ida"), s.new_user("idb")
    s.befriend(a, b)
    s.new_device(a)
    k1 = keygen()
    r = s.req("PUT", "/v1/me/identity", identity_body(a, k1), token=a.token)
    expect_status(r, 201, "first identity")
    expect_keys(r.json, IDENTITY_KEYS, "identity")
    eq((r.json["user_id"], r.json["username"], r.json["id_pk"]), (a.user_id, a.username, k1["pk"]), "identity fields")
    expect_ts(r.json["created_at"], "created_at")
    created = r.json["created_at"]
    a.identity = k1
    lst = s.req("GET", "/v1/devices", token=a.token).json
    eq(lst["identity"], r.json, "GET /v1/devices carries the identity")
    eq(s.req("GET", f"/v1/users/{a.user_id}/devices", token=b.token).json["identity"], r.json, "a friend sees it too")
    # the same key again: a new backup (a new recovery key), same identity
    nb = stmt("backup", k1["seed"], a.user_id)
    r = s.req("PUT", "/v1/me/identity", identity_body(a, k1, backup=nb), token=a.token)
    expect_status(r, 200, "the same key again")
    eq((r.json["id_pk"], r.json["created_at"]), (k1["pk"], created), "same identity, same created_at")
    eq(s.req("GET", "/v1/me/identity/backup", token=a.token).json, {"backup": nb}, "the new backup replaced the old")
    # another key: refused unless reset, which drops every certificate of the account
    s.certify(a, a.device)
    check(s.req("GET", "/v1/devices", token=a.token).json["devices"][0]["cert"], "the device has a certificate")
    _, since = events(s, b)
    k2 = keygen()
    expect_error(s.req("PUT", "/v1/me/identity", identity_body(a, k2), token=a.token), 409, "conflict", "another key")
    expect_error(s.req("PUT", "/v1/me/identity", identity_body(a, k2, reset=False), token=a.token), 409, "conflict",
                 "another key, reset false")
    eq(s.req("GET", "/v1/devices", token=a.token).json["identity"]["id_pk"], k1["pk"], "nothing changed")
    r = s.req("PUT", "/v1/me/identity", identity_body(a, k2, reset=True), token=a.token)
    expect_status(r, 200, "reset")
    eq(r.json["id_pk"], k2["pk"], "the new key")
    lst = s.req("GET", "/v1/devices", token=a.token).json
    eq(lst["identity"]["id_pk"], k2["pk"], "listed identity after the reset")
    eq([d["cert"] for d in lst["devices"]], [None], "the reset dropped the certificate")
    evs, _ = events(s, b, since)
    ch = [e for e in evs if e["type"] == "identity.changed"]
    eq(len(ch), 1, "the friend hears of the reset once")
    expect_keys(ch[0], ["cursor", "type", "created_at", "user_id", "id_pk"], "identity.changed")
    eq((ch[0]["user_id"], ch[0]["id_pk"]), (a.user_id, k2["pk"]), "identity.changed payload")
    check(any(e["type"] == "identity.changed" for e in events(s, a)[0]), "the account itself hears of it too")


def test_identity_refusals():
    s = H.server()
    a, other = s.new_user("ira"), s.new_user("iro")
    k, k2 = keygen(), keygen()
    bad = {
        "another user id": identity_body(a, k, fields={"user_id": other.user_id}),
        "another username": identity_body(a, k, fields={"username": other.username}),
        "signed by another key": identity_body(a, k, sk=k2["sk"]),
        "a certificate, not an identity": {"statement": stmt("sign", k["sk"], "cert", "device_id=d_x", f"key={k['pk']}",
                                                             f"key2={k['pk']}"),
                                           "backup": stmt("backup", k["seed"], a.user_id)},
        "not base64url": dict(identity_body(a, k), statement="!!"),
        "a backup of another account": identity_body(a, k, backup=stmt("backup", k["seed"], other.user_id)),
        "a backup of another key": identity_body(a, k, backup=stmt("backup", k2["seed"], a.user_id)),
        "a backup that is not one": identity_body(a, k, backup=H.b64(b"\x50\x02\x25" + os.urandom(40))),
        "a backup over 256 bytes": identity_body(a, k, backup=H.b64(os.urandom(257))),
    }
    for what, body in bad.items():
        expect_error(s.req("PUT", "/v1/me/identity", body, token=a.token), 400, "invalid_key", what)
    body = identity_body(a, k)
    flipped = H.unb64(body["statement"])
    flipped = flipped[:-1] + bytes([flipped[-1] ^ 1])
    expect_error(s.req("PUT", "/v1/me/identity", dict(body, statement=H.b64(flipped)), token=a.token), 400,
                 "invalid_key", "a flipped signature bit")
    expect_error(s.req("PUT", "/v1/me/identity", dict(body, reset="yes"), token=a.token), 400, "invalid_field",
                 "reset not a boolean")
    expect_error(s.req("PUT", "/v1/me/identity", {"statement": body["statement"]}, token=a.token), 400,
                 "invalid_field", "no backup")
    eq(s.req("GET", "/v1/devices", token=a.token).json["identity"], None, "nothing stored")
    expect_error(s.req("GET", "/v1/me/identity/backup", token=a.token), 404, "not_found", "no backup yet")


def test_backup_fetch_rate_limit():
    with H.Server(["--backup-fetch-limit=3", "--backup-fetch-window=600"]) as s:
        a, b = s.new_user("bfa"), s.new_user("bfb")
        expect_error(s.req("GET", "/v1/me/identity/backup", token=a.token), 404, "not_found", "before any identity")
        s.publish_identity(a)
        for i in range(2):
            expect_status(s.req("GET", "/v1/me/identity/backup", token=a.token), 200, f"fetch {i + 2}")
        r = s.req("GET", "/v1/me/identity/backup", token=a.token)
        expect_error(r, 429, "rate_limited", "the fourth fetch within the window (the 404 counted too)")
        ra = int(r.header("retry-after") or "0")
        check(0 < ra <= 601, f"Retry-After {r.header('retry-after')!r}")
        expect_error(s.req("GET", "/v1/me/identity/backup", token=s.login(a)), 429, "rate_limited",
                     "another session of the same account")
        s.publish_identity(b)
        expect_status(s.req("GET", "/v1/me/identity/backup", token=b.token), 200, "another account is not limited")


# ---- approving devices ----

def test_device_certificate_and_identity_box():
    s = H.server()
    a, b = s.new_user("dca"), s.new_user("dcb")
    s.befriend(a, b)
    s.new_device(a, name="laptop")
    tok2, phone = second_device(s, a)
    expect_error(s.req("PUT", f"/v1/devices/{phone['device_id']}/cert", {"cert": "UAI"}, token=a.token), 409,
                 "conflict", "no identity key yet")
    s.publish_identity(a)
    _, since = events(s, b)
    box = stmt("box", a.identity["seed"], phone["device_id"], phone["box_pk"])
    cert = s.cert(a, phone)
    r = s.req("PUT", f"/v1/devices/{phone['device_id']}/cert", {"cert": cert, "identity_box": box}, token=a.token)
    expect_status(r, 200, "approve the phone")
    expect_keys(r.json, DEVICE_KEYS, "approved device")
    eq(r.json["cert"], cert, "the certificate as uploaded")
    eq(r.json["reg_sig"], s.req("GET", "/v1/devices", token=a.token).json["devices"][1]["reg_sig"], "reg_sig")
    # only the approved device's own session sees its identity box
    mine = {d["device_id"]: d for d in s.req("GET", "/v1/devices", token=tok2).json["devices"]}
    eq(mine[phone["device_id"]].get("identity_box"), box, "the phone's session gets its identity box")
    check("identity_box" not in mine[a.device["device_id"]], "no box on the other device")
    other = {d["device_id"]: d for d in s.req("GET", "/v1/devices", token=a.token).json["devices"]}
    check("identity_box" not in other[phone["device_id"]], "the laptop's session does not get the phone's box")
    evs, _ = events(s, b, since)
    ap = [e for e in evs if e["type"] == "device.approved"]
    eq(len(ap), 1, "the friend hears device.approved")
    eq((ap[0]["user_id"], ap[0]["device"]["device_id"], ap[0]["device"]["cert"]), (a.user_id, phone["device_id"], r.json["cert"]),
       "device.approved payload")
    # a new certificate without a box keeps the box
    expect_status(s.req("PUT", f"/v1/devices/{phone['device_id']}/cert", {"cert": s.cert(a, phone)}, token=a.token), 200,
                  "certify again")
    mine = {d["device_id"]: d for d in s.req("GET", "/v1/devices", token=tok2).json["devices"]}
    eq(mine[phone["device_id"]].get("identity_box"), box, "the box stays")
    # refusals
    _, tab = second_device(s, a, "tablet")
    stranger_key = keygen()
    bad = {
        "signed by another key": stmt("sign", stranger_key["sk"], "cert", f"device_id={tab['device_id']}",
                                      f"key={tab['sign_pk']}", f"key2={tab['box_pk']}"),
        "naming another device": s.cert(a, phone),
        "with another box key": stmt("sign", a.identity["sk"], "cert", f"device_id={tab['device_id']}",
                                     f"key={tab['sign_pk']}", f"key2={phone['box_pk']}"),
        "with another signing key": stmt("sign", a.identity["sk"], "cert", f"device_id={tab['device_id']}",
                                         f"key={phone['sign_pk']}", f"key2={tab['box_pk']}"),
        "a revocation, not a certificate": revoke_stmt(a, tab),
    }
    for what, cert in bad.items():
        expect_error(s.req("PUT", f"/v1/devices/{tab['device_id']}/cert", {"cert": cert}, token=a.token), 400,
                     "invalid_key", what)
    expect_error(s.req("PUT", f"/v1/devices/{tab['device_id']}/cert",
                       {"cert": s.cert(a, tab), "identity_box": H.b64(os.urandom(149))}, token=a.token), 400,
                 "invalid_key", "an identity box over 148 bytes")
    check(all(d["cert"] is None for d in s.req("GET", "/v1/devices", token=a.token).json["devices"]
              if d["device_id"] == tab["device_id"]), "the tablet stays unapproved")
    bdev = s.new_device(b)
    s.publish_identity(b)
    expect_error(s.req("PUT", f"/v1/devices/{bdev['device_id']}/cert", {"cert": s.cert(b, bdev)}, token=a.token), 404,
                 "not_found", "someone else's device")
    expect_error(s.req("PUT", f"/v1/devices/{H.fake_id(tab['device_id'])}/cert", {"cert": s.cert(a, tab)},
                       token=a.token), 404, "not_found", "no such device")


def test_approval_code_lookup():
    with H.Server(["--approval-fail-limit=2"]) as s:
        a, b = s.new_user("aca"), s.new_user("acb")
        s.new_device(a)
        _, phone = second_device(s, a)
        code = stmt("code", a.user_id, phone["device_id"], phone["sign_pk"], phone["box_pk"])
        check(len(code) == 14 and code[4] == "-" and code[9] == "-", f"code shape {code!r}")
        # case, dashes and look-alikes forgiven
        typed = code.replace("-", "").lower().replace("0", "o").replace("1", "l")
        for q in (code, typed, code.replace("-", " ")):
            r = s.req("GET", "/v1/devices/pending?code=" + H.form_encode({"c": q})[2:], token=a.token)
            expect_status(r, 200, f"lookup {q!r}")
            expect_keys(r.json, ["device"], "pending")
            eq(r.json["device"]["device_id"], phone["device_id"], "the device with that code")
        for q in ("", "ABCD", "ABCD-EFGH-IJK!", "ABCD-EFGH-IJKL-MNOP"):
            expect_error(s.req("GET", "/v1/devices/pending?code=" + q, token=a.token), 400, "invalid_field", f"code {q!r}")
        expect_error(s.req("GET", "/v1/devices/pending", token=a.token), 400, "invalid_field", "no code")
        # another account's code is not found, and counts as a miss there
        expect_error(s.req("GET", "/v1/devices/pending?code=" + code, token=b.token), 404, "not_found", "b asks")
        # an approved device has no pending code any more
        s.publish_identity(a)
        s.certify(a, phone)
        expect_error(s.req("GET", "/v1/devices/pending?code=" + code, token=a.token), 404, "not_found", "approved")
        _, tab = second_device(s, a, "tablet")
        tcode = stmt("code", a.user_id, tab["device_id"], tab["sign_pk"], tab["box_pk"])
        miss = "ZZZZ-ZZZZ-ZZZZ" if tcode != "ZZZZ-ZZZZ-ZZZZ" else "YYYY-YYYY-YYYY"
        expect_error(s.req("GET", "/v1/devices/pending?code=" + miss, token=a.token), 404, "not_found", "second miss")
        r = s.req("GET", "/v1/devices/pending?code=" + tcode, token=a.token)
        expect_error(r, 429, "rate_limited", "after two misses even the right code waits")
        check(int(r.header("retry-after") or "0") > 0, "Retry-After")
        expect_error(s.req("GET", "/v1/devices/pending?code=" + miss, token=b.token), 404, "not_found",
                     "b has one miss so far")


def test_device_revocation():
    s = H.server()
    a, b = s.new_user("dra"), s.new_user("drb")
    s.befriend(a, b)
    s.new_device(a)
    tok2, phone = second_device(s, a)
    expect_error(s.req("POST", "/v1/device-revocations", {"statement": "UAI"}, token=a.token), 409, "conflict",
                 "no identity key yet")
    s.publish_identity(a)
    other = keygen()
    bad = {
        "signed by another key": stmt("sign", other["sk"], "revoke", f"device_id={phone['device_id']}",
                                      f"key={phone['sign_pk']}"),
        "with another device's key": revoke_stmt(a, phone, key=a.device["sign_pk"]),
        "a certificate, not a revocation": s.cert(a, phone),
    }
    for what, st in bad.items():
        expect_error(s.req("POST", "/v1/device-revocations", {"statement": st}, token=a.token), 400, "invalid_key", what)
    bdev = s.new_device(b)
    expect_error(s.req("POST", "/v1/device-revocations", {"statement": revoke_stmt(a, bdev)}, token=a.token), 404,
                 "not_found", "someone else's device")
    _, since = events(s, b)
    st = revoke_stmt(a, phone)
    expect_status(s.req("POST", "/v1/device-revocations", {"statement": st}, token=a.token), 204, "revoke the phone")
    lst = s.req("GET", "/v1/devices", token=a.token).json
    eq([d["device_id"] for d in lst["devices"]], [a.device["device_id"]], "the phone is gone")
    eq(lst["revocations"], [st], "the revocation is listed")
    eq(s.req("GET", f"/v1/users/{a.user_id}/devices", token=b.token).json["revocations"], [st], "friends see it")
    evs, _ = events(s, b, since)
    check(any(e["type"] == "device.removed" and e["device_id"] == phone["device_id"] for e in evs), "device.removed")
    eq(s.req("GET", "/v1/me", token=tok2).json["device_id"], None, "the phone's session lost its device")
    expect_error(s.req("POST", "/v1/device-revocations", {"statement": st}, token=a.token), 404, "not_found",
                 "revoked already")


def test_contacts():
    s = H.server()
    a, b, c = s.new_user("cta"), s.new_user("ctb"), s.new_user("ctc")
    s.publish_identity(b)
    expect_error(s.req("POST", "/v1/me/contacts", {"statement": "UAI"}, token=a.token), 409, "conflict", "no identity")
    s.publish_identity(a)

    def contact(level, who=b, sk=None, key=None):
        return stmt("sign", sk or a.identity["sk"], "contact", f"user_id={who.user_id}", f"key={key or b.identity['pk']}",
                    f"op={level}")
    sts = [contact(1), contact(2), contact(3)]
    for st in sts:
        r = s.req("POST", "/v1/me/contacts", {"statement": st}, token=a.token)
        expect_status(r, 201, "contact")
        eq(r.json, {"statement": st}, "the answer")
    r = s.req("GET", "/v1/me/contacts", token=s.login(a))
    expect_status(r, 200, "list from another session")
    eq(r.json, {"statements": sts}, "every device of a reads the same statements, oldest first")
    eq(s.req("GET", "/v1/me/contacts", token=c.token).json, {"statements": []}, "c has none")
    expect_error(s.req("POST", "/v1/me/contacts", {"statement": contact(1, sk=b.identity["sk"])}, token=a.token), 400,
                 "invalid_key", "signed by another key")
    expect_error(s.req("POST", "/v1/me/contacts", {"statement": contact(1, who=a)}, token=a.token), 400,
                 "invalid_key", "about oneself")
    ghost = H.User("ghost", "", H.fake_id(b.user_id))
    expect_error(s.req("POST", "/v1/me/contacts", {"statement": contact(1, who=ghost)}, token=a.token), 404,
                 "not_found", "about no account")
    eq(len(s.req("GET", "/v1/me/contacts", token=a.token).json["statements"]), 3, "nothing more kept")


# ---- membership chains ----

def test_thread_with_a_chain():
    s = H.server()
    a, b, c, d = (s.new_user(p) for p in ("cha", "chb", "chc", "chd"))
    for x in (b, c, d):
        s.befriend(a, x)
    for x in (a, b, c):
        s.new_device(x)
    link = s.link(a, 1, [a.user_id, b.user_id, c.user_id])
    tid = stmt("thread-id", link)
    r = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id], "link": link}, token=a.token)
    expect_status(r, 201, "create with a link")
    eq(r.json["thread_id"], tid, "the thread id is the one the link makes")
    eq(r.json["kind"], "group", "kind")
    head = stmt("hash", link)
    eq(r.json["chain"], {"length": 1, "head": head}, "chain after CREATE")
    eq(s.req("GET", f"/v1/threads/{tid}", token=b.token).json["chain"], {"length": 1, "head": head}, "b's view")
    r = s.req("GET", f"/v1/threads/{tid}/chain", token=c.token)
    expect_status(r, 200, "chain")
    expect_keys(r.json, ["links", "devices"], "chain")
    eq(r.json["links"], [link], "the links as uploaded")
    eq([d["device_id"] for d in r.json["devices"]], [a.device["device_id"]], "the signer's device")
    expect_keys(r.json["devices"][0], DEVICE_KEYS, "signer device")
    expect_error(s.req("GET", f"/v1/threads/{tid}/chain", token=d.token), 404, "not_found", "not a member")
    # the same link again (a retry) answers the thread; someone else's copy of it cannot take the id
    r = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id], "link": link}, token=a.token)
    expect_status(r, 200, "retry")
    eq((r.json["thread_id"], r.json["chain"]["length"]), (tid, 1), "the same thread")
    # adding: an ADD link on top of the head, by the session's device
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id}, token=a.token), 400,
                 "invalid_field", "no link")
    stale = s.link(a, 2, [d.user_id], prev=H.b64(os.urandom(32)))
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id, "link": stale}, token=a.token),
                 409, "conflict", "prev is not the head")
    bad = {
        "naming someone else": s.link(a, 2, [c.user_id], prev=head),
        "a REMOVE link": s.link(a, 3, [d.user_id], prev=head),
        "of a direct thread": s.link(a, 2, [d.user_id], kind=1, prev=head),
        "signed by b's device": s.link(b, 2, [d.user_id], prev=head),
        "another actor on a's device": H.stmt("sign", a.device["sign_sk"], "link", "op=2", "kind=2",
                                              f"actor_user_id={b.user_id}", f"actor_device_id={a.device['device_id']}",
                                              f"ids={d.user_id}", f"prev={head}"),
    }
    for what, ln in bad.items():
        expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id, "link": ln}, token=a.token),
                     400, "invalid_key", what)
    add = s.link(a, 2, [d.user_id], prev=head)
    r = s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id, "link": add}, token=a.token)
    expect_status(r, 200, "add d")
    head2 = stmt("hash", add)
    eq(r.json["chain"], {"length": 2, "head": head2}, "chain after ADD")
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id, "link": add}, token=a.token),
                 409, "conflict", "the same ADD again")
    # removing: the REMOVE link travels in the query
    rm = s.link(a, 3, [d.user_id], prev=head)
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/members/{d.user_id}?link={rm}", token=a.token), 409, "conflict",
                 "REMOVE on an old head")
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/members/{d.user_id}", token=a.token), 400, "invalid_field",
                 "no link")
    rm = s.link(a, 3, [d.user_id], prev=head2)
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{d.user_id}?link={rm}", token=a.token), 204, "remove d")
    # b leaves with a link of their own
    lv = s.link(b, 3, [b.user_id], prev=stmt("hash", rm))
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{b.user_id}?link={lv}", token=b.token), 204, "b leaves")
    # the signers stay listed after a device is removed, so old links can still be checked
    expect_status(s.req("DELETE", f"/v1/devices/{b.device['device_id']}", token=b.token), 204, "b removes the device")
    r = s.req("GET", f"/v1/threads/{tid}/chain", token=a.token)
    eq(r.json["links"], [link, add, rm, lv], "the whole chain, oldest first")
    eq(sorted(d["device_id"] for d in r.json["devices"]), sorted([a.device["device_id"], b.device["device_id"]]),
       "each signer once, the removed one too")
    eq([m["user_id"] for m in s.req("GET", f"/v1/threads/{tid}", token=a.token).json["members"]].count(b.user_id), 0,
       "b is no member")


def test_create_link_refusals_and_direct_threads():
    s = H.server()
    a, b, c = s.new_user("cra"), s.new_user("crb"), s.new_user("crc")
    s.befriend(a, b)
    s.befriend(a, c)
    r = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id], "link": "UAI"}, token=a.token)
    expect_error(r, 400, "invalid_field", "a session without a device cannot sign a link")
    s.new_device(a)
    s.new_device(b)
    bad = {
        "members other than the request's": s.link(a, 1, [a.user_id, b.user_id]),
        "without the creator": s.link(a, 1, [b.user_id, c.user_id, "u_x"]),
        "a direct kind for three": s.link(a, 1, [a.user_id, b.user_id, c.user_id], kind=1),
        "an ADD link": s.link(a, 2, [c.user_id]),
        "a prev": s.link(a, 1, [a.user_id, b.user_id, c.user_id], prev=H.b64(os.urandom(32))),
        "signed by b's device": s.link(b, 1, [a.user_id, b.user_id, c.user_id]),
        "not a link": stmt("sign", a.device["sign_sk"], "prekey", f"device_id={a.device['device_id']}", "op=1",
                           "key_id=1", f"key={a.device['box_pk']}"),
    }
    for what, ln in bad.items():
        expect_error(s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id], "link": ln}, token=a.token), 400,
                     "invalid_key", what)
    eq(s.req("GET", "/v1/threads", token=a.token).json["threads"], [], "no thread made")
    # a direct thread with a link: kind direct, its id from the link; asking again answers it
    dl = s.link(a, 1, [a.user_id, b.user_id], kind=1)
    r = s.req("POST", "/v1/threads", {"members": [b.user_id], "link": dl}, token=a.token)
    expect_status(r, 201, "direct thread with a link")
    eq((r.json["thread_id"], r.json["kind"], r.json["chain"]["length"]), (stmt("thread-id", dl), "direct", 1), "direct")
    r2 = s.req("POST", "/v1/threads", {"members": [a.user_id], "link": s.link(b, 1, [b.user_id, a.user_id], kind=1)},
               token=b.token)
    expect_status(r2, 200, "the other side asks for the same direct thread")
    eq(r2.json["thread_id"], r.json["thread_id"], "one direct thread per pair")
    # coming back to a direct thread with a chain is a signed change too: an ADD link of oneself on its head
    tid = r.json["thread_id"]
    head = r.json["chain"]["head"]
    leave = s.link(b, 3, [b.user_id], kind=1, prev=head)
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{b.user_id}?link={leave}", token=b.token), 204, "b leaves")
    head = stmt("hash", leave)
    expect_error(s.req("POST", "/v1/threads", {"members": [a.user_id]}, token=b.token), 409, "conflict",
                 "back without a link")
    expect_error(s.req("POST", "/v1/threads", {"members": [a.user_id], "link": s.link(b, 1, [b.user_id, a.user_id], kind=1)},
                       token=b.token), 400, "invalid_key", "back with a CREATE link")
    expect_error(s.req("POST", "/v1/threads", {"members": [a.user_id], "link": s.link(b, 2, [b.user_id], kind=1,
                                                                                     prev=H.b64(os.urandom(32)))},
                       token=b.token), 409, "conflict", "back on another head")
    back = s.link(b, 2, [b.user_id], kind=1, prev=head)
    r = s.req("POST", "/v1/threads", {"members": [a.user_id], "link": back}, token=b.token)
    expect_status(r, 200, "back with an ADD link of oneself")
    eq((r.json["thread_id"], r.json["chain"]), (tid, {"length": 3, "head": stmt("hash", back)}), "the same thread, one link on")
    eq(sorted(m["user_id"] for m in r.json["members"]), sorted([a.user_id, b.user_id]), "b is a member again")
    # threads without links still work, and have no chain
    r = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id]}, token=a.token)
    expect_status(r, 201, "no link")
    eq(r.json["chain"], None, "no chain")
    eq(s.req("GET", f"/v1/threads/{r.json['thread_id']}/chain", token=a.token).json, {"links": [], "devices": []},
       "empty chain")


# ---- prekeys ----

def test_prekeys_upload_count_claim():
    s = H.server()
    a, b, x = s.new_user("pka"), s.new_user("pkb"), s.new_user("pkx")
    s.befriend(a, b)
    expect_error(s.req("GET", "/v1/keys", token=a.token), 400, "invalid_field", "no device yet")
    da = s.new_device(a)
    s.new_device(b)
    dx = s.new_device(x)
    eq(s.req("GET", "/v1/keys", token=a.token).json, {"one_time": 0, "signed_key_id": None}, "nothing yet")
    signed = prekey(da, 7, kind=2)
    ots = [prekey(da, i) for i in (1, 2, 3)]
    r = s.req("POST", "/v1/keys", {"signed": signed, "one_time": ots}, token=a.token)
    expect_status(r, 200, "upload")
    eq(r.json, {"one_time": 3, "signed_key_id": 7}, "counts")
    eq(s.req("POST", "/v1/keys", {"one_time": ots[:1]}, token=a.token).json, {"one_time": 3, "signed_key_id": 7},
       "a retried key id is not added twice")
    got = []
    for i in range(4):
        r = s.req("POST", "/v1/keys/claim", {"devices": [da["device_id"], da["device_id"]]}, token=b.token)
        expect_status(r, 200, f"claim {i + 1}")
        expect_keys(r.json, ["keys"], "claim")
        eq(list(r.json["keys"]), [da["device_id"]], "one entry per device")
        k = r.json["keys"][da["device_id"]]
        expect_keys(k, ["signed", "one_time"], "claimed keys")
        eq(k["signed"], signed, "the signed prekey every time")
        got.append(k["one_time"])
    eq(got, ots + [None], "each one-time key handed out once, oldest first, then none")
    eq(s.req("GET", "/v1/keys", token=a.token).json["one_time"], 0, "all claimed")
    # not yours (not a friend or co-member): 404, and nothing is taken
    expect_status(s.req("POST", "/v1/keys", {"one_time": [prekey(dx, 1)]}, token=x.token), 200, "x uploads")
    expect_error(s.req("POST", "/v1/keys/claim", {"devices": [dx["device_id"]]}, token=b.token), 404, "not_found",
                 "a stranger's device")
    expect_error(s.req("POST", "/v1/keys/claim", {"devices": [da["device_id"], dx["device_id"]]}, token=b.token), 404,
                 "not_found", "one device not reachable fails the request")
    eq(s.req("GET", "/v1/keys", token=x.token).json["one_time"], 1, "x's key is still there")
    expect_error(s.req("POST", "/v1/keys/claim", {"devices": []}, token=b.token), 400, "invalid_field", "no devices")
    # refusals
    bad = {
        "for another device": prekey(da, 50, device_id=dx["device_id"]),
        "signed by another device": prekey(da, 51, sk=dx["sign_sk"]),
        "a signed prekey among one-time keys": prekey(da, 52, kind=2),
        "key id 0 (reserved: no one-time key)": prekey(da, 0),
    }
    for what, st in bad.items():
        expect_error(s.req("POST", "/v1/keys", {"one_time": [st]}, token=a.token), 400, "invalid_key", what)
    expect_error(s.req("POST", "/v1/keys", {"signed": prekey(da, 53)}, token=a.token), 400, "invalid_key",
                 "a one-time key as the signed one")
    expect_error(s.req("POST", "/v1/keys", {"one_time": [prekey(da, 100 + i) for i in range(101)]}, token=a.token), 400,
                 "invalid_field", "101 in one request")
    # the stock: at most 200 unused; the request that would pass it stores nothing
    for base in (1000, 2000):
        expect_status(s.req("POST", "/v1/keys", {"one_time": [prekey(da, base + i) for i in range(100)]}, token=a.token),
                      200, "100 more")
    expect_error(s.req("POST", "/v1/keys", {"signed": prekey(da, 8, kind=2), "one_time": [prekey(da, 3000)]},
                       token=a.token), 409, "conflict", "the 201st")
    eq(s.req("GET", "/v1/keys", token=a.token).json, {"one_time": 200, "signed_key_id": 7}, "nothing of it kept")


# ---- partner apps: signed authorisations, revocations, consents, prekeys ----

class AppWorld:
    """An app both alice and bob (friends) granted; the app's device for alice's grant; their app thread."""

    def __init__(self, s):
        self.s = s
        self.app = H.create_app(s, "Signed")
        self.alice, self.bob = s.new_user("apa"), s.new_user("apb")
        s.befriend(self.alice, self.bob)
        self.at = H.grant_tokens(s, self.app, self.alice)["access_token"]
        self.bt = H.grant_tokens(s, self.app, self.bob)["access_token"]
        sub = H.post_form(s, "/oauth/introspect", {"token": self.at},
                          basic=(self.app.client_id, self.app.client_secret)).json["sub"]
        k = s.keygen(sub)
        r = s.req("POST", "/v1/partner/devices", {"name": "app", "sign_pk": k["sign_pk"], "box_pk": k["box_pk"],
                                                  "sig": k["sig"]}, token=self.at)
        expect_status(r, 201, "the app's device")
        self.dev = dict(r.json, sign_sk=k["sign_sk"])
        friends = s.req("GET", "/v1/partner/friends", token=self.at).json["friends"]
        check(friends, "the app sees bob")
        self.pb = friends[0]["id"]
        r = s.req("POST", "/v1/partner/threads", {"to": self.pb}, token=self.at)
        expect_status(r, 200, "the app thread")
        self.tid = r.json["thread_id"]
        self.grant_id = [g for g in s.req("GET", "/v1/me/grants", token=self.alice.token).json["grants"]
                         if g["active"]][0]["grant_id"]

    def auth(self, **over):
        f = {"client_id": self.app.client_id, "grant_id": self.grant_id, "device_id": self.dev["device_id"],
             "key": self.dev["sign_pk"], "key2": self.dev["box_pk"], "expires": "0"}
        f.update(over)
        sk = f.pop("sk", self.alice.identity["sk"])
        return stmt("sign", sk, "app_auth", *[f"{k}={v}" for k, v in f.items()])


def test_app_device_authorisation_and_revocation():
    s = H.server()
    w = AppWorld(s)
    a = w.alice
    r = s.req("GET", "/v1/me/app-devices", token=a.token)
    expect_status(r, 200, "app devices")
    eq(len(r.json["devices"]), 1, "one app device")
    dv = r.json["devices"][0]
    expect_keys(dv, DEVICE_KEYS + ["app", "client_id", "grant_id", "app_name", "expires_at", "threads", "authorisation",
                                   "revocation"], "app device")
    eq((dv["device_id"], dv["client_id"], dv["grant_id"], dv["app_name"], dv["threads"], dv["authorisation"],
        dv["revocation"]), (w.dev["device_id"], w.app.client_id, w.grant_id, "Signed", [], None, None), "listing")
    eq(s.req("GET", "/v1/me/app-devices", token=w.bob.token).json["devices"], [], "bob's grant has no device")
    path = f"/v1/me/app-devices/{w.dev['device_id']}/authorisation"
    expect_error(s.req("PUT", path, {"statement": "UAI"}, token=a.token), 409, "conflict", "no identity key yet")
    s.publish_identity(a)
    s.publish_identity(w.bob)
    bad = {
        "another grant": w.auth(grant_id="g_other"),
        "another app": w.auth(client_id="c_other"),
        "another device": w.auth(device_id="d_other"),
        "another box key": w.auth(key2=H.b64(os.urandom(32))),
        "signed by bob's identity": w.auth(sk=w.bob.identity["sk"]),
    }
    for what, st in bad.items():
        expect_error(s.req("PUT", path, {"statement": st}, token=a.token), 400, "invalid_key", what)
    expect_error(s.req("PUT", path, {"statement": w.auth()}, token=w.bob.token), 404, "not_found", "not bob's")
    st = w.auth(ids=w.tid)
    r = s.req("PUT", path, {"statement": st}, token=a.token)
    expect_status(r, 200, "authorise")
    eq((r.json["device_id"], r.json["authorisation"]), (w.dev["device_id"], st), "the answer")
    eq(s.req("GET", "/v1/me/app-devices", token=a.token).json["devices"][0]["authorisation"], st, "listed")
    # the thread view: the app device carries its app, grant and statements
    tv = s.req("GET", f"/v1/threads/{w.tid}", token=a.token).json
    appdev = [d for d in tv["devices"] if d["device_id"] == w.dev["device_id"]]
    eq(len(appdev), 1, "the app device reads for alice")
    eq((appdev[0]["client_id"], appdev[0]["grant_id"], appdev[0]["authorisation"], appdev[0]["revocation"]),
       (w.app.client_id, w.grant_id, st, None), "app device in the thread view")
    senders = s.req("GET", f"/v1/threads/{w.tid}", token=w.bob.token).json.get("app_senders", [])
    eq([(d["device_id"], d["authorisation"]) for d in senders], [(w.dev["device_id"], st)], "bob sees it as a sender")
    # the app sees identity keys and what vouches for each reader
    pt = [t for t in s.req("GET", "/v1/partner/threads", token=w.at).json["threads"] if t["thread_id"] == w.tid][0]
    eq(sorted(m["identity_pk"] for m in pt["members"]), sorted([a.identity["pk"], w.bob.identity["pk"]]),
       "members' identity keys")
    for d in pt["devices"]:
        check("cert" in d and "authorisation" in d, f"partner thread device {d}")
    eq([d["authorisation"] for d in pt["devices"] if d["device_id"] == w.dev["device_id"]], [st], "the app's own")
    # revocation: signed, and the grant ends with it
    rpath = f"/v1/me/app-devices/{w.dev['device_id']}/revocation"
    rev = stmt("sign", a.identity["sk"], "app_revoke", f"client_id={w.app.client_id}", f"grant_id={w.grant_id}",
               f"device_id={w.dev['device_id']}")
    expect_error(s.req("POST", rpath, {"statement": stmt("sign", a.identity["sk"], "app_revoke",
                                                         f"client_id={w.app.client_id}", "grant_id=g_other",
                                                         f"device_id={w.dev['device_id']}")}, token=a.token),
                 400, "invalid_key", "revocation of another grant")
    expect_error(s.req("POST", rpath, {"statement": rev}, token=w.bob.token), 404, "not_found", "not bob's to revoke")
    expect_status(s.req("POST", rpath, {"statement": rev}, token=a.token), 204, "revoke")
    expect_error(s.req("GET", "/v1/partner/threads", token=w.at), 401, "unauthorized", "the app's token ended")
    g = [x for x in s.req("GET", "/v1/me/grants", token=a.token).json["grants"] if x["grant_id"] == w.grant_id][0]
    eq(g["active"], False, "the grant is revoked")
    lst = s.req("GET", "/v1/me/app-devices", token=a.token).json["devices"]
    eq([(d["device_id"], d["revocation"]) for d in lst], [(w.dev["device_id"], rev)], "the revocation stays listed")
    check(w.dev["device_id"] not in [d["device_id"] for d in s.req("GET", f"/v1/threads/{w.tid}", token=a.token).json["devices"]],
          "no longer a reader")
    expect_error(s.req("PUT", path, {"statement": st}, token=a.token), 404, "not_found", "a revoked device")


def test_app_consent_statement():
    s = H.server()
    w = AppWorld(s)
    b = w.bob
    path = f"/v1/threads/{w.tid}/app-consent"

    def consent(op, **over):
        f = {"thread_id": w.tid, "client_id": w.app.client_id, "op": op}
        f.update(over)
        sk = f.pop("sk", b.identity["sk"] if b.identity else None)
        return stmt("sign", sk, "app_consent", *[f"{k}={v}" for k, v in f.items()])
    expect_error(s.req("POST", path, {"accept": True, "statement": "UAI"}, token=b.token), 409, "conflict",
                 "no identity key yet")
    s.publish_identity(b)
    s.publish_identity(w.alice)
    bad = {
        "the other answer": consent(0),
        "another thread": consent(1, thread_id="t_other"),
        "another app": consent(1, client_id="c_other"),
        "signed by alice": consent(1, sk=w.alice.identity["sk"]),
    }
    for what, st in bad.items():
        expect_error(s.req("POST", path, {"accept": True, "statement": st}, token=b.token), 400, "invalid_key", what)
    st = consent(1)
    r = s.req("POST", path, {"accept": True, "statement": st}, token=b.token)
    expect_status(r, 200, "accept with a statement")
    eq(r.json, {"thread_id": w.tid, "accepted": True}, "the answer")
    app = s.req("GET", f"/v1/threads/{w.tid}", token=w.alice.token).json["app"]
    eq(app["consents"], [{"user_id": b.user_id, "statement": st}], "the consent is listed in the thread view")
    expect_status(s.req("POST", path, {"accept": False}, token=b.token), 200, "decline without a statement")
    eq(s.req("GET", f"/v1/threads/{w.tid}", token=b.token).json["app"]["consents"], [],
       "an answer without a statement replaces the signed one")


def test_partner_prekeys():
    s = H.server()
    w = AppWorld(s)
    x = s.new_user("pkx")
    bdev = s.new_device(w.bob)
    xdev = s.new_device(x)
    r = s.req("POST", "/v1/partner/keys", {"signed": prekey(w.dev, 5, kind=2), "one_time": [prekey(w.dev, 1)]},
              token=w.at)
    expect_status(r, 200, "the app uploads prekeys")
    eq(r.json, {"one_time": 1, "signed_key_id": 5}, "counts")
    eq(s.req("GET", "/v1/partner/keys", token=w.at).json, {"one_time": 1, "signed_key_id": 5}, "GET counts")
    expect_error(s.req("POST", "/v1/partner/keys", {"one_time": [prekey(bdev, 2)]}, token=w.at), 400, "invalid_key",
                 "another device's prekey")
    # the person claims the app device's keys (a reader of their app thread)
    r = s.req("POST", "/v1/keys/claim", {"devices": [w.dev["device_id"]]}, token=w.alice.token)
    expect_status(r, 200, "alice claims the app device's keys")
    check(r.json["keys"][w.dev["device_id"]]["one_time"], "a one-time key")
    # the app claims for readers of its threads only
    expect_status(s.req("POST", "/v1/keys", {"one_time": [prekey(bdev, 9)]}, token=w.bob.token), 200, "bob uploads")
    r = s.req("POST", "/v1/partner/keys/claim", {"devices": [bdev["device_id"]]}, token=w.at)
    expect_status(r, 200, "the app claims bob's keys")
    eq(r.json["keys"][bdev["device_id"]]["one_time"] is not None, True, "bob's one-time key")
    expect_error(s.req("POST", "/v1/partner/keys/claim", {"devices": [xdev["device_id"]]}, token=w.at), 404,
                 "not_found", "a device outside the grant's threads")
    expect_error(s.req("POST", "/v1/partner/keys/claim", {"devices": [w.dev["device_id"]]}, token=w.at), 404,
                 "not_found", "its own device")
    log = s.req("GET", "/v1/me/access-log", token=w.alice.token).json
    actions = [e["action"] for e in log["entries"]]
    check("keys.upload" in actions and "keys.claim" in actions, f"access log {actions}")
