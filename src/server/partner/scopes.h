/*
 * scopes.h — the OAuth scopes, as one table read by the route table (which scope a partner route needs),
 * the consent page (the plain words a person reads), the token endpoint and app registration.
 */
#ifndef POSTERN_SCOPES_H
#define POSTERN_SCOPES_H

#include <stddef.h>

struct scope_def {
	const char *name;
	const char *plain;  /* what the consent page says */
	int for_person;     /* 1: granted by a person (authorization code); 0: the app's own (client_credentials) */
};

extern const struct scope_def scope_table[];
extern const int scope_count;

/* The row for name, or NULL. */
const struct scope_def *scope_find(const char *name);

/*
 * Check a space-separated scope list: every word known, of the right kind (for_person), allowed by the
 * app's agreement (allowed, space-separated), no repeats. Writes the normalised list (table order) to out.
 * Returns 0, or -1 with the offending word in bad (cap badcap).
 */
int scope_check(const char *list, const char *allowed, int for_person, char *out, size_t cap, char *bad, size_t badcap);

/* 1 when the space-separated list has word. */
int scope_has(const char *list, const char *word);

#endif
