/*
 * h_devices.c — devices (a client's end-to-end encryption keys) and to-device messages (how clients hand
 * each other session keys). The server checks that a device's signing key signed its box key for this user
 * and that a to-device message goes only to someone the sender is connected to; the bodies stay opaque.
 * Key listings carry what clients check before they trust a device (protocol version 2): the account's
 * identity, each device's certificate and the account's revocations (h_identity.c stores them).
 */
#include "handlers.h"

#include "b64url.h"
#include "events.h"
#include "jsonv.h"
#include "pubid.h"
#include "views.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define DEVICE_SIG_PREFIX "postern-device-v1:"

/* Counts the person's own live devices (apps' devices are bounded by their grants). */
static int count_own_device(void *arg, const struct store_device *row)
{
	if (row->grant_id == 0)
		(*(int64_t *)arg)++;
	return 0;
}

enum srv_err h_device_create(struct req *rq)
{
	const char *name, *sign_pk, *box_pk, *sig;
	unsigned char spk[32], bpk[32], sigbin[64];
	char msg[128];
	struct store_device d = {0};
	enum srv_err rc;
	int64_t own = 0;
	int n;

	/* keys of any length are read, then refused as invalid_key when they do not decode to the right size */
	if ((rc = jsonv_str(rq, "name", 1, 64, &name)) != SRV_E_OK || (rc = jsonv_str(rq, "sign_pk", 0, 128, &sign_pk)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "box_pk", 0, 128, &box_pk)) != SRV_E_OK || (rc = jsonv_str(rq, "sig", 0, 256, &sig)) != SRV_E_OK)
		return rc;
	if (b64url_decode_exact(sign_pk, strlen(sign_pk), spk, 32) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'sign_pk' must be 32 bytes of base64url without padding");
	if (b64url_decode_exact(box_pk, strlen(box_pk), bpk, 32) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'box_pk' must be 32 bytes of base64url without padding");
	if (b64url_decode_exact(sig, strlen(sig), sigbin, 64) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'sig' must be 64 bytes of base64url without padding");
	n = snprintf(msg, sizeof(msg), DEVICE_SIG_PREFIX "%s:%s", rq->user.public_id, box_pk);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return SRV_E_INTERNAL;
	if (crypto_sign_verify_detached(sigbin, (const unsigned char *)msg, (unsigned long long)n, spk) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'sig' does not verify with 'sign_pk'");
	/* the same device registering again (a new login): bind the session to it, add nothing */
	rc = rq->ops->device_by_key(rq->db, rq->user.id, sign_pk, &d);
	if (rc == SRV_E_OK && strcmp(d.box_pk, box_pk) == 0) {
		rc = rq->ops->session_bind_device(rq->db, rq->session.id, d.id);
		return rc == SRV_E_OK ? req_reply(rq, 200, view_device(&d)) : rc;
	}
	if (rc == SRV_E_OK)
		return req_fail(rq, SRV_E_CONFLICT, "this signing key is registered with another box key");
	if (rc != SRV_E_NOT_FOUND)
		return rc;
	/* a cap: every device is listed with each thread and gets its own copy of every session key */
	if ((rc = rq->ops->device_list_user(rq->db, rq->user.id, count_own_device, &own)) != SRV_E_OK)
		return rc;
	if (own >= rq->cfg->max_devices)
		return req_fail(rq, SRV_E_CONFLICT, "you have %lld device%s, the most allowed: remove one first",
				(long long)own, own == 1 ? "" : "s");
	memset(&d, 0, sizeof(d));
	pubid_new("d", d.public_id, sizeof(d.public_id));
	d.user_id = rq->user.id;
	snprintf(d.user_public_id, sizeof(d.user_public_id), "%s", rq->user.public_id);
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.sign_pk, sizeof(d.sign_pk), "%s", sign_pk);
	snprintf(d.box_pk, sizeof(d.box_pk), "%s", box_pk);
	snprintf(d.reg_sig, sizeof(d.reg_sig), "%s", sig);
	d.created_at = rq->now;
	rc = rq->ops->device_insert(rq->db, &d);
	if (rc == SRV_E_OK)
		rc = rq->ops->session_bind_device(rq->db, rq->session.id, d.id);
	if (rc == SRV_E_OK)
		rc = events_emit_contacts(rq, "device.added", json_pack("{s:s,s:o}", "user_id", rq->user.public_id, "device", view_device(&d)));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 201, view_device(&d));
	return rc;
}

struct device_list {
	struct req *rq;
	json_t *arr;
	int others_too; /* 0: only a person's own devices (app devices read for them inside app threads alone) */
};

static int device_row(void *arg, const struct store_device *d)
{
	struct device_list *l = arg;
	json_t *v;
	if (d->grant_id != 0 && !l->others_too)
		return 0;
	if ((v = view_device(d)) == NULL)
		return 1;
	/* the asking session's own device: the identity seed an approving device left for it */
	if (d->id == l->rq->session.device_id && d->identity_box_len)
		json_object_set_new(v, "identity_box", view_bytes(d->identity_box, d->identity_box_len));
	json_array_append_new(l->arr, v);
	return 0;
}

/*
 * user's devices as the key listings give them: {"devices", "identity", "revocations"} (plus "user_id" for
 * GET /v1/users/{id}/devices), with the app devices only when with_apps.
 */
static enum srv_err device_listing(struct req *rq, const struct store_user *user, int with_apps, int with_user_id)
{
	struct device_list l = {rq, json_array(), with_apps};
	json_t *identity = NULL, *revocations = NULL, *out;
	enum srv_err rc = l.arr ? rq->ops->device_list_user(rq->db, user->id, device_row, &l) : SRV_E_INTERNAL;
	if (rc == SRV_E_OK)
		rc = view_identity_of(rq, user, &identity);
	if (rc == SRV_E_OK)
		rc = view_revocations(rq, user->id, &revocations);
	if (rc != SRV_E_OK) {
		json_decref(l.arr);
		json_decref(identity);
		json_decref(revocations);
		return rc;
	}
	out = json_pack("{s:o,s:o,s:o}", "devices", l.arr, "identity", identity, "revocations", revocations);
	if (out && with_user_id)
		json_object_set_new(out, "user_id", json_string(user->public_id));
	return req_reply(rq, 200, out);
}

enum srv_err h_devices_list(struct req *rq)
{
	return device_listing(rq, &rq->user, 1, 0);
}

enum srv_err devices_remove(struct req *rq, const struct store_device *d)
{
	enum srv_err rc = rq->ops->device_delete(rq->db, d->id);
	if (rc == SRV_E_OK)
		rc = rq->ops->session_unbind_device(rq->db, d->id);
	if (rc == SRV_E_OK)
		rc = rq->ops->event_prune_to_device(rq->db, d->id, INT64_MAX);
	if (rc == SRV_E_OK)
		rc = rq->ops->prekey_delete_device(rq->db, d->id);
	if (rc == SRV_E_OK)
		rc = events_emit_contacts(rq, "device.removed", json_pack("{s:s,s:s}", "user_id", rq->user.public_id, "device_id", d->public_id));
	return rc;
}

enum srv_err h_device_delete(struct req *rq)
{
	struct store_device d;
	enum srv_err rc = rq->ops->device_by_public(rq->db, rq->params[0], &d);
	if (rc == SRV_E_OK && d.user_id != rq->user.id)
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = devices_remove(rq, &d);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 204, NULL);
	return rc;
}

enum srv_err devices_may_see(struct req *rq, int64_t other)
{
	enum srv_err rc;
	if (other == rq->user.id)
		return SRV_E_OK;
	rc = rq->ops->friend_check(rq->db, rq->user.id, other);
	if (rc == SRV_E_NOT_FOUND)
		rc = rq->ops->users_share_thread(rq->db, rq->user.id, other);
	return rc;
}

enum srv_err h_user_devices(struct req *rq)
{
	struct store_user other;
	enum srv_err rc = rq->ops->user_by_public(rq->db, rq->params[0], &other);
	if (rc == SRV_E_OK)
		rc = devices_may_see(rq, other.id);
	if (rc != SRV_E_OK)
		return rc;
	return device_listing(rq, &other, other.id == rq->user.id, 1);
}

enum srv_err h_to_device(struct req *rq)
{
	json_t *msgs = json_object_get(rq->body, "messages"), *item;
	size_t i, n;
	enum srv_err rc = SRV_E_OK;

	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'messages' must be a non-empty array");
	n = json_array_size(msgs);
	if (n > (size_t)rq->cfg->to_device_max)
		return req_fail(rq, SRV_E_INVALID_FIELD, "at most %lld messages per request", (long long)rq->cfg->to_device_max);
	json_array_foreach(msgs, i, item) {
		json_t *jd = json_object_get(item, "device_id"), *jb = json_object_get(item, "body");
		struct store_device d;
		size_t blen, dlen = 0;

		if (!json_is_object(item) || !json_is_string(jd) || !json_is_string(jb))
			return req_fail(rq, SRV_E_INVALID_FIELD, "messages[%zu] needs string 'device_id' and 'body'", i);
		blen = json_string_length(jb);
		if (blen == 0 || b64url_check(json_string_value(jb), blen, &dlen) != 0)
			return req_fail(rq, SRV_E_INVALID_FIELD, "messages[%zu].body must be base64url without padding", i);
		if (dlen > (size_t)rq->cfg->max_body_bytes)
			return req_fail(rq, SRV_E_TOO_LARGE, "messages[%zu].body is larger than %lld bytes", i,
					(long long)rq->cfg->max_body_bytes);
		if (json_string_length(jd) >= STORE_ID_LEN)
			return req_fail(rq, SRV_E_NOT_FOUND, "messages[%zu]: no such device", i);
		rc = rq->ops->device_by_public(rq->db, json_string_value(jd), &d);
		if (rc == SRV_E_OK)
			rc = devices_may_see(rq, d.user_id);
		if (rc == SRV_E_NOT_FOUND)
			return req_fail(rq, SRV_E_NOT_FOUND, "messages[%zu]: no such device", i);
		if (rc == SRV_E_OK)
			rc = events_emit(rq, d.user_id, d.id, "to_device", 0,
					 json_pack("{s:s,s:s?,s:s,s:O}", "from_user_id", rq->user.public_id, "from_device_id",
						   rq->session.device_id ? rq->session.device_public_id : NULL, "device_id",
						   d.public_id, "body", jb));
		if (rc != SRV_E_OK)
			return rc;
	}
	return req_reply(rq, 202, json_pack("{s:I}", "accepted", (json_int_t)n));
}
