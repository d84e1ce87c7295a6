#!/usr/bin/env bash
# Runs the web client engine's tests (tests/web/*.test.mjs, node --test) against a posternd and the C CLI the
# tests start themselves, and prints one ok/FAIL line per test and "web-client: N passed, N failed".
# Installs node/npm with apt-get when missing and running as root; installs web/'s pinned npm packages with
# `npm ci`. POSTERND names the server binary (the CLI is taken from the same directory).
set -uo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "web-client: node and npm are required (apt-get install nodejs npm)" >&2
    echo "web-client: 0 passed, 1 failed"
    exit 1
  fi
fi
if [ ! -d web/node_modules/libsodium-wrappers-sumo ]; then
  (cd web && npm ci --no-audit --no-fund) >&2 || { echo "web-client: 0 passed, 1 failed"; exit 1; }
fi

out=$(mktemp); trap 'rm -f "$out"' EXIT
node --test --test-reporter=tap tests/web/ > "$out" 2>&1
# top-level TAP results only (subtests are indented)
passed=$(grep -cE '^ok [0-9]+ - ' "$out")
failed=$(grep -cE '^not ok [0-9]+ - ' "$out")
grep -E '^(not )?ok [0-9]+ - ' "$out" | sed -E 's/^ok [0-9]+ - /ok   web.client: /; s/^not ok [0-9]+ - /FAIL web.client: /'
if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  grep -E "^  (error|location|stack):|^    " "$out" | head -n 60
  [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && { tail -n 30 "$out"; failed=1; }
fi
echo "web-client: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
