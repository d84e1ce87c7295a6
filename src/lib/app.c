/*
 * app.c — libpostern for partner apps: the OAuth 2.0 authorization-code flow with PKCE (S256) and a
 * state checked on return together with the issuer (RFC 9207), token refresh, the app's end-to-end
 * encryption device for the grant, and the scoped Inbox API (friends, shares encrypted to the thread's
 * readers, reading with decryption, deleting, reports). An app client is a pst_client in app mode: the
 * same key store and encryption code, other endpoints.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

pst_status pst_app_client_new(const char *server_url, const char *home_dir, const char *client_id, const char *client_secret,
			      pst_client **out)
{
	pst_status st;
	if (client_id == NULL || strlen(client_id) >= PST__ID_MAX || (client_secret && strlen(client_secret) >= PST__TOKEN_MAX))
		return PST_ERR_INVALID;
	st = pst_client_new(server_url, home_dir, NULL, out);
	if (st != PST_OK)
		return st;
	(*out)->app = 1;
	snprintf((*out)->client_id, sizeof((*out)->client_id), "%s", client_id);
	snprintf((*out)->client_secret, sizeof((*out)->client_secret), "%s", client_secret ? client_secret : "");
	return PST_OK;
}

/* POST a form to an OAuth endpoint with the client's authentication; *out gets the JSON answer. */
static pst_status oauth_post(pst_client *c, const char *path, const char *const *kv, json_t **out)
{
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *form = NULL;
	size_t flen = 0, i;
	FILE *f = NULL;
	json_error_t jerr;
	long status = 0;
	CURLcode cc;
	pst_status st = PST_OK;
	struct {
		char *data;
		size_t len;
	} resp = {NULL, 0};
	FILE *rf = open_memstream(&resp.data, &resp.len);

	*out = NULL;
	f = open_memstream(&form, &flen);
	if (f == NULL || rf == NULL || asprintf(&url, "%s%s", c->server, path) < 0) {
		if (f)
			fclose(f);
		if (rf)
			fclose(rf);
		free(form);
		free(resp.data);
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
	for (i = 0; kv[i] && kv[i + 1]; i += 2) {
		char *k = curl_easy_escape(c->curl, kv[i], 0), *v = curl_easy_escape(c->curl, kv[i + 1], 0);
		fprintf(f, "%s%s=%s", i ? "&" : "", k ? k : "", v ? v : "");
		curl_free(k);
		curl_free(v);
	}
	if (!c->client_secret[0]) /* a public client names itself in the form */
		fprintf(f, "%sclient_id=%s", i ? "&" : "", c->client_id);
	fclose(f);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, rf);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->client_secret[0]) { /* client_secret_basic: both parts are unreserved characters here */
		curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->client_id);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->client_secret);
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	fclose(rf);
	if (cc != CURLE_OK) {
		st = pst__fail(c, PST_ERR_NETWORK, "%s: %s", c->server, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	c->http_status = (int)status;
	*out = resp.len ? json_loadb(resp.data, resp.len, 0, &jerr) : NULL;
	if (status >= 400) {
		const char *e = json_string_value(json_object_get(*out, "error"));
		const char *d = json_string_value(json_object_get(*out, "error_description"));
		snprintf(c->server_code, sizeof(c->server_code), "%s", e ? e : "");
		st = pst__fail(c, status == 401 ? PST_ERR_AUTH : PST_ERR_HTTP, "%s (HTTP %ld%s%s)", d ? d : "refused", status, e ? ", " : "",
			       e ? e : "");
		json_decref(*out);
		*out = NULL;
	}
out:
	if (form) {
		sodium_memzero(form, flen);
		free(form);
	}
	free(resp.data);
	free(url);
	curl_slist_free_all(hdrs);
	return st;
}

static pst_status need_app(pst_client *c)
{
	if (c == NULL)
		return PST_ERR_INVALID;
	return c->app ? PST_OK : pst__fail(c, PST_ERR_INVALID, "this client is not a partner app (pst_app_client_new)");
}

pst_status pst_app_authorize_url(pst_client *c, const char *redirect_uri, const char *scope, char **url_out)
{
	unsigned char raw[32], digest[crypto_hash_sha256_BYTES];
	char verifier[48], challenge[48], state[48], *eu = NULL, *es = NULL, *ec = NULL;
	json_t *j = NULL;
	char *text = NULL;
	pst_status st;

	if ((st = need_app(c)) != PST_OK)
		return st;
	if (redirect_uri == NULL || scope == NULL || url_out == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a redirect URI and a scope are required");
	*url_out = NULL;
	randombytes_buf(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), verifier, sizeof(verifier));
	crypto_hash_sha256(digest, (const unsigned char *)verifier, strlen(verifier));
	b64url_encode(digest, sizeof(digest), challenge, sizeof(challenge));
	randombytes_buf(raw, 16);
	b64url_encode(raw, 16, state, sizeof(state));
	/* kept until the person comes back: the verifier proves this client asked; the state ties the answer to it */
	j = json_pack("{s:s,s:s,s:s}", "verifier", verifier, "state", state, "redirect_uri", redirect_uri);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	st = text ? pst__store_write(c, "oauth.json", text, strlen(text), 1) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (st == PST_OK) {
		eu = pst__escape(redirect_uri);
		es = pst__escape(scope);
		ec = pst__escape(c->client_id);
		if (eu == NULL || es == NULL || ec == NULL ||
		    asprintf(url_out, "%s/oauth/authorize?response_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s"
				      "&code_challenge=%s&code_challenge_method=S256",
			     c->server, ec, eu, es, state, challenge) < 0) {
			*url_out = NULL;
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		}
	}
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	sodium_memzero(verifier, sizeof(verifier));
	free(eu);
	free(es);
	free(ec);
	json_decref(j);
	return st;
}

/* The value of query parameter key in url (percent-decoded), or NULL; malloc'd. */
static char *query_param(CURL *curl, const char *url, const char *key)
{
	const char *q = strchr(url, '?'), *p;
	size_t kl = strlen(key);
	if (q == NULL)
		return NULL;
	for (p = q + 1; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t vl = strcspn(v, "&#");
			int outlen = 0;
			char *dec = curl_easy_unescape(curl, v, (int)vl, &outlen), *copy;
			if (dec == NULL)
				return NULL;
			copy = strdup(dec);
			curl_free(dec);
			return copy;
		}
	}
	return NULL;
}

/* Keep the tokens of a token response. */
static pst_status take_tokens(pst_client *c, json_t *t)
{
	const char *at = json_string_value(json_object_get(t, "access_token"));
	const char *rt = json_string_value(json_object_get(t, "refresh_token"));
	const char *sub = json_string_value(json_object_get(t, "sub"));
	if (at == NULL || strlen(at) >= sizeof(c->token))
		return pst__fail(c, PST_ERR_PROTOCOL, "the token response has no access token");
	snprintf(c->token, sizeof(c->token), "%s", at);
	if (rt)
		snprintf(c->refresh, sizeof(c->refresh), "%s", rt);
	if (sub)
		snprintf(c->sub, sizeof(c->sub), "%s", sub);
	return pst__save_session(c);
}

/* Register the app's device for this grant (keys made on first use), signed over the person's pairwise id. */
static pst_status app_device(pst_client *c)
{
	unsigned char sig[PROTO_SIG_BYTES];
	char spk[64], bpk[64], sigt[100];
	json_t *out = NULL, *body;
	pst_status st;
	if (!c->have_keys) {
		if (proto_device_keygen(&c->keys) != PROTO_E_OK)
			return pst__fail(c, PST_ERR_CRYPTO, "cannot make device keys");
		c->have_keys = 1;
		if ((st = pst__save_keys(c)) != PST_OK)
			return st;
	}
	if (!c->sub[0] || proto_device_sign_registration(&c->keys, c->sub, sig) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_PROTOCOL, "the grant did not say who the person is (sub)");
	b64url_encode(c->keys.sign_pk, sizeof(c->keys.sign_pk), spk, sizeof(spk));
	b64url_encode(c->keys.box_pk, sizeof(c->keys.box_pk), bpk, sizeof(bpk));
	b64url_encode(sig, sizeof(sig), sigt, sizeof(sigt));
	body = json_pack("{s:s,s:s,s:s,s:s}", "name", "app", "sign_pk", spk, "box_pk", bpk, "sig", sigt);
	st = pst__request(c, "POST", "/v1/partner/devices", body, &out);
	json_decref(body);
	if (st == PST_OK) {
		snprintf(c->device_id, sizeof(c->device_id), "%s", json_string_value(json_object_get(out, "device_id")));
		st = pst__save_session(c);
	}
	json_decref(out);
	return st;
}

pst_status pst_app_finish(pst_client *c, const char *callback_url)
{
	unsigned char *saved = NULL;
	size_t len = 0;
	json_t *o = NULL, *meta = NULL, *tok = NULL;
	json_error_t jerr;
	char *code = NULL, *state = NULL, *iss = NULL, *error = NULL;
	const char *want_state, *verifier, *redirect, *issuer;
	pst_status st;

	if ((st = need_app(c)) != PST_OK)
		return st;
	if (callback_url == NULL)
		return pst__fail(c, PST_ERR_INVALID, "the callback URL is required");
	if ((st = pst__store_read(c, "oauth.json", &saved, &len, 1)) != PST_OK)
		return st == PST_ERR_NOT_FOUND ? pst__fail(c, PST_ERR_INVALID, "no authorization is under way") : st;
	o = json_loadb((const char *)saved, len, 0, &jerr);
	want_state = json_string_value(json_object_get(o, "state"));
	verifier = json_string_value(json_object_get(o, "verifier"));
	redirect = json_string_value(json_object_get(o, "redirect_uri"));
	code = query_param(c->curl, callback_url, "code");
	state = query_param(c->curl, callback_url, "state");
	iss = query_param(c->curl, callback_url, "iss");
	error = query_param(c->curl, callback_url, "error");
	if (want_state == NULL || verifier == NULL || redirect == NULL) {
		st = pst__fail(c, PST_ERR_STORE, "oauth.json is damaged");
		goto out;
	}
	if (state == NULL || strlen(state) != strlen(want_state) || sodium_memcmp(state, want_state, strlen(state)) != 0) {
		st = pst__fail(c, PST_ERR_CRYPTO, "the answer does not belong to this authorization (state)");
		goto out;
	}
	/* RFC 9207: the answer must come from the server this client asked (mix-up defence) */
	if ((st = pst__request(c, "GET", "/.well-known/oauth-authorization-server", NULL, &meta)) != PST_OK)
		goto out;
	issuer = json_string_value(json_object_get(meta, "issuer"));
	if (iss == NULL || issuer == NULL || strcmp(iss, issuer) != 0) {
		st = pst__fail(c, PST_ERR_CRYPTO, "the answer names another issuer");
		goto out;
	}
	if (error) {
		st = pst__fail(c, PST_ERR_AUTH, "the person did not allow it (%s)", error);
		goto out;
	}
	if (code == NULL) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the answer has no code");
		goto out;
	}
	{
		const char *kv[] = {"grant_type", "authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", verifier, NULL};
		st = oauth_post(c, "/oauth/token", kv, &tok);
	}
	if (st == PST_OK)
		st = take_tokens(c, tok);
	if (st == PST_OK)
		st = pst__store_remove(c, "oauth.json");
	if (st == PST_OK)
		st = app_device(c);
	if (st == PST_OK)
		st = pst__prekeys_refill(c); /* readers hand their sessions to the app's prekeys */
out:
	if (saved) {
		sodium_memzero(saved, len);
		free(saved);
	}
	free(code);
	free(state);
	free(iss);
	free(error);
	json_decref(o);
	json_decref(meta);
	json_decref(tok);
	return st;
}

pst_status pst_app_refresh(pst_client *c)
{
	json_t *tok = NULL;
	pst_status st;
	if ((st = need_app(c)) != PST_OK)
		return st;
	if (!c->refresh[0])
		return pst__fail(c, PST_ERR_AUTH, "no refresh token: authorize again");
	{
		const char *kv[] = {"grant_type", "refresh_token", "refresh_token", c->refresh, NULL};
		st = oauth_post(c, "/oauth/token", kv, &tok);
	}
	if (st == PST_OK)
		st = take_tokens(c, tok);
	json_decref(tok);
	return st;
}

/* A partner call, refreshing the access token once when it expired. */
static pst_status app_call(pst_client *c, const char *method, const char *path, json_t *body, json_t **out)
{
	pst_status st = pst__request(c, method, path, body, out);
	if (st == PST_ERR_AUTH && c->refresh[0] && pst_app_refresh(c) == PST_OK)
		st = pst__request(c, method, path, body, out);
	return st;
}

static pst_status to_text(pst_client *c, json_t *j, char **json_out)
{
	*json_out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	return (j == NULL || *json_out) ? PST_OK : pst__fail(c, PST_ERR_NOMEM, "out of memory");
}

/* A partner GET whose JSON answer goes back as text. */
static pst_status app_get_text(pst_client *c, const char *path, char **json_out)
{
	json_t *out = NULL;
	pst_status st = need_app(c);
	if (st == PST_OK && json_out == NULL)
		st = PST_ERR_INVALID;
	if (st == PST_OK)
		st = app_call(c, "GET", path, NULL, &out);
	if (st == PST_OK)
		st = to_text(c, out, json_out);
	json_decref(out);
	return st;
}

pst_status pst_app_friends(pst_client *c, char **json_out) { return app_get_text(c, "/v1/partner/friends", json_out); }
pst_status pst_app_threads(pst_client *c, char **json_out) { return app_get_text(c, "/v1/partner/threads", json_out); }

pst_status pst_app_share(pst_client *c, const char *to, const char *item, const char *text, char **json_out)
{
	json_t *thread = NULL, *body = NULL, *out = NULL;
	char cmid[40], *envtext = NULL;
	const char *tid;
	pst_status st = need_app(c);

	if (json_out)
		*json_out = NULL;
	if (st != PST_OK)
		return st;
	if (to == NULL || item == NULL || text == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a recipient, an item and a text are required");
	if ((st = pst__text_ok(c, text)) != PST_OK)
		return st;
	/* the thread and its readers first: the share is encrypted to exactly them */
	body = json_pack("{s:s}", "to", to);
	st = app_call(c, "POST", "/v1/partner/threads", body, &thread);
	json_decref(body);
	body = NULL;
	if (st != PST_OK)
		goto out;
	tid = json_string_value(json_object_get(thread, "thread_id"));
	if (tid == NULL) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the server's thread has no id");
		goto out;
	}
	if ((st = pst__seal_for_thread(c, tid, text, &envtext)) != PST_OK)
		goto out;
	pst__new_cmid(cmid);
	body = json_pack("{s:s,s:s,s:s,s:s}", "to", to, "item", item, "body", envtext, "client_msg_id", cmid);
	st = app_call(c, "POST", "/v1/partner/shares", body, &out);
	if (st == PST_OK) {
		const char *mid = json_string_value(json_object_get(out, "message_id"));
		if (mid)
			pst__remember_sent(c, tid, mid, text);
		if (json_out)
			st = to_text(c, out, json_out);
	}
out:
	free(envtext);
	json_decref(body);
	json_decref(out);
	json_decref(thread);
	return st;
}

pst_status pst_app_read(pst_client *c, const char *thread_id, pst_message **msgs_out, size_t *n_out)
{
	json_t *out = NULL, *m, *list;
	pst_message *msgs = NULL;
	char *path = NULL;
	size_t i, n = 0;
	pst_status st = need_app(c);

	if (msgs_out)
		*msgs_out = NULL;
	if (n_out)
		*n_out = 0;
	if (st != PST_OK)
		return st;
	if (thread_id == NULL || msgs_out == NULL || n_out == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a thread id is required");
	if ((st = pst_sync(c)) != PST_OK) /* the keys readers handed to this app's device */
		return st;
	if ((path = pst__path("/v1/partner/threads/%s/messages?limit=200", thread_id, NULL)) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st = app_call(c, "GET", path, NULL, &out);
	free(path);
	if (st != PST_OK)
		goto out;
	list = json_object_get(out, "messages");
	msgs = calloc(json_array_size(list) + 1, sizeof(*msgs));
	if (msgs == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, m) {
		pst__decrypt_message(c, NULL, m, &msgs[n]);
		if (msgs[n].sender_id == NULL && json_string_value(json_object_get(m, "sender")))
			msgs[n].sender_id = strdup(json_string_value(json_object_get(m, "sender")));
		n++;
	}
	*msgs_out = msgs;
	*n_out = n;
	msgs = NULL;
out:
	free(msgs);
	json_decref(out);
	return st;
}

pst_status pst_app_approval_code(pst_client *c, char **code_out)
{
	char code[PROTO_CODE_LEN];
	pst_status st = need_app(c);
	if (st != PST_OK)
		return st;
	if (code_out == NULL)
		return pst__fail(c, PST_ERR_INVALID, "code_out is required");
	*code_out = NULL;
	if (!c->have_keys || !c->device_id[0])
		return pst__fail(c, PST_ERR_INVALID, "the app has no device yet (pst_app_finish registers it)");
	/* the person's client recomputes it from the keys the server lists (docs/protocol.md §16) */
	if (proto_approval_code(c->client_id, c->device_id, c->keys.sign_pk, c->keys.box_pk, code, sizeof(code)) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_CRYPTO, "cannot compute the approval code");
	*code_out = strdup(code);
	return *code_out ? PST_OK : pst__fail(c, PST_ERR_NOMEM, "out of memory");
}

pst_status pst_app_delete(pst_client *c, const char *thread_id, const char *message_id)
{
	char *path;
	pst_status st = need_app(c);
	if (st != PST_OK)
		return st;
	if (thread_id == NULL || message_id == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a thread id and a message id are required");
	path = pst__path("/v1/partner/threads/%s/messages/%s", thread_id, message_id);
	st = path ? app_call(c, "DELETE", path, NULL, NULL) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	free(path);
	return st;
}

pst_status pst_app_report(pst_client *c, const char *period_start, char **json_out)
{
	json_t *tok = NULL, *out = NULL;
	char saved[PST__TOKEN_MAX], *path = NULL;
	pst_status st = need_app(c);
	if (st != PST_OK)
		return st;
	if (period_start == NULL || json_out == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a period start (YYYY-MM-DD) is required");
	*json_out = NULL;
	if (!c->client_secret[0])
		return pst__fail(c, PST_ERR_INVALID, "reports need a confidential client (client_credentials)");
	{
		const char *kv[] = {"grant_type", "client_credentials", "scope", "reports:read", NULL};
		st = oauth_post(c, "/oauth/token", kv, &tok);
	}
	if (st != PST_OK)
		goto out;
	/* the app's own token, for this one call: the person's grant token stays as it was */
	snprintf(saved, sizeof(saved), "%s", c->token);
	snprintf(c->token, sizeof(c->token), "%s", json_string_value(json_object_get(tok, "access_token")));
	path = pst__path("/v1/partner/reports?period_start=%s", period_start, NULL);
	st = path ? pst__request(c, "GET", path, NULL, &out) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	snprintf(c->token, sizeof(c->token), "%s", saved);
	sodium_memzero(saved, sizeof(saved));
	if (st == PST_OK)
		st = to_text(c, out, json_out);
out:
	free(path);
	json_decref(tok);
	json_decref(out);
	return st;
}
