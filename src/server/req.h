/*
 * req.h — one API request as a handler sees it, and what the handler hands back.
 *
 * The HTTP layer (http.c) fills the input half from the wire, resolves credentials (auth.c), and runs the
 * handler on a database thread with `db`/`ops` set (dbexec.c). The handler fills the output half. A handler
 * never touches libmicrohttpd, never writes SQL, and never sends anything before its transaction commits:
 * the HTTP layer sends `resp` only after done().
 */
#ifndef POSTERN_REQ_H
#define POSTERN_REQ_H

#include "config.h"
#include "error.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

#define REQ_MAX_PARAMS 4
#define REQ_PARAM_LEN 64
#define REQ_MAX_QUERY 8
#define REQ_QUERY_KEY_LEN 24
#define REQ_QUERY_VAL_LEN 96
#define REQ_MAX_NOTIFY 1024

struct route;

/* Credential kinds a request can present; a route lists the kinds it accepts (bit mask). */
enum cred_kind {
	CRED_NONE = 1 << 0,    /* no Authorization header: public routes */
	CRED_SESSION = 1 << 1, /* a first-party login session token */
};

struct req {
	/* ---- input, set by the HTTP layer ---- */
	const struct route *route;
	char params[REQ_MAX_PARAMS][REQ_PARAM_LEN]; /* path placeholders, in order */
	int nparams;
	struct {
		char key[REQ_QUERY_KEY_LEN];
		char val[REQ_QUERY_VAL_LEN];
	} query[REQ_MAX_QUERY];
	int nquery;
	json_t *body;                 /* parsed JSON body or NULL; owned by req */
	char bearer[128];             /* Authorization bearer text ("" when absent); wiped after auth */
	int bearer_present;           /* an Authorization header was sent */
	char last_event_id[32];       /* Last-Event-ID header */
	const struct config *cfg;
	int64_t now;                  /* wall clock ms at dispatch */

	/* ---- set by auth and the database thread ---- */
	int cred;                     /* enum cred_kind of the resolved credential */
	struct store_user user;       /* the caller, when cred == CRED_SESSION */
	struct store_session session;
	const struct store_ops *ops;
	struct store_conn *db;
	void *prep;                   /* state from a route's prepare step, freed by its free_prep */

	/* ---- output ---- */
	int status;                   /* HTTP status on success (200 when left 0) */
	json_t *resp;                 /* response body, owned by req; NULL for 204 */
	char errmsg[160];             /* error detail, "" for the table's default */
	int retry_after;              /* seconds, for 429/503 (0: no header) */
	int64_t notify[REQ_MAX_NOTIFY]; /* users whose event log grew; woken after commit */
	int nnotify;
	int notify_overflow;          /* more than REQ_MAX_NOTIFY: wake everyone */
	int wait_ms;                  /* sync only: nothing to send, park for this long */
	uint64_t hub_seen;            /* sync only: hub version read before the event query */
	int64_t prune_device, prune_upto; /* sync only: to-device events to delete once delivered */
};

/* Value of query parameter key, or NULL. The pointer lives as long as rq. */
const char *req_query(const struct req *rq, const char *key);

/*
 * Set an error detail (printf-style) and return e, so handlers can `return req_fail(rq, PST_E_X, "...")`.
 * The detail must never contain a secret or a message body.
 */
enum pst_err req_fail(struct req *rq, enum pst_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record that user's event log grew in this transaction. */
void req_notify(struct req *rq, int64_t user);

/* Set the response: status and body (ownership of body moves to rq). Returns PST_E_OK. */
enum pst_err req_reply(struct req *rq, int status, json_t *body);

#endif
