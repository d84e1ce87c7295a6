/* jsonv.c — request-body parsing and field readers (see jsonv.h). */
#include "jsonv.h"

#include "strnum.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int jsonv_depth(const char *buf, size_t len)
{
	int depth = 0, max = 0, in_str = 0;
	size_t i;
	for (i = 0; i < len; i++) {
		char ch = buf[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"')
			in_str = 1;
		else if (ch == '[' || ch == '{') {
			if (++depth > max)
				max = depth;
		} else if (ch == ']' || ch == '}')
			depth--;
	}
	return max;
}

enum srv_err jsonv_parse(const char *buf, size_t len, int max_depth, json_t **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	if (jsonv_depth(buf, len) > max_depth) {
		snprintf(err, errlen, "JSON nested deeper than %d levels", max_depth);
		return SRV_E_BAD_REQUEST;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return SRV_E_INVALID_JSON;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(err, errlen, "the body must be a JSON object");
		return SRV_E_INVALID_JSON;
	}
	*out = root;
	return SRV_E_OK;
}

static enum srv_err str_field(struct req *rq, const char *key, size_t min, size_t max, const char **out, int required)
{
	json_t *v = rq->body ? json_object_get(rq->body, key) : NULL;
	size_t n;
	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return SRV_E_OK;
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' is required", key);
	}
	if (!json_is_string(v))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be a string", key);
	n = json_string_length(v);
	if (n < min || n > max)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be %zu to %zu bytes", key, min, max);
	if (strlen(json_string_value(v)) != n)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must not contain NUL", key);
	*out = json_string_value(v);
	return SRV_E_OK;
}

enum srv_err jsonv_str(struct req *rq, const char *key, size_t min, size_t max, const char **out)
{
	return str_field(rq, key, min, max, out, 1);
}

enum srv_err jsonv_str_opt(struct req *rq, const char *key, size_t min, size_t max, const char **out)
{
	return str_field(rq, key, min, max, out, 0);
}

enum srv_err jsonv_int(struct req *rq, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v = rq->body ? json_object_get(rq->body, key) : NULL;
	if (v == NULL || !json_is_integer(v))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be an integer", key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be in [%lld, %lld]", key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return SRV_E_OK;
}

enum srv_err jsonv_query_int(struct req *rq, const char *key, int64_t min, int64_t max, int64_t def, int64_t *out)
{
	const char *v = req_query(rq, key);
	if (v == NULL) {
		*out = def;
		return SRV_E_OK;
	}
	if (strnum_parse_cstr(v, min, max, out) != 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "query '%s' must be an integer in [%lld, %lld]", key,
				(long long)min, (long long)max);
	return SRV_E_OK;
}

int jsonv_is_token_chars(const char *s)
{
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}
