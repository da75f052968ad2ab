//! Large-transfer steps against the fake registry: downloads by parallel ranges that resume
//! only the missing ranges and verify the whole, a registry that ignores ranges, and blob
//! reads redirected to a storage host, which never see the token.

use std::collections::BTreeSet;
use std::path::Path;

use modelreg_api::{Digest, FileEntry};
use modelreg_cli::Client;
use modelreg_cli::transfer::download::{RangePlan, download_ranged, ranges_path};
use modelreg_cli::transfer::progress::FileProgress;
use modelreg_cli::verify::temp_path;
use tokio::sync::Semaphore;

use crate::fake_registry::{FakeRegistry, Recorded, Reply};
use crate::support::digest_of;

const SIZE: usize = 200_000;
const RANGE: u64 = 10_000;

fn blob() -> Vec<u8> {
    (0..SIZE as u32).map(|i| (i.wrapping_mul(7919) % 251) as u8).collect()
}

fn entry(data: &[u8]) -> FileEntry {
    FileEntry { path: "model.bin".parse().unwrap(), digest: digest_of(data), size: data.len() as u64 }
}

/// `bytes=a-b` of a `Range` header.
fn asked_range(req: &Recorded) -> Option<(usize, usize)> {
    let (a, b) = req.header("range")?.strip_prefix("bytes=")?.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Serves `served` for the blob of `digest`, honouring `bytes=a-b` ranges when `ranges`.
fn storage(digest: Digest, served: Vec<u8>, ranges: bool) -> FakeRegistry {
    FakeRegistry::start(move |req: &Recorded| {
        if req.path != format!("/v1/blobs/{digest}") {
            return Reply::error(404, "blob_not_found", "no such blob");
        }
        match asked_range(req).filter(|_| ranges) {
            Some((a, b)) => {
                let mut reply = Reply::bytes(206, served[a..=b].to_vec());
                reply.headers.push(("Content-Range".into(), format!("bytes {a}-{b}/{}", served.len())));
                reply
            }
            None => Reply::bytes(200, served.clone()),
        }
    })
}

async fn ranged(
    fake: &FakeRegistry,
    dest: &Path,
    entry: &FileEntry,
) -> (Result<Option<u64>, modelreg_cli::ClientError>, bool) {
    let client = Client::new(fake.url.parse().unwrap(), Some("secret-token")).unwrap();
    download_ranged(&client, dest, entry, RANGE, &Semaphore::new(4), &FileProgress::hidden()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ranged_download_fetches_only_the_missing_ranges_of_an_interrupted_one() {
    let data = blob();
    let entry = entry(&data);
    let fake = storage(entry.digest, data.clone(), true);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model.bin");
    // An earlier run completed ranges 0 and 2 and was stopped.
    let part = temp_path(&dest, &entry.digest);
    let mut left = vec![0u8; SIZE];
    for i in [0, 2] {
        let r = RangePlan::new(SIZE as u64, RANGE).range(i);
        left[r.start as usize..r.end as usize].copy_from_slice(&data[r.start as usize..r.end as usize]);
    }
    std::fs::write(&part, &left).unwrap();
    std::fs::write(ranges_path(&part), format!("modelreg-ranges v1 {RANGE} {SIZE}\n0\n2\n")).unwrap();

    let (result, resumed) = ranged(&fake, &dest, &entry).await;
    assert_eq!(result.unwrap(), Some(SIZE as u64 - 2 * RANGE));
    assert!(resumed);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert!(!part.exists() && !ranges_path(&part).exists(), "no leftovers");

    let asked: BTreeSet<(usize, usize)> = fake.requests().iter().filter_map(asked_range).collect();
    assert_eq!(asked.len(), SIZE / RANGE as usize - 2, "one request per missing range");
    assert!(!asked.contains(&(0, 9_999)) && !asked.contains(&(20_000, 29_999)));
    assert!(asked.contains(&(190_000, 199_999)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ranged_download_that_does_not_verify_leaves_nothing() {
    let data = blob();
    let entry = entry(&data);
    let mut corrupt = data.clone();
    corrupt[123_456] ^= 0x40;
    let fake = storage(entry.digest, corrupt, true);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model.bin");
    let (result, resumed) = ranged(&fake, &dest, &entry).await;
    let err = result.unwrap_err();
    assert_eq!(err.exit_code(), 6, "{err}");
    assert!(err.to_string().contains("'model.bin' failed verification"), "{err}");
    assert!(!resumed);
    assert!(!dest.exists());
    let part = temp_path(&dest, &entry.digest);
    assert!(!part.exists() && !ranges_path(&part).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_ignores_ranges_is_reported_for_a_single_stream_download() {
    let data = blob();
    let entry = entry(&data);
    let fake = storage(entry.digest, data, false);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model.bin");
    let (result, _) = ranged(&fake, &dest, &entry).await;
    assert_eq!(result.unwrap(), None);
    assert!(!dest.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirected_blob_read_never_sends_the_token_to_storage() {
    let data = b"presigned content".to_vec();
    let digest = digest_of(&data);
    let store = FakeRegistry::start(move |_: &Recorded| Reply::bytes(200, data.clone()));
    let location = format!("{}/bucket/blob?X-Amz-Signature=abc", store.url);
    let registry = FakeRegistry::start(move |_: &Recorded| {
        let mut reply = Reply::bytes(302, Vec::new());
        reply.headers.push(("Location".into(), location.clone()));
        reply
    });
    let client = Client::new(registry.url.parse().unwrap(), Some("secret-token")).unwrap();
    let resp = client.read_blob(&digest, 0, None).await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"presigned content");

    let asked = registry.requests();
    assert_eq!(asked[0].header("authorization"), Some("Bearer secret-token"));
    let fetched = store.requests();
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        (fetched[0].path.as_str(), fetched[0].query.as_str()),
        ("/bucket/blob", "X-Amz-Signature=abc")
    );
    assert_eq!(fetched[0].header("authorization"), None, "the token stays with the registry");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_answered_503_with_retry_after_is_fetched_again_after_the_wait() {
    let data = blob();
    let entry = entry(&data);
    let digest = entry.digest;
    let refused = std::sync::Mutex::new(false);
    let served = data.clone();
    let fake = FakeRegistry::start(move |req: &Recorded| {
        let (a, b) = asked_range(req).expect("ranged");
        let mut first = refused.lock().unwrap();
        if a == 3 * RANGE as usize && !*first {
            *first = true;
            let mut reply = Reply::error(503, "unavailable", "busy");
            reply.headers.push(("Retry-After".into(), "2".into()));
            return reply;
        }
        assert_eq!(req.path, format!("/v1/blobs/{digest}"));
        let mut reply = Reply::bytes(206, served[a..=b].to_vec());
        reply.headers.push(("Content-Range".into(), format!("bytes {a}-{b}/{}", served.len())));
        reply
    });
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model.bin");
    let started = std::time::Instant::now();
    let (result, _) = ranged(&fake, &dest, &entry).await;
    assert_eq!(result.unwrap(), Some(SIZE as u64));
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "waited as asked: {:?}",
        started.elapsed()
    );
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    let third =
        fake.requests().iter().filter(|r| asked_range(r).map(|(a, _)| a) == Some(3 * RANGE as usize)).count();
    assert_eq!(third, 2, "the refused range was asked for twice");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_ranged_download_never_writes_through_links_at_its_temporary_names() {
    let data = blob();
    let entry = entry(&data);
    let fake = storage(entry.digest, data.clone(), true);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model.bin");
    let (victim, list_victim) = (tmp.path().join("victim"), tmp.path().join("list-victim"));
    std::fs::write(&victim, b"precious").unwrap();
    std::fs::write(&list_victim, format!("modelreg-ranges v1 {RANGE} {SIZE}\n0\n")).unwrap();
    let part = temp_path(&dest, &entry.digest);
    std::os::unix::fs::symlink(&victim, &part).unwrap();
    std::os::unix::fs::symlink(&list_victim, ranges_path(&part)).unwrap();

    let (result, _) = ranged(&fake, &dest, &entry).await;
    assert_eq!(result.unwrap(), Some(SIZE as u64), "everything fetched: a linked list is not trusted");
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(
        std::fs::read_to_string(&list_victim).unwrap(),
        format!("modelreg-ranges v1 {RANGE} {SIZE}\n0\n")
    );
}
