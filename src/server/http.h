/*
 * http.h — the HTTP layer: libmicrohttpd's event loop and the path from a request on the wire to a handler
 * on a database thread and back.
 *
 * Per request: the head is checked before anything else reads it (tokens, no control byte in a header, CRLF
 * lines, one Host: 400 and a closed connection otherwise), then the framing (duplicate Content-Length,
 * Content-Length with Transfer-Encoding, body size, media type), the route is matched, the body is collected under a ceiling and parsed, then the
 * connection is suspended while dbexec runs the handler; the answer is queued when the job is done (for
 * writes: after the group commit). HTTP threads never wait on the database.
 */
#ifndef POSTERN_HTTP_H
#define POSTERN_HTTP_H

#include "bus.h"
#include "config.h"

/* Start serving with cfg (dbexec, hub, auth and push already initialised). Each write's changes go out on bus
 * (borrowed: it must outlive http_stop). Returns the bound port, or -1 on failure (logged). */
int http_start(const struct config *cfg, struct bus *bus);

/* Stop: end streams and long-polls, stop the daemon. */
void http_stop(void);

#endif
