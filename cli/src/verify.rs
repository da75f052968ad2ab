//! `PartialFile`: a download that reaches its final path only once its size and sha256 are
//! right. Bytes go to `<dest>.<digest prefix>.part` beside the destination, are hashed as
//! they arrive, and are fsynced and renamed into place after verification (the caller then
//! syncs the directories it renamed into, once each: `sync_dir`). A bad download is
//! deleted; an interrupted one is kept so that the next pull resumes it.

use std::path::{Path, PathBuf};

use modelreg_api::Digest;
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::error::ClientError;
use crate::hash::{ContentHasher, feed_reader};
use crate::no_follow;

/// Hex digits of the digest in a temporary file's name: a leftover of another version of
/// the same file is never resumed by mistake.
const TEMP_DIGEST_PREFIX: usize = 16;
/// Bytes gathered before a write to disk (network chunks are much smaller).
const WRITE_BUFFER: usize = 1 << 20;

/// A download in progress towards `dest`.
#[derive(Debug)]
pub struct PartialFile {
    dest: PathBuf,
    temp: PathBuf,
    /// The file's path inside the version, for messages.
    shown: String,
    file: BufWriter<tokio::fs::File>,
    hasher: ContentHasher,
    expected_digest: Digest,
    expected_size: u64,
}

/// The temporary name a download of `digest` to `dest` uses.
pub fn temp_path(dest: &Path, digest: &Digest) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.part", &digest.hex()[..TEMP_DIGEST_PREFIX]));
    dest.with_file_name(name)
}

impl PartialFile {
    /// Opens the temporary file for `dest`, keeping (and re-hashing) what an earlier,
    /// interrupted pull left in it, unless that is already longer than the file can be.
    pub async fn open(dest: &Path, shown: &str, digest: Digest, size: u64) -> Result<Self, ClientError> {
        let temp = temp_path(dest, &digest);
        let io_err = |e| ClientError::io(format!("cannot write '{}'", temp.display()), e);
        // Resumed only from a regular file of its own: a link placed at the temporary name
        // is replaced, never appended to (`no_follow`).
        let path = temp.clone();
        let (file, hasher) = tokio::task::spawn_blocking(move || {
            let (mut file, resumed) = no_follow::open_or_create(&path, true)?;
            let mut hasher = ContentHasher::new();
            if resumed {
                if file.metadata()?.len() > size {
                    file.set_len(0)?;
                } else {
                    feed_reader(&mut hasher, &mut file)?;
                }
            }
            Ok::<_, std::io::Error>((tokio::fs::File::from_std(file), hasher))
        })
        .await
        .map_err(|e| io_err(std::io::Error::other(e)))?
        .map_err(io_err)?;
        Ok(Self {
            dest: dest.to_owned(),
            temp,
            shown: shown.to_owned(),
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            hasher,
            expected_digest: digest,
            expected_size: size,
        })
    }

    /// Bytes already in the temporary file: where a resumed download starts.
    pub fn offset(&self) -> u64 {
        self.hasher.size()
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Drops what is in the temporary file, to start from byte 0.
    pub async fn restart(&mut self) -> Result<(), ClientError> {
        self.file.flush().await.map_err(|e| self.io_err(e))?;
        self.file.get_mut().set_len(0).await.map_err(|e| self.io_err(e))?;
        self.hasher = ContentHasher::new();
        Ok(())
    }

    /// Appends a chunk; refuses (and deletes the temporary file) past the declared size.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ClientError> {
        if self.hasher.size() + chunk.len() as u64 > self.expected_size {
            self.remove_temp().await;
            return Err(ClientError::Integrity(format!(
                "'{}' failed verification: the registry sent more than the declared {} bytes",
                self.shown, self.expected_size
            )));
        }
        self.file.write_all(chunk).await.map_err(|e| self.io_err(e))?;
        self.hasher.update(chunk);
        Ok(())
    }

    /// Checks size and digest; on a match fsyncs and renames the file into place, on a
    /// mismatch deletes it and fails naming the path, the expected and the actual digest.
    /// The rename is durable once the caller has synced the directory (`sync_dir`).
    pub async fn commit(mut self) -> Result<(), ClientError> {
        self.file.flush().await.map_err(|e| self.io_err(e))?;
        let (digest, size) = self.hasher.clone().finish();
        if digest != self.expected_digest || size != self.expected_size {
            self.remove_temp().await;
            return Err(ClientError::Integrity(format!(
                "'{}' failed verification: expected {} ({} bytes), got {digest} ({size} bytes); \
                 the download was discarded",
                self.shown, self.expected_digest, self.expected_size
            )));
        }
        self.file.get_ref().sync_all().await.map_err(|e| self.io_err(e))?;
        tokio::fs::rename(&self.temp, &self.dest)
            .await
            .map_err(|e| ClientError::io(format!("cannot move '{}' into place", self.dest.display()), e))?;
        Ok(())
    }

    /// Stops here, keeping what was received so that a later pull resumes from it.
    pub async fn keep(mut self) {
        // Best effort: whatever did reach the disk is re-hashed when resuming.
        let _ = self.file.flush().await;
    }

    /// Deletes the temporary file (a failed verification is not worth resuming).
    pub async fn discard(self) {
        self.remove_temp().await;
    }

    async fn remove_temp(&self) {
        // Nothing more can be done if removal fails; the name is never a final path.
        let _ = tokio::fs::remove_file(&self.temp).await;
    }

    fn io_err(&self, e: std::io::Error) -> ClientError {
        ClientError::io(format!("cannot write '{}'", self.temp.display()), e)
    }
}

/// Makes renames into `dir` durable where the platform allows syncing a directory.
pub async fn sync_dir(dir: &Path) {
    if cfg!(unix)
        && let Ok(dir) = tokio::fs::File::open(dir).await
    {
        // Best effort: the data itself is already synced.
        let _ = dir.sync_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_reader;

    fn digest_of(data: &[u8]) -> Digest {
        hash_reader(data).unwrap().0
    }

    #[tokio::test]
    async fn a_verified_download_lands_at_its_final_path() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("model.bin");
        let mut part = PartialFile::open(&dest, "model.bin", digest_of(b"hello world"), 11).await.unwrap();
        part.write(b"hello ").await.unwrap();
        part.write(b"world").await.unwrap();
        let temp = part.temp_path().to_owned();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello world");
        assert!(!temp.exists());
    }

    #[tokio::test]
    async fn a_wrong_digest_is_rejected_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("model.bin");
        let expected = digest_of(b"hello world");
        let mut part = PartialFile::open(&dest, "model.bin", expected, 11).await.unwrap();
        part.write(b"hello WORLD").await.unwrap();
        let temp = part.temp_path().to_owned();
        let err = part.commit().await.unwrap_err();
        assert_eq!(err.exit_code(), 6);
        let msg = err.to_string();
        assert!(msg.contains("'model.bin'") && msg.contains(&expected.to_string()), "{msg}");
        assert!(msg.contains(&digest_of(b"hello WORLD").to_string()), "{msg}");
        assert!(!dest.exists() && !temp.exists());
    }

    #[tokio::test]
    async fn more_bytes_than_declared_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a");
        let mut part = PartialFile::open(&dest, "a", digest_of(b"abc"), 3).await.unwrap();
        let temp = part.temp_path().to_owned();
        let err = part.write(b"abcd").await.unwrap_err();
        assert_eq!(err.exit_code(), 6);
        assert!(!dest.exists() && !temp.exists());
    }

    #[tokio::test]
    async fn a_short_download_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a");
        let mut part = PartialFile::open(&dest, "a", digest_of(b"abc"), 3).await.unwrap();
        part.write(b"ab").await.unwrap();
        assert!(part.commit().await.is_err());
        assert!(!dest.exists());
    }

    #[tokio::test]
    async fn an_interrupted_download_resumes_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a");
        let digest = digest_of(b"abcdef");
        let mut part = PartialFile::open(&dest, "a", digest, 6).await.unwrap();
        part.write(b"abc").await.unwrap();
        part.keep().await;
        let mut part = PartialFile::open(&dest, "a", digest, 6).await.unwrap();
        assert_eq!(part.offset(), 3);
        part.write(b"def").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"abcdef");
    }

    #[tokio::test]
    async fn restarting_drops_the_partial_content() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a");
        let digest = digest_of(b"xyz");
        let mut part = PartialFile::open(&dest, "a", digest, 3).await.unwrap();
        part.write(b"q").await.unwrap();
        part.restart().await.unwrap();
        assert_eq!(part.offset(), 0);
        part.write(b"xyz").await.unwrap();
        part.commit().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"xyz");
    }

    #[test]
    fn temporary_names_sit_beside_the_destination() {
        let digest = digest_of(b"");
        let temp = temp_path(Path::new("out/dir/model.bin"), &digest);
        assert_eq!(temp, Path::new("out/dir/model.bin.e3b0c44298fc1c14.part"));
    }
}
