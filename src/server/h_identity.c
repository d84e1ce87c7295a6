/*
 * h_identity.c — identity keys and signed devices (protocol version 2, docs/api.md "Identity keys and
 * signed devices"): an account's identity key with the sealed backup of its seed, device certificates and
 * identity boxes, the approval-code lookup of a new device, device revocations, and the person's contact
 * statements. The server keeps what clients sign and checks each statement's shape and signature before it
 * keeps it; it never makes one, and clients check everything again. The backup fetch and approval-code
 * misses are rate-limited (auth.c), since each is one guess at a secret.
 */
#include "handlers.h"

#include "auth.h"
#include "events.h"
#include "jsonv.h"
#include "statement.h"
#include "tlog.h"
#include "views.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* Most CONTACT statements kept for one account. */
#define CONTACTS_MAX 10000

_Static_assert(PROTO_BACKUP_MAX <= STORE_BACKUP_LEN, "an identity backup fits its column");
_Static_assert(PROTO_IDENTITY_BOX_MAX <= STORE_BOX_LEN, "an identity box fits its column");

/* ---- the identity key ---- */

enum srv_err h_identity_put(struct req *rq)
{
	struct statement s = {0};
	struct store_identity cur, id = {0};
	const char *backup_text;
	char backup_user[PROTO_ID_MAX + 1];
	unsigned char backup_pk[PROTO_ID_KEY_BYTES];
	json_t *reset = json_object_get(rq->body, "reset"), *ev;
	int exists = 0, same = 0, status = 200;
	enum srv_err rc;

	if (reset && !json_is_boolean(reset))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'reset' must be true or false");
	if ((rc = jsonv_str(rq, "backup", 1, SIZE_MAX, &backup_text)) != SRV_E_OK)
		return rc;
	/* self-signed: parse to learn the key, then check the signature with it */
	if ((rc = statement_field(rq, "statement", 0, STORE_SMALL_STMT, PROTO_ST_IDENTITY, NULL, &s)) != SRV_E_OK)
		return rc;
	memcpy(id.id_pk, s.st->key, sizeof(id.id_pk));
	if ((rc = statement_check_sig(rq, "statement", &s, id.id_pk)) != SRV_E_OK)
		goto out;
	if (strcmp(s.st->user_id, rq->user.public_id) != 0 || strcmp(s.st->username, rq->user.username) != 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must name your user id and username");
		goto out;
	}
	if ((rc = statement_blob(rq, "backup", backup_text, PROTO_BACKUP_MAX, id.backup, &id.backup_len)) != SRV_E_OK)
		goto out;
	if (proto_backup_peek(id.backup, id.backup_len, backup_user, backup_pk) != PROTO_E_OK ||
	    strcmp(backup_user, rq->user.public_id) != 0 || sodium_memcmp(backup_pk, id.id_pk, sizeof(backup_pk)) != 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'backup' must be an identity backup naming your user id and this identity key");
		goto out;
	}
	rc = rq->ops->identity_get(rq->db, rq->user.id, &cur);
	if (rc == SRV_E_OK)
		exists = 1;
	else if (rc != SRV_E_NOT_FOUND)
		goto out;
	same = exists && sodium_memcmp(cur.id_pk, id.id_pk, sizeof(id.id_pk)) == 0;
	if (exists && !same && !json_is_true(reset)) {
		rc = req_fail(rq, SRV_E_CONFLICT, "the account has another identity key; send \"reset\": true to replace it");
		goto out;
	}
	id.user_id = rq->user.id;
	memcpy(id.statement, s.bytes, s.len);
	id.statement_len = s.len;
	id.created_at = same ? cur.created_at : rq->now;
	id.changed_at = rq->now;
	rc = rq->ops->identity_put(rq->db, &id);
	if (rc == SRV_E_OK) /* in the transparency log with the change itself (tlog.c: once per statement) */
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK && exists && !same) {
		/* a reset: nothing the old key signed stands for the account any more */
		rc = rq->ops->identity_drop_signatures(rq->db, rq->user.id);
		if (rc == SRV_E_OK) {
			ev = json_pack("{s:s,s:o}", "user_id", rq->user.public_id, "id_pk", view_bytes(id.id_pk, sizeof(id.id_pk)));
			rc = events_emit_contacts(rq, "identity.changed", ev);
		}
	}
	if (rc != SRV_E_OK)
		goto out;
	if (!exists)
		status = 201;
	rc = req_reply(rq, status, view_identity(&id, rq->user.public_id, rq->user.username));
out:
	statement_release(&s);
	return rc;
}

enum srv_err h_identity_backup(struct req *rq)
{
	struct store_identity id;
	enum srv_err rc;

	/* each fetch is one recovery-key attempt on the client: limited whether or not there is a backup */
	if (auth_limit_check(AUTH_LIMIT_BACKUP, rq->user.public_id, &rq->retry_after) != SRV_E_OK)
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many backup fetches; retry in %d s", rq->retry_after);
	auth_limit_hit(AUTH_LIMIT_BACKUP, rq->user.public_id);
	rc = rq->ops->identity_get(rq->db, rq->user.id, &id);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:o}", "backup", view_bytes(id.backup, id.backup_len)));
}

/* ---- approving devices ---- */

/* One of rq's user's own devices (not an app's) by public id; NOT_FOUND for anything else. */
static enum srv_err own_device(struct req *rq, const char *public_id, struct store_device *d)
{
	enum srv_err rc = rq->ops->device_by_public(rq->db, public_id, d);
	if (rc == SRV_E_OK && (d->user_id != rq->user.id || d->grant_id != 0))
		rc = SRV_E_NOT_FOUND;
	return rc;
}

/* The keys of a stored device as bytes. */
static enum srv_err device_keys(const struct store_device *d, unsigned char spk[32], unsigned char bpk[32])
{
	enum srv_err rc = statement_key(d->sign_pk, spk);
	return rc == SRV_E_OK ? statement_key(d->box_pk, bpk) : rc;
}

enum srv_err h_device_cert(struct req *rq)
{
	struct statement s = {0};
	struct store_identity id;
	struct store_device d;
	unsigned char spk[32], bpk[32], box[PROTO_IDENTITY_BOX_MAX];
	size_t box_len = 0;
	const char *box_text = NULL;
	enum srv_err rc;

	if ((rc = own_device(rq, rq->params[0], &d)) != SRV_E_OK || (rc = device_keys(&d, spk, bpk)) != SRV_E_OK)
		return rc;
	if ((rc = jsonv_str_opt(rq, "identity_box", 1, SIZE_MAX, &box_text)) != SRV_E_OK)
		return rc;
	if (box_text) {
		if ((rc = statement_blob(rq, "identity_box", box_text, sizeof(box), box, &box_len)) != SRV_E_OK)
			return rc;
		/* sealed whole (its type byte too): all the server can check is that it is a seal of something */
		if (box_len <= PROTO_SEAL_BYTES)
			return req_fail(rq, SRV_E_INVALID_KEY, "'identity_box' is too short to be an identity box");
	}
	if ((rc = statement_identity(rq, &id)) != SRV_E_OK)
		return rc;
	if ((rc = statement_field(rq, "cert", 0, STORE_SMALL_STMT, PROTO_ST_DEVICE_CERT, id.id_pk, &s)) != SRV_E_OK)
		return rc;
	if (strcmp(s.st->device_id, d.public_id) != 0 || sodium_memcmp(s.st->key, spk, 32) != 0 ||
	    sodium_memcmp(s.st->key2, bpk, 32) != 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'cert' must name this device and its sign_pk and box_pk");
		goto out;
	}
	rc = rq->ops->device_set_cert(rq->db, d.id, s.bytes, s.len, box_text ? box : NULL, box_len);
	if (rc == SRV_E_OK)
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK)
		rc = rq->ops->device_by_public(rq->db, d.public_id, &d);
	if (rc == SRV_E_OK)
		rc = events_emit_contacts(rq, "device.approved", json_pack("{s:s,s:o}", "user_id", rq->user.public_id, "device",
									    view_device(&d)));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 200, view_device(&d));
out:
	statement_release(&s);
	return rc;
}

struct pending_walk {
	struct req *rq;
	const char *code; /* canonical form */
	struct store_device found;
	int n;
	enum srv_err rc;
};

static int pending_row(void *arg, const struct store_device *d)
{
	struct pending_walk *w = arg;
	unsigned char spk[32], bpk[32];
	char code[PROTO_CODE_LEN];
	if (d->grant_id != 0 || d->cert_len != 0)
		return 0; /* an app's device, or one already approved */
	if ((w->rc = device_keys(d, spk, bpk)) != SRV_E_OK)
		return 1;
	if (proto_approval_code(w->rq->user.public_id, d->public_id, spk, bpk, code, sizeof(code)) != PROTO_E_OK)
		return 0; /* ids the protocol cannot name have no code */
	if (sodium_memcmp(code, w->code, sizeof(code)) == 0) {
		w->found = *d;
		w->n++;
		return 1;
	}
	return 0;
}

enum srv_err h_device_pending(struct req *rq)
{
	struct pending_walk w;
	const char *typed = req_query(rq, "code");
	char code[PROTO_CODE_LEN];
	enum srv_err rc;

	/* after too many misses every lookup waits, the right code too: the code has only 60 bits */
	if (auth_limit_check(AUTH_LIMIT_APPROVAL, rq->user.public_id, &rq->retry_after) != SRV_E_OK)
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many approval codes that matched nothing; retry in %d s", rq->retry_after);
	if (typed == NULL || proto_code_normalize(typed, code, sizeof(code)) != PROTO_E_OK)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'code' must be an approval code: 12 characters, XXXX-XXXX-XXXX");
	memset(&w, 0, sizeof(w));
	w.rq = rq;
	w.code = code;
	rc = rq->ops->device_list_user(rq->db, rq->user.id, pending_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc != SRV_E_OK)
		return rc;
	if (w.n == 0) {
		auth_limit_hit(AUTH_LIMIT_APPROVAL, rq->user.public_id);
		return req_fail(rq, SRV_E_NOT_FOUND, "no device of yours waiting for approval has that code");
	}
	return req_reply(rq, 200, json_pack("{s:o}", "device", view_device(&w.found)));
}

enum srv_err h_device_revocation(struct req *rq)
{
	struct statement s = {0};
	struct store_identity id;
	struct store_device d;
	unsigned char spk[32], bpk[32];
	enum srv_err rc;

	if ((rc = statement_identity(rq, &id)) != SRV_E_OK)
		return rc;
	if ((rc = statement_field(rq, "statement", 0, STORE_SMALL_STMT, PROTO_ST_DEVICE_REVOKE, id.id_pk, &s)) != SRV_E_OK)
		return rc;
	rc = own_device(rq, s.st->device_id, &d);
	if (rc == SRV_E_OK)
		rc = device_keys(&d, spk, bpk);
	if (rc != SRV_E_OK)
		goto out;
	if (sodium_memcmp(s.st->key, spk, 32) != 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'statement' must name the device's sign_pk");
		goto out;
	}
	rc = devices_remove(rq, &d);
	if (rc == SRV_E_OK)
		rc = rq->ops->revocation_add(rq->db, rq->user.id, d.id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK)
		rc = tlog_append_statement(rq->ops, rq->db, rq->user.public_id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 204, NULL);
out:
	statement_release(&s);
	return rc;
}

/* ---- contacts: the identity keys this person has seen and verified ---- */

enum srv_err h_contact_add(struct req *rq)
{
	struct statement s = {0};
	struct store_identity id;
	struct store_user other;
	int64_t n = 0;
	enum srv_err rc;

	if ((rc = statement_identity(rq, &id)) != SRV_E_OK)
		return rc;
	if ((rc = statement_field(rq, "statement", 0, STORE_SMALL_STMT, PROTO_ST_CONTACT, id.id_pk, &s)) != SRV_E_OK)
		return rc;
	if (strcmp(s.st->user_id, rq->user.public_id) == 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "a CONTACT statement records another account");
		goto out;
	}
	rc = rq->ops->user_by_public(rq->db, s.st->user_id, &other);
	if (rc == SRV_E_NOT_FOUND)
		rc = req_fail(rq, SRV_E_NOT_FOUND, "the statement names no account");
	if (rc == SRV_E_OK)
		rc = rq->ops->contact_count(rq->db, rq->user.id, &n);
	if (rc == SRV_E_OK && n >= CONTACTS_MAX)
		rc = req_fail(rq, SRV_E_CONFLICT, "an account keeps at most %d contact statements", CONTACTS_MAX);
	if (rc == SRV_E_OK)
		rc = rq->ops->contact_add(rq->db, rq->user.id, s.bytes, s.len, rq->now);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 201, json_pack("{s:o}", "statement", view_bytes(s.bytes, s.len)));
out:
	statement_release(&s);
	return rc;
}

static int contact_row(void *arg, const struct store_statement *row)
{
	json_t *v = view_bytes(row->bytes, row->len);
	if (v == NULL)
		return 1;
	json_array_append_new((json_t *)arg, v);
	return 0;
}

enum srv_err h_contacts_list(struct req *rq)
{
	json_t *arr = json_array();
	enum srv_err rc = arr ? rq->ops->contact_list(rq->db, rq->user.id, contact_row, arr) : SRV_E_INTERNAL;
	if (rc != SRV_E_OK) {
		json_decref(arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "statements", arr));
}
