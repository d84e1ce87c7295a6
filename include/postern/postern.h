/*
 * postern.h — libpostern, the Postern client library: the whole HTTP API of a Postern server, with
 * end-to-end encryption done here, on the client. The server only ever sees ciphertext.
 *
 * Rules of the library: it never aborts, exits or prints. Every call returns a pst_status; on failure
 * pst_errmsg() describes it in one line (and pst_http_status()/pst_server_code() say what the server
 * answered, when it answered). Strings returned through `char **` out-parameters are malloc'd and freed by
 * the caller with pst_free(); structures are freed with their own _free function. A pst_client is not
 * thread-safe: use one per thread. Secrets (passwords, tokens, keys) are wiped from memory after use.
 *
 * Local state lives in the home directory the caller chooses (created 0700; files 0600): the session
 * token, this device's keys, and the session keys received from other devices. When a passphrase is given,
 * secrets are sealed with a key derived from it by argon2id.
 *
 * Everything here is the public API: the `postern` CLI and the partner demo use nothing else.
 *
 * How to read the contracts below. Unless a function's comment says otherwise:
 *   - c must be a client from pst_client_new or pst_app_client_new; string arguments are NUL-terminated,
 *     borrowed for the call only, and NULL for a required one is PST_ERR_INVALID.
 *   - Returns PST_OK, or: PST_ERR_INVALID (a bad argument), PST_ERR_NOMEM, PST_ERR_NETWORK (no answer),
 *     PST_ERR_AUTH (not logged in, session ended), PST_ERR_NOT_FOUND (HTTP 404), PST_ERR_HTTP (another
 *     error answer: pst_http_status, pst_server_code), PST_ERR_PROTOCOL (an answer the API does not allow),
 *     PST_ERR_STORE (the home directory could not be read or written). The comment names the others.
 *   - Out-parameters (`char **…_out`) are set only on PST_OK, to a malloc'd NUL-terminated string the caller
 *     frees with pst_free; an optional one may be NULL. "JSON text" is the server's answer, re-encoded.
 *   - Not thread-safe: one pst_client per thread (pst_watch_stop is the exception, see there).
 */
#ifndef POSTERN_POSTERN_H
#define POSTERN_POSTERN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's interface; everything else in it is hidden (built with
 * -fvisibility=hidden, and libpostern.a keeps only these symbols global). */
#pragma GCC visibility push(default)

#define PST_VERSION "0.1.0"

/* What every call returns: PST_OK (0) or why it failed. pst_errmsg(c) says it in words. */
typedef enum pst_status {
	PST_OK = 0,
	PST_ERR_INVALID,      /* a bad argument from the caller */
	PST_ERR_NOMEM,
	PST_ERR_NETWORK,      /* could not reach the server */
	PST_ERR_HTTP,         /* the server answered with an error: see pst_http_status / pst_server_code */
	PST_ERR_PROTOCOL,     /* the server's answer was not what the API promises */
	PST_ERR_AUTH,         /* not logged in, or the session ended (HTTP 401) */
	PST_ERR_NOT_FOUND,    /* HTTP 404 */
	PST_ERR_CRYPTO,       /* a message or key failed to verify or decrypt */
	PST_ERR_STORE,        /* the local key store could not be read or written */
	PST_ERR_NO_KEY,       /* no session key for a message (sent before this device could read it) */
	PST_ERR_IDENTITY,     /* someone's identity key changed (or yours was reset): nothing was sent; see
			       * pst_errmsg, then pst_contact_accept / pst_contact_verify */
	PST_ERR_APPROVAL,     /* this device is not approved yet: pst_approval_code, pst_wait_approval, pst_recover */
	PST_ERR_UNTRUSTED     /* the server's answer could not be verified (a membership history that does not
			       * extend the one seen before, a statement that does not verify): nothing was sent */
} pst_status;

/* A client: one person's (or one partner app's) connection, state and keys. Opaque; one per thread. */
typedef struct pst_client pst_client;

/* ---- lifecycle ---- */

/*
 * Create a client for server_url (e.g. "http://127.0.0.1:8080") with its local state in home_dir (created
 * when missing). passphrase may be NULL (secrets stored in files readable only by the user) or a string that
 * seals them. On success *out owns the client (pst_client_free). Errors: PST_ERR_INVALID, PST_ERR_STORE
 * (wrong passphrase, unreadable store), PST_ERR_NOMEM.
 */
pst_status pst_client_new(const char *server_url, const char *home_dir, const char *passphrase, pst_client **out);

/* Free the client and wipe its secrets. NULL is allowed. */
void pst_client_free(pst_client *c);

/* The last error in one line ("" after a success). Valid until the next call on c. */
const char *pst_errmsg(const pst_client *c);

/* The HTTP status of the last answer (0 when nothing was answered). No errors. */
int pst_http_status(const pst_client *c);
/* The server's error code of the last answer ("not_found"), "" when none. Valid until the next call on c. */
const char *pst_server_code(const pst_client *c);

/*
 * Something the person should see that is not an error, "" when nothing: today, that the set of devices
 * that can read a thread changed (a device added or removed) since this client last looked. Reset by the
 * next call that looks at devices. Valid until the next call on c.
 */
const char *pst_notice(const pst_client *c);

/* Free a string returned by the library. NULL is allowed. */
void pst_free(void *p);

/* ---- accounts and sessions ---- */

/* Register username/password; *user_id_out (optional) gets the new id. Does not log in: pst_login next
 * (whose first login makes the account's identity key and its recovery key). */
pst_status pst_register(pst_client *c, const char *username, const char *password, char **user_id_out);
/* pst_register with an invite code (from the operator's `posternd invite`), for a server that takes new
 * accounts by invitation only. An unknown, used or expired code is PST_ERR_HTTP with pst_http_status 403. */
pst_status pst_register_invite(pst_client *c, const char *username, const char *password, const char *invite,
			       char **user_id_out);

/*
 * Log in and keep the session token in the home directory; then make sure this device has keys and is
 * registered with the server (first login on this home: a new device named device_name). When the server
 * refuses a new device (409: the account has as many as it allows), the session is kept without a device:
 * pst_devices / pst_device_remove work, and logging in again registers this one.
 *
 * End-to-end trust (docs/protocol.md §12-§14): on the account's first device this makes the identity key,
 * signs the device, and makes a recovery key that pst_take_recovery_key hands out once. On a further device
 * it returns PST_ERR_APPROVAL: the session is kept, and the device waits for an approved device of the person
 * to type its pst_approval_code (pst_device_approve), or for pst_recover with the recovery key.
 */
pst_status pst_login(pst_client *c, const char *username, const char *password, const char *device_name);

/* ---- identity, device approval, contacts (protocol version 2) ---- */

/*
 * The recovery key made by the last pst_login (first device) or pst_identity_reset, once: *key_out gets it
 * ("XXXX-XXXX-…", 9 groups), and the library forgets it. PST_ERR_NOT_FOUND when there is none to show.
 */
pst_status pst_take_recovery_key(pst_client *c, char **key_out);

/* This device's approval code ("XXXX-XXXX-XXXX") while it waits for approval, else NULL. Valid until the
 * next call on c. */
const char *pst_approval_code(const pst_client *c);

/*
 * Wait (up to max_seconds; 0 = check once) until another device of the person approved this one, then take
 * the identity it left and get ready to read and send. PST_OK when approved, PST_ERR_APPROVAL when not yet.
 */
pst_status pst_wait_approval(pst_client *c, int max_seconds);

/*
 * Approve this device with the person's recovery key (as written down; case and dashes forgiven). A typo is
 * PST_ERR_INVALID; a key that does not open the identity backup is PST_ERR_CRYPTO; too many attempts is
 * PST_ERR_HTTP with pst_http_status 429.
 */
pst_status pst_recover(pst_client *c, const char *recovery_key);

/*
 * On an approved device: approve the person's new device that shows code. The device's keys are checked
 * against the code here, not on the server's word. *device_json_out (optional) gets the device approved.
 * A code no waiting device shows is PST_ERR_NOT_FOUND (the server counts misses: 429 after a few).
 */
pst_status pst_device_approve(pst_client *c, const char *code, char **device_json_out);

/*
 * Reset the account's identity (every device and the recovery key lost, or compromised): a new identity key
 * and recovery key (*recovery_key_out, shown once), this device signed by it, every other device of the
 * account unsigned until approved again. Every contact sees an identity change.
 */
pst_status pst_identity_reset(pst_client *c, char **recovery_key_out);

/*
 * A new recovery key for the same identity (the old one was lost or seen by someone): the server's backup is
 * replaced, so the old key opens nothing from now on. *recovery_key_out gets the new one (shown once).
 */
pst_status pst_recovery_key_new(pst_client *c, char **recovery_key_out);

/*
 * What this client knows of user_id's identity, as JSON text: {"user_id","username","id_pk","state":
 * "new"|"seen"|"verified"|"changed"|"none","safety_number","pinned_id_pk","devices":[verified devices],
 * "ignored_devices":N}. "changed": the server now shows another key than the one pinned (nothing is sent to
 * them until pst_contact_accept or, for a verified contact, pst_contact_verify).
 */
pst_status pst_contact(pst_client *c, const char *user_id, char **json_out);
/* Accept user_id's current identity key after a change (refused with PST_ERR_IDENTITY for a verified
 * contact: verify again instead). Signed by this person's identity key, shared by all their devices. */
pst_status pst_contact_accept(pst_client *c, const char *user_id);
/* Mark user_id verified at their current identity key (after comparing the safety number), or, with
 * verified 0, no longer verified. */
pst_status pst_contact_verify(pst_client *c, const char *user_id, int verified);

/* Log out (the server forgets the token) and delete the stored token. */
pst_status pst_logout(pst_client *c);

/* The same for every session of the account, on every device (a lost or stolen device): all their tokens
 * stop working. Partner apps' grants are not touched (see pst_grants / pst_grant_revoke). */
pst_status pst_logout_everywhere(pst_client *c);

/* Change the account's password (new_password: 8 bytes or more). Every other session of the account ends,
 * this one goes on. A wrong current password is PST_ERR_HTTP with pst_http_status 403. */
pst_status pst_password_change(pst_client *c, const char *current_password, const char *new_password);

/*
 * Delete the account for good; the password is asked again (a session alone cannot delete an account). Every
 * session, device, app grant and token of the account ends, its messages become tombstones for everyone, and
 * its username stays taken for the server's quarantine (docs/api.md, DELETE /v1/me). This home forgets its
 * session. A wrong password is PST_ERR_HTTP with pst_http_status 403.
 */
pst_status pst_account_delete(pst_client *c, const char *password);

/* GET /v1/sessions (where the account is logged in, "current" marking this one) as JSON text in *json_out. */
pst_status pst_sessions(pst_client *c, char **json_out);
/* End the session session_id of the account (a lost phone); PST_ERR_NOT_FOUND for an unknown one. */
pst_status pst_session_end(pst_client *c, const char *session_id);

/* 1 when a session token is stored. */
int pst_logged_in(const pst_client *c);

/* GET /v1/me as JSON text. */
pst_status pst_whoami(pst_client *c, char **json_out);

/* This client's user id, or NULL when not logged in. Valid until the next call on c. */
const char *pst_user_id(const pst_client *c);
/* This device's id, or NULL when not logged in or no device is registered. Valid until the next call on c. */
const char *pst_device_id(const pst_client *c);

/* ---- friends ---- */

/* Ask username to be friends (accepted at once when they had asked this person); *json_out (optional) gets
 * the request or friendship. PST_ERR_NOT_FOUND for an unknown username. */
pst_status pst_friend_add(pst_client *c, const char *username, char **json_out);
/* Accept the friend request request_id sent to this person. PST_ERR_NOT_FOUND when there is none. */
pst_status pst_friend_accept(pst_client *c, const char *request_id);
/* Decline the friend request request_id sent to this person (the sender is not told). */
pst_status pst_friend_decline(pst_client *c, const char *request_id);
/* Take back a friend request you sent that is still waiting (the other person's list drops it). */
pst_status pst_friend_withdraw(pst_client *c, const char *request_id);
/* End the friendship with user_id (a user id, not a username: pst_friend_id). */
pst_status pst_friend_remove(pst_client *c, const char *user_id);
/* GET /v1/friends (the friends) as JSON text in *json_out. */
pst_status pst_friends(pst_client *c, char **json_out);
/* GET /v1/friends/requests (requests waiting, sent and received) as JSON text in *json_out. */
pst_status pst_friend_requests(pst_client *c, char **json_out);
/* The user id of a friend by username (PST_ERR_NOT_FOUND when not a friend). */
pst_status pst_friend_id(pst_client *c, const char *username, char **user_id_out);

/* ---- devices ---- */

/* GET /v1/devices (this account's devices) as JSON text in *json_out. */
pst_status pst_devices(pst_client *c, char **json_out);
/* Remove device_id from the account for good. When this device holds the identity key, the removal is
 * signed, so every client refuses that device even if the server lists it again; on a device without it, the
 * server alone removes it. PST_ERR_NOT_FOUND for a device that is not the account's. */
pst_status pst_device_remove(pst_client *c, const char *device_id);
/* A device's fingerprint from its two public keys (base64url), for comparing out of band ("12345 67890 …"),
 * in *out. Needs no client and no network; PST_ERR_INVALID for keys that do not decode. */
pst_status pst_fingerprint(const char *sign_pk_b64, const char *box_pk_b64, char **out);

/* ---- threads and messages ---- */

/* The direct thread with user_id (created when needed). */
pst_status pst_thread_direct(pst_client *c, const char *user_id, char **thread_id_out);
/* A group thread with the given friends (user ids; you are added); *thread_id_out gets its id. */
pst_status pst_thread_create(pst_client *c, const char *const *user_ids, size_t n, char **thread_id_out);

/* Add the friend user_id to the group thread thread_id: they read what is sent from now on. */
pst_status pst_thread_add_member(pst_client *c, const char *thread_id, const char *user_id);
/* Remove the member user_id from thread_id (this person's own id: leave it). The next message rotates keys. */
pst_status pst_thread_remove_member(pst_client *c, const char *thread_id, const char *user_id);

/* GET /v1/threads (the inbox) as JSON text: {"threads":[…],"next_cursor":C|null}, newest activity first. */
pst_status pst_inbox(pst_client *c, int limit, char **json_out);

/* One page of the inbox: cursor is NULL for the first page, else a next_cursor the previous page returned
 * (the next page starts after it). limit is 1 to 100. */
pst_status pst_inbox_page(pst_client *c, int limit, const char *cursor, char **json_out);

/* GET /v1/threads/{id} (members and the devices that may read it) as JSON text. */
pst_status pst_thread(pst_client *c, const char *thread_id, char **json_out);

/* Move this person's read marker in thread_id forward to seq. */
pst_status pst_mark_read(pst_client *c, const char *thread_id, int64_t seq);

/* GET /v1/users/{id}/devices (yourself, friends and thread co-members) as JSON text. */
pst_status pst_user_devices(pst_client *c, const char *user_id, char **json_out);

/* A message as pst_read and friends return it: every string is owned by the array, freed with
 * pst_messages_free (or by the library for the msg of a pst_event_cb, valid during the callback only). */
typedef struct pst_message {
	char *message_id, *thread_id, *sender_id, *sender_device_id, *kind, *item, *share_id;
	int64_t seq;
	char *created_at;
	int deleted;
	char *text;         /* the decrypted text; NULL when deleted or undecryptable */
	pst_status decrypt; /* PST_OK, PST_ERR_NO_KEY or PST_ERR_CRYPTO */
	unsigned flags;     /* PST_MSG_* : what the reader's checks found (docs/protocol.md §18) */
	char *notice;       /* those findings in words, for the person; NULL when none */
} pst_message;

/* pst_message.flags */
#define PST_MSG_RELABELLED 1u    /* the server named another sender than the one whose device signed it:
				  * sender_id is the signer's */
#define PST_MSG_OUT_OF_ORDER 2u  /* delivered after a later message of the same sender session */
#define PST_MSG_GAP 4u           /* messages of this sender are missing before this one */
#define PST_MSG_UNKNOWN_HEAD 8u  /* sent under a member list this client never saw (a split view) */
#define PST_MSG_UNVERIFIED 16u   /* from a device this client cannot verify (not shown as anyone's) */

/* The longest text pst_send_text takes, in bytes (one envelope's plaintext, docs/protocol.md). */
#define PST_TEXT_MAX 65024u

/*
 * Encrypt text for every device that may read thread_id (sharing or rotating this device's session as
 * needed) and send it. *message_id_out is optional.
 */
pst_status pst_send_text(pst_client *c, const char *thread_id, const char *text, char **message_id_out);

/* The last `limit` messages of a thread (1..200), decrypted where possible, oldest first. */
pst_status pst_read(pst_client *c, const char *thread_id, int limit, pst_message **msgs_out, size_t *n_out);

/* The same for the `limit` messages just before seq `before_seq` (older history: pass the seq of the oldest
 * message you have). before_seq 0 means the newest, as pst_read. */
pst_status pst_read_before(pst_client *c, const char *thread_id, int64_t before_seq, int limit, pst_message **msgs_out,
			   size_t *n_out);
/* Free n messages from pst_read, pst_read_before, pst_app_read or pst_share_open (n 1). NULL is allowed. */
void pst_messages_free(pst_message *msgs, size_t n);

/* Delete message_id, one this person sent in thread_id: its text is erased for everyone (a tombstone stays). */
pst_status pst_delete_message(pst_client *c, const char *thread_id, const char *message_id);

/* ---- live events ---- */

/*
 * Called for every event of the user's log (raw JSON text), and for message.created with the decrypted
 * message (msg non-NULL; NULL otherwise). Return 0 to go on, non-zero to stop pst_watch.
 */
typedef int (*pst_event_cb)(void *arg, const char *type, const char *event_json, const pst_message *msg);

/*
 * Follow the event stream (SSE) from the stored cursor, processing key hand-overs on the way, reconnecting
 * after a dropped connection and resuming from the last cursor. Returns when cb returns non-zero, after
 * max_seconds (0 = no limit), or on an error that retrying cannot fix.
 */
pst_status pst_watch(pst_client *c, pst_event_cb cb, void *arg, int max_seconds);

/*
 * Ask a running pst_watch on c to return (within about a second). Async-signal-safe: meant for a SIGINT
 * handler. The next pst_watch starts fresh.
 */
void pst_watch_stop(pst_client *c);

/* Process pending events once (key hand-overs, to-device messages) without waiting. */
pst_status pst_sync(pst_client *c);

/* ---- the partner platform, seen by a person ---- */

/* The partner apps this person connected (grants: app, scopes, expiry) as JSON text in *json_out. */
pst_status pst_grants(pst_client *c, char **json_out);
/* Disconnect an app: its grant ends, and the person's identity signs the revocation of its device so that
 * every client stops encrypting to it whatever the server says. */
pst_status pst_grant_revoke(pst_client *c, const char *grant_id);
/* The name the app of grant_id shows for the person (to that app only; every grant of it): alias, 1 to 40
 * bytes and not the username, or NULL for the default the server makes (never the username, different for
 * every app). *json_out (optional) gets {"grant_id","app":{"client_id","name"},"alias","chosen"}. A refused
 * name is PST_ERR_HTTP (400) with the reason in pst_errmsg. */
pst_status pst_grant_alias(pst_client *c, const char *grant_id, const char *alias, char **json_out);
/* The person's app devices waiting for approval or approved, as JSON text ({"devices":[…]}). */
pst_status pst_app_devices(pst_client *c, char **json_out);
/* Authorise the app device that shows code (its keys are checked against the code here): the person's
 * identity signs what the grant allows it. *json_out (optional) gets the device. */
pst_status pst_app_device_approve(pst_client *c, const char *code, char **json_out);
/* The person's access log as JSON text, {"entries":[…],"next_cursor":C|null}, newest first: the first 200
 * entries, each proven in the transparency log and checked against what this home was shown before; an
 * entry that was written again carries "log_problem" (a string saying how). */
pst_status pst_access_log(pst_client *c, char **json_out);
/* One page of the access log as pst_access_log: cursor NULL or a next_cursor from the page before; limit 1
 * to 200 (else PST_ERR_INVALID). Newest lines this home was shown that are gone: the page's "log_problem". */
pst_status pst_access_log_page(pst_client *c, int limit, const char *cursor, char **json_out);
/* In thread_id, a thread a partner app started, let that app read this person's messages (accept 1) or not. */
pst_status pst_app_consent(pst_client *c, const char *thread_id, int accept);
/* Open the share share_id an app sent in thread_id: *msg_out gets it decrypted (one message, freed with
 * pst_messages_free(*msg_out, 1)), and the app is told it was opened. */
pst_status pst_share_open(pst_client *c, const char *thread_id, const char *share_id, pst_message **msg_out);

/* ---- as a partner app ---- */

/*
 * A client that acts as a partner app for one person, within the grant that person gives it: OAuth 2.0
 * with PKCE, the app's own end-to-end-encryption device, and the scoped Inbox API. client_secret is NULL
 * for a public client. State (tokens, keys, sessions) lives in home_dir like a person's client.
 */
pst_status pst_app_client_new(const char *server_url, const char *home_dir, const char *client_id, const char *client_secret,
			      pst_client **out);

/*
 * The URL to send the person to (authorization code, PKCE S256, a fresh state); the verifier and state are
 * kept in home_dir until pst_app_finish. scope is space-separated.
 */
pst_status pst_app_authorize_url(pst_client *c, const char *redirect_uri, const char *scope, char **url_out);

/*
 * Complete the authorization with the URL the person came back to: checks state and issuer, redeems the
 * code, and registers the app's device for the grant. PST_ERR_AUTH when the person declined.
 */
pst_status pst_app_finish(pst_client *c, const char *callback_url);

/* Replace the access token using the refresh token (also done automatically once on a 401). */
pst_status pst_app_refresh(pst_client *c);

/* As a partner app: GET /v1/partner/friends (the person's friends as this app knows them) as JSON text. */
pst_status pst_app_friends(pst_client *c, char **json_out);
/* As a partner app: GET /v1/partner/threads (the threads of the grant) as JSON text in *json_out. */
pst_status pst_app_threads(pst_client *c, char **json_out);

/* Share item with the friend known to this app as `to`: text is encrypted to the thread's readers. */
pst_status pst_app_share(pst_client *c, const char *to, const char *item, const char *text, char **json_out);

/* The messages of one of the grant's threads the app may see, decrypted where its device has the key. */
pst_status pst_app_read(pst_client *c, const char *thread_id, pst_message **msgs_out, size_t *n_out);

/* The approval code of the app's device for this grant ("XXXX-XXXX-XXXX"): show it to the person, who
 * approves the device from their own client (postern apps approve CODE). *code_out is malloc'd. */
pst_status pst_app_approval_code(pst_client *c, char **code_out);

/* Delete a message this app sent for the person. */
pst_status pst_app_delete(pst_client *c, const char *thread_id, const char *message_id);

/* The app's report for the period starting period_start (client_credentials; confidential clients). */
pst_status pst_app_report(pst_client *c, const char *period_start, char **json_out);

/* ---- the transparency log (docs/transparency.md) ---- */

/*
 * Audit the server's transparency log from the checkpoint this home accepted before to the newest: its
 * signature (the log key is pinned on first use), its consistency with the old one, every entry since (they
 * must hash to the checkpoint), and, among them, the changes to this person's account — each identity key,
 * device approval or removal, app authorisation and grant must be one the account's devices made or the
 * server lists for it. *report_out (optional) gets {"from_size","size","scanned","yours","new_alarms",
 * "alarms":[{"index","at","what"}]}: alarms are every one not yet acknowledged (pst_log_alarms_clear), found
 * by this call or an earlier one (a sync runs it at most once a minute); they also set pst_notice. A log
 * that does not add up is PST_ERR_UNTRUSTED with the reason, and the server's answers are kept in the home
 * directory as evidence (log-evidence-*.json).
 */
pst_status pst_log_verify(pst_client *c, char **report_out);

/* How many transparency-log alarms this home holds that the person has not acknowledged (no network). */
int pst_log_alarm_count(pst_client *c);

/* Acknowledge them all: the person has looked (postern devices, postern apps) and acted. */
pst_status pst_log_alarms_clear(pst_client *c);

/*
 * Require checkpoints co-signed by `required` of these witnesses (C2SP verifier keys, one per line), each
 * cosignature at most max_age_s old (0: any age). Without witnesses a server could show this client a
 * history others do not see, or an old one; with them it needs the witnesses' help.
 */
pst_status pst_log_witnesses(pst_client *c, const char *keys, int required, int max_age_s);

/* ---- raw API access, for what has no helper yet ---- */

/*
 * Send method path with an optional JSON body (NULL for none) using the stored session token; the
 * answer's JSON text goes to *json_out (NULL for 204). HTTP errors return PST_ERR_HTTP/_AUTH/_NOT_FOUND.
 */
pst_status pst_call(pst_client *c, const char *method, const char *path, const char *json_body, char **json_out);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
