/*
 * output.c — how `postern` prints: the human format (one line per thing, times in local time, text from the
 * server or a friend with its control characters escaped so a message cannot drive the terminal) and the
 * --json format (the library's JSON text re-indented, or objects built here for decrypted messages, which the
 * library hands over as pst_message rather than JSON). jansson is used only for that: to read fields out of
 * the JSON texts libpostern returns and to print JSON; nothing here talks to the server or knows the API.
 */
#include "postern_cli.h"

#include <qrencode.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

/*
 * Write s to stdout with control characters escaped. indent < 0: a newline is written as "\n" (one line);
 * otherwise it starts a new line indented by `indent` spaces.
 */
static void put_clean(const char *s, int indent)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p == '\n' && indent >= 0) {
			printf("\n%*s", indent, "");
		} else if (*p == '\n') {
			fputs("\\n", stdout);
		} else if (*p == '\t') {
			putchar('\t');
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* U+0080..U+009F: C1 controls (CSI is U+009B) */
			printf("\\u%04x", p[1]);
			p++;
		} else {
			putchar(*p);
		}
	}
	putchar('\n');
}

/* Format and print with put_clean; out of memory loses the line rather than the process. */
static void vput(int indent, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	put_clean(s, indent);
	free(s);
}

void out_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(-1, fmt, ap);
	va_end(ap);
}

void out_block(int indent, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(indent < 0 ? 0 : indent, fmt, ap);
	va_end(ap);
}

json_t *out_parse(const char *text, const char *what)
{
	json_error_t jerr;
	json_t *v;

	if (text == NULL)
		return NULL;
	if ((v = json_loads(text, 0, &jerr)) == NULL)
		cli_error("%s: the library returned JSON that does not parse (%s)", what, jerr.text);
	return v;
}

int out_json(const json_t *v, int compact)
{
	size_t flags = JSON_PRESERVE_ORDER | (compact ? JSON_COMPACT : JSON_INDENT(2));

	if (v == NULL || json_dumpf(v, stdout, flags) != 0)
		return cli_error("cannot print the JSON");
	putchar('\n');
	if (compact)
		fflush(stdout); /* watch: each event reaches a pipe as it happens */
	return CLI_OK;
}

int out_json_text(const char *text, const char *what)
{
	json_t *v;
	int rc;

	if (text == NULL) /* an answer without a body (204) */
		return out_json_done(NULL);
	if ((v = out_parse(text, what)) == NULL)
		return CLI_FAIL;
	rc = out_json(v, 0);
	json_decref(v);
	return rc;
}

int out_listing(const struct cli *cli, pst_status st, char *text, const struct out_listing *l)
{
	json_t *ans = NULL, *item;
	size_t i = 0;
	int rc = CLI_FAIL;

	if (st != PST_OK) {
		rc = cli_fail(cli, st, "%s", l->failure);
		goto out;
	}
	if (cli->json) {
		rc = out_json_text(text, l->what);
		goto out;
	}
	if ((ans = out_parse(text, l->what)) == NULL)
		goto out;
	json_array_foreach(json_object_get(ans, l->key), i, item)
		l->row(cli, item);
	if (i == 0 && (cli->cursor == NULL ? l->empty : l->empty_later))
		out_line("%s", cli->cursor == NULL ? l->empty : l->empty_later);
	else if (i > 0 && l->more && json_is_string(json_object_get(ans, "next_cursor")))
		out_line("%s --cursor %s", l->more, out_str(ans, "next_cursor", ""));
	rc = CLI_OK;
out:
	json_decref(ans);
	pst_free(text);
	return rc;
}

int out_json_done(const char *key, ...)
{
	json_t *obj = json_pack("{s:b}", "ok", 1);
	va_list ap;
	int rc;

	va_start(ap, key);
	for (const char *k = key; k && obj; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		json_object_set_new(obj, k, v ? json_string(v) : json_null());
	}
	va_end(ap);
	rc = out_json(obj, 0);
	json_decref(obj);
	return rc;
}

const char *out_str(const json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : fallback;
}

void out_time(const char *rfc3339, char *buf, size_t cap)
{
	struct tm tm = {0}, local;
	time_t t;
	int n = 0;

	if (cap == 0)
		return;
	snprintf(buf, cap, "%s", rfc3339 ? rfc3339 : "-");
	if (rfc3339 == NULL || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1 || localtime_r(&t, &local) == NULL)
		return;
	if (strftime(buf, cap, "%Y-%m-%d %H:%M", &local) == 0)
		snprintf(buf, cap, "%s", rfc3339);
}

/* How a message that could not be decrypted shows, by pst_message.decrypt. */
static const struct {
	pst_status status;
	const char *json; /* the "decrypt" field of --json */
	const char *human;
} decrypt_states[] = {
	{PST_OK, "ok", NULL},
	{PST_ERR_NO_KEY, "no_key", "[cannot decrypt: no key]"},
	{PST_ERR_CRYPTO, "crypto", "[cannot decrypt: failed verification]"},
};

/* The decrypt_states row for status; the last resort is a generic row. */
static void decrypt_state(pst_status status, const char **json, const char **human)
{
	*json = "error";
	*human = "[cannot decrypt]";
	for (size_t i = 0; i < sizeof(decrypt_states) / sizeof(decrypt_states[0]); i++)
		if (decrypt_states[i].status == status) {
			*json = decrypt_states[i].json;
			*human = decrypt_states[i].human;
		}
}

json_t *out_message_json(const pst_message *m, const char *sender_name)
{
	const char *dj, *dh;

	static const struct {
		unsigned flag;
		const char *name;
	} flag_names[] = {
		{PST_MSG_RELABELLED, "relabelled"}, {PST_MSG_OUT_OF_ORDER, "out_of_order"}, {PST_MSG_GAP, "gap"},
		{PST_MSG_UNKNOWN_HEAD, "unknown_members"}, {PST_MSG_UNVERIFIED, "unverified"},
	};
	json_t *v, *warnings = json_array();
	size_t i;

	decrypt_state(m->decrypt, &dj, &dh);
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (m->flags & flag_names[i].flag)
			json_array_append_new(warnings, json_string(flag_names[i].name));
	v = json_pack("{s:s?,s:s?,s:I,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:b,s:s?,s:s,s:o,s:s?}", "message_id", m->message_id,
		      "thread_id", m->thread_id, "seq", (json_int_t)m->seq, "sender_id", m->sender_id, "sender_name",
		      sender_name, "sender_device_id", m->sender_device_id, "kind", m->kind, "item", m->item,
		      "share_id", m->share_id, "created_at", m->created_at, "deleted", m->deleted,
		      "text", m->deleted || m->decrypt != PST_OK ? NULL : m->text, "decrypt", dj, "warnings", warnings, "notice", m->notice);
	return v;
}

void out_message(const pst_message *m, const char *sender_name, unsigned flags)
{
	int flat = (flags & OUT_FLAT) != 0, thread = (flags & OUT_THREAD) != 0, show_id = (flags & OUT_ID) != 0;
	char when[64], tag[256] = "", *line = NULL;
	const char *dj, *dh, *body;
	const char *sender = sender_name ? sender_name : m->sender_id ? m->sender_id : "?";

	out_time(m->created_at, when, sizeof(when));
	decrypt_state(m->decrypt, &dj, &dh);
	if (m->deleted)
		body = "[deleted]";
	else if (m->decrypt != PST_OK)
		body = dh;
	else
		body = m->text ? m->text : "";
	if (m->share_id && !m->deleted && (flags & OUT_SHARE_HINT))
		snprintf(tag, sizeof(tag), "[share %s; open with: postern open %s %s] ", m->item ? m->item : "",
			 m->thread_id ? m->thread_id : "THREAD", m->share_id);
	else if (m->share_id && !m->deleted)
		snprintf(tag, sizeof(tag), "[share %s] ", m->item ? m->item : "");
	else if (m->kind && strcmp(m->kind, "message") != 0 && !m->deleted)
		snprintf(tag, sizeof(tag), "[%s] ", m->kind);
	if (asprintf(&line, "%s%s%s  %s%s%s: %s%s", show_id && m->message_id ? m->message_id : "", show_id ? "  " : "",
		     when, thread && m->thread_id ? m->thread_id : "", thread ? "  " : "", sender, tag, body) < 0)
		return;
	put_clean(line, flat ? -1 : 6);
	free(line);
	/* what the reader's checks found (a relabelled sender, a gap, a split view): said next to the message */
	if (m->notice && asprintf(&line, "%s  ! %s", flat ? "" : "    ", m->notice) >= 0) {
		put_clean(line, flat ? -1 : 6);
		free(line);
	}
}

/*
 * The text as a QR code on the terminal (libqrencode makes the code; two rows of modules per line with
 * Unicode half blocks, dark on light, and a quiet zone of two modules so phone cameras can read it).
 */
void out_qr(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int x, y, w, q0 = 2;
	if (q == NULL)
		return;
	w = q->width;
	for (y = -q0; y < w + q0; y += 2) {
		fputs("    ", stdout);
		for (x = -q0; x < w + q0; x++) {
			int top = y >= 0 && y < w && x >= 0 && x < w && (q->data[y * w + x] & 1);
			int bottom = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (q->data[(y + 1) * w + x] & 1);
			/* light background: a dark module is drawn as blank, a light one as block */
			fputs(!top && !bottom ? "\xe2\x96\x88" : !top ? "\xe2\x96\x80" : !bottom ? "\xe2\x96\x84" : " ", stdout);
		}
		fputc('\n', stdout);
	}
	QRcode_free(q);
}
