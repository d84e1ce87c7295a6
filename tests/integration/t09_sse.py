"""Server-sent events: GET /v1/events (docs/api.md: Sync and push)."""
import time

import harness as H
from harness import check, eq, expect_error, expect_status


def _pair(s):
    a, b = s.new_user(), s.new_user()
    s.befriend(a, b)
    tid = s.thread(a, [b], expect=201)["thread_id"]
    return a, b, tid


def _open(s, u, **kw):
    st = s.sse(token=u.token, **kw)
    check(st.status == 200, f"GET {st.path}: status {st.status}, body {st.body[:200]!r}")
    ct = (st.header("content-type") or "").split(";")[0].strip()
    eq(ct, "text/event-stream", "SSE Content-Type")
    return st


def _next_of(st, type_, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        ev = st.next_event(max(0.0, deadline - time.monotonic()))
        check(ev is not None, f"no {type_} event within {timeout}s")
        if ev["event"] == type_:
            return ev


def test_sse_delivers_events():
    s = H.server()
    a, b, tid = _pair(s)
    _, cur = s.sync_all(b)
    with _open(s, b, path=f"/v1/events?since={cur}") as st:
        sent = s.send(a, tid, body=b"live", cmid="sse1")
        ev = st.next_event(10)
        check(ev is not None, "no event within 10 s of sending a message")
        eq(ev["event"], "message.created", "event: line")
        check(isinstance(ev["data"], dict), f"data is not JSON: {ev['raw_data']!r}"[:300])
        eq(ev["data"].get("type"), "message.created", "data.type")
        eq(ev["id"], ev["data"].get("cursor"), "id: line equals data.cursor")
        m = ev["data"].get("message") or {}
        eq((m.get("message_id"), m.get("body"), m.get("seq")), (sent["message_id"], H.b64(b"live"), 1),
           "message in the SSE event")
        # the same event is what /v1/sync reports after that cursor
        j = s.sync(b, since=cur, timeout=0)
        eq([e["cursor"] for e in j["events"]], [ev["id"]], "sync after the same cursor reports the same event")
        eq(j["events"][0], ev["data"], "SSE data == sync event")


def test_sse_from_start_replays_log():
    s = H.server()
    a, b, tid = _pair(s)
    s.send(a, tid, cmid="r1")
    s.send(a, tid, cmid="r2")
    full, _ = s.sync_all(b)
    with _open(s, b) as st:
        got = []
        for _ in range(len(full)):
            ev = st.next_event(10)
            check(ev is not None, f"stream stopped after {len(got)} of {len(full)} logged events")
            got.append(ev)
        eq([e["id"] for e in got], [e["cursor"] for e in full], "SSE without since replays the whole log")
        eq([e["event"] for e in got], [e["type"] for e in full], "event types")


def test_sse_resume_with_last_event_id_and_since():
    s = H.server()
    a, b, tid = _pair(s)
    _, cur = s.sync_all(b)
    for i in range(3):
        s.send(a, tid, cmid=f"le{i}")
    with _open(s, b, path=f"/v1/events?since={cur}") as st:
        evs = [st.next_event(10) for _ in range(3)]
    check(all(evs), "did not get 3 events")
    eq([e["data"]["message"]["seq"] for e in evs], [1, 2, 3], "seqs")
    with _open(s, b, headers={"Last-Event-ID": evs[0]["id"]}) as st:
        e = st.next_event(10)
        check(e is not None, "nothing after Last-Event-ID")
        eq((e["id"], e["data"]["message"]["seq"]), (evs[1]["id"], 2), "first event after Last-Event-ID")
        e = st.next_event(10)
        eq(e and e["id"], evs[2]["id"], "second event after Last-Event-ID")
    with _open(s, b, path=f"/v1/events?since={evs[1]['id']}") as st:
        e = st.next_event(10)
        eq(e and e["id"], evs[2]["id"], "first event after since=")
        # then nothing more is pending: a new message arrives live, no repeats
        s.send(a, tid, cmid="le-live")
        e = st.next_event(10)
        check(e is not None and e["data"]["message"]["seq"] == 4, f"live event after resume: {e!r}"[:300])
    # an SSE id also works as a /v1/sync cursor
    j = s.sync(b, since=evs[0]["id"], timeout=0)
    eq([e["cursor"] for e in j["events"]][:2], [evs[1]["id"], evs[2]["id"]], "sync since an SSE id")


def test_sse_needs_auth():
    s = H.server()
    u = s.new_user()
    for tok in (None, "garbage"):
        st = s.sse(token=tok)
        try:
            eq(st.status, 401, f"GET /v1/events with token {tok!r}")
            err = st.json.get("error") if isinstance(st.json, dict) else None
            check(isinstance(err, dict) and err.get("code") == "unauthorized" and set(st.json) == {"error"},
                  f"401 body is not an unauthorized error: {st.body[:200]!r}")
        finally:
            st.close()
    st = s.sse(token=u.token, path="/v1/events?since=garbage")
    try:
        eq(st.status, 400, "since=garbage")
        check(isinstance(st.json, dict) and st.json.get("error", {}).get("code") == "invalid_cursor",
              f"since=garbage body {st.body[:200]!r}")
    finally:
        st.close()


def test_sse_heartbeat():
    with H.Server(["--heartbeat-ms=200"]) as s:
        u = s.new_user()
        with _open(s, u) as st:
            # other comments (e.g. a greeting) may come first; count the ": hb" ones
            ev = st.next_event(2.0)   # gathers comment lines for 2 s
            eq(ev, None, "an event on an idle stream")
            hbs = sum(1 for c in st.comments if c.strip() == ": hb")
            check(5 <= hbs <= 15, f"{hbs} ': hb' heartbeats in 2 s with --heartbeat-ms=200, want about 10 "
                                  f"(comments: {st.comments})")


def test_sse_large_events_over_http11_and_http10():
    # HTTP/1.1 streams are chunked and written from the connection's buffer; HTTP/1.0 streams cannot be
    # chunked and go through the response's own block. Both must carry an event far larger than either.
    s = H.server()
    a, b, tid = _pair(s)
    _, cur = s.sync_all(b)
    big = bytes((i * 7 + 3) % 256 for i in range(48 * 1024))
    for version in ("1.1", "1.0"):
        with _open(s, b, path=f"/v1/events?since={cur}", version=version) as st:
            eq(st.chunked, version == "1.1", f"HTTP/{version} stream chunked")
            sent = s.send(a, tid, body=big, cmid="big" + version.replace(".", "_"))
            ev = _next_of(st, "message.created")
            m = ev["data"]["message"]
            eq((m["message_id"], m["body"]), (sent["message_id"], H.b64(big)), f"48 KiB body over HTTP/{version}")
            cur = ev["id"]
            small = s.send(a, tid, body=b"after", cmid="small" + version.replace(".", "_"))
            ev = _next_of(st, "message.created")
            eq(ev["data"]["message"]["message_id"], small["message_id"], f"next event over HTTP/{version}")
            cur = ev["id"]


def test_sse_two_streams_same_user():
    s = H.server()
    a, b, tid = _pair(s)
    _, cur = s.sync_all(b)
    t2 = s.login(b)
    with _open(s, b, path=f"/v1/events?since={cur}") as st1, \
            H.SSE(s.port, path=f"/v1/events?since={cur}", token=t2) as st2:
        eq(st2.status, 200, "second stream")
        sent = s.send(a, tid, cmid="two")
        for st in (st1, st2):
            ev = _next_of(st, "message.created")
            eq(ev["data"]["message"]["message_id"], sent["message_id"], "both streams get it")


def test_sse_stream_survives_and_server_healthy_after_disconnect():
    s = H.server()
    a, b, tid = _pair(s)
    for _ in range(5):
        st = _open(s, b)
        st.close()
    s.send(a, tid)
    s.health_ok("after 5 abandoned SSE connections")
    expect_status(s.req("GET", "/v1/sync?timeout=0", token=b.token), 200)


def test_sse_resume_under_concurrent_sends_misses_nothing_repeats_nothing():
    # 4 senders post 40 messages each while the reader's stream is cut and resumed from its last id again
    # and again: in the end the reader saw every message exactly once, in seq order per thread.
    import threading
    s = H.server()
    reader = s.new_user("rd")
    senders = [s.new_user(f"sd{i}") for i in range(4)]
    threads = {}
    for u in senders:
        s.befriend(u, reader)
        threads[u.user_id] = s.thread(u, [reader], expect=201)["thread_id"]
    _, start = s.sync_all(reader)
    done = threading.Event()
    errors = []

    def send(u):
        try:
            for i in range(40):
                s.send(u, threads[u.user_id], cmid=f"c{i}")
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    workers = [threading.Thread(target=send, args=(u,)) for u in senders]
    for w in workers:
        w.start()
    seen, last = [], start
    import time as _t
    deadline = _t.monotonic() + 60
    while _t.monotonic() < deadline and len(seen) < 160:
        with _open(s, reader, path=f"/v1/events?since={last}") as st:
            for _ in range(7):  # a few events, then the connection is cut
                e = st.next_event(5)
                if e is None:
                    break
                if e["event"] == "message.created":
                    seen.append((e["data"]["message"]["thread_id"], e["data"]["message"]["seq"], e["id"]))
                last = e["id"]
    for w in workers:
        w.join(30)
    check(not errors, f"senders failed: {errors[:3]}")
    ids = [x[2] for x in seen]
    eq(len(ids), len(set(ids)), "an event was delivered twice")
    for tid in threads.values():
        eq([x[1] for x in seen if x[0] == tid], list(range(1, 41)), f"seqs seen for {tid}")
