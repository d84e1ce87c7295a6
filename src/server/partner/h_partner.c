/*
 * h_partner.c — the scoped Inbox API that partner apps call with a person's access token, plus the two
 * first-party calls that belong to it (a friend's app consent, a recipient's click).
 *
 * Every partner call runs on the writer so that its access-log entry is written in the same transaction as
 * the action. An app knows people only by pairwise ids (different for every app), reaches only the app
 * threads of its grant (anything else answers 404, logged as an attempt), and reads a friend's messages in
 * an app thread only after that friend accepted the app.
 */
#include "handlers.h"

#include "b64url.h"
#include "events.h"
#include "jsonv.h"
#include "partner.h"
#include "pubid.h"
#include "scopes.h"
#include "statement.h"
#include "tlog.h"
#include "views.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define APP_CONSENT_ACCEPTED 1
#define APP_CONSENT_DECLINED 2

/* ---- friends:read ---- */

struct friend_walk {
	struct req *rq;
	json_t *arr;
	enum srv_err rc;
};

static int partner_friend_row(void *arg, const struct store_friend *f)
{
	struct friend_walk *w = arg;
	char pw[PARTNER_PAIRWISE_LEN];
	enum srv_err rc = w->rq->ops->grant_live_check(w->rq->db, w->rq->app->id, f->user.id, NULL, w->rq->now);
	if (rc == SRV_E_NOT_FOUND)
		return 0; /* has not granted this app: invisible to it */
	char name[PARTNER_ALIAS_LEN];
	if (rc == SRV_E_OK)
		rc = partner_pairwise_put(w->rq, w->rq->app->id, f->user.id, pw);
	if (rc == SRV_E_OK) /* never the username: the name this friend chose for this app, or one made for it */
		rc = partner_alias(w->rq, w->rq->app->id, f->user.id, name, NULL);
	if (rc != SRV_E_OK) {
		w->rc = rc;
		return 1;
	}
	json_array_append_new(w->arr, json_pack("{s:s,s:s}", "id", pw, "display_name", name));
	return 0;
}

enum srv_err h_partner_friends(struct req *rq)
{
	struct friend_walk w = {rq, json_array(), SRV_E_OK};
	enum srv_err rc = rq->ops->friend_list(rq->db, rq->user.id, partner_friend_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc == SRV_E_OK)
		rc = partner_log(rq, "friends.list", NULL, NULL, (int64_t)json_array_size(w.arr));
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "friends", w.arr));
}

/* ---- messages:send ---- */

static enum srv_err over_limit(struct req *rq, int64_t sender, int64_t recipient, int64_t limit, const char *what)
{
	int64_t n = 0;
	enum srv_err rc;
	if (limit <= 0)
		return SRV_E_OK;
	rc = rq->ops->share_count(rq->db, rq->app->id, sender, recipient, rq->now - 3600000, &n);
	if (rc == SRV_E_OK && n >= limit) {
		rq->retry_after = 60;
		partner_call_refused(rq, PARTNER_REFUSED_RATE, NULL);
		return req_fail(rq, SRV_E_RATE_LIMITED, "over the agreement's limit of %lld shares an hour %s", (long long)limit, what);
	}
	return rc;
}

/* The app thread between the person and friend for this app, made on first use. */
static enum srv_err app_thread(struct req *rq, const struct store_user *friend_user, struct store_thread *t)
{
	char key[96];
	int64_t a = rq->user.id < friend_user->id ? rq->user.id : friend_user->id;
	int64_t b = rq->user.id < friend_user->id ? friend_user->id : rq->user.id;
	enum srv_err rc;

	snprintf(key, sizeof(key), "app:%" PRId64 ":%" PRId64 ":%" PRId64, rq->app->id, a, b);
	rc = rq->ops->thread_by_direct_key(rq->db, key, t);
	if (rc == SRV_E_NOT_FOUND) {
		memset(t, 0, sizeof(*t));
		pubid_new("t", t->public_id, sizeof(t->public_id));
		t->kind = STORE_THREAD_APP;
		t->creator = rq->user.id;
		t->created_at = rq->now;
		t->app_id = rq->app->id;
		rc = rq->ops->thread_insert(rq->db, t, key);
		if (rc == SRV_E_OK)
			rc = rq->ops->member_add(rq->db, t->id, rq->user.id, 0);
		if (rc == SRV_E_OK)
			rc = rq->ops->member_add(rq->db, t->id, friend_user->id, 0);
		if (rc == SRV_E_OK)
			rc = events_emit_members(rq, t->id, "thread.created", 0,
						 json_pack("{s:{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:o,s:{s:s,s:s}}}", "thread", "thread_id",
							   t->public_id, "kind", "app", "members", "user_id", rq->user.public_id,
							   "username", rq->user.username, "user_id", friend_user->public_id, "username",
							   friend_user->username, "created_at", view_time(t->created_at), "app",
							   "client_id", rq->app->client_id, "name", rq->app->name));
		return rc;
	}
	if (rc != SRV_E_OK)
		return rc;
	/* people who left come back for a new share from this app */
	if (rq->ops->thread_by_id_for_member(rq->db, t->id, rq->user.id, t) == SRV_E_NOT_FOUND &&
	    (rc = rq->ops->member_add(rq->db, t->id, rq->user.id, t->last_seq)) != SRV_E_OK)
		return rc;
	{
		struct store_thread t2;
		if (rq->ops->thread_by_id_for_member(rq->db, t->id, friend_user->id, &t2) == SRV_E_NOT_FOUND &&
		    (rc = rq->ops->member_add(rq->db, t->id, friend_user->id, t->last_seq)) != SRV_E_OK)
			return rc;
	}
	return rq->ops->thread_by_id_for_member(rq->db, t->id, rq->user.id, t);
}

/*
 * The person the app names by pairwise id `to`, if the app may send to them: a friend of the person now,
 * who also uses the app or was picked on the share page. Refusals are logged as attempts.
 */
static enum srv_err recipient(struct req *rq, const char *to, struct store_user *friend_user)
{
	int64_t friend_id = 0;
	enum srv_err rc = rq->ops->pairwise_resolve(rq->db, rq->app->id, to, &friend_id);
	if (rc == SRV_E_OK)
		rc = rq->ops->user_by_id(rq->db, friend_id, friend_user);
	if (rc == SRV_E_NOT_FOUND) {
		partner_log_attempt(rq, "shares.send", NULL);
		return req_fail(rq, SRV_E_NOT_FOUND, "no such recipient");
	}
	if (rc != SRV_E_OK)
		return rc;
	if (friend_id == rq->user.id || rq->ops->friend_check(rq->db, rq->user.id, friend_id) != SRV_E_OK) {
		partner_log_attempt(rq, "shares.send", NULL);
		return req_fail(rq, SRV_E_NOT_FRIENDS, "the recipient is not the person's friend");
	}
	/* reachable: the friend uses this app too, or the person picked them on the share page */
	if (rq->ops->grant_live_check(rq->db, rq->app->id, friend_id, NULL, rq->now) != SRV_E_OK &&
	    rq->ops->share_permit_check(rq->db, rq->grant->id, friend_id) != SRV_E_OK) {
		partner_log_attempt(rq, "shares.send", NULL);
		return req_fail(rq, SRV_E_NOT_FOUND, "no such recipient");
	}
	return SRV_E_OK;
}

static int item_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

enum srv_err h_partner_share(struct req *rq)
{
	const char *to, *item, *body, *cmid;
	char scoped_cmid[STORE_CMID_LEN], share_id[STORE_ID_LEN];
	struct store_user friend_user;
	struct store_thread t;
	struct store_message m = {0};
	int64_t friend_id = 0, read_seq;
	size_t decoded = 0;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "to", 1, STORE_ID_LEN - 1, &to)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "item", 1, STORE_ITEM_LEN - 8, &item)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "client_msg_id", 1, 48, &cmid)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "body", 1, (size_t)rq->cfg->max_request_bytes, &body)) != SRV_E_OK)
		return rc;
	if (!jsonv_is_token_chars(cmid))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'client_msg_id' must be 1 to 48 of A-Z a-z 0-9 _ -");
	if (!item_ok(item))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'item' must not contain control characters");
	if (b64url_check(body, strlen(body), &decoded) != 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'body' must be base64url without padding");
	if (decoded > (size_t)rq->cfg->max_body_bytes)
		return req_fail(rq, SRV_E_TOO_LARGE, "'body' decodes to more than %lld bytes", (long long)rq->cfg->max_body_bytes);
	/* an app's ids live in their own space, apart from the person's own clients */
	snprintf(scoped_cmid, sizeof(scoped_cmid), "app%" PRId64 ".%s", rq->app->id, cmid);

	if ((rc = recipient(rq, to, &friend_user)) != SRV_E_OK)
		return rc;
	friend_id = friend_user.id;
	rc = rq->ops->message_by_client_id(rq->db, rq->user.id, scoped_cmid, &m);
	if (rc == SRV_E_OK && (rc = partner_log(rq, "shares.repeat", m.thread_public_id, m.public_id, 0)) == SRV_E_OK)
		return req_reply( /* a retry: the first answer, and nothing stored but its line */rq, 200, json_pack("{s:s,s:s,s:s,s:I,s:o}", "share_id", m.share_public_id, "message_id", m.public_id,
						    "thread_id", m.thread_public_id, "seq", (json_int_t)m.seq, "created_at",
						    view_time(m.created_at)));
	if (rc != SRV_E_NOT_FOUND)
		return rc;
	if ((rc = over_limit(rq, rq->user.id, 0, rq->app->rate_person, "for this person")) != SRV_E_OK ||
	    (rc = over_limit(rq, 0, 0, rq->app->rate_app, "for this app")) != SRV_E_OK ||
	    (rc = over_limit(rq, 0, friend_id, rq->app->rate_recipient, "to this recipient")) != SRV_E_OK)
		return rc;
	if ((rc = app_thread(rq, &friend_user, &t)) != SRV_E_OK ||
	    (rc = rq->ops->grant_thread_add(rq->db, rq->grant->id, t.id)) != SRV_E_OK)
		return rc;
	if (!partner_thread_allowed(rq, t.id, t.public_id, "send")) {
		/* a grant limited by authorization_details reaches only its listed threads (all of this rolls back) */
		partner_log_attempt(rq, "shares.send", NULL);
		return req_fail(rq, SRV_E_NOT_FOUND, "no such recipient");
	}
	memset(&m, 0, sizeof(m));
	pubid_new_ordered("m", rq->now, m.public_id, sizeof(m.public_id));
	snprintf(m.thread_public_id, sizeof(m.thread_public_id), "%s", t.public_id);
	m.thread_id = t.id;
	m.sender_id = rq->user.id;
	m.sender_device = rq->session.device_id; /* the app's device, when it registered one (E2EE shares) */
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "%s", scoped_cmid);
	snprintf(m.kind, sizeof(m.kind), "share");
	snprintf(m.item, sizeof(m.item), "%s", item);
	m.app_id = rq->app->id;
	m.grant_id = rq->grant->id;
	m.body = body;
	m.body_len = strlen(body);
	m.created_at = rq->now;
	pubid_new("s", share_id, sizeof(share_id));
	rc = rq->ops->thread_next_seq(rq->db, t.id, rq->now, &m.seq);
	if (rc == SRV_E_OK)
		rc = rq->ops->message_insert(rq->db, &m);
	if (rc == SRV_E_OK)
		rc = rq->ops->share_insert(rq->db, share_id, rq->app->id, rq->grant->id, rq->user.id, friend_id, t.id, m.id, item, rq->now);
	if (rc == SRV_E_OK)
		rc = rq->ops->member_mark_read(rq->db, t.id, rq->user.id, m.seq, &read_seq);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t.id, "message.created", m.id, json_object());
	if (rc == SRV_E_OK)
		rc = partner_log(rq, "shares.send", t.public_id, m.public_id, 1);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 201, json_pack("{s:s,s:s,s:s,s:I,s:o}", "share_id", share_id, "message_id", m.public_id, "thread_id",
					    t.public_id, "seq", (json_int_t)m.seq, "created_at", view_time(m.created_at)));
}

/* ---- messages:read ---- */

struct consents {
	int64_t ids[8];
	int accepted[8];
	int64_t since[8]; /* when each member accepted: the app reads what they wrote from then on */
	int n;
	struct req *rq;
	int64_t thread_id;
};

static int consent_member(void *arg, const struct store_member *m)
{
	struct consents *c = arg;
	int state = 0;
	if (c->n >= 8)
		return 1;
	c->ids[c->n] = m->user_id;
	c->since[c->n] = 0;
	c->accepted[c->n] = m->user_id == c->rq->user.id ||
			    (c->rq->ops->app_consent_get(c->rq->db, c->thread_id, m->user_id, &state, &c->since[c->n]) == SRV_E_OK &&
			     state == APP_CONSENT_ACCEPTED);
	c->n++;
	return 0;
}

/* The members of an app thread as this app sees them: pairwise ids, names, and whether each consented. */
static enum srv_err partner_members(struct req *rq, const struct store_thread *t, struct consents *c, json_t **out)
{
	size_t i;
	json_t *arr = json_array();
	enum srv_err rc;
	memset(c, 0, sizeof(*c));
	c->rq = rq;
	c->thread_id = t->id;
	rc = rq->ops->member_list(rq->db, t->id, consent_member, c);
	for (i = 0; rc == SRV_E_OK && i < (size_t)c->n; i++) {
		char pw[PARTNER_PAIRWISE_LEN];
		struct store_user u;
		char name[PARTNER_ALIAS_LEN];
		rc = rq->ops->user_by_id(rq->db, c->ids[i], &u);
		struct store_identity id;
		enum srv_err irc = SRV_E_NOT_FOUND;
		if (rc == SRV_E_OK)
			rc = partner_pairwise_put(rq, rq->app->id, c->ids[i], pw);
		if (rc == SRV_E_OK)
			rc = partner_alias(rq, rq->app->id, c->ids[i], name, NULL);
		if (rc == SRV_E_OK && (irc = rq->ops->identity_get(rq->db, c->ids[i], &id)) != SRV_E_OK && irc != SRV_E_NOT_FOUND)
			rc = irc;
		/* identity_pk: so the app can check the certificates of the devices it encrypts to */
		if (rc == SRV_E_OK)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:o}", "id", pw, "display_name", name, "app_can_read",
							     c->accepted[i], "identity_pk",
							     irc == SRV_E_OK ? view_bytes(id.id_pk, sizeof(id.id_pk)) : json_null()));
	}
	if (rc != SRV_E_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return SRV_E_OK;
}

struct thread_walk {
	struct req *rq;
	json_t *arr;
	enum srv_err rc;
};

struct device_walk {
	struct req *rq;
	const struct store_thread *t;
	json_t *arr;
	enum srv_err rc;
};

/*
 * The thread's readers as the person sees them, people named by pairwise ids: whom the app encrypts to,
 * each with what vouches for it (a person's device: its certificate; an app device: the person's
 * authorisation), for the app to check as a person's client does.
 */
static int partner_device_row(void *arg, const struct store_device *d)
{
	struct device_walk *w = arg;
	char pw[PARTNER_PAIRWISE_LEN];
	unsigned char *auth = NULL;
	size_t auth_len = 0;
	if (!view_device_readable(w->rq, w->t, d, w->rq->user.id))
		return 0;
	if (d->grant_id != 0) {
		w->rc = w->rq->ops->app_statement_get(w->rq->db, d->id, STORE_APP_AUTH, &auth, &auth_len);
		if (w->rc == SRV_E_NOT_FOUND)
			w->rc = SRV_E_OK;
		if (w->rc != SRV_E_OK)
			return 1;
	}
	partner_pairwise(w->rq->app->id, d->user_id, pw);
	json_array_append_new(w->arr, json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:o}", "device_id", d->public_id, "user", pw, "sign_pk",
						d->sign_pk, "box_pk", d->box_pk, "app", d->grant_id != 0, "cert",
						view_bytes(d->cert, d->cert_len), "authorisation", view_bytes(auth, auth_len)));
	free(auth);
	return 0;
}

static void partner_thread_row_any(struct thread_walk *w, const struct store_thread *t);

static int partner_thread_row(void *arg, const struct store_thread *t)
{
	struct thread_walk *w = arg;
	if (!partner_thread_allowed(w->rq, t->id, t->public_id, "read"))
		return 0;
	partner_thread_row_any(w, t);
	return w->rc != SRV_E_OK;
}

/* One app thread as the app sees it: members (pairwise ids), readers to encrypt to, seqs. */
static void partner_thread_row_any(struct thread_walk *w, const struct store_thread *t)
{
	struct consents c;
	struct device_walk dw = {w->rq, t, NULL, SRV_E_OK};
	json_t *members = NULL;
	w->rc = partner_members(w->rq, t, &c, &members);
	if (w->rc != SRV_E_OK)
		return;
	dw.arr = json_array();
	w->rc = w->rq->ops->device_list_thread(w->rq->db, t->id, partner_device_row, &dw);
	if (w->rc == SRV_E_OK)
		w->rc = dw.rc;
	if (w->rc != SRV_E_OK) {
		json_decref(members);
		json_decref(dw.arr);
		return;
	}
	json_array_append_new(w->arr, json_pack("{s:s,s:o,s:o,s:I,s:o}", "thread_id", t->public_id, "members", members, "devices",
						dw.arr, "last_seq", (json_int_t)t->last_seq, "last_activity",
						view_time(t->last_activity)));
}

enum srv_err h_partner_threads(struct req *rq)
{
	struct thread_walk w = {rq, json_array(), SRV_E_OK};
	enum srv_err rc = rq->ops->grant_thread_list(rq->db, rq->grant->id, partner_thread_row, &w, rq->user.id);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc == SRV_E_OK)
		rc = partner_log(rq, "threads.list", NULL, NULL, (int64_t)json_array_size(w.arr));
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "threads", w.arr));
}

/* The app thread {params[0]} if this grant may use it for action; 404 (logged as an attempt) otherwise. */
static enum srv_err grant_thread(struct req *rq, const char *action, struct store_thread *t)
{
	enum srv_err rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, t);
	if (rc == SRV_E_OK && (t->app_id != rq->app->id || !partner_thread_allowed(rq, t->id, t->public_id, action)))
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_NOT_FOUND)
		partner_log_attempt(rq, action[0] == 'r' ? "messages.read" : "messages.delete", rq->params[0]);
	return rc;
}

struct msg_walk {
	struct req *rq;
	struct consents *c;
	json_t *arr;
	int want, got;
	int64_t last_seen; /* seq of the last row read, visible or not */
	int seen;          /* rows read in this round */
	enum srv_err rc;
};

static int partner_msg_row(void *arg, const struct store_message *m)
{
	struct msg_walk *w = arg;
	int i, visible = 0;
	json_t *v;
	w->seen++;
	w->last_seen = m->seq;
	for (i = 0; i < w->c->n; i++)
		if (w->c->ids[i] == m->sender_id)
			visible = w->c->accepted[i] && m->created_at >= w->c->since[i];
	if (!visible)
		return 0; /* a friend who has not accepted the app, or wrote before accepting: out of its reach */
	if (w->got == w->want) {
		w->got++;
		return 1;
	}
	v = partner_view_message(w->rq->app->id, m);
	json_array_append_new(w->arr, v);
	w->got++;
	return 0;
}

enum srv_err h_partner_messages(struct req *rq)
{
	struct store_thread t;
	struct consents c;
	struct msg_walk w = {0};
	json_t *members = NULL;
	int64_t after, limit;
	enum srv_err rc;

	if ((rc = jsonv_query_int(rq, "after", 0, INT64_MAX, 0, &after)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "limit", 1, 200, 50, &limit)) != SRV_E_OK)
		return rc;
	if ((rc = grant_thread(rq, "read", &t)) != SRV_E_OK)
		return rc;
	if ((rc = partner_members(rq, &t, &c, &members)) != SRV_E_OK)
		return rc;
	w.rq = rq;
	w.c = &c;
	w.arr = json_array();
	w.want = (int)limit;
	/* filtering can leave a page short: read on until it is full or the thread ends */
	w.last_seen = after;
	while (rc == SRV_E_OK && w.got <= w.want) {
		w.seen = 0;
		rc = rq->ops->message_list(rq->db, t.id, t.joined_seq, w.last_seen, 0, 200, 0, partner_msg_row, &w);
		if (w.seen < 200 || w.got > w.want)
			break; /* the thread ended, or the page is full */
	}
	if (rc == SRV_E_OK)
		rc = partner_log(rq, "messages.read", t.public_id, NULL, (int64_t)json_array_size(w.arr));
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		json_decref(members);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:s,s:o,s:o,s:b}", "thread_id", t.public_id, "members", members, "messages", w.arr,
					    "has_more", w.got > w.want));
}

/* ---- messages:delete ---- */

enum srv_err h_partner_delete(struct req *rq)
{
	struct store_thread t;
	struct store_message m;
	enum srv_err rc = grant_thread(rq, "delete", &t); /* a refusal here is logged there */
	if (rc != SRV_E_OK)
		return rc;
	rc = rq->ops->message_by_public(rq->db, t.id, rq->params[1], &m);
	if (rc == SRV_E_OK && (m.app_id != rq->app->id || m.sender_id != rq->user.id))
		rc = SRV_E_NOT_FOUND; /* only what this app sent for this person */
	if (rc == SRV_E_NOT_FOUND)
		partner_log_attempt(rq, "messages.delete", t.public_id);
	if (rc != SRV_E_OK)
		return rc;
	if (m.deleted_at != 0 && (rc = partner_log(rq, "messages.delete", t.public_id, m.public_id, 0)) != SRV_E_OK)
		return rc; /* deleted before: nothing to do, and the call is still a line */
	if (m.deleted_at == 0) {
		rc = rq->ops->message_erase(rq->db, m.id, rq->now);
		if (rc == SRV_E_OK)
			rc = events_emit_members(rq, t.id, "message.deleted", 0,
						 json_pack("{s:s,s:s,s:I}", "thread_id", t.public_id, "message_id", m.public_id, "seq",
							   (json_int_t)m.seq));
		if (rc == SRV_E_OK)
			rc = partner_log(rq, "messages.delete", t.public_id, m.public_id, 1);
		if (rc != SRV_E_OK)
			return rc;
	}
	return req_reply(rq, 204, NULL);
}

/* ---- first party: app consent and clicks ---- */

/*
 * The optional "statement" of an app-consent answer: the friend's APP_CONSENT for thread t and its app, with
 * the same answer, signed by their identity key. SRV_E_OK with s->bytes NULL when there is none.
 */
static enum srv_err consent_statement(struct req *rq, const struct store_thread *t, int accept, struct statement *s)
{
	struct store_identity id;
	struct store_app app;
	enum srv_err rc;

	memset(s, 0, sizeof(*s));
	if (json_object_get(rq->body, "statement") == NULL || json_is_null(json_object_get(rq->body, "statement")))
		return SRV_E_OK;
	if ((rc = statement_identity(rq, &id)) != SRV_E_OK || (rc = rq->ops->app_by_id(rq->db, t->app_id, &app)) != SRV_E_OK)
		return rc == SRV_E_NOT_FOUND ? req_fail(rq, SRV_E_INVALID_FIELD, "the app of this conversation was deleted") : rc;
	if ((rc = statement_field(rq, "statement", 0, STORE_SMALL_STMT, PROTO_ST_APP_CONSENT, id.id_pk, s)) != SRV_E_OK)
		return rc;
	if (strcmp(s->st->thread_id, t->public_id) != 0 || strcmp(s->st->client_id, app.client_id) != 0)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must name this conversation and its app");
	else if (s->st->op != (unsigned)(accept ? 1 : 0))
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must give the same answer as 'accept'");
	if (rc != SRV_E_OK)
		statement_release(s);
	return rc;
}

enum srv_err h_app_consent(struct req *rq)
{
	struct store_thread t;
	struct statement s = {0};
	json_t *accept = json_object_get(rq->body, "accept");
	enum srv_err rc;

	if (!json_is_boolean(accept))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'accept' must be true or false");
	rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, &t);
	if (rc != SRV_E_OK)
		return rc;
	if (t.app_id == 0 || t.creator == rq->user.id)
		return req_fail(rq, SRV_E_INVALID_FIELD, "only the friend in an app's conversation answers for the app");
	if ((rc = consent_statement(rq, &t, json_is_true(accept), &s)) != SRV_E_OK)
		return rc;
	rc = rq->ops->app_consent_set(rq->db, t.id, rq->user.id, json_is_true(accept) ? APP_CONSENT_ACCEPTED : APP_CONSENT_DECLINED, rq->now,
				      s.bytes, s.len);
	if (rc == SRV_E_OK && s.bytes) /* a signed consent goes to the transparency log under the friend's label */
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	statement_release(&s);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t.id, "thread.app_consent", 0,
					 json_pack("{s:s,s:s,s:b}", "thread_id", t.public_id, "user_id", rq->user.public_id,
						   "accepted", json_is_true(accept)));
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:s,s:b}", "thread_id", t.public_id, "accepted", json_is_true(accept)));
}

enum srv_err h_share_click(struct req *rq)
{
	int64_t share = 0, app = 0;
	enum srv_err rc = rq->ops->share_for_recipient(rq->db, rq->params[0], rq->user.id, &share, &app);
	if (rc != SRV_E_OK)
		return rc;
	rc = rq->ops->click_insert(rq->db, share, rq->user.id, rq->now);
	if (rc != SRV_E_OK && rc != SRV_E_CONFLICT)
		return rc;
	return req_reply(rq, 200, json_pack("{s:s,s:b}", "share_id", rq->params[0], "counted", rc == SRV_E_OK));
}

/* ---- partner apps as end-to-end-encryption devices ---- */

enum srv_err h_partner_device(struct req *rq)
{
	const char *name, *sign_pk, *box_pk, *sig;
	unsigned char spk[32], sigbin[64];
	char msg[160], pw[PARTNER_PAIRWISE_LEN];
	struct store_device d = {0};
	enum srv_err rc;
	int n;

	if (!scope_has(rq->token->scopes, "messages:read") && !scope_has(rq->token->scopes, "messages:send"))
		return req_fail(rq, SRV_E_INSUFFICIENT_SCOPE, "an app device needs messages:read or messages:send");
	if ((rc = jsonv_str(rq, "name", 1, 64, &name)) != SRV_E_OK || (rc = jsonv_str(rq, "sign_pk", 0, 128, &sign_pk)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "box_pk", 0, 128, &box_pk)) != SRV_E_OK || (rc = jsonv_str(rq, "sig", 0, 256, &sig)) != SRV_E_OK)
		return rc;
	{
		unsigned char bpk[32];
		if (b64url_decode_exact(sign_pk, strlen(sign_pk), spk, 32) != 0 || b64url_decode_exact(box_pk, strlen(box_pk), bpk, 32) != 0 ||
		    b64url_decode_exact(sig, strlen(sig), sigbin, 64) != 0)
			return req_fail(rq, SRV_E_INVALID_KEY, "keys are 32 bytes and the signature 64, base64url without padding");
	}
	/* the app knows the person as its pairwise id: that is what it signs */
	partner_pairwise(rq->app->id, rq->user.id, pw);
	n = snprintf(msg, sizeof(msg), "postern-device-v1:%s:%s", pw, box_pk);
	if (n < 0 || (size_t)n >= sizeof(msg) || crypto_sign_verify_detached(sigbin, (const unsigned char *)msg, (unsigned long long)n, spk) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'sig' does not verify with 'sign_pk'");
	rc = rq->ops->devices_remove_grant(rq->db, rq->grant->id, rq->now); /* one device per grant: a new one replaces it */
	if (rc != SRV_E_OK)
		return rc;
	pubid_new("d", d.public_id, sizeof(d.public_id));
	d.user_id = rq->user.id;
	snprintf(d.user_public_id, sizeof(d.user_public_id), "%s", rq->user.public_id);
	snprintf(d.name, sizeof(d.name), "%.32s (%.32s)", name, rq->app->name);
	snprintf(d.sign_pk, sizeof(d.sign_pk), "%s", sign_pk);
	snprintf(d.box_pk, sizeof(d.box_pk), "%s", box_pk);
	d.created_at = rq->now;
	d.grant_id = rq->grant->id;
	rc = rq->ops->device_insert(rq->db, &d);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "device.added", 0, json_pack("{s:s,s:o}", "user_id", rq->user.public_id, "device", view_device(&d)));
	if (rc == SRV_E_OK)
		rc = partner_log(rq, "devices.register", NULL, NULL, 1);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 201, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "device_id", d.public_id, "user", pw, "name", d.name, "sign_pk",
					    d.sign_pk, "box_pk", d.box_pk, "created_at", view_time(d.created_at)));
}

/* The app hands its sender session to a reader of one of its threads (a person's own device). */
enum srv_err h_partner_to_device(struct req *rq)
{
	json_t *msgs = json_object_get(rq->body, "messages"), *item;
	size_t i, n;
	enum srv_err rc = SRV_E_OK;

	if (rq->session.device_id == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "register the app's device first (POST /v1/partner/devices)");
	if (!json_is_array(msgs) || json_array_size(msgs) == 0 || json_array_size(msgs) > (size_t)rq->cfg->to_device_max)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'messages' must be an array of 1 to %lld", (long long)rq->cfg->to_device_max);
	n = json_array_size(msgs);
	json_array_foreach(msgs, i, item) {
		json_t *jd = json_object_get(item, "device_id"), *jb = json_object_get(item, "body"), *jt = json_object_get(item, "thread_id");
		struct store_device d;
		struct store_thread t;
		size_t dlen = 0;
		if (!json_is_string(jd) || !json_is_string(jb) || !json_is_string(jt) || json_string_length(jd) >= STORE_ID_LEN ||
		    json_string_length(jt) >= STORE_ID_LEN)
			return req_fail(rq, SRV_E_INVALID_FIELD, "messages[%zu] needs string 'device_id', 'thread_id' and 'body'", i);
		if (b64url_check(json_string_value(jb), json_string_length(jb), &dlen) != 0 || dlen == 0 || dlen > 4096)
			return req_fail(rq, SRV_E_INVALID_FIELD, "messages[%zu].body must be base64url, at most 4096 bytes", i);
		/* only to readers of one of this grant's threads, as the person sees them */
		rc = rq->ops->thread_for_member(rq->db, json_string_value(jt), rq->user.id, &t);
		if (rc == SRV_E_OK && (t.app_id != rq->app->id || !partner_thread_allowed(rq, t.id, t.public_id, "send")))
			rc = SRV_E_NOT_FOUND;
		if (rc == SRV_E_OK)
			rc = rq->ops->device_by_public(rq->db, json_string_value(jd), &d);
		if (rc == SRV_E_OK && (d.grant_id != 0 || rq->ops->thread_by_id_for_member(rq->db, t.id, d.user_id, &t) != SRV_E_OK))
			rc = SRV_E_NOT_FOUND;
		if (rc == SRV_E_NOT_FOUND)
			return req_fail(rq, SRV_E_NOT_FOUND, "messages[%zu]: no such device in that thread", i);
		if (rc == SRV_E_OK)
			rc = events_emit(rq, d.user_id, d.id, "to_device", 0,
					 json_pack("{s:s,s:s,s:s,s:s,s:O}", "from_user_id", rq->user.public_id, "from_device_id",
						   rq->session.device_public_id, "device_id", d.public_id, "thread_id", t.public_id, "body", jb));
		if (rc != SRV_E_OK)
			return rc;
	}
	rc = partner_log(rq, "keys.share", NULL, NULL, (int64_t)n);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 202, json_pack("{s:I}", "accepted", (json_int_t)n));
}

/*
 * The app thread with a friend, made now if needed, with its readers: an app that encrypts learns the
 * thread and whom to encrypt to before its first share.
 */
enum srv_err h_partner_thread_open(struct req *rq)
{
	struct store_user friend_user;
	struct store_thread t;
	struct thread_walk w = {rq, NULL, SRV_E_OK};
	const char *to;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "to", 1, STORE_ID_LEN - 1, &to)) != SRV_E_OK)
		return rc;
	if ((rc = recipient(rq, to, &friend_user)) != SRV_E_OK)
		return rc;
	if ((rc = app_thread(rq, &friend_user, &t)) != SRV_E_OK || (rc = rq->ops->grant_thread_add(rq->db, rq->grant->id, t.id)) != SRV_E_OK)
		return rc;
	if (!partner_thread_allowed(rq, t.id, t.public_id, "send")) {
		partner_log_attempt(rq, "threads.open", NULL);
		return req_fail(rq, SRV_E_NOT_FOUND, "no such recipient");
	}
	w.arr = json_array();
	/* the grant may not read (send only): the thread is still shown, as partner_thread_row would */
	partner_thread_row_any(&w, &t);
	if (w.rc == SRV_E_OK && json_array_size(w.arr) != 1)
		w.rc = SRV_E_INTERNAL;
	if (w.rc == SRV_E_OK)
		w.rc = partner_log(rq, "threads.open", t.public_id, NULL, 1);
	if (w.rc != SRV_E_OK) {
		json_decref(w.arr);
		return w.rc;
	}
	rc = req_reply(rq, 200, json_incref(json_array_get(w.arr, 0)));
	json_decref(w.arr);
	return rc;
}
