#!/bin/sh
# check_layers.sh — the build keeps the layers apart and knows the real header dependencies (run by test.sh).
#
# 1. Include paths per part: each probe in tests/probe/PART/ is compiled as an object of PART by the Makefile's
#    own %.o rule (an object gets the include paths of its folder's name). ok_*.c must compile; no_*.c includes
#    a header its part must not see and must fail for exactly that reason ("No such file").
# 2. Header dependencies: `make -n -W HEADER` (what would be rebuilt were HEADER changed, without touching it)
#    recompiles the objects that include HEADER and no others.
# Needs a finished build in BUILD_DIR. Prints "ok"/"FAIL" lines and "layers: N passed, N failed".
# Usage: scripts/check_layers.sh BUILD_DIR
set -u
build=${1:-build}
passed=0
failed=0
out=$(mktemp); trap 'rm -f "$out"' EXIT
ok() { echo "ok   layers.$1"; passed=$((passed + 1)); }
fail() { echo "FAIL layers.$1: $2"; failed=$((failed + 1)); }

for src in tests/probe/*/*.c; do
	part=$(basename "$(dirname "$src")")
	name=$part.$(basename "$src" .c)
	obj="$build/${src%.c}.o"
	rm -f "$obj"
	if make -s --no-print-directory BUILD="$build" SANITIZE="${SANITIZE:-}" "$obj" > "$out" 2>&1; then
		case $src in
		*/no_*) fail "$name" "compiles, but a $part object must not see $(sed -n 's/^#include "\(.*\)"/\1/p' "$src" | head -n 1)" ;;
		*) ok "$name" ;;
		esac
	else
		header=$(sed -n 's/^#include "\(.*\)"/\1/p' "$src" | head -n 1)
		case $src in
		*/no_*) if grep -q "$header: No such file" "$out"; then ok "$name"; else fail "$name" "failed otherwise: $(head -c 300 "$out")"; fi ;;
		*) fail "$name" "does not compile: $(head -c 300 "$out")" ;;
		esac
	fi
done

# what `make -n -W HEADER TARGET` would compile, one source a line, sorted
would_compile() {
	make -n --no-print-directory -W "$1" BUILD="$build" SANITIZE="${SANITIZE:-}" "$2" 2>/dev/null |
		sed -n 's/.*echo "  CC  \([^"]*\)".*/\1/p' | sort
}
# a header no other header includes: exactly the .c files that include it are recompiled
want=$(grep -l '#include "limiter.h"' src/server/*.c | sort)
got=$(would_compile src/server/limiter.h "$build/posternd")
if [ -n "$want" ] && [ "$got" = "$want" ]; then ok "deps.server_header_rebuilds_its_includers"; else
	fail "deps.server_header_rebuilds_its_includers" "want [$(echo $want)], make would compile [$(echo $got)]"; fi
# a server header does not rebuild the CLI; the public header rebuilds all of it
got=$(would_compile src/server/store/store.h "$build/postern" | grep '^src/cli/')
if [ -z "$got" ]; then ok "deps.cli_ignores_server_headers"; else
	fail "deps.cli_ignores_server_headers" "store.h would recompile $(echo $got)"; fi
want=$(ls src/cli/*.c | sort)
got=$(would_compile include/postern/postern.h "$build/postern" | grep '^src/cli/')
if [ "$got" = "$want" ]; then ok "deps.cli_follows_the_public_header"; else
	fail "deps.cli_follows_the_public_header" "postern.h would recompile [$(echo $got)]"; fi

echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
