/*
 * dbexec.c — reader pool and group-commit writer (see dbexec.h).
 *
 * The writer loop: wait for work; take the whole queue (bounded by max_batch); BEGIN; SAVEPOINT/run/RELEASE
 * per job; COMMIT (one fsync); then done() for each job in order. While it commits, new jobs pile up in
 * the queue and form the next group, so the batch size follows the load with no timer.
 */
#include "dbexec.h"

#include "log.h"

#include <pthread.h>
#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

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

static void *writer_main(void *arg)
{
	struct store_conn *c = arg;
	struct dbexec_job *batch;
	enum srv_err results[4096];

	pthread_setname_np(pthread_self(), "pst-writer");
	while ((batch = queue_pop(&ex.wq, ex.max_batch)) != NULL) {
		struct dbexec_job *job, *next;
		enum srv_err brc = ex.ops->begin(c);
		int i = 0, n = 0;

		for (job = batch; job; job = job->next, i++) {
			enum srv_err rc = brc;
			if (rc == SRV_E_OK)
				rc = ex.ops->savepoint(c);
			if (rc == SRV_E_OK) {
				rc = job->run(job, ex.ops, c);
				if (rc == SRV_E_OK)
					rc = ex.ops->release(c) == SRV_E_OK ? SRV_E_OK : SRV_E_STORAGE;
				else if (ex.ops->rollback_to(c) != SRV_E_OK)
					brc = SRV_E_STORAGE; /* the transaction is unusable: fail the group */
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
			job->done(job, brc != SRV_E_OK ? SRV_E_STORAGE : results[i]);
		}
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
