#!/bin/sh
# Install what building and testing Postern needs on Debian 12, and nothing else.
# As root: apt-get installs what is missing. Otherwise: prints the exact command to run and fails.
set -eu
need="build-essential pkg-config libqrencode-dev libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev python3 curl clang libclang-rt-14-dev nginx esbuild chromium fonts-dejavu-core"
# esbuild bundles the web client (web/) into posternd; node and npm install its pinned packages (libsodium);
# chromium (with a font) is the browser the browser tier drives (tests/browser/)
# nginx: the framing test (t28) runs posternd behind the nginx configuration of docs/deploy.md, started by the
# test on 127.0.0.1 with a temporary prefix; nothing uses the system service the package sets up
missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# chromium: the browser tier (tests/browser) drives Debian's chromium with playwright-core (no browser download);
# fonts-dejavu-core so its screenshots have real glyphs (chromium only recommends fonts)
# node and npm: the Node tiers (tests/oauth4webapi, tests/browser); Debian 12's nodejs 18 is enough. Checked as
# commands, since nodejs from elsewhere (NodeSource) brings its own npm and conflicts with Debian's npm package.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# the malicious-server tests play the attacker with Python's `cryptography` (Ed25519, X25519, ChaCha20):
# Debian's python3-cryptography when the python3 on PATH lacks it
if ! python3 -c 'import cryptography.hazmat.primitives.asymmetric.x25519' 2>/dev/null &&
	! dpkg-query -W -f='${Status}' python3-cryptography 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing python3-cryptography"
fi
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
		apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing
	}
else
	echo "deps: missing packages:$missing"
	echo "deps: run this, then try again:  sudo apt-get install -y$missing"
	exit 1
fi
