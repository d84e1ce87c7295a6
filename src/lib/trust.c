/*
 * trust.c — whom this client believes, decided here and never on the server's word (docs/protocol.md
 * §12-§13): each account's identity key, pinned on first use in a CONTACT statement signed by the person's
 * own identity (kept on the server for the person's other devices, and in pins.json); a later, different
 * key is reported as a change instead of being used; and an account's devices, kept only when that pinned
 * key certified them, their registration signature holds and no revocation by that key names them.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

unsigned char *pst__b64_decode(const char *text, size_t max, size_t *len)
{
	size_t n = text ? strlen(text) : 0;
	unsigned char *buf;
	if (text == NULL || n == 0 || b64url_max_decoded_len(n) > max + 3)
		return NULL;
	if ((buf = malloc(b64url_max_decoded_len(n) + 1)) == NULL)
		return NULL;
	if (b64url_decode(text, n, buf, b64url_max_decoded_len(n) + 1, len) != 0 || *len > max) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *sign_with(pst_client *c, const struct proto_statement *st, const unsigned char *sk)
{
	unsigned char *bin = malloc(PROTO_STATEMENT_MAX);
	char *text = NULL;
	size_t n = 0;
	if (bin == NULL) {
		pst__fail(c, PST_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (proto_statement_sign(st, sk, bin, PROTO_STATEMENT_MAX, &n) != PROTO_E_OK)
		pst__fail(c, PST_ERR_CRYPTO, "cannot sign a statement");
	else if ((text = malloc(b64url_encoded_len(n) + 1)) == NULL)
		pst__fail(c, PST_ERR_NOMEM, "out of memory");
	else
		b64url_encode(bin, n, text, b64url_encoded_len(n) + 1);
	free(bin);
	return text;
}

char *pst__sign_identity(pst_client *c, const struct proto_statement *st)
{
	if (!c->have_identity) {
		pst__fail(c, PST_ERR_APPROVAL, "this device holds no identity key yet: approve it first (postern devices approve, on another device)");
		return NULL;
	}
	return sign_with(c, st, c->identity.sk);
}

char *pst__sign_device(pst_client *c, const struct proto_statement *st)
{
	return sign_with(c, st, c->keys.sign_sk);
}

/* Verify base64url text as a statement of type want signed by pk into *st (heap). 1 when it holds. */
static int statement_ok(const char *text, unsigned want, const unsigned char *pk, struct proto_statement *st)
{
	size_t n = 0;
	unsigned char *bin = pst__b64_decode(text, PROTO_STATEMENT_MAX, &n);
	int ok = bin && proto_statement_verify(bin, n, want, pk, st) == PROTO_E_OK;
	free(bin);
	return ok;
}

/* ---- pins ---- */

/*
 * Load pins.json, then merge the CONTACT statements this person's identity signed on any device (the server
 * keeps them): for each account the newest statement wins, by its time. A statement the server made up
 * does not verify and is skipped. The merged set is kept on c for the client's lifetime.
 */
static pst_status pins_load(pst_client *c)
{
	size_t i;
	json_t *out = NULL, *x;
	struct proto_statement *st = NULL;
	pst_status st_rc;

	if (c->pins)
		return PST_OK;
	c->pins = pst__store_json(c, "pins.json");
	if (!c->have_identity)
		return PST_OK;
	if ((st_rc = pst__request(c, "GET", "/v1/me/contacts", NULL, &out)) != PST_OK) {
		json_decref(out);
		return st_rc == PST_ERR_NOT_FOUND ? PST_OK : st_rc;
	}
	if ((st = malloc(sizeof(*st))) == NULL) {
		json_decref(out);
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
	json_array_foreach(json_object_get(out, "statements"), i, x) {
		json_t *have;
		char pk[64];
		if (!statement_ok(json_string_value(x), PROTO_ST_CONTACT, c->identity.pk, st))
			continue;
		have = json_object_get(c->pins, st->user_id);
		if (have && (uint64_t)json_integer_value(json_object_get(have, "at")) > st->at_ms)
			continue;
		b64url_encode(st->key, 32, pk, sizeof(pk));
		json_object_set_new(c->pins, st->user_id,
				    json_pack("{s:s,s:i,s:I}", "pk", pk, "level", st->op == PROTO_CONTACT_VERIFIED ? 2 : 1, "at",
					      (json_int_t)st->at_ms));
	}
	free(st);
	json_decref(out);
	return PST_OK;
}

pst_status pst__pin_local(pst_client *c, const char *id, const unsigned char pk[PROTO_ID_KEY_BYTES], int *changed)
{
	json_t *pin;
	unsigned char have[32];
	char pkt[64], *dump;
	pst_status rc;
	*changed = 0;
	if ((rc = pins_load(c)) != PST_OK)
		return rc;
	pin = json_object_get(c->pins, id);
	if (pin && pst__json_key32(pin, "pk", have)) {
		*changed = sodium_memcmp(have, pk, 32) != 0;
		return PST_OK;
	}
	b64url_encode(pk, 32, pkt, sizeof(pkt));
	json_object_set_new(c->pins, id, json_pack("{s:s,s:i,s:I}", "pk", pkt, "level", 1, "at", (json_int_t)pst__now_ms()));
	if ((dump = json_dumps(c->pins, JSON_COMPACT)) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	rc = pst__store_write(c, "pins.json", dump, strlen(dump), 1);
	free(dump);
	return rc;
}

pst_status pst__pin_set(pst_client *c, const char *user_id, const unsigned char pk[PROTO_ID_KEY_BYTES], unsigned level)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	char *text = NULL, *dump = NULL, pkt[64];
	json_t *body = NULL;
	pst_status rc;

	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if ((rc = pins_load(c)) != PST_OK)
		goto out;
	st->type = PROTO_ST_CONTACT;
	snprintf(st->user_id, sizeof(st->user_id), "%s", user_id);
	memcpy(st->key, pk, 32);
	st->op = level;
	st->at_ms = pst__now_ms();
	if ((text = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_APPROVAL;
		goto out;
	}
	body = json_pack("{s:s}", "statement", text);
	if ((rc = pst__request(c, "POST", "/v1/me/contacts", body, NULL)) != PST_OK)
		goto out;
	b64url_encode(pk, 32, pkt, sizeof(pkt));
	json_object_set_new(c->pins, user_id,
			    json_pack("{s:s,s:i,s:I}", "pk", pkt, "level", level == PROTO_CONTACT_VERIFIED ? 2 : 1, "at", (json_int_t)st->at_ms));
	if ((dump = json_dumps(c->pins, JSON_COMPACT)) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = pst__store_write(c, "pins.json", dump, strlen(dump), 1);
out:
	free(dump);
	free(text);
	free(st);
	json_decref(body);
	return rc;
}

/* ---- devices ---- */

int pst__device_check(json_t *dev, const char *user_id, const unsigned char id_pk[PROTO_ID_KEY_BYTES], json_t *revocations,
		      struct pst__device *d)
{
	const char *did = json_string_value(json_object_get(dev, "device_id"));
	const char *regt = json_string_value(json_object_get(dev, "reg_sig"));
	unsigned char reg[PROTO_SIG_BYTES];
	struct proto_statement *st = malloc(sizeof(*st));
	json_t *r;
	size_t i;
	int ok = 0;

	memset(d, 0, sizeof(*d));
	if (st == NULL || did == NULL || strlen(did) > PST__ID_MAX || !pst__json_key32(dev, "sign_pk", d->sign_pk) || !pst__json_key32(dev, "box_pk", d->box_pk))
		goto out;
	/* the certificate: this device, these two keys, under the pinned identity */
	if (!statement_ok(json_string_value(json_object_get(dev, "cert")), PROTO_ST_DEVICE_CERT, id_pk, st) ||
	    strcmp(st->device_id, did) != 0 || sodium_memcmp(st->key, d->sign_pk, 32) != 0 || sodium_memcmp(st->key2, d->box_pk, 32) != 0)
		goto out;
	/* the device's own registration: its signing key binds its box key (docs/protocol.md §3.2); a partner
	 * app knows people only by pairwise ids and cannot check it (user_id NULL): the certificate covers both keys */
	if (user_id != NULL && (regt == NULL || b64url_decode_exact(regt, strlen(regt), reg, sizeof(reg)) != 0 ||
	    proto_device_verify_registration(d->sign_pk, d->box_pk, user_id, reg) != PROTO_E_OK))
		goto out;
	json_array_foreach(revocations, i, r) /* removed for good by the same identity */
		if (statement_ok(json_string_value(r), PROTO_ST_DEVICE_REVOKE, id_pk, st) && sodium_memcmp(st->key, d->sign_pk, 32) == 0)
			goto out;
	snprintf(d->device_id, sizeof(d->device_id), "%s", did);
	snprintf(d->user_id, sizeof(d->user_id), "%s", user_id ? user_id : "");
	ok = 1;
out:
	free(st);
	return ok;
}

/* ---- people ---- */

void pst__people_free(struct pst__people *ppl)
{
	size_t i;
	for (i = 0; i < ppl->n; i++) {
		free(ppl->p[i].devices);
		free(ppl->p[i].stmt);
		json_decref(ppl->p[i].listing);
	}
	free(ppl->p);
	ppl->p = NULL;
	ppl->n = 0;
}

/* Fill p from the server's listing of p->user_id (identity statement, devices, revocations). */
static pst_status person_verify(pst_client *c, struct pst__person *p)
{
	json_t *ident = json_object_get(p->listing, "identity"), *pin, *d;
	struct proto_statement *st = malloc(sizeof(*st));
	const char *stmt = json_string_value(json_object_get(ident, "statement"));
	int own = strcmp(p->user_id, c->user_id) == 0;
	size_t i;
	pst_status rc = PST_OK;

	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	p->state = PST__ID_NONE;
	if (stmt == NULL)
		goto out; /* no identity: no device of theirs can be verified */
	{
		/* self-signed: the key signs its own account name */
		size_t n = 0;
		unsigned char *bin = pst__b64_decode(stmt, PROTO_STATEMENT_MAX, &n);
		int ok = bin && proto_statement_parse(bin, n, PROTO_ST_IDENTITY, st) == PROTO_E_OK &&
			 proto_statement_verify(bin, n, PROTO_ST_IDENTITY, st->key, st) == PROTO_E_OK && strcmp(st->user_id, p->user_id) == 0;
		/* kept for the transparency-log check below, once it is known whether this key would be used */
		if (ok && (p->stmt = malloc(n)) == NULL) {
			free(bin);
			rc = pst__fail(c, PST_ERR_NOMEM, "out of memory"); /* never an identity without its log check */
			goto out;
		}
		if (ok) {
			memcpy(p->stmt, bin, n);
			p->stmt_len = n;
		}
		free(bin);
		if (!ok)
			goto out; /* a statement that does not hold is no identity */
	}
	memcpy(p->served_pk, st->key, 32);
	snprintf(p->username, sizeof(p->username), "%s", st->username);
	if (own) {
		if (!c->have_identity) {
			memcpy(p->pinned_pk, p->served_pk, 32);
			p->state = PST__ID_SEEN;
		} else {
			memcpy(p->pinned_pk, c->identity.pk, 32);
			p->state = sodium_memcmp(c->identity.pk, p->served_pk, 32) == 0 ? PST__ID_VERIFIED : PST__ID_CHANGED;
		}
	} else {
		if ((rc = pins_load(c)) != PST_OK)
			goto out;
		pin = json_object_get(c->pins, p->user_id);
		if (pin == NULL || !pst__json_key32(pin, "pk", p->pinned_pk)) {
			/* first contact: trust on first use, and say so in a signed pin every device shares */
			memcpy(p->pinned_pk, p->served_pk, 32);
			p->state = PST__ID_NEW; /* pinned below, once the log shows the key */
		} else if (sodium_memcmp(p->pinned_pk, p->served_pk, 32) != 0) {
			p->state = PST__ID_CHANGED;
			p->was_verified = json_integer_value(json_object_get(pin, "level")) == 2;
		} else
			p->state = json_integer_value(json_object_get(pin, "level")) == 2 ? PST__ID_VERIFIED : PST__ID_SEEN;
	}
	/*
	 * A key this client would use (first seen, or the pinned one) must be in the server's transparency log: one
	 * the server shows only to some is in no log, and a first contact does not pin it. A changed key is refused
	 * anyway; whether it is logged decides if it can be accepted (pst_contact_accept).
	 */
	if (p->stmt && (rc = pst__log_prove_statement(c, p->user_id, p->stmt, p->stmt_len)) != PST_OK) {
		if (rc != PST_ERR_NOT_FOUND)
			goto out;
		rc = PST_OK;
		p->unlogged = 1;
		if (p->state != PST__ID_CHANGED) {
			p->state = PST__ID_NONE;
			goto out;
		}
	}
	if (p->state == PST__ID_NEW && c->have_identity && (rc = pst__pin_set(c, p->user_id, p->served_pk, PROTO_CONTACT_SEEN)) != PST_OK)
		goto out;
	p->devices = calloc(json_array_size(json_object_get(p->listing, "devices")) + 1, sizeof(*p->devices));
	if (p->devices == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(p->listing, "devices"), i, d) {
		if (json_is_true(json_object_get(d, "app")))
			continue; /* app devices read only where their person authorised them (chain.c) */
		if (pst__device_check(d, p->user_id, p->pinned_pk, json_object_get(p->listing, "revocations"), &p->devices[p->n_devices])) {
			/* its certificate must be in the transparency log too: the person's own devices watch it there */
			size_t n = 0;
			unsigned char *cert = pst__b64_decode(json_string_value(json_object_get(d, "cert")), PROTO_STATEMENT_MAX, &n);
			rc = cert ? pst__log_prove_statement(c, p->user_id, cert, n) : PST_ERR_NOT_FOUND;
			free(cert);
			if (rc == PST_OK)
				p->n_devices++;
			else if (rc == PST_ERR_NOT_FOUND)
				p->n_ignored++, p->unlogged = 1;
			else
				goto out;
			rc = PST_OK;
		} else
			p->n_ignored++;
	}
out:
	if (p->state == PST__ID_NONE)
		p->n_ignored = json_array_size(json_object_get(p->listing, "devices"));
	free(st);
	return rc;
}

pst_status pst__person_get(pst_client *c, struct pst__people *ppl, const char *user_id, struct pst__person **out)
{
	struct pst__person *p, *np;
	pst_status rc;
	size_t i;

	*out = NULL;
	for (i = 0; i < ppl->n; i++)
		if (strcmp(ppl->p[i].user_id, user_id) == 0) {
			*out = &ppl->p[i];
			return PST_OK;
		}
	if (strlen(user_id) > PST__ID_MAX)
		return pst__fail(c, PST_ERR_PROTOCOL, "a user id is too long");
	if ((np = realloc(ppl->p, (ppl->n + 1) * sizeof(*np))) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	ppl->p = np;
	p = &ppl->p[ppl->n];
	memset(p, 0, sizeof(*p));
	snprintf(p->user_id, sizeof(p->user_id), "%s", user_id);
	if ((rc = pst__request_at(c, "GET", "/v1/users/%s/devices", user_id, NULL, NULL, &p->listing)) != PST_OK) {
		json_decref(p->listing);
		return rc;
	}
	ppl->n++;
	if ((rc = person_verify(c, p)) != PST_OK)
		return rc;
	*out = p;
	return PST_OK;
}

/* ---- the public face: pst_contact* ---- */

static const char *state_name(enum pst__id_state s)
{
	static const char *const names[] = {"none", "new", "seen", "verified", "changed"};
	return names[s];
}

pst_status pst_contact(pst_client *c, const char *user_id, char **json_out)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__person *p = NULL;
	json_t *j = NULL, *devs;
	char pk[64], pinned[64], safety[PROTO_SAFETY_LEN] = "", fp[PROTO_FINGERPRINT_LEN];
	pst_status rc;
	size_t i;

	if (c == NULL || user_id == NULL || json_out == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a user id is required") : PST_ERR_INVALID;
	*json_out = NULL;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if ((rc = pst__person_get(c, &ppl, user_id, &p)) != PST_OK)
		goto out;
	b64url_encode(p->served_pk, 32, pk, sizeof(pk));
	b64url_encode(p->pinned_pk, 32, pinned, sizeof(pinned));
	if (p->state != PST__ID_NONE && c->have_identity)
		proto_safety_number(c->user_id, c->identity.pk, p->user_id, p->served_pk, safety, sizeof(safety));
	devs = json_array();
	for (i = 0; i < p->n_devices; i++) {
		char spk[64], bpk[64];
		b64url_encode(p->devices[i].sign_pk, 32, spk, sizeof(spk));
		b64url_encode(p->devices[i].box_pk, 32, bpk, sizeof(bpk));
		proto_device_fingerprint(p->devices[i].sign_pk, p->devices[i].box_pk, fp, sizeof(fp));
		json_array_append_new(devs, json_pack("{s:s,s:s,s:s,s:s}", "device_id", p->devices[i].device_id, "sign_pk", spk, "box_pk", bpk,
						      "fingerprint", fp));
	}
	j = json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s?,s:o,s:I,s:b}", "user_id", p->user_id, "username", p->username, "id_pk",
		      p->state == PST__ID_NONE ? NULL : pk, "state", state_name(p->state), "pinned_id_pk",
		      p->state == PST__ID_CHANGED ? pinned : NULL, "safety_number", safety[0] ? safety : NULL, "devices", devs,
		      "ignored_devices", (json_int_t)p->n_ignored, "was_verified", p->was_verified);
	if (j == NULL || (*json_out = json_dumps(j, JSON_COMPACT)) == NULL)
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
out:
	json_decref(j);
	pst__people_free(&ppl);
	return rc;
}

static pst_status contact_mark(pst_client *c, const char *user_id, unsigned level, int allow_if_verified)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__person *p = NULL;
	pst_status rc;

	if (c == NULL || user_id == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a user id is required") : PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if (!c->have_identity)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved yet");
	if (strcmp(user_id, c->user_id) == 0)
		return pst__fail(c, PST_ERR_INVALID, "that is your own account");
	if ((rc = pst__person_get(c, &ppl, user_id, &p)) != PST_OK)
		goto out;
	if (p->state == PST__ID_NONE && !p->unlogged) {
		rc = pst__fail(c, PST_ERR_NOT_FOUND, "%s has no identity key yet", user_id);
		goto out;
	}
	if (p->state == PST__ID_CHANGED && p->was_verified && !allow_if_verified) {
		rc = pst__fail(c, PST_ERR_IDENTITY, "you had verified %s: compare the new safety number with them and verify again",
			       p->username[0] ? p->username : user_id);
		goto out;
	}
	if (p->unlogged) {
		rc = pst__fail(c, PST_ERR_UNTRUSTED, "%s's identity key is not in the server's transparency log: the server may be showing you a key "
			       "nobody else sees; it cannot be accepted", p->username[0] ? p->username : user_id);
		goto out;
	}
	rc = pst__pin_set(c, user_id, p->served_pk, level);
out:
	pst__people_free(&ppl);
	return rc;
}

pst_status pst_contact_accept(pst_client *c, const char *user_id)
{
	return contact_mark(c, user_id, PROTO_CONTACT_SEEN, 0);
}

pst_status pst_contact_verify(pst_client *c, const char *user_id, int verified)
{
	return contact_mark(c, user_id, verified ? PROTO_CONTACT_VERIFIED : PROTO_CONTACT_UNVERIFIED, 1);
}
