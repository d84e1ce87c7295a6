/*
 * auth.c — session tokens, password hashing with a concurrency cap, and the limits on guessing: failed
 * logins, identity-backup fetches, approval-code misses, registrations per address (see auth.h; the
 * counting is limiter.c, under a digest keyed with the server key; the sharing between nodes is the
 * caller's hook, main.c's bus).
 */
#include "auth.h"

#include "b64url.h"
#include "limiter.h"
#include "partner.h"
#include "routes.h"
#include "scopes.h"
#include "timefmt.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

static struct {
	sem_t slots;
	unsigned long long opslimit;
	size_t memlimit;
	char dummy_hash[STORE_PWHASH_LEN];
	struct limiter *limits[AUTH_LIMIT__COUNT]; /* enum auth_limit */
	unsigned char server_key[32];
	auth_limit_share_fn share; /* auth_limit_share */
	void *share_arg;
} au;

/* Read data_dir/server.key, or make it. */
static int load_server_key(const char *dir)
{
	char path[600];
	int fd, rc = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/server.key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, au.server_key, sizeof(au.server_key));
		close(fd);
		if (n == (ssize_t)sizeof(au.server_key))
			return 0;
		log_error("%s is damaged; move it away to make a new one (CSRF tokens and pairwise ids change)", path);
		return -1;
	}
	randombytes_buf(au.server_key, sizeof(au.server_key));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, au.server_key, sizeof(au.server_key)) == (ssize_t)sizeof(au.server_key) && fsync(fd) == 0)
		rc = 0;
	close(fd);
	return rc;
}

int auth_init(const struct config *cfg)
{
	sem_init(&au.slots, 0, (unsigned)cfg->pwhash_concurrency);
	au.opslimit = (unsigned long long)cfg->pwhash_opslimit;
	au.memlimit = (size_t)cfg->pwhash_memlimit;
	au.limits[AUTH_LIMIT_LOGIN] = limiter_new(cfg->login_fail_limit, cfg->login_fail_window_s * 1000);
	au.limits[AUTH_LIMIT_BACKUP] = limiter_new(cfg->backup_fetch_limit, cfg->backup_fetch_window_s * 1000);
	au.limits[AUTH_LIMIT_APPROVAL] = limiter_new(cfg->approval_fail_limit, cfg->approval_fail_window_s * 1000);
	au.limits[AUTH_LIMIT_REGISTER] = limiter_new(cfg->register_limit, cfg->register_window_s * 1000);
	if (au.limits[AUTH_LIMIT_LOGIN] == NULL || au.limits[AUTH_LIMIT_BACKUP] == NULL || au.limits[AUTH_LIMIT_APPROVAL] == NULL ||
	    au.limits[AUTH_LIMIT_REGISTER] == NULL) {
		log_error("out of memory for the rate limiters");
		return -1;
	}
	{
		unsigned char junk[16];
		char pw[33];
		randombytes_buf(junk, sizeof(junk));
		b64url_encode(junk, sizeof(junk), pw, sizeof(pw));
		if (crypto_pwhash_str(au.dummy_hash, pw, strlen(pw), au.opslimit, au.memlimit) != 0)
			au.dummy_hash[0] = '\0';
	}
	return load_server_key(cfg->data_dir);
}

void auth_keyed_hash(const char *purpose, const void *data, size_t len, unsigned char out[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, au.server_key, sizeof(au.server_key), 32);
	crypto_generichash_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, out, 32);
}

void auth_csrf_token(int64_t session_id, char out[AUTH_TOKEN_TEXT_LEN + 1])
{
	unsigned char h[32];
	auth_keyed_hash("csrf", &session_id, sizeof(session_id), h);
	b64url_encode(h, sizeof(h), out, AUTH_TOKEN_TEXT_LEN + 1);
}

int auth_csrf_ok(int64_t session_id, const char *token)
{
	char want[AUTH_TOKEN_TEXT_LEN + 1];
	if (token == NULL || strlen(token) != AUTH_TOKEN_TEXT_LEN)
		return 0;
	auth_csrf_token(session_id, want);
	return sodium_memcmp(want, token, AUTH_TOKEN_TEXT_LEN) == 0;
}

void auth_token_new_prefixed(const char *prefix, char *text, size_t cap, unsigned char hash[32])
{
	unsigned char raw[32];
	char body[AUTH_TOKEN_TEXT_LEN + 1];
	randombytes_buf(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), body, sizeof(body));
	snprintf(text, cap, "%s%s", prefix, body);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(body, sizeof(body));
	auth_token_hash(text, strlen(text), hash);
}

enum srv_err auth_client(struct req *rq)
{
	const char *id = req_form(rq, "client_id"), *secret = req_form(rq, "client_secret");
	unsigned char h[32];
	enum srv_err rc;

	if (rq->basic_present) { /* RFC 6749 2.3.1: Basic wins; both at once is an error */
		if (secret != NULL || (id != NULL && strcmp(id, rq->basic_user) != 0))
			return SRV_E_UNAUTHORIZED;
		id = rq->basic_user;
		secret = rq->basic_pass;
	}
	if (id == NULL || id[0] == '\0' || strlen(id) >= STORE_ID_LEN)
		return SRV_E_UNAUTHORIZED;
	if (req_app(rq) == NULL)
		return SRV_E_INTERNAL;
	rc = rq->ops->app_by_client_id(rq->db, id, rq->app);
	if (rc == SRV_E_NOT_FOUND)
		return SRV_E_UNAUTHORIZED;
	if (rc != SRV_E_OK)
		return rc;
	if (rq->app->suspended)
		return SRV_E_UNAUTHORIZED;
	if (!rq->app->has_secret)
		return secret == NULL || secret[0] == '\0' ? SRV_E_OK : SRV_E_UNAUTHORIZED;
	if (secret == NULL)
		return SRV_E_UNAUTHORIZED;
	auth_token_hash(secret, strlen(secret), h);
	return sodium_memcmp(h, rq->app->secret_hash, 32) == 0 ? SRV_E_OK : SRV_E_UNAUTHORIZED;
}

void auth_release(void)
{
	int i;
	sem_destroy(&au.slots);
	for (i = 0; i < AUTH_LIMIT__COUNT; i++) {
		limiter_free(au.limits[i]);
		au.limits[i] = NULL;
	}
}

void auth_token_hash(const char *text, size_t len, unsigned char hash[32])
{
	crypto_generichash(hash, 32, (const unsigned char *)text, len, NULL, 0);
}

void auth_token_new(char text[AUTH_TOKEN_TEXT_LEN + 1], unsigned char hash[32])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), text, AUTH_TOKEN_TEXT_LEN + 1);
	sodium_memzero(raw, sizeof(raw));
	auth_token_hash(text, AUTH_TOKEN_TEXT_LEN, hash);
}

/* A partner token (access or client): the token row, its app, and for access tokens the live grant. */
static enum srv_err resolve_partner(struct req *rq, int kind)
{
	unsigned char hash[32];
	enum srv_err rc;

	if (req_token(rq) == NULL || req_app(rq) == NULL || req_grant(rq) == NULL)
		return SRV_E_INTERNAL;
	auth_token_hash(rq->bearer, strlen(rq->bearer), hash);
	rc = rq->ops->token_by_hash(rq->db, hash, rq->token);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && (rq->token->kind != kind || rq->token->revoked_at ||
							 rq->token->expires_at <= rq->now)))
		return SRV_E_UNAUTHORIZED;
	if (rc != SRV_E_OK)
		return rc;
	rc = rq->ops->app_by_id(rq->db, rq->token->app_id, rq->app);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && rq->app->suspended))
		return SRV_E_UNAUTHORIZED;
	if (rc != SRV_E_OK || kind == STORE_TOKEN_CLIENT)
		return rc;
	rc = rq->ops->grant_by_id(rq->db, rq->token->grant_id, rq->grant);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && (rq->grant->revoked_at || rq->grant->expires_at <= rq->now)))
		return SRV_E_UNAUTHORIZED;
	if (rc != SRV_E_OK)
		return rc;
	rc = rq->ops->user_by_id(rq->db, rq->grant->user_id, &rq->user);
	if (rc == SRV_E_NOT_FOUND)
		return SRV_E_UNAUTHORIZED;
	if (rc == SRV_E_OK) { /* the app's device for this grant, if it registered one: its to-device messages */
		struct store_device d;
		enum srv_err drc = rq->ops->device_for_grant(rq->db, rq->grant->id, &d);
		if (drc == SRV_E_OK) {
			rq->session.device_id = d.id;
			snprintf(rq->session.device_public_id, sizeof(rq->session.device_public_id), "%s", d.public_id);
		} else if (drc != SRV_E_NOT_FOUND)
			rc = drc;
	}
	return rc;
}

/* A first-party session from a bearer token or the browser cookie. */
static enum srv_err resolve_session(struct req *rq, const char *text)
{
	unsigned char hash[32];
	enum srv_err rc;

	if (strlen(text) != AUTH_TOKEN_TEXT_LEN)
		return req_fail(rq, SRV_E_UNAUTHORIZED, "malformed token");
	auth_token_hash(text, AUTH_TOKEN_TEXT_LEN, hash);
	rc = rq->ops->session_by_hash(rq->db, hash, &rq->session);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && rq->session.expires_at <= rq->now))
		return SRV_E_UNAUTHORIZED;
	if (rc != SRV_E_OK)
		return rc;
	rc = rq->ops->user_by_id(rq->db, rq->session.user_id, &rq->user);
	return rc == SRV_E_NOT_FOUND ? SRV_E_UNAUTHORIZED : rc;
}

enum srv_err auth_resolve(struct req *rq)
{
	enum srv_err rc = SRV_E_OK;
	unsigned creds = rq->route->creds;
	int kind = 0;

	rq->cred = CRED_NONE;
	if (creds == CRED_NONE) /* public route: credentials are not looked at */
		goto out;
	if (!(creds & (CRED_SESSION | CRED_APP | CRED_CLIENT)))
		rq->bearer_present = 0; /* a page for browsers: a bearer header means nothing here */
	if (!rq->bearer_present) {
		if ((creds & CRED_COOKIE) && rq->cookie[0]) {
			/* a stale cookie is no credential: the page asks to log in again */
			if (resolve_session(rq, rq->cookie) == SRV_E_OK)
				rq->cred = CRED_COOKIE;
			rq->errmsg[0] = '\0';
		}
		if (rq->cred == CRED_NONE && !(creds & CRED_NONE))
			rc = SRV_E_UNAUTHORIZED;
		goto out;
	}
	if (strncmp(rq->bearer, AUTH_PREFIX_ACCESS, 3) == 0)
		kind = CRED_APP;
	else if (strncmp(rq->bearer, AUTH_PREFIX_CLIENT, 3) == 0)
		kind = CRED_CLIENT;
	else
		kind = CRED_SESSION;
	if (!(creds & (unsigned)kind)) { /* not a credential this route takes */
		/* an app's token on a route apps may not call (the person's own, say): looked up only so that
		 * the person's access log shows the attempt */
		if (kind == CRED_APP && strlen(rq->bearer) == AUTH_PREFIXED_LEN && resolve_partner(rq, STORE_TOKEN_ACCESS) == SRV_E_OK)
			partner_call_refused(rq, PARTNER_REFUSED_ROUTE, NULL);
		rc = req_fail(rq, SRV_E_UNAUTHORIZED, "this credential cannot be used here");
		goto out;
	}
	if (kind == CRED_SESSION)
		rc = resolve_session(rq, rq->bearer);
	else if (strlen(rq->bearer) != AUTH_PREFIXED_LEN)
		rc = req_fail(rq, SRV_E_UNAUTHORIZED, "malformed token");
	else
		rc = resolve_partner(rq, kind == CRED_APP ? STORE_TOKEN_ACCESS : STORE_TOKEN_CLIENT);
	if (rc != SRV_E_OK)
		goto out;
	rq->cred = kind;
	partner_call_begin(rq); /* an app's call is one line in the person's access log, whatever comes of it */
	if ((kind == CRED_APP || kind == CRED_CLIENT) && rq->route->scope && !scope_has(rq->token->scopes, rq->route->scope)) {
		if (kind == CRED_APP)
			partner_call_refused(rq, PARTNER_REFUSED_SCOPE, NULL);
		rc = req_fail(rq, SRV_E_INSUFFICIENT_SCOPE, "this token's grant does not include %s", rq->route->scope);
	}
out:
	if (rc == SRV_E_UNAUTHORIZED && rq->www_authenticate[0] == '\0')
		snprintf(rq->www_authenticate, sizeof(rq->www_authenticate), "Bearer realm=\"postern\"");
	if (rc == SRV_E_INSUFFICIENT_SCOPE)
		snprintf(rq->www_authenticate, sizeof(rq->www_authenticate),
			 "Bearer realm=\"postern\", error=\"insufficient_scope\", scope=\"%s\"", rq->route->scope);
	sodium_memzero(rq->bearer, sizeof(rq->bearer));
	sodium_memzero(rq->cookie, sizeof(rq->cookie));
	return rc;
}

static int slot_take(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	while (sem_timedwait(&au.slots, &ts) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

enum srv_err auth_password_hash(const char *password, char out[STORE_PWHASH_LEN])
{
	int r;
	if (slot_take() != 0)
		return SRV_E_UNAVAILABLE;
	r = crypto_pwhash_str(out, password, strlen(password), au.opslimit, au.memlimit);
	sem_post(&au.slots);
	return r == 0 ? SRV_E_OK : SRV_E_INTERNAL;
}

enum srv_err auth_password_verify(const char *stored, const char *password)
{
	int r;
	if (slot_take() != 0)
		return SRV_E_UNAVAILABLE;
	r = crypto_pwhash_str_verify(stored ? stored : au.dummy_hash, password, strlen(password));
	sem_post(&au.slots);
	return (r == 0 && stored != NULL) ? SRV_E_OK : SRV_E_INVALID_CREDENTIALS;
}

/* The digest a limit counts key under (see AUTH_LIMIT_DIGEST_LEN): the same on every node of a deployment. */
static void limit_digest(enum auth_limit which, const char *key, unsigned char out[AUTH_LIMIT_DIGEST_LEN])
{
	crypto_generichash_state st;
	unsigned char w = (unsigned char)which;
	crypto_generichash_init(&st, au.server_key, sizeof(au.server_key), AUTH_LIMIT_DIGEST_LEN);
	crypto_generichash_update(&st, (const unsigned char *)"limit", sizeof("limit"));
	crypto_generichash_update(&st, &w, 1);
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, out, AUTH_LIMIT_DIGEST_LEN);
}

/* Count (or clear) key of limit which here, and tell the other nodes. */
static void limit_count(enum auth_limit which, const char *key, int clear)
{
	unsigned char d[AUTH_LIMIT_DIGEST_LEN];
	limit_digest(which, key, d);
	if (clear)
		limiter_clear(au.limits[which], d, sizeof(d));
	else
		limiter_hit(au.limits[which], d, sizeof(d));
	if (au.share != NULL)
		au.share(au.share_arg, which, clear, d);
}

enum srv_err auth_limit_check(enum auth_limit which, const char *key, int *retry_after)
{
	unsigned char d[AUTH_LIMIT_DIGEST_LEN];
	limit_digest(which, key, d);
	return limiter_check(au.limits[which], d, sizeof(d), retry_after) == 0 ? SRV_E_OK : SRV_E_RATE_LIMITED;
}

void auth_limit_hit(enum auth_limit which, const char *key)
{
	limit_count(which, key, 0);
}

void auth_limit_share(auth_limit_share_fn share, void *arg)
{
	au.share = share;
	au.share_arg = arg;
}

void auth_limit_apply(int which, int clear, const unsigned char *digest)
{
	if (which < 0 || which >= AUTH_LIMIT__COUNT || au.limits[which] == NULL)
		return;
	if (clear)
		limiter_clear(au.limits[which], digest, AUTH_LIMIT_DIGEST_LEN);
	else
		limiter_hit(au.limits[which], digest, AUTH_LIMIT_DIGEST_LEN);
}

enum srv_err auth_login_check(const char *username, int *retry_after)
{
	return auth_limit_check(AUTH_LIMIT_LOGIN, username, retry_after);
}

void auth_login_failed(const char *username)
{
	limit_count(AUTH_LIMIT_LOGIN, username, 0);
}

void auth_login_succeeded(const char *username)
{
	limit_count(AUTH_LIMIT_LOGIN, username, 1);
}

enum srv_err auth_login(struct req *rq, const char *username, const char *password, struct store_user *out)
{
	enum srv_err found, rc;
	if (auth_login_check(username, &rq->retry_after) != SRV_E_OK)
		return SRV_E_RATE_LIMITED;
	found = rq->ops->user_by_name(rq->db, username, out);
	if (found != SRV_E_OK && found != SRV_E_NOT_FOUND)
		return found;
	rc = auth_password_verify(found == SRV_E_OK ? out->pw_hash : NULL, password);
	sodium_memzero(out->pw_hash, sizeof(out->pw_hash));
	if (rc == SRV_E_INVALID_CREDENTIALS)
		auth_login_failed(username);
	else if (rc == SRV_E_OK)
		auth_login_succeeded(username);
	return rc;
}
