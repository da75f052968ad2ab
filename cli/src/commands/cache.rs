//! `modelreg cache info | prune`: where the local blob cache is and what it holds, and
//! evicting from it (least recently used first). The cache itself is `crate::cache`.

use clap::{Args, Subcommand};

use crate::cache::{BlobCache, CacheInfo, PruneReport};
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, count_files, human_size};
use crate::quantity::parse_size;

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Show where the cache is, how many files it holds and their size.
    Info,
    /// Remove cached files, least recently used first.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PruneArgs {
    /// Remove every cached file.
    #[arg(long)]
    pub all: bool,
    /// Remove files until the cache holds at most SIZE (e.g. 20GiB, 500MB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

pub async fn run(args: CacheArgs, out: &Output) -> Result<(), ClientError> {
    let cache = BlobCache::from_env()?;
    let root = cache.root().display().to_string();
    let io_err = |e| ClientError::io(format!("cannot read the cache at '{root}'"), e);
    match args.action {
        CacheAction::Info => {
            let info = tokio::task::spawn_blocking(move || cache.info())
                .await
                .map_err(|e| io_err(std::io::Error::other(e)))?
                .map_err(io_err)?;
            if out.json { emit_json(&info) } else { emit(&info_line(&info)) }
        }
        CacheAction::Prune(prune) => {
            let max = if prune.all { 0 } else { prune.max_size.unwrap_or(0) };
            let report = tokio::task::spawn_blocking(move || cache.prune(max))
                .await
                .map_err(|e| io_err(std::io::Error::other(e)))?
                .map_err(io_err)?;
            if out.json { emit_json(&report) } else { emit(&prune_line(&report)) }
        }
    }
    Ok(())
}

/// `cache at /home/me/.cache/modelreg: 3 files, 1.2 GiB`.
pub fn info_line(info: &CacheInfo) -> String {
    format!(
        "cache at {}: {}, {}",
        info.path.display(),
        count_files(info.files as usize),
        human_size(info.bytes)
    )
}

/// `removed 2 files (800.0 MiB) from ...; 1 file (400.0 MiB) left`.
pub fn prune_line(r: &PruneReport) -> String {
    format!(
        "removed {} ({}) from {}; {} ({}) left",
        count_files(r.removed_files as usize),
        human_size(r.removed_bytes),
        r.path.display(),
        count_files(r.files as usize),
        human_size(r.bytes)
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::commands::{Cli, Command};

    fn prune(args: &[&str]) -> Result<PruneArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["modelreg", "cache", "prune"], args].concat())?;
        match cli.command {
            Command::Cache(CacheArgs { action: CacheAction::Prune(p) }) => Ok(p),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn prune_takes_either_all_or_a_human_size() {
        assert_eq!(prune(&["--max-size", "20GiB"]).unwrap().max_size, Some(20 << 30));
        assert_eq!(prune(&["--max-size", "500MB"]).unwrap().max_size, Some(500_000_000));
        assert!(prune(&["--all"]).unwrap().all);
        for bad in [&[][..], &["--all", "--max-size", "1G"], &["--max-size", "lots"]] {
            assert_eq!(prune(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn reports_read_as_one_line() {
        let info = CacheInfo { path: "/c".into(), files: 3, bytes: 3 << 20 };
        assert_eq!(info_line(&info), "cache at /c: 3 files, 3.0 MiB");
        let r =
            PruneReport { path: "/c".into(), removed_files: 1, removed_bytes: 1024, files: 2, bytes: 2048 };
        assert_eq!(prune_line(&r), "removed 1 file (1.0 KiB) from /c; 2 files (2.0 KiB) left");
    }
}
