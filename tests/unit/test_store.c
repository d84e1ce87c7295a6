/*
 * test_store.c — the storage conformance suite: every operation of struct store_ops checked against its contract
 * comment in store.h (happy path, not found, conflicts, order and paging, what goes with a deletion), plus the
 * group-commit executor on top of the interface. scripts/check_store_coverage.py fails the test run when an
 * operation has no call here.
 *
 * The suite knows the interface and nothing of any engine: each test gets a fresh, empty store from open_store()
 * and gives it back with close_store(). Which engine is chosen once, in main(), from POSTERN_TEST_DATABASE:
 * unset or empty, SQLite in a temporary directory; otherwise the URL's scheme names a row of engines[]
 * ("sqlite", "postgresql://user@host/db"). A scheme this build has no engine for skips the suite with
 * one line, so the same file runs unchanged against every backend a build has.
 */
#include "unit.h"

#include "dbexec.h"
#include "store.h"

#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>

#include "schema.h"

/*
 * One engine the suite can run against: the scheme that names it in POSTERN_TEST_DATABASE, its backend, how to
 * make the options of a fresh, empty database from the variable's value (url; NULL when unset), and how to
 * discard that database once the store is closed. A new backend adds one row (under its build switch).
 */
struct engine {
	const char *scheme;
	const struct store_ops *ops;
	void (*fresh)(const char *url, struct store_options *o);
	void (*discard)(const struct store_options *o);
};

/* SQLite: a new directory under $TMPDIR (or /tmp) for each store; what the URL says after the scheme is unused. */
static char sqlite_dir[PATH_MAX], sqlite_path[PATH_MAX + 8];

static void sqlite_fresh(const char *url, struct store_options *o)
{
	const char *tmp = getenv("TMPDIR");
	(void)url;
	int n = snprintf(sqlite_dir, sizeof(sqlite_dir), "%s/postern-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(n > 0 && (size_t)n < sizeof(sqlite_dir));
	CHECK(mkdtemp(sqlite_dir) != NULL);
	snprintf(sqlite_path, sizeof(sqlite_path), "%s/t.db", sqlite_dir);
	o->path = sqlite_path;
	o->durable = 0;
}

static void sqlite_discard(const struct store_options *o)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char f[PATH_MAX + 16];
	size_t i;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(f, sizeof(f), "%s%s", o->path, suffixes[i]);
		unlink(f);
	}
	rmdir(sqlite_dir);
}

/*
 * PostgreSQL: the URL names a database the suite may write (scripts/test.sh starts one with scripts/pg.sh); each
 * store is a schema of its own in it, made here and dropped with everything in it afterwards, its name in the
 * URL's search_path so that the backend sees an empty database.
 */
static char pg_schema[64], pg_url[2048];
static const char *engine_url; /* the value of POSTERN_TEST_DATABASE (NULL: unset) */

static void pg_command(const char *url, const char *sql)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res = NULL;
	if (PQstatus(pg) != CONNECTION_OK)
		fprintf(stderr, "postgresql: %s", PQerrorMessage(pg));
	CHECK(PQstatus(pg) == CONNECTION_OK);
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fprintf(stderr, "postgresql: %s: %s", sql, PQresultErrorMessage(res));
	CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(pg);
}

static void pg_fresh(const char *url, struct store_options *o)
{
	static unsigned serial;
	char sql[128];
	int n;
	snprintf(pg_schema, sizeof(pg_schema), "pst_test_%ld_%u", (long)getpid(), serial++);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", pg_schema);
	pg_command(url, sql);
	n = snprintf(pg_url, sizeof(pg_url), "%s%soptions=-csearch_path%%3D%s", url, strchr(url, '?') ? "&" : "?", pg_schema);
	CHECK(n > 0 && (size_t)n < sizeof(pg_url));
	o->path = pg_url;
	o->durable = 0;
}

static void pg_discard(const struct store_options *o)
{
	char sql[128];
	(void)o;
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", pg_schema);
	pg_command(engine_url, sql);
}

static const struct engine engines[] = {
	{"sqlite", &store_sqlite_ops, sqlite_fresh, sqlite_discard},
	{"postgresql", &store_postgres_ops, pg_fresh, pg_discard},
	{"postgres", &store_postgres_ops, pg_fresh, pg_discard}, /* libpq takes both schemes */
};

/* The engine main() chose, the value of POSTERN_TEST_DATABASE (NULL: unset), and the store a test has open. */
static const struct engine *engine = &engines[0];
static struct store_options open_options;
static struct store *open_st;

/*
 * Choose the engine from POSTERN_TEST_DATABASE: 0 and `engine` set, or -1 when the variable names an engine this
 * build does not have (the scheme is printed into why, cap bytes).
 */
static int engine_select(char *why, size_t cap)
{
	const char *v = getenv("POSTERN_TEST_DATABASE");
	size_t i, n;
	if (v == NULL || *v == '\0')
		return 0;
	n = strcspn(v, ":");
	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		if (strlen(engines[i].scheme) == n && strncmp(engines[i].scheme, v, n) == 0) {
			engine = &engines[i];
			engine_url = v;
			return 0;
		}
	}
	snprintf(why, cap, "POSTERN_TEST_DATABASE names the engine \"%.*s\", which this build does not have", (int)n, v);
	return -1;
}

/* A fresh, empty store of the chosen engine, migrated; *ops is set to its backend. One open store per test. */
static struct store *open_store(const struct store_ops **ops)
{
	CHECK(open_st == NULL);
	memset(&open_options, 0, sizeof(open_options));
	engine->fresh(engine_url, &open_options);
	CHECK(engine->ops->open(&open_options, &open_st) == SRV_E_OK && open_st != NULL);
	*ops = engine->ops;
	return open_st;
}

/* Close the store open_store() gave, and discard its database. */
static void close_store(struct store *st)
{
	CHECK(st == open_st);
	engine->ops->close(st);
	engine->discard(&open_options);
	open_st = NULL;
}

static int64_t add_user(const struct store_ops *ops, struct store_conn *c, const char *name)
{
	struct store_user u = {0};
	snprintf(u.public_id, sizeof(u.public_id), "u_%s", name);
	snprintf(u.username, sizeof(u.username), "%s", name);
	snprintf(u.pw_hash, sizeof(u.pw_hash), "x");
	CHECK(ops->user_insert(c, &u) == SRV_E_OK);
	CHECK(u.id > 0);
	return u.id;
}

static int count_session(void *arg, const struct store_session *row)
{
	(*(int *)arg)++;
	return row->expires_at <= 0; /* never: every listed session is live */
}

static void users_sessions_friends(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_user u, dup = {0};
	struct store_session s = {0}, s2;
	unsigned char h[32] = {1};
	int64_t a, bb;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	snprintf(dup.public_id, sizeof(dup.public_id), "u_other");
	snprintf(dup.username, sizeof(dup.username), "alice");
	CHECK(ops->user_insert(c, &dup) == SRV_E_CONFLICT);
	CHECK(ops->user_by_name(c, "alice", &u) == SRV_E_OK && u.id == a);
	CHECK(ops->user_by_public(c, "u_bob", &u) == SRV_E_OK && u.id == bb);
	CHECK(ops->user_by_name(c, "carol", &u) == SRV_E_NOT_FOUND);

	s.user_id = a;
	s.created_at = 1;
	s.expires_at = 2;
	CHECK(ops->session_insert(c, h, &s) == SRV_E_OK);
	CHECK(ops->session_by_hash(c, h, &s2) == SRV_E_OK && s2.user_id == a && s2.device_id == 0);
	CHECK(ops->session_alive(c, s.id, 1) == SRV_E_OK);
	CHECK(ops->session_alive(c, s.id, 2) == SRV_E_NOT_FOUND); /* expired */
	CHECK(ops->session_delete(c, s.id) == SRV_E_OK);
	CHECK(ops->session_by_hash(c, h, &s2) == SRV_E_NOT_FOUND);
	CHECK(ops->session_alive(c, s.id, 1) == SRV_E_NOT_FOUND);

	/* a password change: the new hash, and every other session of the user ends */
	{
		struct store_session k = {0}, o = {0}, ob = {0};
		int listed = 0, none = 0;
		unsigned char hk[32] = {2}, ho[32] = {3}, hb[32] = {4};
		k.user_id = o.user_id = a;
		ob.user_id = bb;
		k.expires_at = o.expires_at = ob.expires_at = 100;
		CHECK(ops->session_insert(c, hk, &k) == SRV_E_OK && ops->session_insert(c, ho, &o) == SRV_E_OK &&
		      ops->session_insert(c, hb, &ob) == SRV_E_OK);
		CHECK(ops->user_set_password(c, a, "new-hash") == SRV_E_OK);
		CHECK(ops->user_by_id(c, a, &u) == SRV_E_OK && strcmp(u.pw_hash, "new-hash") == 0);
		CHECK(ops->user_set_password(c, 999999, "x") == SRV_E_NOT_FOUND);
		CHECK(ops->session_list_user(c, a, 1, count_session, &listed) == SRV_E_OK);
		CHECK_EQ_INT(listed, 2); /* k and o; s expired and was deleted; ob is bob's */
		CHECK(ops->session_list_user(c, a, 100, count_session, &none) == SRV_E_OK);
		CHECK_EQ_INT(none, 0); /* all of them expire at 100 */
		CHECK(ops->session_delete_others(c, a, k.id) == SRV_E_OK);
		CHECK(ops->session_alive(c, k.id, 1) == SRV_E_OK);
		CHECK(ops->session_alive(c, o.id, 1) == SRV_E_NOT_FOUND);
		CHECK(ops->session_alive(c, ob.id, 1) == SRV_E_OK); /* another user's */
	}

	CHECK(ops->friend_check(c, a, bb) == SRV_E_NOT_FOUND);
	CHECK(ops->friend_insert(c, a, bb, 5) == SRV_E_OK);
	CHECK(ops->friend_insert(c, bb, a, 5) == SRV_E_CONFLICT);
	CHECK(ops->friend_check(c, a, bb) == SRV_E_OK && ops->friend_check(c, bb, a) == SRV_E_OK);
	CHECK(ops->friend_delete(c, bb, a) == SRV_E_OK);
	CHECK(ops->friend_check(c, a, bb) == SRV_E_NOT_FOUND);
	CHECK(ops->friend_delete(c, bb, a) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

static void threads_messages_events(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_thread t = {0}, t2;
	struct store_message m = {0}, m2;
	struct store_event e = {0};
	int64_t a, bb, seq = 0, rs = 0, e1, e2, last = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	snprintf(t.public_id, sizeof(t.public_id), "t_1");
	t.kind = STORE_THREAD_DIRECT;
	t.creator = a;
	t.created_at = 10;
	CHECK(ops->thread_insert(c, &t, "1:2") == SRV_E_OK);
	snprintf(t2.public_id, sizeof(t2.public_id), "t_2");
	t2.kind = STORE_THREAD_DIRECT;
	t2.creator = a;
	t2.created_at = 10;
	CHECK(ops->thread_insert(c, &t2, "1:2") == SRV_E_CONFLICT);
	CHECK(ops->member_add(c, t.id, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t.id, a, 0) == SRV_E_CONFLICT);
	CHECK(ops->thread_for_member(c, "t_1", bb, &t2) == SRV_E_NOT_FOUND); /* not a member */
	CHECK(ops->member_add(c, t.id, bb, 0) == SRV_E_OK);
	CHECK(ops->thread_for_member(c, "t_1", bb, &t2) == SRV_E_OK && t2.id == t.id);

	CHECK(ops->thread_next_seq(c, t.id, 20, &seq) == SRV_E_OK && seq == 1);
	CHECK(ops->thread_next_seq(c, t.id, 15, &seq) == SRV_E_OK && seq == 2);
	CHECK(ops->thread_for_member(c, "t_1", a, &t2) == SRV_E_OK && t2.last_seq == 2 && t2.last_activity == 20);

	snprintf(m.public_id, sizeof(m.public_id), "m_1");
	m.thread_id = t.id;
	m.seq = 1;
	m.sender_id = a;
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "c1");
	snprintf(m.kind, sizeof(m.kind), "message");
	m.body = "Ym9keQ";
	m.body_len = 6;
	CHECK(ops->message_insert(c, &m) == SRV_E_OK);
	snprintf(m.public_id, sizeof(m.public_id), "m_2");
	m.seq = 2;
	CHECK(ops->message_insert(c, &m) == SRV_E_CONFLICT); /* same client_msg_id */
	CHECK(ops->message_by_client_id(c, a, "c1", &m2) == SRV_E_OK && m2.seq == 1);
	CHECK(ops->message_erase(c, m2.id, 30) == SRV_E_OK);
	CHECK(ops->message_by_public(c, t.id, "m_1", &m2) == SRV_E_OK && m2.deleted_at == 30);

	/* read marker: forward only, never past last_seq */
	CHECK(ops->member_mark_read(c, t.id, bb, 1, &rs) == SRV_E_OK && rs == 1);
	CHECK(ops->member_mark_read(c, t.id, bb, 0, &rs) == SRV_E_OK && rs == 1);
	CHECK(ops->member_mark_read(c, t.id, bb, 99, &rs) == SRV_E_OK && rs == 2);

	/* events: a user's numbers are 1, 2, 3..., never reused, even after the newest is pruned */
	CHECK(ops->event_last_seq(c, bb, &last) == SRV_E_OK && last == 0);
	e.user_id = bb;
	e.device_id = 7;
	snprintf(e.type, sizeof(e.type), "to_device");
	e.data = "{}";
	CHECK(ops->event_append(c, &e) == SRV_E_OK);
	e1 = e.seq;
	CHECK(e1 == 1 && e.id > 0);
	CHECK(ops->event_prune_to_device(c, 7, e1) == SRV_E_OK);
	e.device_id = 0;
	CHECK(ops->event_append(c, &e) == SRV_E_OK);
	e2 = e.seq;
	CHECK(e2 == 2);
	CHECK(ops->event_last_seq(c, bb, &last) == SRV_E_OK && last == e2);
	e.user_id = a; /* another user's log has its own numbers */
	CHECK(ops->event_append(c, &e) == SRV_E_OK && e.seq == 1);
	CHECK(ops->event_last_seq(c, bb, &last) == SRV_E_OK && last == e2);
	/* the bus's notification is a statement of the write transaction (nothing to see on SQLite) */
	CHECK(ops->bus_notify(c, "postern_test", "u:1") == SRV_E_OK);
	ops->conn_close(c);
	close_store(st);
}

/* ---- signed statements (protocol version 2) ---- */

struct collected {
	int n;
	int64_t seq[8];
	size_t len[8];
	unsigned char first[8]; /* first byte of each statement (0 when none) */
	int state[8];
	char user[8][STORE_ID_LEN];
	int removed[8];
	char device[8][STORE_ID_LEN];
};

static int collect_statement(void *arg, const struct store_statement *row)
{
	struct collected *k = arg;
	if (k->n < 8) {
		k->seq[k->n] = row->seq;
		k->len[k->n] = row->len;
		k->first[k->n] = row->bytes ? row->bytes[0] : 0;
		k->state[k->n] = row->state;
		snprintf(k->user[k->n], sizeof(k->user[0]), "%s", row->user_public_id);
	}
	k->n++;
	return 0;
}

static int collect_device(void *arg, const struct store_device *d)
{
	struct collected *k = arg;
	if (k->n < 8) {
		k->removed[k->n] = d->removed;
		snprintf(k->device[k->n], sizeof(k->device[0]), "%s", d->public_id);
	}
	k->n++;
	return 0;
}

static int64_t add_device(const struct store_ops *ops, struct store_conn *c, int64_t user, const char *pid, int64_t grant)
{
	struct store_device d = {0};
	snprintf(d.public_id, sizeof(d.public_id), "%s", pid);
	d.user_id = user;
	snprintf(d.name, sizeof(d.name), "dev");
	snprintf(d.sign_pk, sizeof(d.sign_pk), "spk-%s", pid);
	snprintf(d.box_pk, sizeof(d.box_pk), "bpk-%s", pid);
	snprintf(d.reg_sig, sizeof(d.reg_sig), "sig-%s", pid);
	d.grant_id = grant;
	CHECK(ops->device_insert(c, &d) == SRV_E_OK);
	return d.id;
}

static void identities_devices_contacts(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_identity id = {0}, got;
	struct store_device d;
	struct collected k;
	unsigned char cert[3] = {0x50, 2, 0x21}, box[2] = {0x50, 0x26}, stmt[4] = {0x50, 2, 0x22, 9};
	int64_t a, bb, d1, d2, n = -1;
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");

	/* identity: none, put, replace (every field), per user */
	CHECK(ops->identity_get(c, a, &got) == SRV_E_NOT_FOUND);
	id.user_id = a;
	memset(id.id_pk, 7, sizeof(id.id_pk));
	memcpy(id.statement, "stmt", 4);
	id.statement_len = 4;
	memcpy(id.backup, "bk", 2);
	id.backup_len = 2;
	id.created_at = id.changed_at = 10;
	CHECK(ops->identity_put(c, &id) == SRV_E_OK);
	CHECK(ops->identity_get(c, a, &got) == SRV_E_OK);
	CHECK(got.user_id == a && got.id_pk[31] == 7 && got.statement_len == 4 && memcmp(got.statement, "stmt", 4) == 0);
	CHECK(got.backup_len == 2 && got.created_at == 10 && got.changed_at == 10);
	memset(id.id_pk, 8, sizeof(id.id_pk));
	memcpy(id.backup, "new", 3);
	id.backup_len = 3;
	id.changed_at = 20;
	CHECK(ops->identity_put(c, &id) == SRV_E_OK);
	CHECK(ops->identity_get(c, a, &got) == SRV_E_OK && got.id_pk[0] == 8 && got.backup_len == 3 && got.changed_at == 20);
	CHECK(ops->identity_get(c, bb, &got) == SRV_E_NOT_FOUND);

	/* devices keep their registration signature; a certificate with or without a box */
	d1 = add_device(ops, c, a, "d_1", 0);
	d2 = add_device(ops, c, a, "d_2", 0);
	CHECK(ops->device_by_public(c, "d_1", &d) == SRV_E_OK);
	CHECK_EQ_STR(d.reg_sig, "sig-d_1");
	CHECK(d.cert_len == 0 && d.identity_box_len == 0);
	CHECK(ops->device_set_cert(c, d1, cert, sizeof(cert), box, sizeof(box)) == SRV_E_OK);
	CHECK(ops->device_set_cert(c, d2, cert, sizeof(cert), NULL, 0) == SRV_E_OK);
	CHECK(ops->device_by_public(c, "d_1", &d) == SRV_E_OK && d.cert_len == 3 && d.cert[2] == 0x21);
	CHECK(d.identity_box_len == 2 && d.identity_box[1] == 0x26);
	CHECK(ops->device_set_cert(c, d1, cert, 2, NULL, 0) == SRV_E_OK); /* box kept */
	CHECK(ops->device_by_public(c, "d_1", &d) == SRV_E_OK && d.cert_len == 2 && d.identity_box_len == 2);
	CHECK(ops->device_by_public(c, "d_2", &d) == SRV_E_OK && d.cert_len == 3 && d.identity_box_len == 0);
	/* an identity reset drops every signature of the account's devices */
	CHECK(ops->identity_drop_signatures(c, a) == SRV_E_OK);
	CHECK(ops->device_by_public(c, "d_1", &d) == SRV_E_OK && d.cert_len == 0 && d.identity_box_len == 0);
	CHECK(ops->device_delete(c, d2) == SRV_E_OK);
	CHECK(ops->device_set_cert(c, d2, cert, sizeof(cert), NULL, 0) == SRV_E_NOT_FOUND); /* removed */
	CHECK(ops->device_by_public(c, "d_2", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public_any(c, "d_2", &d) == SRV_E_OK && d.id == d2 && d.removed == 1 && d.cert_len == 0);
	CHECK(ops->device_by_public_any(c, "d_1", &d) == SRV_E_OK && d.id == d1 && d.removed == 0);
	CHECK_EQ_STR(d.reg_sig, "sig-d_1");
	CHECK(ops->device_by_public_any(c, "d_none", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_set_cert(c, 999999, cert, sizeof(cert), NULL, 0) == SRV_E_NOT_FOUND);

	/* revocations and contacts: appended, listed oldest first, per user */
	CHECK(ops->revocation_add(c, a, d2, stmt, sizeof(stmt), 30) == SRV_E_OK);
	stmt[3] = 10;
	CHECK(ops->revocation_add(c, a, d1, stmt, 3, 31) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->revocation_list(c, a, collect_statement, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.len[0] == 4 && k.len[1] == 3 && k.seq[0] < k.seq[1]);
	memset(&k, 0, sizeof(k));
	CHECK(ops->revocation_list(c, bb, collect_statement, &k) == SRV_E_OK && k.n == 0);
	CHECK(ops->contact_count(c, a, &n) == SRV_E_OK && n == 0);
	for (i = 1; i <= 3; i++) {
		stmt[0] = (unsigned char)i;
		CHECK(ops->contact_add(c, a, stmt, sizeof(stmt), 40 + i) == SRV_E_OK);
	}
	CHECK(ops->contact_add(c, bb, stmt, sizeof(stmt), 50) == SRV_E_OK);
	CHECK(ops->contact_count(c, a, &n) == SRV_E_OK && n == 3);
	memset(&k, 0, sizeof(k));
	CHECK(ops->contact_list(c, a, collect_statement, &k) == SRV_E_OK);
	CHECK(k.n == 3 && k.first[0] == 1 && k.first[1] == 2 && k.first[2] == 3);
	ops->conn_close(c);
	close_store(st);
}

static void chains_prekeys_apps(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_thread t = {0}, t2;
	struct store_app app = {0};
	struct store_grant g = {0}, g2 = {0};
	struct store_prekey pk = {0}, out;
	struct collected k;
	unsigned char h1[STORE_HASH_LEN], h2[STORE_HASH_LEN], link[5] = {0x50, 2, 0x30, 1, 2}, *bytes = NULL;
	int64_t a, bb, dev, app_dev, old_dev, gone_dev, one = -1, sig = 0;
	size_t len = 0;
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");

	/* a membership chain: appended only on top of the length the caller saw */
	snprintf(t.public_id, sizeof(t.public_id), "t_c");
	t.kind = STORE_THREAD_GROUP;
	t.creator = a;
	CHECK(ops->thread_insert(c, &t, NULL) == SRV_E_OK);
	CHECK(ops->member_add(c, t.id, a, 0) == SRV_E_OK);
	CHECK(ops->thread_for_member(c, "t_c", a, &t2) == SRV_E_OK && t2.chain_length == 0 && t2.chain_head[0] == 0);
	memset(h1, 1, sizeof(h1));
	memset(h2, 2, sizeof(h2));
	CHECK(ops->chain_append(c, t.id, 0, h1, link, sizeof(link), 5) == SRV_E_OK);
	CHECK(ops->chain_append(c, t.id, 0, h2, link, 3, 6) == SRV_E_CONFLICT); /* someone was first */
	CHECK(ops->chain_append(c, t.id, 1, h2, link, 3, 6) == SRV_E_OK);
	CHECK(ops->chain_append(c, 999999, 0, h2, link, 3, 6) == SRV_E_NOT_FOUND);
	CHECK(ops->thread_for_member(c, "t_c", a, &t2) == SRV_E_OK && t2.chain_length == 2 && t2.chain_head[5] == 2);
	memset(&k, 0, sizeof(k));
	CHECK(ops->chain_list(c, t.id, collect_statement, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.seq[0] == 1 && k.seq[1] == 2 && k.len[0] == 5 && k.len[1] == 3 && k.first[1] == 0x50);

	/* prekeys: one signed (replaced), one-time keys handed out oldest first, each once */
	dev = add_device(ops, c, a, "d_p", 0);
	CHECK(ops->prekey_count(c, dev, &one, &sig) == SRV_E_OK && one == 0 && sig == -1);
	CHECK(ops->prekey_signed(c, dev, &out) == SRV_E_NOT_FOUND);
	CHECK(ops->prekey_take_one_time(c, dev, &out) == SRV_E_NOT_FOUND);
	pk.kind = STORE_PREKEY_SIGNED;
	pk.key_id = 7;
	pk.len = 2;
	pk.statement[0] = 's';
	CHECK(ops->prekey_put(c, dev, &pk, 1) == SRV_E_OK);
	pk.key_id = 8;
	CHECK(ops->prekey_put(c, dev, &pk, 1) == SRV_E_OK);
	pk.kind = STORE_PREKEY_ONE_TIME;
	for (i = 1; i <= 3; i++) {
		pk.key_id = i;
		pk.statement[0] = (unsigned char)('0' + i);
		CHECK(ops->prekey_put(c, dev, &pk, 2) == SRV_E_OK);
	}
	CHECK(ops->prekey_put(c, dev, &pk, 2) == SRV_E_CONFLICT); /* key id 3 again while unused */
	CHECK(ops->prekey_count(c, dev, &one, &sig) == SRV_E_OK && one == 3 && sig == 8);
	CHECK(ops->prekey_signed(c, dev, &out) == SRV_E_OK && out.key_id == 8 && out.kind == STORE_PREKEY_SIGNED && out.len == 2);
	CHECK(ops->prekey_take_one_time(c, dev, &out) == SRV_E_OK && out.key_id == 1 && out.statement[0] == '1');
	CHECK(ops->prekey_take_one_time(c, dev, &out) == SRV_E_OK && out.key_id == 2);
	CHECK(ops->prekey_count(c, dev, &one, &sig) == SRV_E_OK && one == 1 && sig == 8);
	CHECK(ops->prekey_delete_device(c, dev) == SRV_E_OK);
	CHECK(ops->prekey_count(c, dev, &one, &sig) == SRV_E_OK && one == 0 && sig == -1);

	/* app devices: statements kept on them; listed while live, or removed with a signed revocation */
	snprintf(app.client_id, sizeof(app.client_id), "c_app");
	snprintf(app.name, sizeof(app.name), "App");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	snprintf(app.homepage, sizeof(app.homepage), "https://app.example/");
	CHECK(ops->app_insert(c, &app) == SRV_E_OK);
	{ /* the homepage and privacy URL come back as stored ("" when none) */
		struct store_app back;
		CHECK(ops->app_by_id(c, app.id, &back) == SRV_E_OK);
		CHECK_EQ_STR(back.homepage, "https://app.example/");
		CHECK_EQ_STR(back.privacy_url, "");
	}
	snprintf(g.public_id, sizeof(g.public_id), "g_1");
	g.app_id = app.id;
	g.user_id = a;
	snprintf(g.details, sizeof(g.details), "[]");
	g.expires_at = 1000;
	CHECK(ops->grant_insert(c, &g) == SRV_E_OK);
	/* share permits: picked, taken back (twice is fine) */
	CHECK(ops->share_permit_check(c, g.id, bb) == SRV_E_NOT_FOUND);
	CHECK(ops->share_permit_add(c, g.id, bb) == SRV_E_OK);
	CHECK(ops->share_permit_check(c, g.id, bb) == SRV_E_OK);
	CHECK(ops->share_permit_remove(c, g.id, bb) == SRV_E_OK);
	CHECK(ops->share_permit_remove(c, g.id, bb) == SRV_E_OK);
	CHECK(ops->share_permit_check(c, g.id, bb) == SRV_E_NOT_FOUND);
	g2 = g;
	snprintf(g2.public_id, sizeof(g2.public_id), "g_2");
	CHECK(ops->grant_insert(c, &g2) == SRV_E_OK);
	old_dev = add_device(ops, c, a, "d_old", g.id);
	CHECK(ops->devices_remove_grant(c, g.id, 3) == SRV_E_OK); /* replaced, not revoked: not listed */
	app_dev = add_device(ops, c, a, "d_app", g.id);
	gone_dev = add_device(ops, c, a, "d_gone", g2.id);
	CHECK(ops->app_statement_set(c, dev, STORE_APP_AUTH, link, 3) == SRV_E_NOT_FOUND); /* a person's device */
	CHECK(ops->app_statement_get(c, app_dev, STORE_APP_AUTH, &bytes, &len) == SRV_E_NOT_FOUND && bytes == NULL);
	CHECK(ops->app_statement_set(c, app_dev, STORE_APP_AUTH, link, 4) == SRV_E_OK);
	CHECK(ops->app_statement_set(c, app_dev, STORE_APP_AUTH, link, 5) == SRV_E_OK); /* replaced */
	CHECK(ops->app_statement_get(c, app_dev, STORE_APP_AUTH, &bytes, &len) == SRV_E_OK && len == 5 && bytes[2] == 0x30);
	free(bytes);
	CHECK(ops->app_statement_get(c, app_dev, STORE_APP_REVOKE, &bytes, &len) == SRV_E_NOT_FOUND);
	CHECK(ops->app_statement_set(c, gone_dev, STORE_APP_REVOKE, link, 2) == SRV_E_OK);
	CHECK(ops->grant_revoke(c, g2.id, 9) == SRV_E_OK); /* removes gone_dev */
	CHECK(ops->app_statement_get(c, gone_dev, STORE_APP_REVOKE, &bytes, &len) == SRV_E_OK && len == 2);
	free(bytes);
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_device_list_user(c, a, collect_device, &k) == SRV_E_OK);
	CHECK(k.n == 2);
	CHECK_EQ_STR(k.device[0], "d_gone");
	CHECK(k.removed[0] == 1);
	CHECK_EQ_STR(k.device[1], "d_app");
	CHECK(k.removed[1] == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_device_list_user(c, bb, collect_device, &k) == SRV_E_OK && k.n == 0);
	/* an identity reset drops app authorisations too */
	CHECK(ops->identity_drop_signatures(c, a) == SRV_E_OK);
	CHECK(ops->app_statement_get(c, app_dev, STORE_APP_AUTH, &bytes, &len) == SRV_E_NOT_FOUND);
	(void)old_dev;

	/* consents: the latest answer of each member, with its statement or none */
	CHECK(ops->app_consent_set(c, t.id, bb, 1, 5, link, 4) == SRV_E_OK);
	CHECK(ops->app_consent_set(c, t.id, a, 2, 6, NULL, 0) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_consent_list(c, t.id, collect_statement, &k) == SRV_E_OK && k.n == 2);
	CHECK_EQ_STR(k.user[0], "u_alice");
	CHECK(k.state[0] == 2 && k.len[0] == 0 && k.first[0] == 0);
	CHECK_EQ_STR(k.user[1], "u_bob");
	CHECK(k.state[1] == 1 && k.len[1] == 4 && k.first[1] == 0x50);
	CHECK(ops->app_consent_set(c, t.id, bb, 2, 7, NULL, 0) == SRV_E_OK); /* a later answer without one */
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_consent_list(c, t.id, collect_statement, &k) == SRV_E_OK && k.n == 2 && k.state[1] == 2 && k.len[1] == 0);
	ops->conn_close(c);
	close_store(st);
}

/* One item's counts from report_rows, by item. */
struct report_seen {
	int n;
	char item[8][STORE_ITEM_LEN];
	int64_t v[8][4];
};

static int collect_report_row(void *arg, const struct store_report_row *r)
{
	struct report_seen *k = arg;
	if (k->n < 8) {
		snprintf(k->item[k->n], sizeof(k->item[0]), "%s", r->item);
		k->v[k->n][0] = r->shares;
		k->v[k->n][1] = r->senders;
		k->v[k->n][2] = r->recipients;
		k->v[k->n][3] = r->clicks;
	}
	k->n++;
	return 0;
}

static int64_t share_at(const struct store_ops *ops, struct store_conn *c, int64_t app, int64_t from, int64_t to,
			const char *item, int64_t at, int64_t msg)
{
	static int n;
	char pid[32];
	int64_t id = 0, app_of = 0;
	snprintf(pid, sizeof(pid), "sh_%d", ++n);
	CHECK(ops->share_insert(c, pid, app, 1, from, to, 1, msg, item, at) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, pid, to, &id, &app_of) == SRV_E_OK && app_of == app);
	return id;
}

static void reports_counts_settings_frozen(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_thread t = {0};
	struct store_message m = {0};
	struct store_app app = {0}, other = {0};
	struct store_report_settings rs = {0}, got;
	struct report_seen k;
	int64_t a, bb, cc, d, e, f, g, ab, ac, ad, ba, bd, fe, ge;
	char *text = NULL;
	size_t len = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "a");
	bb = add_user(ops, c, "b");
	cc = add_user(ops, c, "c");
	d = add_user(ops, c, "d");
	e = add_user(ops, c, "e");
	f = add_user(ops, c, "f");
	g = add_user(ops, c, "g");
	snprintf(app.client_id, sizeof(app.client_id), "c_rep");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &app) == SRV_E_OK);
	other = app;
	snprintf(other.client_id, sizeof(other.client_id), "c_other");
	CHECK(ops->app_insert(c, &other) == SRV_E_OK);
	snprintf(t.public_id, sizeof(t.public_id), "t_r");
	t.creator = a;
	CHECK(ops->thread_insert(c, &t, NULL) == SRV_E_OK);
	snprintf(m.public_id, sizeof(m.public_id), "m_r");
	m.thread_id = t.id;
	m.seq = 1;
	m.sender_id = a;
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "cr");
	snprintf(m.kind, sizeof(m.kind), "message");
	m.body = "x";
	m.body_len = 1;
	CHECK(ops->message_insert(c, &m) == SRV_E_OK);

	/* period [1000, 2000): a shares 4 times (cap 3 counts the first 3 of the period, any item) */
	ab = share_at(ops, c, app.id, a, bb, "x", 1100, m.id);
	ac = share_at(ops, c, app.id, a, cc, "x", 1101, m.id);
	ad = share_at(ops, c, app.id, a, d, "y", 1102, m.id);
	share_at(ops, c, app.id, a, bb, "z", 1103, m.id);
	ba = share_at(ops, c, app.id, bb, a, "x", 1200, m.id);
	bd = share_at(ops, c, app.id, bb, d, "x", 1201, m.id);
	share_at(ops, c, app.id, cc, a, "y", 999, m.id);    /* before the period */
	share_at(ops, c, app.id, d, a, "y", 2000, m.id);    /* at its end: the next period */
	share_at(ops, c, other.id, e, a, "x", 1500, m.id); /* another app */
	CHECK(ops->click_insert(c, ab, bb, 1500) == SRV_E_OK);
	CHECK(ops->click_insert(c, ba, a, 1300) == SRV_E_OK);
	CHECK(ops->click_insert(c, bd, d, 1450) == SRV_E_OK);
	CHECK(ops->click_insert(c, ad, d, 1400) == SRV_E_OK);
	CHECK(ops->click_insert(c, ac, cc, 2500) == SRV_E_OK); /* after the end: not counted */
	memset(&k, 0, sizeof(k));
	CHECK(ops->report_rows(c, app.id, 1000, 2000, 3, collect_report_row, &k) == SRV_E_OK);
	CHECK_EQ_INT(k.n, 2);
	CHECK_EQ_STR(k.item[0], "x");
	CHECK(k.v[0][0] == 4 && k.v[0][1] == 2 && k.v[0][2] == 4 && k.v[0][3] == 3); /* b, a, d opened x */
	CHECK_EQ_STR(k.item[1], "y");
	CHECK(k.v[1][0] == 1 && k.v[1][1] == 1 && k.v[1][2] == 1 && k.v[1][3] == 1);
	/* cap 1: a's first share (x to b) and b's (x to a) only; d's opens count in one item at most */
	memset(&k, 0, sizeof(k));
	CHECK(ops->report_rows(c, app.id, 1000, 2000, 1, collect_report_row, &k) == SRV_E_OK);
	CHECK_EQ_INT(k.n, 1);
	CHECK(k.v[0][0] == 2 && k.v[0][1] == 2 && k.v[0][2] == 2 && k.v[0][3] == 2);
	memset(&k, 0, sizeof(k));
	CHECK(ops->report_rows(c, app.id, 1000, 1100, 3, collect_report_row, &k) == SRV_E_OK && k.n == 0);

	/* period [3000, 4000): e opens q first, then p; with cap 1 e counts only in q */
	fe = share_at(ops, c, app.id, f, e, "p", 3100, m.id);
	ge = share_at(ops, c, app.id, g, e, "q", 3101, m.id);
	CHECK(ops->click_insert(c, ge, e, 3200) == SRV_E_OK);
	CHECK(ops->click_insert(c, fe, e, 3300) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->report_rows(c, app.id, 3000, 4000, 1, collect_report_row, &k) == SRV_E_OK && k.n == 2);
	CHECK(strcmp(k.item[0], "p") == 0 && k.v[0][3] == 0 && strcmp(k.item[1], "q") == 0 && k.v[1][3] == 1);
	memset(&k, 0, sizeof(k));
	CHECK(ops->report_rows(c, app.id, 3000, 4000, 2, collect_report_row, &k) == SRV_E_OK && k.n == 2);
	CHECK(k.v[0][3] == 1 && k.v[1][3] == 1);

	/* settings: a history; the one in force before a time is the newest before it, the later added on a tie */
	CHECK(ops->report_settings_at(c, app.id, INT64_MAX, &got) == SRV_E_NOT_FOUND);
	snprintf(rs.mechanism, sizeof(rs.mechanism), "geometric");
	rs.since = 10;
	rs.epsilon_e4 = 10000;
	rs.delta_exp = 6;
	rs.k = 10;
	rs.cap = 5;
	CHECK(ops->report_settings_add(c, app.id, &rs) == SRV_E_OK);
	rs.since = 20;
	snprintf(rs.mechanism, sizeof(rs.mechanism), "none");
	CHECK(ops->report_settings_add(c, app.id, &rs) == SRV_E_OK);
	rs.k = 7;
	CHECK(ops->report_settings_add(c, app.id, &rs) == SRV_E_OK);
	CHECK(ops->report_settings_at(c, app.id, 10, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->report_settings_at(c, app.id, 11, &got) == SRV_E_OK && got.since == 10 && got.k == 10);
	CHECK_EQ_STR(got.mechanism, "geometric");
	CHECK(got.epsilon_e4 == 10000 && got.delta_exp == 6 && got.cap == 5);
	CHECK(ops->report_settings_at(c, app.id, 20, &got) == SRV_E_OK && got.since == 10);
	CHECK(ops->report_settings_at(c, app.id, 21, &got) == SRV_E_OK && got.since == 20 && got.k == 7);
	CHECK_EQ_STR(got.mechanism, "none");
	CHECK(ops->report_settings_at(c, other.id, INT64_MAX, &got) == SRV_E_NOT_FOUND);

	/* frozen bytes: the first put wins */
	CHECK(ops->report_get(c, app.id, "2024-01-01", "json", &text, &len) == SRV_E_NOT_FOUND && text == NULL);
	CHECK(ops->report_put(c, app.id, "2024-01-01", "json", "{\"a\":1}", 7) == SRV_E_OK);
	CHECK(ops->report_put(c, app.id, "2024-01-01", "json", "{\"b\":2}", 7) == SRV_E_OK);
	CHECK(ops->report_get(c, app.id, "2024-01-01", "json", &text, &len) == SRV_E_OK && len == 7);
	CHECK_EQ_STR(text, "{\"a\":1}");
	free(text);
	text = NULL;
	CHECK(ops->report_get(c, app.id, "2024-01-01", "csv", &text, &len) == SRV_E_NOT_FOUND);
	CHECK(ops->report_get(c, other.id, "2024-01-01", "json", &text, &len) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

/* Codes (taken only by their own app, used once), tokens by id, the app generation, the names apps show. */
static void codes_tokens_aliases(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_app app = {0}, other = {0};
	struct store_grant g = {0};
	struct store_code code = {0}, got;
	struct store_token t = {0}, tg;
	unsigned char h[32] = {7}, th[32] = {9};
	char alias[64];
	int64_t a, gen0 = -1, gen = -1;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	snprintf(app.client_id, sizeof(app.client_id), "c_one");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &app) == SRV_E_OK);
	snprintf(other.client_id, sizeof(other.client_id), "c_two");
	snprintf(other.redirect_uris, sizeof(other.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &other) == SRV_E_OK);
	snprintf(g.public_id, sizeof(g.public_id), "g_1");
	g.app_id = app.id;
	g.user_id = a;
	snprintf(g.details, sizeof(g.details), "[]");
	g.expires_at = 100000;
	CHECK(ops->grant_insert(c, &g) == SRV_E_OK);

	/* a code is found only by its own app, changes nothing until used, and is used once */
	code.grant_id = g.id;
	code.app_id = app.id;
	snprintf(code.redirect_uri, sizeof(code.redirect_uri), "https://a.example/cb");
	code.expires_at = 60;
	CHECK(ops->code_insert(c, h, &code) == SRV_E_OK);
	CHECK(ops->code_get(c, h, other.id, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->code_get(c, h, app.id, &got) == SRV_E_OK && got.grant_id == g.id && got.used_at == 0);
	CHECK(ops->code_get(c, h, app.id, &got) == SRV_E_OK && got.used_at == 0); /* reading uses nothing up */
	CHECK(ops->code_use(c, got.id, 5) == SRV_E_OK);
	CHECK(ops->code_use(c, got.id, 6) == SRV_E_NOT_FOUND); /* the loser of a race */
	CHECK(ops->code_get(c, h, app.id, &got) == SRV_E_OK && got.used_at == 5);
	th[1] = 1;
	CHECK(ops->code_get(c, th, app.id, &got) == SRV_E_NOT_FOUND);

	/* tokens by id, in every state */
	t.kind = STORE_TOKEN_ACCESS;
	t.app_id = app.id;
	t.grant_id = g.id;
	t.expires_at = 50;
	CHECK(ops->token_insert(c, th, &t) == SRV_E_OK);
	CHECK(ops->token_by_id(c, t.id, &tg) == SRV_E_OK && tg.grant_id == g.id && tg.expires_at == 50 && tg.revoked_at == 0);
	CHECK(ops->token_revoke(c, t.id, 9) == SRV_E_OK);
	CHECK(ops->token_by_id(c, t.id, &tg) == SRV_E_OK && tg.revoked_at == 9);
	CHECK(ops->token_by_id(c, t.id + 100, &tg) == SRV_E_NOT_FOUND);

	/* the app generation grows with every suspension, resumption and deletion, and with nothing else */
	CHECK(ops->app_generation(c, &gen0) == SRV_E_OK);
	CHECK(ops->grant_revoke(c, g.id, 10) == SRV_E_OK);
	CHECK(ops->app_generation(c, &gen) == SRV_E_OK && gen == gen0);
	CHECK(ops->app_set_suspended(c, app.id, 1) == SRV_E_OK);
	CHECK(ops->app_generation(c, &gen) == SRV_E_OK && gen == gen0 + 1);
	CHECK(ops->app_set_suspended(c, app.id, 0) == SRV_E_OK);
	CHECK(ops->app_generation(c, &gen) == SRV_E_OK && gen == gen0 + 2);

	/* aliases: per app and person, replaced, removed; an app's go with it */
	CHECK(ops->alias_get(c, app.id, a, alias, sizeof(alias)) == SRV_E_NOT_FOUND);
	CHECK(ops->alias_set(c, app.id, a, "Al") == SRV_E_OK);
	CHECK(ops->alias_set(c, other.id, a, "Ally") == SRV_E_OK);
	CHECK(ops->alias_get(c, app.id, a, alias, sizeof(alias)) == SRV_E_OK);
	CHECK_EQ_STR(alias, "Al");
	CHECK(ops->alias_set(c, app.id, a, "Alfred") == SRV_E_OK);
	CHECK(ops->alias_get(c, app.id, a, alias, 4) == SRV_E_OK); /* cut to fit */
	CHECK_EQ_STR(alias, "Alf");
	CHECK(ops->alias_set(c, app.id, a, NULL) == SRV_E_OK);
	CHECK(ops->alias_get(c, app.id, a, alias, sizeof(alias)) == SRV_E_NOT_FOUND);
	CHECK(ops->app_delete(c, other.id) == SRV_E_OK);
	CHECK(ops->alias_get(c, other.id, a, alias, sizeof(alias)) == SRV_E_NOT_FOUND);
	CHECK(ops->app_generation(c, &gen) == SRV_E_OK && gen == gen0 + 3);
	ops->conn_close(c);
	close_store(st);
}

static void savepoint_rolls_back_one_request(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_user u;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	CHECK(ops->begin(c) == SRV_E_OK);
	CHECK(ops->savepoint(c) == SRV_E_OK);
	add_user(ops, c, "kept");
	CHECK(ops->release(c) == SRV_E_OK);
	CHECK(ops->savepoint(c) == SRV_E_OK);
	add_user(ops, c, "undone");
	CHECK(ops->rollback_to(c) == SRV_E_OK);
	CHECK(ops->commit(c) == SRV_E_OK);
	CHECK(ops->user_by_name(c, "kept", &u) == SRV_E_OK);
	CHECK(ops->user_by_name(c, "undone", &u) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

/* ---- group commit ---- */

#define JOBS 400

struct tjob {
	struct dbexec_job job;
	int i;
	enum srv_err rc;
	int done;
};

static pthread_mutex_t tl = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc = PTHREAD_COND_INITIALIZER;
static int ndone;

static enum srv_err tjob_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	struct tjob *t = (struct tjob *)job;
	struct store_user u = {0};
	snprintf(u.public_id, sizeof(u.public_id), "u_%d", t->i);
	snprintf(u.username, sizeof(u.username), "user%d", t->i % 7 == 3 ? 3 : t->i); /* some collide */
	snprintf(u.pw_hash, sizeof(u.pw_hash), "x");
	return ops->user_insert(c, &u);
}

static void tjob_done(struct dbexec_job *job, enum srv_err rc)
{
	struct tjob *t = (struct tjob *)job;
	pthread_mutex_lock(&tl);
	t->rc = rc;
	t->done = 1;
	ndone++;
	pthread_cond_signal(&tc);
	pthread_mutex_unlock(&tl);
}

static void group_commit_batches_and_isolates_failures(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	static struct tjob jobs[JOBS];
	struct dbexec_stats stats;
	struct store_conn *c = NULL;
	struct store_user u;
	int i, ok = 0, conflicts = 0;

	CHECK(dbexec_start(ops, st, 2, 256, 0) == SRV_E_OK);
	for (i = 0; i < JOBS; i++) {
		jobs[i].i = i;
		jobs[i].job.run = tjob_run;
		jobs[i].job.done = tjob_done;
		dbexec_submit_write(&jobs[i].job);
	}
	pthread_mutex_lock(&tl);
	while (ndone < JOBS)
		pthread_cond_wait(&tc, &tl);
	pthread_mutex_unlock(&tl);
	dbexec_get_stats(&stats);
	dbexec_stop();
	for (i = 0; i < JOBS; i++) {
		if (jobs[i].rc == SRV_E_OK)
			ok++;
		else if (jobs[i].rc == SRV_E_CONFLICT)
			conflicts++;
	}
	CHECK_EQ_INT(ok + conflicts, JOBS);
	CHECK(conflicts > 0);
	CHECK_EQ_INT(stats.write_jobs, JOBS);
	CHECK(stats.commits < JOBS / 4); /* queued together, committed together */
	CHECK(ops->conn_open(st, 0, &c) == SRV_E_OK);
	for (i = 0; i < JOBS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "user%d", i);
		CHECK((ops->user_by_name(c, name, &u) == SRV_E_OK) == (i % 7 != 3 || i == 3));
	}
	ops->conn_close(c);
	close_store(st);
}

static int copy_access(void *arg, const struct store_access_entry *row)
{
	*(struct store_access_entry *)arg = *row;
	return 1;
}

static int count_any(void *arg, const void *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

/* the transparency log's primitives (tlog.c builds the tree on them): leaves at their index, entry lookup
 * below a size, subtree hashes, cosignatures per size and witness, a person's log key made once */
static int count_cosig(void *arg, const struct store_statement *row)
{
	int *n = arg;
	(*n)++;
	return !(row->seq == 4 && row->len == 9 && memcmp(row->bytes, "\xe2\x80\x94 w1 AA", 9) == 0) &&
	       !(row->seq == 4 && row->len == 9 && memcmp(row->bytes, "\xe2\x80\x94 w2 BB", 9) == 0);
}

static void transparency_log(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	unsigned char leaf[64], got[64], e1[STORE_HASH_LEN] = {1}, e2[STORE_HASH_LEN] = {2}, e3[STORE_HASH_LEN] = {3};
	unsigned char h[STORE_HASH_LEN] = {9}, h2[STORE_HASH_LEN], k1[STORE_HASH_LEN] = {4}, k2[STORE_HASH_LEN] = {6};
	unsigned char key[STORE_HASH_LEN];
	int64_t n = -1, idx = -1, a;
	size_t len = 0;
	int count = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "logged");
	CHECK(ops->tlog_size(c, &n) == SRV_E_OK && n == 0);
	memset(leaf, 0xab, sizeof(leaf));
	CHECK(ops->tlog_leaf_put(c, 0, leaf, 42, e1, 1000) == SRV_E_OK);
	CHECK(ops->tlog_leaf_put(c, 1, leaf, 64, e2, 1001) == SRV_E_OK);
	CHECK(ops->tlog_leaf_put(c, 1, leaf, 64, e3, 1002) == SRV_E_CONFLICT); /* an index is written once */
	CHECK(ops->tlog_leaf_put(c, 2, leaf, 10, e1, 1003) == SRV_E_OK);      /* (tlog.c never repeats an entry) */
	CHECK(ops->tlog_size(c, &n) == SRV_E_OK && n == 3);
	CHECK(ops->tlog_leaf_get(c, 1, got, sizeof(got), &len) == SRV_E_OK && len == 64 && memcmp(got, leaf, 64) == 0);
	CHECK(ops->tlog_leaf_get(c, 0, got, 41, &len) != SRV_E_OK); /* no room: not cut */
	CHECK(ops->tlog_leaf_get(c, 3, got, sizeof(got), &len) == SRV_E_NOT_FOUND);
	CHECK(ops->tlog_find(c, e2, 3, &idx) == SRV_E_OK && idx == 1);
	CHECK(ops->tlog_find(c, e2, 1, &idx) == SRV_E_NOT_FOUND); /* only below the size asked */
	CHECK(ops->tlog_find(c, e1, 3, &idx) == SRV_E_OK && idx == 0); /* the lowest */
	CHECK(ops->tlog_find(c, e3, 3, &idx) == SRV_E_NOT_FOUND);
	CHECK(ops->tlog_node_put(c, 1, 0, h) == SRV_E_OK);
	CHECK(ops->tlog_node_get(c, 1, 0, h2) == SRV_E_OK && memcmp(h, h2, sizeof(h)) == 0);
	CHECK(ops->tlog_node_get(c, 0, 1, h2) == SRV_E_NOT_FOUND);
	CHECK(ops->tlog_cosig_latest(c, &n) == SRV_E_NOT_FOUND);
	CHECK(ops->tlog_cosig_put(c, 4, "w1", "\xe2\x80\x94 w1 old", 10) == SRV_E_OK);
	CHECK(ops->tlog_cosig_put(c, 4, "w1", "\xe2\x80\x94 w1 AA", 11) == SRV_E_OK); /* replaced */
	CHECK(ops->tlog_cosig_put(c, 4, "w2", "\xe2\x80\x94 w2 BB", 12) == SRV_E_OK);
	CHECK(ops->tlog_cosig_put(c, 5, "w1", "\xe2\x80\x94 w1 CC", 13) == SRV_E_OK);
	CHECK(ops->tlog_cosig_list(c, 4, count_cosig, &count) == SRV_E_OK && count == 2);
	CHECK(ops->tlog_cosig_latest(c, &n) == SRV_E_OK && n == 5);
	CHECK(ops->user_log_key(c, a, NULL, key) == SRV_E_NOT_FOUND);
	CHECK(ops->user_log_key(c, a, k1, key) == SRV_E_OK && memcmp(key, k1, sizeof(key)) == 0);
	CHECK(ops->user_log_key(c, a, k2, key) == SRV_E_OK && memcmp(key, k1, sizeof(key)) == 0); /* made once */
	CHECK(ops->user_log_key(c, a, NULL, key) == SRV_E_OK && memcmp(key, k1, sizeof(key)) == 0);
	CHECK(ops->user_log_key(c, 999999, k2, key) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

/* account_delete: what goes, what stays; the username held until free_at; invites used once, before expiry */
static void accounts_delete_quarantine_invites(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_user u, again = {0};
	struct store_session s = {0}, s2;
	struct store_thread t = {0};
	struct store_message m = {0}, m2;
	struct store_event e = {0};
	struct store_app app = {0};
	struct store_grant g = {0}, g2;
	struct store_token tok = {0}, tok2;
	struct store_access_entry ae = {0};
	struct store_friend_request fr = {0};
	struct store_device d;
	unsigned char h[32] = {7}, th[32] = {8}, inv[32] = {9}, inv2[32] = {10};
	int64_t a, bb, dev, user = 0, n = -1;
	int count = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "gone");
	bb = add_user(ops, c, "stays");
	s.user_id = a;
	s.expires_at = 1000;
	CHECK(ops->session_insert(c, h, &s) == SRV_E_OK);
	dev = add_device(ops, c, a, "d_gone", 0);
	CHECK(ops->friend_insert(c, a, bb, 1) == SRV_E_OK);
	snprintf(fr.public_id, sizeof(fr.public_id), "r_1");
	fr.from_user = bb;
	fr.to_user = a;
	CHECK(ops->freq_insert(c, &fr) == SRV_E_OK);
	snprintf(t.public_id, sizeof(t.public_id), "t_1");
	t.creator = a;
	CHECK(ops->thread_insert(c, &t, NULL) == SRV_E_OK);
	CHECK(ops->member_add(c, t.id, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t.id, bb, 0) == SRV_E_OK);
	snprintf(m.public_id, sizeof(m.public_id), "m_1");
	m.thread_id = t.id;
	m.seq = 1;
	m.sender_id = a;
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "c1");
	snprintf(m.kind, sizeof(m.kind), "message");
	m.body = "Ym9keQ";
	m.body_len = 6;
	CHECK(ops->message_insert(c, &m) == SRV_E_OK);
	e.user_id = a; /* the person's own log */
	snprintf(e.type, sizeof(e.type), "friend.request");
	e.data = "{}";
	CHECK(ops->event_append(c, &e) == SRV_E_OK);
	e.user_id = bb; /* a to-device message the person sent, waiting in the other's log */
	e.device_id = 5;
	snprintf(e.type, sizeof(e.type), "to_device");
	e.data = "{\"from_user_id\":\"u_gone\",\"body\":\"eA\"}";
	CHECK(ops->event_append(c, &e) == SRV_E_OK);
	e.data = "{\"from_user_id\":\"u_stays\",\"body\":\"eA\"}"; /* someone else's: stays */
	CHECK(ops->event_append(c, &e) == SRV_E_OK);
	snprintf(app.client_id, sizeof(app.client_id), "c_app");
	snprintf(app.name, sizeof(app.name), "App");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &app) == SRV_E_OK);
	snprintf(g.public_id, sizeof(g.public_id), "g_1");
	g.app_id = app.id;
	g.user_id = a;
	snprintf(g.details, sizeof(g.details), "[]");
	g.expires_at = 1000;
	CHECK(ops->grant_insert(c, &g) == SRV_E_OK);
	tok.kind = STORE_TOKEN_ACCESS;
	tok.app_id = app.id;
	tok.grant_id = g.id;
	tok.expires_at = 1000;
	CHECK(ops->token_insert(c, th, &tok) == SRV_E_OK);
	CHECK(ops->pairwise_put(c, app.id, a, "p_gone") == SRV_E_OK);
	ae.user_id = a;
	ae.app_id = app.id;
	ae.grant_id = g.id;
	snprintf(ae.action, sizeof(ae.action), "read");
	CHECK(ops->access_insert(c, &ae) == SRV_E_OK);
	{ /* listed by app: this one's lines, with its client id; another app's: none */
		struct store_access_entry seen;
		count = 0;
		CHECK(ops->access_list(c, a, app.id, 0, 100, (store_access_cb)count_any, &count) == SRV_E_OK && count == 1);
		count = 0;
		CHECK(ops->access_list(c, a, app.id + 1, 0, 100, (store_access_cb)count_any, &count) == SRV_E_OK && count == 0);
		memset(&seen, 0, sizeof(seen));
		CHECK(ops->access_list(c, a, 0, 0, 1, copy_access, &seen) == SRV_E_OK);
		CHECK_EQ_STR(seen.app_client_id, "c_app");
	}
	CHECK(ops->share_insert(c, "s_1", app.id, g.id, a, bb, t.id, m.id, "item", 5) == SRV_E_OK);
	CHECK(ops->share_insert(c, "s_2", app.id, 0, bb, a, t.id, m.id, "item", 5) == SRV_E_OK); /* to it: stays */
	CHECK(ops->alias_set(c, app.id, a, "Sam") == SRV_E_OK);
	{ /* the key of its access-log commitments in the transparency log: given now, erased with the account */
		unsigned char fresh[STORE_HASH_LEN] = {5}, key[STORE_HASH_LEN];
		CHECK(ops->user_log_key(c, a, fresh, key) == SRV_E_OK);
	}

	CHECK(ops->account_live(c, a) == SRV_E_OK);
	CHECK(ops->account_delete(c, a, 50, 100) == SRV_E_OK);
	CHECK(ops->account_delete(c, a, 60, 100) == SRV_E_NOT_FOUND); /* once */
	{ /* without its key, the leaves of its access-log lines say nothing about it, even to the operator */
		unsigned char key[STORE_HASH_LEN];
		CHECK(ops->user_log_key(c, a, NULL, key) == SRV_E_NOT_FOUND);
	}
	CHECK(ops->account_live(c, a) == SRV_E_NOT_FOUND);
	CHECK(ops->account_live(c, bb) == SRV_E_OK);
	CHECK(ops->user_by_name(c, "gone", &u) == SRV_E_NOT_FOUND);
	CHECK(ops->user_by_public(c, "u_gone", &u) == SRV_E_NOT_FOUND);
	CHECK(ops->user_by_id(c, a, &u) == SRV_E_OK && strcmp(u.public_id, "u_gone") == 0); /* the row stays */
	CHECK(ops->session_by_hash(c, h, &s2) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public(c, "d_gone", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public_any(c, "d_gone", &d) == SRV_E_OK && d.removed && d.cert_len == 0 && d.id == dev);
	CHECK(d.name[0] == '\0'); /* the name the person gave it ("alice's phone") goes too */
	CHECK(ops->friend_check(c, bb, a) == SRV_E_NOT_FOUND);
	CHECK(ops->freq_by_public(c, "r_1", &fr) == SRV_E_NOT_FOUND);
	CHECK(ops->thread_for_member(c, "t_1", a, &t) == SRV_E_NOT_FOUND);
	CHECK(ops->thread_for_member(c, "t_1", bb, &t) == SRV_E_OK);
	CHECK(ops->message_by_public(c, t.id, "m_1", &m2) == SRV_E_OK && m2.body == NULL && m2.deleted_at == 50 &&
	      m2.item[0] == '\0');
	count = 0;
	CHECK(ops->event_list(c, a, 0, 0, 100, (store_event_cb)count_any, &count) == SRV_E_OK && count == 0);
	count = 0;
	CHECK(ops->event_list(c, bb, 5, 0, 100, (store_event_cb)count_any, &count) == SRV_E_OK && count == 1);
	CHECK(ops->grant_by_id(c, g.id, &g2) == SRV_E_OK && g2.revoked_at == 50);
	CHECK(ops->token_by_hash(c, th, &tok2) == SRV_E_OK && tok2.revoked_at == 50);
	CHECK(ops->pairwise_resolve(c, app.id, "p_gone", &user) == SRV_E_NOT_FOUND);
	{
		char alias[32];
		CHECK(ops->alias_get(c, app.id, a, alias, sizeof(alias)) == SRV_E_NOT_FOUND);
	}
	count = 0;
	CHECK(ops->access_list(c, a, 0, 0, 100, (store_access_cb)count_any, &count) == SRV_E_OK && count == 0);
	CHECK(ops->share_count(c, app.id, a, 0, 0, &n) == SRV_E_OK && n == 0);
	CHECK(ops->share_count(c, app.id, bb, 0, 0, &n) == SRV_E_OK && n == 1);

	/* the username: taken until free_at, then a new account may have it (the old row keeps its id) */
	snprintf(again.public_id, sizeof(again.public_id), "u_new");
	snprintf(again.username, sizeof(again.username), "gone");
	snprintf(again.pw_hash, sizeof(again.pw_hash), "x");
	again.created_at = 99;
	CHECK(ops->user_insert(c, &again) == SRV_E_CONFLICT);
	again.created_at = 100;
	CHECK(ops->user_insert(c, &again) == SRV_E_OK && again.id != a);
	CHECK(ops->user_by_name(c, "gone", &u) == SRV_E_OK && u.id == again.id);
	CHECK(ops->user_by_id(c, a, &u) == SRV_E_OK && strcmp(u.username, "gone") != 0);

	/* invites: once, before they expire */
	CHECK(ops->invite_insert(c, inv, 10, 200) == SRV_E_OK);
	CHECK(ops->invite_insert(c, inv, 10, 200) == SRV_E_CONFLICT);
	CHECK(ops->invite_insert(c, inv2, 10, 20) == SRV_E_OK);
	CHECK(ops->invite_use(c, inv2, bb, 20) == SRV_E_NOT_FOUND); /* expired */
	CHECK(ops->invite_use(c, h, bb, 20) == SRV_E_NOT_FOUND);    /* unknown */
	CHECK(ops->invite_use(c, inv, bb, 20) == SRV_E_OK);
	CHECK(ops->invite_use(c, inv, again.id, 21) == SRV_E_NOT_FOUND); /* used */
	ops->conn_close(c);
	close_store(st);
}

/* ---- the operations the first tests did not reach, one concept a test (the coverage check names them) ---- */

/* What a listing gave, in order: an id, a public id or name, and one number per row. */
struct rows {
	int n;
	int64_t id[16];
	char pid[16][STORE_ID_LEN];
	int64_t x[16];
};

static void rows_add(struct rows *r, int64_t id, const char *pid, int64_t x)
{
	if (r->n < 16) {
		r->id[r->n] = id;
		snprintf(r->pid[r->n], sizeof(r->pid[0]), "%s", pid);
		r->x[r->n] = x;
	}
	r->n++;
}

static int64_t add_thread(const struct store_ops *ops, struct store_conn *c, const char *pid, int64_t creator, int kind,
			  int64_t created_at, const char *direct_key)
{
	struct store_thread t = {0};
	snprintf(t.public_id, sizeof(t.public_id), "%s", pid);
	t.kind = kind;
	t.creator = creator;
	t.created_at = created_at;
	CHECK(ops->thread_insert(c, &t, direct_key) == SRV_E_OK);
	CHECK(t.id > 0);
	return t.id;
}

static int64_t add_message(const struct store_ops *ops, struct store_conn *c, int64_t thread, int64_t seq, int64_t sender,
			   const char *pid, const char *body)
{
	struct store_message m = {0};
	snprintf(m.public_id, sizeof(m.public_id), "%s", pid);
	m.thread_id = thread;
	m.seq = seq;
	m.sender_id = sender;
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "c-%s", pid);
	snprintf(m.kind, sizeof(m.kind), "message");
	m.body = body;
	m.body_len = strlen(body);
	m.created_at = 1000 + seq;
	CHECK(ops->message_insert(c, &m) == SRV_E_OK);
	return m.id;
}

static int64_t add_app(const struct store_ops *ops, struct store_conn *c, const char *client_id, const char *name)
{
	struct store_app a = {0};
	snprintf(a.client_id, sizeof(a.client_id), "%s", client_id);
	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.redirect_uris, sizeof(a.redirect_uris), "[\"https://%s.example/cb\"]", client_id);
	snprintf(a.scopes, sizeof(a.scopes), "messages:send share");
	CHECK(ops->app_insert(c, &a) == SRV_E_OK);
	return a.id;
}

static int64_t add_grant(const struct store_ops *ops, struct store_conn *c, const char *pid, int64_t app, int64_t user,
			 const char *scopes, int64_t expires_at)
{
	struct store_grant g = {0};
	snprintf(g.public_id, sizeof(g.public_id), "%s", pid);
	g.app_id = app;
	g.user_id = user;
	snprintf(g.scopes, sizeof(g.scopes), "%s", scopes);
	snprintf(g.details, sizeof(g.details), "[]");
	g.created_at = 1;
	g.expires_at = expires_at;
	CHECK(ops->grant_insert(c, &g) == SRV_E_OK);
	return g.id;
}

/* begin/rollback undo a group; a reader's read_begin..read_end sees one snapshot while the writer commits */
static void transactions_rollback_and_read_snapshot(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *w = NULL, *r = NULL;
	struct store_user u;

	CHECK(ops->conn_open(st, 1, &w) == SRV_E_OK);
	CHECK(ops->conn_open(st, 0, &r) == SRV_E_OK);
	CHECK(ops->begin(w) == SRV_E_OK);
	add_user(ops, w, "undone");
	CHECK(ops->rollback(w) == SRV_E_OK);
	CHECK(ops->user_by_name(w, "undone", &u) == SRV_E_NOT_FOUND);
	CHECK(ops->user_by_name(r, "undone", &u) == SRV_E_NOT_FOUND);

	CHECK(ops->begin(w) == SRV_E_OK);
	add_user(ops, w, "first");
	CHECK(ops->commit(w) == SRV_E_OK);
	CHECK(ops->read_begin(r) == SRV_E_OK);
	CHECK(ops->user_by_name(r, "first", &u) == SRV_E_OK); /* the snapshot starts here at the latest */
	CHECK(ops->begin(w) == SRV_E_OK);
	add_user(ops, w, "later");
	CHECK(ops->commit(w) == SRV_E_OK);
	CHECK(ops->user_by_name(r, "later", &u) == SRV_E_NOT_FOUND); /* committed after the snapshot */
	CHECK(ops->read_end(r) == SRV_E_OK);
	CHECK(ops->user_by_name(r, "later", &u) == SRV_E_OK);
	CHECK(ops->user_insert(r, &u) != SRV_E_OK); /* a reader cannot write */
	ops->conn_close(r);
	ops->conn_close(w);
	close_store(st);
}

static int collect_session(void *arg, const struct store_session *row)
{
	rows_add(arg, row->device_id, row->device_public_id, row->id);
	return 0;
}

/* a session bound to a device shows it (lookup and listing, with its name) until the device is unbound or removed */
static void sessions_bound_to_devices(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_session s = {0}, o = {0}, got;
	struct rows k;
	unsigned char h1[32] = {1}, h2[32] = {2};
	int64_t a, dev, other;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	dev = add_device(ops, c, a, "d_phone", 0);
	other = add_device(ops, c, a, "d_laptop", 0);
	s.user_id = o.user_id = a;
	s.created_at = 1;
	o.created_at = 2;
	s.expires_at = o.expires_at = 100;
	CHECK(ops->session_insert(c, h1, &s) == SRV_E_OK);
	CHECK(ops->session_insert(c, h2, &o) == SRV_E_OK && o.id != s.id);
	CHECK(ops->session_by_hash(c, h1, &got) == SRV_E_OK && got.device_id == 0 && got.device_public_id[0] == '\0');
	CHECK(ops->session_bind_device(c, s.id, dev) == SRV_E_OK);
	CHECK(ops->session_bind_device(c, o.id, other) == SRV_E_OK);
	CHECK(ops->session_by_hash(c, h1, &got) == SRV_E_OK && got.id == s.id && got.device_id == dev);
	CHECK_EQ_STR(got.device_public_id, "d_phone");
	memset(&k, 0, sizeof(k));
	CHECK(ops->session_list_user(c, a, 50, collect_session, &k) == SRV_E_OK);
	CHECK_EQ_INT(k.n, 2); /* oldest first, each with its device */
	CHECK(k.x[0] == s.id && k.id[0] == dev && strcmp(k.pid[0], "d_phone") == 0);
	CHECK(k.x[1] == o.id && k.id[1] == other && strcmp(k.pid[1], "d_laptop") == 0);
	CHECK(ops->session_unbind_device(c, dev) == SRV_E_OK); /* the phone's sessions only */
	CHECK(ops->session_by_hash(c, h1, &got) == SRV_E_OK && got.device_id == 0 && got.device_public_id[0] == '\0');
	CHECK(ops->session_by_hash(c, h2, &got) == SRV_E_OK && got.device_id == other);
	CHECK(ops->device_delete(c, other) == SRV_E_OK); /* a removed device is no binding either */
	CHECK(ops->session_by_hash(c, h2, &got) == SRV_E_OK && got.device_id == 0 && got.device_public_id[0] == '\0');
	CHECK(ops->session_delete_others(c, a, 0) == SRV_E_OK); /* keep_session_id 0 keeps none */
	CHECK(ops->session_by_hash(c, h1, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->session_by_hash(c, h2, &got) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

static int collect_freq(void *arg, const struct store_friend_request *row)
{
	struct rows *k = arg;
	CHECK(row->other.pw_hash[0] == '\0'); /* never handed out in a listing */
	rows_add(k, row->id, row->other.username, row->other.id);
	return 0;
}

static int collect_friend(void *arg, const struct store_friend *row)
{
	CHECK(row->user.pw_hash[0] == '\0');
	rows_add(arg, row->user.id, row->user.username, row->since);
	return 0;
}

static int64_t add_freq(const struct store_ops *ops, struct store_conn *c, const char *pid, int64_t from, int64_t to, int64_t at)
{
	struct store_friend_request r = {0};
	snprintf(r.public_id, sizeof(r.public_id), "%s", pid);
	r.from_user = from;
	r.to_user = to;
	r.state = STORE_FREQ_PENDING;
	r.created_at = at;
	CHECK(ops->freq_insert(c, &r) == SRV_E_OK && r.id > 0);
	return r.id;
}

/* friend requests: one per ordered pair, pending ones listed oldest first each way, answered, deleted both ways */
static void friend_requests_and_friend_list(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_friend_request r = {0}, got;
	struct rows k;
	int64_t a, bb, cc, d, ab, cb;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	cc = add_user(ops, c, "carol");
	d = add_user(ops, c, "dave");
	ab = add_freq(ops, c, "r_ab", a, bb, 10);
	cb = add_freq(ops, c, "r_cb", cc, bb, 11);
	add_freq(ops, c, "r_bd", bb, d, 12);
	snprintf(r.public_id, sizeof(r.public_id), "r_ab2");
	r.from_user = a;
	r.to_user = bb;
	CHECK(ops->freq_insert(c, &r) == SRV_E_CONFLICT); /* one row per ordered pair */
	CHECK(ops->freq_get_pair(c, a, bb, &got) == SRV_E_OK && got.id == ab && got.state == STORE_FREQ_PENDING);
	CHECK(got.from_user == a && got.to_user == bb && got.created_at == 10);
	CHECK_EQ_STR(got.public_id, "r_ab");
	CHECK(ops->freq_get_pair(c, bb, a, &got) == SRV_E_NOT_FOUND); /* ordered */
	CHECK(ops->freq_by_public(c, "r_cb", &got) == SRV_E_OK && got.id == cb);

	memset(&k, 0, sizeof(k));
	CHECK(ops->freq_list_pending(c, bb, 1, collect_freq, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == ab && k.id[1] == cb); /* incoming, oldest first, with the sender */
	CHECK(strcmp(k.pid[0], "alice") == 0 && k.x[0] == a && strcmp(k.pid[1], "carol") == 0 && k.x[1] == cc);
	memset(&k, 0, sizeof(k));
	CHECK(ops->freq_list_pending(c, bb, 0, collect_freq, &k) == SRV_E_OK);
	CHECK(k.n == 1 && k.x[0] == d && strcmp(k.pid[0], "dave") == 0); /* outgoing, with the recipient */

	CHECK(ops->freq_set_state(c, ab, STORE_FREQ_DECLINED, 20) == SRV_E_OK);
	CHECK(ops->freq_get_pair(c, a, bb, &got) == SRV_E_OK && got.state == STORE_FREQ_DECLINED && got.created_at == 20);
	memset(&k, 0, sizeof(k));
	CHECK(ops->freq_list_pending(c, bb, 1, collect_freq, &k) == SRV_E_OK && k.n == 1 && k.id[0] == cb); /* pending only */
	memset(&k, 0, sizeof(k));
	CHECK(ops->freq_list_pending(c, a, 0, collect_freq, &k) == SRV_E_OK && k.n == 0);

	add_freq(ops, c, "r_ba", bb, a, 21);
	CHECK(ops->freq_delete_pair(c, a, bb) == SRV_E_OK); /* both directions */
	CHECK(ops->freq_get_pair(c, a, bb, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->freq_get_pair(c, bb, a, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->freq_by_public(c, "r_ba", &got) == SRV_E_NOT_FOUND);
	CHECK(ops->freq_get_pair(c, cc, bb, &got) == SRV_E_OK); /* other pairs stay */

	/* friendships are symmetric: each side lists the other, with the time they became friends */
	CHECK(ops->friend_insert(c, a, bb, 30) == SRV_E_OK);
	CHECK(ops->friend_insert(c, cc, a, 31) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->friend_list(c, a, collect_friend, &k) == SRV_E_OK && k.n == 2);
	CHECK((k.id[0] == bb && k.x[0] == 30 && k.id[1] == cc && k.x[1] == 31) ||
	      (k.id[0] == cc && k.x[0] == 31 && k.id[1] == bb && k.x[1] == 30));
	memset(&k, 0, sizeof(k));
	CHECK(ops->friend_list(c, cc, collect_friend, &k) == SRV_E_OK && k.n == 1 && k.id[0] == a);
	CHECK_EQ_STR(k.pid[0], "alice");
	memset(&k, 0, sizeof(k));
	CHECK(ops->friend_list(c, d, collect_friend, &k) == SRV_E_OK && k.n == 0);
	ops->conn_close(c);
	close_store(st);
}

static int collect_dev(void *arg, const struct store_device *row)
{
	rows_add(arg, row->id, row->public_id, row->user_id);
	return 0;
}

/* devices: found by key (a person's live one), listed per user and per thread, an app device per grant */
static void devices_keys_lists_grants(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_device d;
	struct rows k;
	int64_t a, bb, cc, a1, a2, b1, c1, t, app, g, g2, ad1, ad2;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	cc = add_user(ops, c, "carol");
	a1 = add_device(ops, c, a, "d_a1", 0);
	a2 = add_device(ops, c, a, "d_a2", 0);
	b1 = add_device(ops, c, bb, "d_b1", 0);
	c1 = add_device(ops, c, cc, "d_c1", 0);

	CHECK(ops->device_by_key(c, a, "spk-d_a2", &d) == SRV_E_OK && d.id == a2 && d.user_id == a);
	CHECK_EQ_STR(d.public_id, "d_a2");
	CHECK_EQ_STR(d.box_pk, "bpk-d_a2");
	CHECK_EQ_STR(d.user_public_id, "u_alice");
	CHECK(ops->device_by_key(c, bb, "spk-d_a2", &d) == SRV_E_NOT_FOUND); /* another user's key */
	CHECK(ops->device_by_key(c, a, "spk-none", &d) == SRV_E_NOT_FOUND);

	memset(&k, 0, sizeof(k));
	CHECK(ops->device_list_user(c, a, collect_dev, &k) == SRV_E_OK);
	CHECK(k.n == 2 && ((k.id[0] == a1 && k.id[1] == a2) || (k.id[0] == a2 && k.id[1] == a1)));

	/* a thread's devices are those of its current members; two users share a thread while both are members */
	t = add_thread(ops, c, "t_d", a, STORE_THREAD_GROUP, 1, NULL);
	CHECK(ops->member_add(c, t, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t, bb, 0) == SRV_E_OK);
	CHECK(ops->users_share_thread(c, a, bb) == SRV_E_OK && ops->users_share_thread(c, bb, a) == SRV_E_OK);
	CHECK(ops->users_share_thread(c, a, cc) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->device_list_thread(c, t, collect_dev, &k) == SRV_E_OK && k.n == 3);
	{
		int i, seen_b = 0;
		for (i = 0; i < 3; i++) {
			CHECK(k.id[i] == a1 || k.id[i] == a2 || k.id[i] == b1);
			seen_b += k.id[i] == b1;
		}
		CHECK(seen_b == 1);
	}
	CHECK(ops->member_remove(c, t, bb) == SRV_E_OK);
	CHECK(ops->users_share_thread(c, a, bb) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->device_list_thread(c, t, collect_dev, &k) == SRV_E_OK && k.n == 2);

	/* a removed device: gone from the lookups and listings */
	CHECK(ops->device_delete(c, a1) == SRV_E_OK);
	CHECK(ops->device_by_key(c, a, "spk-d_a1", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public(c, "d_a1", &d) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->device_list_user(c, a, collect_dev, &k) == SRV_E_OK && k.n == 1 && k.id[0] == a2);
	memset(&k, 0, sizeof(k));
	CHECK(ops->device_list_thread(c, t, collect_dev, &k) == SRV_E_OK && k.n == 1 && k.id[0] == a2);

	/* app devices: the live one of a grant, with the grant's app and times; every device of a grant removed */
	app = add_app(ops, c, "c_dev", "Dev");
	g = add_grant(ops, c, "g_d", app, cc, "share", 5000);
	g2 = add_grant(ops, c, "g_d2", app, cc, "share", 5000);
	CHECK(ops->device_for_grant(c, g, &d) == SRV_E_NOT_FOUND);
	ad1 = add_device(ops, c, cc, "d_app1", g);
	ad2 = add_device(ops, c, cc, "d_app2", g);
	add_device(ops, c, cc, "d_app3", g2);
	CHECK(ops->device_for_grant(c, g, &d) == SRV_E_OK && (d.id == ad1 || d.id == ad2));
	CHECK(d.grant_id == g && d.app_id == app && d.grant_expires_at == 5000 && d.grant_revoked_at == 0);
	CHECK(ops->device_by_key(c, cc, "spk-d_app1", &d) == SRV_E_NOT_FOUND); /* a person's devices only */
	CHECK(ops->devices_remove_grant(c, g, 70) == SRV_E_OK);
	CHECK(ops->device_for_grant(c, g, &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public(c, "d_app1", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_by_public(c, "d_app2", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->device_for_grant(c, g2, &d) == SRV_E_OK); /* another grant's stays */
	CHECK(ops->device_by_public(c, "d_c1", &d) == SRV_E_OK && d.id == c1); /* and the person's own */
	ops->conn_close(c);
	close_store(st);
}

static int collect_thread(void *arg, const struct store_thread *row)
{
	rows_add(arg, row->id, row->public_id, row->read_seq);
	return 0;
}

static int collect_member(void *arg, const struct store_member *row)
{
	struct rows *k = arg;
	rows_add(k, row->user_id, row->public_id, row->joined_seq * 100 + row->read_seq);
	return 0;
}

/* threads: by direct key, by id for a member, the inbox newest first with its cursor, members listed and removed */
static void threads_inbox_paging_members(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_thread t;
	struct rows k;
	int64_t a, bb, t1, t2, t3, t4, seq = 0, rs = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	t1 = add_thread(ops, c, "t_1", a, STORE_THREAD_DIRECT, 100, "a:b");
	t2 = add_thread(ops, c, "t_2", a, STORE_THREAD_GROUP, 200, NULL);
	t3 = add_thread(ops, c, "t_3", a, STORE_THREAD_GROUP, 200, NULL); /* the same activity as t2: id breaks the tie */
	t4 = add_thread(ops, c, "t_4", bb, STORE_THREAD_GROUP, 300, NULL); /* alice is no member */

	CHECK(ops->thread_by_direct_key(c, "a:b", &t) == SRV_E_OK && t.id == t1 && t.kind == STORE_THREAD_DIRECT);
	CHECK(t.creator == a && t.created_at == 100 && t.last_seq == 0);
	CHECK_EQ_STR(t.public_id, "t_1");
	CHECK(ops->thread_by_direct_key(c, "b:a", &t) == SRV_E_NOT_FOUND);

	CHECK(ops->member_add(c, t1, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t2, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t3, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t1, bb, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t4, bb, 0) == SRV_E_OK);
	CHECK(ops->thread_next_seq(c, t1, 150, &seq) == SRV_E_OK && seq == 1);
	CHECK(ops->thread_next_seq(c, t1, 160, &seq) == SRV_E_OK && seq == 2);
	CHECK(ops->member_mark_read(c, t1, a, 1, &rs) == SRV_E_OK && rs == 1);
	CHECK(ops->thread_by_id_for_member(c, t1, a, &t) == SRV_E_OK && t.id == t1 && t.last_seq == 2 && t.read_seq == 1);
	CHECK(t.last_activity == 160 && t.joined_seq == 0);
	CHECK(ops->thread_by_id_for_member(c, t4, a, &t) == SRV_E_NOT_FOUND); /* not a member */
	CHECK(ops->thread_by_id_for_member(c, 999999, a, &t) == SRV_E_NOT_FOUND);

	/* the inbox: (last_activity, id) descending; t3 and t2 at 200, t1 at 160 */
	memset(&k, 0, sizeof(k));
	CHECK(ops->thread_list_for_user(c, a, 0, 0, 10, collect_thread, &k) == SRV_E_OK);
	CHECK(k.n == 3 && k.id[0] == t3 && k.id[1] == t2 && k.id[2] == t1);
	CHECK(k.x[2] == 1); /* with the member's read marker */
	memset(&k, 0, sizeof(k));
	CHECK(ops->thread_list_for_user(c, a, 0, 0, 2, collect_thread, &k) == SRV_E_OK && k.n == 2 && k.id[1] == t2);
	memset(&k, 0, sizeof(k)); /* the next page: strictly below the last row given */
	CHECK(ops->thread_list_for_user(c, a, 200, t2, 2, collect_thread, &k) == SRV_E_OK && k.n == 1 && k.id[0] == t1);
	memset(&k, 0, sizeof(k)); /* below (200, t3): t2 at the same activity, then t1 */
	CHECK(ops->thread_list_for_user(c, a, 200, t3, 10, collect_thread, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == t2 && k.id[1] == t1);
	memset(&k, 0, sizeof(k));
	CHECK(ops->thread_list_for_user(c, a, 160, t1, 10, collect_thread, &k) == SRV_E_OK && k.n == 0);
	CHECK(ops->thread_next_seq(c, t1, 500, &seq) == SRV_E_OK); /* a new message moves t1 to the top */
	memset(&k, 0, sizeof(k));
	CHECK(ops->thread_list_for_user(c, a, 0, 0, 1, collect_thread, &k) == SRV_E_OK && k.n == 1 && k.id[0] == t1);

	/* members: each with ids, joined and read markers; removed once */
	CHECK(ops->member_add(c, t2, bb, 7) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->member_list(c, t2, collect_member, &k) == SRV_E_OK && k.n == 2);
	{
		int ia = k.id[0] == a ? 0 : 1, ib = 1 - ia;
		CHECK(k.id[ia] == a && k.id[ib] == bb);
		CHECK(strcmp(k.pid[ia], "u_alice") == 0 && strcmp(k.pid[ib], "u_bob") == 0);
		CHECK(k.x[ia] == 0 && k.x[ib] == 707); /* joined 7, read from where they joined */
	}
	CHECK(ops->member_remove(c, t2, bb) == SRV_E_OK);
	CHECK(ops->member_remove(c, t2, bb) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->member_list(c, t2, collect_member, &k) == SRV_E_OK && k.n == 1 && k.id[0] == a);
	CHECK(ops->member_remove(c, t1, a) == SRV_E_OK);
	CHECK(ops->thread_by_id_for_member(c, t1, a, &t) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->thread_list_for_user(c, a, 0, 0, 10, collect_thread, &k) == SRV_E_OK && k.n == 2 && k.id[0] == t3);
	ops->conn_close(c);
	close_store(st);
}

static int collect_message(void *arg, const struct store_message *row)
{
	struct rows *k = arg;
	rows_add(k, row->seq, row->public_id, row->body ? (int64_t)row->body_len : -1);
	return 0;
}

/* a message by id (with its body), and the pages of a thread: bounds, min_seq, limit, both directions */
static void messages_by_id_and_pages(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct rows k;
	char pid[16];
	int64_t a, t, other, ids[6] = {0};
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	t = add_thread(ops, c, "t_m", a, STORE_THREAD_GROUP, 1, NULL);
	other = add_thread(ops, c, "t_o", a, STORE_THREAD_GROUP, 1, NULL);
	for (i = 1; i <= 5; i++) {
		snprintf(pid, sizeof(pid), "m_%d", i);
		ids[i] = add_message(ops, c, t, i, a, pid, i == 3 ? "dGhyZWU" : "Ym9keQ");
	}
	add_message(ops, c, other, 1, a, "m_other", "b3RoZXI");

	memset(&k, 0, sizeof(k));
	CHECK(ops->message_by_id(c, ids[3], collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 1 && k.id[0] == 3 && k.x[0] == 7);
	CHECK_EQ_STR(k.pid[0], "m_3");
	memset(&k, 0, sizeof(k));
	ops->message_by_id(c, ids[5] + 1000, collect_message, &k);
	CHECK(k.n == 0);

	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 0, 0, 0, 100, 0, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 5 && k.id[0] == 1 && k.id[4] == 5); /* this thread only, ascending */
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 0, 0, 0, 2, 0, collect_message, &k) == SRV_E_OK && k.n == 2 && k.id[1] == 2);
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 0, 0, 0, 2, 1, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == 5 && k.id[1] == 4); /* the newest first */
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 0, 2, 5, 100, 0, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == 3 && k.id[1] == 4); /* after < seq < before */
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 0, 0, 4, 2, 1, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == 3 && k.id[1] == 2); /* an older page, newest first */
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 3, 1, 0, 100, 0, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == 4 && k.id[1] == 5); /* nothing at or below min_seq (a member's join) */
	CHECK(ops->message_erase(c, ids[4], 60) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->message_list(c, t, 3, 0, 0, 100, 0, collect_message, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.id[0] == 4 && k.x[0] == -1 && k.x[1] == 6); /* an erased one stays, without its body */
	CHECK(ops->message_erase(c, ids[5] + 1000, 60) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	close_store(st);
}

static int collect_event(void *arg, const struct store_event *row)
{
	struct rows *k = arg;
	CHECK(row->data != NULL);
	rows_add(k, row->seq, row->type, row->device_id);
	return 0;
}

static int64_t add_event(const struct store_ops *ops, struct store_conn *c, int64_t user, int64_t device, const char *type)
{
	struct store_event e = {0};
	e.user_id = user;
	e.device_id = device;
	snprintf(e.type, sizeof(e.type), "%s", type);
	e.data = "{\"k\":1}";
	e.created_at = 5;
	CHECK(ops->event_append(c, &e) == SRV_E_OK && e.id > 0 && e.seq > 0);
	return e.seq;
}

/* a user's event log: ascending from a cursor, limited; to_device events only for their device, counted, pruned */
static void events_lists_and_to_device(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct rows k;
	int64_t a, bb, e1, e2, e3, e4, e5, n = -1;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	e1 = add_event(ops, c, a, 0, "message.created");
	e2 = add_event(ops, c, a, 7, "to_device");
	e3 = add_event(ops, c, a, 8, "to_device");
	add_event(ops, c, bb, 0, "friend.request");
	e4 = add_event(ops, c, a, 0, "thread.updated");
	e5 = add_event(ops, c, a, 7, "to_device");
	CHECK(e1 < e2 && e2 < e3 && e3 < e4 && e4 < e5);

	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, a, 7, 0, 100, collect_event, &k) == SRV_E_OK);
	CHECK(k.n == 4 && k.id[0] == e1 && k.id[1] == e2 && k.id[2] == e4 && k.id[3] == e5); /* not device 8's */
	CHECK(k.x[1] == 7 && strcmp(k.pid[1], "to_device") == 0 && strcmp(k.pid[0], "message.created") == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, a, 0, 0, 100, collect_event, &k) == SRV_E_OK && k.n == 2 && k.id[1] == e4);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, a, 7, e2, 2, collect_event, &k) == SRV_E_OK); /* after the cursor, at most limit */
	CHECK(k.n == 2 && k.id[0] == e4 && k.id[1] == e5);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, a, 8, e4, 100, collect_event, &k) == SRV_E_OK && k.n == 0);

	CHECK(ops->event_count_to_device(c, 7, e5, &n) == SRV_E_OK && n == 2);
	CHECK(ops->event_count_to_device(c, 7, e4, &n) == SRV_E_OK && n == 1); /* only up to upto */
	CHECK(ops->event_count_to_device(c, 8, e5, &n) == SRV_E_OK && n == 1);
	CHECK(ops->event_count_to_device(c, 9, e5, &n) == SRV_E_OK && n == 0);
	CHECK(ops->event_prune_to_device(c, 7, e2) == SRV_E_OK);
	CHECK(ops->event_count_to_device(c, 7, e5, &n) == SRV_E_OK && n == 1);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, a, 7, 0, 100, collect_event, &k) == SRV_E_OK && k.n == 3 && k.id[1] == e4);
	CHECK(ops->event_count_to_device(c, 8, e5, &n) == SRV_E_OK && n == 1); /* another device's stay */
	ops->conn_close(c);
	close_store(st);
}

static int collect_app(void *arg, const struct store_app *row)
{
	rows_add(arg, row->id, row->client_id, row->has_secret);
	return 0;
}

static int collect_grant(void *arg, const struct store_grant *row, const struct store_app *app)
{
	CHECK(app != NULL && app->id == row->app_id);
	rows_add(arg, row->id, app->client_id, row->revoked_at);
	return 0;
}

/* apps by client id, listed, given a secret; grants by public id for their owner only, listed live first */
static void apps_and_grants(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_app app = {0}, got;
	struct store_grant g;
	struct rows k;
	unsigned char secret[32];
	int64_t a, bb, one, two, g1, g2, g3, g4;
	int64_t far = INT64_MAX / 2;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	one = add_app(ops, c, "c_one", "One");
	two = add_app(ops, c, "c_two", "Two");
	snprintf(app.client_id, sizeof(app.client_id), "c_one");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &app) == SRV_E_CONFLICT); /* the client id is taken */

	CHECK(ops->app_by_client_id(c, "c_two", &got) == SRV_E_OK && got.id == two && got.has_secret == 0);
	CHECK_EQ_STR(got.name, "Two");
	CHECK_EQ_STR(got.scopes, "messages:send share");
	CHECK_EQ_STR(got.redirect_uris, "[\"https://c_two.example/cb\"]");
	CHECK(ops->app_by_client_id(c, "c_none", &got) == SRV_E_NOT_FOUND);
	CHECK(ops->app_by_id(c, two + 100, &got) == SRV_E_NOT_FOUND);
	memset(secret, 0x5a, sizeof(secret));
	CHECK(ops->app_set_secret(c, one, secret) == SRV_E_OK);
	CHECK(ops->app_by_id(c, one, &got) == SRV_E_OK && got.has_secret == 1 && memcmp(got.secret_hash, secret, 32) == 0);
	CHECK(ops->app_by_id(c, two, &got) == SRV_E_OK && got.has_secret == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_list(c, collect_app, &k) == SRV_E_OK && k.n == 2);
	CHECK((k.id[0] == one && k.x[0] == 1 && k.id[1] == two) || (k.id[0] == two && k.id[1] == one && k.x[1] == 1));

	g1 = add_grant(ops, c, "g_1", one, a, "share", far);
	g2 = add_grant(ops, c, "g_2", two, a, "share", far);
	g3 = add_grant(ops, c, "g_3", one, a, "share", far);
	g4 = add_grant(ops, c, "g_4", two, a, "share", 1); /* long expired */
	add_grant(ops, c, "g_b", one, bb, "share", far);
	CHECK(ops->grant_by_public(c, "g_2", a, &g) == SRV_E_OK && g.id == g2 && g.app_id == two && g.user_id == a);
	CHECK_EQ_STR(g.scopes, "share");
	CHECK_EQ_STR(g.details, "[]");
	CHECK(ops->grant_by_public(c, "g_2", bb, &g) == SRV_E_NOT_FOUND); /* not bob's */
	CHECK(ops->grant_by_public(c, "g_none", a, &g) == SRV_E_NOT_FOUND);
	CHECK(ops->grant_by_id(c, g4 + 100, &g) == SRV_E_NOT_FOUND);

	CHECK(ops->grant_touch(c, g1, 77) == SRV_E_OK);
	CHECK(ops->grant_by_id(c, g1, &g) == SRV_E_OK && g.last_used_at == 77 && g.revoked_at == 0);
	{ /* revoking a grant revokes its tokens (and removes its devices: chains_prekeys_apps) */
		struct store_token t = {0}, tg;
		unsigned char th[32] = {21};
		t.kind = STORE_TOKEN_ACCESS;
		t.app_id = two;
		t.grant_id = g2;
		t.expires_at = far;
		CHECK(ops->token_insert(c, th, &t) == SRV_E_OK);
		CHECK(ops->grant_revoke(c, g2, 80) == SRV_E_OK);
		CHECK(ops->token_by_id(c, t.id, &tg) == SRV_E_OK && tg.revoked_at == 80);
		CHECK(ops->grant_by_id(c, g2, &g) == SRV_E_OK && g.revoked_at == 80);
	}
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_list_user(c, a, collect_grant, &k) == SRV_E_OK && k.n == 4);
	CHECK(k.id[0] == g3 && k.id[1] == g1); /* live first, newest first */
	CHECK(k.id[2] == g4 && k.id[3] == g2 && k.x[3] == 80); /* then the others, newest first */
	CHECK(strcmp(k.pid[0], "c_one") == 0 && strcmp(k.pid[3], "c_two") == 0); /* each with its app */
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_list_user(c, bb, collect_grant, &k) == SRV_E_OK && k.n == 1);
	ops->conn_close(c);
	close_store(st);
}

/* whether a person holds a live grant of an app with a scope: whole words of the granted scope, exactly */
static void grant_live_check_scope_words(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	int64_t a, bb, app, other, g;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	app = add_app(ops, c, "c_live", "Live");
	other = add_app(ops, c, "c_other", "Other");
	CHECK(ops->grant_live_check(c, app, a, NULL, 10) == SRV_E_NOT_FOUND);
	g = add_grant(ops, c, "g_l", app, a, "messages:send share", 100);
	CHECK(ops->grant_live_check(c, app, a, NULL, 10) == SRV_E_OK);
	CHECK(ops->grant_live_check(c, app, a, "share", 10) == SRV_E_OK);
	CHECK(ops->grant_live_check(c, app, a, "messages:send", 10) == SRV_E_OK);
	CHECK(ops->grant_live_check(c, app, a, "messages", 10) == SRV_E_NOT_FOUND);  /* a word, not a prefix */
	CHECK(ops->grant_live_check(c, app, a, "SHARE", 10) == SRV_E_NOT_FOUND);     /* scopes are case-sensitive */
	CHECK(ops->grant_live_check(c, app, a, "sh_re", 10) == SRV_E_NOT_FOUND);     /* no pattern characters */
	CHECK(ops->grant_live_check(c, app, a, "%", 10) == SRV_E_NOT_FOUND);
	CHECK(ops->grant_live_check(c, app, bb, NULL, 10) == SRV_E_NOT_FOUND);       /* another person */
	CHECK(ops->grant_live_check(c, other, a, NULL, 10) == SRV_E_NOT_FOUND);      /* another app */
	CHECK(ops->grant_live_check(c, app, a, "share", 100) == SRV_E_NOT_FOUND);    /* expired at 100 */
	CHECK(ops->grant_revoke(c, g, 20) == SRV_E_OK);
	CHECK(ops->grant_live_check(c, app, a, "share", 10) == SRV_E_NOT_FOUND);     /* revoked */
	ops->conn_close(c);
	close_store(st);
}

/* an app's threads per grant (listed for a member), refresh tokens used once, a member's consent read back */
static void grant_threads_tokens_consents(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_token t = {0}, got;
	struct rows k;
	unsigned char th[32] = {3};
	int64_t a, bb, app, g, g2, t1, t2, t3, since = -1, seq = 0;
	int state = -1;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	app = add_app(ops, c, "c_thr", "Thr");
	g = add_grant(ops, c, "g_t", app, a, "share", 1000);
	g2 = add_grant(ops, c, "g_t2", app, bb, "share", 1000);
	t1 = add_thread(ops, c, "t_a1", a, STORE_THREAD_APP, 10, NULL);
	t2 = add_thread(ops, c, "t_a2", a, STORE_THREAD_APP, 20, NULL);
	t3 = add_thread(ops, c, "t_a3", a, STORE_THREAD_APP, 30, NULL);
	CHECK(ops->member_add(c, t1, a, 0) == SRV_E_OK && ops->member_add(c, t2, a, 0) == SRV_E_OK);
	CHECK(ops->member_add(c, t1, bb, 0) == SRV_E_OK && ops->member_add(c, t3, a, 0) == SRV_E_OK);
	CHECK(ops->grant_thread_check(c, g, t1) == SRV_E_NOT_FOUND);
	CHECK(ops->grant_thread_add(c, g, t1) == SRV_E_OK);
	CHECK(ops->grant_thread_add(c, g, t2) == SRV_E_OK);
	CHECK(ops->grant_thread_add(c, g2, t3) == SRV_E_OK);
	CHECK(ops->grant_thread_check(c, g, t1) == SRV_E_OK && ops->grant_thread_check(c, g, t2) == SRV_E_OK);
	CHECK(ops->grant_thread_check(c, g, t3) == SRV_E_NOT_FOUND); /* another grant's */
	CHECK(ops->thread_next_seq(c, t1, 50, &seq) == SRV_E_OK);  /* t1 the most recently active */
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_thread_list(c, g, collect_thread, &k, a) == SRV_E_OK);
	CHECK(k.n == 2 && ((k.id[0] == t1 && k.id[1] == t2) || (k.id[0] == t2 && k.id[1] == t1)));
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_thread_list(c, g, collect_thread, &k, bb) == SRV_E_OK && k.n == 1 && k.id[0] == t1); /* bob's only */
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_thread_list(c, g2, collect_thread, &k, bb) == SRV_E_OK && k.n == 0); /* bob is not in t3 */

	/* a refresh token is used once: the second use is the loser of a race */
	t.kind = STORE_TOKEN_REFRESH;
	t.app_id = app;
	t.grant_id = g;
	snprintf(t.scopes, sizeof(t.scopes), "share");
	t.created_at = 1;
	t.expires_at = 900;
	CHECK(ops->token_insert(c, th, &t) == SRV_E_OK && t.id > 0);
	CHECK(ops->token_insert(c, th, &t) == SRV_E_CONFLICT); /* one token a hash */
	CHECK(ops->token_by_hash(c, th, &got) == SRV_E_OK && got.id == t.id && got.kind == STORE_TOKEN_REFRESH && got.used_at == 0);
	CHECK_EQ_STR(got.scopes, "share");
	CHECK(ops->token_use(c, t.id, 40) == SRV_E_OK);
	CHECK(ops->token_use(c, t.id, 41) == SRV_E_NOT_FOUND);
	CHECK(ops->token_by_hash(c, th, &got) == SRV_E_OK && got.used_at == 40);
	CHECK(ops->token_use(c, t.id + 100, 42) == SRV_E_NOT_FOUND);

	/* consents: undecided, then the latest answer with its time (since optional) */
	CHECK(ops->app_consent_get(c, t1, bb, &state, &since) == SRV_E_NOT_FOUND);
	CHECK(ops->app_consent_set(c, t1, bb, 1, 60, NULL, 0) == SRV_E_OK);
	CHECK(ops->app_consent_get(c, t1, bb, &state, &since) == SRV_E_OK && state == 1 && since == 60);
	CHECK(ops->app_consent_set(c, t1, bb, 2, 61, NULL, 0) == SRV_E_OK);
	state = -1;
	CHECK(ops->app_consent_get(c, t1, bb, &state, NULL) == SRV_E_OK && state == 2);
	CHECK(ops->app_consent_get(c, t1, a, &state, &since) == SRV_E_NOT_FOUND); /* per member */
	CHECK(ops->app_consent_get(c, t2, bb, &state, &since) == SRV_E_NOT_FOUND); /* per thread */
	ops->conn_close(c);
	close_store(st);
}

/* deleting an app: its grants and tokens revoked, its app devices removed, its names gone, the app itself gone */
static void app_delete_takes_everything_of_it(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_app got;
	struct store_grant g;
	struct store_token t = {0}, tg;
	struct store_device d;
	struct rows k;
	unsigned char th[32] = {4}, th2[32] = {5};
	char alias[16];
	int64_t a, app, keep, gid, kg;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	app = add_app(ops, c, "c_del", "Del");
	keep = add_app(ops, c, "c_keep", "Keep");
	gid = add_grant(ops, c, "g_del", app, a, "share", 1000000);
	kg = add_grant(ops, c, "g_keep", keep, a, "share", 1000000);
	add_device(ops, c, a, "d_del", gid);
	add_device(ops, c, a, "d_keep", kg);
	t.kind = STORE_TOKEN_ACCESS;
	t.app_id = app;
	t.grant_id = gid;
	t.expires_at = 1000000;
	CHECK(ops->token_insert(c, th, &t) == SRV_E_OK);
	t.app_id = keep;
	t.grant_id = kg;
	CHECK(ops->token_insert(c, th2, &t) == SRV_E_OK);
	CHECK(ops->alias_set(c, app, a, "Mine") == SRV_E_OK);
	CHECK(ops->alias_set(c, keep, a, "Kept") == SRV_E_OK);

	CHECK(ops->app_delete(c, app) == SRV_E_OK);
	CHECK(ops->app_by_id(c, app, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->app_by_client_id(c, "c_del", &got) == SRV_E_NOT_FOUND);
	CHECK(ops->grant_by_id(c, gid, &g) == SRV_E_OK && g.revoked_at != 0);
	CHECK(ops->grant_live_check(c, app, a, NULL, 10) == SRV_E_NOT_FOUND);
	CHECK(ops->token_by_hash(c, th, &tg) == SRV_E_OK && tg.revoked_at != 0);
	CHECK(ops->device_by_public(c, "d_del", &d) == SRV_E_NOT_FOUND);
	CHECK(ops->alias_get(c, app, a, alias, sizeof(alias)) == SRV_E_NOT_FOUND);
	memset(&k, 0, sizeof(k));
	CHECK(ops->app_list(c, collect_app, &k) == SRV_E_OK && k.n == 1 && k.id[0] == keep);
	memset(&k, 0, sizeof(k));
	CHECK(ops->grant_list_user(c, a, collect_grant, &k) == SRV_E_OK && k.n == 1 && k.id[0] == kg);
	/* the other app keeps everything */
	CHECK(ops->grant_live_check(c, keep, a, "share", 10) == SRV_E_OK);
	CHECK(ops->token_by_hash(c, th2, &tg) == SRV_E_OK && tg.revoked_at == 0);
	CHECK(ops->device_by_public(c, "d_keep", &d) == SRV_E_OK);
	CHECK(ops->alias_get(c, keep, a, alias, sizeof(alias)) == SRV_E_OK);
	CHECK_EQ_STR(alias, "Kept");
	ops->conn_close(c);
	close_store(st);
}

/* a settled request asked anew is pending again from its new time: listed after requests made in between */
static void friend_request_renewed_lists_by_its_time(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct rows k;
	int64_t a, bb, cc, ab, cb;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	cc = add_user(ops, c, "carol");
	ab = add_freq(ops, c, "r_ab", a, bb, 10);
	CHECK(ops->freq_set_state(c, ab, STORE_FREQ_DECLINED, 10) == SRV_E_OK);
	cb = add_freq(ops, c, "r_cb", cc, bb, 11);
	CHECK(ops->freq_set_state(c, ab, STORE_FREQ_PENDING, 20) == SRV_E_OK); /* alice asks again at 20 */
	memset(&k, 0, sizeof(k));
	CHECK(ops->freq_list_pending(c, bb, 1, collect_freq, &k) == SRV_E_OK && k.n == 2);
	CHECK(k.id[0] == cb && k.id[1] == ab); /* oldest first: carol's (11), then alice's (20) */
	ops->conn_close(c);
	close_store(st);
}

static int collect_access(void *arg, const struct store_access_entry *row)
{
	rows_add(arg, row->id, row->action, row->seq);
	return 0;
}

static int64_t add_access(const struct store_ops *ops, struct store_conn *c, int64_t user, int64_t app, const char *action)
{
	struct store_access_entry e = {0};
	e.user_id = user;
	e.app_id = app;
	snprintf(e.action, sizeof(e.action), "%s", action);
	e.count = 1;
	e.at = 100;
	CHECK(ops->access_insert(c, &e) == SRV_E_OK);
	return e.seq;
}

/* shares found by their recipient while the message lives, opened once each, counted for rate limits; pairwise
 * ids per app; the access log numbered per person and paged newest first */
static void shares_pairwise_access_log(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct rows k;
	int64_t a, bb, cc, app, other, t, m, m2, sid = 0, app_of = 0, n = -1, user = 0, last;
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "alice");
	bb = add_user(ops, c, "bob");
	cc = add_user(ops, c, "carol");
	app = add_app(ops, c, "c_sh", "Sh");
	other = add_app(ops, c, "c_sh2", "Sh2");
	t = add_thread(ops, c, "t_s", a, STORE_THREAD_APP, 1, NULL);
	m = add_message(ops, c, t, 1, a, "m_s1", "eA");
	m2 = add_message(ops, c, t, 2, a, "m_s2", "eQ");

	CHECK(ops->share_insert(c, "s_1", app, 0, a, bb, t, m, "item-1", 100) == SRV_E_OK);
	CHECK(ops->share_insert(c, "s_2", app, 0, a, cc, t, m2, "item-1", 200) == SRV_E_OK);
	CHECK(ops->share_insert(c, "s_3", app, 0, bb, cc, t, m2, "item-2", 300) == SRV_E_OK);
	CHECK(ops->share_insert(c, "s_4", other, 0, a, bb, t, m2, "item-3", 300) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_1", bb, &sid, &app_of) == SRV_E_OK && sid > 0 && app_of == app);
	CHECK(ops->share_for_recipient(c, "s_1", cc, &sid, &app_of) == SRV_E_NOT_FOUND); /* not carol's */
	CHECK(ops->share_for_recipient(c, "s_none", bb, &sid, &app_of) == SRV_E_NOT_FOUND);
	CHECK(ops->share_for_recipient(c, "s_1", bb, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, bb, 150) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, bb, 160) == SRV_E_CONFLICT); /* that recipient already clicked */
	CHECK(ops->message_erase(c, m, 170) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_1", bb, &sid, &app_of) == SRV_E_NOT_FOUND); /* its message is gone */

	CHECK(ops->share_count(c, app, 0, 0, 0, &n) == SRV_E_OK && n == 3);     /* the app's */
	CHECK(ops->share_count(c, app, a, 0, 0, &n) == SRV_E_OK && n == 2);     /* by a sender */
	CHECK(ops->share_count(c, app, 0, cc, 0, &n) == SRV_E_OK && n == 2);    /* to a recipient */
	CHECK(ops->share_count(c, app, a, cc, 0, &n) == SRV_E_OK && n == 1);
	CHECK(ops->share_count(c, app, 0, 0, 200, &n) == SRV_E_OK && n == 2);   /* created at or after since */
	CHECK(ops->share_count(c, app, 0, 0, 301, &n) == SRV_E_OK && n == 0);
	CHECK(ops->share_count(c, other, a, 0, 0, &n) == SRV_E_OK && n == 1);

	CHECK(ops->pairwise_put(c, app, a, "p_a") == SRV_E_OK);
	CHECK(ops->pairwise_put(c, other, bb, "p_a") == SRV_E_OK); /* the same alias in another app */
	CHECK(ops->pairwise_resolve(c, app, "p_a", &user) == SRV_E_OK && user == a);
	CHECK(ops->pairwise_resolve(c, other, "p_a", &user) == SRV_E_OK && user == bb);
	CHECK(ops->pairwise_resolve(c, app, "p_b", &user) == SRV_E_NOT_FOUND);

	/* the access log: each person's lines numbered 1, 2, 3...; listed newest first, below a cursor, per app */
	for (i = 1; i <= 4; i++)
		CHECK_EQ_INT(add_access(ops, c, a, i % 2 ? app : other, i % 2 ? "read" : "send"), i);
	CHECK_EQ_INT(add_access(ops, c, bb, app, "read"), 1);
	memset(&k, 0, sizeof(k));
	CHECK(ops->access_list(c, a, 0, 0, 3, collect_access, &k) == SRV_E_OK);
	CHECK(k.n == 3 && k.x[0] == 4 && k.x[1] == 3 && k.x[2] == 2 && k.id[0] > k.id[1] && k.id[1] > k.id[2]);
	last = k.id[2];
	memset(&k, 0, sizeof(k));
	CHECK(ops->access_list(c, a, 0, last, 3, collect_access, &k) == SRV_E_OK && k.n == 1 && k.x[0] == 1);
	memset(&k, 0, sizeof(k));
	CHECK(ops->access_list(c, a, other, 0, 10, collect_access, &k) == SRV_E_OK);
	CHECK(k.n == 2 && k.x[0] == 4 && k.x[1] == 2 && strcmp(k.pid[0], "send") == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->access_list(c, bb, 0, 0, 10, collect_access, &k) == SRV_E_OK && k.n == 1 && k.x[0] == 1);
	ops->conn_close(c);
	close_store(st);
}

/* the rest of what account_delete takes: statements, prekeys, codes, grant threads, permits both ways, consents,
 * shares it sent and clicks on them or by it; what others hold stays */
static void account_delete_statements_and_partner_rows(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_identity id = {0}, got;
	struct store_prekey pk = {0};
	struct store_code code = {0}, cg;
	struct collected k;
	unsigned char stmt[3] = {0x50, 2, 1}, ch[32] = {11};
	int64_t a, bb, cc, dev, app, g, gb, t, m, sid = 0, app_of = 0, n = -1, one = -1, sig = -1;
	int state = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	a = add_user(ops, c, "gone");
	bb = add_user(ops, c, "bob");
	cc = add_user(ops, c, "carol");
	dev = add_device(ops, c, a, "d_gone", 0);
	id.user_id = a;
	id.statement_len = 3;
	memcpy(id.statement, stmt, 3);
	CHECK(ops->identity_put(c, &id) == SRV_E_OK);
	CHECK(ops->contact_add(c, a, stmt, 3, 1) == SRV_E_OK);
	CHECK(ops->revocation_add(c, a, dev, stmt, 3, 1) == SRV_E_OK);
	pk.kind = STORE_PREKEY_ONE_TIME;
	pk.key_id = 1;
	pk.len = 3;
	CHECK(ops->prekey_put(c, dev, &pk, 1) == SRV_E_OK);
	app = add_app(ops, c, "c_acc", "Acc");
	g = add_grant(ops, c, "g_gone", app, a, "share", 100000);
	gb = add_grant(ops, c, "g_bob", app, bb, "share", 100000);
	code.grant_id = g;
	code.app_id = app;
	code.expires_at = 100000;
	CHECK(ops->code_insert(c, ch, &code) == SRV_E_OK);
	t = add_thread(ops, c, "t_acc", a, STORE_THREAD_APP, 1, NULL);
	CHECK(ops->member_add(c, t, a, 0) == SRV_E_OK && ops->member_add(c, t, bb, 0) == SRV_E_OK);
	CHECK(ops->grant_thread_add(c, g, t) == SRV_E_OK && ops->grant_thread_add(c, gb, t) == SRV_E_OK);
	CHECK(ops->share_permit_add(c, g, bb) == SRV_E_OK);  /* it picked bob */
	CHECK(ops->share_permit_add(c, gb, a) == SRV_E_OK);  /* bob picked it */
	CHECK(ops->share_permit_add(c, gb, cc) == SRV_E_OK); /* bob picked carol */
	CHECK(ops->app_consent_set(c, t, a, 1, 5, stmt, 3) == SRV_E_OK);
	CHECK(ops->app_consent_set(c, t, bb, 1, 5, NULL, 0) == SRV_E_OK);
	m = add_message(ops, c, t, 1, bb, "m_acc", "eA");
	CHECK(ops->share_insert(c, "s_by", app, g, a, bb, t, m, "i", 10) == SRV_E_OK);  /* it sent */
	CHECK(ops->share_insert(c, "s_to", app, gb, bb, a, t, m, "i", 11) == SRV_E_OK); /* sent to it */
	CHECK(ops->share_insert(c, "s_bc", app, gb, bb, cc, t, m, "i", 12) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_by", bb, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, bb, 20) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_to", a, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, a, 21) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_bc", cc, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, cc, 22) == SRV_E_OK);

	CHECK(ops->account_delete(c, a, 50, 100) == SRV_E_OK);
	CHECK(ops->identity_get(c, a, &got) == SRV_E_NOT_FOUND);
	CHECK(ops->contact_count(c, a, &n) == SRV_E_OK && n == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->revocation_list(c, a, collect_statement, &k) == SRV_E_OK && k.n == 0);
	CHECK(ops->prekey_count(c, dev, &one, &sig) == SRV_E_OK && one == 0 && sig == -1);
	CHECK(ops->code_get(c, ch, app, &cg) == SRV_E_OK && cg.used_at != 0); /* no longer redeemable */
	CHECK(ops->grant_thread_check(c, g, t) == SRV_E_NOT_FOUND);
	CHECK(ops->grant_thread_check(c, gb, t) == SRV_E_OK);     /* bob's grant keeps the thread */
	CHECK(ops->share_permit_check(c, g, bb) == SRV_E_NOT_FOUND);
	CHECK(ops->share_permit_check(c, gb, a) == SRV_E_NOT_FOUND); /* permits naming it go too */
	CHECK(ops->share_permit_check(c, gb, cc) == SRV_E_OK);
	CHECK(ops->app_consent_get(c, t, a, &state, NULL) == SRV_E_NOT_FOUND);
	CHECK(ops->app_consent_get(c, t, bb, &state, NULL) == SRV_E_OK);
	CHECK(ops->share_for_recipient(c, "s_by", bb, &sid, &app_of) == SRV_E_NOT_FOUND); /* the shares it sent */
	CHECK(ops->share_count(c, app, a, 0, 0, &n) == SRV_E_OK && n == 0);
	CHECK(ops->share_count(c, app, bb, 0, 0, &n) == SRV_E_OK && n == 2); /* those sent to it stay */
	CHECK(ops->share_for_recipient(c, "s_to", a, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, a, 60) == SRV_E_OK);    /* its click went: the slot is free */
	CHECK(ops->share_for_recipient(c, "s_bc", cc, &sid, &app_of) == SRV_E_OK);
	CHECK(ops->click_insert(c, sid, cc, 61) == SRV_E_CONFLICT); /* carol's click on bob's share stays */
	ops->conn_close(c);
	close_store(st);
}

/* ---- the cursor under concurrent writers ---- */

/*
 * Several writers, each on its own connection (on PostgreSQL: truly concurrent transactions; on SQLite they take
 * turns at BEGIN IMMEDIATE), append to one user's log while a reader follows it with a cursor, as a client does
 * on reconnecting to any node. Each writer's transaction appends twice (one event of the user's, one of another
 * user's, so transactions overlap in both logs) and sleeps between its number and its commit, so numbers taken
 * later could commit first if they were not serialised per user. The reader checks each page starts right after
 * its cursor with no gap (a gap would be a number that commits later: a cursor past it skips it), and at the end
 * that it saw every event once.
 */
#define CW_WRITERS 4
#define CW_EACH 30

struct cw_ctx {
	const struct store_ops *ops;
	struct store *st;
	int64_t user, other;
	int writers_left, failed;
	pthread_mutex_t lock;
};

static void *cw_writer(void *arg)
{
	struct cw_ctx *x = arg;
	struct store_conn *c = NULL;
	struct store_event e = {0};
	int i, bad = 0;

	if (x->ops->conn_open(x->st, 1, &c) != SRV_E_OK)
		bad = 1;
	for (i = 0; !bad && i < CW_EACH; i++) {
		memset(&e, 0, sizeof(e));
		snprintf(e.type, sizeof(e.type), "message.created");
		e.data = "{}";
		if (x->ops->begin(c) != SRV_E_OK) {
			bad = 1;
			break;
		}
		e.user_id = x->user;
		bad = x->ops->event_append(c, &e) != SRV_E_OK;
		usleep(200 + (unsigned)(i % 5) * 300); /* hold the number a while before committing */
		e.user_id = x->other;
		if (!bad)
			bad = x->ops->event_append(c, &e) != SRV_E_OK;
		if (bad || x->ops->commit(c) != SRV_E_OK) {
			x->ops->rollback(c);
			bad = 1;
		}
	}
	if (c)
		x->ops->conn_close(c);
	pthread_mutex_lock(&x->lock);
	x->failed |= bad;
	x->writers_left--;
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

struct cw_page {
	int64_t cursor, n;
	int gap;
};

static int cw_row(void *arg, const struct store_event *e)
{
	struct cw_page *p = arg;
	if (e->seq != p->cursor + 1)
		p->gap = 1;
	p->cursor = e->seq;
	p->n++;
	return 0;
}

static void cursor_never_skips_under_concurrent_writers(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL, *r = NULL;
	struct cw_ctx x = {0};
	struct cw_page page = {0};
	pthread_t th[CW_WRITERS];
	int i, left = CW_WRITERS, reads = 0;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	x.user = add_user(ops, c, "followed");
	x.other = add_user(ops, c, "other");
	ops->conn_close(c);
	x.ops = ops;
	x.st = st;
	x.writers_left = CW_WRITERS;
	pthread_mutex_init(&x.lock, NULL);
	CHECK(ops->conn_open(st, 0, &r) == SRV_E_OK);
	for (i = 0; i < CW_WRITERS; i++)
		CHECK(pthread_create(&th[i], NULL, cw_writer, &x) == 0);
	while (left > 0 || reads == 0) {
		pthread_mutex_lock(&x.lock);
		left = x.writers_left;
		pthread_mutex_unlock(&x.lock);
		/* a whole page as a reader on a node sees it: one snapshot, from the cursor it holds */
		CHECK(ops->read_begin(r) == SRV_E_OK);
		CHECK(ops->event_list(r, x.user, 0, page.cursor, 7, cw_row, &page) == SRV_E_OK);
		ops->read_end(r);
		CHECK(page.gap == 0);
		reads++;
		if (left > 0)
			usleep(300);
	}
	for (i = 0; i < CW_WRITERS; i++)
		pthread_join(th[i], NULL);
	CHECK(x.failed == 0);
	do { /* the rest after the last writer ended */
		int64_t before = page.n;
		CHECK(ops->read_begin(r) == SRV_E_OK);
		CHECK(ops->event_list(r, x.user, 0, page.cursor, 7, cw_row, &page) == SRV_E_OK);
		ops->read_end(r);
		if (page.n == before)
			break;
	} while (1);
	CHECK(page.gap == 0);
	CHECK_EQ_INT(page.n, CW_WRITERS * CW_EACH); /* each event once: none skipped, none twice */
	CHECK(page.cursor == CW_WRITERS * CW_EACH);
	ops->conn_close(r);
	pthread_mutex_destroy(&x.lock);
	close_store(st);
}

/*
 * Appends to the transparency log and the access log by writers on several connections at once, as the writers
 * of several nodes on one database do: each reads where to append (the log's size, the person's last line
 * number) and writes there, holding its number a while before committing. Under tlog_lock they take turns and
 * every append lands; without it two writers read the same size and one fails on the index the other took.
 */
#define LA_WRITERS 4
#define LA_EACH 12

struct la_ctx {
	const struct store_ops *ops;
	struct store *st;
	int64_t user, app, grant;
	int id_base, failed;
	pthread_mutex_t lock;
};

static void *la_writer(void *arg)
{
	struct la_ctx *x = arg;
	struct store_conn *c = NULL;
	unsigned char leaf[16], entry[STORE_HASH_LEN];
	int i, me, bad = 0;

	pthread_mutex_lock(&x->lock);
	me = x->id_base++;
	pthread_mutex_unlock(&x->lock);
	if (x->ops->conn_open(x->st, 1, &c) != SRV_E_OK)
		bad = 1;
	for (i = 0; !bad && i < LA_EACH; i++) {
		struct store_access_entry ae = {0};
		int64_t n = -1;
		memset(leaf, 0x30 + me, sizeof(leaf));
		memset(entry, 0, sizeof(entry));
		entry[0] = (unsigned char)me;
		entry[1] = (unsigned char)i;
		ae.user_id = x->user;
		ae.app_id = x->app;
		ae.grant_id = x->grant;
		snprintf(ae.action, sizeof(ae.action), "read");
		if (x->ops->begin(c) != SRV_E_OK) {
			bad = 1;
			break;
		}
		bad = x->ops->access_insert(c, &ae) != SRV_E_OK || x->ops->tlog_lock(c) != SRV_E_OK ||
		      x->ops->tlog_size(c, &n) != SRV_E_OK;
		usleep(200 + (unsigned)(i % 4) * 300); /* hold the place a while before writing and committing */
		if (!bad)
			bad = x->ops->tlog_leaf_put(c, n, leaf, sizeof(leaf), entry, 1000 + i) != SRV_E_OK;
		if (bad || x->ops->commit(c) != SRV_E_OK) {
			x->ops->rollback(c);
			bad = 1;
		}
	}
	if (c)
		x->ops->conn_close(c);
	pthread_mutex_lock(&x->lock);
	x->failed |= bad;
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

static int la_seq(void *arg, const struct store_access_entry *e)
{
	unsigned char *seen = arg;
	if (e->seq >= 1 && e->seq <= LA_WRITERS * LA_EACH)
		seen[e->seq - 1]++;
	return 0;
}

static void log_appends_take_turns_across_writers(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct la_ctx x = {0};
	pthread_t th[LA_WRITERS];
	unsigned char seen[LA_WRITERS * LA_EACH] = {0};
	int64_t n = -1;
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	x.user = add_user(ops, c, "audited");
	x.app = add_app(ops, c, "c_turns", "Turns");
	x.grant = add_grant(ops, c, "g_turns", x.app, x.user, "messages:read", 1000000);
	CHECK(ops->begin(c) == SRV_E_OK && ops->tlog_lock(c) == SRV_E_OK && ops->tlog_lock(c) == SRV_E_OK); /* again: allowed */
	CHECK(ops->commit(c) == SRV_E_OK);
	x.ops = ops;
	x.st = st;
	pthread_mutex_init(&x.lock, NULL);
	for (i = 0; i < LA_WRITERS; i++)
		CHECK(pthread_create(&th[i], NULL, la_writer, &x) == 0);
	for (i = 0; i < LA_WRITERS; i++)
		pthread_join(th[i], NULL);
	CHECK(x.failed == 0);
	CHECK(ops->tlog_size(c, &n) == SRV_E_OK);
	CHECK_EQ_INT(n, LA_WRITERS * LA_EACH); /* every leaf landed, at indexes 0..n-1 */
	CHECK(ops->access_list(c, x.user, 0, 0, 1000, la_seq, seen) == SRV_E_OK);
	for (i = 0; i < LA_WRITERS * LA_EACH; i++)
		CHECK_EQ_INT(seen[i], 1); /* each line number once */
	ops->conn_close(c);
	pthread_mutex_destroy(&x.lock);
	close_store(st);
}

/*
 * One-time prekeys taken by writers on several connections at once (several nodes handing out keys of one device):
 * each key goes to one taker only, and a taker that lost a race for the oldest key gets the next one instead of
 * "none left" while keys remain.
 */
#define PT_WRITERS 4
#define PT_EACH 6

struct pt_ctx {
	const struct store_ops *ops;
	struct store *st;
	int64_t device;
	int failed;
	int taken[PT_WRITERS * PT_EACH + 1]; /* by key id */
	pthread_mutex_t lock;
};

static void *pt_writer(void *arg)
{
	struct pt_ctx *x = arg;
	struct store_conn *c = NULL;
	int i, bad = 0;

	if (x->ops->conn_open(x->st, 1, &c) != SRV_E_OK)
		bad = 1;
	for (i = 0; !bad && i < PT_EACH; i++) {
		struct store_prekey k = {0};
		if (x->ops->begin(c) != SRV_E_OK) {
			bad = 1;
			break;
		}
		bad = x->ops->prekey_take_one_time(c, x->device, &k) != SRV_E_OK || k.key_id < 1 || k.key_id > PT_WRITERS * PT_EACH;
		usleep(200 + (unsigned)(i % 4) * 300); /* hold the key a while before committing */
		if (bad || x->ops->commit(c) != SRV_E_OK) {
			x->ops->rollback(c);
			bad = 1;
			break;
		}
		pthread_mutex_lock(&x->lock);
		x->taken[k.key_id]++;
		pthread_mutex_unlock(&x->lock);
	}
	if (c)
		x->ops->conn_close(c);
	pthread_mutex_lock(&x->lock);
	x->failed |= bad;
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

static void one_time_prekeys_taken_once_across_writers(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *c = NULL;
	struct store_prekey pk = {0}, out;
	struct pt_ctx x = {0};
	pthread_t th[PT_WRITERS];
	int i;

	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	x.device = add_device(ops, c, add_user(ops, c, "sought"), "d_sought", 0);
	pk.kind = STORE_PREKEY_ONE_TIME;
	pk.len = 1;
	for (i = 1; i <= PT_WRITERS * PT_EACH; i++) {
		pk.key_id = i;
		pk.statement[0] = (unsigned char)i;
		CHECK(ops->prekey_put(c, x.device, &pk, i) == SRV_E_OK);
	}
	x.ops = ops;
	x.st = st;
	pthread_mutex_init(&x.lock, NULL);
	for (i = 0; i < PT_WRITERS; i++)
		CHECK(pthread_create(&th[i], NULL, pt_writer, &x) == 0);
	for (i = 0; i < PT_WRITERS; i++)
		pthread_join(th[i], NULL);
	CHECK(x.failed == 0); /* every take found a key: exactly as many as there were */
	for (i = 1; i <= PT_WRITERS * PT_EACH; i++)
		CHECK_EQ_INT(x.taken[i], 1); /* each to one taker */
	CHECK(ops->prekey_take_one_time(c, x.device, &out) == SRV_E_NOT_FOUND);
	ops->conn_close(c);
	pthread_mutex_destroy(&x.lock);
	close_store(st);
}

/*
 * A group commit (begin_group) waits only so long for another transaction's lock on PostgreSQL: the request that
 * waited is undone to its savepoint and rollback_to says it may succeed when run again (SRV_E_TX_RETRY), while
 * the group goes on and commits the rest. A request that made an answer of its own of the failure is undone by
 * release all the same. On SQLite (one writer) begin_group is begin and nothing waits.
 */
static void group_lock_waits_are_bounded(void)
{
	const struct store_ops *ops = NULL;
	struct store *st = open_store(&ops);
	struct store_conn *a = NULL, *b = NULL;
	struct store_user u;
	int64_t held, free_one;

	CHECK(ops->conn_open(st, 1, &a) == SRV_E_OK);
	held = add_user(ops, a, "held");
	free_one = add_user(ops, a, "free");
	CHECK(ops->begin_group(a) == SRV_E_OK && ops->savepoint(a) == SRV_E_OK);
	CHECK(ops->user_set_password(a, free_one, "grouped") == SRV_E_OK && ops->release(a) == SRV_E_OK);
	CHECK(ops->commit(a) == SRV_E_OK);
	CHECK(ops->user_by_id(a, free_one, &u) == SRV_E_OK && strcmp(u.pw_hash, "grouped") == 0);
	if (strcmp(engine->scheme, "sqlite") != 0) {
		CHECK(ops->conn_open(st, 1, &b) == SRV_E_OK);
		CHECK(ops->begin(a) == SRV_E_OK && ops->user_set_password(a, held, "first") == SRV_E_OK); /* a holds the row */
		CHECK(ops->begin_group(b) == SRV_E_OK);
		CHECK(ops->savepoint(b) == SRV_E_OK);
		CHECK(ops->user_set_password(b, held, "second") == SRV_E_TX_RETRY); /* gave up waiting */
		CHECK(ops->rollback_to(b) == SRV_E_TX_RETRY);                     /* undone: may be run again */
		CHECK(ops->savepoint(b) == SRV_E_OK);
		CHECK(ops->user_set_password(b, free_one, "rest") == SRV_E_OK && ops->release(b) == SRV_E_OK);
		CHECK(ops->savepoint(b) == SRV_E_OK);
		(void)ops->user_set_password(b, held, "swallowed"); /* a request that ignores the failure ... */
		CHECK(ops->release(b) == SRV_E_TX_RETRY);             /* ... is undone, not kept */
		CHECK(ops->commit(b) == SRV_E_OK);                    /* the rest of the group commits */
		CHECK(ops->commit(a) == SRV_E_OK);
		CHECK(ops->user_by_id(b, free_one, &u) == SRV_E_OK && strcmp(u.pw_hash, "rest") == 0);
		CHECK(ops->user_by_id(b, held, &u) == SRV_E_OK && strcmp(u.pw_hash, "first") == 0);
		ops->conn_close(b);
	}
	ops->conn_close(a);
	close_store(st);
}

/*
 * Migration 12 on a database that has had 11 (SQLite's own file: the suite's other engines have no such past):
 * the events already there keep their id as their number, so a cursor given before the upgrade still means
 * the same place, and new numbers start above every id ever given (the pruned newest one too).
 */
static int collect_seq(void *arg, const struct store_event *row)
{
	struct rows *k = arg;
	rows_add(k, row->seq, row->type, row->user_id);
	return 0;
}

static void migration_keeps_old_cursors(void)
{
	const struct store_ops *ops = &store_sqlite_ops;
	struct store_options o = {0};
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct store_event e = {0};
	struct rows k;
	sqlite3 *db = NULL;
	int64_t last = -1;
	size_t i;

	if (strcmp(engine->scheme, "sqlite") != 0)
		return; /* the upgrade of a database from before migration 12 exists for SQLite only */
	sqlite_fresh(NULL, &o);
	CHECK(sqlite3_open(o.path, &db) == SQLITE_OK);
	for (i = 0; i < 11; i++)
		CHECK(sqlite3_exec(db, store_schema[i].sql, NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 11;"
		"INSERT INTO users(id, public_id, username, pw_hash, created_at) VALUES(1, 'u_a', 'a', 'x', 0), (2, 'u_b', 'b', 'x', 0);"
		"INSERT INTO events(user_id, device_id, type, ref_id, data, created_at) VALUES"
		"  (1, 0, 'one', 0, '{}', 0), (1, 0, 'two', 0, '{}', 0), (2, 0, 'three', 0, '{}', 0), (1, 7, 'to_device', 0, '{}', 0);"
		"DELETE FROM events WHERE id = 4;", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_close(db) == SQLITE_OK);

	CHECK(ops->open(&o, &st) == SRV_E_OK);
	CHECK(ops->conn_open(st, 1, &c) == SRV_E_OK);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, 1, 0, 1, 100, collect_seq, &k) == SRV_E_OK); /* a's cursor "1" from before */
	CHECK(k.n == 1 && k.id[0] == 2 && strcmp(k.pid[0], "two") == 0);
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, 2, 0, 0, 100, collect_seq, &k) == SRV_E_OK && k.n == 1 && k.id[0] == 3);
	CHECK(ops->event_last_seq(c, 1, &last) == SRV_E_OK && last == 4); /* the pruned id 4 is never given again */
	CHECK(ops->event_last_seq(c, 2, &last) == SRV_E_OK && last == 4);
	e.user_id = 2;
	snprintf(e.type, sizeof(e.type), "four");
	e.data = "{}";
	CHECK(ops->event_append(c, &e) == SRV_E_OK && e.seq == 5); /* after b's old cursor 3, and after 4 */
	memset(&k, 0, sizeof(k));
	CHECK(ops->event_list(c, 2, 0, 3, 100, collect_seq, &k) == SRV_E_OK && k.n == 1 && k.id[0] == 5);
	CHECK(add_user(ops, c, "newcomer") > 0);
	e.user_id = 3;
	CHECK(ops->event_append(c, &e) == SRV_E_OK && e.seq == 1); /* a new user's log starts at 1 */
	ops->conn_close(c);
	ops->close(st);
	sqlite_discard(&o);
}

static const struct unit_case cases[] = {
	{"users_sessions_friends", users_sessions_friends},
	{"threads_messages_events", threads_messages_events},
	{"identities_devices_contacts", identities_devices_contacts},
	{"chains_prekeys_apps", chains_prekeys_apps},
	{"reports_counts_settings_frozen", reports_counts_settings_frozen},
	{"codes_tokens_aliases", codes_tokens_aliases},
	{"transparency_log", transparency_log},
	{"log_appends_take_turns_across_writers", log_appends_take_turns_across_writers},
	{"one_time_prekeys_taken_once_across_writers", one_time_prekeys_taken_once_across_writers},
	{"group_lock_waits_are_bounded", group_lock_waits_are_bounded},
	{"accounts_delete_quarantine_invites", accounts_delete_quarantine_invites},
	{"transactions_rollback_and_read_snapshot", transactions_rollback_and_read_snapshot},
	{"sessions_bound_to_devices", sessions_bound_to_devices},
	{"friend_requests_and_friend_list", friend_requests_and_friend_list},
	{"devices_keys_lists_grants", devices_keys_lists_grants},
	{"threads_inbox_paging_members", threads_inbox_paging_members},
	{"messages_by_id_and_pages", messages_by_id_and_pages},
	{"events_lists_and_to_device", events_lists_and_to_device},
	{"apps_and_grants", apps_and_grants},
	{"grant_live_check_scope_words", grant_live_check_scope_words},
	{"grant_threads_tokens_consents", grant_threads_tokens_consents},
	{"app_delete_takes_everything_of_it", app_delete_takes_everything_of_it},
	{"friend_request_renewed_lists_by_its_time", friend_request_renewed_lists_by_its_time},
	{"shares_pairwise_access_log", shares_pairwise_access_log},
	{"account_delete_statements_and_partner_rows", account_delete_statements_and_partner_rows},
	{"savepoint_rolls_back_one_request", savepoint_rolls_back_one_request},
	{"group_commit_batches_and_isolates_failures", group_commit_batches_and_isolates_failures},
	{"cursor_never_skips_under_concurrent_writers", cursor_never_skips_under_concurrent_writers},
	{"migration_keeps_old_cursors", migration_keeps_old_cursors},
};

int main(int argc, char **argv)
{
	char why[160];
	if (engine_select(why, sizeof(why)) != 0) {
		printf("skip store: %s\n", why);
		printf("unit store: 0 passed, 0 failed\n");
		return 0;
	}
	char suite[64] = "store";
	if (engine != &engines[0]) /* the tier line names any engine but the default: "unit store (postgresql): ..." */
		snprintf(suite, sizeof(suite), "store (%s)", engine->ops->name);
	printf("# store engine: %s\n", engine->scheme);
	return unit_run(suite, cases, (int)(sizeof(cases) / sizeof(cases[0])), argc, argv);
}
