#!/usr/bin/env bash
# The web-client tier: the web client engine (web/src/client) in Node against a posternd and the C CLI the
# tests start themselves (tests/web/*.test.mjs), plus its sealed store. Installs nodejs/npm with apt-get when
# missing (as root) and web/'s pinned packages with `npm ci` when the lockfile changed (as tests/web/run.sh),
# and prints "ok NAME" / "FAIL NAME" lines and a closing "web-client: N passed, N failed".
# Usage (from anywhere): tests/web/client-run.sh BUILD_DIR   (posternd and postern must be built there)
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

fail() { echo "web-client: $1" >&2; echo "web-client: 0 passed, 1 failed"; exit 1; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || fail "apt-get install nodejs npm failed"
	else
		fail "node and npm are required (apt-get install nodejs npm)"
	fi
fi
if ! cmp -s web/package-lock.json web/node_modules/.postern-installed-lock 2>/dev/null; then
	(cd web && npm ci --no-audit --no-fund >/dev/null) || fail "npm ci in web/ failed"
	cp web/package-lock.json web/node_modules/.postern-installed-lock
fi
for bin in posternd postern; do
	[ -x "$build/$bin" ] || fail "$build/$bin is not built"
done
# libsodium-wrappers and the engine draw randomness from globalThis.crypto: behind a flag on Node 18 (Debian 12)
flags=""
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 19 ] && flags="--experimental-global-webcrypto"

out=$(mktemp)
trap 'rm -f "$out" "$out.count"' EXIT
POSTERND="$build/posternd" POSTERN_CLI="$build/postern" node $flags --test --test-reporter=tap tests/web/*.test.mjs > "$out" 2>&1
status=$?
awk '
	/^[ ]*(not )?ok [0-9]+ - / {
		line = $0; sub(/^[ ]*/, "", line)
		bad = (line ~ /^not ok/)
		sub(/^(not )?ok [0-9]+ - /, "", line); sub(/ # .*$/, "", line)
		if (line ~ /\.test\.mjs$/) next
		if (bad) { print "FAIL web.client: " line; failed++ } else { print "ok   web.client: " line; passed++ }
	}
	END { printf "%d %d\n", passed, failed > "/dev/stderr" }
' "$out" 2> "$out.count"
read -r passed failed < "$out.count"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then
	grep -E -A 30 '^[ ]*not ok' "$out" | head -n 120
fi
if [ "$passed" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
	tail -n 30 "$out"
	failed=$((failed + 1))
fi
echo "web-client: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
