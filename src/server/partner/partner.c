/*
 * partner.c — what the partner platform's handlers share (see partner.h): pairwise ids and the names apps
 * show for people, the access log with its one line per partner call, the issuer, what an app may see of
 * the person's events, whether an app's credential is still good, and ending a grant. Domain logic over the
 * storage interface: no SQL, no HTTP.
 */
#include "partner.h"

#include "auth.h"
#include "b64url.h"
#include "events.h"
#include "routes.h"
#include "tlog.h"
#include "views.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "banned.h" /* last: bans footguns in this file only */

static char issuer[256];

void partner_set_issuer(const char *url)
{
	size_t n;
	snprintf(issuer, sizeof(issuer), "%s", url);
	n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		issuer[--n] = '\0';
}

const char *partner_issuer(void)
{
	return issuer;
}

void partner_pairwise(int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN])
{
	int64_t pair[2] = {app_id, user_id};
	unsigned char h[32];
	char text[48];
	auth_keyed_hash("pairwise", pair, sizeof(pair), h);
	b64url_encode(h, 16, text, sizeof(text));
	snprintf(out, PARTNER_PAIRWISE_LEN, "p_%.22s", text);
}

enum srv_err partner_pairwise_put(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN])
{
	partner_pairwise(app_id, user_id, out);
	return rq->ops->pairwise_put(rq->db, app_id, user_id, out);
}

/* ---- the access log ---- */

/* The access-log action of each partner route: the line of a call names what the app did or tried. */
static const struct {
	const char *method, *path, *action;
} call_actions[] = {
	{"GET", "/v1/partner/friends", "friends.list"},
	{"POST", "/v1/partner/shares", "shares.send"},
	{"POST", "/v1/partner/threads", "threads.open"},
	{"GET", "/v1/partner/threads", "threads.list"},
	{"GET", "/v1/partner/threads/{id}/messages", "messages.read"},
	{"DELETE", "/v1/partner/threads/{id}/messages/{message_id}", "messages.delete"},
	{"POST", "/v1/partner/devices", "devices.register"},
	{"POST", "/v1/partner/to-device", "keys.share"},
	{"POST", "/v1/partner/keys", "keys.upload"},
	{"GET", "/v1/partner/keys", "keys.count"},
	{"POST", "/v1/partner/keys/claim", "keys.claim"},
	{"GET", "/v1/partner/sync", "events.read"},
	{"GET", "/v1/partner/events", "events.stream"},
};

const char *partner_call_action(const struct route *r)
{
	size_t i;
	for (i = 0; r && i < sizeof(call_actions) / sizeof(call_actions[0]); i++)
		if (strcmp(call_actions[i].method, r->method) == 0 && strcmp(call_actions[i].path, r->path) == 0)
			return call_actions[i].action;
	return NULL;
}

static void fill_entry(struct req *rq, struct store_access_entry *e, const char *action, const char *thread_public,
		       const char *message_public, int64_t count)
{
	memset(e, 0, sizeof(*e));
	e->user_id = rq->user.id;
	e->app_id = rq->app ? rq->app->id : 0;
	e->grant_id = rq->grant ? rq->grant->id : 0;
	if (rq->grant) /* as the person sees the line: the transparency log commits to that (tlog.c) */
		snprintf(e->grant_public_id, sizeof(e->grant_public_id), "%s", rq->grant->public_id);
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->thread_public_id, sizeof(e->thread_public_id), "%s", thread_public ? thread_public : "");
	snprintf(e->message_public_id, sizeof(e->message_public_id), "%s", message_public ? message_public : "");
	e->count = count;
	e->at = rq->now;
}

enum srv_err partner_log(struct req *rq, const char *action, const char *thread_public, const char *message_public, int64_t count)
{
	struct store_access_entry e;
	enum srv_err rc;
	fill_entry(rq, &e, action, thread_public, message_public, count);
	rc = rq->ops->access_insert(rq->db, &e);
	if (rc == SRV_E_OK) /* each line also in the transparency log, as the person's keyed commitment */
		rc = tlog_append_access(rq->ops, rq->db, &e);
	if (rc == SRV_E_OK && rq->grant)
		rc = rq->ops->grant_touch(rq->db, rq->grant->id, rq->now);
	if (rc == SRV_E_OK && rq->cred == CRED_APP)
		rq->has_attempt = 0; /* this call's line is in its own transaction */
	return rc;
}

/* The thread a call names in its path, if any (/v1/partner/threads/{id}/...). */
static const char *call_thread(const struct req *rq)
{
	return rq->route && strncmp(rq->route->path, "/v1/partner/threads/{id}", 24) == 0 && rq->nparams > 0 ? rq->params[0] : NULL;
}

void partner_call_refused(struct req *rq, enum partner_refusal why, const char *thread_public)
{
	static const char *const prefix[] = {"denied:", "denied.scope:", "denied.route:", "denied.rate:"};
	const char *action = partner_call_action(rq->route);
	char what[40];
	if (rq->app == NULL || rq->grant == NULL || rq->user.id == 0)
		return;
	if (action)
		snprintf(what, sizeof(what), "%s%s", prefix[why], action);
	else /* a route apps may not call: say which ("denied.route:GET /threads/{id}"), cut to fit */
		snprintf(what, sizeof(what), "%s%s %s", prefix[why], rq->route ? rq->route->method : "?",
			 rq->route ? rq->route->path + (strncmp(rq->route->path, "/v1/", 4) == 0 ? 3 : 0) : "?");
	fill_entry(rq, &rq->attempt, what, thread_public ? thread_public : call_thread(rq), NULL, 0);
	rq->has_attempt = 1;
}

void partner_call_begin(struct req *rq)
{
	if (rq->cred == CRED_APP)
		partner_call_refused(rq, PARTNER_REFUSED, NULL);
}

void partner_log_attempt(struct req *rq, const char *action, const char *thread_public)
{
	char what[40];
	if (rq->cred != CRED_APP)
		return;
	snprintf(what, sizeof(what), "denied:%s", action);
	fill_entry(rq, &rq->attempt, what, thread_public, NULL, 0);
	rq->has_attempt = 1;
}

void partner_log_after(struct req *rq, const char *action, int64_t count)
{
	if (rq->cred != CRED_APP)
		return;
	/* a long-poll run again after waiting: its line went out when it began to wait (the HTTP layer writes
	 * a prepared line after each run and clears has_attempt, leaving the entry as it was) */
	if (!rq->has_attempt && rq->attempt.at != 0)
		return;
	fill_entry(rq, &rq->attempt, action, NULL, NULL, count);
	rq->has_attempt = 1;
}

enum srv_err partner_credential_live(const struct store_ops *ops, struct store_conn *c, int64_t token_id, int64_t now)
{
	struct store_token t;
	struct store_grant g;
	struct store_app a;
	enum srv_err rc = ops->token_by_id(c, token_id, &t);
	if (rc == SRV_E_OK && (t.kind != STORE_TOKEN_ACCESS || t.revoked_at || t.expires_at <= now))
		rc = SRV_E_UNAUTHORIZED;
	if (rc == SRV_E_OK && (rc = ops->grant_by_id(c, t.grant_id, &g)) == SRV_E_OK && (g.revoked_at || g.expires_at <= now))
		rc = SRV_E_UNAUTHORIZED;
	if (rc == SRV_E_OK && (rc = ops->app_by_id(c, t.app_id, &a)) == SRV_E_OK && a.suspended)
		rc = SRV_E_UNAUTHORIZED;
	return rc == SRV_E_NOT_FOUND ? SRV_E_UNAUTHORIZED : rc;
}

/* ---- the name an app shows for a person ---- */

enum srv_err partner_alias(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_ALIAS_LEN], int *chosen)
{
	static const char digits[] = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"; /* 32 of them, no I L O U */
	int64_t pair[2] = {app_id, user_id};
	unsigned char h[32];
	char code[7];
	size_t i;
	enum srv_err rc = rq->ops->alias_get(rq->db, app_id, user_id, out, PARTNER_ALIAS_LEN);
	if (chosen)
		*chosen = rc == SRV_E_OK;
	if (rc != SRV_E_NOT_FOUND)
		return rc;
	/* the default: from a keyed hash of the pair, so it tells an app nothing its pairwise id does not */
	auth_keyed_hash("alias", pair, sizeof(pair), h);
	for (i = 0; i < 6; i++)
		code[i] = digits[h[i] & 31];
	code[6] = '\0';
	snprintf(out, PARTNER_ALIAS_LEN, "Postern user %s", code);
	return SRV_E_OK;
}

enum srv_err partner_alias_check(struct req *rq, const char *alias)
{
	const unsigned char *p;
	int visible = 0;
	if (alias == NULL || alias[0] == '\0' || strlen(alias) > PARTNER_ALIAS_MAX)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must be 1 to %d bytes", PARTNER_ALIAS_MAX);
	for (p = (const unsigned char *)alias; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must not contain control characters");
		if (*p != ' ')
			visible = 1;
	}
	if (!visible)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must not be blank");
	if (strcasecmp(alias, rq->user.username) == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must not be your username: apps could join what they know of you");
	return SRV_E_OK;
}

int partner_thread_allowed(struct req *rq, int64_t thread_id, const char *thread_public, const char *action)
{
	json_t *details, *d;
	json_error_t jerr;
	size_t i;
	int limited = 0, ok = 0;

	if (rq->ops->grant_thread_check(rq->db, rq->grant->id, thread_id) != SRV_E_OK)
		return 0;
	details = json_loads(rq->grant->details, 0, &jerr);
	json_array_foreach(details, i, d) {
		json_t *threads = json_object_get(d, "threads"), *t, *actions = json_object_get(d, "actions"), *a;
		size_t j, k;
		int act_ok = 0;
		limited = 1;
		json_array_foreach(actions, k, a)
			if (json_is_string(a) && strcmp(json_string_value(a), action) == 0)
				act_ok = 1;
		if (!act_ok)
			continue;
		json_array_foreach(threads, j, t)
			if (json_is_string(t) && strcmp(json_string_value(t), thread_public) == 0)
				ok = 1;
	}
	json_decref(details);
	return limited ? ok : 1;
}

json_t *partner_view_message(int64_t app_id, const struct store_message *m)
{
	char pw[PARTNER_PAIRWISE_LEN];
	json_t *v;
	partner_pairwise(app_id, m->sender_id, pw);
	v = json_pack("{s:s,s:s,s:I,s:s,s:s?,s:s,s:o,s:o,s:b,s:b}", "message_id", m->public_id, "thread_id", m->thread_public_id,
		      "seq", (json_int_t)m->seq, "sender", pw, "sender_device_id", m->sender_device ? m->sender_device_public_id : NULL,
		      "kind", m->kind, "body",
		      m->body ? json_stringn(m->body, m->body_len) : json_null(), "created_at", view_time(m->created_at), "deleted",
		      m->deleted_at != 0, "sent_by_this_app", m->app_id == app_id);
	if (v && m->item[0])
		json_object_set_new(v, "item", json_string(m->item));
	if (v && m->share_public_id[0])
		json_object_set_new(v, "share_id", json_string(m->share_public_id));
	return v;
}

struct one_message {
	struct store_message m;
	json_t *view;
	int64_t app_id;
};

static int take_message(void *arg, const struct store_message *m)
{
	struct one_message *o = arg;
	o->m = *m;
	o->m.body = NULL;
	o->view = partner_view_message(o->app_id, m);
	return 1;
}

/* 1 when the app may see what member wrote at time `at` in thread: the person's own messages, or a member's
 * written after they accepted the app. */
static int member_visible(struct req *rq, int64_t thread_id, int64_t member, int64_t at)
{
	int state = 0;
	int64_t since = 0;
	return member == rq->user.id ||
	       (rq->ops->app_consent_get(rq->db, thread_id, member, &state, &since) == SRV_E_OK && state == 1 && at >= since);
}

int partner_event_view(struct req *rq, const struct store_event *e, json_t **out)
{
	struct store_thread t;
	json_error_t jerr;
	json_t *data = NULL;
	const char *tid;
	char cur[24];

	*out = NULL;
	if (strcmp(e->type, "message.created") == 0) {
		struct one_message o = {.view = NULL, .app_id = rq->app->id};
		if (rq->ops->message_by_id(rq->db, e->ref_id, take_message, &o) != SRV_E_OK || o.view == NULL)
			return 0;
		if (rq->ops->thread_by_id_for_member(rq->db, o.m.thread_id, rq->user.id, &t) != SRV_E_OK ||
		    t.app_id != rq->app->id || !partner_thread_allowed(rq, t.id, t.public_id, "read") ||
		    !member_visible(rq, t.id, o.m.sender_id, o.m.created_at)) {
			json_decref(o.view);
			return 0;
		}
		data = json_pack("{s:o}", "message", o.view);
	} else if (strcmp(e->type, "to_device") == 0) {
		struct store_user u;
		char pw[PARTNER_PAIRWISE_LEN];
		const char *from;
		if (e->device_id == 0 || e->device_id != rq->session.device_id)
			return 0;
		data = json_loads(e->data, 0, &jerr);
		from = json_string_value(json_object_get(data, "from_user_id"));
		if (from == NULL || rq->ops->user_by_public(rq->db, from, &u) != SRV_E_OK) {
			json_decref(data);
			return 0;
		}
		partner_pairwise(rq->app->id, u.id, pw); /* the app knows people only by pairwise ids */
		json_object_set_new(data, "from_user_id", json_string(pw));
	} else if (strcmp(e->type, "message.deleted") == 0 || strcmp(e->type, "thread.app_consent") == 0 ||
		   strcmp(e->type, "thread.app_revoked") == 0) {
		data = json_loads(e->data, 0, &jerr);
		tid = json_string_value(json_object_get(data, "thread_id"));
		if (tid == NULL || rq->ops->thread_for_member(rq->db, tid, rq->user.id, &t) != SRV_E_OK ||
		    t.app_id != rq->app->id || !partner_thread_allowed(rq, t.id, t.public_id, "read")) {
			json_decref(data);
			return 0;
		}
		if (json_object_get(data, "user_id")) { /* a member as this app knows them */
			struct store_user u;
			char pw[PARTNER_PAIRWISE_LEN];
			if (rq->ops->user_by_public(rq->db, json_string_value(json_object_get(data, "user_id")), &u) != SRV_E_OK) {
				json_decref(data);
				return 0;
			}
			partner_pairwise(rq->app->id, u.id, pw);
			json_object_del(data, "user_id");
			json_object_set_new(data, "member", json_string(pw));
		}
	} else
		return 0;
	if (data == NULL)
		return 0;
	snprintf(cur, sizeof(cur), "%lld", (long long)e->seq);
	json_object_set_new(data, "cursor", json_string(cur));
	json_object_set_new(data, "type", json_string(e->type));
	json_object_set_new(data, "created_at", view_time(e->created_at));
	*out = data;
	return 1;
}

/* ---- ending a grant ---- */

struct tell {
	struct req *rq;
	const struct store_app *app;
	enum srv_err rc;
};

static int tell_thread(void *arg, const struct store_thread *t)
{
	struct tell *tl = arg;
	tl->rc = events_emit_members(tl->rq, t->id, "thread.app_revoked", 0,
				     json_pack("{s:s,s:s,s:s}", "thread_id", t->public_id, "client_id", tl->app->client_id, "name",
					       tl->app->name));
	return tl->rc != SRV_E_OK;
}

enum srv_err partner_grant_end(struct req *rq, const struct store_grant *g, const char *action)
{
	struct store_app app;
	struct tell tl = {rq, &app, SRV_E_OK};
	struct store_access_entry e;
	enum srv_err rc;

	if (g->revoked_at)
		return SRV_E_OK;
	rc = rq->ops->app_by_id(rq->db, g->app_id, &app);
	if (rc == SRV_E_OK)
		rc = rq->ops->grant_revoke(rq->db, g->id, rq->now);
	if (rc == SRV_E_OK) {
		struct store_grant ended = *g;
		ended.revoked_at = rq->now;
		rc = tlog_append_grant(rq->ops, rq->db, &ended, app.client_id, TLOG_GRANT_ENDED);
	}
	if (rc == SRV_E_OK)
		rc = rq->ops->grant_thread_list(rq->db, g->id, tell_thread, &tl, g->user_id);
	if (rc == SRV_E_OK)
		rc = tl.rc;
	if (rc == SRV_E_OK) { /* the person's log says why (rq may be the app's, at the token endpoint) */
		memset(&e, 0, sizeof(e));
		e.user_id = g->user_id;
		e.app_id = g->app_id;
		e.grant_id = g->id;
		snprintf(e.action, sizeof(e.action), "%s", action);
		snprintf(e.grant_public_id, sizeof(e.grant_public_id), "%s", g->public_id);
		e.at = rq->now;
		rc = rq->ops->access_insert(rq->db, &e);
		if (rc == SRV_E_OK)
			rc = tlog_append_access(rq->ops, rq->db, &e);
	}
	req_notify(rq, g->user_id); /* the app's open streams and long-polls re-check their credential and end */
	return rc;
}

enum srv_err partner_grant_revoke(struct req *rq, const struct store_grant *g)
{
	return partner_grant_end(rq, g, "grant.revoked");
}
