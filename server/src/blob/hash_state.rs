//! A sha256 that can be stopped after one part of a blob, saved as bytes (in the upload
//! session's row), and resumed for the next part by any replica. The saved form is the
//! `sha2` crate's serialized state: 32 bytes of chaining value, the block count, and the
//! unprocessed tail of the last block.

use modelreg_api::Digest;
use sha2::digest::common::hazmat::SerializableState;
use sha2::{Digest as _, Sha256};

/// A sha256 in progress whose state survives between requests.
#[derive(Clone, Default)]
pub struct RunningHash(Sha256);

/// The saved bytes are not a sha256 state (the row was altered, or written by an
/// incompatible version of `sha2`).
#[derive(Debug, thiserror::Error)]
#[error("saved sha256 state is unreadable ({len} bytes)")]
pub struct UnreadableHashState {
    len: usize,
}

impl RunningHash {
    /// The state of zero bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes from bytes written by [`RunningHash::save`].
    pub fn resume(saved: &[u8]) -> Result<Self, UnreadableHashState> {
        let err = || UnreadableHashState { len: saved.len() };
        let state = saved.try_into().map_err(|_| err())?;
        Sha256::deserialize(state).map(Self).map_err(|_| err())
    }

    pub fn save(&self) -> Vec<u8> {
        self.0.serialize().to_vec()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> Digest {
        Digest::from_bytes(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::Sha256Hasher;

    #[test]
    fn a_hash_saved_between_parts_of_odd_lengths_equals_the_hash_of_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Sha256Hasher::new();
        whole.update(&data);
        let expected = whole.finish();

        let mut saved = RunningHash::new().save();
        for part in data.chunks(333) {
            let mut h = RunningHash::resume(&saved).unwrap();
            h.update(part);
            saved = h.save();
        }
        assert_eq!(RunningHash::resume(&saved).unwrap().finish(), expected);
    }

    #[test]
    fn garbage_is_not_a_state() {
        assert!(RunningHash::resume(b"nope").is_err());
        let mut bad = RunningHash::new().save();
        let last = bad.len() - 1;
        bad[32 + 8] = 200; // the tail length byte: more than a block
        bad[last] = 1;
        assert!(RunningHash::resume(&bad).is_err());
    }
}
