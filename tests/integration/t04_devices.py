"""Devices and their keys (docs/api.md: Devices)."""
import harness as H
from harness import check, eq, expect_error, expect_id, expect_keys, expect_status, expect_ts

DEVICE_KEYS = ["device_id", "user_id", "name", "sign_pk", "box_pk", "created_at", "reg_sig", "cert"]
LISTING_KEYS = ["devices", "identity", "revocations"]  # identity and revocations: protocol 2 (t24)


def _flip(text):
    """Same length, still base64url, different bytes (changes the first character)."""
    c = "B" if text[0] != "B" else "C"
    return c + text[1:]


def _post(s, u, **fields):
    return s.req("POST", "/v1/devices", fields, token=u.token)


def test_register_device():
    s = H.server()
    u = s.new_user()
    k = s.keygen(u.user_id)
    r = _post(s, u, name="my laptop", sign_pk=k["sign_pk"], box_pk=k["box_pk"], sig=k["sig"])
    expect_status(r, 201)
    expect_keys(r.json, DEVICE_KEYS, "POST /v1/devices")
    expect_id(r.json["device_id"], "device_id")
    eq(r.json["name"], "my laptop", "name")
    eq(r.json["sign_pk"], k["sign_pk"], "sign_pk")
    eq(r.json["box_pk"], k["box_pk"], "box_pk")
    expect_ts(r.json["created_at"], "created_at")
    me = s.req("GET", "/v1/me", token=u.token).json
    eq(me["device_id"], r.json["device_id"], "the registering session is bound to the device")
    lst = s.req("GET", "/v1/devices", token=u.token)
    expect_status(lst, 200)
    expect_keys(lst.json, LISTING_KEYS, "GET /v1/devices")
    eq(lst.json["devices"], [r.json], "device list")


def test_keygen_output_shape():
    s = H.server()
    u = s.new_user()
    k = s.keygen(u.user_id)
    eq(len(H.unb64(k["sign_pk"])), 32, "sign_pk bytes")
    eq(len(H.unb64(k["box_pk"])), 32, "box_pk bytes")
    eq(len(H.unb64(k["sig"])), 64, "sig bytes")
    for f in ("sign_pk", "box_pk", "sig"):
        check("=" not in k[f] and H.B64URL_RE.match(k[f]), f"keygen {f} is not unpadded base64url")


def test_invalid_keys():
    s = H.server()
    u = s.new_user()
    other = s.new_user()
    k = s.keygen(u.user_id)
    k2 = s.keygen(u.user_id)
    ko = s.keygen(other.user_id)
    cases = {
        "signature flipped": dict(sign_pk=k["sign_pk"], box_pk=k["box_pk"], sig=_flip(k["sig"])),
        "signature for another user id": dict(sign_pk=ko["sign_pk"], box_pk=ko["box_pk"], sig=ko["sig"]),
        "box_pk of another key pair": dict(sign_pk=k["sign_pk"], box_pk=k2["box_pk"], sig=k["sig"]),
        "sign_pk of another key pair": dict(sign_pk=k2["sign_pk"], box_pk=k["box_pk"], sig=k["sig"]),
        "sign_pk not base64url": dict(sign_pk="!!" + k["sign_pk"][2:], box_pk=k["box_pk"], sig=k["sig"]),
        "sign_pk padded": dict(sign_pk=k["sign_pk"] + "=", box_pk=k["box_pk"], sig=k["sig"]),
        "sign_pk 31 bytes": dict(sign_pk=H.b64(H.unb64(k["sign_pk"])[:31]), box_pk=k["box_pk"], sig=k["sig"]),
        "box_pk 33 bytes": dict(sign_pk=k["sign_pk"], box_pk=H.b64(H.unb64(k["box_pk"]) + b"\0"), sig=k["sig"]),
        "sig 63 bytes": dict(sign_pk=k["sign_pk"], box_pk=k["box_pk"], sig=H.b64(H.unb64(k["sig"])[:63])),
        "sig empty": dict(sign_pk=k["sign_pk"], box_pk=k["box_pk"], sig=""),
        "standard base64 alphabet": dict(sign_pk=k["sign_pk"].replace("-", "+").replace("_", "/") + "==",
                                         box_pk=k["box_pk"], sig=k["sig"]),
    }
    for what, f in cases.items():
        expect_error(_post(s, u, name="dev", **f), 400, "invalid_key", what)
    eq(s.req("GET", "/v1/devices", token=u.token).json["devices"], [], "no device stored after the failures")
    eq(s.req("GET", "/v1/me", token=u.token).json["device_id"], None, "session not bound")


def test_device_fields_validation():
    s = H.server()
    u = s.new_user()
    k = s.keygen(u.user_id)
    keys = dict(sign_pk=k["sign_pk"], box_pk=k["box_pk"], sig=k["sig"])
    for name in ["", "n" * 65, "\u00e9" * 33]:   # 0, 65 and 66 bytes
        expect_error(_post(s, u, name=name, **keys), 400, "invalid_field", f"name of {len(name.encode())} bytes")
    expect_error(s.req("POST", "/v1/devices", keys, token=u.token), 400, "invalid_field", "name missing")
    expect_error(_post(s, u, name=5, **keys), 400, "invalid_field", "name a number")
    for missing in ("sign_pk", "box_pk", "sig"):
        f = dict(keys, name="dev")
        del f[missing]
        expect_error(s.req("POST", "/v1/devices", f, token=u.token), 400, ("invalid_field", "invalid_key"),
                     f"{missing} missing")
    r = _post(s, u, name="\u00e9" * 32, **keys)   # 64 bytes
    expect_status(r, 201, "name of 64 bytes")
    eq(r.json["name"], "\u00e9" * 32, "utf-8 name round trip")


def test_delete_device():
    s = H.server()
    u = s.new_user()
    dev = s.new_device(u)
    other_session = s.login(u)
    dev2 = s.new_device(u, name="phone", token=other_session)
    ids = sorted(d["device_id"] for d in s.req("GET", "/v1/devices", token=u.token).json["devices"])
    eq(ids, sorted([dev["device_id"], dev2["device_id"]]), "two devices")
    r = s.req("DELETE", f"/v1/devices/{dev['device_id']}", token=other_session)
    expect_status(r, 204)
    eq(r.raw, b"", "204 body")
    eq([d["device_id"] for d in s.req("GET", "/v1/devices", token=u.token).json["devices"]], [dev2["device_id"]],
       "devices after delete")
    eq(s.req("GET", "/v1/me", token=u.token).json["device_id"], None, "the bound session lost its binding")
    eq(s.req("GET", "/v1/me", token=other_session).json["device_id"], dev2["device_id"],
       "other session keeps its device")
    expect_status(s.req("GET", "/v1/me", token=u.token), 200, "the session itself still works")
    expect_error(s.req("DELETE", f"/v1/devices/{dev['device_id']}", token=u.token), 404, "not_found",
                 "deleting twice")


def test_device_cap():
    # --max-devices=N: N live devices per person; registering again is not a new device; removing frees one
    with H.Server(["--max-devices=2"]) as s:
        u = s.new_user()
        k1, k3 = s.keygen(u.user_id), s.keygen(u.user_id)

        def register(k, token, name="dev"):
            return s.req("POST", "/v1/devices", {"name": name, "sign_pk": k["sign_pk"], "box_pk": k["box_pk"],
                                                 "sig": k["sig"]}, token=token)
        dev1 = register(k1, u.token)
        expect_status(dev1, 201, "first device")
        s.new_device(u, name="phone", token=s.login(u))
        third = s.login(u)
        r = register(k3, third, "tablet")
        expect_error(r, 409, "conflict")
        check("remove one" in r.json["error"]["message"], f"the refusal says what to do: {r.json}")
        eq(len(s.req("GET", "/v1/devices", token=u.token).json["devices"]), 2, "devices after the refusal")
        expect_status(register(k1, third), 200, "an existing device registering again (a new login)")
        expect_status(s.req("DELETE", f"/v1/devices/{dev1.json['device_id']}", token=u.token), 204)
        expect_status(register(k3, s.login(u), "tablet"), 201, "a device after one was removed")


def test_cannot_delete_someone_elses_device():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    db = s.new_device(b)
    expect_error(s.req("DELETE", f"/v1/devices/{db['device_id']}", token=a.token), 404, "not_found")
    eq([d["device_id"] for d in s.req("GET", "/v1/devices", token=b.token).json["devices"]], [db["device_id"]],
       "b's device survives")


def test_user_devices_visibility():
    s = H.server()
    a, b, c, x = s.new_user(), s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(b, c)          # c is a friend of b, not of a
    da = s.new_device(a)
    dc = s.new_device(c)
    s.new_device(x)
    # yourself
    r = s.req("GET", f"/v1/users/{a.user_id}/devices", token=a.token)
    expect_status(r, 200, "own devices")
    expect_keys(r.json, ["user_id"] + LISTING_KEYS, "GET /v1/users/{id}/devices")
    eq(r.json["user_id"], a.user_id, "user_id")
    eq([d["device_id"] for d in r.json["devices"]], [da["device_id"]], "own device list")
    for d in r.json["devices"]:
        check({"device_id", "name", "sign_pk", "box_pk"} <= set(d), f"device entry lacks keys: {d!r}")
        eq((d["sign_pk"], d["box_pk"]), (da["sign_pk"], da["box_pk"]), "keys")
    # a friend
    r = s.req("GET", f"/v1/users/{a.user_id}/devices", token=b.token)
    expect_status(r, 200, "a friend's devices")
    eq([d["device_id"] for d in r.json["devices"]], [da["device_id"]], "friend sees a's device")
    # strangers: not yet sharing a thread
    expect_error(s.req("GET", f"/v1/users/{c.user_id}/devices", token=a.token), 404, "not_found", "stranger")
    expect_error(s.req("GET", f"/v1/users/{a.user_id}/devices", token=x.token), 404, "not_found", "stranger")
    expect_error(s.req("GET", f"/v1/users/{H.fake_id(a.user_id)}/devices", token=a.token), 404, "not_found",
                 "unknown user")
    # b makes a group with a and c: now a and c share a thread
    s.thread(b, [a, c], expect=201)
    r = s.req("GET", f"/v1/users/{c.user_id}/devices", token=a.token)
    expect_status(r, 200, "someone who shares a thread")
    eq([d["device_id"] for d in r.json["devices"]], [dc["device_id"]], "c's devices seen by a")
    expect_error(s.req("GET", f"/v1/users/{x.user_id}/devices", token=a.token), 404, "not_found", "still a stranger")


def test_device_removed_from_list_of_friend():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    d = s.new_device(a)
    expect_status(s.req("DELETE", f"/v1/devices/{d['device_id']}", token=a.token), 204)
    r = s.req("GET", f"/v1/users/{a.user_id}/devices", token=b.token)
    expect_status(r, 200)
    eq(r.json["devices"], [], "deleted device no longer listed")
