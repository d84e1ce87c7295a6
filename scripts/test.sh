#!/bin/sh
# Run every test tier and print one closing line "N passed, N failed" (what CI reads).
#   tier 1: C unit tests (build/tests/test_*), each test forked with a timeout
#   tier 2: a short libFuzzer pass (tests/fuzz/)
#   tier 3: black-box integration tests against a real posternd (tests/integration/run.py)
# Usage: scripts/test.sh BUILD_DIR [integration-filter]
set -u
build=${1:-build}
filter=${2:-}
passed=0
failed=0
tally() { # reads a tier's closing "N passed, N failed" line from $1
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -E 's/.*([0-9]+) passed.*/\1/; s/.* ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; echo "(no summary line: counted as one failure)"; }
	passed=$((passed + p)); failed=$((failed + f))
}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" > "$out" 2>&1; cat "$out"; tally "$out"
done
# tier 2: a short libFuzzer pass over the request-body parsers (make fuzz runs it longer)
if make --no-print-directory fuzz BUILD="$build" FUZZ_SECONDS="${FUZZ_SECONDS:-10}" > "$out" 2>&1; then
	echo "ok   fuzz.request_body ($(grep -Eo 'Done [0-9]+ runs' "$out"))"; passed=$((passed + 1))
else
	tail -n 30 "$out"; echo "FAIL fuzz.request_body"; failed=$((failed + 1))
fi
POSTERND="$build/posternd" python3 tests/integration/run.py $filter > "$out" 2>&1; cat "$out"; tally "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
