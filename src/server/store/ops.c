/*
 * ops.c — the operations of struct store_ops (store.h), written once for every engine: each says which statement
 * of the table (queries.c) to run with which arguments, and the operations of several statements — cascades
 * such as app_delete, grant_revoke and account_delete, a one-time prekey taken, a chain link appended — say it
 * in order here, inside the caller's transaction. query.c runs the statements on the connection's driver.
 *
 * A backend is a driver plus this file: store_sqlite_ops below is the SQLite one; another engine adds its
 * driver (driver.h) and one more such table of three lines. Nothing here knows SQL, an engine or HTTP.
 */
#include "query.h"
#include "schema.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define RUN(c, id, out, ...) query_run((c), (id), QARGS(__VA_ARGS__), (out), NULL, NULL)
#define EACH(c, id, fn, arg, ...) query_run((c), (id), QARGS(__VA_ARGS__), NULL, (fn), (arg))

static int64_t now_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

/* ---- listings: the table's rows handed to the typed callbacks of store.h -------------------------------- */

struct relay {
	union {
		store_friend_request_cb freq;
		store_friend_cb friend;
		store_device_cb device;
		store_thread_cb thread;
		store_member_cb member;
		store_session_cb session;
		store_message_cb message;
		store_event_cb event;
		store_app_cb app;
		store_grant_cb grant;
		store_access_cb access;
		store_report_cb report;
		store_statement_cb statement;
	} cb;
	void *arg;
};

#define RELAY(name, T) \
	static int relay_##name(void *ctx, const void *row) { const struct relay *r = ctx; return r->cb.name(r->arg, (const T *)row); }
RELAY(freq, struct store_friend_request)
RELAY(friend, struct store_friend)
RELAY(device, struct store_device)
RELAY(thread, struct store_thread)
RELAY(member, struct store_member)
RELAY(session, struct store_session)
RELAY(message, struct store_message)
RELAY(event, struct store_event)
RELAY(app, struct store_app)
RELAY(access, struct store_access_entry)
RELAY(report, struct store_report_row)
RELAY(statement, struct store_statement)

static int relay_grant(void *ctx, const void *row)
{
	const struct relay *r = ctx;
	const struct grant_row *g = row;
	return r->cb.grant(r->arg, &g->grant, &g->app);
}

/* ---- one value copied out of its row while the row lives ------------------------------------------------ */

/*
 * Where take_value() puts the single column of a one-row statement: into buf (cap bytes: a value longer is
 * SRV_E_STORAGE) or, with buf NULL, into a malloc'd copy with a NUL after it (*dup, owned by the caller).
 * text: the column is text (cut to cap - 1 and NUL-terminated). err: OK, NOT_FOUND (no row, or NULL), ...
 */
struct value_take {
	unsigned char *buf;
	size_t cap;
	int text;
	unsigned char *dup;
	size_t len;
	enum srv_err err;
};

static int take_value(void *ctx, const void *row)
{
	struct value_take *t = ctx;
	const unsigned char *p;
	size_t n;
	if (t->text) {
		const struct text_row *r = row;
		p = (const unsigned char *)r->text;
		n = r->len;
	} else {
		const struct blob_row *r = row;
		p = r->bytes;
		n = r->len;
	}
	if (p == NULL) {
		t->err = SRV_E_NOT_FOUND;
	} else if (t->buf == NULL) {
		if ((t->dup = malloc(n + 1)) == NULL) {
			t->err = SRV_E_INTERNAL;
			return 1;
		}
		if (n)
			memcpy(t->dup, p, n);
		t->dup[n] = '\0';
		t->len = n;
		t->err = SRV_E_OK;
	} else if (t->text) {
		n = n < t->cap ? n : t->cap - 1;
		memcpy(t->buf, p, n);
		t->buf[n] = '\0';
		t->len = n;
		t->err = SRV_E_OK;
	} else if (n <= t->cap) {
		if (n)
			memcpy(t->buf, p, n);
		t->len = n;
		t->err = SRV_E_OK;
	} else {
		t->err = SRV_E_STORAGE;
	}
	return 1;
}

/* Run an EACH statement of one value column (args as for query_run) into t; t->err is NOT_FOUND without a row. */
static enum srv_err value_get(struct store_conn *c, enum query_id id, const struct query_arg *args, size_t n,
			      struct value_take *t)
{
	enum srv_err rc;
	t->err = SRV_E_NOT_FOUND;
	rc = query_run(c, id, args, n, NULL, take_value, t);
	return rc != SRV_E_OK ? rc : t->err;
}

/* ---- lifecycle and transactions ------------------------------------------------------------------------- */

static enum srv_err store_open_with(const struct store_driver *drv, const struct store_options *opt, struct store **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store *st = calloc(1, sizeof(*st));

	*out = NULL;
	if (st == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	st->drv = drv;
	rc = drv->open(opt, store_schema, store_schema_count, &st->db);
out:
	if (rc != SRV_E_OK) {
		free(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

static void op_close(struct store *st)
{
	if (st == NULL)
		return;
	st->drv->close(st->db);
	free(st);
}

static enum srv_err op_conn_open(struct store *st, int writable, struct store_conn **out)
{
	enum srv_err rc = SRV_E_OK;
	struct store_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		rc = SRV_E_STORAGE;
		goto out;
	}
	c->drv = st->drv;
	rc = st->drv->conn_open(st->db, writable, &c->dc);
out:
	if (rc != SRV_E_OK) {
		free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

static void op_conn_close(struct store_conn *c)
{
	if (c == NULL)
		return;
	c->drv->conn_close(c->dc);
	free(c);
}

static enum srv_err op_begin(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_BEGIN); }
static enum srv_err op_begin_group(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_BEGIN_GROUP); }
static enum srv_err op_commit(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_COMMIT); }
static enum srv_err op_rollback(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_ROLLBACK); }
static enum srv_err op_savepoint(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_SAVEPOINT); }
static enum srv_err op_release(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_RELEASE); }
static enum srv_err op_rollback_to(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_ROLLBACK_TO); }
static enum srv_err op_read_begin(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_READ_BEGIN); }
static enum srv_err op_read_end(struct store_conn *c) { return c->drv->tx(c->dc, STORE_TX_READ_END); }

/* ---- users and sessions --------------------------------------------------------------------------------- */

static enum srv_err op_user_insert(struct store_conn *c, struct store_user *u)
{
	/* a deleted account's username whose quarantine is over goes first (its row keeps a '~' name) */
	enum srv_err rc = RUN(c, Q_USER_FREE_NAME, NULL, A_TEXT(u->username), A_INT(u->created_at));
	if (rc == SRV_E_OK)
		rc = RUN(c, Q_USER_INSERT, &u->id, A_TEXT(u->public_id), A_TEXT(u->username), A_TEXT(u->pw_hash),
			 A_INT(u->created_at));
	return rc;
}

static enum srv_err op_user_set_password(struct store_conn *c, int64_t id, const char *pw_hash)
{
	return RUN(c, Q_USER_SET_PASSWORD, NULL, A_INT(id), A_TEXT(pw_hash));
}

static enum srv_err op_user_by_name(struct store_conn *c, const char *n, struct store_user *o) { return RUN(c, Q_USER_BY_NAME, o, A_TEXT(n)); }
static enum srv_err op_user_by_public(struct store_conn *c, const char *p, struct store_user *o) { return RUN(c, Q_USER_BY_PUBLIC, o, A_TEXT(p)); }
static enum srv_err op_user_by_id(struct store_conn *c, int64_t id, struct store_user *o) { return RUN(c, Q_USER_BY_ID, o, A_INT(id)); }

static enum srv_err op_session_insert(struct store_conn *c, const unsigned char hash[32], struct store_session *s)
{
	return RUN(c, Q_SESSION_INSERT, &s->id, A_BLOB(hash, 32), A_INT(s->user_id), A_INT(s->created_at), A_INT(s->expires_at));
}

static enum srv_err op_session_by_hash(struct store_conn *c, const unsigned char hash[32], struct store_session *o)
{
	return RUN(c, Q_SESSION_BY_HASH, o, A_BLOB(hash, 32));
}

static enum srv_err op_session_delete(struct store_conn *c, int64_t id) { return RUN(c, Q_SESSION_DELETE, NULL, A_INT(id)); }

static enum srv_err op_session_delete_others(struct store_conn *c, int64_t user, int64_t keep)
{
	return RUN(c, Q_SESSION_DELETE_OTHERS, NULL, A_INT(user), A_INT(keep));
}

static enum srv_err op_session_alive(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_SESSION_ALIVE, NULL, A_INT(id), A_INT(now)); }

static enum srv_err op_session_list_user(struct store_conn *c, int64_t user, int64_t now, store_session_cb cb, void *arg)
{
	struct relay r = {.cb.session = cb, .arg = arg};
	return EACH(c, Q_SESSION_LIST, relay_session, &r, A_INT(user), A_INT(now));
}

static enum srv_err op_session_bind_device(struct store_conn *c, int64_t sid, int64_t did) { return RUN(c, Q_SESSION_BIND, NULL, A_INT(sid), A_INT(did)); }
static enum srv_err op_session_unbind_device(struct store_conn *c, int64_t did) { return RUN(c, Q_SESSION_UNBIND, NULL, A_INT(did)); }

/* ---- friends -------------------------------------------------------------------------------------------- */

static enum srv_err op_freq_get_pair(struct store_conn *c, int64_t from, int64_t to, struct store_friend_request *o)
{
	return RUN(c, Q_FREQ_PAIR, o, A_INT(from), A_INT(to));
}

static enum srv_err op_freq_by_public(struct store_conn *c, const char *p, struct store_friend_request *o) { return RUN(c, Q_FREQ_PUBLIC, o, A_TEXT(p)); }

static enum srv_err op_freq_insert(struct store_conn *c, struct store_friend_request *r)
{
	return RUN(c, Q_FREQ_INSERT, &r->id, A_TEXT(r->public_id), A_INT(r->from_user), A_INT(r->to_user), A_INT(r->state),
		   A_INT(r->created_at));
}

static enum srv_err op_freq_set_state(struct store_conn *c, int64_t id, int state, int64_t at)
{
	return RUN(c, Q_FREQ_SET_STATE, NULL, A_INT(id), A_INT(state), A_INT(at));
}

static enum srv_err op_freq_delete_pair(struct store_conn *c, int64_t a, int64_t b) { return RUN(c, Q_FREQ_DELETE_PAIR, NULL, A_INT(a), A_INT(b)); }

static enum srv_err op_freq_list_pending(struct store_conn *c, int64_t user, int incoming, store_friend_request_cb cb, void *arg)
{
	struct relay r = {.cb.freq = cb, .arg = arg};
	return EACH(c, incoming ? Q_FREQ_INCOMING : Q_FREQ_OUTGOING, relay_freq, &r, A_INT(user));
}

static enum srv_err op_friend_insert(struct store_conn *c, int64_t a, int64_t b, int64_t now)
{
	return RUN(c, Q_FRIEND_INSERT, NULL, A_INT(a), A_INT(b), A_INT(now));
}

static enum srv_err op_friend_delete(struct store_conn *c, int64_t a, int64_t b) { return RUN(c, Q_FRIEND_DELETE, NULL, A_INT(a), A_INT(b)); }
static enum srv_err op_friend_check(struct store_conn *c, int64_t a, int64_t b) { return RUN(c, Q_FRIEND_CHECK, NULL, A_INT(a), A_INT(b)); }
static enum srv_err op_users_share_thread(struct store_conn *c, int64_t a, int64_t b) { return RUN(c, Q_SHARE_THREAD, NULL, A_INT(a), A_INT(b)); }

static enum srv_err op_friend_list(struct store_conn *c, int64_t user, store_friend_cb cb, void *arg)
{
	struct relay r = {.cb.friend = cb, .arg = arg};
	return EACH(c, Q_FRIEND_LIST, relay_friend, &r, A_INT(user));
}

/* ---- devices -------------------------------------------------------------------------------------------- */

static enum srv_err op_device_insert(struct store_conn *c, struct store_device *d)
{
	return RUN(c, Q_DEVICE_INSERT, &d->id, A_TEXT(d->public_id), A_INT(d->user_id), A_TEXT(d->name), A_TEXT(d->sign_pk),
		   A_TEXT(d->box_pk), A_INT(d->created_at), A_INT(d->grant_id), A_TEXT(d->reg_sig));
}

static enum srv_err op_device_by_public(struct store_conn *c, const char *p, struct store_device *o) { return RUN(c, Q_DEVICE_BY_PUBLIC, o, A_TEXT(p)); }

static enum srv_err op_device_by_key(struct store_conn *c, int64_t user, const char *spk, struct store_device *o)
{
	return RUN(c, Q_DEVICE_BY_KEY, o, A_INT(user), A_TEXT(spk));
}

static enum srv_err op_device_for_grant(struct store_conn *c, int64_t grant, struct store_device *o) { return RUN(c, Q_DEVICE_FOR_GRANT, o, A_INT(grant)); }

static enum srv_err op_devices_remove_grant(struct store_conn *c, int64_t grant, int64_t now)
{
	return RUN(c, Q_DEVICES_REMOVE_GRANT, NULL, A_INT(grant), A_INT(now));
}

static enum srv_err op_device_delete(struct store_conn *c, int64_t id) { return RUN(c, Q_DEVICE_DELETE, NULL, A_INT(id), A_INT(now_ms())); }

static enum srv_err op_device_list_user(struct store_conn *c, int64_t user, store_device_cb cb, void *arg)
{
	struct relay r = {.cb.device = cb, .arg = arg};
	return EACH(c, Q_DEVICE_LIST_USER, relay_device, &r, A_INT(user));
}

static enum srv_err op_device_list_thread(struct store_conn *c, int64_t thread, store_device_cb cb, void *arg)
{
	struct relay r = {.cb.device = cb, .arg = arg};
	return EACH(c, Q_DEVICE_LIST_THREAD, relay_device, &r, A_INT(thread));
}

/* ---- threads -------------------------------------------------------------------------------------------- */

static enum srv_err op_thread_insert(struct store_conn *c, struct store_thread *t, const char *direct_key)
{
	enum srv_err rc = RUN(c, Q_THREAD_INSERT, &t->id, A_TEXT(t->public_id), A_INT(t->kind), A_TEXT(direct_key),
			      A_INT(t->creator), A_INT(t->created_at), A_INT(t->app_id));
	if (rc == SRV_E_OK) {
		t->last_seq = 0;
		t->last_activity = t->created_at;
	}
	return rc;
}

static enum srv_err op_thread_by_direct_key(struct store_conn *c, const char *key, struct store_thread *o)
{
	return RUN(c, Q_THREAD_BY_DIRECT, o, A_TEXT(key));
}

static enum srv_err op_thread_for_member(struct store_conn *c, const char *p, int64_t user, struct store_thread *o)
{
	return RUN(c, Q_THREAD_FOR_MEMBER, o, A_TEXT(p), A_INT(user));
}

static enum srv_err op_thread_by_id_for_member(struct store_conn *c, int64_t id, int64_t user, struct store_thread *o)
{
	return RUN(c, Q_THREAD_ID_FOR_MEMBER, o, A_INT(id), A_INT(user));
}

static enum srv_err op_thread_list_for_user(struct store_conn *c, int64_t user, int64_t before_activity, int64_t before_id,
					    int limit, store_thread_cb cb, void *arg)
{
	struct relay r = {.cb.thread = cb, .arg = arg};
	return EACH(c, Q_THREAD_LIST, relay_thread, &r, A_INT(user), A_INT(before_activity), A_INT(before_id), A_INT(limit));
}

static enum srv_err op_member_add(struct store_conn *c, int64_t thread, int64_t user, int64_t joined)
{
	return RUN(c, Q_MEMBER_ADD, NULL, A_INT(thread), A_INT(user), A_INT(joined));
}

static enum srv_err op_member_remove(struct store_conn *c, int64_t thread, int64_t user) { return RUN(c, Q_MEMBER_REMOVE, NULL, A_INT(thread), A_INT(user)); }

static enum srv_err op_member_list(struct store_conn *c, int64_t thread, store_member_cb cb, void *arg)
{
	struct relay r = {.cb.member = cb, .arg = arg};
	return EACH(c, Q_MEMBER_LIST, relay_member, &r, A_INT(thread));
}

static enum srv_err op_member_mark_read(struct store_conn *c, int64_t thread, int64_t user, int64_t seq, int64_t *out)
{
	return RUN(c, Q_MEMBER_READ, out, A_INT(thread), A_INT(user), A_INT(seq));
}

static enum srv_err op_thread_next_seq(struct store_conn *c, int64_t thread, int64_t now, int64_t *seq)
{
	return RUN(c, Q_THREAD_NEXT_SEQ, seq, A_INT(thread), A_INT(now));
}

/* ---- messages ------------------------------------------------------------------------------------------- */

static enum srv_err op_message_insert(struct store_conn *c, struct store_message *m)
{
	return RUN(c, Q_MESSAGE_INSERT, &m->id, A_TEXT(m->public_id), A_INT(m->thread_id), A_INT(m->seq), A_INT(m->sender_id),
		   A_INT(m->sender_device), A_TEXT(m->client_msg_id), A_TEXT(m->kind), A_TEXTN(m->body, m->body_len),
		   A_INT(m->created_at), A_INT(m->app_id), A_INT(m->grant_id), A_TEXT(m->item));
}

static enum srv_err op_message_by_client_id(struct store_conn *c, int64_t sender, const char *cmid, struct store_message *o)
{
	return RUN(c, Q_MESSAGE_BY_CLIENT, o, A_INT(sender), A_TEXT(cmid));
}

static enum srv_err op_message_by_public(struct store_conn *c, int64_t thread, const char *p, struct store_message *o)
{
	return RUN(c, Q_MESSAGE_BY_PUBLIC, o, A_INT(thread), A_TEXT(p));
}

static enum srv_err op_message_by_id(struct store_conn *c, int64_t id, store_message_cb cb, void *arg)
{
	struct relay r = {.cb.message = cb, .arg = arg};
	return EACH(c, Q_MESSAGE_BY_ID, relay_message, &r, A_INT(id));
}

static enum srv_err op_message_erase(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_MESSAGE_ERASE, NULL, A_INT(id), A_INT(now)); }

static enum srv_err op_message_list(struct store_conn *c, int64_t thread, int64_t min_seq, int64_t after, int64_t before,
				    int limit, int newest, store_message_cb cb, void *arg)
{
	struct relay r = {.cb.message = cb, .arg = arg};
	return EACH(c, newest ? Q_MESSAGE_LIST_DESC : Q_MESSAGE_LIST_ASC, relay_message, &r, A_INT(thread), A_INT(min_seq),
		    A_INT(after), A_INT(before), A_INT(limit));
}

/* ---- events --------------------------------------------------------------------------------------------- */

static enum srv_err op_event_append(struct store_conn *c, struct store_event *e)
{
	enum srv_err rc = RUN(c, Q_EVENT_SEQ_NEXT, &e->seq, A_INT(e->user_id));
	if (rc != SRV_E_OK)
		return rc == SRV_E_NOT_FOUND ? SRV_E_STORAGE : rc;
	return RUN(c, Q_EVENT_APPEND, &e->id, A_INT(e->user_id), A_INT(e->seq), A_INT(e->device_id), A_TEXT(e->type),
		   A_INT(e->ref_id), A_TEXT(e->data), A_INT(e->created_at));
}

static enum srv_err op_event_list(struct store_conn *c, int64_t user, int64_t device, int64_t since, int limit,
				  store_event_cb cb, void *arg)
{
	struct relay r = {.cb.event = cb, .arg = arg};
	return EACH(c, Q_EVENT_LIST, relay_event, &r, A_INT(user), A_INT(device), A_INT(since), A_INT(limit));
}

static enum srv_err op_event_prune_to_device(struct store_conn *c, int64_t device, int64_t upto)
{
	return RUN(c, Q_EVENT_PRUNE, NULL, A_INT(device), A_INT(upto));
}

static enum srv_err op_event_count_to_device(struct store_conn *c, int64_t device, int64_t upto, int64_t *out)
{
	return RUN(c, Q_EVENT_COUNT_DEV, out, A_INT(device), A_INT(upto));
}

static enum srv_err op_event_last_seq(struct store_conn *c, int64_t user, int64_t *out)
{
	return RUN(c, Q_EVENT_LAST, out, A_INT(user));
}

static enum srv_err op_bus_notify(struct store_conn *c, const char *channel, const char *payload)
{
	return RUN(c, Q_BUS_NOTIFY, NULL, A_TEXT(channel), A_TEXT(payload));
}

/* ---- the partner platform ------------------------------------------------------------------------------- */

static enum srv_err op_app_insert(struct store_conn *c, struct store_app *a)
{
	return RUN(c, Q_APP_INSERT, &a->id, A_TEXT(a->client_id), A_TEXT(a->name), A_BLOB(a->has_secret ? a->secret_hash : NULL, 32),
		   A_TEXT(a->redirect_uris), A_TEXT(a->scopes), A_INT(a->rate_person), A_INT(a->rate_app),
		   A_INT(a->rate_recipient), A_INT(a->created_at), A_TEXT(a->homepage), A_TEXT(a->privacy_url));
}

static enum srv_err op_app_by_client_id(struct store_conn *c, const char *cid, struct store_app *o) { return RUN(c, Q_APP_BY_CLIENT, o, A_TEXT(cid)); }
static enum srv_err op_app_by_id(struct store_conn *c, int64_t id, struct store_app *o) { return RUN(c, Q_APP_BY_ID, o, A_INT(id)); }

static enum srv_err op_app_list(struct store_conn *c, store_app_cb cb, void *arg)
{
	struct relay r = {.cb.app = cb, .arg = arg};
	return query_run(c, Q_APP_LIST, QNOARGS, NULL, relay_app, &r);
}

/* suspending, resuming and deleting an app bump the generation, so every process ends that app's streams */
static enum srv_err app_generation_bump(struct store_conn *c)
{
	return query_run(c, Q_APP_GENERATION_BUMP, QNOARGS, NULL, NULL, NULL);
}

static enum srv_err op_app_set_suspended(struct store_conn *c, int64_t id, int sus)
{
	enum srv_err rc = RUN(c, Q_APP_SUSPEND, NULL, A_INT(id), A_INT(sus));
	return rc == SRV_E_OK ? app_generation_bump(c) : rc;
}

static enum srv_err op_app_generation(struct store_conn *c, int64_t *out) { return query_run(c, Q_APP_GENERATION, QNOARGS, out, NULL, NULL); }

static enum srv_err op_alias_get(struct store_conn *c, int64_t app, int64_t user, char *out, size_t cap)
{
	struct value_take t = {(unsigned char *)out, cap, 1, NULL, 0, SRV_E_OK};
	return value_get(c, Q_ALIAS_GET, QARGS(A_INT(app), A_INT(user)), &t);
}

static enum srv_err op_alias_set(struct store_conn *c, int64_t app, int64_t user, const char *alias)
{
	if (alias == NULL)
		return RUN(c, Q_ALIAS_DELETE, NULL, A_INT(app), A_INT(user));
	return RUN(c, Q_ALIAS_SET, NULL, A_INT(app), A_INT(user), A_TEXT(alias));
}

static enum srv_err op_app_set_secret(struct store_conn *c, int64_t id, const unsigned char hash[32])
{
	return RUN(c, Q_APP_SECRET, NULL, A_INT(id), A_BLOB(hash, 32));
}

/* An app and everything of it: tokens revoked, app devices removed, grants revoked, the names people chose for
 * it, the app itself (NOT_FOUND when there is none), and the generation bumped. Each step takes ?1 = app, ?2 = now. */
static enum srv_err op_app_delete(struct store_conn *c, int64_t id)
{
	static const enum query_id steps[] = {Q_APP_DELETE_TOKENS, Q_APP_DELETE_DEVICES, Q_APP_DELETE_GRANTS,
					      Q_APP_DELETE_ALIASES, Q_APP_DELETE};
	const struct query_arg args[] = {A_INT(id), A_INT(now_ms())};
	enum srv_err rc = SRV_E_OK;
	size_t i;
	for (i = 0; rc == SRV_E_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
		rc = query_run(c, steps[i], args, 2, NULL, NULL, NULL);
	return rc == SRV_E_OK ? app_generation_bump(c) : rc;
}

static enum srv_err op_grant_insert(struct store_conn *c, struct store_grant *g)
{
	return RUN(c, Q_GRANT_INSERT, &g->id, A_TEXT(g->public_id), A_INT(g->app_id), A_INT(g->user_id), A_TEXT(g->scopes),
		   A_TEXT(g->details), A_INT(g->created_at), A_INT(g->expires_at));
}

static enum srv_err op_grant_by_id(struct store_conn *c, int64_t id, struct store_grant *o) { return RUN(c, Q_GRANT_BY_ID, o, A_INT(id)); }

static enum srv_err op_grant_by_public(struct store_conn *c, const char *p, int64_t user, struct store_grant *o)
{
	return RUN(c, Q_GRANT_BY_PUBLIC, o, A_TEXT(p), A_INT(user));
}

static enum srv_err op_grant_list_user(struct store_conn *c, int64_t user, store_grant_cb cb, void *arg)
{
	struct relay r = {.cb.grant = cb, .arg = arg};
	return EACH(c, Q_GRANT_LIST_USER, relay_grant, &r, A_INT(user), A_INT(now_ms()));
}

/* A grant revoked with its tokens and its app devices; each step takes ?1 = grant, ?2 = now. */
static enum srv_err op_grant_revoke(struct store_conn *c, int64_t id, int64_t now)
{
	static const enum query_id steps[] = {Q_GRANT_REVOKE, Q_GRANT_REVOKE_TOKENS, Q_DEVICES_REMOVE_GRANT};
	const struct query_arg args[] = {A_INT(id), A_INT(now)};
	enum srv_err rc = SRV_E_OK;
	size_t i;
	for (i = 0; rc == SRV_E_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
		rc = query_run(c, steps[i], args, 2, NULL, NULL, NULL);
	return rc;
}

static enum srv_err op_grant_touch(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_GRANT_TOUCH, NULL, A_INT(id), A_INT(now)); }

static enum srv_err op_grant_live_check(struct store_conn *c, int64_t app, int64_t user, const char *scope, int64_t now)
{
	return RUN(c, Q_GRANT_LIVE, NULL, A_INT(app), A_INT(user), A_TEXT(scope), A_INT(now));
}

static enum srv_err op_grant_thread_add(struct store_conn *c, int64_t g, int64_t t) { return RUN(c, Q_GRANT_THREAD_ADD, NULL, A_INT(g), A_INT(t)); }
static enum srv_err op_grant_thread_check(struct store_conn *c, int64_t g, int64_t t) { return RUN(c, Q_GRANT_THREAD_CHECK, NULL, A_INT(g), A_INT(t)); }
static enum srv_err op_share_permit_add(struct store_conn *c, int64_t g, int64_t u) { return RUN(c, Q_PERMIT_ADD, NULL, A_INT(g), A_INT(u)); }
static enum srv_err op_share_permit_check(struct store_conn *c, int64_t g, int64_t u) { return RUN(c, Q_PERMIT_CHECK, NULL, A_INT(g), A_INT(u)); }
static enum srv_err op_share_permit_remove(struct store_conn *c, int64_t g, int64_t u) { return RUN(c, Q_PERMIT_REMOVE, NULL, A_INT(g), A_INT(u)); }

static enum srv_err op_grant_thread_list(struct store_conn *c, int64_t grant, store_thread_cb cb, void *arg, int64_t user)
{
	struct relay r = {.cb.thread = cb, .arg = arg};
	return EACH(c, Q_GRANT_THREAD_LIST, relay_thread, &r, A_INT(grant), A_INT(user));
}

static enum srv_err op_code_insert(struct store_conn *c, const unsigned char hash[32], const struct store_code *code)
{
	return RUN(c, Q_CODE_INSERT, NULL, A_BLOB(hash, 32), A_INT(code->grant_id), A_INT(code->app_id),
		   A_TEXT(code->redirect_uri), A_TEXT(code->challenge), A_INT(code->expires_at));
}

static enum srv_err op_code_get(struct store_conn *c, const unsigned char hash[32], int64_t app, struct store_code *o)
{
	return RUN(c, Q_CODE_GET, o, A_BLOB(hash, 32), A_INT(app));
}

static enum srv_err op_code_use(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_CODE_USE, NULL, A_INT(id), A_INT(now)); }

static enum srv_err op_token_insert(struct store_conn *c, const unsigned char hash[32], struct store_token *t)
{
	return RUN(c, Q_TOKEN_INSERT, &t->id, A_BLOB(hash, 32), A_INT(t->kind), A_INT(t->app_id), A_INT(t->grant_id),
		   A_TEXT(t->scopes), A_INT(t->created_at), A_INT(t->expires_at));
}

static enum srv_err op_token_by_hash(struct store_conn *c, const unsigned char hash[32], struct store_token *o)
{
	return RUN(c, Q_TOKEN_GET, o, A_BLOB(hash, 32));
}

static enum srv_err op_token_by_id(struct store_conn *c, int64_t id, struct store_token *o) { return RUN(c, Q_TOKEN_BY_ID, o, A_INT(id)); }
static enum srv_err op_token_revoke(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_TOKEN_REVOKE, NULL, A_INT(id), A_INT(now)); }
static enum srv_err op_token_use(struct store_conn *c, int64_t id, int64_t now) { return RUN(c, Q_TOKEN_USE, NULL, A_INT(id), A_INT(now)); }

static enum srv_err op_pairwise_put(struct store_conn *c, int64_t app, int64_t user, const char *pid)
{
	return RUN(c, Q_PAIRWISE_PUT, NULL, A_INT(app), A_TEXT(pid), A_INT(user));
}

static enum srv_err op_pairwise_resolve(struct store_conn *c, int64_t app, const char *pid, int64_t *user)
{
	return RUN(c, Q_PAIRWISE_GET, user, A_INT(app), A_TEXT(pid));
}

static enum srv_err op_share_insert(struct store_conn *c, const char *pid, int64_t app, int64_t grant, int64_t sender,
				    int64_t recipient, int64_t thread, int64_t message, const char *item, int64_t now)
{
	return RUN(c, Q_SHARE_INSERT, NULL, A_TEXT(pid), A_INT(app), A_INT(grant), A_INT(sender), A_INT(recipient),
		   A_INT(thread), A_INT(message), A_TEXT(item), A_INT(now));
}

static enum srv_err op_share_for_recipient(struct store_conn *c, const char *pid, int64_t recipient, int64_t *share_id, int64_t *app_id)
{
	struct share_ref_row row;
	enum srv_err rc = RUN(c, Q_SHARE_FOR_RECIPIENT, &row, A_TEXT(pid), A_INT(recipient));
	if (rc == SRV_E_OK) {
		*share_id = row.share_id;
		*app_id = row.app_id;
	}
	return rc;
}

static enum srv_err op_click_insert(struct store_conn *c, int64_t share, int64_t user, int64_t now)
{
	return RUN(c, Q_CLICK_INSERT, NULL, A_INT(share), A_INT(user), A_INT(now));
}

static enum srv_err op_share_count(struct store_conn *c, int64_t app, int64_t sender, int64_t recipient, int64_t since, int64_t *out)
{
	return RUN(c, Q_SHARE_COUNT, out, A_INT(app), A_INT(sender), A_INT(recipient), A_INT(since));
}

static enum srv_err op_app_consent_set(struct store_conn *c, int64_t thread, int64_t user, int state, int64_t now,
					const unsigned char *stmt, size_t len)
{
	return RUN(c, Q_CONSENT_SET, NULL, A_INT(thread), A_INT(user), A_INT(state), A_INT(now), A_BLOB(stmt, len));
}

static enum srv_err op_app_consent_get(struct store_conn *c, int64_t thread, int64_t user, int *state, int64_t *since)
{
	struct consent_state_row row;
	enum srv_err rc = RUN(c, Q_CONSENT_GET, &row, A_INT(thread), A_INT(user));
	if (rc == SRV_E_OK) {
		*state = row.state;
		if (since)
			*since = row.at;
	}
	return rc;
}

static enum srv_err op_access_insert(struct store_conn *c, struct store_access_entry *e)
{
	enum srv_err rc = query_run(c, Q_TLOG_LOCK, QNOARGS, NULL, NULL, NULL); /* the number after the last one */
	if (rc != SRV_E_OK)
		return rc;
	return RUN(c, Q_ACCESS_INSERT, &e->seq, A_INT(e->user_id), A_INT(e->app_id), A_INT(e->grant_id), A_TEXT(e->action),
		   A_TEXT(e->thread_public_id), A_TEXT(e->message_public_id), A_INT(e->count), A_INT(e->at));
}

static enum srv_err op_access_list(struct store_conn *c, int64_t user, int64_t app, int64_t before, int limit, store_access_cb cb,
				   void *arg)
{
	struct relay r = {.cb.access = cb, .arg = arg};
	return EACH(c, Q_ACCESS_LIST, relay_access, &r, A_INT(user), A_INT(before), A_INT(limit), A_INT(app));
}

static enum srv_err op_report_rows(struct store_conn *c, int64_t app, int64_t from, int64_t to, int64_t cap, store_report_cb cb, void *arg)
{
	struct relay r = {.cb.report = cb, .arg = arg};
	return EACH(c, Q_REPORT_ROWS, relay_report, &r, A_INT(app), A_INT(from), A_INT(to), A_INT(cap));
}

static enum srv_err op_report_settings_add(struct store_conn *c, int64_t app, const struct store_report_settings *rs)
{
	return RUN(c, Q_REPORT_SETTINGS_ADD, NULL, A_INT(app), A_INT(rs->since), A_TEXT(rs->mechanism), A_INT(rs->epsilon_e4),
		   A_INT(rs->delta_exp), A_INT(rs->k), A_INT(rs->cap));
}

static enum srv_err op_report_settings_at(struct store_conn *c, int64_t app, int64_t at, struct store_report_settings *out)
{
	return RUN(c, Q_REPORT_SETTINGS_AT, out, A_INT(app), A_INT(at));
}

static enum srv_err op_report_get(struct store_conn *c, int64_t app, const char *period, const char *format, char **out, size_t *len)
{
	struct value_take t = {NULL, 0, 0, NULL, 0, SRV_E_OK};
	enum srv_err rc = value_get(c, Q_REPORT_GET, QARGS(A_INT(app), A_TEXT(period), A_TEXT(format)), &t);
	*out = rc == SRV_E_OK ? (char *)t.dup : NULL;
	if (rc == SRV_E_OK)
		*len = t.len;
	else
		free(t.dup);
	return rc;
}

static enum srv_err op_report_put(struct store_conn *c, int64_t app, const char *period, const char *format, const char *body, size_t len)
{
	return RUN(c, Q_REPORT_PUT, NULL, A_INT(app), A_TEXT(period), A_TEXT(format), A_BLOB(body, len));
}

/* ---- signed statements (protocol version 2) ------------------------------------------------------------- */

static enum srv_err op_identity_get(struct store_conn *c, int64_t user, struct store_identity *out)
{
	return RUN(c, Q_IDENTITY_GET, out, A_INT(user));
}

static enum srv_err op_identity_put(struct store_conn *c, const struct store_identity *id)
{
	return RUN(c, Q_IDENTITY_PUT, NULL, A_INT(id->user_id), A_BLOB(id->id_pk, sizeof(id->id_pk)),
		   A_BLOB(id->statement, id->statement_len), A_BLOB(id->backup, id->backup_len), A_INT(id->created_at),
		   A_INT(id->changed_at));
}

static enum srv_err op_identity_drop_signatures(struct store_conn *c, int64_t user) { return RUN(c, Q_IDENTITY_DROP_SIGS, NULL, A_INT(user)); }

static enum srv_err op_device_set_cert(struct store_conn *c, int64_t device, const unsigned char *cert, size_t cert_len,
				       const unsigned char *box, size_t box_len)
{
	return RUN(c, Q_DEVICE_SET_CERT, NULL, A_INT(device), A_BLOB(cert, cert_len), A_BLOB(box, box_len), A_INT(box != NULL));
}

static enum srv_err op_revocation_add(struct store_conn *c, int64_t user, int64_t device, const unsigned char *stmt, size_t len,
				      int64_t now)
{
	return RUN(c, Q_REVOCATION_ADD, NULL, A_INT(user), A_INT(device), A_BLOB(stmt, len), A_INT(now));
}

static enum srv_err op_revocation_list(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg)
{
	struct relay r = {.cb.statement = cb, .arg = arg};
	return EACH(c, Q_REVOCATION_LIST, relay_statement, &r, A_INT(user));
}

static enum srv_err op_contact_add(struct store_conn *c, int64_t user, const unsigned char *stmt, size_t len, int64_t now)
{
	return RUN(c, Q_CONTACT_ADD, NULL, A_INT(user), A_BLOB(stmt, len), A_INT(now));
}

static enum srv_err op_contact_count(struct store_conn *c, int64_t user, int64_t *out) { return RUN(c, Q_CONTACT_COUNT, out, A_INT(user)); }

static enum srv_err op_contact_list(struct store_conn *c, int64_t user, store_statement_cb cb, void *arg)
{
	struct relay r = {.cb.statement = cb, .arg = arg};
	return EACH(c, Q_CONTACT_LIST, relay_statement, &r, A_INT(user));
}

/* A link appended when the chain is expect_length long (else CONFLICT): the thread's head moves, the link is kept. */
static enum srv_err op_chain_append(struct store_conn *c, int64_t thread, int64_t expect_length,
				    const unsigned char hash[STORE_HASH_LEN], const unsigned char *link, size_t len, int64_t now)
{
	int64_t length = 0;
	enum srv_err rc = RUN(c, Q_CHAIN_LENGTH, &length, A_INT(thread));
	if (rc == SRV_E_OK && length != expect_length)
		rc = SRV_E_CONFLICT;
	if (rc == SRV_E_OK)
		rc = RUN(c, Q_CHAIN_BUMP, NULL, A_INT(thread), A_INT(expect_length), A_BLOB(hash, STORE_HASH_LEN));
	if (rc == SRV_E_OK)
		rc = RUN(c, Q_CHAIN_INSERT, NULL, A_INT(thread), A_INT(expect_length + 1), A_BLOB(hash, STORE_HASH_LEN),
			 A_BLOB(link, len), A_INT(now));
	return rc;
}

static enum srv_err op_chain_list(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg)
{
	struct relay r = {.cb.statement = cb, .arg = arg};
	return EACH(c, Q_CHAIN_LIST, relay_statement, &r, A_INT(thread));
}

static enum srv_err op_prekey_put(struct store_conn *c, int64_t device, const struct store_prekey *k, int64_t now)
{
	enum srv_err rc = SRV_E_OK;
	if (k->kind == STORE_PREKEY_SIGNED)
		rc = RUN(c, Q_PREKEY_DROP_SIGNED, NULL, A_INT(device));
	if (rc == SRV_E_OK)
		rc = RUN(c, Q_PREKEY_INSERT, NULL, A_INT(device), A_INT(k->kind), A_INT(k->key_id), A_BLOB(k->statement, k->len),
			 A_INT(now));
	return rc;
}

static enum srv_err op_prekey_count(struct store_conn *c, int64_t device, int64_t *one_time, int64_t *signed_key_id)
{
	struct prekey_count_row row;
	enum srv_err rc = RUN(c, Q_PREKEY_COUNT, &row, A_INT(device));
	if (rc == SRV_E_OK) {
		*one_time = row.one_time;
		*signed_key_id = row.signed_key_id;
	}
	return rc == SRV_E_NOT_FOUND ? SRV_E_STORAGE : rc; /* the counts always make a row */
}

static enum srv_err op_prekey_signed(struct store_conn *c, int64_t device, struct store_prekey *out)
{
	struct prekey_row row;
	enum srv_err rc = RUN(c, Q_PREKEY_SIGNED, &row, A_INT(device));
	if (rc == SRV_E_OK)
		*out = row.key;
	return rc;
}

/* The oldest one-time prekey, deleted as it is given out. */
static enum srv_err op_prekey_take_one_time(struct store_conn *c, int64_t device, struct store_prekey *out)
{
	struct prekey_row row;
	enum srv_err rc = RUN(c, Q_PREKEY_OLDEST, &row, A_INT(device));
	if (rc == SRV_E_OK) {
		*out = row.key;
		rc = RUN(c, Q_PREKEY_DELETE, NULL, A_INT(row.id));
	}
	return rc;
}

static enum srv_err op_prekey_delete_device(struct store_conn *c, int64_t device) { return RUN(c, Q_PREKEY_DELETE_DEVICE, NULL, A_INT(device)); }

static enum srv_err op_app_statement_set(struct store_conn *c, int64_t device, int which, const unsigned char *stmt, size_t len)
{
	if (which != STORE_APP_AUTH && which != STORE_APP_REVOKE)
		return SRV_E_INTERNAL;
	return RUN(c, which == STORE_APP_AUTH ? Q_APP_AUTH_SET : Q_APP_REVOKE_SET, NULL, A_INT(device), A_BLOB(stmt, len));
}

static enum srv_err op_app_statement_get(struct store_conn *c, int64_t device, int which, unsigned char **out, size_t *len)
{
	struct value_take t = {NULL, 0, 0, NULL, 0, SRV_E_OK};
	enum srv_err rc;
	*out = NULL;
	*len = 0;
	if (which != STORE_APP_AUTH && which != STORE_APP_REVOKE)
		return SRV_E_INTERNAL;
	rc = value_get(c, which == STORE_APP_AUTH ? Q_APP_AUTH_GET : Q_APP_REVOKE_GET, QARGS(A_INT(device)), &t);
	if (rc == SRV_E_OK) {
		*out = t.dup;
		*len = t.len;
	} else {
		free(t.dup);
	}
	return rc;
}

static enum srv_err op_device_by_public_any(struct store_conn *c, const char *public_id, struct store_device *out)
{
	return RUN(c, Q_DEVICE_BY_PUBLIC_ANY, out, A_TEXT(public_id));
}

static enum srv_err op_app_device_list_user(struct store_conn *c, int64_t user, store_device_cb cb, void *arg)
{
	struct relay r = {.cb.device = cb, .arg = arg};
	return EACH(c, Q_APP_DEVICE_LIST, relay_device, &r, A_INT(user));
}

static enum srv_err op_app_consent_list(struct store_conn *c, int64_t thread, store_statement_cb cb, void *arg)
{
	struct relay r = {.cb.statement = cb, .arg = arg};
	return EACH(c, Q_CONSENT_LIST, relay_statement, &r, A_INT(thread));
}

/* ---- leaving and joining -------------------------------------------------------------------------------- */

/* Every statement of the cascade takes ?1 = user and, if it needs it, ?2 = now. The user row goes first: a
 * second deletion finds no live account (NOT_FOUND) and changes nothing. */
static enum srv_err op_account_delete(struct store_conn *c, int64_t user, int64_t now, int64_t free_at)
{
	static const enum query_id steps[] = {
		Q_ACCOUNT_SESSIONS, Q_ACCOUNT_PREKEYS, Q_ACCOUNT_DEVICES, Q_ACCOUNT_IDENTITY, Q_ACCOUNT_REVOCATIONS,
		Q_ACCOUNT_CONTACTS, Q_ACCOUNT_FRIENDS, Q_ACCOUNT_FREQS, Q_ACCOUNT_MEMBERS, Q_ACCOUNT_CONSENTS,
		Q_ACCOUNT_EVENTS, Q_ACCOUNT_TO_DEVICE, Q_ACCOUNT_MESSAGES, Q_ACCOUNT_TOKENS, Q_ACCOUNT_CODES,
		Q_ACCOUNT_GRANT_THREADS, Q_ACCOUNT_PERMITS, Q_ACCOUNT_GRANTS, Q_ACCOUNT_PAIRWISE, Q_ACCOUNT_ACCESS,
		Q_ACCOUNT_CLICKS, Q_ACCOUNT_SHARES, Q_ACCOUNT_ALIASES,
	};
	const struct query_arg args[] = {A_INT(user), A_INT(now), A_INT(free_at)};
	enum srv_err rc = query_run(c, Q_ACCOUNT_USER, args, 3, NULL, NULL, NULL);
	size_t i;
	for (i = 0; rc == SRV_E_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
		rc = query_run(c, steps[i], args, 2, NULL, NULL, NULL);
	return rc;
}

static enum srv_err op_account_live(struct store_conn *c, int64_t user) { return RUN(c, Q_ACCOUNT_LIVE, NULL, A_INT(user)); }

static enum srv_err op_invite_insert(struct store_conn *c, const unsigned char hash[32], int64_t now, int64_t expires_at)
{
	return RUN(c, Q_INVITE_INSERT, NULL, A_BLOB(hash, 32), A_INT(now), A_INT(expires_at));
}

static enum srv_err op_invite_use(struct store_conn *c, const unsigned char hash[32], int64_t user, int64_t now)
{
	return RUN(c, Q_INVITE_USE, NULL, A_BLOB(hash, 32), A_INT(user), A_INT(now));
}

/* ---- the transparency log ------------------------------------------------------------------------------- */

static enum srv_err op_tlog_lock(struct store_conn *c) { return query_run(c, Q_TLOG_LOCK, QNOARGS, NULL, NULL, NULL); }
static enum srv_err op_tlog_size(struct store_conn *c, int64_t *out) { return query_run(c, Q_TLOG_SIZE, QNOARGS, out, NULL, NULL); }

static enum srv_err op_tlog_leaf_put(struct store_conn *c, int64_t idx, const unsigned char *leaf, size_t len,
				     const unsigned char entry[STORE_HASH_LEN], int64_t at)
{
	return RUN(c, Q_TLOG_LEAF_PUT, NULL, A_INT(idx), A_BLOB(leaf, len), A_BLOB(entry, STORE_HASH_LEN), A_INT(at));
}

static enum srv_err op_tlog_leaf_get(struct store_conn *c, int64_t idx, unsigned char *leaf, size_t cap, size_t *len)
{
	struct value_take t = {leaf, cap, 0, NULL, 0, SRV_E_OK};
	enum srv_err rc = value_get(c, Q_TLOG_LEAF_GET, QARGS(A_INT(idx)), &t);
	if (rc == SRV_E_OK)
		*len = t.len;
	return rc;
}

static enum srv_err op_tlog_cosig_latest(struct store_conn *c, int64_t *size)
{
	return query_run(c, Q_TLOG_COSIG_LATEST, QNOARGS, size, NULL, NULL);
}

static enum srv_err op_tlog_find(struct store_conn *c, const unsigned char entry[STORE_HASH_LEN], int64_t below, int64_t *idx)
{
	return RUN(c, Q_TLOG_FIND, idx, A_BLOB(entry, STORE_HASH_LEN), A_INT(below));
}

static enum srv_err op_tlog_node_put(struct store_conn *c, int level, int64_t idx, const unsigned char hash[STORE_HASH_LEN])
{
	return RUN(c, Q_TLOG_NODE_PUT, NULL, A_INT(level), A_INT(idx), A_BLOB(hash, STORE_HASH_LEN));
}

/* A 32-byte value of one row into out: NOT_FOUND without one, STORAGE for a value of another length. */
static enum srv_err hash_get(struct store_conn *c, enum query_id id, const struct query_arg *args, size_t n,
			     unsigned char out[STORE_HASH_LEN])
{
	struct value_take t = {out, STORE_HASH_LEN, 0, NULL, 0, SRV_E_OK};
	enum srv_err rc = value_get(c, id, args, n, &t);
	return rc == SRV_E_OK && t.len != STORE_HASH_LEN ? SRV_E_STORAGE : rc;
}

static enum srv_err op_tlog_node_get(struct store_conn *c, int level, int64_t idx, unsigned char hash[STORE_HASH_LEN])
{
	return hash_get(c, Q_TLOG_NODE_GET, QARGS(A_INT(level), A_INT(idx)), hash);
}

static enum srv_err op_tlog_cosig_put(struct store_conn *c, int64_t size, const char *witness, const char *line, int64_t at)
{
	return RUN(c, Q_TLOG_COSIG_PUT, NULL, A_INT(size), A_TEXT(witness), A_TEXT(line), A_INT(at));
}

static enum srv_err op_tlog_cosig_list(struct store_conn *c, int64_t size, store_statement_cb cb, void *arg)
{
	struct relay r = {.cb.statement = cb, .arg = arg};
	return EACH(c, Q_TLOG_COSIG_LIST, relay_statement, &r, A_INT(size));
}

/* The person's log key, set to fresh first when there is none yet (and fresh is not NULL). */
static enum srv_err op_user_log_key(struct store_conn *c, int64_t user, const unsigned char *fresh, unsigned char out[STORE_HASH_LEN])
{
	enum srv_err rc = hash_get(c, Q_USER_LOG_KEY_GET, QARGS(A_INT(user)), out);
	if (rc == SRV_E_NOT_FOUND && fresh) {
		rc = RUN(c, Q_USER_LOG_KEY_SET, NULL, A_INT(user), A_BLOB(fresh, STORE_HASH_LEN));
		if (rc == SRV_E_OK)
			rc = hash_get(c, Q_USER_LOG_KEY_GET, QARGS(A_INT(user)), out);
	}
	return rc;
}

/* ---- the backends: a driver each, the operations above shared ------------------------------------------ */

#define STORE_OPS_SHARED                                                                                     \
	.close = op_close, .conn_open = op_conn_open, .conn_close = op_conn_close, .begin = op_begin,            \
	.begin_group = op_begin_group,                                                                           \
	.commit = op_commit, .rollback = op_rollback, .savepoint = op_savepoint, .release = op_release,          \
	.rollback_to = op_rollback_to, .read_begin = op_read_begin,                  \
	.read_end = op_read_end,                                                                                 \
	.user_insert = op_user_insert, .user_set_password = op_user_set_password, .user_by_name = op_user_by_name, \
	.user_by_public = op_user_by_public, .user_by_id = op_user_by_id, .session_insert = op_session_insert,   \
	.session_by_hash = op_session_by_hash, .session_delete = op_session_delete,                              \
	.session_delete_others = op_session_delete_others, .session_alive = op_session_alive,                    \
	.session_list_user = op_session_list_user, .session_bind_device = op_session_bind_device,                \
	.session_unbind_device = op_session_unbind_device, .freq_get_pair = op_freq_get_pair,                    \
	.freq_by_public = op_freq_by_public, .freq_insert = op_freq_insert, .freq_set_state = op_freq_set_state, \
	.freq_delete_pair = op_freq_delete_pair, .freq_list_pending = op_freq_list_pending,                      \
	.friend_insert = op_friend_insert, .friend_delete = op_friend_delete, .friend_check = op_friend_check,   \
	.friend_list = op_friend_list, .device_insert = op_device_insert, .device_by_public = op_device_by_public, \
	.device_by_key = op_device_by_key, .device_for_grant = op_device_for_grant,                              \
	.devices_remove_grant = op_devices_remove_grant, .device_delete = op_device_delete,                      \
	.device_list_user = op_device_list_user, .device_list_thread = op_device_list_thread,                    \
	.users_share_thread = op_users_share_thread, .thread_insert = op_thread_insert,                          \
	.thread_by_direct_key = op_thread_by_direct_key, .thread_for_member = op_thread_for_member,              \
	.thread_by_id_for_member = op_thread_by_id_for_member, .thread_list_for_user = op_thread_list_for_user,  \
	.member_add = op_member_add, .member_remove = op_member_remove, .member_list = op_member_list,           \
	.member_mark_read = op_member_mark_read, .thread_next_seq = op_thread_next_seq,                          \
	.message_insert = op_message_insert, .message_by_client_id = op_message_by_client_id,                    \
	.message_by_public = op_message_by_public, .message_by_id = op_message_by_id,                            \
	.message_erase = op_message_erase, .message_list = op_message_list, .event_append = op_event_append,     \
	.event_list = op_event_list, .event_prune_to_device = op_event_prune_to_device,                          \
	.event_count_to_device = op_event_count_to_device, .app_insert = op_app_insert,                          \
	.app_by_client_id = op_app_by_client_id, .app_by_id = op_app_by_id, .app_list = op_app_list,             \
	.app_set_suspended = op_app_set_suspended, .app_set_secret = op_app_set_secret,                          \
	.app_delete = op_app_delete, .app_generation = op_app_generation, .alias_get = op_alias_get,             \
	.alias_set = op_alias_set, .grant_insert = op_grant_insert, .grant_by_id = op_grant_by_id,               \
	.grant_by_public = op_grant_by_public, .grant_list_user = op_grant_list_user,                            \
	.grant_revoke = op_grant_revoke, .grant_touch = op_grant_touch, .grant_live_check = op_grant_live_check, \
	.grant_thread_add = op_grant_thread_add, .grant_thread_check = op_grant_thread_check,                    \
	.grant_thread_list = op_grant_thread_list, .share_permit_add = op_share_permit_add,                      \
	.share_permit_check = op_share_permit_check, .share_permit_remove = op_share_permit_remove,               \
	.code_insert = op_code_insert, .code_get = op_code_get, .code_use = op_code_use,                         \
	.token_insert = op_token_insert, .token_by_hash = op_token_by_hash, .token_by_id = op_token_by_id,       \
	.token_revoke = op_token_revoke, .token_use = op_token_use, .pairwise_put = op_pairwise_put,             \
	.pairwise_resolve = op_pairwise_resolve, .share_insert = op_share_insert,                                \
	.share_for_recipient = op_share_for_recipient, .click_insert = op_click_insert,                          \
	.share_count = op_share_count, .app_consent_set = op_app_consent_set,                                    \
	.app_consent_get = op_app_consent_get, .access_insert = op_access_insert, .access_list = op_access_list, \
	.report_rows = op_report_rows, .report_settings_add = op_report_settings_add,                            \
	.report_settings_at = op_report_settings_at, .report_get = op_report_get, .report_put = op_report_put,   \
	.event_last_seq = op_event_last_seq, .bus_notify = op_bus_notify, .identity_get = op_identity_get, .identity_put = op_identity_put,     \
	.identity_drop_signatures = op_identity_drop_signatures, .device_set_cert = op_device_set_cert,          \
	.revocation_add = op_revocation_add, .revocation_list = op_revocation_list,                              \
	.contact_add = op_contact_add, .contact_count = op_contact_count, .contact_list = op_contact_list,        \
	.tlog_lock = op_tlog_lock, .tlog_size = op_tlog_size, .tlog_leaf_put = op_tlog_leaf_put, .tlog_leaf_get = op_tlog_leaf_get,         \
	.tlog_find = op_tlog_find, .tlog_node_put = op_tlog_node_put, .tlog_node_get = op_tlog_node_get,         \
	.tlog_cosig_put = op_tlog_cosig_put, .tlog_cosig_list = op_tlog_cosig_list,                              \
	.tlog_cosig_latest = op_tlog_cosig_latest, .user_log_key = op_user_log_key,                              \
	.chain_append = op_chain_append, .chain_list = op_chain_list, .prekey_put = op_prekey_put,               \
	.prekey_count = op_prekey_count, .prekey_signed = op_prekey_signed,                                      \
	.prekey_take_one_time = op_prekey_take_one_time, .prekey_delete_device = op_prekey_delete_device,        \
	.app_statement_set = op_app_statement_set, .app_statement_get = op_app_statement_get,                    \
	.app_device_list_user = op_app_device_list_user, .device_by_public_any = op_device_by_public_any,        \
	.app_consent_list = op_app_consent_list, .account_delete = op_account_delete,                            \
	.account_live = op_account_live, .invite_insert = op_invite_insert, .invite_use = op_invite_use

static enum srv_err sqlite_open(const struct store_options *opt, struct store **out)
{
	return store_open_with(&store_sqlite_driver, opt, out);
}

const struct store_ops store_sqlite_ops = {.name = "sqlite", .open = sqlite_open, STORE_OPS_SHARED};

static enum srv_err postgres_open(const struct store_options *opt, struct store **out)
{
	return store_open_with(&store_pg_driver, opt, out);
}

const struct store_ops store_postgres_ops = {.name = "postgresql", .open = postgres_open, STORE_OPS_SHARED};
