#!/bin/sh
# Install what building and testing Postern needs on Debian 12, and nothing else.
# As root: apt-get installs what is missing. Otherwise: prints the exact command to run and fails.
set -eu
need="build-essential pkg-config libqrencode-dev libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev python3 curl clang libclang-rt-14-dev nginx esbuild"
# esbuild bundles the web client (web/) into posternd; node and npm install its pinned packages (libsodium)
# nginx: the framing test (t28) runs posternd behind the nginx configuration of docs/deploy.md, started by the
# test on 127.0.0.1 with a temporary prefix; nothing uses the system service the package sets up
missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
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
