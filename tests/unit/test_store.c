/*
 * test_store.c — the storage conformance suite, run against every backend in backends[] (today SQLite; a
 * PostgreSQL backend adds one row), plus the group-commit executor on top of it.
 */
#include "unit.h"

#include "dbexec.h"
#include "store.h"

#include <pthread.h>
#include <sodium.h>

static const struct store_ops *const backends[] = {&store_sqlite_ops};

static char dir[] = "/tmp/postern-store-XXXXXX";

static struct store *open_store(const struct store_ops *ops)
{
	struct store_options o;
	struct store *st = NULL;
	char path[128];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	o.path = path;
	o.durable = 0;
	CHECK(ops->open(&o, &st) == PST_E_OK);
	return st;
}

static int64_t add_user(const struct store_ops *ops, struct store_conn *c, const char *name)
{
	struct store_user u = {0};
	snprintf(u.public_id, sizeof(u.public_id), "u_%s", name);
	snprintf(u.username, sizeof(u.username), "%s", name);
	snprintf(u.pw_hash, sizeof(u.pw_hash), "x");
	CHECK(ops->user_insert(c, &u) == PST_E_OK);
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
	size_t b;
	for (b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct store_ops *ops = backends[b];
		struct store *st = open_store(ops);
		struct store_conn *c = NULL;
		struct store_user u, dup = {0};
		struct store_session s = {0}, s2;
		unsigned char h[32] = {1};
		int64_t a, bb;

		CHECK(ops->conn_open(st, 1, &c) == PST_E_OK);
		a = add_user(ops, c, "alice");
		bb = add_user(ops, c, "bob");
		snprintf(dup.public_id, sizeof(dup.public_id), "u_other");
		snprintf(dup.username, sizeof(dup.username), "alice");
		CHECK(ops->user_insert(c, &dup) == PST_E_CONFLICT);
		CHECK(ops->user_by_name(c, "alice", &u) == PST_E_OK && u.id == a);
		CHECK(ops->user_by_public(c, "u_bob", &u) == PST_E_OK && u.id == bb);
		CHECK(ops->user_by_name(c, "carol", &u) == PST_E_NOT_FOUND);

		s.user_id = a;
		s.created_at = 1;
		s.expires_at = 2;
		CHECK(ops->session_insert(c, h, &s) == PST_E_OK);
		CHECK(ops->session_by_hash(c, h, &s2) == PST_E_OK && s2.user_id == a && s2.device_id == 0);
		CHECK(ops->session_alive(c, s.id, 1) == PST_E_OK);
		CHECK(ops->session_alive(c, s.id, 2) == PST_E_NOT_FOUND); /* expired */
		CHECK(ops->session_delete(c, s.id) == PST_E_OK);
		CHECK(ops->session_by_hash(c, h, &s2) == PST_E_NOT_FOUND);
		CHECK(ops->session_alive(c, s.id, 1) == PST_E_NOT_FOUND);

		/* a password change: the new hash, and every other session of the user ends */
		{
			struct store_session k = {0}, o = {0}, ob = {0};
			int listed = 0, none = 0;
			unsigned char hk[32] = {2}, ho[32] = {3}, hb[32] = {4};
			k.user_id = o.user_id = a;
			ob.user_id = bb;
			k.expires_at = o.expires_at = ob.expires_at = 100;
			CHECK(ops->session_insert(c, hk, &k) == PST_E_OK && ops->session_insert(c, ho, &o) == PST_E_OK &&
			      ops->session_insert(c, hb, &ob) == PST_E_OK);
			CHECK(ops->user_set_password(c, a, "new-hash") == PST_E_OK);
			CHECK(ops->user_by_id(c, a, &u) == PST_E_OK && strcmp(u.pw_hash, "new-hash") == 0);
			CHECK(ops->user_set_password(c, 999999, "x") == PST_E_NOT_FOUND);
			CHECK(ops->session_list_user(c, a, 1, count_session, &listed) == PST_E_OK);
			CHECK_EQ_INT(listed, 2); /* k and o; s expired and was deleted; ob is bob's */
			CHECK(ops->session_list_user(c, a, 100, count_session, &none) == PST_E_OK);
			CHECK_EQ_INT(none, 0); /* all of them expire at 100 */
			CHECK(ops->session_delete_others(c, a, k.id) == PST_E_OK);
			CHECK(ops->session_alive(c, k.id, 1) == PST_E_OK);
			CHECK(ops->session_alive(c, o.id, 1) == PST_E_NOT_FOUND);
			CHECK(ops->session_alive(c, ob.id, 1) == PST_E_OK); /* another user's */
		}

		CHECK(ops->friend_check(c, a, bb) == PST_E_NOT_FOUND);
		CHECK(ops->friend_insert(c, a, bb, 5) == PST_E_OK);
		CHECK(ops->friend_insert(c, bb, a, 5) == PST_E_CONFLICT);
		CHECK(ops->friend_check(c, a, bb) == PST_E_OK && ops->friend_check(c, bb, a) == PST_E_OK);
		CHECK(ops->friend_delete(c, bb, a) == PST_E_OK);
		CHECK(ops->friend_check(c, a, bb) == PST_E_NOT_FOUND);
		CHECK(ops->friend_delete(c, bb, a) == PST_E_NOT_FOUND);
		ops->conn_close(c);
		ops->close(st);
	}
}

static void threads_messages_events(void)
{
	size_t b;
	for (b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct store_ops *ops = backends[b];
		struct store *st = open_store(ops);
		struct store_conn *c = NULL;
		struct store_thread t = {0}, t2;
		struct store_message m = {0}, m2;
		struct store_event e = {0};
		int64_t a, bb, seq = 0, rs = 0, e1, e2, last = 0;

		CHECK(ops->conn_open(st, 1, &c) == PST_E_OK);
		a = add_user(ops, c, "alice");
		bb = add_user(ops, c, "bob");
		snprintf(t.public_id, sizeof(t.public_id), "t_1");
		t.kind = STORE_THREAD_DIRECT;
		t.creator = a;
		t.created_at = 10;
		CHECK(ops->thread_insert(c, &t, "1:2") == PST_E_OK);
		snprintf(t2.public_id, sizeof(t2.public_id), "t_2");
		t2.kind = STORE_THREAD_DIRECT;
		t2.creator = a;
		t2.created_at = 10;
		CHECK(ops->thread_insert(c, &t2, "1:2") == PST_E_CONFLICT);
		CHECK(ops->member_add(c, t.id, a, 0) == PST_E_OK);
		CHECK(ops->member_add(c, t.id, a, 0) == PST_E_CONFLICT);
		CHECK(ops->thread_for_member(c, "t_1", bb, &t2) == PST_E_NOT_FOUND); /* not a member */
		CHECK(ops->member_add(c, t.id, bb, 0) == PST_E_OK);
		CHECK(ops->thread_for_member(c, "t_1", bb, &t2) == PST_E_OK && t2.id == t.id);

		CHECK(ops->thread_next_seq(c, t.id, 20, &seq) == PST_E_OK && seq == 1);
		CHECK(ops->thread_next_seq(c, t.id, 15, &seq) == PST_E_OK && seq == 2);
		CHECK(ops->thread_for_member(c, "t_1", a, &t2) == PST_E_OK && t2.last_seq == 2 && t2.last_activity == 20);

		snprintf(m.public_id, sizeof(m.public_id), "m_1");
		m.thread_id = t.id;
		m.seq = 1;
		m.sender_id = a;
		snprintf(m.client_msg_id, sizeof(m.client_msg_id), "c1");
		snprintf(m.kind, sizeof(m.kind), "message");
		m.body = "Ym9keQ";
		m.body_len = 6;
		CHECK(ops->message_insert(c, &m) == PST_E_OK);
		snprintf(m.public_id, sizeof(m.public_id), "m_2");
		m.seq = 2;
		CHECK(ops->message_insert(c, &m) == PST_E_CONFLICT); /* same client_msg_id */
		CHECK(ops->message_by_client_id(c, a, "c1", &m2) == PST_E_OK && m2.seq == 1);
		CHECK(ops->message_erase(c, m2.id, 30) == PST_E_OK);
		CHECK(ops->message_by_public(c, t.id, "m_1", &m2) == PST_E_OK && m2.deleted_at == 30);

		/* read marker: forward only, never past last_seq */
		CHECK(ops->member_mark_read(c, t.id, bb, 1, &rs) == PST_E_OK && rs == 1);
		CHECK(ops->member_mark_read(c, t.id, bb, 0, &rs) == PST_E_OK && rs == 1);
		CHECK(ops->member_mark_read(c, t.id, bb, 99, &rs) == PST_E_OK && rs == 2);

		/* events: ids grow and are never reused, even after the newest is pruned */
		e.user_id = bb;
		e.device_id = 7;
		snprintf(e.type, sizeof(e.type), "to_device");
		e.data = "{}";
		CHECK(ops->event_append(c, &e) == PST_E_OK);
		e1 = e.id;
		CHECK(ops->event_prune_to_device(c, 7, e1) == PST_E_OK);
		e.device_id = 0;
		CHECK(ops->event_append(c, &e) == PST_E_OK);
		e2 = e.id;
		CHECK(e2 > e1);
		CHECK(ops->event_last_id(c, &last) == PST_E_OK && last == e2);
		ops->conn_close(c);
		ops->close(st);
	}
}

static void savepoint_rolls_back_one_request(void)
{
	const struct store_ops *ops = backends[0];
	struct store *st = open_store(ops);
	struct store_conn *c = NULL;
	struct store_user u;

	CHECK(ops->conn_open(st, 1, &c) == PST_E_OK);
	CHECK(ops->begin(c) == PST_E_OK);
	CHECK(ops->savepoint(c) == PST_E_OK);
	add_user(ops, c, "kept");
	CHECK(ops->release(c) == PST_E_OK);
	CHECK(ops->savepoint(c) == PST_E_OK);
	add_user(ops, c, "undone");
	CHECK(ops->rollback_to(c) == PST_E_OK);
	CHECK(ops->commit(c) == PST_E_OK);
	CHECK(ops->user_by_name(c, "kept", &u) == PST_E_OK);
	CHECK(ops->user_by_name(c, "undone", &u) == PST_E_NOT_FOUND);
	ops->conn_close(c);
	ops->close(st);
}

/* ---- group commit ---- */

#define JOBS 400

struct tjob {
	struct dbexec_job job;
	int i;
	enum pst_err rc;
	int done;
};

static pthread_mutex_t tl = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc = PTHREAD_COND_INITIALIZER;
static int ndone;

static enum pst_err tjob_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	struct tjob *t = (struct tjob *)job;
	struct store_user u = {0};
	snprintf(u.public_id, sizeof(u.public_id), "u_%d", t->i);
	snprintf(u.username, sizeof(u.username), "user%d", t->i % 7 == 3 ? 3 : t->i); /* some collide */
	snprintf(u.pw_hash, sizeof(u.pw_hash), "x");
	return ops->user_insert(c, &u);
}

static void tjob_done(struct dbexec_job *job, enum pst_err rc)
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
	const struct store_ops *ops = backends[0];
	struct store *st = open_store(ops);
	static struct tjob jobs[JOBS];
	struct dbexec_stats stats;
	struct store_conn *c = NULL;
	struct store_user u;
	int i, ok = 0, conflicts = 0;

	CHECK(dbexec_start(ops, st, 2, 256) == PST_E_OK);
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
		if (jobs[i].rc == PST_E_OK)
			ok++;
		else if (jobs[i].rc == PST_E_CONFLICT)
			conflicts++;
	}
	CHECK_EQ_INT(ok + conflicts, JOBS);
	CHECK(conflicts > 0);
	CHECK_EQ_INT(stats.write_jobs, JOBS);
	CHECK(stats.commits < JOBS / 4); /* queued together, committed together */
	CHECK(ops->conn_open(st, 0, &c) == PST_E_OK);
	for (i = 0; i < JOBS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "user%d", i);
		CHECK((ops->user_by_name(c, name, &u) == PST_E_OK) == (i % 7 != 3 || i == 3));
	}
	ops->conn_close(c);
	ops->close(st);
}

static const struct unit_case cases[] = {
	{"users_sessions_friends", users_sessions_friends},
	{"threads_messages_events", threads_messages_events},
	{"savepoint_rolls_back_one_request", savepoint_rolls_back_one_request},
	{"group_commit_batches_and_isolates_failures", group_commit_batches_and_isolates_failures},
};

UNIT_MAIN("store", cases)
