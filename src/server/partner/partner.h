/*
 * partner.h — domain helpers shared by the OAuth server, the partner Inbox API and the person's pages:
 * pairwise ids, the access log, the issuer URL and grant lifetimes.
 */
#ifndef POSTERN_PARTNER_H
#define POSTERN_PARTNER_H

#include "req.h"

struct route;

#define PARTNER_PAIRWISE_LEN 28 /* "p_" + 22 chars + NUL, with room */

/* The issuer (the server's base URL, no trailing slash), set once at start-up. */
void partner_set_issuer(const char *url);
const char *partner_issuer(void);

/* The pairwise id of user for app: stable, different for every app, unlinkable without the server key. */
void partner_pairwise(int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN]);

/* partner_pairwise, and remember the mapping so the app can name that user later. Writer only. */
enum srv_err partner_pairwise_put(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN]);

/*
 * The access log: every call made with a partner access token that names a person (a live grant) is exactly
 * one line in that person's log — allowed or refused, whatever refused it. partner_call_begin, called by
 * auth once the token is resolved, prepares that line as a refusal ("denied:ACTION") in rq->attempt; the
 * HTTP layer writes a prepared line in a transaction of its own right after the call (the call's own was
 * rolled back, or it ran on a reader). A handler that succeeds replaces it: partner_log writes the line in
 * the call's transaction and drops the prepared one, partner_log_after (reads) prepares the line it wants.
 * A refusal with a known cause replaces it with a more telling one (partner_call_refused,
 * partner_log_attempt). A call whose whole group commit failed leaves no line, as it left no change.
 */

/* Why a partner call was refused, for its line: "denied:ACTION" and the more specific ones. */
enum partner_refusal {
	PARTNER_REFUSED,       /* not found, bad input, anything else: "denied:ACTION" */
	PARTNER_REFUSED_SCOPE, /* the token's grant lacks the route's scope (403): "denied.scope:ACTION" */
	PARTNER_REFUSED_ROUTE, /* a route that takes no app token, e.g. the person's own (401): "denied.route:METHOD PATH" */
	PARTNER_REFUSED_RATE   /* over the agreement's rate (429): "denied.rate:ACTION" */
};

/* The access-log action of a partner route ("shares.send"), or NULL for a route that is not one. */
const char *partner_call_action(const struct route *r);

/* Prepare the call's line as a plain refusal (see above). For rq->cred == CRED_APP only; else nothing. */
void partner_call_begin(struct req *rq);

/*
 * Prepare the line of a call refused for why. rq's user, app and grant must be resolved from its access
 * token (for PARTNER_REFUSED_ROUTE, auth resolves them only to say so; rq->cred need not be CRED_APP).
 */
void partner_call_refused(struct req *rq, enum partner_refusal why, const char *thread_public);

/*
 * Append an access-log entry for the person of rq's grant (CRED_APP), in the current transaction:
 * action (e.g. "shares.send"), the thread and message touched (public ids or NULL), and an item count.
 * Call it last: the prepared line is dropped, so a handler that fails after it leaves none.
 */
enum srv_err partner_log(struct req *rq, const char *action, const char *thread_public, const char *message_public, int64_t count);

/* Prepare an access-log entry for a refused call ("denied:ACTION"); the HTTP layer writes it. */
void partner_log_attempt(struct req *rq, const char *action, const char *thread_public);

/*
 * Prepare an access-log entry for a read that ran on a reader (the app's sync and event stream, which
 * cannot write): the HTTP layer writes it right after, in a transaction of its own. A long-poll that is
 * run again after waiting keeps the line of its first run (one line per call).
 */
void partner_log_after(struct req *rq, const char *action, int64_t count);

/*
 * Whether an app's credential is still good at now: the access token token_id neither revoked nor expired,
 * its grant neither revoked nor expired, its app neither suspended nor deleted. SRV_E_OK, SRV_E_UNAUTHORIZED,
 * or a storage error. Read-only. For the reads that authenticate once and then live on (a long-poll woken
 * again, an event stream).
 */
enum srv_err partner_credential_live(const struct store_ops *ops, struct store_conn *c, int64_t token_id, int64_t now);

/* ---- the name an app shows for a person ---- */

#define PARTNER_ALIAS_MAX 40 /* bytes of UTF-8 */
#define PARTNER_ALIAS_LEN 64

/*
 * The name app shows for user: the alias that person chose for that app, or else a default made from a
 * keyed hash of (app, user) ("Postern user K7QX2M"), so that two apps cannot join their people by name.
 * Never the username. *chosen (optional) says which. Read-only; SRV_E_OK or a storage error.
 */
enum srv_err partner_alias(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_ALIAS_LEN], int *chosen);

/*
 * Check an alias a person asks for: 1 to PARTNER_ALIAS_MAX bytes, no control characters, not blank, and not
 * their username (in any case). SRV_E_OK, or SRV_E_INVALID_FIELD with the reason in rq->errmsg.
 */
enum srv_err partner_alias_check(struct req *rq, const char *alias);

/* A message as an app sees it: the sender as a pairwise id, never a user id. New reference. */
json_t *partner_view_message(int64_t app_id, const struct store_message *m);

/*
 * For an app's event stream: 1 when the person's event e may be shown to the app of rq (CRED_APP), with
 * *out set to the event as the app sees it (new reference); 0 to skip it. Read-only.
 */
int partner_event_view(struct req *rq, const struct store_event *e, json_t **out);

/* 1 when the grant of rq (CRED_APP) may use thread: an app thread of this grant, within its details. */
int partner_thread_allowed(struct req *rq, int64_t thread_id, const char *thread_public, const char *action);

/*
 * End grant g, for whatever cause: every token and the app device end at once, the other members of its
 * threads get thread.app_revoked, the person's access log says why (action: "grant.revoked" when the
 * person disconnected the app, "grant.revoked.code_replay", "grant.revoked.refresh_reuse",
 * "grant.revoked.by_app"), and the person's waiters are woken so that the app's open streams and
 * long-polls end. A grant already revoked is left as it is. In the current transaction; rq need not be the
 * person's request (the token endpoint ends grants too). SRV_E_OK or a storage error.
 */
enum srv_err partner_grant_end(struct req *rq, const struct store_grant *g, const char *action);

/* partner_grant_end(rq, g, "grant.revoked"): the person disconnected the app (their DELETE
 * /v1/me/grants/{id}, their page, a signed revocation of its app device). */
enum srv_err partner_grant_revoke(struct req *rq, const struct store_grant *g);

#endif
