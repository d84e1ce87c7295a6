/*
 * error.h — the one error enum of the server, generated from a single X-macro table with each error's
 * HTTP status, wire code and default message (the shape of libuv's UV_ERRNO_MAP).
 *
 * Every handler, domain and storage function returns an `enum srv_err`; 0 is success. The HTTP layer turns
 * an error into `{"error":{"code":…,"message":…}}` with error_json(). Nothing here knows about HTTP
 * connections. The names are the server's own (SRV_E_*), apart from libpostern's public PST_ERR_*: what a
 * client sees of them is the wire code and status, which `posternd errors` prints (error_print_json) for
 * tests and documentation to read instead of keeping copies.
 */
#ifndef POSTERN_ERROR_H
#define POSTERN_ERROR_H

#include <stdio.h>

/*      name                  status  wire code               default message */
#define SRV_ERROR_MAP(X) \
	X(OK,                   200, "ok",                  "success") \
	X(BAD_REQUEST,          400, "bad_request",         "the request is malformed") \
	X(INVALID_JSON,         400, "invalid_json",        "the body is not valid JSON") \
	X(INVALID_FIELD,        400, "invalid_field",       "a field is missing or invalid") \
	X(INVALID_KEY,          400, "invalid_key",         "a key or signature does not verify") \
	X(INVALID_CURSOR,       400, "invalid_cursor",      "the cursor is not one this server gave") \
	X(UNAUTHORIZED,         401, "unauthorized",        "missing, invalid or expired credentials") \
	X(INVALID_CREDENTIALS,  401, "invalid_credentials", "wrong username or password") \
	X(FORBIDDEN,            403, "forbidden",           "not allowed") \
	X(INSUFFICIENT_SCOPE,   403, "insufficient_scope",  "the token's grant does not include this scope") \
	X(NOT_FRIENDS,          403, "not_friends",         "that user is not your friend") \
	X(NOT_FOUND,            404, "not_found",           "no such resource") \
	X(METHOD_NOT_ALLOWED,   405, "method_not_allowed",  "method not allowed on this path") \
	X(CONFLICT,             409, "conflict",            "the resource already exists") \
	X(USERNAME_TAKEN,       409, "username_taken",      "that username is taken") \
	X(TOO_LARGE,            413, "payload_too_large",   "the request body is too large") \
	X(UNSUPPORTED_MEDIA,    415, "unsupported_media_type", "the body must be application/json") \
	X(HEADERS_TOO_LARGE,    431, "headers_too_large",   "request headers are too large") \
	X(RATE_LIMITED,         429, "rate_limited",        "too many requests; retry later") \
	X(INTERNAL,             500, "internal",            "internal server error") \
	X(STORAGE,              500, "storage_error",       "the database failed; nothing was stored") \
	X(UNAVAILABLE,          503, "unavailable",         "the server is busy; retry later") \
	X(TX_RETRY,             503, "database_busy",       "the database kept aborting the work (deadlocks); nothing was stored; retry") \
	X(DB_DOWN,              503, "database_unavailable", "the database cannot be reached; nothing was stored; retry later") \
	X(COMMIT_UNKNOWN,       503, "database_outcome_unknown", \
	  "the database connection was lost during the commit: the change may be stored; retry with the same idempotency key")

enum srv_err {
#define SRV_ERR_ENUM(name, status, code, msg) SRV_E_##name,
	SRV_ERROR_MAP(SRV_ERR_ENUM)
#undef SRV_ERR_ENUM
	SRV_E__COUNT
};

/*
 * The database errors a storage driver reports apart from SRV_E_STORAGE, because the writer (dbexec.c) acts on
 * them: SRV_E_TX_RETRY, the database aborted the transaction (a deadlock, a serialization failure) and nothing
 * of it stayed, so running it again is right; SRV_E_DB_DOWN, the database could not be reached or the
 * connection was lost before COMMIT was sent, so nothing was stored either; SRV_E_COMMIT_UNKNOWN, the
 * connection was lost after COMMIT was sent, so the transaction may or may not have committed and only the
 * client, with its idempotency key, can safely try again. Each reaches a client as 503 with Retry-After.
 */

/* Seconds a client should wait before retrying after e (the Retry-After header), 0 when e asks for no wait. */
int error_retry_after(enum srv_err e);

/* HTTP status of e (500 for an unknown value). Thread-safe, pure. */
int error_status(enum srv_err e);

/* Wire code of e, e.g. "not_found"; a static string. */
const char *error_code(enum srv_err e);

/* Default human message of e; a static string. */
const char *error_message(enum srv_err e);

/*
 * The JSON error body for e, with message (or the default when message is NULL).
 * Returns a malloc'd NUL-terminated string the caller frees with free(); NULL only on OOM.
 */
char *error_json(enum srv_err e, const char *message);

/*
 * `posternd errors`: prints the whole table to out as a JSON array in table order, one object a row,
 * {"name":"NOT_FOUND","code":"not_found","status":404,"message":"no such resource"} (name without the
 * SRV_E_ prefix; the first row is OK, status 200). Returns 0, or -1 when the JSON could not be built or
 * written (out of memory, a write error). Thread-safe; out is not closed.
 */
int error_print_json(FILE *out);

#endif
