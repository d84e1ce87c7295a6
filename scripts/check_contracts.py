#!/usr/bin/env python3
"""check_contracts.py -- every public declaration has its own contract comment (run by test.sh).

Checks, and prints one "ok"/"FAIL" line each and "contracts: N passed, N failed":
  - include/postern/postern.h: each function declaration and each typedef has a comment block (/* ... */)
    ending on the line directly above it, and no two declarations share one block;
  - src/cli/*.c: each command entry point (cmd_*, the handlers of the command table) has a comment block
    directly above its definition (the helpers have theirs in postern_cli.h).
Python 3 standard library only. Usage: scripts/check_contracts.py [ROOT] (default: the repository).
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# a declaration starts at the beginning of a line (not indented: struct fields and continuation lines are)
HEADER_DECL = re.compile(r"^(?:typedef\b.*|(?:const\s+)?[A-Za-z_][\w \t]*[\s*]+(pst_\w+)\s*\(.*)$")
CLI_DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \t]*[\s*]+(cmd_\w+)\s*\([^;]*$")


def comment_above(lines, i):
    """The line index where the comment block ending directly above line i starts, or None."""
    j = i - 1
    if j < 0 or not lines[j].rstrip().endswith("*/"):
        return None
    while j >= 0 and "/*" not in lines[j]:
        j -= 1
    return j if j >= 0 else None


def header_declarations(lines):
    """(line index, name) of each function declaration and typedef at file level in a header."""
    out = []
    for i, ln in enumerate(lines):
        m = HEADER_DECL.match(ln)
        if not m or ln.startswith(("#", "/*", " *")):
            continue
        name = m.group(1)
        if name is None:  # typedef: its name is the last identifier before ';' or the function pointer's name
            t = re.search(r"\(\s*\*\s*(\w+)\s*\)", ln) or re.search(r"(\w+)\s*;\s*$", ln) or re.search(r"(\w+)\s*\{", ln)
            name = t.group(1) if t else ln.strip()
        out.append((i, name))
    return out


def main():
    passed = failed = 0

    def report(ok, what, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   contracts.{what}")
        else:
            failed += 1
            print(f"FAIL contracts.{what}: {why}")

    path = os.path.join(ROOT, "include", "postern", "postern.h")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    decls = header_declarations(lines)
    missing, shared, owner = [], [], {}
    for i, name in decls:
        start = comment_above(lines, i)
        if start is None:
            missing.append(f"{name} (line {i + 1})")
        elif start in owner:
            shared.append(f"{name} shares the comment of {owner[start]} (line {i + 1})")
        else:
            owner[start] = name
    report(len(decls) > 50, "postern_h.declarations_found", f"only {len(decls)} declarations parsed")
    report(not missing, "postern_h.every_declaration_commented", "no comment directly above " + ", ".join(missing))
    report(not shared, "postern_h.one_comment_each", "; ".join(shared))

    cli_dir = os.path.join(ROOT, "src", "cli")
    missing, found = [], 0
    for fname in sorted(os.listdir(cli_dir)):
        if not fname.endswith(".c"):
            continue
        with open(os.path.join(cli_dir, fname), encoding="utf-8") as f:
            clines = f.read().split("\n")
        for i, ln in enumerate(clines):
            m = CLI_DEF.match(ln)
            if not m or ln.startswith(("#", "/*", " *")) or m.group(1) in ("if", "for", "while", "switch", "return"):
                continue
            found += 1
            if comment_above(clines, i) is None:
                missing.append(f"{fname}:{i + 1} {m.group(1)}")
    report(found > 40, "cli.definitions_found", f"only {found} function definitions parsed")
    report(not missing, "cli.every_entry_point_commented", "no comment directly above " + ", ".join(missing))

    print(f"contracts: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
