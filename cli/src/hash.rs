//! Streaming sha256 + size: the one place the CLI turns bytes into a `Digest`. Never holds
//! more than one buffer of a file in memory.

use std::io::Read;
use std::path::Path;

use modelreg_api::Digest;
use sha2::{Digest as _, Sha256};

use crate::error::ClientError;

/// Read buffer for hashing files.
pub const HASH_BUFFER: usize = 1024 * 1024;

/// Accumulates the digest and size of a byte stream fed in chunks.
#[derive(Debug, Clone, Default)]
pub struct ContentHasher {
    sha: Sha256,
    size: u64,
}

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.sha.update(chunk);
        self.size += chunk.len() as u64;
    }

    /// Bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest and size of everything fed in.
    pub fn finish(self) -> (Digest, u64) {
        (Digest::from_bytes(self.sha.finalize().into()), self.size)
    }
}

/// Hashes everything `reader` yields, one buffer at a time.
pub fn hash_reader(reader: impl Read) -> std::io::Result<(Digest, u64)> {
    let mut hasher = ContentHasher::new();
    feed_reader(&mut hasher, reader)?;
    Ok(hasher.finish())
}

/// Feeds everything `reader` yields into `hasher`, one buffer at a time.
pub fn feed_reader(hasher: &mut ContentHasher, mut reader: impl Read) -> std::io::Result<()> {
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Hashes a file on a blocking thread, so that hashing never stalls the async runtime.
pub async fn hash_file(path: &Path) -> Result<(Digest, u64), ClientError> {
    let owned = path.to_owned();
    let result = tokio::task::spawn_blocking(move || std::fs::File::open(&owned).and_then(hash_reader))
        .await
        .map_err(|e| ClientError::io(format!("hashing '{}'", path.display()), std::io::Error::other(e)))?;
    result.map_err(|e| ClientError::io(format!("cannot read '{}'", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn hashing_matches_known_sha256_values() {
        assert_eq!(hash_reader(&b""[..]).unwrap(), (EMPTY.parse().unwrap(), 0));
        assert_eq!(hash_reader(&b"abc"[..]).unwrap(), (ABC.parse().unwrap(), 3));
    }

    #[test]
    fn chunked_hashing_equals_one_shot_hashing() {
        let data: Vec<u8> = (0..3 * HASH_BUFFER + 17).map(|i| (i % 251) as u8).collect();
        let mut hasher = ContentHasher::new();
        for chunk in data.chunks(4093) {
            hasher.update(chunk);
        }
        assert_eq!(hasher.finish(), hash_reader(&data[..]).unwrap());
    }

    #[tokio::test]
    async fn files_are_hashed_by_streaming() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(hash_file(&path).await.unwrap(), (ABC.parse().unwrap(), 3));
        let err = hash_file(&dir.path().join("nope")).await.unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
