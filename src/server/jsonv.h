/*
 * jsonv.h — parsing request bodies and reading fields with limits. Parsing is jansson's json_loadb with
 * JSON_REJECT_DUPLICATES, after our own nesting-depth scan (jansson's compiled-in limit is 2048). Field
 * readers return SRV_E_INVALID_FIELD and write a detail naming the field into rq->errmsg.
 */
#ifndef POSTERN_JSONV_H
#define POSTERN_JSONV_H

#include "req.h"

#include <jansson.h>
#include <stddef.h>

/*
 * Parse buf[0..len) as a JSON object. Returns SRV_E_OK with *out owned by the caller (json_decref), or
 * SRV_E_INVALID_JSON (syntax, duplicate key, invalid UTF-8, not an object) or SRV_E_BAD_REQUEST (too deep),
 * with a detail in err.
 */
enum srv_err jsonv_parse(const char *buf, size_t len, int max_depth, json_t **out, char *err, size_t errlen);

/* Deepest nesting of [ and { in buf, ignoring brackets in strings. */
int jsonv_depth(const char *buf, size_t len);

/* Required string field of rq->body, length in [min, max] bytes. *out is borrowed from rq->body. */
enum srv_err jsonv_str(struct req *rq, const char *key, size_t min, size_t max, const char **out);

/* Optional string field: *out = NULL when absent (or JSON null). */
enum srv_err jsonv_str_opt(struct req *rq, const char *key, size_t min, size_t max, const char **out);

/* Required integer field in [min, max]. */
enum srv_err jsonv_int(struct req *rq, const char *key, json_int_t min, json_int_t max, json_int_t *out);

/* Query parameter as an integer in [min, max]; absent gives def. */
enum srv_err jsonv_query_int(struct req *rq, const char *key, int64_t min, int64_t max, int64_t def, int64_t *out);

/* 1 when every byte of s is in [a-zA-Z0-9_-]. */
int jsonv_is_token_chars(const char *s);

#endif
