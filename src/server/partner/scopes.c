/* scopes.c — the scope table and list checks (see scopes.h). */
#include "scopes.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

const struct scope_def scope_table[] = {
	{"friends:read", "See which of your friends also use this app, under names only this app knows", 1},
	{"messages:send", "Send shares to friends, in conversations labelled with this app", 1},
	{"messages:read", "Read the conversations this app started for you, including replies", 1},
	{"messages:delete", "Delete messages this app sent for you", 1},
	{"reports:read", "Read the app's aggregate reports (they contain no person)", 0},
};

const int scope_count = (int)(sizeof(scope_table) / sizeof(scope_table[0]));

const struct scope_def *scope_find(const char *name)
{
	int i;
	for (i = 0; i < scope_count; i++)
		if (strcmp(scope_table[i].name, name) == 0)
			return &scope_table[i];
	return NULL;
}

int scope_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;
	if (n == 0)
		return 0;
	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

int scope_check(const char *list, const char *allowed, int for_person, char *out, size_t cap, char *bad, size_t badcap)
{
	char word[64];
	const char *p = list;
	int seen[16] = {0}, i;
	size_t o = 0;

	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " ");
		const struct scope_def *d;
		if (n == 0 || n >= sizeof(word)) {
			snprintf(bad, badcap, "%.*s", (int)(n < 60 ? n : 60), p);
			return -1;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		d = scope_find(word);
		if (d == NULL || d->for_person != for_person || (allowed && !scope_has(allowed, word)) || seen[d - scope_table]) {
			snprintf(bad, badcap, "%s", word);
			return -1;
		}
		seen[d - scope_table] = 1;
		p += n;
		if (*p == ' ')
			p++;
	}
	for (i = 0; i < scope_count; i++) {
		if (!seen[i])
			continue;
		if (o + strlen(scope_table[i].name) + 2 > cap)
			return -1;
		o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "", scope_table[i].name);
	}
	return 0;
}
