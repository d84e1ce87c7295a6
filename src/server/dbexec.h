/*
 * dbexec.h — where database work runs, so the HTTP threads never wait on SQLite.
 *
 * Reads go to a pool of reader threads, each with its own read-only connection and one snapshot per job.
 * Writes go to the single writer thread: it takes every write job queued at that moment (up to
 * --max-batch), runs each inside its own savepoint of one transaction, and commits once — one fsync for the
 * whole group (group commit). A job's done() runs only after the commit returned, i.e. once the write is
 * durable; a job whose commit failed gets rc = SRV_E_STORAGE. A write job that failed only because it met
 * another writer's transaction (PostgreSQL: a deadlock with another node) is run again, alone, after its
 * group committed; SRV_E_UNAVAILABLE when that keeps happening. Knows nothing of HTTP.
 */
#ifndef POSTERN_DBEXEC_H
#define POSTERN_DBEXEC_H

#include "error.h"
#include "store.h"

#include <stdint.h>

struct dbexec_job {
	/* Runs on a database thread with a connection. For write jobs, inside a savepoint: a non-OK return
	 * rolls back this job alone. A write job's run may be called again, in a later transaction, after a
	 * failed run that ops->retryable() calls transient: it must then do its work anew. */
	enum srv_err (*run)(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c);
	/* Runs after run() (and, for writes, after the commit) on the same database thread; gets the final
	 * rc. May free the job. */
	void (*done)(struct dbexec_job *job, enum srv_err rc);
	struct dbexec_job *next; /* queue link, owned by dbexec while queued */
};

struct dbexec_stats {
	uint64_t commits, write_jobs, read_jobs;
	uint64_t retries; /* write jobs run again alone after meeting another transaction */
};

/*
 * Start readers reader threads and the writer over st (opened with ops). Returns SRV_E_OK or
 * SRV_E_STORAGE (a connection failed to open). Call once.
 */
enum srv_err dbexec_start(const struct store_ops *ops, struct store *st, int readers, int max_batch);

/* Drain both queues, stop the threads, close their connections. */
void dbexec_stop(void);

/* Queue job (caller-owned until done() runs) for a reader / for the writer. Thread-safe. */
void dbexec_submit_read(struct dbexec_job *job);
void dbexec_submit_write(struct dbexec_job *job);

/* Counters since start (approximate while running). */
void dbexec_get_stats(struct dbexec_stats *out);

#endif
