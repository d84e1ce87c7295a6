#!/usr/bin/env bash
# The web-proto tier: the JavaScript protocol module (web/src/proto) against the test vectors and, through
# tests/tools/proto_peer and stmt, against the C protocol module. Installs nodejs/npm with apt-get when missing
# (as root), installs web/'s pinned packages with `npm ci` when the lockfile changed, runs `node --test`, and
# turns its TAP into "ok NAME" / "FAIL NAME" lines and a closing "web-proto: N passed, N failed".
# Usage (from anywhere): tests/web/run.sh BUILD_DIR   (the tools must be built: make BUILD=... BUILD/tools/proto_peer BUILD/tools/stmt)
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

fail() { echo "web-proto: $1" >&2; echo "web-proto: 0 passed, 1 failed"; exit 1; }

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
for tool in proto_peer stmt; do
	[ -x "$build/tools/$tool" ] || fail "$build/tools/$tool is not built"
done
# libsodium-wrappers draws randomness from globalThis.crypto, which Node 18 (Debian 12) has only behind a flag
flags=""
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 19 ] && flags="--experimental-global-webcrypto"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
PROTO_PEER="$build/tools/proto_peer" STMT="$build/tools/stmt" \
	node $flags --test --test-reporter=tap tests/web/*.test.js > "$out" 2>&1
status=$?
# a test line is "ok N - name" or "not ok N - name" (indented under a file's own line on Node 18: skip those)
awk '
	/^[ ]*(not )?ok [0-9]+ - / {
		line = $0; sub(/^[ ]*/, "", line)
		bad = (line ~ /^not ok/)
		sub(/^(not )?ok [0-9]+ - /, "", line); sub(/ # .*$/, "", line)
		if (line ~ /\.test\.js$/) next
		if (bad) { print "FAIL " line; failed++ } else { print "ok   " line; passed++ }
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
echo "web-proto: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
