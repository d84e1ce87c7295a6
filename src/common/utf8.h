/*
 * utf8.h — well-formed UTF-8 (RFC 3629: shortest form only, no surrogates, nothing above U+10FFFF), for
 * message texts: the client library refuses to send a text that is not UTF-8 and repairs a received one,
 * so what it returns and caches is always a valid JSON string. Generic: includes nothing of the server.
 */
#ifndef POSTERN_UTF8_H
#define POSTERN_UTF8_H

#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (a NUL byte counts as U+0000, which is well-formed), else 0. */
int utf8_valid(const char *s, size_t len);

/*
 * A malloc'd, NUL-terminated copy of s[0..len) up to its first NUL byte, with each byte that does not start
 * a well-formed sequence replaced by U+FFFD (EF BF BD). NULL when out of memory. The caller frees it.
 */
char *utf8_repair(const char *s, size_t len);

#endif
