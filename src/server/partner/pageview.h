/*
 * pageview.h — the pieces the people's pages share (consent, connected apps, access log, share page): a
 * conversation named by the other people in it, an app's identity with its homepage and privacy links, a
 * grant's per-conversation action limits in words, and the account tabs. Built on html.h (everything
 * escaped); reads the store through rq, never writes. Handlers own the pages; this only renders parts.
 */
#ifndef POSTERN_PAGEVIEW_H
#define POSTERN_PAGEVIEW_H

#include "html.h"
#include "req.h"

#include <jansson.h>

/*
 * Append the conversation thread_id as rq's person knows it, by the OTHER members' usernames after lead
 * (escaped; "with " or "to "): "with bob",
 * "with bob and carol", "with bob, carol, dan and 2 others" — never the person themself. A conversation
 * the person is no longer in (or that is not theirs) reads "a conversation you are not in"; no id is shown.
 * Returns SRV_E_OK or a storage error (the page is then not to be sent).
 */
enum srv_err pageview_thread(struct req *rq, struct html *h, int64_t thread_id, const char *lead);

/* pageview_thread for a conversation named by its public id ("t_…"), looked up for rq's person. */
enum srv_err pageview_thread_public(struct req *rq, struct html *h, const char *thread_public);

/* Append a link to an operator-given URL (escaped), or nothing when url is "". */
void pageview_link(struct html *h, const char *url, const char *text);

/*
 * Append who the app is: its website (the homepage's host as the link text) and its privacy policy, or
 * say plainly that the operator recorded none.
 */
void pageview_app_identity(struct html *h, const struct store_app *a);

/*
 * Append one grant's conversation limits: for each postern_threads entry of details (a JSON array as the
 * grant carries it), each conversation by name with exactly its actions ("read messages", "send shares",
 * "delete what it sent"). Nothing for an empty array. SRV_E_OK or a storage error.
 */
enum srv_err pageview_details(struct req *rq, struct html *h, json_t *details);

/* Append the account tabs (Connected apps, Access log) with current ("apps" or "log") marked, and who is
 * signed in. */
void pageview_tabs(struct html *h, const struct req *rq, const char *current);

#endif
