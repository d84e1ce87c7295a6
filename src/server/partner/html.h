/*
 * html.h — building the few server-rendered pages (login, consent, share picker, connected apps, access
 * log) without JavaScript. Every piece of text that comes from a person or an app goes through
 * html_text()/html_attr(), which escape it; pages are assembled in a bounded buffer.
 */
#ifndef POSTERN_HTML_H
#define POSTERN_HTML_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define HTML_MAX (256u << 10) /* a page larger than this is a bug: html_finish fails */

struct html {
	char *buf;
	size_t len, cap;
	int failed;
};

/* Start a page with a title (escaped): the head with the stylesheet, the top bar, and <main> open. */
void html_begin(struct html *h, const char *title);

/* Append markup as is (printf-style); the format and arguments must be trusted markup. */
void html_raw(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append text escaped for element content / for a double-quoted attribute value. */
void html_text(struct html *h, const char *s);
void html_attr(struct html *h, const char *s);

/* Close the page. Returns the malloc'd document (the caller frees it), or NULL on overflow/OOM. */
char *html_finish(struct html *h);

/* Append a time (Unix ms) for people: <time datetime="2026-11-29T05:41:00Z">2026-11-29 05:41 UTC</time>,
 * readable without JavaScript, the zone named. */
void html_time(struct html *h, int64_t ms);

/* Append the (UTC) date of a time: <time datetime="2027-02-27">27 Feb 2027</time>. */
void html_date(struct html *h, int64_t ms);

/* Percent-encode s for a URL query value into out (cap bytes). Returns 0, -1 if it does not fit. */
int html_urlencode(const char *s, char *out, size_t cap);

#endif
