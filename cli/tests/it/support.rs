//! Running the `modelreg` binary in a clean environment, and small content helpers.

use std::path::Path;
use std::process::{Command, Output};

use modelreg_api::Digest;

/// Runs `modelreg` with `args` against `registry`, ignoring the caller's MODELREG_* env.
pub fn modelreg(registry: &str, args: &[&str]) -> Output {
    modelreg_in(registry, args, Path::new("."))
}

/// Like `modelreg`, from the working directory `cwd`.
pub fn modelreg_in(registry: &str, args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modelreg"))
        .args(args)
        .current_dir(cwd)
        .env_remove("MODELREG_TOKEN")
        .env_remove("COLUMNS")
        .env("MODELREG_URL", registry)
        .output()
        .expect("the modelreg binary runs")
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
