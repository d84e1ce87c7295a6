/*
 * routes.h — the route table: the single source of truth for every API endpoint (method, path pattern,
 * where it runs, which credential kinds it accepts, the scope an app token needs, handler). The HTTP layer
 * dispatches with it, `posternd routes` prints it, and the authorization test walks it.
 */
#ifndef POSTERN_ROUTES_H
#define POSTERN_ROUTES_H

#include "req.h"

#include <stdio.h>

enum route_kind {
	ROUTE_READ,  /* runs on a reader thread in one snapshot */
	ROUTE_WRITE, /* runs on the writer inside the group transaction; answered after commit */
	ROUTE_SYNC,  /* long-poll: a read that may park until events arrive */
	ROUTE_SSE    /* Server-Sent Events stream */
};

enum route_flag {
	ROUTE_JSON_BODY = 1 << 0, /* requires a JSON object body */
	ROUTE_FORM_BODY = 1 << 1, /* requires an application/x-www-form-urlencoded body */
	ROUTE_HTML = 1 << 2,      /* a page for people: errors render as HTML, frame headers always */
	ROUTE_OAUTH = 1 << 3,     /* an OAuth endpoint: request errors in RFC 6749 form ({"error","error_description"}) */
	ROUTE_CORS = 1 << 4       /* for apps in a browser: any origin may call it (credentials are bearer tokens or a
				   * PKCE verifier, never cookies), CORS headers on every answer, preflight answered */
};

struct route {
	const char *method;
	const char *path;      /* pattern; "{name}" matches one non-empty segment */
	enum route_kind kind;
	unsigned creds;        /* mask of enum cred_kind accepted */
	const char *scope;     /* scope an app token needs; NULL: first-party only */
	unsigned flags;        /* enum route_flag */
	enum srv_err (*handler)(struct req *rq);
	/* Optional: runs on a reader before a WRITE route (slow CPU work such as password hashing, reads
	 * that must not hold the writer). */
	enum srv_err (*prepare)(struct req *rq);
	const char *summary;
};

extern const struct route route_table[];
extern const int route_count;

/*
 * Find the route for method and path (path without the query). On a match, returns it and copies the
 * placeholder values into rq->params. Returns NULL with *status 404 (no such path) or 405 (path known,
 * method not), or 400 when a placeholder is too long. Thread-safe.
 */
const struct route *routes_match(const char *method, const char *path, struct req *rq, int *status);

/*
 * The methods of the ROUTE_CORS routes whose pattern matches path, as "GET, POST" into buf (capacity cap,
 * NUL-terminated). Returns how many there are (0: path is not open to web origins). Thread-safe.
 */
int routes_cors_methods(const char *path, char *buf, size_t cap);

/* Print the table as a JSON array (for `posternd routes` and the authorization test). */
void routes_print_json(FILE *out);

#endif
