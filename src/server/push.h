/*
 * push.h — Server-Sent Events streams of a user's event log (GET /v1/events).
 *
 * A stream is a libmicrohttpd callback response. When it has nothing to send, its content reader suspends
 * the connection; a commit that touches the user wakes the stream through the hub, a reader thread fetches
 * the new events after the stream's cursor, and the connection is resumed. A heartbeat comment goes out
 * when nothing was sent for --heartbeat-ms. An idle stream costs one small struct beyond libmicrohttpd's
 * per-connection memory. An app's stream (GET /v1/partner/events) ends within a second of its access token's
 * revocation or its grant's (any cause: each wakes the person's waiters), when its app is suspended or
 * deleted (appwatch.c), and at the token's expiry exactly (push_tick), idle or not.
 */
#ifndef POSTERN_PUSH_H
#define POSTERN_PUSH_H

#include "req.h"

#include <microhttpd.h>

/* Set up the stream registry. Call once. */
void push_init(const struct config *cfg);

/*
 * Create the SSE response for a request whose h_events succeeded (rq authenticated, rq->resp holds
 * {"since":N}). Starts delivery from that cursor. Returns a response for MHD_queue_response (the caller
 * destroys its reference after queueing), or NULL on OOM.
 */
struct MHD_Response *push_stream_response(struct MHD_Connection *conn, const struct req *rq);

/* Send heartbeats that are due, end app streams whose token expired, and let appwatch.c look for apps
 * suspended or deleted meanwhile. Called about every 100 ms by the HTTP layer's timer. */
void push_tick(int64_t now_mono_ms);

/* End every stream (shutdown): each connection gets the end of its stream and closes. */
void push_close_all(void);

/* The sessions of user ended (committed): each of that person's streams looks its session up now and ends
 * when it is gone, instead of at its next heartbeat. */
void push_sessions_ended(int64_t user_id);

/* Number of open streams. */
int push_count(void);

#endif
