/*
 * jsontext.h — JSON value to text, safely under memory pressure. jansson's json_dumps can hand back a
 * broken document when an allocation fails half-way (a failed write of an object key is not checked), so
 * everything the server sends or stores is dumped with json_dumpb into a buffer sized by a counting pass
 * first: the result is either the whole document or NULL. Generic: jansson only.
 */
#ifndef POSTERN_JSONTEXT_H
#define POSTERN_JSONTEXT_H

#include <jansson.h>

/*
 * The text of j (jansson dump flags), NUL-terminated, malloc'd (free with free()); NULL when j is NULL,
 * when dumping fails, or on OOM. Thread-safe.
 */
char *jsontext_dump(const json_t *j, size_t flags);

#endif
