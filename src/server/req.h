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
#define REQ_QUERY_KEY_LEN 32
#define REQ_QUERY_VAL_LEN 4096
#define REQ_MAX_NOTIFY 4096

struct route;

/* Credential kinds a request can present; a route lists the kinds it accepts (bit mask). */
enum cred_kind {
	CRED_NONE = 1 << 0,    /* no Authorization header: public routes */
	CRED_SESSION = 1 << 1, /* a first-party login session token (Bearer) */
	CRED_APP = 1 << 2,     /* a partner app's OAuth access token: one person's grant */
	CRED_CLIENT = 1 << 3,  /* a partner app's client_credentials token: the app itself */
	CRED_COOKIE = 1 << 4,  /* a browser session cookie (HTML pages and the consent flow) */
};

#define REQ_MAX_FORM 24
#define REQ_FORM_VAL_LEN 4096

struct req {
	/* ---- input, set by the HTTP layer ---- */
	const struct route *route;
	char params[REQ_MAX_PARAMS][REQ_PARAM_LEN]; /* path placeholders, in order */
	int nparams;
	struct {
		char *key, *val;      /* one malloc'd block "key\0val\0" each, owned by req */
	} query[REQ_MAX_QUERY];
	int nquery;
	json_t *body;                 /* parsed JSON body or NULL; owned by req */
	struct {
		char *key;            /* malloc'd */
		char *val;            /* malloc'd, NUL-terminated, at most REQ_FORM_VAL_LEN bytes */
		size_t len;
	} form[REQ_MAX_FORM];         /* application/x-www-form-urlencoded body */
	int nform;
	char cookie[64];              /* the postern_session cookie ("" when absent); wiped after auth */
	char login_cookie[64];        /* the postern_login cookie: the login form's CSRF double-submit value */
	char basic_user[128], basic_pass[128]; /* HTTP Basic credentials (OAuth client authentication) */
	int basic_present;
	char bearer[128];             /* Authorization bearer text ("" when absent); wiped after auth */
	int bearer_present;           /* an Authorization header was sent */
	char last_event_id[32];       /* Last-Event-ID header */
	char client_addr[48];         /* the client's address: the last X-Forwarded-For entry when --public-url
	                                 * says a proxy is in front, else the peer's; IPv6 cut to its /64 */
	int http10;                   /* the request came as HTTP/1.0 (no chunked responses) */
	const struct config *cfg;
	int64_t now;                  /* wall clock ms at dispatch */

	/* ---- set by auth and the database thread ---- */
	int cred;                     /* enum cred_kind of the resolved credential */
	struct store_user user;       /* the person: CRED_SESSION, CRED_COOKIE and CRED_APP */
	struct store_session session;
	struct store_app *app;        /* CRED_APP, CRED_CLIENT and OAuth client authentication (malloc'd) */
	struct store_grant *grant;    /* CRED_APP (malloc'd) */
	struct store_token *token;    /* CRED_APP and CRED_CLIENT (malloc'd) */
	const struct store_ops *ops;
	struct store_conn *db;
	void *prep;                   /* state from a route's prepare step, freed by its free_prep */

	/* ---- output ---- */
	int status;                   /* HTTP status on success (200 when left 0) */
	json_t *resp;                 /* response body, owned by req; NULL for 204 */
	char *html;                   /* an HTML page instead of JSON (malloc'd, owned by req) */
	char *text;                   /* another body (malloc'd), sent with content_type */
	size_t text_len;
	const char *content_type;     /* for text */
	char *location;               /* redirect target (malloc'd; NULL for none) */
	char set_cookie[256];         /* Set-Cookie value ("" for none) */
	char www_authenticate[160];   /* WWW-Authenticate value ("" for none) */
	int has_attempt;              /* a refused partner call to log in a separate transaction */
	struct store_access_entry attempt;
	char errmsg[160];             /* error detail, "" for the table's default */
	int retry_after;              /* seconds, for 429/503 (0: no header) */
	int64_t *notify;              /* users whose event log grew; woken after commit (malloc'd) */
	int nnotify, notify_cap;
	int notify_overflow;          /* more than REQ_MAX_NOTIFY: wake everyone */
	int64_t sessions_ended;       /* a user whose sessions this write ended: their streams re-check after commit */
	int wait_ms;                  /* sync only: nothing to send, park for this long */
	uint64_t hub_seen;            /* sync only: hub version read before the event query */
	int64_t prune_device, prune_upto; /* sync only: to-device events to delete once delivered */
};

/* Value of form field key, or NULL. The pointer lives as long as rq. */
const char *req_form(const struct req *rq, const char *key);

/* Set the redirect target (printf-style); returns SRV_E_OK, or SRV_E_INTERNAL on OOM. */
enum srv_err req_redirect(struct req *rq, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The partner structs, allocated on first use; NULL only on OOM. */
struct store_app *req_app(struct req *rq);
struct store_grant *req_grant(struct req *rq);
struct store_token *req_token(struct req *rq);

/* Release everything a req owns (body, response, form values, prep). rq stays allocated. */
void req_release(struct req *rq);

/* Value of query parameter key, or NULL. The pointer lives as long as rq. */
const char *req_query(const struct req *rq, const char *key);

/*
 * Set an error detail (printf-style) and return e, so handlers can `return req_fail(rq, SRV_E_X, "...")`.
 * The detail must never contain a secret or a message body.
 */
enum srv_err req_fail(struct req *rq, enum srv_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record that user's event log grew in this transaction. */
void req_notify(struct req *rq, int64_t user);

/* Set the response: status and body (ownership of body moves to rq). Returns SRV_E_OK. */
enum srv_err req_reply(struct req *rq, int status, json_t *body);

#endif
