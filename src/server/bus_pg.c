/*
 * bus_pg.c — the bus over PostgreSQL's LISTEN/NOTIFY (see bus.h), written against libpq directly.
 *
 * Sending: bus_stage encodes the ids and runs store_ops.bus_notify (pg_notify) on the writer's own connection,
 * inside its transaction: PostgreSQL queues the notification and delivers it only when that transaction commits
 * (a rolled-back savepoint or transaction drops it), in commit order, once per listening session.
 * Receiving: one thread per bus with its own connection (a LISTEN holds its session; it must never be a pooled
 * or writer connection) waits on the socket with poll() and hands each text to bus_deliver. It wakes every
 * 250 ms to see whether it must stop. This file must not know the storage driver nor any HTTP.
 *
 * Sending outside a transaction (bus_send_limit): the text goes into a bounded queue (BUS_PG_SEND_QUEUE texts;
 * when full the oldest is dropped and counted) and a byte into a pipe the listener also polls; the listener
 * sends `SELECT pg_notify($1, $2)` on its own connection, one at a time and without waiting (libpq's
 * asynchronous calls), so that receiving never stops behind a slow send. Each is a transaction of its own in
 * autocommit, whose only WAL is its commit record; PostgreSQL does not wait to flush such a commit, and the
 * connection runs with synchronous_commit off to make that a promise: a limit event lost in a crash costs
 * nothing worth an fsync per refused guess. Texts queued while the connection is down wait for it (within
 * the bound); one in flight when it drops is lost.
 */
#include "bus.h"
#include "log.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define BUS_PG_POLL_MS 250
#define BUS_PG_RETRY_MS 1000

struct bus_pg {
	struct bus base; /* first: a struct bus * is a struct bus_pg * */
	char *conninfo;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int stop, listening;
	int wake[2]; /* a pipe: a byte in it makes the listener's poll() return (a text to send, or stop) */
	/* the texts waiting to be sent, oldest at head; all under lock */
	char queue[BUS_PG_SEND_QUEUE][BUS_LIMIT_TEXT_MAX];
	unsigned head, count;
	uint64_t queued, sent, dropped;
};

static void set_listening(struct bus_pg *b, int on)
{
	pthread_mutex_lock(&b->lock);
	b->listening = on;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
}

static int stopping(struct bus_pg *b)
{
	int s;
	pthread_mutex_lock(&b->lock);
	s = b->stop;
	pthread_mutex_unlock(&b->lock);
	return s;
}

/* Sleep up to ms, returning early when asked to stop. */
static void nap(struct bus_pg *b, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	if (!b->stop)
		pthread_cond_timedwait(&b->changed, &b->lock, &until);
	pthread_mutex_unlock(&b->lock);
}

/* libpq's notices go to the server's log at debug level, not to stderr as they are (PostgreSQL's own words) */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("bus: %.200s", message);
}

/* Wake the listener's poll() (a full pipe means it is woken already). */
static void poke(struct bus_pg *b)
{
	char one = 1;
	ssize_t w = write(b->wake[1], &one, 1);
	(void)w;
}

/* Empty the wake-up pipe (non-blocking). */
static void drain(struct bus_pg *b)
{
	char buf[64];
	while (read(b->wake[0], buf, sizeof(buf)) > 0)
		;
}

/* Take the oldest queued text into out (BUS_LIMIT_TEXT_MAX bytes): 1, or 0 when there is none. */
static int take(struct bus_pg *b, char *out)
{
	int got = 0;
	pthread_mutex_lock(&b->lock);
	if (b->count > 0) {
		memcpy(out, b->queue[b->head], BUS_LIMIT_TEXT_MAX);
		b->head = (b->head + 1) % BUS_PG_SEND_QUEUE;
		b->count--;
		got = 1;
	}
	pthread_mutex_unlock(&b->lock);
	return got;
}

static void count_send(struct bus_pg *b, int ok)
{
	pthread_mutex_lock(&b->lock);
	if (ok)
		b->sent++;
	else
		b->dropped++;
	pthread_mutex_unlock(&b->lock);
}

/* Connect, turn synchronous commit off for this session (see the top) and LISTEN; NULL when any of it fails
 * (said once in the log per outage, not every second). */
static PGconn *listen_conn(struct bus_pg *b, int say)
{
	PGconn *pg = PQconnectdb(b->conninfo);
	PGresult *res = NULL;
	char *chan = NULL, sql[128];
	int ok = 0;

	if (PQstatus(pg) != CONNECTION_OK)
		goto out;
	PQsetNoticeProcessor(pg, quiet_notice, NULL);
	chan = PQescapeIdentifier(pg, b->base.channel, strlen(b->base.channel));
	if (chan == NULL || (size_t)snprintf(sql, sizeof(sql), "LISTEN %s", chan) >= sizeof(sql))
		goto out;
	res = PQexec(pg, "SET synchronous_commit = off");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto out;
	PQclear(res);
	res = PQexec(pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK && PQsetnonblocking(pg, 1) == 0;
out:
	PQclear(res);
	PQfreemem(chan);
	if (!ok) {
		if (say)
			log_warn("bus: cannot listen for other nodes' writes (trying again every second)");
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/* Start sending text (pg_notify on our channel, autocommit): 0, or -1 when the connection failed.
 * *flushing is set when libpq has more of it to write (poll for POLLOUT). */
static int send_start(struct bus_pg *b, PGconn *pg, const char *text, int *flushing)
{
	const char *params[2] = {b->base.channel, text};
	int f;
	if (PQsendQueryParams(pg, "SELECT pg_notify($1, $2)", 2, NULL, params, NULL, NULL, 0) == 0)
		return -1;
	f = PQflush(pg);
	*flushing = f == 1;
	return f < 0 ? -1 : 0;
}

/* Collect the result of the text in flight once it has all come (never waits): *in_flight becomes 0 then. */
static void send_collect(struct bus_pg *b, PGconn *pg, int *in_flight)
{
	PGresult *res;
	while (*in_flight && !PQisBusy(pg)) {
		res = PQgetResult(pg);
		if (res == NULL) {
			*in_flight = 0;
			break;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			log_debug("bus: a limit event was not sent: %.200s", PQresultErrorMessage(res));
		count_send(b, PQresultStatus(res) == PGRES_TUPLES_OK);
		PQclear(res);
	}
}

static void *listener_main(void *arg)
{
	struct bus_pg *b = arg;
	PGconn *pg = NULL;
	int say = 1, in_flight = 0, flushing = 0;

	while (!stopping(b)) {
		struct pollfd pfd[2];
		char text[BUS_LIMIT_TEXT_MAX];
		PGnotify *n;
		int lost = 0;

		if (pg == NULL) {
			pg = listen_conn(b, say);
			say = 0;
			if (pg == NULL) {
				nap(b, BUS_PG_RETRY_MS);
				continue;
			}
			say = 1;
			set_listening(b, 1);
			/* whatever was sent while we did not listen is lost: every waiter reads again */
			b->base.sub.everyone(b->base.sub.arg);
		}
		if (!in_flight && take(b, text)) {
			in_flight = 1;
			lost = send_start(b, pg, text, &flushing) != 0;
		}
		pfd[0].fd = PQsocket(pg);
		pfd[0].events = (short)(POLLIN | (flushing ? POLLOUT : 0));
		pfd[1].fd = b->wake[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (!lost && pfd[0].fd >= 0 && poll(pfd, 2, BUS_PG_POLL_MS) > 0) {
			if (pfd[1].revents)
				drain(b);
			if (flushing && (pfd[0].revents & POLLOUT)) {
				int f = PQflush(pg);
				flushing = f == 1;
				lost = f < 0;
			}
			if (!lost && pfd[0].revents != 0 && PQconsumeInput(pg) == 0)
				lost = 1;
		}
		if (lost || pfd[0].fd < 0 || PQstatus(pg) != CONNECTION_OK) {
			log_warn("bus: the listening connection was lost; making it again");
			PQfinish(pg); /* the connection is gone: make it again */
			pg = NULL;
			set_listening(b, 0);
			if (in_flight)
				count_send(b, 0);
			in_flight = flushing = 0;
			continue;
		}
		send_collect(b, pg, &in_flight);
		while ((n = PQnotifies(pg)) != NULL) {
			bus_deliver(n->extra, b->base.node, &b->base.sub);
			PQfreemem(n);
		}
	}
	PQfinish(pg);
	set_listening(b, 0);
	return NULL;
}

static enum srv_err pg_stage(struct bus *b, const struct store_ops *ops, struct store_conn *c, const struct bus_change *ch)
{
	char payload[BUS_PAYLOAD_MAX];
	if (bus_encode(b->node, ch, payload, sizeof(payload)) == 0)
		return SRV_E_OK;
	return ops->bus_notify(c, b->channel, payload);
}

/* Queue text for the listener to send (see the top): the oldest goes when the queue is full. */
static void pg_send(struct bus *base, const char *text)
{
	struct bus_pg *b = (struct bus_pg *)base;
	uint64_t dropped = 0;
	int was_empty;

	pthread_mutex_lock(&b->lock);
	if (b->count == BUS_PG_SEND_QUEUE) {
		b->head = (b->head + 1) % BUS_PG_SEND_QUEUE;
		b->count--;
		dropped = ++b->dropped;
	}
	snprintf(b->queue[(b->head + b->count) % BUS_PG_SEND_QUEUE], BUS_LIMIT_TEXT_MAX, "%s", text);
	was_empty = b->count++ == 0;
	b->queued++;
	pthread_mutex_unlock(&b->lock);
	if (dropped == 1 || (dropped > 0 && dropped % 10000 == 0)) /* a flood is said, not echoed */
		log_warn("bus: %llu limit events not sent to the other nodes so far (more than %d waiting)",
			 (unsigned long long)dropped, BUS_PG_SEND_QUEUE);
	if (was_empty) /* otherwise the listener has a byte waiting already, or is busy sending and will look */
		poke(b);
}

static void pg_close(struct bus *base)
{
	struct bus_pg *b = (struct bus_pg *)base;
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
	poke(b);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->changed);
	pthread_mutex_destroy(&b->lock);
	close(b->wake[0]);
	close(b->wake[1]);
	free(b->conninfo);
	free(b);
}

static const struct bus_impl pg_impl = {"postgresql", pg_stage, pg_send, pg_close};

struct bus *bus_pg_new(const char *conninfo, const struct bus_subscriber *sub)
{
	struct bus_pg *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->wake[0] = b->wake[1] = -1;
	b->conninfo = strdup(conninfo);
	if (b->conninfo == NULL || bus_base_init(&b->base, &pg_impl, sub) != 0 || pipe2(b->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		goto fail;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->changed, NULL);
	if (pthread_create(&b->thread, NULL, listener_main, b) != 0) {
		pthread_cond_destroy(&b->changed);
		pthread_mutex_destroy(&b->lock);
		goto fail;
	}
	return &b->base;
fail:
	if (b->wake[0] >= 0) {
		close(b->wake[0]);
		close(b->wake[1]);
	}
	free(b->conninfo);
	free(b);
	return NULL;
}

int bus_pg_send_counts(struct bus *base, uint64_t *queued, uint64_t *sent, uint64_t *dropped)
{
	struct bus_pg *b = (struct bus_pg *)base;
	if (base->impl != &pg_impl)
		return -1;
	pthread_mutex_lock(&b->lock);
	*queued = b->queued;
	*sent = b->sent;
	*dropped = b->dropped;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int bus_pg_wait_listening(struct bus *base, int timeout_ms)
{
	struct bus_pg *b = (struct bus_pg *)base;
	struct timespec until;
	int on;

	if (base->impl != &pg_impl)
		return -1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->listening && pthread_cond_timedwait(&b->changed, &b->lock, &until) == 0)
		;
	on = b->listening;
	pthread_mutex_unlock(&b->lock);
	return on ? 0 : -1;
}
