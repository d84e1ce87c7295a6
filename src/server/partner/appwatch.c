/*
 * appwatch.c — one read every half second of the app generation, and a wake-up for everyone when it moved (see
 * appwatch.h). Keeps one static job: at most one read in flight.
 */
#include "appwatch.h"

#include "dbexec.h"
#include "hub.h"

#include <pthread.h>
#include <stddef.h>

#include "banned.h" /* last: bans footguns in this file only */

#define APPWATCH_EVERY_MS 500

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	struct dbexec_job job;
	int running;        /* a read is queued or running */
	int64_t last_start; /* monotonic ms of the last read queued */
	int64_t seen;       /* the generation read last */
	int have;           /* seen holds a value */
	int64_t got;        /* what the running read found */
} W;

static enum srv_err watch_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	(void)job;
	return ops->app_generation(c, &W.got);
}

static void watch_done(struct dbexec_job *job, enum srv_err rc)
{
	int moved = 0;
	(void)job;
	pthread_mutex_lock(&watch_lock);
	if (rc == SRV_E_OK) {
		moved = W.have && W.got != W.seen;
		W.seen = W.got;
		W.have = 1;
	}
	W.running = 0;
	pthread_mutex_unlock(&watch_lock);
	if (moved)
		hub_notify_all(); /* rare (an operator's command): every waiter re-reads, app ones re-check */
}

void appwatch_tick(int64_t now)
{
	int start = 0;
	pthread_mutex_lock(&watch_lock);
	if (!W.running && now - W.last_start >= APPWATCH_EVERY_MS) {
		W.running = 1;
		W.last_start = now;
		W.job.run = watch_run;
		W.job.done = watch_done;
		start = 1;
	}
	pthread_mutex_unlock(&watch_lock);
	if (start)
		dbexec_submit_read(&W.job);
}
