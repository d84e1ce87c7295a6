#!/bin/sh
# Build the Tunes example (a partner app in a browser page) into examples/partner-web/dist:
#   sh examples/partner-web/build.sh
# src/main.js and what it imports (the app engine in web/src/client, libsodium from web/node_modules, pinned
# by web/package-lock.json) become one script, app.js, bundled by esbuild (Debian's package); index.html
# names app.js and app.css with their SHA-384 for Subresource Integrity. server.mjs serves the result.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v esbuild >/dev/null 2>&1; then
	echo "partner-web: esbuild is missing: run make deps (as root), or: sudo apt-get install -y esbuild" >&2
	exit 1
fi
if [ ! -f "$root/web/node_modules/.package-lock.json" ] || [ "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]; then
	command -v npm >/dev/null 2>&1 || { echo "partner-web: npm is missing: sudo apt-get install -y nodejs npm" >&2; exit 1; }
	(cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
rm -rf "$here/dist"
mkdir -p "$here/dist"
# browser platform: libsodium's Node branches (require of fs, path, crypto) are never taken in a page
esbuild "$here/src/main.js" --bundle --format=iife --platform=browser --target=es2020 --minify \
	--external:fs --external:path --external:crypto --log-level=warning --outfile="$here/dist/app.js"
cp "$here/static/app.css" "$here/dist/app.css"
python3 - "$here/static/index.html" "$here/dist" <<'PY'
import base64, hashlib, sys
template, dist = sys.argv[1], sys.argv[2]
html = open(template, encoding="utf-8").read()
for name in ("app.js", "app.css"):
    digest = hashlib.sha384(open(f"{dist}/{name}", "rb").read()).digest()
    html = html.replace("{{%s#sri}}" % name, "sha384-" + base64.b64encode(digest).decode())
if "{{" in html:
    sys.exit("partner-web: index.html has a placeholder left")
open(f"{dist}/index.html", "w", encoding="utf-8").write(html)
PY
