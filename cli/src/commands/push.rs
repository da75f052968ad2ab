//! `modelreg push DIR --model NS/NAME --version X.Y.Z`: arguments and the summary line.

use std::path::PathBuf;

use clap::Args;
use glob::Pattern;
use modelreg_api::{DerivedField, LicenseExpr, ModelName, Version};

use crate::cache::BlobCache;
use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, count_files, human_size};
use crate::push::{DEFAULT_CHUNK_THRESHOLD, PushReport, PushRequest, push};
use crate::quantity::parse_size;
use crate::transfer::upload_state::UploadStateDir;

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Directory whose files make up the version (modelreg.toml in it holds the metadata).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Model to publish to.
    #[arg(long, value_name = "NS/NAME")]
    pub model: ModelName,
    /// Version to publish (strict semver).
    #[arg(long, value_name = "X.Y.Z")]
    pub version: Version,
    /// SPDX licence expression; overrides `license` in modelreg.toml.
    #[arg(long, value_name = "EXPR")]
    pub license: Option<LicenseExpr>,
    /// Leave out files or directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<Pattern>,
    /// Files hashed or uploaded at once.
    #[arg(short, long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Keep the declared value of this field where the files say otherwise: parameters,
    /// context_length, precision, quantization, architecture, format (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub override_derived: Vec<DerivedField>,
    /// Do not read README.md (Hugging Face front matter and model card) into the metadata.
    #[arg(long)]
    pub no_readme_import: bool,
    /// Files of at least SIZE go through a resumable upload session (e.g. 64MiB); an
    /// interrupted push of them continues where it stopped when run again.
    #[arg(long, value_name = "SIZE", default_value_t = DEFAULT_CHUNK_THRESHOLD, value_parser = parse_size)]
    pub chunk_threshold: u64,
}

pub async fn run(client: &Client, args: PushArgs, out: &Output) -> Result<(), ClientError> {
    let req = PushRequest {
        dir: args.dir,
        model: args.model,
        version: args.version,
        license: args.license,
        excludes: args.exclude,
        jobs: usize::from(args.jobs),
        override_derived: args.override_derived.into_iter().collect(),
        import_readme: !args.no_readme_import,
        chunk_threshold: args.chunk_threshold,
        upload_states: BlobCache::from_env().ok().map(|cache| UploadStateDir::new(cache.uploads_dir())),
    };
    let report = push(client, &req, out).await?;
    if out.json {
        emit_json(&report);
    } else {
        emit(&summary(&report));
    }
    Ok(())
}

/// The one human line a push prints on stdout.
pub fn summary(r: &PushReport) -> String {
    let amounts = format!(
        "{}, {} uploaded of {}",
        count_files(r.files),
        human_size(r.bytes_uploaded),
        human_size(r.bytes_total)
    );
    if r.created {
        format!("pushed {}@{} {} ({amounts})", r.model, r.version, r.digest)
    } else {
        format!(
            "{}@{} is already published with identical content ({}, {amounts})",
            r.model, r.version, r.digest
        )
    }
}
