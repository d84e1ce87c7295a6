/*
 * dbexec.h — where database work runs, so the HTTP threads never wait on SQLite.
 *
 * Reads go to a pool of reader threads, each with its own read-only connection and one snapshot per job.
 * Writes go to the single writer thread: it takes every write job queued at that moment (up to
 * --max-batch), runs each inside its own savepoint of one transaction, and commits once — one fsync for the
 * whole group (group commit). A job's done() runs only after the commit returned, i.e. once the write is
 * durable; a job whose commit failed gets rc = SRV_E_STORAGE.
 *
 * A job undone to its savepoint together with a deadlock it met (PostgreSQL: with another node's group; a
 * group's lock waits are bounded so that this shows in 100 ms, not at PostgreSQL's deadlock check) does not
 * stop its group: the others commit, and it runs again alone after them, in transactions of its own whose
 * lock waits are not bounded, up to DBEXEC_TX_TRIES times (SRV_E_TX_RETRY when they are used up).
 *
 * A group the database aborted as a whole before it committed is run again from BEGIN, every job of it,
 * before any done(): after a deadlock or serialization failure (SRV_E_TX_RETRY) up to DBEXEC_TX_TRIES times
 * with a short random pause, the last time one job per transaction; after a lost or refused connection
 * (SRV_E_DB_DOWN) every DBEXEC_DOWN_POLL_MS until the database is back, for at most db_wait_ms since it was
 * found down (later groups then try once each until a connection succeeds). A group whose COMMIT was sent but
 * not answered is never run again (SRV_E_COMMIT_UNKNOWN): it may have committed. Those three errors are what
 * done() gets when the runs are used up. Knows nothing of HTTP.
 */
#ifndef POSTERN_DBEXEC_H
#define POSTERN_DBEXEC_H

#include "error.h"
#include "store.h"

#include <stdint.h>

struct dbexec_job {
	/* Runs on a database thread with a connection. For write jobs, inside a savepoint: a non-OK return
	 * rolls back this job alone. */
	enum srv_err (*run)(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c);
	/* Runs after run() (and, for writes, after the commit) on the same database thread; gets the final
	 * rc. May free the job. */
	void (*done)(struct dbexec_job *job, enum srv_err rc);
	/* Writes only, NULL when run() leaves nothing behind in memory: called on the writer thread after the
	 * transaction a successful run() was in was rolled back as a whole (before run() is called again, or
	 * before done() gets the group's error), so that the next run() starts as the first did and done() sees
	 * nothing of work that is not stored. */
	void (*reset)(struct dbexec_job *job);
	struct dbexec_job *next; /* queue link, owned by dbexec while queued */
};

struct dbexec_stats {
	uint64_t commits, write_jobs, read_jobs;
	uint64_t reruns; /* groups (or jobs, in the one-per-transaction run) run again after an abort */
};

/* Runs of a group the database aborted (SRV_E_TX_RETRY) before its jobs get that error; the last is one job
 * per transaction. */
#define DBEXEC_TX_TRIES 5
/* How often the writer tries the database again while it is unreachable. */
#define DBEXEC_DOWN_POLL_MS 200

/*
 * Start readers reader threads and the writer over st (opened with ops). db_wait_ms: how long the writer
 * keeps a group waiting for an unreachable database (see above). Returns SRV_E_OK or SRV_E_STORAGE (a
 * connection failed to open). Call once.
 */
enum srv_err dbexec_start(const struct store_ops *ops, struct store *st, int readers, int max_batch, int db_wait_ms);

/* Drain both queues, stop the threads, close their connections. */
void dbexec_stop(void);

/* Queue job (caller-owned until done() runs) for a reader / for the writer. Thread-safe. */
void dbexec_submit_read(struct dbexec_job *job);
void dbexec_submit_write(struct dbexec_job *job);

/* Counters since start (approximate while running). */
void dbexec_get_stats(struct dbexec_stats *out);

#endif
