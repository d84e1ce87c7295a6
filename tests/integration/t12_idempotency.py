"""client_msg_id makes sending idempotent: a repeat answers 200 with the first result and stores nothing."""
import threading

import harness as H
from harness import check, eq, expect_keys, expect_status


def _pair(s):
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    return a, b, tid


def _post(s, u, tid, cmid, body, kind=None):
    p = {"client_msg_id": cmid, "body": H.b64(body)}
    if kind:
        p["kind"] = kind
    return s.req("POST", f"/v1/threads/{tid}/messages", p, token=u.token)


def _created_events(s, u, tid):
    return [e for e in s.sync_all(u)[0] if e["type"] == "message.created" and e["message"]["thread_id"] == tid]


def test_repeat_returns_first_result():
    s = H.server()
    a, b, tid = _pair(s)
    r1 = _post(s, a, tid, "same-1", b"first")
    expect_status(r1, 201)
    for i in range(3):
        r = _post(s, a, tid, "same-1", b"first")
        expect_status(r, 200, f"repeat #{i + 1}")
        expect_keys(r.json, ["message_id", "seq", "created_at"], "repeat body")
        eq(r.json, r1.json, "repeat returns the first result")
    msgs = s.messages(b, tid)
    eq([(m["client_msg_id"], m["seq"]) for m in msgs], [("same-1", 1)], "one stored message")
    eq(s.req("GET", f"/v1/threads/{tid}", token=a.token).json["last_seq"], 1, "last_seq")
    eq(len(_created_events(s, b, tid)), 1, "one message.created event")
    r = _post(s, a, tid, "same-2", b"second")
    expect_status(r, 201)
    eq(r.json["seq"], 2, "the next new message gets seq 2 (the repeats consumed no seq)")


def test_repeat_with_different_body_keeps_first():
    s = H.server()
    a, b, tid = _pair(s)
    r1 = _post(s, a, tid, "dup-body", b"original")
    expect_status(r1, 201)
    r2 = _post(s, a, tid, "dup-body", b"changed", kind="edit")
    expect_status(r2, 200)
    eq(r2.json, r1.json, "first result")
    msgs = s.messages(a, tid)
    eq([(m["body"], m["kind"]) for m in msgs], [(H.b64(b"original"), "message")], "the first body is kept")


def test_client_msg_id_is_per_sender():
    s = H.server()
    a, b, tid = _pair(s)
    ra = _post(s, a, tid, "shared-id", b"from a")
    rb = _post(s, b, tid, "shared-id", b"from b")
    expect_status(ra, 201, "a's message")
    expect_status(rb, 201, "b's message with the same client_msg_id")
    check(ra.json["message_id"] != rb.json["message_id"], "different senders share a message")
    eq(sorted(m["sender_id"] for m in s.messages(a, tid)), sorted([a.user_id, b.user_id]), "two messages stored")


def test_concurrent_repeats_store_one():
    s = H.server()
    a, b, tid = _pair(s)
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def go():
        barrier.wait(10)
        r = _post(s, a, tid, "race-1", b"race")
        with lock:
            results.append(r)

    ths = [threading.Thread(target=go) for _ in range(12)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(30)
    eq(len(results), 12, "all requests answered")
    statuses = sorted(r.status for r in results)
    eq(statuses, [200] * 11 + [201], "exactly one 201, the rest 200")
    eq(len({(r.json["message_id"], r.json["seq"]) for r in results}), 1, "one message_id/seq for all")
    eq(len(s.messages(a, tid)), 1, "one message stored")
    eq(len(_created_events(s, b, tid)), 1, "one message.created event")


def test_repeat_after_delete_still_first_result():
    s = H.server()
    a, b, tid = _pair(s)
    r1 = _post(s, a, tid, "gone-1", b"x")
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/messages/{r1.json['message_id']}", token=a.token), 204)
    r2 = _post(s, a, tid, "gone-1", b"x")
    expect_status(r2, 200, "repeating a deleted message's client_msg_id")
    eq(r2.json, r1.json, "first result")
    eq([m["deleted"] for m in s.messages(a, tid)], [True], "still one (deleted) message")


def test_repeat_survives_restart():
    with H.Server() as s:
        a, b, tid = _pair(s)
        r1 = _post(s, a, tid, "durable-1", b"x")
        expect_status(r1, 201)
        s.stop()
        s2 = s.restart()
        try:
            tok = s2.login(a)
            r2 = s2.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": "durable-1", "body": H.b64(b"x")},
                        token=tok)
            expect_status(r2, 200, "repeat after a restart")
            eq(r2.json, r1.json, "first result after a restart")
            r3 = s2.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": "durable-2", "body": H.b64(b"y")},
                        token=tok)
            expect_status(r3, 201)
            eq(r3.json["seq"], 2, "next seq after restart")
        finally:
            s2.stop()
