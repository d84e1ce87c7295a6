/*
 * hello.c — a program built against an installed libpostern (make install, then pkg-config), the way an
 * app developer would. It makes a client for a server that need not exist and checks the library answers
 * through its public API: a bad argument is refused with PST_ERR_INVALID and a message.
 */
#include <postern/postern.h>

#include <stdio.h>

int main(int argc, char **argv)
{
	pst_client *c = NULL;
	char *json = NULL;
	pst_status st;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: hello HOME_DIR\n");
		return 2;
	}
	st = pst_client_new("http://127.0.0.1:9", argv[1], NULL, &c);
	if (st != PST_OK || c == NULL) {
		fprintf(stderr, "pst_client_new: %d\n", (int)st);
		goto out;
	}
	st = pst_inbox_page(c, 0, NULL, &json);
	if (st != PST_ERR_INVALID || pst_errmsg(c)[0] == '\0') {
		fprintf(stderr, "pst_inbox_page(limit 0): %d '%s'\n", (int)st, pst_errmsg(c));
		goto out;
	}
	printf("libpostern ok: %s\n", pst_errmsg(c));
	rc = 0;
out:
	pst_free(json);
	pst_client_free(c);
	return rc;
}
