//! Upload sessions end to end below HTTP: every body runs on a local folder (with SQLite)
//! and on S3 (with PostgreSQL), each time through registries that share one database and one
//! blob store, as replicas or a restarted server do.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use modelreg_api::Digest;
use modelreg_server::blob::{self, BlobStore, S3Options};
use modelreg_server::service::{Registry, RegistryError, UploadOpened, UploadSettings};
use modelreg_server::store::{self, UploadRecord};
use modelreg_testkit::PgTestDb;
use object_store::multipart::MultipartStore;
use object_store::{PutPayload, path::Path};
use tempfile::TempDir;

use crate::support::{body, bytes, default_policy, digest_of, root, s3_options};

macro_rules! upload_contract {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Shared::local().await).await;
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Shared::s3().await).await;
            })*
        }
    };
}

upload_contract!(
    a_blob_sent_in_parts_is_stored_with_the_right_bytes,
    a_digest_mismatch_aborts_the_session_and_leaves_nothing,
    a_repeated_part_is_idempotent_and_other_content_conflicts,
    wrong_part_numbers_and_lengths_are_refused,
    parts_ahead_of_the_hashed_prefix_are_refused,
    another_replica_continues_and_completes_a_session,
    stale_sessions_are_aborted_by_gc,
    completing_early_lists_the_missing_parts_and_completing_twice_is_harmless,
    a_blob_the_caller_can_see_needs_no_session_and_a_hidden_one_gets_one,
    a_session_belongs_to_the_token_that_opened_it,
    open_sessions_per_token_are_capped,
    completing_a_session_replaces_a_stored_copy_that_does_not_verify,
);

pub const MIB: usize = 1 << 20;
/// Three parts: 5 MiB, 5 MiB, and the rest.
const LEN: usize = 12 * MIB + 4321;

/// One database and one blob store, for as many registries as a test wants.
pub struct Shared {
    meta_url: String,
    blobs_url: String,
    s3: S3Options,
    dir: TempDir,
    _pg: Option<PgTestDb>,
}

impl Shared {
    pub async fn local() -> Self {
        let dir = TempDir::new().unwrap();
        Self {
            meta_url: format!("sqlite://{}", dir.path().join("t.db").display()),
            blobs_url: format!("file://{}", dir.path().join("blobs").display()),
            s3: S3Options::default(),
            dir,
            _pg: None,
        }
    }

    pub async fn s3() -> Self {
        let (s3, blobs_url) = s3_options();
        let pg = modelreg_testkit::postgres_db().await;
        Self { meta_url: pg.url(), blobs_url, s3, dir: TempDir::new().unwrap(), _pg: Some(pg) }
    }

    fn is_s3(&self) -> bool {
        self.blobs_url.starts_with("s3://")
    }

    pub fn blobs(&self) -> BlobStore {
        blob::open(&self.blobs_url, &self.s3).unwrap()
    }

    /// A new registry (its own pool and clients) over the shared database and store.
    pub async fn registry(&self) -> Registry {
        let meta = store::open(&self.meta_url, Some(4)).await.unwrap();
        let settings = UploadSettings {
            part_size: 5 << 20,
            session_ttl: Duration::from_secs(3600),
            ..Default::default()
        };
        Registry::new(meta, self.blobs(), default_policy()).with_upload_settings(settings)
    }

    /// The raw object store under the blob store, to plant bytes the registry never checked.
    fn raw(&self) -> Arc<dyn object_store::ObjectStore> {
        crate::support::raw_object_store(&self.blobs_url)
    }

    /// Writes `bytes` at `digest`'s key without any check, as a corrupted disk would.
    async fn raw_put(&self, digest: &Digest, bytes: Vec<u8>) {
        use object_store::ObjectStoreExt;
        self.raw().put(&blob::key_for(digest), PutPayload::from(bytes)).await.unwrap();
    }

    /// Whether the backend still holds anything of session `s`: on S3, whether its multipart
    /// upload still takes parts; elsewhere, whether staged parts are left.
    async fn backend_holds(&self, s: &UploadRecord) -> bool {
        if !self.is_s3() {
            let staged = self.dir.path().join("blobs/uploads").join(&s.id);
            return std::fs::read_dir(staged).is_ok_and(|mut d| d.next().is_some());
        }
        let settings = modelreg_testkit::s3_settings();
        let prefix = self.blobs_url.trim_start_matches("s3://").split_once('/').map_or("", |(_, p)| p);
        let s3 = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_endpoint(&settings.endpoint)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_allow_http(true)
            .build()
            .unwrap();
        let key = Path::from(format!("{prefix}/{}", blob::key_for(&s.digest)));
        let id = s.backend_upload_id.clone().expect("an S3 session has a multipart id");
        // Part 10,000 is never listed by a complete, so probing with it changes nothing.
        s3.put_part(&key, &id, 9_999, PutPayload::from_static(b"x")).await.is_ok()
    }
}

fn open(opened: UploadOpened) -> UploadRecord {
    match opened {
        UploadOpened::Open(s) => s,
        other => panic!("expected a new session, got {other:?}"),
    }
}

pub fn part_of(data: &[u8], s: &UploadRecord, n: u32) -> Vec<u8> {
    let r = s.layout().range(n).unwrap();
    data[usize::try_from(r.start).unwrap()..usize::try_from(r.end).unwrap()].to_vec()
}

async fn send(r: &Registry, s: &UploadRecord, data: &[u8], n: u32) -> Result<(), RegistryError> {
    let part = part_of(data, s, n);
    r.upload_part(&root(), &s.id, n, part.len() as u64, body(&part, 256 * 1024)).await.map(|_| ())
}

async fn read_all(blobs: &BlobStore, digest: &Digest) -> Vec<u8> {
    let mut read = blobs.get(digest, None).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn a_blob_sent_in_parts_is_stored_with_the_right_bytes(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 21);
    let digest = digest_of(&data);
    let s = open(r.create_upload(&root(), digest, LEN as u64).await.unwrap());
    assert_eq!((s.part_size, s.part_count), (5 << 20, 3));
    assert!(s.id.starts_with("up_") && s.id.len() == 35, "{}", s.id);
    for n in 1..=3 {
        send(&r, &s, &data, n).await.unwrap();
        assert_eq!(
            r.upload_status(&root(), &s.id).await.unwrap().stored_parts(),
            (1..=n).collect::<Vec<_>>()
        );
    }
    assert_eq!(shared.blobs().size_of(&digest).await.unwrap(), None, "nothing visible before complete");
    let done = r.complete_upload(&root(), &s.id).await.unwrap();
    assert!(done.created);
    assert_eq!(shared.blobs().size_of(&digest).await.unwrap(), Some(LEN as u64));
    assert!(read_all(&shared.blobs(), &digest).await == data, "stored bytes differ");
    assert!(!shared.backend_holds(&s).await, "nothing of the session is left behind");
}

async fn a_digest_mismatch_aborts_the_session_and_leaves_nothing(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 22);
    let claimed = digest_of(b"not these bytes");
    let s = open(r.create_upload(&root(), claimed, LEN as u64).await.unwrap());
    for n in 1..=3 {
        send(&r, &s, &data, n).await.unwrap();
    }
    assert!(shared.backend_holds(&s).await);
    let err = r.complete_upload(&root(), &s.id).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::DigestMismatch { actual, .. } if actual == digest_of(&data)),
        "{err}"
    );
    let blobs = shared.blobs();
    assert_eq!(blobs.size_of(&claimed).await.unwrap(), None);
    assert_eq!(blobs.size_of(&digest_of(&data)).await.unwrap(), None);
    assert!(!shared.backend_holds(&s).await, "the backend upload is aborted");
    assert!(matches!(r.upload_status(&root(), &s.id).await, Err(RegistryError::UploadNotFound(_))));
}

async fn a_repeated_part_is_idempotent_and_other_content_conflicts(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 23);
    let s = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    send(&r, &s, &data, 1).await.unwrap();
    send(&r, &s, &data, 1).await.unwrap();
    let mut other = part_of(&data, &s, 1);
    other[100] ^= 1;
    let err = r.upload_part(&root(), &s.id, 1, other.len() as u64, body(&other, 4096)).await.unwrap_err();
    assert!(matches!(err, RegistryError::PartConflict { part: 1 }), "{err}");
    for n in 2..=3 {
        send(&r, &s, &data, n).await.unwrap();
    }
    send(&r, &s, &data, 2).await.unwrap();
    assert_eq!(r.upload_status(&root(), &s.id).await.unwrap().stored_parts(), [1, 2, 3]);
    r.complete_upload(&root(), &s.id).await.unwrap();
    assert!(read_all(&shared.blobs(), &digest_of(&data)).await == data);
    // Even after completion a retried part is answered, not refused.
    send(&r, &s, &data, 3).await.unwrap();
}

async fn wrong_part_numbers_and_lengths_are_refused(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 24);
    let s = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    let part = part_of(&data, &s, 1);
    for n in [0, 4] {
        let err = r.upload_part(&root(), &s.id, n, 10, body(&part[..10], 10)).await.unwrap_err();
        assert!(
            matches!(
                err,
                RegistryError::Invalid { code: modelreg_server::service::InvalidCode::InvalidPart, .. }
            ),
            "{err}"
        );
    }
    let err =
        r.upload_part(&root(), &s.id, 1, part.len() as u64 - 1, body(&part[1..], 4096)).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Invalid { code: modelreg_server::service::InvalidCode::InvalidPart, .. }
        ),
        "{err}"
    );
    let err = r.upload_part(&root(), &s.id, 1, part.len() as u64 + 1, body(&part, 4096)).await.unwrap_err();
    assert!(matches!(err, RegistryError::PartTooLarge { part: 1, .. }), "{err}");
    // A body shorter than its declared length is an interrupted body, and nothing is taken.
    let err = r.upload_part(&root(), &s.id, 1, part.len() as u64, body(&part[1..], 4096)).await.unwrap_err();
    assert!(matches!(err, RegistryError::SizeMismatch { .. }), "{err}");
    let err =
        r.upload_part(&root(), "up_00000000000000000000000000000000", 1, 1, body(b"x", 1)).await.unwrap_err();
    assert!(matches!(err, RegistryError::UploadNotFound(_)), "{err}");
    let err = r.upload_part(&root(), "../../etc", 1, 1, body(b"x", 1)).await.unwrap_err();
    assert!(matches!(err, RegistryError::UploadNotFound(_)), "{err}");
    let s = r.upload_status(&root(), &s.id).await.unwrap();
    assert!(s.parts.is_empty() && s.hashed_parts == 0, "{s:?}");
}

async fn parts_ahead_of_the_hashed_prefix_are_refused(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 25);
    let s = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    let err = send(&r, &s, &data, 2).await.unwrap_err();
    assert!(matches!(err, RegistryError::PartOutOfOrder { part: 2, next: 1 }), "{err}");
    send(&r, &s, &data, 1).await.unwrap();
    let err = send(&r, &s, &data, 3).await.unwrap_err();
    assert!(matches!(err, RegistryError::PartOutOfOrder { part: 3, next: 2 }), "{err}");
    send(&r, &s, &data, 2).await.unwrap();
    send(&r, &s, &data, 3).await.unwrap();
    assert!(r.complete_upload(&root(), &s.id).await.unwrap().created);
}

async fn another_replica_continues_and_completes_a_session(shared: Shared) {
    let data = bytes(LEN, 26);
    let digest = digest_of(&data);
    let s = {
        let first = shared.registry().await;
        let s = open(first.create_upload(&root(), digest, LEN as u64).await.unwrap());
        send(&first, &s, &data, 1).await.unwrap();
        s
    };
    let second = shared.registry().await;
    let third = Arc::new(shared.registry().await);
    assert_eq!(second.upload_status(&root(), &s.id).await.unwrap().stored_parts(), [1]);
    send(&second, &s, &data, 2).await.unwrap();
    send(&third, &s, &data, 3).await.unwrap();
    // Two replicas complete at once: both succeed.
    let me = root();
    let (a, b) = tokio::join!(second.complete_upload(&me, &s.id), third.complete_upload(&me, &s.id));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.created || b.created, "{a:?} {b:?}");
    assert!(read_all(&shared.blobs(), &digest).await == data);
}

async fn stale_sessions_are_aborted_by_gc(shared: Shared) {
    let r = shared.registry().await;
    assert_eq!(
        r.abort_stale_uploads(chrono::Utc::now()).await.unwrap(),
        0,
        "a fresh store has nothing to do"
    );
    let data = bytes(LEN, 27);
    let stale = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    send(&r, &stale, &data, 1).await.unwrap();
    let fresh = open(r.create_upload(&root(), digest_of(b"other"), 5).await.unwrap());
    assert_eq!(r.abort_stale_uploads(chrono::Utc::now()).await.unwrap(), 0);
    let later = stale.expires_at + chrono::Duration::seconds(3600);
    assert_eq!(r.abort_stale_uploads(later).await.unwrap(), 2);
    for s in [&stale, &fresh] {
        assert!(matches!(r.upload_status(&root(), &s.id).await, Err(RegistryError::UploadNotFound(_))));
    }
    assert!(!shared.backend_holds(&stale).await, "the stale upload is aborted in the backend");
    assert_eq!(shared.blobs().size_of(&digest_of(&data)).await.unwrap(), None);
}

async fn completing_early_lists_the_missing_parts_and_completing_twice_is_harmless(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 28);
    let s = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    send(&r, &s, &data, 1).await.unwrap();
    let err = r.complete_upload(&root(), &s.id).await.unwrap_err();
    assert!(matches!(&err, RegistryError::UploadIncomplete { missing } if missing == &[2, 3]), "{err}");
    send(&r, &s, &data, 2).await.unwrap();
    send(&r, &s, &data, 3).await.unwrap();
    assert!(r.complete_upload(&root(), &s.id).await.unwrap().created);
    let again = r.complete_upload(&root(), &s.id).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.size, LEN as u64);
    r.abort_upload(&root(), &s.id).await.unwrap();
    assert_eq!(shared.blobs().size_of(&digest_of(&data)).await.unwrap(), Some(LEN as u64), "the blob stays");
}

async fn a_blob_the_caller_can_see_needs_no_session_and_a_hidden_one_gets_one(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(3000, 29);
    let digest = digest_of(&data);
    r.upload_blob(&root(), digest, 3000, body(&data, 1000)).await.unwrap();
    assert_eq!(
        r.create_upload(&root(), digest, 3000).await.unwrap(),
        UploadOpened::Exists { digest, size: 3000 }
    );
    // Another token cannot see it: it gets a session, as for a blob nobody stored, and no
    // size check against the stored copy tells it the blob exists.
    let opened = r.create_upload(&other(), digest, 3001).await.unwrap();
    assert!(matches!(opened, UploadOpened::Open(_)), "{opened:?}");
    let err = r.create_upload(&root(), digest, 3001).await.unwrap_err();
    assert!(matches!(err, RegistryError::SizeMismatch { expected: 3000, actual: 3001 }), "{err}");
    let err = r.create_upload(&root(), digest_of(b""), 0).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Invalid { code: modelreg_server::service::InvalidCode::InvalidSize, .. }
        ),
        "{err}"
    );
    let err = r.create_upload(&root(), digest_of(b"huge"), 2 << 30).await.unwrap_err();
    assert!(matches!(err, RegistryError::BlobTooLarge { .. }), "{err}");
}

/// Another write token, unlimited, that uploaded nothing.
fn other() -> modelreg_server::service::Principal {
    modelreg_server::service::Principal { token_name: "other".into(), ..root() }
}

async fn a_session_belongs_to_the_token_that_opened_it(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 33);
    let s = open(r.create_upload(&root(), digest_of(&data), LEN as u64).await.unwrap());
    let part = part_of(&data, &s, 1);
    let not_found = |e: RegistryError| assert!(matches!(e, RegistryError::UploadNotFound(_)), "{e}");
    not_found(r.upload_part(&other(), &s.id, 1, part.len() as u64, body(&part, 1 << 20)).await.unwrap_err());
    not_found(r.upload_status(&other(), &s.id).await.unwrap_err());
    not_found(r.complete_upload(&other(), &s.id).await.unwrap_err());
    not_found(r.abort_upload(&other(), &s.id).await.unwrap_err());
    // None of it touched the session: its owner carries on.
    assert!(r.upload_status(&root(), &s.id).await.unwrap().parts.is_empty());
    for n in 1..=3 {
        send(&r, &s, &data, n).await.unwrap();
    }
    assert!(r.complete_upload(&root(), &s.id).await.unwrap().created);
}

async fn open_sessions_per_token_are_capped(shared: Shared) {
    let meta = store::open(&shared.meta_url, Some(4)).await.unwrap();
    let settings =
        UploadSettings { part_size: 5 << 20, session_ttl: Duration::from_secs(3600), max_open_per_token: 2 };
    let r = Registry::new(meta, shared.blobs(), default_policy()).with_upload_settings(settings);
    let a = open(r.create_upload(&root(), digest_of(b"a"), 10).await.unwrap());
    open(r.create_upload(&root(), digest_of(b"b"), 10).await.unwrap());
    let err = r.create_upload(&root(), digest_of(b"c"), 10).await.unwrap_err();
    assert!(matches!(err, RegistryError::TooManyUploads { max: 2, .. }), "{err}");
    // The cap is per token, and an ended session frees its place.
    open(r.create_upload(&other(), digest_of(b"c"), 10).await.unwrap());
    r.abort_upload(&root(), &a.id).await.unwrap();
    open(r.create_upload(&root(), digest_of(b"c"), 10).await.unwrap());
}

async fn completing_a_session_replaces_a_stored_copy_that_does_not_verify(shared: Shared) {
    let r = shared.registry().await;
    let data = bytes(LEN, 34);
    let digest = digest_of(&data);
    // A copy that no longer verifies sits at the digest's key (a bit flipped on disk).
    let mut rotten = data.clone();
    rotten[LEN / 2] ^= 0xff;
    shared.raw_put(&digest, rotten).await;
    let s = open(r.create_upload(&root(), digest, LEN as u64).await.unwrap());
    for n in 1..=3 {
        send(&r, &s, &data, n).await.unwrap();
    }
    assert!(r.complete_upload(&root(), &s.id).await.unwrap().created, "new to this token");
    assert!(read_all(&shared.blobs(), &digest).await == data, "the verified bytes replaced the rotten copy");
}
