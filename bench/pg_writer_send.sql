-- bench/pg_writer_send.sql — one durable send as bench/pg_send.sql has it, written for a batch: no BEGIN/END,
-- no \set and no \gset (bench/ceiling.sh repeats these lines WRITER_BATCH times in one transaction with the
-- \set lines of each send, and pgbench 15 crashes on a script with a few hundred \gset). The values pg_send.sql
-- passes on with \gset are read back in the statement that needs them instead: the thread's new last_seq by a
-- primary-key lookup, the message id with currval(). Same rows written, same round trips, one statement a line.
SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq, m.joined_seq, t.app_id, t.chain_length, t.chain_head FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = :sender WHERE t.public_id = 't' || :thread;
SELECT g.id FROM messages g WHERE g.sender_id = :sender AND g.client_msg_id = 'b' || :r;
UPDATE threads SET last_seq = last_seq + 1, last_activity = GREATEST(last_activity, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) WHERE id = :thread RETURNING last_seq, last_activity;
INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at, app_id, grant_id, item) VALUES ('m_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || lpad(to_hex(:r::bigint % 1099511627776), 10, '0'), :thread, (SELECT last_seq FROM threads WHERE id = :thread), :sender, 0, 'b' || :r, 'message', :body, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 0, 0, '') RETURNING id;
UPDATE members SET read_seq = GREATEST(read_seq, (SELECT last_seq FROM threads WHERE id = :thread)) WHERE thread_id = :thread AND user_id = :sender RETURNING read_seq;
SELECT m.user_id, u.public_id, u.username, m.joined_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id WHERE m.thread_id = :thread ORDER BY u.username;
INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES (:sender, 0, 'message.created', currval(pg_get_serial_sequence('messages', 'id')), '{}', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES (1, 0, 'message.created', currval(pg_get_serial_sequence('messages', 'id')), '{}', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
