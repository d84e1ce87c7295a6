/*
 * client_int.h — libpostern's internals shared between its files (never installed, never included by the
 * CLI): the client structure, the HTTP helper and the local key store. Names are pst__*.
 */
#ifndef POSTERN_CLIENT_INT_H
#define POSTERN_CLIENT_INT_H

#include "postern/postern.h"

#include <curl/curl.h>
#include <signal.h>
#include <jansson.h>
#include <sodium.h>

#include "proto.h"

#define PST__ID_MAX 64
#define PST__TOKEN_MAX 96
#define PST__MAX_RESPONSE (32u << 20) /* the largest answer the client accepts */

struct pst_client {
	char *server;       /* base URL without trailing slash */
	char *home;         /* key-store directory */
	CURL *curl;
	int sealed;         /* a passphrase seals the secrets */
	unsigned char store_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	char errmsg[256];
	int http_status;
	char server_code[64];
	/* the session (session.json) */
	char token[PST__TOKEN_MAX];
	char user_id[PST__ID_MAX];
	char device_id[PST__ID_MAX];
	/* this device's keys (device.json) */
	int have_keys;
	struct proto_device_keys keys;
	char cursor[32];    /* the event-log cursor this home has processed */
	char notice[512];   /* a change the person should see (a thread's devices changed), "" when none */
	/* as a partner app (pst_app_client_new): the OAuth client and the grant's tokens */
	int app;
	char client_id[PST__ID_MAX];
	char client_secret[PST__TOKEN_MAX];
	char refresh[PST__TOKEN_MAX];
	char sub[PST__ID_MAX];  /* the person, as this app knows them */
	CURL *stream;       /* the SSE connection of pst_watch (its own handle: events trigger API calls) */
	int lock_fd;        /* HOME/lock, opened on first use (-1 before) */
	int lock_depth;     /* pst__lock nesting in this process */
	volatile sig_atomic_t stop_watch; /* set by pst_watch_stop, from a signal handler */
};

/* Set the error message (printf-style) and return st. */
pst_status pst__fail(pst_client *c, pst_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * One API call: method path with body (JSON text or NULL), bearer token when logged in. On 2xx *out (if
 * out) gets the parsed JSON (NULL for 204), owned by the caller. Errors set c->errmsg, c->http_status and
 * c->server_code: PST_ERR_NETWORK, PST_ERR_AUTH (401), PST_ERR_NOT_FOUND (404), PST_ERR_HTTP (other),
 * PST_ERR_PROTOCOL (not JSON).
 */
pst_status pst__request(pst_client *c, const char *method, const char *path, json_t *body, json_t **out);

/* Key store: read/write a named file of the home directory, sealed when a passphrase is set. */
pst_status pst__store_write(pst_client *c, const char *name, const void *data, size_t len, int secret);
pst_status pst__store_read(pst_client *c, const char *name, unsigned char **data, size_t *len, int secret);
pst_status pst__store_remove(pst_client *c, const char *name);

/*
 * Serialise the key store's read-modify-write cycles between processes sharing a home (`postern watch` in
 * one terminal while `postern send` runs in another): an exclusive flock on HOME/lock, taken around each
 * cycle, never while waiting for events. Nested calls in one process only count. pst__lock returns PST_OK
 * or PST_ERR_STORE; every successful pst__lock is paired with one pst__unlock.
 */
pst_status pst__lock(pst_client *c);
void pst__unlock(pst_client *c);

/* Save/load the session (token, ids) and the device keys. */
pst_status pst__save_session(pst_client *c);
pst_status pst__save_keys(pst_client *c);

/* e2ee.c: process pending events of the log (hand-overs); decrypt one message (JSON from the API). */
pst_status pst__process_events(pst_client *c, json_t *events);
pst_status pst__decrypt_message(pst_client *c, json_t *m, pst_message *out);
void pst__message_clear(pst_message *m);

/* e2ee.c: is text one the library sends (PST_TEXT_MAX bytes at most, UTF-8)? PST_OK or PST_ERR_INVALID
 * with the reason. Every public send checks it before sealing. */
pst_status pst__text_ok(pst_client *c, const char *text);

/* e2ee.c: encrypt for a thread's readers (sharing/rotating the session); a fresh client_msg_id; keep a
 * sent text for reading back. pst__seal_for_thread seals any bytes up to the protocol's limit (the tests'
 * raw_send uses it to play a client that sends text which is not UTF-8). */
pst_status pst__seal_for_thread(pst_client *c, const char *thread_id, const char *text, char **envtext_out);
pst_status pst__new_cmid(char out[40]);
pst_status pst__remember_sent(pst_client *c, const char *thread_id, const char *message_id, const char *text);

/* Percent-encode s for a path segment or query value into a malloc'd string (NULL on OOM). */
char *pst__escape(const char *s);

/* fmt with its %s filled by a, escaped, and its second %s (if any) by b, escaped (b NULL when fmt has one).
 * A malloc'd string, or NULL when out of memory. */
char *pst__path(const char *fmt, const char *a, const char *b);

#endif
