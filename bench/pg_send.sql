-- bench/pg_send.sql — one durable send as a pgbench transaction: the statements posternd's send route
-- (src/server/h_message_create in h_messages.c, events_emit_members in events.c) runs in the writer's
-- transaction, translated from src/server/store_sqlite.c's THREAD_FOR_MEMBER, MESSAGE_BY_CLIENT (a miss),
-- THREAD_NEXT_SEQ, MESSAGE_INSERT, MEMBER_READ, MEMBER_LIST and one EVENT_APPEND per member (two: a direct
-- thread). Run with -M prepared (posternd prepares each statement once per connection) and
-- -D senders=N -D body=<1,366 base64url characters> after bench/pg_schema.sql and bench/pg_seed.sql.
-- Client c sends as sender c mod N into its own thread, as bench/send.lua spreads wrk's requests.
\set thread :client_id % :senders + 1
\set sender :thread + 1
\set r random(1, 9000000000000000000)
BEGIN;
SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq, m.joined_seq, t.app_id, t.chain_length, t.chain_head FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = :sender WHERE t.public_id = 't' || :thread;
SELECT g.id FROM messages g WHERE g.sender_id = :sender AND g.client_msg_id = 'b' || :r;
UPDATE threads SET last_seq = last_seq + 1, last_activity = GREATEST(last_activity, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) WHERE id = :thread RETURNING last_seq AS seq, last_activity AS now \gset
INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at, app_id, grant_id, item) VALUES ('m_' || lpad(to_hex(:now::bigint), 12, '0') || lpad(to_hex(:r::bigint % 1099511627776), 10, '0'), :thread, :seq, :sender, 0, 'b' || :r, 'message', :body, :now, 0, 0, '') RETURNING id AS msg \gset
UPDATE members SET read_seq = GREATEST(read_seq, LEAST(:seq::bigint, (SELECT last_seq FROM threads WHERE id = :thread))) WHERE thread_id = :thread AND user_id = :sender RETURNING read_seq;
SELECT m.user_id, u.public_id, u.username, m.joined_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id WHERE m.thread_id = :thread ORDER BY u.username;
INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES (:sender, 0, 'message.created', :msg, '{}', :now);
INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES (1, 0, 'message.created', :msg, '{}', :now);
END;
