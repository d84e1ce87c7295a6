/*
 * dbexec.c — reader pool and group-commit writer (see dbexec.h).
 *
 * The writer loop: wait for work; take the whole queue (bounded by max_batch); BEGIN; SAVEPOINT/run/RELEASE
 * per job; COMMIT (one fsync); then done() for each job in order. While it commits, new jobs pile up in
 * the queue and form the next group, so the batch size follows the load with no timer.
 *
 * Several nodes on one PostgreSQL database: two nodes' groups take the same rows (a thread's, a user's event
 * counter) in whatever order their requests came, and may wait for each other. A group's statements wait only
 * so long for another transaction's lock (store begin_group), and PostgreSQL fails one statement of a deadlock
 * anyway; either way ops->retryable says so. That request is rolled back to its savepoint (the locks it took
 * with it), the rest of the group commits, and only then is the request run again, alone in a transaction of
 * its own that waits as long as it must — not inside the group, whose locks the other transaction may still be
 * waiting for. A request that keeps meeting other transactions gets SRV_E_UNAVAILABLE after DBEXEC_TRIES runs;
 * nothing of it was stored or announced.
 */
#include "dbexec.h"

#include "log.h"

#include <pthread.h>
#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

/* Runs of one write job that met another transaction (ops->retryable) before it is answered "busy". */
#define DBEXEC_TRIES 5

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dbexec_job *head, *tail;
	int stopping;
};

static struct {
	const struct store_ops *ops;
	struct store *st;
	struct queue rq, wq;
	pthread_t *readers;
	int nreaders;
	pthread_t writer;
	int max_batch;
	struct store_conn **rconns;
	struct store_conn *wconn;
	struct dbexec_stats stats;
	pthread_mutex_t stats_lock;
} ex;

static void queue_init(struct queue *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->head = q->tail = NULL;
	q->stopping = 0;
}

static void queue_push(struct queue *q, struct dbexec_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* Pop up to max jobs as a list; blocks until there is one or the queue stops (then NULL). */
static struct dbexec_job *queue_pop(struct queue *q, int max)
{
	struct dbexec_job *first, *last;
	int n = 1;
	pthread_mutex_lock(&q->lock);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->cond, &q->lock);
	first = q->head;
	if (first) {
		last = first;
		while (last->next && n < max) {
			last = last->next;
			n++;
		}
		q->head = last->next;
		if (q->head == NULL)
			q->tail = NULL;
		last->next = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return first;
}

static void *reader_main(void *arg)
{
	struct store_conn *c = arg;
	struct dbexec_job *job;
	pthread_setname_np(pthread_self(), "pst-reader");
	while ((job = queue_pop(&ex.rq, 1)) != NULL) {
		enum srv_err rc = ex.ops->read_begin(c);
		if (rc == SRV_E_OK)
			rc = job->run(job, ex.ops, c);
		ex.ops->read_end(c);
		pthread_mutex_lock(&ex.stats_lock);
		ex.stats.read_jobs++;
		pthread_mutex_unlock(&ex.stats_lock);
		job->done(job, rc);
	}
	return NULL;
}

/* Run job alone in a transaction of its own: its rc, and *retry set when it met another transaction. */
static enum srv_err run_alone(struct store_conn *c, struct dbexec_job *job, int *retry)
{
	enum srv_err rc = ex.ops->begin(c);
	*retry = 0;
	if (rc == SRV_E_OK)
		rc = ex.ops->savepoint(c);
	if (rc == SRV_E_OK) {
		rc = job->run(job, ex.ops, c);
		if (rc == SRV_E_OK)
			rc = ex.ops->release(c) == SRV_E_OK ? SRV_E_OK : SRV_E_STORAGE;
		else
			*retry = ex.ops->retryable(c);
	}
	if (rc == SRV_E_OK)
		rc = ex.ops->commit(c);
	else
		ex.ops->rollback(c);
	pthread_mutex_lock(&ex.stats_lock);
	ex.stats.commits++;
	ex.stats.retries++;
	pthread_mutex_unlock(&ex.stats_lock);
	return rc;
}

/* Jobs of a committed group that met another transaction: each run again alone (see the top of the file),
 * then done(). */
static void retry_jobs(struct store_conn *c, struct dbexec_job *list)
{
	struct dbexec_job *job, *next;
	for (job = list; job; job = next) {
		enum srv_err rc = SRV_E_UNAVAILABLE;
		int tries, retry = 1;
		next = job->next;
		for (tries = 1; tries < DBEXEC_TRIES && retry; tries++)
			rc = run_alone(c, job, &retry);
		if (retry) {
			log_warn("a write met other transactions in deadlocks %d times; answered busy", DBEXEC_TRIES);
			rc = SRV_E_UNAVAILABLE;
		}
		job->done(job, rc);
	}
}

static void *writer_main(void *arg)
{
	struct store_conn *c = arg;
	struct dbexec_job *batch;
	enum srv_err results[4096];
	unsigned char again[4096];

	pthread_setname_np(pthread_self(), "pst-writer");
	while ((batch = queue_pop(&ex.wq, ex.max_batch)) != NULL) {
		struct dbexec_job *job, *next, *retry = NULL, **retry_tail = &retry;
		enum srv_err brc = ex.ops->begin_group(c);
		int i = 0, n = 0;

		for (job = batch; job; job = job->next, i++) {
			enum srv_err rc = brc;
			again[i] = 0;
			if (rc == SRV_E_OK)
				rc = ex.ops->savepoint(c);
			if (rc == SRV_E_OK) {
				rc = job->run(job, ex.ops, c);
				if (rc == SRV_E_OK)
					rc = ex.ops->release(c) == SRV_E_OK ? SRV_E_OK : SRV_E_STORAGE;
				else {
					again[i] = (unsigned char)ex.ops->retryable(c);
					if (ex.ops->rollback_to(c) != SRV_E_OK)
						brc = SRV_E_STORAGE; /* the transaction is unusable: fail the group */
				}
			}
			results[i] = rc;
		}
		n = i;
		if (brc == SRV_E_OK)
			brc = ex.ops->commit(c);
		if (brc != SRV_E_OK) {
			log_error("group commit of %d jobs failed; all rolled back", n);
			ex.ops->rollback(c);
		}
		pthread_mutex_lock(&ex.stats_lock);
		ex.stats.commits++;
		ex.stats.write_jobs += (uint64_t)n;
		pthread_mutex_unlock(&ex.stats_lock);
		for (job = batch, i = 0; job; job = next, i++) {
			next = job->next;
			if (brc == SRV_E_OK && again[i]) { /* run again once the group's locks are gone */
				job->next = NULL;
				*retry_tail = job;
				retry_tail = &job->next;
				continue;
			}
			job->done(job, brc != SRV_E_OK ? SRV_E_STORAGE : results[i]);
		}
		retry_jobs(c, retry);
	}
	return NULL;
}

enum srv_err dbexec_start(const struct store_ops *ops, struct store *st, int readers, int max_batch)
{
	int i;
	ex.ops = ops;
	ex.st = st;
	ex.max_batch = max_batch > 4096 ? 4096 : max_batch;
	ex.nreaders = readers;
	queue_init(&ex.rq);
	queue_init(&ex.wq);
	pthread_mutex_init(&ex.stats_lock, NULL);
	ex.readers = calloc((size_t)readers, sizeof(*ex.readers));
	ex.rconns = calloc((size_t)readers, sizeof(*ex.rconns));
	if (ex.readers == NULL || ex.rconns == NULL)
		return SRV_E_STORAGE;
	if (ops->conn_open(st, 1, &ex.wconn) != SRV_E_OK)
		return SRV_E_STORAGE;
	for (i = 0; i < readers; i++)
		if (ops->conn_open(st, 0, &ex.rconns[i]) != SRV_E_OK)
			return SRV_E_STORAGE;
	for (i = 0; i < readers; i++)
		pthread_create(&ex.readers[i], NULL, reader_main, ex.rconns[i]);
	pthread_create(&ex.writer, NULL, writer_main, ex.wconn);
	return SRV_E_OK;
}

static void queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void dbexec_stop(void)
{
	int i;
	queue_stop(&ex.wq);
	pthread_join(ex.writer, NULL);
	queue_stop(&ex.rq);
	for (i = 0; i < ex.nreaders; i++)
		pthread_join(ex.readers[i], NULL);
	for (i = 0; i < ex.nreaders; i++)
		ex.ops->conn_close(ex.rconns[i]);
	ex.ops->conn_close(ex.wconn);
	free(ex.readers);
	free(ex.rconns);
	ex.readers = NULL;
	ex.rconns = NULL;
}

void dbexec_submit_read(struct dbexec_job *job)
{
	queue_push(&ex.rq, job);
}

void dbexec_submit_write(struct dbexec_job *job)
{
	queue_push(&ex.wq, job);
}

void dbexec_get_stats(struct dbexec_stats *out)
{
	pthread_mutex_lock(&ex.stats_lock);
	*out = ex.stats;
	pthread_mutex_unlock(&ex.stats_lock);
}
