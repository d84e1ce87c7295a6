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
};

/* ---- statements ------------------------------------------------------------------------------------- */

#define USER_COLS "u.id, u.public_id, u.username, u.pw_hash, u.created_at"
#define DEVICE_COLS "d.id, d.public_id, d.user_id, u.public_id, d.name, d.sign_pk, d.box_pk, d.created_at"
#define THREAD_COLS "t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq, m.joined_seq"
#define MESSAGE_COLS "g.id, g.public_id, g.thread_id, t.public_id, g.seq, g.sender_id, u.public_id, g.sender_device," \
	" COALESCE(d.public_id, ''), g.client_msg_id, g.kind, g.body, g.created_at, g.deleted_at"
#define MESSAGE_FROM " FROM messages g JOIN threads t ON t.id = g.thread_id JOIN users u ON u.id = g.sender_id" \
	" LEFT JOIN devices d ON d.id = g.sender_device"

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
	X(USER_BY_NAME, "SELECT " USER_COLS " FROM users u WHERE u.username = ?1") \
	X(USER_BY_PUBLIC, "SELECT " USER_COLS " FROM users u WHERE u.public_id = ?1") \
	X(USER_BY_ID, "SELECT " USER_COLS " FROM users u WHERE u.id = ?1") \
	X(SESSION_INSERT, "INSERT INTO sessions(token_hash, user_id, device_id, created_at, expires_at) VALUES(?1, ?2, 0, ?3, ?4)") \
	X(SESSION_BY_HASH, "SELECT s.id, s.user_id, s.device_id, s.created_at, s.expires_at, COALESCE(d.public_id, '') FROM sessions s" \
		" LEFT JOIN devices d ON d.id = s.device_id AND d.removed_at = 0 WHERE s.token_hash = ?1") \
	X(SESSION_DELETE, "DELETE FROM sessions WHERE id = ?1") \
	X(SESSION_BIND, "UPDATE sessions SET device_id = ?2 WHERE id = ?1") \
	X(SESSION_UNBIND, "UPDATE sessions SET device_id = 0 WHERE device_id = ?1") \
	X(FREQ_PAIR, "SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE from_user = ?1 AND to_user = ?2") \
	X(FREQ_PUBLIC, "SELECT id, public_id, from_user, to_user, state, created_at FROM friend_requests WHERE public_id = ?1") \
	X(FREQ_INSERT, "INSERT INTO friend_requests(public_id, from_user, to_user, state, created_at) VALUES(?1, ?2, ?3, ?4, ?5)") \
	X(FREQ_SET_STATE, "UPDATE friend_requests SET state = ?2, created_at = ?3 WHERE id = ?1") \
	X(FREQ_DELETE_PAIR, "DELETE FROM friend_requests WHERE (from_user = ?1 AND to_user = ?2) OR (from_user = ?2 AND to_user = ?1)") \
	X(FREQ_INCOMING, "SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS \
		" FROM friend_requests r JOIN users u ON u.id = r.from_user WHERE r.to_user = ?1 AND r.state = 0 ORDER BY r.id") \
	X(FREQ_OUTGOING, "SELECT r.id, r.public_id, r.from_user, r.to_user, r.state, r.created_at, " USER_COLS \
		" FROM friend_requests r JOIN users u ON u.id = r.to_user WHERE r.from_user = ?1 AND r.state = 0 ORDER BY r.id") \
	X(FRIEND_INSERT, "INSERT INTO friends(user_id, friend_id, since) VALUES(?1, ?2, ?3), (?2, ?1, ?3)") \
	X(FRIEND_DELETE, "DELETE FROM friends WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)") \
	X(FRIEND_CHECK, "SELECT 1 FROM friends WHERE user_id = ?1 AND friend_id = ?2") \
	X(FRIEND_LIST, "SELECT " USER_COLS ", f.since FROM friends f JOIN users u ON u.id = f.friend_id WHERE f.user_id = ?1 ORDER BY u.username") \
	X(DEVICE_INSERT, "INSERT INTO devices(public_id, user_id, name, sign_pk, box_pk, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") \
	X(DEVICE_BY_PUBLIC, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.public_id = ?1 AND d.removed_at = 0") \
	X(DEVICE_DELETE, "UPDATE devices SET removed_at = ?2 WHERE id = ?1 AND removed_at = 0") \
	X(DEVICE_LIST_USER, "SELECT " DEVICE_COLS " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.user_id = ?1 AND d.removed_at = 0 ORDER BY d.id") \
	X(DEVICE_LIST_THREAD, "SELECT " DEVICE_COLS " FROM members m JOIN devices d ON d.user_id = m.user_id JOIN users u ON u.id = d.user_id" \
		" WHERE m.thread_id = ?1 AND d.removed_at = 0 ORDER BY d.user_id, d.id") \
	X(SHARE_THREAD, "SELECT 1 FROM members a JOIN members b ON b.thread_id = a.thread_id WHERE a.user_id = ?1 AND b.user_id = ?2 LIMIT 1") \
	X(THREAD_INSERT, "INSERT INTO threads(public_id, kind, direct_key, creator, created_at, last_seq, last_activity) VALUES(?1, ?2, ?3, ?4, ?5, 0, ?5)") \
	X(THREAD_BY_DIRECT, "SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, 0, 0 FROM threads t WHERE t.direct_key = ?1") \
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
	X(MESSAGE_INSERT, "INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at)" \
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
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
	X(EVENT_COUNT_DEV, "SELECT COUNT(*) FROM events WHERE device_id = ?1 AND id <= ?2") \
	X(EVENT_LAST, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)")

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
}

/* Map a step/exec result: constraint violations are PST_E_CONFLICT, others PST_E_STORAGE. */
static enum pst_err map_rc(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
		return PST_E_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return PST_E_CONFLICT;
	return PST_E_STORAGE;
}

/* Run a statement that returns no rows. */
static enum pst_err st_exec(sqlite3_stmt *s)
{
	int rc;
	if (s == NULL)
		return PST_E_STORAGE;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return map_rc(rc);
}

static enum pst_err st_simple(struct store_conn *c, enum stmt_id id)
{
	return st_exec(st_get(c, id));
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* ---- lifecycle -------------------------------------------------------------------------------------- */

static enum pst_err conn_pragmas(struct store_conn *c, int durable, int writable)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "PRAGMA busy_timeout = 10000; PRAGMA synchronous = %s; PRAGMA temp_store = MEMORY;"
		 " PRAGMA cache_size = -16384; %s",
		 durable ? "FULL" : "NORMAL", writable ? "" : "PRAGMA query_only = 1;");
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? PST_E_OK : PST_E_STORAGE;
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

static enum pst_err sq_conn_open(struct store *st, int writable, struct store_conn **out)
{
	enum pst_err rc = PST_E_OK;
	struct store_conn *c = calloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_NOMUTEX | (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);

	if (c == NULL)
		return PST_E_STORAGE;
	if (sqlite3_open_v2(st->path, &c->db, flags, NULL) != SQLITE_OK) {
		rc = PST_E_STORAGE;
		goto out;
	}
	rc = conn_pragmas(c, st->durable, writable);
out:
	if (rc != PST_E_OK) {
		sq_conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

static enum pst_err migrate(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int version = 0;
	size_t i;
	enum pst_err rc = PST_E_OK;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return PST_E_STORAGE;
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
			rc = PST_E_STORAGE;
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

static enum pst_err sq_open(const struct store_options *opt, struct store **out)
{
	enum pst_err rc = PST_E_OK;
	struct store *st = calloc(1, sizeof(*st));
	sqlite3 *db = NULL;

	*out = NULL;
	if (st == NULL || (st->path = strdup(opt->path)) == NULL) {
		rc = PST_E_STORAGE;
		goto out;
	}
	st->durable = opt->durable;
	if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;", NULL, NULL, NULL) != SQLITE_OK) {
		rc = PST_E_STORAGE;
		goto out;
	}
	rc = migrate(db);
out:
	sqlite3_close(db);
	if (rc != PST_E_OK) {
		sq_close(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

/* ---- transactions ----------------------------------------------------------------------------------- */

static enum pst_err sq_begin(struct store_conn *c) { return st_simple(c, S_BEGIN); }
static enum pst_err sq_commit(struct store_conn *c) { return st_simple(c, S_COMMIT); }
static enum pst_err sq_rollback(struct store_conn *c)
{
	if (sqlite3_get_autocommit(c->db))
		return PST_E_OK;
	return st_simple(c, S_ROLLBACK);
}
static enum pst_err sq_savepoint(struct store_conn *c) { return st_simple(c, S_SAVEPOINT); }
static enum pst_err sq_release(struct store_conn *c) { return st_simple(c, S_RELEASE); }
static enum pst_err sq_rollback_to(struct store_conn *c)
{
	enum pst_err rc = st_simple(c, S_ROLLBACK_TO);
	if (rc == PST_E_OK)
		rc = st_simple(c, S_RELEASE);
	return rc;
}
static enum pst_err sq_read_begin(struct store_conn *c) { return st_simple(c, S_READ_BEGIN); }
static enum pst_err sq_read_end(struct store_conn *c)
{
	if (sqlite3_get_autocommit(c->db))
		return PST_E_OK;
	return st_simple(c, S_READ_END);
}

/* ---- users and sessions ----------------------------------------------------------------------------- */

static enum pst_err sq_user_insert(struct store_conn *c, struct store_user *u)
{
	sqlite3_stmt *s = st_get(c, S_USER_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, u->public_id);
	bind_text(s, 2, u->username);
	bind_text(s, 3, u->pw_hash);
	sqlite3_bind_int64(s, 4, u->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		u->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err user_one(struct store_conn *c, enum stmt_id id, const char *text, int64_t num, struct store_user *out)
{
	sqlite3_stmt *s = st_get(c, id);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
	if (text)
		bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, num);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_user(s, 0, out);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_user_by_name(struct store_conn *c, const char *n, struct store_user *o) { return user_one(c, S_USER_BY_NAME, n, 0, o); }
static enum pst_err sq_user_by_public(struct store_conn *c, const char *p, struct store_user *o) { return user_one(c, S_USER_BY_PUBLIC, p, 0, o); }
static enum pst_err sq_user_by_id(struct store_conn *c, int64_t id, struct store_user *o) { return user_one(c, S_USER_BY_ID, NULL, id, o); }

static enum pst_err sq_session_insert(struct store_conn *c, const unsigned char hash[32], struct store_session *ss)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ss->user_id);
	sqlite3_bind_int64(s, 3, ss->created_at);
	sqlite3_bind_int64(s, 4, ss->expires_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		ss->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err sq_session_by_hash(struct store_conn *c, const unsigned char hash[32], struct store_session *o)
{
	sqlite3_stmt *s = st_get(c, S_SESSION_BY_HASH);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err exec_ii(struct store_conn *c, enum stmt_id id, int64_t a, int64_t b, int need_change)
{
	sqlite3_stmt *s = st_get(c, id);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	rc = st_exec(s);
	if (rc == PST_E_OK && need_change && sqlite3_changes(c->db) == 0)
		rc = PST_E_NOT_FOUND;
	return rc;
}

static enum pst_err sq_session_delete(struct store_conn *c, int64_t id) { return exec_ii(c, S_SESSION_DELETE, id, 0, 0); }
static enum pst_err sq_session_bind_device(struct store_conn *c, int64_t sid, int64_t did) { return exec_ii(c, S_SESSION_BIND, sid, did, 0); }
static enum pst_err sq_session_unbind_device(struct store_conn *c, int64_t did) { return exec_ii(c, S_SESSION_UNBIND, did, 0, 0); }

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

static enum pst_err freq_one(sqlite3_stmt *s, struct store_friend_request *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(o, 0, sizeof(*o));
		read_freq(s, o);
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_freq_get_pair(struct store_conn *c, int64_t from, int64_t to, struct store_friend_request *o)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_PAIR);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	return freq_one(s, o);
}

static enum pst_err sq_freq_by_public(struct store_conn *c, const char *p, struct store_friend_request *o)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_PUBLIC);
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, p);
	return freq_one(s, o);
}

static enum pst_err sq_freq_insert(struct store_conn *c, struct store_friend_request *r)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, r->public_id);
	sqlite3_bind_int64(s, 2, r->from_user);
	sqlite3_bind_int64(s, 3, r->to_user);
	sqlite3_bind_int(s, 4, r->state);
	sqlite3_bind_int64(s, 5, r->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		r->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err sq_freq_set_state(struct store_conn *c, int64_t id, int state, int64_t at)
{
	sqlite3_stmt *s = st_get(c, S_FREQ_SET_STATE);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, state);
	sqlite3_bind_int64(s, 3, at);
	return st_exec(s);
}

static enum pst_err sq_freq_delete_pair(struct store_conn *c, int64_t a, int64_t b) { return exec_ii(c, S_FREQ_DELETE_PAIR, a, b, 0); }

static enum pst_err sq_freq_list_pending(struct store_conn *c, int64_t user, int incoming, store_friend_request_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, incoming ? S_FREQ_INCOMING : S_FREQ_OUTGOING);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

static enum pst_err sq_friend_insert(struct store_conn *c, int64_t a, int64_t b, int64_t now)
{
	sqlite3_stmt *s = st_get(c, S_FRIEND_INSERT);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, now);
	return st_exec(s);
}

static enum pst_err sq_friend_delete(struct store_conn *c, int64_t a, int64_t b) { return exec_ii(c, S_FRIEND_DELETE, a, b, 1); }

static enum pst_err exists_ii(struct store_conn *c, enum stmt_id id, int64_t a, int64_t b)
{
	sqlite3_stmt *s = st_get(c, id);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_friend_check(struct store_conn *c, int64_t a, int64_t b) { return exists_ii(c, S_FRIEND_CHECK, a, b); }
static enum pst_err sq_users_share_thread(struct store_conn *c, int64_t a, int64_t b) { return exists_ii(c, S_SHARE_THREAD, a, b); }

static enum pst_err sq_friend_list(struct store_conn *c, int64_t user, store_friend_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_FRIEND_LIST);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

/* ---- devices ---------------------------------------------------------------------------------------- */

static enum pst_err sq_device_insert(struct store_conn *c, struct store_device *d)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, d->public_id);
	sqlite3_bind_int64(s, 2, d->user_id);
	bind_text(s, 3, d->name);
	bind_text(s, 4, d->sign_pk);
	bind_text(s, 5, d->box_pk);
	sqlite3_bind_int64(s, 6, d->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		d->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err sq_device_by_public(struct store_conn *c, const char *p, struct store_device *o)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_BY_PUBLIC);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, p);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_device(s, o);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_device_delete(struct store_conn *c, int64_t id)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_DELETE);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)time(NULL) * 1000);
	return st_exec(s);
}

static enum pst_err device_iter(sqlite3_stmt *s, store_device_cb cb, void *arg)
{
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_device d;
		read_device(s, &d);
		if (cb(arg, &d))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

static enum pst_err sq_device_list_user(struct store_conn *c, int64_t user, store_device_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_LIST_USER);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, user);
	return device_iter(s, cb, arg);
}

static enum pst_err sq_device_list_thread(struct store_conn *c, int64_t thread, store_device_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_DEVICE_LIST_THREAD);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	return device_iter(s, cb, arg);
}

/* ---- threads ---------------------------------------------------------------------------------------- */

static enum pst_err sq_thread_insert(struct store_conn *c, struct store_thread *t, const char *direct_key)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, t->public_id);
	sqlite3_bind_int(s, 2, t->kind);
	if (direct_key)
		bind_text(s, 3, direct_key);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, t->creator);
	sqlite3_bind_int64(s, 5, t->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK) {
		t->id = sqlite3_last_insert_rowid(c->db);
		t->last_seq = 0;
		t->last_activity = t->created_at;
	}
	return rc;
}

static enum pst_err thread_one(sqlite3_stmt *s, struct store_thread *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_thread(s, o);
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_thread_by_direct_key(struct store_conn *c, const char *key, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_BY_DIRECT);
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, key);
	return thread_one(s, o);
}

static enum pst_err sq_thread_for_member(struct store_conn *c, const char *p, int64_t user, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_FOR_MEMBER);
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, p);
	sqlite3_bind_int64(s, 2, user);
	return thread_one(s, o);
}

static enum pst_err sq_thread_by_id_for_member(struct store_conn *c, int64_t id, int64_t user, struct store_thread *o)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_ID_FOR_MEMBER);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, user);
	return thread_one(s, o);
}

static enum pst_err sq_thread_list_for_user(struct store_conn *c, int64_t user, int64_t before_activity, int64_t before_id,
					    int limit, store_thread_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_LIST);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

static enum pst_err sq_member_add(struct store_conn *c, int64_t thread, int64_t user, int64_t joined)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_ADD);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, joined);
	return st_exec(s);
}

static enum pst_err sq_member_remove(struct store_conn *c, int64_t thread, int64_t user) { return exec_ii(c, S_MEMBER_REMOVE, thread, user, 1); }

static enum pst_err sq_member_list(struct store_conn *c, int64_t thread, store_member_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_LIST);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

static enum pst_err returning_int(sqlite3_stmt *s, int64_t *out)
{
	int r = sqlite3_step(s);
	enum pst_err rc;
	if (r == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		r = sqlite3_step(s);
		rc = r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
	} else
		rc = r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
	sqlite3_reset(s);
	return rc;
}

static enum pst_err sq_member_mark_read(struct store_conn *c, int64_t thread, int64_t user, int64_t seq, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_MEMBER_READ);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, user);
	sqlite3_bind_int64(s, 3, seq);
	return returning_int(s, out);
}

static enum pst_err sq_thread_next_seq(struct store_conn *c, int64_t thread, int64_t now, int64_t *seq)
{
	sqlite3_stmt *s = st_get(c, S_THREAD_NEXT_SEQ);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, now);
	return returning_int(s, seq);
}

/* ---- messages --------------------------------------------------------------------------------------- */

static enum pst_err sq_message_insert(struct store_conn *c, struct store_message *m)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_INSERT);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	bind_text(s, 1, m->public_id);
	sqlite3_bind_int64(s, 2, m->thread_id);
	sqlite3_bind_int64(s, 3, m->seq);
	sqlite3_bind_int64(s, 4, m->sender_id);
	sqlite3_bind_int64(s, 5, m->sender_device);
	bind_text(s, 6, m->client_msg_id);
	bind_text(s, 7, m->kind);
	sqlite3_bind_text(s, 8, m->body, (int)m->body_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, m->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		m->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err message_iter(sqlite3_stmt *s, store_message_cb cb, void *arg)
{
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_message m;
		read_message(s, &m);
		if (cb(arg, &m))
			break;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

/* A single message copied out; the body pointer is left NULL (callers needing it use message_by_id). */
static enum pst_err message_one(sqlite3_stmt *s, struct store_message *o)
{
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		read_message(s, o);
		o->body = NULL;
	}
	sqlite3_reset(s);
	return r == SQLITE_ROW ? PST_E_OK : r == SQLITE_DONE ? PST_E_NOT_FOUND : PST_E_STORAGE;
}

static enum pst_err sq_message_by_client_id(struct store_conn *c, int64_t sender, const char *cmid, struct store_message *o)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_CLIENT);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, sender);
	bind_text(s, 2, cmid);
	return message_one(s, o);
}

static enum pst_err sq_message_by_public(struct store_conn *c, int64_t thread, const char *p, struct store_message *o)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_PUBLIC);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	bind_text(s, 2, p);
	return message_one(s, o);
}

static enum pst_err sq_message_by_id(struct store_conn *c, int64_t id, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_MESSAGE_BY_ID);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	return message_iter(s, cb, arg);
}

static enum pst_err sq_message_erase(struct store_conn *c, int64_t id, int64_t now) { return exec_ii(c, S_MESSAGE_ERASE, id, now, 1); }

static enum pst_err sq_message_list(struct store_conn *c, int64_t thread, int64_t min_seq, int64_t after, int64_t before,
				    int limit, int newest, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, newest ? S_MESSAGE_LIST_DESC : S_MESSAGE_LIST_ASC);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, thread);
	sqlite3_bind_int64(s, 2, min_seq);
	sqlite3_bind_int64(s, 3, after);
	sqlite3_bind_int64(s, 4, before);
	sqlite3_bind_int(s, 5, limit);
	return message_iter(s, cb, arg);
}

/* ---- events ----------------------------------------------------------------------------------------- */

static enum pst_err sq_event_append(struct store_conn *c, struct store_event *e)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_APPEND);
	enum pst_err rc;
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, e->user_id);
	sqlite3_bind_int64(s, 2, e->device_id);
	bind_text(s, 3, e->type);
	sqlite3_bind_int64(s, 4, e->ref_id);
	bind_text(s, 5, e->data);
	sqlite3_bind_int64(s, 6, e->created_at);
	rc = st_exec(s);
	if (rc == PST_E_OK)
		e->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static enum pst_err sq_event_list(struct store_conn *c, int64_t user, int64_t device, int64_t since, int limit,
				  store_event_cb cb, void *arg)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_LIST);
	int r;
	if (s == NULL)
		return PST_E_STORAGE;
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
	return r == SQLITE_ROW || r == SQLITE_DONE ? PST_E_OK : PST_E_STORAGE;
}

static enum pst_err sq_event_prune_to_device(struct store_conn *c, int64_t device, int64_t upto) { return exec_ii(c, S_EVENT_PRUNE, device, upto, 0); }

static enum pst_err sq_event_count_to_device(struct store_conn *c, int64_t device, int64_t upto, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_COUNT_DEV);
	if (s == NULL)
		return PST_E_STORAGE;
	sqlite3_bind_int64(s, 1, device);
	sqlite3_bind_int64(s, 2, upto);
	return returning_int(s, out);
}

static enum pst_err sq_event_last_id(struct store_conn *c, int64_t *out)
{
	sqlite3_stmt *s = st_get(c, S_EVENT_LAST);
	if (s == NULL)
		return PST_E_STORAGE;
	return returning_int(s, out);
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
	.user_by_name = sq_user_by_name,
	.user_by_public = sq_user_by_public,
	.user_by_id = sq_user_by_id,
	.session_insert = sq_session_insert,
	.session_by_hash = sq_session_by_hash,
	.session_delete = sq_session_delete,
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
	.event_last_id = sq_event_last_id,
};
