/*
 * partner_demo.c — a small partner app built on libpostern's public API, playing "Tunes": it asks a person
 * for access through Postern's consent page (authorization code with PKCE, answered on a loopback redirect
 * it listens on with libmicrohttpd, RFC 8252), shares an encrypted item with a friend, reads the replies it
 * may read (decrypted by its own device), deletes its share, and fetches its aggregate report.
 *
 *   partner-demo [--server URL] [--home DIR] --client-id ID [--client-secret SECRET] COMMAND ...
 *     authorize PORT [SCOPE]     print the URL to open, wait (60 s) for the answer on http://127.0.0.1:PORT/cb;
 *                                then the app device's approval code, which the person approves from their own
 *                                client (postern apps approve CODE): until then nobody encrypts to the app
 *     code                       print that approval code again
 *     friends                    friends who also use the app (JSON)
 *     share TO ITEM TEXT         share ITEM with friend TO (a pairwise id), TEXT encrypted (JSON answer)
 *     threads                    the grant's threads (JSON)
 *     read THREAD                one line per message: seq, sender, kind, item, text
 *     delete THREAD MESSAGE      delete a message this app sent
 *     report PERIOD_START        the app's report (JSON)
 * Errors: one line on stderr, exit 1 (2 for usage).
 */
#include "postern/postern.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

struct callback {
	pthread_mutex_t lock;
	char *url; /* the URL the browser came back to, rebuilt from what MHD parsed */
};

static void add_param(struct MHD_Connection *conn, const char *key, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
	size_t o = strlen(out);
	if (v == NULL || o + strlen(key) + 2 >= cap)
		return;
	o += (size_t)snprintf(out + o, cap - o, "%s%s=", strchr(out, '?') ? "&" : "?", key);
	for (; *v && o + 4 < cap; v++) {
		unsigned char ch = (unsigned char)*v;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-_.~", ch))
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

static enum MHD_Result on_callback(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	static const char done[] = "<!doctype html><title>Tunes</title><p>Tunes is connected. You can close this page.</p>";
	struct callback *cb = cls;
	struct MHD_Response *resp;
	enum MHD_Result r;
	char rebuilt[8192] = "http://127.0.0.1/cb";
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)ctx;
	if (strcmp(method, "GET") != 0 || strcmp(url, "/cb") != 0)
		return MHD_NO;
	add_param(conn, "code", rebuilt, sizeof(rebuilt));
	add_param(conn, "state", rebuilt, sizeof(rebuilt));
	add_param(conn, "iss", rebuilt, sizeof(rebuilt));
	add_param(conn, "error", rebuilt, sizeof(rebuilt));
	pthread_mutex_lock(&cb->lock);
	if (cb->url == NULL)
		cb->url = strdup(rebuilt);
	pthread_mutex_unlock(&cb->lock);
	resp = MHD_create_response_from_buffer(sizeof(done) - 1, (void *)done, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	r = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return r;
}

static int cmd_authorize(pst_client *c, const char *port_text, const char *scope)
{
	struct callback cb = {PTHREAD_MUTEX_INITIALIZER, NULL};
	struct MHD_Daemon *d = NULL;
	char redirect[64], *url = NULL;
	long port = strtol(port_text, NULL, 10);
	int i, rc = 1;

	if (port <= 0 || port > 65535) {
		fprintf(stderr, "partner-demo: authorize wants a port\n");
		return 2;
	}
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%ld/cb", port);
	if (pst_app_authorize_url(c, redirect, scope, &url) != PST_OK) {
		fprintf(stderr, "partner-demo: authorize: %s\n", pst_errmsg(c));
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_callback, &cb, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "partner-demo: cannot listen on 127.0.0.1:%ld\n", port);
		goto out;
	}
	printf("open: %s\n", url);
	fflush(stdout);
	for (i = 0; i < 600; i++) { /* 60 s for the person to answer */
		int got;
		pthread_mutex_lock(&cb.lock);
		got = cb.url != NULL;
		pthread_mutex_unlock(&cb.lock);
		if (got)
			break;
		usleep(100 * 1000);
	}
	if (cb.url == NULL) {
		fprintf(stderr, "partner-demo: nobody came back to %s\n", redirect);
		goto out;
	}
	if (pst_app_finish(c, cb.url) != PST_OK) {
		fprintf(stderr, "partner-demo: authorize: %s\n", pst_errmsg(c));
		goto out;
	}
	{
		/* the person's client signs for the app's device only after checking this code (docs/partner.md) */
		char *code = NULL;
		if (pst_app_approval_code(c, &code) != PST_OK) {
			fprintf(stderr, "partner-demo: authorize: %s\n", pst_errmsg(c));
			goto out;
		}
		printf("authorized\napprove this app's device from your Postern client: postern apps approve %s\n", code);
		pst_free(code);
	}
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	free(cb.url);
	pst_free(url);
	return rc;
}

static int print_json(pst_client *c, const char *what, pst_status st, char *json)
{
	if (st != PST_OK) {
		fprintf(stderr, "partner-demo: %s: %s\n", what, pst_errmsg(c));
		return 1;
	}
	printf("%s\n", json ? json : "{}");
	pst_free(json);
	return 0;
}

static int cmd_read(pst_client *c, const char *thread)
{
	pst_message *msgs = NULL;
	size_t n = 0, i;
	if (pst_app_read(c, thread, &msgs, &n) != PST_OK) {
		fprintf(stderr, "partner-demo: read: %s\n", pst_errmsg(c));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)msgs[i].seq, msgs[i].sender_id ? msgs[i].sender_id : "?",
		       msgs[i].kind ? msgs[i].kind : "", msgs[i].item ? msgs[i].item : "", msgs[i].message_id ? msgs[i].message_id : "",
		       msgs[i].deleted ? "[deleted]" : msgs[i].text ? msgs[i].text : msgs[i].decrypt == PST_ERR_NO_KEY ? "[no key]" : "[cannot decrypt]");
	pst_messages_free(msgs, n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *server = "http://127.0.0.1:8080", *home = "./partner-demo-home", *client_id = NULL, *secret = NULL;
	pst_client *c = NULL;
	char *json = NULL;
	int i, rc = 2;

	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--server") == 0)
			server = argv[i + 1];
		else if (strcmp(argv[i], "--home") == 0)
			home = argv[i + 1];
		else if (strcmp(argv[i], "--client-id") == 0)
			client_id = argv[i + 1];
		else if (strcmp(argv[i], "--client-secret") == 0)
			secret = argv[i + 1];
		else
			break;
	}
	if (client_id == NULL || i >= argc) {
		fprintf(stderr, "usage: partner-demo [--server URL] [--home DIR] --client-id ID [--client-secret SECRET] "
				"authorize PORT [SCOPE] | code | friends | share TO ITEM TEXT | threads | read THREAD | delete THREAD MESSAGE | report PERIOD\n");
		return 2;
	}
	if (pst_app_client_new(server, home, client_id, secret, &c) != PST_OK) {
		fprintf(stderr, "partner-demo: cannot use %s\n", home);
		return 1;
	}
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "authorize") == 0 && argc >= 2) {
		rc = cmd_authorize(c, argv[1], argc >= 3 ? argv[2] : "friends:read messages:send messages:read messages:delete");
	} else if (strcmp(argv[0], "read") == 0 && argc == 2) {
		rc = cmd_read(c, argv[1]);
	} else if (strcmp(argv[0], "code") == 0 && argc == 1) {
		char *code = NULL;
		rc = pst_app_approval_code(c, &code) == PST_OK ? (printf("%s\n", code), 0) : (fprintf(stderr, "partner-demo: code: %s\n", pst_errmsg(c)), 1);
		pst_free(code);
	} else {
		/* the JSON-answering commands: call first, then print (argument order is unspecified in C) */
		pst_status st;
		if (strcmp(argv[0], "friends") == 0)
			st = pst_app_friends(c, &json);
		else if (strcmp(argv[0], "threads") == 0)
			st = pst_app_threads(c, &json);
		else if (strcmp(argv[0], "share") == 0 && argc == 4)
			st = pst_app_share(c, argv[1], argv[2], argv[3], &json);
		else if (strcmp(argv[0], "delete") == 0 && argc == 3)
			st = pst_app_delete(c, argv[1], argv[2]);
		else if (strcmp(argv[0], "report") == 0 && argc == 2)
			st = pst_app_report(c, argv[1], &json);
		else {
			fprintf(stderr, "partner-demo: unknown command or wrong arguments (see the file's opening comment)\n");
			pst_client_free(c);
			return 2;
		}
		rc = print_json(c, argv[0], st, json);
	}
	pst_client_free(c);
	return rc;
}
