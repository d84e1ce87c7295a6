/*
 * timefmt.h — wall-clock time as the API shows it: RFC 3339 UTC with milliseconds.
 * Generic: includes nothing of the server.
 */
#ifndef POSTERN_TIMEFMT_H
#define POSTERN_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_RFC3339_LEN 25 /* "2026-11-29T04:34:50.123Z" plus NUL */

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME. Thread-safe. */
int64_t timefmt_now_ms(void);

/* Milliseconds from CLOCK_MONOTONIC, for deadlines and rate limits. Thread-safe. */
int64_t timefmt_mono_ms(void);

/*
 * Write ms (Unix epoch milliseconds) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least TIMEFMT_RFC3339_LEN
 * bytes). Returns 0, or -1 when the time cannot be represented (out then holds ""). Thread-safe.
 */
int timefmt_rfc3339(int64_t ms, char *out, size_t outlen);

/*
 * Read what timefmt_rfc3339 writes ("YYYY-MM-DDTHH:MM:SS[.mmm]Z", UTC only) into *ms. Returns 0, or -1 for
 * anything else (another zone, out-of-range fields, trailing bytes). Thread-safe.
 */
int timefmt_parse_rfc3339(const char *s, int64_t *ms);

#endif
