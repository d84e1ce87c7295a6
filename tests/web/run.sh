#!/usr/bin/env bash
# The two Node tiers of tests/web/, one at a time:
#   proto   "web-proto": the JavaScript protocol module (web/src/proto) against the test vectors and, through
#           tests/tools/proto_peer and stmt, against the C protocol module (tests/web/*.test.js)
#   client  "web-client": the web client engine (web/src/client) and the partner app engine in Node, against a
#           posternd and the C CLI the tests start themselves (tests/web/*.test.mjs)
# Installs nodejs/npm with apt-get when missing (as root), installs web/'s pinned packages with `npm ci` when the
# lockfile changed, runs `node --test`, and turns its TAP into "ok NAME" / "FAIL NAME" lines and a closing
# "TIER: N passed, N failed".
# Usage (from anywhere): tests/web/run.sh proto|client BUILD_DIR   (what the tier needs must be built there)
set -uo pipefail
cd "$(dirname "$0")/../.."
which=${1:-}
build=${2:-build}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
case "$which" in
proto) tier=web-proto prefix="" ext=js needs="tools/proto_peer tools/stmt" ;;
client) tier=web-client prefix="web.client: " ext=mjs needs="posternd postern" ;;
*) echo "usage: tests/web/run.sh proto|client BUILD_DIR" >&2; echo "web: 0 passed, 1 failed"; exit 1 ;;
esac

fail() { echo "$tier: $1" >&2; echo "$tier: 0 passed, 1 failed"; exit 1; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || fail "apt-get install nodejs npm failed"
	else
		fail "node and npm are required (apt-get install nodejs npm)"
	fi
fi
# npm ci again whenever package-lock.json is not the one node_modules was installed from
if ! cmp -s web/package-lock.json web/node_modules/.postern-installed-lock 2>/dev/null; then
	(cd web && npm ci --no-audit --no-fund >/dev/null) || fail "npm ci in web/ failed"
	cp web/package-lock.json web/node_modules/.postern-installed-lock
fi
for bin in $needs; do
	[ -x "$build/$bin" ] || fail "$build/$bin is not built"
done
# libsodium-wrappers and the engine draw randomness from globalThis.crypto: behind a flag on Node 18 (Debian 12)
flags=""
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 19 ] && flags="--experimental-global-webcrypto"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
PROTO_PEER="$build/tools/proto_peer" STMT="$build/tools/stmt" POSTERND="$build/posternd" POSTERN_CLI="$build/postern" \
	node $flags --test --test-reporter=tap tests/web/*.test.$ext > "$out" 2>&1
status=$?
# a test line is "ok N - name" or "not ok N - name" (indented under a file's own line on Node 18: skip those)
awk -v ext="$ext" -v prefix="$prefix" '
	/^[ ]*(not )?ok [0-9]+ - / {
		line = $0; sub(/^[ ]*/, "", line)
		bad = (line ~ /^not ok/)
		sub(/^(not )?ok [0-9]+ - /, "", line); sub(/ # .*$/, "", line)
		if (line ~ ("\\.test\\." ext "$")) next
		if (bad) { print "FAIL " prefix line; failed++ } else { print "ok   " prefix line; passed++ }
	}
	END { printf "%d %d\n", passed, failed > "/dev/stderr" }
' "$out" 2> "$out.count"
read -r passed failed < "$out.count"
rm -f "$out.count"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then
	grep -E -A 30 '^[ ]*not ok' "$out" | head -n 120
fi
if [ "$passed" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
	tail -n 30 "$out"
	failed=$((failed + 1)) # node failed before or outside the tests
fi
echo "$tier: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
