"""Something that is not yours answers exactly like something that does not exist: same status (404), same
body, byte for byte (docs/api.md: Conventions)."""
import harness as H
from harness import check, eq, expect_error, expect_status


def _world(s):
    w = type("W", (), {})()
    w.a, w.b, w.d, w.c, w.c2, w.x, w.y = (s.new_user() for _ in range(7))
    s.befriend(w.a, w.b)
    s.befriend(w.a, w.d)
    s.befriend(w.c, w.c2)          # c (the outsider) has a friend of its own
    s.befriend(w.c, w.d)           # c knows d, but does not share a's thread
    for u in (w.a, w.b, w.c, w.d):
        s.new_device(u)
    w.tid = s.thread(w.a, [w.b, w.d], expect=201)["thread_id"]   # group a, b, d created by a
    w.mid = s.send(w.a, w.tid, body=b"a's message", cmid="nm1")["message_id"]
    w.tid_c = s.thread(w.c, [w.c2], expect=201)["thread_id"]      # c's own thread
    w.mid_c = s.send(w.c, w.tid_c, cmid="nm2")["message_id"]
    w.tid_b2 = s.thread(w.a, [w.b], expect=201)["thread_id"]      # direct a-b
    w.mid_b2 = s.send(w.b, w.tid_b2, cmid="nm3")["message_id"]    # b's message in another thread
    # a friend request between x and y, pending
    w.rid = s.req("POST", "/v1/friends/requests", {"username": w.y.username}, token=w.x.token).json["request_id"]
    return w


def _same(s, token, real, fake, what, body=None, method="GET"):
    r1 = s.req(method, real, body, token=token)
    r2 = s.req(method, fake, body, token=token)
    expect_error(r1, 404, "not_found", f"{what} (not yours)")
    expect_error(r2, 404, "not_found", f"{what} (does not exist)")
    check(r1.raw == r2.raw, f"{what}: not-yours body {r1.raw!r} differs from does-not-exist body {r2.raw!r}")
    eq(r1.header("content-type"), r2.header("content-type"), f"{what}: Content-Type")
    return r1


def test_thread_reads_of_outsider():
    s = H.server()
    w = _world(s)
    fake = H.fake_id(w.tid)
    expect_error(s.req("GET", f"/v1/threads/{fake}", token=w.a.token), 404, "not_found", "fake id names nothing")
    _same(s, w.c.token, f"/v1/threads/{w.tid}", f"/v1/threads/{fake}", "GET thread")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/messages", f"/v1/threads/{fake}/messages", "GET messages")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/messages?after=0&limit=10",
          f"/v1/threads/{fake}/messages?after=0&limit=10", "GET messages with a query")


def test_thread_writes_of_outsider():
    s = H.server()
    w = _world(s)
    fake = H.fake_id(w.tid)
    _same(s, w.c.token, f"/v1/threads/{w.tid}/messages", f"/v1/threads/{fake}/messages", "POST message",
          {"client_msg_id": "intruder", "body": "aGk"}, "POST")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/read", f"/v1/threads/{fake}/read", "POST read", {"seq": 1}, "POST")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/members", f"/v1/threads/{fake}/members", "POST members (c's friend)",
          {"user_id": w.c2.user_id}, "POST")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/members/{w.c.user_id}",
          f"/v1/threads/{fake}/members/{w.c.user_id}", "DELETE self from a thread", method="DELETE")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/members/{w.a.user_id}",
          f"/v1/threads/{fake}/members/{w.a.user_id}", "DELETE a member", method="DELETE")
    _same(s, w.c.token, f"/v1/threads/{w.tid}/messages/{w.mid}",
          f"/v1/threads/{fake}/messages/{H.fake_id(w.mid)}", "DELETE message", method="DELETE")
    # nothing changed
    msgs = s.messages(w.a, w.tid)
    eq([(m["client_msg_id"], m["deleted"]) for m in msgs], [("nm1", False)], "a's thread untouched")
    eq(len(s.req("GET", f"/v1/threads/{w.tid}", token=w.a.token).json["members"]), 3, "members untouched")


def test_member_but_not_sender_or_creator():
    s = H.server()
    w = _world(s)
    # b is a member, but the message is a's: deleting it is like deleting a message that does not exist
    _same(s, w.b.token, f"/v1/threads/{w.tid}/messages/{w.mid}",
          f"/v1/threads/{w.tid}/messages/{H.fake_id(w.mid)}", "member deletes another's message", method="DELETE")
    # b's own message, but from another thread
    _same(s, w.b.token, f"/v1/threads/{w.tid}/messages/{w.mid_b2}",
          f"/v1/threads/{w.tid}/messages/{H.fake_id(w.mid_b2)}", "own message through the wrong thread",
          method="DELETE")
    # b is not the creator: removing d is like removing a user that does not exist
    _same(s, w.b.token, f"/v1/threads/{w.tid}/members/{w.d.user_id}",
          f"/v1/threads/{w.tid}/members/{H.fake_id(w.d.user_id)}", "non-creator removes a member", method="DELETE")
    eq(len(s.req("GET", f"/v1/threads/{w.tid}", token=w.a.token).json["members"]), 3, "members untouched")
    eq(s.messages(w.a, w.tid)[0]["deleted"], False, "message untouched")


def test_friend_requests_of_others():
    s = H.server()
    w = _world(s)
    fake = H.fake_id(w.rid)
    for verb in ("accept", "decline"):
        _same(s, w.a.token, f"/v1/friends/requests/{w.rid}/{verb}", f"/v1/friends/requests/{fake}/{verb}",
              f"third party {verb}s", method="POST")
        _same(s, w.x.token, f"/v1/friends/requests/{w.rid}/{verb}", f"/v1/friends/requests/{fake}/{verb}",
              f"sender {verb}s own request", method="POST")
    r = s.req("GET", "/v1/friends/requests", token=w.y.token)
    eq([q["request_id"] for q in r.json["incoming"]], [w.rid], "request still pending")


def test_users_devices_and_friends():
    s = H.server()
    w = _world(s)
    fake_user = H.fake_id(w.c.user_id)
    _same(s, w.a.token, f"/v1/users/{w.c.user_id}/devices", f"/v1/users/{fake_user}/devices", "a stranger's devices")
    _same(s, w.a.token, f"/v1/friends/{w.c.user_id}", f"/v1/friends/{fake_user}", "unfriend a stranger",
          method="DELETE")
    dc = w.c.device["device_id"]
    _same(s, w.a.token, f"/v1/devices/{dc}", f"/v1/devices/{H.fake_id(dc)}", "delete someone else's device",
          method="DELETE")
    eq([d["device_id"] for d in s.req("GET", "/v1/devices", token=w.c.token).json["devices"]], [dc],
       "c's device untouched")


def test_to_device_unreachable():
    s = H.server()
    w = _world(s)
    dc = w.c.device["device_id"]
    r1 = s.req("POST", "/v1/to-device", {"messages": [{"device_id": dc, "body": "eQ"}]}, token=w.a.token)
    r2 = s.req("POST", "/v1/to-device", {"messages": [{"device_id": H.fake_id(dc), "body": "eQ"}]}, token=w.a.token)
    expect_error(r1, 404, "not_found", "to-device to a stranger")
    expect_error(r2, 404, "not_found", "to-device to nothing")
    eq(r1.raw, r2.raw, "to-device: stranger body vs unknown body")


def test_garbage_ids_answer_like_unknown_ones():
    # an id that could never exist is still just "not found"
    s = H.server()
    w = _world(s)
    base = s.req("GET", f"/v1/threads/{H.fake_id(w.tid)}", token=w.a.token)
    expect_error(base, 404, "not_found")
    for g in ["zzz", "0", "-1", "%20", "a" * 60, "null"]:
        r = s.req("GET", f"/v1/threads/{g}", token=w.a.token)
        expect_error(r, 404, "not_found", f"GET /v1/threads/{g[:20]}")
        eq(r.raw, base.raw, f"GET /v1/threads/{g[:20]} body")
    # an absurdly long id may be refused as malformed input instead
    r = s.req("GET", f"/v1/threads/{'a' * 300}", token=w.a.token)
    check(r.status in (400, 404), f"300-character thread id: {r.status}")
    for g in ["zzz", "0", "a" * 60]:
        r = s.req("GET", f"/v1/users/{g}/devices", token=w.a.token)
        expect_error(r, 404, "not_found", f"GET /v1/users/{g[:20]}/devices")


def test_removed_member_like_outsider():
    s = H.server()
    w = _world(s)
    expect_status(s.req("DELETE", f"/v1/threads/{w.tid}/members/{w.d.user_id}", token=w.a.token), 204)
    fake = H.fake_id(w.tid)
    _same(s, w.d.token, f"/v1/threads/{w.tid}", f"/v1/threads/{fake}", "removed member GET thread")
    _same(s, w.d.token, f"/v1/threads/{w.tid}/messages", f"/v1/threads/{fake}/messages", "removed member messages")
