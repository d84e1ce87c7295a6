/*
 * sqlite.c — the SQLite driver of the storage layer (see driver.h): one database file in WAL mode, a connection
 * per thread, every statement prepared once per connection and kept.
 *
 * Durability: synchronous=FULL makes every COMMIT fsync the WAL before it returns, and a WAL frame becomes visible
 * to readers only once the commit is done, so nothing a client is told about can vanish in a power cut. The
 * group-commit writer (dbexec.c) keeps commits few and large. Migrations are counted in PRAGMA user_version.
 * This file knows SQLite's C API and the text of its own transaction verbs; the statements it runs come from
 * queries.c as opaque text, and it knows nothing of tables, the domain or HTTP.
 */
#include "driver.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

struct store_db {
	char *path;
	int durable;
};

struct store_dconn {
	sqlite3 *db;
	sqlite3_stmt **stmt; /* by slot id, prepared on first use */
	size_t nstmt;
	sqlite3_stmt *tx[STORE_TX_COUNT];
};

/* The transaction verbs; ROLLBACK_TO also releases the savepoint, so the request is gone either way. */
static const char *const tx_sql[] = {
	[STORE_TX_BEGIN] = "BEGIN IMMEDIATE", [STORE_TX_COMMIT] = "COMMIT", [STORE_TX_ROLLBACK] = "ROLLBACK",
	[STORE_TX_SAVEPOINT] = "SAVEPOINT req", [STORE_TX_RELEASE] = "RELEASE req",
	[STORE_TX_ROLLBACK_TO] = "ROLLBACK TO req", [STORE_TX_READ_BEGIN] = "BEGIN", [STORE_TX_READ_END] = "COMMIT",
	[STORE_TX_BEGIN_GROUP] = "BEGIN IMMEDIATE", /* one writer: nobody else's locks to wait for */
};

/* A step or prepare result as an error: constraint violations are SRV_E_CONFLICT, others SRV_E_STORAGE. */
static enum srv_err map_rc(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
		return SRV_E_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return SRV_E_CONFLICT;
	return SRV_E_STORAGE;
}

/* ---- lifecycle -------------------------------------------------------------------------------------- */

static enum srv_err migrate(sqlite3 *db, const struct store_migration *steps, size_t n)
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
	for (i = (size_t)version; i < n; i++) {
		const char *sql = steps[i].engine_sql[STORE_ENGINE_SQLITE] ? steps[i].engine_sql[STORE_ENGINE_SQLITE] : steps[i].sql;
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %zu;", i + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
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

static void sq_close(struct store_db *st)
{
	if (st == NULL)
		return;
	free(st->path);
	free(st);
}

static enum srv_err sq_open(const struct store_options *opt, const struct store_migration *steps, size_t n,
			    struct store_db **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_db *st = calloc(1, sizeof(*st));
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
	rc = migrate(db, steps, n);
out:
	sqlite3_close(db);
	if (rc != SRV_E_OK) {
		sq_close(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

static void sq_conn_close(struct store_dconn *c)
{
	size_t i;
	if (c == NULL)
		return;
	for (i = 0; i < c->nstmt; i++)
		sqlite3_finalize(c->stmt[i]);
	for (i = 0; i < sizeof(c->tx) / sizeof(c->tx[0]); i++)
		sqlite3_finalize(c->tx[i]);
	free(c->stmt);
	sqlite3_close(c->db);
	free(c);
}

static enum srv_err sq_conn_open(struct store_db *st, int writable, struct store_dconn **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_dconn *c = calloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_NOMUTEX | (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	char sql[256];

	if (c == NULL)
		return SRV_E_STORAGE;
	if (sqlite3_open_v2(st->path, &c->db, flags, NULL) != SQLITE_OK) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	snprintf(sql, sizeof(sql),
		 "PRAGMA busy_timeout = 10000; PRAGMA synchronous = %s; PRAGMA temp_store = MEMORY;"
		 " PRAGMA cache_size = -16384; %s",
		 st->durable ? "FULL" : "NORMAL", writable ? "" : "PRAGMA query_only = 1;");
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = SRV_E_STORAGE;
out:
	if (rc != SRV_E_OK) {
		sq_conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

/* ---- statements ------------------------------------------------------------------------------------- */

/* The statement of slot id (prepared from sql on first use), reset; NULL on a prepare or allocation failure. */
static sqlite3_stmt *stmt_get(struct store_dconn *c, size_t id, const char *sql)
{
	if (id >= c->nstmt) {
		size_t n = id + 16;
		sqlite3_stmt **grown = realloc(c->stmt, n * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		memset(grown + c->nstmt, 0, (n - c->nstmt) * sizeof(*grown));
		c->stmt = grown;
		c->nstmt = n;
	}
	if (c->stmt[id] == NULL &&
	    sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL) != SQLITE_OK)
		return NULL;
	return c->stmt[id];
}

static void bind(sqlite3_stmt *s, int i, const struct query_arg *a)
{
	if (a->type == QA_INT)
		sqlite3_bind_int64(s, i, a->i);
	else if (a->p == NULL)
		sqlite3_bind_null(s, i);
	else if (a->type == QA_TEXT)
		sqlite3_bind_text(s, i, a->p, a->n == (size_t)-1 ? -1 : (int)a->n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s, i, a->p, (int)a->n, SQLITE_STATIC);
}

static enum srv_err sq_run(struct store_dconn *c, size_t id, const char *sql, const struct query_arg *args, size_t n,
			   store_row_fn on_row, void *ctx, int64_t *changes)
{
	sqlite3_stmt *s = stmt_get(c, id, sql);
	int r = SQLITE_DONE, stop = 0;
	size_t i;

	if (s == NULL)
		return SRV_E_STORAGE;
	for (i = 0; i < n; i++)
		bind(s, (int)i + 1, &args[i]);
	while (!stop && (r = sqlite3_step(s)) == SQLITE_ROW)
		stop = on_row ? on_row(ctx, s) : 0;
	if (changes)
		*changes = sqlite3_changes(c->db);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return stop ? SRV_E_OK : map_rc(r);
}

static enum srv_err sq_describe(struct store_dconn *c, size_t id, const char *sql, int *nparams, int *ncols)
{
	sqlite3_stmt *s = stmt_get(c, id, sql);
	if (s == NULL)
		return SRV_E_STORAGE;
	*nparams = sqlite3_bind_parameter_count(s);
	*ncols = sqlite3_column_count(s);
	return SRV_E_OK;
}

static enum srv_err sq_tx(struct store_dconn *c, enum store_tx verb)
{
	enum srv_err rc;
	if ((size_t)verb >= sizeof(tx_sql) / sizeof(tx_sql[0]))
		return SRV_E_INTERNAL;
	/* nothing to end outside a transaction (a failed BEGIN, a reader that never began) */
	if ((verb == STORE_TX_ROLLBACK || verb == STORE_TX_READ_END) && sqlite3_get_autocommit(c->db))
		return SRV_E_OK;
	if (c->tx[verb] == NULL && sqlite3_prepare_v3(c->db, tx_sql[verb], -1, SQLITE_PREPARE_PERSISTENT, &c->tx[verb], NULL) != SQLITE_OK)
		return SRV_E_STORAGE;
	rc = map_rc(sqlite3_step(c->tx[verb]));
	sqlite3_reset(c->tx[verb]);
	if (rc == SRV_E_OK && verb == STORE_TX_ROLLBACK_TO)
		rc = sq_tx(c, STORE_TX_RELEASE);
	return rc;
}

/* ---- columns ---------------------------------------------------------------------------------------- */

static int64_t sq_col_int(const void *row, int i)
{
	return sqlite3_column_int64((sqlite3_stmt *)row, i);
}

static const char *sq_col_text(const void *row, int i, size_t *len)
{
	sqlite3_stmt *s = (sqlite3_stmt *)row;
	const char *t = (const char *)sqlite3_column_text(s, i);
	*len = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	return t;
}

static const unsigned char *sq_col_blob(const void *row, int i, size_t *len)
{
	sqlite3_stmt *s = (sqlite3_stmt *)row;
	const unsigned char *b;
	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	b = sqlite3_column_blob(s, i);
	*len = (size_t)sqlite3_column_bytes(s, i);
	return b ? b : (const unsigned char *)""; /* an empty value is not NULL */
}

const struct store_driver store_sqlite_driver = {
	.name = "sqlite",
	.engine = STORE_ENGINE_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.tx = sq_tx,
	.run = sq_run,
	.describe = sq_describe,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
};
