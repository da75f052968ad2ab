//! The blob store contract: every body runs on a local folder and on S3.

use futures_util::{StreamExt, stream};
use modelreg_server::blob::{BlobError, BlobStore, PART_SIZE, RangeRequest, SINGLE_PUT_MAX};

use crate::support::{body, bytes, digest_of};

macro_rules! blob_contract {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[tokio::test]
            async fn $name() {
                let (blobs, _backing) = crate::support::local_blobs();
                super::$name(blobs).await;
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                let (blobs, _backing) = crate::support::s3_blobs();
                super::$name(blobs).await;
            })*
        }
    };
}

blob_contract!(
    a_small_blob_round_trips,
    a_multipart_blob_round_trips_and_is_verified_on_read,
    a_digest_mismatch_leaves_nothing_visible,
    a_size_mismatch_leaves_nothing_visible,
    an_interrupted_body_leaves_nothing_visible,
    ranged_reads_return_the_requested_bytes,
    prefix_reads_return_at_most_the_first_bytes,
    absent_blobs_are_not_found,
);

async fn read_all(
    blobs: &BlobStore,
    data_digest: &modelreg_api::Digest,
    range: Option<RangeRequest>,
) -> Result<Vec<u8>, BlobError> {
    let mut read = blobs.get(data_digest, range).await?;
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

async fn a_small_blob_round_trips(blobs: BlobStore) {
    let data = bytes(1000, 1);
    let digest = digest_of(&data);
    assert_eq!(blobs.size_of(&digest).await.unwrap(), None);
    blobs.put_verified(&digest, data.len() as u64, body(&data, 300)).await.unwrap();
    assert_eq!(blobs.size_of(&digest).await.unwrap(), Some(1000));
    assert_eq!(read_all(&blobs, &digest, None).await.unwrap(), data);
    // Storing the same content again is harmless.
    blobs.put_verified(&digest, data.len() as u64, body(&data, 1000)).await.unwrap();
    let empty = digest_of(b"");
    blobs.put_verified(&empty, 0, body(b"", 1)).await.unwrap();
    assert_eq!(read_all(&blobs, &empty, None).await.unwrap(), b"");
}

async fn a_multipart_blob_round_trips_and_is_verified_on_read(blobs: BlobStore) {
    let len = usize::try_from(SINGLE_PUT_MAX).unwrap() + 2 * PART_SIZE + 12_345;
    let data = bytes(len, 2);
    let digest = digest_of(&data);
    blobs.put_verified(&digest, len as u64, body(&data, 1 << 20)).await.unwrap();
    assert_eq!(blobs.size_of(&digest).await.unwrap(), Some(len as u64));
    let back = read_all(&blobs, &digest, None).await.unwrap();
    assert!(back == data, "multipart content differs");
}

async fn a_digest_mismatch_leaves_nothing_visible(blobs: BlobStore) {
    for len in [100, usize::try_from(SINGLE_PUT_MAX).unwrap() + 1000] {
        let data = bytes(len, 3);
        let claimed = digest_of(b"something else");
        let err = blobs.put_verified(&claimed, len as u64, body(&data, 1 << 20)).await.unwrap_err();
        assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err}");
        assert_eq!(blobs.size_of(&claimed).await.unwrap(), None, "len {len}");
        assert_eq!(blobs.size_of(&digest_of(&data)).await.unwrap(), None, "len {len}");
    }
}

async fn a_size_mismatch_leaves_nothing_visible(blobs: BlobStore) {
    let data = bytes(5000, 4);
    let digest = digest_of(&data);
    for declared in [4999_u64, 5001, 0] {
        let err = blobs.put_verified(&digest, declared, body(&data, 700)).await.unwrap_err();
        assert!(matches!(err, BlobError::SizeMismatch { .. }), "{err}");
        assert_eq!(blobs.size_of(&digest).await.unwrap(), None);
    }
}

async fn an_interrupted_body_leaves_nothing_visible(blobs: BlobStore) {
    for len in [2000, usize::try_from(SINGLE_PUT_MAX).unwrap() + PART_SIZE + 10] {
        let data = bytes(len, 5);
        let digest = digest_of(&data);
        let half = data[..len / 2].to_vec();
        let broken = stream::iter(vec![
            Ok(bytes::Bytes::from(half)),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "client went away")),
        ]);
        let err = blobs.put_verified(&digest, len as u64, broken).await.unwrap_err();
        assert!(matches!(err, BlobError::Body(_)), "{err}");
        assert_eq!(blobs.size_of(&digest).await.unwrap(), None);
    }
}

async fn ranged_reads_return_the_requested_bytes(blobs: BlobStore) {
    let data = bytes(10_000, 6);
    let digest = digest_of(&data);
    blobs.put_verified(&digest, 10_000, body(&data, 4096)).await.unwrap();
    let from = |start, last| Some(RangeRequest::From { start, last });
    assert_eq!(read_all(&blobs, &digest, from(10, Some(19))).await.unwrap(), &data[10..20]);
    assert_eq!(read_all(&blobs, &digest, from(9_990, None)).await.unwrap(), &data[9_990..]);
    assert_eq!(read_all(&blobs, &digest, Some(RangeRequest::Suffix(5))).await.unwrap(), &data[9_995..]);
    let err = read_all(&blobs, &digest, from(10_000, None)).await.unwrap_err();
    assert!(matches!(err, BlobError::RangeNotSatisfiable { size: 10_000 }), "{err}");
}

async fn prefix_reads_return_at_most_the_first_bytes(blobs: BlobStore) {
    let data = bytes(10_000, 8);
    let digest = digest_of(&data);
    blobs.put_verified(&digest, 10_000, body(&data, 4096)).await.unwrap();
    assert_eq!(blobs.read_prefix(&digest, 100).await.unwrap(), &data[..100]);
    assert_eq!(blobs.read_prefix(&digest, 10_000).await.unwrap(), &data[..]);
    assert_eq!(blobs.read_prefix(&digest, 1 << 40).await.unwrap(), &data[..]);
    assert!(blobs.read_prefix(&digest, 0).await.unwrap().is_empty());
    let empty = digest_of(b"");
    blobs.put_verified(&empty, 0, body(b"", 1)).await.unwrap();
    assert!(blobs.read_prefix(&empty, 64).await.unwrap().is_empty());
    let absent = digest_of(b"never stored either");
    assert!(matches!(blobs.read_prefix(&absent, 64).await, Err(BlobError::NotFound(_))));
}

async fn absent_blobs_are_not_found(blobs: BlobStore) {
    let digest = digest_of(b"never stored");
    assert!(matches!(read_all(&blobs, &digest, None).await, Err(BlobError::NotFound(_))));
    assert!(matches!(
        read_all(&blobs, &digest, Some(RangeRequest::Suffix(1))).await,
        Err(BlobError::NotFound(_))
    ));
    blobs.delete(&digest).await.unwrap();
    blobs.ping().await.unwrap();
}

/// A blob whose stored bytes were altered behind the registry's back fails its read.
#[tokio::test]
async fn a_corrupted_stored_blob_fails_verification_on_read() {
    let dir = tempfile::TempDir::new().unwrap();
    let blobs = modelreg_server::blob::open(&format!("file://{}", dir.path().display()), &Default::default())
        .unwrap();
    let data = bytes(3000, 7);
    let digest = digest_of(&data);
    blobs.put_verified(&digest, 3000, body(&data, 3000)).await.unwrap();
    let on_disk = dir.path().join(modelreg_server::blob::key_for(&digest).as_ref());
    let mut altered = data.clone();
    altered[1500] ^= 0xff;
    std::fs::write(&on_disk, &altered).unwrap();
    let err = read_all(&blobs, &digest, None).await.unwrap_err();
    assert!(matches!(err, BlobError::Corrupt { .. }), "{err}");
}

/// A verified write replaces a stored copy that no longer verifies (or is truncated), on
/// both the single-PUT and the multipart path: re-uploading the right bytes repairs a blob.
async fn a_verified_put_replaces_a_stored_copy_that_does_not_verify(
    url: String,
    options: modelreg_server::blob::S3Options,
) {
    use object_store::{ObjectStoreExt, PutPayload};
    let blobs = modelreg_server::blob::open(&url, &options).unwrap();
    let raw = crate::support::raw_object_store(&url);
    for (len, seed) in [(3000, 50), (usize::try_from(SINGLE_PUT_MAX).unwrap() + 1000, 51)] {
        let data = bytes(len, seed);
        let digest = digest_of(&data);
        for rotten in [
            {
                let mut r = data.clone();
                r[len / 2] ^= 0xff;
                r
            },
            data[..len / 2].to_vec(),
        ] {
            let key = modelreg_server::blob::key_for(&digest);
            raw.put(&key, PutPayload::from(rotten)).await.unwrap();
            assert!(read_all(&blobs, &digest, None).await.is_err(), "len {len}: the planted copy is bad");
            blobs.put_verified(&digest, len as u64, body(&data, 1 << 20)).await.unwrap();
            assert!(read_all(&blobs, &digest, None).await.unwrap() == data, "len {len}: repaired");
        }
    }
}

#[tokio::test]
async fn a_verified_put_replaces_a_bad_copy_in_a_local_folder() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("file://{}", dir.path().display());
    a_verified_put_replaces_a_stored_copy_that_does_not_verify(url, Default::default()).await;
}

#[tokio::test]
async fn a_verified_put_replaces_a_bad_copy_on_s3() {
    let (options, url) = crate::support::s3_options();
    a_verified_put_replaces_a_stored_copy_that_does_not_verify(url, options).await;
}
