/*
 * webapp.c — serving the web client built into the binary (webapp.h): GET / is the page, GET /assets/{name}
 * the scripts and styles it names with their hashes. Public routes: the page holds no secret and the browser
 * logs in through the JSON API like any other client. It must not serve anything outside the built table.
 */
#include "webapp.h"

#include <string.h>

#include "handlers.h"
#include "banned.h" /* last: bans footguns in this file only */

const struct web_asset *webapp_find(const char *path)
{
	for (int i = 0; i < web_asset_count; i++)
		if (strcmp(web_assets[i].path, path) == 0)
			return &web_assets[i];
	return NULL;
}

const struct web_asset *webapp_find_name(const char *name)
{
	for (int i = 0; i < web_asset_count; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

enum srv_err h_web_index(struct req *rq)
{
	rq->asset = webapp_find("/");
	return rq->asset ? SRV_E_OK : SRV_E_NOT_FOUND;
}

enum srv_err h_web_asset(struct req *rq)
{
	char path[sizeof("/assets/") + REQ_PARAM_LEN];
	memcpy(path, "/assets/", sizeof("/assets/") - 1);
	memcpy(path + sizeof("/assets/") - 1, rq->params[0], strnlen(rq->params[0], REQ_PARAM_LEN - 1) + 1);
	path[sizeof(path) - 1] = '\0';
	rq->asset = webapp_find(path);
	return rq->asset && rq->asset->immutable ? SRV_E_OK : SRV_E_NOT_FOUND;
}
