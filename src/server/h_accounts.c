/*
 * h_accounts.c — health, registration, login/logout, password change and "who am I". Password hashing and checking run in
 * the prepare step (a reader thread, under auth.c's concurrency cap) so the writer never waits on argon2.
 * Registration follows --registration (open, closed, or invite: a code from `posternd invite`, used up in the
 * same transaction as the account) and is limited per client address (AUTH_LIMIT_REGISTER) before any hash
 * is computed. Deleting an account is h_account_delete.c.
 */
#include "handlers.h"

#include "auth.h"
#include "b64url.h"
#include "jsonv.h"
#include "pubid.h"
#include "version.h"
#include "views.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

enum srv_err h_health(struct req *rq)
{
	return req_reply(rq, 200, json_pack("{s:s,s:s}", "status", "ok", "version", POSTERN_VERSION));
}

static int username_valid(const char *u)
{
	size_t n = strlen(u), i;
	if (n < 3 || n > 32)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = u[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

struct account_prep {
	char pw_hash[STORE_PWHASH_LEN];
};

enum srv_err h_account_create_prepare(struct req *rq)
{
	const char *username, *password, *invite = NULL;
	struct account_prep *prep;
	char key[64];
	int retry = 0;
	enum srv_err rc;

	if (rq->cfg->registration == CONFIG_REGISTRATION_CLOSED)
		return req_fail(rq, SRV_E_FORBIDDEN, "this server does not take new accounts");
	if ((rc = jsonv_str(rq, "username", 0, 64, &username)) != SRV_E_OK)
		return rc;
	if (!username_valid(username))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'username' must be 3 to 32 of a-z 0-9 _ . -");
	if ((rc = jsonv_str(rq, "password", 0, 1024, &password)) != SRV_E_OK)
		return rc;
	if (strlen(password) < 8)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'password' must be at least 8 bytes");
	if (rq->cfg->registration == CONFIG_REGISTRATION_INVITE) {
		if ((rc = jsonv_str_opt(rq, "invite", 1, 64, &invite)) != SRV_E_OK)
			return rc;
		if (invite == NULL)
			return req_fail(rq, SRV_E_FORBIDDEN, "this server takes new accounts by invitation: 'invite' is required");
	}
	/* every well-formed attempt counts, taken names too: the limit also bounds probing for usernames */
	snprintf(key, sizeof(key), "register:%s", rq->client_addr);
	if (auth_limit_check(AUTH_LIMIT_REGISTER, key, &retry) != SRV_E_OK) {
		rq->retry_after = retry;
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many accounts created from this address; retry later");
	}
	auth_limit_hit(AUTH_LIMIT_REGISTER, key);
	prep = calloc(1, sizeof(*prep));
	if (prep == NULL)
		return SRV_E_INTERNAL;
	rq->prep = prep;
	return auth_password_hash(password, prep->pw_hash);
}

enum srv_err h_account_create(struct req *rq)
{
	struct account_prep *prep = rq->prep;
	struct store_user u = {0};
	enum srv_err rc;

	snprintf(u.username, sizeof(u.username), "%s", json_string_value(json_object_get(rq->body, "username")));
	snprintf(u.pw_hash, sizeof(u.pw_hash), "%s", prep->pw_hash);
	pubid_new("u", u.public_id, sizeof(u.public_id));
	u.created_at = rq->now;
	rc = rq->ops->user_insert(rq->db, &u);
	if (rc == SRV_E_CONFLICT)
		return SRV_E_USERNAME_TAKEN;
	if (rc == SRV_E_OK && rq->cfg->registration == CONFIG_REGISTRATION_INVITE) {
		const char *code = json_string_value(json_object_get(rq->body, "invite"));
		unsigned char hash[32];
		auth_token_hash(code, strlen(code), hash);
		rc = rq->ops->invite_use(rq->db, hash, u.id, rq->now);
		if (rc == SRV_E_NOT_FOUND) /* the account goes with the rest of this request's savepoint */
			return req_fail(rq, SRV_E_FORBIDDEN, "the invite code is unknown, used or expired");
	}
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 201, view_user(u.public_id, u.username));
}

struct session_prep {
	int64_t user_id;
	char public_id[STORE_ID_LEN];
};

enum srv_err h_session_create_prepare(struct req *rq)
{
	const char *username, *password;
	struct store_user u;
	struct session_prep *prep;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "username", 1, 64, &username)) != SRV_E_OK)
		return rc;
	if ((rc = jsonv_str(rq, "password", 1, 1024, &password)) != SRV_E_OK)
		return rc;
	rc = auth_login(rq, username, password, &u);
	if (rc == SRV_E_RATE_LIMITED)
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many failed logins for this user; retry later");
	if (rc != SRV_E_OK)
		return rc;
	prep = calloc(1, sizeof(*prep));
	if (prep == NULL)
		return SRV_E_INTERNAL;
	prep->user_id = u.id;
	snprintf(prep->public_id, sizeof(prep->public_id), "%s", u.public_id);
	rq->prep = prep;
	return SRV_E_OK;
}

enum srv_err h_session_create(struct req *rq)
{
	struct session_prep *prep = rq->prep;
	struct store_session s = {0};
	char token[AUTH_TOKEN_TEXT_LEN + 1];
	unsigned char hash[32];
	enum srv_err rc;

	auth_token_new(token, hash);
	s.user_id = prep->user_id;
	s.created_at = rq->now;
	s.expires_at = rq->now + rq->cfg->session_ttl_s * 1000;
	rc = rq->ops->session_insert(rq->db, hash, &s);
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 201, json_pack("{s:s,s:s,s:o}", "token", token, "user_id", prep->public_id, "expires_at",
						  view_time(s.expires_at)));
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* POST /v1/me/password: the current password is checked (with the failed-login limit) and the new one
 * hashed on a reader; the writer stores it and ends every other session of the person. */
enum srv_err h_password_change_prepare(struct req *rq)
{
	const char *current, *fresh;
	struct account_prep *prep;
	struct store_user u;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "current_password", 1, 1024, &current)) != SRV_E_OK ||
	    (rc = jsonv_str(rq, "new_password", 0, 1024, &fresh)) != SRV_E_OK)
		return rc;
	if (strlen(fresh) < 8)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'new_password' must be at least 8 bytes");
	rc = auth_login(rq, rq->user.username, current, &u);
	if (rc == SRV_E_RATE_LIMITED)
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many wrong passwords for this user; retry later");
	if (rc == SRV_E_INVALID_CREDENTIALS) /* not 401: the session itself is fine */
		return req_fail(rq, SRV_E_FORBIDDEN, "the current password is wrong");
	if (rc != SRV_E_OK)
		return rc;
	if (u.id != rq->user.id)
		return SRV_E_INTERNAL;
	if ((prep = calloc(1, sizeof(*prep))) == NULL)
		return SRV_E_INTERNAL;
	rq->prep = prep;
	return auth_password_hash(fresh, prep->pw_hash);
}

enum srv_err h_password_change(struct req *rq)
{
	struct account_prep *prep = rq->prep;
	enum srv_err rc = rq->ops->user_set_password(rq->db, rq->user.id, prep->pw_hash);
	if (rc == SRV_E_OK)
		rc = rq->ops->session_delete_others(rq->db, rq->user.id, rq->session.id);
	if (rc != SRV_E_OK)
		return rc;
	rq->sessions_ended = rq->user.id; /* their event streams end once this is durable (push.c) */
	return req_reply(rq, 204, NULL);
}

enum srv_err h_session_delete(struct req *rq)
{
	enum srv_err rc = rq->ops->session_delete(rq->db, rq->session.id);
	if (rc != SRV_E_OK)
		return rc;
	rq->sessions_ended = rq->user.id;
	return req_reply(rq, 204, NULL);
}

/* A session's id in the API: "s_" + 16 bytes of a keyed hash of its row id (no column, nothing to guess). */
#define SESSION_PUBLIC_LEN 26
static void session_public_id(int64_t id, char out[SESSION_PUBLIC_LEN])
{
	unsigned char h[32];
	uint64_t v = (uint64_t)id;
	auth_keyed_hash("session-id", &v, sizeof(v), h);
	memcpy(out, "s_", 2);
	b64url_encode(h, 16, out + 2, SESSION_PUBLIC_LEN - 2);
}

struct session_walk {
	struct req *rq;
	json_t *arr;              /* listing: the sessions as JSON */
	const char *want;         /* ending: the public id asked for */
	int64_t found;            /* ending: its row id, 0 when none */
};

static int session_row(void *arg, const struct store_session *row)
{
	struct session_walk *w = arg;
	char pid[SESSION_PUBLIC_LEN];
	json_t *device;

	session_public_id(row->id, pid);
	if (w->want) {
		if (strlen(w->want) == strlen(pid) && sodium_memcmp(w->want, pid, strlen(pid)) == 0)
			w->found = row->id;
		return w->found != 0;
	}
	device = row->device_id ? json_pack("{s:s,s:s}", "device_id", row->device_public_id, "name", row->device_name)
				: json_null();
	json_array_append_new(w->arr, json_pack("{s:s,s:o,s:o,s:o,s:b}", "session_id", pid, "device", device,
						"created_at", view_time(row->created_at), "expires_at",
						view_time(row->expires_at), "current", row->id == w->rq->session.id));
	return 0;
}

/* GET /v1/sessions: where the person is logged in. */
enum srv_err h_sessions_list(struct req *rq)
{
	struct session_walk w = {rq, json_array(), NULL, 0};
	enum srv_err rc = rq->ops->session_list_user(rq->db, rq->user.id, rq->now, session_row, &w);
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "sessions", w.arr));
}

/* DELETE /v1/sessions/{session_id}: end one of the person's sessions (a lost phone); someone else's is 404. */
enum srv_err h_session_end(struct req *rq)
{
	struct session_walk w = {rq, NULL, rq->params[0], 0};
	enum srv_err rc = rq->ops->session_list_user(rq->db, rq->user.id, rq->now, session_row, &w);
	if (rc == SRV_E_OK && w.found == 0)
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = rq->ops->session_delete(rq->db, w.found);
	if (rc != SRV_E_OK)
		return rc;
	rq->sessions_ended = rq->user.id;
	return req_reply(rq, 204, NULL);
}

/* DELETE /v1/sessions: every session of the person ends, this one too (a lost device); app grants stay. */
enum srv_err h_sessions_delete_all(struct req *rq)
{
	enum srv_err rc = rq->ops->session_delete_others(rq->db, rq->user.id, 0);
	if (rc != SRV_E_OK)
		return rc;
	rq->sessions_ended = rq->user.id;
	return req_reply(rq, 204, NULL);
}

enum srv_err h_me(struct req *rq)
{
	json_t *device = rq->session.device_id ? json_string(rq->session.device_public_id) : json_null();
	return req_reply(rq, 200, json_pack("{s:s,s:s,s:o,s:o}", "user_id", rq->user.public_id, "username",
					    rq->user.username, "created_at", view_time(rq->user.created_at), "device_id", device));
}
