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
//!
//! A large blob sent in one `PUT` takes the same road: it is written to
//! `uploads/put_<random>/data` while it is hashed, then synced and renamed if the digest
//! matches. In both cases a second thread asks the kernel to write the file back to the disk
//! while bytes still arrive (`fdatasync` after every few MiB), so that the final sync finds
//! little left to do and the disk works while the network does.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use modelreg_api::Digest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::pieces::Pieces;
use super::{BlobError, Sha256Hasher, SizedHash, UploadTarget, key_for, session_log_id};

/// Chunks queued for the writer thread (each about 1 MiB): enough to keep the disk busy
/// while the request's task hashes, few enough to bound memory.
const WRITES_IN_FLIGHT: usize = 4;
/// How long a request waits for another one writing to the same session.
const LOCK_WAIT: Duration = Duration::from_secs(30);
const LOCK_POLL: Duration = Duration::from_millis(20);
/// Read size of the hash at completion when parts come from an earlier boot.
const VERIFY_CHUNK: usize = 1 << 20;
/// Written bytes after which the syncing thread is woken.
const SYNC_EVERY: u64 = 16 << 20;
/// Prefix of the folders of single-`PUT` writes under `uploads/`.
const PUT_PREFIX: &str = "put_";

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

    /// Writes a blob of `size` bytes sent in one piece, hashing it on the way; it becomes
    /// visible at its key only if size and digest match. On any failure, or if the caller
    /// drops this future, the partial file is removed.
    pub(super) async fn put<S>(&self, digest: &Digest, size: u64, mut body: S) -> Result<(), BlobError>
    where
        S: Stream<Item = Result<Bytes, BlobError>> + Unpin,
    {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?;
        let dir = self.root.join("uploads").join(format!("{PUT_PREFIX}{}", hex::encode(random)));
        let cleanup = RemoveOnDrop(Some(dir.clone()));
        let data = dir.join("data");
        let file = {
            let data = data.clone();
            blocking(move || {
                std::fs::create_dir_all(&dir)?;
                OpenOptions::new().create_new(true).write(true).open(&data)
            })
            .await?
        };
        let mut writer = FileWriter::start(file, 0);
        let mut check = SizedHash::new(size);
        let mut pieces = Pieces::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            check.update(&chunk)?;
            for piece in pieces.push(&chunk) {
                writer.write(piece).await?;
            }
        }
        if let Some(piece) = pieces.finish() {
            writer.write(piece).await?;
        }
        check.finish(digest)?;
        writer.finish().await?;
        let dest = self.root.join(key_for(digest).as_ref());
        blocking(move || publish(&File::open(&data)?, &data, &dest)).await?;
        drop(cleanup);
        Ok(())
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
        let session = target.session.clone();
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
            publish(&file, &data, &dest)?;
            remove_session_folder(&dir, &session);
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

    /// Removes the folders of single-`PUT` writes last touched before `cutoff` (left by a
    /// server that stopped mid-write). Returns how many it removed.
    pub(super) async fn sweep_puts(&self, cutoff: std::time::SystemTime) -> Result<usize, BlobError> {
        let uploads = self.root.join("uploads");
        blocking(move || {
            let entries = match std::fs::read_dir(&uploads) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok::<_, BlobError>(0),
                Err(e) => return Err(e.into()),
            };
            let mut removed = 0;
            for entry in entries {
                let entry = entry?;
                if !entry.file_name().to_string_lossy().starts_with(PUT_PREFIX) {
                    continue;
                }
                let touched = std::fs::metadata(entry.path().join("data"))
                    .or_else(|_| entry.metadata())
                    .and_then(|m| m.modified())?;
                if touched < cutoff {
                    std::fs::remove_dir_all(entry.path())?;
                    removed += 1;
                }
            }
            Ok(removed)
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

/// Removes a completed session's folder; a failure leaves only an empty folder, so it is
/// logged, naming the session by its short id (the folder's path holds the full one).
fn remove_session_folder(dir: &Path, session: &str) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(upload.id = session_log_id(session), error = %e, "could not remove an upload's folder");
    }
}

/// Syncs `file`, renames `data` to `dest` (creating its folders) and syncs that folder: from
/// then on the blob is durable at its key.
fn publish(file: &File, data: &Path, dest: &Path) -> Result<(), BlobError> {
    file.sync_all()?;
    let parent = dest.parent().expect("blob keys have folders");
    std::fs::create_dir_all(parent)?;
    std::fs::rename(data, dest)?;
    File::open(parent)?.sync_all()?;
    Ok(())
}

/// Removes a write's folder when dropped: after a failure (or a cancelled request) with its
/// partial file, after a publish empty.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let Some(dir) = self.0.take() else { return };
        let remove = move || {
            if let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %dir.display(), error = %e, "could not remove a write's folder");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(remove)),
            Err(_) => remove(),
        }
    }
}

/// Writes chunks at increasing offsets of a file on a blocking thread, so that hashing (on
/// the caller's task) and the disk work at the same time, while a second thread syncs what
/// is written every [`SYNC_EVERY`] bytes so that the disk keeps up. Dropping it stops after
/// the queued chunks.
pub(super) struct FileWriter {
    chunks: Option<mpsc::Sender<Bytes>>,
    thread: JoinHandle<std::io::Result<()>>,
}

impl FileWriter {
    fn start(file: File, offset: u64) -> Self {
        let (chunks, mut queue) = mpsc::channel::<Bytes>(WRITES_IN_FLIGHT);
        // At most one wake-up pending: a sync already asked for covers later writes too.
        let (wake, wakes) = std::sync::mpsc::sync_channel::<()>(1);
        if let Ok(syncing) = file.try_clone() {
            // Best effort (the final sync is the one that counts); it ends with the writer.
            drop(tokio::task::spawn_blocking(move || {
                while wakes.recv().is_ok() {
                    let _ = syncing.sync_data();
                }
            }));
        }
        let thread = tokio::task::spawn_blocking(move || {
            let mut at = offset;
            let mut unsynced = 0;
            while let Some(chunk) = queue.blocking_recv() {
                file.write_all_at(&chunk, at)?;
                at += chunk.len() as u64;
                unsynced += chunk.len() as u64;
                if unsynced >= SYNC_EVERY {
                    let _ = wake.try_send(());
                    unsynced = 0;
                }
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

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, BlobError>> + Unpin {
        futures_util::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
    }

    fn leftovers(root: &Path) -> usize {
        std::fs::read_dir(root.join("uploads")).map_or(0, |d| d.count())
    }

    #[tokio::test]
    async fn a_put_is_visible_only_when_its_digest_matches_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = LocalUploads::new(dir.path().to_owned());
        let good = digest_of(b"hello world");
        uploads.put(&good, 11, body(&[b"hello ", b"world"])).await.unwrap();
        assert_eq!(std::fs::read(dir.path().join(key_for(&good).as_ref())).unwrap(), b"hello world");

        let claimed = digest_of(b"something else");
        let err = uploads.put(&claimed, 11, body(&[b"hello ", b"world"])).await.unwrap_err();
        assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err}");
        let err = uploads.put(&good, 12, body(&[b"hello ", b"world"])).await.unwrap_err();
        assert!(matches!(err, BlobError::SizeMismatch { .. }), "{err}");
        assert!(!dir.path().join(key_for(&claimed).as_ref()).exists());
        // The folders of failed writes are removed on a blocking thread: give it a moment.
        for _ in 0..100 {
            if leftovers(dir.path()) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(leftovers(dir.path()), 0);
    }

    #[tokio::test]
    async fn abandoned_put_folders_are_swept_after_the_cutoff_only() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = LocalUploads::new(dir.path().to_owned());
        let stale = dir.path().join("uploads/put_0123");
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("data"), b"partial").unwrap();
        std::fs::create_dir_all(dir.path().join("uploads/up_session")).unwrap();
        let before = std::time::SystemTime::now() - Duration::from_secs(60);
        assert_eq!(uploads.sweep_puts(before).await.unwrap(), 0);
        let after = std::time::SystemTime::now() + Duration::from_secs(60);
        assert_eq!(uploads.sweep_puts(after).await.unwrap(), 1);
        assert!(!stale.exists());
        assert!(dir.path().join("uploads/up_session").exists(), "sessions are not the sweep's business");
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

    /// What `f` logs, as the server's formatter writes it.
    fn captured_logs(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_session_folder_that_cannot_be_removed_is_logged_by_the_short_id_only() {
        let id = format!("up_{}", "0123456789abcdef".repeat(2));
        let dir = tempfile::tempdir().unwrap();
        // Never created, so removing it fails.
        let folder = dir.path().join("uploads").join(&id);
        let logs = captured_logs(|| remove_session_folder(&folder, &id));
        assert!(logs.contains("could not remove an upload's folder"), "{logs}");
        assert!(logs.contains("up_01234567"), "{logs}");
        assert!(!logs.contains(&id), "the full session id is never logged: {logs}");
    }
}
