//! The pull engine: resolve a selector, then fetch each file of the version into an output
//! directory through `PartialFile`, skipping files already present and verified. A file
//! reaches its final path only after its size and sha256 check out.

use std::path::{Component, Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt, stream};
use modelreg_api::{
    Digest, FileEntry, FilePath, Manifest, ModelName, Version, VersionManifest, VersionSelector, YankInfo,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_RANGE;
use serde::Serialize;

use crate::client::{Client, transport_error};
use crate::error::{ClientError, FailureKind};
use crate::hash::hash_file;
use crate::output::{Output, human_size, yanked_notice};
use crate::verify::PartialFile;

/// What to pull where.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub model: ModelName,
    pub selector: VersionSelector,
    pub output: PathBuf,
    /// Files downloaded at once (at least 1).
    pub jobs: usize,
}

/// The outcome of a pull; also its `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub model: ModelName,
    pub version: Version,
    pub digest: Digest,
    pub output: PathBuf,
    pub files: usize,
    pub bytes_total: u64,
    /// Bytes received from the registry (0 when every file was already in place).
    pub bytes_downloaded: u64,
    /// Set when the version is yanked (it can then only have been pulled by exact version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yanked: Option<YankInfo>,
}

/// Resolves `req.selector` and downloads the version into `req.output`.
pub async fn pull(client: &Client, req: &PullRequest, out: &Output) -> Result<PullReport, ClientError> {
    let resolved = client.resolve(&req.model, &req.selector).await?;
    out.info(format!(
        "resolved {}@{} -> {} ({})",
        req.model, req.selector, resolved.version, resolved.digest
    ));
    if let Some(yank) = &resolved.yanked {
        out.warn(yanked_notice(&resolved.model, &resolved.version, yank));
    }
    pull_manifest(client, &resolved, &req.output, req.jobs, out).await
}

/// Downloads the files of an already resolved version into `output`.
pub async fn pull_manifest(
    client: &Client,
    resolved: &VersionManifest,
    output: &Path,
    jobs: usize,
    out: &Output,
) -> Result<PullReport, ClientError> {
    check_manifest(resolved)?;
    tokio::fs::create_dir_all(output)
        .await
        .map_err(|e| ClientError::io(format!("cannot create '{}'", output.display()), e))?;
    let downloaded: Vec<u64> = stream::iter(&resolved.files)
        .map(|entry| fetch_file(client, output, entry, out))
        .buffer_unordered(jobs.max(1))
        .try_collect()
        .await?;
    Ok(PullReport {
        model: resolved.model.clone(),
        version: resolved.version.clone(),
        digest: resolved.digest,
        output: output.to_owned(),
        files: resolved.files.len(),
        bytes_total: resolved.files.iter().map(|f| f.size).sum(),
        bytes_downloaded: downloaded.into_iter().sum(),
        yanked: resolved.yanked.clone(),
    })
}

/// The manifest rules the registry enforces, checked again before touching the disk: no
/// duplicate path, no file that is also a directory.
fn check_manifest(resolved: &VersionManifest) -> Result<(), ClientError> {
    let manifest = Manifest {
        files: resolved.files.clone(),
        metadata: resolved.metadata.clone(),
        override_derived: Default::default(),
    };
    manifest.validate().map_err(|e| ClientError::BadResponse {
        url: format!("{}@{}", resolved.model, resolved.version),
        reason: e.to_string(),
    })
}

/// `output/path`, checked to stay under `output` whatever the path says.
pub fn destination(output: &Path, path: &FilePath) -> Result<PathBuf, ClientError> {
    let mut dest = output.to_path_buf();
    for part in path.components() {
        let mut parts = Path::new(part).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(_)), None) => dest.push(part),
            _ => {
                return Err(ClientError::Invalid(format!(
                    "refusing file path '{path}': it does not stay inside the output directory"
                )));
            }
        }
    }
    if dest == output || !dest.starts_with(output) {
        return Err(ClientError::Invalid(format!(
            "refusing file path '{path}': it does not stay inside the output directory"
        )));
    }
    Ok(dest)
}

/// Brings one file into place; returns the bytes downloaded for it.
async fn fetch_file(
    client: &Client,
    output: &Path,
    entry: &FileEntry,
    out: &Output,
) -> Result<u64, ClientError> {
    let dest = destination(output, &entry.path)?;
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| ClientError::io(format!("cannot create '{}'", parent.display()), e))?;
    }
    if already_present(&dest, entry).await {
        out.detail(format!("up to date {} ({})", entry.path, human_size(entry.size)));
        return Ok(0);
    }
    let (result, resumed) = download_verified(client, &dest, entry).await;
    let received = match result {
        Err(e) if resumed && e.kind() == FailureKind::Integrity => {
            // What an earlier pull left behind was bad and is now deleted: start over.
            out.detail(format!("resumed download of {} did not verify; starting over", entry.path));
            download_verified(client, &dest, entry).await.0?
        }
        other => other?,
    };
    out.detail(format!("pulled {} ({})", entry.path, human_size(entry.size)));
    Ok(received)
}

/// One download of `entry` into `dest` through a verified temporary file. Also says
/// whether it resumed an earlier partial download.
async fn download_verified(
    client: &Client,
    dest: &Path,
    entry: &FileEntry,
) -> (Result<u64, ClientError>, bool) {
    let mut part = match PartialFile::open(dest, entry.path.as_str(), entry.digest, entry.size).await {
        Ok(part) => part,
        Err(e) => return (Err(e), false),
    };
    let resumed = part.offset() > 0;
    let result = match download_into(client, entry, &mut part).await {
        Ok(received) => part.commit().await.map(|()| received),
        Err(e) => {
            part.keep().await;
            Err(e)
        }
    };
    (result, resumed)
}

/// Whether `dest` already holds exactly this file's content.
async fn already_present(dest: &Path, entry: &FileEntry) -> bool {
    match tokio::fs::symlink_metadata(dest).await {
        Ok(meta) if meta.is_file() && meta.len() == entry.size => {
            matches!(hash_file(dest).await, Ok((digest, size)) if digest == entry.digest && size == entry.size)
        }
        _ => false,
    }
}

/// Streams the blob into `part`, from its current offset when the registry honours ranges.
async fn download_into(
    client: &Client,
    entry: &FileEntry,
    part: &mut PartialFile,
) -> Result<u64, ClientError> {
    let offset = part.offset();
    if offset == entry.size {
        return Ok(0);
    }
    let resp = match client.get_blob(&entry.digest, offset).await {
        Err(ClientError::Api { status: StatusCode::RANGE_NOT_SATISFIABLE, .. }) if offset > 0 => {
            part.restart().await?;
            client.get_blob(&entry.digest, 0).await?
        }
        other => other?,
    };
    let url = resp.url().clone();
    if resp.status() == StatusCode::PARTIAL_CONTENT {
        let range = resp.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !range.starts_with(&format!("bytes {offset}-")) {
            return Err(ClientError::BadResponse {
                url: url.to_string(),
                reason: format!("asked for bytes from {offset}, got range '{range}'"),
            });
        }
    } else if offset > 0 {
        part.restart().await?;
    }
    let mut body = resp.bytes_stream();
    let mut received = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, &url))?;
        part.write(&chunk).await?;
        received += chunk.len() as u64;
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_stay_inside_the_output_directory() {
        let out = Path::new("out");
        let path: FilePath = "tokenizer/vocab.json".parse().unwrap();
        assert_eq!(destination(out, &path).unwrap(), Path::new("out/tokenizer/vocab.json"));
        let path: FilePath = ".hidden".parse().unwrap();
        assert_eq!(destination(out, &path).unwrap(), Path::new("out/.hidden"));
    }
}
