/*
 * hub.h — who is waiting for which user's events. Long-polls and SSE streams register a waiter under a user
 * id; after a commit — of this node's writer, or of another node's, heard through the bus (bus.h) — the bus's
 * subscriber calls hub_notify for every user that got an event, and each waiter's wake function runs (it must
 * only queue work: it is called with the hub lock held).
 *
 * Lost wake-ups are prevented with versions: read hub_version() before reading the event log, and pass it
 * to hub_register(); if a notify for that user's bucket happened in between, the waiter is woken at once.
 * Knows nothing of HTTP or the database.
 */
#ifndef POSTERN_HUB_H
#define POSTERN_HUB_H

#include <stdint.h>

struct hub_waiter {
	int64_t user_id;
	void (*wake)(struct hub_waiter *w); /* called under the hub lock; must not call back into the hub */
	struct hub_waiter *next, *prev;     /* owned by the hub while registered */
	int registered;
};

/* Create the hub (global, one per process). Returns 0, -1 on OOM. Not thread-safe; call once at start. */
int hub_init(void);
void hub_release(void);

/* Current version of user's bucket. Thread-safe. */
uint64_t hub_version(int64_t user_id);

/*
 * Register w (caller-owned; must stay valid until hub_unregister) for w->user_id. If the bucket's version
 * is no longer seen_version, w->wake runs before this returns. Thread-safe.
 */
void hub_register(struct hub_waiter *w, uint64_t seen_version);

/* Remove w if registered; after this returns, w->wake is not running and will not run. Thread-safe. */
void hub_unregister(struct hub_waiter *w);

/* Wake every waiter of each user in users[0..n). Thread-safe. */
void hub_notify(const int64_t *users, int n);

/* Wake every waiter (shutdown). Thread-safe. */
void hub_notify_all(void);

#endif
