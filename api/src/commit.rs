//! `CommitId`: the immutable 40-hex identity the Hugging Face Hub protocol needs for each
//! version ("commit"), derived from the model name, the version number and the version's
//! manifest digest, so that the server, the store and any client compute the same one.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::{Digest, ModelName, Version};

/// Domain separation: no other hash the registry computes starts with these bytes.
const DOMAIN: &[u8] = b"modelreg/hf-commit/v1\0";

/// A version's commit id: 40 lower-case hex digits (the shape the Hub clients require), the
/// first 20 bytes of sha256 over the domain, the model name, the version and its manifest
/// digest. Unique per version (the name and number are part of it), never reused (a
/// deleted version's number is retired) and immutable (its manifest digest never changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitId([u8; 20]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid commit id: expected 40 lower-case hex digits")]
pub struct CommitIdError;

impl CommitId {
    /// The commit id of `model@version` whose manifest has `digest`.
    pub fn of(model: &ModelName, version: &Version, digest: &Digest) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(DOMAIN);
        hasher.update(model.to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(version.to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(digest.as_bytes());
        let full = hasher.finalize();
        let mut out = [0u8; 20];
        out.copy_from_slice(&full[..20]);
        Self(out)
    }

    /// Whether `s` has the shape of a commit id (what the clients test with
    /// `^[0-9a-f]{40}$`).
    pub fn looks_like(s: &str) -> bool {
        s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl FromStr for CommitId {
    type Err = CommitIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !Self::looks_like(s) {
            return Err(CommitIdError);
        }
        let mut out = [0u8; 20];
        for (i, pair) in s.as_bytes().chunks_exact(2).enumerate() {
            let text = std::str::from_utf8(pair).map_err(|_| CommitIdError)?;
            out[i] = u8::from_str_radix(text, 16).map_err(|_| CommitIdError)?;
        }
        Ok(Self(out))
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(model: &str, version: &str, seed: char) -> CommitId {
        let digest: Digest = format!("sha256:{}", seed.to_string().repeat(64)).parse().unwrap();
        CommitId::of(&model.parse().unwrap(), &version.parse().unwrap(), &digest)
    }

    #[test]
    fn a_commit_id_is_40_lower_case_hex_and_round_trips() {
        let c = id("acme/bert", "1.4.0", 'a');
        let text = c.to_string();
        assert!(CommitId::looks_like(&text), "{text}");
        assert_eq!(text.parse::<CommitId>().unwrap(), c);
        assert_eq!(id("acme/bert", "1.4.0", 'a'), c, "the same version always has the same id");
    }

    #[test]
    fn the_model_the_version_and_the_manifest_each_change_the_id() {
        let base = id("acme/bert", "1.4.0", 'a');
        assert_ne!(id("acme/bert2", "1.4.0", 'a'), base);
        assert_ne!(id("acme/bert", "1.4.1", 'a'), base);
        assert_ne!(id("acme/bert", "1.4.0", 'b'), base);
    }

    #[test]
    fn other_shapes_are_not_commit_ids() {
        for bad in ["", "main", &"A".repeat(40), &"a".repeat(39), &"a".repeat(41), &"g".repeat(40)] {
            assert!(bad.parse::<CommitId>().is_err(), "{bad}");
        }
    }
}
