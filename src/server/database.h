/*
 * database.h — which storage backend and which database the server's settings name: --database's URL, or the
 * SQLite file in --data-dir when there is none. Used by posternd itself, its admin subcommands and
 * `posternd migrate`; it opens nothing.
 */
#ifndef POSTERN_DATABASE_H
#define POSTERN_DATABASE_H

#include "store.h"

#include <stddef.h>

/*
 * Choose the backend for database — "postgresql://..." or "postgres://..." (a libpq URL), "sqlite:PATH", or ""
 * for SQLite at DATA_DIR/postern.db — and fill *o (o->path points into buf, cap bytes, which must outlive the
 * store's open; o->durable = durable). Returns 0, or -1 for a scheme no backend has or a path longer than buf.
 * Thread: any.
 */
int database_choose(const char *database, const char *data_dir, int durable, char *buf, size_t cap,
		    const struct store_ops **ops, struct store_options *o);

/* The URL without its password (user:PASSWORD@ becomes user:***@), for messages; into buf, cap bytes. */
void database_redact(const char *database, char *buf, size_t cap);

#endif
