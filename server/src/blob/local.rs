//! Upload sessions on a local folder. Every part of a session goes straight into one file,
//! `uploads/<session>/data`, at its offset: a writer thread puts the bytes on disk while the
//! request's task hashes them, and completion syncs that file and renames it to the blob's
//! key. Each byte is received, hashed and written once.
//!
//! Two rules keep invariant 1 without hashing the file again at completion:
//! - Requests writing to a session exclude each other with an exclusive lock on its file
//!   (`flock`, which also holds between processes sharing the folder), taken before the
//!   session's state is read and held until the part is recorded. A region the session's row
//!   calls stored therefore holds exactly the bytes hashed for it; a conflicting repeat can
//!   only overwrite a region that is not recorded as stored.
//! - Parts are not fsynced one by one: each records the boot of the machine that wrote it
//!   (Linux's boot id). Written pages that have not reached the disk survive the server
//!   process but not the machine, so completion skips the second hash only when every part
//!   was written during the current boot of this machine; otherwise it hashes the file once
//!   more before renaming it into place.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use modelreg_api::Digest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{BlobError, Sha256Hasher, UploadTarget, key_for};

/// Chunks queued for the writer thread (each about 1 MiB): enough to keep the disk busy
/// while the request's task hashes, few enough to bound memory.
const WRITES_IN_FLIGHT: usize = 4;
/// How long a request waits for another one writing to the same session.
const LOCK_WAIT: Duration = Duration::from_secs(30);
const LOCK_POLL: Duration = Duration::from_millis(20);
/// Read size of the hash at completion when parts come from an earlier boot.
const VERIFY_CHUNK: usize = 1 << 20;

/// Where local sessions keep their files, and the boot this process runs in.
pub(super) struct LocalUploads {
    root: PathBuf,
    boot: String,
}

/// The exclusive right to write to one session (released when dropped). Stores without a
/// local file hand out an empty one.
pub struct UploadLock(Option<File>);

impl UploadLock {
    pub(super) fn none() -> Self {
        Self(None)
    }

    /// Whether this lock excludes other writers (and the session must be read again).
    pub fn excludes(&self) -> bool {
        self.0.is_some()
    }
}

impl LocalUploads {
    pub(super) fn new(root: PathBuf) -> Self {
        Self { root, boot: boot_id() }
    }

    fn session_dir(&self, session: &str) -> PathBuf {
        self.root.join("uploads").join(session)
    }

    fn data_path(&self, session: &str) -> PathBuf {
        self.session_dir(session).join("data")
    }

    /// The content id recorded for a part written now.
    pub(super) fn content_id(&self) -> String {
        format!("local:{}", self.boot)
    }

    /// Waits (up to [`LOCK_WAIT`]) for the session's file lock.
    pub(super) async fn lock(&self, session: &str) -> Result<UploadLock, BlobError> {
        let dir = self.session_dir(session);
        let path = self.data_path(session);
        let file = blocking(move || {
            std::fs::create_dir_all(&dir)?;
            OpenOptions::new().create(true).truncate(false).write(true).open(&path)
        })
        .await?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(UploadLock(Some(file))),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    tokio::time::sleep(LOCK_POLL).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(BlobError::Busy("another request is still writing to this upload".into()));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }

    /// Starts writing a part that begins at byte `offset` of the session's file.
    pub(super) async fn part_writer(
        &self,
        target: &UploadTarget,
        offset: u64,
    ) -> Result<FileWriter, BlobError> {
        let path = self.data_path(&target.session);
        let file = blocking(move || OpenOptions::new().write(true).open(&path)).await?;
        Ok(FileWriter::start(file, offset))
    }

    /// Moves the session's file to the blob's key: hashed again first unless every part
    /// (`content_ids`) was written during this boot, then synced and renamed.
    pub(super) async fn complete(
        &self,
        target: &UploadTarget,
        size: u64,
        content_ids: &[String],
    ) -> Result<(), BlobError> {
        let current = self.content_id();
        let verify = content_ids.iter().any(|id| *id != current);
        let data = self.data_path(&target.session);
        let dir = self.session_dir(&target.session);
        let dest = self.root.join(key_for(&target.digest).as_ref());
        let digest = target.digest;
        blocking(move || {
            let file = File::open(&data)?;
            let len = file.metadata()?.len();
            if len != size {
                return Err(BlobError::SizeMismatch { expected: size, actual: len });
            }
            if verify {
                let actual = hash_file(&file)?;
                if actual != digest {
                    return Err(BlobError::DigestMismatch { expected: digest, actual });
                }
            }
            file.sync_all()?;
            let parent = dest.parent().expect("blob keys have folders");
            std::fs::create_dir_all(parent)?;
            std::fs::rename(&data, &dest)?;
            File::open(parent)?.sync_all()?;
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(path = %dir.display(), error = %e, "could not remove an upload's folder");
            }
            Ok(())
        })
        .await
    }

    /// Removes whatever a session left on disk. Idempotent.
    pub(super) async fn discard(&self, session: &str) -> Result<(), BlobError> {
        let dir = self.session_dir(session);
        blocking(move || match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok::<_, BlobError>(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        })
        .await
    }

    /// Ids of the sessions that have a folder.
    pub(super) async fn sessions(&self) -> Result<Vec<String>, BlobError> {
        let dir = self.root.join("uploads");
        blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok::<_, BlobError>(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut ids = Vec::new();
            for entry in entries {
                if let Ok(name) = entry?.file_name().into_string() {
                    ids.push(name);
                }
            }
            Ok::<_, BlobError>(ids)
        })
        .await
    }
}

/// Writes chunks at increasing offsets of a file on a blocking thread, so that hashing (on
/// the caller's task) and the disk work at the same time. Dropping it stops after the
/// queued chunks.
pub(super) struct FileWriter {
    chunks: Option<mpsc::Sender<Bytes>>,
    thread: JoinHandle<std::io::Result<()>>,
}

impl FileWriter {
    fn start(file: File, offset: u64) -> Self {
        let (chunks, mut queue) = mpsc::channel::<Bytes>(WRITES_IN_FLIGHT);
        let thread = tokio::task::spawn_blocking(move || {
            let mut at = offset;
            while let Some(chunk) = queue.blocking_recv() {
                file.write_all_at(&chunk, at)?;
                at += chunk.len() as u64;
            }
            Ok(())
        });
        Self { chunks: Some(chunks), thread }
    }

    pub(super) async fn write(&mut self, chunk: Bytes) -> Result<(), BlobError> {
        let chunks = self.chunks.as_ref().expect("chunks are accepted until finish");
        if chunks.send(chunk).await.is_ok() {
            return Ok(());
        }
        // The thread stopped early: its result says why.
        self.chunks = None;
        match (&mut self.thread).await {
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(())) => Err(BlobError::Io(std::io::Error::other("the part writer stopped"))),
            Err(e) => Err(BlobError::Io(std::io::Error::other(e))),
        }
    }

    /// Waits until every chunk is written (not synced).
    pub(super) async fn finish(mut self) -> Result<(), BlobError> {
        self.chunks = None;
        match (&mut self.thread).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(BlobError::Io(std::io::Error::other(e))),
        }
    }
}

fn hash_file(mut file: &File) -> Result<Digest, BlobError> {
    let mut hash = Sha256Hasher::new();
    let mut buf = vec![0u8; VERIFY_CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hash.finish());
        }
        hash.update(&buf[..n]);
    }
}

async fn blocking<T, E, F>(work: F) -> Result<T, BlobError>
where
    T: Send + 'static,
    E: Into<BlobError> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || work().map_err(Into::into)).await {
        Ok(result) => result,
        Err(e) => Err(BlobError::Io(std::io::Error::other(e))),
    }
}

/// This machine's current boot (Linux), else a value unique to this process: parts written
/// before it changed are hashed again at completion.
fn boot_id() -> String {
    let from_kernel = std::fs::read_to_string(Path::new("/proc/sys/kernel/random/boot_id"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    from_kernel.unwrap_or_else(|| {
        let mut random = [0u8; 16];
        // Without randomness every completion hashes again, which is only slower.
        let _ = getrandom::fill(&mut random);
        format!("process-{}", hex::encode(random))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(session: &str, digest: Digest) -> UploadTarget {
        UploadTarget { session: session.into(), digest, backend_upload_id: None, part_size: 4 }
    }

    fn digest_of(data: &[u8]) -> Digest {
        let mut h = Sha256Hasher::new();
        h.update(data);
        h.finish()
    }

    async fn write_part(uploads: &LocalUploads, t: &UploadTarget, offset: u64, data: &'static [u8]) {
        let mut w = uploads.part_writer(t, offset).await.unwrap();
        w.write(Bytes::from_static(data)).await.unwrap();
        w.finish().await.unwrap();
    }

    #[tokio::test]
    async fn parts_written_out_of_order_land_at_their_offsets_and_complete_without_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = LocalUploads::new(dir.path().to_owned());
        let t = target("up_a", digest_of(b"aaaabbbbcc"));
        let lock = uploads.lock(&t.session).await.unwrap();
        assert!(lock.excludes());
        write_part(&uploads, &t, 8, b"cc").await;
        write_part(&uploads, &t, 0, b"aaaa").await;
        write_part(&uploads, &t, 4, b"bbbb").await;
        let ids = vec![uploads.content_id(); 3];
        uploads.complete(&t, 10, &ids).await.unwrap();
        let stored = dir.path().join(key_for(&t.digest).as_ref());
        assert_eq!(std::fs::read(stored).unwrap(), b"aaaabbbbcc");
        assert!(!dir.path().join("uploads/up_a").exists());
    }

    #[tokio::test]
    async fn parts_from_an_earlier_boot_are_hashed_again_and_a_mismatch_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = LocalUploads::new(dir.path().to_owned());
        let t = target("up_b", digest_of(b"aaaabbbb"));
        let _lock = uploads.lock(&t.session).await.unwrap();
        write_part(&uploads, &t, 0, b"aaaa").await;
        write_part(&uploads, &t, 4, b"bbbX").await; // lost in a crash, say
        let ids = vec!["local:earlier-boot".to_owned(), uploads.content_id()];
        let err = uploads.complete(&t, 8, &ids).await.unwrap_err();
        assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err}");
        assert!(!dir.path().join(key_for(&t.digest).as_ref()).exists());
        uploads.discard(&t.session).await.unwrap();
        uploads.discard(&t.session).await.unwrap();
        assert!(uploads.sessions().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_second_writer_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = LocalUploads::new(dir.path().to_owned());
        let first = uploads.lock("up_c").await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(100), uploads.lock("up_c")).await;
        assert!(waiting.is_err(), "the second lock must wait");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), uploads.lock("up_c")).await;
        assert!(second.unwrap().unwrap().excludes());
        assert_eq!(uploads.sessions().await.unwrap(), vec!["up_c".to_owned()]);
    }
}
