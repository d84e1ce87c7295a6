/*
 * webapp.h — the web client's files, built into posternd (scripts/web_embed.py generates the table from the
 * bundle that scripts/web_build.sh makes of web/). GET / answers the page, GET /assets/{name} the rest, under
 * the web client's Content-Security-Policy. Read-only data: thread-safe, nothing to free.
 */
#ifndef POSTERN_WEBAPP_H
#define POSTERN_WEBAPP_H

#include <stddef.h>

struct web_asset {
	const char *path;            /* "/" or "/assets/NAME.HASH.EXT" */
	const char *name;            /* the file's name in web/static or the bundle: "pages.css", "app.js" */
	const char *integrity;       /* its Subresource Integrity value, "sha384-..." ("" for the page) */
	const char *content_type;
	const unsigned char *start;  /* the bytes, in the binary's read-only data */
	const unsigned char *end;    /* one past the last byte */
	int immutable;               /* named by its hash: cacheable for good */
};

extern const struct web_asset web_assets[];
extern const int web_asset_count;

/*
 * The policy every web client answer carries: its own origin only (scripts, styles, images, the API), no
 * inline script, no eval beyond compiling WebAssembly (libsodium), no framing, Trusted Types for the DOM.
 */
#define WEBAPP_CSP                                                                                                \
	"default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "      \
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " \
	"require-trusted-types-for 'script'; trusted-types 'none'"

/* The asset served at path (exact match), or NULL. Thread-safe. */
const struct web_asset *webapp_find(const char *path);

/* The asset built from the file called name (e.g. "pages.css", for the server's own pages), or NULL. Thread-safe. */
const struct web_asset *webapp_find_name(const char *name);

#endif
