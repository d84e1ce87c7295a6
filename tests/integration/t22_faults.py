"""Fault injection: with every Nth allocation of jansson and SQLite failing (POSTERN_FAIL_ALLOC_EVERY), every
request still gets a well-formed answer — success, or a JSON error — the server keeps serving, and nothing
acknowledged is lost: after a restart without faults, every message answered 2xx is there and each thread's
seqs have no gaps."""
import os
import socket

import harness as H
from harness import check


def workload(s, rounds=400):
    """Drive a mix of writes and reads; return the acknowledged messages {(token, thread): [message_id]}."""
    acked = {}
    answered = 0
    users = []
    for i in range(rounds):
        if len(users) >= 6:
            break
        name = H.rand_name("f")
        r = s.req("POST", "/v1/accounts", {"username": name, "password": "password1"})
        answered += 1
        if r.status >= 500:
            check(r.json and r.json.get("error"), f"a 5xx without a JSON error: {r.status} {r.short_body()}")
            continue
        r = s.req("POST", "/v1/sessions", {"username": name, "password": "password1"})
        if r.status == 201:
            users.append((name, r.json["token"], r.json["user_id"]))
    check(len(users) >= 4, f"too few users survived the faults to go on ({len(users)})")
    a = users[0]
    threads = []
    for u in users[1:]:
        r1 = s.req("POST", "/v1/friends/requests", {"username": u[0]}, token=a[1])
        r2 = s.req("POST", "/v1/friends/requests", {"username": a[0]}, token=u[1])
        if r1.status < 300 and r2.status < 300:
            r = s.req("POST", "/v1/threads", {"members": [u[2]]}, token=a[1])
            if r.status in (200, 201):
                threads.append(r.json["thread_id"])
    for t in threads:
        for j in range(8):
            r = s.req("POST", f"/v1/threads/{t}/messages", {"client_msg_id": f"c{j}", "body": "aGVsbG8"}, token=a[1])
            if r.status in (200, 201):
                acked.setdefault(t, set()).add(r.json["message_id"])
            elif r.status >= 500:
                check(r.json and r.json.get("error"), f"a 5xx without a JSON error: {r.status} {r.short_body()}")
            s.req("GET", f"/v1/threads/{t}/messages?limit=5", token=a[1])
            s.req("GET", "/v1/sync?timeout=0", token=a[1])
    return a, acked


def run_with_faults(n):
    os.environ["POSTERN_FAIL_ALLOC_EVERY"] = str(n)
    try:
        s = H.Server().start()
    finally:
        del os.environ["POSTERN_FAIL_ALLOC_EVERY"]
    try:
        a, acked = workload(s)
        check(s.alive(), f"posternd died under allocation faults (every {n}): {s.log_tail(600)}")
        # it still answers health (allocation failures there are allowed to be 5xx, but it answers)
        r = s.req("GET", "/v1/health")
        check(r.status in (200, 500), f"health: {r.status}")
    finally:
        s.stop()
    # without faults, on the same data: everything acknowledged is there, seqs without gaps
    s2 = H.Server(data_dir=s.data_dir).start()
    try:
        r = s2.req("POST", "/v1/sessions", {"username": a[0], "password": "password1"})
        H.expect_status(r, 201, "log in after the faulty run")
        tok = r.json["token"]
        for t, ids in acked.items():
            msgs = s2.req("GET", f"/v1/threads/{t}/messages?limit=200", token=tok).json["messages"]
            got = {m["message_id"] for m in msgs}
            check(ids <= got, f"acknowledged messages missing in {t}: {sorted(ids - got)}")
            seqs = [m["seq"] for m in msgs]
            check(seqs == list(range(1, len(seqs) + 1)), f"seqs with gaps in {t}: {seqs}")
    finally:
        s2.stop()


def test_one_allocation_in_50_fails():
    run_with_faults(50)


def test_one_allocation_in_211_fails():
    run_with_faults(211)


def test_one_allocation_in_97_fails():
    run_with_faults(97)
