/* test_routes.c — the route table's matcher and sanity, and request-body parsing limits. */
#include "unit.h"

#include "jsonv.h"
#include "routes.h"

static void match_paths_and_params(void)
{
	struct req rq;
	int status = 0;
	const struct route *r;

	memset(&rq, 0, sizeof(rq));
	r = routes_match("GET", "/v1/threads/t_abc/messages", &rq, &status);
	CHECK(r != NULL && strcmp(r->path, "/v1/threads/{id}/messages") == 0);
	CHECK_EQ_INT(rq.nparams, 1);
	CHECK_EQ_STR(rq.params[0], "t_abc");
	r = routes_match("DELETE", "/v1/threads/t_1/messages/m_2", &rq, &status);
	CHECK(r != NULL && rq.nparams == 2 && strcmp(rq.params[1], "m_2") == 0);
	CHECK(routes_match("PUT", "/v1/threads", &rq, &status) == NULL && status == 405);
	CHECK(routes_match("GET", "/v1/threadz", &rq, &status) == NULL && status == 404);
	CHECK(routes_match("GET", "/v1/threads/", &rq, &status) == NULL && status == 404);
	CHECK(routes_match("GET", "/v1/threads/a/b/c/d", &rq, &status) == NULL && status == 404);
	CHECK(routes_match("GET", "/v1/threads/t_1/messages/", &rq, &status) == NULL);
	{
		char longp[200];
		memset(longp, 'a', sizeof(longp));
		memcpy(longp, "/v1/threads/", 12);
		longp[sizeof(longp) - 1] = '\0';
		CHECK(routes_match("GET", longp, &rq, &status) == NULL && status == 400);
	}
}

static void table_is_sane(void)
{
	int i, j;
	for (i = 0; i < route_count; i++) {
		const struct route *r = &route_table[i];
		CHECK(r->handler != NULL);
		CHECK(r->creds != 0);
		CHECK(r->path[0] == '/');
		CHECK(r->prepare == NULL || r->kind == ROUTE_WRITE);
		for (j = i + 1; j < route_count; j++)
			CHECK(!(strcmp(r->method, route_table[j].method) == 0 && strcmp(r->path, route_table[j].path) == 0));
	}
}

static void json_limits(void)
{
	json_t *j = NULL;
	char err[160];
	CHECK_EQ_INT(jsonv_depth("{\"a\":[1,{\"b\":\"[[[[\"}]}", 22), 3);
	CHECK(jsonv_parse("{\"a\":1}", 7, 4, &j, err, sizeof(err)) == SRV_E_OK);
	json_decref(j);
	CHECK(jsonv_parse("{\"a\":1,\"a\":2}", 13, 4, &j, err, sizeof(err)) == SRV_E_INVALID_JSON && j == NULL);
	CHECK(jsonv_parse("[1]", 3, 4, &j, err, sizeof(err)) == SRV_E_INVALID_JSON);
	CHECK(jsonv_parse("{\"a\":[[[[[1]]]]]}", 17, 4, &j, err, sizeof(err)) == SRV_E_BAD_REQUEST);
	CHECK(jsonv_parse("{\"a\":\"\xff\"}", 9, 4, &j, err, sizeof(err)) == SRV_E_INVALID_JSON);
	CHECK(jsonv_parse("{\"a\":1} x", 9, 4, &j, err, sizeof(err)) == SRV_E_INVALID_JSON);
	CHECK(jsonv_parse("", 0, 4, &j, err, sizeof(err)) == SRV_E_INVALID_JSON);
}

static void field_readers(void)
{
	struct req rq;
	const char *s = NULL;
	json_int_t n = 0;
	memset(&rq, 0, sizeof(rq));
	rq.body = json_pack("{s:s,s:i,s:s#}", "name", "abc", "num", 5, "nul", "a\0b", (size_t)3);
	CHECK(jsonv_str(&rq, "name", 1, 3, &s) == SRV_E_OK && strcmp(s, "abc") == 0);
	CHECK(jsonv_str(&rq, "name", 4, 9, &s) == SRV_E_INVALID_FIELD);
	CHECK(strstr(rq.errmsg, "name") != NULL);
	CHECK(jsonv_str(&rq, "num", 1, 3, &s) == SRV_E_INVALID_FIELD);
	CHECK(jsonv_str(&rq, "missing", 1, 3, &s) == SRV_E_INVALID_FIELD);
	CHECK(jsonv_str_opt(&rq, "missing", 1, 3, &s) == SRV_E_OK && s == NULL);
	CHECK(jsonv_str(&rq, "nul", 1, 9, &s) == SRV_E_INVALID_FIELD);
	CHECK(jsonv_int(&rq, "num", 0, 10, &n) == SRV_E_OK && n == 5);
	CHECK(jsonv_int(&rq, "num", 6, 10, &n) == SRV_E_INVALID_FIELD);
	CHECK(jsonv_int(&rq, "name", 0, 10, &n) == SRV_E_INVALID_FIELD);
	json_decref(rq.body);
}

static const struct unit_case cases[] = {
	{"match_paths_and_params", match_paths_and_params},
	{"table_is_sane", table_is_sane},
	{"json_limits", json_limits},
	{"field_readers", field_readers},
};

UNIT_MAIN("routes", cases)
