#!/usr/bin/env bash
# Runs the oauth4webapi interoperability test (test.mjs) against a posternd it starts itself.
# Installs node/npm with apt-get when missing and running as root; installs the pinned oauth4webapi with `npm ci`.
# Build the server first: make -C ../.. build/posternd (or set POSTERND=/path/to/posternd).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "oauth4webapi: node and npm are required (apt-get install nodejs npm)" >&2
    echo "oauth4webapi: 0 passed, 1 failed"
    exit 1
  fi
fi

if [ ! -d node_modules/oauth4webapi ]; then
  npm ci --no-audit --no-fund
fi

exec node test.mjs
