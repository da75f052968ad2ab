//! Running the `modelreg` binary in a clean environment, and small content helpers.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use modelreg_api::Digest;

/// Runs `modelreg` with `args` against `registry`, ignoring the caller's MODELREG_* env.
pub fn modelreg(registry: &str, args: &[&str]) -> Output {
    modelreg_in(registry, args, Path::new("."))
}

/// Like `modelreg`, from the working directory `cwd`.
pub fn modelreg_in(registry: &str, args: &[&str], cwd: &Path) -> Output {
    let mut cmd = modelreg_command(registry);
    cmd.args(args).current_dir(cwd);
    cmd.output().expect("the modelreg binary runs")
}

/// `modelreg` against `registry` in a clean environment: no MODELREG_TOKEN, no COLUMNS,
/// a config directory that does not exist, so that no saved login of whoever runs the
/// tests leaks in, and no blob cache (a cached blob would hide what the fake registry
/// serves), and no retries while the registry is unavailable (`MODELREG_RETRY_FOR=0`), so that
/// a 503 or a refused connection fails at once. Callers add arguments and may set
/// `XDG_CONFIG_HOME` or `MODELREG_RETRY_FOR` themselves.
pub fn modelreg_command(registry: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modelreg"));
    cmd.env_remove("MODELREG_TOKEN")
        .env_remove("COLUMNS")
        .env("MODELREG_NO_CACHE", "1")
        .env("MODELREG_CACHE_DIR", std::env::temp_dir().join("modelreg-it-no-cache-dir"))
        .env("XDG_CONFIG_HOME", std::env::temp_dir().join("modelreg-it-no-config-dir"))
        .env("MODELREG_URL", registry)
        .env("MODELREG_RETRY_FOR", "0");
    cmd
}

/// Runs `cmd` with `input` on its stdin (a pipe, so not a terminal).
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the modelreg binary runs");
    child.stdin.take().expect("stdin is piped").write_all(input).expect("writing to modelreg's stdin");
    child.wait_with_output().expect("the modelreg binary runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// The digest the registry would compute for `data`.
pub fn digest_of(data: &[u8]) -> Digest {
    modelreg_cli::hash::hash_reader(data).unwrap().0
}

/// A digest that stands for a version's manifest in canned answers.
pub fn version_digest() -> Digest {
    digest_of(b"manifest")
}
