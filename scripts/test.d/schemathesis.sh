# shellcheck shell=bash
# Sourced by scripts/test: Schemathesis, the property-based API fuzzer that
# server/tests/it/fuzz.rs runs against the release server, in a virtualenv of its own
# (.venv-fuzz), pinned by version and hash (scripts/requirements/fuzz.txt holds the full
# transitive closure). The venv is rebuilt when its requirements change.
# Exports MODELREG_TEST_SCHEMATHESIS (its `st` executable); the fuzz tests fail, never skip,
# without it.

fuzz_requirements="$repo/scripts/requirements/fuzz.txt"
fuzz_venv="$repo/.venv-fuzz"
fuzz_want=$(sha256sum "$fuzz_requirements" | cut -d' ' -f1)
if ! [[ -x "$fuzz_venv/bin/st" && -f "$fuzz_venv/.requirements.sha256" &&
    "$(cat "$fuzz_venv/.requirements.sha256")" == "$fuzz_want" ]]; then
    say "installing Schemathesis from $fuzz_requirements into .venv-fuzz/"
    rm -rf "$fuzz_venv"
    python3 -m venv "$fuzz_venv" || die "python3 -m venv failed (install python3-venv)"
    "$fuzz_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --only-binary=:all: -r "$fuzz_requirements" ||
        die "installing $fuzz_requirements failed (the pinned wheels are for CPython 3.11 on x86_64 Linux)"
    echo "$fuzz_want" >"$fuzz_venv/.requirements.sha256"
fi
export MODELREG_TEST_SCHEMATHESIS="$fuzz_venv/bin/st"
say "API fuzzer: $("$MODELREG_TEST_SCHEMATHESIS" --version)"
unset fuzz_requirements fuzz_venv fuzz_want
