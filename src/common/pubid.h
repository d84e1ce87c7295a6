/*
 * pubid.h — public identifiers: a short type prefix and 128 random bits in base64url ("u_3q2…", 24+ chars).
 * Random, so ids reveal neither counts nor order, and one can't guess another's. Generic.
 */
#ifndef POSTERN_PUBID_H
#define POSTERN_PUBID_H

#include <stddef.h>
#include <stdint.h>

#define PUBID_MAX 40

/* Write prefix + "_" + 22 random base64url chars into out (cap >= PUBID_MAX). Returns 0, -1 if too small. */
int pubid_new(const char *prefix, char *out, size_t cap);

/*
 * Like pubid_new, but the first 48 bits are the time in milliseconds: ids made close in time sort close
 * together, so an index on them grows at one end instead of touching a random page per insert (messages).
 * 80 random bits remain. Reveals only the creation time, which the object shows anyway.
 */
int pubid_new_ordered(const char *prefix, int64_t now_ms, char *out, size_t cap);

/* 1 when s looks like an id this server could have made (charset and length), else 0. */
int pubid_plausible(const char *s);

#endif
