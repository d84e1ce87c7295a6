/*
 * store.h — the storage interface: everything the domain layer may ask of a database, as a const table of
 * functions (the shape of curl's vtls backends). The operations are written once for every engine
 * (store/ops.c, over the statement table of store/queries.c); an engine is a small driver behind
 * store/driver.h (store/sqlite.c today), and tests/unit/test_store.c runs the same conformance checks
 * against every backend it is given.
 *
 * Primitives only: a storage function reads or writes rows and knows no rule of the domain (who may see
 * what, friendship logic, event fan-out) — those live in the handlers/domain modules. A handler never
 * writes SQL.
 *
 * Threading: a `struct store` is shared by all threads; a `struct store_conn` belongs to one thread at a
 * time. Exactly one writable connection exists (the group-commit writer, dbexec.c); readers are read-only.
 * Errors: every function returns enum srv_err — SRV_E_OK, SRV_E_NOT_FOUND for a missing row where noted,
 * SRV_E_CONFLICT for a unique-key collision where noted, SRV_E_STORAGE for anything else.
 * Strings in row structs are NUL-terminated and owned by the struct (fixed-size arrays) unless marked
 * "borrowed": a borrowed pointer is valid only until the next call on the same connection.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define STORE_ID_LEN 40       /* public ids: prefix + 22 base64url chars, with room */
#define STORE_USERNAME_LEN 40
#define STORE_PWHASH_LEN 128  /* crypto_pwhash_STRBYTES */
#define STORE_KEY_LEN 48      /* 32-byte key in base64url = 43 chars */
#define STORE_NAME_LEN 72
#define STORE_CMID_LEN 72
#define STORE_KIND_LEN 40
#define STORE_TYPE_LEN 40
#define STORE_ITEM_LEN 136
#define STORE_APPNAME_LEN 72
#define STORE_URIS_LEN 2048
#define STORE_URL_LEN 512     /* one URL an operator gives for an app (homepage, privacy policy) */
#define STORE_SCOPES_LEN 256
#define STORE_DETAILS_LEN 2048
#define STORE_SIG_LEN 96       /* a 64-byte signature in base64url = 86 chars */
#define STORE_SMALL_STMT 512   /* bytes of a fixed-size signed statement (identity, certificate, prekey, ...) */
#define STORE_BACKUP_LEN 256   /* bytes of an identity backup */
#define STORE_BOX_LEN 160      /* bytes of an identity box */
#define STORE_HASH_LEN 32      /* a membership chain head */

struct store;
struct store_conn;

struct store_options {
	const char *path;  /* SQLite: the database file; PostgreSQL: its URL (postgresql://...) */
	int durable;       /* 1: a commit is on disk when it returns (SQLite synchronous=FULL, PostgreSQL
			    * synchronous_commit=on); 0: it may be lost in a power cut (NORMAL, off) */
};

struct store_user {
	int64_t id;
	char public_id[STORE_ID_LEN];
	char username[STORE_USERNAME_LEN];
	char pw_hash[STORE_PWHASH_LEN];
	int64_t created_at;
};

struct store_session {
	int64_t id, user_id, device_id; /* device_id 0: not bound (a removed device is no binding either) */
	int64_t created_at, expires_at;
	char device_public_id[STORE_ID_LEN]; /* "" when not bound */
	char device_name[STORE_NAME_LEN];    /* filled by session_list_user only */
};

enum store_freq_state { STORE_FREQ_PENDING = 0, STORE_FREQ_ACCEPTED = 1, STORE_FREQ_DECLINED = 2, STORE_FREQ_WITHDRAWN = 3 };

struct store_friend_request {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int64_t from_user, to_user;
	int state; /* enum store_freq_state */
	int64_t created_at;
	struct store_user other; /* for listings: the user on the other side (pw_hash empty) */
};

struct store_friend {
	struct store_user user; /* pw_hash empty */
	int64_t since;
};

struct store_device {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int64_t user_id;
	char user_public_id[STORE_ID_LEN];
	char name[STORE_NAME_LEN];
	char sign_pk[STORE_KEY_LEN];
	char box_pk[STORE_KEY_LEN];
	int64_t created_at;
	int64_t grant_id;  /* an app device: the grant it reads for (0: a person's own device) */
	int64_t app_id, grant_revoked_at, grant_expires_at; /* of that grant */
	char reg_sig[STORE_SIG_LEN];                  /* the registration signature as uploaded ("" for old rows) */
	unsigned char cert[STORE_SMALL_STMT];         /* DEVICE_CERT by the account's identity key */
	size_t cert_len;                              /* 0: not approved */
	unsigned char identity_box[STORE_BOX_LEN];    /* the identity seed sealed to this device */
	size_t identity_box_len;                      /* 0: none */
	int removed;                                  /* app_device_list_user, device_by_public_any: removed */
};

enum store_thread_kind { STORE_THREAD_GROUP = 0, STORE_THREAD_DIRECT = 1, STORE_THREAD_APP = 2 };

struct store_thread {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int kind; /* enum store_thread_kind */
	int64_t creator, created_at, last_seq, last_activity;
	int64_t read_seq;   /* of the member asking, in thread_list_for_user / thread_for_member */
	int64_t joined_seq; /* of the member asking */
	int64_t app_id;     /* app threads: the partner app it belongs to, else 0 */
	int64_t chain_length; /* links in its membership chain (0: a thread without one) */
	unsigned char chain_head[STORE_HASH_LEN]; /* hash of the newest link (zeros without a chain) */
};

struct store_member {
	int64_t user_id;
	char public_id[STORE_ID_LEN];
	char username[STORE_USERNAME_LEN];
	int64_t joined_seq, read_seq;
};

struct store_message {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int64_t thread_id;
	char thread_public_id[STORE_ID_LEN];
	int64_t seq;
	int64_t sender_id;
	char sender_public_id[STORE_ID_LEN];
	int64_t sender_device; /* 0: none */
	char sender_device_public_id[STORE_ID_LEN];
	char client_msg_id[STORE_CMID_LEN];
	char kind[STORE_KIND_LEN];
	const char *body; /* borrowed; NULL once deleted */
	size_t body_len;
	int64_t created_at, deleted_at; /* deleted_at 0: live */
	int64_t app_id, grant_id;       /* sent by a partner app under this grant, else 0 */
	char item[STORE_ITEM_LEN];      /* shares: the app's opaque item */
	char share_public_id[STORE_ID_LEN]; /* shares: the share's id, for clicks */
};

struct store_event {
	int64_t id;  /* the row */
	int64_t seq; /* its place in user_id's log, 1, 2, 3...: the cursor */
	int64_t user_id, device_id; /* device_id: target device for to_device events, else 0 */
	char type[STORE_TYPE_LEN];
	int64_t ref_id;   /* message id for message.created, else 0 */
	const char *data; /* borrowed JSON object text */
	int64_t created_at;
};

/* ---- the partner platform ---- */

struct store_app {
	int64_t id;
	char client_id[STORE_ID_LEN];
	char name[STORE_APPNAME_LEN];
	unsigned char secret_hash[32];
	int has_secret;                 /* 0: a public client (PKCE only) */
	char redirect_uris[STORE_URIS_LEN]; /* JSON array of strings */
	char scopes[STORE_SCOPES_LEN];  /* space-separated: what the app may ever ask for */
	int64_t rate_person, rate_app, rate_recipient; /* shares per hour; 0: no limit */
	int suspended;
	int64_t created_at;
	char homepage[STORE_URL_LEN];    /* http(s) URL of the app's site, shown to people; "" when none */
	char privacy_url[STORE_URL_LEN]; /* http(s) URL of its privacy policy; "" when none */
};

struct store_grant {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int64_t app_id, user_id;
	char scopes[STORE_SCOPES_LEN];
	char details[STORE_DETAILS_LEN]; /* JSON array: RFC 9396 authorization_details as granted */
	int64_t created_at, expires_at, revoked_at, last_used_at;
};

enum store_token_kind { STORE_TOKEN_ACCESS = 1, STORE_TOKEN_REFRESH = 2, STORE_TOKEN_CLIENT = 3 };

struct store_token {
	int64_t id;
	int kind;              /* enum store_token_kind */
	int64_t app_id, grant_id; /* grant 0 for client tokens */
	char scopes[STORE_SCOPES_LEN];
	int64_t created_at, expires_at, revoked_at, used_at;
};

struct store_code {
	int64_t id, grant_id, app_id;
	char redirect_uri[1024];
	char challenge[64];
	int64_t expires_at, used_at;
};

struct store_access_entry {
	int64_t id, user_id, app_id, grant_id;
	char app_name[STORE_APPNAME_LEN];
	char app_client_id[STORE_ID_LEN]; /* access_list: the app's client id ("" for an app deleted since) */
	char grant_public_id[STORE_ID_LEN];
	char action[40];
	char thread_public_id[STORE_ID_LEN];
	char message_public_id[STORE_ID_LEN];
	int64_t count, at;
	int64_t seq; /* the person's line number, 1, 2, 3... (set by access_insert; 0: a line from before numbering) */
};

/* One item's exact counts over a report period (report_rows says which shares and opens count). */
struct store_report_row {
	char item[STORE_ITEM_LEN];
	int64_t shares, senders, recipients, clicks;
};

/* How an app's reports are made from `since` on; reports.c gives the fields their meaning and bounds. */
struct store_report_settings {
	int64_t since;           /* ms: the settings of a period are the newest whose since is before its end */
	char mechanism[16];      /* "geometric" or "none" */
	int64_t epsilon_e4;      /* epsilon in units of 1/10000 */
	int64_t delta_exp;       /* delta = 10^-delta_exp */
	int64_t k, cap;
};

/* ---- signed statements (protocol version 2): kept as uploaded, bytes, never interpreted here ---- */

/* An account's identity key, its self-signed statement and the sealed backup of its seed. */
struct store_identity {
	int64_t user_id;
	unsigned char id_pk[32];
	unsigned char statement[STORE_SMALL_STMT];
	size_t statement_len;
	unsigned char backup[STORE_BACKUP_LEN];
	size_t backup_len;
	int64_t created_at, changed_at;
};

/* One stored statement in a listing; bytes are borrowed, valid during the callback only. */
struct store_statement {
	int64_t seq;                        /* chain links: 1, 2, ...; other listings: the row's id */
	char user_public_id[STORE_ID_LEN];  /* consents: who gave it */
	int state;                          /* consents: 1 accepted, 2 declined */
	unsigned char hash[STORE_HASH_LEN]; /* chain links: the link's hash */
	const unsigned char *bytes;         /* NULL when there is none (a consent given without a statement) */
	size_t len;
	int64_t created_at;
};

enum store_prekey_kind { STORE_PREKEY_ONE_TIME = 1, STORE_PREKEY_SIGNED = 2 };

struct store_prekey {
	int kind; /* enum store_prekey_kind */
	int64_t key_id;
	unsigned char statement[STORE_SMALL_STMT];
	size_t len;
};

/* Statements kept on an app device. */
enum store_app_statement { STORE_APP_AUTH = 1, STORE_APP_REVOKE = 2 };

/* Row callbacks: return 0 to continue, non-zero to stop (the value is returned by the listing). */
typedef int (*store_friend_request_cb)(void *arg, const struct store_friend_request *row);
typedef int (*store_friend_cb)(void *arg, const struct store_friend *row);
typedef int (*store_device_cb)(void *arg, const struct store_device *row);
typedef int (*store_thread_cb)(void *arg, const struct store_thread *row);
typedef int (*store_member_cb)(void *arg, const struct store_member *row);
typedef int (*store_session_cb)(void *arg, const struct store_session *row);
typedef int (*store_message_cb)(void *arg, const struct store_message *row);
typedef int (*store_event_cb)(void *arg, const struct store_event *row);
typedef int (*store_app_cb)(void *arg, const struct store_app *row);
typedef int (*store_grant_cb)(void *arg, const struct store_grant *row, const struct store_app *app);
typedef int (*store_access_cb)(void *arg, const struct store_access_entry *row);
typedef int (*store_report_cb)(void *arg, const struct store_report_row *row);
typedef int (*store_statement_cb)(void *arg, const struct store_statement *row);

struct store_ops {
	const char *name;

	/* Open the database at opt->path, creating it and running every pending numbered migration.
	 * On success *out is owned by the caller, released with close(). */
	enum srv_err (*open)(const struct store_options *opt, struct store **out);
	void (*close)(struct store *st);
	/* A connection for one thread; writable = 1 at most once at a time. Released with conn_close(). */
	enum srv_err (*conn_open)(struct store *st, int writable, struct store_conn **out);
	void (*conn_close)(struct store_conn *c);

	/* Transactions. begin/commit/rollback wrap a group; savepoint/release/rollback_to wrap one request
	 * inside it, so a failing request undoes only itself. read_begin/read_end give a reader one snapshot. */
	enum srv_err (*begin)(struct store_conn *c);
	/* begin for a group of requests (dbexec's group commit): on PostgreSQL a statement of it that waits long
	 * for another transaction's lock fails (SRV_E_TX_RETRY), so that its request is run again outside the
	 * group rather than the group and another node's waiting for each other. SQLite: as begin. */
	enum srv_err (*begin_group)(struct store_conn *c);
	enum srv_err (*commit)(struct store_conn *c);
	enum srv_err (*rollback)(struct store_conn *c);
	enum srv_err (*savepoint)(struct store_conn *c);
	enum srv_err (*release)(struct store_conn *c);
	/* rollback_to (and release, which then undoes the request instead of keeping it) answers SRV_E_TX_RETRY
	 * when what it undid had met another transaction (PostgreSQL: a deadlock or a group's bounded lock wait,
	 * with another node's group commit): undone all the same, the transaction goes on, and the request may
	 * succeed when run again in a new one. Other failures of the transaction (SRV_E_DB_DOWN, ...) are kept
	 * and reported by commit. */
	enum srv_err (*rollback_to)(struct store_conn *c);
	enum srv_err (*read_begin)(struct store_conn *c);
	enum srv_err (*read_end)(struct store_conn *c);

	/* Users. user_insert: SRV_E_CONFLICT when the username exists (a deleted account's username is released
	 * first once its quarantine is over at u->created_at). Lookups: SRV_E_NOT_FOUND; by name and by public
	 * id they find live accounts only, by id deleted ones too. */
	enum srv_err (*user_insert)(struct store_conn *c, struct store_user *u); /* sets u->id */
	enum srv_err (*user_by_name)(struct store_conn *c, const char *username, struct store_user *out);
	enum srv_err (*user_by_public)(struct store_conn *c, const char *public_id, struct store_user *out);
	enum srv_err (*user_by_id)(struct store_conn *c, int64_t id, struct store_user *out);
	/* Replace the user's password hash (an argon2id string). */
	enum srv_err (*user_set_password)(struct store_conn *c, int64_t id, const char *pw_hash);

	/* Sessions, found by the BLAKE2b hash of their token (the token itself is never stored). */
	enum srv_err (*session_insert)(struct store_conn *c, const unsigned char hash[32], struct store_session *s);
	enum srv_err (*session_by_hash)(struct store_conn *c, const unsigned char hash[32], struct store_session *out);
	enum srv_err (*session_delete)(struct store_conn *c, int64_t session_id);
	/* Every session of user but keep_session_id (0 keeps none): a password change ends the others. */
	enum srv_err (*session_delete_others)(struct store_conn *c, int64_t user, int64_t keep_session_id);
	/* OK when the session exists and expires after now, else SRV_E_NOT_FOUND (an open stream's check). */
	enum srv_err (*session_alive)(struct store_conn *c, int64_t session_id, int64_t now);
	/* The user's sessions that expire after now, oldest first, each with its device's id and name. */
	enum srv_err (*session_list_user)(struct store_conn *c, int64_t user, int64_t now, store_session_cb cb, void *arg);
	enum srv_err (*session_bind_device)(struct store_conn *c, int64_t session_id, int64_t device_id);
	/* Sessions bound to device_id lose the binding (device removed). */
	enum srv_err (*session_unbind_device)(struct store_conn *c, int64_t device_id);

	/* Friend requests: one row per ordered pair (from, to). */
	enum srv_err (*freq_get_pair)(struct store_conn *c, int64_t from, int64_t to, struct store_friend_request *out);
	enum srv_err (*freq_by_public)(struct store_conn *c, const char *public_id, struct store_friend_request *out);
	enum srv_err (*freq_insert)(struct store_conn *c, struct store_friend_request *r); /* sets r->id */
	enum srv_err (*freq_set_state)(struct store_conn *c, int64_t id, int state, int64_t created_at);
	enum srv_err (*freq_delete_pair)(struct store_conn *c, int64_t a, int64_t b); /* both directions */
	/* Pending requests to (incoming = 1) or from (incoming = 0) user, oldest first by created_at (freq_set_state
	 * renews it), with the other user. */
	enum srv_err (*freq_list_pending)(struct store_conn *c, int64_t user, int incoming, store_friend_request_cb cb, void *arg);

	/* Friendships, symmetric. friend_insert: SRV_E_CONFLICT when they already are friends. */
	enum srv_err (*friend_insert)(struct store_conn *c, int64_t a, int64_t b, int64_t now);
	enum srv_err (*friend_delete)(struct store_conn *c, int64_t a, int64_t b); /* SRV_E_NOT_FOUND if none */
	enum srv_err (*friend_check)(struct store_conn *c, int64_t a, int64_t b);  /* OK or SRV_E_NOT_FOUND */
	enum srv_err (*friend_list)(struct store_conn *c, int64_t user, store_friend_cb cb, void *arg);

	/* Devices. device_by_public: SRV_E_NOT_FOUND for unknown or removed devices. */
	enum srv_err (*device_insert)(struct store_conn *c, struct store_device *d); /* sets d->id; stores reg_sig */
	enum srv_err (*device_by_public)(struct store_conn *c, const char *public_id, struct store_device *out);
	/* The live app device of a grant (NOT_FOUND if none); remove every device of a grant. */
	enum srv_err (*device_for_grant)(struct store_conn *c, int64_t grant, struct store_device *out);
	enum srv_err (*devices_remove_grant)(struct store_conn *c, int64_t grant, int64_t now);
	/* user's live own device (not an app device) with this signing key (re-registration after a new login);
	 * NOT_FOUND if none. */
	enum srv_err (*device_by_key)(struct store_conn *c, int64_t user, const char *sign_pk, struct store_device *out);
	enum srv_err (*device_delete)(struct store_conn *c, int64_t id);
	enum srv_err (*device_list_user)(struct store_conn *c, int64_t user, store_device_cb cb, void *arg);
	/* The live devices of every current member of the thread. */
	enum srv_err (*device_list_thread)(struct store_conn *c, int64_t thread_id, store_device_cb cb, void *arg);
	/* OK when a and b share a thread (as current members), else SRV_E_NOT_FOUND. */
	enum srv_err (*users_share_thread)(struct store_conn *c, int64_t a, int64_t b);

	/* Threads. thread_insert: SRV_E_CONFLICT when direct_key is taken. */
	enum srv_err (*thread_insert)(struct store_conn *c, struct store_thread *t, const char *direct_key);
	enum srv_err (*thread_by_direct_key)(struct store_conn *c, const char *direct_key, struct store_thread *out);
	/* The thread, if user is a current member (else SRV_E_NOT_FOUND), with the member's read/joined seq. */
	enum srv_err (*thread_for_member)(struct store_conn *c, const char *public_id, int64_t user, struct store_thread *out);
	enum srv_err (*thread_by_id_for_member)(struct store_conn *c, int64_t id, int64_t user, struct store_thread *out);
	/* The inbox: threads of user ordered by (last_activity, id) descending, strictly below the cursor pair
	 * (before_activity, before_id) when before_id > 0, at most limit rows. */
	enum srv_err (*thread_list_for_user)(struct store_conn *c, int64_t user, int64_t before_activity,
					     int64_t before_id, int limit, store_thread_cb cb, void *arg);
	enum srv_err (*member_add)(struct store_conn *c, int64_t thread_id, int64_t user, int64_t joined_seq);
	enum srv_err (*member_remove)(struct store_conn *c, int64_t thread_id, int64_t user); /* NOT_FOUND if absent */
	enum srv_err (*member_list)(struct store_conn *c, int64_t thread_id, store_member_cb cb, void *arg);
	/* Moves the read marker forward only; stores the resulting marker in *out_seq. */
	enum srv_err (*member_mark_read)(struct store_conn *c, int64_t thread_id, int64_t user, int64_t seq, int64_t *out_seq);
	/* Takes the next seq of the thread (last_seq + 1), bumps last_activity to now. */
	enum srv_err (*thread_next_seq)(struct store_conn *c, int64_t thread_id, int64_t now, int64_t *seq);

	/* Messages. message_insert: SRV_E_CONFLICT when (sender, client_msg_id) exists. */
	enum srv_err (*message_insert)(struct store_conn *c, struct store_message *m); /* sets m->id */
	enum srv_err (*message_by_client_id)(struct store_conn *c, int64_t sender, const char *client_msg_id, struct store_message *out);
	enum srv_err (*message_by_public)(struct store_conn *c, int64_t thread_id, const char *public_id, struct store_message *out);
	enum srv_err (*message_by_id)(struct store_conn *c, int64_t id, store_message_cb cb, void *arg);
	/* Erase the body, set deleted_at; NOT_FOUND for an unknown message. */
	enum srv_err (*message_erase)(struct store_conn *c, int64_t id, int64_t now);
	/* Messages with after < seq < before (before = 0: no upper bound) and seq > min_seq; ascending when
	 * newest = 0, else the newest first; at most limit rows. */
	enum srv_err (*message_list)(struct store_conn *c, int64_t thread_id, int64_t min_seq, int64_t after,
				     int64_t before, int limit, int newest, store_message_cb cb, void *arg);

	/*
	 * The event log, one per user, numbered 1, 2, 3... (seq). event_append (in a write transaction) takes
	 * e->user_id's next number into e->seq and sets e->id. A user's numbers are taken under a lock held until
	 * commit, so they commit in order even with several writers on several nodes: once a reader sees number n
	 * of a log, every number below n is committed and visible too, and a number is never given twice (not
	 * after its event is pruned, nor after the account is deleted). Different users' logs are unordered.
	 * Writers that append to several logs in one transaction should take them in ascending user order
	 * (PostgreSQL detects the deadlock of the other orders and aborts one transaction).
	 */
	enum srv_err (*event_append)(struct store_conn *c, struct store_event *e);
	/* Events of user with seq > since, ascending, at most limit; to_device events only for device_id. */
	enum srv_err (*event_list)(struct store_conn *c, int64_t user, int64_t device_id, int64_t since, int limit,
				   store_event_cb cb, void *arg);
	/* Delete to_device events for device with seq <= upto (delivered). */
	enum srv_err (*event_prune_to_device)(struct store_conn *c, int64_t device_id, int64_t upto);
	/* Number of to_device events for device with seq <= upto (waiting to be pruned). */
	enum srv_err (*event_count_to_device)(struct store_conn *c, int64_t device_id, int64_t upto, int64_t *out);
	/* ---- partner platform (apps, grants, OAuth codes and tokens, shares, access log, reports) ---- */

	/* Apps. app_insert: CONFLICT when the client id exists. app_by_client_id: NOT_FOUND. */
	enum srv_err (*app_insert)(struct store_conn *c, struct store_app *a); /* sets a->id */
	enum srv_err (*app_by_client_id)(struct store_conn *c, const char *client_id, struct store_app *out);
	enum srv_err (*app_by_id)(struct store_conn *c, int64_t id, struct store_app *out);
	enum srv_err (*app_list)(struct store_conn *c, store_app_cb cb, void *arg);
	enum srv_err (*app_set_suspended)(struct store_conn *c, int64_t id, int suspended);
	enum srv_err (*app_set_secret)(struct store_conn *c, int64_t id, const unsigned char hash[32]);
	enum srv_err (*app_delete)(struct store_conn *c, int64_t id); /* and everything of it */
	/* A number that grows whenever an app is suspended, resumed (app_set_suspended) or deleted (app_delete),
	 * whichever process on this database did it: the server polls it to end the streams of such an app. */
	enum srv_err (*app_generation)(struct store_conn *c, int64_t *out);
	/* The name app shows for user, chosen by that person: alias_get copies it into out (cap bytes, cut to
	 * fit), NOT_FOUND when they chose none (the caller makes the default). alias_set replaces it; alias NULL
	 * removes it. app_delete removes the app's. */
	enum srv_err (*alias_get)(struct store_conn *c, int64_t app, int64_t user, char *out, size_t cap);
	enum srv_err (*alias_set)(struct store_conn *c, int64_t app, int64_t user, const char *alias);

	/* Grants: what one person allowed one app. grant_by_public: the grant if it belongs to user. */
	enum srv_err (*grant_insert)(struct store_conn *c, struct store_grant *g); /* sets g->id */
	enum srv_err (*grant_by_id)(struct store_conn *c, int64_t id, struct store_grant *out);
	enum srv_err (*grant_by_public)(struct store_conn *c, const char *public_id, int64_t user, struct store_grant *out);
	/* Grants of user (live first, newest first), with their app. */
	enum srv_err (*grant_list_user)(struct store_conn *c, int64_t user, store_grant_cb cb, void *arg);
	enum srv_err (*grant_revoke)(struct store_conn *c, int64_t id, int64_t now); /* and every token and device of it */
	enum srv_err (*grant_touch)(struct store_conn *c, int64_t id, int64_t now);
	/* OK when user holds a live grant of app with a scope containing scope_word (NULL: any), else NOT_FOUND. */
	enum srv_err (*grant_live_check)(struct store_conn *c, int64_t app, int64_t user, const char *scope_word, int64_t now);
	/* App threads of a grant. */
	enum srv_err (*grant_thread_add)(struct store_conn *c, int64_t grant, int64_t thread);
	enum srv_err (*grant_thread_check)(struct store_conn *c, int64_t grant, int64_t thread);
	enum srv_err (*grant_thread_list)(struct store_conn *c, int64_t grant, store_thread_cb cb, void *arg, int64_t user);
	/* Friends a person picked on the share page for this grant. */
	enum srv_err (*share_permit_add)(struct store_conn *c, int64_t grant, int64_t friend_user);
	enum srv_err (*share_permit_check)(struct store_conn *c, int64_t grant, int64_t friend_user);
	/* Un-pick: the app may no longer send to that friend under this grant (unless the friend uses it too).
	 * SRV_E_OK whether or not the friend was picked. */
	enum srv_err (*share_permit_remove)(struct store_conn *c, int64_t grant, int64_t friend_user);

	/* Authorization codes, found by hash. code_get reads the code issued to app, changing nothing (check
	 * used_at to detect a replay); NOT_FOUND for an unknown code and for another app's, so that presenting
	 * a code as the wrong client leaves it good for its own (RFC 6749 4.1.3). code_use marks it used once
	 * the redemption is known to succeed; NOT_FOUND when it already was (the loser of a race). */
	enum srv_err (*code_insert)(struct store_conn *c, const unsigned char hash[32], const struct store_code *code);
	enum srv_err (*code_get)(struct store_conn *c, const unsigned char hash[32], int64_t app, struct store_code *out);
	enum srv_err (*code_use)(struct store_conn *c, int64_t id, int64_t now);

	/* OAuth tokens, found by hash. */
	enum srv_err (*token_insert)(struct store_conn *c, const unsigned char hash[32], struct store_token *t);
	enum srv_err (*token_by_hash)(struct store_conn *c, const unsigned char hash[32], struct store_token *out);
	/* The token row of id, whatever its state (NOT_FOUND when none): a stream checks its token is still good. */
	enum srv_err (*token_by_id)(struct store_conn *c, int64_t id, struct store_token *out);
	enum srv_err (*token_revoke)(struct store_conn *c, int64_t id, int64_t now);
	/* Marks a refresh token used; NOT_FOUND if it already was (the loser of a race). */
	enum srv_err (*token_use)(struct store_conn *c, int64_t id, int64_t now);

	/* Pairwise ids: a per-app alias of a user. */
	enum srv_err (*pairwise_put)(struct store_conn *c, int64_t app, int64_t user, const char *pairwise_id);
	enum srv_err (*pairwise_resolve)(struct store_conn *c, int64_t app, const char *pairwise_id, int64_t *user);

	/* Shares and clicks. click_insert: CONFLICT when that recipient already clicked. */
	enum srv_err (*share_insert)(struct store_conn *c, const char *public_id, int64_t app, int64_t grant, int64_t sender,
				     int64_t recipient, int64_t thread, int64_t message, const char *item, int64_t now);
	enum srv_err (*share_for_recipient)(struct store_conn *c, const char *public_id, int64_t recipient, int64_t *share_id,
					    int64_t *app_id);
	enum srv_err (*click_insert)(struct store_conn *c, int64_t share, int64_t user, int64_t now);
	/* For rate limits: the shares of app created at or after since, by sender and to recipient (either 0: any). */
	enum srv_err (*share_count)(struct store_conn *c, int64_t app, int64_t sender, int64_t recipient, int64_t since, int64_t *out);

	/* App consent of a member in an app thread: state 1 accepted, 2 declined, with the time it was given
	 * (*since, optional); NOT_FOUND when undecided. app_consent_set replaces the member's answer, and the
	 * APP_CONSENT statement with it (stmt NULL: an answer without one). */
	enum srv_err (*app_consent_set)(struct store_conn *c, int64_t thread, int64_t user, int state, int64_t now,
					const unsigned char *stmt, size_t len);
	enum srv_err (*app_consent_get)(struct store_conn *c, int64_t thread, int64_t user, int *state, int64_t *since);

	/* The access log. access_insert numbers the line after the person's last one (e->seq), holding the
	 * log-append lock (tlog_lock) so that writers on several nodes never take one number twice. access_list:
	 * user's lines newest first, below before_id (0: from the newest), at most limit, only those of app (0:
	 * every app). */
	enum srv_err (*access_insert)(struct store_conn *c, struct store_access_entry *e);
	enum srv_err (*access_list)(struct store_conn *c, int64_t user, int64_t app, int64_t before_id, int limit, store_access_cb cb,
				    void *arg);

	/*
	 * Report rows of app for the period [from_ms, to_ms), one per item, in item order (byte order). Counted:
	 * the period's shares of the app that are among their sender's first cap of the period (by time, then
	 * id, across every item) — as shares, distinct senders and distinct recipients — and, as clicks, the
	 * distinct people who opened a counted share of the item before to_ms, each person in at most cap items
	 * (the first cap items they opened, by their first open, then item). An item with no counted share has
	 * no row.
	 */
	enum srv_err (*report_rows)(struct store_conn *c, int64_t app, int64_t from_ms, int64_t to_ms, int64_t cap,
				    store_report_cb cb, void *arg);
	/*
	 * Report settings of app, a history that only grows: report_settings_add appends s (s->since included);
	 * report_settings_at reads the one in force just before at_ms — the newest with since < at_ms, the later
	 * added when two have the same since — NOT_FOUND when there is none.
	 */
	enum srv_err (*report_settings_add)(struct store_conn *c, int64_t app, const struct store_report_settings *s);
	enum srv_err (*report_settings_at)(struct store_conn *c, int64_t app, int64_t at_ms, struct store_report_settings *out);
	/*
	 * Frozen report bytes by (app, period, format): get (NOT_FOUND when none; *out malloc'd and NUL-ended,
	 * free() it) and put (the first put wins; a later one changes nothing and is not an error).
	 */
	enum srv_err (*report_get)(struct store_conn *c, int64_t app, const char *period, const char *format, char **out, size_t *len);
	enum srv_err (*report_put)(struct store_conn *c, int64_t app, const char *period, const char *format, const char *body, size_t len);

	/* The largest number ever given in user's event log (0 if none); numbers are never reused. */
	enum srv_err (*event_last_seq)(struct store_conn *c, int64_t user, int64_t *out);
	/*
	 * Send payload on the notification channel named channel, with this write transaction: listeners of the
	 * database (bus_pg.c on every node) receive it once the transaction commits, and never if it rolls back.
	 * On an engine without listeners (SQLite: one node) it does nothing and succeeds. Both strings borrowed.
	 */
	enum srv_err (*bus_notify)(struct store_conn *c, const char *channel, const char *payload);

	/* ---- the transparency log (tlog.c decides what goes in; docs/transparency.md) ---- */

	/*
	 * Writer only, inside the transaction and before reading where to append (tlog_size, the access log's last
	 * number): hold the log-append lock until the transaction ends, so that the writers of several nodes on one
	 * database append one after the other instead of taking one index twice (PostgreSQL: an advisory lock of
	 * the transaction; SQLite: nothing, its one writer already takes turns). Taking it again in the same
	 * transaction is allowed. OK, or STORAGE.
	 */
	enum srv_err (*tlog_lock)(struct store_conn *c);
	/* Number of leaves (the next index). */
	enum srv_err (*tlog_size)(struct store_conn *c, int64_t *out);
	/* Store leaf idx (tlog.c appends at the size) with its entry key (what a client looks it up by) and time.
	 * CONFLICT when idx is taken. */
	enum srv_err (*tlog_leaf_put)(struct store_conn *c, int64_t idx, const unsigned char *leaf, size_t len,
				      const unsigned char entry[STORE_HASH_LEN], int64_t at);
	/* Leaf idx into leaf (cap bytes), its length into *len. NOT_FOUND when there is none. */
	enum srv_err (*tlog_leaf_get)(struct store_conn *c, int64_t idx, unsigned char *leaf, size_t cap, size_t *len);
	/* The lowest index below `below` whose entry key is entry. NOT_FOUND when none. */
	enum srv_err (*tlog_find)(struct store_conn *c, const unsigned char entry[STORE_HASH_LEN], int64_t below, int64_t *idx);
	/* The hash of the complete subtree of leaves [idx << level, (idx + 1) << level): put once, get. */
	enum srv_err (*tlog_node_put)(struct store_conn *c, int level, int64_t idx, const unsigned char hash[STORE_HASH_LEN]);
	enum srv_err (*tlog_node_get)(struct store_conn *c, int level, int64_t idx, unsigned char hash[STORE_HASH_LEN]);
	/* A witness's cosignature line of the checkpoint of size: put (replacing that witness's), list (row.seq =
	 * size, row.bytes/len = the line, borrowed). */
	enum srv_err (*tlog_cosig_put)(struct store_conn *c, int64_t size, const char *witness, const char *line, int64_t at);
	enum srv_err (*tlog_cosig_list)(struct store_conn *c, int64_t size, store_statement_cb cb, void *arg);
	/* The largest size with a cosignature. NOT_FOUND when none. */
	enum srv_err (*tlog_cosig_latest)(struct store_conn *c, int64_t *size);
	/* A person's log key into out: the stored one; when none and fresh is not NULL, fresh is stored first
	 * (writer only). NOT_FOUND when none and fresh is NULL (or no such user). */
	enum srv_err (*user_log_key)(struct store_conn *c, int64_t user, const unsigned char *fresh, unsigned char out[STORE_HASH_LEN]);

	/* ---- signed statements of protocol version 2 (stored as given; the handlers check them) ---- */

	/* The account's identity (NOT_FOUND when it has none). identity_put inserts or replaces every field. */
	enum srv_err (*identity_get)(struct store_conn *c, int64_t user, struct store_identity *out);
	enum srv_err (*identity_put)(struct store_conn *c, const struct store_identity *id);
	/* An identity reset: every certificate, identity box and app authorisation of user's devices goes. */
	enum srv_err (*identity_drop_signatures)(struct store_conn *c, int64_t user);

	/*
	 * A live device's certificate, and its identity box when box is not NULL (box NULL keeps the one there).
	 * NOT_FOUND when the device is unknown or removed.
	 */
	enum srv_err (*device_set_cert)(struct store_conn *c, int64_t device, const unsigned char *cert, size_t cert_len,
					const unsigned char *box, size_t box_len);
	/* A DEVICE_REVOKE statement of user naming device; listed oldest first. */
	enum srv_err (*revocation_add)(struct store_conn *c, int64_t user, int64_t device, const unsigned char *stmt, size_t len,
				       int64_t now);
	enum srv_err (*revocation_list)(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg);

	/* CONTACT statements of user: appended, counted, listed oldest first. */
	enum srv_err (*contact_add)(struct store_conn *c, int64_t user, const unsigned char *stmt, size_t len, int64_t now);
	enum srv_err (*contact_count)(struct store_conn *c, int64_t user, int64_t *out);
	enum srv_err (*contact_list)(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg);

	/*
	 * Append a link to thread's membership chain: it becomes link number chain_length + 1 and its hash the
	 * thread's chain_head, but only while the thread's chain_length is still expect_length (else
	 * SRV_E_CONFLICT: someone changed the members first). NOT_FOUND for an unknown thread.
	 */
	enum srv_err (*chain_append)(struct store_conn *c, int64_t thread, int64_t expect_length,
				     const unsigned char hash[STORE_HASH_LEN], const unsigned char *link, size_t len, int64_t now);
	/* The thread's links, oldest first (seq, hash, bytes). */
	enum srv_err (*chain_list)(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg);

	/*
	 * Prekeys of a device. prekey_put: a STORE_PREKEY_SIGNED one replaces the device's signed prekey; a
	 * one-time key is added (SRV_E_CONFLICT when the device already has an unused one with that key_id).
	 * prekey_count: unused one-time keys, and the signed key's id (-1 when none). prekey_signed: NOT_FOUND
	 * when none. prekey_take_one_time: the oldest unused one-time key, deleted as it is returned (NOT_FOUND
	 * when none left); writers of several nodes taking keys of one device at once each get a different one. prekey_delete_device: every prekey of a removed device.
	 */
	enum srv_err (*prekey_put)(struct store_conn *c, int64_t device, const struct store_prekey *k, int64_t now);
	enum srv_err (*prekey_count)(struct store_conn *c, int64_t device, int64_t *one_time, int64_t *signed_key_id);
	enum srv_err (*prekey_signed)(struct store_conn *c, int64_t device, struct store_prekey *out);
	enum srv_err (*prekey_take_one_time)(struct store_conn *c, int64_t device, struct store_prekey *out);
	enum srv_err (*prekey_delete_device)(struct store_conn *c, int64_t device);

	/*
	 * An app device's authorisation or revocation statement (which: enum store_app_statement), set (replacing)
	 * and read. app_statement_get: *out is malloc'd (free()), NOT_FOUND when none. The device may be removed.
	 */
	enum srv_err (*app_statement_set)(struct store_conn *c, int64_t device, int which, const unsigned char *stmt, size_t len);
	enum srv_err (*app_statement_get)(struct store_conn *c, int64_t device, int which, unsigned char **out, size_t *len);
	/*
	 * The app devices of user, newest first, at most 500: live ones, and removed ones that carry a signed
	 * revocation (row->removed set), each with its grant's app and times.
	 */
	enum srv_err (*app_device_list_user)(struct store_conn *c, int64_t user, store_device_cb cb, void *arg);
	/* A device by public id, removed ones too (row->removed set): the signer of an old chain link. */
	enum srv_err (*device_by_public_any)(struct store_conn *c, const char *public_id, struct store_device *out);
	/* Every member's answer to an app thread's app: user, state, the APP_CONSENT statement if one was given. */
	enum srv_err (*app_consent_list)(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg);

	/* ---- leaving and joining (h_account_delete.c, h_accounts.c, `posternd invite`) ---- */

	/*
	 * Delete user's account at now, everything in one go (the caller's transaction): its password (no login
	 * works), sessions, devices (removed, their certificates, identity boxes, app statements and prekeys gone),
	 * identity, revocation and contact statements, friendships and friend requests both ways, thread
	 * memberships, app consents, its event log and the to-device messages it sent that wait in others' logs,
	 * the bodies and items of every message it sent (tombstones: deleted_at set), every grant with its tokens,
	 * codes, threads and share permits (permits naming it too), its pairwise ids, its access log, the shares it
	 * sent with their clicks and the clicks it made, the names it chose for apps. Kept: the user row (its public id names the tombstones)
	 * with its username, which stays taken until free_at (user_insert frees it after); threads, membership
	 * chain links, and shares others sent to it. NOT_FOUND when there is no such live account.
	 */
	enum srv_err (*account_delete)(struct store_conn *c, int64_t user, int64_t now, int64_t free_at);
	/* A live account only: OK, or NOT_FOUND for an unknown or deleted one. */
	enum srv_err (*account_live)(struct store_conn *c, int64_t user);
	/* Invite codes, stored as the BLAKE2b hash of the code. invite_use marks one used by user at now:
	 * NOT_FOUND when it is unknown, used or expired (expires_at <= now). */
	enum srv_err (*invite_insert)(struct store_conn *c, const unsigned char hash[32], int64_t now, int64_t expires_at);
	enum srv_err (*invite_use)(struct store_conn *c, const unsigned char hash[32], int64_t user, int64_t now);
};

/* The SQLite backend: the shared operations over the SQLite driver (store/ops.c, store/sqlite.c). */
extern const struct store_ops store_sqlite_ops;

/* The PostgreSQL backend: the same operations over the libpq driver (store/ops.c, store/pg.c); opt->path is
 * the database's URL. */
extern const struct store_ops store_postgres_ops;

#endif
