/*
 * h_keys.c — prekeys (docs/api.md "Prekeys"): each device uploads PREKEY statements it signed — one signed
 * prekey and a stock of one-time keys — and a sender claims them to seal a key hand-over that only that
 * device can open, once (forward secrecy of hand-overs). A one-time key is deleted as it is handed out, so
 * claiming is a write. A person claims for the devices they may send to-device messages to; a partner app
 * (the twins under /v1/partner/) uploads for its own device and claims for the readers of its grant's threads.
 */
#include "handlers.h"

#include "jsonv.h"
#include "partner.h"
#include "scopes.h"
#include "statement.h"
#include "views.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define KEYS_ONE_TIME_PER_REQUEST 100 /* one-time keys in one upload */
#define KEYS_ONE_TIME_MAX 200         /* unused one-time keys a device keeps */
#define KEYS_CLAIM_MAX 1024           /* devices in one claim */

_Static_assert(KEYS_ONE_TIME_PER_REQUEST <= KEYS_ONE_TIME_MAX, "one request fits a device's stock");

/* The counts answer: {"one_time","signed_key_id"} of the session's device. */
static enum srv_err reply_counts(struct req *rq)
{
	int64_t one = 0, signed_id = -1;
	enum srv_err rc = rq->ops->prekey_count(rq->db, rq->session.device_id, &one, &signed_id);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:I,s:o}", "one_time", (json_int_t)one, "signed_key_id",
					    signed_id < 0 ? json_null() : json_integer(signed_id)));
}

/* The session's device and its signing key; SRV_E_INVALID_FIELD when the session has none. */
static enum srv_err session_device(struct req *rq, struct store_device *d, unsigned char spk[32])
{
	enum srv_err rc;
	if (rq->session.device_id == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "register a device first: prekeys belong to the session's device");
	rc = rq->ops->device_by_public(rq->db, rq->session.device_public_id, d);
	if (rc == SRV_E_OK)
		rc = statement_key(d->sign_pk, spk);
	return rc == SRV_E_NOT_FOUND ? SRV_E_INTERNAL : rc;
}

/* Check one PREKEY statement (text, named `what`) of device d, of kind, and keep it. */
static enum srv_err keep_prekey(struct req *rq, const char *what, const char *text, const struct store_device *d,
				const unsigned char spk[32], int kind)
{
	struct statement s = {0};
	struct store_prekey k = {0};
	enum srv_err rc = statement_read(rq, what, text, STORE_SMALL_STMT, PROTO_ST_PREKEY, spk, &s);
	if (rc != SRV_E_OK)
		return rc;
	if (strcmp(s.st->device_id, d->public_id) != 0)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must name the session's device", what);
	else if (s.st->key_id == 0) /* a hand-over names "no one-time key" with 0 (docs/protocol.md §17) */
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' has key_id 0, which no prekey may have", what);
	else if (s.st->op != (unsigned)(kind == STORE_PREKEY_SIGNED ? PROTO_PREKEY_SIGNED : PROTO_PREKEY_ONE_TIME))
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must be a %s prekey", what, kind == STORE_PREKEY_SIGNED ? "signed" : "one-time");
	if (rc == SRV_E_OK) {
		k.kind = kind;
		k.key_id = s.st->key_id;
		memcpy(k.statement, s.bytes, s.len);
		k.len = s.len;
		rc = rq->ops->prekey_put(rq->db, d->id, &k, rq->now);
		if (rc == SRV_E_CONFLICT) /* that key id is already waiting: an upload retried */
			rc = SRV_E_OK;
	}
	statement_release(&s);
	return rc;
}

/* POST /v1/keys and its partner twin: the session's device's prekeys, then the counts. */
static enum srv_err keys_upload(struct req *rq)
{
	struct store_device d;
	unsigned char spk[32];
	json_t *one = json_object_get(rq->body, "one_time"), *item;
	const char *signed_text = NULL;
	int64_t count = 0, signed_id = -1;
	size_t i;
	enum srv_err rc;

	if ((rc = session_device(rq, &d, spk)) != SRV_E_OK || (rc = jsonv_str_opt(rq, "signed", 1, SIZE_MAX, &signed_text)) != SRV_E_OK)
		return rc;
	if (one && !json_is_null(one) && (!json_is_array(one) || json_array_size(one) > KEYS_ONE_TIME_PER_REQUEST))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'one_time' must be an array of at most %d statements", KEYS_ONE_TIME_PER_REQUEST);
	if (signed_text && (rc = keep_prekey(rq, "signed", signed_text, &d, spk, STORE_PREKEY_SIGNED)) != SRV_E_OK)
		return rc;
	json_array_foreach(one, i, item) {
		char what[32];
		snprintf(what, sizeof(what), "one_time[%zu]", i);
		if (!json_is_string(item))
			return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be a string", what);
		if ((rc = keep_prekey(rq, what, json_string_value(item), &d, spk, STORE_PREKEY_ONE_TIME)) != SRV_E_OK)
			return rc;
	}
	if ((rc = rq->ops->prekey_count(rq->db, d.id, &count, &signed_id)) != SRV_E_OK)
		return rc;
	if (count > KEYS_ONE_TIME_MAX) /* the whole upload rolls back */
		return req_fail(rq, SRV_E_CONFLICT, "a device keeps at most %d unused one-time keys", KEYS_ONE_TIME_MAX);
	return reply_counts(rq);
}

enum srv_err h_keys_upload(struct req *rq)
{
	return keys_upload(rq);
}

enum srv_err h_keys_count(struct req *rq)
{
	struct store_device d;
	unsigned char spk[32];
	enum srv_err rc = session_device(rq, &d, spk);
	return rc == SRV_E_OK ? reply_counts(rq) : rc;
}

/* ---- claiming ---- */

/* May the caller claim device d's keys? SRV_E_OK or SRV_E_NOT_FOUND. */
typedef enum srv_err (*claim_check)(struct req *rq, const struct store_device *d, void *arg);

/*
 * POST /v1/keys/claim and its partner twin: for each device of "devices" (1..KEYS_CLAIM_MAX, each passing
 * check), its signed prekey and one one-time key, taken. A device that fails the check fails the request
 * (404) and nothing is taken. Sets *n to the number of devices answered.
 */
static enum srv_err keys_claim(struct req *rq, claim_check check, void *arg, size_t *n)
{
	json_t *devs = json_object_get(rq->body, "devices"), *item, *keys = NULL;
	enum srv_err rc = SRV_E_OK;
	size_t i;

	if (!json_is_array(devs) || json_array_size(devs) == 0 || json_array_size(devs) > KEYS_CLAIM_MAX)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'devices' must be an array of 1 to %d device ids", KEYS_CLAIM_MAX);
	if ((keys = json_object()) == NULL)
		return SRV_E_INTERNAL;
	json_array_foreach(devs, i, item) {
		struct store_device d;
		struct store_prekey sk, ok;
		enum srv_err src = SRV_E_OK, orc = SRV_E_OK;
		if (!json_is_string(item)) {
			rc = req_fail(rq, SRV_E_INVALID_FIELD, "devices[%zu] must be a device id", i);
			break;
		}
		if (json_object_get(keys, json_string_value(item)))
			continue; /* named twice: one key is enough */
		rc = json_string_length(item) < STORE_ID_LEN ? rq->ops->device_by_public(rq->db, json_string_value(item), &d)
							     : SRV_E_NOT_FOUND;
		if (rc == SRV_E_OK)
			rc = check(rq, &d, arg);
		if (rc == SRV_E_NOT_FOUND)
			rc = req_fail(rq, SRV_E_NOT_FOUND, "devices[%zu]: no such device", i);
		if (rc == SRV_E_OK && (src = rq->ops->prekey_signed(rq->db, d.id, &sk)) != SRV_E_OK && src != SRV_E_NOT_FOUND)
			rc = src;
		if (rc == SRV_E_OK && (orc = rq->ops->prekey_take_one_time(rq->db, d.id, &ok)) != SRV_E_OK && orc != SRV_E_NOT_FOUND)
			rc = orc;
		if (rc != SRV_E_OK)
			break;
		json_object_set_new(keys, d.public_id,
				    json_pack("{s:o,s:o}", "signed", src == SRV_E_OK ? view_bytes(sk.statement, sk.len) : json_null(),
					      "one_time", orc == SRV_E_OK ? view_bytes(ok.statement, ok.len) : json_null()));
	}
	if (rc != SRV_E_OK) {
		json_decref(keys);
		return rc;
	}
	*n = json_object_size(keys);
	return req_reply(rq, 200, json_pack("{s:o}", "keys", keys));
}

/* A person claims for the devices they may send to-device messages to: theirs, friends', co-members'. */
static enum srv_err person_may_claim(struct req *rq, const struct store_device *d, void *arg)
{
	(void)arg;
	return devices_may_see(rq, d->user_id);
}

enum srv_err h_keys_claim(struct req *rq)
{
	size_t n = 0;
	return keys_claim(rq, person_may_claim, NULL, &n);
}

/* ---- the partner app's twins ---- */

/* The app's own device (of this grant) is what its prekeys belong to. */
static enum srv_err app_device_first(struct req *rq)
{
	if (!scope_has(rq->token->scopes, "messages:read") && !scope_has(rq->token->scopes, "messages:send"))
		return req_fail(rq, SRV_E_INSUFFICIENT_SCOPE, "an app device needs messages:read or messages:send");
	if (rq->session.device_id == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "register the app's device first (POST /v1/partner/devices)");
	return SRV_E_OK;
}

enum srv_err h_partner_keys_upload(struct req *rq)
{
	enum srv_err rc;
	if ((rc = app_device_first(rq)) != SRV_E_OK || (rc = keys_upload(rq)) != SRV_E_OK)
		return rc;
	return partner_log(rq, "keys.upload", NULL, NULL, (int64_t)json_array_size(json_object_get(rq->body, "one_time")));
}

enum srv_err h_partner_keys_count(struct req *rq)
{
	enum srv_err rc;
	if ((rc = app_device_first(rq)) != SRV_E_OK || (rc = reply_counts(rq)) != SRV_E_OK)
		return rc;
	return partner_log(rq, "keys.count", NULL, NULL, 0);
}

struct reader_walk {
	struct req *rq;
	const struct store_device *d;
	int found;
};

/* Stops at the first thread of the grant where d reads, as the person sees it. */
static int reader_thread(void *arg, const struct store_thread *t)
{
	struct reader_walk *w = arg;
	struct store_thread mine;
	if (!partner_thread_allowed(w->rq, t->id, t->public_id, "send") ||
	    w->rq->ops->thread_by_id_for_member(w->rq->db, t->id, w->d->user_id, &mine) != SRV_E_OK)
		return 0;
	w->found = view_device_readable(w->rq, t, w->d, w->rq->user.id);
	return w->found;
}

/* An app claims for the readers of its grant's threads only (never its own device). */
static enum srv_err app_may_claim(struct req *rq, const struct store_device *d, void *arg)
{
	struct reader_walk w = {rq, d, 0};
	enum srv_err rc;
	(void)arg;
	if (d->id == rq->session.device_id)
		return SRV_E_NOT_FOUND;
	rc = rq->ops->grant_thread_list(rq->db, rq->grant->id, reader_thread, &w, rq->user.id);
	if (rc == SRV_E_OK && !w.found)
		rc = SRV_E_NOT_FOUND;
	return rc;
}

enum srv_err h_partner_keys_claim(struct req *rq)
{
	size_t n = 0;
	enum srv_err rc = keys_claim(rq, app_may_claim, NULL, &n);
	if (rc == SRV_E_NOT_FOUND)
		partner_log_attempt(rq, "keys.claim", NULL);
	if (rc != SRV_E_OK)
		return rc;
	return partner_log(rq, "keys.claim", NULL, NULL, (int64_t)n);
}
