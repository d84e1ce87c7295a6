/*
 * auth.h — credentials: session tokens, password hashing and the failed-login limiter.
 *
 * Tokens are 256-bit random values shown to the client once as base64url; only their BLAKE2b-256 hash is
 * stored, so a database leak yields no usable token. Passwords are argon2id (libsodium crypto_pwhash_str);
 * at most --pwhash-concurrency hashes run at once, so a login flood cannot eat all memory. Nothing here logs
 * a secret.
 */
#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include "config.h"
#include "req.h"
#include "store.h"

#define AUTH_TOKEN_TEXT_LEN 43 /* base64url of 32 bytes */

/* Set the limits from cfg. Call once before any other auth_ function. */
void auth_init(const struct config *cfg);
void auth_release(void);

/*
 * Resolve rq->bearer against rq->route's accepted credential kinds, using rq->ops/rq->db. On success sets
 * rq->cred (and rq->user/rq->session for sessions). A route that accepts only CRED_NONE ignores any
 * header. Errors: PST_E_UNAUTHORIZED (missing, malformed, unknown, expired); PST_E_STORAGE. Wipes
 * rq->bearer before returning.
 */
enum pst_err auth_resolve(struct req *rq);

/*
 * New session token: writes its text (AUTH_TOKEN_TEXT_LEN + NUL) to text and its hash to hash.
 * Thread-safe.
 */
void auth_token_new(char text[AUTH_TOKEN_TEXT_LEN + 1], unsigned char hash[32]);

/* Hash of a token's text, as stored. */
void auth_token_hash(const char *text, size_t len, unsigned char hash[32]);

/*
 * argon2id hash of password into out (STORE_PWHASH_LEN bytes). Waits for a hashing slot up to 5 s.
 * Returns PST_E_OK, PST_E_UNAVAILABLE (no slot in time), PST_E_INTERNAL (out of memory). Thread-safe.
 */
enum pst_err auth_password_hash(const char *password, char out[STORE_PWHASH_LEN]);

/*
 * Verify password against stored (or, when stored is NULL, against a fixed dummy hash so that an unknown
 * user costs the same time). Returns PST_E_OK when it matches, PST_E_INVALID_CREDENTIALS when not,
 * PST_E_UNAVAILABLE when no slot was free in time. Thread-safe.
 */
enum pst_err auth_password_verify(const char *stored, const char *password);

/*
 * Failed-login limiter keyed by username. auth_login_check returns PST_E_OK or PST_E_RATE_LIMITED with
 * *retry_after seconds. auth_login_failed counts one failure; auth_login_succeeded clears the count.
 * Thread-safe.
 */
enum pst_err auth_login_check(const char *username, int *retry_after);
void auth_login_failed(const char *username);
void auth_login_succeeded(const char *username);

#endif
