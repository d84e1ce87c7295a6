/*
 * migrate.h — `posternd migrate`: copy a deployment's SQLite database into an empty PostgreSQL database and
 * check the copy (store/migrate.c).
 */
#ifndef POSTERN_STORE_MIGRATE_H
#define POSTERN_STORE_MIGRATE_H

#include "driver.h"

#include <stdio.h>

/*
 * Copy every table of the SQLite database at sqlite_path into the PostgreSQL database pg_url (both first brought
 * to the newest schema; the PostgreSQL one must hold no data), in one PostgreSQL transaction, then compare each
 * table's row count and a sample of its rows on both sides. Progress and any failure are written to out, one line
 * each. Returns SRV_E_OK; SRV_E_CONFLICT when the PostgreSQL database is not empty; SRV_E_STORAGE when either
 * cannot be opened or a copy fails (nothing is left copied); SRV_E_INTERNAL when the check finds a difference
 * or the schemas disagree. Stop posternd first: rows written during the copy are not in it.
 */
enum srv_err store_migrate(const char *sqlite_path, const char *pg_url, FILE *out);

#endif
