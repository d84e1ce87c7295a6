/*
 * query.h — the declarative query layer: a statement is a row of a table (queries.c) — its name, what kind of
 * result it gives, how many arguments it takes, how its columns map onto a struct, its portable SQL and, only
 * where the dialects differ, an engine's own text — and one runner (query.c) carries out any of them on any
 * driver. The operations (ops.c) say which statement to run with which arguments and never touch a column.
 *
 * Row mappings are offsetof tables in the style of config.c: column i of a result row goes to the field that
 * row i of the mapping names. Placeholders are numbered, ?1..?n (a number may be used twice); the PostgreSQL
 * driver turns them into $1..$n.
 */
#ifndef POSTERN_STORE_QUERY_H
#define POSTERN_STORE_QUERY_H

#include "driver.h"
#include "queries.h"

#include <stddef.h>
#include <stdint.h>

/* What a statement gives back, and so what query_run() does with it. */
enum query_kind {
	QK_EXEC,     /* no rows: OK, CONFLICT on a constraint, STORAGE */
	QK_EXEC_HIT, /* as QK_EXEC, and NOT_FOUND when it changed no row */
	QK_ONE,      /* the first row mapped into *out; NOT_FOUND when there is none */
	QK_EXISTS,   /* OK when a row comes, NOT_FOUND when none */
	QK_INT,      /* column 0 of the first row into *(int64_t *)out; NOT_FOUND for no row or NULL */
	QK_EACH,     /* every row mapped and given to the callback until it returns non-zero */
};

/* How one column lands in its field. */
enum col_type {
	COL_SKIP,     /* selected, not kept */
	COL_I64,      /* int64_t */
	COL_INT,      /* int */
	COL_TEXT,     /* char[size], cut to size - 1 bytes, NUL-terminated; NULL gives "" */
	COL_BLOB,     /* unsigned char[size] with its length in the size_t at aux; NULL or longer than size: length 0 */
	COL_FIXED,    /* unsigned char[size], exactly size bytes or left zero; aux (if any): an int set to 1 when copied */
	COL_TEXT_REF, /* const char *, borrowed for the row's lifetime, NULL for NULL; aux (if any): its size_t length */
	COL_BLOB_REF, /* const unsigned char *, borrowed likewise, NULL for NULL; aux (if any): its size_t length */
};

#define COL_NO_AUX ((size_t)-1)

struct col_map {
	enum col_type type;
	size_t off, size, aux;
};

/* The struct a row fills (size bytes, zeroed before each row) and its columns in select order. */
struct row_map {
	size_t size;
	size_t ncols;
	const struct col_map *cols;
};

/* The largest struct a mapping may fill: an EACH row is mapped into a buffer of this size on the stack. */
#define QUERY_ROW_MAX 8192

/* One statement of the table. engine_sql[e], when set, replaces sql on engine e. */
struct query {
	const char *name;
	enum query_kind kind;
	int nargs;
	const struct row_map *row;
	const char *sql;
	const char *engine_sql[STORE_ENGINE_COUNT];
};

/* The statement table, indexed by enum query_id (queries.c). */
extern const struct query query_table[Q__COUNT];

/* The open database and a connection as every backend has them: a driver and its handle. */
struct store {
	const struct store_driver *drv;
	struct store_db *db;
};

struct store_conn {
	const struct store_driver *drv;
	struct store_dconn *dc;
};

/* An EACH callback: row is the mapped struct (borrowed fields valid during the call only); non-zero stops. */
typedef int (*query_each_fn)(void *arg, const void *row);

/*
 * Run statement id with args[0..nargs-1] (nargs may exceed the statement's count, so that a cascade can hand
 * every step the same arguments; fewer is SRV_E_INTERNAL). What happens to the result is the statement's kind:
 * out receives QK_ONE's row and QK_INT's integer, each receives QK_EACH's rows (a non-zero return stops the
 * listing, which still returns SRV_E_OK). Returns SRV_E_OK, SRV_E_NOT_FOUND as the kind says, SRV_E_CONFLICT,
 * SRV_E_STORAGE, or SRV_E_INTERNAL for a call that does not fit the table's row.
 */
enum srv_err query_run(struct store_conn *c, enum query_id id, const struct query_arg *args, size_t nargs, void *out,
		       query_each_fn each, void *arg);

/*
 * Check statement id against its row of the table on connection c: it prepares, its placeholders are nargs and
 * its columns are the mapping's (or none for the kinds without a mapping). SRV_E_OK, or SRV_E_INTERNAL with a
 * line on stderr saying what is off. For the conformance tests.
 */
enum srv_err query_check(struct store_conn *c, enum query_id id);

/* Arguments: QARGS(A_INT(x), A_TEXT(s), ...) expands to the array and its length. */
#define A_INT(v) {QA_INT, (int64_t)(v), NULL, 0}
#define A_TEXT(s) {QA_TEXT, 0, (s), (size_t)-1}
#define A_TEXTN(s, len) {QA_TEXT, 0, (s), (len)}
#define A_BLOB(b, len) {QA_BLOB, 0, (b), (len)}
#define QARGS(...) ((const struct query_arg[]){__VA_ARGS__}), \
	(sizeof((const struct query_arg[]){__VA_ARGS__}) / sizeof(struct query_arg))
#define QNOARGS NULL, 0

#endif
