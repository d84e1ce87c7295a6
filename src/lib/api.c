/*
 * api.c — libpostern's plain API calls: accounts and sessions (with this device's key registration),
 * friends, devices, threads, the inbox, and the person's view of the partner platform. Everything that
 * touches message bodies lives in e2ee.c.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

/* Run a call and hand back its JSON as text (json_out may be NULL). */
static pst_status call_text(pst_client *c, const char *method, const char *path, json_t *body, char **json_out)
{
	json_t *out = NULL;
	pst_status st = pst__request(c, method, path, body, &out);
	json_decref(body); /* call_text takes the reference to body */
	if (json_out)
		*json_out = NULL;
	if (st == PST_OK && json_out && out && (*json_out = json_dumps(out, JSON_COMPACT | JSON_INDENT(0))) == NULL)
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	json_decref(out);
	return st;
}

static pst_status need_login(pst_client *c)
{
	return c->token[0] ? PST_OK : pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
}

static pst_status check_args(pst_client *c, const void *a, const void *b)
{
	if (c == NULL)
		return PST_ERR_INVALID;
	if (a == NULL || b == NULL)
		return pst__fail(c, PST_ERR_INVALID, "a required argument is missing");
	return PST_OK;
}

pst_status pst_register(pst_client *c, const char *username, const char *password, char **user_id_out)
{
	return pst_register_invite(c, username, password, NULL, user_id_out);
}

pst_status pst_register_invite(pst_client *c, const char *username, const char *password, const char *invite,
			       char **user_id_out)
{
	json_t *out = NULL;
	pst_status st = check_args(c, username, password);
	if (user_id_out)
		*user_id_out = NULL;
	if (st != PST_OK)
		return st;
	{
		json_t *body = json_pack("{s:s,s:s,s:s?}", "username", username, "password", password, "invite", invite);
		st = pst__request(c, "POST", "/v1/accounts", body, &out);
		json_decref(body);
	}
	if (st == PST_OK && user_id_out) {
		const char *id = json_string_value(json_object_get(out, "user_id"));
		*user_id_out = id ? strdup(id) : NULL;
	}
	json_decref(out);
	return st;
}

/* Register this device's keys (made on first use) with the server; the session becomes bound to it. */
static pst_status register_device(pst_client *c, const char *name)
{
	unsigned char sig[PROTO_SIG_BYTES];
	char spk[64], bpk[64], sigt[100];
	json_t *out = NULL;
	pst_status st;

	if (!c->have_keys) {
		if (proto_device_keygen(&c->keys) != PROTO_E_OK)
			return pst__fail(c, PST_ERR_CRYPTO, "cannot make device keys");
		c->have_keys = 1;
		if ((st = pst__save_keys(c)) != PST_OK)
			return st;
	}
	if (proto_device_sign_registration(&c->keys, c->user_id, sig) != PROTO_E_OK)
		return pst__fail(c, PST_ERR_CRYPTO, "cannot sign the device registration");
	b64url_encode(c->keys.sign_pk, sizeof(c->keys.sign_pk), spk, sizeof(spk));
	b64url_encode(c->keys.box_pk, sizeof(c->keys.box_pk), bpk, sizeof(bpk));
	b64url_encode(sig, sizeof(sig), sigt, sizeof(sigt));
	{
		json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "name", name && name[0] ? name : "postern", "sign_pk", spk, "box_pk", bpk,
					 "sig", sigt);
		st = pst__request(c, "POST", "/v1/devices", body, &out);
		json_decref(body);
	}
	if (st == PST_OK)
		snprintf(c->device_id, sizeof(c->device_id), "%s", json_string_value(json_object_get(out, "device_id")));
	json_decref(out);
	return st;
}

pst_status pst_login(pst_client *c, const char *username, const char *password, const char *device_name)
{
	json_t *out = NULL, *body;
	pst_status st = check_args(c, username, password);
	char prev_user[PST__ID_MAX];
	if (st != PST_OK)
		return st;
	snprintf(prev_user, sizeof(prev_user), "%s", c->user_id);
	c->token[0] = '\0';
	body = json_pack("{s:s,s:s}", "username", username, "password", password);
	st = pst__request(c, "POST", "/v1/sessions", body, &out);
	json_decref(body);
	if (st != PST_OK)
		goto out;
	snprintf(c->token, sizeof(c->token), "%s", json_string_value(json_object_get(out, "token")));
	snprintf(c->user_id, sizeof(c->user_id), "%s", json_string_value(json_object_get(out, "user_id")));
	if (prev_user[0] && strcmp(prev_user, c->user_id) != 0) {
		st = pst__fail(c, PST_ERR_INVALID, "this home directory belongs to another account: use another --home");
		c->token[0] = '\0';
		goto out;
	}
	if (c->device_id[0]) { /* the device exists: bind this new session to it again */
		json_t *devs = NULL;
		int found = 0;
		size_t i;
		json_t *d;
		st = pst__request(c, "GET", "/v1/devices", NULL, &devs);
		json_array_foreach(json_object_get(devs, "devices"), i, d)
			if (strcmp(json_string_value(json_object_get(d, "device_id")), c->device_id) == 0)
				found = 1;
		json_decref(devs);
		if (st != PST_OK)
			goto out;
		if (!found)
			c->device_id[0] = '\0'; /* removed from the account meanwhile: register anew */
	}
	/* registering is how a session becomes bound to its device; the server keeps one row per key set */
	st = register_device(c, device_name);
	if (st == PST_OK && (st = pst__save_session(c)) == PST_OK) {
		/* then the identity: made here (first device), taken from an approval, or waited for */
		st = pst__identity_ready(c);
	} else if (c->token[0] && c->http_status == 409) {
		/* refused a new device (the account has as many as the server allows): stay logged in without
		 * one, so this home can list and remove devices, then log in again to register */
		char why[sizeof(c->errmsg)];
		snprintf(why, sizeof(why), "%s", c->errmsg);
		pst__save_session(c);
		pst__fail(c, st, "%s", why);
	}
out:
	json_decref(out);
	return st;
}

static pst_status end_sessions(pst_client *c, const char *path)
{
	pst_status st;
	if (c == NULL)
		return PST_ERR_INVALID;
	if ((st = need_login(c)) != PST_OK)
		return st;
	st = pst__request(c, "DELETE", path, NULL, NULL);
	if (st == PST_OK || st == PST_ERR_AUTH) {
		sodium_memzero(c->token, sizeof(c->token));
		st = pst__save_session(c);
	}
	return st;
}

pst_status pst_logout(pst_client *c) { return end_sessions(c, "/v1/sessions/current"); }
pst_status pst_logout_everywhere(pst_client *c) { return end_sessions(c, "/v1/sessions"); }

pst_status pst_account_delete(pst_client *c, const char *password)
{
	pst_status st = check_args(c, password, password);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	st = call_text(c, "DELETE", "/v1/me", json_pack("{s:s}", "password", password), NULL);
	if (st == PST_OK) { /* the server ended the session with everything else */
		sodium_memzero(c->token, sizeof(c->token));
		st = pst__save_session(c);
	}
	return st;
}

pst_status pst_password_change(pst_client *c, const char *current_password, const char *new_password)
{
	pst_status st = check_args(c, current_password, new_password);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	return call_text(c, "POST", "/v1/me/password",
			 json_pack("{s:s,s:s}", "current_password", current_password, "new_password", new_password), NULL);
}

#define SIMPLE_GET(fn, path)                                             \
	pst_status fn(pst_client *c, char **json_out)                    \
	{                                                                \
		pst_status st;                                           \
		if (c == NULL || json_out == NULL)                       \
			return PST_ERR_INVALID;                          \
		if ((st = need_login(c)) != PST_OK)                      \
			return st;                                       \
		return call_text(c, "GET", path, NULL, json_out);        \
	}

SIMPLE_GET(pst_whoami, "/v1/me")
SIMPLE_GET(pst_friends, "/v1/friends")
SIMPLE_GET(pst_friend_requests, "/v1/friends/requests")
SIMPLE_GET(pst_devices, "/v1/devices")
SIMPLE_GET(pst_sessions, "/v1/sessions")

/* GET base?limit=N[&cursor=C] as JSON text (a page of a listing; the cursor is escaped). */
static pst_status page_get(pst_client *c, const char *base, int limit, int max, const char *cursor, char **json_out)
{
	char *path = NULL, *esc = NULL;
	pst_status st;

	if (c == NULL || json_out == NULL)
		return PST_ERR_INVALID;
	if (limit < 1 || limit > max)
		return pst__fail(c, PST_ERR_INVALID, max == 100 ? "limit is 1 to 100" : "limit is 1 to 200");
	if (cursor && (cursor[0] == '\0' || strlen(cursor) > 128))
		return pst__fail(c, PST_ERR_INVALID, "that is not a cursor this listing gave");
	if ((st = need_login(c)) != PST_OK)
		return st;
	if (cursor && (esc = pst__escape(cursor)) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (asprintf(&path, "%s?limit=%d%s%s", base, limit, esc ? "&cursor=" : "", esc ? esc : "") < 0) {
		free(esc);
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
	st = call_text(c, "GET", path, NULL, json_out);
	free(path);
	free(esc);
	return st;
}

pst_status pst_access_log(pst_client *c, char **json_out) { return pst_access_log_page(c, 200, NULL, json_out); }

/*
 * The answer *json_out (st: how it was fetched; newest: the first page of a listing) checked against the
 * transparency log by mark, which sets "proven" true or false on each item; *json_out replaced by the marked
 * text, or freed and NULL when marking failed.
 */
static pst_status log_marked(pst_client *c, pst_status st, char **json_out, int newest, pst_status (*mark)(pst_client *, json_t *, int))
{
	json_t *page = NULL;
	if (st != PST_OK || *json_out == NULL || (page = json_loads(*json_out, 0, NULL)) == NULL)
		return st;
	if ((st = mark(c, page, newest)) == PST_OK) {
		char *marked = json_dumps(page, JSON_COMPACT | JSON_INDENT(0));
		if (marked) {
			free(*json_out);
			*json_out = marked;
		}
	} else {
		free(*json_out);
		*json_out = NULL;
	}
	json_decref(page);
	return st;
}

pst_status pst_access_log_page(pst_client *c, int limit, const char *cursor, char **json_out)
{
	/* each line the person is shown is checked against the transparency log */
	return log_marked(c, page_get(c, "/v1/me/access-log", limit, 200, cursor, json_out), json_out, cursor == NULL, pst__log_mark_access);
}

pst_status pst_grants(pst_client *c, char **json_out)
{
	pst_status st;
	if (c == NULL || json_out == NULL)
		return PST_ERR_INVALID;
	if ((st = need_login(c)) != PST_OK)
		return st;
	/* each grant's creation (and end) is checked against the transparency log */
	return log_marked(c, call_text(c, "GET", "/v1/me/grants", NULL, json_out), json_out, 1, pst__log_mark_grants);
}

pst_status pst_friend_add(pst_client *c, const char *username, char **json_out)
{
	pst_status st = check_args(c, username, username);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	return call_text(c, "POST", "/v1/friends/requests", json_pack("{s:s}", "username", username), json_out);
}

/*
 * method on fmt with one id put in (escaped), body (taken, may be NULL); the answer's JSON text into
 * *json_out when json_out is not NULL. Checks the id and that the client is logged in first.
 */
static pst_status id_call_text(pst_client *c, const char *method, const char *fmt, const char *id, json_t *body,
			       char **json_out)
{
	char *path;
	pst_status st = check_args(c, id, id);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK) {
		json_decref(body);
		return st;
	}
	path = pst__path(fmt, id, NULL);
	if (path == NULL) {
		json_decref(body);
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
	st = call_text(c, method, path, body, json_out);
	free(path);
	return st;
}

/* id_call_text without an answer to keep. */
static pst_status id_call(pst_client *c, const char *method, const char *fmt, const char *id, json_t *body)
{
	return id_call_text(c, method, fmt, id, body, NULL);
}

pst_status pst_friend_accept(pst_client *c, const char *rid) { return id_call(c, "POST", "/v1/friends/requests/%s/accept", rid, NULL); }
pst_status pst_friend_decline(pst_client *c, const char *rid) { return id_call(c, "POST", "/v1/friends/requests/%s/decline", rid, NULL); }
pst_status pst_friend_withdraw(pst_client *c, const char *rid) { return id_call(c, "DELETE", "/v1/friends/requests/%s", rid, NULL); }
pst_status pst_friend_remove(pst_client *c, const char *uid) { return id_call(c, "DELETE", "/v1/friends/%s", uid, NULL); }
pst_status pst_session_end(pst_client *c, const char *sid) { return id_call(c, "DELETE", "/v1/sessions/%s", sid, NULL); }

/*
 * Remove one of this person's devices. With the identity key on this device, the removal is a signed
 * DEVICE_REVOKE: every client then refuses that device for good, even if the server lists it again.
 */
pst_status pst_device_remove(pst_client *c, const char *did)
{
	json_t *list = NULL, *d, *body = NULL;
	struct proto_statement *st = NULL;
	char *text = NULL;
	size_t i;
	pst_status rc = check_args(c, did, did);

	if (rc == PST_OK)
		rc = need_login(c);
	if (rc != PST_OK)
		return rc;
	if (!c->have_identity)
		return id_call(c, "DELETE", "/v1/devices/%s", did, NULL);
	if ((rc = pst__request(c, "GET", "/v1/devices", NULL, &list)) != PST_OK)
		goto out;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(list, "devices"), i, d) {
		const char *spk = json_string_value(json_object_get(d, "sign_pk"));
		if (strcmp(json_string_value(json_object_get(d, "device_id")) ? json_string_value(json_object_get(d, "device_id")) : "", did) != 0 ||
		    spk == NULL || b64url_decode_exact(spk, strlen(spk), st->key, sizeof(st->key)) != 0)
			continue;
		st->type = PROTO_ST_DEVICE_REVOKE;
		snprintf(st->device_id, sizeof(st->device_id), "%s", did);
		st->at_ms = (uint64_t)time(NULL) * 1000u;
		text = pst__sign_identity(c, st);
		break;
	}
	if (text == NULL) {
		rc = c->errmsg[0] && st->type ? PST_ERR_CRYPTO : pst__fail(c, PST_ERR_NOT_FOUND, "you have no device %s", did);
		goto out;
	}
	body = json_pack("{s:s}", "statement", text);
	rc = pst__request(c, "POST", "/v1/device-revocations", body, NULL);
out:
	free(text);
	free(st);
	json_decref(body);
	json_decref(list);
	return rc;
}

pst_status pst_friend_id(pst_client *c, const char *username, char **user_id_out)
{
	json_t *out = NULL, *f;
	size_t i;
	pst_status st = check_args(c, username, user_id_out);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	*user_id_out = NULL;
	st = pst__request(c, "GET", "/v1/friends", NULL, &out);
	json_array_foreach(json_object_get(out, "friends"), i, f) {
		const char *name = json_string_value(json_object_get(f, "username"));
		if (name && strcmp(name, username) == 0 && *user_id_out == NULL)
			*user_id_out = strdup(json_string_value(json_object_get(f, "user_id")));
	}
	json_decref(out);
	if (st == PST_OK && *user_id_out == NULL)
		st = pst__fail(c, PST_ERR_NOT_FOUND, "%s is not your friend", username);
	return st;
}

pst_status pst_fingerprint(const char *sign_pk_b64, const char *box_pk_b64, char **out)
{
	unsigned char spk[PROTO_SIGN_PK_BYTES], bpk[PROTO_BOX_PK_BYTES];
	char fp[PROTO_FINGERPRINT_LEN];
	if (sign_pk_b64 == NULL || box_pk_b64 == NULL || out == NULL ||
	    b64url_decode_exact(sign_pk_b64, strlen(sign_pk_b64), spk, sizeof(spk)) != 0 ||
	    b64url_decode_exact(box_pk_b64, strlen(box_pk_b64), bpk, sizeof(bpk)) != 0 ||
	    proto_device_fingerprint(spk, bpk, fp, sizeof(fp)) != PROTO_E_OK)
		return PST_ERR_INVALID;
	*out = strdup(fp);
	return *out ? PST_OK : PST_ERR_NOMEM;
}

pst_status pst_thread_direct(pst_client *c, const char *user_id, char **thread_id_out)
{
	json_t *out = NULL;
	pst_status st = check_args(c, user_id, thread_id_out);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	*thread_id_out = NULL;
	{
		const char *ids[2] = {c->user_id, user_id};
		char *link = pst__link_make(c, PROTO_LINK_CREATE, PROTO_THREAD_DIRECT, NULL, ids, 2);
		json_t *body = link ? json_pack("{s:[s],s:s}", "members", user_id, "link", link) : NULL;
		free(link);
		if (body == NULL)
			return c->errmsg[0] ? PST_ERR_CRYPTO : pst__fail(c, PST_ERR_NOMEM, "out of memory");
		st = pst__request(c, "POST", "/v1/threads", body, &out);
		json_decref(body);
	}
	if (st == PST_OK) {
		const char *id = json_string_value(json_object_get(out, "thread_id"));
		*thread_id_out = id ? strdup(id) : NULL;
		if (*thread_id_out == NULL)
			st = pst__fail(c, PST_ERR_PROTOCOL, "the server's thread has no id");
	}
	json_decref(out);
	return st;
}

pst_status pst_inbox(pst_client *c, int limit, char **json_out) { return page_get(c, "/v1/threads", limit, 100, NULL, json_out); }

pst_status pst_inbox_page(pst_client *c, int limit, const char *cursor, char **json_out)
{
	return page_get(c, "/v1/threads", limit, 100, cursor, json_out);
}

pst_status pst_thread(pst_client *c, const char *thread_id, char **json_out)
{
	pst_status st = check_args(c, thread_id, json_out);
	return st == PST_OK ? id_call_text(c, "GET", "/v1/threads/%s", thread_id, NULL, json_out) : st;
}

pst_status pst_mark_read(pst_client *c, const char *thread_id, int64_t seq)
{
	if (seq < 0)
		return c ? pst__fail(c, PST_ERR_INVALID, "seq must not be negative") : PST_ERR_INVALID;
	return id_call(c, "POST", "/v1/threads/%s/read", thread_id, json_pack("{s:I}", "seq", (json_int_t)seq));
}

pst_status pst_user_devices(pst_client *c, const char *user_id, char **json_out)
{
	pst_status st = check_args(c, user_id, json_out);
	return st == PST_OK ? id_call_text(c, "GET", "/v1/users/%s/devices", user_id, NULL, json_out) : st;
}

pst_status pst_thread_create(pst_client *c, const char *const *user_ids, size_t n, char **thread_id_out)
{
	json_t *members, *body, *out = NULL;
	size_t i;
	pst_status st = check_args(c, user_ids, thread_id_out);
	if (st == PST_OK)
		st = need_login(c);
	if (st != PST_OK)
		return st;
	*thread_id_out = NULL;
	if (n == 0 || n > 255)
		return pst__fail(c, PST_ERR_INVALID, "a thread has 1 to 255 other members");
	members = json_array();
	{
		/* the signed first link names everyone, this person first; the thread's id comes from it */
		const char **ids = calloc(n + 2, sizeof(*ids));
		char *link = NULL;
		size_t k = 0;
		if (ids == NULL) {
			json_decref(members);
			return pst__fail(c, PST_ERR_NOMEM, "out of memory");
		}
		ids[k++] = c->user_id;
		for (i = 0; i < n; i++) {
			size_t j;
			if (user_ids[i] == NULL || strcmp(user_ids[i], c->user_id) == 0)
				continue;
			for (j = 0; j < k && strcmp(ids[j], user_ids[i]) != 0; j++)
				;
			if (j == k)
				ids[k++] = user_ids[i];
			json_array_append_new(members, json_string(user_ids[i]));
		}
		if (k >= 2)
			link = pst__link_make(c, PROTO_LINK_CREATE, k == 2 ? PROTO_THREAD_DIRECT : PROTO_THREAD_GROUP, NULL, ids, k);
		free(ids);
		if (k < 2) {
			json_decref(members);
			return pst__fail(c, PST_ERR_INVALID, "a thread has at least one other member");
		}
		if (link == NULL) {
			json_decref(members);
			return PST_ERR_CRYPTO;
		}
		body = json_pack("{s:o,s:s}", "members", members, "link", link);
		free(link);
	}
	st = pst__request(c, "POST", "/v1/threads", body, &out);
	json_decref(body);
	if (st == PST_OK) {
		const char *id = json_string_value(json_object_get(out, "thread_id"));
		*thread_id_out = id ? strdup(id) : NULL;
		if (*thread_id_out == NULL)
			st = pst__fail(c, PST_ERR_PROTOCOL, "the server's thread has no id");
	}
	json_decref(out);
	return st;
}

/*
 * A signed membership change of thread_id (docs/protocol.md §15): verify the chain as it stands, refuse
 * when it does not verify, and sign op of user_id on top of its head. *link_out is base64url (malloc'd).
 */
static pst_status member_link(pst_client *c, const char *thread_id, unsigned op, const char *user_id, char **link_out)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__thread t;
	pst_status st;
	*link_out = NULL;
	if ((st = pst__thread_load(c, &ppl, thread_id, &t)) != PST_OK)
		goto out;
	if (t.chain == NULL || t.chain->length == 0) {
		st = pst__fail(c, PST_ERR_UNTRUSTED, "%s", t.problem[0] ? t.problem : "this conversation has no signed member list");
		goto out;
	}
	if (t.problem_status == PST_ERR_UNTRUSTED) {
		st = pst__fail(c, PST_ERR_UNTRUSTED, "%s; nothing was changed", t.problem);
		goto out;
	}
	if ((*link_out = pst__link_make(c, op, t.chain->kind, t.head, &user_id, 1)) == NULL)
		st = PST_ERR_CRYPTO;
out:
	pst__thread_free(&t);
	pst__people_free(&ppl);
	return st;
}

pst_status pst_thread_add_member(pst_client *c, const char *thread_id, const char *user_id)
{
	char *link = NULL;
	pst_status st = check_args(c, thread_id, user_id);
	if (st == PST_OK)
		st = need_login(c);
	if (st == PST_OK)
		st = member_link(c, thread_id, PROTO_LINK_ADD, user_id, &link);
	if (st == PST_OK)
		st = id_call(c, "POST", "/v1/threads/%s/members", thread_id, json_pack("{s:s,s:s}", "user_id", user_id, "link", link));
	free(link);
	return st;
}

pst_status pst_thread_remove_member(pst_client *c, const char *thread_id, const char *user_id)
{
	char *path = NULL, *link = NULL, *esc = NULL, *full = NULL;
	pst_status st = check_args(c, thread_id, user_id);
	if (st == PST_OK)
		st = need_login(c);
	if (st == PST_OK)
		st = member_link(c, thread_id, PROTO_LINK_REMOVE, user_id, &link);
	if (st != PST_OK)
		goto out;
	path = pst__path("/v1/threads/%s/members/%s", thread_id, user_id);
	esc = pst__escape(link);
	if (path == NULL || esc == NULL || asprintf(&full, "%s?link=%s", path, esc) < 0) {
		full = NULL;
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = call_text(c, "DELETE", full, NULL, NULL);
out:
	free(full);
	free(esc);
	free(path);
	free(link);
	return st;
}
