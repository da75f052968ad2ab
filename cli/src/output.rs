//! How the CLI talks to the person at the terminal: diagnostics on stderr according to
//! `-q`/`-v`/`--json`, and sizes in human units. Results (stdout) are printed by the
//! commands, never from here.

use std::fmt::Display;

use modelreg_api::{ModelName, Version, YankInfo};

/// The chosen verbosity. With `json` or `quiet`, nothing at all goes to stderr except
/// errors (and with `json` not even those: they go to stdout as JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
}

impl Output {
    /// Prints nothing: for library callers such as tests.
    pub fn silent() -> Self {
        Self { json: false, quiet: true, verbose: false }
    }

    /// A progress or status line on stderr, unless quiet or in JSON mode.
    pub fn info(&self, message: impl Display) {
        if !self.json && !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr: shown even with `-q` (it is not progress), but not in JSON mode,
    /// where the result document carries the same information.
    pub fn warn(&self, message: impl Display) {
        if !self.json {
            eprintln!("warning: {message}");
        }
    }

    /// A per-file line on stderr, only with `-v`.
    pub fn detail(&self, message: impl Display) {
        if self.verbose && !self.json && !self.quiet {
            eprintln!("{message}");
        }
    }
}

pub use modelreg_api::words::human_size;

/// What a pull or show says about a yanked version.
pub fn yanked_notice(model: &ModelName, version: &Version, yank: &YankInfo) -> String {
    format!("{model}@{version} is yanked: {} (by {} at {})", yank.reason, yank.by, yank.at)
}

/// `1 file` / `3 files`.
pub fn count_files(n: usize) -> String {
    if n == 1 { "1 file".to_owned() } else { format!("{n} files") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_counts_are_pluralised() {
        assert_eq!(count_files(1), "1 file");
        assert_eq!(count_files(3), "3 files");
    }
}
