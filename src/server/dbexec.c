/*
 * dbexec.c — reader pool and group-commit writer (see dbexec.h).
 *
 * The writer loop: wait for work; take the whole queue (bounded by max_batch); BEGIN; SAVEPOINT/run/RELEASE
 * per job; COMMIT (one fsync); then done() for each job in order. While it commits, new jobs pile up in
 * the queue and form the next group, so the batch size follows the load with no timer. A job undone with the
 * deadlock it met runs again alone after its group; a group the database aborted as a whole is reset (each
 * job's reset hook) and run again; both as dbexec.h says, and a job's done() runs only after its last run.
 */
#include "dbexec.h"

#include "log.h"
#include "timefmt.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

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
	int db_wait_ms;
	int64_t down_since; /* writer only: when the database was found unreachable (monotonic ms), 0 when it is not */
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

/* The database errors that say something about the transaction rather than the job (error.h). */
static int db_fault(enum srv_err e)
{
	return e == SRV_E_TX_RETRY || e == SRV_E_DB_DOWN || e == SRV_E_COMMIT_UNKNOWN;
}

static void *reader_main(void *arg)
{
	struct store_conn *c = arg;
	struct dbexec_job *job;
	pthread_setname_np(pthread_self(), "pst-reader");
	while ((job = queue_pop(&ex.rq, 1)) != NULL) {
		enum srv_err rc = ex.ops->read_begin(c), end;
		if (rc == SRV_E_OK)
			rc = job->run(job, ex.ops, c);
		/* a statement that lost the database makes the answer 503, whatever run() made of its error */
		if (db_fault(end = ex.ops->read_end(c)))
			rc = end;
		pthread_mutex_lock(&ex.stats_lock);
		ex.stats.read_jobs++;
		pthread_mutex_unlock(&ex.stats_lock);
		job->done(job, rc);
	}
	return NULL;
}

/*
 * One transaction over the first n jobs of the list at first: BEGIN (group: BEGIN_GROUP, whose lock waits are
 * bounded on PostgreSQL); SAVEPOINT, run, RELEASE (or ROLLBACK TO) each; COMMIT. results[i] gets job i's own
 * rc: SRV_E_TX_RETRY for a job undone to its savepoint together with the deadlock (or bounded lock wait) it met,
 * while the others go on to commit (the caller runs it again, alone). *nran counts the jobs whose run() was
 * called (a fault of the transaction stops it early). Returns the transaction's outcome: SRV_E_OK once
 * committed, else it is rolled back and the error says why (db_fault() ones as the driver reported them,
 * anything else SRV_E_STORAGE).
 */
static enum srv_err group_run(struct store_conn *c, struct dbexec_job *first, int n, enum srv_err *results, int *nran,
			      int group)
{
	struct dbexec_job *job;
	enum srv_err brc = group ? ex.ops->begin_group(c) : ex.ops->begin(c);
	int i;

	*nran = 0;
	for (job = first, i = 0; brc == SRV_E_OK && job && i < n; job = job->next, i++) {
		enum srv_err rc = ex.ops->savepoint(c), undo = SRV_E_OK;
		if (rc == SRV_E_OK) {
			rc = job->run(job, ex.ops, c);
			*nran = i + 1;
			undo = rc == SRV_E_OK ? ex.ops->release(c) : ex.ops->rollback_to(c);
			if (undo == SRV_E_TX_RETRY)
				rc = SRV_E_TX_RETRY; /* undone with the deadlock it met: the rest of the group goes on */
			else if (undo != SRV_E_OK && rc == SRV_E_OK)
				rc = db_fault(undo) ? undo : SRV_E_STORAGE;
			else if (undo != SRV_E_OK)
				brc = db_fault(undo) ? undo : SRV_E_STORAGE; /* the transaction is unusable: fail the group */
		}
		if (db_fault(rc) && undo != SRV_E_TX_RETRY) /* a lost connection, or a fault not undone: stop here */
			brc = rc;
		results[i] = rc;
	}
	if (brc == SRV_E_OK)
		brc = ex.ops->commit(c);
	if (brc != SRV_E_OK) {
		ex.ops->rollback(c);
		if (!db_fault(brc))
			brc = SRV_E_STORAGE;
	}
	pthread_mutex_lock(&ex.stats_lock);
	ex.stats.commits += brc == SRV_E_OK;
	pthread_mutex_unlock(&ex.stats_lock);
	return brc;
}

/* After a rolled-back run: each job whose run() was called forgets what it left in memory. */
static void group_reset(struct dbexec_job *first, int nran)
{
	struct dbexec_job *job;
	int i;
	for (job = first, i = 0; job && i < nran; job = job->next, i++)
		if (job->reset)
			job->reset(job);
}

static void count_rerun(void)
{
	pthread_mutex_lock(&ex.stats_lock);
	ex.stats.reruns++;
	pthread_mutex_unlock(&ex.stats_lock);
}

/*
 * The database was unreachable: wait DBEXEC_DOWN_POLL_MS and return 1 to try again, until db_wait_ms have
 * passed since it was first found so; then 0 (and every later group tries once until one gets through, so
 * that requests are answered 503 at once during a long outage instead of each waiting in turn).
 */
static int db_wait(void)
{
	int64_t now = timefmt_mono_ms();
	if (ex.down_since == 0) {
		ex.down_since = now;
		log_warn("the database cannot be reached; writes wait for it up to %d ms", ex.db_wait_ms);
	}
	if (now - ex.down_since >= ex.db_wait_ms)
		return 0;
	usleep(DBEXEC_DOWN_POLL_MS * 1000);
	return 1;
}

/* A short random pause before run number tries + 1 of an aborted group: up to 10, 20, 40... ms. */
static void tx_backoff(int tries)
{
	usleep((useconds_t)(1000 + randombytes_uniform(10000u << (tries - 1))));
}

/*
 * Run one job whose last run was undone (by a deadlock, or as the last resort for a group the database kept
 * aborting) again, alone in transactions of its own whose lock waits are not bounded, so that it waits for
 * the other transaction instead of meeting it again: up to DBEXEC_TX_TRIES times with a short random pause.
 * Each run starts from the job's reset; then done() with the outcome.
 */
static void run_alone(struct store_conn *c, struct dbexec_job *job)
{
	enum srv_err rc = SRV_E_TX_RETRY, brc = SRV_E_OK;
	int tries, nran;

	for (tries = 1; rc == SRV_E_TX_RETRY && tries <= DBEXEC_TX_TRIES; tries++) {
		if (job->reset)
			job->reset(job);
		if (tries > 1)
			tx_backoff(tries - 1);
		count_rerun();
		if ((brc = group_run(c, job, 1, &rc, &nran, 0)) != SRV_E_OK)
			rc = brc;
	}
	if (rc == SRV_E_TX_RETRY)
		log_warn("a write met other transactions %d times running alone; answered busy", DBEXEC_TX_TRIES);
	if ((brc != SRV_E_OK || rc == SRV_E_TX_RETRY) && job->reset) /* its last run is not stored */
		job->reset(job);
	job->done(job, rc);
}

/*
 * One group from the queue: run (again, as dbexec.h says), then done() for each job in order; the jobs undone
 * by a deadlock of their own run again alone after the group committed, each then done().
 */
static void write_group(struct store_conn *c, struct dbexec_job *batch, int n)
{
	enum srv_err results[4096];
	struct dbexec_job *job, *next, *again = NULL, **again_tail = &again;
	enum srv_err brc;
	int i, nran, tries = 1;

	pthread_mutex_lock(&ex.stats_lock);
	ex.stats.write_jobs += (uint64_t)n;
	pthread_mutex_unlock(&ex.stats_lock);
	for (;;) {
		brc = group_run(c, batch, n, results, &nran, 1);
		if (brc == SRV_E_OK) {
			if (ex.down_since != 0)
				log_warn("the database is reachable again; writes go on");
			ex.down_since = 0;
			break;
		}
		group_reset(batch, nran);
		if (brc == SRV_E_TX_RETRY && tries < DBEXEC_TX_TRIES) {
			log_warn("group commit of %d jobs aborted by the database (run %d of %d); running it again", n, tries,
				 DBEXEC_TX_TRIES);
			tx_backoff(tries++);
			if (tries == DBEXEC_TX_TRIES && n > 1) { /* the last resort: one job per transaction */
				for (job = batch; job; job = next) {
					next = job->next;
					job->next = NULL;
					run_alone(c, job);
				}
				return;
			}
			count_rerun();
			continue;
		}
		if (brc == SRV_E_DB_DOWN && db_wait()) {
			count_rerun();
			continue;
		}
		log_error("group commit of %d jobs failed (%s); all rolled back", n, error_code(brc));
		break;
	}
	for (job = batch, i = 0; job; job = next, i++) {
		next = job->next;
		if (brc == SRV_E_OK && results[i] == SRV_E_TX_RETRY) { /* after the group, alone */
			job->next = NULL;
			*again_tail = job;
			again_tail = &job->next;
			continue;
		}
		job->done(job, brc != SRV_E_OK ? brc : results[i]);
	}
	for (job = again; job; job = next) {
		next = job->next;
		run_alone(c, job);
	}
}

static void *writer_main(void *arg)
{
	struct store_conn *c = arg;
	struct dbexec_job *batch, *job;

	pthread_setname_np(pthread_self(), "pst-writer");
	while ((batch = queue_pop(&ex.wq, ex.max_batch)) != NULL) {
		int n = 0;
		for (job = batch; job; job = job->next)
			n++;
		write_group(c, batch, n);
	}
	return NULL;
}

enum srv_err dbexec_start(const struct store_ops *ops, struct store *st, int readers, int max_batch, int db_wait_ms)
{
	int i;
	ex.ops = ops;
	ex.st = st;
	ex.max_batch = max_batch > 4096 ? 4096 : max_batch;
	ex.db_wait_ms = db_wait_ms;
	ex.down_since = 0;
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
