"""Friend requests and friendships (docs/api.md: Friends)."""
import harness as H
from harness import check, eq, expect_error, expect_id, expect_keys, expect_status, expect_ts


def _req_list(s, u):
    r = s.req("GET", "/v1/friends/requests", token=u.token)
    expect_status(r, 200)
    expect_keys(r.json, ["incoming", "outgoing"], "GET /v1/friends/requests")
    for side in ("incoming", "outgoing"):
        check(isinstance(r.json[side], list), f"{side} is not a list")
        for q in r.json[side]:
            expect_keys(q, ["request_id", "user", "created_at"], f"{side} request")
            expect_keys(q["user"], ["user_id", "username"], f"{side} request.user")
            expect_ts(q["created_at"], "request.created_at")
    return r.json


def _friends(s, u):
    r = s.req("GET", "/v1/friends", token=u.token)
    expect_status(r, 200)
    expect_keys(r.json, ["friends"], "GET /v1/friends")
    for f in r.json["friends"]:
        expect_keys(f, ["user_id", "username", "since"], "friend")
        expect_ts(f["since"], "friend.since")
    return r.json["friends"]


def test_request_and_accept():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    r = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
    expect_status(r, 201)
    expect_keys(r.json, ["request_id", "state", "user", "created_at"], "POST /v1/friends/requests")
    expect_id(r.json["request_id"], "request_id")
    eq(r.json["state"], "pending", "state")
    eq(r.json["user"], b.ref(), "request.user is the asked user")
    rid = r.json["request_id"]

    la, lb = _req_list(s, a), _req_list(s, b)
    eq([(q["request_id"], q["user"]) for q in la["outgoing"]], [(rid, b.ref())], "a's outgoing")
    eq(la["incoming"], [], "a's incoming")
    eq([(q["request_id"], q["user"]) for q in lb["incoming"]], [(rid, a.ref())], "b's incoming")
    eq(lb["outgoing"], [], "b's outgoing")
    eq(_friends(s, a), [], "a's friends before accepting")

    r = s.req("POST", f"/v1/friends/requests/{rid}/accept", token=b.token)
    expect_status(r, 200)
    expect_keys(r.json, ["state", "user"], "accept body")
    eq(r.json["state"], "accepted", "accept state")
    eq(r.json["user"], a.ref(), "accept.user is the asker")

    fa, fb = _friends(s, a), _friends(s, b)
    eq([(f["user_id"], f["username"]) for f in fa], [(b.user_id, b.username)], "a's friends")
    eq([(f["user_id"], f["username"]) for f in fb], [(a.user_id, a.username)], "b's friends")
    la, lb = _req_list(s, a), _req_list(s, b)
    eq(la, {"incoming": [], "outgoing": []}, "a's requests after accept")
    eq(lb, {"incoming": [], "outgoing": []}, "b's requests after accept")


def test_asking_again_while_pending_returns_same():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    r1 = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
    expect_status(r1, 201)
    r2 = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
    expect_status(r2, 200, "asking again while pending")
    eq(r2.json.get("request_id"), r1.json["request_id"], "same pending request")
    eq(r2.json.get("state"), "pending", "state")
    eq(r2.json.get("user"), b.ref(), "user")
    eq(len(_req_list(s, b)["incoming"]), 1, "still one incoming request")


def test_mutual_request_makes_friendship():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    expect_status(s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token), 201)
    r = s.req("POST", "/v1/friends/requests", {"username": a.username}, token=b.token)
    expect_status(r, 200, "asking someone who already asked you")
    expect_keys(r.json, ["state", "user"], "mutual request body")
    eq(r.json["state"], "accepted", "state")
    eq(r.json["user"], a.ref(), "user")
    eq([f["user_id"] for f in _friends(s, a)], [b.user_id], "a's friends")
    eq([f["user_id"] for f in _friends(s, b)], [a.user_id], "b's friends")
    eq(_req_list(s, a), {"incoming": [], "outgoing": []}, "no requests left")


def test_already_friends_conflict():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    expect_error(s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token), 409, "conflict")
    expect_error(s.req("POST", "/v1/friends/requests", {"username": a.username}, token=b.token), 409, "conflict")


def test_ask_yourself_and_unknown():
    s = H.server()
    a = s.new_user()
    expect_error(s.req("POST", "/v1/friends/requests", {"username": a.username}, token=a.token), 400, None,
                 "asking yourself")
    expect_error(s.req("POST", "/v1/friends/requests", {"username": H.rand_name("nobody")}, token=a.token),
                 404, "not_found", "unknown username")
    expect_error(s.req("POST", "/v1/friends/requests", {}, token=a.token), 400, "invalid_field")
    expect_error(s.req("POST", "/v1/friends/requests", {"username": 7}, token=a.token), 400, "invalid_field")
    eq(_req_list(s, a), {"incoming": [], "outgoing": []}, "nothing created")


def test_only_recipient_answers():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    rid = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token).json["request_id"]
    for who in (a, c):
        for verb in ("accept", "decline"):
            expect_error(s.req("POST", f"/v1/friends/requests/{rid}/{verb}", token=who.token), 404, "not_found",
                         f"{verb} by {'sender' if who is a else 'third party'}")
    expect_error(s.req("POST", f"/v1/friends/requests/{H.fake_id(rid)}/accept", token=b.token), 404, "not_found",
                 "unknown request id")
    eq(len(_req_list(s, b)["incoming"]), 1, "request still pending")
    eq(_friends(s, a), [], "no friendship")


def test_decline():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    rid = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token).json["request_id"]
    r = s.req("POST", f"/v1/friends/requests/{rid}/decline", token=b.token)
    expect_status(r, 200)
    expect_keys(r.json, ["request_id", "state"], "decline body")
    eq(r.json["request_id"], rid, "decline request_id")
    eq(r.json["state"], "declined", "decline state")
    eq(_friends(s, a), [], "a's friends after decline")
    eq(_friends(s, b), [], "b's friends after decline")
    eq(_req_list(s, a), {"incoming": [], "outgoing": []}, "a's requests after decline")
    eq(_req_list(s, b), {"incoming": [], "outgoing": []}, "b's requests after decline")
    expect_error(s.req("POST", f"/v1/friends/requests/{rid}/accept", token=b.token), 404, "not_found",
                 "accepting a declined request")
    # a declined request is no longer pending: asking again makes a new one
    r = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
    expect_status(r, 201, "asking again after a decline")
    eq(r.json["state"], "pending", "state of the new request")


def test_unanswered_requests_are_capped():
    with H.Server(["--max-pending-requests=2"]) as s:
        a, b, c, d = (s.new_user() for _ in range(4))
        ask = lambda frm, to: s.req("POST", "/v1/friends/requests", {"username": to.username}, token=frm.token)
        rb = ask(a, b)
        expect_status(rb, 201)
        expect_status(ask(a, c), 201)
        expect_error(ask(a, d), 429, "rate_limited")
        expect_status(ask(a, b), 200, "asking again is not a new request")
        expect_status(ask(d, a), 201, "others may still ask a")
        expect_status(ask(a, d), 200, "answering d's request by asking back is not capped")
        expect_status(s.req("POST", f"/v1/friends/requests/{rb.json['request_id']}/decline", token=b.token), 200)
        e = s.new_user()
        expect_status(ask(a, e), 201, "a declined request frees its place")


def test_withdraw_request():
    s = H.server()
    a, b = s.new_user(), s.new_user()
    _, cur_b = s.sync_all(b)
    rid = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token).json["request_id"]
    expect_error(s.req("DELETE", f"/v1/friends/requests/{rid}", token=b.token), 404, "not_found",
                 "the recipient cannot withdraw it")
    expect_status(s.req("DELETE", f"/v1/friends/requests/{rid}", token=a.token), 204)
    eq(_req_list(s, a), {"incoming": [], "outgoing": []}, "a's requests after withdrawing")
    eq(_req_list(s, b), {"incoming": [], "outgoing": []}, "b's requests after withdrawing")
    evs = [e for e in s.sync(b, since=cur_b, timeout=0)["events"] if e["type"].startswith("friend.")]
    eq([(e["type"], e.get("request_id")) for e in evs], [("friend.request", rid), ("friend.withdrawn", rid)],
       "b is told of the request and of its withdrawal")
    expect_error(s.req("POST", f"/v1/friends/requests/{rid}/accept", token=b.token), 404, "not_found",
                 "accepting a withdrawn request")
    expect_error(s.req("DELETE", f"/v1/friends/requests/{rid}", token=a.token), 404, "not_found", "twice")
    r = s.req("POST", "/v1/friends/requests", {"username": b.username}, token=a.token)
    expect_status(r, 201, "asking again after withdrawing")


def test_remove_friend():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    s.befriend(a, c)
    eq(sorted(f["user_id"] for f in _friends(s, a)), sorted([b.user_id, c.user_id]), "a's friends")
    r = s.req("DELETE", f"/v1/friends/{b.user_id}", token=a.token)
    expect_status(r, 204)
    eq(r.raw, b"", "204 body")
    eq([f["user_id"] for f in _friends(s, a)], [c.user_id], "a's friends after removing b")
    eq(_friends(s, b), [], "b's friends after a removed b")
    expect_error(s.req("DELETE", f"/v1/friends/{b.user_id}", token=a.token), 404, "not_found", "removing again")
    expect_error(s.req("DELETE", f"/v1/friends/{a.user_id}", token=b.token), 404, "not_found",
                 "the other side removing")
    d = s.new_user()
    expect_error(s.req("DELETE", f"/v1/friends/{d.user_id}", token=a.token), 404, "not_found", "a stranger")
    # they can become friends again
    s.befriend(b, a)
    eq(sorted(f["user_id"] for f in _friends(s, a)), sorted([b.user_id, c.user_id]), "friends again")


def test_friend_lists_are_independent():
    s = H.server()
    a, b, c = s.new_user(), s.new_user(), s.new_user()
    s.befriend(a, b)
    eq(_friends(s, c), [], "c sees no friends")
    eq(_req_list(s, c), {"incoming": [], "outgoing": []}, "c sees no requests")
