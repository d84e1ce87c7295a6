#!/bin/sh
# Runs the browser tier (run.mjs) against BUILD_DIR/posternd: installs the pinned playwright-core and axe-core with
# `npm ci` when they are missing (never a browser download: it drives Debian's chromium), then runs the tests under
# a hard time limit so a hung browser cannot hang `make test`. Screenshots go to BUILD_DIR/artifacts/screens.
#   sh tests/browser/run.sh [BUILD_DIR] [FILTER]        (from the repository root; BUILD_DIR defaults to build)
# Its last line is `browser: N passed, N failed`, also when it cannot start.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
filter=${2:-}
case $build in /*) ;; *) build=$PWD/$build ;; esac
fail() { echo "browser: $1" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	fail "node and npm are required (sh scripts/deps.sh installs them as root)"
cd "$root/tests/browser" || fail "no tests/browser"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f node_modules/playwright-core/package.json ] || [ ! -f node_modules/axe-core/axe.min.js ] ||
	[ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error >&2 || fail "npm ci failed"
fi
export POSTERND="${POSTERND:-$build/posternd}"
export POSTERN_SCREENS="${POSTERN_SCREENS:-$build/artifacts/screens}"
# run.mjs stops itself after 720 s; this is the backstop if node itself hangs. Its temporary files (the server's
# data dir, chromium's profile) go in a directory of their own, removed here however node ended.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/postern-browser-run.XXXXXX") || fail "mktemp failed"
# Node 18 (Debian 12's) has the Web Crypto global that libsodium-wrappers needs only behind a flag; the web
# client tests load the protocol module in Node too (the vectors test compares Node's count with chromium's)
flags=""
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 19 ] && flags="--experimental-global-webcrypto"
TMPDIR=$tmp timeout -k 10 780 node $flags run.mjs ${filter:+"$filter"}
rc=$?
rm -rf "$tmp"
[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "FAIL browser tier: killed after 780 s" && echo "browser: 0 passed, 1 failed"
exit $rc
