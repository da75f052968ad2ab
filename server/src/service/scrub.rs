//! Scrubbing (`modelreg-server verify`): re-reads the blobs that versions reference, streamed
//! and paced so that it can run beside a live server, re-hashes them, and reports each one
//! that is missing, has the wrong size or does not hash to its digest, with every version
//! file that names it. A finding is also recorded in the database, so that `missing` asks
//! clients for the blob again and the next verified upload replaces the bad copy (which
//! clears the record). Blobs no version references are left to garbage collection.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use modelreg_api::{Digest, Version};
use tokio::time::Instant;

use super::{Registry, RegistryError};
use crate::blob::{BlobError, Sha256Hasher};
use crate::store::ReferencedBlob;

/// Referenced blobs fetched from the database per round trip.
const PAGE: u32 = 500;
/// How far a pacer that fell behind (a slow backend, a pause) may run ahead to catch up.
const BURST: Duration = Duration::from_secs(1);

/// What to check and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// Check only this fraction (0 < f <= 1) of the blobs, chosen by `seed`; `None`: all.
    pub sample: Option<f64>,
    /// Chooses the sample: the same seed picks the same blobs.
    pub seed: u64,
    /// Only blobs that a version published at or after this references.
    pub since: Option<DateTime<Utc>>,
    /// Read at most this many bytes per second (on average, with a one-second burst).
    pub max_bytes_per_sec: Option<u64>,
    /// Open at most this many blobs per second.
    pub max_blobs_per_sec: Option<f64>,
}

/// How far a run has got; handed to the caller as bytes are read and after every blob (for
/// progress metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerifyProgress {
    /// Referenced blobs seen (within `since`), sampled or not.
    pub blobs_referenced: u64,
    pub blobs_checked: u64,
    /// Bytes read and hashed.
    pub bytes_checked: u64,
    pub ok: u64,
    pub missing: u64,
    /// Wrong size or wrong digest.
    pub corrupt: u64,
}

/// What is wrong with a stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobProblem {
    /// The blob store does not hold it.
    Missing,
    /// It holds a copy of another size than the versions declare (not read further).
    SizeMismatch,
    /// It holds a copy of the right size whose bytes hash to another digest.
    DigestMismatch,
}

impl BlobProblem {
    /// The stable name in reports and in the damage record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::SizeMismatch => "size_mismatch",
            Self::DigestMismatch => "digest_mismatch",
        }
    }
}

/// One version file naming a bad blob.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FindingReference {
    pub model: String,
    pub version: String,
    pub path: String,
    /// `published`, `yanked`, or `model_deleted` (a deleted model's versions can be restored).
    pub state: &'static str,
}

/// A blob that is not stored intact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyFinding {
    pub digest: Digest,
    pub problem: BlobProblem,
    /// The size the versions declare.
    pub size: u64,
    /// The size of the stored copy, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_size: Option<u64>,
    /// What the stored copy hashes to, for a digest mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_digest: Option<Digest>,
    /// Sorted by model, version (semver order) and path.
    pub references: Vec<FindingReference>,
}

/// A finished run: its counts and findings (sorted by digest).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifyReport {
    #[serde(flatten)]
    pub counts: VerifyProgress,
    pub sample: Option<f64>,
    pub seed: u64,
    /// RFC 3339.
    pub since: Option<String>,
    pub findings: Vec<VerifyFinding>,
}

impl Registry {
    /// Checks every referenced blob (or the sample `options` asks for) and reports those
    /// not stored intact, recording each finding in the database and clearing the record of
    /// a blob found intact again. `on_progress` is called as bytes are read and after every blob. A backend or
    /// database failure ends the run with an error (a blob that cannot be read is not a
    /// finding: the next run may read it).
    pub async fn verify_blobs(
        &self,
        options: &VerifyOptions,
        mut on_progress: impl FnMut(&VerifyProgress),
    ) -> Result<VerifyReport, RegistryError> {
        let mut progress = VerifyProgress::default();
        let mut findings = Vec::new();
        let mut pacer = Pacer::new(options.max_bytes_per_sec, options.max_blobs_per_sec);
        let mut after: Option<Digest> = None;
        loop {
            let page = self.meta.referenced_blobs(after.as_ref(), options.since, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.digest);
            progress.blobs_referenced += page.len() as u64;
            let chosen: Vec<&ReferencedBlob> = page
                .iter()
                .filter(|b| options.sample.is_none_or(|f| sampled(&b.digest, options.seed, f)))
                .collect();
            let digests: Vec<Digest> = chosen.iter().map(|b| b.digest).collect();
            let damaged = self.meta.damaged_blobs(&digests).await?;
            for blob in chosen {
                pacer.open_blob().await;
                let checked = self.check_blob(blob, &mut pacer, &mut progress, &mut on_progress).await?;
                progress.blobs_checked += 1;
                match checked {
                    None => {
                        progress.ok += 1;
                        if damaged.contains(&blob.digest) {
                            self.meta.clear_blob_damage(&blob.digest).await?;
                            tracing::info!(blob.digest = %blob.digest, "verify: a blob recorded as damaged is intact again");
                        }
                    }
                    Some(finding) => {
                        if finding.problem == BlobProblem::Missing {
                            progress.missing += 1;
                        } else {
                            progress.corrupt += 1;
                        }
                        self.meta
                            .mark_blob_damaged(&blob.digest, finding.problem.as_str(), Utc::now())
                            .await?;
                        tracing::warn!(
                            blob.digest = %blob.digest,
                            problem = finding.problem.as_str(),
                            references = finding.references.len(),
                            "verify: blob is not stored intact"
                        );
                        findings.push(finding);
                    }
                }
                on_progress(&progress);
            }
        }
        findings.sort_by_key(|f| f.digest);
        Ok(VerifyReport {
            counts: progress,
            sample: options.sample,
            seed: options.seed,
            since: options.since.map(|s| s.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            findings,
        })
    }

    /// Reads one blob whole, pacing the reads and reporting progress as bytes arrive;
    /// `None` when it is intact.
    async fn check_blob(
        &self,
        blob: &ReferencedBlob,
        pacer: &mut Pacer,
        progress: &mut VerifyProgress,
        on_progress: &mut impl FnMut(&VerifyProgress),
    ) -> Result<Option<VerifyFinding>, RegistryError> {
        let finding = |problem, stored_size, actual_digest| {
            Some(VerifyFinding {
                digest: blob.digest,
                problem,
                size: blob.size,
                stored_size,
                actual_digest,
                references: references_of(blob),
            })
        };
        let read = match self.blobs.get(&blob.digest, None).await {
            Ok(read) => read,
            Err(BlobError::NotFound(_)) => return Ok(finding(BlobProblem::Missing, None, None)),
            Err(e) => return Err(e.into()),
        };
        if read.size != blob.size {
            return Ok(finding(BlobProblem::SizeMismatch, Some(read.size), None));
        }
        // The read verifies as it streams: it ends in `Corrupt` when the bytes do not hash
        // to the digest.
        let mut stream = read.stream;
        let mut received = 0u64;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    received += chunk.len() as u64;
                    progress.bytes_checked += chunk.len() as u64;
                    on_progress(progress);
                    pacer.read(chunk.len() as u64).await;
                }
                Err(BlobError::Corrupt { actual, .. }) => {
                    // Every byte was hashed; the read holds back the last chunk of a bad blob.
                    progress.bytes_checked += read.size.saturating_sub(received);
                    return Ok(finding(BlobProblem::DigestMismatch, Some(read.size), Some(actual)));
                }
                // Removed while being read.
                Err(BlobError::NotFound(_)) => return Ok(finding(BlobProblem::Missing, None, None)),
                Err(e) => return Err(e.into()),
            }
        }
        if received != blob.size {
            // Replaced by a copy of another size while being read.
            return Ok(finding(BlobProblem::SizeMismatch, Some(received), None));
        }
        Ok(None)
    }
}

/// The references of a blob for a report, sorted by model, version in semver order, path.
fn references_of(blob: &ReferencedBlob) -> Vec<FindingReference> {
    let mut refs: Vec<_> = blob
        .references
        .iter()
        .map(|r| FindingReference {
            model: r.model.clone(),
            version: r.version.clone(),
            path: r.path.clone(),
            state: if r.model_deleted {
                "model_deleted"
            } else if r.yanked {
                "yanked"
            } else {
                "published"
            },
        })
        .collect();
    refs.sort_by(|a, b| {
        let semver = |r: &FindingReference| r.version.parse::<Version>().ok();
        (&a.model, semver(a), &a.version, &a.path).cmp(&(&b.model, semver(b), &b.version, &b.path))
    });
    refs
}

/// Whether `digest` is in the sample of `fraction` that `seed` picks: the first 8 bytes of
/// sha256(seed, digest) read as a fraction of 2^64, below `fraction`. Stable across runs and
/// machines, uniform over digests, and independent of the order blobs are listed in.
pub fn sampled(digest: &Digest, seed: u64, fraction: f64) -> bool {
    let mut h = Sha256Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(digest.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h.finish().as_bytes()[..8]);
    (u64::from_be_bytes(first) as f64 / 2f64.powi(64)) < fraction
}

/// Spreads reads over time: each byte (and each blob opened) is due at a point on a virtual
/// clock that advances by 1/rate per unit; a caller ahead of it sleeps. After a stall the
/// clock lags at most [`BURST`] behind, so a slow stretch is not made up in one flood.
struct Pacer {
    bytes: Option<(u64, Instant)>,
    blobs: Option<(f64, Instant)>,
}

impl Pacer {
    fn new(max_bytes_per_sec: Option<u64>, max_blobs_per_sec: Option<f64>) -> Self {
        let now = Instant::now();
        Self {
            bytes: max_bytes_per_sec.filter(|r| *r > 0).map(|r| (r, now)),
            blobs: max_blobs_per_sec.filter(|r| *r > 0.0).map(|r| (r, now)),
        }
    }

    async fn read(&mut self, n: u64) {
        if let Some((rate, due)) = &mut self.bytes {
            let cost = Duration::from_secs_f64(n as f64 / *rate as f64);
            wait_until(due, cost).await;
        }
    }

    async fn open_blob(&mut self) {
        if let Some((rate, due)) = &mut self.blobs {
            let cost = Duration::from_secs_f64(1.0 / *rate);
            wait_until(due, cost).await;
        }
    }
}

/// Advances `due` by `cost` (from no earlier than [`BURST`] ago) and sleeps until it.
async fn wait_until(due: &mut Instant, cost: Duration) {
    let now = Instant::now();
    let floor = now.checked_sub(BURST).unwrap_or(now);
    *due = (*due).max(floor) + cost;
    if *due > now {
        tokio::time::sleep_until(*due).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u32) -> Digest {
        let mut h = crate::blob::Sha256Hasher::new();
        h.update(&n.to_le_bytes());
        h.finish()
    }

    #[test]
    fn a_sample_takes_about_its_fraction_and_the_same_seed_takes_the_same_blobs() {
        let digests: Vec<Digest> = (0..10_000).map(digest).collect();
        let pick = |seed, f| digests.iter().filter(|d| sampled(d, seed, f)).copied().collect::<Vec<_>>();
        let tenth = pick(7, 0.1);
        assert!((850..=1150).contains(&tenth.len()), "{}", tenth.len());
        assert_eq!(pick(7, 0.1), tenth, "deterministic");
        assert_ne!(pick(8, 0.1), tenth, "another seed, another sample");
        assert_eq!(pick(7, 1.0).len(), 10_000);
        assert!(pick(7, 0.0).is_empty());
    }

    #[tokio::test]
    async fn the_pacer_spreads_bytes_and_blobs_at_their_rates() {
        let start = Instant::now();
        let mut pacer = Pacer::new(Some(10_000), None);
        for _ in 0..4 {
            pacer.read(500).await;
        }
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
        let start = Instant::now();
        let mut pacer = Pacer::new(None, Some(20.0));
        for _ in 0..4 {
            pacer.open_blob().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
        let start = Instant::now();
        let mut unlimited = Pacer::new(None, None);
        unlimited.read(1 << 40).await;
        unlimited.open_blob().await;
        assert!(start.elapsed() < Duration::from_millis(100));
    }
}
