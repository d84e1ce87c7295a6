/*
 * sqlite_ceiling.c — the SQLite half of the database ceiling of `make bench` (bench/ceiling.sh): the database
 * work of durable sends alone, with no HTTP, no JSON and no validation, so it tells how fast posternd could
 * send if everything but SQLite cost nothing. Its PostgreSQL twin is bench/pg_send.sql under pgbench.
 *
 * It does what posternd's group-commit writer (src/server/dbexec.c) does with a full queue: BEGIN IMMEDIATE,
 * then for each of BATCH sends SAVEPOINT, the send's statements, RELEASE, and one COMMIT; the database is in
 * WAL mode with synchronous=FULL and posternd's other pragmas (store_sqlite.c conn_pragmas), so each COMMIT
 * is one fdatasync of the WAL. The statements are store_sqlite.c's own, copied: THREAD_FOR_MEMBER,
 * MESSAGE_BY_CLIENT (a miss), THREAD_NEXT_SEQ, MESSAGE_INSERT, MEMBER_READ, MEMBER_LIST and one EVENT_APPEND
 * per member. Sends go round robin over SENDERS direct threads with one receiver, like bench/setup.py's.
 *
 *   sqlite_ceiling DBPATH SECONDS BATCH SENDERS
 *
 * prints one line: SQLITERESULT sends=N seconds=S per_s=X batch=B commits=C. It creates DBPATH (which must not
 * exist) and leaves it for the caller to remove. A stand-alone benchmark program: it is not part of posternd
 * and includes nothing of it.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* store_sqlite.c's migrations 1, 2 and the chain columns, for the tables a send touches */
static const char schema[] =
	"CREATE TABLE users(id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, username TEXT NOT NULL UNIQUE,"
	"  pw_hash TEXT NOT NULL, created_at INTEGER NOT NULL, deleted_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE threads(id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL, direct_key TEXT UNIQUE,"
	"  creator INTEGER NOT NULL, created_at INTEGER NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,"
	"  last_activity INTEGER NOT NULL, app_id INTEGER NOT NULL DEFAULT 0, chain_length INTEGER NOT NULL DEFAULT 0,"
	"  chain_head BLOB);"
	"CREATE TABLE members(thread_id INTEGER NOT NULL, user_id INTEGER NOT NULL, joined_seq INTEGER NOT NULL,"
	"  read_seq INTEGER NOT NULL, PRIMARY KEY(thread_id, user_id)) WITHOUT ROWID;"
	"CREATE INDEX members_user ON members(user_id);"
	"CREATE TABLE messages(id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, thread_id INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, sender_id INTEGER NOT NULL, sender_device INTEGER NOT NULL, client_msg_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL, body BLOB, created_at INTEGER NOT NULL, deleted_at INTEGER NOT NULL DEFAULT 0,"
	"  app_id INTEGER NOT NULL DEFAULT 0, grant_id INTEGER NOT NULL DEFAULT 0, item TEXT NOT NULL DEFAULT '',"
	"  UNIQUE(thread_id, seq), UNIQUE(sender_id, client_msg_id));"
	"CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
	"  type TEXT NOT NULL, ref_id INTEGER NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX events_user ON events(user_id, id);"
	"CREATE INDEX events_device ON events(device_id, id) WHERE device_id <> 0;";

enum { Q_BEGIN, Q_COMMIT, Q_SAVEPOINT, Q_RELEASE, Q_THREAD, Q_BY_CLIENT, Q_NEXT_SEQ, Q_INSERT, Q_READ, Q_MEMBERS, Q_EVENT, Q__COUNT };

/* the statements of one send, as store_sqlite.c's STMT_MAP has them (MESSAGE_BY_CLIENT's columns trimmed to the
 * id: a miss reads no row) */
static const char *const sql[Q__COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_SAVEPOINT] = "SAVEPOINT req",
	[Q_RELEASE] = "RELEASE req",
	[Q_THREAD] = "SELECT t.id, t.public_id, t.kind, t.creator, t.created_at, t.last_seq, t.last_activity, m.read_seq,"
		     " m.joined_seq, t.app_id, t.chain_length, t.chain_head FROM threads t JOIN members m ON m.thread_id = t.id"
		     " AND m.user_id = ?2 WHERE t.public_id = ?1",
	[Q_BY_CLIENT] = "SELECT g.id FROM messages g WHERE g.sender_id = ?1 AND g.client_msg_id = ?2",
	[Q_NEXT_SEQ] = "UPDATE threads SET last_seq = last_seq + 1, last_activity = MAX(last_activity, ?2) WHERE id = ?1 RETURNING last_seq",
	[Q_INSERT] = "INSERT INTO messages(public_id, thread_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at,"
		     " app_id, grant_id, item) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[Q_READ] = "UPDATE members SET read_seq = MAX(read_seq, MIN(?3, (SELECT last_seq FROM threads WHERE id = ?1)))"
		   " WHERE thread_id = ?1 AND user_id = ?2 RETURNING read_seq",
	[Q_MEMBERS] = "SELECT m.user_id, u.public_id, u.username, m.joined_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id"
		      " WHERE m.thread_id = ?1 ORDER BY u.username",
	[Q_EVENT] = "INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
};

struct bench {
	sqlite3 *db;
	sqlite3_stmt *q[Q__COUNT];
	int senders;
	char body[1400]; /* 1 KiB of random bytes as base64url: 1,366 characters */
	size_t body_len;
	uint64_t counter;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* step STATEMENT to its end; returns 0 on success (rows are read and dropped, as a miss or a RETURNING would be
 * read by posternd), -1 with a message on stderr */
static int run(struct bench *b, int q, int64_t *first)
{
	sqlite3_stmt *s = b->q[q];
	int r, rows = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows++ == 0 && first)
			*first = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (r != SQLITE_DONE) {
		fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql[q], sqlite3_errmsg(b->db));
		return -1;
	}
	return 0;
}

static int send_one(struct bench *b)
{
	int thread = (int)(b->counter % (uint64_t)b->senders) + 1, sender = thread + 1, i;
	int64_t now = now_ms(), seq = 0, msg, members[2] = {sender, 1};
	char tpub[32], cmid[32], pub[32];

	b->counter++;
	snprintf(tpub, sizeof(tpub), "t%d", thread);
	snprintf(cmid, sizeof(cmid), "b%llu", (unsigned long long)b->counter);
	/* time-ordered like pubid_new_ordered: the time first, then a unique tail */
	snprintf(pub, sizeof(pub), "m_%012llx%010llx", (unsigned long long)now, (unsigned long long)b->counter);
	if (run(b, Q_SAVEPOINT, NULL))
		return -1;
	sqlite3_bind_text(b->q[Q_THREAD], 1, tpub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->q[Q_THREAD], 2, sender);
	sqlite3_bind_int64(b->q[Q_BY_CLIENT], 1, sender);
	sqlite3_bind_text(b->q[Q_BY_CLIENT], 2, cmid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->q[Q_NEXT_SEQ], 1, thread);
	sqlite3_bind_int64(b->q[Q_NEXT_SEQ], 2, now);
	if (run(b, Q_THREAD, NULL) || run(b, Q_BY_CLIENT, NULL) || run(b, Q_NEXT_SEQ, &seq))
		return -1;
	sqlite3_bind_text(b->q[Q_INSERT], 1, pub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->q[Q_INSERT], 2, thread);
	sqlite3_bind_int64(b->q[Q_INSERT], 3, seq);
	sqlite3_bind_int64(b->q[Q_INSERT], 4, sender);
	sqlite3_bind_int64(b->q[Q_INSERT], 5, 0);
	sqlite3_bind_text(b->q[Q_INSERT], 6, cmid, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->q[Q_INSERT], 7, "message", -1, SQLITE_STATIC);
	sqlite3_bind_text(b->q[Q_INSERT], 8, b->body, (int)b->body_len, SQLITE_STATIC);
	sqlite3_bind_int64(b->q[Q_INSERT], 9, now);
	sqlite3_bind_int64(b->q[Q_INSERT], 10, 0);
	sqlite3_bind_int64(b->q[Q_INSERT], 11, 0);
	sqlite3_bind_text(b->q[Q_INSERT], 12, "", -1, SQLITE_STATIC);
	if (run(b, Q_INSERT, NULL))
		return -1;
	msg = sqlite3_last_insert_rowid(b->db);
	sqlite3_bind_int64(b->q[Q_READ], 1, thread);
	sqlite3_bind_int64(b->q[Q_READ], 2, sender);
	sqlite3_bind_int64(b->q[Q_READ], 3, seq);
	sqlite3_bind_int64(b->q[Q_MEMBERS], 1, thread);
	if (run(b, Q_READ, NULL) || run(b, Q_MEMBERS, NULL))
		return -1;
	for (i = 0; i < 2; i++) {
		sqlite3_bind_int64(b->q[Q_EVENT], 1, members[i]);
		sqlite3_bind_int64(b->q[Q_EVENT], 2, 0);
		sqlite3_bind_text(b->q[Q_EVENT], 3, "message.created", -1, SQLITE_STATIC);
		sqlite3_bind_int64(b->q[Q_EVENT], 4, msg);
		sqlite3_bind_text(b->q[Q_EVENT], 5, "{}", -1, SQLITE_STATIC);
		sqlite3_bind_int64(b->q[Q_EVENT], 6, now);
		if (run(b, Q_EVENT, NULL))
			return -1;
	}
	return run(b, Q_RELEASE, NULL);
}

static int seed(struct bench *b)
{
	char stmt[512];
	int i;
	if (sqlite3_exec(b->db, "BEGIN; INSERT INTO users(id, public_id, username, pw_hash, created_at) VALUES(1, 'u1', 'recv_a', 'x', 0)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	for (i = 1; i <= b->senders; i++) {
		snprintf(stmt, sizeof(stmt),
			 "INSERT INTO users(id, public_id, username, pw_hash, created_at) VALUES(%d, 'u%d', 'snd%03d', 'x', 0);"
			 "INSERT INTO threads(id, public_id, kind, direct_key, creator, created_at, last_seq, last_activity)"
			 " VALUES(%d, 't%d', 0, '1:%d', %d, 0, 0, 0);"
			 "INSERT INTO members VALUES(%d, %d, 0, 0), (%d, 1, 0, 0);",
			 i + 1, i + 1, i, i, i, i + 1, i + 1, i, i + 1, i);
		if (sqlite3_exec(b->db, stmt, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	return sqlite3_exec(b->db, "COMMIT; ANALYZE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void make_body(struct bench *b)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[1024];
	size_t i;
	FILE *f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(raw, 1, sizeof(raw), f) != sizeof(raw))
		for (i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(i * 131 + 7);
	if (f)
		fclose(f);
	/* the length of 1,024 bytes as base64url without padding (1,366 characters), in random characters of its
	 * alphabet: SQLite stores the text and never decodes it, so the exact encoding does not matter */
	for (i = 0; i < 1366; i++)
		b->body[i] = alphabet[(raw[i % sizeof(raw)] ^ (unsigned char)(i / sizeof(raw) * 37)) & 63];
	b->body_len = 1366;
}

int main(int argc, char **argv)
{
	struct bench b;
	double seconds, t0, t1;
	long batch;
	uint64_t sends = 0, commits = 0;
	int i, rc = 1;

	memset(&b, 0, sizeof(b));
	if (argc != 5 || (seconds = strtod(argv[2], NULL)) <= 0 || (batch = strtol(argv[3], NULL, 10)) < 1 || batch > 4096 ||
	    (b.senders = (int)strtol(argv[4], NULL, 10)) < 1 || b.senders > 100000) {
		fprintf(stderr, "usage: sqlite_ceiling DBPATH SECONDS BATCH(1-4096) SENDERS(1-100000)\n");
		return 2;
	}
	if (access(argv[1], F_OK) == 0) {
		fprintf(stderr, "sqlite_ceiling: %s exists; give a new path\n", argv[1]);
		return 2;
	}
	make_body(&b);
	if (sqlite3_open_v2(argv[1], &b.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(b.db, "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;"
			       " PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b.db, schema, NULL, NULL, NULL) != SQLITE_OK || seed(&b) != 0) {
		fprintf(stderr, "sqlite_ceiling: setting up %s: %s\n", argv[1], sqlite3_errmsg(b.db));
		goto out;
	}
	for (i = 0; i < Q__COUNT; i++)
		if (sqlite3_prepare_v3(b.db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b.q[i], NULL) != SQLITE_OK) {
			fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql[i], sqlite3_errmsg(b.db));
			goto out;
		}
	t0 = mono();
	do {
		long j;
		if (run(&b, Q_BEGIN, NULL))
			goto out;
		for (j = 0; j < batch; j++)
			if (send_one(&b))
				goto out;
		if (run(&b, Q_COMMIT, NULL))
			goto out;
		sends += (uint64_t)batch;
		commits++;
		t1 = mono();
	} while (t1 - t0 < seconds);
	printf("SQLITERESULT sends=%llu seconds=%.3f per_s=%.1f batch=%ld commits=%llu\n", (unsigned long long)sends, t1 - t0,
	       (double)sends / (t1 - t0), batch, (unsigned long long)commits);
	rc = 0;
out:
	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(b.q[i]);
	sqlite3_close(b.db);
	return rc;
}
