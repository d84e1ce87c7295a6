#!/usr/bin/env python3
"""
run.py -- runs the black-box integration tests of posternd.

    python3 tests/integration/run.py [FILTER]

Discovers tests/integration/tNN_*.py in order, runs every function named test_* (optionally only those whose
"module.function" name contains FILTER), each in a thread with a per-test timeout. The tests of one file share
one server (harness.server(), started on first use with the file's SERVER_FLAGS); it is stopped after the file,
and so is every other server a test left running. A test fails too when the shared server dies during it.

Prints `ok NAME`, `FAIL NAME: REASON` or `skip NAME: REASON` (harness.Skip: a test that cannot run against this
configuration, e.g. one that needs PostgreSQL while the servers use SQLite) per test and ends with
`integration: N passed, N failed` (and `, N skipped` when some were).
Exit status 1 if any test failed.
"""
import importlib
import os
import re
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

TEST_TIMEOUT_S = float(os.environ.get("POSTERN_IT_TEST_TIMEOUT", "60"))


def one_line(s, n=900):
    s = " | ".join(x.strip() for x in str(s).strip().splitlines() if x.strip())
    return s if len(s) <= n else s[:n] + "..."


def run_test(fn):
    """Returns None on success or a reason string."""
    result = {}

    def body():
        try:
            fn()
            result["ok"] = True
        except harness.Skip as e:
            result["skip"] = str(e)
        except harness.TestFailure as e:
            result["err"] = str(e) or "assertion failed"
        except AssertionError as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            result["err"] = f"{e or 'assertion failed'} ({os.path.basename(tb.filename)}:{tb.lineno})"
        except Exception as e:  # noqa: BLE001
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(tb)
                          if os.path.basename(f.filename).startswith("t")), "")
            result["err"] = f"{type(e).__name__}: {e} {('(' + where + ')') if where else ''}"

    t = threading.Thread(target=body, daemon=True)
    harness.take_deferred()
    t.start()
    t.join(TEST_TIMEOUT_S)
    if t.is_alive():
        # where it hangs, for the report: the test's own frames (and the harness call it was in)
        frame = sys._current_frames().get(t.ident)
        where = [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in traceback.extract_stack(frame)
                 if re.match(r"(t\d\d_.*|harness)\.py$", os.path.basename(f.filename))] if frame else []
        # unblock whatever it waits on: kill its servers; the thread is a daemon and dies with us
        harness.stop_all()
        harness.reset_shared()
        return f"timed out after {TEST_TIMEOUT_S:.0f}s" + (f" in {' > '.join(where[-4:])}" if where else "")
    deferred = harness.take_deferred()
    if "skip" in result:
        return ("skip", result["skip"])
    if result.get("ok"):
        return "; ".join(deferred) if deferred else None
    err = result.get("err", "unknown failure")
    return f"{err} (also: {'; '.join(deferred)})" if deferred else err


SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:",
                   b"ERROR: ThreadSanitizer", b"WARNING: ThreadSanitizer")


def sanitizer_reports(seen):
    """Sanitizer findings in server logs not looked at before (each log is read once, after its server stopped)."""
    found = []
    try:
        names = sorted(os.listdir(harness.LOG_DIR))
    except OSError:
        return found
    for name in names:
        path = os.path.join(harness.LOG_DIR, name)
        if path in seen:
            continue
        seen.add(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        for mark in SANITIZER_MARKS:
            i = data.find(mark)
            if i >= 0:
                found.append(f"{name}: " + data[i:i + 700].decode("utf-8", "replace"))
                break
    return found


def main():
    flt = sys.argv[1] if len(sys.argv) > 1 else ""
    files = sorted(f for f in os.listdir(HERE)
                   if len(f) > 4 and f[0] == "t" and f[1:3].isdigit() and f[3] == "_" and f.endswith(".py"))
    passed = failed = skipped = 0
    seen_logs = set()
    started = time.monotonic()
    for fname in files:
        modname = fname[:-3]
        try:
            mod = importlib.import_module(modname)
        except Exception as e:  # noqa: BLE001
            if not flt or flt in modname:
                print(f"FAIL {modname}: cannot import: {one_line(e)}", flush=True)
                failed += 1
            continue
        tests = [(n, getattr(mod, n)) for n in mod.__dict__ if n.startswith("test_") and callable(getattr(mod, n))]
        tests = [(n, f) for n, f in tests if not flt or flt in f"{modname}.{n}"]
        if not tests:
            continue
        harness.CURRENT_FLAGS = list(getattr(mod, "SERVER_FLAGS", []))
        for name, fn in tests:
            full = f"{modname}.{name}"
            err = run_test(fn)
            sh = harness.shared_if_started()
            if sh is not None and not sh.alive() and not sh.expect_dead:
                code = sh.proc.returncode
                msg = f"posternd (shared server) exited with status {code} during the test; log tail: " \
                      f"{one_line(sh.log_tail(600), 600)}"
                err = f"{err}; {msg}" if err else msg
                harness.reset_shared()
            if isinstance(err, tuple):  # ("skip", reason): harness.Skip, never counted as passed
                skipped += 1
                print(f"skip {full}: {one_line(err[1])}", flush=True)
            elif err is None:
                passed += 1
                print(f"ok {full}", flush=True)
            else:
                failed += 1
                print(f"FAIL {full}: {one_line(err)}", flush=True)
        harness.reset_shared()
        harness.stop_all()
        # a sanitizer build reports memory errors and leaks in the server's log: each one fails the file
        for report in sanitizer_reports(seen_logs):
            failed += 1
            print(f"FAIL {modname}.sanitizer: {one_line(report)}", flush=True)
    harness.stop_all()
    harness.cleanup_tmp()
    if failed:
        print(f"(server logs in {harness.LOG_DIR}; {time.monotonic() - started:.0f}s)", flush=True)
    else:
        import shutil
        shutil.rmtree(harness.LOG_DIR, ignore_errors=True)
    print(f"integration: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
