/*
 * raw_send.c — plays a client that does not check what it sends: seals the bytes it is given (which need
 * not be UTF-8) for a thread and posts them as a message, with the person's state in HOME. Built from the
 * library's internals (client_int.h) for the integration tests only; real clients use pst_send_text.
 *
 *   raw_send SERVER_URL HOME THREAD_ID HEX_BYTES     prints the message id
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* Decode hex into a NUL-terminated malloc'd buffer; NULL on bad hex. */
static char *unhex(const char *hex)
{
	size_t n = strlen(hex), i;
	char *out;
	if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return out;
}

int main(int argc, char **argv)
{
	pst_client *c = NULL;
	char *text = NULL, *env = NULL, *path = NULL, cmid[40];
	json_t *body = NULL, *out = NULL;
	int rc = 1;

	if (argc != 5 || (text = unhex(argv[4])) == NULL) {
		fprintf(stderr, "usage: raw_send SERVER_URL HOME THREAD_ID HEX_BYTES\n");
		return 2;
	}
	if (pst_client_new(argv[1], argv[2], NULL, &c) != PST_OK ||
	    pst__seal_for_thread(c, argv[3], text, &env) != PST_OK || pst__new_cmid(cmid) != PST_OK ||
	    asprintf(&path, "/v1/threads/%s/messages", argv[3]) < 0 ||
	    (body = json_pack("{s:s,s:s}", "client_msg_id", cmid, "body", env)) == NULL ||
	    pst__request(c, "POST", path, body, &out) != PST_OK) {
		fprintf(stderr, "raw_send: %s\n", c ? pst_errmsg(c) : "cannot create a client");
		goto out;
	}
	printf("%s\n", json_string_value(json_object_get(out, "message_id")));
	rc = 0;
out:
	json_decref(body);
	json_decref(out);
	free(path);
	free(env);
	free(text);
	pst_client_free(c);
	return rc;
}
