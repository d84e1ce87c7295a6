/*
 * schema.c — the database schema as one list of numbered migrations, run in order by every driver's open (a
 * database records how many it has had: SQLite in PRAGMA user_version). A migration is never edited once
 * released; a change of schema is one more row at the end.
 *
 * The text is SQLite's today. Where another engine's DDL differs — INTEGER PRIMARY KEY and AUTOINCREMENT
 * (PostgreSQL: BIGINT GENERATED ... AS IDENTITY), BLOB (BYTEA), WITHOUT ROWID (nothing), json_extract — that
 * row carries the engine's own text in engine_sql; the PostgreSQL driver adds it to the rows that need it.
 */
#include "schema.h"

#include "banned.h" /* last: bans footguns in this file only */

const struct store_migration store_schema[] = {
	/* 1: the foundation */
	{.sql = "CREATE TABLE users("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, username TEXT NOT NULL UNIQUE,"
	"  pw_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE sessions("
	"  id INTEGER PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, user_id INTEGER NOT NULL REFERENCES users(id),"
	"  device_id INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX sessions_device ON sessions(device_id) WHERE device_id <> 0;"
	"CREATE TABLE friend_requests("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, from_user INTEGER NOT NULL, to_user INTEGER NOT NULL,"
	"  state INTEGER NOT NULL, created_at INTEGER NOT NULL, UNIQUE(from_user, to_user));"
	"CREATE INDEX friend_requests_to ON friend_requests(to_user, state);"
	"CREATE TABLE friends("
	"  user_id INTEGER NOT NULL, friend_id INTEGER NOT NULL, since INTEGER NOT NULL,"
	"  PRIMARY KEY(user_id, friend_id)) WITHOUT ROWID;"
	"CREATE TABLE devices("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, user_id INTEGER NOT NULL, name TEXT NOT NULL,"
	"  sign_pk TEXT NOT NULL, box_pk TEXT NOT NULL, created_at INTEGER NOT NULL, removed_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX devices_user ON devices(user_id);"
	"CREATE TABLE threads("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL, direct_key TEXT UNIQUE,"
	"  creator INTEGER NOT NULL, created_at INTEGER NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,"
	"  last_activity INTEGER NOT NULL);"
	"CREATE TABLE members("
	"  thread_id INTEGER NOT NULL, user_id INTEGER NOT NULL, joined_seq INTEGER NOT NULL, read_seq INTEGER NOT NULL,"
	"  PRIMARY KEY(thread_id, user_id)) WITHOUT ROWID;"
	"CREATE INDEX members_user ON members(user_id);"
	"CREATE TABLE messages("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, thread_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	"  sender_id INTEGER NOT NULL, sender_device INTEGER NOT NULL, client_msg_id TEXT NOT NULL, kind TEXT NOT NULL,"
	"  body BLOB, created_at INTEGER NOT NULL, deleted_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE(thread_id, seq), UNIQUE(sender_id, client_msg_id));"
	/* AUTOINCREMENT: an id is never reused, even after the newest row is pruned, so a cursor stays valid */
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, device_id INTEGER NOT NULL, type TEXT NOT NULL,"
	"  ref_id INTEGER NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX events_user ON events(user_id, id);"
	"CREATE INDEX events_device ON events(device_id, id) WHERE device_id <> 0;"},

	/* 2: the partner platform */
	{.sql = "ALTER TABLE threads ADD COLUMN app_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN app_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN grant_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN item TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE apps("
	"  id INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, secret_hash BLOB,"
	"  redirect_uris TEXT NOT NULL, scopes TEXT NOT NULL, rate_person INTEGER NOT NULL, rate_app INTEGER NOT NULL,"
	"  rate_recipient INTEGER NOT NULL, suspended INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE grants("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, app_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
	"  scopes TEXT NOT NULL, details TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0, last_used_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX grants_user ON grants(user_id);"
	"CREATE INDEX grants_app_user ON grants(app_id, user_id);"
	"CREATE TABLE grant_threads(grant_id INTEGER NOT NULL, thread_id INTEGER NOT NULL,"
	"  PRIMARY KEY(grant_id, thread_id)) WITHOUT ROWID;"
	"CREATE TABLE share_permits(grant_id INTEGER NOT NULL, user_id INTEGER NOT NULL,"
	"  PRIMARY KEY(grant_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE oauth_codes("
	"  id INTEGER PRIMARY KEY, code_hash BLOB NOT NULL UNIQUE, grant_id INTEGER NOT NULL, app_id INTEGER NOT NULL,"
	"  redirect_uri TEXT NOT NULL, challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE oauth_tokens("
	"  id INTEGER PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, kind INTEGER NOT NULL, app_id INTEGER NOT NULL,"
	"  grant_id INTEGER NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0, used_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX oauth_tokens_grant ON oauth_tokens(grant_id);"
	"CREATE TABLE pairwise(app_id INTEGER NOT NULL, pairwise_id TEXT NOT NULL, user_id INTEGER NOT NULL,"
	"  PRIMARY KEY(app_id, pairwise_id)) WITHOUT ROWID;"
	"CREATE TABLE shares("
	"  id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, app_id INTEGER NOT NULL, grant_id INTEGER NOT NULL,"
	"  sender INTEGER NOT NULL, recipient INTEGER NOT NULL, thread_id INTEGER NOT NULL, message_id INTEGER NOT NULL,"
	"  item TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX shares_app_time ON shares(app_id, created_at);"
	"CREATE INDEX shares_message ON shares(message_id);"
	"CREATE TABLE share_clicks(share_id INTEGER NOT NULL, user_id INTEGER NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY(share_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE app_consents(thread_id INTEGER NOT NULL, user_id INTEGER NOT NULL, state INTEGER NOT NULL,"
	"  at INTEGER NOT NULL, PRIMARY KEY(thread_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE access_log("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, app_id INTEGER NOT NULL, grant_id INTEGER NOT NULL,"
	"  action TEXT NOT NULL, thread_id INTEGER NOT NULL, message_id INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX access_log_user ON access_log(user_id, id);"
	"CREATE TABLE reports(app_id INTEGER NOT NULL, period TEXT NOT NULL, format TEXT NOT NULL, body BLOB NOT NULL,"
	"  PRIMARY KEY(app_id, period, format)) WITHOUT ROWID;"},

	/* 3: partner apps as scoped devices */
	{.sql = "ALTER TABLE devices ADD COLUMN grant_id INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX devices_grant ON devices(grant_id) WHERE grant_id <> 0;"},

	/* 4: a person's sessions, listed and ended together */
	{.sql = "CREATE INDEX sessions_user ON sessions(user_id);"},

	/* 5: signed statements (protocol version 2): identity keys, approved devices, revocations, contact keys,
	 * membership chains, prekeys, app authorisations and consents — kept as clients signed them */
	{.sql = "CREATE TABLE identities("
	"  user_id INTEGER PRIMARY KEY, id_pk BLOB NOT NULL, statement BLOB NOT NULL, backup BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL);"
	"ALTER TABLE devices ADD COLUMN reg_sig TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE devices ADD COLUMN cert BLOB;"
	"ALTER TABLE devices ADD COLUMN identity_box BLOB;"
	"ALTER TABLE devices ADD COLUMN app_auth BLOB;"
	"ALTER TABLE devices ADD COLUMN app_revoke BLOB;"
	"CREATE TABLE device_revocations("
	"  id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, device_id INTEGER NOT NULL, statement BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX device_revocations_user ON device_revocations(user_id, id);"
	"CREATE TABLE contact_statements("
	"  id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, statement BLOB NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX contact_statements_user ON contact_statements(user_id, id);"
	"ALTER TABLE threads ADD COLUMN chain_length INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE threads ADD COLUMN chain_head BLOB;"
	"CREATE TABLE chain_links("
	"  id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL, link BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL, UNIQUE(thread_id, seq));"
	"CREATE TABLE prekeys("
	"  id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, kind INTEGER NOT NULL, key_id INTEGER NOT NULL,"
	"  statement BLOB NOT NULL, created_at INTEGER NOT NULL, UNIQUE(device_id, kind, key_id));"
	"ALTER TABLE app_consents ADD COLUMN statement BLOB;"},

	/* report settings, a history per app that only grows (reports.c, docs/privacy.md): a period's report
	 * uses the newest whose since is before the period's end. Apps already there get this version's
	 * defaults (geometric noise, epsilon 1, delta 1e-6, k 10, cap 5) for every period not frozen yet. */
	{.sql = "CREATE TABLE report_settings(id INTEGER PRIMARY KEY, app_id INTEGER NOT NULL, since INTEGER NOT NULL,"
	"  mechanism TEXT NOT NULL, epsilon_e4 INTEGER NOT NULL, delta_exp INTEGER NOT NULL, k INTEGER NOT NULL,"
	"  cap INTEGER NOT NULL);"
	"CREATE INDEX report_settings_app ON report_settings(app_id, since);"
	"INSERT INTO report_settings(app_id, since, mechanism, epsilon_e4, delta_exp, k, cap)"
	"  SELECT id, 0, 'geometric', 10000, 6, 10, 5 FROM apps;"},

	/* the name each app shows for a person (chosen by that person; none: a default made per app), and a
	 * counter that grows whenever an app is suspended, resumed or deleted — by `posternd app` in another
	 * process too — so that the server ends that app's streams */
	{.sql = "CREATE TABLE app_aliases(app_id INTEGER NOT NULL, user_id INTEGER NOT NULL, alias TEXT NOT NULL,"
	"  PRIMARY KEY(app_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE app_generation(id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);"
	"INSERT INTO app_generation(id, n) VALUES(1, 0);"},

	/* leaving and joining: a deleted account keeps its row (the tombstones of its messages name it), its
	 * username held until name_free_at; invite codes for --registration=invite */
	{.sql = "ALTER TABLE users ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN name_free_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE invites(id INTEGER PRIMARY KEY, code_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, used_at INTEGER NOT NULL DEFAULT 0, used_by INTEGER NOT NULL DEFAULT 0);"},

	/* the transparency log (docs/transparency.md): its leaves, the hashes of its complete subtrees, witness
	 * cosignatures, and each person's key for the commitments of their access-log lines */
	{.sql = "CREATE TABLE tlog_leaves(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, entry BLOB NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX tlog_leaves_entry ON tlog_leaves(entry);"
	"CREATE TABLE tlog_nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TABLE tlog_cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY(size, witness)) WITHOUT ROWID;"
	"ALTER TABLE users ADD COLUMN log_key BLOB;"},

	/* each person's access-log lines numbered 1, 2, 3...: the number is in the line's commitment, so a client
	 * sees a line dropped (a gap) or a line it saw before written again (docs/transparency.md); older lines 0 */
	{.sql = "ALTER TABLE access_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX access_log_seq ON access_log(user_id, seq);"},

	/* an app's homepage and privacy policy, shown to people on the consent and connected-apps pages
	 * (posternd app create --homepage/--privacy-url); '' when the operator gave none */
	{.sql = "ALTER TABLE apps ADD COLUMN homepage TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE apps ADD COLUMN privacy_url TEXT NOT NULL DEFAULT '';"},

	/* each user's event log numbered 1, 2, 3... by a counter row per user taken in the writer's transaction,
	 * so that with several writers (several nodes on one database) a user's numbers commit in order and a
	 * cursor never passes an event that commits later (docs/multinode.md). Cursors given so far were global
	 * ids: existing events keep their id as their number, and every existing user's counter starts at the
	 * largest id ever given, so an old cursor still means the same place in the log. */
	{.sql = "CREATE TABLE event_counters(user_id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	"ALTER TABLE events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"UPDATE events SET seq = id;"
	"INSERT INTO event_counters(user_id, n)"
	"  SELECT id, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) FROM users;"
	"DROP INDEX events_user;"
	"DROP INDEX events_device;"
	"CREATE UNIQUE INDEX events_user_seq ON events(user_id, seq);"
	"CREATE INDEX events_device_seq ON events(device_id, seq) WHERE device_id <> 0;",
	 .engine_sql[STORE_ENGINE_POSTGRES] = "CREATE TABLE event_counters(user_id BIGINT PRIMARY KEY, n BIGINT NOT NULL);"
	"ALTER TABLE events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;"
	"UPDATE events SET seq = id;"
	"INSERT INTO event_counters(user_id, n)"
	"  SELECT id, (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_id_seq) FROM users;"
	"DROP INDEX events_user;"
	"DROP INDEX events_device;"
	"CREATE UNIQUE INDEX events_user_seq ON events(user_id, seq);"
	"CREATE INDEX events_device_seq ON events(device_id, seq) WHERE device_id <> 0;"},
};

const size_t store_schema_count = sizeof(store_schema) / sizeof(store_schema[0]);
