//! The push engine: scan a directory, hash every file, upload the blobs the registry lacks,
//! then publish the manifest. Holds at most `jobs` file buffers at once, never a whole file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt, stream};
use glob::Pattern;
use modelreg_api::{
    ContradictionDetails, DerivedField, Digest, FileEntry, FilePath, LicenseExpr, Manifest, ModelName,
    PublishResponse, Version,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, Take};
use tokio_util::io::ReaderStream;

use crate::client::Client;
use crate::error::{ClientError, FailureKind};
use crate::hash::hash_file;
use crate::metadata::load_metadata;
use crate::output::{Output, count_files, human_size};
use crate::scan::{ScannedFile, scan_dir};
use crate::transfer::progress::{FileProgress, Progress};
use crate::transfer::upload_session::{PartSource, upload_in_parts};
use crate::transfer::upload_state::UploadStateDir;

/// Bytes read from disk per upload body chunk.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Files from this size on go through a resumable upload session by default.
pub const DEFAULT_CHUNK_THRESHOLD: u64 = 64 << 20;

/// What to push where.
#[derive(Debug, Clone)]
pub struct PushRequest {
    pub dir: PathBuf,
    pub model: ModelName,
    pub version: Version,
    /// Overrides `license` from `modelreg.toml`.
    pub license: Option<LicenseExpr>,
    pub excludes: Vec<Pattern>,
    /// Files hashed or uploaded at once (at least 1).
    pub jobs: usize,
    /// Declared fields to keep where the files say otherwise.
    pub override_derived: BTreeSet<DerivedField>,
    /// Read `README.md` (front matter and body) into the metadata.
    pub import_readme: bool,
    /// Files of at least this many bytes go through a resumable upload session.
    pub chunk_threshold: u64,
    /// Where upload sessions are remembered so that a re-run resumes them (none: forgotten).
    pub upload_states: Option<UploadStateDir>,
}

/// The outcome of a push; also its `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub model: ModelName,
    pub version: Version,
    /// The version's digest, as the registry computed it.
    pub digest: Digest,
    /// False when the identical version was already published.
    pub created: bool,
    pub files: usize,
    pub bytes_total: u64,
    pub bytes_uploaded: u64,
}

/// A scanned file with its digest and size.
#[derive(Debug, Clone)]
struct LocalFile {
    path: FilePath,
    source: PathBuf,
    digest: Digest,
    size: u64,
}

/// Pushes `req.dir` as `req.model@req.version`. Re-pushing identical content uploads
/// nothing and succeeds with `created: false`.
pub async fn push(client: &Client, req: &PushRequest, out: &Output) -> Result<PushReport, ClientError> {
    let jobs = req.jobs.max(1);
    let (dir, excludes) = (req.dir.clone(), req.excludes.clone());
    let scanned = tokio::task::spawn_blocking(move || scan_dir(&dir, &excludes))
        .await
        .map_err(|e| ClientError::io("scanning the directory", std::io::Error::other(e)))??;
    if scanned.is_empty() {
        return Err(ClientError::Invalid(format!("there are no files to push in '{}'", req.dir.display())));
    }
    let loaded = load_metadata(&req.dir, req.license.clone(), req.import_readme)?;
    for warning in &loaded.warnings {
        out.info(format!("warning: {warning}"));
    }

    out.info(format!("hashing {}", count_files(scanned.len())));
    let files = hash_all(scanned, jobs, out).await?;
    let manifest = Manifest {
        files: files
            .iter()
            .map(|f| FileEntry { path: f.path.clone(), digest: f.digest, size: f.size })
            .collect(),
        metadata: loaded.metadata,
        override_derived: req.override_derived.clone(),
    }
    .canonicalize();
    manifest.validate().map_err(|e| ClientError::Invalid(e.to_string()))?;

    let mut by_digest: BTreeMap<Digest, &LocalFile> = BTreeMap::new();
    for f in &files {
        by_digest.entry(f.digest).or_insert(f);
    }
    let unique: Vec<Digest> = by_digest.keys().copied().collect();
    let missing = client.missing_blobs(&unique).await?;
    let mut bytes_uploaded = upload_missing(client, &missing, &by_digest, req, out).await?;

    let published = match client.publish(&req.model, &req.version, &manifest).await {
        Err(err) if err.api_code() == Some("missing_blobs") => {
            // The registry lost blobs between our query and the publish (e.g. a GC run):
            // upload what it names, once, and try again.
            let Some(missing) = missing_from_details(&err) else { return Err(err) };
            out.info(format!("the registry asked again for {}; uploading them", count_files(missing.len())));
            bytes_uploaded += upload_missing(client, &missing, &by_digest, req, out).await?;
            client.publish(&req.model, &req.version, &manifest).await
        }
        other => other,
    };
    let published: PublishResponse = published.map_err(|err| explain_publish_error(err, req))?;

    Ok(PushReport {
        model: published.model,
        version: published.version,
        digest: published.digest,
        created: published.created,
        files: manifest.files.len(),
        bytes_total: manifest.total_size(),
        bytes_uploaded,
    })
}

async fn hash_all(
    scanned: Vec<ScannedFile>,
    jobs: usize,
    out: &Output,
) -> Result<Vec<LocalFile>, ClientError> {
    stream::iter(scanned)
        .map(|f| async move {
            let (digest, size) = hash_file(&f.source).await?;
            out.detail(format!("hashed {} ({}, {digest})", f.path, human_size(size)));
            Ok::<_, ClientError>(LocalFile { path: f.path, source: f.source, digest, size })
        })
        .buffer_unordered(jobs)
        .try_collect()
        .await
}

/// Uploads each missing digest once, from the first file that has it, `req.jobs` files at
/// once, large ones through resumable sessions; returns the bytes sent.
async fn upload_missing(
    client: &Client,
    missing: &[Digest],
    by_digest: &BTreeMap<Digest, &LocalFile>,
    req: &PushRequest,
    out: &Output,
) -> Result<u64, ClientError> {
    let todo: Vec<&LocalFile> = missing.iter().filter_map(|d| by_digest.get(d).copied()).collect();
    if todo.is_empty() {
        return Ok(0);
    }
    let total: u64 = todo.iter().map(|f| f.size).sum();
    out.info(format!("uploading {} ({})", count_files(todo.len()), human_size(total)));
    let progress = Progress::start(out, "uploading", total, todo.len());
    // Largest first, so that a big file does not start last and run alone at the end.
    let mut todo = todo;
    todo.sort_by_key(|f| std::cmp::Reverse(f.size));
    let sizes: Vec<u64> = stream::iter(todo)
        .map(|f| upload_one(client, f, req, &progress, out))
        .buffer_unordered(req.jobs.max(1))
        .try_collect()
        .await?;
    progress.finish();
    Ok(sizes.into_iter().sum())
}

/// One blob: through a resumable session from `req.chunk_threshold` on, else one PUT.
async fn upload_one(
    client: &Client,
    f: &LocalFile,
    req: &PushRequest,
    progress: &Progress,
    out: &Output,
) -> Result<u64, ClientError> {
    let file_progress = progress.file(f.path.as_str(), f.size);
    let sent = if f.size >= req.chunk_threshold && f.size > 0 {
        let source = PartSource { source: &f.source, shown: f.path.as_str(), digest: f.digest, size: f.size };
        upload_in_parts(client, source, req.upload_states.as_ref(), &file_progress).await?
    } else {
        upload_file(client, f, &file_progress).await?
    };
    progress.detail(out, format!("uploaded {} ({})", f.path, human_size(f.size)));
    Ok(sent)
}

/// A streamed upload body of exactly `expected` bytes read from `handle`, and the flag it
/// raises when the file turns out shorter than that.
pub(crate) fn file_body(handle: Take<tokio::fs::File>, expected: u64) -> (ExactLength, Arc<AtomicBool>) {
    let shrank = Arc::new(AtomicBool::new(false));
    let body = ExactLength {
        inner: ReaderStream::with_capacity(handle, UPLOAD_CHUNK),
        expected,
        seen: 0,
        shrank: Arc::clone(&shrank),
    };
    (body, shrank)
}

/// Uploads a whole file, again from its start while the registry is unavailable (a blob
/// PUT is idempotent: same content, same address).
async fn upload_file(client: &Client, file: &LocalFile, progress: &FileProgress) -> Result<u64, ClientError> {
    client.repeat_while_unavailable(|| upload_file_once(client, file, progress)).await
}

async fn upload_file_once(
    client: &Client,
    file: &LocalFile,
    progress: &FileProgress,
) -> Result<u64, ClientError> {
    let handle = tokio::fs::File::open(&file.source)
        .await
        .map_err(|e| ClientError::io(format!("cannot read '{}'", file.path), e))?;
    let (body, shrank) = file_body(handle.take(file.size), file.size);
    let counter = progress.counter();
    // What this attempt showed as sent, taken back from the progress if it fails.
    let shown = Arc::new(AtomicU64::new(0));
    let shown_here = Arc::clone(&shown);
    let body = body.inspect_ok(move |chunk| {
        counter.add(chunk.len() as u64);
        shown_here.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    });
    let changed = |why: String| {
        ClientError::Integrity(format!(
            "'{}' changed while it was being pushed ({why}); run the push again",
            file.path
        ))
    };
    let result = match client.upload_blob(&file.digest, file.size, reqwest::Body::wrap_stream(body)).await {
        Ok(uploaded) if uploaded.digest != file.digest || uploaded.size != file.size => {
            Err(changed(format!("the registry stored {} of {} bytes", uploaded.digest, uploaded.size)))
        }
        Ok(_) => Ok(file.size),
        Err(_) if shrank.load(Ordering::SeqCst) => {
            Err(changed("it is now shorter than when it was hashed".into()))
        }
        Err(err) if err.kind() == FailureKind::Integrity => Err(changed(err.to_string())),
        Err(err) => Err(err),
    };
    if result.is_err() {
        progress.rewind(shown.load(Ordering::Relaxed));
    }
    result
}

/// The digests a `missing_blobs` error lists in its details.
fn missing_from_details(err: &ClientError) -> Option<Vec<Digest>> {
    let body = err.to_body();
    let missing = body.details?.get("missing")?.clone();
    serde_json::from_value(missing).ok()
}

/// Rewrites a conflict (or a deleted number) into what it means for a push, and points a refused manifest that
/// contradicts the files at `--override-derived`; other errors pass through.
fn explain_publish_error(err: ClientError, req: &PushRequest) -> ClientError {
    match err {
        ClientError::Api { status, mut error, retry_after } if error.code == "invalid_manifest" => {
            let flags = contradicted_fields(error.details.as_ref())
                .iter()
                .map(|f| format!("--override-derived {f}"))
                .collect::<Vec<_>>();
            if !flags.is_empty() {
                error.message.push_str(&format!(
                    " (to publish the declared values anyway, push again with {})",
                    flags.join(" ")
                ));
            }
            ClientError::Api { status, error, retry_after }
        }
        ClientError::Api { status, mut error, retry_after } if error.code == "version_conflict" => {
            error.message = format!(
                "{}@{} is already published with different content, and published versions are \
                 immutable: push under a new version number",
                req.model, req.version
            );
            ClientError::Api { status, error, retry_after }
        }
        ClientError::Api { status, mut error, retry_after } if error.code == "version_deleted" => {
            error.message = format!(
                "{}@{} was deleted, and a deleted version number is never published again: push \
                 under a new version number",
                req.model, req.version
            );
            ClientError::Api { status, error, retry_after }
        }
        other => other,
    }
}

/// The fields a refused manifest contradicts the files in, from the `contradictions` the
/// registry lists in the error's details (none when the manifest failed for another reason).
fn contradicted_fields(details: Option<&serde_json::Value>) -> Vec<DerivedField> {
    let Some(Ok(details)) = details.map(ContradictionDetails::deserialize) else { return Vec::new() };
    let mut fields: Vec<DerivedField> = details.contradictions.iter().map(|c| c.field).collect();
    fields.dedup();
    fields
}

/// An upload body that yields exactly `expected` bytes of a file, or fails (and records
/// that the file shrank) if it ends early. The `take` on the reader stops a grown file;
/// the registry then sees a digest mismatch.
pub(crate) struct ExactLength {
    inner: ReaderStream<Take<tokio::fs::File>>,
    expected: u64,
    seen: u64,
    shrank: Arc<AtomicBool>,
}

impl Stream for ExactLength {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = ready!(Pin::new(&mut self.inner).poll_next(cx));
        Poll::Ready(match item {
            Some(Ok(chunk)) => {
                self.seen += chunk.len() as u64;
                Some(Ok(chunk))
            }
            Some(Err(e)) => Some(Err(e)),
            None if self.seen < self.expected => {
                self.shrank.store(true, Ordering::SeqCst);
                Some(Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "file shrank during upload")))
            }
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn drain(path: &std::path::Path, expected: u64) -> (Result<Vec<u8>, std::io::Error>, bool) {
        let shrank = Arc::new(AtomicBool::new(false));
        let file = tokio::fs::File::open(path).await.unwrap();
        let body = ExactLength {
            inner: ReaderStream::with_capacity(file.take(expected), 4),
            expected,
            seen: 0,
            shrank: Arc::clone(&shrank),
        };
        let chunks: Result<Vec<Bytes>, _> = body.try_collect().await;
        (chunks.map(|c| c.concat()), shrank.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn upload_bodies_send_exactly_the_hashed_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(drain(&path, 10).await.0.unwrap(), b"0123456789");
        // The file grew after hashing: only the hashed length is sent.
        assert_eq!(drain(&path, 6).await.0.unwrap(), b"012345");
        // The file shrank after hashing: the body fails and says so.
        let (result, shrank) = drain(&path, 12).await;
        assert!(result.is_err() && shrank);
    }

    #[test]
    fn missing_blob_details_are_decoded() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let err = ClientError::Api {
            status: reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            error: modelreg_api::ErrorBody {
                code: "missing_blobs".into(),
                message: "m".into(),
                details: Some(serde_json::json!({ "missing": [digest] })),
            },
            retry_after: None,
        };
        assert_eq!(missing_from_details(&err).unwrap(), vec![digest.parse::<Digest>().unwrap()]);
    }
}
