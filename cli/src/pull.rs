//! The pull engine: resolve a selector, then fetch each file of the version into an output
//! directory through `PartialFile` (large files by parallel ranges, `transfer::download`),
//! skipping files already present and verified and taking what the local cache holds. A
//! file reaches its final path only after its size and sha256 check out.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, TryStreamExt, stream};
use modelreg_api::{
    Digest, FileEntry, FilePath, Manifest, ModelName, Version, VersionManifest, VersionSelector, YankInfo,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_RANGE;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::cache::BlobCache;
use crate::client::{Client, transport_error};
use crate::error::{ClientError, FailureKind};
use crate::hash::hash_file;
use crate::output::{Output, human_size, yanked_notice};
use crate::transfer::download::{RANGE_SIZE, RANGED_THRESHOLD, download_ranged, ranges_path, stream_budget};
use crate::transfer::progress::{FileProgress, Progress};
use crate::verify::{PartialFile, sync_dir, temp_path};

/// What to pull where.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub model: ModelName,
    pub selector: VersionSelector,
    pub output: PathBuf,
    /// Downloads at once, files or ranges of a large file (at least 1).
    pub jobs: usize,
    /// The local blob cache to take files from and keep downloads in (none: bypassed).
    pub cache: Option<BlobCache>,
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
    pull_manifest(client, &resolved, &req.output, req.jobs, req.cache.as_ref(), out).await
}

/// What the fetches of one pull share.
struct Fetch<'a> {
    client: &'a Client,
    cache: Option<&'a BlobCache>,
    streams: Arc<Semaphore>,
    progress: Progress,
    out: &'a Output,
    /// A cache that failed once is not complained about again.
    cache_warned: AtomicBool,
    /// Directories files were renamed into: synced once each at the end.
    renamed_into: Mutex<BTreeSet<PathBuf>>,
}

const FROM_CACHE: &str = "from cache";

/// Files in progress at once per allowed stream: the others of a batch of small files
/// verify, fsync and rename while the streams carry on.
const FILES_PER_STREAM: usize = 4;

/// Downloads the files of an already resolved version into `output`.
pub async fn pull_manifest(
    client: &Client,
    resolved: &VersionManifest,
    output: &Path,
    jobs: usize,
    cache: Option<&BlobCache>,
    out: &Output,
) -> Result<PullReport, ClientError> {
    check_manifest(resolved)?;
    tokio::fs::create_dir_all(output)
        .await
        .map_err(|e| ClientError::io(format!("cannot create '{}'", output.display()), e))?;
    let total = resolved.files.iter().map(|f| f.size).sum();
    let ctx = Fetch {
        client,
        cache,
        streams: stream_budget(jobs),
        progress: Progress::start(out, "downloading", total, resolved.files.len()),
        out,
        cache_warned: AtomicBool::new(false),
        renamed_into: Mutex::default(),
    };
    let fetched: Result<Vec<u64>, ClientError> = stream::iter(&resolved.files)
        .map(|entry| fetch_file(&ctx, output, entry))
        .buffer_unordered(jobs.max(1) * FILES_PER_STREAM)
        .try_collect()
        .await;
    ctx.progress.finish();
    // Renames become durable with their directories, also those of a pull that failed.
    let dirs = std::mem::take(&mut *ctx.renamed_into.lock().unwrap_or_else(|e| e.into_inner()));
    for dir in dirs {
        sync_dir(&dir).await;
    }
    let downloaded = fetched?;
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

/// Creates the folders from `output` down to `dir` (which lies inside it), refusing to go
/// through a symbolic link or anything else that is not a folder: a link inside the output
/// folder would send the files elsewhere. `output` itself may be a link; it is the user's.
async fn create_dirs_inside(output: &Path, dir: &Path) -> Result<(), ClientError> {
    let inside = dir.strip_prefix(output).map_err(|_| {
        ClientError::Invalid(format!("refusing '{}': it is not inside the output directory", dir.display()))
    })?;
    let mut at = output.to_path_buf();
    for part in inside.components() {
        at.push(part);
        let meta = match tokio::fs::symlink_metadata(&at).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Another file of this pull may make it meanwhile: whoever did, it is looked
                // at again below, and an error that matters shows there.
                let _ = tokio::fs::create_dir(&at).await;
                tokio::fs::symlink_metadata(&at).await
            }
            other => other,
        }
        .map_err(|e| ClientError::io(format!("cannot create '{}'", at.display()), e))?;
        if meta.file_type().is_symlink() {
            return Err(ClientError::Invalid(format!(
                "refusing to write through '{}': it is a symbolic link inside the output directory \
                 (pulls never follow links there; remove it or pull elsewhere)",
                at.display()
            )));
        }
        if !meta.is_dir() {
            return Err(ClientError::Invalid(format!(
                "cannot create folder '{}': something else is in the way",
                at.display()
            )));
        }
    }
    Ok(())
}

/// Brings one file into place; returns the bytes downloaded for it.
async fn fetch_file(ctx: &Fetch<'_>, output: &Path, entry: &FileEntry) -> Result<u64, ClientError> {
    let dest = destination(output, &entry.path)?;
    if let Some(parent) = dest.parent() {
        create_dirs_inside(output, parent).await?;
    }
    let progress = ctx.progress.file(entry.path.as_str(), entry.size);
    let renamed = || {
        if let Some(parent) = dest.parent() {
            ctx.renamed_into.lock().unwrap_or_else(|e| e.into_inner()).insert(parent.to_owned());
        }
    };
    if let Some(how) = local_copy(ctx, &dest, entry).await {
        if how == FROM_CACHE {
            renamed();
        }
        progress.already(entry.size);
        ctx.progress.detail(ctx.out, format!("{how} {} ({})", entry.path, human_size(entry.size)));
        return Ok(0);
    }
    let (result, resumed) = download(ctx, &dest, entry, &progress).await;
    let received = match result {
        Err(e) if resumed && e.kind() == FailureKind::Integrity => {
            // What an earlier pull left behind was bad and is now deleted: start over.
            ctx.progress
                .detail(ctx.out, format!("resumed download of {} did not verify; starting over", entry.path));
            download(ctx, &dest, entry, &progress).await.0?
        }
        other => other?,
    };
    renamed();
    keep_in_cache(ctx, &dest, entry).await;
    ctx.progress.detail(ctx.out, format!("pulled {} ({})", entry.path, human_size(entry.size)));
    Ok(received)
}

/// Whether `dest` already holds the file or the cache could put it there, and which.
async fn local_copy(ctx: &Fetch<'_>, dest: &Path, entry: &FileEntry) -> Option<&'static str> {
    let cache = ctx.cache.cloned();
    let (d, digest, size) = (dest.to_owned(), entry.digest, entry.size);
    let cached = |cache: Option<BlobCache>, f: fn(&BlobCache, &Digest, u64, &Path) -> bool| {
        let d = d.clone();
        tokio::task::spawn_blocking(move || cache.is_some_and(|c| f(&c, &digest, size, &d)))
    };
    if cached(cache.clone(), BlobCache::holds).await.unwrap_or(false) {
        return Some("up to date");
    }
    if already_present(dest, entry).await {
        keep_in_cache(ctx, dest, entry).await;
        return Some("up to date");
    }
    let placed = cached(cache, |c, digest, size, d| c.place(digest, size, d).unwrap_or(false));
    placed.await.unwrap_or(false).then_some(FROM_CACHE)
}

/// Stores a verified file in the cache; a failing cache only costs a warning, once.
async fn keep_in_cache(ctx: &Fetch<'_>, dest: &Path, entry: &FileEntry) {
    let Some(cache) = ctx.cache.cloned() else { return };
    let (path, digest) = (dest.to_owned(), entry.digest);
    let stored = tokio::task::spawn_blocking(move || cache.store(&path, &digest))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    if let Err(e) = stored
        && !ctx.cache_warned.swap(true, Ordering::Relaxed)
    {
        let root = ctx.cache.map(|c| c.root().display().to_string()).unwrap_or_default();
        ctx.out.warn(format!("cannot keep downloads in the cache at {root}: {e}"));
    }
}

/// One download of `entry` into `dest`: by parallel ranges when it is large and the
/// registry allows, else in one stream. Also says whether it resumed an earlier one.
async fn download(
    ctx: &Fetch<'_>,
    dest: &Path,
    entry: &FileEntry,
    progress: &FileProgress,
) -> (Result<u64, ClientError>, bool) {
    if entry.size > RANGED_THRESHOLD {
        match download_ranged(ctx.client, dest, entry, RANGE_SIZE, &ctx.streams, progress).await {
            (Ok(Some(received)), resumed) => return (Ok(received), resumed),
            (Err(e), resumed) => return (Err(e), resumed),
            (Ok(None), _) => {
                // The registry ignores ranges: one stream it is, from the start.
                let part = temp_path(dest, &entry.digest);
                let _ = tokio::fs::remove_file(ranges_path(&part)).await;
                let _ = tokio::fs::remove_file(&part).await;
            }
        }
    }
    download_verified(ctx.client, dest, entry, &ctx.streams, progress).await
}

/// One download of `entry` into `dest` through a verified temporary file. Also says
/// whether it resumed an earlier partial download.
async fn download_verified(
    client: &Client,
    dest: &Path,
    entry: &FileEntry,
    streams: &Semaphore,
    progress: &FileProgress,
) -> (Result<u64, ClientError>, bool) {
    // The temporary file is made only once a stream is free: files waiting for one leave
    // nothing behind.
    let permit = streams.acquire().await.expect("the stream budget is never closed");
    let mut part = match PartialFile::open(dest, entry.path.as_str(), entry.digest, entry.size).await {
        Ok(part) => part,
        Err(e) => return (Err(e), false),
    };
    let resumed = part.offset() > 0;
    progress.already(part.offset());
    let downloaded = download_into(client, entry, &mut part, progress).await;
    // Verifying and syncing need no stream: the next download starts meanwhile.
    drop(permit);
    let result = match downloaded {
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
    progress: &FileProgress,
) -> Result<u64, ClientError> {
    let offset = part.offset();
    if offset == entry.size {
        return Ok(0);
    }
    let resp = match client.read_blob(&entry.digest, offset, None).await {
        Err(ClientError::Api { status: StatusCode::RANGE_NOT_SATISFIABLE, .. }) if offset > 0 => {
            part.restart().await?;
            progress.rewind(offset);
            client.read_blob(&entry.digest, 0, None).await?
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
        progress.rewind(offset);
    }
    let mut body = resp.bytes_stream();
    let mut received = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, &url))?;
        part.write(&chunk).await?;
        received += chunk.len() as u64;
        progress.add(chunk.len() as u64);
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
