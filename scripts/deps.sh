#!/bin/sh
# Install what building and testing Postern needs on Debian 12, and nothing else.
# As root: apt-get installs what is missing. Otherwise: prints the exact command to run and fails.
set -eu
need="build-essential pkg-config libqrencode-dev libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev python3 curl clang libclang-rt-14-dev nginx esbuild chromium fonts-dejavu-core postgresql-15 postgresql-client-15 libpq-dev python3-psycopg2"
# postgresql-15 (initdb, postgres, pgbench), postgresql-client-15 (psql, pg_isready) and libpq-dev: the
# PostgreSQL backend being built, its tests and the database ceiling of `make bench`. Tests run their own
# throwaway clusters (scripts/pg.sh); the system cluster the package makes is removed again below.
# python3-psycopg2: the integration tests that edit a server's own database (the malicious-server attacks of
# t23 and t30, moving report time) do it on PostgreSQL too, through a real driver rather than psql's output
# (harness.server_db; a python3 other than Debian's imports it from Debian's dist-packages).
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
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Debian's postgresql-15 creates a cluster 15/main on first install and starts it (where services may
	# start). Nothing of Postern uses it, and on a 2-core test machine an idle server still competes for CPU
	# and I/O, so a 15/main that this install creates is dropped again. One that existed before is left alone.
	had_main=0
	[ ! -e /etc/postgresql/15/main ] || had_main=1
	apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
		apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing
	}
	if [ $had_main = 0 ] && [ -e /etc/postgresql/15/main ] && command -v pg_dropcluster >/dev/null 2>&1; then
		echo "deps: removing the system cluster 15/main that postgresql-15 just created (tests use scripts/pg.sh)"
		pg_dropcluster --stop 15 main || echo "deps: could not drop 15/main; it only costs an idle server"
	fi
else
	echo "deps: missing packages:$missing"
	echo "deps: run this, then try again:  sudo apt-get install -y$missing"
	exit 1
fi
