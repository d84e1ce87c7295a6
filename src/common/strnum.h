/*
 * strnum.h — checked conversion of decimal text to integers.
 *
 * Replaces atoi/strtol at every call site: the whole string must be a number, inside the given range.
 * Generic: includes nothing of the server.
 */
#ifndef POSTERN_STRNUM_H
#define POSTERN_STRNUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse the decimal integer in s[0..len) into *out.
 * Accepts an optional leading '-' only when min < 0; no spaces, no '+', no leading zeros beyond "0".
 * Returns 0 on success, -1 when s is empty, has a non-digit, or the value is outside [min, max];
 * *out is untouched on failure. Thread-safe; s need not be NUL-terminated.
 */
int strnum_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* Same as strnum_parse_i64 on a NUL-terminated string; s == NULL fails. */
int strnum_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
