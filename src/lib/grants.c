/*
 * grants.c — the person's side of partner apps in libpostern (docs/protocol.md §16, docs/partner.md): the
 * app devices of their grants, authorised by a statement their identity key signs once the device's
 * approval code matches (the app shows it); revoking a grant with a signed revocation; and a friend's
 * signed consent, or refusal, for an app in an app thread; and the name each app shows for the person. The server keeps these statements and cannot
 * make one; clients decide from them whom to encrypt to (chain.c).
 */
#include "client_int.h"

#include "b64url.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* The approval code an app device shows: as a person's device's, with the app's client id in place of a user id. */
static int app_code(json_t *dev, char out[PROTO_CODE_LEN])
{
	unsigned char spk[32], bpk[32];
	return pst__json_key32(dev, "sign_pk", spk) && pst__json_key32(dev, "box_pk", bpk) &&
	       proto_approval_code(str(dev, "client_id"), str(dev, "device_id"), spk, bpk, out, PROTO_CODE_LEN) == PROTO_E_OK;
}

pst_status pst_app_devices(pst_client *c, char **json_out)
{
	json_t *out = NULL;
	pst_status st;
	if (c == NULL || json_out == NULL)
		return PST_ERR_INVALID;
	*json_out = NULL;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if ((st = pst__request(c, "GET", "/v1/me/app-devices", NULL, &out)) == PST_OK && (*json_out = json_dumps(out, JSON_COMPACT)) == NULL)
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	json_decref(out);
	return st;
}

pst_status pst_app_device_approve(pst_client *c, const char *code, char **json_out)
{
	struct proto_statement *st = NULL;
	json_t *list = NULL, *d, *found = NULL, *x, *body = NULL;
	char norm[PROTO_CODE_LEN], got[PROTO_CODE_LEN], *text = NULL;
	int64_t expires = 0;
	size_t i;
	pst_status rc;

	if (json_out)
		*json_out = NULL;
	if (c == NULL || code == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a code is required") : PST_ERR_INVALID;
	if (!c->have_identity)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved yet");
	if (proto_code_normalize(code, norm, sizeof(norm)) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_INVALID, "'%s' is not an approval code (12 letters and digits, like ABCD-EFGH-JKMN)", code);
	if ((rc = pst__request(c, "GET", "/v1/me/app-devices", NULL, &list)) != PST_OK)
		goto out;
	/* the code is computed here from the keys the server lists: a device it swapped in makes another code */
	json_array_foreach(json_object_get(list, "devices"), i, d) if (found == NULL && app_code(d, got) && strcmp(got, norm) == 0) found = d;
	if (found == NULL) {
		rc = pst__fail(c, PST_ERR_NOT_FOUND, "no app device of your connected apps shows the code %s", norm);
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	st->type = PROTO_ST_APP_AUTH;
	snprintf(st->client_id, sizeof(st->client_id), "%s", str(found, "client_id"));
	snprintf(st->grant_id, sizeof(st->grant_id), "%s", str(found, "grant_id"));
	snprintf(st->device_id, sizeof(st->device_id), "%s", str(found, "device_id"));
	pst__json_key32(found, "sign_pk", st->key);
	pst__json_key32(found, "box_pk", st->key2);
	if (timefmt_parse_rfc3339(str(found, "expires_at"), &expires) != 0 || expires <= 0) {
		rc = pst__fail(c, PST_ERR_PROTOCOL, "the grant has no valid expiry");
		goto out;
	}
	st->expires_ms = (uint64_t)expires; /* never longer than the person allowed on the consent page */
	json_array_foreach(json_object_get(found, "threads"), i, x) {
		if (st->n_ids == PROTO_IDS_MAX || !json_is_string(x) || json_string_length(x) > PROTO_ID_MAX)
			continue;
		snprintf(st->ids[st->n_ids++], PROTO_ID_MAX + 1, "%s", json_string_value(x));
	}
	st->at_ms = pst__now_ms();
	if ((text = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_CRYPTO;
		goto out;
	}
	body = json_pack("{s:s}", "statement", text);
	if ((rc = pst__request_at(c, "PUT", "/v1/me/app-devices/%s/authorisation", str(found, "device_id"), NULL, body, NULL)) == PST_OK &&
	    json_out)
		*json_out = json_dumps(found, JSON_COMPACT);
out:
	free(text);
	free(st);
	json_decref(body);
	json_decref(list);
	return rc;
}

/* Sign the revocation of an authorised app device (of grant_id) and send it: the grant ends with it. */
static pst_status revoke_device(pst_client *c, json_t *d)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	char *text = NULL;
	json_t *body = NULL;
	pst_status rc;
	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st->type = PROTO_ST_APP_REVOKE;
	snprintf(st->client_id, sizeof(st->client_id), "%s", str(d, "client_id"));
	snprintf(st->grant_id, sizeof(st->grant_id), "%s", str(d, "grant_id"));
	snprintf(st->device_id, sizeof(st->device_id), "%s", str(d, "device_id"));
	st->at_ms = pst__now_ms();
	if ((text = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_CRYPTO;
		goto out;
	}
	body = json_pack("{s:s}", "statement", text);
	rc = pst__request_at(c, "POST", "/v1/me/app-devices/%s/revocation", str(d, "device_id"), NULL, body, NULL);
out:
	free(text);
	free(st);
	json_decref(body);
	return rc;
}

pst_status pst_grant_revoke(pst_client *c, const char *grant_id)
{
	json_t *list = NULL, *d;
	size_t i;
	int signed_one = 0;
	pst_status rc;

	if (c == NULL || grant_id == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a grant id is required") : PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	/* every device of the grant gets a signed revocation; the first one also ends the grant on the server */
	if (c->have_identity && pst__request(c, "GET", "/v1/me/app-devices", NULL, &list) == PST_OK)
		json_array_foreach(json_object_get(list, "devices"), i, d) {
			if (strcmp(str(d, "grant_id"), grant_id) != 0)
				continue;
			if ((rc = revoke_device(c, d)) != PST_OK)
				goto out;
			signed_one = 1;
		}
	rc = signed_one ? PST_OK : pst__request_at(c, "DELETE", "/v1/me/grants/%s", grant_id, NULL, NULL, NULL);
out:
	json_decref(list);
	return rc;
}

pst_status pst_grant_alias(pst_client *c, const char *grant_id, const char *alias, char **json_out)
{
	json_t *body = NULL, *out = NULL;
	pst_status rc;

	if (json_out)
		*json_out = NULL;
	if (c == NULL || grant_id == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a grant id is required") : PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if ((body = json_pack("{s:o}", "alias", alias ? json_string(alias) : json_null())) == NULL)
		return pst__fail(c, PST_ERR_INVALID, "the name must be UTF-8");
	rc = pst__request_at(c, "PUT", "/v1/me/grants/%s/alias", grant_id, NULL, body, &out);
	if (rc == PST_OK && json_out && (*json_out = json_dumps(out, JSON_COMPACT)) == NULL)
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	json_decref(body);
	json_decref(out);
	return rc;
}

pst_status pst_app_consent(pst_client *c, const char *thread_id, int accept)
{
	struct proto_statement *st = NULL;
	json_t *view = NULL, *body = NULL;
	char *text = NULL;
	pst_status rc;

	if (c == NULL || thread_id == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a thread id is required") : PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if (!c->have_identity)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved yet");
	if ((rc = pst__request_at(c, "GET", "/v1/threads/%s", thread_id, NULL, NULL, &view)) != PST_OK)
		goto out;
	if (str(json_object_get(view, "app"), "client_id")[0] == '\0') {
		rc = pst__fail(c, PST_ERR_INVALID, "no app takes part in that conversation");
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the consent names this thread and this app: the server cannot move it to another */
	st->type = PROTO_ST_APP_CONSENT;
	snprintf(st->thread_id, sizeof(st->thread_id), "%s", thread_id);
	snprintf(st->client_id, sizeof(st->client_id), "%s", str(json_object_get(view, "app"), "client_id"));
	st->op = accept != 0;
	st->at_ms = pst__now_ms();
	if ((text = pst__sign_identity(c, st)) == NULL) {
		rc = PST_ERR_CRYPTO;
		goto out;
	}
	body = json_pack("{s:b,s:s}", "accept", accept != 0, "statement", text);
	rc = pst__request_at(c, "POST", "/v1/threads/%s/app-consent", thread_id, NULL, body, NULL);
out:
	free(text);
	free(st);
	json_decref(body);
	json_decref(view);
	return rc;
}
