/*
 * http.c — libmicrohttpd glue (see http.h). Everything MHD-specific lives here and in push.c.
 *
 * State of one request (struct exchange): RECEIVING while MHD feeds the body; RUNNING while suspended with
 * a dbexec job in flight; PARKED for a long-poll waiting on the hub or its deadline; READY once the answer
 * is computed and the connection was resumed, so the next access-handler call queues it.
 */
#include "http.h"
#include "jsontext.h"

#include "auth.h"
#include "dbexec.h"
#include "handlers.h"
#include "hub.h"
#include "jsonv.h"
#include "log.h"
#include "partner.h"
#include "push.h"
#include "routes.h"
#include "strnum.h"
#include "timefmt.h"
#include "tlog.h"
#include "webapp.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

enum xstate { X_RECEIVING, X_RUNNING, X_PARKED, X_READY };

struct exchange {
	struct MHD_Connection *conn;
	enum xstate state;
	struct req *rq;           /* owned; freed early once an SSE stream has taken what it needs */
	enum srv_err err;         /* final result; SRV_E_OK uses rq.status/resp */
	int early_status;         /* 1 once a response was queued (early refusal or the final answer) */
	char *body;
	size_t body_len;
	int body_too_large;
	int authed;               /* auth_resolve has run (once: it wipes the credential), with auth_rc its answer */
	enum srv_err auth_rc;
	int phase;                /* 0: prepare (WRITE with prepare) or main; 1: main after prepare */
	struct dbexec_job job;
	struct hub_waiter waiter;
	int64_t deadline;         /* long-poll, monotonic ms */
	struct exchange *pnext, *pprev; /* parked list */
	int64_t started;
	struct MHD_PostProcessor *pp; /* form bodies */
	int form_bad;                 /* too many or too long fields */
	int cors;                     /* the route is ROUTE_CORS: every answer carries the CORS headers */
	size_t target_len;            /* the request-target as it came (on_target), up to a NUL if any */
	int target_bad;               /* it has a byte outside 0x21-0x7E or an escaped control byte */
};

static struct {
	struct MHD_Daemon *daemon;
	const struct config *cfg;
	int behind_proxy;         /* --public-url names another address: clients' addresses come from X-Forwarded-For */
	int head_layout;          /* the request-head layout check is on (the libmicrohttpd it was made for) */
	pthread_t timer;
	int stopping;
	pthread_mutex_t park_lock;
	struct exchange *parked;
	struct bus *bus;          /* how a commit reaches the waiters of this node and the others (bus.h) */
} H;

/* ---- responses ---------------------------------------------------------------------------------------- */

/*
 * Whether the request this thread is answering is on a ROUTE_CORS route. Set by on_request at each call
 * (libmicrohttpd queues answers only from inside it, on the connection's thread), read by queue_response.
 */
static __thread int answering_cors;

/* MHD_queue_response, plus the CORS headers when the route is open to web origins. Consumes nothing: the
 * caller still destroys resp. */
static enum MHD_Result queue_response(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp)
{
	if (answering_cors) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
		MHD_add_response_header(resp, "Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After");
	}
	return MHD_queue_response(conn, status, resp);
}

/* The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method) on a ROUTE_CORS path. */
static enum MHD_Result queue_preflight(struct MHD_Connection *conn, const char *methods)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result r;
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Access-Control-Allow-Methods", methods);
	MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
	MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r = queue_response(conn, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue_json(struct MHD_Connection *conn, int status, const char *text, int retry_after, int close)
{
	struct MHD_Response *resp;
	enum MHD_Result r;
	size_t n = text ? strlen(text) : 0;

	resp = MHD_create_response_from_buffer(n, (void *)(text ? text : ""), MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (status != 204)
		MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (retry_after > 0) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", retry_after);
		MHD_add_response_header(resp, "Retry-After", buf);
	}
	if (close)
		MHD_add_response_header(resp, "Connection", "close");
	r = queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, enum srv_err e, const char *msg, int retry_after, int close)
{
	char *body = error_json(e, msg && msg[0] ? msg : NULL);
	enum MHD_Result r = queue_json(conn, error_status(e), body, retry_after, close);
	free(body);
	return r;
}

/* An RFC 6749 error for the OAuth endpoints' request-level failures (a repeated parameter, a bad form). */
static enum MHD_Result queue_oauth_error(struct MHD_Connection *conn, int status, const char *desc)
{
	json_t *j = json_pack("{s:s,s:s}", "error", "invalid_request", "error_description", desc);
	char *body = j ? jsontext_dump(j, JSON_COMPACT) : NULL;
	enum MHD_Result r = queue_json(conn, status, body, 0, 0);
	free(body);
	json_decref(j);
	return r;
}

/* Headers every HTML page carries: no framing (clickjacking), no caching, no sniffing. */
static void page_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

/* Answers that are not plain JSON: pages, redirects, other media types. */
static enum MHD_Result queue_other(struct exchange *x, int status)
{
	struct req *rq = x->rq;
	struct MHD_Response *resp;
	enum MHD_Result r;
	const char *body = rq->html ? rq->html : rq->text ? rq->text : "";
	size_t len = rq->html ? strlen(rq->html) : rq->text ? rq->text_len : 0;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (rq->html)
		MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	else if (rq->text)
		MHD_add_response_header(resp, "Content-Type", rq->content_type ? rq->content_type : "text/plain; charset=utf-8");
	if (rq->html || (rq->route->flags & ROUTE_HTML))
		page_headers(resp);
	else {
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	}
	if (rq->location)
		MHD_add_response_header(resp, "Location", rq->location);
	if (rq->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", rq->set_cookie);
	r = queue_response(x->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* A file of the web client (webapp.h): static bytes, its own policy; hashed names are cached for good. */
static enum MHD_Result queue_asset(struct exchange *x)
{
	const struct web_asset *a = x->rq->asset;
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer((size_t)(a->end - a->start), (void *)a->start, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", a->content_type);
	MHD_add_response_header(resp, "Cache-Control", a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	MHD_add_response_header(resp, "Content-Security-Policy", WEBAPP_CSP);
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	r = queue_response(x->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* A request-level refusal on a page for people: the JSON error, with the pages' frame headers. */
static enum MHD_Result queue_page_error(struct MHD_Connection *conn, enum srv_err e, const char *msg)
{
	char *body = error_json(e, msg && msg[0] ? msg : NULL);
	struct MHD_Response *resp = MHD_create_response_from_buffer(body ? strlen(body) : 0, body ? body : (void *)"",
								     MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;
	free(body);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Connection", "close");
	page_headers(resp);
	r = queue_response(conn, (unsigned)error_status(e), resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue_result(struct exchange *x)
{
	struct req *rq = x->rq;
	enum MHD_Result r;
	char *text = NULL;
	int status;

	if (x->err != SRV_E_OK) {
		int retry = rq->retry_after ? rq->retry_after : error_retry_after(x->err);
		status = error_status(x->err);
		if (status >= 500)
			log_warn("%s %s -> %d %s", rq->route->method, rq->route->path, status, error_code(x->err));
		if (rq->www_authenticate[0] || (rq->route->flags & ROUTE_HTML)) {
			struct MHD_Response *resp;
			char *body = error_json(x->err, rq->errmsg[0] ? rq->errmsg : NULL);
			resp = MHD_create_response_from_buffer(body ? strlen(body) : 0, body ? body : (void *)"",
							       MHD_RESPMEM_MUST_COPY);
			free(body);
			if (resp == NULL)
				return MHD_NO;
			MHD_add_response_header(resp, "Content-Type", "application/json");
			if (rq->route->flags & ROUTE_HTML)
				page_headers(resp);
			else
				MHD_add_response_header(resp, "Cache-Control", "no-store");
			if (rq->www_authenticate[0])
				MHD_add_response_header(resp, "WWW-Authenticate", rq->www_authenticate);
			if (retry > 0) {
				char buf[16];
				snprintf(buf, sizeof(buf), "%d", retry);
				MHD_add_response_header(resp, "Retry-After", buf);
			}
			r = queue_response(x->conn, (unsigned)status, resp);
			MHD_destroy_response(resp);
			return r;
		}
		return queue_error(x->conn, x->err, rq->errmsg, retry, 0);
	}
	if (rq->asset)
		return queue_asset(x);
	if (rq->html || rq->text || rq->location)
		return queue_other(x, rq->status ? rq->status : 200);
	if (rq->route->kind == ROUTE_SSE) {
		struct MHD_Response *resp = push_stream_response(x->conn, rq);
		if (resp == NULL)
			return queue_error(x->conn, SRV_E_INTERNAL, NULL, 0, 1);
		r = queue_response(x->conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		/* the stream holds what it needs: an idle connection keeps only the small exchange */
		req_release(x->rq);
		free(x->rq);
		x->rq = NULL;
		return r;
	}
	status = rq->status ? rq->status : 200;
	if (status != 204 && rq->resp)
		text = jsontext_dump(rq->resp, JSON_COMPACT);
	if (status != 204 && text == NULL)
		return queue_error(x->conn, SRV_E_INTERNAL, NULL, 0, 0);
	r = queue_json(x->conn, status, text, 0, 0);
	free(text);
	return r;
}

/* ---- jobs --------------------------------------------------------------------------------------------- */

static void finish(struct exchange *x, enum srv_err rc)
{
	x->err = rc;
	x->state = X_READY;
	MHD_resume_connection(x->conn);
}

static void job_submit(struct exchange *x);

/* What a write changed, for the bus: the users rq->notify names and the one whose sessions it ended. */
static void change_of(const struct req *rq, struct bus_change *ch)
{
	ch->users = rq->notify;
	ch->nusers = rq->nnotify;
	ch->sessions_ended = &rq->sessions_ended;
	ch->nsessions = rq->sessions_ended != 0;
	ch->everyone = rq->notify_overflow;
}

static enum srv_err job_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	struct exchange *x = (struct exchange *)((char *)job - offsetof(struct exchange, job));
	struct req *rq = x->rq;
	enum srv_err rc = SRV_E_OK;

	rq->ops = ops;
	rq->db = c;
	if (x->authed && x->auth_rc != SRV_E_OK) /* a write run again: auth's refusal stands as it was */
		return x->auth_rc;
	rq->now = timefmt_now_ms();
	rq->nnotify = 0;
	rq->sessions_ended = 0;
	rq->notify_overflow = 0;
	rq->errmsg[0] = '\0';
	if (!x->authed) {
		x->auth_rc = auth_resolve(rq);
		x->authed = 1;
		if (x->auth_rc != SRV_E_OK)
			return x->auth_rc;
	}
	if (x->phase == 0 && rq->route->prepare)
		return rq->route->prepare(rq);
	rc = rq->route->handler(rq);
	/* a write's notice to the other nodes travels with it: in its savepoint, delivered only on commit */
	if (rc == SRV_E_OK && rq->route->kind == ROUTE_WRITE) {
		struct bus_change ch;
		change_of(rq, &ch);
		rc = bus_stage(H.bus, ops, c, &ch);
	}
	if (rc != SRV_E_OK) {
		json_decref(rq->resp);
		rq->resp = NULL;
		free(rq->html);
		rq->html = NULL;
		free(rq->location);
		rq->location = NULL;
		rq->set_cookie[0] = '\0';
	}
	return rc;
}

/*
 * The writer rolled back the transaction job_run ran in (the database aborted it, or lost it before COMMIT):
 * forget what the handler left in rq, so that the next run starts as the first did and an error answer
 * carries nothing of work that is not stored. What auth resolved stays (it only read, and it wiped the
 * credential it used); a partner call's pending access-log line goes back to the "denied" one auth prepared,
 * since the line the handler wrote in the transaction is gone with it.
 */
static void job_reset(struct dbexec_job *job)
{
	struct exchange *x = (struct exchange *)((char *)job - offsetof(struct exchange, job));
	struct req *rq = x->rq;

	if (x->auth_rc != SRV_E_OK) /* refused before any handler ran: nothing to forget */
		return;
	json_decref(rq->resp);
	rq->resp = NULL;
	rq->status = 0;
	free(rq->html);
	free(rq->text);
	free(rq->location);
	rq->html = rq->text = rq->location = NULL;
	rq->text_len = 0;
	rq->content_type = NULL;
	rq->asset = NULL;
	rq->set_cookie[0] = rq->www_authenticate[0] = rq->errmsg[0] = '\0';
	rq->retry_after = 0;
	rq->nnotify = 0;
	rq->notify_overflow = 0;
	rq->sessions_ended = 0;
	rq->prune_device = rq->prune_upto = 0;
	rq->has_attempt = 0;
	partner_call_begin(rq);
}

/* A fire-and-forget write that deletes delivered to-device events. */
struct prune_job {
	struct dbexec_job job;
	int64_t device, upto;
};

static enum srv_err prune_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	struct prune_job *p = (struct prune_job *)job;
	return ops->event_prune_to_device(c, p->device, p->upto);
}

static void prune_done(struct dbexec_job *job, enum srv_err rc)
{
	(void)rc;
	free(job);
}

static void submit_prune(struct req *rq)
{
	struct prune_job *p;
	if (rq->prune_device == 0)
		return;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return;
	p->job.run = prune_run;
	p->job.done = prune_done;
	p->device = rq->prune_device;
	p->upto = rq->prune_upto;
	rq->prune_device = 0;
	dbexec_submit_write(&p->job);
}

/* A refused partner call, logged for the person in a transaction of its own (the call's rolled back). */
struct attempt_job {
	struct dbexec_job job;
	struct store_access_entry e;
};

static enum srv_err attempt_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	enum srv_err rc = ops->access_insert(c, &((struct attempt_job *)job)->e);
	return rc == SRV_E_OK ? tlog_append_access(ops, c, &((struct attempt_job *)job)->e) : rc;
}

static void submit_attempt(struct req *rq)
{
	struct attempt_job *a;
	if (!rq->has_attempt)
		return;
	rq->has_attempt = 0;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return;
	a->job.run = attempt_run;
	a->job.done = prune_done;
	a->e = rq->attempt;
	dbexec_submit_write(&a->job);
}

static void park_remove(struct exchange *x)
{
	if (x->pprev)
		x->pprev->pnext = x->pnext;
	else if (H.parked == x)
		H.parked = x->pnext;
	if (x->pnext)
		x->pnext->pprev = x->pprev;
	x->pnext = x->pprev = NULL;
}

/* Hub wake-up of a parked long-poll (called under the hub lock): re-run the read. */
static void longpoll_wake(struct hub_waiter *w)
{
	struct exchange *x = (struct exchange *)((char *)w - offsetof(struct exchange, waiter));
	pthread_mutex_lock(&H.park_lock);
	if (x->state == X_PARKED) {
		x->state = X_RUNNING;
		park_remove(x);
		job_submit(x);
	}
	pthread_mutex_unlock(&H.park_lock);
}

static void job_done(struct dbexec_job *job, enum srv_err rc)
{
	struct exchange *x = (struct exchange *)((char *)job - offsetof(struct exchange, job));
	struct req *rq = x->rq;

	if (rc == SRV_E_OK && rq->route->kind == ROUTE_WRITE) {
		if (x->phase == 0 && rq->route->prepare) {
			x->phase = 1; /* prepared on a reader: now the write */
			job_submit(x);
			return;
		}
		struct bus_change ch;
		change_of(rq, &ch); /* now durable: this node's waiters read again, streams look their session up */
		bus_publish(H.bus, &ch);
	}
	if (rc == SRV_E_OK)
		submit_prune(rq);
	submit_attempt(rq); /* a refused partner call, or a partner read done on a reader */
	if (rc == SRV_E_OK && rq->route->kind == ROUTE_SYNC && rq->wait_ms > 0 && !H.stopping) {
		int64_t now = timefmt_mono_ms();
		if (x->deadline == 0)
			x->deadline = now + rq->wait_ms;
		if (now < x->deadline) {
			hub_unregister(&x->waiter);
			pthread_mutex_lock(&H.park_lock);
			x->state = X_PARKED;
			x->pnext = H.parked;
			x->pprev = NULL;
			if (H.parked)
				H.parked->pprev = x;
			H.parked = x;
			pthread_mutex_unlock(&H.park_lock);
			x->waiter.user_id = rq->user.id;
			x->waiter.wake = longpoll_wake;
			hub_register(&x->waiter, rq->hub_seen);
			return;
		}
	}
	hub_unregister(&x->waiter);
	finish(x, rc);
}

static void job_submit(struct exchange *x)
{
	const struct route *r = x->rq->route;
	x->job.run = job_run;
	x->job.done = job_done;
	x->job.reset = job_reset;
	x->rq->wait_ms = 0;
	if (r->kind == ROUTE_WRITE && !(x->phase == 0 && r->prepare))
		dbexec_submit_write(&x->job);
	else
		dbexec_submit_read(&x->job);
}

/* Timer: long-poll deadlines and SSE heartbeats. */
static void *timer_main(void *arg)
{
	(void)arg;
	while (!H.stopping) {
		int64_t now = timefmt_mono_ms();
		struct exchange *x, *next, *due = NULL;
		pthread_mutex_lock(&H.park_lock);
		for (x = H.parked; x; x = next) {
			next = x->pnext;
			if (now >= x->deadline) {
				x->state = X_RUNNING;
				park_remove(x);
				x->pnext = due;
				due = x;
			}
		}
		pthread_mutex_unlock(&H.park_lock);
		for (x = due; x; x = next) {
			next = x->pnext;
			x->pnext = NULL;
			hub_unregister(&x->waiter);
			finish(x, SRV_E_OK); /* the last (empty) answer stands */
		}
		push_tick(now);
		usleep(100 * 1000);
	}
	return NULL;
}

/* ---- the request head ----------------------------------------------------------------------------------- */

/*
 * Every request head is checked before anything else looks at it: before the CORS preflight, the route and
 * every framing decision of posternd's own. A head that fails is answered 400 with `Connection: close`, so
 * nothing after it on the connection (a body libmicrohttpd framed differently from a proxy, a request hidden
 * behind a bare CR or a NUL) is ever read as a request.
 *
 * The rules (RFC 9110 5.1, 5.5; RFC 9112 2.2, 3, 5): the method and every field name are tokens; a field
 * value has no control byte but HTAB (no CR, LF, NUL, DEL, ...); the request-target is visible ASCII with no
 * escaped control byte (%00-%1F, %7F); lines end in CRLF; no line is folded; HTTP/1.1 has exactly one Host.
 *
 * libmicrohttpd 0.9.75 hands field values over as C strings, and the sizes it reports are strlen()s taken at
 * parse time: a NUL inside a value cuts the value there for its own framing (Content-Length "0\0" + digits
 * reads as 0) and for every lookup. What it does keep is the head, in place, in one buffer: each line's name
 * and value point into it, with the CR and LF turned into NULs. So a line is where it should be exactly when
 * it starts two bytes after the previous line's value ends, and the head ends two bytes after the last
 * line; a NUL inside a line, a bare LF or a folded line (copied elsewhere) shows as a line that is not where
 * the bytes before it say. The comparison uses only the pointers and sizes libmicrohttpd reports, reads no
 * byte outside the strings it returned, and is on only for the release it was written against (http_start);
 * with another release the content rules above still hold, and docs/deploy.md says what a proxy adds.
 */

/* RFC 9110 5.6.2 tchar. */
static int is_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

/* A field value byte: HTAB, SP, VCHAR or obs-text; never another control byte or DEL. */
static int is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * libmicrohttpd's URI log callback: it runs once per request, on the request-target as it came, before
 * libmicrohttpd splits off the query and decodes it in place. The exchange starts here (it becomes the
 * request's con_cls); on_request checks what was recorded. NULL (out of memory) makes on_request close.
 */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct exchange *x = calloc(1, sizeof(*x));
	size_t i;
	(void)cls;
	(void)conn;
	if (x == NULL)
		return NULL;
	if (uri == NULL) {
		x->target_bad = 1;
		return x;
	}
	x->target_len = strlen(uri);
	for (i = 0; i < x->target_len; i++) {
		unsigned char c = (unsigned char)uri[i];
		if (c <= 0x20 || c >= 0x7f)
			x->target_bad = 1;
		else if (c == '%' && i + 2 < x->target_len && hexval(uri[i + 1]) >= 0 && hexval(uri[i + 2]) >= 0) {
			int v = hexval(uri[i + 1]) * 16 + hexval(uri[i + 2]);
			if (v < 0x20 || v == 0x7f)
				x->target_bad = 1;
		}
	}
	return x;
}

struct head_walk {
	const char *next;  /* where the next line must start (layout check), NULL: unchecked */
	int hosts;         /* Host fields seen */
	const char *why;   /* the first problem, NULL: none */
};

static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
				  size_t value_size)
{
	struct head_walk *w = cls;
	size_t i;
	(void)kind;
	if (key_size == 0)
		w->why = "a header line with an empty name";
	for (i = 0; i < key_size && w->why == NULL; i++)
		if (!is_tchar((unsigned char)key[i]))
			w->why = "a header name with a space, a control byte or a separator in it";
	for (i = 0; value && i < value_size && w->why == NULL; i++)
		if (!is_field_byte((unsigned char)value[i]))
			w->why = "a header value with a control byte in it (CR, LF, NUL, DEL, ...)";
	if (w->why == NULL && w->next != NULL && key != w->next)
		w->why = "a header line with a NUL, a bare LF or a folded continuation";
	if (w->next != NULL)
		w->next = value ? value + value_size + 2 : NULL;
	if (key_size == 4 && strncasecmp(key, "Host", 4) == 0)
		w->hosts++;
	return w->why ? MHD_NO : MHD_YES;
}

/* The head of the request on conn, by the rules above. Returns NULL when it is sound, else why not. */
static const char *head_check(struct exchange *x, const char *url, const char *method, const char *version)
{
	struct head_walk w = {NULL, 0, NULL};
	size_t i, mlen = strlen(method), vlen = strlen(version);
	const union MHD_ConnectionInfo *size;

	if (x->target_bad)
		return "the request target has a space, a control byte or a non-ASCII byte in it";
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)method[i]))
			return "the method is not a token";
	if (H.head_layout) {
		/* METHOD SP TARGET SP VERSION CRLF, the target as on_target saw it */
		if (url != method + mlen + 1 || version != url + x->target_len + 1)
			return "a malformed request line (a NUL, or more than one space)";
		w.next = version + vlen + 2;
	}
	MHD_get_connection_values_n(x->conn, MHD_HEADER_KIND, head_field, &w);
	if (w.why)
		return w.why;
	if (H.head_layout) {
		size = MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
		if (size == NULL || w.next == NULL || method + size->header_size != w.next + 2)
			return "a header line with a NUL, a bare LF or a folded continuation";
	}
	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 ? w.hosts != 1 : w.hosts > 1)
		return "an HTTP/1.1 request needs exactly one Host header";
	return NULL;
}

/* Trailer fields of a chunked body: the same content rules (they arrive after the head). */
static const char *trailer_check(struct MHD_Connection *conn)
{
	struct head_walk w = {NULL, 0, NULL};
	MHD_get_connection_values_n(conn, MHD_FOOTER_KIND, head_field, &w);
	return w.why;
}

/* ---- request intake ----------------------------------------------------------------------------------- */

struct header_scan {
	int content_length, transfer_encoding;
};

/* Whether the header named name (a literal) is key of key_size bytes, in any case. */
#define HEADER_IS(key, key_size, name) ((key_size) == sizeof(name) - 1 && strncasecmp((key), (name), sizeof(name) - 1) == 0)

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	struct header_scan *hs = cls;
	(void)kind;
	(void)value;
	(void)value_size;
	if (HEADER_IS(key, key_size, "Content-Length"))
		hs->content_length++;
	else if (HEADER_IS(key, key_size, "Transfer-Encoding"))
		hs->transfer_encoding++;
	return MHD_YES;
}

/* The value of header name (one that head_check let through, so no NUL inside), with its size; NULL when absent. */
static const char *header_value(struct MHD_Connection *conn, const char *name, size_t *len)
{
	const char *v = NULL;
	size_t n = 0;
	if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, name, strlen(name), &v, &n) != MHD_YES || v == NULL)
		return NULL;
	*len = n;
	return v;
}

/* A query parameter, decoded by libmicrohttpd with its size: one with a control byte (an escaped NUL that
 * strlen would cut) is refused like a repeated one. */
static enum MHD_Result scan_query(void *cls, enum MHD_ValueKind kind, const char *key, size_t kl, const char *value,
				  size_t vl)
{
	struct exchange *x = cls;
	struct req *rq = x->rq;
	char *block;
	size_t j;
	int i;
	(void)kind;
	if (value == NULL)
		vl = 0;
	for (j = 0; j < kl; j++)
		if ((unsigned char)key[j] < 0x20 || key[j] == 0x7f)
			x->early_status = 400;
	for (j = 0; j < vl; j++)
		if ((unsigned char)value[j] < 0x20 || value[j] == 0x7f)
			x->early_status = 400;
	for (i = 0; i < rq->nquery; i++)
		if (strlen(rq->query[i].key) == kl && memcmp(rq->query[i].key, key, kl) == 0)
			break;
	if (x->early_status || rq->nquery >= REQ_MAX_QUERY || kl >= REQ_QUERY_KEY_LEN || vl >= REQ_QUERY_VAL_LEN ||
	    i < rq->nquery) {
		x->early_status = 400; /* a control byte, too many, too long, or repeated */
		return MHD_NO;
	}
	block = malloc(kl + vl + 2);
	if (block == NULL) {
		x->early_status = 400;
		return MHD_NO;
	}
	memcpy(block, key, kl);
	block[kl] = '\0';
	if (vl)
		memcpy(block + kl + 1, value, vl);
	block[kl + 1 + vl] = '\0';
	rq->query[rq->nquery].key = block;
	rq->query[rq->nquery].val = block + kl + 1;
	rq->nquery++;
	return MHD_YES;
}

/* One (piece of a) form field from libmicrohttpd's form parser. */
static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
				  const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
				  size_t size)
{
	struct exchange *x = cls;
	struct req *rq = x->rq;
	int i;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	for (i = 0; i < rq->nform; i++)
		if (strcmp(rq->form[i].key, key) == 0)
			break;
	if (i == rq->nform) {
		if (off != 0)
			return MHD_YES;
		if (rq->nform >= REQ_MAX_FORM || strlen(key) >= 64 || (rq->form[i].key = strdup(key)) == NULL) {
			x->form_bad = 1;
			return MHD_NO;
		}
		rq->form[i].val = NULL;
		rq->form[i].len = 0;
		rq->nform++;
	} else if (off == 0) { /* a repeated parameter is refused (RFC 6749 3.1) */
		x->form_bad = 2;
		return MHD_NO;
	}
	if (rq->form[i].len + size > REQ_FORM_VAL_LEN) {
		x->form_bad = 1;
		return MHD_NO;
	}
	{
		char *nv = realloc(rq->form[i].val, rq->form[i].len + size + 1);
		if (nv == NULL)
			return MHD_NO;
		memcpy(nv + rq->form[i].len, data, size);
		rq->form[i].len += size;
		nv[rq->form[i].len] = '\0';
		rq->form[i].val = nv;
	}
	return MHD_YES;
}

/* Copy the n bytes of v into dst (cap bytes) as a string when they fit and hold no NUL; else leave dst "". */
static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (v != NULL && n < cap && memchr(v, '\0', n) == NULL) {
		memcpy(dst, v, n);
		dst[n] = '\0';
	}
}

/* A cookie's value with its size; NULL when absent. */
static const char *cookie_value(struct MHD_Connection *conn, const char *name, size_t *len)
{
	const char *v = NULL;
	if (MHD_lookup_connection_value_n(conn, MHD_COOKIE_KIND, name, strlen(name), &v, len) != MHD_YES)
		return NULL;
	return v;
}

static void read_credentials(struct exchange *x)
{
	size_t cookie_len = 0, login_len = 0, auth_len = 0, lei_len = 0;
	const char *cookie = cookie_value(x->conn, "postern_session", &cookie_len);
	const char *login = cookie_value(x->conn, "postern_login", &login_len);
	const char *auth = header_value(x->conn, "Authorization", &auth_len);
	const char *lei = header_value(x->conn, "Last-Event-ID", &lei_len);
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(x->conn, &pass);

	copy_value(x->rq->login_cookie, sizeof(x->rq->login_cookie), login, login_len);
	copy_value(x->rq->cookie, sizeof(x->rq->cookie), cookie, cookie_len);
	if (user) {
		if (strlen(user) < sizeof(x->rq->basic_user) && pass && strlen(pass) < sizeof(x->rq->basic_pass)) {
			x->rq->basic_present = 1;
			snprintf(x->rq->basic_user, sizeof(x->rq->basic_user), "%s", user);
			snprintf(x->rq->basic_pass, sizeof(x->rq->basic_pass), "%s", pass);
			/* RFC 6749 2.3.1: both are form-urlencoded inside Basic */
			MHD_http_unescape(x->rq->basic_user);
			MHD_http_unescape(x->rq->basic_pass);
		}
		MHD_free(user);
	}
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (auth) {
		x->rq->bearer_present = 1;
		if (auth_len >= 7 && strncasecmp(auth, "Bearer ", 7) == 0)
			copy_value(x->rq->bearer, sizeof(x->rq->bearer), auth + 7, auth_len - 7);
		else if (auth_len >= 6 && strncasecmp(auth, "Basic ", 6) == 0)
			x->rq->bearer_present = 0; /* client authentication, not a bearer credential */
	}
	copy_value(x->rq->last_event_id, sizeof(x->rq->last_event_id), lei, lei_len);
}

/* The last X-Forwarded-For value (the one the proxy added), with its size. */
static enum MHD_Result last_forwarded(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				      const char *value, size_t value_size)
{
	const char **out = cls;
	(void)kind;
	if (HEADER_IS(key, key_size, "X-Forwarded-For")) {
		out[0] = value;
		out[1] = value + value_size;
	}
	return MHD_YES;
}

/*
 * The client's address into rq->client_addr, for per-address limits: the peer's, or behind a proxy (see
 * http_start) the last entry of the last X-Forwarded-For header, which is what the proxy saw (docs/deploy.md
 * has nginx set it); a missing or malformed one falls back to the peer, the proxy itself. An IPv6 address
 * is cut to its /64 (one host usually holds the whole /64).
 */
static void client_address(struct exchange *x)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char bin[16];
	char text[64] = "";
	int family = 0;

	if (H.behind_proxy) {
		const char *span[2] = {NULL, NULL};
		MHD_get_connection_values_n(x->conn, MHD_HEADER_KIND, last_forwarded, span);
		if (span[0]) {
			const char *a = span[1];
			size_t n;
			while (a > span[0] && a[-1] != ',')
				a--;
			while (a < span[1] && (*a == ' ' || *a == '\t'))
				a++;
			n = (size_t)(span[1] - a);
			while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
				n--;
			if (n > 0 && n < sizeof(text)) {
				memcpy(text, a, n);
				text[n] = '\0';
				family = inet_pton(AF_INET, text, bin) == 1 ? AF_INET : inet_pton(AF_INET6, text, bin) == 1 ? AF_INET6 : 0;
			}
		}
	}
	if (family == 0 && ci && ci->client_addr) {
		if (ci->client_addr->sa_family == AF_INET) {
			memcpy(bin, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, 4);
			family = AF_INET;
		} else if (ci->client_addr->sa_family == AF_INET6) {
			memcpy(bin, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, 16);
			family = AF_INET6;
		}
	}
	if (family == AF_INET6)
		memset(bin + 8, 0, 8);
	if (family == 0 || inet_ntop(family, bin, x->rq->client_addr, sizeof(x->rq->client_addr)) == NULL)
		snprintf(x->rq->client_addr, sizeof(x->rq->client_addr), "unknown");
}

/* First call for a request: checks that need only the headers. Returns an error to send now, or OK. */
static enum srv_err intake(struct exchange *x, const char *url, const char *method, const char **detail)
{
	struct header_scan hs = {0, 0};
	const char *cl, *ct, *te;
	size_t cl_len = 0, ct_len = 0, te_len = 0;
	int status = 0;

	*detail = NULL;
	MHD_get_connection_values_n(x->conn, MHD_HEADER_KIND, scan_header, &hs);
	if (hs.content_length > 1) {
		*detail = "more than one Content-Length header";
		return SRV_E_BAD_REQUEST;
	}
	if (hs.content_length && hs.transfer_encoding) {
		*detail = "Content-Length together with Transfer-Encoding";
		return SRV_E_BAD_REQUEST;
	}
	x->rq->route = routes_match(method, url, x->rq, &status);
	if (x->rq->route == NULL) {
		if (status == 405)
			return SRV_E_METHOD_NOT_ALLOWED;
		if (status == 400) {
			*detail = "a path segment is too long";
			return SRV_E_BAD_REQUEST;
		}
		return SRV_E_NOT_FOUND;
	}
	MHD_get_connection_values_n(x->conn, MHD_GET_ARGUMENT_KIND, scan_query, x);
	if (x->early_status) {
		*detail = "too many, too long or repeated query parameters, or one with a control byte";
		return SRV_E_BAD_REQUEST;
	}
	if (hs.transfer_encoding) { /* only plain chunked: anything else is how requests get smuggled */
		te = header_value(x->conn, "Transfer-Encoding", &te_len);
		if (hs.transfer_encoding > 1 || te == NULL || !HEADER_IS(te, te_len, "chunked")) {
			*detail = "Transfer-Encoding other than a single 'chunked'";
			return SRV_E_BAD_REQUEST;
		}
	}
	cl = header_value(x->conn, "Content-Length", &cl_len);
	if (cl) {
		int64_t n = 0;
		/* digits only: no sign, no space (strtoull would take "+2" and " -1") */
		if (strnum_parse_i64(cl, cl_len, 0, INT64_MAX, &n) != 0 && !(cl_len > 0 && strspn(cl, "0") == cl_len)) {
			*detail = "bad Content-Length";
			return SRV_E_BAD_REQUEST;
		}
		if (n > H.cfg->max_request_bytes)
			return SRV_E_TOO_LARGE;
	}
	ct = header_value(x->conn, "Content-Type", &ct_len);
	if (x->rq->route->flags & ROUTE_JSON_BODY) {
		if (ct == NULL || ct_len < 16 || strncasecmp(ct, "application/json", 16) != 0 || (ct_len > 16 && ct[16] != ';'))
			return SRV_E_UNSUPPORTED_MEDIA;
	}
	if (x->rq->route->flags & ROUTE_FORM_BODY) {
		if (ct == NULL || ct_len < 33 || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
		    (ct_len > 33 && ct[33] != ';')) {
			*detail = "the body must be application/x-www-form-urlencoded";
			return SRV_E_UNSUPPORTED_MEDIA;
		}
		x->pp = MHD_create_post_processor(x->conn, 4096, form_field, x);
		if (x->pp == NULL)
			return SRV_E_BAD_REQUEST;
	}
	read_credentials(x);
	client_address(x);
	return SRV_E_OK;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct exchange *x = *con_cls;
	(void)cls;

	if (x == NULL) /* on_target had no memory */
		return MHD_NO;
	answering_cors = x->cors;
	if (x->conn == NULL) { /* the first call: the head is in */
		const char *detail = NULL;
		char methods[64];
		enum srv_err e;
		x->conn = conn;
		x->started = timefmt_mono_ms();
		if ((x->rq = calloc(1, sizeof(*x->rq))) == NULL)
			return MHD_NO;
		x->rq->cfg = H.cfg;
		x->rq->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
		if ((detail = head_check(x, url, method, version)) != NULL) {
			x->state = X_READY;
			x->early_status = 1;
			return queue_error(conn, SRV_E_BAD_REQUEST, detail, 0, 1);
		}
		if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0 && routes_cors_methods(url, methods, sizeof(methods)) > 0) {
			x->cors = answering_cors = 1;
			x->state = X_READY;
			x->early_status = 1;
			return queue_preflight(conn, methods);
		}
		e = intake(x, url, method, &detail);
		if (x->rq->route && (x->rq->route->flags & ROUTE_CORS))
			x->cors = answering_cors = 1;
		if (e != SRV_E_OK) {
			x->state = X_READY;
			x->err = e;
			x->early_status = 1;
			/* refuse before reading a body we will not use; the connection closes after */
			if (x->rq->route && (x->rq->route->flags & ROUTE_OAUTH))
				return queue_oauth_error(conn, error_status(e), detail ? detail : error_message(e));
			if (x->rq->route && (x->rq->route->flags & ROUTE_HTML))
				return queue_page_error(conn, e, detail);
			return queue_error(conn, e, detail, 0, 1);
		}
		return MHD_YES;
	}
	if (x->state == X_RECEIVING && *upload_size > 0 && x->pp) {
		x->body_len += *upload_size;
		if (x->body_len > (size_t)H.cfg->max_request_bytes)
			x->body_too_large = 1;
		else if (!x->form_bad && MHD_post_process(x->pp, upload_data, *upload_size) != MHD_YES && !x->form_bad)
			x->form_bad = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->state == X_RECEIVING && *upload_size > 0) {
		size_t n = *upload_size;
		if (!x->body_too_large) {
			if (x->body_len + n > (size_t)H.cfg->max_request_bytes) {
				x->body_too_large = 1;
			} else {
				char *nb = realloc(x->body, x->body_len + n + 1);
				if (nb == NULL)
					return MHD_NO;
				x->body = nb;
				memcpy(x->body + x->body_len, upload_data, n);
				x->body_len += n;
				x->body[x->body_len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->state == X_RECEIVING) {
		char err[160] = "";
		enum srv_err e = SRV_E_OK;
		const char *bad_trailer = trailer_check(conn);
		if (bad_trailer) {
			e = SRV_E_BAD_REQUEST;
			snprintf(err, sizeof(err), "%s (a trailer)", bad_trailer);
		} else if (x->body_too_large)
			e = SRV_E_TOO_LARGE;
		else if (x->form_bad) {
			e = SRV_E_BAD_REQUEST;
			snprintf(err, sizeof(err), x->form_bad == 2 ? "a form parameter is repeated" : "too many or too long form fields");
		} else if (x->rq->route->flags & ROUTE_JSON_BODY) {
			if (x->body_len == 0) {
				e = SRV_E_INVALID_JSON;
				snprintf(err, sizeof(err), "a JSON object body is required");
			} else
				e = jsonv_parse(x->body, x->body_len, (int)H.cfg->json_max_depth, &x->rq->body, err, sizeof(err));
		}
		free(x->body);
		x->body = NULL;
		if (e != SRV_E_OK) {
			x->state = X_READY;
			x->early_status = 1; /* answered here; nothing more to queue */
			if (x->rq->route->flags & ROUTE_OAUTH) /* RFC 6749 5.2 */
				return queue_oauth_error(conn, error_status(e), err[0] ? err : error_message(e));
			return queue_error(conn, e, err, 0, x->body_too_large || bad_trailer != NULL);
		}
		x->state = X_RUNNING;
		MHD_suspend_connection(conn);
		job_submit(x);
		return MHD_YES;
	}
	if (x->state == X_READY && !x->early_status) {
		x->early_status = 1; /* queue once */
		return queue_result(x);
	}
	*upload_size = 0; /* already answered: discard whatever else arrives */
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (x == NULL)
		return;
	if (x->rq && x->rq->route)
		log_debug("%s %s %lldms", x->rq->route->method, x->rq->route->path,
			  (long long)(timefmt_mono_ms() - x->started));
	if (x->pp)
		MHD_destroy_post_processor(x->pp);
	if (x->rq) {
		req_release(x->rq);
		free(x->rq);
	}
	free(x->body);
	free(x);
	*con_cls = NULL;
}

int http_start(const struct config *cfg, struct bus *bus)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	H.cfg = cfg;
	H.bus = bus;
#if MHD_VERSION == 0x00097500
	H.head_layout = strcmp(MHD_get_version(), "0.9.75") == 0;
#endif
	if (cfg->public_url[0]) { /* a proxy is in front unless the public URL is posternd's own address */
		char own[96];
		snprintf(own, sizeof(own), "http://%s:", cfg->listen);
		H.behind_proxy = strncmp(cfg->public_url, own, strlen(own)) != 0;
	}
	if (!H.head_layout)
		log_warn("libmicrohttpd %s: the request-head layout check is written for 0.9.75 and is off;"
			 " put a proxy in front (docs/deploy.md)", MHD_get_version());
	pthread_mutex_init(&H.park_lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->listen, &sa.sin_addr) != 1) {
		log_error("--listen: '%s' is not an IPv4 address", cfg->listen);
		return -1;
	}
	H.daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->conn_memory,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_target, NULL,
		MHD_OPTION_STRICT_FOR_CLIENT, 0, /* Host and spaces in the target: head_check, answered in JSON */
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_END);
	if (H.daemon == NULL) {
		log_error("cannot listen on %s:%lld", cfg->listen, (long long)cfg->port);
		return -1;
	}
	info = MHD_get_daemon_info(H.daemon, MHD_DAEMON_INFO_BIND_PORT);
	pthread_create(&H.timer, NULL, timer_main, NULL);
	return info ? info->port : (int)cfg->port;
}

void http_stop(void)
{
	struct exchange *x, *next;
	if (H.daemon == NULL)
		return;
	H.stopping = 1;
	pthread_join(H.timer, NULL);
	push_close_all();
	pthread_mutex_lock(&H.park_lock);
	x = H.parked;
	H.parked = NULL;
	pthread_mutex_unlock(&H.park_lock);
	for (; x; x = next) {
		next = x->pnext;
		hub_unregister(&x->waiter);
		x->state = X_RUNNING;
		finish(x, SRV_E_OK);
	}
	usleep(300 * 1000); /* let resumed connections send their last bytes */
	MHD_stop_daemon(H.daemon);
	H.daemon = NULL;
}
