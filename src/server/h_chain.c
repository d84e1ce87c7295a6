/*
 * h_chain.c — reading a thread's membership chain: the signed links clients verify to learn who is in a
 * thread (chain.c checks and appends them as members change in h_threads.c), with every device that signed
 * one of them — removed devices too, so an old link can still be checked after its signer went. Members
 * only; a thread the caller is not in answers 404.
 */
#include "handlers.h"

#include "statement.h"
#include "views.h"

#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

struct chain_walk {
	struct req *rq;
	json_t *links;
	json_t *devices; /* device_id -> device view, each signer once */
	struct proto_statement *st;
	enum srv_err rc;
};

static int link_row(void *arg, const struct store_statement *row)
{
	struct chain_walk *w = arg;
	struct store_device d;
	json_t *v = view_bytes(row->bytes, row->len);
	if (v == NULL) {
		w->rc = SRV_E_INTERNAL;
		return 1;
	}
	json_array_append_new(w->links, v);
	/* the link was checked when it was stored; its signer is the actor device it names */
	if (proto_statement_parse(row->bytes, row->len, PROTO_ST_LINK, w->st) != PROTO_E_OK ||
	    json_object_get(w->devices, w->st->actor_device_id))
		return 0;
	w->rc = w->rq->ops->device_by_public_any(w->rq->db, w->st->actor_device_id, &d);
	if (w->rc == SRV_E_NOT_FOUND) {
		w->rc = SRV_E_OK;
		return 0;
	}
	if (w->rc != SRV_E_OK || (v = view_device(&d)) == NULL) {
		w->rc = w->rc != SRV_E_OK ? w->rc : SRV_E_INTERNAL;
		return 1;
	}
	json_object_set_new(w->devices, d.public_id, v);
	return 0;
}

enum srv_err h_thread_chain(struct req *rq)
{
	struct store_thread t;
	struct chain_walk w = {rq, json_array(), json_object(), malloc(sizeof(struct proto_statement)), SRV_E_OK};
	json_t *devices = NULL, *v;
	const char *key;
	enum srv_err rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, &t);

	if (rc == SRV_E_OK && (w.links == NULL || w.devices == NULL || w.st == NULL || (devices = json_array()) == NULL))
		rc = SRV_E_INTERNAL;
	if (rc == SRV_E_OK)
		rc = rq->ops->chain_list(rq->db, t.id, link_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc == SRV_E_OK) {
		json_object_foreach(w.devices, key, v)
			json_array_append(devices, v);
		rc = req_reply(rq, 200, json_pack("{s:O,s:O}", "links", w.links, "devices", devices));
	}
	json_decref(w.links);
	json_decref(w.devices);
	json_decref(devices);
	free(w.st);
	return rc;
}
