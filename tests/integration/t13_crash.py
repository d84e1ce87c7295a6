"""Crash safety: kill -9 while 16+ clients send; after a restart on the same data dir every acknowledged (2xx)
message is there, with the seq it was given, seqs are 1..N without gaps, and the event log has each once."""
import os
import threading
import time

import harness as H
from harness import check, eq, expect_status

SENDERS = 16


class Sender(threading.Thread):
    def __init__(self, port, user, tid, idx, stop, rnd):
        super().__init__(daemon=True)
        self.port, self.user, self.tid, self.idx, self.stop, self.rnd = port, user, tid, idx, stop, rnd
        self.acked = []          # (cmid, message_id, seq, body)
        self.unknown = []        # cmids whose fate is unknown (no answer)
        self.bad = []            # unexpected statuses while the server was up
        self.n = 0

    def run(self):
        while not self.stop.is_set():
            cmid = f"r{self.rnd}s{self.idx}-{self.n}"
            body = H.b64(f"{self.idx}:{self.n}".encode())
            self.n += 1
            try:
                r = H.http_request(self.port, "POST", f"/v1/threads/{self.tid}/messages",
                                   {"client_msg_id": cmid, "body": body}, token=self.user.token, timeout=10)
            except Exception:
                self.unknown.append(cmid)
                return
            if 200 <= r.status < 300:
                self.acked.append((cmid, r.json["message_id"], r.json["seq"], body))
            elif r.status in (500, 503):
                self.unknown.append(cmid)   # nothing was stored, per the contract; still fine to verify later
            else:
                self.bad.append((cmid, r.status, r.short_body()))
                return


def _setup(s):
    owner = s.new_user("own")
    senders = [s.new_user("snd") for _ in range(SENDERS)]
    for u in senders:
        s.befriend(owner, u)
    tid = s.thread(owner, senders, expect=201)["thread_id"]
    # a second thread: direct threads take part too
    dtid = s.thread(owner, [senders[0]], expect=201)["thread_id"]
    return owner, senders, tid, dtid


def _crash_round(s, owner, senders, tid, dtid, rnd, min_acks=80):
    stop = threading.Event()
    ths = [Sender(s.port, u, tid, i, stop, rnd) for i, u in enumerate(senders)]
    ths.append(Sender(s.port, senders[0], dtid, 99, stop, rnd))
    for t in ths:
        t.start()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and sum(len(t.acked) for t in ths) < min_acks:
        time.sleep(0.02)
    time.sleep(0.15)     # let requests be in flight
    s.kill()
    stop.set()
    for t in ths:
        t.join(15)
    bad = [b for t in ths for b in t.bad]
    check(not bad, f"unexpected answers while sending: {bad[:3]}")
    acked = sum(len(t.acked) for t in ths)
    check(acked >= 16, f"only {acked} messages acknowledged before the kill")
    return ths


def _verify(s2, owner_token, senders, tid, dtid, ths):
    for thread_id, group in ((tid, [t for t in ths if t.tid == tid]), (dtid, [t for t in ths if t.tid == dtid])):
        msgs = []
        after = 0
        while True:
            r = s2.req("GET", f"/v1/threads/{thread_id}/messages?after={after}&limit=200", token=owner_token)
            expect_status(r, 200, "list after restart")
            msgs += r.json["messages"]
            if not r.json["has_more"]:
                break
            after = r.json["messages"][-1]["seq"]
        seqs = [m["seq"] for m in msgs]
        eq(seqs, list(range(1, len(msgs) + 1)), f"seqs of thread {thread_id} after the crash (1..N, no gaps)")
        by_seq = {m["seq"]: m for m in msgs}
        acked = [a for t in group for a in t.acked]
        check(len(msgs) >= len(acked), f"{len(acked)} acknowledged but only {len(msgs)} stored")
        eq(len({a[2] for a in acked}), len(acked), "two acknowledged messages got the same seq")
        for cmid, mid, seq, body in acked:
            m = by_seq.get(seq)
            check(m is not None, f"acknowledged message {cmid} (seq {seq}) lost after the crash")
            eq((m["message_id"], m["client_msg_id"], m["body"]), (mid, cmid, body),
               f"acknowledged message at seq {seq}")
        cmids = [(m["sender_id"], m["client_msg_id"]) for m in msgs]
        eq(len(set(cmids)), len(cmids), "a client_msg_id stored twice")
        t = s2.req("GET", f"/v1/threads/{thread_id}", token=owner_token).json
        eq(t["last_seq"], len(msgs), "thread.last_seq after restart")
    return True


def _verify_events(s2, owner_token, tid):
    j_events = []
    cur = None
    for _ in range(2000):
        r = s2.req("GET", "/v1/sync?timeout=0" + (f"&since={cur}" if cur else ""), token=owner_token)
        expect_status(r, 200, "sync after restart")
        if not r.json["events"]:
            break
        j_events += r.json["events"]
        cur = r.json["cursor"]
    seqs = [e["message"]["seq"] for e in j_events if e["type"] == "message.created" and
            e["message"]["thread_id"] == tid]
    n = s2.req("GET", f"/v1/threads/{tid}", token=owner_token).json["last_seq"]
    eq(sorted(seqs), list(range(1, n + 1)), "message.created events after the crash (each stored message once)")
    eq(seqs, sorted(seqs), "message.created events in commit order")


def test_kill9_during_concurrent_sends():
    with H.Server() as s:
        owner, senders, tid, dtid = _setup(s)
        all_ths = []
        cur = s
        for rnd in range(int(os.environ.get("POSTERN_CRASH_ROUNDS", "2"))):  # make soak runs many more
            all_ths += _crash_round(cur, owner, senders, tid, dtid, rnd)
            cur = s.restart()
            owner_token = cur.login(owner)
            for u in senders:
                u.token = cur.login(u)
            _verify(cur, owner_token, senders, tid, dtid, all_ths)
        _verify_events(cur, owner_token, tid)
        # repeats of acknowledged messages answer with the first result, even across crashes
        group = [t for t in all_ths if t.tid == tid]
        for t in group:
            if t.acked:
                cmid, mid, seq, body = t.acked[-1]
                u = senders[t.idx]
                r = cur.req("POST", f"/v1/threads/{tid}/messages", {"client_msg_id": cmid, "body": body},
                            token=u.token)
                expect_status(r, 200, f"repeat of acknowledged {cmid} after the crash")
                eq((r.json["message_id"], r.json["seq"]), (mid, seq), f"repeat of {cmid}")
        # unknown-fate messages: resending stores each at most once
        n_before = cur.req("GET", f"/v1/threads/{tid}", token=owner_token).json["last_seq"]
        resent_new = 0
        for t in group:
            for cmid in t.unknown:
                u = senders[t.idx]
                r = cur.req("POST", f"/v1/threads/{tid}/messages",
                            {"client_msg_id": cmid, "body": H.b64(cmid.encode())}, token=u.token)
                expect_status(r, (200, 201), f"resend of {cmid}")
                resent_new += r.status == 201
        n_after = cur.req("GET", f"/v1/threads/{tid}", token=owner_token).json["last_seq"]
        eq(n_after, n_before + resent_new, "seqs after resending unknown-fate messages")
        cur.health_ok()
        cur.stop()
