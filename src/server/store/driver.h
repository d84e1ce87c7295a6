/*
 * driver.h — what one database engine must provide to the storage layer, and all the storage layer knows of it.
 *
 * A driver is a const table of functions (the shape of curl's vtls_int.h): open a database and bring its schema
 * up to date, open a connection per thread, run one statement, and the transaction verbs. Everything else — which
 * statements exist, how their rows map onto the structs of store.h, the operations of struct store_ops and their
 * cascades — is written once above the drivers (queries.c, query.c, ops.c). A driver knows SQL text only as
 * opaque strings handed to it; it must not know a table, a column or a rule of the domain. store/sqlite.c is the
 * SQLite driver; a PostgreSQL driver (libpq) fills the same table.
 *
 * Threading: a struct store_db is shared by all threads; a struct store_dconn belongs to one thread at a time.
 */
#ifndef POSTERN_STORE_DRIVER_H
#define POSTERN_STORE_DRIVER_H

#include "error.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* The engines a statement may carry its own SQL for (struct query's engine_sql, struct store_migration). */
enum store_engine { STORE_ENGINE_SQLITE = 0, STORE_ENGINE_POSTGRES = 1, STORE_ENGINE_COUNT };

/* One bound value. QA_TEXT with n == SIZE_MAX is NUL-terminated; a NULL p binds SQL NULL (text and blob). */
enum query_arg_type { QA_INT, QA_TEXT, QA_BLOB };

struct query_arg {
	enum query_arg_type type;
	int64_t i;
	const void *p;
	size_t n;
};

/* The transaction verbs (struct store_ops documents what each means). */
enum store_tx { STORE_TX_BEGIN, STORE_TX_COMMIT, STORE_TX_ROLLBACK, STORE_TX_SAVEPOINT, STORE_TX_RELEASE,
		STORE_TX_ROLLBACK_TO, STORE_TX_READ_BEGIN, STORE_TX_READ_END, STORE_TX_BEGIN_GROUP, STORE_TX_COUNT };

/* One numbered schema migration: the same for every engine unless engine_sql has that engine's own text. */
struct store_migration {
	const char *sql;
	const char *engine_sql[STORE_ENGINE_COUNT];
};

struct store_db;
struct store_dconn;

/*
 * Called by run() once per result row, the row valid only during the call (read it with the col_* functions of
 * the same driver). Return 0 for the next row, non-zero to stop the statement there.
 */
typedef int (*store_row_fn)(void *ctx, const void *row);

struct store_driver {
	const char *name;
	enum store_engine engine;

	/*
	 * Open (creating) the database opt names and apply the migrations it has not had yet, each in its own
	 * transaction, numbering them 1..n. On success *out is owned by the caller, released with close().
	 */
	enum srv_err (*open)(const struct store_options *opt, const struct store_migration *steps, size_t n,
			     struct store_db **out);
	void (*close)(struct store_db *db);
	/* A connection of this thread (writable = 1 at most once at a time); released with conn_close(). */
	enum srv_err (*conn_open)(struct store_db *db, int writable, struct store_dconn **out);
	void (*conn_close)(struct store_dconn *c);
	enum srv_err (*tx)(struct store_dconn *c, enum store_tx verb);

	/*
	 * Run statement sql (slot id: the same id always comes with the same text, so the driver may keep it
	 * prepared) with its placeholders ?1..?n bound from args[0..n-1] (values are only borrowed: they must live
	 * until run returns). on_row (NULL: rows are ignored) sees each row until it returns non-zero. *changes, when
	 * not NULL, gets the number of rows the statement wrote. Returns SRV_E_OK, SRV_E_CONFLICT for a uniqueness
	 * or other constraint violation, SRV_E_STORAGE for anything else.
	 */
	enum srv_err (*run)(struct store_dconn *c, size_t id, const char *sql, const struct query_arg *args, size_t n,
			    store_row_fn on_row, void *ctx, int64_t *changes);
	/* Prepare sql in slot id and say how many placeholders and result columns it has (the table's self-check). */
	enum srv_err (*describe)(struct store_dconn *c, size_t id, const char *sql, int *nparams, int *ncols);

	/* Column i of a row given to on_row. col_text: NUL-terminated, NULL for SQL NULL; col_blob: NULL only for
	 * SQL NULL (an empty value is a valid pointer with *len 0). Pointers are valid until on_row returns. */
	int64_t (*col_int)(const void *row, int i);
	const char *(*col_text)(const void *row, int i, size_t *len);
	const unsigned char *(*col_blob)(const void *row, int i, size_t *len);
};

/* The SQLite driver (store/sqlite.c) and the PostgreSQL driver (store/pg.c). */
extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_pg_driver;

#endif
