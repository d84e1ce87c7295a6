/*
 * database.c — from --database (or --data-dir) to a storage backend and its options (see database.h): a table
 * of URL schemes, each naming its backend. It knows the backends' names only, not how they store anything.
 */
#include "database.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* A scheme, its backend, and whether the backend takes the whole URL (libpq does) or what follows the scheme. */
static const struct {
	const char *scheme;
	const struct store_ops *ops;
	int whole_url;
} schemes[] = {
	{"postgresql://", &store_postgres_ops, 1},
	{"postgres://", &store_postgres_ops, 1},
	{"sqlite:", &store_sqlite_ops, 0},
};

int database_choose(const char *database, const char *data_dir, int durable, char *buf, size_t cap,
		    const struct store_ops **ops, struct store_options *o)
{
	size_t i;
	int n = -1;

	o->durable = durable;
	o->path = buf;
	if (database == NULL || database[0] == '\0') {
		*ops = &store_sqlite_ops;
		n = snprintf(buf, cap, "%s/postern.db", data_dir);
		return n < 0 || (size_t)n >= cap ? -1 : 0;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t len = strlen(schemes[i].scheme);
		if (strncmp(database, schemes[i].scheme, len) != 0)
			continue;
		*ops = schemes[i].ops;
		n = snprintf(buf, cap, "%s", schemes[i].whole_url ? database : database + len);
		return n <= 0 || (size_t)n >= cap ? -1 : 0;
	}
	return -1;
}

void database_redact(const char *database, char *buf, size_t cap)
{
	const char *at = strchr(database, '@'), *scheme_end = strstr(database, "://"), *colon;
	snprintf(buf, cap, "%s", database);
	if (at == NULL || scheme_end == NULL || at < scheme_end)
		return;
	colon = memchr(scheme_end + 3, ':', (size_t)(at - scheme_end - 3));
	if (colon != NULL)
		snprintf(buf, cap, "%.*s:***%s", (int)(colon - database), database, at);
}
