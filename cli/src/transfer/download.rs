//! Large downloads by parallel byte ranges: the blob is cut into fixed ranges, fetched
//! several at once into one preallocated temporary file (each range written at its offset),
//! and hashed as a whole while it arrives (a hasher follows the completed prefix, reading it
//! back from the page cache), then fsynced and renamed into place only if size and sha256
//! are right. Completed ranges are listed in a small file beside the temporary one
//! (`<dest>.<digest16>.part.ranges`), so an interrupted download resumes with the ranges it
//! lacks. It decides nothing about which files to fetch (that is `pull`).

use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use modelreg_api::{Digest, FileEntry};
use reqwest::StatusCode;
use reqwest::header::CONTENT_RANGE;
use tokio::io::AsyncSeekExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::progress::FileProgress;
use super::retry::RetryPolicy;
use crate::client::{Client, transport_error};
use crate::error::ClientError;
use crate::hash::{ContentHasher, HASH_BUFFER};
use crate::no_follow;
use crate::verify::temp_path;

/// Files larger than this are fetched by parallel ranges.
pub const RANGED_THRESHOLD: u64 = 64 << 20;
/// Bytes per range request.
pub const RANGE_SIZE: u64 = 16 << 20;
const STATE_HEADER: &str = "modelreg-ranges v1";
/// Received bytes handed to the disk at once (network chunks are much smaller).
const WRITE_BATCH: usize = 1 << 20;

/// How a blob of `size` bytes is cut into ranges of `range_size` (the last holds the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangePlan {
    pub size: u64,
    pub range_size: u64,
}

impl RangePlan {
    pub fn new(size: u64, range_size: u64) -> Self {
        Self { size, range_size: range_size.max(1) }
    }

    pub fn count(&self) -> usize {
        self.size.div_ceil(self.range_size) as usize
    }

    /// The bytes of range `i` (0-based).
    pub fn range(&self, i: usize) -> Range<u64> {
        let start = i as u64 * self.range_size;
        start..(start + self.range_size).min(self.size)
    }

    /// Where the prefix of completed ranges ends.
    fn frontier(&self, done: &[bool]) -> u64 {
        done.iter().position(|d| !d).map_or(self.size, |i| self.range(i).start)
    }
}

/// The file listing completed ranges, beside the temporary file.
pub fn ranges_path(part: &Path) -> PathBuf {
    let mut name = part.file_name().unwrap_or_default().to_os_string();
    name.push(".ranges");
    part.with_file_name(name)
}

/// What an earlier, interrupted download left: the completed ranges listed beside the
/// temporary file, or, without that list, the prefix a sequential download wrote. Anything
/// that does not fit `plan` is thrown away.
pub fn completed_ranges(part: &Path, plan: &RangePlan) -> Vec<bool> {
    let mut done = vec![false; plan.count()];
    let header = format!("{STATE_HEADER} {} {}", plan.range_size, plan.size);
    match std::fs::read_to_string(ranges_path(part)) {
        Ok(text) if text.lines().next() == Some(header.as_str()) => {
            for i in text.lines().skip(1).filter_map(|l| l.trim().parse::<usize>().ok()) {
                if let Some(d) = done.get_mut(i) {
                    *d = true;
                }
            }
        }
        Ok(_) => {
            let _ = std::fs::remove_file(part);
        }
        Err(_) => match std::fs::metadata(part) {
            Ok(meta) if meta.len() <= plan.size => {
                for (i, d) in done.iter_mut().enumerate() {
                    *d = plan.range(i).end <= meta.len();
                }
            }
            Ok(_) => {
                let _ = std::fs::remove_file(part);
            }
            Err(_) => {}
        },
    }
    done
}

/// The state of one ranged download, shared by its range tasks.
struct Shared<'a> {
    client: &'a Client,
    entry: &'a FileEntry,
    part: PathBuf,
    plan: RangePlan,
    done: Mutex<(Vec<bool>, std::fs::File)>,
    frontier: watch::Sender<u64>,
    progress: &'a FileProgress,
}

/// Downloads `entry` to `dest` by ranges of `range_size` bytes ([`RANGE_SIZE`] in pulls),
/// at most `streams` requests at a time. Returns the bytes received and whether it resumed
/// an earlier download, or `Ok(None)` when the registry ignores ranges (the caller then
/// downloads the whole blob in one stream).
pub async fn download_ranged(
    client: &Client,
    dest: &Path,
    entry: &FileEntry,
    range_size: u64,
    streams: &Semaphore,
    progress: &FileProgress,
) -> (Result<Option<u64>, ClientError>, bool) {
    let part = temp_path(dest, &entry.digest);
    let plan = RangePlan::new(entry.size, range_size);
    let prepared = {
        let part = part.clone();
        tokio::task::spawn_blocking(move || prepare(&part, &plan)).await
    };
    let (done, list) = match prepared {
        Ok(Ok(state)) => state,
        Ok(Err(e)) => return (Err(ClientError::io(format!("cannot write '{}'", part.display()), e)), false),
        Err(e) => return (Err(ClientError::io("preparing a download", std::io::Error::other(e))), false),
    };
    let resumed = done.iter().any(|d| *d);
    progress.already(
        done.iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| plan.range(i).end - plan.range(i).start)
            .sum(),
    );
    let pending: Vec<usize> = (0..plan.count()).filter(|&i| !done[i]).collect();
    let (frontier, watcher) = watch::channel(plan.frontier(&done));
    let syncer = tokio::spawn(sync_while_downloading(part.clone(), watcher.clone()));
    let hasher = tokio::spawn(hash_prefix(part.clone(), entry.size, watcher));
    let shared = Shared { client, entry, part, plan, done: Mutex::new((done, list)), frontier, progress };

    let fetched: Result<Vec<Option<u64>>, ClientError> = stream::iter(pending)
        .map(|i| fetch_range(&shared, streams, i))
        // Every range waits for a stream from the budget, in order (the semaphore is fair),
        // so the hashed prefix advances steadily.
        .buffer_unordered(plan.count().max(1))
        .try_collect()
        .await;
    let received = match fetched {
        Ok(sizes) if sizes.iter().any(Option::is_none) => {
            hasher.abort();
            syncer.abort();
            return (Ok(None), resumed);
        }
        Ok(sizes) => sizes.into_iter().flatten().sum(),
        Err(e) => {
            hasher.abort();
            syncer.abort();
            return (Err(e), resumed);
        }
    };
    drop(shared.frontier);
    // Best effort: the final fsync in `commit` is the one that counts.
    let _ = syncer.await;
    let hashed = match hasher.await {
        Ok(Ok(hashed)) => hashed,
        Ok(Err(e)) => {
            return (Err(ClientError::io(format!("cannot read '{}'", shared.part.display()), e)), resumed);
        }
        Err(e) => return (Err(ClientError::io("hashing a download", std::io::Error::other(e))), resumed),
    };
    (commit(&shared.part, dest, entry, hashed).await.map(|()| Some(received)), resumed)
}

/// Opens (or creates) the temporary file at its full size and the list of completed ranges.
/// Neither is ever opened through a link: whatever is at either name and is not a regular
/// file of its own is removed first (`no_follow`).
fn prepare(part: &Path, plan: &RangePlan) -> std::io::Result<(Vec<bool>, std::fs::File)> {
    let list_path = ranges_path(part);
    no_follow::remove_unless_private(part)?;
    no_follow::remove_unless_private(&list_path)?;
    let done = completed_ranges(part, plan);
    let (file, _) = no_follow::open_or_create(part, false)?;
    file.set_len(plan.size)?;
    let mut text = format!("{STATE_HEADER} {} {}\n", plan.range_size, plan.size);
    for i in (0..done.len()).filter(|&i| done[i]) {
        text.push_str(&format!("{i}\n"));
    }
    match std::fs::remove_file(&list_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut list = no_follow::create_new(&list_path, true)?;
    list.write_all(text.as_bytes())?;
    Ok((done, list))
}

/// Fetches range `i` into its place, retrying failures on the way; `None` when the
/// registry sent the whole blob instead of the range.
async fn fetch_range(shared: &Shared<'_>, streams: &Semaphore, i: usize) -> Result<Option<u64>, ClientError> {
    let _permit = streams.acquire().await.expect("the stream budget is never closed");
    let range = shared.plan.range(i);
    let received = RetryPolicy::TRANSFER
        .run(|| fetch_range_once(shared, &range), |_| shared.progress.rewind(range.end - range.start))
        .await?;
    if received.is_some() {
        let mut guard = shared.done.lock().unwrap_or_else(|e| e.into_inner());
        let (done, list) = &mut *guard;
        done[i] = true;
        // Best effort: without the line the range is only fetched again on a resume.
        let _ = writeln!(list, "{i}");
        shared.frontier.send_replace(shared.plan.frontier(done));
    }
    Ok(received)
}

async fn fetch_range_once(shared: &Shared<'_>, range: &Range<u64>) -> Result<Option<u64>, ClientError> {
    let entry = shared.entry;
    let resp = shared.client.read_blob(&entry.digest, range.start, Some(range.end)).await?;
    let url = resp.url().clone();
    let whole = range.start == 0 && range.end == entry.size;
    match resp.status() {
        StatusCode::PARTIAL_CONTENT => {
            let got = resp.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let want = format!("bytes {}-{}/", range.start, range.end - 1);
            if !got.starts_with(&want) {
                return Err(ClientError::BadResponse {
                    url: url.to_string(),
                    reason: format!("asked for {want}, got range '{got}'"),
                });
            }
        }
        _ if whole => {}
        _ => return Ok(None),
    }
    let io_err = |e| ClientError::io(format!("cannot write '{}'", shared.part.display()), e);
    let mut file = no_follow::tokio_no_follow(tokio::fs::OpenOptions::new().write(true))
        .open(&shared.part)
        .await
        .map_err(io_err)?;
    file.seek(SeekFrom::Start(range.start)).await.map_err(io_err)?;
    let mut file = RangeWriter::new(file.into_std().await);
    let len = range.end - range.start;
    let mut written = 0;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| transport_error(&e, &url))?;
        if written + chunk.len() as u64 > len {
            return Err(ClientError::Integrity(format!(
                "'{}' failed verification: the registry sent more than the {len} bytes asked for",
                entry.path
            )));
        }
        written += chunk.len() as u64;
        shared.progress.add(chunk.len() as u64);
        file.push(chunk).await.map_err(io_err)?;
    }
    file.finish().await.map_err(io_err)?;
    if written < len {
        return Err(ClientError::Transport {
            url: url.to_string(),
            reason: format!("the body ended after {written} of {len} bytes"),
        });
    }
    Ok(Some(written))
}

/// Writes one range's received buffers in order from its start, without copying them:
/// a batch goes to a blocking thread while the next one arrives (two batches at most).
struct RangeWriter {
    file: Option<std::fs::File>,
    batch: Vec<Bytes>,
    batch_len: usize,
    in_flight: Option<JoinHandle<std::io::Result<std::fs::File>>>,
}

impl RangeWriter {
    fn new(file: std::fs::File) -> Self {
        Self { file: Some(file), batch: Vec::new(), batch_len: 0, in_flight: None }
    }

    async fn push(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= WRITE_BATCH { self.write_batch().await } else { Ok(()) }
    }

    async fn write_batch(&mut self) -> std::io::Result<()> {
        let mut file = match (self.in_flight.take(), self.file.take()) {
            (Some(writing), _) => writing.await.map_err(std::io::Error::other)??,
            (None, Some(file)) => file,
            (None, None) => return Err(std::io::Error::other("a failed write left no file")),
        };
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        self.in_flight =
            Some(tokio::task::spawn_blocking(move || write_all_vectored(&mut file, &batch).map(|()| file)));
        Ok(())
    }

    /// Writes what is left and waits until all of it is written.
    async fn finish(mut self) -> std::io::Result<()> {
        if !self.batch.is_empty() {
            self.write_batch().await?;
        }
        match self.in_flight.take() {
            Some(writing) => writing.await.map_err(std::io::Error::other)?.map(drop),
            None => Ok(()),
        }
    }
}

/// Writes every buffer, in order, with as few system calls as the kernel allows.
fn write_all_vectored(file: &mut std::fs::File, buffers: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = buffers.iter().map(|b| IoSlice::new(b)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Has the temporary file written to disk while the download goes on, each time more of
/// it has arrived, so that the disk works alongside the network instead of all of it
/// waiting for the final fsync. Stops when the download does.
async fn sync_while_downloading(part: PathBuf, mut progress: watch::Receiver<u64>) {
    let Ok(file) = no_follow::tokio_no_follow(tokio::fs::OpenOptions::new().write(true)).open(&part).await
    else {
        return;
    };
    while progress.changed().await.is_ok() {
        if file.sync_data().await.is_err() {
            return;
        }
    }
}

/// Hashes the temporary file as far as the completed prefix reaches, until all of it.
async fn hash_prefix(
    part: PathBuf,
    size: u64,
    mut frontier: watch::Receiver<u64>,
) -> std::io::Result<(Digest, u64)> {
    let mut hasher = ContentHasher::new();
    while hasher.size() < size {
        let target = *frontier.borrow_and_update();
        if target > hasher.size() {
            let path = part.clone();
            hasher = tokio::task::spawn_blocking(move || hash_span(&path, hasher, target))
                .await
                .map_err(std::io::Error::other)??;
        } else if frontier.changed().await.is_err() && *frontier.borrow() <= hasher.size() {
            return Err(std::io::Error::other("the download stopped before its end"));
        }
    }
    Ok(hasher.finish())
}

/// Feeds bytes `hasher.size()..end` of the file into `hasher`.
fn hash_span(path: &Path, mut hasher: ContentHasher, end: u64) -> std::io::Result<ContentHasher> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(hasher.size()))?;
    let mut buf = vec![0u8; HASH_BUFFER];
    while hasher.size() < end {
        let want = (end - hasher.size()).min(buf.len() as u64) as usize;
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the download is shorter than planned",
            ));
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher)
}

/// Checks the whole; on a match fsyncs and renames it into place (the caller syncs the
/// directory), on a mismatch deletes it.
async fn commit(
    part: &Path,
    dest: &Path,
    entry: &FileEntry,
    (digest, size): (Digest, u64),
) -> Result<(), ClientError> {
    let list = ranges_path(part);
    if digest != entry.digest || size != entry.size {
        let _ = tokio::fs::remove_file(part).await;
        let _ = tokio::fs::remove_file(&list).await;
        return Err(ClientError::Integrity(format!(
            "'{}' failed verification: expected {} ({} bytes), got {digest} ({size} bytes); \
             the download was discarded",
            entry.path, entry.digest, entry.size
        )));
    }
    let io_err = |e| ClientError::io(format!("cannot write '{}'", part.display()), e);
    let file = no_follow::tokio_no_follow(tokio::fs::OpenOptions::new().write(true))
        .open(part)
        .await
        .map_err(io_err)?;
    file.sync_all().await.map_err(io_err)?;
    // The list goes first: a full-size temporary file without it reads as complete.
    let _ = tokio::fs::remove_file(&list).await;
    tokio::fs::rename(part, dest)
        .await
        .map_err(|e| ClientError::io(format!("cannot move '{}' into place", dest.display()), e))
}

/// Shares `jobs` concurrent streams between whole-file and ranged downloads.
pub fn stream_budget(jobs: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(jobs.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn ranges_cover_the_blob_with_the_remainder_last() {
        let plan = RangePlan::new(40 * MIB + 3, 16 * MIB);
        assert_eq!(plan.count(), 3);
        assert_eq!(plan.range(0), 0..16 * MIB);
        assert_eq!(plan.range(1), 16 * MIB..32 * MIB);
        assert_eq!(plan.range(2), 32 * MIB..40 * MIB + 3);
        let exact = RangePlan::new(32 * MIB, 16 * MIB);
        assert_eq!((exact.count(), exact.range(1)), (2, 16 * MIB..32 * MIB));
        assert_eq!(plan.frontier(&[true, false, true]), 16 * MIB);
        assert_eq!(plan.frontier(&[true, true, true]), 40 * MIB + 3);
        assert_eq!(plan.frontier(&[false, true, true]), 0);
    }

    #[test]
    fn completed_ranges_are_read_from_the_list_or_from_a_sequential_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let part = tmp.path().join("w.bin.0123456789abcdef.part");
        let plan = RangePlan::new(100, 30);
        assert_eq!(completed_ranges(&part, &plan), [false; 4]);

        // A sequential download left 65 bytes: the first two ranges are complete.
        std::fs::write(&part, [7u8; 65]).unwrap();
        assert_eq!(completed_ranges(&part, &plan), [true, true, false, false]);

        let (done, mut list) = prepare(&part, &plan).unwrap();
        assert_eq!(done, [true, true, false, false]);
        assert_eq!(std::fs::metadata(&part).unwrap().len(), 100, "preallocated");
        writeln!(list, "3").unwrap();
        write!(list, "garbage from a kil").unwrap();
        assert_eq!(completed_ranges(&part, &plan), [true, true, false, true]);

        // A list for another layout cannot be trusted: the download starts over.
        assert_eq!(completed_ranges(&part, &RangePlan::new(100, 20)), [false; 5]);
        assert!(!part.exists());
    }
}
