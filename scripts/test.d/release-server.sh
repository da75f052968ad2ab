# shellcheck shell=bash
# The release build of `modelreg-server`, for the tests that run the server as it is deployed:
# two replicas on one PostgreSQL + S3 (server/tests/it/replicas.rs) and the API fuzzer
# (server/tests/it/fuzz.rs). Sourced by scripts/test once S3 and PostgreSQL are up.
#
# Builds it with `cargo build --release --locked -p modelreg-server` (a no-op when it is up to
# date) and exports
#   MODELREG_TEST_RELEASE_SERVER  the binary
# A preset value is kept (a CI cache that built it already). A failed build stops the run.

if [[ -z "${MODELREG_TEST_RELEASE_SERVER:-}" ]]; then
    say "building the release modelreg-server (cargo build --release -p modelreg-server)"
    cargo build --release --locked --quiet -p modelreg-server ||
        die "the release build of modelreg-server failed"
    export MODELREG_TEST_RELEASE_SERVER="$repo/target/release/modelreg-server"
fi
[[ -x "$MODELREG_TEST_RELEASE_SERVER" ]] ||
    die "MODELREG_TEST_RELEASE_SERVER=$MODELREG_TEST_RELEASE_SERVER is not an executable"
