/*
 * query.c — the one runner of the statement table (see query.h): picks the engine's text of a statement, hands
 * it to the connection's driver with its arguments, maps each row onto its struct through the table's offsetof
 * mapping, and turns the kind of the statement into the result. It knows no statement by name and no engine.
 */
#include "query.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The text of statement q on engine e. */
static const char *query_sql(const struct query *q, enum store_engine e)
{
	return q->engine_sql[e] ? q->engine_sql[e] : q->sql;
}

static void put_size(char *base, size_t off, size_t v)
{
	if (off != COL_NO_AUX)
		memcpy(base + off, &v, sizeof(v));
}

/* Fill out (m->size bytes) from one row through mapping m. */
static void map_row(const struct store_driver *d, const void *row, const struct row_map *m, void *out)
{
	char *base = out;
	size_t i, n;
	memset(out, 0, m->size);
	for (i = 0; i < m->ncols; i++) {
		const struct col_map *col = &m->cols[i];
		char *f = base + col->off;
		int ci = (int)i;
		switch (col->type) {
		case COL_SKIP:
			break;
		case COL_I64: {
			int64_t v = d->col_int(row, ci);
			memcpy(f, &v, sizeof(v));
			break;
		}
		case COL_INT: {
			int v = (int)d->col_int(row, ci);
			memcpy(f, &v, sizeof(v));
			break;
		}
		case COL_TEXT: {
			const char *t = d->col_text(row, ci, &n);
			if (t == NULL)
				n = 0;
			if (n >= col->size)
				n = col->size - 1;
			if (n)
				memcpy(f, t, n);
			f[n] = '\0';
			break;
		}
		case COL_BLOB: {
			const unsigned char *b = d->col_blob(row, ci, &n);
			if (b == NULL || n > col->size)
				n = 0;
			if (n)
				memcpy(f, b, n);
			put_size(base, col->aux, n);
			break;
		}
		case COL_FIXED: {
			const unsigned char *b = d->col_blob(row, ci, &n);
			if (b != NULL && n == col->size) {
				int one = 1;
				memcpy(f, b, n);
				if (col->aux != COL_NO_AUX)
					memcpy(base + col->aux, &one, sizeof(one));
			}
			break;
		}
		case COL_TEXT_REF: {
			const char *t = d->col_text(row, ci, &n);
			memcpy(f, &t, sizeof(t));
			put_size(base, col->aux, t ? n : 0);
			break;
		}
		case COL_BLOB_REF: {
			const unsigned char *b = d->col_blob(row, ci, &n);
			memcpy(f, &b, sizeof(b));
			put_size(base, col->aux, b ? n : 0);
			break;
		}
		}
	}
}

/* What a run collects on its way: the statement, where its rows go, and whether one came. */
struct run_state {
	const struct store_driver *drv;
	const struct query *q;
	void *out;
	query_each_fn each;
	void *arg;
	int rows;
	int null_int; /* QK_INT: the value was NULL */
};

/* The row callback for every kind: ONE, EXISTS and INT stop at the first row; EACH maps and relays each. */
static int on_row(void *ctx, const void *row)
{
	struct run_state *st = ctx;
	st->rows++;
	switch (st->q->kind) {
	case QK_ONE:
		map_row(st->drv, row, st->q->row, st->out);
		return 1;
	case QK_INT: {
		size_t n = 0;
		int64_t v;
		st->null_int = st->drv->col_blob(row, 0, &n) == NULL; /* before col_int: reading may convert the value */
		v = st->drv->col_int(row, 0);
		memcpy(st->out, &v, sizeof(v));
		return 1;
	}
	case QK_EACH: {
		_Alignas(max_align_t) unsigned char buf[QUERY_ROW_MAX];
		map_row(st->drv, row, st->q->row, buf);
		return st->each(st->arg, buf);
	}
	case QK_EXISTS:
		return 1;
	default:
		return 0;
	}
}

enum srv_err query_run(struct store_conn *c, enum query_id id, const struct query_arg *args, size_t nargs, void *out,
		       query_each_fn each, void *arg)
{
	struct run_state st = {c->drv, NULL, out, each, arg, 0, 0};
	const struct query *q;
	int64_t changes = 0;
	enum srv_err rc;

	if ((size_t)id >= Q__COUNT || query_table[id].sql == NULL)
		return SRV_E_INTERNAL;
	q = st.q = &query_table[id];
	if (nargs < (size_t)q->nargs || ((q->kind == QK_ONE || q->kind == QK_EACH) && q->row == NULL) ||
	    ((q->kind == QK_ONE || q->kind == QK_INT) && out == NULL) || (q->kind == QK_EACH && each == NULL) ||
	    (q->row && q->row->size > QUERY_ROW_MAX))
		return SRV_E_INTERNAL;
	rc = c->drv->run(c->dc, (size_t)id, query_sql(q, c->drv->engine), args, (size_t)q->nargs,
			 q->kind == QK_EXEC || q->kind == QK_EXEC_HIT ? NULL : on_row, &st, &changes);
	if (rc != SRV_E_OK)
		return rc;
	switch (q->kind) {
	case QK_EXEC_HIT:
		return changes > 0 ? SRV_E_OK : SRV_E_NOT_FOUND;
	case QK_ONE:
	case QK_EXISTS:
		return st.rows ? SRV_E_OK : SRV_E_NOT_FOUND;
	case QK_INT:
		return st.rows && !st.null_int ? SRV_E_OK : SRV_E_NOT_FOUND;
	default:
		return SRV_E_OK;
	}
}

enum srv_err query_check(struct store_conn *c, enum query_id id)
{
	const struct query *q;
	int nparams = -1, ncols = -1, want_cols;
	enum srv_err rc;

	if ((size_t)id >= Q__COUNT || (q = &query_table[id])->sql == NULL || q->name == NULL) {
		fprintf(stderr, "query %d: no row in the table\n", (int)id);
		return SRV_E_INTERNAL;
	}
	rc = c->drv->describe(c->dc, (size_t)id, query_sql(q, c->drv->engine), &nparams, &ncols);
	if (rc != SRV_E_OK) {
		fprintf(stderr, "query %s: does not prepare on %s\n", q->name, c->drv->name);
		return SRV_E_INTERNAL;
	}
	want_cols = q->kind == QK_ONE || q->kind == QK_EACH ? (q->row ? (int)q->row->ncols : -1)
		  : q->kind == QK_INT ? 1 : q->kind == QK_EXISTS ? ncols : 0;
	if (nparams != q->nargs || ncols != want_cols || (q->row && q->row->size > QUERY_ROW_MAX)) {
		fprintf(stderr, "query %s: %d placeholders and %d columns, the table says %d and %d\n", q->name, nparams,
			ncols, q->nargs, want_cols);
		return SRV_E_INTERNAL;
	}
	return SRV_E_OK;
}
