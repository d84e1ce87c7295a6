/* html.c — escaped, bounded page building (see html.h). */
#include "html.h"

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

void html_begin(struct html *h, const char *title)
{
	memset(h, 0, sizeof(*h));
	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	html_text(h, title);
	html_raw(h, "</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;color:#222}"
		    "h1{font-size:1.4em}table{border-collapse:collapse;width:100%%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left}"
		    "button{font:inherit;padding:.4em 1.2em;margin-right:.5em}.muted{color:#666}.warn{color:#a40}"
		    "fieldset{border:1px solid #ccc;margin:1em 0}td{vertical-align:top;overflow-wrap:break-word}"
		    /* narrow screens: a table's rows become cards, each cell under its column's name (data-l) */
		    "@media (max-width:40em){table,tbody,tr,td{display:block;width:auto}tr:has(th){display:none}"
		    "tr{border-bottom:1px solid #ddd;padding:.4em 0}td{border:0;padding:.1em 0}"
		    "td:empty{display:none}td[data-l]::before{content:attr(data-l);display:block;font-size:.8em;color:#666}}"
		    "</style></head><body>\n");
}

char *html_finish(struct html *h)
{
	html_raw(h, "</body></html>\n");
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
	char buf[32];
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		return;
	html_text(h, buf);
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
