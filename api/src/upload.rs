//! Resumable upload sessions (`/v1/uploads`): a large blob sent as numbered parts, each
//! retried on its own, and published under its digest only once the whole of it checks out.
//! The part layout is computed here so that server and client agree on every part's bytes.

use std::ops::Range;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Digest;

/// Most parts one session may have (the S3 multipart limit).
pub const MAX_UPLOAD_PARTS: u32 = 10_000;
/// Smallest part size (S3 refuses smaller parts except the last).
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// Largest part size (the S3 limit).
pub const MAX_PART_SIZE: u64 = 5 << 30;

/// `POST /v1/uploads` request: what the client is about to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUploadRequest {
    /// sha256 of the whole blob.
    pub digest: Digest,
    /// Size of the whole blob in bytes (at least 1).
    pub size: u64,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Parts are being received.
    Open,
    /// Completed: the blob is stored under its digest.
    Complete,
    /// No session was opened because the registry already holds the blob.
    Exists,
}

/// An upload session (`POST /v1/uploads`, `GET /v1/uploads/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UploadSession {
    /// Random, unguessable session id; null when `state` is `exists`.
    pub id: Option<String>,
    pub digest: Digest,
    pub size: u64,
    pub state: UploadState,
    /// Size of every part but the last, chosen by the server (0 when `exists`).
    pub part_size: u64,
    /// Number of parts, numbered 1 to `part_count` (0 when `exists`).
    pub part_count: u32,
    /// 1-based numbers of the parts the server has stored, ascending.
    pub received: Vec<u32>,
    /// The session is aborted if it sees no progress until then (RFC 3339 UTC); null when
    /// `exists`.
    pub expires_at: Option<String>,
    /// Presigned PUT URLs for the parts, in part order. This server never hands them out: it
    /// must see every byte to check the digest (see docs/api.md, "Upload sessions").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_urls: Option<Vec<String>>,
}

impl UploadSession {
    /// The part layout of this session (`None` when no session was opened).
    pub fn layout(&self) -> Option<PartLayout> {
        (self.part_count > 0).then_some(PartLayout {
            size: self.size,
            part_size: self.part_size,
            part_count: self.part_count,
        })
    }
}

/// `PUT /v1/uploads/{id}/parts/{n}` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartUploaded {
    /// The part number (1-based).
    pub part: u32,
    /// Its size in bytes.
    pub size: u64,
}

/// How a blob of `size` bytes is cut into parts: every part is `part_size` bytes except the
/// last, which holds the remainder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLayout {
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
}

impl PartLayout {
    /// The layout for a blob of `size` (at least 1) bytes: parts of `preferred` bytes, raised
    /// to [`MIN_PART_SIZE`], and further (in whole MiB) until at most [`MAX_UPLOAD_PARTS`]
    /// parts are needed. `None` when even [`MAX_PART_SIZE`] parts are not enough.
    pub fn for_size(size: u64, preferred: u64) -> Option<Self> {
        const MIB: u64 = 1 << 20;
        if size == 0 {
            return None;
        }
        let needed = size.div_ceil(u64::from(MAX_UPLOAD_PARTS)).div_ceil(MIB) * MIB;
        let part_size = preferred.max(MIN_PART_SIZE).max(needed);
        if part_size > MAX_PART_SIZE {
            return None;
        }
        let part_count = u32::try_from(size.div_ceil(part_size)).ok()?;
        Some(Self { size, part_size, part_count })
    }

    /// The byte range of part `n` (1-based), or `None` when there is no such part.
    pub fn range(&self, n: u32) -> Option<Range<u64>> {
        if n == 0 || n > self.part_count {
            return None;
        }
        let start = u64::from(n - 1) * self.part_size;
        Some(start..(start + self.part_size).min(self.size))
    }

    /// The exact length of part `n`, or `None` when there is no such part.
    pub fn part_len(&self, n: u32) -> Option<u64> {
        self.range(n).map(|r| r.end - r.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn parts_are_the_preferred_size_with_the_remainder_last() {
        let l = PartLayout::for_size(40 * MIB + 3, 16 * MIB).unwrap();
        assert_eq!((l.part_size, l.part_count), (16 * MIB, 3));
        assert_eq!(l.range(1), Some(0..16 * MIB));
        assert_eq!(l.part_len(3), Some(8 * MIB + 3));
        assert_eq!((l.range(0), l.range(4)), (None, None));
    }

    #[test]
    fn a_small_blob_is_one_part_and_small_preferences_are_raised_to_the_minimum() {
        let l = PartLayout::for_size(10, 1).unwrap();
        assert_eq!((l.part_size, l.part_count, l.part_len(1)), (MIN_PART_SIZE, 1, Some(10)));
    }

    #[test]
    fn part_size_grows_so_that_ten_thousand_parts_suffice() {
        let size = 1 << 40;
        let l = PartLayout::for_size(size, 16 * MIB).unwrap();
        assert!(l.part_count <= MAX_UPLOAD_PARTS, "{l:?}");
        assert_eq!(l.part_size % MIB, 0);
        assert_eq!(l.range(l.part_count).unwrap().end, size);
        assert_eq!(PartLayout::for_size(0, 16 * MIB), None);
        assert_eq!(PartLayout::for_size(u64::MAX, 16 * MIB), None);
    }

    #[test]
    fn an_existing_blob_answer_has_no_layout() {
        let s = UploadSession {
            id: None,
            digest: format!("sha256:{}", "a".repeat(64)).parse().unwrap(),
            size: 5,
            state: UploadState::Exists,
            part_size: 0,
            part_count: 0,
            received: vec![],
            expires_at: None,
            part_urls: None,
        };
        assert_eq!(s.layout(), None);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["state"], "exists");
        assert!(json["id"].is_null());
        assert!(json.get("part_urls").is_none());
    }
}
