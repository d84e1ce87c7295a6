/*
 * auth.h — credentials: session tokens, password hashing and the limits on guessing (failed logins and
 * their kin), shared between the nodes of a deployment.
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

/*
 * Set the limits from cfg and load the server key (data_dir/server.key, 32 random bytes made on first
 * start, mode 0600) that keys CSRF tokens and pairwise ids. Returns 0, or -1 when the key file cannot be
 * read or written (logged). Call once before any other auth_ function.
 */
int auth_init(const struct config *cfg);
void auth_release(void);

/*
 * Resolve rq->bearer against rq->route's accepted credential kinds, using rq->ops/rq->db. On success sets
 * rq->cred (and rq->user/rq->session for sessions). A route that accepts only CRED_NONE ignores any
 * header. Errors: SRV_E_UNAUTHORIZED (missing, malformed, unknown, expired); SRV_E_STORAGE. Wipes
 * rq->bearer before returning. A live partner access token prepares its call's line in the person's access
 * log (partner.h), refused for scope or for a route that takes no app token included.
 */
enum srv_err auth_resolve(struct req *rq);

/*
 * New session token: writes its text (AUTH_TOKEN_TEXT_LEN + NUL) to text and its hash to hash.
 * Thread-safe.
 */
void auth_token_new(char text[AUTH_TOKEN_TEXT_LEN + 1], unsigned char hash[32]);

/* Token prefixes of partner credentials; session tokens have none. */
#define AUTH_PREFIX_ACCESS "pa."
#define AUTH_PREFIX_REFRESH "pr."
#define AUTH_PREFIX_CLIENT "pc."
#define AUTH_PREFIX_CODE "pk."
#define AUTH_PREFIXED_LEN (3 + AUTH_TOKEN_TEXT_LEN)

/* New prefixed token ("pa." + 43 chars): text needs AUTH_PREFIXED_LEN + 1 bytes. */
void auth_token_new_prefixed(const char *prefix, char *text, size_t cap, unsigned char hash[32]);

/*
 * out = keyed BLAKE2b-256 over purpose and data with the server key: stable across restarts, unguessable
 * without the key. Used for CSRF tokens and pairwise ids.
 */
void auth_keyed_hash(const char *purpose, const void *data, size_t len, unsigned char out[32]);

/* The CSRF token of a browser session (base64url text, 43 chars + NUL). */
void auth_csrf_token(int64_t session_id, char out[AUTH_TOKEN_TEXT_LEN + 1]);

/* 1 when token is the CSRF token of session_id (constant-time compare). */
int auth_csrf_ok(int64_t session_id, const char *token);

/*
 * Authenticate an OAuth client from the form (client_id [+ client_secret]) or HTTP Basic. On success fills
 * rq->app. Public clients authenticate with client_id alone. Returns SRV_E_OK or SRV_E_UNAUTHORIZED.
 */
enum srv_err auth_client(struct req *rq);

/* Hash of a token's text, as stored. */
void auth_token_hash(const char *text, size_t len, unsigned char hash[32]);

/*
 * argon2id hash of password into out (STORE_PWHASH_LEN bytes). Waits for a hashing slot up to 5 s.
 * Returns SRV_E_OK, SRV_E_UNAVAILABLE (no slot in time), SRV_E_INTERNAL (out of memory). Thread-safe.
 */
enum srv_err auth_password_hash(const char *password, char out[STORE_PWHASH_LEN]);

/*
 * Verify password against stored (or, when stored is NULL, against a fixed dummy hash so that an unknown
 * user costs the same time). Returns SRV_E_OK when it matches, SRV_E_INVALID_CREDENTIALS when not,
 * SRV_E_UNAVAILABLE when no slot was free in time. Thread-safe.
 */
enum srv_err auth_password_verify(const char *stored, const char *password);

/*
 * Check a login: the failed-login limit, the user, the password (an unknown user costs the same argon2id
 * time as a wrong password), and the limiter's count. On success *out is the user (pw_hash wiped).
 * Returns SRV_E_OK, SRV_E_RATE_LIMITED (rq->retry_after set), SRV_E_INVALID_CREDENTIALS, SRV_E_UNAVAILABLE
 * (no hashing slot), SRV_E_STORAGE. Uses rq->ops/rq->db; runs on a reader (prepare step).
 */
enum srv_err auth_login(struct req *rq, const char *username, const char *password, struct store_user *out);

/*
 * The limits on guessing, each counted per key within its window (limiter.c), set from cfg by auth_init.
 * The numbers travel between nodes (auth_limit_share): a limit keeps its number, new ones go at the end.
 */
enum auth_limit {
	AUTH_LIMIT_LOGIN = 0,    /* failed logins per username: --login-fail-limit / --login-fail-window */
	AUTH_LIMIT_BACKUP = 1,   /* identity-backup fetches per account: --backup-fetch-limit / --backup-fetch-window */
	AUTH_LIMIT_APPROVAL = 2, /* approval-code misses per account: --approval-fail-limit / --approval-fail-window */
	AUTH_LIMIT_REGISTER = 3, /* account creations per client address: --register-limit / --register-window */
	AUTH_LIMIT__COUNT
};

/*
 * The limiters count a key under its digest: AUTH_LIMIT_DIGEST_LEN bytes of BLAKE2b keyed with the server key
 * over the limit's number and the key's text. Every node of a deployment has the same server key, so a
 * username has one digest on all of them and a count can be shared without the name (or a client's address)
 * leaving the node; an observer of the database's notifications cannot test guesses against it, as it could
 * against an unkeyed hash (all IPv4 addresses are 2^32 tries).
 */
#define AUTH_LIMIT_DIGEST_LEN 16

/*
 * SRV_E_OK when key has not reached limit which in its window; SRV_E_RATE_LIMITED with *retry_after seconds
 * otherwise. Counts nothing. Thread-safe.
 */
enum srv_err auth_limit_check(enum auth_limit which, const char *key, int *retry_after);

/* Count one event of limit which for key, here and (auth_limit_share) on the other nodes. Thread-safe. */
void auth_limit_hit(enum auth_limit which, const char *key);

/*
 * Where this node's counts go besides its own limiters: share(arg, which, clear, digest) is called after
 * each hit (clear 0) and each successful login's clear (clear 1), on the request's thread; it must only
 * queue (main.c: bus_send_limit). digest is borrowed for the call. NULL shares nothing (the default). Set it
 * before the first request and take it away after the last: it is read without a lock.
 */
typedef void (*auth_limit_share_fn)(void *arg, enum auth_limit which, int clear, const unsigned char *digest);
void auth_limit_share(auth_limit_share_fn share, void *arg);

/*
 * Count a hit (clear 0) or forget a count (clear 1) that another node made, by its digest (borrowed,
 * AUTH_LIMIT_DIGEST_LEN bytes), in this node's limiter only: it is never shared again. A which that is not a
 * limit of this version is ignored. Thread-safe; after auth_init and before auth_release.
 */
void auth_limit_apply(int which, int clear, const unsigned char *digest);

/*
 * Failed-login limiter keyed by username (AUTH_LIMIT_LOGIN). auth_login_check returns SRV_E_OK or SRV_E_RATE_LIMITED with
 * *retry_after seconds. auth_login_failed counts one failure; auth_login_succeeded clears the count; both
 * are shared with the other nodes like auth_limit_hit. Thread-safe.
 */
enum srv_err auth_login_check(const char *username, int *retry_after);
void auth_login_failed(const char *username);
void auth_login_succeeded(const char *username);

#endif
