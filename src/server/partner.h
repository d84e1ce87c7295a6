/*
 * partner.h — domain helpers shared by the OAuth server, the partner Inbox API and the person's pages:
 * pairwise ids, the access log, the issuer URL and grant lifetimes.
 */
#ifndef POSTERN_PARTNER_H
#define POSTERN_PARTNER_H

#include "req.h"

#define PARTNER_PAIRWISE_LEN 28 /* "p_" + 22 chars + NUL, with room */

/* The issuer (the server's base URL, no trailing slash), set once at start-up. */
void partner_set_issuer(const char *url);
const char *partner_issuer(void);

/* The pairwise id of user for app: stable, different for every app, unlinkable without the server key. */
void partner_pairwise(int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN]);

/* partner_pairwise, and remember the mapping so the app can name that user later. Writer only. */
enum pst_err partner_pairwise_put(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN]);

/*
 * Append an access-log entry for the person of rq's grant (CRED_APP), in the current transaction:
 * action (e.g. "shares.send"), the thread and message touched (public ids or NULL), and an item count.
 */
enum pst_err partner_log(struct req *rq, const char *action, const char *thread_public, const char *message_public, int64_t count);

/* Prepare an access-log entry for a refused call; the HTTP layer writes it in its own transaction. */
void partner_log_attempt(struct req *rq, const char *action, const char *thread_public);

/*
 * Prepare an access-log entry for a read that ran on a reader (the app's sync and event stream, which
 * cannot write): the HTTP layer writes it right after, in a transaction of its own.
 */
void partner_log_after(struct req *rq, const char *action, int64_t count);

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
 * Revoke grant g of rq's user (the person's DELETE /v1/me/grants/{id}, their page, a signed revocation of
 * its app device): every token and the app device end at once, the other members of its threads get
 * thread.app_revoked, and the person's access log says so; the person's streams are woken. A grant
 * already revoked is left as it is. In the current transaction; PST_E_OK or a storage error.
 */
enum pst_err partner_grant_revoke(struct req *rq, const struct store_grant *g);

#endif
