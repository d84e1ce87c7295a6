/*
 * store.h — the storage interface: everything the domain layer may ask of a database, as a const table of
 * functions (the shape of curl's vtls backends). store_sqlite.c is the default backend; a PostgreSQL
 * backend is one more file filling the same table, and tests/unit/test_store.c runs the same conformance
 * checks against every backend listed in store_backends[].
 *
 * Primitives only: a storage function reads or writes rows and knows no rule of the domain (who may see
 * what, friendship logic, event fan-out) — those live in the handlers/domain modules. A handler never
 * writes SQL.
 *
 * Threading: a `struct store` is shared by all threads; a `struct store_conn` belongs to one thread at a
 * time. Exactly one writable connection exists (the group-commit writer, dbexec.c); readers are read-only.
 * Errors: every function returns enum pst_err — PST_E_OK, PST_E_NOT_FOUND for a missing row where noted,
 * PST_E_CONFLICT for a unique-key collision where noted, PST_E_STORAGE for anything else.
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

struct store;
struct store_conn;

struct store_options {
	const char *path;  /* database file */
	int durable;       /* 1: fsync each commit (synchronous=FULL); 0: synchronous=NORMAL */
};

struct store_user {
	int64_t id;
	char public_id[STORE_ID_LEN];
	char username[STORE_USERNAME_LEN];
	char pw_hash[STORE_PWHASH_LEN];
	int64_t created_at;
};

struct store_session {
	int64_t id, user_id, device_id; /* device_id 0: not bound */
	int64_t created_at, expires_at;
	char device_public_id[STORE_ID_LEN]; /* "" when not bound */
};

enum store_freq_state { STORE_FREQ_PENDING = 0, STORE_FREQ_ACCEPTED = 1, STORE_FREQ_DECLINED = 2 };

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
};

enum store_thread_kind { STORE_THREAD_GROUP = 0, STORE_THREAD_DIRECT = 1 };

struct store_thread {
	int64_t id;
	char public_id[STORE_ID_LEN];
	int kind; /* enum store_thread_kind */
	int64_t creator, created_at, last_seq, last_activity;
	int64_t read_seq;   /* of the member asking, in thread_list_for_user / thread_for_member */
	int64_t joined_seq; /* of the member asking */
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
};

struct store_event {
	int64_t id, user_id, device_id; /* device_id: target device for to_device events, else 0 */
	char type[STORE_TYPE_LEN];
	int64_t ref_id;   /* message id for message.created, else 0 */
	const char *data; /* borrowed JSON object text */
	int64_t created_at;
};

/* Row callbacks: return 0 to continue, non-zero to stop (the value is returned by the listing). */
typedef int (*store_friend_request_cb)(void *arg, const struct store_friend_request *row);
typedef int (*store_friend_cb)(void *arg, const struct store_friend *row);
typedef int (*store_device_cb)(void *arg, const struct store_device *row);
typedef int (*store_thread_cb)(void *arg, const struct store_thread *row);
typedef int (*store_member_cb)(void *arg, const struct store_member *row);
typedef int (*store_message_cb)(void *arg, const struct store_message *row);
typedef int (*store_event_cb)(void *arg, const struct store_event *row);

struct store_ops {
	const char *name;

	/* Open the database at opt->path, creating it and running every pending numbered migration.
	 * On success *out is owned by the caller, released with close(). */
	enum pst_err (*open)(const struct store_options *opt, struct store **out);
	void (*close)(struct store *st);
	/* A connection for one thread; writable = 1 at most once at a time. Released with conn_close(). */
	enum pst_err (*conn_open)(struct store *st, int writable, struct store_conn **out);
	void (*conn_close)(struct store_conn *c);

	/* Transactions. begin/commit/rollback wrap a group; savepoint/release/rollback_to wrap one request
	 * inside it, so a failing request undoes only itself. read_begin/read_end give a reader one snapshot. */
	enum pst_err (*begin)(struct store_conn *c);
	enum pst_err (*commit)(struct store_conn *c);
	enum pst_err (*rollback)(struct store_conn *c);
	enum pst_err (*savepoint)(struct store_conn *c);
	enum pst_err (*release)(struct store_conn *c);
	enum pst_err (*rollback_to)(struct store_conn *c);
	enum pst_err (*read_begin)(struct store_conn *c);
	enum pst_err (*read_end)(struct store_conn *c);

	/* Users. user_insert: PST_E_CONFLICT when the username exists. Lookups: PST_E_NOT_FOUND. */
	enum pst_err (*user_insert)(struct store_conn *c, struct store_user *u); /* sets u->id */
	enum pst_err (*user_by_name)(struct store_conn *c, const char *username, struct store_user *out);
	enum pst_err (*user_by_public)(struct store_conn *c, const char *public_id, struct store_user *out);
	enum pst_err (*user_by_id)(struct store_conn *c, int64_t id, struct store_user *out);

	/* Sessions, found by the BLAKE2b hash of their token (the token itself is never stored). */
	enum pst_err (*session_insert)(struct store_conn *c, const unsigned char hash[32], struct store_session *s);
	enum pst_err (*session_by_hash)(struct store_conn *c, const unsigned char hash[32], struct store_session *out);
	enum pst_err (*session_delete)(struct store_conn *c, int64_t session_id);
	enum pst_err (*session_bind_device)(struct store_conn *c, int64_t session_id, int64_t device_id);
	/* Sessions bound to device_id lose the binding (device removed). */
	enum pst_err (*session_unbind_device)(struct store_conn *c, int64_t device_id);

	/* Friend requests: one row per ordered pair (from, to). */
	enum pst_err (*freq_get_pair)(struct store_conn *c, int64_t from, int64_t to, struct store_friend_request *out);
	enum pst_err (*freq_by_public)(struct store_conn *c, const char *public_id, struct store_friend_request *out);
	enum pst_err (*freq_insert)(struct store_conn *c, struct store_friend_request *r); /* sets r->id */
	enum pst_err (*freq_set_state)(struct store_conn *c, int64_t id, int state, int64_t created_at);
	enum pst_err (*freq_delete_pair)(struct store_conn *c, int64_t a, int64_t b); /* both directions */
	/* Pending requests to (incoming = 1) or from (incoming = 0) user, oldest first, with the other user. */
	enum pst_err (*freq_list_pending)(struct store_conn *c, int64_t user, int incoming, store_friend_request_cb cb, void *arg);

	/* Friendships, symmetric. friend_insert: PST_E_CONFLICT when they already are friends. */
	enum pst_err (*friend_insert)(struct store_conn *c, int64_t a, int64_t b, int64_t now);
	enum pst_err (*friend_delete)(struct store_conn *c, int64_t a, int64_t b); /* PST_E_NOT_FOUND if none */
	enum pst_err (*friend_check)(struct store_conn *c, int64_t a, int64_t b);  /* OK or PST_E_NOT_FOUND */
	enum pst_err (*friend_list)(struct store_conn *c, int64_t user, store_friend_cb cb, void *arg);

	/* Devices. device_by_public: PST_E_NOT_FOUND for unknown or removed devices. */
	enum pst_err (*device_insert)(struct store_conn *c, struct store_device *d); /* sets d->id */
	enum pst_err (*device_by_public)(struct store_conn *c, const char *public_id, struct store_device *out);
	enum pst_err (*device_delete)(struct store_conn *c, int64_t id);
	enum pst_err (*device_list_user)(struct store_conn *c, int64_t user, store_device_cb cb, void *arg);
	/* Devices of every current member of the thread. */
	enum pst_err (*device_list_thread)(struct store_conn *c, int64_t thread_id, store_device_cb cb, void *arg);
	/* OK when a and b share a thread (as current members), else PST_E_NOT_FOUND. */
	enum pst_err (*users_share_thread)(struct store_conn *c, int64_t a, int64_t b);

	/* Threads. thread_insert: PST_E_CONFLICT when direct_key is taken. */
	enum pst_err (*thread_insert)(struct store_conn *c, struct store_thread *t, const char *direct_key);
	enum pst_err (*thread_by_direct_key)(struct store_conn *c, const char *direct_key, struct store_thread *out);
	/* The thread, if user is a current member (else PST_E_NOT_FOUND), with the member's read/joined seq. */
	enum pst_err (*thread_for_member)(struct store_conn *c, const char *public_id, int64_t user, struct store_thread *out);
	enum pst_err (*thread_by_id_for_member)(struct store_conn *c, int64_t id, int64_t user, struct store_thread *out);
	/* The inbox: threads of user ordered by (last_activity, id) descending, strictly below the cursor pair
	 * (before_activity, before_id) when before_id > 0, at most limit rows. */
	enum pst_err (*thread_list_for_user)(struct store_conn *c, int64_t user, int64_t before_activity,
					     int64_t before_id, int limit, store_thread_cb cb, void *arg);
	enum pst_err (*member_add)(struct store_conn *c, int64_t thread_id, int64_t user, int64_t joined_seq);
	enum pst_err (*member_remove)(struct store_conn *c, int64_t thread_id, int64_t user); /* NOT_FOUND if absent */
	enum pst_err (*member_list)(struct store_conn *c, int64_t thread_id, store_member_cb cb, void *arg);
	/* Moves the read marker forward only; stores the resulting marker in *out_seq. */
	enum pst_err (*member_mark_read)(struct store_conn *c, int64_t thread_id, int64_t user, int64_t seq, int64_t *out_seq);
	/* Takes the next seq of the thread (last_seq + 1), bumps last_activity to now. */
	enum pst_err (*thread_next_seq)(struct store_conn *c, int64_t thread_id, int64_t now, int64_t *seq);

	/* Messages. message_insert: PST_E_CONFLICT when (sender, client_msg_id) exists. */
	enum pst_err (*message_insert)(struct store_conn *c, struct store_message *m); /* sets m->id */
	enum pst_err (*message_by_client_id)(struct store_conn *c, int64_t sender, const char *client_msg_id, struct store_message *out);
	enum pst_err (*message_by_public)(struct store_conn *c, int64_t thread_id, const char *public_id, struct store_message *out);
	enum pst_err (*message_by_id)(struct store_conn *c, int64_t id, store_message_cb cb, void *arg);
	/* Erase the body, set deleted_at. */
	enum pst_err (*message_erase)(struct store_conn *c, int64_t id, int64_t now);
	/* Messages with after < seq < before (before = 0: no upper bound) and seq > min_seq; ascending when
	 * newest = 0, else the newest first; at most limit rows. */
	enum pst_err (*message_list)(struct store_conn *c, int64_t thread_id, int64_t min_seq, int64_t after,
				     int64_t before, int limit, int newest, store_message_cb cb, void *arg);

	/* The event log. event_append sets e->id (ids grow in commit order). */
	enum pst_err (*event_append)(struct store_conn *c, struct store_event *e);
	/* Events of user with id > since, ascending, at most limit; to_device events only for device_id. */
	enum pst_err (*event_list)(struct store_conn *c, int64_t user, int64_t device_id, int64_t since, int limit,
				   store_event_cb cb, void *arg);
	/* Delete to_device events for device with id <= upto (delivered). */
	enum pst_err (*event_prune_to_device)(struct store_conn *c, int64_t device_id, int64_t upto);
	/* Number of to_device events for device with id <= upto (waiting to be pruned). */
	enum pst_err (*event_count_to_device)(struct store_conn *c, int64_t device_id, int64_t upto, int64_t *out);
	/* Largest event id ever assigned, in any user's log (0 if none); ids are never reused. */
	enum pst_err (*event_last_id)(struct store_conn *c, int64_t *out);
};

/* The SQLite backend (store_sqlite.c). */
extern const struct store_ops store_sqlite_ops;

#endif
