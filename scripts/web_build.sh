#!/bin/sh
# Build the web client (web/) into OUT/dist and embed it in OUT/assets.c for posternd (scripts/web_embed.py).
#   sh scripts/web_build.sh OUT
# web/src/main.js and what it imports (the protocol, the client engine, the UI, libsodium from web/node_modules,
# pinned by web/package-lock.json) become one script, app.js, bundled by esbuild (Debian's package); web/static/
# is copied as it is. npm ci runs when node_modules is missing or older than the lockfile.
set -eu
out=$1
cd "$(dirname "$0")/.."
if ! command -v esbuild >/dev/null 2>&1; then
	echo "web: esbuild is missing: run make deps (as root), or: sudo apt-get install -y esbuild" >&2
	exit 1
fi
if [ -f web/package-lock.json ] && { [ ! -f web/node_modules/.package-lock.json ] ||
	[ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then
	command -v npm >/dev/null 2>&1 || { echo "web: npm is missing: sudo apt-get install -y nodejs npm" >&2; exit 1; }
	(cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
rm -rf "$out/dist"
mkdir -p "$out/dist"
# browser platform: libsodium's Node branches (require of fs, path, crypto) are never taken in a page
esbuild web/src/main.js --bundle --format=iife --platform=browser --target=es2020 --minify \
	--external:fs --external:path --external:crypto --log-level=warning --outfile="$out/dist/app.js"
cp web/static/* "$out/dist/"
python3 scripts/web_embed.py "$out/dist" "$out/assets.c"
