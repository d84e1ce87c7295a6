-- bench/read_seed_sqlite.sql — fill a posternd SQLite database with :n messages for the read-cost curve of
-- `make bench` (step 11; bench/read_seed.py substitutes :n, :k, :rt and :'body' and runs it with posternd
-- stopped). bench/read_seed_pg.sql is the same on PostgreSQL; keep the two in step.
--
-- The shape: :n / :k direct threads of :k messages each, between n / k / 4 users (at least :rt; each in about
-- 8 threads);
-- messages go round robin over the threads, so every thread's history is spread over the whole table, as in
-- a server where many conversations run at once. The measured user, 'reader' (made over the API before this
-- runs), is a member of :rt of those threads, whatever :n is: the reader's own data stays the same size while
-- everyone else's grows. Every row is one the server could have written: users, threads with their last_seq
-- and last_activity, two members each (read markers a little behind for some), messages numbered 1..:k in
-- each thread, and for every message one message.created event per member, numbered per user after the
-- user's counter, with the counters (event_counters) moved to the last number.
PRAGMA journal_mode = DELETE; -- new pages need no rollback journal: much less writing than WAL for a bulk load
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1000000;
BEGIN;
CREATE TEMP TABLE sp AS SELECT :n AS n, :k AS k, :n / :k AS t, MAX(:n / :k / 4, :rt) AS u, :rt AS rt,
  (SELECT COALESCE(MAX(id), 0) FROM users) AS bu, (SELECT COALESCE(MAX(id), 0) FROM threads) AS bt,
  (SELECT COALESCE(MAX(id), 0) FROM messages) AS bm, (SELECT id FROM users WHERE username = 'reader') AS r,
  CAST(strftime('%s', 'now') AS INTEGER) * 1000 - :n * 10 AS ts0;
CREATE TEMP TABLE nums(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < :n) INSERT INTO nums SELECT i FROM c;
INSERT INTO users(id, public_id, username, pw_hash, created_at)
  SELECT bu + 1 + i, 'u_seed' || (bu + 1 + i), 'seed' || (bu + 1 + i), 'x', ts0 FROM nums, sp WHERE i < u;
-- thread j: members ua and ub. Thread j pairs user j mod u with the user 1 to 4 places after it (so no two
-- threads join the same pair while u >= 10); :rt threads spread over the list pair the reader with users 0..:rt-1.
CREATE TEMP TABLE thr(j INTEGER PRIMARY KEY, id INTEGER NOT NULL, ua INTEGER NOT NULL, ub INTEGER NOT NULL);
INSERT INTO thr SELECT i, bt + 1 + i, CASE WHEN i % (t / rt) = 0 AND i / (t / rt) < rt THEN r ELSE bu + 1 + i % u END,
  CASE WHEN i % (t / rt) = 0 AND i / (t / rt) < rt THEN bu + 1 + i / (t / rt) ELSE bu + 1 + (i % u + 1 + i / u) % u END FROM nums, sp WHERE i < t;
INSERT INTO threads(id, public_id, kind, direct_key, creator, created_at, last_seq, last_activity)
  SELECT thr.id, 't_seed' || thr.id, 1, MIN(ua, ub) || ':' || MAX(ua, ub), ua, ts0, k, ts0 + ((k - 1) * t + j) * 10
  FROM thr, sp;
INSERT INTO members(thread_id, user_id, joined_seq, read_seq)
  SELECT id, ua, 0, k FROM thr, sp UNION ALL SELECT id, ub, 0, k - j % 5 FROM thr, sp;
INSERT INTO messages(id, public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at)
  SELECT bm + 1 + i, 'm_seed' || (bm + 1 + i), thr.id, i / t + 1, CASE WHEN (i / t) % 2 = 0 THEN ua ELSE ub END, 0,
    'seed' || i, 'message', :'body', ts0 + i * 10
  FROM nums, sp, thr WHERE thr.j = nums.i % sp.t;
INSERT INTO events(user_id, seq, device_id, type, ref_id, data, created_at)
  SELECT uid, COALESCE((SELECT n FROM event_counters c WHERE c.user_id = uid), 0)
      + ROW_NUMBER() OVER (PARTITION BY uid ORDER BY mid), 0, 'message.created', mid, '{}', at
  FROM (SELECT m.id AS mid, m.created_at AS at, thr.ua AS uid FROM messages m JOIN thr ON thr.id = m.thread_id
        UNION ALL SELECT m.id, m.created_at, thr.ub FROM messages m JOIN thr ON thr.id = m.thread_id)
  ORDER BY mid, uid;
INSERT INTO event_counters(user_id, n) SELECT user_id, MAX(seq) FROM events WHERE true GROUP BY user_id
  ON CONFLICT(user_id) DO UPDATE SET n = excluded.n;
COMMIT;
PRAGMA journal_mode = WAL;
