"""The event log and GET /v1/sync (docs/api.md: Sync and push)."""
import threading
import time

import harness as H
from harness import check, eq, expect_error, expect_keys, expect_status, expect_ts

PAYLOAD = {
    "friend.request": ["request_id", "from", "to"],
    "friend.accepted": ["user"],
    "friend.declined": ["request_id"],
    "friend.removed": ["user_id"],
    "thread.created": ["thread"],
    "thread.member_added": ["thread_id", "user_id"],
    "thread.member_removed": ["thread_id", "user_id"],
    "message.created": ["message"],
    "message.deleted": ["thread_id", "message_id", "seq"],
    "device.added": ["user_id", "device"],
    "device.removed": ["user_id", "device_id"],
    "to_device": ["from_user_id", "from_device_id", "device_id", "body"],
    "read": ["thread_id", "seq"],
}
MSG_KEYS = ["message_id", "thread_id", "seq", "sender_id", "sender_device_id", "client_msg_id", "kind", "body",
            "created_at", "deleted"]


def check_event(e):
    check(isinstance(e, dict) and e.get("type") in PAYLOAD, f"unknown event {e!r}"[:300])
    expect_keys(e, ["cursor", "type", "created_at"] + PAYLOAD[e["type"]], f"{e['type']} event")
    check(isinstance(e["cursor"], str) and e["cursor"], f"event cursor {e['cursor']!r}")
    expect_ts(e["created_at"], f"{e['type']}.created_at")
    return e


def events_of(s, u, type_, since=None, token=None):
    """The events of one type in u's log, each checked against its documented shape."""
    evs, _ = s.sync_all(u, since=since, token=token)
    out = [e for e in evs if e.get("type") == type_]
    for e in out:
        check_event(e)
    return out


def test_sync_shape_and_empty_log():
    s = H.server()
    u = s.new_user()
    r = s.req("GET", "/v1/sync", token=u.token)
    expect_status(r, 200)
    expect_keys(r.json, ["cursor", "events"], "GET /v1/sync")
    check(isinstance(r.json["cursor"], str) and r.json["cursor"] != "", f"cursor {r.json['cursor']!r}")
    eq(r.json["events"], [], "a new user's log")
    r2 = s.req("GET", f"/v1/sync?since={r.json['cursor']}&timeout=0", token=u.token)
    expect_status(r2, 200)
    eq(r2.json, {"cursor": r.json["cursor"], "events": []}, "nothing new: same cursor, no events")


def test_every_event_type_has_its_documented_shape():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)                                     # friend.request (b), friend.accepted (a)
    rid = s.req("POST", "/v1/friends/requests", {"username": c.username}, token=a.token).json["request_id"]
    s.req("POST", f"/v1/friends/requests/{rid}/decline", token=c.token)   # friend.declined (a)
    d, e = s.new_user(), s.new_user()
    s.befriend(a, d)
    s.befriend(a, e)
    da = s.new_device(a)
    db = s.new_device(b)                                 # device.added (a, as b's friend)
    tid = s.thread(a, [b, d], expect=201)["thread_id"]   # thread.created
    s.req("POST", f"/v1/threads/{tid}/members", {"user_id": e.user_id}, token=a.token)   # member_added
    s.req("DELETE", f"/v1/threads/{tid}/members/{e.user_id}", token=a.token)             # member_removed
    m = s.send(b, tid)                                   # message.created
    s.req("DELETE", f"/v1/threads/{tid}/messages/{m['message_id']}", token=b.token)      # message.deleted
    s.req("POST", f"/v1/threads/{tid}/read", {"seq": 1}, token=a.token)                 # read (a)
    s.req("POST", "/v1/to-device", {"messages": [{"device_id": da["device_id"], "body": "eQ"}]}, token=b.token)
    s.req("DELETE", f"/v1/devices/{db['device_id']}", token=b.token)                     # device.removed
    s.req("DELETE", f"/v1/friends/{a.user_id}", token=d.token)                           # friend.removed (a)
    seen = {}
    for u in (a, b, c, d):
        for ev in s.sync_all(u)[0]:
            seen.setdefault(ev.get("type"), ev)
    problems = []
    for type_ in PAYLOAD:
        if type_ not in seen:
            problems.append(f"no {type_} event was produced")
            continue
        try:
            check_event(seen[type_])
        except H.TestFailure as ex:
            problems.append(str(ex))
    unknown = sorted(t for t in seen if t not in PAYLOAD)
    if unknown:
        problems.append(f"undocumented event types {unknown}")
    check(not problems, " || ".join(problems))


def test_event_friend_request():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    rid = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token).json["request_id"]
    evs = events_of(s, b, "friend.request")
    eq([(e["request_id"], e["from"].get("user_id"), e["from"].get("username"), e["to"].get("user_id")) for e in evs],
       [(rid, a.user_id, a.username, b.user_id)], "b's friend.request (from = the asker, to = b)")
    evs = events_of(s, a, "friend.request")
    eq([(e["request_id"], e["from"].get("user_id"), e["to"].get("user_id")) for e in evs],
       [(rid, a.user_id, b.user_id)], "a's own friend.request (for a's other devices)")


def test_event_friend_accepted():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    evs = events_of(s, a, "friend.accepted")
    eq([(e["user"].get("user_id"), e["user"].get("username")) for e in evs], [(b.user_id, b.username)],
       "a's friend.accepted (user = the new friend)")


def test_event_friend_declined():
    s = H.server()
    a, c = s.new_user(), s.new_user()
    rid = s.req("POST", "/v1/friends/requests", {"username": c.username}, token=a.token).json["request_id"]
    expect_status(s.req("POST", f"/v1/friends/requests/{rid}/decline", token=c.token), 200)
    # the contract does not say whose log gets friend.declined: the asker's or the decliner's will do
    eq([e["request_id"] for e in events_of(s, a, "friend.declined") + events_of(s, c, "friend.declined")], [rid],
       "friend.declined (in the asker's or the decliner's log)")


def test_event_friend_removed():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    expect_status(s.req("DELETE", f"/v1/friends/{a.user_id}", token=b.token), 204)
    eq([e["user_id"] for e in events_of(s, a, "friend.removed")], [b.user_id], "a's friend.removed")


def test_event_thread_created():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    evs = events_of(s, b, "thread.created")
    eq(len(evs), 1, "b's thread.created events")
    th = evs[0]["thread"]
    check(isinstance(th, dict), "thread.created.thread is not an object")
    eq((th.get("thread_id"), th.get("kind")), (tid, "direct"), "thread.created.thread")
    eq(sorted(m["user_id"] for m in th.get("members", [])), sorted([a.user_id, b.user_id]), "thread members")


def test_event_message_created():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    s.new_device(a)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    sent = s.send(a, tid, body=b"event body", cmid="ev1")
    evs = events_of(s, b, "message.created")
    eq(len(evs), 1, "b's message.created events")
    m = evs[0]["message"]
    expect_keys(m, MSG_KEYS, "message.created.message")
    eq((m["message_id"], m["thread_id"], m["seq"], m["sender_id"], m["sender_device_id"], m["client_msg_id"],
        m["kind"], m["body"], m["created_at"], m["deleted"]),
       (sent["message_id"], tid, 1, a.user_id, a.device["device_id"], "ev1", "message", H.b64(b"event body"),
        sent["created_at"], False), "message.created.message (whole, with body)")


def test_event_message_deleted():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    sent = s.send(a, tid, body=b"event body", cmid="ev1")
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/messages/{sent['message_id']}", token=a.token), 204)
    for u in (a, b):
        evs = events_of(s, u, "message.deleted")
        eq([(e["thread_id"], e["message_id"], e["seq"]) for e in evs], [(tid, sent["message_id"], 1)],
           f"message.deleted for {'sender' if u is a else 'other member'}")


def test_event_member_added_and_removed():
    s = H.server()
    a, b, c, d = (s.new_user() for _ in range(4))
    for u in (b, c, d):
        s.befriend(a, u)
    tid = s.thread(a, [b, c], expect=201)["thread_id"]
    expect_status(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": d.user_id}, token=a.token), 200)
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{c.user_id}", token=a.token), 204)
    eq([(e["thread_id"], e["user_id"]) for e in events_of(s, b, "thread.member_added")], [(tid, d.user_id)],
       "b's thread.member_added")
    eq([(e["thread_id"], e["user_id"]) for e in events_of(s, b, "thread.member_removed")], [(tid, c.user_id)],
       "b's thread.member_removed")
    check(any(e["type"] in ("thread.created", "thread.member_added") and
              (e.get("thread_id") == tid or (e.get("thread") or {}).get("thread_id") == tid)
              for e in s.sync_all(d)[0]), "the added member got no event about the thread")


def test_event_device_added():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    db = s.new_device(b)
    eq([(e["user_id"], e["device"]["device_id"], e["device"]["box_pk"]) for e in events_of(s, a, "device.added")],
       [(b.user_id, db["device_id"], db["box_pk"])],
       "friend's device.added")


def test_event_device_removed():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    db = s.new_device(b)
    expect_status(s.req("DELETE", f"/v1/devices/{db['device_id']}", token=b.token), 204)
    eq([(e["user_id"], e["device_id"]) for e in events_of(s, a, "device.removed")],
       [(b.user_id, db["device_id"])], "friend's device.removed")


def test_event_read():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    s.send(b, tid)
    s.send(b, tid)
    expect_status(s.req("POST", f"/v1/threads/{tid}/read", {"seq": 2}, token=a.token), 200)
    eq([(e["thread_id"], e["seq"]) for e in events_of(s, a, "read")], [(tid, 2)], "reader's own read event")


def test_long_poll_times_out():
    s = H.server()
    u = s.new_user()
    cur = s.sync(u)["cursor"]
    t0 = time.monotonic()
    j = s.sync(u, since=cur, timeout=1500)
    dt = time.monotonic() - t0
    eq(j, {"cursor": cur, "events": []}, "long poll with nothing new")
    check(1.3 <= dt <= 6, f"timeout=1500 returned after {dt:.2f}s")
    t0 = time.monotonic()
    j = s.sync(u, since=cur, timeout=0)
    check(time.monotonic() - t0 < 1.0, "timeout=0 waited")


def test_long_poll_wakes_on_event():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    cur = s.sync_all(b)[1]
    out = {}

    def poll():
        t0 = time.monotonic()
        out["j"] = s.sync(b, since=cur, timeout=20000)
        out["dt"] = time.monotonic() - t0

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.5)
    sent = s.send(a, tid, cmid="wake")
    th.join(25)
    check("j" in out, "long poll did not return")
    check(out["dt"] < 5, f"long poll returned after {out['dt']:.2f}s, not when the event arrived")
    evs = out["j"]["events"]
    check(any(e["type"] == "message.created" and e["message"]["message_id"] == sent["message_id"] for e in evs),
          f"woken long poll lacks the message: {evs!r}"[:400])
    check(out["j"]["cursor"] != cur, "cursor did not move")


def test_sync_bad_params():
    s = H.server()
    u = s.new_user()
    for q in ["timeout=60001", "timeout=-1", "timeout=abc", "timeout=1.5"]:
        expect_error(s.req("GET", f"/v1/sync?{q}", token=u.token), 400, ("invalid_field", "bad_request"), q)
    expect_status(s.req("GET", "/v1/sync?timeout=0", token=u.token), 200, "timeout=0")
    for c in ["garbage", "AAAAAAAAAAAAAAAA", "%FF%FE", "-1", "1.5", "99999999999999999999999"]:
        expect_error(s.req("GET", f"/v1/sync?since={c}", token=u.token), 400, "invalid_cursor", f"since={c}")


def test_cursor_of_another_user_is_not_a_way_in():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    s.send(a, tid, body=b"private")
    evs_b, cur_b = s.sync_all(b)
    r = s.req("GET", f"/v1/sync?since={evs_b[0]['cursor']}&timeout=0", token=c.token)
    if r.status == 200:
        for e in r.json["events"]:
            check(e["type"] != "message.created", "another user's cursor leaked their events")
    else:
        expect_error(r, 400, "invalid_cursor")


def _make_events(s, n=6):
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    for i in range(n):
        s.send(a, tid, body=b"e%d" % i)
    return a, b, tid


def test_resume_neither_misses_nor_repeats():
    s = H.server()
    a, b, tid = _make_events(s)
    full, last = s.sync_all(b)
    check(len(full) >= 8, f"expected at least 8 events (request, thread, 6 messages), got {len(full)}")
    eq(len(set(e["cursor"] for e in full)), len(full), "event cursors are unique")
    # one at a time
    paged = []
    cur = None
    for _ in range(len(full) + 5):
        j = s.sync(b, since=cur, limit=1, timeout=0)
        check(len(j["events"]) <= 1, f"limit=1 returned {len(j['events'])} events")
        if not j["events"]:
            eq(j["cursor"], cur if cur is not None else j["cursor"], "cursor unchanged at the end")
            break
        paged += j["events"]
        cur = j["cursor"]
        eq(cur, j["events"][-1]["cursor"], "sync cursor is the cursor of its last event")
    eq([e["cursor"] for e in paged], [e["cursor"] for e in full], "limit=1 paging == one big sync")
    eq(paged, full, "same events")
    # from any cursor, the rest
    for i, e in enumerate(full):
        j = s.sync(b, since=e["cursor"], timeout=0)
        eq([x["cursor"] for x in j["events"]], [x["cursor"] for x in full[i + 1:]][:len(j["events"])],
           f"resuming after event #{i}")
        check(len(j["events"]) > 0 or i == len(full) - 1, f"resuming after event #{i} returned nothing")
    # seqs of message.created in order
    seqs = [e["message"]["seq"] for e in full if e["type"] == "message.created"]
    eq(seqs, list(range(1, 7)), "message.created events in commit order")


def test_events_only_reach_members():
    s = H.server()
    a, b, c, x = (s.new_user() for _ in range(4))
    for u in (b, c):
        s.befriend(a, u)
    s.befriend(a, x)
    tid = s.thread(a, [b, c], expect=201)["thread_id"]
    s.send(a, tid, body=b"m1")
    _, cur_x = s.sync_all(x)
    # x, a friend of a but not a member, sees nothing of the thread
    expect_status(s.req("DELETE", f"/v1/threads/{tid}/members/{c.user_id}", token=a.token), 204)
    _, cur_c = s.sync_all(c)
    s.send(a, tid, body=b"m2")
    expect_status(s.req("POST", f"/v1/threads/{tid}/members", {"user_id": x.user_id}, token=a.token), 200)
    s.send(a, tid, body=b"m3")

    def msg_seqs(evs):
        return sorted(e["message"]["seq"] for e in evs if e["type"] == "message.created" and
                      e["message"]["thread_id"] == tid)

    eq(msg_seqs(s.sync_all(c, since=cur_c)[0]), [], "a removed member gets no message.created afterwards")
    eq(msg_seqs(s.sync_all(x)[0]), [3], "a member added later gets only the messages sent after joining")
    eq(msg_seqs(s.sync_all(b)[0]), [1, 2, 3], "a member all along gets every message")
