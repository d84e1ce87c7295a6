/* views.c — JSON renderings of domain rows (see views.h). */
#include "views.h"

#include "b64url.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

json_t *view_time(int64_t ms)
{
	char buf[TIMEFMT_RFC3339_LEN];
	if (timefmt_rfc3339(ms, buf, sizeof(buf)) != 0)
		return json_null();
	return json_string(buf);
}

json_t *view_user(const char *public_id, const char *username)
{
	return json_pack("{s:s,s:s}", "user_id", public_id, "username", username);
}

json_t *view_bytes(const unsigned char *b, size_t n)
{
	size_t cap = b64url_encoded_len(n) + 1;
	char *text;
	json_t *v;
	if (b == NULL || n == 0)
		return json_null();
	if ((text = malloc(cap)) == NULL)
		return NULL;
	v = b64url_encode(b, n, text, cap) == 0 ? json_string(text) : NULL;
	free(text);
	return v;
}

json_t *view_device(const struct store_device *d)
{
	json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s?,s:o}", "device_id", d->public_id, "user_id", d->user_public_id, "name",
			      d->name, "sign_pk", d->sign_pk, "box_pk", d->box_pk, "created_at", view_time(d->created_at),
			      "reg_sig", d->reg_sig[0] ? d->reg_sig : NULL, "cert", view_bytes(d->cert, d->cert_len));
	if (v && d->grant_id) /* a partner app's device, reading for this person within one grant */
		json_object_set_new(v, "app", json_true());
	return v;
}

json_t *view_identity(const struct store_identity *id, const char *user_public_id, const char *username)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:o}", "user_id", user_public_id, "username", username, "id_pk",
			 view_bytes(id->id_pk, sizeof(id->id_pk)), "statement", view_bytes(id->statement, id->statement_len),
			 "created_at", view_time(id->created_at));
}

enum srv_err view_identity_of(struct req *rq, const struct store_user *user, json_t **out)
{
	struct store_identity id;
	enum srv_err rc = rq->ops->identity_get(rq->db, user->id, &id);
	*out = NULL;
	if (rc == SRV_E_NOT_FOUND) {
		*out = json_null();
		return SRV_E_OK;
	}
	if (rc == SRV_E_OK && (*out = view_identity(&id, user->public_id, user->username)) == NULL)
		rc = SRV_E_INTERNAL;
	return rc;
}

static int statement_into(void *arg, const struct store_statement *row)
{
	json_t *v = view_bytes(row->bytes, row->len);
	if (v == NULL)
		return 1;
	json_array_append_new((json_t *)arg, v);
	return 0;
}

enum srv_err view_revocations(struct req *rq, int64_t user, json_t **out)
{
	json_t *arr = json_array();
	enum srv_err rc = arr ? rq->ops->revocation_list(rq->db, user, statement_into, arr) : SRV_E_INTERNAL;
	if (rc != SRV_E_OK) {
		json_decref(arr);
		arr = NULL;
	}
	*out = arr;
	return rc;
}

/* The app statement `which` of device as JSON (base64url or null). */
static enum srv_err app_statement_json(struct req *rq, int64_t device, int which, json_t **out)
{
	unsigned char *b = NULL;
	size_t n = 0;
	enum srv_err rc = rq->ops->app_statement_get(rq->db, device, which, &b, &n);
	*out = NULL;
	if (rc == SRV_E_NOT_FOUND) {
		*out = json_null();
		return SRV_E_OK;
	}
	if (rc == SRV_E_OK && (*out = view_bytes(b, n)) == NULL)
		rc = SRV_E_INTERNAL;
	free(b);
	return rc;
}

enum srv_err view_app_device(struct req *rq, const struct store_device *d, json_t *v)
{
	struct store_app app;
	struct store_grant g;
	json_t *auth = NULL, *revoke = NULL;
	enum srv_err rc = rq->ops->app_by_id(rq->db, d->app_id, &app);
	if (rc == SRV_E_NOT_FOUND) { /* the app was deleted: its devices are gone with it */
		snprintf(app.client_id, sizeof(app.client_id), "deleted");
		rc = SRV_E_OK;
	}
	if (rc == SRV_E_OK)
		rc = rq->ops->grant_by_id(rq->db, d->grant_id, &g);
	if (rc == SRV_E_OK)
		rc = app_statement_json(rq, d->id, STORE_APP_AUTH, &auth);
	if (rc == SRV_E_OK)
		rc = app_statement_json(rq, d->id, STORE_APP_REVOKE, &revoke);
	if (rc == SRV_E_OK) {
		json_object_set_new(v, "client_id", json_string(app.client_id));
		json_object_set_new(v, "grant_id", json_string(g.public_id));
		json_object_set(v, "authorisation", auth);
		json_object_set(v, "revocation", revoke);
	}
	json_decref(auth);
	json_decref(revoke);
	return rc;
}

int view_device_readable(struct req *rq, const struct store_thread *t, const struct store_device *d, int64_t viewer)
{
	int state = 0;
	if (d->grant_id == 0)
		return 1;
	/* an app device reads only the app threads of its live grant ... */
	if (d->grant_revoked_at || d->grant_expires_at <= rq->now || d->app_id != t->app_id ||
	    rq->ops->grant_thread_check(rq->db, d->grant_id, t->id) != SRV_E_OK)
		return 0;
	/* ... and, for anyone but the person who granted it, only once they accepted the app */
	return viewer == d->user_id ||
	       (rq->ops->app_consent_get(rq->db, t->id, viewer, &state, NULL) == SRV_E_OK && state == 1);
}

json_t *view_message(const struct store_message *m)
{
	json_t *body = m->body ? json_stringn(m->body, m->body_len) : json_null();
	json_t *v = json_pack("{s:s,s:s,s:I,s:s,s:s?,s:s,s:s,s:o,s:o,s:b}", "message_id", m->public_id, "thread_id",
			      m->thread_public_id, "seq", (json_int_t)m->seq, "sender_id", m->sender_public_id,
			      "sender_device_id", m->sender_device ? m->sender_device_public_id : NULL, "client_msg_id",
			      m->client_msg_id, "kind", m->kind, "body", body ? body : json_null(), "created_at",
			      view_time(m->created_at), "deleted", m->deleted_at != 0);
	if (v && m->item[0]) /* a share: the app's item and the id its recipient clicks */
		json_object_set_new(v, "item", json_string(m->item));
	if (v && m->share_public_id[0])
		json_object_set_new(v, "share_id", json_string(m->share_public_id));
	return v;
}

static int member_row(void *arg, const struct store_member *m)
{
	json_array_append_new((json_t *)arg, view_user(m->public_id, m->username));
	return 0;
}

struct device_walk {
	struct req *rq;
	const struct store_thread *t;
	json_t *arr;     /* readers: what clients encrypt to */
	json_t *senders; /* app devices that may write here but that this viewer does not encrypt to */
	enum srv_err rc;
};

static int device_row(void *arg, const struct store_device *d)
{
	struct device_walk *w = arg;
	json_t *into = NULL, *v;
	if (view_device_readable(w->rq, w->t, d, w->rq->user.id))
		into = w->arr;
	else if (view_device_readable(w->rq, w->t, d, d->user_id)) /* live in this thread, not consented by the viewer */
		into = w->senders;
	if (into == NULL)
		return 0;
	if ((v = view_device(d)) == NULL) {
		w->rc = SRV_E_INTERNAL;
		return 1;
	}
	if (d->grant_id && (w->rc = view_app_device(w->rq, d, v)) != SRV_E_OK) {
		json_decref(v);
		return 1;
	}
	json_array_append_new(into, v);
	return 0;
}

/* The signed consents of an app thread's members: [{"user_id","statement"}], those given with a statement. */
static int consent_row(void *arg, const struct store_statement *row)
{
	json_t *v;
	if (row->bytes == NULL)
		return 0;
	v = json_pack("{s:s,s:o}", "user_id", row->user_public_id, "statement", view_bytes(row->bytes, row->len));
	if (v == NULL)
		return 1;
	json_array_append_new((json_t *)arg, v);
	return 0;
}

json_t *view_chain(const struct store_thread *t)
{
	if (t->chain_length == 0)
		return json_null();
	return json_pack("{s:I,s:o}", "length", (json_int_t)t->chain_length, "head", view_bytes(t->chain_head, sizeof(t->chain_head)));
}

enum srv_err view_thread(struct req *rq, const struct store_thread *t, int with_devices, json_t **out)
{
	enum srv_err rc;
	json_t *members = json_array(), *devices = NULL, *obj = NULL, *senders = NULL;
	int64_t unread = t->last_seq - t->read_seq;

	*out = NULL;
	rc = rq->ops->member_list(rq->db, t->id, member_row, members);
	if (rc != SRV_E_OK)
		goto out;
	if (with_devices) {
		struct device_walk w = {rq, t, NULL, NULL, SRV_E_OK};
		devices = json_array();
		w.arr = devices;
		w.senders = json_array();
		rc = rq->ops->device_list_thread(rq->db, t->id, device_row, &w);
		if (rc == SRV_E_OK)
			rc = w.rc;
		if (rc == SRV_E_OK && json_array_size(w.senders))
			senders = w.senders;
		else
			json_decref(w.senders);
		if (rc != SRV_E_OK)
			goto out;
	}
	obj = json_pack("{s:s,s:s,s:O,s:o,s:I,s:o,s:I,s:I,s:o}", "thread_id", t->public_id, "kind",
			t->kind == STORE_THREAD_DIRECT ? "direct" : t->kind == STORE_THREAD_APP ? "app" : "group", "members", members, "created_at",
			view_time(t->created_at), "last_seq", (json_int_t)t->last_seq, "last_activity",
			view_time(t->last_activity), "read_seq", (json_int_t)t->read_seq, "unread",
			(json_int_t)(unread > 0 ? unread : 0), "chain", view_chain(t));
	if (obj == NULL) {
		rc = SRV_E_INTERNAL;
		goto out;
	}
	if (devices)
		json_object_set(obj, "devices", devices);
	if (senders) /* verify their hand-overs; do not encrypt to them */
		json_object_set(obj, "app_senders", senders);
	if (t->app_id) { /* an app thread: say which app and whether it may read what this person writes */
		struct store_app app;
		int state = 0;
		const char *consent = "pending";
		char notice[200];
		rc = rq->ops->app_by_id(rq->db, t->app_id, &app);
		if (rc == SRV_E_NOT_FOUND) {
			snprintf(app.client_id, sizeof(app.client_id), "deleted");
			snprintf(app.name, sizeof(app.name), "a deleted app");
			rc = SRV_E_OK;
		}
		if (rc != SRV_E_OK) {
			json_decref(obj);
			goto out;
		}
		if (t->creator == rq->user.id)
			consent = "owner";
		else if (rq->ops->app_consent_get(rq->db, t->id, rq->user.id, &state, NULL) == SRV_E_OK)
			consent = state == 1 ? "accepted" : "declined";
		snprintf(notice, sizeof(notice), "%s can read this conversation%s", app.name,
			 consent[0] == 'o' ? "" : consent[0] == 'a' ? ", including your messages" : "; your messages only if you accept");
		{
			json_t *consents = json_array();
			rc = consents ? rq->ops->app_consent_list(rq->db, t->id, consent_row, consents) : SRV_E_INTERNAL;
			if (rc != SRV_E_OK) {
				json_decref(consents);
				json_decref(obj);
				goto out;
			}
			json_object_set_new(obj, "app", json_pack("{s:s,s:s,s:s,s:s,s:o}", "client_id", app.client_id, "name", app.name,
								  "consent", consent, "notice", notice, "consents", consents));
		}
	}
	*out = obj;
out:
	json_decref(members);
	json_decref(devices);
	json_decref(senders);
	return rc;
}
