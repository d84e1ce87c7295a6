/*
 * h_app_devices.c — the person's side of partner apps as end-to-end-encryption devices in protocol
 * version 2 (docs/partner.md "Signed by the person, not listed by the server"): the app devices of the
 * person's grants, the APP_AUTH statement by which the person's identity key lets one read and write, and
 * the APP_REVOKE statement that ends it (and the grant with it). The server keeps and lists the statements;
 * the person's and their friends' clients decide with them whom to encrypt to.
 */
#include "handlers.h"

#include "partner.h"
#include "statement.h"
#include "tlog.h"
#include "views.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The thread ids a grant is limited to (its postern_threads authorization details), as a JSON array. */
static json_t *grant_threads(const struct store_grant *g)
{
	json_error_t jerr;
	json_t *details = json_loads(g->details, 0, &jerr), *out = json_array(), *d, *t;
	size_t i, j;
	if (out == NULL) {
		json_decref(details);
		return NULL;
	}
	json_array_foreach(details, i, d) {
		json_t *threads = json_object_get(d, "threads");
		if (!json_is_string(json_object_get(d, "type")) || strcmp(json_string_value(json_object_get(d, "type")), "postern_threads") != 0)
			continue;
		json_array_foreach(threads, j, t)
			if (json_is_string(t))
				json_array_append(out, t);
	}
	json_decref(details);
	return out;
}

/* An app device as the person's listing shows it: the device, its app and grant, and their statements. */
static enum srv_err app_device_view(struct req *rq, const struct store_device *d, const struct store_grant *g, json_t **out)
{
	struct store_app app;
	json_t *v = view_device(d);
	enum srv_err rc = v ? view_app_device(rq, d, v) : SRV_E_INTERNAL;
	if (rc == SRV_E_OK)
		rc = rq->ops->app_by_id(rq->db, g->app_id, &app);
	if (rc == SRV_E_NOT_FOUND) {
		app.name[0] = '\0';
		rc = SRV_E_OK;
	}
	if (rc == SRV_E_OK) {
		json_object_set_new(v, "app_name", json_string(app.name));
		json_object_set_new(v, "expires_at", view_time(g->expires_at));
		json_object_set_new(v, "threads", grant_threads(g));
		*out = v;
		return SRV_E_OK;
	}
	json_decref(v);
	*out = NULL;
	return rc;
}

struct app_walk {
	struct req *rq;
	json_t *arr;
	enum srv_err rc;
};

static int app_device_row(void *arg, const struct store_device *d)
{
	struct app_walk *w = arg;
	struct store_grant g;
	json_t *v = NULL;
	w->rc = w->rq->ops->grant_by_id(w->rq->db, d->grant_id, &g);
	if (w->rc == SRV_E_NOT_FOUND) {
		w->rc = SRV_E_OK;
		return 0;
	}
	if (w->rc != SRV_E_OK)
		return 1;
	/* live grants' devices, and the ones a signed revocation ended (so every device of the person learns it) */
	if (!d->removed && (g.revoked_at || g.expires_at <= w->rq->now))
		return 0;
	if ((w->rc = app_device_view(w->rq, d, &g, &v)) != SRV_E_OK)
		return 1;
	json_array_append_new(w->arr, v);
	return 0;
}

enum srv_err h_app_devices_list(struct req *rq)
{
	struct app_walk w = {rq, json_array(), SRV_E_OK};
	enum srv_err rc = w.arr ? rq->ops->app_device_list_user(rq->db, rq->user.id, app_device_row, &w) : SRV_E_INTERNAL;
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "devices", w.arr));
}

/*
 * The live app device {params[0]} of one of rq's user's live grants, with the grant and its app; NOT_FOUND
 * for anything else (someone else's device, a person's own device, an ended grant).
 */
static enum srv_err my_app_device(struct req *rq, struct store_device *d, struct store_grant *g, struct store_app *app)
{
	enum srv_err rc = rq->ops->device_by_public(rq->db, rq->params[0], d);
	if (rc == SRV_E_OK && (d->user_id != rq->user.id || d->grant_id == 0))
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = rq->ops->grant_by_id(rq->db, d->grant_id, g);
	if (rc == SRV_E_OK && (g->revoked_at || g->expires_at <= rq->now))
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = rq->ops->app_by_id(rq->db, g->app_id, app);
	return rc;
}

/* Read the body's "statement" of type (APP_AUTH or APP_REVOKE) for device d of grant g, signed by the
 * person's identity key, and check that it names them. */
static enum srv_err app_statement(struct req *rq, unsigned type, const struct store_device *d, const struct store_grant *g,
				  const struct store_app *app, struct statement *s)
{
	struct store_identity id;
	unsigned char spk[32], bpk[32];
	enum srv_err rc = statement_identity(rq, &id);
	if (rc == SRV_E_OK)
		rc = statement_key(d->sign_pk, spk);
	if (rc == SRV_E_OK)
		rc = statement_key(d->box_pk, bpk);
	if (rc == SRV_E_OK)
		rc = statement_field(rq, "statement", 0, PROTO_STATEMENT_MAX, type, id.id_pk, s);
	if (rc != SRV_E_OK)
		return rc;
	if (strcmp(s->st->device_id, d->public_id) != 0 || strcmp(s->st->grant_id, g->public_id) != 0 ||
	    strcmp(s->st->client_id, app->client_id) != 0)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must name this device, its grant and the grant's app");
	else if (type == PROTO_ST_APP_AUTH && (sodium_memcmp(s->st->key, spk, 32) != 0 || sodium_memcmp(s->st->key2, bpk, 32) != 0))
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must name the device's sign_pk and box_pk");
	if (rc != SRV_E_OK)
		statement_release(s);
	return rc;
}

enum srv_err h_app_device_authorise(struct req *rq)
{
	struct store_device d;
	struct store_grant g;
	struct store_app app;
	struct statement s = {0};
	json_t *v = NULL;
	enum srv_err rc = my_app_device(rq, &d, &g, &app);
	if (rc == SRV_E_OK)
		rc = app_statement(rq, PROTO_ST_APP_AUTH, &d, &g, &app, &s);
	if (rc == SRV_E_OK)
		rc = rq->ops->app_statement_set(rq->db, d.id, STORE_APP_AUTH, s.bytes, s.len);
	if (rc == SRV_E_OK)
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK)
		rc = app_device_view(rq, &d, &g, &v);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 200, v);
	statement_release(&s);
	return rc;
}

enum srv_err h_app_device_revoke(struct req *rq)
{
	struct store_device d;
	struct store_grant g;
	struct store_app app;
	struct statement s = {0};
	enum srv_err rc = my_app_device(rq, &d, &g, &app);
	if (rc == SRV_E_OK)
		rc = app_statement(rq, PROTO_ST_APP_REVOKE, &d, &g, &app, &s);
	if (rc == SRV_E_OK)
		rc = rq->ops->app_statement_set(rq->db, d.id, STORE_APP_REVOKE, s.bytes, s.len);
	if (rc == SRV_E_OK)
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK) /* as DELETE /v1/me/grants/{id}: the app's tokens and device end now */
		rc = partner_grant_revoke(rq, &g);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 204, NULL);
	statement_release(&s);
	return rc;
}
