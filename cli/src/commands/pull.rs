//! `modelreg pull NS/NAME[@SELECTOR] [-o OUT]`: arguments and the summary line.

use std::path::PathBuf;

use clap::Args;

use crate::cache::BlobCache;
use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, count_files, human_size};
use crate::pull::{PullReport, PullRequest, pull};
use crate::reference::ModelRef;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Model and version to pull; the selector (exact, ^1.4, ~1.4.2, ">=1, <2", latest)
    /// defaults to latest.
    #[arg(value_name = "NS/NAME[@SELECTOR]")]
    pub reference: ModelRef,
    /// Directory to write the files into [default: ./NAME].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Downloads at once (files, or ranges of a large file).
    #[arg(short, long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Neither take files from the local cache nor keep downloads in it.
    #[arg(long, env = "MODELREG_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

pub async fn run(client: &Client, args: PullArgs, out: &Output) -> Result<(), ClientError> {
    let output = args.output.unwrap_or_else(|| PathBuf::from(".").join(args.reference.model.name()));
    let req = PullRequest {
        model: args.reference.model,
        selector: args.reference.selector,
        output,
        jobs: usize::from(args.jobs),
        // Without a cache directory (no HOME), pulls still work, uncached.
        cache: if args.no_cache { None } else { BlobCache::from_env().ok() },
    };
    let report = pull(client, &req, out).await?;
    if out.json {
        emit_json(&report);
    } else {
        emit(&summary(&report));
    }
    Ok(())
}

/// The one human line a pull prints on stdout.
pub fn summary(r: &PullReport) -> String {
    format!(
        "pulled {}@{} into {} ({}, {})",
        r.model,
        r.version,
        r.output.display(),
        count_files(r.files),
        human_size(r.bytes_total)
    )
}
