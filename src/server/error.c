/* error.c — lookups into the error table and the JSON error body (see error.h). */
#include "error.h"
#include "jsontext.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static const struct {
	const char *name;
	int status;
	const char *code;
	const char *message;
} error_table[] = {
#define SRV_ERR_ROW(name, status, code, msg) {#name, status, code, msg},
	SRV_ERROR_MAP(SRV_ERR_ROW)
#undef SRV_ERR_ROW
};

/* Retry-After defaults (seconds) of the errors that say "later"; a handler may set its own (req.h retry_after). */
static const int retry_after_table[SRV_E__COUNT] = {
	[SRV_E_UNAVAILABLE] = 1,
	[SRV_E_TX_RETRY] = 1,
	[SRV_E_DB_DOWN] = 5,        /* about what a failover takes */
	[SRV_E_COMMIT_UNKNOWN] = 2,
};

int error_retry_after(enum srv_err e)
{
	if ((unsigned)e >= SRV_E__COUNT)
		return 0;
	return retry_after_table[e];
}

int error_status(enum srv_err e)
{
	if ((unsigned)e >= SRV_E__COUNT)
		return 500;
	return error_table[e].status;
}

const char *error_code(enum srv_err e)
{
	if ((unsigned)e >= SRV_E__COUNT)
		return "internal";
	return error_table[e].code;
}

const char *error_message(enum srv_err e)
{
	if ((unsigned)e >= SRV_E__COUNT)
		return "internal server error";
	return error_table[e].message;
}

char *error_json(enum srv_err e, const char *message)
{
	json_t *root = json_pack("{s:{s:s,s:s}}", "error", "code", error_code(e), "message",
				 message ? message : error_message(e));
	char *out = NULL;
	if (root) {
		out = jsontext_dump(root, JSON_COMPACT);
		json_decref(root);
	}
	if (out == NULL) { /* JSON could not be built (out of memory): the table's own text needs no escaping */
		size_t n = strlen(error_code(e)) + strlen(error_message(e)) + 40;
		out = malloc(n);
		if (out)
			snprintf(out, n, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", error_code(e), error_message(e));
	}
	return out;
}

int error_print_json(FILE *out)
{
	json_t *rows = json_array();
	char *text = NULL;
	size_t i;
	int rc = -1;

	if (rows == NULL)
		goto out;
	for (i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (json_array_append_new(rows, json_pack("{s:s,s:s,s:i,s:s}", "name", error_table[i].name, "code",
							  error_table[i].code, "status", error_table[i].status, "message",
							  error_table[i].message)) != 0)
			goto out;
	text = json_dumps(rows, JSON_INDENT(1));
	if (text == NULL || fprintf(out, "%s\n", text) < 0 || fflush(out) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	json_decref(rows);
	return rc;
}
