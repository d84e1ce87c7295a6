-- bench/pg_seed.sql — the people of the ceiling benchmark (psql -v senders=N -f bench/pg_seed.sql, after
-- bench/pg_schema.sql): as in bench/setup.py, one receiver (user 1, recv_a) and N senders (users 2 .. N+1),
-- each with a direct thread with the receiver (thread i between sender i+1 and user 1, public id t<i>).
INSERT INTO users(id, public_id, username, pw_hash, created_at) VALUES (1, 'u1', 'recv_a', 'x', 0);
INSERT INTO users(id, public_id, username, pw_hash, created_at)
  SELECT i + 1, 'u' || (i + 1), 'snd' || lpad(i::text, 3, '0'), 'x', 0 FROM generate_series(1, :senders) i;
INSERT INTO threads(id, public_id, kind, direct_key, creator, created_at, last_seq, last_activity)
  SELECT i, 't' || i, 0, '1:' || (i + 1), i + 1, 0, 0, 0 FROM generate_series(1, :senders) i;
INSERT INTO members(thread_id, user_id, joined_seq, read_seq)
  SELECT i, i + 1, 0, 0 FROM generate_series(1, :senders) i
  UNION ALL SELECT i, 1, 0, 0 FROM generate_series(1, :senders) i;
SELECT setval(pg_get_serial_sequence('users', 'id'), :senders + 1);
SELECT setval(pg_get_serial_sequence('threads', 'id'), :senders);
ANALYZE users, threads, members;
