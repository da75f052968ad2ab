"""Shared by the Hub client scenarios: the spec the Rust test wrote, and a runner that runs
every check, reports each failure with its traceback, and exits non-zero if any failed.

Run by server/tests/it/hf/ with HF_ENDPOINT=<server>/hf and HF_TOKEN set; argv[1] is a JSON
spec written by the test (repository names, tokens, file hashes, commit ids)."""

import hashlib
import json
import sys
import traceback

SPEC = json.load(open(sys.argv[1]))
FAILURES = []


def check(name):
    """Decorator: runs the check at once, recording a failure instead of stopping."""

    def run(fn):
        try:
            fn()
            print(f"ok   {name}", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported
            FAILURES.append(name)
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        return fn

    return run


def expect_error(fn, *names):
    """Calls fn and checks it raises an exception whose class (or a base) is one of names."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        classes = {c.__name__ for c in type(e).__mro__}
        assert classes & set(names), f"expected {names}, got {type(e).__name__}: {e}"
        return e
    raise AssertionError(f"expected {names}, nothing was raised")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def finish():
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed: {', '.join(FAILURES)}", flush=True)
        sys.exit(1)
    print("all checks passed", flush=True)
