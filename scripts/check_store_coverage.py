#!/usr/bin/env python3
"""Every operation of the storage interface has a conformance test.

Lists the function members of `struct store_ops` in src/server/store/store.h and requires each name to be called in
tests/unit/test_store.c as `ops->NAME(` (outside comments). Prints one FAIL line per operation without a call and
closes with "store-coverage: N passed, N failed" (one count per operation), which scripts/test.sh adds up.
A store.h whose struct cannot be found, or that lists no operation, is a failure too: the check must be able to fail.

Usage: scripts/check_store_coverage.py [STORE_H [TEST_C]]
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def strip_comments(text):
    """The C text without /* */ and // comments (string literals in the test do not contain either)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def operations(header):
    """The names of the function pointers of struct store_ops, in declaration order."""
    m = re.search(r"struct\s+store_ops\s*\{(.*?)\n\};", strip_comments(header), re.S)
    if m is None:
        return None
    return re.findall(r"\(\s*\*\s*(\w+)\s*\)\s*\(", m.group(1))


def main(argv):
    store_h = argv[1] if len(argv) > 1 else os.path.join(ROOT, "src/server/store/store.h")
    test_c = argv[2] if len(argv) > 2 else os.path.join(ROOT, "tests/unit/test_store.c")
    with open(store_h, encoding="utf-8") as f:
        ops = operations(f.read())
    with open(test_c, encoding="utf-8") as f:
        tests = strip_comments(f.read())
    if not ops:
        print(f"FAIL store-coverage: no operations of struct store_ops found in {store_h}")
        print("store-coverage: 0 passed, 1 failed")
        return 1
    missing = [name for name in ops if not re.search(r"\bops->" + re.escape(name) + r"\s*\(", tests)]
    for name in missing:
        print(f"FAIL store-coverage.{name}: no call ops->{name}( in test_store.c")
    print(f"store-coverage: {len(ops) - len(missing)} passed, {len(missing)} failed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
