/*
 * appwatch.h — notices apps suspended, resumed or deleted by another process on the same database (the
 * operator's `posternd app suspend|delete` runs beside the server, not through it), so that their open
 * event streams and long-polls end within a second instead of at their next request. Revocations the
 * server makes itself wake the people concerned directly (partner_grant_end); this is for the rest.
 */
#ifndef POSTERN_APPWATCH_H
#define POSTERN_APPWATCH_H

#include <stdint.h>

/*
 * Called by the HTTP layer's timer (through push_tick) with the monotonic time in ms. At most twice a second
 * it queues one read of the store's app generation (store_ops.app_generation); when that number moved since
 * the last read, every waiter is woken (hub_notify_all): each app stream and app long-poll checks its
 * credential again (partner_credential_live) and ends if its app is gone. Everything else finds nothing
 * new and waits on. Thread-safe; never blocks.
 */
void appwatch_tick(int64_t now_mono_ms);

#endif
