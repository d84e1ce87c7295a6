/*
 * html.c — escaped, bounded page building (see html.h); the pages' look is web/static/pages.css, linked by hash.
 * Generic: it knows nothing of requests, people or apps; the pages that use it do.
 */
#include "html.h"

#include "webapp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

static void put(struct html *h, const char *s, size_t n)
{
	if (h->failed)
		return;
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		char *nb;
		while (cap < h->len + n + 1)
			cap *= 2;
		if (cap > HTML_MAX || (nb = realloc(h->buf, cap)) == NULL) {
			h->failed = 1;
			return;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

void html_raw(struct html *h, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		h->failed = 1;
		return;
	}
	put(h, tmp, (size_t)n);
}

static void escape(struct html *h, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': put(h, "&amp;", 5); break;
		case '<': put(h, "&lt;", 4); break;
		case '>': put(h, "&gt;", 4); break;
		case '"': put(h, "&quot;", 6); break;
		case '\'': put(h, "&#39;", 5); break;
		default: put(h, s, 1);
		}
	}
}

void html_text(struct html *h, const char *s) { escape(h, s); }
void html_attr(struct html *h, const char *s) { escape(h, s); }

/*
 * The one stylesheet of the pages. Plain CSS on custom properties (light, and dark by prefers-color-scheme),
 * no printf escapes, so that it can move as it is into a stylesheet shared with the web client. Narrow
 * screens (360 px) never scroll sideways: nothing has a fixed width, long words and URLs wrap.
 */
void html_begin(struct html *h, const char *title)
{
	const struct web_asset *css = webapp_find_name("pages.css");
	memset(h, 0, sizeof(*h));
	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<meta name=\"color-scheme\" content=\"light dark\"><title>");
	html_text(h, title);
	html_raw(h, " · Postern</title>");
	if (css) /* web/static/pages.css, built into the binary with the web client (webapp.h) */
		html_raw(h, "<link rel=\"stylesheet\" href=\"%s\" integrity=\"%s\">", css->path, css->integrity);
	html_raw(h, "</head><body>\n<header class=\"top\"><p class=\"brand\">Postern</p></header><main>\n");
}

char *html_finish(struct html *h)
{
	html_raw(h, "</main></body></html>\n");
	if (h->failed) {
		free(h->buf);
		h->buf = NULL;
		return NULL;
	}
	return h->buf;
}

void html_time(struct html *h, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char iso[32], text[32];
	if (gmtime_r(&t, &tm) == NULL || strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
	    strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		return;
	html_raw(h, "<time datetime=\"%s\">%s</time>", iso, text);
}

void html_date(struct html *h, int64_t ms)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_mon < 0 || tm.tm_mon > 11)
		return;
	html_raw(h, "<time datetime=\"%04d-%02d-%02d\">%d %s %04d</time>", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900);
}

int html_urlencode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			    ch == '_' || ch == '.' || ch == '~';
		if (o + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain)
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}
