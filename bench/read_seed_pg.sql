-- bench/read_seed_pg.sql — bench/read_seed_sqlite.sql on PostgreSQL (the same rows; see the shape there):
-- :n messages for the read-cost curve of `make bench` (step 11), run by bench/read_seed.py through psql with
-- posternd stopped. Explicit ids are given as SQLite's INTEGER PRIMARY KEY would take them, and the identity
-- sequences moved past them afterwards, as `posternd migrate` does. VACUUM ANALYZE at the end gives the
-- planner's statistics and the visibility map that autovacuum would give a database loaded this way.
SET synchronous_commit = off;
BEGIN;
CREATE TEMP TABLE sp AS SELECT :n::bigint AS n, :k::bigint AS k, (:n / :k)::bigint AS t, GREATEST(:n / :k / 4, :rt)::bigint AS u,
  :rt::bigint AS rt, (SELECT COALESCE(MAX(id), 0) FROM users) AS bu, (SELECT COALESCE(MAX(id), 0) FROM threads) AS bt,
  (SELECT COALESCE(MAX(id), 0) FROM messages) AS bm, (SELECT id FROM users WHERE username = 'reader') AS r,
  (extract(epoch FROM now()) * 1000)::bigint - :n * 10 AS ts0;
INSERT INTO users(id, public_id, username, pw_hash, created_at)
  SELECT bu + 1 + i, 'u_seed' || (bu + 1 + i), 'seed' || (bu + 1 + i), 'x', ts0 FROM sp, generate_series(0, sp.u - 1) i;
CREATE TEMP TABLE thr(j bigint PRIMARY KEY, id bigint NOT NULL, ua bigint NOT NULL, ub bigint NOT NULL);
INSERT INTO thr SELECT i, bt + 1 + i, CASE WHEN i % (t / rt) = 0 AND i / (t / rt) < rt THEN r ELSE bu + 1 + i % u END,
  CASE WHEN i % (t / rt) = 0 AND i / (t / rt) < rt THEN bu + 1 + i / (t / rt) ELSE bu + 1 + (i % u + 1 + i / u) % u END FROM sp, generate_series(0, sp.t - 1) i;
ANALYZE thr;
INSERT INTO threads(id, public_id, kind, direct_key, creator, created_at, last_seq, last_activity)
  SELECT thr.id, 't_seed' || thr.id, 1, LEAST(ua, ub) || ':' || GREATEST(ua, ub), ua, ts0, k, ts0 + ((k - 1) * t + j) * 10
  FROM thr, sp;
INSERT INTO members(thread_id, user_id, joined_seq, read_seq)
  SELECT id, ua, 0, k FROM thr, sp UNION ALL SELECT id, ub, 0, k - j % 5 FROM thr, sp;
INSERT INTO messages(id, public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at)
  SELECT bm + 1 + i, 'm_seed' || (bm + 1 + i), thr.id, i / t + 1, CASE WHEN (i / t) % 2 = 0 THEN ua ELSE ub END, 0,
    'seed' || i, 'message', :'body', ts0 + i * 10
  FROM sp, generate_series(0, sp.n - 1) i JOIN thr ON thr.j = i % (SELECT t FROM sp);
INSERT INTO events(user_id, seq, device_id, type, ref_id, data, created_at)
  SELECT uid, COALESCE((SELECT n FROM event_counters c WHERE c.user_id = uid), 0)
      + ROW_NUMBER() OVER (PARTITION BY uid ORDER BY mid), 0, 'message.created', mid, '{}', at
  FROM (SELECT m.id AS mid, m.created_at AS at, thr.ua AS uid FROM messages m JOIN thr ON thr.id = m.thread_id
        UNION ALL SELECT m.id, m.created_at, thr.ub FROM messages m JOIN thr ON thr.id = m.thread_id) x
  ORDER BY mid, uid;
INSERT INTO event_counters(user_id, n) SELECT user_id, MAX(seq) FROM events GROUP BY user_id
  ON CONFLICT(user_id) DO UPDATE SET n = excluded.n;
SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users));
SELECT setval(pg_get_serial_sequence('threads', 'id'), (SELECT MAX(id) FROM threads));
SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT MAX(id) FROM messages));
COMMIT;
VACUUM ANALYZE users, threads, members, messages, events, event_counters;
