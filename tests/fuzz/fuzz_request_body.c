/*
 * fuzz_request_body.c — libFuzzer target for what an HTTP request body goes through before a handler:
 * the depth scan, jansson's strict parse, the route matcher on the same bytes as a path, and the base64url
 * checker used on message bodies. Any crash, leak or sanitizer report is a bug.
 */
#include "b64url.h"
#include "jsonv.h"
#include "routes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	char err[160], path[512];
	struct req rq;
	int status = 0;
	size_t dl = 0;

	if (jsonv_parse((const char *)data, size, 16, &j, err, sizeof(err)) == SRV_E_OK) {
		const char *s = NULL;
		json_int_t n = 0;
		memset(&rq, 0, sizeof(rq));
		rq.body = j;
		(void)jsonv_str(&rq, "body", 1, 1 << 20, &s);
		if (s)
			(void)b64url_check(s, strlen(s), &dl);
		(void)jsonv_int(&rq, "seq", 0, INT64_MAX, &n);
		json_decref(j);
	}
	if (size < sizeof(path)) {
		memcpy(path, data, size);
		path[size] = '\0';
		memset(&rq, 0, sizeof(rq));
		(void)routes_match("GET", path, &rq, &status);
		(void)routes_match("POST", path, &rq, &status);
	}
	(void)b64url_check((const char *)data, size, &dl);
	return 0;
}
