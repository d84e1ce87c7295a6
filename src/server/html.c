/*
 * html.c — escaped, bounded page building (see html.h) and the one stylesheet of the server-rendered pages.
 * Generic: it knows nothing of requests, people or apps; the pages that use it do.
 */
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

/*
 * The one stylesheet of the pages. Plain CSS on custom properties (light, and dark by prefers-color-scheme),
 * no printf escapes, so that it can move as it is into a stylesheet shared with the web client. Narrow
 * screens (360 px) never scroll sideways: nothing has a fixed width, long words and URLs wrap.
 */
static const char html_css[] =
	":root{--bg:#f3f4f7;--card:#fff;--fg:#1b1d22;--muted:#5b6270;--line:#dde0e6;--accent:#2857d6;--accent-fg:#fff;"
	"--danger:#b3261e;--danger-fg:#fff;--warn:#8a4b00;--ok-bg:#e6f4ea;--ok-fg:#0d5223;--warn-bg:#fff4e0;--chip:#eef1f8;"
	"--focus:#ffbf47;--radius:14px;--gap:1rem;color-scheme:light dark}"
	"@media (prefers-color-scheme:dark){:root{--bg:#111318;--card:#1c1f26;--fg:#e9eaee;--muted:#a8afbd;--line:#323744;"
	"--accent:#8fb0ff;--accent-fg:#0b1530;--danger:#ffb4ab;--danger-fg:#410002;--warn:#ffcf8a;--ok-bg:#173823;"
	"--ok-fg:#b6f0c6;--warn-bg:#3a2a10;--chip:#262a34}}"
	"*,*::before,*::after{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
	"overflow-wrap:anywhere}"
	".top{background:var(--card);border-bottom:1px solid var(--line);padding:.75rem var(--gap)}"
	".top .brand{font-weight:700;font-size:1.05rem;margin:0 auto;max-width:44rem}"
	"main{max-width:44rem;margin:0 auto;padding:var(--gap)}"
	"h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}"
	"h2{font-size:1.15rem;margin:1.75rem 0 .5rem}"
	"h3{font-size:1.05rem;margin:0 0 .25rem}"
	"a{color:var(--accent)}"
	"a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,.btn:focus-visible"
	"{outline:3px solid var(--focus);outline-offset:2px}"
	".card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:var(--gap);margin:0 0 var(--gap)}"
	".card>:last-child{margin-bottom:0}.card h2{margin-top:0}"
	"fieldset{min-width:0;margin:0 0 var(--gap)}legend{float:left;width:100%;padding:0;margin:0 0 .5rem}legend~*{clear:both}"
	".muted{color:var(--muted)}"
	".small{font-size:.875rem}"
	".warn{color:var(--warn)}"
	".notice{border-radius:var(--radius);padding:.75rem var(--gap);margin:0 0 var(--gap);background:var(--ok-bg);color:var(--ok-fg)}"
	".notice.bad{background:var(--warn-bg);color:var(--warn)}"
	"nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:0 0 var(--gap);border-bottom:1px solid var(--line)}"
	"nav.tabs a{padding:.5rem .75rem;text-decoration:none;color:var(--muted);border-bottom:3px solid transparent}"
	"nav.tabs a[aria-current=page]{color:var(--fg);border-bottom-color:var(--accent);font-weight:600}"
	".who{margin:0 0 .5rem}"
	"button,.btn{display:inline-block;font:inherit;font-weight:600;padding:.55rem 1.1rem;border-radius:999px;border:1px solid var(--line);"
	"background:var(--card);color:var(--fg);cursor:pointer;text-decoration:none;margin:.25rem .5rem .25rem 0;min-height:2.5rem}"
	"button.primary,.btn.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}"
	"button.danger,.btn.danger{background:var(--danger);border-color:var(--danger);color:var(--danger-fg)}"
	"button.link{background:none;border:0;color:var(--accent);padding:.25rem 0;min-height:0;text-decoration:underline;font-weight:400}"
	".actions{display:flex;flex-wrap:wrap;align-items:center;margin-top:var(--gap)}"
	"label{display:block;font-weight:600;margin:.5rem 0 .25rem}"
	"label.check{display:flex;gap:.6rem;align-items:center;font-weight:400;margin:0;padding:.5rem 0;border-bottom:1px solid var(--line)}"
	"input[type=text],input[type=password],input[type=search],select{font:inherit;width:100%;max-width:100%;padding:.55rem .7rem;"
	"border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg)}"
	"input[type=checkbox]{width:1.25rem;height:1.25rem;flex:none}"
	".row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}.row>*{flex:1 1 12rem}.row>button{flex:0 0 auto}"
	"ul.plain{list-style:none;padding:0;margin:.25rem 0}ul.plain>li{padding:.35rem 0;border-bottom:1px solid var(--line)}"
	"ul.plain>li:last-child{border-bottom:0}"
	".chip{display:inline-block;background:var(--chip);border-radius:999px;padding:.05rem .6rem;margin:.1rem .25rem .1rem 0;font-size:.875rem}"
	"dl.facts{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr;gap:.25rem 1rem;margin:.5rem 0}"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}"
	"@media (max-width:30em){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}"
	".app-head{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;justify-content:space-between}"
	".grant{border-top:1px solid var(--line);padding-top:.75rem;margin-top:.75rem}"
	"ol.log{list-style:none;padding:0;margin:0}"
	"ol.log>li{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:.75rem var(--gap);margin:0 0 .5rem}"
	".refused{color:var(--warn);font-weight:600}"
	"time{white-space:nowrap}"
	"code{font-size:.9em}";

void html_begin(struct html *h, const char *title)
{
	memset(h, 0, sizeof(*h));
	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<meta name=\"color-scheme\" content=\"light dark\"><title>");
	html_text(h, title);
	html_raw(h, " · Postern</title><style>");
	put(h, html_css, sizeof(html_css) - 1);
	html_raw(h, "</style></head><body>\n<header class=\"top\"><p class=\"brand\">Postern</p></header><main>\n");
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
