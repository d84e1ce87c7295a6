/*
 * migrate.c — `posternd migrate`: a deployment's data copied from its SQLite file into an empty PostgreSQL
 * database, table by table, then checked (see migrate.h).
 *
 * Both databases are opened through their drivers, so each is first brought to the newest schema version by the
 * one list of migrations (schema.c) and the two have the same tables. The tables and their columns are read from
 * the engines' catalogs, not listed here: a table added by a later migration is copied without a change to this
 * file. A column's type on the PostgreSQL side (bigint, text, bytea) says how its values are read and bound. The
 * copy is one PostgreSQL transaction (all or nothing) read from one SQLite snapshot; identity sequences are then
 * set past the largest id copied (and past SQLite's AUTOINCREMENT counters, so that an event id is never given
 * twice). The check compares each table's row count and a sample of whole rows, taken at the same positions in
 * primary-key order on both sides. It knows no table by name and nothing of the domain or HTTP.
 */
#include "migrate.h"

#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define MIG_MAX_TABLES 64
#define MIG_MAX_COLS 32
#define MIG_NAME 64
#define MIG_SQL 4096
#define MIG_SAMPLES 50
/* statement slots of the drivers' caches: far above the statement table's (a slot is one text for ever) */
#define MIG_SLOT_BASE 100000

struct mig_table {
	char name[MIG_NAME];
	int ncols;
	char col[MIG_MAX_COLS][MIG_NAME];
	enum query_arg_type type[MIG_MAX_COLS];
	char pk[MIG_SQL / 4]; /* "a, b" on SQLite; text columns get COLLATE "C" on PostgreSQL (pk_pg) */
	char pk_pg[MIG_SQL / 4];
	int64_t rows;
};

/* One side: its driver, database and connection, and the next free statement slot. */
struct mig_side {
	const struct store_driver *drv;
	struct store_db *db;
	struct store_dconn *c;
	size_t slot;
};

/* Run sql (a text used once: a fresh slot) on side s. */
static enum srv_err side_run(struct mig_side *s, const char *sql, const struct query_arg *args, size_t n,
			     store_row_fn on_row, void *ctx, int64_t *changes)
{
	return s->drv->run(s->c, s->slot++, sql, args, n, on_row, ctx, changes);
}

/* ---- catalogs --------------------------------------------------------------------------------------- */

struct names {
	const struct store_driver *drv;
	char (*name)[MIG_NAME];
	char (*type)[MIG_NAME];
	int n, cap, too_many;
};

static int collect_name(void *ctx, const void *row)
{
	struct names *l = ctx;
	size_t len;
	const char *t = l->drv->col_text(row, 0, &len);
	if (l->n >= l->cap || t == NULL || len >= MIG_NAME) {
		l->too_many = 1;
		return 1;
	}
	snprintf(l->name[l->n], MIG_NAME, "%s", t);
	if (l->type) {
		t = l->drv->col_text(row, 1, &len);
		snprintf(l->type[l->n], MIG_NAME, "%s", t ? t : "");
	}
	l->n++;
	return 0;
}

/* The tables of the PostgreSQL side and, for each, its columns with their types and its primary key. */
static enum srv_err read_tables(struct mig_side *pg, struct mig_side *sq, struct mig_table *t, int *count, FILE *out)
{
	static char tnames[MIG_MAX_TABLES][MIG_NAME], cnames[MIG_MAX_COLS][MIG_NAME], ctypes[MIG_MAX_COLS][MIG_NAME];
	struct names tl = {pg->drv, tnames, NULL, 0, MIG_MAX_TABLES, 0};
	enum srv_err rc;
	int i, k;

	rc = side_run(pg, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()"
			  " AND table_type = 'BASE TABLE' AND table_name <> 'postern_schema' ORDER BY table_name",
		      NULL, 0, collect_name, &tl, NULL);
	if (rc != SRV_E_OK || tl.too_many)
		return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
	for (i = 0; i < tl.n; i++) {
		struct names cl = {pg->drv, cnames, ctypes, 0, MIG_MAX_COLS, 0};
		struct names sl = {sq->drv, cnames, NULL, 0, MIG_MAX_COLS, 0};
		struct names kl = {pg->drv, cnames, NULL, 0, MIG_MAX_COLS, 0};
		struct query_arg name = {QA_TEXT, 0, tnames[i], (size_t)-1};
		struct mig_table *m = &t[i];
		int64_t sq_cols = -1;

		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", tnames[i]);
		rc = side_run(pg, "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE"
				  " table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
			      &name, 1, collect_name, &cl, NULL);
		if (rc != SRV_E_OK || cl.too_many || cl.n == 0)
			return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
		m->ncols = cl.n;
		for (k = 0; k < cl.n; k++) {
			snprintf(m->col[k], MIG_NAME, "%s", cnames[k]);
			m->type[k] = strcmp(ctypes[k], "bigint") == 0 || strcmp(ctypes[k], "integer") == 0 ? QA_INT
				   : strcmp(ctypes[k], "bytea") == 0 ? QA_BLOB : QA_TEXT;
		}
		/* the SQLite side must have the same table with as many columns (each is named in the SELECT below) */
		rc = side_run(sq, "SELECT name FROM pragma_table_info(?1)", &name, 1, collect_name, &sl, NULL);
		sq_cols = sl.n;
		if (rc != SRV_E_OK || sq_cols != m->ncols) {
			fprintf(out, "migrate: table %s: %lld columns in SQLite, %d in PostgreSQL\n", m->name,
				(long long)sq_cols, m->ncols);
			return SRV_E_INTERNAL;
		}
		rc = side_run(pg, "SELECT a.attname::text FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid"
				  " AND a.attnum = ANY(x.indkey) WHERE x.indrelid = (quote_ident(current_schema()) || '.' ||"
				  " quote_ident(?1))::regclass AND x.indisprimary ORDER BY array_position(x.indkey, a.attnum)",
			      &name, 1, collect_name, &kl, NULL);
		if (rc != SRV_E_OK || kl.n == 0) {
			fprintf(out, "migrate: table %s has no primary key to sample by\n", m->name);
			return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
		}
		for (k = 0; k < kl.n; k++) {
			int text = 0, j;
			for (j = 0; j < m->ncols; j++)
				if (strcmp(m->col[j], cnames[k]) == 0)
					text = m->type[j] == QA_TEXT;
			snprintf(m->pk + strlen(m->pk), sizeof(m->pk) - strlen(m->pk), "%s%s", k ? ", " : "", cnames[k]);
			snprintf(m->pk_pg + strlen(m->pk_pg), sizeof(m->pk_pg) - strlen(m->pk_pg), "%s%s%s", k ? ", " : "",
				 cnames[k], text ? " COLLATE \"C\"" : "");
		}
	}
	*count = tl.n;
	return SRV_E_OK;
}

/* "a, b, c": the table's columns in order. */
static void column_list(const struct mig_table *t, char *buf, size_t cap)
{
	int k;
	buf[0] = '\0';
	for (k = 0; k < t->ncols; k++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", k ? ", " : "", t->col[k]);
}

/* Read column k of a row of side drv as t says, into a bound value (borrowed from the row). 0, or -1 for a NULL
 * in an integer column (no such column is nullable). */
static int read_value(const struct store_driver *drv, const void *row, const struct mig_table *t, int k,
		      struct query_arg *a)
{
	size_t n = 0;
	memset(a, 0, sizeof(*a));
	a->type = t->type[k];
	if (t->type[k] == QA_INT) {
		if (drv->col_blob(row, k, &n) == NULL)
			return -1;
		a->i = drv->col_int(row, k);
	} else if (t->type[k] == QA_TEXT) {
		a->p = drv->col_text(row, k, &n);
		a->n = n;
	} else {
		a->p = drv->col_blob(row, k, &n);
		a->n = n;
	}
	return 0;
}

/* ---- the copy ----------------------------------------------------------------------------------------- */

struct copy_state {
	struct mig_side *from, *to;
	const struct mig_table *t;
	const char *insert;
	size_t insert_slot;
	enum srv_err rc;
	int64_t rows;
};

static int copy_row(void *ctx, const void *row)
{
	struct copy_state *s = ctx;
	struct query_arg args[MIG_MAX_COLS];
	int k;
	for (k = 0; k < s->t->ncols; k++)
		if (read_value(s->from->drv, row, s->t, k, &args[k]) != 0) {
			s->rc = SRV_E_INTERNAL;
			return 1;
		}
	s->rc = s->to->drv->run(s->to->c, s->insert_slot, s->insert, args, (size_t)s->t->ncols, NULL, NULL, NULL);
	s->rows++;
	return s->rc != SRV_E_OK;
}

static int take_int(void *ctx, const void *row)
{
	struct {
		const struct store_driver *drv;
		int64_t v;
	} *r = ctx;
	r->v = r->drv->col_int(row, 0);
	return 1;
}

/* COUNT(*) of table t on side s into *n. */
static enum srv_err count_rows(struct mig_side *s, const struct mig_table *t, int64_t *n)
{
	char sql[MIG_SQL];
	struct {
		const struct store_driver *drv;
		int64_t v;
	} r = {s->drv, -1};
	enum srv_err rc;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %.63s", t->name);
	rc = side_run(s, sql, NULL, 0, take_int, &r, NULL);
	*n = r.v;
	return rc;
}

static enum srv_err copy_table(struct mig_side *from, struct mig_side *to, struct mig_table *t, FILE *out)
{
	char cols[MIG_SQL], sel[MIG_SQL], ins[MIG_SQL];
	struct copy_state st = {from, to, t, ins, 0, SRV_E_OK, 0};
	enum srv_err rc;
	int k;

	column_list(t, cols, sizeof(cols));
	if (snprintf(sel, sizeof(sel), "SELECT %s FROM %.63s ORDER BY %s", cols, t->name, t->pk) >= (int)sizeof(sel) ||
	    snprintf(ins, sizeof(ins), "INSERT INTO %.63s(%s) VALUES(", t->name, cols) >= (int)sizeof(ins)) {
		fprintf(out, "migrate: the statements for %s do not fit in %d bytes\n", t->name, MIG_SQL);
		return SRV_E_INTERNAL;
	}
	for (k = 0; k < t->ncols; k++)
		snprintf(ins + strlen(ins), sizeof(ins) - strlen(ins), "%s?%d", k ? ", " : "", k + 1);
	snprintf(ins + strlen(ins), sizeof(ins) - strlen(ins), ")");
	st.insert_slot = to->slot++;
	rc = side_run(from, sel, NULL, 0, copy_row, &st, NULL);
	if (rc == SRV_E_OK)
		rc = st.rc;
	t->rows = st.rows;
	if (rc != SRV_E_OK)
		fprintf(out, "migrate: copying %s failed after %lld rows\n", t->name, (long long)st.rows);
	return rc;
}

/* Every identity sequence of the PostgreSQL side past the largest id copied and past SQLite's counter. */
static enum srv_err set_sequences(struct mig_side *from, struct mig_side *to, const struct mig_table *t, int n)
{
	char sql[MIG_SQL];
	int i, k;
	for (i = 0; i < n; i++) {
		for (k = 0; k < t[i].ncols; k++) {
			struct {
				const struct store_driver *drv;
				int64_t v;
			} is_id = {to->drv, 0}, counter = {from->drv, 0};
			struct query_arg a[2] = {{QA_TEXT, 0, t[i].name, (size_t)-1}, {QA_TEXT, 0, t[i].col[k], (size_t)-1}};
			struct query_arg v;
			enum srv_err rc = side_run(to, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema ="
						       " current_schema() AND table_name = ?1 AND column_name = ?2 AND is_identity = 'YES'",
						   a, 2, take_int, &is_id, NULL);
			if (rc != SRV_E_OK)
				return rc;
			if (is_id.v == 0)
				continue;
			/* SQLite's AUTOINCREMENT counter, when the table has one (it can be past the largest id left) */
			rc = side_run(from, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0)", a, 1,
				      take_int, &counter, NULL);
			if (rc != SRV_E_OK)
				counter.v = 0; /* no sqlite_sequence at all: no AUTOINCREMENT table */
			v = (struct query_arg){QA_INT, counter.v, NULL, 0};
			snprintf(sql, sizeof(sql),
				 "SELECT setval(pg_get_serial_sequence(?1, ?2), GREATEST(COALESCE((SELECT MAX(%.63s) FROM %.63s), 0), ?3, 1),"
				 " GREATEST(COALESCE((SELECT MAX(%.63s) FROM %.63s), 0), ?3) > 0)",
				 t[i].col[k], t[i].name, t[i].col[k], t[i].name);
			{
				struct query_arg three[3] = {a[0], a[1], v};
				if ((rc = side_run(to, sql, three, 3, NULL, NULL, NULL)) != SRV_E_OK)
					return rc;
			}
		}
	}
	return SRV_E_OK;
}

/* ---- the check ---------------------------------------------------------------------------------------- */

/* A row as bytes: each value as a type letter, its length and its bytes (NULL: 'N'), for comparing two sides. */
struct row_bytes {
	const struct store_driver *drv;
	const struct mig_table *t;
	char buf[1 << 16];
	size_t len;
	int got, too_long;
};

static int row_to_bytes(void *ctx, const void *row)
{
	struct row_bytes *r = ctx;
	int k;
	r->len = 0;
	r->got = 1;
	for (k = 0; k < r->t->ncols; k++) {
		struct query_arg a;
		char head[48];
		int h;
		if (read_value(r->drv, row, r->t, k, &a) != 0)
			h = snprintf(head, sizeof(head), "N;");
		else if (a.type == QA_INT)
			h = snprintf(head, sizeof(head), "I%lld;", (long long)a.i);
		else if (a.p == NULL)
			h = snprintf(head, sizeof(head), "N;");
		else
			h = snprintf(head, sizeof(head), "%c%zu:", a.type == QA_TEXT ? 'T' : 'B', a.n);
		if (r->len + (size_t)h + (a.type != QA_INT && a.p ? a.n : 0) > sizeof(r->buf)) {
			r->too_long = 1;
			return 1;
		}
		memcpy(r->buf + r->len, head, (size_t)h);
		r->len += (size_t)h;
		if (a.type != QA_INT && a.p && a.n) {
			memcpy(r->buf + r->len, a.p, a.n);
			r->len += a.n;
		}
	}
	return 1;
}

/* Compare the counts of table t and rows at MIG_SAMPLES positions (every row of a small table). */
static enum srv_err check_table(struct mig_side *from, struct mig_side *to, const struct mig_table *t, int64_t *sampled,
				FILE *out)
{
	static struct row_bytes a, b;
	char cols[MIG_SQL], sql_from[MIG_SQL], sql_to[MIG_SQL];
	int64_t nf = -1, nt = -1, i, samples;
	enum srv_err rc;

	if ((rc = count_rows(from, t, &nf)) != SRV_E_OK || (rc = count_rows(to, t, &nt)) != SRV_E_OK)
		return rc;
	if (nf != nt) {
		fprintf(out, "migrate: check failed: %s has %lld rows in SQLite, %lld in PostgreSQL\n", t->name,
			(long long)nf, (long long)nt);
		return SRV_E_INTERNAL;
	}
	column_list(t, cols, sizeof(cols));
	if (snprintf(sql_from, sizeof(sql_from), "SELECT %s FROM %.63s ORDER BY %s LIMIT 1 OFFSET ?1", cols, t->name, t->pk) >=
		    (int)sizeof(sql_from) ||
	    snprintf(sql_to, sizeof(sql_to), "SELECT %s FROM %.63s ORDER BY %s LIMIT 1 OFFSET ?1", cols, t->name, t->pk_pg) >=
		    (int)sizeof(sql_to)) {
		fprintf(out, "migrate: the statements for %s do not fit in %d bytes\n", t->name, MIG_SQL);
		return SRV_E_INTERNAL;
	}
	samples = nf < MIG_SAMPLES ? nf : MIG_SAMPLES;
	{
		size_t slot_from = from->slot++, slot_to = to->slot++;
		for (i = 0; i < samples; i++) {
			struct query_arg off = {QA_INT, samples == nf ? i : i * (nf - 1) / (samples - 1), NULL, 0};
			a = (struct row_bytes){.drv = from->drv, .t = t};
			b = (struct row_bytes){.drv = to->drv, .t = t};
			if ((rc = from->drv->run(from->c, slot_from, sql_from, &off, 1, row_to_bytes, &a, NULL)) != SRV_E_OK ||
			    (rc = to->drv->run(to->c, slot_to, sql_to, &off, 1, row_to_bytes, &b, NULL)) != SRV_E_OK)
				return rc;
			if (!a.got || !b.got || a.too_long || b.too_long || a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0) {
				fprintf(out, "migrate: check failed: %s row %lld (in primary-key order) differs\n", t->name,
					(long long)off.i);
				return SRV_E_INTERNAL;
			}
		}
	}
	*sampled += samples;
	return SRV_E_OK;
}

/* ---- the command -------------------------------------------------------------------------------------- */

static void side_close(struct mig_side *s)
{
	if (s->c)
		s->drv->conn_close(s->c);
	if (s->db)
		s->drv->close(s->db);
}

enum srv_err store_migrate(const char *sqlite_path, const char *pg_url, FILE *out)
{
	static struct mig_table tables[MIG_MAX_TABLES];
	struct mig_side from = {&store_sqlite_driver, NULL, NULL, MIG_SLOT_BASE};
	struct mig_side to = {&store_pg_driver, NULL, NULL, MIG_SLOT_BASE};
	struct store_options fo = {sqlite_path, 1}, to_opt = {pg_url, 1};
	int n = 0, i, in_tx = 0;
	int64_t total = 0, sampled = 0;
	enum srv_err rc;

	if ((rc = from.drv->open(&fo, store_schema, store_schema_count, &from.db)) != SRV_E_OK ||
	    (rc = from.drv->conn_open(from.db, 0, &from.c)) != SRV_E_OK) {
		fprintf(out, "migrate: cannot open the SQLite database %s\n", sqlite_path);
		goto out;
	}
	if ((rc = to.drv->open(&to_opt, store_schema, store_schema_count, &to.db)) != SRV_E_OK ||
	    (rc = to.drv->conn_open(to.db, 1, &to.c)) != SRV_E_OK) {
		fprintf(out, "migrate: cannot open the PostgreSQL database\n");
		goto out;
	}
	if ((rc = from.drv->tx(from.c, STORE_TX_READ_BEGIN)) != SRV_E_OK || (rc = read_tables(&to, &from, tables, &n, out)) != SRV_E_OK)
		goto out;
	for (i = 0; i < n; i++) {
		int64_t rows = 0;
		if ((rc = count_rows(&to, &tables[i], &rows)) != SRV_E_OK)
			goto out;
		if (rows != 0 && !(rows == 1 && strcmp(tables[i].name, "app_generation") == 0)) {
			fprintf(out, "migrate: the PostgreSQL database is not empty (%s has %lld rows); refusing to copy into it\n",
				tables[i].name, (long long)rows);
			rc = SRV_E_CONFLICT;
			goto out;
		}
	}
	if ((rc = to.drv->tx(to.c, STORE_TX_BEGIN)) != SRV_E_OK)
		goto out;
	in_tx = 1;
	/* rows a migration inserts by itself (the app_generation counter) give way to the copied ones */
	for (i = 0; i < n; i++) {
		char sql[MIG_SQL];
		snprintf(sql, sizeof(sql), "DELETE FROM %.63s", tables[i].name);
		if ((rc = side_run(&to, sql, NULL, 0, NULL, NULL, NULL)) != SRV_E_OK)
			goto out;
	}
	/* users first: sessions refer to them */
	for (i = 0; i < n; i++)
		if (strcmp(tables[i].name, "users") == 0 && (rc = copy_table(&from, &to, &tables[i], out)) != SRV_E_OK)
			goto out;
	for (i = 0; i < n; i++)
		if (strcmp(tables[i].name, "users") != 0 && (rc = copy_table(&from, &to, &tables[i], out)) != SRV_E_OK)
			goto out;
	if ((rc = set_sequences(&from, &to, tables, n)) != SRV_E_OK || (rc = to.drv->tx(to.c, STORE_TX_COMMIT)) != SRV_E_OK)
		goto out;
	in_tx = 0;
	for (i = 0; i < n; i++) {
		if ((rc = check_table(&from, &to, &tables[i], &sampled, out)) != SRV_E_OK)
			goto out;
		total += tables[i].rows;
		fprintf(out, "migrate: %-20s %lld rows\n", tables[i].name, (long long)tables[i].rows);
	}
	fprintf(out, "migrate: copied %d tables, %lld rows; counts equal and %lld sampled rows identical on both sides\n", n,
		(long long)total, (long long)sampled);
out:
	if (in_tx)
		to.drv->tx(to.c, STORE_TX_ROLLBACK);
	if (from.c)
		from.drv->tx(from.c, STORE_TX_READ_END);
	side_close(&to);
	side_close(&from);
	return rc;
}
