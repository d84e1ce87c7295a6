/*
 * test_queries.c — the statement table of the storage layer (src/server/store/queries.c) held against an engine:
 * every statement prepares, takes as many placeholders as its row says and yields the columns its row mapping
 * maps, and the runner refuses a call that does not fit the row. test_store.c checks what the operations do; this
 * checks the table itself, including statements a conformance test may reach only on a rare path.
 */
#include "unit.h"

#include "query.h"

#include <limits.h>

static char dir[PATH_MAX], path[PATH_MAX + 8];

static struct store *open_tmp(void)
{
	const char *tmp = getenv("TMPDIR");
	struct store_options o = {path, 0};
	struct store *st = NULL;
	snprintf(dir, sizeof(dir), "%s/postern-queries-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	CHECK(store_sqlite_ops.open(&o, &st) == SRV_E_OK);
	return st;
}

static void close_tmp(struct store *st)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char f[PATH_MAX + 16];
	size_t i;
	store_sqlite_ops.close(st);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffixes[i]);
		unlink(f);
	}
	rmdir(dir);
}

static void every_statement_fits_its_row(void)
{
	struct store *st = open_tmp();
	struct store_conn *c = NULL;
	int id, bad = 0;
	CHECK(store_sqlite_ops.conn_open(st, 1, &c) == SRV_E_OK);
	for (id = 0; id < Q__COUNT; id++)
		bad += query_check(c, (enum query_id)id) != SRV_E_OK;
	CHECK_EQ_INT(bad, 0);
	store_sqlite_ops.conn_close(c);
	close_tmp(st);
}

static int count_rows(void *arg, const void *row)
{
	(void)row;
	++*(int *)arg;
	return 0;
}

static void runner_refuses_calls_that_do_not_fit(void)
{
	struct store *st = open_tmp();
	struct store_conn *c = NULL;
	struct store_user u;
	int64_t n = -1;
	int rows = 0;
	CHECK(store_sqlite_ops.conn_open(st, 1, &c) == SRV_E_OK);
	/* too few arguments, a one-row statement without a place for its row, a listing without a callback */
	CHECK(query_run(c, Q_USER_BY_ID, QNOARGS, &u, NULL, NULL) == SRV_E_INTERNAL);
	CHECK(query_run(c, Q_USER_BY_ID, QARGS(A_INT(1)), NULL, NULL, NULL) == SRV_E_INTERNAL);
	CHECK(query_run(c, Q_APP_LIST, QNOARGS, NULL, NULL, NULL) == SRV_E_INTERNAL);
	CHECK(query_run(c, Q__COUNT, QNOARGS, NULL, NULL, NULL) == SRV_E_INTERNAL);
	/* and runs those that do: an empty table is NOT_FOUND for one row, OK with no rows for a listing, an
	 * aggregate over nothing (NULL) is NOT_FOUND for an integer */
	CHECK(query_run(c, Q_USER_BY_ID, QARGS(A_INT(1)), &u, NULL, NULL) == SRV_E_NOT_FOUND);
	CHECK(query_run(c, Q_APP_LIST, QNOARGS, NULL, count_rows, &rows) == SRV_E_OK);
	CHECK_EQ_INT(rows, 0);
	CHECK(query_run(c, Q_TLOG_COSIG_LATEST, QNOARGS, &n, NULL, NULL) == SRV_E_NOT_FOUND);
	CHECK(query_run(c, Q_TLOG_SIZE, QNOARGS, &n, NULL, NULL) == SRV_E_OK);
	CHECK_EQ_INT(n, 0);
	store_sqlite_ops.conn_close(c);
	close_tmp(st);
}

static const struct unit_case cases[] = {
	{"every_statement_fits_its_row", every_statement_fits_its_row},
	{"runner_refuses_calls_that_do_not_fit", runner_refuses_calls_that_do_not_fit},
};

UNIT_MAIN("queries", cases)
