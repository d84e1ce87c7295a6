#!/bin/sh
# Run every test tier and print one closing line "N passed, N failed" (what CI reads).
#   tier 1: C unit tests (build/tests/test_*), each test forked with a timeout
#   tier 2: a short libFuzzer pass (tests/fuzz/)
#   tier 3: black-box integration tests against a real posternd (tests/integration/run.py)
#   tier 4: the oauth4webapi interoperability test (tests/oauth4webapi/)
#   tier 5: the JavaScript protocol module (web/src/proto) against the vectors and the C module (tests/web/)
#   tier 6: the web client engine (web/src/client) against posternd and the C CLI (tests/web/*.test.mjs)
#   tier 7: the browser tier (tests/browser/): chromium on the web client and the pages people see;
#           screenshots in BUILD/artifacts/screens
#   tier 8: pg-infra (tests/pg/): throwaway PostgreSQL clusters (scripts/pg.sh) and the bench's database ceiling
#   tier 9: the PostgreSQL backend: the storage conformance suite and the integration suite again, against a
#           throwaway cluster (posternd --database)
# Usage: scripts/test.sh BUILD_DIR [integration-filter]
set -u
build=${1:-build}
filter=${2:-}
passed=0
failed=0
tally() { # adds a tier's closing "N passed, N failed" line (the last one in $1) to the totals
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "(no summary line: counted as one failure)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
	f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')
	passed=$((passed + p)); failed=$((failed + f))
}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" > "$out" 2>&1; cat "$out"; tally "$out"
done
# libpostern exports its public API and nothing else (pst_*; internals and helpers are local)
extra=$(nm -g --defined-only "$build/libpostern.a" 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^pst_')
if [ -f "$build/libpostern.a" ] && [ -z "$extra" ]; then
	echo "ok   libpostern.exports_only_pst"; passed=$((passed + 1))
else
	echo "FAIL libpostern.exports_only_pst: $(echo $extra | head -c 300)"; failed=$((failed + 1))
fi
# the layers: include paths per part (the CLI sees only the public API) and real header dependencies
sh scripts/check_layers.sh "$build" > "$out" 2>&1; cat "$out"; tally "$out"
# every declaration of postern.h and every CLI command entry point has its own contract comment
python3 scripts/check_contracts.py > "$out" 2>&1; cat "$out"; tally "$out"
# every operation of the storage interface (struct store_ops) is called by the conformance suite (test_store.c)
python3 scripts/check_store_coverage.py > "$out" 2>&1; cat "$out"; tally "$out"
# make install, then a program built against the installed tree through pkg-config, as an app developer would
inst=$(mktemp -d)
if make --no-print-directory install BUILD="$build" SANITIZE="${SANITIZE:-}" PREFIX="$inst" > "$out" 2>&1 &&
	cc ${SANITIZE:+-fsanitize=$SANITIZE} -o "$inst/hello" tests/install/hello.c \
		$(PKG_CONFIG_PATH="$inst/lib/pkgconfig" pkg-config --cflags --libs libpostern) >> "$out" 2>&1 &&
	"$inst/hello" "$inst/home" >> "$out" 2>&1 && [ -x "$inst/bin/posternd" ] && [ -x "$inst/bin/postern" ]; then
	echo "ok   install.pkg_config_program"; passed=$((passed + 1))
else
	tail -n 20 "$out"; echo "FAIL install.pkg_config_program"; failed=$((failed + 1))
fi
rm -rf "$inst"
# tier 2: a short libFuzzer pass over the request-body parsers (make fuzz runs it longer)
if make --no-print-directory fuzz BUILD="$build" FUZZ_SECONDS="${FUZZ_SECONDS:-8}" > "$out" 2>&1; then
	echo "ok   fuzz.request_body + fuzz.envelope ($(grep -Eo 'Done [0-9]+ runs' "$out" | tr '\n' ' '))"; passed=$((passed + 1))
else
	tail -n 30 "$out"; echo "FAIL fuzz (request bodies, envelopes)"; failed=$((failed + 1))
fi
POSTERND="$build/posternd" python3 tests/integration/run.py $filter > "$out" 2>&1; cat "$out"; tally "$out"
# tier 4: a strict third-party OAuth client (the npm package oauth4webapi, pinned by its lockfile)
POSTERND="$PWD/$build/posternd" bash tests/oauth4webapi/run.sh > "$out" 2>&1; cat "$out"; tally "$out"
# tier 5: the browser's protocol code, proven equal to src/proto (vectors, and round trips through tests/tools/proto_peer)
bash tests/web/run.sh proto "$build" > "$out" 2>&1; cat "$out"; tally "$out"
# tier 6: the web client engine in Node, interoperating with the C CLI (tests/web/*.test.mjs)
bash tests/web/run.sh client "$build" > "$out" 2>&1; cat "$out"; tally "$out"
# tier 7: Debian's chromium, driven by playwright-core (pinned by its lockfile), on the login, consent, share,
# connected-apps and access-log pages: screenshots, no sideways scrolling at 390 px, axe-core; under its own time limit
POSTERN_SCREENS="$PWD/$build/artifacts/screens" sh tests/browser/run.sh "$build" > "$out" 2>&1; cat "$out"; tally "$out"
# tier 8: scripts/pg.sh starts, serves and stops a throwaway PostgreSQL 15 cluster and leaves nothing running;
# the bench's pgbench transaction writes what a durable send writes; the bus between nodes (LISTEN/NOTIFY)
sh tests/pg/run.sh "$build" > "$out" 2>&1; cat "$out"; tally "$out"
# tier 9: one throwaway cluster (scripts/pg.sh, stopped with this script) for the PostgreSQL backend: test_store
# with each test in a schema of its own, then every integration test with each server in a schema of its own (the
# ones that edit a server's database themselves reach the schema with psycopg2: harness.server_db)
pgtop=$(mktemp -d /tmp/postern-pgbackend.XXXXXX)
chmod 755 "$pgtop" # the cluster's owner (postgres, when we are root) must reach the directory under it
if pgenv=$(PG_WATCH=$$ sh scripts/pg.sh start "$pgtop/c" 2>"$out"); then
	eval "$pgenv"
	POSTERN_TEST_DATABASE="$PG_URL" "$build/tests/test_store" > "$out" 2>&1; cat "$out"; tally "$out"
	POSTERN_IT_DATABASE="$PG_URL" POSTERND="$PWD/$build/posternd" python3 tests/integration/run.py $filter 2>&1 |
		sed 's/^integration:/integration (postgresql):/' > "$out"; cat "$out"; tally "$out"
	sh scripts/pg.sh stop "$pgtop/c" >/dev/null 2>&1
else
	cat "$out"; echo "FAIL pgbackend: scripts/pg.sh could not start a cluster"; failed=$((failed + 1))
fi
rm -rf "$pgtop"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
