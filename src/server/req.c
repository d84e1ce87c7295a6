/* req.c — small helpers on struct req (see req.h). */
#include "req.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

const char *req_query(const struct req *rq, const char *key)
{
	int i;
	for (i = 0; i < rq->nquery; i++)
		if (strcmp(rq->query[i].key, key) == 0)
			return rq->query[i].val;
	return NULL;
}

enum srv_err req_fail(struct req *rq, enum srv_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rq->errmsg, sizeof(rq->errmsg), fmt, ap);
	va_end(ap);
	return e;
}

void req_notify(struct req *rq, int64_t user)
{
	int i;
	for (i = 0; i < rq->nnotify; i++)
		if (rq->notify[i] == user)
			return;
	if (rq->nnotify == rq->notify_cap) {
		int cap = rq->notify_cap ? rq->notify_cap * 4 : 4;
		int64_t *n = cap <= REQ_MAX_NOTIFY ? realloc(rq->notify, (size_t)cap * sizeof(*n)) : NULL;
		if (n == NULL) {
			rq->notify_overflow = 1;
			return;
		}
		rq->notify = n;
		rq->notify_cap = cap;
	}
	rq->notify[rq->nnotify++] = user;
}

enum srv_err req_redirect(struct req *rq, int status, const char *fmt, ...)
{
	va_list ap;
	char *loc = NULL;
	int n;
	va_start(ap, fmt);
	n = vasprintf(&loc, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SRV_E_INTERNAL;
	free(rq->location);
	rq->location = loc;
	rq->status = status;
	return SRV_E_OK;
}

#define LAZY(field, type)                            \
	do {                                         \
		if (rq->field == NULL)               \
			rq->field = calloc(1, sizeof(type)); \
		return rq->field;                    \
	} while (0)

struct store_app *req_app(struct req *rq) { LAZY(app, struct store_app); }
struct store_grant *req_grant(struct req *rq) { LAZY(grant, struct store_grant); }
struct store_token *req_token(struct req *rq) { LAZY(token, struct store_token); }

enum srv_err req_reply(struct req *rq, int status, json_t *body)
{
	if (rq->resp)
		json_decref(rq->resp);
	rq->status = status;
	rq->resp = body;
	return SRV_E_OK;
}

const char *req_form(const struct req *rq, const char *key)
{
	int i;
	for (i = 0; i < rq->nform; i++)
		if (strcmp(rq->form[i].key, key) == 0)
			return rq->form[i].val ? rq->form[i].val : "";
	return NULL;
}

void req_release(struct req *rq)
{
	int i;
	json_decref(rq->body);
	json_decref(rq->resp);
	rq->body = rq->resp = NULL;
	for (i = 0; i < rq->nform; i++) {
		if (rq->form[i].val) {
			sodium_memzero(rq->form[i].val, rq->form[i].len);
			free(rq->form[i].val);
		}
		free(rq->form[i].key);
		rq->form[i].val = rq->form[i].key = NULL;
	}
	rq->nform = 0;
	for (i = 0; i < rq->nquery; i++)
		free(rq->query[i].key);
	rq->nquery = 0;
	free(rq->notify);
	rq->notify = NULL;
	rq->nnotify = rq->notify_cap = 0;
	free(rq->location);
	rq->location = NULL;
	free(rq->app);
	free(rq->grant);
	free(rq->token);
	rq->app = NULL;
	rq->grant = NULL;
	rq->token = NULL;
	free(rq->html);
	free(rq->text);
	free(rq->prep);
	rq->html = rq->text = NULL;
	rq->prep = NULL;
	sodium_memzero(rq->bearer, sizeof(rq->bearer));
	sodium_memzero(rq->cookie, sizeof(rq->cookie));
	sodium_memzero(rq->basic_pass, sizeof(rq->basic_pass));
}
