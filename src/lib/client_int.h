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
	int have_identity;              /* the account's identity key (device.json "id_seed"), once approved */
	struct proto_identity identity;
	int approved;                   /* this device carries a certificate by that identity */
	char approval_code[PROTO_CODE_LEN]; /* while it waits for approval */
	char *recovery_text;            /* a recovery key made by this client, until pst_take_recovery_key */
	json_t *pins;                   /* pins.json: {user_id: {"pk","level","at"}}, loaded on first use */
	/* the transparency log (tlog.c): the checkpoint accepted in this client's life, proofs already checked,
	 * the person's witnesses */
	int log_size_known;
	uint64_t log_size;
	unsigned char log_root[PROTO_MERKLE_HASH_BYTES];
	json_t *proven;
	json_t *proven_new;                 /* proofs not yet written to log.json (pst__log_save_proven) */
#define PST__WITNESSES_MAX 16
	struct proto_note_key witnesses[PST__WITNESSES_MAX];
	size_t n_witnesses;
	int witnesses_required;
	int log_max_age_s;
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

/* The wall clock in milliseconds since the epoch (statements' times, pins, evidence names). */
uint64_t pst__now_ms(void);

/* Set the error message (printf-style) and return st. */
pst_status pst__fail(pst_client *c, pst_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * One API call: method path with body (JSON text or NULL), bearer token when logged in. On 2xx *out (if
 * out) gets the parsed JSON (NULL for 204), owned by the caller. Errors set c->errmsg, c->http_status and
 * c->server_code: PST_ERR_NETWORK, PST_ERR_AUTH (401), PST_ERR_NOT_FOUND (404), PST_ERR_HTTP (other),
 * PST_ERR_PROTOCOL (not JSON).
 */
pst_status pst__request(pst_client *c, const char *method, const char *path, json_t *body, json_t **out);

/* pst__request on fmt with its %s filled by a (and a second %s by b, or NULL), each escaped: the one way
 * an id reaches a path. Same contract as pst__request, plus PST_ERR_NOMEM. */
pst_status pst__request_at(pst_client *c, const char *method, const char *fmt, const char *a, const char *b, json_t *body, json_t **out);

/* Key store: read/write a named file of the home directory, sealed when a passphrase is set. */
pst_status pst__store_write(pst_client *c, const char *name, const void *data, size_t len, int secret);
pst_status pst__store_read(pst_client *c, const char *name, unsigned char **data, size_t *len, int secret);
/* A secret JSON file of the home as an object (new reference): what it holds, or an empty object when it is
 * missing, unreadable or not an object. The bytes read are wiped. */
json_t *pst__store_json(pst_client *c, const char *name);
/* obj's field name, a 32-byte key in base64url, into out: 1, or 0 (out untouched or partly written) when it
 * is missing or not exactly 32 bytes. */
int pst__json_key32(const json_t *obj, const char *name, unsigned char out[32]);
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

/* e2ee.c: process pending events of the log (hand-overs); take one hand-over event; decrypt one message
 * (JSON from the API) of thread t, verified already (NULL: loaded here). */
pst_status pst__process_events(pst_client *c, json_t *events);
void pst__take_handover(pst_client *c, json_t *ev);
struct pst__thread;
pst_status pst__decrypt_message(pst_client *c, const struct pst__thread *t, json_t *m, pst_message *out);
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

/* ---- trust (trust.c): identities, pins and devices this client verified itself ---- */

/* A device this client verified: certified by its owner's pinned identity, registration signature good,
 * not revoked (or, for a partner app's device, authorised by its person: app = 1). */
struct pst__device {
	char device_id[PST__ID_MAX + 1];
	char user_id[PST__ID_MAX + 1];
	unsigned char sign_pk[PROTO_SIGN_PK_BYTES];
	unsigned char box_pk[PROTO_BOX_PK_BYTES];
	int app;
	char client_id[PST__ID_MAX + 1];
};

/* What a person's identity looks like to this client. */
enum pst__id_state {
	PST__ID_NONE,     /* no identity published (an account that never logged in with protocol 2) */
	PST__ID_NEW,      /* first seen now, and pinned */
	PST__ID_SEEN,     /* the pinned key, not verified */
	PST__ID_VERIFIED, /* the pinned key, verified by comparing safety numbers */
	PST__ID_CHANGED,  /* the server shows another key than the pinned one */
};

/* One account as this client verified it (pst__person_load). */
struct pst__person {
	char user_id[PST__ID_MAX + 1];
	char username[PST__ID_MAX + 1];     /* from the signed IDENTITY statement ("" when none) */
	enum pst__id_state state;
	int was_verified;                   /* CHANGED from a verified pin: only verifying again lets it through */
	unsigned char pinned_pk[PROTO_ID_KEY_BYTES]; /* the key devices are checked against */
	unsigned char served_pk[PROTO_ID_KEY_BYTES]; /* the server's current one */
	struct pst__device *devices;        /* verified, malloc'd */
	size_t n_devices;
	size_t n_ignored;                   /* listed by the server but not verified */
	int unlogged;                       /* a statement of theirs is missing from the transparency log */
	unsigned char *stmt;                /* their IDENTITY statement as served (malloc'd), for the log check */
	size_t stmt_len;
	json_t *listing;                    /* the server's answer (devices, identity, revocations) */
};

/* The people one operation looks at, each fetched and verified once (a per-call cache). */
struct pst__people {
	struct pst__person *p;
	size_t n;
};

/*
 * The account user_id as this client verifies it, fetched once per people set: its identity statement
 * checked and pinned on first use (a CONTACT statement signed and stored), its devices kept only when
 * certified by the pinned key. *out points into ppl (valid until pst__people_free). Errors: network and
 * server errors, PST_ERR_IDENTITY for this client's own account served with another identity key.
 */
pst_status pst__person_get(pst_client *c, struct pst__people *ppl, const char *user_id, struct pst__person **out);
void pst__people_free(struct pst__people *ppl);

/* Verify one device object of the server's against the identity key id_pk (certificate, registration —
 * skipped when user_id is NULL —, revocations listed in revocations). Fills *d and returns 1 when it passes. */
int pst__device_check(json_t *dev, const char *user_id, const unsigned char id_pk[PROTO_ID_KEY_BYTES], json_t *revocations,
		      struct pst__device *d);

/* Sign a CONTACT statement for (user_id, pk, level), store it on the server and in pins.json. */
pst_status pst__pin_set(pst_client *c, const char *user_id, const unsigned char pk[PROTO_ID_KEY_BYTES], unsigned level);

/* A partner app's pin (it has no identity to sign with): the first key seen for id is kept in pins.json;
 * *changed is 1 when pk differs from the one kept. */
pst_status pst__pin_local(pst_client *c, const char *id, const unsigned char pk[PROTO_ID_KEY_BYTES], int *changed);

/* Sign st with the identity key and base64url it into a malloc'd string (NULL on failure, with errmsg). */
char *pst__sign_identity(pst_client *c, const struct proto_statement *st);
/* The same with this device's signing key (links, prekeys). */
char *pst__sign_device(pst_client *c, const struct proto_statement *st);
/* Decode base64url text into a malloc'd buffer; NULL when it is not base64url or longer than max. */
unsigned char *pst__b64_decode(const char *text, size_t max, size_t *len);

/* ---- threads (chain.c): members from the verified chain, readers from verified devices ---- */

struct pst__thread {
	char thread_id[PST__ID_MAX + 1];
	int app;                                /* an app thread: no chain, exactly two people */
	char app_client_id[PST__ID_MAX + 1];
	struct proto_chain *chain;              /* NULL for app threads (and threads without a chain) */
	unsigned char (*heads)[PROTO_HEAD_BYTES]; /* every link hash of the verified chain, oldest first */
	size_t n_heads;
	unsigned char head[PROTO_HEAD_BYTES];   /* the newest (zeros without a chain) */
	char (*members)[PST__ID_MAX + 1];
	char (*names)[PST__ID_MAX + 1];         /* each member's username from their signed identity ("" unknown) */
	size_t n_members;
	struct pst__device *readers;            /* whom to encrypt to (this device excluded) */
	size_t n_readers;
	struct pst__device *senders;            /* whose hand-overs and messages to accept: readers, this
						 * device, and app devices of the thread authorised by their person */
	size_t n_senders;
	json_t *view;                           /* GET /v1/threads/{id} */
	char problem[300];                      /* why sending is refused ("" when it may send) */
	pst_status problem_status;              /* PST_ERR_IDENTITY or PST_ERR_UNTRUSTED */
	char notice[512];                       /* something to tell the person (a change of readers) */
};

/*
 * Load thread_id and verify it: its chain (against the pinned head, which then moves on), its members'
 * identities and devices, app devices' authorisations and consents. Failing to verify does not fail the
 * call: t->problem says why sending must be refused. Errors: network and server errors, PST_ERR_UNTRUSTED
 * (a chain that does not extend the pinned one), PST_ERR_NOMEM. Free with pst__thread_free.
 */
pst_status pst__thread_load(pst_client *c, struct pst__people *ppl, const char *thread_id, struct pst__thread *t);
void pst__thread_free(struct pst__thread *t);
/* Sign a membership link by this device (docs/protocol.md §15): op, kind, prev (NULL for CREATE: zeros),
 * the ids it names. Returns base64url text (malloc'd), or NULL with the error set. */
char *pst__link_make(pst_client *c, unsigned op, unsigned kind, const unsigned char prev[PROTO_HEAD_BYTES], const char *const *ids, size_t n);

/* 1 when head is one of t's verified chain heads (or zeros for a thread without a chain). */
int pst__thread_knows_head(const struct pst__thread *t, const unsigned char head[PROTO_HEAD_BYTES]);
/* The username of user_id as its signed identity names it, or user_id itself when unknown. */
const char *pst__thread_name(const struct pst__thread *t, const char *user_id);
/* The sender device device_id among t->senders, or NULL. */
const struct pst__device *pst__thread_sender(const struct pst__thread *t, const char *device_id);

/* ---- prekeys (prekeys.c) ---- */

/* Keep this device's prekeys topped up on the server (a signed one younger than 7 days, 50+ one-time). */
pst_status pst__prekeys_refill(pst_client *c);
/* The secret halves of this device's prekeys spk_id and opk_id (0: none); PST_ERR_NOT_FOUND when erased. */
pst_status pst__prekeys_secret(pst_client *c, uint32_t spk_id, uint32_t opk_id, unsigned char spk_sk[PROTO_PREKEY_BYTES],
			       unsigned char opk_sk[PROTO_PREKEY_BYTES]);
/* Erase the secret half of one-time prekey opk_id after use. */
pst_status pst__prekeys_used(pst_client *c, uint32_t opk_id);

/* ---- the transparency log (tlog.c) ---- */

/* The newest checkpoint, verified (log key pinned on first use, witnesses, consistency with the last one
 * accepted, which then moves on); once per client unless fresh. PST_ERR_UNTRUSTED with the reason (and
 * evidence kept in the home) when the log does not add up. */
pst_status pst__log_checkpoint(pst_client *c, int fresh, uint64_t *size, unsigned char root[PROTO_MERKLE_HASH_BYTES]);
/* The leaf an entry must stand in (docs/transparency.md §2): type 1 KEY, 2 ACCESS, 3 GRANT; for KEY and
 * GRANT the account (its label) and the statement type or grant event. */
struct pst__log_want {
	unsigned type;
	const char *user_id;
	int kind;
};
/* Prove that entry (a leaf's last 32 bytes) is in the log, in a leaf of that shape: PST_OK (with its index
 * when index is not NULL), PST_ERR_NOT_FOUND, or an error. Remembered (in the home too). */
pst_status pst__log_prove(pst_client *c, const struct pst__log_want *want, const unsigned char entry[PROTO_MERKLE_HASH_BYTES], uint64_t *index);
/* The same for a statement of user_id's account (its entry is BLAKE2b-256 of its bytes, its kind its type byte). */
pst_status pst__log_prove_statement(pst_client *c, const char *user_id, const unsigned char *stmt, size_t len);
/* Write the proofs made since the last call to log.json (one write for a whole listing; from pst_client_free
 * too). A proof not written is only proven again later. */
pst_status pst__log_save_proven(pst_client *c);
/* Mark each entry of an access-log page "proven": true/false, with "log_problem" when it was written again
 * and "missing_above" (how many) when numbered lines above it are gone; a newest page (newest) whose top line
 * is older than one this device was shown gets "log_problem" on the page (docs/transparency.md §2). */
pst_status pst__log_mark_access(pst_client *c, json_t *page, int newest);
/* The same for grants as GET /v1/me/grants lists them: "proven" when their creation (and, for an ended one,
 * its end) is in the log. */
pst_status pst__log_mark_grants(pst_client *c, json_t *page, int newest);
/* pst_log_verify at most once a minute (from pst_sync): its alarms land in the notice. */
pst_status pst__log_monitor_now_and_then(pst_client *c);

/* ---- identity.c ---- */

/* After login: make the identity (first device), or take an approval (identity box), or report waiting. */
pst_status pst__identity_ready(pst_client *c);

/* Percent-encode s for a path segment or query value into a malloc'd string (NULL on OOM). */
char *pst__escape(const char *s);

/* fmt with its %s filled by a, escaped, and its second %s (if any) by b, escaped (b NULL when fmt has one).
 * A malloc'd string, or NULL when out of memory. */
char *pst__path(const char *fmt, const char *a, const char *b);

#endif
