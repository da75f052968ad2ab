//! The memory of interrupted chunked uploads: one small JSON file per blob
//! (`<cache root>/uploads/<64 hex>.json`) naming the registry and the session id, so that
//! re-running `modelreg push` continues the session instead of sending every part again.
//! It holds neither file content nor tokens, and a file it cannot read is simply ignored
//! (the upload then starts a new session).

use std::io;
use std::path::{Path, PathBuf};

use modelreg_api::Digest;
use reqwest::Url;
use serde::{Deserialize, Serialize};

/// One remembered session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// The registry's base URL, as given to the client.
    pub registry: String,
    /// The session id the registry handed out.
    pub id: String,
    pub digest: Digest,
    pub size: u64,
}

/// The folder of state files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStateDir {
    dir: PathBuf,
}

impl UploadStateDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join(format!("{}.json", digest.hex()))
    }

    /// The session id remembered for this blob on this registry, if any.
    pub fn load(&self, registry: &Url, digest: &Digest, size: u64) -> Option<String> {
        let bytes = std::fs::read(self.path(digest)).ok()?;
        let state: UploadState = serde_json::from_slice(&bytes).ok()?;
        (state.registry == registry.as_str() && state.digest == *digest && state.size == size)
            .then_some(state.id)
    }

    /// Remembers session `id` for this blob (replacing what was remembered for it), through
    /// a temporary file so that a reader never sees half a state.
    pub fn save(&self, registry: &Url, digest: &Digest, size: u64, id: &str) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let state = UploadState { registry: registry.to_string(), id: id.to_owned(), digest: *digest, size };
        let path = self.path(digest);
        let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let body = serde_json::to_vec_pretty(&state).expect("upload state serialises");
        let written = std::fs::write(&temp, body).and_then(|()| std::fs::rename(&temp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }

    /// Forgets the session of this blob (it completed, or the registry no longer knows it).
    pub fn forget(&self, digest: &Digest) {
        // Nothing to do if it is already gone; a stale file is ignored on the next load.
        let _ = std::fs::remove_file(self.path(digest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_reader;

    #[test]
    fn a_saved_session_is_found_again_only_for_the_same_registry_blob_and_size() {
        let tmp = tempfile::tempdir().unwrap();
        let states = UploadStateDir::new(tmp.path().join("uploads"));
        let registry: Url = "http://127.0.0.1:8080/".parse().unwrap();
        let digest = hash_reader(&b"big"[..]).unwrap().0;
        assert_eq!(states.load(&registry, &digest, 3), None);

        states.save(&registry, &digest, 3, "up_1").unwrap();
        assert_eq!(states.load(&registry, &digest, 3).as_deref(), Some("up_1"));
        let saved =
            std::fs::read_to_string(tmp.path().join(format!("uploads/{}.json", digest.hex()))).unwrap();
        assert!(saved.contains("\"id\": \"up_1\"") && saved.contains("127.0.0.1:8080"), "{saved}");

        let other: Url = "http://10.0.0.1:8080/".parse().unwrap();
        assert_eq!(states.load(&other, &digest, 3), None, "another registry has other sessions");
        assert_eq!(states.load(&registry, &digest, 4), None);

        states.save(&registry, &digest, 3, "up_2").unwrap();
        assert_eq!(states.load(&registry, &digest, 3).as_deref(), Some("up_2"));
        states.forget(&digest);
        assert_eq!(states.load(&registry, &digest, 3), None);
    }

    #[test]
    fn an_unreadable_state_file_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let states = UploadStateDir::new(tmp.path());
        let registry: Url = "http://127.0.0.1:8080/".parse().unwrap();
        let digest = hash_reader(&b"x"[..]).unwrap().0;
        std::fs::write(tmp.path().join(format!("{}.json", digest.hex())), b"{not json").unwrap();
        assert_eq!(states.load(&registry, &digest, 1), None);
    }
}
