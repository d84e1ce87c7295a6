#!/usr/bin/env python3
"""read_seed.py -- fill a posternd database for the read-cost curve (bench/run.sh step 11; Python 3 stdlib).

  python3 bench/read_seed.py sqlite DB_FILE MESSAGES
  python3 bench/read_seed.py pg PG_URL MESSAGES

Runs bench/read_seed_sqlite.sql (with Python's sqlite3) or bench/read_seed_pg.sql (with psql) with the
parameters substituted: MESSAGES messages, 50 to a thread, the measured user 'reader' in 10 of the threads,
256-byte bodies (344 base64url characters: a short text message's envelope). posternd must be stopped and
'reader' must exist (made over the API). Prints one line for bench/run.sh:

  SEEDRESULT messages=N events=N users=N threads=N seconds=S reader_last_seq=N
"""
import base64
import os
import re
import subprocess
import sqlite3
import sys
import time

PER_THREAD = 50
READER_THREADS = 10
HERE = os.path.dirname(os.path.abspath(__file__))
PSQL = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
COUNTS = ("SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM users),"
          " (SELECT COUNT(*) FROM threads),"
          " (SELECT n FROM event_counters WHERE user_id = (SELECT id FROM users WHERE username = 'reader'))")


def params(n):
    body = base64.urlsafe_b64encode(os.urandom(256)).decode().rstrip("=")
    return {"n": str(n), "k": str(PER_THREAD), "rt": str(READER_THREADS), "body": body}


def seed_sqlite(path, n):
    p = params(n)
    sql = open(os.path.join(HERE, "read_seed_sqlite.sql")).read()
    sql = re.sub(r":'(\w+)'", lambda m: "'" + p[m.group(1)] + "'", sql)  # the values are digits and base64url
    sql = re.sub(r":(\w+)", lambda m: p[m.group(1)], sql)
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(sql)
    row = db.execute(COUNTS).fetchone()
    db.close()
    return row


def seed_pg(url, n):
    p = params(n)
    args = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for k, v in p.items():
        args += ["-v", f"{k}={v}"]
    subprocess.run(args + ["-f", os.path.join(HERE, "read_seed_pg.sql"), url], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([PSQL, "-X", "-A", "-t", "-F", " ", "-c", COUNTS, url], check=True, capture_output=True,
                         text=True).stdout.split()
    return out


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("sqlite", "pg") or not sys.argv[3].isdigit():
        sys.exit("usage: read_seed.py sqlite DB_FILE MESSAGES | pg PG_URL MESSAGES")
    n = int(sys.argv[3]) // PER_THREAD * PER_THREAD  # whole threads
    if n < PER_THREAD * READER_THREADS * 4:
        sys.exit(f"read_seed.py: MESSAGES must be at least {PER_THREAD * READER_THREADS * 4}")
    t0 = time.monotonic()
    row = seed_sqlite(sys.argv[2], n) if sys.argv[1] == "sqlite" else seed_pg(sys.argv[2], n)
    secs = time.monotonic() - t0
    print("SEEDRESULT messages=%s events=%s users=%s threads=%s seconds=%.1f reader_last_seq=%s" % (*row[:4], secs, row[4]))


if __name__ == "__main__":
    main()
