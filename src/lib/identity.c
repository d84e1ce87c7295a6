/*
 * identity.c — this person's identity key on this device (docs/protocol.md §12, §14): made by the first
 * device at its first login, with a recovery key shown once and an encrypted backup only that key opens;
 * received by a later device from one that approves it by its code (or opened from the backup with the
 * recovery key); replaced by an announced reset. Whatever the server says, a device is approved only when
 * the identity key this device holds certified it.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

static char *b64(const unsigned char *bin, size_t n)
{
	char *t = malloc(b64url_encoded_len(n) + 1);
	if (t)
		b64url_encode(bin, n, t, b64url_encoded_len(n) + 1);
	return t;
}

/* GET /v1/devices and pick this device's object; *answer owns both. */
static pst_status my_listing(pst_client *c, json_t **answer, json_t **mine)
{
	json_t *d;
	size_t i;
	pst_status st = pst__request(c, "GET", "/v1/devices", NULL, answer);
	*mine = NULL;
	if (st != PST_OK)
		return st;
	json_array_foreach(json_object_get(*answer, "devices"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "device_id")) ? json_string_value(json_object_get(d, "device_id")) : "", c->device_id) == 0)
			*mine = d;
	return *mine ? PST_OK : pst__fail(c, PST_ERR_NOT_FOUND, "this device is not registered with the account");
}

/* The served identity key of this account (from a /v1/devices answer); 1 when there is a valid one. */
static int served_identity(json_t *answer, const char *user_id, unsigned char pk[PROTO_ID_KEY_BYTES])
{
	struct proto_statement *st = malloc(sizeof(*st));
	size_t n = 0;
	unsigned char *bin = pst__b64_decode(json_string_value(json_object_get(json_object_get(answer, "identity"), "statement")),
					     PROTO_STATEMENT_MAX, &n);
	int ok = st && bin && proto_statement_parse(bin, n, PROTO_ST_IDENTITY, st) == PROTO_E_OK &&
		 proto_statement_verify(bin, n, PROTO_ST_IDENTITY, st->key, st) == PROTO_E_OK && strcmp(st->user_id, user_id) == 0;
	if (ok)
		memcpy(pk, st->key, PROTO_ID_KEY_BYTES);
	free(bin);
	free(st);
	return ok;
}

/* Certify this device with the identity this client holds: PUT /v1/devices/{me}/cert. */
static pst_status certify_self(pst_client *c)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	char *text = NULL;
	json_t *body = NULL;
	pst_status rc;
	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st->type = PROTO_ST_DEVICE_CERT;
	snprintf(st->device_id, sizeof(st->device_id), "%s", c->device_id);
	memcpy(st->key, c->keys.sign_pk, 32);
	memcpy(st->key2, c->keys.box_pk, 32);
	st->at_ms = pst__now_ms();
	if ((text = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_CRYPTO;
		goto out;
	}
	body = json_pack("{s:s}", "cert", text);
	rc = pst__request_at(c, "PUT", "/v1/devices/%s/cert", c->device_id, NULL, body, NULL);
out:
	free(text);
	free(st);
	json_decref(body);
	return rc;
}

/*
 * Publish c->identity for this account (IDENTITY statement and a backup under a new recovery key, kept in
 * c->recovery_text for pst_take_recovery_key), then certify this device. reset: replace another identity.
 */
static pst_status publish(pst_client *c, const char *username, int reset)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	unsigned char secret[PROTO_RECOVERY_BYTES], backup[PROTO_BACKUP_MAX];
	char text_key[PROTO_RECOVERY_LEN], *stmt = NULL, *backup_t = NULL;
	size_t blen = 0;
	json_t *body = NULL;
	pst_status rc;

	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st->type = PROTO_ST_IDENTITY;
	snprintf(st->user_id, sizeof(st->user_id), "%s", c->user_id);
	snprintf(st->username, sizeof(st->username), "%s", username);
	memcpy(st->key, c->identity.pk, 32);
	st->at_ms = pst__now_ms();
	proto_recovery_new(secret);
	if ((stmt = pst__sign_identity(c, st)) == NULL || proto_recovery_format(secret, text_key, sizeof(text_key)) != PROTO_E_OK ||
	    proto_backup_seal(&c->identity, c->user_id, secret, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
			      backup, sizeof(backup), &blen) != PROTO_E_OK ||
	    (backup_t = b64(backup, blen)) == NULL) {
		rc = pst__fail(c, PST_ERR_CRYPTO, "cannot make the identity's backup");
		goto out;
	}
	body = json_pack("{s:s,s:s,s:b}", "statement", stmt, "backup", backup_t, "reset", reset);
	if ((rc = pst__request(c, "PUT", "/v1/me/identity", body, NULL)) != PST_OK)
		goto out;
	if (c->recovery_text) {
		sodium_memzero(c->recovery_text, strlen(c->recovery_text));
		free(c->recovery_text);
	}
	c->recovery_text = strdup(text_key);
	if ((rc = certify_self(c)) != PST_OK)
		goto out;
	c->approved = 1;
	rc = pst__save_keys(c);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(text_key, sizeof(text_key));
	free(stmt);
	free(backup_t);
	free(st);
	json_decref(body);
	return rc;
}

/* This device's approval code, from its registered keys. */
static void set_code(pst_client *c)
{
	if (proto_approval_code(c->user_id, c->device_id, c->keys.sign_pk, c->keys.box_pk, c->approval_code, sizeof(c->approval_code)) !=
	    PROTO_E_OK)
		c->approval_code[0] = '\0';
}

/* Take an identity this client now holds in *id (from a box or the backup) when it is the served one. */
static pst_status adopt(pst_client *c, const struct proto_identity *id, const unsigned char served[PROTO_ID_KEY_BYTES])
{
	if (sodium_memcmp(id->pk, served, PROTO_ID_KEY_BYTES) != 0)
		return pst__fail(c, PST_ERR_UNTRUSTED, "the identity key offered is not the account's published one");
	c->identity = *id;
	c->have_identity = 1;
	return PST_OK;
}

static pst_status ready_locked(pst_client *c, const char *username)
{
	json_t *answer = NULL, *mine = NULL;
	unsigned char served[PROTO_ID_KEY_BYTES];
	struct pst__device dev;
	pst_status rc;

	c->approval_code[0] = '\0';
	if ((rc = my_listing(c, &answer, &mine)) != PST_OK)
		goto out;
	if (!served_identity(answer, c->user_id, served)) {
		if (json_object_get(answer, "identity") && !json_is_null(json_object_get(answer, "identity"))) {
			rc = pst__fail(c, PST_ERR_UNTRUSTED, "the server shows an identity for your account that does not verify");
			goto out;
		}
		/* the account's first device: make its identity */
		if (!c->have_identity) {
			if (proto_identity_keygen(&c->identity) != PROTO_E_OK) {
				rc = pst__fail(c, PST_ERR_CRYPTO, "cannot make an identity key");
				goto out;
			}
			c->have_identity = 1;
			c->approved = 0;
			if ((rc = pst__save_keys(c)) != PST_OK) /* kept before it is published: never lose it */
				goto out;
		}
		rc = publish(c, username, 0);
		if (rc == PST_ERR_HTTP && c->http_status == 409) { /* another device was first by a moment */
			sodium_memzero(&c->identity, sizeof(c->identity));
			c->have_identity = 0;
			pst__save_keys(c);
			set_code(c);
			rc = pst__fail(c, PST_ERR_APPROVAL, "another device made your account's identity first: approve this one from it");
		}
		if (rc == PST_OK)
			rc = pst__prekeys_refill(c);
		goto out;
	}
	if (c->have_identity && sodium_memcmp(c->identity.pk, served, 32) != 0) {
		/* reset on another device (or a server lying): the key this device holds is no longer the account's */
		sodium_memzero(&c->identity, sizeof(c->identity));
		c->have_identity = 0;
		c->approved = 0;
		if ((rc = pst__save_keys(c)) != PST_OK)
			goto out;
	}
	if (!c->have_identity) {
		const char *box_t = json_string_value(json_object_get(mine, "identity_box"));
		size_t n = 0;
		unsigned char *box = pst__b64_decode(box_t, PROTO_IDENTITY_BOX_MAX, &n);
		struct proto_identity id;
		int opened = box && proto_identity_box_open(box, n, &c->keys, c->device_id, &id) == PROTO_E_OK;
		free(box);
		if (opened) {
			rc = adopt(c, &id, served);
			sodium_memzero(&id, sizeof(id));
			if (rc != PST_OK)
				goto out;
		}
	}
	if (!c->have_identity) {
		set_code(c);
		rc = pst__fail(c, PST_ERR_APPROVAL, "this device waits for approval: on a device already approved, run `postern devices approve %s`, "
				       "or log in here with your recovery key", c->approval_code);
		goto out;
	}
	/* holding the identity: this device must carry its certificate (a reset elsewhere dropped it) */
	if (!pst__device_check(mine, c->user_id, c->identity.pk, NULL, &dev) && (rc = certify_self(c)) != PST_OK)
		goto out;
	c->approved = 1;
	if ((rc = pst__save_keys(c)) != PST_OK)
		goto out;
	rc = pst__prekeys_refill(c);
out:
	json_decref(answer);
	return rc;
}

pst_status pst__identity_ready(pst_client *c)
{
	json_t *me = NULL;
	pst_status rc;
	char username[PST__ID_MAX + 1] = "";
	if ((rc = pst__request(c, "GET", "/v1/me", NULL, &me)) != PST_OK)
		return rc;
	snprintf(username, sizeof(username), "%s", json_string_value(json_object_get(me, "username")) ? json_string_value(json_object_get(me, "username")) : "");
	json_decref(me);
	if ((rc = pst__lock(c)) != PST_OK)
		return rc;
	rc = ready_locked(c, username);
	pst__unlock(c);
	return rc;
}

/* ---- public ---- */

pst_status pst_take_recovery_key(pst_client *c, char **key_out)
{
	if (c == NULL || key_out == NULL)
		return PST_ERR_INVALID;
	*key_out = c->recovery_text;
	c->recovery_text = NULL;
	return *key_out ? PST_OK : PST_ERR_NOT_FOUND;
}

const char *pst_approval_code(const pst_client *c)
{
	return c && c->approval_code[0] ? c->approval_code : NULL;
}

pst_status pst_wait_approval(pst_client *c, int max_seconds)
{
	time_t deadline = time(NULL) + (max_seconds > 0 ? max_seconds : 0);
	pst_status rc;
	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0] || !c->device_id[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in with a registered device (run: postern login USER)");
	for (;;) {
		rc = pst__identity_ready(c);
		if (rc != PST_ERR_APPROVAL || time(NULL) >= deadline || c->stop_watch)
			return rc;
		sleep(1);
	}
}

pst_status pst_recover(pst_client *c, const char *recovery_key)
{
	unsigned char secret[PROTO_RECOVERY_BYTES], served[PROTO_ID_KEY_BYTES], *backup = NULL;
	struct proto_identity id;
	json_t *answer = NULL, *mine = NULL, *b = NULL;
	size_t n = 0;
	int e;
	pst_status rc;

	if (c == NULL || recovery_key == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a recovery key is required") : PST_ERR_INVALID;
	if (!c->token[0] || !c->device_id[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in with a registered device (run: postern login USER)");
	if (proto_recovery_parse(recovery_key, secret) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_INVALID, "that is not a recovery key (a character is wrong or missing): check what you wrote down");
	if ((rc = my_listing(c, &answer, &mine)) != PST_OK)
		goto out;
	if (!served_identity(answer, c->user_id, served)) {
		rc = pst__fail(c, PST_ERR_NOT_FOUND, "your account has no identity key to recover");
		goto out;
	}
	/* one fetch per attempt: the server counts them, so guessing is limited there too */
	if ((rc = pst__request(c, "GET", "/v1/me/identity/backup", NULL, &b)) != PST_OK)
		goto out;
	backup = pst__b64_decode(json_string_value(json_object_get(b, "backup")), PROTO_BACKUP_MAX, &n);
	e = backup ? proto_backup_open(backup, n, c->user_id, secret, &id) : PROTO_E_MALFORMED;
	if (e == PROTO_E_WRONG_KEY) {
		rc = pst__fail(c, PST_ERR_CRYPTO, "this recovery key does not open your identity backup (an older key, or another account's)");
		goto out;
	}
	if (e != PROTO_E_OK) {
		rc = pst__fail(c, PST_ERR_UNTRUSTED, "the server's identity backup is not valid (%s)", proto_strerror(e));
		goto out;
	}
	if ((rc = pst__lock(c)) != PST_OK)
		goto out;
	rc = adopt(c, &id, served);
	if (rc == PST_OK && (rc = pst__save_keys(c)) == PST_OK && (rc = certify_self(c)) == PST_OK) {
		c->approved = 1;
		c->approval_code[0] = '\0';
		if ((rc = pst__save_keys(c)) == PST_OK)
			rc = pst__prekeys_refill(c);
	}
	pst__unlock(c);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(&id, sizeof(id));
	free(backup);
	json_decref(answer);
	json_decref(b);
	return rc;
}

pst_status pst_device_approve(pst_client *c, const char *code, char **device_json_out)
{
	char norm[PROTO_CODE_LEN], again[PROTO_CODE_LEN], *cert = NULL, *box_t = NULL, q[64];
	struct proto_statement *st = NULL;
	unsigned char spk[32], bpk[32], reg[PROTO_SIG_BYTES], box[PROTO_IDENTITY_BOX_MAX];
	json_t *answer = NULL, *dev, *body = NULL;
	const char *did, *t;
	size_t blen = 0;
	pst_status rc;

	if (device_json_out)
		*device_json_out = NULL;
	if (c == NULL || code == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a code is required") : PST_ERR_INVALID;
	if (!c->have_identity || !c->approved)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved itself, so it cannot approve another");
	if (proto_code_normalize(code, norm, sizeof(norm)) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_INVALID, "'%s' is not an approval code (12 letters and digits, like ABCD-EFGH-JKMN)", code);
	snprintf(q, sizeof(q), "/v1/devices/pending?code=%s", norm);
	if ((rc = pst__request(c, "GET", q, NULL, &answer)) != PST_OK) {
		if (rc == PST_ERR_NOT_FOUND)
			pst__fail(c, rc, "no new device of yours shows the code %s (check it on the new device's screen)", norm);
		goto out;
	}
	dev = json_object_get(answer, "device");
	did = json_string_value(json_object_get(dev, "device_id"));
	t = json_string_value(json_object_get(dev, "reg_sig"));
	/* the server's word is not taken: the keys it gave must make the code the person read on the new device */
	if (did == NULL || strlen(did) > PST__ID_MAX ||
	    !pst__json_key32(dev, "sign_pk", spk) || !pst__json_key32(dev, "box_pk", bpk) ||
	    proto_approval_code(c->user_id, did, spk, bpk, again, sizeof(again)) != PROTO_E_OK || strcmp(again, norm) != 0 || t == NULL ||
	    b64url_decode_exact(t, strlen(t), reg, sizeof(reg)) != 0 || proto_device_verify_registration(spk, bpk, c->user_id, reg) != PROTO_E_OK) {
		rc = pst__fail(c, PST_ERR_UNTRUSTED, "the server answered code %s with a device whose keys do not make that code: not approved", norm);
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	st->type = PROTO_ST_DEVICE_CERT;
	snprintf(st->device_id, sizeof(st->device_id), "%s", did);
	memcpy(st->key, spk, 32);
	memcpy(st->key2, bpk, 32);
	st->at_ms = pst__now_ms();
	if ((cert = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_CRYPTO;
		goto out;
	}
	if (proto_identity_box_seal(&c->identity, did, bpk, box, sizeof(box), &blen) != PROTO_E_OK || (box_t = b64(box, blen)) == NULL) {
		rc = pst__fail(c, PST_ERR_CRYPTO, "cannot seal the identity for the new device");
		goto out;
	}
	body = json_pack("{s:s,s:s}", "cert", cert, "identity_box", box_t);
	if ((rc = pst__request_at(c, "PUT", "/v1/devices/%s/cert", did, NULL, body, NULL)) == PST_OK && device_json_out)
		*device_json_out = json_dumps(dev, JSON_COMPACT);
out:
	free(cert);
	free(box_t);
	free(st);
	sodium_memzero(box, sizeof(box));
	json_decref(body);
	json_decref(answer);
	return rc;
}

pst_status pst_recovery_key_new(pst_client *c, char **recovery_key_out)
{
	json_t *me = NULL;
	char username[PST__ID_MAX + 1];
	pst_status rc;

	if (recovery_key_out)
		*recovery_key_out = NULL;
	if (c == NULL || recovery_key_out == NULL)
		return PST_ERR_INVALID;
	if (!c->have_identity || !c->approved)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved: it holds no identity to back up");
	if ((rc = pst__request(c, "GET", "/v1/me", NULL, &me)) != PST_OK)
		return rc;
	snprintf(username, sizeof(username), "%s", json_string_value(json_object_get(me, "username")) ? json_string_value(json_object_get(me, "username")) : "");
	json_decref(me);
	if ((rc = pst__lock(c)) != PST_OK)
		return rc;
	rc = publish(c, username, 0); /* the same identity with a new backup: the old recovery key stops opening it */
	pst__unlock(c);
	if (rc == PST_OK)
		pst_take_recovery_key(c, recovery_key_out);
	return rc;
}

/* After a reset, sign this person's pins again with the new key (the old statements no longer verify). */
static void repin(pst_client *c, json_t *old_pins)
{
	const char *uid;
	json_t *pin;
	json_object_foreach(old_pins, uid, pin) {
		unsigned char pk[32];
		const char *t = json_string_value(json_object_get(pin, "pk"));
		if (t && b64url_decode_exact(t, strlen(t), pk, sizeof(pk)) == 0)
			pst__pin_set(c, uid, pk, json_integer_value(json_object_get(pin, "level")) == 2 ? PROTO_CONTACT_VERIFIED : PROTO_CONTACT_SEEN);
	}
}

pst_status pst_identity_reset(pst_client *c, char **recovery_key_out)
{
	json_t *me = NULL, *old_pins = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	char username[PST__ID_MAX + 1];
	pst_status rc;

	if (recovery_key_out)
		*recovery_key_out = NULL;
	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0] || !c->device_id[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in with a registered device (run: postern login USER)");
	if ((rc = pst__request(c, "GET", "/v1/me", NULL, &me)) != PST_OK)
		goto out;
	snprintf(username, sizeof(username), "%s", json_string_value(json_object_get(me, "username")) ? json_string_value(json_object_get(me, "username")) : "");
	if (pst__store_read(c, "pins.json", &data, &len, 1) == PST_OK) {
		old_pins = json_loadb((const char *)data, len, 0, &jerr);
		free(data);
	}
	if ((rc = pst__lock(c)) != PST_OK)
		goto out;
	if (proto_identity_keygen(&c->identity) != PROTO_E_OK) {
		pst__unlock(c);
		rc = pst__fail(c, PST_ERR_CRYPTO, "cannot make an identity key");
		goto out;
	}
	c->have_identity = 1;
	c->approved = 0;
	if ((rc = pst__save_keys(c)) == PST_OK)
		rc = publish(c, username, 1);
	pst__unlock(c);
	if (rc != PST_OK)
		goto out;
	json_decref(c->pins);
	c->pins = json_object();
	if (json_is_object(old_pins))
		repin(c, old_pins);
	pst__prekeys_refill(c);
	if (recovery_key_out)
		pst_take_recovery_key(c, recovery_key_out);
out:
	json_decref(old_pins);
	json_decref(me);
	return rc;
}
