"""Messages (docs/api.md: Messages)."""
import time

import harness as H
from harness import check, eq, expect_error, expect_id, expect_keys, expect_status, expect_ts

MSG_KEYS = ["message_id", "thread_id", "seq", "sender_id", "sender_device_id", "client_msg_id", "kind", "body",
            "created_at", "deleted"]


def _pair(s, with_devices=False):
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    if with_devices:
        s.new_device(a)
        s.new_device(b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    return a, b, tid


def _post(s, u, tid, **fields):
    return s.req("POST", f"/v1/threads/{tid}/messages", fields, token=u.token)


def _list(s, u, tid, q=""):
    r = s.req("GET", f"/v1/threads/{tid}/messages{q}", token=u.token)
    expect_status(r, 200, f"list messages {q}")
    expect_keys(r.json, ["messages", "has_more"], "GET messages")
    check(isinstance(r.json["has_more"], bool), "has_more is not a bool")
    for m in r.json["messages"]:
        expect_keys(m, MSG_KEYS, "message")
    return r.json


def test_send_and_list():
    s = H.server()
    a, b, tid = _pair(s, with_devices=True)
    before = time.time()
    r = _post(s, a, tid, client_msg_id="hello-1", body=H.b64(b"\x00\x01ciphertext\xff"))
    expect_status(r, 201)
    expect_keys(r.json, ["message_id", "seq", "created_at"], "POST message")
    expect_id(r.json["message_id"], "message_id")
    eq(r.json["seq"], 1, "first seq")
    expect_ts(r.json["created_at"], "created_at")
    check(abs(H.ts_epoch(r.json["created_at"]) - before) < 60, "created_at is not about now")
    r2 = _post(s, b, tid, client_msg_id="hello-2", body=H.b64(b"reply"), kind="reaction.add")
    expect_status(r2, 201)
    eq(r2.json["seq"], 2, "second seq")
    check(r2.json["message_id"] != r.json["message_id"], "message ids differ")
    for viewer in (a, b):
        j = _list(s, viewer, tid)
        eq(j["has_more"], False, "has_more")
        m1, m2 = j["messages"]
        eq(m1, {"message_id": r.json["message_id"], "thread_id": tid, "seq": 1, "sender_id": a.user_id,
                "sender_device_id": a.device["device_id"], "client_msg_id": "hello-1", "kind": "message",
                "body": H.b64(b"\x00\x01ciphertext\xff"), "created_at": r.json["created_at"], "deleted": False},
           "first message as listed")
        eq((m2["seq"], m2["sender_id"], m2["sender_device_id"], m2["kind"], m2["body"], m2["client_msg_id"]),
           (2, b.user_id, b.device["device_id"], "reaction.add", H.b64(b"reply"), "hello-2"), "second message")
    t = s.req("GET", f"/v1/threads/{tid}", token=a.token).json
    eq(t["last_seq"], 2, "thread.last_seq")
    check(H.ts_epoch(t["last_activity"]) >= H.ts_epoch(r2.json["created_at"]) - 0.001,
          "thread.last_activity is older than the last message")


def test_sender_without_device():
    s = H.server()
    a, b, tid = _pair(s)
    s.send(a, tid, cmid="nodev")
    m = _list(s, b, tid)["messages"][0]
    eq(m["sender_device_id"], None, "sender_device_id of a session without a device")


def test_client_msg_id_rules():
    s = H.server()
    a, b, tid = _pair(s)
    body = H.b64(b"x")
    for cmid in ["a", "A-z_09", "x" * 64]:
        expect_status(_post(s, a, tid, client_msg_id=cmid, body=body), 201, f"client_msg_id {cmid!r}")
    for cmid in ["", "x" * 65, "a b", "a.b", "a/b", "caf\u00e9", "a=b", "a+b"]:
        expect_error(_post(s, a, tid, client_msg_id=cmid, body=body), 400, "invalid_field", f"client_msg_id {cmid!r}")
    expect_error(_post(s, a, tid, body=body), 400, "invalid_field", "client_msg_id missing")
    expect_error(_post(s, a, tid, client_msg_id=5, body=body), 400, "invalid_field", "client_msg_id a number")
    eq(len(_list(s, a, tid)["messages"]), 3, "only the valid messages are stored")


def test_kind_rules():
    s = H.server()
    a, b, tid = _pair(s)
    body = H.b64(b"x")
    for i, kind in enumerate(["message", "a", "read_receipt.vtwo", "z" * 32]):
        expect_status(_post(s, a, tid, client_msg_id=f"k{i}", body=body, kind=kind), 201, f"kind {kind!r}")
    for i, kind in enumerate(["", "z" * 33, "Message", "a b", "a-b", "a1", 7]):
        expect_error(_post(s, a, tid, client_msg_id=f"bad{i}", body=body, kind=kind), 400, "invalid_field",
                     f"kind {kind!r}")
    eq([m["kind"] for m in _list(s, a, tid)["messages"]], ["message", "a", "read_receipt.vtwo", "z" * 32], "kinds")


def test_body_rules():
    s = H.server()
    a, b, tid = _pair(s)
    # not base64url, padded, standard alphabet, wrong type, missing
    for i, body in enumerate(["aGk=", "a+/b", "a b", "!!!!", "aGk\n", 5, None, ["aGk"]]):
        expect_error(_post(s, a, tid, client_msg_id=f"b{i}", body=body), 400, "invalid_field", f"body {body!r}")
    expect_error(_post(s, a, tid, client_msg_id="nobody"), 400, "invalid_field", "body missing")
    eq(_list(s, a, tid)["messages"], [], "nothing stored")


def test_body_size_limit():
    s = H.server()
    a, b, tid = _pair(s)
    r = _post(s, a, tid, client_msg_id="max", body=H.b64(b"\xab" * 65536))
    expect_status(r, 201, "body of exactly 64 KiB")
    r = _post(s, a, tid, client_msg_id="over", body=H.b64(b"\xab" * 65537))
    expect_error(r, 413, "payload_too_large", "body of 64 KiB + 1")
    ms = _list(s, a, tid)["messages"]
    eq([m["client_msg_id"] for m in ms], ["max"], "only the 64 KiB message stored")
    eq(len(H.unb64(ms[0]["body"])), 65536, "stored body length")


def test_pagination():
    s = H.server()
    a, b, tid = _pair(s)
    for i in range(7):
        s.send(a if i % 2 else b, tid, body=b"%d" % (i + 1), cmid=f"p{i}")
    j = _list(s, a, tid, "?limit=3")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([1, 2, 3], True), "limit=3")
    j = _list(s, a, tid, "?after=3&limit=3")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([4, 5, 6], True), "after=3&limit=3")
    j = _list(s, a, tid, "?after=6&limit=3")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([7], False), "after=6&limit=3")
    j = _list(s, a, tid, "?after=7")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([], False), "after=7")
    j = _list(s, a, tid, "?before=6&limit=2")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([4, 5], True), "before=6&limit=2 (newest 2 below 6)")
    j = _list(s, a, tid, "?before=3&limit=5")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([1, 2], False), "before=3&limit=5")
    j = _list(s, a, tid, "?before=1")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), ([], False), "before=1")
    j = _list(s, a, tid, "?limit=200")
    eq([m["seq"] for m in j["messages"]], list(range(1, 8)), "limit=200")
    eq([H.unb64(m["body"]) for m in j["messages"]], [b"%d" % i for i in range(1, 8)], "bodies in order")


def test_default_limit_is_50():
    s = H.server()
    a, b, tid = _pair(s)
    for i in range(55):
        s.send(a, tid, cmid=f"dl{i}")
    j = _list(s, a, tid)
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), (list(range(1, 51)), True), "no limit: the first 50")
    j = _list(s, a, tid, "?before=56")
    eq(([m["seq"] for m in j["messages"]], j["has_more"]), (list(range(6, 56)), True), "before=56: the newest 50")


def test_pagination_limits():
    s = H.server()
    a, b, tid = _pair(s)
    s.send(a, tid)
    for q in ["limit=0", "limit=201", "limit=-5", "limit=x", "after=-1", "after=abc", "before=-1", "before=x",
              "after=1.5", "limit=99999999999999999999999"]:
        expect_error(s.req("GET", f"/v1/threads/{tid}/messages?{q}", token=a.token), 400,
                     ("invalid_field", "bad_request"), q)
    for q in ["limit=1", "limit=200", "after=0", "after=99999"]:
        expect_status(s.req("GET", f"/v1/threads/{tid}/messages?{q}", token=a.token), 200, q)


def test_delete_message():
    s = H.server()
    a, b, tid = _pair(s)
    m1 = s.send(a, tid, body=b"secret", cmid="d1")
    s.send(b, tid, body=b"other", cmid="d2")
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/messages/{m1['message_id']}", token=b.token), 404,
                 "not_found", "another member deleting the sender's message")
    r = s.req("DELETE", f"/v1/threads/{tid}/messages/{m1['message_id']}", token=a.token)
    expect_status(r, 204)
    eq(r.raw, b"", "204 body")
    for viewer in (a, b):
        ms = _list(s, viewer, tid)["messages"]
        eq([m["seq"] for m in ms], [1, 2], "the seq stays as a tombstone")
        eq((ms[0]["deleted"], ms[0]["body"], ms[0]["message_id"]), (True, None, m1["message_id"]),
           "deleted message: deleted=true, body=null")
        eq((ms[1]["deleted"], ms[1]["body"]), (False, H.b64(b"other")), "the other message is intact")
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/messages/{H.fake_id(m1['message_id'])}", token=a.token),
                 404, "not_found", "unknown message")
    # a new message still gets the next seq
    eq(s.send(a, tid)["seq"], 3, "seq after a deletion")


def test_non_member_cannot_post_or_read():
    s = H.server()
    a, b, tid = _pair(s)
    c = s.new_user()
    s.befriend(a, c)
    expect_error(_post(s, c, tid, client_msg_id="c1", body="aGk"), 404, "not_found", "non-member posts")
    expect_error(s.req("GET", f"/v1/threads/{tid}/messages", token=c.token), 404, "not_found", "non-member reads")
    eq(_list(s, a, tid)["messages"], [], "nothing stored")

