/*
 * messages.c — the conversation commands of `postern`: inbox, send, read, watch, delete and open (a share
 * from a partner app). Encryption and decryption happen inside libpostern; this file picks the thread (a
 * thread id, or the direct thread with a friend by username), puts names on sender ids (from the thread's
 * members and the friend list, cached for the run, with a ceiling) and prints through output.c. It uses only
 * the public API.
 */
#include "postern_cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define READ_DEFAULT 20
#define INBOX_DEFAULT 50
#define NAMES_MAX 4096        /* beyond this, senders show as ids */
#define SEND_STDIN_MAX PST_TEXT_MAX /* the longest text the library sends */

/* ---- names: user id -> username, for this run ---- */

struct name_entry {
	char *id, *name;
};

struct names {
	struct name_entry *v;
	size_t n, cap;
};

static const char *names_find(const struct names *nm, const char *id)
{
	for (size_t i = 0; id && i < nm->n; i++)
		if (strcmp(nm->v[i].id, id) == 0)
			return nm->v[i].name;
	return NULL;
}

/* Remember id -> name (copies both). Silently keeps the first name, and stops at NAMES_MAX or out of memory. */
static void names_add(struct names *nm, const char *id, const char *name)
{
	struct name_entry *grown;
	char *id_copy = NULL, *name_copy = NULL;

	if (id == NULL || name == NULL || names_find(nm, id) || nm->n == NAMES_MAX)
		return;
	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 16;
		if ((grown = realloc(nm->v, cap * sizeof(*grown))) == NULL)
			return;
		nm->v = grown;
		nm->cap = cap;
	}
	if ((id_copy = strdup(id)) == NULL || (name_copy = strdup(name)) == NULL) {
		free(id_copy);
		return;
	}
	nm->v[nm->n].id = id_copy;
	nm->v[nm->n].name = name_copy;
	nm->n++;
}

static void names_free(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++) {
		free(nm->v[i].id);
		free(nm->v[i].name);
	}
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* Add every {"user_id","username"} of a JSON array. */
static void names_add_users(struct names *nm, const json_t *users)
{
	size_t i;
	json_t *u;

	json_array_foreach(users, i, u)
		names_add(nm, json_string_value(json_object_get(u, "user_id")), json_string_value(json_object_get(u, "username")));
}

/* Learn the friends' names. Failing only costs names, so failures are ignored. */
static void names_load_friends(struct cli *cli, struct names *nm)
{
	char *text = NULL;
	json_t *v = NULL;

	if (pst_friends(cli->client, &text) == PST_OK && (v = json_loads(text, 0, NULL)) != NULL)
		names_add_users(nm, json_object_get(v, "friends"));
	json_decref(v);
	pst_free(text);
}

/* Learn the names of a thread's members (GET /v1/threads/{id}). Failures only cost names, so they are ignored. */
static void names_load_thread(struct cli *cli, struct names *nm, const char *thread_id)
{
	char *text = NULL;
	json_t *v = NULL;

	if (!cli_id_ok(thread_id))
		return;
	if (pst_thread(cli->client, thread_id, &text) == PST_OK && (v = json_loads(text, 0, NULL)) != NULL)
		names_add_users(nm, json_object_get(v, "members"));
	json_decref(v);
	pst_free(text);
}

/* ---- which thread ---- */

/*
 * The thread a command names: a thread id ("t_…") as given, or the direct thread with the friend of that
 * username (created when needed; "@name" forces a username). *thread_out gets a malloc'd copy to free().
 * Returns CLI_OK, CLI_USAGE (not an id) or CLI_FAIL (not a friend, server error), after printing why.
 */
static int resolve_thread(struct cli *cli, const char *target, char **thread_out)
{
	char *user_id = NULL, *thread_id = NULL;
	const char *username = target[0] == '@' ? target + 1 : target;
	pst_status st;
	int rc = CLI_FAIL;

	*thread_out = NULL;
	if (target[0] != '@' && strncmp(target, "t_", 2) == 0) {
		if (!cli_id_ok(target)) {
			rc = cli_bad_arg("'%s' is not a thread id (see postern inbox)", target);
			goto out;
		}
		if ((*thread_out = strdup(target)) == NULL) {
			rc = cli_error("out of memory");
			goto out;
		}
		rc = CLI_OK;
		goto out;
	}
	if ((st = pst_friend_id(cli->client, username, &user_id)) == PST_ERR_NOT_FOUND) {
		rc = cli_error("%s is not one of your friends (ask with: postern friends add %s)", username, username);
		goto out;
	} else if (st != PST_OK) {
		rc = cli_fail(cli, st, "find friend %s", username);
		goto out;
	}
	if ((st = pst_thread_direct(cli->client, user_id, &thread_id)) != PST_OK) {
		rc = cli_fail(cli, st, "open the conversation with %s", username);
		goto out;
	}
	if ((*thread_out = strdup(thread_id)) == NULL) {
		rc = cli_error("out of memory");
		goto out;
	}
	rc = CLI_OK;
out:
	pst_free(thread_id);
	pst_free(user_id);
	return rc;
}

/* ---- inbox ---- */

/* The usernames of a thread's members other than me, comma-separated, into buf ("" when none; "..." when cut). */
static void member_names(const json_t *thread, const char *me, char *buf, size_t cap)
{
	size_t i, len = 0;
	json_t *m;

	buf[0] = '\0';
	json_array_foreach(json_object_get(thread, "members"), i, m) {
		const char *id = out_str(m, "user_id", ""), *name = out_str(m, "username", id);
		int n;
		if (me && strcmp(id, me) == 0)
			continue;
		n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name);
		if (n < 0 || (size_t)n >= cap - len) {
			snprintf(buf + cap - 4, 4, "...");
			break;
		}
		len += (size_t)n;
	}
}

/* Print one thread of the inbox: id, kind, the other members, unread count, last activity. */
static void print_thread(const struct cli *cli, const json_t *t)
{
	char others[256], unread[32] = "", when[64];
	const json_t *app = json_object_get(t, "app");
	const char *me = pst_user_id(cli->client);

	member_names(t, me, others, sizeof(others));
	if (json_integer_value(json_object_get(t, "unread")) > 0)
		snprintf(unread, sizeof(unread), "%lld new", (long long)json_integer_value(json_object_get(t, "unread")));
	out_time(out_str(t, "last_activity", NULL), when, sizeof(when));
	out_line("%s  %-6s  %-24s  %-8s  %s%s%s%s", out_str(t, "thread_id", "?"), out_str(t, "kind", "?"),
		 others[0] ? others : "(only you)", unread, when, app ? "  via " : "", app ? out_str(app, "name", "an app") : "",
		 app && strcmp(out_str(app, "consent", ""), "pending") == 0 ? " (asks to read your messages: postern consent)"
									    : "");
}

/*
 * `postern inbox [--limit N] [--cursor C]`: one page of the conversations, most recent activity first, with
 * unread counts. CLI_OK or CLI_FAIL (out_listing).
 */
int cmd_inbox(struct cli *cli, int argc, char **argv)
{
	static const struct out_listing l = {"read the inbox", "inbox", "threads", print_thread,
					     "No conversations yet. Start one with: postern send FRIEND TEXT",
					     "No older conversations.", "Older conversations: postern inbox"};
	char *text = NULL;
	pst_status st = pst_inbox_page(cli->client, cli->limit ? (int)cli->limit : INBOX_DEFAULT, cli->cursor, &text);

	(void)argc, (void)argv;
	return out_listing(cli, st, text, &l);
}

/* ---- send ---- */

/* Read all of standard input (at most SEND_STDIN_MAX bytes, one final newline dropped) into a malloc'd string. */
static char *read_stdin_text(void)
{
	/* room for the longest text, its final newline and one byte more (to tell "too long") */
	char *buf = malloc(SEND_STDIN_MAX + 3);
	size_t n = 0, r;

	if (buf == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	while (n <= SEND_STDIN_MAX + 1 && (r = fread(buf + n, 1, SEND_STDIN_MAX + 2 - n, stdin)) > 0)
		n += r;
	if (n > 0 && buf[n - 1] == '\n') /* the newline that ends the input is not part of the text */
		n--;
	if (ferror(stdin) || n > SEND_STDIN_MAX) {
		cli_error(ferror(stdin) ? "reading the message from standard input failed"
					: "the message is longer than %u bytes", SEND_STDIN_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * `postern send USER|THREAD TEXT`: encrypts argv[1] ("-": standard input) for the thread argv[0] names, or
 * the direct thread with that friend, and sends it; a change in who can read it is said on stderr. CLI_OK;
 * CLI_USAGE for an empty text; CLI_FAIL (a text over PST_TEXT_MAX bytes among others); CLI_REFUSED when an
 * identity changed or the server's answer did not verify: nothing was sent.
 */
int cmd_send(struct cli *cli, int argc, char **argv)
{
	char *thread_id = NULL, *message_id = NULL, *stdin_text = NULL;
	const char *text = argv[1];
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc;
	if (strcmp(text, "-") == 0) {
		if ((stdin_text = read_stdin_text()) == NULL)
			goto out;
		text = stdin_text;
	}
	if (text[0] == '\0') {
		rc = cli_usage(cli_command_find(cli_commands, "send"), "the message is empty");
		goto out;
	}
	if ((rc = resolve_thread(cli, argv[0], &thread_id)) != CLI_OK)
		goto out;
	if ((st = pst_send_text(cli->client, thread_id, text, &message_id)) != PST_OK) {
		rc = cli_fail(cli, st, "send to %s", argv[0]);
		goto out;
	}
	if (pst_notice(cli->client)[0]) /* who can read this changed: never silent */
		fprintf(stderr, "postern: note: %s\n", pst_notice(cli->client));
	if (cli->json)
		rc = out_json_done("thread_id", thread_id, "message_id", message_id, NULL);
	else
		out_line("Sent to %s (%s in %s).", argv[0], message_id ? message_id : "?", thread_id);
out:
	pst_free(message_id);
	free(thread_id);
	free(stdin_text);
	return rc;
}

/* ---- read ---- */

/*
 * Move the read marker of thread_id to seq (POST /v1/threads/{id}/read), so inbox stops counting the
 * messages just shown. A failure is reported as a warning: the messages were shown all the same.
 */
static void mark_read(struct cli *cli, const char *thread_id, int64_t seq)
{
	pst_status st;

	if ((st = pst_mark_read(cli->client, thread_id, seq)) != PST_OK)
		cli_fail(cli, st, "warning: mark %s read", thread_id);
}

/*
 * `postern read USER|THREAD [--limit N] [--before SEQ] [--ids]`: the last messages of that conversation,
 * decrypted here, oldest first, with the library's notices; marks them read. CLI_OK; CLI_FAIL or CLI_REFUSED
 * through cli_fail.
 */
int cmd_read(struct cli *cli, int argc, char **argv)
{
	char *thread_id = NULL;
	pst_message *msgs = NULL;
	size_t n = 0;
	struct names people = {0};
	json_t *all = NULL, *list = NULL, *older;
	pst_status st;
	int rc = CLI_FAIL, limit;

	(void)argc;
	if ((rc = resolve_thread(cli, argv[0], &thread_id)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	names_load_thread(cli, &people, thread_id);
	limit = cli->limit ? (int)cli->limit : READ_DEFAULT;
	if ((st = pst_read_before(cli->client, thread_id, cli->before, limit, &msgs, &n)) != PST_OK) {
		rc = cli_fail(cli, st, "read %s", argv[0]);
		goto out;
	}
	if (pst_notice(cli->client)[0]) /* who can read this changed: never silent */
		fprintf(stderr, "postern: note: %s\n", pst_notice(cli->client));
	if (cli->json) {
		if ((list = json_array()) == NULL)
			goto out;
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, out_message_json(&msgs[i], names_find(&people, msgs[i].sender_id)));
		older = n == (size_t)limit && msgs[0].seq > 1 ? json_integer(msgs[0].seq) : json_null();
		if ((all = json_pack("{s:s,s:O,s:o}", "thread_id", thread_id, "messages", list, "older_before", older)) == NULL)
			goto out;
		if ((rc = out_json(all, 0)) != CLI_OK)
			goto out;
	} else {
		for (size_t i = 0; i < n; i++)
			out_message(&msgs[i], names_find(&people, msgs[i].sender_id), OUT_SHARE_HINT | (cli->show_ids ? OUT_ID : 0));
		if (n == 0)
			out_line(cli->before ? "No older messages." : "No messages yet.");
		else if (n == (size_t)limit && msgs[0].seq > 1) /* a full page that does not start at the first */
			out_line("Older messages: postern read %s --before %lld", argv[0], (long long)msgs[0].seq);
	}
	if (n > 0 && cli->before == 0) /* reading old history does not move the read marker */
		mark_read(cli, thread_id, msgs[n - 1].seq);
	rc = CLI_OK;
out:
	json_decref(all);
	json_decref(list);
	pst_messages_free(msgs, n);
	names_free(&people);
	free(thread_id);
	return rc;
}

/* ---- watch ---- */

struct watch {
	struct cli *cli;
	struct names people;  /* user id -> username */
	struct names threads; /* threads whose members were looked up: id -> "" */
	char me[80];
};

/* The name for user_id, looking up thread_id's members the first time an unknown sender speaks there. */
static const char *watch_name(struct watch *w, const char *user_id, const char *thread_id)
{
	const char *name = names_find(&w->people, user_id);

	if (name == NULL && thread_id && names_find(&w->threads, thread_id) == NULL) {
		names_load_thread(w->cli, &w->people, thread_id);
		names_add(&w->threads, thread_id, "");
		name = names_find(&w->people, user_id);
	}
	return name;
}

/* The name of a JSON user object ({"user_id","username"}), learning it on the way. */
static const char *watch_user(struct watch *w, const json_t *user)
{
	names_add(&w->people, out_str(user, "user_id", NULL), out_str(user, "username", NULL));
	return out_str(user, "username", out_str(user, "user_id", "?"));
}

static void ev_friend_request(struct watch *w, const json_t *ev, const char *when)
{
	const json_t *from = json_object_get(ev, "from"), *to = json_object_get(ev, "to");

	if (strcmp(out_str(from, "user_id", ""), w->me) == 0)
		out_line("%s  * you asked %s to be friends", when, watch_user(w, to));
	else
		out_line("%s  * friend request from %s (accept with: postern friends accept %s)", when, watch_user(w, from),
			 out_str(ev, "request_id", "?"));
}

static void ev_friend_accepted(struct watch *w, const json_t *ev, const char *when)
{
	out_line("%s  * you and %s are now friends", when, watch_user(w, json_object_get(ev, "user")));
}

static void ev_friend_removed(struct watch *w, const json_t *ev, const char *when)
{
	const char *id = out_str(ev, "user_id", "?"), *name = names_find(&w->people, id);
	out_line("%s  * you and %s are no longer friends", when, name ? name : id);
}

static void ev_friend_withdrawn(struct watch *w, const json_t *ev, const char *when)
{
	(void)w;
	out_line("%s  * friend request %s was withdrawn", when, out_str(ev, "request_id", "?"));
}

static void ev_message_deleted(struct watch *w, const json_t *ev, const char *when)
{
	(void)w;
	out_line("%s  %s  * message %s was deleted", when, out_str(ev, "thread_id", "?"), out_str(ev, "message_id", "?"));
}

static void ev_device_added(struct watch *w, const json_t *ev, const char *when)
{
	const char *id = out_str(ev, "user_id", "?"), *name = names_find(&w->people, id);
	const json_t *d = json_object_get(ev, "device");

	if (strcmp(id, w->me) == 0)
		out_line("%s  * a device was added to your account: %s (%s); not you? postern devices remove %s", when,
			 out_str(d, "name", "?"), out_str(d, "device_id", "?"), out_str(d, "device_id", "?"));
	else
		out_line("%s  * %s has a new device: %s (check with: postern verify %s)", when, name ? name : id,
			 out_str(d, "name", "?"), name ? name : "USER");
}

static void ev_device_removed(struct watch *w, const json_t *ev, const char *when)
{
	const char *id = out_str(ev, "user_id", "?"), *name = names_find(&w->people, id);
	out_line("%s  * device %s of %s was removed", when, out_str(ev, "device_id", "?"), name ? name : id);
}

static void ev_thread_created(struct watch *w, const json_t *ev, const char *when)
{
	const json_t *t = json_object_get(ev, "thread");
	char others[256];

	names_add_users(&w->people, json_object_get(t, "members"));
	member_names(t, w->me, others, sizeof(others));
	out_line("%s  %s  * new %s conversation with %s", when, out_str(t, "thread_id", "?"), out_str(t, "kind", ""),
		 others[0] ? others : "only you");
}

static void ev_app_revoked(struct watch *w, const json_t *ev, const char *when)
{
	(void)w;
	out_line("%s  %s  * %s was disconnected and can no longer read this conversation", when,
		 out_str(ev, "thread_id", "?"), out_str(ev, "name", "an app"));
}

/* What watch prints for events other than new messages; types not listed here are not shown. */
static const struct {
	const char *type;
	void (*print)(struct watch *w, const json_t *ev, const char *when);
} event_printers[] = {
	{"friend.request", ev_friend_request},   {"friend.accepted", ev_friend_accepted},
	{"friend.removed", ev_friend_removed},   {"friend.withdrawn", ev_friend_withdrawn},
	{"message.deleted", ev_message_deleted},
	{"device.added", ev_device_added},       {"device.removed", ev_device_removed},
	{"thread.created", ev_thread_created},   {"thread.app_revoked", ev_app_revoked},
};

/* pst_watch's callback: print the event, one line (a JSON object with --json). Never stops the watch. */
static int on_event(void *arg, const char *type, const char *event_json, const pst_message *msg)
{
	struct watch *w = arg;
	json_t *ev = NULL, *line = NULL;
	char when[64];

	if (msg && w->cli->json) {
		ev = json_loads(event_json ? event_json : "", 0, NULL);
		line = json_pack("{s:s?,s:s,s:s?,s:o}", "cursor", out_str(ev, "cursor", NULL), "type",
				 type ? type : "message.created", "created_at", out_str(ev, "created_at", NULL), "message",
				 out_message_json(msg, watch_name(w, msg->sender_id, msg->thread_id)));
		out_json(line, 1);
	} else if (msg) {
		out_message(msg, watch_name(w, msg->sender_id, msg->thread_id), OUT_FLAT | OUT_THREAD | OUT_SHARE_HINT);
	} else if ((ev = json_loads(event_json ? event_json : "", 0, NULL)) == NULL) {
		/* not JSON: nothing to print; the library already checked what it could */
	} else if (w->cli->json) {
		out_json(ev, 1);
	} else {
		out_time(out_str(ev, "created_at", NULL), when, sizeof(when));
		for (size_t i = 0; type && i < sizeof(event_printers) / sizeof(event_printers[0]); i++)
			if (strcmp(type, event_printers[i].type) == 0)
				event_printers[i].print(w, ev, when);
	}
	fflush(stdout);
	json_decref(line);
	json_decref(ev);
	return 0;
}

static pst_client *watching; /* for the SIGINT handler */

static void on_sigint(int sig)
{
	(void)sig;
	pst_watch_stop(watching); /* async-signal-safe: the watch returns within a second */
}

/*
 * `postern watch [--max-seconds N]`: follows the person's events live and prints each (new messages
 * decrypted) on one line until Ctrl-C or N seconds; with --json one object a line. CLI_OK, or CLI_FAIL /
 * CLI_REFUSED when the stream fails in a way retrying cannot fix.
 */
int cmd_watch(struct cli *cli, int argc, char **argv)
{
	struct watch w = {cli, {0}, {0}, ""};
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	if (pst_user_id(cli->client))
		snprintf(w.me, sizeof(w.me), "%s", pst_user_id(cli->client));
	names_load_friends(cli, &w.people);
	if (!cli->json)
		fprintf(stderr, "Watching %s for new messages (Ctrl-C to stop)...\n", cli->server_url);
	/* Ctrl-C asks the library to stop; it returns within a second and the client is freed normally */
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		watching = cli->client;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if ((st = pst_watch(cli->client, on_event, &w, (int)cli->max_seconds)) != PST_OK) {
		rc = cli_fail(cli, st, "watch");
		goto out;
	}
	rc = CLI_OK;
out:
	names_free(&w.threads);
	names_free(&w.people);
	return rc;
}

/* ---- delete and open ---- */

/*
 * `postern delete THREAD MESSAGE_ID`: deletes a message this person sent (its text is erased for everyone).
 * CLI_OK, CLI_FAIL, or CLI_USAGE for a malformed id.
 */
int cmd_delete(struct cli *cli, int argc, char **argv)
{
	char *thread_id = NULL;
	pst_status st;
	int rc;

	(void)argc;
	if (!cli_id_ok(argv[1])) {
		rc = cli_bad_arg("'%s' is not a message id (see postern read --ids)", argv[1]);
		goto out;
	}
	if ((rc = resolve_thread(cli, argv[0], &thread_id)) != CLI_OK)
		goto out;
	if ((st = pst_delete_message(cli->client, thread_id, argv[1])) != PST_OK) {
		rc = cli_fail(cli, st, "delete %s", argv[1]);
		goto out;
	}
	if (cli->json)
		rc = out_json_done("thread_id", thread_id, "message_id", argv[1], NULL);
	else
		out_line("Deleted %s: its text is erased for everyone.", argv[1]);
out:
	free(thread_id);
	return rc;
}

/*
 * `postern open THREAD SHARE_ID`: shows a share a partner app sent (item and message) and tells the app it
 * was opened. CLI_OK, CLI_FAIL, or CLI_USAGE for a malformed id.
 */
int cmd_open(struct cli *cli, int argc, char **argv)
{
	char *thread_id = NULL;
	pst_message *msg = NULL;
	struct names people = {0};
	json_t *obj = NULL;
	pst_status st;
	int rc;

	(void)argc;
	if (!cli_id_ok(argv[1])) {
		rc = cli_bad_arg("'%s' is not a share id", argv[1]);
		goto out;
	}
	if ((rc = resolve_thread(cli, argv[0], &thread_id)) != CLI_OK)
		goto out;
	if ((st = pst_share_open(cli->client, thread_id, argv[1], &msg)) != PST_OK) {
		rc = cli_fail(cli, st, "open share %s", argv[1]);
		goto out;
	}
	names_load_thread(cli, &people, thread_id);
	if (cli->json) {
		obj = msg ? out_message_json(msg, names_find(&people, msg->sender_id)) : json_null();
		rc = obj ? out_json(obj, 0) : cli_error("open: out of memory");
	} else if (msg) {
		out_message(msg, names_find(&people, msg->sender_id), 0);
	} else {
		out_line("Share %s opened.", argv[1]);
	}
out:
	json_decref(obj);
	pst_messages_free(msg, msg ? 1 : 0);
	names_free(&people);
	free(thread_id);
	return rc;
}
