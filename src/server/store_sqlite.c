/*
 * store_sqlite.c — the SQLite backend of the storage interface (see store.h).
 *
 * One database file in WAL mode. Durability: synchronous=FULL makes every COMMIT fsync the WAL before it
 * returns, and a WAL frame becomes visible to readers only once the commit is done, so nothing a client
 * is told about can vanish in a power cut. The group-commit writer (dbexec.c) keeps commits few and large.
 * Schema changes are numbered migrations tracked in PRAGMA user_version. Every statement is prepared once
 * per connection and reused. This file knows SQL and nothing of HTTP or of the rules of the domain.
 */
#include "store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* ---- schema ---------------------------------------------------------------------------------------- */

static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE users("
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
	"CREATE INDEX events_device ON events(device_id, id) WHERE device_id <> 0;",

	/* 2: the partner platform */
	"ALTER TABLE threads ADD COLUMN app_id INTEGER NOT NULL DEFAULT 0;"
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
	"  PRIMARY KEY(app_id, period, format)) WITHOUT ROWID;",

	/* 3: partner apps as scoped devices */
	"ALTER TABLE devices ADD COLUMN grant_id INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX devices_grant ON devices(grant_id) WHERE grant_id <> 0;",

	/* 4: a person's sessions, listed and ended together */
	"CREATE INDEX sessions_user ON sessions(user_id);",

	/* 5: signed statements (protocol version 2): identity keys, approved devices, revocations, contact keys,
	 * membership chains, prekeys, app authorisations and consents — kept as clients signed them */
	"CREATE TABLE identities("
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
	"ALTER TABLE app_consents ADD COLUMN statement BLOB;",

	/* report settings, a history per app that only grows (reports.c, docs/privacy.md): a period's report
	 * uses the newest whose since is before the period's end. Apps already there get this version's
	 * defaults (geometric noise, epsilon 1, delta 1e-6, k 10, cap 5) for every period not frozen yet. */
	"CREATE TABLE report_settings(id INTEGER PRIMARY KEY, app_id INTEGER NOT NULL, since INTEGER NOT NULL,"
	"  mechanism TEXT NOT NULL, epsilon_e4 INTEGER NOT NULL, delta_exp INTEGER NOT NULL, k INTEGER NOT NULL,"
	"  cap INTEGER NOT NULL);"
	"CREATE INDEX report_settings_app ON report_settings(app_id, since);"
	"INSERT INTO report_settings(app_id, since, mechanism, epsilon_e4, delta_exp, k, cap)"
	"  SELECT id, 0, 'geometric', 10000, 6, 10, 5 FROM apps;",

	/* the name each app shows for a person (chosen by that person; none: a default made per app), and a
	 * counter that grows whenever an app is suspended, resumed or deleted — by `posternd app` in another
	 * process too — so that the server ends that app's streams */
	"CREATE TABLE app_aliases(app_id INTEGER NOT NULL, user_id INTEGER NOT NULL, alias TEXT NOT NULL,"
	"  PRIMARY KEY(app_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE app_generation(id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);"
	"INSERT INTO app_generation(id, n) VALUES(1, 0);",

	/* leaving and joining: a deleted account keeps its row (the tombstones of its messages name it), its
	 * username held until name_free_at; invite codes for --registration=invite */
	"ALTER TABLE users ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE users ADD COLUMN name_free_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE invites(id INTEGER PRIMARY KEY, code_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, used_at INTEGER NOT NULL DEFAULT 0, used_by INTEGER NOT NULL DEFAULT 0);",

	/* the transparency log (docs/transparency.md): its leaves, the hashes of its complete subtrees, witness
	 * cosignatures, and each person's key for the commitments of their access-log lines */
	"CREATE TABLE tlog_leaves(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, entry BLOB NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX tlog_leaves_entry ON tlog_leaves(entry);"
	"CREATE TABLE tlog_nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TABLE tlog_cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY(size, witness)) WITHOUT ROWID;"
	"ALTER TABLE users ADD COLUMN log_key BLOB;",

	/* each person's access-log lines numbered 1, 2, 3...: the number is in the line's commitment, so a client
	 * sees a line dropped (a gap) or a line it saw before written again (docs/transparency.md); older lines 0 */
	"ALTER TABLE access_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX access_log_seq ON access_log(user_id, seq);",

	/* an app's homepage and privacy policy, shown to people on the consent and connected-apps pages
	 * (posternd app create --homepage/--privacy-url); '' when the operator gave none */
	"ALTER TABLE apps ADD COLUMN homepage TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE apps ADD COLUMN privacy_url TEXT NOT NULL DEFAULT '';",
};

/* ---- statements ------------------------------------------------------------------------------------- */

#define USER_COLS "u.id, u.public_id, u.username, u.pw_hash, u.created_at"
#define DEVICE_COLS "d.id, d.public_id, d.user_id, u.public_id, d.name, d.sign_pk, d.box_pk, d.created_at, d.grant_id," \
	" COALESCE(g.app_id, 0), COALESCE(g.revoked_at, 0), COALESCE(g.expires_at, 0), d.reg_sig, d.cert, d.identity_box"
#define DEVICE_GRANT " LEFT JOIN grants g ON g.id = d.grant_id"
#define THREAD_COLS "t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq, m.joined_seq, t.app_id," \
	" t.chain_length, t.chain_head"
#define MESSAGE_COLS "g.id, g.public_id, g.thread_id, t.public_id, g.seq, g.sender_id, u.public_id, g.sender_device," \
	" COALESCE(d.public_id, ''), g.client_msg_id, g.kind, g.body, g.created_at, g.deleted_at, g.app_id, g.grant_id, g.item," \
	" COALESCE((SELECT public_id FROM shares WHERE message_id = g.id), '')"
#define MESSAGE_FROM " FROM messages g JOIN threads t ON t.id = g.thread_id JOIN users u ON u.id = g.sender_id" \
	" LEFT JOIN devices d ON d.id = g.sender_device"

#define APP_COLS "id, client_id, name, secret_hash, redirect_uris, scopes, rate_person, rate_app, rate_recipient, suspended, created_at," \
	" homepage, privacy_url"
#define APP_COLS_A "a.id, a.client_id, a.name, a.secret_hash, a.redirect_uris, a.scopes, a.rate_person, a.rate_app, a.rate_recipient," \
	" a.suspended, a.created_at, a.homepage, a.privacy_url"
#define GRANT_COLS "g.id, g.public_id, g.app_id, g.user_id, g.scopes, g.details, g.created_at, g.expires_at, g.revoked_at, g.last_used_at"

#define STMT_MAP(X) \
	X(BEGIN, "BEGIN IMMEDIATE") \
	X(COMMIT, "COMMIT") \
	X(ROLLBACK, "ROLLBACK") \
	X(SAVEPOINT, "SAVEPOINT req") \
	X(RELEASE, "RELEASE req") \
	X(ROLLBACK_TO, "ROLLBACK TO req") \
	X(READ_BEGIN, "BEGIN") \
	X(READ_END, "COMMIT") \
	X(USER_INSERT, "INSERT INTO users(public_id, username, pw_hash, created_at) VALUES(?1, ?2, ?3, ?4)") \
	X(USER_BY_NAME, "SELECT " USER_COLS " FROM users u WHERE u.username = ?1 AND u.deleted_at = 0") \
	X(USER_BY_PUBLIC, "SELECT " USER_COLS " FROM users u WHERE u.public_id = ?1 AND u.deleted_at = 0") \
	X(USER_BY_ID, "SELECT " USER_COLS " FROM users u WHERE u.id = ?1") \
	X(SESSION_INSERT, "INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) VALUES(?1, ?2, 0, ?3, ?4)") \
	X(SESSION_BY_HASH, "SELECT s.id, s.user_id, s.device_id, s.created_at, s.expires_at, COALESCE(d.public_id, '') FROM sessions s" \
		" LEFT JOIN devices d ON d.id = s.device_id AND d.removed_at = 0 WHERE s.token_hash = ?1") \
	X(SESSION_DELETE, "DELETE FROM sessions WHERE id = ?1") \
	X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2") \
	X(SESSION_ALIVE, "SELECT 1 FROM sessions WHERE id = ?1 AND expires_at > ?2") \
	X(SESSION_LIST, "SELECT s.id, s.user_id, s.device_id, s.created_at, s.expires_at, COALESCE(d.public_id, ''),"  \
		" COALESCE(d.name, '') FROM sessions s LEFT JOIN devices d ON d.id = s.device_id AND d.removed_at = 0" \
		" WHERE s.user_id = ?1 AND s.expires_at > ?2 ORDER BY s.id") \
	X(USER_SET_PASSWORD, "UPDATE users SET pw_hash = ?2 WHERE id = ?1") \
	X(SESSION_BIND, "UPDATE sessions SET device_id = ?2 WHERE id = ?1") \
	X(SESSION_UNBIND, "UPDATE sessions SET device_id = 0 WHERE device_id = ?1") \
	X(FREQ_PAIR, "SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE from_user = ?1 AND to_user = ?2") \
	X(FREQ_PUBLIC, "SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE public_id = ?1") \
	X(FREQ_INSERT, "INSERT INTO friend_requests(public_id, from_user, to_user, state, created_at) VALUES(?1, ?2, ?3, ?4, ?5)") \
	X(FREQ_SET_STATE, "UPDATE friend_requests SET state = ?2, created_at = ?3 WHERE id = ?1") \
	X(FREQ_DELETE_PAIR, "DELETE FROM friend_requests WHERE (from_user = ?1 AND to_user = ?2) OR (from_user = ?2 AND to_user = ?1)") \
	X(FREQ_INCOMING, "SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS \
		" FROM friend_requests r JOIN users u ON u.id = r.from_user WHERE r.to_user = ?1 AND r.state = 0 ORDER BY r.created_at, r.id") \
	X(FREQ_OUTGOING, "SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS \
		" FROM friend_requests r JOIN users u ON u.id = r.to_user WHERE r.from_user = ?1 AND r.state = 0 ORDER BY r.created_at, r.id") \
	X(FRIEND_INSERT, "INSERT INTO friends(user_id, friend_id, since) VALUES(?1, ?2, ?3), (?2, ?1, ?3)") \
	X(FRIEND_DELETE, "DELETE FROM friends WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)") \
	X(FRIEND_CHECK, "SELECT 1 FROM friends WHERE user_id = ?1 AND friend_id = ?2") \
	X(FRIEND_LIST, "SELECT " USER_COLS ", f.since FROM friends f JOIN users u ON u.id = f.friend_id WHERE f.user_id = ?1 ORDER BY u.username") \
	X(DEVICE_INSERT, "INSERT INTO devices(public_id, user_id, name, sign_pk, box_pk, created_at, grant_id, reg_sig) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") \
	X(DEVICE_BY_PUBLIC, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT " WHERE d.public_id = ?1 AND d.removed_at = 0") \
	X(DEVICE_BY_PUBLIC_ANY, "SELECT " DEVICE_COLS ", d.removed_at <> 0 FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT \
		" WHERE d.public_id = ?1") \
	X(DEVICE_BY_KEY, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT \
		" WHERE d.user_id = ?1 AND d.sign_pk = ?2 AND d.removed_at = 0 AND d.grant_id = 0") \
	X(DEVICE_FOR_GRANT, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT \
		" WHERE d.grant_id = ?1 AND d.removed_at = 0 ORDER BY d.id DESC LIMIT 1") \
	X(DEVICES_REMOVE_GRANT, "UPDATE devices SET removed_at = ?2 WHERE grant_id = ?1 AND removed_at = 0") \
	X(DEVICE_DELETE, "UPDATE devices SET removed_at = ?2 WHERE id = ?1 AND removed_at = 0") \
	X(DEVICE_LIST_USER, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT " WHERE d.user_id = ?1 AND d.removed_at = 0 ORDER BY d.id") \
	X(DEVICE_LIST_THREAD, "SELECT " DEVICE_COLS " FROM members m JOIN devices d ON d.user_id = m.user_id JOIN users u ON u.id = d.user_id" DEVICE_GRANT \
		" WHERE m.thread_id = ?1 AND d.removed_at = 0 ORDER BY d.user_id, d.id") \
	X(SHARE_THREAD, "SELECT 1 FROM members a JOIN members b ON b.thread_id = a.thread_id WHERE a.user_id = ?1 AND b.user_id = ?2 LIMIT 1") \
	X(THREAD_INSERT, "INSERT INTO threads(public_id, kind, direct_key, creator, created_at, last_seq, last_activity, app_id) VALUES(?1, ?2, ?3, ?4, ?5, 0, ?5, ?6)") \
	X(THREAD_BY_DIRECT, "SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, 0, 0, t.app_id," \
		" t.chain_length, t.chain_head FROM threads t WHERE t.direct_key = ?1") \
	X(THREAD_FOR_MEMBER, "SELECT " THREAD_COLS " FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE t.public_id = ?1") \
	X(THREAD_ID_FOR_MEMBER, "SELECT " THREAD_COLS " FROM threads t JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE t.id = ?1") \
	X(THREAD_LIST, "SELECT " THREAD_COLS " FROM members m JOIN threads t ON t.id = m.thread_id WHERE m.user_id = ?1" \
		" AND (?3 = 0 OR t.last_activity < ?2 OR (t.last_activity = ?2 AND t.id < ?3)) ORDER BY t.last_activity DESC, t.id DESC LIMIT ?4") \
	X(MEMBER_ADD, "INSERT INTO members(thread_id, user_id, joined_seq, read_seq) VALUES(?1, ?2, ?3, ?3)") \
	X(MEMBER_REMOVE, "DELETE FROM members WHERE thread_id = ?1 AND user_id = ?2") \
	X(MEMBER_LIST, "SELECT m.user_id, u.public_id, u.username, m.joined_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id" \
		" WHERE m.thread_id = ?1 ORDER BY u.username") \
	X(MEMBER_READ, "UPDATE members SET read_seq = MAX(read_seq, MIN(?3, (SELECT last_seq FROM threads WHERE id = ?1)))" \
		" WHERE thread_id = ?1 AND user_id = ?2 RETURNING read_seq") \
	X(THREAD_NEXT_SEQ, "UPDATE threads SET last_seq = last_seq + 1, last_activity = MAX(last_activity, ?2) WHERE id = ?1 RETURNING last_seq") \
	X(MESSAGE_INSERT, "INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at," \
		" app_id, grant_id, item) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)") \
	X(MESSAGE_BY_CLIENT, "SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.sender_id = ?1 AND g.client_msg_id = ?2") \
	X(MESSAGE_BY_PUBLIC, "SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.public_id = ?2 AND g.thread_id = ?1") \
	X(MESSAGE_BY_ID, "SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.id = ?1") \
	X(MESSAGE_ERASE, "UPDATE messages SET body = NULL, deleted_at = ?2 WHERE id = ?1") \
	X(MESSAGE_LIST_ASC, "SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.thread_id = ?1 AND g.seq > ?2 AND g.seq > ?3 AND (?4 = 0 OR g.seq < ?4)" \
		" ORDER BY g.seq ASC LIMIT ?5") \
	X(MESSAGE_LIST_DESC, "SELECT " MESSAGE_COLS MESSAGE_FROM " WHERE g.thread_id = ?1 AND g.seq > ?2 AND g.seq > ?3 AND (?4 = 0 OR g.seq < ?4)" \
		" ORDER BY g.seq DESC LIMIT ?5") \
	X(EVENT_APPEND, "INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") \
	X(EVENT_LIST, "SELECT id, user_id, device_id, type, ref_id, data, created_at FROM events" \
		" WHERE user_id = ?1 AND id > ?3 AND (device_id = 0 OR device_id = ?2) ORDER BY id LIMIT ?4") \
	X(EVENT_PRUNE, "DELETE FROM events WHERE device_id = ?1 AND id <= ?2") \
	X(APP_INSERT, "INSERT INTO apps(client_id, name, secret_hash, redirect_uris, scopes, rate_person, rate_app, rate_recipient, created_at," \
		" homepage, privacy_url) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)") \
	X(APP_BY_CLIENT, "SELECT " APP_COLS " FROM apps WHERE client_id = ?1") \
	X(APP_BY_ID, "SELECT " APP_COLS " FROM apps WHERE id = ?1") \
	X(APP_LIST, "SELECT " APP_COLS " FROM apps ORDER BY id") \
	X(APP_SUSPEND, "UPDATE apps SET suspended = ?2 WHERE id = ?1") \
	X(APP_GENERATION_BUMP, "UPDATE app_generation SET n = n + 1 WHERE id = 1") \
	X(APP_GENERATION, "SELECT n FROM app_generation WHERE id = 1") \
	X(APP_DELETE_ALIASES, "DELETE FROM app_aliases WHERE app_id = ?1") \
	X(ALIAS_GET, "SELECT alias FROM app_aliases WHERE app_id = ?1 AND user_id = ?2") \
	X(ALIAS_SET, "INSERT INTO app_aliases(app_id, user_id, alias) VALUES(?1, ?2, ?3)" \
		" ON CONFLICT(app_id, user_id) DO UPDATE SET alias = excluded.alias") \
	X(ALIAS_DELETE, "DELETE FROM app_aliases WHERE app_id = ?1 AND user_id = ?2") \
	X(APP_SECRET, "UPDATE apps SET secret_hash = ?2 WHERE id = ?1") \
	X(APP_DELETE, "DELETE FROM apps WHERE id = ?1") \
	X(APP_DELETE_TOKENS, "UPDATE oauth_tokens SET revoked_at = ?2 WHERE app_id = ?1 AND revoked_at = 0") \
	X(APP_DELETE_GRANTS, "UPDATE grants SET revoked_at = ?2 WHERE app_id = ?1 AND revoked_at = 0") \
	X(APP_DELETE_DEVICES, "UPDATE devices SET removed_at = ?2 WHERE removed_at = 0 AND grant_id IN (SELECT id FROM grants WHERE app_id = ?1)") \
	X(GRANT_INSERT, "INSERT INTO grants(public_id, app_id, user_id, scopes, details, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(GRANT_BY_ID, "SELECT " GRANT_COLS " FROM grants g WHERE g.id = ?1") \
	X(GRANT_BY_PUBLIC, "SELECT " GRANT_COLS " FROM grants g WHERE g.public_id = ?1 AND g.user_id = ?2") \
	X(GRANT_LIST_USER, "SELECT " GRANT_COLS ", " APP_COLS_A " FROM grants g JOIN apps a ON a.id = g.app_id WHERE g.user_id = ?1" \
		" ORDER BY (g.revoked_at = 0 AND g.expires_at > ?2) DESC, g.id DESC LIMIT 500") \
	X(GRANT_REVOKE, "UPDATE grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0") \
	X(GRANT_REVOKE_TOKENS, "UPDATE oauth_tokens SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at = 0") \
	X(GRANT_TOUCH, "UPDATE grants SET last_used_at = ?2 WHERE id = ?1") \
	X(GRANT_LIVE, "SELECT 1 FROM grants WHERE app_id = ?1 AND user_id = ?2 AND revoked_at = 0 AND expires_at > ?4" \
		" AND (?3 IS NULL OR instr(' ' || scopes || ' ', ' ' || ?3 || ' ') > 0) LIMIT 1") \
	X(GRANT_THREAD_ADD, "INSERT OR IGNORE INTO grant_threads(grant_id, thread_id) VALUES(?1, ?2)") \
	X(GRANT_THREAD_CHECK, "SELECT 1 FROM grant_threads WHERE grant_id = ?1 AND thread_id = ?2") \
	X(GRANT_THREAD_LIST, "SELECT " THREAD_COLS " FROM grant_threads gt JOIN threads t ON t.id = gt.thread_id" \
		" JOIN members m ON m.thread_id = t.id AND m.user_id = ?2 WHERE gt.grant_id = ?1 ORDER BY t.last_activity DESC, t.id DESC LIMIT 500") \
	X(PERMIT_ADD, "INSERT OR IGNORE INTO share_permits(grant_id, user_id) VALUES(?1, ?2)") \
	X(PERMIT_CHECK, "SELECT 1 FROM share_permits WHERE grant_id = ?1 AND user_id = ?2") \
	X(PERMIT_REMOVE, "DELETE FROM share_permits WHERE grant_id = ?1 AND user_id = ?2") \
	X(CODE_INSERT, "INSERT INTO oauth_codes(code_hash, grant_id, app_id, redirect_uri, challenge, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") \
	X(CODE_GET, "SELECT id, grant_id, app_id, redirect_uri, challenge, expires_at, used_at FROM oauth_codes WHERE code_hash = ?1" \
		" AND app_id = ?2") \
	X(CODE_USE, "UPDATE oauth_codes SET used_at = ?2 WHERE id = ?1 AND used_at = 0") \
	X(TOKEN_INSERT, "INSERT INTO oauth_tokens(token_hash, kind, app_id, grant_id, scopes, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(TOKEN_GET, "SELECT id, kind, app_id, grant_id, scopes, created_at, expires_at, revoked_at, used_at FROM oauth_tokens WHERE token_hash = ?1") \
	X(TOKEN_BY_ID, "SELECT id, kind, app_id, grant_id, scopes, created_at, expires_at, revoked_at, used_at FROM oauth_tokens WHERE id = ?1") \
	X(TOKEN_REVOKE, "UPDATE oauth_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0") \
	X(TOKEN_USE, "UPDATE oauth_tokens SET used_at = ?2 WHERE id = ?1 AND used_at = 0") \
	X(PAIRWISE_PUT, "INSERT OR IGNORE INTO pairwise(app_id, pairwise_id, user_id) VALUES(?1, ?2, ?3)") \
	X(PAIRWISE_GET, "SELECT user_id FROM pairwise WHERE app_id = ?1 AND pairwise_id = ?2") \
	X(SHARE_INSERT, "INSERT INTO shares(public_id, app_id, grant_id, sender, recipient, thread_id, message_id, item, created_at)" \
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(SHARE_FOR_RECIPIENT, "SELECT s.id, s.app_id FROM shares s JOIN messages g ON g.id = s.message_id WHERE s.public_id = ?1" \
		" AND s.recipient = ?2 AND g.deleted_at = 0") \
	X(CLICK_INSERT, "INSERT INTO share_clicks(share_id, user_id, at) VALUES(?1, ?2, ?3)") \
	X(SHARE_COUNT, "SELECT COUNT(*) FROM shares WHERE app_id = ?1 AND created_at >= ?4 AND (?2 = 0 OR sender = ?2) AND (?3 = 0 OR recipient = ?3)") \
	X(CONSENT_SET, "INSERT INTO app_consents(thread_id, user_id, state, at, statement) VALUES(?1, ?2, ?3, ?4, ?5)" \
		" ON CONFLICT(thread_id, user_id) DO UPDATE SET state = excluded.state, at = excluded.at, statement = excluded.statement") \
	X(CONSENT_GET, "SELECT state, at FROM app_consents WHERE thread_id = ?1 AND user_id = ?2") \
	X(ACCESS_INSERT, "INSERT INTO access_log(user_id, app_id, grant_id, action, thread_id, message_id, count, at, seq)" \
		" VALUES(?1, ?2, ?3, ?4, COALESCE((SELECT id FROM threads WHERE public_id = ?5), 0)," \
		" COALESCE((SELECT id FROM messages WHERE public_id = ?6), 0), ?7, ?8," \
		" COALESCE((SELECT MAX(seq) FROM access_log WHERE user_id = ?1), 0) + 1) RETURNING seq") \
	X(ACCESS_LIST, "SELECT l.id, l.user_id, l.app_id, l.grant_id, COALESCE(a.name, ''), COALESCE(g.public_id, ''), l.action," \
		" COALESCE(t.public_id, ''), COALESCE(m.public_id, ''), l.count, l.at, l.seq, COALESCE(a.client_id, '') FROM access_log l" \
		" LEFT JOIN apps a ON a.id = l.app_id LEFT JOIN grants g ON g.id = l.grant_id LEFT JOIN threads t ON t.id = l.thread_id" \
		" LEFT JOIN messages m ON m.id = l.message_id WHERE l.user_id = ?1 AND (?2 = 0 OR l.id < ?2) AND (?4 = 0 OR l.app_id = ?4)" \
		" ORDER BY l.id DESC LIMIT ?3") \
	X(REPORT_ROWS, "WITH k AS (SELECT id, sender, recipient, item FROM (SELECT id, sender, recipient, item," \
		"   ROW_NUMBER() OVER (PARTITION BY sender ORDER BY created_at, id) AS n" \
		"   FROM shares WHERE app_id = ?1 AND created_at >= ?2 AND created_at < ?3) WHERE n <= ?4)," \
		" o AS (SELECT item, COUNT(*) AS n FROM (SELECT k.item," \
		"   ROW_NUMBER() OVER (PARTITION BY c.user_id ORDER BY MIN(c.at), k.item) AS n" \
		"   FROM share_clicks c JOIN k ON k.id = c.share_id WHERE c.at < ?3 GROUP BY c.user_id, k.item)" \
		"  WHERE n <= ?4 GROUP BY item)" \
		" SELECT k.item, COUNT(*), COUNT(DISTINCT k.sender), COUNT(DISTINCT k.recipient), COALESCE(MAX(o.n), 0)" \
		" FROM k LEFT JOIN o ON o.item = k.item GROUP BY k.item ORDER BY k.item") \
	X(REPORT_SETTINGS_ADD, "INSERT INTO report_settings(app_id, since, mechanism, epsilon_e4, delta_exp, k, cap)" \
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	X(REPORT_SETTINGS_AT, "SELECT since, mechanism, epsilon_e4, delta_exp, k, cap FROM report_settings" \
		" WHERE app_id = ?1 AND since < ?2 ORDER BY since DESC, id DESC LIMIT 1") \
	X(REPORT_GET, "SELECT body FROM reports WHERE app_id = ?1 AND period = ?2 AND format = ?3") \
	X(REPORT_PUT, "INSERT OR IGNORE INTO reports(app_id, period, format, body) VALUES(?1, ?2, ?3, ?4)") \
	X(EVENT_COUNT_DEV, "SELECT COUNT(*) FROM events WHERE device_id = ?1 AND id <= ?2") \
	X(EVENT_LAST, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)") \
	X(IDENTITY_GET, "SELECT user_id, id_pk, statement, backup, created_at, changed_at FROM identities WHERE user_id = ?1") \
	X(IDENTITY_PUT, "INSERT INTO identities(user_id, id_pk, statement, backup, created_at, changed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)" \
		" ON CONFLICT(user_id) DO UPDATE SET id_pk = excluded.id_pk, statement = excluded.statement, backup = excluded.backup," \
		" created_at = excluded.created_at, changed_at = excluded.changed_at") \
	X(IDENTITY_DROP_SIGS, "UPDATE devices SET cert = NULL, identity_box = NULL, app_auth = NULL WHERE user_id = ?1") \
	X(DEVICE_SET_CERT, "UPDATE devices SET cert = ?2, identity_box = CASE WHEN ?4 THEN ?3 ELSE identity_box END" \
		" WHERE id = ?1 AND removed_at = 0") \
	X(REVOCATION_ADD, "INSERT INTO device_revocations(user_id, device_id, statement, created_at) VALUES(?1, ?2, ?3, ?4)") \
	X(REVOCATION_LIST, "SELECT id, statement, created_at FROM device_revocations WHERE user_id = ?1 ORDER BY id") \
	X(CONTACT_ADD, "INSERT INTO contact_statements(user_id, statement, created_at) VALUES(?1, ?2, ?3)") \
	X(CONTACT_COUNT, "SELECT COUNT(*) FROM contact_statements WHERE user_id = ?1") \
	X(CONTACT_LIST, "SELECT id, statement, created_at FROM contact_statements WHERE user_id = ?1 ORDER BY id") \
	X(TLOG_SIZE, "SELECT COALESCE(MAX(idx) + 1, 0) FROM tlog_leaves") \
	X(TLOG_LEAF_PUT, "INSERT INTO tlog_leaves(idx, leaf, entry, at) VALUES(?1, ?2, ?3, ?4)") \
	X(TLOG_LEAF_GET, "SELECT leaf FROM tlog_leaves WHERE idx = ?1") \
	X(TLOG_FIND, "SELECT MIN(idx) FROM tlog_leaves WHERE entry = ?1 AND idx < ?2") \
	X(TLOG_NODE_PUT, "INSERT INTO tlog_nodes(level, idx, hash) VALUES(?1, ?2, ?3)") \
	X(TLOG_NODE_GET, "SELECT hash FROM tlog_nodes WHERE level = ?1 AND idx = ?2") \
	X(TLOG_COSIG_PUT, "INSERT OR REPLACE INTO tlog_cosignatures(size, witness, line, at) VALUES(?1, ?2, ?3, ?4)") \
	X(TLOG_COSIG_LIST, "SELECT size, line, at FROM tlog_cosignatures WHERE size = ?1 ORDER BY witness") \
	X(TLOG_COSIG_LATEST, "SELECT MAX(size) FROM tlog_cosignatures") \
	X(USER_LOG_KEY_GET, "SELECT log_key FROM users WHERE id = ?1") \
	X(USER_LOG_KEY_SET, "UPDATE users SET log_key = ?2 WHERE id = ?1 AND log_key IS NULL") \
	X(CHAIN_LENGTH, "SELECT chain_length FROM threads WHERE id = ?1") \
	X(CHAIN_BUMP, "UPDATE threads SET chain_length = chain_length + 1, chain_head = ?3 WHERE id = ?1 AND chain_length = ?2") \
	X(CHAIN_INSERT, "INSERT INTO chain_links(thread_id, seq, hash, link, created_at) VALUES(?1, ?2, ?3, ?4, ?5)") \
	X(CHAIN_LIST, "SELECT seq, hash, link, created_at FROM chain_links WHERE thread_id = ?1 ORDER BY seq") \
	X(PREKEY_DROP_SIGNED, "DELETE FROM prekeys WHERE device_id = ?1 AND kind = 2") \
	X(PREKEY_INSERT, "INSERT INTO prekeys(device_id, kind, key_id, statement, created_at) VALUES(?1, ?2, ?3, ?4, ?5)") \
	X(PREKEY_COUNT, "SELECT (SELECT COUNT(*) FROM prekeys WHERE device_id = ?1 AND kind = 1)," \
		" COALESCE((SELECT key_id FROM prekeys WHERE device_id = ?1 AND kind = 2), -1)") \
	X(PREKEY_SIGNED, "SELECT id, kind, key_id, statement FROM prekeys WHERE device_id = ?1 AND kind = 2") \
	X(PREKEY_OLDEST, "SELECT id, kind, key_id, statement FROM prekeys WHERE device_id = ?1 AND kind = 1 ORDER BY id LIMIT 1") \
	X(PREKEY_DELETE, "DELETE FROM prekeys WHERE id = ?1") \
	X(PREKEY_DELETE_DEVICE, "DELETE FROM prekeys WHERE device_id = ?1") \
	X(APP_AUTH_SET, "UPDATE devices SET app_auth = ?2 WHERE id = ?1 AND grant_id <> 0") \
	X(APP_REVOKE_SET, "UPDATE devices SET app_revoke = ?2 WHERE id = ?1 AND grant_id <> 0") \
	X(APP_AUTH_GET, "SELECT app_auth FROM devices WHERE id = ?1 AND app_auth IS NOT NULL") \
	X(APP_REVOKE_GET, "SELECT app_revoke FROM devices WHERE id = ?1 AND app_revoke IS NOT NULL") \
	X(APP_DEVICE_LIST, "SELECT " DEVICE_COLS ", d.removed_at <> 0 FROM devices d JOIN users u ON u.id = d.user_id" DEVICE_GRANT \
		" WHERE d.user_id = ?1 AND d.grant_id <> 0 AND (d.removed_at = 0 OR d.app_revoke IS NOT NULL) ORDER BY d.id DESC LIMIT 500") \
	X(CONSENT_LIST, "SELECT c.user_id, u.public_id, c.state, c.statement, c.at FROM app_consents c JOIN users u ON u.id = c.user_id" \
		" WHERE c.thread_id = ?1 ORDER BY c.user_id") \
	X(USER_FREE_NAME, "UPDATE users SET username = '~' || public_id WHERE username = ?1 AND deleted_at <> 0 AND name_free_at <= ?2") \
	X(ACCOUNT_LIVE, "SELECT 1 FROM users WHERE id = ?1 AND deleted_at = 0") \
	X(ACCOUNT_USER, "UPDATE users SET pw_hash = '!', log_key = NULL, deleted_at = ?2, name_free_at = ?3 WHERE id = ?1 AND deleted_at = 0") \
	X(ACCOUNT_SESSIONS, "DELETE FROM sessions WHERE user_id = ?1") \
	X(ACCOUNT_PREKEYS, "DELETE FROM prekeys WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?1)") \
	X(ACCOUNT_DEVICES, "UPDATE devices SET removed_at = CASE WHEN removed_at = 0 THEN ?2 ELSE removed_at END, cert = NULL," \
		" identity_box = NULL, app_auth = NULL, app_revoke = NULL, name = '' WHERE user_id = ?1") \
	X(ACCOUNT_IDENTITY, "DELETE FROM identities WHERE user_id = ?1") \
	X(ACCOUNT_REVOCATIONS, "DELETE FROM device_revocations WHERE user_id = ?1") \
	X(ACCOUNT_CONTACTS, "DELETE FROM contact_statements WHERE user_id = ?1") \
	X(ACCOUNT_FRIENDS, "DELETE FROM friends WHERE user_id = ?1 OR friend_id = ?1") \
	X(ACCOUNT_FREQS, "DELETE FROM friend_requests WHERE from_user = ?1 OR to_user = ?1") \
	X(ACCOUNT_MEMBERS, "DELETE FROM members WHERE user_id = ?1") \
	X(ACCOUNT_CONSENTS, "DELETE FROM app_consents WHERE user_id = ?1") \
	X(ACCOUNT_EVENTS, "DELETE FROM events WHERE user_id = ?1") \
	X(ACCOUNT_TO_DEVICE, "DELETE FROM events WHERE device_id <> 0 AND type = 'to_device'" \
		" AND json_extract(data, '$.from_user_id') = (SELECT public_id FROM users WHERE id = ?1)") \
	X(ACCOUNT_MESSAGES, "UPDATE messages SET body = NULL, item = '', deleted_at = CASE WHEN deleted_at = 0 THEN ?2 ELSE deleted_at END" \
		" WHERE sender_id = ?1") \
	X(ACCOUNT_TOKENS, "UPDATE oauth_tokens SET revoked_at = ?2 WHERE revoked_at = 0 AND grant_id IN (SELECT id FROM grants WHERE user_id = ?1)") \
	X(ACCOUNT_CODES, "UPDATE oauth_codes SET used_at = ?2 WHERE used_at = 0 AND grant_id IN (SELECT id FROM grants WHERE user_id = ?1)") \
	X(ACCOUNT_GRANT_THREADS, "DELETE FROM grant_threads WHERE grant_id IN (SELECT id FROM grants WHERE user_id = ?1)") \
	X(ACCOUNT_PERMITS, "DELETE FROM share_permits WHERE user_id = ?1 OR grant_id IN (SELECT id FROM grants WHERE user_id = ?1)") \
	X(ACCOUNT_GRANTS, "UPDATE grants SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at = 0") \
	X(ACCOUNT_PAIRWISE, "DELETE FROM pairwise WHERE user_id = ?1") \
	X(ACCOUNT_ACCESS, "DELETE FROM access_log WHERE user_id = ?1") \
	X(ACCOUNT_CLICKS, "DELETE FROM share_clicks WHERE user_id = ?1 OR share_id IN (SELECT id FROM shares WHERE sender = ?1)") \
	X(ACCOUNT_SHARES, "DELETE FROM shares WHERE sender = ?1") \
	X(ACCOUNT_ALIASES, "DELETE FROM app_aliases WHERE user_id = ?1") \
	X(INVITE_INSERT, "INSERT INTO invites(code_hash, created_at, expires_at) VALUES(?1, ?2, ?3)") \
	X(INVITE_USE, "UPDATE invites SET used_at = ?3, used_by = ?2 WHERE code_hash = ?1 AND used_at = 0 AND expires_at > ?3")

enum stmt_id {
#define STMT_ENUM(name, sql) S_##name,
	STMT_MAP(STMT_ENUM)
#undef STMT_ENUM
	S__COUNT
};

static const char *const stmt_sql[] = {
#define STMT_SQL(name, sql) sql,
	STMT_MAP(STMT_SQL)
#undef STMT_SQL
};

struct store {
	char *path;
	int durable;
};

struct store_conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
};

/* ---- helpers ---------------------------------------------------------------------------------------- */

/* The statement id, reset and with bindings cleared; NULL on a prepare failure. */
static sqlite3_stmt *st_get(struct store_conn *c, enum stmt_id id)
{
	sqlite3_stmt *s = c->stmt[id];
	if (s == NULL) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
			return NULL;
		c->stmt[id] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

/*
 * Copy blob column i into dst (capacity cap); returns its length, or 0 for NULL or a value longer than cap
 * (a row this backend wrote always fits: the handlers bound every statement before storing it).
 */
static size_t col_blob(sqlite3_stmt *s, int i, unsigned char *dst, size_t cap)
{
	const void *b = sqlite3_column_blob(s, i);
	size_t n = b ? (size_t)sqlite3_column_bytes(s, i) : 0;
	if (n > cap)
		return 0;
	if (n)
		memcpy(dst, b, n);
	return n;
}

static void read_user(sqlite3_stmt *s, int i, struct store_user *u)
{
	u->id = sqlite3_column_int64(s, i);
	col_text(s, i + 1, u->public_id, sizeof(u->public_id));
	col_text(s, i + 2, u->username, sizeof(u->username));
	col_text(s, i + 3, u->pw_hash, sizeof(u->pw_hash));
	u->created_at = sqlite3_column_int64(s, i + 4);
}

static void read_device(sqlite3_stmt *s, struct store_device *d)
{
	d->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, d->public_id, sizeof(d->public_id));
	d->user_id = sqlite3_column_int64(s, 2);
	col_text(s, 3, d->user_public_id, sizeof(d->user_public_id));
	col_text(s, 4, d->name, sizeof(d->name));
	col_text(s, 5, d->sign_pk, sizeof(d->sign_pk));
	col_text(s, 6, d->box_pk, sizeof(d->box_pk));
	d->created_at = sqlite3_column_int64(s, 7);
	d->grant_id = sqlite3_column_int64(s, 8);
	d->app_id = sqlite3_column_int64(s, 9);
	d->grant_revoked_at = sqlite3_column_int64(s, 10);
	d->grant_expires_at = sqlite3_column_int64(s, 11);
	col_text(s, 12, d->reg_sig, sizeof(d->reg_sig));
	d->cert_len = col_blob(s, 13, d->cert, sizeof(d->cert));
	d->identity_box_len = col_blob(s, 14, d->identity_box, sizeof(d->identity_box));
	d->removed = 0;
}

static void read_thread(sqlite3_stmt *s, struct store_thread *t)
{
	t->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, t->public_id, sizeof(t->public_id));
	t->kind = sqlite3_column_int(s, 2);
	t->creator = sqlite3_column_int64(s, 3);
	t->created_at = sqlite3_column_int64(s, 4);
	t->last_seq = sqlite3_column_int64(s, 5);
	t->last_activity = sqlite3_column_int64(s, 6);
	t->read_seq = sqlite3_column_int64(s, 7);
	t->joined_seq = sqlite3_column_int64(s, 8);
	t->app_id = sqlite3_column_int64(s, 9);
	t->chain_length = sqlite3_column_int64(s, 10);
	if (col_blob(s, 11, t->chain_head, sizeof(t->chain_head)) != sizeof(t->chain_head))
		memset(t->chain_head, 0, sizeof(t->chain_head));
}

static void read_message(sqlite3_stmt *s, struct store_message *m)
{
	m->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, m->public_id, sizeof(m->public_id));
	m->thread_id = sqlite3_column_int64(s, 2);
	col_text(s, 3, m->thread_public_id, sizeof(m->thread_public_id));
	m->seq = sqlite3_column_int64(s, 4);
	m->sender_id = sqlite3_column_int64(s, 5);
	col_text(s, 6, m->sender_public_id, sizeof(m->sender_public_id));
	m->sender_device = sqlite3_column_int64(s, 7);
	col_text(s, 8, m->sender_device_public_id, sizeof(m->sender_device_public_id));
	col_text(s, 9, m->client_msg_id, sizeof(m->client_msg_id));
	col_text(s, 10, m->kind, sizeof(m->kind));
	if (sqlite3_column_type(s, 11) == SQLITE_NULL) {
		m->body = NULL;
		m->body_len = 0;
	} else {
		m->body = (const char *)sqlite3_column_text(s, 11);
		m->body_len = (size_t)sqlite3_column_bytes(s, 11);
	}
	m->created_at = sqlite3_column_int64(s, 12);
	m->deleted_at = sqlite3_column_int64(s, 13);
	m->app_id = sqlite3_column_int64(s, 14);
	m->grant_id = sqlite3_column_int64(s, 15);
	col_text(s, 16, m->item, sizeof(m->item));
	col_text(s, 17, m->share_public_id, sizeof(m->share_public_id));
}

/*
 * Run a bound query that yields at most one row; the row, if any, goes through read(s, out).
 * Returns SRV_E_OK, SRV_E_NOT_FOUND (no row) or SRV_E_STORAGE.
 */
static enum srv_err row_one(sqlite3_stmt *s, void (*read)(sqlite3_stmt *s, void *out), void *out)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read(s, out);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

/* The readers above as row_one callbacks. */
static void rd_user(sqlite3_stmt *s, void *o) { read_user(s, 0, o); }
static void rd_device(sqlite3_stmt *s, void *o) { read_device(s, o); }
static void rd_thread(sqlite3_stmt *s, void *o) { read_thread(s, o); }

/* Map a step/exec result: constraint violations are SRV_E_CONFLICT, others SRV_E_STORAGE. */
static enum srv_err map_rc(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
		return SRV_E_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return SRV_E_CONFLICT;
	return SRV_E_STORAGE;
}

/* Run a statement that returns no rows. */
static enum srv_err st_exec(sqlite3_stmt *s)
{
	int rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return map_rc(rc);
}

static enum srv_err st_simple(struct store_conn *c, enum stmt_id id)
{
	return st_exec(st_get(c, id));
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/*
 * The statement id with its parameters ?1, ?2, ... bound from the arguments as fmt says, one letter each:
 * 'i' an int64_t, 't' a const char * (NULL binds NULL), 'b' a const unsigned char * and a size_t (NULL binds
 * NULL). Values are bound SQLITE_STATIC: they must live until the statement is run. NULL on a prepare failure.
 */
static sqlite3_stmt *st_bind(struct store_conn *c, enum stmt_id id, const char *fmt, ...)
{
	sqlite3_stmt *s = st_get(c, id);
	va_list ap;
	int i;
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	for (i = 1; *fmt; fmt++, i++) {
		if (*fmt == 'i') {
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
		} else if (*fmt == 't') {
			const char *t = va_arg(ap, const char *);
			if (t)
				bind_text(s, i, t);
			else
				sqlite3_bind_null(s, i);
		} else {
			const unsigned char *b = va_arg(ap, const unsigned char *);
			size_t n = va_arg(ap, size_t);
			if (b)
				sqlite3_bind_blob(s, i, b, (int)n, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, i);
		}
	}
	va_end(ap);
	return s;
}

/* Run s (from st_bind) expecting no rows; with need_change, a statement that changed nothing is NOT_FOUND. */
static enum srv_err st_run(struct store_conn *c, sqlite3_stmt *s, int need_change)
{
	enum srv_err rc = st_exec(s);
	if (rc == SRV_E_OK && need_change && sqlite3_changes(c->db) == 0)
		rc = SRV_E_NOT_FOUND;
	return rc;
}

/* Call cb for each row of s (from st_bind) as read by read(s, row); a non-zero cb stops the listing. */
static enum srv_err st_each(sqlite3_stmt *s, void (*read)(sqlite3_stmt *s, struct store_statement *row),
			    store_statement_cb cb, void *arg)
{
	int r = SQLITE_DONE;
	if (s == NULL)
		return SRV_E_STORAGE;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_statement row;
		memset(&row, 0, sizeof(row));
		read(s, &row);
		if (cb(arg, &row))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

/* ---- lifecycle -------------------------------------------------------------------------------------- */

static enum srv_err conn_pragmas(struct store_conn *c, int durable, int writable)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "PRAGMA busy_timeout = 10000; PRAGMA synchronous = %s; PRAGMA temp_store = MEMORY;"
		 " PRAGMA cache_size = -16384; %s",
		 durable ? "FULL" : "NORMAL", writable ? "" : "PRAGMA query_only = 1;");
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? SRV_E_OK : SRV_E_STORAGE;
}

static void sq_conn_close(struct store_conn *c)
{
	int i;
	if (c == NULL)
		return;
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

static enum srv_err sq_conn_open(struct store *st, int writable, struct store_conn **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_conn *c = calloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_NOMUTEX | (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);

	if (c == NULL)
		return SRV_E_STORAGE;
	if (sqlite3_open_v2(st->path, &c->db, flags, NULL) != SQLITE_OK) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	rc = conn_pragmas(c, st->durable, writable);
out:
	if (rc != SRV_E_OK) {
		sq_conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

static enum srv_err migrate(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int version = 0;
	size_t i;
	enum srv_err rc = SRV_E_OK;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return SRV_E_STORAGE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	for (i = (size_t)version; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %zu;", i + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			rc = SRV_E_STORAGE;
			goto out;
		}
	}
out:
	return rc;
}

static void sq_close(struct store *st)
{
	if (st == NULL)
		return;
	free(st->path);
	free(st);
}

static enum srv_err sq_open(const struct store_options *opt, struct store **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store *st = calloc(1, sizeof(*st));
	sqlite3 *db = NULL;

	*out = NULL;
	if (st == NULL || (st->path = strdup(opt->path)) == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	st->durable = opt->durable;
	if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;", NULL, NULL, NULL) != SQLITE_OK) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	rc = migrate(db);
out:
	sqlite3_close(db);
	if (rc != SRV_E_OK) {
		sq_close(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

/* ---- transactions ----------------------------------------------------------------------------------- */

static enum srv_err sq_begin(struct store_conn *c) { return st_simple(c, S_BEGIN); }
static enum srv_err sq_commit(struct store_conn *c) { return st_simple(c, S_COMMIT); }
static enum srv_err sq_rollback(struct store_conn *c)
{
	if (sqlite3_get_autocommit(c->db))
		return SRV_E_OK;
	return st_simple(c, S_ROLLBACK);
}
static enum srv_err sq_savepoint(struct store_conn *c) { return st_simple(c, S_SAVEPOINT); }
static enum srv_err sq_release(struct store_conn *c) { return st_simple(c, S_RELEASE); }
static enum srv_err sq_rollback_to(struct store_conn *c)
{
	enum srv_err rc = st_simple(c, S_ROLLBACK_TO);
	if (rc == SRV_E_OK)
		rc = st_simple(c, S_RELEASE);
	return rc;
}
static enum srv_err sq_read_begin(struct store_conn *c) { return st_simple(c, S_READ_BEGIN); }
static enum srv_err sq_read_end(struct store_conn *c)
{
	if (sqlite3_get_autocommit(c->db))
		return SRV_E_OK;
	return st_simple(c, S_READ_END);
}

/* ---- users and sessions ----------------------------------------------------------------------------- */

static enum srv_err sq_user_insert(struct store_conn *c, struct store_user *u)
{
	sqlite3_stmt *s;
	/* a deleted account's username whose quarantine is over goes first (its row keeps a '~' name) */
	enum srv_err rc = st_run(c, st_bind(c, S_USER_FREE_NAME, "ti", u->username, u->created_at), 0);
	if (rc != SRV_E_OK)
		return rc;
	s = st_get(c, S_USER_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, u->public_id);
	bind_text(s, 2, u->username);
	bind_text(s, 3, u->pw_hash);
	sqlite3_bind_int64(s, 4, u->created_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		u->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_user_set_password(struct store_conn *c, int64_t id, const char *pw_hash)
{
	sqlite3_stmt *s = st_get(c, S_USER_SET_PASSWORD);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, pw_hash);
	rc = st_exec(s);
	if (rc == SRV_E_OK && sqlite3_changes(c->db) == 0)
		rc = SRV_E_NOT_FOUND;
	return rc;
}

static enum srv_err user_one(struct store_conn *c, enum stmt_id id, const char *text, int64_t num, struct store_user *out)
{
	sqlite3_stmt *s = st_get(c, id);
	if (s == NULL)
		return SRV_E_STORAGE;
	if (text)
		bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, num);
	return row_one(s, rd_user, out);
}

static enum srv_err sq_user_by_name(struct store_conn *c, const char *n, struct store_user *o) { return user_one(c, S_USER_BY_NAME, n, 0, o); }
static enum srv_err sq_user_by_public(struct store_conn *c, const char *p, struct store_user *o) { return user_one(c, S_USER_BY_PUBLIC, p, 0, o); }
static enum srv_err sq_user_by_id(struct store_conn *c, int64_t id, struct store_user *o) { return user_one(c, S_USER_BY_ID, NULL, id, o); }

static enum srv_err sq_session_insert(struct store_conn *c, const unsigned char hash[32], struct store_session *ss)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ss->user_id);
	sqlite3_bind_int64(s, 3, ss->created_at);
	sqlite3_bind_int64(s, 4, ss->expires_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		ss->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_session_by_hash(struct store_conn *c, const unsigned char hash[32], struct store_session *o)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_BY_HASH);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		o->id = sqlite3_column_int64(s, 0);
		o->user_id = sqlite3_column_int64(s, 1);
		o->device_id = sqlite3_column_int64(s, 2);
		o->created_at = sqlite3_column_int64(s, 3);
		o->expires_at = sqlite3_column_int64(s, 4);
		col_text(s, 5, o->device_public_id, sizeof(o->device_public_id));
		if (o->device_public_id[0] == '\0')
			o->device_id = 0;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err exec_ii(struct store_conn *c, enum stmt_id id, int64_t a, int64_t b, int need_change)
{
	sqlite3_stmt *s = st_get(c, id);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	rc = st_exec(s);
	if (rc == SRV_E_OK && need_change && sqlite3_changes(c->db) == 0)
		rc = SRV_E_NOT_FOUND;
	return rc;
}

static enum srv_err sq_session_delete(struct store_conn *c, int64_t id) { return exec_ii(c, S_SESSION_DELETE, id, 0, 0); }
static enum srv_err sq_session_delete_others(struct store_conn *c, int64_t user, int64_t keep)
{
	return exec_ii(c, S_SESSION_DELETE_OTHERS, user, keep, 0);
}

static enum srv_err sq_session_list_user(struct store_conn *c, int64_t user, int64_t now, store_session_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_LIST);
	struct store_session o;
	int r, stop = 0;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, now);
	while (!stop && (r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.id = sqlite3_column_int64(s, 0);
		o.user_id = sqlite3_column_int64(s, 1);
		o.device_id = sqlite3_column_int64(s, 2);
		o.created_at = sqlite3_column_int64(s, 3);
		o.expires_at = sqlite3_column_int64(s, 4);
		col_text(s, 5, o.device_public_id, sizeof(o.device_public_id));
		col_text(s, 6, o.device_name, sizeof(o.device_name));
		if (o.device_public_id[0] == '\0')
			o.device_id = 0;
		stop = cb(arg, &o);
	}
	sqlite3_reset(s);
	return stop || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_session_alive(struct store_conn *c, int64_t id, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_ALIVE);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}
static enum srv_err sq_session_bind_device(struct store_conn *c, int64_t sid, int64_t did) { return exec_ii(c, S_SESSION_BIND, sid, did, 0); }
static enum srv_err sq_session_unbind_device(struct store_conn *c, int64_t did) { return exec_ii(c, S_SESSION_UNBIND, did, 0, 0); }

/* ---- friends ---------------------------------------------------------------------------------------- */

static void read_freq(sqlite3_stmt *s, struct store_friend_request *r)
{
	r->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, r->public_id, sizeof(r->public_id));
	r->from_user = sqlite3_column_int64(s, 2);
	r->to_user = sqlite3_column_int64(s, 3);
	r->state = sqlite3_column_int(s, 4);
	r->created_at = sqlite3_column_int64(s, 5);
}

static enum srv_err freq_one(sqlite3_stmt *s, struct store_friend_request *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(o, 0, sizeof(*o));
		read_freq(s, o);
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err sq_freq_get_pair(struct store_conn *c, int64_t from, int64_t to, struct store_friend_request *o)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_PAIR);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	return freq_one(s, o);
}

static enum srv_err sq_freq_by_public(struct store_conn *c, const char *p, struct store_friend_request *o)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_PUBLIC);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, p);
	return freq_one(s, o);
}

static enum srv_err sq_freq_insert(struct store_conn *c, struct store_friend_request *r)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, r->public_id);
	sqlite3_bind_int64(s, 2, r->from_user);
	sqlite3_bind_int64(s, 3, r->to_user);
	sqlite3_bind_int(s, 4, r->state);
	sqlite3_bind_int64(s, 5, r->created_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		r->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_freq_set_state(struct store_conn *c, int64_t id, int state, int64_t at)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_SET_STATE);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, state);
	sqlite3_bind_int64(s, 3, at);
	return st_exec(s);
}

static enum srv_err sq_freq_delete_pair(struct store_conn *c, int64_t a, int64_t b) { return exec_ii(c, S_FREQ_DELETE_PAIR, a, b, 0); }

static enum srv_err sq_freq_list_pending(struct store_conn *c, int64_t user, int incoming, store_friend_request_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, incoming ? S_FREQ_INCOMING : S_FREQ_OUTGOING);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_friend_request row;
		memset(&row, 0, sizeof(row));
		read_freq(s, &row);
		read_user(s, 6, &row.other);
		row.other.pw_hash[0] = '\0';
		if (cb(arg, &row))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_friend_insert(struct store_conn *c, int64_t a, int64_t b, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_FRIEND_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, now);
	return st_exec(s);
}

static enum srv_err sq_friend_delete(struct store_conn *c, int64_t a, int64_t b) { return exec_ii(c, S_FRIEND_DELETE, a, b, 1); }

static enum srv_err exists_ii(struct store_conn *c, enum stmt_id id, int64_t a, int64_t b)
{
	sqlite3_stmt *s = st_get(c, id);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err sq_friend_check(struct store_conn *c, int64_t a, int64_t b) { return exists_ii(c, S_FRIEND_CHECK, a, b); }
static enum srv_err sq_users_share_thread(struct store_conn *c, int64_t a, int64_t b) { return exists_ii(c, S_SHARE_THREAD, a, b); }

static enum srv_err sq_friend_list(struct store_conn *c, int64_t user, store_friend_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_FRIEND_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_friend row;
		read_user(s, 0, &row.user);
		row.user.pw_hash[0] = '\0';
		row.since = sqlite3_column_int64(s, 5);
		if (cb(arg, &row))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

/* ---- devices ---------------------------------------------------------------------------------------- */

static enum srv_err sq_device_insert(struct store_conn *c, struct store_device *d)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, d->public_id);
	sqlite3_bind_int64(s, 2, d->user_id);
	bind_text(s, 3, d->name);
	bind_text(s, 4, d->sign_pk);
	bind_text(s, 5, d->box_pk);
	sqlite3_bind_int64(s, 6, d->created_at);
	sqlite3_bind_int64(s, 7, d->grant_id);
	bind_text(s, 8, d->reg_sig);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		d->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_device_by_public(struct store_conn *c, const char *p, struct store_device *o)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_BY_PUBLIC);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, p);
	return row_one(s, rd_device, o);
}

static enum srv_err sq_device_by_key(struct store_conn *c, int64_t user, const char *spk, struct store_device *o)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_BY_KEY);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	bind_text(s, 2, spk);
	return row_one(s, rd_device, o);
}

static enum srv_err sq_device_for_grant(struct store_conn *c, int64_t grant, struct store_device *o)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_FOR_GRANT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, grant);
	return row_one(s, rd_device, o);
}

static enum srv_err sq_devices_remove_grant(struct store_conn *c, int64_t grant, int64_t now) { return exec_ii(c, S_DEVICES_REMOVE_GRANT, grant, now, 0); }

static enum srv_err sq_device_delete(struct store_conn *c, int64_t id)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_DELETE);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)time(NULL) * 1000);
	return st_exec(s);
}

static enum srv_err device_iter(sqlite3_stmt *s, store_device_cb cb, void *arg)
{
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_device d;
		read_device(s, &d);
		if (cb(arg, &d))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_device_list_user(struct store_conn *c, int64_t user, store_device_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_LIST_USER);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	return device_iter(s, cb, arg);
}

static enum srv_err sq_device_list_thread(struct store_conn *c, int64_t thread, store_device_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_LIST_THREAD);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	return device_iter(s, cb, arg);
}

/* ---- threads ---------------------------------------------------------------------------------------- */

static enum srv_err sq_thread_insert(struct store_conn *c, struct store_thread *t, const char *direct_key)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, t->public_id);
	sqlite3_bind_int(s, 2, t->kind);
	if (direct_key)
		bind_text(s, 3, direct_key);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, t->creator);
	sqlite3_bind_int64(s, 5, t->created_at);
	sqlite3_bind_int64(s, 6, t->app_id);
	rc = st_exec(s);
	if (rc == SRV_E_OK) {
		t->id = sqlite3_last_insert_rowid(c->db);
		t->last_seq = 0;
		t->last_activity = t->created_at;
	}
	return rc;
}

static enum srv_err thread_one(sqlite3_stmt *s, struct store_thread *o)
{
	return row_one(s, rd_thread, o);
}

static enum srv_err sq_thread_by_direct_key(struct store_conn *c, const char *key, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_BY_DIRECT);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, key);
	return thread_one(s, o);
}

static enum srv_err sq_thread_for_member(struct store_conn *c, const char *p, int64_t user, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_FOR_MEMBER);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, p);
	sqlite3_bind_int64(s, 2, user);
	return thread_one(s, o);
}

static enum srv_err sq_thread_by_id_for_member(struct store_conn *c, int64_t id, int64_t user, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_ID_FOR_MEMBER);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, user);
	return thread_one(s, o);
}

static enum srv_err sq_thread_list_for_user(struct store_conn *c, int64_t user, int64_t before_activity, int64_t before_id,
					    int limit, store_thread_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, before_activity);
	sqlite3_bind_int64(s, 3, before_id);
	sqlite3_bind_int(s, 4, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_thread t;
		read_thread(s, &t);
		if (cb(arg, &t))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_member_add(struct store_conn *c, int64_t thread, int64_t user, int64_t joined)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_ADD);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, joined);
	return st_exec(s);
}

static enum srv_err sq_member_remove(struct store_conn *c, int64_t thread, int64_t user) { return exec_ii(c, S_MEMBER_REMOVE, thread, user, 1); }

static enum srv_err sq_member_list(struct store_conn *c, int64_t thread, store_member_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_member m;
		m.user_id = sqlite3_column_int64(s, 0);
		col_text(s, 1, m.public_id, sizeof(m.public_id));
		col_text(s, 2, m.username, sizeof(m.username));
		m.joined_seq = sqlite3_column_int64(s, 3);
		m.read_seq = sqlite3_column_int64(s, 4);
		if (cb(arg, &m))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err returning_int(sqlite3_stmt *s, int64_t *out)
{
	int r = sqlite3_step(s);
	enum srv_err rc;
	if (r == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		r = sqlite3_step(s);
		rc = r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
	} else
		rc = r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
	sqlite3_reset(s);
	return rc;
}

static enum srv_err sq_member_mark_read(struct store_conn *c, int64_t thread, int64_t user, int64_t seq, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_READ);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, seq);
	return returning_int(s, out);
}

static enum srv_err sq_thread_next_seq(struct store_conn *c, int64_t thread, int64_t now, int64_t *seq)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_NEXT_SEQ);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, now);
	return returning_int(s, seq);
}

/* ---- messages --------------------------------------------------------------------------------------- */

static enum srv_err sq_message_insert(struct store_conn *c, struct store_message *m)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, m->public_id);
	sqlite3_bind_int64(s, 2, m->thread_id);
	sqlite3_bind_int64(s, 3, m->seq);
	sqlite3_bind_int64(s, 4, m->sender_id);
	sqlite3_bind_int64(s, 5, m->sender_device);
	bind_text(s, 6, m->client_msg_id);
	bind_text(s, 7, m->kind);
	sqlite3_bind_text(s, 8, m->body, (int)m->body_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, m->created_at);
	sqlite3_bind_int64(s, 10, m->app_id);
	sqlite3_bind_int64(s, 11, m->grant_id);
	bind_text(s, 12, m->item);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		m->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err message_iter(sqlite3_stmt *s, store_message_cb cb, void *arg)
{
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_message m;
		read_message(s, &m);
		if (cb(arg, &m))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

/* A single message copied out; the body pointer is left NULL (callers needing it use message_by_id). */
static enum srv_err message_one(sqlite3_stmt *s, struct store_message *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		read_message(s, o);
		o->body = NULL;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err sq_message_by_client_id(struct store_conn *c, int64_t sender, const char *cmid, struct store_message *o)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_CLIENT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, sender);
	bind_text(s, 2, cmid);
	return message_one(s, o);
}

static enum srv_err sq_message_by_public(struct store_conn *c, int64_t thread, const char *p, struct store_message *o)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_PUBLIC);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	bind_text(s, 2, p);
	return message_one(s, o);
}

static enum srv_err sq_message_by_id(struct store_conn *c, int64_t id, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_ID);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	return message_iter(s, cb, arg);
}

static enum srv_err sq_message_erase(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_MESSAGE_ERASE, id, now, 1); }

static enum srv_err sq_message_list(struct store_conn *c, int64_t thread, int64_t min_seq, int64_t after, int64_t before,
				    int limit, int newest, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, newest ? S_MESSAGE_LIST_DESC : S_MESSAGE_LIST_ASC);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, min_seq);
	sqlite3_bind_int64(s, 3, after);
	sqlite3_bind_int64(s, 4, before);
	sqlite3_bind_int(s, 5, limit);
	return message_iter(s, cb, arg);
}

/* ---- events ----------------------------------------------------------------------------------------- */

static enum srv_err sq_event_append(struct store_conn *c, struct store_event *e)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_APPEND);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, e->user_id);
	sqlite3_bind_int64(s, 2, e->device_id);
	bind_text(s, 3, e->type);
	sqlite3_bind_int64(s, 4, e->ref_id);
	bind_text(s, 5, e->data);
	sqlite3_bind_int64(s, 6, e->created_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		e->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_event_list(struct store_conn *c, int64_t user, int64_t device, int64_t since, int limit,
				  store_event_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, device);
	sqlite3_bind_int64(s, 3, since);
	sqlite3_bind_int(s, 4, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event e;
		e.id = sqlite3_column_int64(s, 0);
		e.user_id = sqlite3_column_int64(s, 1);
		e.device_id = sqlite3_column_int64(s, 2);
		col_text(s, 3, e.type, sizeof(e.type));
		e.ref_id = sqlite3_column_int64(s, 4);
		e.data = (const char *)sqlite3_column_text(s, 5);
		e.created_at = sqlite3_column_int64(s, 6);
		if (cb(arg, &e))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_event_prune_to_device(struct store_conn *c, int64_t device, int64_t upto) { return exec_ii(c, S_EVENT_PRUNE, device, upto, 0); }

static enum srv_err sq_event_count_to_device(struct store_conn *c, int64_t device, int64_t upto, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_COUNT_DEV);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, device);
	sqlite3_bind_int64(s, 2, upto);
	return returning_int(s, out);
}

static enum srv_err sq_event_last_id(struct store_conn *c, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_LAST);
	if (s == NULL)
		return SRV_E_STORAGE;
	return returning_int(s, out);
}

/* ---- partner platform ------------------------------------------------------------------------------- */

static void read_app(sqlite3_stmt *s, int i, struct store_app *a)
{
	const void *h;
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, i);
	col_text(s, i + 1, a->client_id, sizeof(a->client_id));
	col_text(s, i + 2, a->name, sizeof(a->name));
	h = sqlite3_column_blob(s, i + 3);
	if (h && sqlite3_column_bytes(s, i + 3) == 32) {
		memcpy(a->secret_hash, h, 32);
		a->has_secret = 1;
	}
	col_text(s, i + 4, a->redirect_uris, sizeof(a->redirect_uris));
	col_text(s, i + 5, a->scopes, sizeof(a->scopes));
	a->rate_person = sqlite3_column_int64(s, i + 6);
	a->rate_app = sqlite3_column_int64(s, i + 7);
	a->rate_recipient = sqlite3_column_int64(s, i + 8);
	a->suspended = sqlite3_column_int(s, i + 9);
	a->created_at = sqlite3_column_int64(s, i + 10);
	col_text(s, i + 11, a->homepage, sizeof(a->homepage));
	col_text(s, i + 12, a->privacy_url, sizeof(a->privacy_url));
}

static void read_grant(sqlite3_stmt *s, struct store_grant *g)
{
	g->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, g->public_id, sizeof(g->public_id));
	g->app_id = sqlite3_column_int64(s, 2);
	g->user_id = sqlite3_column_int64(s, 3);
	col_text(s, 4, g->scopes, sizeof(g->scopes));
	col_text(s, 5, g->details, sizeof(g->details));
	g->created_at = sqlite3_column_int64(s, 6);
	g->expires_at = sqlite3_column_int64(s, 7);
	g->revoked_at = sqlite3_column_int64(s, 8);
	g->last_used_at = sqlite3_column_int64(s, 9);
}

/* Finish a one-row query whose step returned r: reset, and map r (no row: NOT_FOUND). */
static enum srv_err one_result(sqlite3_stmt *s, int r)
{
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err sq_app_insert(struct store_conn *c, struct store_app *a)
{
	sqlite3_stmt *s = st_get(c, S_APP_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, a->client_id);
	bind_text(s, 2, a->name);
	if (a->has_secret)
		sqlite3_bind_blob(s, 3, a->secret_hash, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	bind_text(s, 4, a->redirect_uris);
	bind_text(s, 5, a->scopes);
	sqlite3_bind_int64(s, 6, a->rate_person);
	sqlite3_bind_int64(s, 7, a->rate_app);
	sqlite3_bind_int64(s, 8, a->rate_recipient);
	sqlite3_bind_int64(s, 9, a->created_at);
	bind_text(s, 10, a->homepage);
	bind_text(s, 11, a->privacy_url);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		a->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err app_one(struct store_conn *c, enum stmt_id id, const char *text, int64_t num, struct store_app *out)
{
	sqlite3_stmt *s = st_get(c, id);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	if (text)
		bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, num);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_app(s, 0, out);
	return one_result(s, r);
}

static enum srv_err sq_app_by_client_id(struct store_conn *c, const char *cid, struct store_app *o) { return app_one(c, S_APP_BY_CLIENT, cid, 0, o); }
static enum srv_err sq_app_by_id(struct store_conn *c, int64_t id, struct store_app *o) { return app_one(c, S_APP_BY_ID, NULL, id, o); }

static enum srv_err sq_app_list(struct store_conn *c, store_app_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_APP_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_app a;
		read_app(s, 0, &a);
		if (cb(arg, &a))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_app_set_suspended(struct store_conn *c, int64_t id, int sus)
{
	enum srv_err rc = exec_ii(c, S_APP_SUSPEND, id, sus, 1);
	return rc == SRV_E_OK ? exec_ii(c, S_APP_GENERATION_BUMP, 0, 0, 0) : rc;
}

static enum srv_err sq_app_generation(struct store_conn *c, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_APP_GENERATION);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	return one_result(s, r);
}

static enum srv_err sq_alias_get(struct store_conn *c, int64_t app, int64_t user, char *out, size_t cap)
{
	sqlite3_stmt *s = st_get(c, S_ALIAS_GET);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	sqlite3_bind_int64(s, 2, user);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		col_text(s, 0, out, cap);
	return one_result(s, r);
}

static enum srv_err sq_alias_set(struct store_conn *c, int64_t app, int64_t user, const char *alias)
{
	sqlite3_stmt *s;
	if (alias == NULL)
		return exec_ii(c, S_ALIAS_DELETE, app, user, 0);
	if ((s = st_get(c, S_ALIAS_SET)) == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	sqlite3_bind_int64(s, 2, user);
	bind_text(s, 3, alias);
	return st_exec(s);
}

static enum srv_err sq_app_set_secret(struct store_conn *c, int64_t id, const unsigned char hash[32])
{
	sqlite3_stmt *s = st_get(c, S_APP_SECRET);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	return st_exec(s);
}

static enum srv_err sq_app_delete(struct store_conn *c, int64_t id)
{
	int64_t now = (int64_t)time(NULL) * 1000;
	enum srv_err rc = exec_ii(c, S_APP_DELETE_TOKENS, id, now, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_APP_DELETE_DEVICES, id, now, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_APP_DELETE_GRANTS, id, now, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_APP_DELETE_ALIASES, id, 0, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_APP_DELETE, id, 0, 1);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_APP_GENERATION_BUMP, 0, 0, 0);
	return rc;
}

static enum srv_err sq_grant_insert(struct store_conn *c, struct store_grant *g)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, g->public_id);
	sqlite3_bind_int64(s, 2, g->app_id);
	sqlite3_bind_int64(s, 3, g->user_id);
	bind_text(s, 4, g->scopes);
	bind_text(s, 5, g->details);
	sqlite3_bind_int64(s, 6, g->created_at);
	sqlite3_bind_int64(s, 7, g->expires_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		g->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err sq_grant_by_id(struct store_conn *c, int64_t id, struct store_grant *o)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_BY_ID);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_grant(s, o);
	return one_result(s, r);
}

static enum srv_err sq_grant_by_public(struct store_conn *c, const char *p, int64_t user, struct store_grant *o)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_BY_PUBLIC);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, p);
	sqlite3_bind_int64(s, 2, user);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_grant(s, o);
	return one_result(s, r);
}

static enum srv_err sq_grant_list_user(struct store_conn *c, int64_t user, store_grant_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_LIST_USER);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, (int64_t)time(NULL) * 1000);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_grant g;
		struct store_app a;
		read_grant(s, &g);
		read_app(s, 10, &a);
		if (cb(arg, &g, &a))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_grant_revoke(struct store_conn *c, int64_t id, int64_t now)
{
	enum srv_err rc = exec_ii(c, S_GRANT_REVOKE, id, now, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_GRANT_REVOKE_TOKENS, id, now, 0);
	if (rc == SRV_E_OK)
		rc = exec_ii(c, S_DEVICES_REMOVE_GRANT, id, now, 0);
	return rc;
}

static enum srv_err sq_grant_touch(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_GRANT_TOUCH, id, now, 0); }

static enum srv_err sq_grant_live_check(struct store_conn *c, int64_t app, int64_t user, const char *scope, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_LIVE);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	sqlite3_bind_int64(s, 2, user);
	if (scope)
		bind_text(s, 3, scope);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, now);
	r = sqlite3_step(s);
	return one_result(s, r);
}

static enum srv_err sq_grant_thread_add(struct store_conn *c, int64_t g, int64_t t) { return exec_ii(c, S_GRANT_THREAD_ADD, g, t, 0); }
static enum srv_err sq_grant_thread_check(struct store_conn *c, int64_t g, int64_t t) { return exists_ii(c, S_GRANT_THREAD_CHECK, g, t); }
static enum srv_err sq_share_permit_add(struct store_conn *c, int64_t g, int64_t u) { return exec_ii(c, S_PERMIT_ADD, g, u, 0); }
static enum srv_err sq_share_permit_check(struct store_conn *c, int64_t g, int64_t u) { return exists_ii(c, S_PERMIT_CHECK, g, u); }
static enum srv_err sq_share_permit_remove(struct store_conn *c, int64_t g, int64_t u) { return exec_ii(c, S_PERMIT_REMOVE, g, u, 0); }

static enum srv_err sq_grant_thread_list(struct store_conn *c, int64_t grant, store_thread_cb cb, void *arg, int64_t user)
{
	sqlite3_stmt *s = st_get(c, S_GRANT_THREAD_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, grant);
	sqlite3_bind_int64(s, 2, user);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_thread t;
		read_thread(s, &t);
		if (cb(arg, &t))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_code_insert(struct store_conn *c, const unsigned char hash[32], const struct store_code *code)
{
	sqlite3_stmt *s = st_get(c, S_CODE_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, code->grant_id);
	sqlite3_bind_int64(s, 3, code->app_id);
	bind_text(s, 4, code->redirect_uri);
	bind_text(s, 5, code->challenge);
	sqlite3_bind_int64(s, 6, code->expires_at);
	return st_exec(s);
}

static enum srv_err sq_code_get(struct store_conn *c, const unsigned char hash[32], int64_t app, struct store_code *o)
{
	sqlite3_stmt *s = st_get(c, S_CODE_GET);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, app);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		o->id = sqlite3_column_int64(s, 0);
		o->grant_id = sqlite3_column_int64(s, 1);
		o->app_id = sqlite3_column_int64(s, 2);
		col_text(s, 3, o->redirect_uri, sizeof(o->redirect_uri));
		col_text(s, 4, o->challenge, sizeof(o->challenge));
		o->expires_at = sqlite3_column_int64(s, 5);
		o->used_at = sqlite3_column_int64(s, 6);
	}
	return one_result(s, r);
}

static enum srv_err sq_code_use(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_CODE_USE, id, now, 1); }

static enum srv_err sq_token_insert(struct store_conn *c, const unsigned char hash[32], struct store_token *t)
{
	sqlite3_stmt *s = st_get(c, S_TOKEN_INSERT);
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, t->kind);
	sqlite3_bind_int64(s, 3, t->app_id);
	sqlite3_bind_int64(s, 4, t->grant_id);
	bind_text(s, 5, t->scopes);
	sqlite3_bind_int64(s, 6, t->created_at);
	sqlite3_bind_int64(s, 7, t->expires_at);
	rc = st_exec(s);
	if (rc == SRV_E_OK)
		t->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum srv_err token_one(sqlite3_stmt *s, struct store_token *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		o->id = sqlite3_column_int64(s, 0);
		o->kind = sqlite3_column_int(s, 1);
		o->app_id = sqlite3_column_int64(s, 2);
		o->grant_id = sqlite3_column_int64(s, 3);
		col_text(s, 4, o->scopes, sizeof(o->scopes));
		o->created_at = sqlite3_column_int64(s, 5);
		o->expires_at = sqlite3_column_int64(s, 6);
		o->revoked_at = sqlite3_column_int64(s, 7);
		o->used_at = sqlite3_column_int64(s, 8);
	}
	return one_result(s, r);
}

static enum srv_err sq_token_by_hash(struct store_conn *c, const unsigned char hash[32], struct store_token *o)
{
	sqlite3_stmt *s = st_get(c, S_TOKEN_GET);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	return token_one(s, o);
}

static enum srv_err sq_token_by_id(struct store_conn *c, int64_t id, struct store_token *o)
{
	sqlite3_stmt *s = st_get(c, S_TOKEN_BY_ID);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	return token_one(s, o);
}

static enum srv_err sq_token_revoke(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_TOKEN_REVOKE, id, now, 0); }
static enum srv_err sq_token_use(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_TOKEN_USE, id, now, 1); }

static enum srv_err sq_pairwise_put(struct store_conn *c, int64_t app, int64_t user, const char *pid)
{
	sqlite3_stmt *s = st_get(c, S_PAIRWISE_PUT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	bind_text(s, 2, pid);
	sqlite3_bind_int64(s, 3, user);
	return st_exec(s);
}

static enum srv_err sq_pairwise_resolve(struct store_conn *c, int64_t app, const char *pid, int64_t *user)
{
	sqlite3_stmt *s = st_get(c, S_PAIRWISE_GET);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	bind_text(s, 2, pid);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*user = sqlite3_column_int64(s, 0);
	return one_result(s, r);
}

static enum srv_err sq_share_insert(struct store_conn *c, const char *pid, int64_t app, int64_t grant, int64_t sender,
				    int64_t recipient, int64_t thread, int64_t message, const char *item, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_SHARE_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, pid);
	sqlite3_bind_int64(s, 2, app);
	sqlite3_bind_int64(s, 3, grant);
	sqlite3_bind_int64(s, 4, sender);
	sqlite3_bind_int64(s, 5, recipient);
	sqlite3_bind_int64(s, 6, thread);
	sqlite3_bind_int64(s, 7, message);
	bind_text(s, 8, item);
	sqlite3_bind_int64(s, 9, now);
	return st_exec(s);
}

static enum srv_err sq_share_for_recipient(struct store_conn *c, const char *pid, int64_t recipient, int64_t *share_id, int64_t *app_id)
{
	sqlite3_stmt *s = st_get(c, S_SHARE_FOR_RECIPIENT);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	bind_text(s, 1, pid);
	sqlite3_bind_int64(s, 2, recipient);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*share_id = sqlite3_column_int64(s, 0);
		*app_id = sqlite3_column_int64(s, 1);
	}
	return one_result(s, r);
}

static enum srv_err sq_click_insert(struct store_conn *c, int64_t share, int64_t user, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_CLICK_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, share);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, now);
	return st_exec(s);
}

static enum srv_err sq_share_count(struct store_conn *c, int64_t app, int64_t sender, int64_t recipient, int64_t since, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_SHARE_COUNT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	sqlite3_bind_int64(s, 2, sender);
	sqlite3_bind_int64(s, 3, recipient);
	sqlite3_bind_int64(s, 4, since);
	return returning_int(s, out);
}

static enum srv_err sq_app_consent_set(struct store_conn *c, int64_t thread, int64_t user, int state, int64_t now,
					const unsigned char *stmt, size_t len)
{
	return st_exec(st_bind(c, S_CONSENT_SET, "iiiib", thread, user, (int64_t)state, now, stmt, len));
}

static enum srv_err sq_app_consent_get(struct store_conn *c, int64_t thread, int64_t user, int *state, int64_t *since)
{
	sqlite3_stmt *s = st_get(c, S_CONSENT_GET);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, user);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*state = sqlite3_column_int(s, 0);
		if (since)
			*since = sqlite3_column_int64(s, 1);
	}
	return one_result(s, r);
}

static enum srv_err sq_access_insert(struct store_conn *c, struct store_access_entry *e)
{
	sqlite3_stmt *s = st_get(c, S_ACCESS_INSERT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, e->user_id);
	sqlite3_bind_int64(s, 2, e->app_id);
	sqlite3_bind_int64(s, 3, e->grant_id);
	bind_text(s, 4, e->action);
	bind_text(s, 5, e->thread_public_id);
	bind_text(s, 6, e->message_public_id);
	sqlite3_bind_int64(s, 7, e->count);
	sqlite3_bind_int64(s, 8, e->at);
	return returning_int(s, &e->seq);
}

static enum srv_err sq_access_list(struct store_conn *c, int64_t user, int64_t app, int64_t before, int limit, store_access_cb cb,
				  void *arg)
{
	sqlite3_stmt *s = st_get(c, S_ACCESS_LIST);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
	sqlite3_bind_int64(s, 4, app);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_access_entry e;
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(s, 0);
		e.user_id = sqlite3_column_int64(s, 1);
		e.app_id = sqlite3_column_int64(s, 2);
		e.grant_id = sqlite3_column_int64(s, 3);
		col_text(s, 4, e.app_name, sizeof(e.app_name));
		col_text(s, 5, e.grant_public_id, sizeof(e.grant_public_id));
		col_text(s, 6, e.action, sizeof(e.action));
		col_text(s, 7, e.thread_public_id, sizeof(e.thread_public_id));
		col_text(s, 8, e.message_public_id, sizeof(e.message_public_id));
		e.count = sqlite3_column_int64(s, 9);
		e.at = sqlite3_column_int64(s, 10);
		e.seq = sqlite3_column_int64(s, 11);
		col_text(s, 12, e.app_client_id, sizeof(e.app_client_id));
		if (cb(arg, &e))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_report_rows(struct store_conn *c, int64_t app, int64_t from, int64_t to, int64_t cap, store_report_cb cb, void *arg)
{
	sqlite3_stmt *s = st_bind(c, S_REPORT_ROWS, "iiii", app, from, to, cap);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_row row;
		col_text(s, 0, row.item, sizeof(row.item));
		row.shares = sqlite3_column_int64(s, 1);
		row.senders = sqlite3_column_int64(s, 2);
		row.recipients = sqlite3_column_int64(s, 3);
		row.clicks = sqlite3_column_int64(s, 4);
		if (cb(arg, &row))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

static enum srv_err sq_report_settings_add(struct store_conn *c, int64_t app, const struct store_report_settings *rs)
{
	return st_run(c, st_bind(c, S_REPORT_SETTINGS_ADD, "iitiiii", app, rs->since, rs->mechanism, rs->epsilon_e4,
				  rs->delta_exp, rs->k, rs->cap), 0);
}

static void rd_report_settings(sqlite3_stmt *s, void *o)
{
	struct store_report_settings *rs = o;
	memset(rs, 0, sizeof(*rs));
	rs->since = sqlite3_column_int64(s, 0);
	col_text(s, 1, rs->mechanism, sizeof(rs->mechanism));
	rs->epsilon_e4 = sqlite3_column_int64(s, 2);
	rs->delta_exp = sqlite3_column_int64(s, 3);
	rs->k = sqlite3_column_int64(s, 4);
	rs->cap = sqlite3_column_int64(s, 5);
}

static enum srv_err sq_report_settings_at(struct store_conn *c, int64_t app, int64_t at, struct store_report_settings *out)
{
	sqlite3_stmt *s = st_bind(c, S_REPORT_SETTINGS_AT, "ii", app, at);
	return s ? row_one(s, rd_report_settings, out) : SRV_E_STORAGE;
}

static enum srv_err sq_report_get(struct store_conn *c, int64_t app, const char *period, const char *format, char **out, size_t *len)
{
	sqlite3_stmt *s = st_get(c, S_REPORT_GET);
	int r;
	*out = NULL;
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	bind_text(s, 2, period);
	bind_text(s, 3, format);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		*out = malloc(n + 1);
		if (*out == NULL) {
			sqlite3_reset(s);
			return SRV_E_INTERNAL;
		}
		if (n)
			memcpy(*out, sqlite3_column_blob(s, 0), n);
		(*out)[n] = '\0';
		*len = n;
	}
	return one_result(s, r);
}

static enum srv_err sq_report_put(struct store_conn *c, int64_t app, const char *period, const char *format, const char *body, size_t len)
{
	sqlite3_stmt *s = st_get(c, S_REPORT_PUT);
	if (s == NULL)
		return SRV_E_STORAGE;
	sqlite3_bind_int64(s, 1, app);
	bind_text(s, 2, period);
	bind_text(s, 3, format);
	sqlite3_bind_blob(s, 4, body, (int)len, SQLITE_STATIC);
	return st_exec(s);
}

/* ---- signed statements (protocol version 2) --------------------------------------------------------- */

static void rd_identity(sqlite3_stmt *s, void *o)
{
	struct store_identity *id = o;
	unsigned char pk[32];
	memset(id, 0, sizeof(*id));
	id->user_id = sqlite3_column_int64(s, 0);
	if (col_blob(s, 1, pk, sizeof(pk)) == sizeof(pk))
		memcpy(id->id_pk, pk, sizeof(pk));
	id->statement_len = col_blob(s, 2, id->statement, sizeof(id->statement));
	id->backup_len = col_blob(s, 3, id->backup, sizeof(id->backup));
	id->created_at = sqlite3_column_int64(s, 4);
	id->changed_at = sqlite3_column_int64(s, 5);
}

static enum srv_err sq_identity_get(struct store_conn *c, int64_t user, struct store_identity *out)
{
	sqlite3_stmt *s = st_bind(c, S_IDENTITY_GET, "i", user);
	return s ? row_one(s, rd_identity, out) : SRV_E_STORAGE;
}

static enum srv_err sq_identity_put(struct store_conn *c, const struct store_identity *id)
{
	return st_exec(st_bind(c, S_IDENTITY_PUT, "ibbbii", id->user_id, id->id_pk, sizeof(id->id_pk), id->statement,
			       id->statement_len, id->backup, id->backup_len, id->created_at, id->changed_at));
}

static enum srv_err sq_identity_drop_signatures(struct store_conn *c, int64_t user)
{
	return st_exec(st_bind(c, S_IDENTITY_DROP_SIGS, "i", user));
}

static enum srv_err sq_device_set_cert(struct store_conn *c, int64_t device, const unsigned char *cert, size_t cert_len,
				       const unsigned char *box, size_t box_len)
{
	return st_run(c, st_bind(c, S_DEVICE_SET_CERT, "ibbi", device, cert, cert_len, box, box_len, (int64_t)(box != NULL)), 1);
}

/* id, statement, created_at */
static void rd_statement_row(sqlite3_stmt *s, struct store_statement *row)
{
	row->seq = sqlite3_column_int64(s, 0);
	row->bytes = sqlite3_column_blob(s, 1);
	row->len = (size_t)sqlite3_column_bytes(s, 1);
	row->created_at = sqlite3_column_int64(s, 2);
}

static enum srv_err sq_revocation_add(struct store_conn *c, int64_t user, int64_t device, const unsigned char *stmt, size_t len,
				      int64_t now)
{
	return st_exec(st_bind(c, S_REVOCATION_ADD, "iibi", user, device, stmt, len, now));
}

static enum srv_err sq_revocation_list(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg)
{
	return st_each(st_bind(c, S_REVOCATION_LIST, "i", user), rd_statement_row, cb, arg);
}

static enum srv_err sq_contact_add(struct store_conn *c, int64_t user, const unsigned char *stmt, size_t len, int64_t now)
{
	return st_exec(st_bind(c, S_CONTACT_ADD, "ibi", user, stmt, len, now));
}

static enum srv_err sq_contact_count(struct store_conn *c, int64_t user, int64_t *out)
{
	sqlite3_stmt *s = st_bind(c, S_CONTACT_COUNT, "i", user);
	return s ? returning_int(s, out) : SRV_E_STORAGE;
}

static enum srv_err sq_contact_list(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg)
{
	return st_each(st_bind(c, S_CONTACT_LIST, "i", user), rd_statement_row, cb, arg);
}

static enum srv_err sq_chain_append(struct store_conn *c, int64_t thread, int64_t expect_length,
				    const unsigned char hash[STORE_HASH_LEN], const unsigned char *link, size_t len, int64_t now)
{
	sqlite3_stmt *s = st_bind(c, S_CHAIN_LENGTH, "i", thread);
	int64_t length = 0;
	enum srv_err rc = s ? returning_int(s, &length) : SRV_E_STORAGE;
	if (rc == SRV_E_OK && length != expect_length)
		rc = SRV_E_CONFLICT;
	if (rc == SRV_E_OK)
		rc = st_run(c, st_bind(c, S_CHAIN_BUMP, "iib", thread, expect_length, hash, (size_t)STORE_HASH_LEN), 1);
	if (rc == SRV_E_OK)
		rc = st_exec(st_bind(c, S_CHAIN_INSERT, "iibbi", thread, expect_length + 1, hash, (size_t)STORE_HASH_LEN, link, len, now));
	return rc;
}

/* seq, hash, link, created_at */
static void rd_link(sqlite3_stmt *s, struct store_statement *row)
{
	row->seq = sqlite3_column_int64(s, 0);
	col_blob(s, 1, row->hash, sizeof(row->hash));
	row->bytes = sqlite3_column_blob(s, 2);
	row->len = (size_t)sqlite3_column_bytes(s, 2);
	row->created_at = sqlite3_column_int64(s, 3);
}

static enum srv_err sq_chain_list(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg)
{
	return st_each(st_bind(c, S_CHAIN_LIST, "i", thread), rd_link, cb, arg);
}

static enum srv_err sq_prekey_put(struct store_conn *c, int64_t device, const struct store_prekey *k, int64_t now)
{
	enum srv_err rc = SRV_E_OK;
	if (k->kind == STORE_PREKEY_SIGNED)
		rc = st_exec(st_bind(c, S_PREKEY_DROP_SIGNED, "i", device));
	if (rc == SRV_E_OK)
		rc = st_exec(st_bind(c, S_PREKEY_INSERT, "iiibi", device, (int64_t)k->kind, k->key_id, k->statement, k->len, now));
	return rc;
}

static enum srv_err sq_prekey_count(struct store_conn *c, int64_t device, int64_t *one_time, int64_t *signed_key_id)
{
	sqlite3_stmt *s = st_bind(c, S_PREKEY_COUNT, "i", device);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*one_time = sqlite3_column_int64(s, 0);
		*signed_key_id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : SRV_E_STORAGE;
}

/* id (into *id), kind, key_id, statement */
static enum srv_err prekey_one(sqlite3_stmt *s, int64_t *id, struct store_prekey *out)
{
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		*id = sqlite3_column_int64(s, 0);
		out->kind = sqlite3_column_int(s, 1);
		out->key_id = sqlite3_column_int64(s, 2);
		out->len = col_blob(s, 3, out->statement, sizeof(out->statement));
	}
	return one_result(s, r);
}

static enum srv_err sq_prekey_signed(struct store_conn *c, int64_t device, struct store_prekey *out)
{
	int64_t id = 0;
	return prekey_one(st_bind(c, S_PREKEY_SIGNED, "i", device), &id, out);
}

static enum srv_err sq_prekey_take_one_time(struct store_conn *c, int64_t device, struct store_prekey *out)
{
	int64_t id = 0;
	enum srv_err rc = prekey_one(st_bind(c, S_PREKEY_OLDEST, "i", device), &id, out);
	if (rc == SRV_E_OK)
		rc = st_run(c, st_bind(c, S_PREKEY_DELETE, "i", id), 1);
	return rc;
}

static enum srv_err sq_prekey_delete_device(struct store_conn *c, int64_t device)
{
	return st_exec(st_bind(c, S_PREKEY_DELETE_DEVICE, "i", device));
}

static enum srv_err sq_app_statement_set(struct store_conn *c, int64_t device, int which, const unsigned char *stmt, size_t len)
{
	if (which != STORE_APP_AUTH && which != STORE_APP_REVOKE)
		return SRV_E_INTERNAL;
	return st_run(c, st_bind(c, which == STORE_APP_AUTH ? S_APP_AUTH_SET : S_APP_REVOKE_SET, "ib", device, stmt, len), 1);
}

static enum srv_err sq_app_statement_get(struct store_conn *c, int64_t device, int which, unsigned char **out, size_t *len)
{
	sqlite3_stmt *s;
	int r;
	*out = NULL;
	*len = 0;
	if (which != STORE_APP_AUTH && which != STORE_APP_REVOKE)
		return SRV_E_INTERNAL;
	if ((s = st_bind(c, which == STORE_APP_AUTH ? S_APP_AUTH_GET : S_APP_REVOKE_GET, "i", device)) == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		if ((*out = malloc(n ? n : 1)) == NULL) {
			sqlite3_reset(s);
			return SRV_E_INTERNAL;
		}
		if (n)
			memcpy(*out, sqlite3_column_blob(s, 0), n);
		*len = n;
	}
	return one_result(s, r);
}

static void rd_device_any(sqlite3_stmt *s, void *o)
{
	struct store_device *d = o;
	read_device(s, d);
	d->removed = sqlite3_column_int(s, 15);
}

static enum srv_err sq_device_by_public_any(struct store_conn *c, const char *public_id, struct store_device *out)
{
	sqlite3_stmt *s = st_bind(c, S_DEVICE_BY_PUBLIC_ANY, "t", public_id);
	return s ? row_one(s, rd_device_any, out) : SRV_E_STORAGE;
}

static enum srv_err sq_app_device_list_user(struct store_conn *c, int64_t user, store_device_cb cb, void *arg)
{
	sqlite3_stmt *s = st_bind(c, S_APP_DEVICE_LIST, "i", user);
	int r = SQLITE_DONE;
	if (s == NULL)
		return SRV_E_STORAGE;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_device d;
		read_device(s, &d);
		d.removed = sqlite3_column_int(s, 15);
		if (cb(arg, &d))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? SRV_E_OK : SRV_E_STORAGE;
}

/* user_id, user public id, state, statement, at */
static void rd_consent(sqlite3_stmt *s, struct store_statement *row)
{
	row->seq = sqlite3_column_int64(s, 0);
	col_text(s, 1, row->user_public_id, sizeof(row->user_public_id));
	row->state = sqlite3_column_int(s, 2);
	row->bytes = sqlite3_column_blob(s, 3);
	row->len = row->bytes ? (size_t)sqlite3_column_bytes(s, 3) : 0;
	row->created_at = sqlite3_column_int64(s, 4);
}

static enum srv_err sq_app_consent_list(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg)
{
	return st_each(st_bind(c, S_CONSENT_LIST, "i", thread), rd_consent, cb, arg);
}

/* ---- leaving and joining ------------------------------------------------------------------------------ */

static enum srv_err sq_account_delete(struct store_conn *c, int64_t user, int64_t now, int64_t free_at)
{
	/* every statement takes ?1 = user, ?2 = now; the user row first: a second deletion finds nothing */
	static const enum stmt_id steps[] = {
		S_ACCOUNT_SESSIONS, S_ACCOUNT_PREKEYS, S_ACCOUNT_DEVICES, S_ACCOUNT_IDENTITY, S_ACCOUNT_REVOCATIONS,
		S_ACCOUNT_CONTACTS, S_ACCOUNT_FRIENDS, S_ACCOUNT_FREQS, S_ACCOUNT_MEMBERS, S_ACCOUNT_CONSENTS,
		S_ACCOUNT_EVENTS, S_ACCOUNT_TO_DEVICE, S_ACCOUNT_MESSAGES, S_ACCOUNT_TOKENS, S_ACCOUNT_CODES,
		S_ACCOUNT_GRANT_THREADS, S_ACCOUNT_PERMITS, S_ACCOUNT_GRANTS, S_ACCOUNT_PAIRWISE, S_ACCOUNT_ACCESS,
		S_ACCOUNT_CLICKS, S_ACCOUNT_SHARES, S_ACCOUNT_ALIASES,
	};
	size_t i;
	enum srv_err rc = st_run(c, st_bind(c, S_ACCOUNT_USER, "iii", user, now, free_at), 1);
	for (i = 0; rc == SRV_E_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		sqlite3_stmt *s = st_get(c, steps[i]);
		if (s == NULL)
			return SRV_E_STORAGE;
		sqlite3_bind_int64(s, 1, user);
		if (sqlite3_bind_parameter_count(s) >= 2)
			sqlite3_bind_int64(s, 2, now);
		rc = st_exec(s);
	}
	return rc;
}

static enum srv_err sq_account_live(struct store_conn *c, int64_t user)
{
	sqlite3_stmt *s = st_bind(c, S_ACCOUNT_LIVE, "i", user);
	int r;
	if (s == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? SRV_E_OK : r == SQLITE_DONE ? SRV_E_NOT_FOUND : SRV_E_STORAGE;
}

static enum srv_err sq_invite_insert(struct store_conn *c, const unsigned char hash[32], int64_t now, int64_t expires_at)
{
	return st_run(c, st_bind(c, S_INVITE_INSERT, "bii", hash, (size_t)32, now, expires_at), 0);
}

static enum srv_err sq_invite_use(struct store_conn *c, const unsigned char hash[32], int64_t user, int64_t now)
{
	return st_run(c, st_bind(c, S_INVITE_USE, "bii", hash, (size_t)32, user, now), 1);
}

/* ---- the transparency log ---- */

static enum srv_err sq_tlog_size(struct store_conn *c, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_TLOG_SIZE);
	return s ? returning_int(s, out) : SRV_E_STORAGE;
}

static enum srv_err sq_tlog_leaf_put(struct store_conn *c, int64_t idx, const unsigned char *leaf, size_t len,
				     const unsigned char entry[STORE_HASH_LEN], int64_t at)
{
	return st_exec(st_bind(c, S_TLOG_LEAF_PUT, "ibbi", idx, leaf, len, entry, (size_t)STORE_HASH_LEN, at));
}

/* The first column of the one row of s as a blob into out (cap), its length into *len; NOT_FOUND when no row. */
static enum srv_err returning_blob(sqlite3_stmt *s, unsigned char *out, size_t cap, size_t *len)
{
	int r;
	enum srv_err rc = SRV_E_STORAGE;
	if (s == NULL)
		return SRV_E_STORAGE;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB && (size_t)sqlite3_column_bytes(s, 0) <= cap) {
		*len = col_blob(s, 0, out, cap);
		rc = SRV_E_OK;
	} else if (r == SQLITE_DONE || (r == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL))
		rc = SRV_E_NOT_FOUND;
	sqlite3_reset(s);
	return rc;
}

static enum srv_err sq_tlog_leaf_get(struct store_conn *c, int64_t idx, unsigned char *leaf, size_t cap, size_t *len)
{
	return returning_blob(st_bind(c, S_TLOG_LEAF_GET, "i", idx), leaf, cap, len);
}

/* The one row of s: an integer, or NULL (NOT_FOUND): a MIN or MAX over nothing. */
static enum srv_err returning_int_or_none(sqlite3_stmt *s, int64_t *out)
{
	enum srv_err rc;
	if (s == NULL)
		return SRV_E_STORAGE;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return SRV_E_STORAGE;
	}
	rc = sqlite3_column_type(s, 0) == SQLITE_NULL ? SRV_E_NOT_FOUND : SRV_E_OK;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

static enum srv_err sq_tlog_cosig_latest(struct store_conn *c, int64_t *size)
{
	return returning_int_or_none(st_get(c, S_TLOG_COSIG_LATEST), size);
}

static enum srv_err sq_tlog_find(struct store_conn *c, const unsigned char entry[STORE_HASH_LEN], int64_t below, int64_t *idx)
{
	return returning_int_or_none(st_bind(c, S_TLOG_FIND, "bi", entry, (size_t)STORE_HASH_LEN, below), idx);
}

static enum srv_err sq_tlog_node_put(struct store_conn *c, int level, int64_t idx, const unsigned char hash[STORE_HASH_LEN])
{
	return st_exec(st_bind(c, S_TLOG_NODE_PUT, "iib", (int64_t)level, idx, hash, (size_t)STORE_HASH_LEN));
}

static enum srv_err sq_tlog_node_get(struct store_conn *c, int level, int64_t idx, unsigned char hash[STORE_HASH_LEN])
{
	size_t n = 0;
	enum srv_err rc = returning_blob(st_bind(c, S_TLOG_NODE_GET, "ii", (int64_t)level, idx), hash, STORE_HASH_LEN, &n);
	return rc == SRV_E_OK && n != STORE_HASH_LEN ? SRV_E_STORAGE : rc;
}

static enum srv_err sq_tlog_cosig_put(struct store_conn *c, int64_t size, const char *witness, const char *line, int64_t at)
{
	return st_exec(st_bind(c, S_TLOG_COSIG_PUT, "itti", size, witness, line, at));
}

/* size, line (as bytes), at */
static void rd_cosig(sqlite3_stmt *s, struct store_statement *row)
{
	row->seq = sqlite3_column_int64(s, 0);
	row->bytes = sqlite3_column_text(s, 1);
	row->len = (size_t)sqlite3_column_bytes(s, 1);
	row->created_at = sqlite3_column_int64(s, 2);
}

static enum srv_err sq_tlog_cosig_list(struct store_conn *c, int64_t size, store_statement_cb cb, void *arg)
{
	return st_each(st_bind(c, S_TLOG_COSIG_LIST, "i", size), rd_cosig, cb, arg);
}

static enum srv_err sq_user_log_key(struct store_conn *c, int64_t user, const unsigned char *fresh, unsigned char out[STORE_HASH_LEN])
{
	size_t n = 0;
	enum srv_err rc = returning_blob(st_bind(c, S_USER_LOG_KEY_GET, "i", user), out, STORE_HASH_LEN, &n);
	if (rc == SRV_E_NOT_FOUND && fresh) {
		if ((rc = st_exec(st_bind(c, S_USER_LOG_KEY_SET, "ib", user, fresh, (size_t)STORE_HASH_LEN))) == SRV_E_OK)
			rc = returning_blob(st_bind(c, S_USER_LOG_KEY_GET, "i", user), out, STORE_HASH_LEN, &n);
	}
	return rc == SRV_E_OK && n != STORE_HASH_LEN ? SRV_E_STORAGE : rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.user_insert = sq_user_insert,
	.user_set_password = sq_user_set_password,
	.user_by_name = sq_user_by_name,
	.user_by_public = sq_user_by_public,
	.user_by_id = sq_user_by_id,
	.session_insert = sq_session_insert,
	.session_by_hash = sq_session_by_hash,
	.session_delete = sq_session_delete,
	.session_delete_others = sq_session_delete_others,
	.session_alive = sq_session_alive,
	.session_list_user = sq_session_list_user,
	.session_bind_device = sq_session_bind_device,
	.session_unbind_device = sq_session_unbind_device,
	.freq_get_pair = sq_freq_get_pair,
	.freq_by_public = sq_freq_by_public,
	.freq_insert = sq_freq_insert,
	.freq_set_state = sq_freq_set_state,
	.freq_delete_pair = sq_freq_delete_pair,
	.freq_list_pending = sq_freq_list_pending,
	.friend_insert = sq_friend_insert,
	.friend_delete = sq_friend_delete,
	.friend_check = sq_friend_check,
	.friend_list = sq_friend_list,
	.device_insert = sq_device_insert,
	.device_by_public = sq_device_by_public,
	.device_by_key = sq_device_by_key,
	.device_for_grant = sq_device_for_grant,
	.devices_remove_grant = sq_devices_remove_grant,
	.device_delete = sq_device_delete,
	.device_list_user = sq_device_list_user,
	.device_list_thread = sq_device_list_thread,
	.users_share_thread = sq_users_share_thread,
	.thread_insert = sq_thread_insert,
	.thread_by_direct_key = sq_thread_by_direct_key,
	.thread_for_member = sq_thread_for_member,
	.thread_by_id_for_member = sq_thread_by_id_for_member,
	.thread_list_for_user = sq_thread_list_for_user,
	.member_add = sq_member_add,
	.member_remove = sq_member_remove,
	.member_list = sq_member_list,
	.member_mark_read = sq_member_mark_read,
	.thread_next_seq = sq_thread_next_seq,
	.message_insert = sq_message_insert,
	.message_by_client_id = sq_message_by_client_id,
	.message_by_public = sq_message_by_public,
	.message_by_id = sq_message_by_id,
	.message_erase = sq_message_erase,
	.message_list = sq_message_list,
	.event_append = sq_event_append,
	.event_list = sq_event_list,
	.event_prune_to_device = sq_event_prune_to_device,
	.event_count_to_device = sq_event_count_to_device,
	.app_insert = sq_app_insert,
	.app_by_client_id = sq_app_by_client_id,
	.app_by_id = sq_app_by_id,
	.app_list = sq_app_list,
	.app_set_suspended = sq_app_set_suspended,
	.app_set_secret = sq_app_set_secret,
	.app_delete = sq_app_delete,
	.app_generation = sq_app_generation,
	.alias_get = sq_alias_get,
	.alias_set = sq_alias_set,
	.grant_insert = sq_grant_insert,
	.grant_by_id = sq_grant_by_id,
	.grant_by_public = sq_grant_by_public,
	.grant_list_user = sq_grant_list_user,
	.grant_revoke = sq_grant_revoke,
	.grant_touch = sq_grant_touch,
	.grant_live_check = sq_grant_live_check,
	.grant_thread_add = sq_grant_thread_add,
	.grant_thread_check = sq_grant_thread_check,
	.grant_thread_list = sq_grant_thread_list,
	.share_permit_add = sq_share_permit_add,
	.share_permit_check = sq_share_permit_check,
	.share_permit_remove = sq_share_permit_remove,
	.code_insert = sq_code_insert,
	.code_get = sq_code_get,
	.code_use = sq_code_use,
	.token_insert = sq_token_insert,
	.token_by_hash = sq_token_by_hash,
	.token_by_id = sq_token_by_id,
	.token_revoke = sq_token_revoke,
	.token_use = sq_token_use,
	.pairwise_put = sq_pairwise_put,
	.pairwise_resolve = sq_pairwise_resolve,
	.share_insert = sq_share_insert,
	.share_for_recipient = sq_share_for_recipient,
	.click_insert = sq_click_insert,
	.share_count = sq_share_count,
	.app_consent_set = sq_app_consent_set,
	.app_consent_get = sq_app_consent_get,
	.access_insert = sq_access_insert,
	.access_list = sq_access_list,
	.report_rows = sq_report_rows,
	.report_settings_add = sq_report_settings_add,
	.report_settings_at = sq_report_settings_at,
	.report_get = sq_report_get,
	.report_put = sq_report_put,
	.event_last_id = sq_event_last_id,
	.identity_get = sq_identity_get,
	.identity_put = sq_identity_put,
	.identity_drop_signatures = sq_identity_drop_signatures,
	.device_set_cert = sq_device_set_cert,
	.revocation_add = sq_revocation_add,
	.revocation_list = sq_revocation_list,
	.contact_add = sq_contact_add,
	.contact_count = sq_contact_count,
	.contact_list = sq_contact_list,
	.tlog_size = sq_tlog_size,
	.tlog_leaf_put = sq_tlog_leaf_put,
	.tlog_leaf_get = sq_tlog_leaf_get,
	.tlog_find = sq_tlog_find,
	.tlog_node_put = sq_tlog_node_put,
	.tlog_node_get = sq_tlog_node_get,
	.tlog_cosig_put = sq_tlog_cosig_put,
	.tlog_cosig_list = sq_tlog_cosig_list,
	.tlog_cosig_latest = sq_tlog_cosig_latest,
	.user_log_key = sq_user_log_key,
	.chain_append = sq_chain_append,
	.chain_list = sq_chain_list,
	.prekey_put = sq_prekey_put,
	.prekey_count = sq_prekey_count,
	.prekey_signed = sq_prekey_signed,
	.prekey_take_one_time = sq_prekey_take_one_time,
	.prekey_delete_device = sq_prekey_delete_device,
	.app_statement_set = sq_app_statement_set,
	.app_statement_get = sq_app_statement_get,
	.app_device_list_user = sq_app_device_list_user,
	.device_by_public_any = sq_device_by_public_any,
	.app_consent_list = sq_app_consent_list,
	.account_delete = sq_account_delete,
	.account_live = sq_account_live,
	.invite_insert = sq_invite_insert,
	.invite_use = sq_invite_use,
};
