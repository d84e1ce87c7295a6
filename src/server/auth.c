/*
 * auth.c — session tokens, password hashing with a concurrency cap, failed-login limiter (see auth.h).
 */
#include "auth.h"

#include "b64url.h"
#include "routes.h"
#include "timefmt.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LIMITER_SLOTS 4096

static struct {
	sem_t slots;
	unsigned long long opslimit;
	size_t memlimit;
	char dummy_hash[STORE_PWHASH_LEN];
	int64_t fail_limit, window_ms;
	pthread_mutex_t lim_lock;
	struct {
		unsigned char key[16];
		int64_t window_start;
		int64_t count;
	} lim[LIMITER_SLOTS];
	unsigned char lim_key[crypto_shorthash_KEYBYTES];
} au;

void auth_init(const struct config *cfg)
{
	sem_init(&au.slots, 0, (unsigned)cfg->pwhash_concurrency);
	au.opslimit = (unsigned long long)cfg->pwhash_opslimit;
	au.memlimit = (size_t)cfg->pwhash_memlimit;
	au.fail_limit = cfg->login_fail_limit;
	au.window_ms = cfg->login_fail_window_s * 1000;
	pthread_mutex_init(&au.lim_lock, NULL);
	randombytes_buf(au.lim_key, sizeof(au.lim_key));
	{
		unsigned char junk[16];
		char pw[33];
		randombytes_buf(junk, sizeof(junk));
		b64url_encode(junk, sizeof(junk), pw, sizeof(pw));
		if (crypto_pwhash_str(au.dummy_hash, pw, strlen(pw), au.opslimit, au.memlimit) != 0)
			au.dummy_hash[0] = '\0';
	}
}

void auth_release(void)
{
	sem_destroy(&au.slots);
	pthread_mutex_destroy(&au.lim_lock);
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

enum pst_err auth_resolve(struct req *rq)
{
	enum pst_err rc = PST_E_OK;
	unsigned char hash[32];
	size_t len = strlen(rq->bearer);
	unsigned creds = rq->route->creds;

	rq->cred = 0;
	if (creds == CRED_NONE) { /* public route: credentials are not looked at */
		rq->cred = CRED_NONE;
		goto out;
	}
	if (!rq->bearer_present) {
		rc = (creds & CRED_NONE) ? PST_E_OK : PST_E_UNAUTHORIZED;
		rq->cred = CRED_NONE;
		goto out;
	}
	if (len != AUTH_TOKEN_TEXT_LEN) {
		rc = req_fail(rq, PST_E_UNAUTHORIZED, "malformed bearer token");
		goto out;
	}
	auth_token_hash(rq->bearer, len, hash);
	rc = rq->ops->session_by_hash(rq->db, hash, &rq->session);
	if (rc == PST_E_NOT_FOUND || (rc == PST_E_OK && rq->session.expires_at <= rq->now)) {
		rc = PST_E_UNAUTHORIZED;
		goto out;
	}
	if (rc != PST_E_OK)
		goto out;
	rc = rq->ops->user_by_id(rq->db, rq->session.user_id, &rq->user);
	if (rc == PST_E_NOT_FOUND)
		rc = PST_E_UNAUTHORIZED;
	if (rc != PST_E_OK)
		goto out;
	rq->cred = CRED_SESSION;
	if (!(creds & CRED_SESSION))
		rc = PST_E_UNAUTHORIZED;
out:
	sodium_memzero(rq->bearer, sizeof(rq->bearer));
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

enum pst_err auth_password_hash(const char *password, char out[STORE_PWHASH_LEN])
{
	int r;
	if (slot_take() != 0)
		return PST_E_UNAVAILABLE;
	r = crypto_pwhash_str(out, password, strlen(password), au.opslimit, au.memlimit);
	sem_post(&au.slots);
	return r == 0 ? PST_E_OK : PST_E_INTERNAL;
}

enum pst_err auth_password_verify(const char *stored, const char *password)
{
	int r;
	if (slot_take() != 0)
		return PST_E_UNAVAILABLE;
	r = crypto_pwhash_str_verify(stored ? stored : au.dummy_hash, password, strlen(password));
	sem_post(&au.slots);
	return (r == 0 && stored != NULL) ? PST_E_OK : PST_E_INVALID_CREDENTIALS;
}

/* The limiter slot for username: a keyed short hash picks the slot and is the stored key. */
static int lim_slot(const char *username, unsigned char key[16])
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	crypto_generichash(h, sizeof(h), (const unsigned char *)username, strlen(username), au.lim_key, sizeof(au.lim_key));
	memcpy(key, h, 16);
	return (int)(((unsigned)h[0] | (unsigned)h[1] << 8) % LIMITER_SLOTS);
}

enum pst_err auth_login_check(const char *username, int *retry_after)
{
	unsigned char key[16];
	int i = lim_slot(username, key);
	int64_t now = timefmt_mono_ms();
	enum pst_err rc = PST_E_OK;

	pthread_mutex_lock(&au.lim_lock);
	if (memcmp(au.lim[i].key, key, 16) == 0 && now - au.lim[i].window_start < au.window_ms &&
	    au.lim[i].count >= au.fail_limit) {
		*retry_after = (int)((au.window_ms - (now - au.lim[i].window_start)) / 1000) + 1;
		rc = PST_E_RATE_LIMITED;
	}
	pthread_mutex_unlock(&au.lim_lock);
	return rc;
}

void auth_login_failed(const char *username)
{
	unsigned char key[16];
	int i = lim_slot(username, key);
	int64_t now = timefmt_mono_ms();

	pthread_mutex_lock(&au.lim_lock);
	if (memcmp(au.lim[i].key, key, 16) != 0 || now - au.lim[i].window_start >= au.window_ms) {
		memcpy(au.lim[i].key, key, 16);
		au.lim[i].window_start = now;
		au.lim[i].count = 0;
	}
	au.lim[i].count++;
	pthread_mutex_unlock(&au.lim_lock);
}

void auth_login_succeeded(const char *username)
{
	unsigned char key[16];
	int i = lim_slot(username, key);
	pthread_mutex_lock(&au.lim_lock);
	if (memcmp(au.lim[i].key, key, 16) == 0)
		au.lim[i].count = 0;
	pthread_mutex_unlock(&au.lim_lock);
}
