/* jsontext.c — whole-or-nothing JSON dumping (see jsontext.h). */
#include "jsontext.h"

#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

char *jsontext_dump(const json_t *j, size_t flags)
{
	size_t need, got;
	char *buf;
	if (j == NULL)
		return NULL;
	need = json_dumpb(j, NULL, 0, flags); /* counting pass: nothing is written */
	if (need == 0)
		return NULL;
	buf = malloc(need + 1);
	if (buf == NULL)
		return NULL;
	got = json_dumpb(j, buf, need, flags);
	if (got != need) {
		free(buf);
		return NULL;
	}
	buf[need] = '\0';
	return buf;
}
