#!/usr/bin/env python3
"""setup.py -- create the benchmark's users on a running posternd (Python 3 standard library only).

  python3 bench/setup.py PORT OUTFILE NSENDERS

Creates two receivers (recv_a, recv_b) and NSENDERS senders (snd000 ...). Every sender befriends both
receivers and opens a direct thread with each. Writes OUTFILE, one record a line, fields separated by spaces:

  R <name> <user_id> <token>
  S <name> <user_id> <token> <thread_with_recv_a> <thread_with_recv_b>

recv_a's threads take the throughput run (wrk), recv_b's the latency run, so the receiver of the latency
run starts with a short event log. Exits non-zero on any unexpected answer.
"""
import concurrent.futures
import http.client
import json
import sys
import threading

PASSWORD = "bench-password-0"
_local = threading.local()


def conn(port):
    c = getattr(_local, "conn", None)
    if c is None:
        c = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    return c


def call(port, method, path, body=None, token=None, want=(200, 201)):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(2):
        c = conn(port)
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
            break
        except (http.client.HTTPException, OSError):
            c.close()
            _local.conn = None
            if attempt:
                raise
    if r.status not in want:
        raise RuntimeError(f"{method} {path} -> {r.status} {raw[:300]!r}")
    return json.loads(raw) if raw else None


def account(port, name):
    u = call(port, "POST", "/v1/accounts", {"username": name, "password": PASSWORD}, want=(201,))
    s = call(port, "POST", "/v1/sessions", {"username": name, "password": PASSWORD}, want=(201,))
    return {"name": name, "id": u["user_id"], "token": s["token"]}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: setup.py PORT OUTFILE NSENDERS")
    port, out, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    recv = list(pool.map(lambda nm: account(port, nm), ["recv_a", "recv_b"]))
    senders = list(pool.map(lambda i: account(port, "snd%03d" % i), range(n)))

    def befriend(s):
        for r in recv:  # s asks, r asks back: the second request makes the friendship (200 accepted)
            call(port, "POST", "/v1/friends/requests", {"username": r["name"]}, token=s["token"], want=(201,))
            a = call(port, "POST", "/v1/friends/requests", {"username": s["name"]}, token=r["token"], want=(200,))
            if a.get("state") != "accepted":
                raise RuntimeError(f"friendship {s['name']} - {r['name']} not accepted: {a!r}")
        s["threads"] = [call(port, "POST", "/v1/threads", {"members": [r["id"]]}, token=s["token"],
                             want=(201,))["thread_id"] for r in recv]

    list(pool.map(befriend, senders))
    pool.shutdown()
    with open(out, "w") as f:
        for r in recv:
            f.write(f"R {r['name']} {r['id']} {r['token']}\n")
        for s in senders:
            f.write(f"S {s['name']} {s['id']} {s['token']} {s['threads'][0]} {s['threads'][1]}\n")
    print(f"setup: {len(recv)} receivers, {len(senders)} senders, {2 * len(senders)} threads")


if __name__ == "__main__":
    main()
