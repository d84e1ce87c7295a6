/*
 * bus_pg.c — the bus over PostgreSQL's LISTEN/NOTIFY (see bus.h), written against libpq directly.
 *
 * Sending: bus_stage encodes the ids and runs store_ops.bus_notify (pg_notify) on the writer's own connection,
 * inside its transaction: PostgreSQL queues the notification and delivers it only when that transaction commits
 * (a rolled-back savepoint or transaction drops it), in commit order, once per listening session.
 * Receiving: one thread per bus with its own connection (a LISTEN holds its session; it must never be a pooled
 * or writer connection) waits on the socket with poll() and hands each text to bus_deliver. It wakes every
 * 250 ms to see whether it must stop. This file must not know the storage driver nor any HTTP.
 */
#include "bus.h"
#include "log.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Connect and LISTEN; NULL when either fails (said once in the log per outage, not every second). */
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

static void *listener_main(void *arg)
{
	struct bus_pg *b = arg;
	PGconn *pg = NULL;
	int say = 1;

	while (!stopping(b)) {
		struct pollfd pfd;
		PGnotify *n;

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
		pfd.fd = PQsocket(pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0 || (poll(&pfd, 1, BUS_PG_POLL_MS) > 0 && PQconsumeInput(pg) == 0) ||
		    PQstatus(pg) != CONNECTION_OK) {
			log_warn("bus: the listening connection was lost; making it again");
			PQfinish(pg); /* the connection is gone: make it again */
			pg = NULL;
			set_listening(b, 0);
			continue;
		}
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

static void pg_close(struct bus *base)
{
	struct bus_pg *b = (struct bus_pg *)base;
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->changed);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->changed);
	pthread_mutex_destroy(&b->lock);
	free(b->conninfo);
	free(b);
}

static const struct bus_impl pg_impl = {"postgresql", pg_stage, pg_close};

struct bus *bus_pg_new(const char *conninfo, const struct bus_subscriber *sub)
{
	struct bus_pg *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->conninfo = strdup(conninfo);
	if (b->conninfo == NULL || bus_base_init(&b->base, &pg_impl, sub) != 0) {
		free(b->conninfo);
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->changed, NULL);
	if (pthread_create(&b->thread, NULL, listener_main, b) != 0) {
		pthread_cond_destroy(&b->changed);
		pthread_mutex_destroy(&b->lock);
		free(b->conninfo);
		free(b);
		return NULL;
	}
	return &b->base;
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
