"""To-device messages (docs/api.md: To-device messages)."""
import time

import harness as H
from harness import check, eq, expect_error, expect_keys, expect_status, expect_ts


def _send(s, u, msgs, token=None):
    return s.req("POST", "/v1/to-device", {"messages": msgs}, token=token or u.token)


def _to_device_events(s, u, token=None, since=None):
    events, cursor = s.sync_all(u, since=since, token=token)
    return [e for e in events if e.get("type") == "to_device"], cursor


def test_to_device_delivered_to_bound_session():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    da, db = s.new_device(a), s.new_device(b)
    r = _send(s, a, [{"device_id": db["device_id"], "body": H.b64(b"olm prekey")}])
    expect_status(r, 202)
    eq(r.json, {"accepted": 1}, "POST /v1/to-device body")
    evs, _ = _to_device_events(s, b)
    eq(len(evs), 1, "to_device events in b's device session")
    e = evs[0]
    expect_keys(e, ["cursor", "type", "created_at", "from_user_id", "from_device_id", "device_id", "body"],
                "to_device event")
    expect_ts(e["created_at"], "event.created_at")
    eq((e["from_user_id"], e["from_device_id"], e["device_id"], e["body"]),
       (a.user_id, da["device_id"], db["device_id"], H.b64(b"olm prekey")), "to_device payload")


def test_to_device_not_seen_by_other_sessions():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    db = s.new_device(b)
    b_other = s.login(b)                      # a second session of b, bound to no device
    b_other_dev = s.login(b)
    s.new_device(b, name="other", token=b_other_dev)   # and a third, bound to another device
    expect_status(_send(s, a, [{"device_id": db["device_id"], "body": H.b64(b"k")}]), 202)
    eq(len(_to_device_events(s, b)[0]), 1, "bound session receives it")
    eq(_to_device_events(s, b, token=b_other)[0], [], "a session without a device does not")
    eq(_to_device_events(s, b, token=b_other_dev)[0], [], "a session bound to another device does not")
    eq(_to_device_events(s, a)[0], [], "the sender does not")


def test_to_device_deleted_after_sync_past_it():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    db = s.new_device(b)
    expect_status(_send(s, a, [{"device_id": db["device_id"], "body": H.b64(b"once")}]), 202)
    j = s.sync(b, timeout=0)
    tds = [e for e in j["events"] if e["type"] == "to_device"]
    eq(len(tds), 1, "first sync sees the to-device event")
    # syncing with a cursor past it deletes it
    j2 = s.sync(b, since=j["cursor"], timeout=0)
    eq([e for e in j2["events"] if e["type"] == "to_device"], [], "not repeated after the cursor")
    # allow a moment for a cleanup that runs after the sync answered
    for _ in range(20):
        evs, _ = _to_device_events(s, b)
        if not evs:
            break
        time.sleep(0.1)
    eq(evs, [], "gone from the log after syncing past it (sync from the start)")


def test_to_device_batch_and_own_devices():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    db = s.new_device(b)
    a2 = s.login(a)
    da2 = s.new_device(a, name="phone", token=a2)
    r = _send(s, a, [{"device_id": db["device_id"], "body": H.b64(b"1")},
                     {"device_id": da2["device_id"], "body": H.b64(b"2")},
                     {"device_id": db["device_id"], "body": H.b64(b"3")}])
    expect_status(r, 202)
    eq(r.json, {"accepted": 3}, "accepted count")
    eq([H.unb64(e["body"]) for e in _to_device_events(s, b)[0]], [b"1", b"3"], "b's device, in order")
    eq([H.unb64(e["body"]) for e in _to_device_events(s, a, token=a2)[0]], [b"2"], "a's own other device")


def test_to_device_unreachable_fails_whole_request():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    db, dc = s.new_device(b), s.new_device(c)
    for what, bad in [("a stranger's device", dc["device_id"]), ("an unknown device", H.fake_id(db["device_id"]))]:
        r = _send(s, a, [{"device_id": db["device_id"], "body": H.b64(b"x")}, {"device_id": bad, "body": "eQ"}])
        expect_error(r, 404, "not_found", what)
    eq(_to_device_events(s, b)[0], [], "nothing was sent to b")
    eq(_to_device_events(s, c)[0], [], "nothing was sent to c")


def test_to_device_thread_sharing_reachable():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(b, a)
    s.befriend(b, c)
    s.new_device(a)
    dc = s.new_device(c)
    expect_error(_send(s, a, [{"device_id": dc["device_id"], "body": "eQ"}]), 404, "not_found", "before sharing")
    s.thread(b, [a, c], expect=201)
    expect_status(_send(s, a, [{"device_id": dc["device_id"], "body": "eQ"}]), 202, "sharing a thread")
    eq([e["from_user_id"] for e in _to_device_events(s, c)[0]], [a.user_id], "c got it")


def test_to_device_bad_input():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    db = s.new_device(b)
    did = db["device_id"]
    for what, body in [("no messages", {}), ("messages not a list", {"messages": {"device_id": did}}),
                       ("body not base64url", {"messages": [{"device_id": did, "body": "a+b="}]}),
                       ("body missing", {"messages": [{"device_id": did}]}),
                       ("device_id missing", {"messages": [{"body": "eQ"}]}),
                       ("device_id a number", {"messages": [{"device_id": 1, "body": "eQ"}]}),
                       ("entry not an object", {"messages": ["eQ"]})]:
        expect_error(s.req("POST", "/v1/to-device", body, token=a.token), 400, "invalid_field", what)
    r = _send(s, a, [{"device_id": did, "body": H.b64(b"\x01" * 65537)}])
    expect_error(r, 413, "payload_too_large", "to-device body over --max-body-bytes")
    expect_status(_send(s, a, [{"device_id": did, "body": H.b64(b"\x01" * 65536)}]), 202, "body of exactly 64 KiB")
    evs = _to_device_events(s, b)[0]
    eq([len(H.unb64(e["body"])) for e in evs], [65536], "only the valid one was delivered")


def test_to_device_max_batch():
    with H.Server(["--to-device-max=2"]) as s:
        a, b = s.new_user(), s.new_user()
        s.befriend(a, b)
        s.new_device(a)
        db = s.new_device(b)
        one = {"device_id": db["device_id"], "body": "eQ"}
        expect_status(_send(s, a, [one, one]), 202, "2 messages with --to-device-max=2")
        r = _send(s, a, [one, one, one])
        check(r.status in (400, 413), f"3 messages with --to-device-max=2: want 400 or 413, got {r.status}")
        expect_error(r, r.status)
        eq(len(_to_device_events(s, b)[0]), 2, "only the accepted batch was delivered")
