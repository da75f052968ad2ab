//! Finds the workspace's binaries next to the running test executable; builds nothing.

use std::path::{Path, PathBuf};

/// The path of the workspace binary `name` (e.g. `modelreg-server`), which cargo puts in
/// `target/<profile>/` while the test executable itself runs from `target/<profile>/deps/`.
///
/// Panics when the binary is not there: `cargo test -p <crate>` builds only that crate's
/// binaries, so tests that spawn another crate's binary need a workspace build.
pub fn bin_path(name: &str) -> PathBuf {
    let path = bin_dir_of_running_test().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the binary `{name}` is missing at {}; build it with `cargo test --workspace` \
         (or run ./scripts/test)",
        path.display()
    );
    path
}

/// The release build of `modelreg-server` named by `MODELREG_TEST_RELEASE_SERVER` (exported
/// by `scripts/test.d/release-server.sh`), for tests that run the server as it is deployed.
///
/// Panics when the variable is unset or names no file: those tests fail, never skip.
pub fn release_server_bin() -> PathBuf {
    const VAR: &str = "MODELREG_TEST_RELEASE_SERVER";
    let path = std::env::var_os(VAR).filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "{VAR} is not set: this test runs the release build of modelreg-server. Run it \
             through ./scripts/test (scripts/test.d/release-server.sh builds it), or build it \
             with `cargo build --release -p modelreg-server` and set \
             {VAR}=target/release/modelreg-server"
        )
    });
    assert!(path.is_file(), "{VAR}={} is not a file", path.display());
    path
}

/// `target/<profile>/` of the running test executable.
pub(crate) fn bin_dir_of_running_test() -> PathBuf {
    bin_dir(&std::env::current_exe().expect("the path of the running test executable"))
}

/// The directory cargo puts binaries in, given the path of a test executable.
fn bin_dir(test_exe: &Path) -> PathBuf {
    let dir = test_exe.parent().expect("the test executable lives in a directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps/ has a parent directory").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_live_one_level_above_the_deps_folder_of_test_executables() {
        let exe = Path::new("/repo/target/debug/deps/it-0123456789abcdef");
        assert_eq!(bin_dir(exe), Path::new("/repo/target/debug"));
    }

    #[test]
    fn an_executable_outside_deps_looks_in_its_own_folder() {
        let exe = Path::new("/repo/target/debug/examples/demo");
        assert_eq!(bin_dir(exe), Path::new("/repo/target/debug/examples"));
    }
}
