# shellcheck shell=bash
# Headless Chromium and its WebDriver for the browser tests of the web UI
# (server/tests/it/browser/). Sourced by scripts/test once S3 and PostgreSQL are up.
#
# Installs Debian's `chromium` and `chromium-driver` when either is missing (as root, or through
# a password-less sudo), then exports
#   MODELREG_TEST_CHROMIUM     the browser binary
#   MODELREG_TEST_CHROMEDRIVER the WebDriver server, which must be the same Chromium release
# Preset values of the two variables are kept (a machine with its own Chromium). A browser that
# cannot be installed stops the run: the browser tests never skip.

chromium_bin=${MODELREG_TEST_CHROMIUM:-/usr/bin/chromium}
chromedriver_bin=${MODELREG_TEST_CHROMEDRIVER:-/usr/bin/chromedriver}

# Prints the version number of `$1 --version` (e.g. 156.0.8078.129), or fails.
chromium_version_of() {
    local out
    out=$("$1" --version 2>/dev/null) || return 1
    grep -oE '[0-9]+(\.[0-9]+){3}' <<<"$out" | head -n 1
}

install_chromium() {
    local apt=(apt-get -o DPkg::Lock::Timeout=300 -y --no-install-recommends)
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null ||
            die "the browser tests need chromium and chromium-driver; install them as root:
  apt-get install -y --no-install-recommends chromium chromium-driver"
        sudo=(sudo -n)
    fi
    command -v apt-get >/dev/null ||
        die "the browser tests need Chromium and chromedriver (no apt-get here): set
  MODELREG_TEST_CHROMIUM and MODELREG_TEST_CHROMEDRIVER to a matching pair"
    say "installing chromium and chromium-driver (apt-get)"
    local log="$run_dir/apt-chromium.log"
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" "${apt[@]}" install chromium chromium-driver >"$log" 2>&1; then
        say "apt-get install failed; updating the package lists and retrying"
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update >>"$log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive "${sudo[@]}" "${apt[@]}" install chromium chromium-driver >>"$log" 2>&1 || {
            tail -n 20 "$log" >&2
            die "could not install chromium and chromium-driver; apt-get's last lines are above"
        }
    fi
}

if ! chromium_version_of "$chromium_bin" >/dev/null || ! chromium_version_of "$chromedriver_bin" >/dev/null; then
    install_chromium
fi
chromium_version=$(chromium_version_of "$chromium_bin") || die "$chromium_bin --version fails after installing"
chromedriver_version=$(chromium_version_of "$chromedriver_bin") || die "$chromedriver_bin --version fails after installing"
[[ "${chromium_version%%.*}" == "${chromedriver_version%%.*}" ]] ||
    die "chromedriver $chromedriver_version does not drive chromium $chromium_version (major versions differ)"
export MODELREG_TEST_CHROMIUM="$chromium_bin"
export MODELREG_TEST_CHROMEDRIVER="$chromedriver_bin"
say "Chromium $chromium_version with chromedriver at $MODELREG_TEST_CHROMEDRIVER"
unset chromium_bin chromedriver_bin chromium_version chromedriver_version
