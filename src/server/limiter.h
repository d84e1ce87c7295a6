/*
 * limiter.h — a fixed-size, thread-safe counter of events per key within a time window: "at most N of these
 * for this key in W ms". The failed-login limit, the identity-backup fetch limit and the approval-code
 * miss limit are three instances (auth.c). Generic: it knows keys as strings and nothing of the server.
 *
 * Keys are byte strings of any length: auth.c passes a digest of the username or address (the same digest on
 * every node of a deployment, so that a count can be shared), never the text itself.
 *
 * Memory is fixed at limiter_new (LIMITER_SLOTS entries); when a group of entries is full the one whose
 * window started first is reused, so a flood of other keys can shorten a key's memory but two keys never
 * share a counter. Keys are hashed again with a key drawn at creation, so nobody can aim keys at one group,
 * even knowing how the caller digests them. Counts live in memory only: a restart forgets them.
 */
#ifndef POSTERN_LIMITER_H
#define POSTERN_LIMITER_H

#include <stddef.h>
#include <stdint.h>

struct limiter;

/*
 * A limiter allowing `limit` events per key within `window_ms`. Returns NULL only when out of memory.
 * Owned by the caller, released with limiter_free(). Needs sodium_init() first.
 */
struct limiter *limiter_new(int64_t limit, int64_t window_ms);
void limiter_free(struct limiter *l);

/*
 * 0 when key (len bytes, borrowed) has had fewer than `limit` events in its current window; -1 when it has
 * reached the limit, with *retry_after set to the seconds until the window ends (at least 1). Counts
 * nothing. Thread-safe.
 */
int limiter_check(struct limiter *l, const void *key, size_t len, int *retry_after);

/* Count one event for key (len bytes; a new window starts when the last one is over). Thread-safe. */
void limiter_hit(struct limiter *l, const void *key, size_t len);

/* Forget key's count (len bytes; a successful login). Thread-safe. */
void limiter_clear(struct limiter *l, const void *key, size_t len);

#endif
