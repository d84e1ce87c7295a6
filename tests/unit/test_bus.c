/*
 * test_bus.c — the bus (src/server/bus.h): its notification text (wake-ups and limit events), the in-process
 * bus, and the PostgreSQL LISTEN/NOTIFY bus with two "nodes" (two bus instances) in one process.
 *
 * The PostgreSQL cases run when POSTERN_TEST_PG_URL names a database (tests/pg/run.sh starts a throwaway cluster
 * with scripts/pg.sh and runs this program with it); without it they are left out with one line. A writer is a
 * plain libpq connection standing in for the storage driver: bus_stage runs through a store_ops whose only
 * operation is bus_notify, on that connection, inside the transaction the test opens.
 */
#include "unit.h"

#include "bus.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <time.h>

/* ---- a subscriber that records what reached it ---- */

struct heard {
	pthread_mutex_t lock;
	int users_calls, sessions_calls, everyone, limits;
	int64_t users[8], sessions[8];
	int nusers, nsessions;
	struct bus_limit_event limit; /* the last one */
};

static void heard_users(void *arg, const int64_t *ids, int n)
{
	struct heard *h = arg;
	pthread_mutex_lock(&h->lock);
	h->users_calls++;
	h->nusers = n < 8 ? n : 8;
	memcpy(h->users, ids, (size_t)h->nusers * sizeof(ids[0]));
	pthread_mutex_unlock(&h->lock);
}

static void heard_sessions(void *arg, const int64_t *ids, int n)
{
	struct heard *h = arg;
	pthread_mutex_lock(&h->lock);
	h->sessions_calls++;
	h->nsessions = n < 8 ? n : 8;
	memcpy(h->sessions, ids, (size_t)h->nsessions * sizeof(ids[0]));
	pthread_mutex_unlock(&h->lock);
}

static void heard_everyone(void *arg)
{
	struct heard *h = arg;
	pthread_mutex_lock(&h->lock);
	h->everyone++;
	pthread_mutex_unlock(&h->lock);
}

static void heard_limit(void *arg, const struct bus_limit_event *ev)
{
	struct heard *h = arg;
	pthread_mutex_lock(&h->lock);
	h->limits++;
	h->limit = *ev;
	pthread_mutex_unlock(&h->lock);
}

static void heard_init(struct heard *h, struct bus_subscriber *sub)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	sub->users = heard_users;
	sub->sessions_ended = heard_sessions;
	sub->everyone = heard_everyone;
	sub->limit = heard_limit;
	sub->arg = h;
}

static void heard_reset(struct heard *h)
{
	pthread_mutex_lock(&h->lock);
	h->users_calls = h->sessions_calls = h->everyone = h->nusers = h->nsessions = h->limits = 0;
	pthread_mutex_unlock(&h->lock);
}

/* calls of every kind so far */
static int heard_total(struct heard *h)
{
	int n;
	pthread_mutex_lock(&h->lock);
	n = h->users_calls + h->sessions_calls + h->everyone + h->limits;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* limit events so far, and a copy of the last */
static int heard_limits(struct heard *h, struct bus_limit_event *last)
{
	int n;
	pthread_mutex_lock(&h->lock);
	n = h->limits;
	if (last)
		*last = h->limit;
	pthread_mutex_unlock(&h->lock);
	return n;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until h heard at least n calls, at most ms; returns the milliseconds it took, or -1. */
static int64_t heard_within(struct heard *h, int n, int ms)
{
	int64_t t0 = mono_ms();
	while (heard_total(h) < n) {
		if (mono_ms() - t0 > ms)
			return -1;
		usleep(5000);
	}
	return mono_ms() - t0;
}

/* ---- the text ---- */

static void text_round_trip(void)
{
	struct bus_subscriber sub;
	struct heard h;
	char buf[BUS_PAYLOAD_MAX];
	int64_t users[] = {3, 9000000000LL}, sess[] = {7};
	struct bus_change ch = {users, 2, sess, 1, 0};
	struct bus_change none = {NULL, 0, NULL, 0, 0};

	heard_init(&h, &sub);
	CHECK(bus_encode("n1", &none, buf, sizeof(buf)) == 0); /* nothing changed: nothing to send */
	CHECK(bus_encode("n1", &ch, buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "n1 u3,9000000000 s7");
	CHECK(bus_deliver(buf, "n2", &sub) == 1);
	CHECK(h.users_calls == 1 && h.nusers == 2 && h.users[0] == 3 && h.users[1] == 9000000000LL);
	CHECK(h.sessions_calls == 1 && h.nsessions == 1 && h.sessions[0] == 7 && h.everyone == 0);
	heard_reset(&h);
	CHECK(bus_deliver(buf, "n1", &sub) == 0); /* our own: the writer woke its node already */
	CHECK(heard_total(&h) == 0);
	ch.nsessions = 0;
	CHECK(bus_encode("n1", &ch, buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "n1 u3,9000000000");
	ch.everyone = 1;
	CHECK(bus_encode("n1", &ch, buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "n1 *");
	CHECK(bus_deliver(buf, NULL, &sub) == 1 && h.everyone == 1 && h.users_calls == 0);
}

/* more ids than a notification may carry: "everyone", never a cut list (a cut list would lose wake-ups) */
static void text_overflow_is_everyone(void)
{
	static int64_t many[4000];
	char buf[BUS_PAYLOAD_MAX];
	struct bus_change ch = {many, 4000, NULL, 0, 0};
	size_t i, n;

	for (i = 0; i < 4000; i++)
		many[i] = 1000000 + (int64_t)i;
	n = bus_encode("node", &ch, buf, sizeof(buf));
	CHECK(n > 0 && n < BUS_PAYLOAD_MAX);
	CHECK_EQ_STR(buf, "node *");
	ch.nusers = 10; /* a short list still goes as ids */
	CHECK(bus_encode("node", &ch, buf, sizeof(buf)) > 0 && strncmp(buf, "node u1000000,", 14) == 0);
}

/* a text that does not parse wakes everyone (a spurious wake-up costs a read; a lost one stalls a stream) */
static void text_malformed_wakes_everyone(void)
{
	static const char *bad[] = {"nospace", "n u", "n u1,,2", "n u-4", "n x5", "n u1 u2", "n u1 ", "n u99999999999999999999"};
	struct bus_subscriber sub;
	struct heard h;
	size_t i;

	heard_init(&h, &sub);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heard_reset(&h);
		CHECK(bus_deliver(bad[i], "me", &sub) == 1);
		if (h.everyone != 1 || h.users_calls != 0) {
			fprintf(stderr, "  '%s' was not read as everyone\n", bad[i]);
			CHECK(0);
		}
	}
}

/* ---- what the bus said in the log (stderr) ---- */

struct said {
	FILE *f;
	int saved;
};

static void said_begin(struct said *w)
{
	fflush(stderr);
	w->f = tmpfile();
	w->saved = dup(2);
	CHECK(w->f != NULL && w->saved >= 0 && dup2(fileno(w->f), 2) == 2);
}

/* Stop capturing; the number of lines holding needle. */
static int said_end(struct said *w, const char *needle)
{
	char line[512];
	int n = 0;
	fflush(stderr);
	dup2(w->saved, 2);
	close(w->saved);
	rewind(w->f);
	while (fgets(line, sizeof(line), w->f))
		n += strstr(line, needle) != NULL;
	fclose(w->f);
	return n;
}

/* ---- limit events ---- */

static void limit_event(struct bus_limit_event *ev, int which, int clear, unsigned char fill)
{
	size_t i;
	ev->which = which;
	ev->clear = clear;
	for (i = 0; i < sizeof(ev->key); i++)
		ev->key[i] = (unsigned char)(fill + i);
}

/* a limit event's text, and back: the same limit, hit or clear, and key; it wakes nobody */
static void limit_text_round_trip(void)
{
	struct bus_subscriber sub;
	struct heard h;
	struct bus_limit_event ev, got;
	char buf[BUS_LIMIT_TEXT_MAX];

	heard_init(&h, &sub);
	limit_event(&ev, 0, 0, 0xf0);
	CHECK(bus_encode_limit("n1", &ev, buf, sizeof(buf)) == strlen(buf));
	CHECK_EQ_STR(buf, "n1 l0+f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	CHECK(bus_deliver(buf, "n2", &sub) == 1);
	CHECK(heard_limits(&h, &got) == 1 && heard_total(&h) == 1); /* no wake-up with it */
	CHECK(got.which == 0 && got.clear == 0 && memcmp(got.key, ev.key, sizeof(ev.key)) == 0);
	CHECK(bus_deliver(buf, "n1", &sub) == 0 && heard_total(&h) == 1); /* our own: counted already */
	limit_event(&ev, 3, 1, 0);
	CHECK(bus_encode_limit("n1", &ev, buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "n1 l3-000102030405060708090a0b0c0d0e0f");
	CHECK(bus_deliver(buf, NULL, &sub) == 1 && heard_limits(&h, &got) == 2);
	CHECK(got.which == 3 && got.clear == 1 && memcmp(got.key, ev.key, sizeof(ev.key)) == 0);
	sub.limit = NULL; /* a subscriber that takes no limit events: ignored, and nobody woken */
	CHECK(bus_deliver(buf, NULL, &sub) == 1 && heard_total(&h) == 2);
}

/* the text is bounded: the largest fits BUS_LIMIT_TEXT_MAX with a real node name; what does not fit is 0 */
static void limit_text_bounded(void)
{
	struct bus_limit_event ev;
	char buf[BUS_LIMIT_TEXT_MAX], node[sizeof(((struct bus *)0)->node)];
	size_t n;

	memset(node, 'f', sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	limit_event(&ev, BUS_LIMIT_KINDS - 1, 1, 0);
	n = bus_encode_limit(node, &ev, buf, sizeof(buf));
	CHECK(n > 0 && n < BUS_LIMIT_TEXT_MAX && n == strlen(buf));
	CHECK(bus_encode_limit(node, &ev, buf, n) == 0);     /* one byte short of its NUL */
	CHECK(bus_encode_limit(node, &ev, buf, n + 1) == n); /* just enough */
	ev.which = BUS_LIMIT_KINDS;
	CHECK(bus_encode_limit("n", &ev, buf, sizeof(buf)) == 0);
	ev.which = -1;
	CHECK(bus_encode_limit("n", &ev, buf, sizeof(buf)) == 0);
}

/* a limit text that does not parse counts nothing (it wakes everyone, as any text we cannot read) */
static void limit_text_malformed_counts_nothing(void)
{
	static const char *bad[] = {
		"n l", "n l0", "n l0+", "n l+000102030405060708090a0b0c0d0e0f",
		"n l0+000102030405060708090a0b0c0d0e",      /* 15 bytes */
		"n l0+000102030405060708090a0b0c0d0e0f00",  /* 17 bytes */
		"n l0+000102030405060708090A0B0C0D0E0F",    /* upper case */
		"n l0+000102030405060708090a0b0c0d0e0g",    /* not hex */
		"n l0*000102030405060708090a0b0c0d0e0f",    /* neither hit nor clear */
		"n l16+000102030405060708090a0b0c0d0e0f",   /* no such limit number */
		"n l01+000102030405060708090a0b0c0d0e0f",   /* a leading zero */
		"n l-1+000102030405060708090a0b0c0d0e0f",
		"n l100+000102030405060708090a0b0c0d0e0f",
		"n l0+000102030405060708090a0b0c0d0e0f ",   /* a trailing space */
		"n l0+000102030405060708090a0b0c0d0e0f u1", /* and a wake-up: one thing per text */
		"n  l0+000102030405060708090a0b0c0d0e0f",
	};
	struct bus_subscriber sub;
	struct heard h;
	size_t i;

	heard_init(&h, &sub);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heard_reset(&h);
		CHECK(bus_deliver(bad[i], "me", &sub) == 1);
		if (heard_limits(&h, NULL) != 0 || h.everyone != 1) {
			fprintf(stderr, "  '%s' was counted, or not read as everyone\n", bad[i]);
			CHECK(0);
		}
	}
}

/* the PostgreSQL bus's send queue is bounded: with no database to send to, the oldest beyond it are dropped
 * and counted (needs no database: the address leads nowhere) */
static void pg_send_queue_bounded(void)
{
	struct bus_subscriber sub;
	struct heard h;
	struct bus_limit_event ev;
	struct bus *b;
	uint64_t queued = 0, sent = 0, dropped = 0;
	int i;

	struct said w;

	heard_init(&h, &sub);
	b = bus_pg_new("host=/nonexistent-postern-test port=1", &sub);
	CHECK(b != NULL);
	limit_event(&ev, 1, 0, 7);
	said_begin(&w);
	for (i = 0; i < BUS_PG_SEND_QUEUE + 100; i++)
		bus_send_limit(b, &ev);
	CHECK(said_end(&w, "not sent") == 1); /* the first drop is said; the next 99 are not */
	CHECK(bus_pg_send_counts(b, &queued, &sent, &dropped) == 0);
	CHECK(queued == BUS_PG_SEND_QUEUE + 100 && sent == 0 && dropped == 100);
	bus_close(b);
}

/* the in-process bus: publish reaches the subscriber at once, stage sends nothing */
static void local_bus_publishes_to_its_node(void)
{
	struct bus_subscriber sub;
	struct heard h;
	int64_t users[] = {5};
	struct bus_change ch = {users, 1, users, 1, 0};
	struct store_ops none;
	struct bus *b;

	heard_init(&h, &sub);
	memset(&none, 0, sizeof(none)); /* stage must not call the store: a call would crash here */
	b = bus_local_new(&sub);
	CHECK(b != NULL && strlen(b->node) == 16);
	CHECK(bus_stage(b, &none, NULL, &ch) == SRV_E_OK);
	CHECK(heard_total(&h) == 0);
	bus_publish(b, &ch);
	CHECK(h.users_calls == 1 && h.users[0] == 5 && h.sessions_calls == 1 && h.everyone == 0);
	ch.everyone = 1;
	bus_publish(b, &ch);
	CHECK(h.everyone == 1 && h.users_calls == 1);
	{ /* one node: a limit event has no one to go to, and is not handed back to this node */
		struct bus_limit_event ev;
		uint64_t q, s, d;
		limit_event(&ev, 0, 0, 1);
		bus_send_limit(b, &ev);
		CHECK(heard_limits(&h, NULL) == 0);
		CHECK(bus_pg_send_counts(b, &q, &s, &d) == -1);
	}
	bus_close(b);
}

/* ---- two nodes on PostgreSQL ---- */

static const char *pg_url;

/* The writer: store_conn stands for a libpq connection here, as the driver's would. */
static enum srv_err writer_notify(struct store_conn *c, const char *channel, const char *payload)
{
	const char *params[2] = {channel, payload};
	PGresult *r = PQexecParams((PGconn *)c, "SELECT pg_notify($1, $2)", 2, NULL, params, NULL, NULL, 0);
	enum srv_err rc = PQresultStatus(r) == PGRES_TUPLES_OK ? SRV_E_OK : SRV_E_STORAGE;
	PQclear(r);
	return rc;
}

static void sql(PGconn *pg, const char *text)
{
	PGresult *r = PQexec(pg, text);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "  %s: %s", text, PQerrorMessage(pg));
		CHECK(0);
	}
	PQclear(r);
}

struct two_nodes {
	struct heard ha, hb;
	struct bus *a, *b;
	PGconn *writer;
	struct store_ops ops;
};

static void two_nodes_open(struct two_nodes *t)
{
	struct bus_subscriber sa, sb;
	heard_init(&t->ha, &sa);
	heard_init(&t->hb, &sb);
	t->a = bus_pg_new(pg_url, &sa);
	t->b = bus_pg_new(pg_url, &sb);
	CHECK(t->a != NULL && t->b != NULL && strcmp(t->a->node, t->b->node) != 0);
	CHECK(bus_pg_wait_listening(t->a, 5000) == 0 && bus_pg_wait_listening(t->b, 5000) == 0);
	CHECK(heard_within(&t->ha, 1, 2000) >= 0 && heard_within(&t->hb, 1, 2000) >= 0); /* LISTEN: everyone once */
	heard_reset(&t->ha);
	heard_reset(&t->hb);
	t->writer = PQconnectdb(pg_url);
	CHECK(PQstatus(t->writer) == CONNECTION_OK);
	memset(&t->ops, 0, sizeof(t->ops));
	t->ops.bus_notify = writer_notify;
}

static void two_nodes_close(struct two_nodes *t)
{
	PQfinish(t->writer);
	bus_close(t->a);
	bus_close(t->b);
}

/* a write on node A reaches node B's subscriber after the commit, not before; A skips its own */
static void pg_delivered_on_commit_only(void)
{
	struct two_nodes t;
	int64_t users[] = {41, 42};
	struct bus_change ch = {users, 2, NULL, 0, 0};
	int64_t took;

	two_nodes_open(&t);
	sql(t.writer, "BEGIN");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ch) == SRV_E_OK);
	usleep(400 * 1000);
	CHECK(heard_total(&t.hb) == 0); /* not committed: nobody may hear of it */
	sql(t.writer, "COMMIT");
	bus_publish(t.a, &ch); /* what http.c does after the commit: A's own waiters at once */
	took = heard_within(&t.hb, 1, 1000);
	CHECK(took >= 0);
	CHECK(t.hb.users_calls == 1 && t.hb.nusers == 2 && t.hb.users[0] == 41 && t.hb.users[1] == 42);
	CHECK(t.hb.everyone == 0 && t.hb.sessions_calls == 0);
	usleep(300 * 1000);
	CHECK(heard_total(&t.ha) == 1); /* the publish only: A's notification coming back was skipped */
	two_nodes_close(&t);
}

/* a write that rolls back — whole, or only its request's savepoint — is never announced */
static void pg_rolled_back_is_never_delivered(void)
{
	struct two_nodes t;
	int64_t users[] = {7};
	struct bus_change ch = {users, 1, NULL, 0, 0};

	two_nodes_open(&t);
	sql(t.writer, "BEGIN");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ch) == SRV_E_OK);
	sql(t.writer, "ROLLBACK");
	sql(t.writer, "BEGIN");
	sql(t.writer, "SAVEPOINT req");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ch) == SRV_E_OK);
	sql(t.writer, "ROLLBACK TO req");
	sql(t.writer, "COMMIT");
	CHECK(heard_within(&t.hb, 1, 800) < 0);
	/* the control: the same with a kept savepoint arrives (so the silence above was not a deaf node) */
	sql(t.writer, "BEGIN");
	sql(t.writer, "SAVEPOINT req");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ch) == SRV_E_OK);
	sql(t.writer, "RELEASE req");
	sql(t.writer, "COMMIT");
	CHECK(heard_within(&t.hb, 1, 1000) >= 0 && t.hb.users_calls == 1 && t.hb.users[0] == 7);
	two_nodes_close(&t);
}

/* sessions ended on A end streams on B within a second; too many ids go as everyone */
static void pg_sessions_and_overflow(void)
{
	static int64_t many[3000];
	struct two_nodes t;
	int64_t who[] = {99};
	struct bus_change ended = {NULL, 0, who, 1, 0};
	struct bus_change flood = {many, 3000, NULL, 0, 0};
	int i;

	for (i = 0; i < 3000; i++)
		many[i] = 123456789 + i;
	two_nodes_open(&t);
	sql(t.writer, "BEGIN");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ended) == SRV_E_OK);
	sql(t.writer, "COMMIT");
	CHECK(heard_within(&t.hb, 1, 1000) >= 0);
	CHECK(t.hb.sessions_calls == 1 && t.hb.sessions[0] == 99 && t.hb.users_calls == 0);
	heard_reset(&t.hb);
	sql(t.writer, "BEGIN");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &flood) == SRV_E_OK); /* PostgreSQL took it */
	sql(t.writer, "COMMIT");
	CHECK(heard_within(&t.hb, 1, 1000) >= 0);
	CHECK(t.hb.everyone == 1 && t.hb.users_calls == 0);
	two_nodes_close(&t);
}

/* B's listening connection is killed: it listens again and wakes everyone (what it missed), then hears again */
static void pg_reconnect_wakes_everyone(void)
{
	struct two_nodes t;
	int64_t users[] = {5};
	struct bus_change ch = {users, 1, NULL, 0, 0};
	PGresult *r;

	two_nodes_open(&t);
	r = PQexec(t.writer, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			     " WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%'");
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "2") == 0);
	PQclear(r);
	CHECK(heard_within(&t.hb, 1, 4000) >= 0 && t.hb.everyone == 1);
	CHECK(bus_pg_wait_listening(t.b, 4000) == 0 && bus_pg_wait_listening(t.a, 4000) == 0);
	heard_reset(&t.hb);
	usleep(200 * 1000);
	sql(t.writer, "BEGIN");
	CHECK(bus_stage(t.a, &t.ops, (struct store_conn *)t.writer, &ch) == SRV_E_OK);
	sql(t.writer, "COMMIT");
	CHECK(heard_within(&t.hb, 1, 1000) >= 0 && t.hb.users_calls == 1 && t.hb.users[0] == 5);
	two_nodes_close(&t);
}

/* a limit event sent on A reaches B's subscriber (the same event), outside any transaction, within a second;
 * A skips its own; a burst arrives whole and in order */
static void pg_limit_event_reaches_other_node(void)
{
	struct two_nodes t;
	struct bus_limit_event ev, got;
	struct said w;
	uint64_t q = 0, s = 0, d = 0;
	int64_t took, t0;
	int i, burst = 200;

	two_nodes_open(&t);
	limit_event(&ev, 2, 0, 0x30);
	bus_send_limit(t.a, &ev);
	took = heard_within(&t.hb, 1, 1000);
	CHECK(took >= 0);
	CHECK(heard_limits(&t.hb, &got) == 1 && t.hb.everyone == 0 && t.hb.users_calls == 0);
	CHECK(got.which == 2 && got.clear == 0 && memcmp(got.key, ev.key, sizeof(ev.key)) == 0);
	printf("# a limit event reached the other node in %lld ms\n", (long long)took);
	limit_event(&ev, 0, 1, 0x40); /* a clear */
	bus_send_limit(t.a, &ev);
	CHECK(heard_within(&t.hb, 2, 1000) >= 0 && heard_limits(&t.hb, &got) == 2);
	CHECK(got.which == 0 && got.clear == 1 && memcmp(got.key, ev.key, sizeof(ev.key)) == 0);
	/* a burst from both sides at once: each hears all of the other's, the last one last */
	heard_reset(&t.ha);
	heard_reset(&t.hb);
	said_begin(&w);
	t0 = mono_ms();
	for (i = 0; i < burst; i++) {
		limit_event(&ev, 1, 0, (unsigned char)i);
		bus_send_limit(t.a, &ev);
		bus_send_limit(t.b, &ev);
	}
	CHECK(heard_within(&t.hb, burst, 5000) >= 0 && heard_within(&t.ha, burst, 5000) >= 0);
	CHECK(said_end(&w, "bus:") == 0); /* nothing dropped, nothing to say */
	printf("# %d limit events each way arrived in %lld ms\n", burst, (long long)(mono_ms() - t0));
	CHECK(heard_limits(&t.hb, &got) == burst && got.key[0] == (unsigned char)(burst - 1));
	CHECK(bus_pg_send_counts(t.a, &q, &s, &d) == 0 && q == (uint64_t)burst + 2 && s == q && d == 0);
	usleep(200 * 1000);
	CHECK(heard_limits(&t.ha, NULL) == burst); /* its own were skipped */
	two_nodes_close(&t);
}

static const struct unit_case cases[] = {
	{"text_round_trip", text_round_trip},
	{"text_overflow_is_everyone", text_overflow_is_everyone},
	{"text_malformed_wakes_everyone", text_malformed_wakes_everyone},
	{"local_bus_publishes_to_its_node", local_bus_publishes_to_its_node},
	{"limit_text_round_trip", limit_text_round_trip},
	{"limit_text_bounded", limit_text_bounded},
	{"limit_text_malformed_counts_nothing", limit_text_malformed_counts_nothing},
	{"pg_send_queue_bounded", pg_send_queue_bounded},
};

static const struct unit_case pg_cases[] = {
	{"pg_delivered_on_commit_only", pg_delivered_on_commit_only},
	{"pg_rolled_back_is_never_delivered", pg_rolled_back_is_never_delivered},
	{"pg_sessions_and_overflow", pg_sessions_and_overflow},
	{"pg_reconnect_wakes_everyone", pg_reconnect_wakes_everyone},
	{"pg_limit_event_reaches_other_node", pg_limit_event_reaches_other_node},
};

int main(int argc, char **argv)
{
	struct unit_case all[sizeof(cases) / sizeof(cases[0]) + sizeof(pg_cases) / sizeof(pg_cases[0])];
	size_t n = 0, i;

	if (sodium_init() < 0)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		all[n++] = cases[i];
	pg_url = getenv("POSTERN_TEST_PG_URL");
	if (pg_url && pg_url[0])
		for (i = 0; i < sizeof(pg_cases) / sizeof(pg_cases[0]); i++)
			all[n++] = pg_cases[i];
	else
		printf("# bus over PostgreSQL left out: POSTERN_TEST_PG_URL is unset (tests/pg/run.sh sets it)\n");
	return unit_run("bus", all, (int)n, argc, argv);
}
