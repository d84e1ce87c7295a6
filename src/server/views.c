/* views.c — JSON renderings of domain rows (see views.h). */
#include "views.h"

#include "timefmt.h"

#include <stdio.h>

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

json_t *view_device(const struct store_device *d)
{
	json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "device_id", d->public_id, "user_id", d->user_public_id, "name",
			      d->name, "sign_pk", d->sign_pk, "box_pk", d->box_pk, "created_at", view_time(d->created_at));
	if (v && d->grant_id) /* a partner app's device, reading for this person within one grant */
		json_object_set_new(v, "app", json_true());
	return v;
}

int view_device_readable(struct req *rq, const struct store_thread *t, const struct store_device *d, int64_t viewer)
{
	int state = 0;
	if (d->grant_id == 0)
		return 1;
	/* an app device reads only the app threads of its live grant ... */
	if (d->grant_revoked_at || d->grant_expires_at <= rq->now || d->app_id != t->app_id ||
	    rq->ops->grant_thread_check(rq->db, d->grant_id, t->id) != PST_E_OK)
		return 0;
	/* ... and, for anyone but the person who granted it, only once they accepted the app */
	return viewer == d->user_id ||
	       (rq->ops->app_consent_get(rq->db, t->id, viewer, &state, NULL) == PST_E_OK && state == 1);
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
};

static int device_row(void *arg, const struct store_device *d)
{
	struct device_walk *w = arg;
	if (view_device_readable(w->rq, w->t, d, w->rq->user.id))
		json_array_append_new(w->arr, view_device(d));
	else if (view_device_readable(w->rq, w->t, d, d->user_id)) /* live in this thread, not consented by the viewer */
		json_array_append_new(w->senders, view_device(d));
	return 0;
}

enum pst_err view_thread(struct req *rq, const struct store_thread *t, int with_devices, json_t **out)
{
	enum pst_err rc;
	json_t *members = json_array(), *devices = NULL, *obj = NULL, *senders = NULL;
	int64_t unread = t->last_seq - t->read_seq;

	*out = NULL;
	rc = rq->ops->member_list(rq->db, t->id, member_row, members);
	if (rc != PST_E_OK)
		goto out;
	if (with_devices) {
		struct device_walk w = {rq, t, NULL, NULL};
		devices = json_array();
		w.arr = devices;
		w.senders = json_array();
		rc = rq->ops->device_list_thread(rq->db, t->id, device_row, &w);
		if (rc == PST_E_OK && json_array_size(w.senders))
			senders = w.senders;
		else
			json_decref(w.senders);
		if (rc != PST_E_OK)
			goto out;
	}
	obj = json_pack("{s:s,s:s,s:O,s:o,s:I,s:o,s:I,s:I}", "thread_id", t->public_id, "kind",
			t->kind == STORE_THREAD_DIRECT ? "direct" : t->kind == STORE_THREAD_APP ? "app" : "group", "members", members, "created_at",
			view_time(t->created_at), "last_seq", (json_int_t)t->last_seq, "last_activity",
			view_time(t->last_activity), "read_seq", (json_int_t)t->read_seq, "unread",
			(json_int_t)(unread > 0 ? unread : 0));
	if (obj == NULL) {
		rc = PST_E_INTERNAL;
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
		if (rc == PST_E_NOT_FOUND) {
			snprintf(app.client_id, sizeof(app.client_id), "deleted");
			snprintf(app.name, sizeof(app.name), "a deleted app");
			rc = PST_E_OK;
		}
		if (rc != PST_E_OK) {
			json_decref(obj);
			goto out;
		}
		if (t->creator == rq->user.id)
			consent = "owner";
		else if (rq->ops->app_consent_get(rq->db, t->id, rq->user.id, &state, NULL) == PST_E_OK)
			consent = state == 1 ? "accepted" : "declined";
		snprintf(notice, sizeof(notice), "%s can read this conversation%s", app.name,
			 consent[0] == 'o' ? "" : consent[0] == 'a' ? ", including your messages" : "; your messages only if you accept");
		json_object_set_new(obj, "app", json_pack("{s:s,s:s,s:s,s:s}", "client_id", app.client_id, "name", app.name,
							  "consent", consent, "notice", notice));
	}
	*out = obj;
out:
	json_decref(members);
	json_decref(devices);
	json_decref(senders);
	return rc;
}
