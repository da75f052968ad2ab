# shellcheck shell=bash
# Sourced by scripts/test: builds the distributable CLI (scripts/dist: the static musl binary
# and the wheel; nothing is rebuilt when their inputs are unchanged) and tells the tests
# where it is. cli/tests/it/e2e/dist.rs installs the wheel into a fresh virtualenv and runs
# both against the real server; cli/tests/it/e2e/ci_steps.rs runs the GitHub Action and the
# GitLab template through them. A build that fails stops the run.

dist_started=$SECONDS
dist_out=$("$repo/scripts/dist" | tail -n 1) || die "scripts/dist failed: the wheel and the static binary are needed by the tests"
shopt -s nullglob
dist_wheels=("$dist_out"/modelreg-*.whl)
dist_static=("$dist_out"/modelreg-*-x86_64-unknown-linux-musl)
shopt -u nullglob
((${#dist_wheels[@]} == 1 && ${#dist_static[@]} == 1)) || die "scripts/dist left no single wheel and static binary in $dist_out"
export MODELREG_TEST_DIST_WHEEL="${dist_wheels[0]}"
export MODELREG_TEST_DIST_STATIC="${dist_static[0]}"
# The interpreter itself, not a shim (pyenv): the tests run it with a runner's bare environment.
MODELREG_TEST_DIST_PYTHON=$(python3 -c 'import sys; print(sys.executable)') ||
    die "python3 is needed to install the wheel in the tests"
export MODELREG_TEST_DIST_PYTHON
say "CLI wheel and static binary ready in $((SECONDS - dist_started)) s: $(basename "$MODELREG_TEST_DIST_WHEEL")"
unset dist_started dist_out dist_wheels dist_static
