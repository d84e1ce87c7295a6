/*
 * pg.c — the PostgreSQL driver of the storage layer (see driver.h), on libpq: the database is a URL
 * (postgresql://...), a connection per thread, every statement prepared once per connection and kept.
 *
 * Statements arrive as the table's text with numbered placeholders ?1..?n; this file rewrites them to $1..$n
 * (outside quoted literals) and binds every argument in binary form with its type — int8, text or bytea — so a
 * blob goes over the wire byte for byte and no value is ever spliced into SQL. Rows come back as text and are
 * read through the col_* functions: integers parsed, booleans as 0/1, bytea decoded from its hex form.
 *
 * PostgreSQL differs from SQLite in one way the operations above can feel: once a statement fails inside a
 * transaction, the whole transaction refuses further work. ops.c and the handlers treat a constraint violation
 * (SRV_E_CONFLICT) as an answer and go on, so every statement that may write runs inside its own savepoint
 * when a transaction is open; a failure rolls back that statement alone, as SQLite does.
 *
 * Durability: synchronous_commit is on (--durability=full) so COMMIT returns only once the WAL is flushed; a
 * COMMIT of a transaction that failed is reported as a failure (PostgreSQL answers it with ROLLBACK). A
 * connection found dropped at BEGIN is reconnected and the BEGIN tried again (nothing was lost); one that drops
 * inside a transaction fails that transaction and the next BEGIN, or a statement outside a transaction,
 * reconnects.
 *
 * Failures the writer acts on (error.h): a deadlock or serialization failure is SRV_E_TX_RETRY; a database that
 * cannot be reached, or a connection lost before COMMIT was sent, SRV_E_DB_DOWN; a connection lost once COMMIT
 * was sent, SRV_E_COMMIT_UNKNOWN. The first such failure of a transaction is also kept on the connection (its
 * fault): the operations and handlers above may turn a statement's error into an answer of their own (a
 * "not found"), so COMMIT and READ_END report the fault instead of committing, whatever became of it on the way.
 * A deadlock (or a group's bounded lock wait running out, 55P03) is the exception once its request is rolled
 * back to its savepoint: the locks went with it, so ROLLBACK_TO clears that fault, answers TX_RETRY, and the
 * rest of the group goes on to commit.
 * Migrations are counted in the table postern_schema, under an advisory lock so that two processes starting at
 * once apply each step once. This file knows libpq and the text of its own transaction verbs; it knows nothing
 * of the tables, the domain or HTTP.
 */
#include "driver.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* Type oids of the built-in types we bind and read (pg_type.h, stable since PostgreSQL 7). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_INT8OID 20
#define PG_TEXTOID 25

/* The most arguments one statement may take (the table's largest has fewer than 20). */
#define PG_MAX_ARGS 32

/* An arbitrary constant naming the advisory lock that serialises migrations. */
#define PG_MIGRATE_LOCK 0x706f7374

struct store_db {
	char *url;
	int durable;
};

/* One slot of the statement cache: the rewritten text and, once prepared, the argument types it was prepared with. */
struct pg_slot {
	char *sql;
	int prepared;
	int nargs;
	Oid types[PG_MAX_ARGS];
};

struct store_dconn {
	struct store_db *db;
	PGconn *pg;
	int writable;
	struct pg_slot *slot; /* by slot id */
	size_t nslot;
	unsigned char **dec; /* per result column: a bytea value decoded, valid until the next row */
	size_t *dec_cap;
	int ndec;
	enum srv_err fault; /* the first TX_RETRY / DB_DOWN a statement of the open transaction met, else OK */
};

/* A row handed to on_row: the result, the row number and the connection's decode buffers. */
struct pg_row {
	PGresult *res;
	int r;
	struct store_dconn *c;
};

/*
 * The transaction verbs. READ_BEGIN gives a reader one snapshot for its job, as SQLite's read transaction does.
 * BEGIN_GROUP starts a group commit, whose statements wait at most PG_GROUP_LOCK_WAIT for another transaction's
 * lock: two nodes' groups that wait for each other would otherwise both stand still until PostgreSQL looks for
 * deadlocks (deadlock_timeout, a second by default), while a request that gives up early (55P03, TX_RETRY) is
 * rolled back to its savepoint and run again alone once its group committed (dbexec.c). The bound is lifted
 * before COMMIT, which waits for the lock every committing NOTIFY takes, as long as that takes.
 */
#define PG_GROUP_LOCK_WAIT "100ms"
static const char *const tx_sql[] = {
	[STORE_TX_BEGIN] = "BEGIN", [STORE_TX_COMMIT] = "SET LOCAL lock_timeout = 0; COMMIT", [STORE_TX_ROLLBACK] = "ROLLBACK",
	[STORE_TX_BEGIN_GROUP] = "BEGIN; SET LOCAL lock_timeout = '" PG_GROUP_LOCK_WAIT "'",
	[STORE_TX_SAVEPOINT] = "SAVEPOINT req", [STORE_TX_RELEASE] = "RELEASE SAVEPOINT req",
	[STORE_TX_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT req",
	[STORE_TX_READ_BEGIN] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [STORE_TX_READ_END] = "COMMIT",
};

/* ---- errors and plain commands ---------------------------------------------------------------------- */

/* SQLSTATEs (or classes, when two characters) that say something other than SRV_E_STORAGE (appendix A of
 * PostgreSQL's manual). Looked up in order; the first match wins. */
static const struct {
	const char *state;
	enum srv_err rc;
} sqlstate_map[] = {
	{"23", SRV_E_CONFLICT},      /* integrity constraint violation */
	{"40P01", SRV_E_TX_RETRY},   /* deadlock detected */
	{"40001", SRV_E_TX_RETRY},   /* serialization failure */
	{"55P03", SRV_E_TX_RETRY},   /* lock not available: a group's bounded wait (BEGIN_GROUP) ran out */
	{"08", SRV_E_DB_DOWN},       /* connection exception */
	{"57P01", SRV_E_DB_DOWN},    /* admin shutdown (a fast or smart stop, pg_terminate_backend) */
	{"57P02", SRV_E_DB_DOWN},    /* crash shutdown */
	{"57P03", SRV_E_DB_DOWN},    /* cannot connect now (starting up, shutting down) */
};

/*
 * A failed result on pg as an error (sqlstate_map). A lost connection is SRV_E_DB_DOWN, and so is a failure
 * without a SQLSTATE: every error the server sends has one, so that one is libpq's own, about the connection
 * (a send that failed leaves the connection looking good until the next read). Logs all but conflicts.
 */
static enum srv_err map_result(PGconn *pg, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum srv_err rc = SRV_E_STORAGE;
	size_t i;

	for (i = 0; state && i < sizeof(sqlstate_map) / sizeof(sqlstate_map[0]); i++)
		if (strncmp(state, sqlstate_map[i].state, strlen(sqlstate_map[i].state)) == 0) {
			rc = sqlstate_map[i].rc;
			break;
		}
	if (rc == SRV_E_STORAGE && (PQstatus(pg) == CONNECTION_BAD || state == NULL))
		rc = SRV_E_DB_DOWN;
	if (rc == SRV_E_CONFLICT)
		return rc;
	fprintf(stderr, "posternd: postgresql: %s: %s", what,
		res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : "no result (connection lost?)\n");
	return rc;
}

/* Run a command of fixed text with no arguments (several, ;-separated, allowed). */
static enum srv_err exec_plain(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	enum srv_err rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? SRV_E_OK : map_result(pg, res, sql);
	PQclear(res);
	return rc;
}

/* Keep rc as the open transaction's fault when it is the first failure the writer must act on; returns rc. */
static enum srv_err note_fault(struct store_dconn *c, enum srv_err rc)
{
	if ((rc == SRV_E_TX_RETRY || rc == SRV_E_DB_DOWN) && c->fault == SRV_E_OK)
		c->fault = rc;
	return rc;
}

/* ---- connections ------------------------------------------------------------------------------------ */

/* Forget what was prepared on a connection that has been reset (a new server session knows none of it). */
static void slots_forget(struct store_dconn *c)
{
	size_t i;
	for (i = 0; i < c->nslot; i++)
		c->slot[i].prepared = 0;
}

/* The settings every connection of ours has; the read-only flag for readers. */
static enum srv_err session_setup(PGconn *pg, int durable, int writable)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; SET synchronous_commit = %s;"
		 " SET default_transaction_read_only = %s; SET client_min_messages = warning",
		 durable ? "on" : "off", writable ? "off" : "on");
	return exec_plain(pg, sql);
}

static PGconn *connect_url(const char *url)
{
	/* fallback_application_name: how posternd's sessions show in pg_stat_activity unless the URL names them */
	const char *const keys[] = {"dbname", "fallback_application_name", NULL};
	const char *const values[] = {url, "posternd", NULL};
	PGconn *pg = PQconnectdbParams(keys, values, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "posternd: postgresql: cannot connect: %s", pg ? PQerrorMessage(pg) : "out of memory\n");
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/*
 * Make sure c has a working connection outside a transaction: a connection that dropped (or, with force, one
 * that failed a command no server would refuse) is reset, and its session set up again. A connection inside a
 * transaction is left alone: its failure is the transaction's.
 */
static enum srv_err ensure_connected(struct store_dconn *c, int force)
{
	if (PQstatus(c->pg) == CONNECTION_OK && !force)
		return SRV_E_OK;
	if (!force && (PQtransactionStatus(c->pg) == PQTRANS_INTRANS || PQtransactionStatus(c->pg) == PQTRANS_INERROR))
		return SRV_E_DB_DOWN;
	PQreset(c->pg);
	slots_forget(c);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		fprintf(stderr, "posternd: postgresql: reconnect failed: %s", PQerrorMessage(c->pg));
		return SRV_E_DB_DOWN;
	}
	fprintf(stderr, "posternd: postgresql: reconnected\n");
	return session_setup(c->pg, c->db->durable, c->writable);
}

/* ---- lifecycle -------------------------------------------------------------------------------------- */

/* Apply migration steps[v] where v is the number the database has had, one transaction each, until all are in. */
static enum srv_err migrate(PGconn *pg, const struct store_migration *steps, size_t n)
{
	enum srv_err rc = SRV_E_OK;
	PGresult *res = NULL;
	char bump[96];
	size_t v;

	for (;;) {
		if ((rc = exec_plain(pg, "BEGIN")) != SRV_E_OK)
			goto out;
		snprintf(bump, sizeof(bump), "SELECT pg_advisory_xact_lock(%d)", PG_MIGRATE_LOCK);
		if ((rc = exec_plain(pg, bump)) != SRV_E_OK ||
		    (rc = exec_plain(pg, "CREATE TABLE IF NOT EXISTS postern_schema(version BIGINT NOT NULL);"
					 " INSERT INTO postern_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM postern_schema)")) != SRV_E_OK)
			goto out;
		res = PQexec(pg, "SELECT version FROM postern_schema");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			rc = map_result(pg, res, "reading the schema version");
			goto out;
		}
		v = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		res = NULL;
		if (v >= n)
			break;
		snprintf(bump, sizeof(bump), "UPDATE postern_schema SET version = %zu", v + 1);
		if ((rc = exec_plain(pg, steps[v].engine_sql[STORE_ENGINE_POSTGRES] ? steps[v].engine_sql[STORE_ENGINE_POSTGRES]
										 : steps[v].sql)) != SRV_E_OK ||
		    (rc = exec_plain(pg, bump)) != SRV_E_OK || (rc = exec_plain(pg, "COMMIT")) != SRV_E_OK) {
			fprintf(stderr, "posternd: postgresql: migration %zu failed\n", v + 1);
			goto out;
		}
	}
	rc = exec_plain(pg, "COMMIT");
out:
	PQclear(res);
	if (rc != SRV_E_OK)
		exec_plain(pg, "ROLLBACK");
	return rc;
}

static void pg_close(struct store_db *db)
{
	if (db == NULL)
		return;
	free(db->url);
	free(db);
}

static enum srv_err pg_open(const struct store_options *opt, const struct store_migration *steps, size_t n,
			    struct store_db **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_db *db = calloc(1, sizeof(*db));
	PGconn *pg = NULL;

	*out = NULL;
	if (db == NULL || opt->path == NULL || (db->url = strdup(opt->path)) == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	db->durable = opt->durable;
	if ((pg = connect_url(db->url)) == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	if ((rc = session_setup(pg, 1, 1)) != SRV_E_OK)
		goto out;
	rc = migrate(pg, steps, n);
out:
	PQfinish(pg);
	if (rc != SRV_E_OK) {
		pg_close(db);
		db = NULL;
	}
	*out = db;
	return rc;
}

static void pg_conn_close(struct store_dconn *c)
{
	size_t i;
	int k;
	if (c == NULL)
		return;
	for (i = 0; i < c->nslot; i++)
		free(c->slot[i].sql);
	free(c->slot);
	for (k = 0; k < c->ndec; k++)
		free(c->dec[k]);
	free(c->dec);
	free(c->dec_cap);
	PQfinish(c->pg);
	free(c);
}

static enum srv_err pg_conn_open(struct store_db *db, int writable, struct store_dconn **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_dconn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	c->db = db;
	c->writable = writable;
	if ((c->pg = connect_url(db->url)) == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	rc = session_setup(c->pg, db->durable, writable);
out:
	if (rc != SRV_E_OK) {
		pg_conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

/* ---- statements ------------------------------------------------------------------------------------- */

/*
 * sql with each ?N placeholder written $N, quoted literals ('...') and identifiers ("...") copied as they are.
 * Returns a malloc'd string (the caller frees it), NULL on allocation failure or a bare ? with no number.
 */
static char *rewrite_placeholders(const char *sql)
{
	size_t n = strlen(sql), i, o = 0;
	char *out = malloc(n + 1), quote = 0;
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		char ch = sql[i];
		if (quote) {
			if (ch == quote)
				quote = 0;
		} else if (ch == '\'' || ch == '"') {
			quote = ch;
		} else if (ch == '?') {
			if (sql[i + 1] < '0' || sql[i + 1] > '9') {
				free(out);
				return NULL;
			}
			ch = '$';
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	return out;
}

/* The slot of statement id, its text rewritten on first use; NULL on allocation failure or a bad text. */
static struct pg_slot *slot_get(struct store_dconn *c, size_t id, const char *sql)
{
	if (id >= c->nslot) {
		size_t n = id + 16;
		struct pg_slot *grown = realloc(c->slot, n * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		memset(grown + c->nslot, 0, (n - c->nslot) * sizeof(*grown));
		c->slot = grown;
		c->nslot = n;
	}
	if (c->slot[id].sql == NULL && (c->slot[id].sql = rewrite_placeholders(sql)) == NULL)
		return NULL;
	return &c->slot[id];
}

/* Does sql only read? A statement that may write runs in its own savepoint inside a transaction. */
static int reads_only(const char *sql)
{
	while (*sql == ' ')
		sql++;
	return strncmp(sql, "SELECT", 6) == 0;
}

/* Pull the decode buffer of column i up to cap bytes; NULL on allocation failure. */
static unsigned char *dec_buf(struct store_dconn *c, int i, size_t cap)
{
	if (i >= c->ndec) {
		int n = i + 8;
		unsigned char **d = realloc(c->dec, (size_t)n * sizeof(*d));
		size_t *dc;
		if (d == NULL)
			return NULL;
		c->dec = d;
		if ((dc = realloc(c->dec_cap, (size_t)n * sizeof(*dc))) == NULL)
			return NULL;
		c->dec_cap = dc;
		memset(c->dec + c->ndec, 0, (size_t)(n - c->ndec) * sizeof(*d));
		memset(c->dec_cap + c->ndec, 0, (size_t)(n - c->ndec) * sizeof(*dc));
		c->ndec = n;
	}
	if (c->dec_cap[i] < cap) {
		unsigned char *b = realloc(c->dec[i], cap);
		if (b == NULL)
			return NULL;
		c->dec[i] = b;
		c->dec_cap[i] = cap;
	}
	return c->dec[i];
}

/* Run one statement given its rewritten text and bound arguments; res is the caller's to PQclear. */
static PGresult *exec_slot(struct store_dconn *c, size_t id, struct pg_slot *s, int n, const Oid *types,
			   const char *const *values, const int *lengths, const int *formats)
{
	char name[32];
	snprintf(name, sizeof(name), "s%zu", id);
	if (s->prepared && (s->nargs != n || memcmp(s->types, types, (size_t)n * sizeof(Oid)) != 0))
		/* the same statement with arguments of other types than it was prepared for: run it unprepared */
		return PQexecParams(c->pg, s->sql, n, types, values, lengths, formats, 0);
	if (!s->prepared) {
		PGresult *p = PQprepare(c->pg, name, s->sql, n, types);
		int ok = PQresultStatus(p) == PGRES_COMMAND_OK;
		if (!ok)
			return p;
		PQclear(p);
		s->prepared = 1;
		s->nargs = n;
		memcpy(s->types, types, (size_t)n * sizeof(Oid));
	}
	return PQexecPrepared(c->pg, name, n, values, lengths, formats, 0);
}

static enum srv_err pg_run(struct store_dconn *c, size_t id, const char *sql, const struct query_arg *args, size_t n,
			   store_row_fn on_row, void *ctx, int64_t *changes)
{
	Oid types[PG_MAX_ARGS];
	const char *values[PG_MAX_ARGS];
	int lengths[PG_MAX_ARGS], formats[PG_MAX_ARGS];
	unsigned char ints[PG_MAX_ARGS][8];
	struct pg_row row = {NULL, 0, c};
	struct pg_slot *s;
	PGresult *res = NULL;
	ExecStatusType st;
	int wrap = 0, rows, r;
	enum srv_err rc = SRV_E_OK;
	size_t i;

	if (changes)
		*changes = 0;
	if (n > PG_MAX_ARGS)
		return SRV_E_INTERNAL;
	if ((rc = ensure_connected(c, 0)) != SRV_E_OK)
		return note_fault(c, rc);
	if ((s = slot_get(c, id, sql)) == NULL)
		return SRV_E_STORAGE;
	for (i = 0; i < n; i++) {
		const struct query_arg *a = &args[i];
		formats[i] = 1; /* binary: ints as 8 bytes big-endian, text and bytea as their bytes */
		if (a->type == QA_INT) {
			uint64_t v = (uint64_t)a->i;
			int k;
			for (k = 0; k < 8; k++)
				ints[i][k] = (unsigned char)(v >> (56 - 8 * k));
			types[i] = PG_INT8OID;
			values[i] = (const char *)ints[i];
			lengths[i] = 8;
		} else {
			size_t len = a->p == NULL ? 0 : a->type == QA_TEXT && a->n == (size_t)-1 ? strlen(a->p) : a->n;
			if (len > (size_t)0x7fffffff)
				return SRV_E_STORAGE;
			types[i] = a->type == QA_TEXT ? PG_TEXTOID : PG_BYTEAOID;
			values[i] = a->p == NULL ? NULL : len == 0 ? "" : a->p;
			lengths[i] = (int)len;
		}
	}
	wrap = !reads_only(s->sql) && PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
	if (wrap && (rc = exec_plain(c->pg, "SAVEPOINT stmt")) != SRV_E_OK)
		return note_fault(c, rc);
	res = exec_slot(c, id, s, (int)n, types, values, lengths, formats);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		enum srv_err undo;
		rc = note_fault(c, map_result(c->pg, res, s->sql));
		if (wrap && (undo = exec_plain(c->pg, "ROLLBACK TO SAVEPOINT stmt; RELEASE SAVEPOINT stmt")) != SRV_E_OK &&
		    rc != SRV_E_TX_RETRY && rc != SRV_E_DB_DOWN)
			rc = note_fault(c, undo == SRV_E_DB_DOWN ? undo : SRV_E_STORAGE);
		goto out;
	}
	if (wrap && (rc = note_fault(c, exec_plain(c->pg, "RELEASE SAVEPOINT stmt"))) != SRV_E_OK)
		goto out;
	if (changes && PQcmdTuples(res)[0])
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
	rows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	row.res = res;
	for (r = 0; on_row && r < rows; r++) {
		row.r = r;
		if (on_row(ctx, &row))
			break;
	}
out:
	PQclear(res);
	return rc;
}

static enum srv_err pg_describe(struct store_dconn *c, size_t id, const char *sql, int *nparams, int *ncols)
{
	struct pg_slot *s;
	PGresult *res;
	enum srv_err rc = SRV_E_OK;

	if (ensure_connected(c, 0) != SRV_E_OK || (s = slot_get(c, id, sql)) == NULL)
		return SRV_E_STORAGE;
	/* the unnamed statement, with types left to the server: the slot stays for run(), which gives types */
	res = PQprepare(c->pg, "", s->sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = map_result(c->pg, res, s->sql);
		PQclear(res);
		return rc == SRV_E_OK ? SRV_E_STORAGE : rc;
	}
	PQclear(res);
	res = PQdescribePrepared(c->pg, "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = map_result(c->pg, res, s->sql);
	} else {
		*nparams = PQnparams(res);
		*ncols = PQnfields(res);
	}
	PQclear(res);
	return rc;
}

/* End the open transaction of c because of its fault: roll it back (a lost connection has nothing to end) and
 * return the fault, which is cleared. */
static enum srv_err end_on_fault(struct store_dconn *c)
{
	enum srv_err rc = c->fault;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	c->fault = SRV_E_OK;
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		exec_plain(c->pg, "ROLLBACK");
	return rc;
}

static int is_begin(enum store_tx verb)
{
	return verb == STORE_TX_BEGIN || verb == STORE_TX_BEGIN_GROUP || verb == STORE_TX_READ_BEGIN;
}

static enum srv_err pg_tx(struct store_dconn *c, enum store_tx verb)
{
	PGTransactionStatusType ts;
	PGresult *res;
	enum srv_err rc = SRV_E_OK, met = SRV_E_OK;
	int sent_ok;

	if ((size_t)verb >= sizeof(tx_sql) / sizeof(tx_sql[0]) || tx_sql[verb] == NULL)
		return SRV_E_INTERNAL;
	ts = PQtransactionStatus(c->pg);
	/* a transaction whose statement met a deadlock or a lost connection ends with that fault, not a COMMIT */
	if ((verb == STORE_TX_COMMIT || verb == STORE_TX_READ_END) && c->fault != SRV_E_OK)
		return end_on_fault(c);
	/* a request that met a deadlock and made an answer of its own of it is undone, not kept (see ROLLBACK_TO) */
	if (verb == STORE_TX_RELEASE && c->fault == SRV_E_TX_RETRY)
		return pg_tx(c, STORE_TX_ROLLBACK_TO);
	if (verb == STORE_TX_ROLLBACK || is_begin(verb))
		c->fault = SRV_E_OK;
	/* a request undone to its savepoint takes its deadlock with it: the transaction goes on, and the caller
	 * learns (TX_RETRY, after the rollback) that the request may succeed when run again */
	if (verb == STORE_TX_ROLLBACK_TO && c->fault == SRV_E_TX_RETRY) {
		c->fault = SRV_E_OK;
		met = SRV_E_TX_RETRY;
	}
	/* nothing to end outside a transaction (a failed BEGIN, a reader that never began, a dropped connection) */
	if ((verb == STORE_TX_ROLLBACK || verb == STORE_TX_READ_END) && ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return SRV_E_OK;
	if (is_begin(verb)) {
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) /* left open by a failure: start clean */
			exec_plain(c->pg, "ROLLBACK");
		if ((rc = ensure_connected(c, 0)) != SRV_E_OK)
			return rc;
	}
	sent_ok = PQstatus(c->pg) == CONNECTION_OK;
	res = PQexec(c->pg, tx_sql[verb]);
	if (is_begin(verb) && PQresultStatus(res) != PGRES_COMMAND_OK &&
	    map_result(c->pg, res, tx_sql[verb]) == SRV_E_DB_DOWN) {
		/* the server went away while we were idle (libpq learns it only now): nothing was done, so reconnect
		 * and begin again, once */
		PQclear(res);
		if ((rc = ensure_connected(c, 1)) != SRV_E_OK)
			return rc;
		res = PQexec(c->pg, tx_sql[verb]);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = map_result(c->pg, res, tx_sql[verb]);
		/* COMMIT went out on a live connection and no answer came back, or the server's answer was that it
		 * is going away (which it may say after the commit is durable): it may have committed */
		if (verb == STORE_TX_COMMIT && sent_ok && rc == SRV_E_DB_DOWN)
			rc = SRV_E_COMMIT_UNKNOWN;
	} else if (verb == STORE_TX_COMMIT && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = SRV_E_STORAGE; /* the transaction had failed: PostgreSQL rolled it back instead */
	PQclear(res);
	if (verb == STORE_TX_SAVEPOINT || verb == STORE_TX_RELEASE || verb == STORE_TX_ROLLBACK_TO)
		note_fault(c, rc);
	if (rc == SRV_E_OK && verb == STORE_TX_ROLLBACK_TO && (rc = pg_tx(c, STORE_TX_RELEASE)) == SRV_E_OK)
		rc = met;
	if (rc != SRV_E_OK && (verb == STORE_TX_COMMIT || verb == STORE_TX_READ_END) &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE && PQstatus(c->pg) == CONNECTION_OK)
		exec_plain(c->pg, "ROLLBACK");
	/* a read-only snapshot loses nothing when it cannot be ended: only a fault (above) changes a reader's answer */
	if (verb == STORE_TX_READ_END && rc != SRV_E_OK)
		rc = SRV_E_OK;
	return rc;
}

/* ---- columns ---------------------------------------------------------------------------------------- */

static int64_t pg_col_int(const void *rowp, int i)
{
	const struct pg_row *row = rowp;
	const char *v;
	if (PQgetisnull(row->res, row->r, i))
		return 0;
	v = PQgetvalue(row->res, row->r, i);
	if (PQftype(row->res, i) == PG_BOOLOID)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static const char *pg_col_text(const void *rowp, int i, size_t *len)
{
	const struct pg_row *row = rowp;
	if (PQgetisnull(row->res, row->r, i)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(row->res, row->r, i);
	return PQgetvalue(row->res, row->r, i);
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

static const unsigned char *pg_col_blob(const void *rowp, int i, size_t *len)
{
	const struct pg_row *row = rowp;
	const char *v;
	size_t n, k;
	unsigned char *b;

	*len = 0;
	if (PQgetisnull(row->res, row->r, i))
		return NULL;
	v = PQgetvalue(row->res, row->r, i);
	n = (size_t)PQgetlength(row->res, row->r, i);
	if (PQftype(row->res, i) != PG_BYTEAOID) {
		*len = n;
		return (const unsigned char *)v;
	}
	/* bytea_output = hex: "\x" and two hex digits a byte */
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2 != 0 || (b = dec_buf(row->c, i, (n - 2) / 2 + 1)) == NULL)
		return (const unsigned char *)""; /* cannot happen with our session settings; reads as empty */
	for (k = 0; k < (n - 2) / 2; k++) {
		int hi = hexval(v[2 + 2 * k]), lo = hexval(v[3 + 2 * k]);
		if (hi < 0 || lo < 0)
			return (const unsigned char *)"";
		b[k] = (unsigned char)(hi << 4 | lo);
	}
	*len = k;
	return b;
}

const struct store_driver store_pg_driver = {
	.name = "postgresql",
	.engine = STORE_ENGINE_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.conn_open = pg_conn_open,
	.conn_close = pg_conn_close,
	.tx = pg_tx,
	.run = pg_run,
	.describe = pg_describe,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
};
