/* req.c — small helpers on struct req (see req.h). */
#include "req.h"

#include <stdarg.h>
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

enum pst_err req_fail(struct req *rq, enum pst_err e, const char *fmt, ...)
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
	if (rq->nnotify < REQ_MAX_NOTIFY)
		rq->notify[rq->nnotify++] = user;
	else
		rq->notify_overflow = 1;
}

enum pst_err req_reply(struct req *rq, int status, json_t *body)
{
	if (rq->resp)
		json_decref(rq->resp);
	rq->status = status;
	rq->resp = body;
	return PST_E_OK;
}
