"""Threads and membership (docs/api.md: Threads)."""
import time

import harness as H
from harness import check, eq, expect_error, expect_id, expect_keys, expect_status, expect_ts

THREAD_KEYS = ["thread_id", "kind", "members", "created_at", "last_seq", "last_activity", "unread", "read_seq",
               "chain"]  # chain: null without a membership chain (t24 has threads with one)


def check_thread(t, what, kind=None, members=None):
    expect_keys(t, THREAD_KEYS, what)
    expect_id(t["thread_id"], f"{what}.thread_id")
    check(t["kind"] in ("direct", "group"), f"{what}.kind is {t['kind']!r}")
    if kind:
        eq(t["kind"], kind, f"{what}.kind")
    check(isinstance(t["members"], list), f"{what}.members is not a list")
    for m in t["members"]:
        expect_keys(m, ["user_id", "username"], f"{what}.members[]")
    if members is not None:
        eq(sorted((m["user_id"], m["username"]) for m in t["members"]),
           sorted((u.user_id, u.username) for u in members), f"{what}.members")
    expect_ts(t["created_at"], f"{what}.created_at")
    expect_ts(t["last_activity"], f"{what}.last_activity")
    for f in ("last_seq", "unread", "read_seq"):
        check(isinstance(t[f], int) and not isinstance(t[f], bool) and t[f] >= 0, f"{what}.{f} = {t[f]!r}")


def _get(s, u, tid):
    r = s.req("GET", f"/v1/threads/{tid}", token=u.token)
    expect_status(r, 200, "GET thread")
    return r.json


def test_direct_thread():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    r = s.req("POST", "/v1/threads", {"members": [b.user_id]}, token=a.token)
    expect_status(r, 201)
    t = r.json
    check_thread(t, "new direct thread", kind="direct", members=[a, b])
    eq((t["last_seq"], t["unread"], t["read_seq"]), (0, 0, 0), "counters of a new thread")
    r2 = s.req("POST", "/v1/threads", {"members": [b.user_id]}, token=a.token)
    expect_status(r2, 200, "asking again for the existing direct thread")
    eq(r2.json["thread_id"], t["thread_id"], "same direct thread")
    r3 = s.req("POST", "/v1/threads", {"members": [a.user_id]}, token=b.token)
    expect_status(r3, 200, "the other side asking for the direct thread")
    eq(r3.json["thread_id"], t["thread_id"], "same direct thread from the other side")


def test_thread_needs_friends():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    expect_error(s.req("POST", "/v1/threads", {"members": [c.user_id]}, token=a.token), 403, "not_friends")
    expect_error(s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id]}, token=a.token), 403,
                 "not_friends", "group with one non-friend")
    eq(s.req("GET", "/v1/threads", token=a.token).json["threads"], [], "nothing created")


def test_group_thread():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(a, c)
    r = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id]}, token=a.token)
    expect_status(r, 201)
    check_thread(r.json, "group thread", kind="group", members=[a, b, c])
    # b and c are not friends with each other, but both see the thread
    for u in (b, c):
        t = _get(s, u, r.json["thread_id"])
        eq(t["thread_id"], r.json["thread_id"], "thread id")
        eq(t["kind"], "group", "kind")
    # a second group with the same members is a new thread
    r2 = s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id]}, token=a.token)
    expect_status(r2, 201, "a second group with the same members")
    check(r2.json["thread_id"] != r.json["thread_id"], "groups are not deduplicated like direct threads")


def test_create_thread_bad_input():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    for body in [{}, {"members": b.user_id}, {"members": [5]}, {"members": None}, {"members": [[b.user_id]]}]:
        expect_error(s.req("POST", "/v1/threads", body, token=a.token), 400, "invalid_field", f"body {body!r}")
    too_many = {"members": [b.user_id] + [H.fake_id(b.user_id) for _ in range(299)]}
    expect_error(s.req("POST", "/v1/threads", too_many, token=a.token), 400, None, "300 members")


def test_get_thread_with_devices():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(a, c)
    da, db = s.new_device(a), s.new_device(b)
    t2 = s.login(b)
    db2 = s.new_device(b, name="tablet", token=t2)
    s.new_device(c)   # c is not a member
    t = s.thread(a, [b], expect=201)
    r = s.req("GET", f"/v1/threads/{t['thread_id']}", token=a.token)
    expect_status(r, 200)
    expect_keys(r.json, THREAD_KEYS + ["devices"], "GET /v1/threads/{id}")
    check_thread({k: v for k, v in r.json.items() if k != "devices"}, "thread", kind="direct", members=[a, b])
    for d in r.json["devices"]:
        expect_keys(d, ["device_id", "user_id", "name", "sign_pk", "box_pk", "created_at", "reg_sig", "cert"], "thread device")
    got = sorted((d["device_id"], d["user_id"], d["sign_pk"], d["box_pk"]) for d in r.json["devices"])
    want = sorted((d["device_id"], u.user_id, d["sign_pk"], d["box_pk"]) for d, u in
                  [(da, a), (db, b), (db2, b)])
    eq(got, want, "thread devices (every device of every member, nobody else's)")


def test_list_threads_order_and_pages():
    s = H.server()
    a = s.new_user()
    others = [s.new_user() for _ in range(5)]
    tids = []
    for o in others:
        s.befriend(a, o)
        tids.append(s.thread(a, [o], expect=201)["thread_id"])
        time.sleep(0.005)
    # activity: a message in the first thread makes it the newest
    s.send(a, tids[0])
    want = [tids[0]] + list(reversed(tids[1:]))
    r = s.req("GET", "/v1/threads", token=a.token)
    expect_status(r, 200)
    expect_keys(r.json, ["threads", "next_cursor"], "GET /v1/threads")
    for t in r.json["threads"]:
        check_thread(t, "listed thread")
    eq([t["thread_id"] for t in r.json["threads"]], want, "threads, newest activity first")
    eq(r.json["next_cursor"], None, "next_cursor when everything fit")
    # pages of 2
    seen = []
    cursor = None
    for _ in range(10):
        r = s.req("GET", "/v1/threads?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=a.token)
        expect_status(r, 200, "page")
        check(len(r.json["threads"]) <= 2, f"limit=2 returned {len(r.json['threads'])} threads")
        seen += [t["thread_id"] for t in r.json["threads"]]
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
        check(isinstance(cursor, str) and cursor, f"next_cursor {cursor!r}")
    eq(seen, want, "paging with limit=2 yields every thread once, in order")


def test_list_threads_default_limit_is_50():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(a, c)
    made = [s.thread(a, [b, c], expect=201)["thread_id"] for _ in range(52)]
    r = s.req("GET", "/v1/threads", token=a.token)
    expect_status(r, 200)
    eq(len(r.json["threads"]), 50, "threads without a limit")
    check(isinstance(r.json["next_cursor"], str), "next_cursor after a full default page")
    r2 = s.req("GET", f"/v1/threads?cursor={r.json['next_cursor']}", token=a.token)
    expect_status(r2, 200)
    eq(sorted(t["thread_id"] for t in r.json["threads"] + r2.json["threads"]), sorted(made), "two pages hold all")
    eq(r2.json["next_cursor"], None, "next_cursor on the last page")


def test_list_threads_limits():
    s = H.server()
    a = s.new_user()
    for q in ["limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit=99999999999999999999"]:
        expect_error(s.req("GET", f"/v1/threads?{q}", token=a.token), 400, ("invalid_field", "bad_request"),
                     f"GET /v1/threads?{q}")
    for q in ["limit=1", "limit=100"]:
        expect_status(s.req("GET", f"/v1/threads?{q}", token=a.token), 200, q)
    for c in ["garbage", "AAAA", "%00", H.b64(b'{"x":1}')]:
        # an escaped control byte is refused before the handler (t28): bad_request then
        expect_error(s.req("GET", f"/v1/threads?cursor={c}", token=a.token), 400,
                     ("invalid_cursor", "bad_request") if c == "%00" else "invalid_cursor", f"cursor={c}")


def test_unread_and_read_marker():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    for i in range(3):
        eq(s.send(b, tid, body=b"m%d" % i)["seq"], i + 1, "seq")
    t = _get(s, a, tid)
    eq((t["last_seq"], t["read_seq"], t["unread"]), (3, 0, 3), "a's (last_seq, read_seq, unread)")
    t = _get(s, b, tid)
    eq((t["last_seq"], t["read_seq"], t["unread"]), (3, 3, 0), "sender's own messages mark the thread read")
    r = s.req("POST", f"/v1/threads/{tid}/read", {"seq": 2}, token=a.token)
    expect_status(r, 200)
    eq(r.json, {"read_seq": 2}, "POST read body")
    t = _get(s, a, tid)
    eq((t["read_seq"], t["unread"]), (2, 1), "after reading up to 2")
    r = s.req("POST", f"/v1/threads/{tid}/read", {"seq": 1}, token=a.token)
    expect_status(r, 200, "moving the marker back")
    eq(r.json, {"read_seq": 2}, "the read marker only moves forward")
    eq(_get(s, a, tid)["read_seq"], 2, "read_seq after trying to move back")
    listed = [x for x in s.req("GET", "/v1/threads", token=a.token).json["threads"] if x["thread_id"] == tid]
    eq([(x["unread"], x["read_seq"]) for x in listed], [(1, 2)], "unread/read_seq in GET /v1/threads")
    s.send(a, tid)
    t = _get(s, a, tid)
    eq((t["last_seq"], t["read_seq"], t["unread"]), (4, 4, 0), "own message marks the thread read")
    for body in [{}, {"seq": "3"}, {"seq": -1}, {"seq": 1.5}, {"seq": None}]:
        expect_error(s.req("POST", f"/v1/threads/{tid}/read", body, token=a.token), 400, "invalid_field",
                     f"read body {body!r}")


def test_add_member():
    s = H.server()
    a, b, c, d, x = (s.new_user() for _ in range(5))
    for u in (b, c, d):
        s.befriend(a, u)
    s.befriend(x, b)
    tid = s.thread(a, [b, c], expect=201)["thread_id"]
    s.send(a, tid, body=b"before d")
    r = s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id}, token=a.token)
    expect_status(r, 200)
    check_thread(r.json, "thread after adding", kind="group", members=[a, b, c, d])
    s.send(a, tid, body=b"after d")
    msgs = s.messages(d, tid)
    eq([H.unb64(m["body"]) for m in msgs], [b"after d"], "the new member sees only messages sent after joining")
    eq([m["seq"] for m in msgs], [2], "seq of what d sees")
    # b (a member) adding x (b's friend, not a's) is fine: the new member must be the adder's friend
    r = s.req("POST", f"/v1/threads/{tid}/members", {"user_id": x.user_id}, token=b.token)
    expect_status(r, 200, "member adding their own friend")
    # a adding someone who is not a's friend
    y = s.new_user()
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": y.user_id}, token=a.token), 403,
                 "not_friends")
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": 7}, token=a.token), 400, "invalid_field")
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {}, token=a.token), 400, "invalid_field")


def test_member_cap_holds_for_creation_and_growth():
    # --thread-max-members=N: N members besides the creator, when the thread is created and when it grows
    with H.Server(["--thread-max-members=3"]) as s:
        a, b, c, d, e = (s.new_user() for _ in range(5))
        for u in (b, c, d, e):
            s.befriend(a, u)
        expect_error(s.req("POST", "/v1/threads", {"members": [b.user_id, c.user_id, d.user_id, e.user_id]},
                           token=a.token), 400, "invalid_field")
        tid = s.thread(a, [b, c], expect=201)["thread_id"]
        expect_status(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id}, token=a.token), 200,
                      "the 4th member (3 besides the creator)")
        r = s.req("POST", f"/v1/threads/{tid}/members", {"user_id": e.user_id}, token=a.token)
        expect_error(r, 409, "conflict")
        eq(len(s.req("GET", f"/v1/threads/{tid}", token=a.token).json["members"]), 4, "members after the refusal")
        tid2 = s.thread(a, [b, c, d], expect=201)["thread_id"]
        expect_error(s.req("POST", f"/v1/threads/{tid2}/members", {"user_id": e.user_id}, token=a.token), 409,
                     "conflict")


def test_direct_thread_cannot_grow():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(a, c)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    expect_error(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": c.user_id}, token=a.token), 400, None,
                 "adding to a direct thread")
    eq(len(_get(s, a, tid)["members"]), 2, "still two members")


def test_remove_and_leave():
    s = H.server()
    a, b, c, d = (s.new_user() for _ in range(4))
    for u in (b, c, d):
        s.befriend(a, u)
    tid = s.thread(a, [b, c, d], expect=201)["thread_id"]
    # a non-creator cannot remove someone else
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/members/{c.user_id}", token=b.token), 404, "not_found",
                 "non-creator removing a member")
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/members/{a.user_id}", token=b.token), 404, "not_found",
                 "non-creator removing the creator")
    # the creator removes c
    r = s.req("DELETE", f"/v1/threads/{tid}/members/{c.user_id}", token=a.token)
    expect_status(r, 204)
    eq(r.raw, b"", "204 body")
    expect_error(s.req("GET", f"/v1/threads/{tid}", token=c.token), 404, "not_found", "removed member reads thread")
    expect_error(s.req("GET", f"/v1/threads/{tid}/messages", token=c.token), 404, "not_found",
                 "removed member reads messages")
    r = s.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": "x1", "body": H.b64(b"x")}, token=c.token)
    expect_error(r, 404, "not_found", "removed member posts")
    check(tid not in [t["thread_id"] for t in s.req("GET", "/v1/threads", token=c.token).json["threads"]],
          "removed member still lists the thread")
    # b leaves
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{b.user_id}", token=b.token), 204, "leave")
    expect_error(s.req("GET", f"/v1/threads/{tid}", token=b.token), 404, "not_found", "after leaving")
    eq(sorted(m["user_id"] for m in _get(s, a, tid)["members"]), sorted([a.user_id, d.user_id]), "members left")
    # removing someone who is not a member
    expect_error(s.req("DELETE", f"/v1/threads/{tid}/members/{c.user_id}", token=a.token), 404, "not_found",
                 "removing a non-member")


def test_unknown_thread():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    fake = H.fake_id(tid)
    for method, path, body in [("GET", f"/v1/threads/{fake}", None),
                               ("GET", f"/v1/threads/{fake}/messages", None),
                               ("POST", f"/v1/threads/{fake}/messages", {"client_msg_id": "a1", "body": "aGk"}),
                               ("POST", f"/v1/threads/{fake}/read", {"seq": 1}),
                               ("POST", f"/v1/threads/{fake}/members", {"user_id": b.user_id}),
                               ("DELETE", f"/v1/threads/{fake}/members/{a.user_id}", None)]:
        expect_error(s.req(method, path, body, token=a.token), 404, "not_found", f"{method} {path}")
