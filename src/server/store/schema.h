/*
 * schema.h — the numbered migrations of the database (schema.c), the same list for every engine.
 */
#ifndef POSTERN_STORE_SCHEMA_H
#define POSTERN_STORE_SCHEMA_H

#include "driver.h"

#include <stddef.h>

/* Migration i + 1 is store_schema[i]; a database that has had k of them gets the rest, in order. */
extern const struct store_migration store_schema[];
extern const size_t store_schema_count;

#endif
