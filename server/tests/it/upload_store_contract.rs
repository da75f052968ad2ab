//! The upload-session part of the metadata store: every body runs on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use modelreg_server::store::{HashedPart, MetadataStore, NewUpload, PrefixMoved, UploadPhase};

use crate::support::digest_of;

store_contract!(
    a_session_round_trips_with_its_parts,
    the_hashed_prefix_advances_exactly_once_under_concurrency,
    expired_sessions_are_listed_and_deleted_only_while_expired,
);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::seconds(secs)
}

fn new_upload(id: &str, expires_at: DateTime<Utc>) -> NewUpload {
    NewUpload {
        id: id.into(),
        owner: "t".into(),
        digest: digest_of(id.as_bytes()),
        size: 12 << 20,
        part_size: 5 << 20,
        part_count: 3,
        backend_upload_id: Some("mp-1".into()),
        hash_state: vec![7; 105],
        created_at: at(0),
        expires_at,
    }
}

fn hashed(number: u32, expires_at: DateTime<Utc>) -> HashedPart {
    HashedPart {
        number,
        size: 5 << 20,
        sha256: digest_of(&number.to_le_bytes()),
        state_before: vec![u8::try_from(number - 1).unwrap(); 105],
        hash_state: vec![u8::try_from(number).unwrap(); 105],
        expires_at,
    }
}

async fn a_session_round_trips_with_its_parts(store: Arc<dyn MetadataStore>) {
    let new = new_upload("up_a", at(100));
    store.create_upload(&new, 64).await.unwrap().unwrap();
    let s = store.get_upload("up_a", None).await.unwrap().unwrap();
    assert_eq!((s.digest, s.size, s.part_size, s.part_count), (new.digest, new.size, new.part_size, 3));
    assert_eq!((s.hashed_parts, s.phase, s.parts.len()), (0, UploadPhase::Open, 0));
    assert_eq!((s.backend_upload_id.as_deref(), s.hash_state.as_slice()), (Some("mp-1"), &[7u8; 105][..]));
    assert_eq!((s.created_at, s.expires_at), (at(0), at(100)));

    assert_eq!(store.record_hashed_part("up_a", &hashed(2, at(200))).await.unwrap(), Err(PrefixMoved));
    store.record_hashed_part("up_a", &hashed(1, at(200))).await.unwrap().unwrap();
    store.record_hashed_part("up_a", &hashed(2, at(300))).await.unwrap().unwrap();
    assert!(store.record_stored_part("up_a", 2, "\"etag-2\"").await.unwrap());
    assert!(!store.record_stored_part("up_a", 3, "\"etag-3\"").await.unwrap(), "part 3 is not hashed");

    let s = store.get_upload("up_a", None).await.unwrap().unwrap();
    assert_eq!((s.hashed_parts, s.hash_state.as_slice(), s.expires_at), (2, &[2u8; 105][..], at(300)));
    assert_eq!(s.parts.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(s.stored_parts(), [2]);
    assert_eq!(s.part(1).unwrap().sha256, digest_of(&1u32.to_le_bytes()));
    assert_eq!(s.part(1).unwrap().state_before.as_deref(), Some(&[0u8; 105][..]));
    assert_eq!(s.part(2).unwrap().content_id.as_deref(), Some("\"etag-2\""));

    let one = store.get_upload("up_a", Some(2)).await.unwrap().unwrap();
    assert_eq!(one.parts.iter().map(|p| p.number).collect::<Vec<_>>(), [2]);
    assert!(store.get_upload("up_a", Some(3)).await.unwrap().unwrap().parts.is_empty());

    assert!(store.mark_upload_complete("up_a", at(900)).await.unwrap());
    assert!(!store.mark_upload_complete("up_a", at(900)).await.unwrap(), "only an open session completes");
    let s = store.get_upload("up_a", None).await.unwrap().unwrap();
    assert_eq!((s.phase, s.expires_at), (UploadPhase::Complete, at(900)));
    assert_eq!(store.record_hashed_part("up_a", &hashed(3, at(901))).await.unwrap(), Err(PrefixMoved));

    assert!(store.delete_upload("up_a").await.unwrap());
    assert!(!store.delete_upload("up_a").await.unwrap());
    assert!(store.get_upload("up_a", None).await.unwrap().is_none());
    assert!(store.get_upload("never", Some(1)).await.unwrap().is_none());
}

async fn the_hashed_prefix_advances_exactly_once_under_concurrency(store: Arc<dyn MetadataStore>) {
    store.create_upload(&new_upload("up_race", at(100)), 64).await.unwrap().unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { store.record_hashed_part("up_race", &hashed(1, at(200))).await.unwrap() },
            )
        })
        .collect();
    let mut advanced = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            advanced += 1;
        }
    }
    assert_eq!(advanced, 1);
    let s = store.get_upload("up_race", None).await.unwrap().unwrap();
    assert_eq!((s.hashed_parts, s.parts.len()), (1, 1));
}

async fn expired_sessions_are_listed_and_deleted_only_while_expired(store: Arc<dyn MetadataStore>) {
    for (id, expires) in [("up_old", 10), ("up_older", 5), ("up_new", 1000)] {
        store.create_upload(&new_upload(id, at(expires)), 64).await.unwrap().unwrap();
    }
    store.record_hashed_part("up_old", &hashed(1, at(20))).await.unwrap().unwrap();
    store.mark_upload_complete("up_older", at(6)).await.unwrap();
    let expired = store.expired_uploads(at(50), 10).await.unwrap();
    assert_eq!(expired.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["up_older", "up_old"]);
    assert_eq!(expired[0].phase, UploadPhase::Complete);
    assert_eq!((expired[1].part_count, expired[1].backend_upload_id.as_deref()), (3, Some("mp-1")));
    assert_eq!(store.expired_uploads(at(50), 1).await.unwrap().len(), 1);

    // A part recorded after the listing extends the session: it is no longer deleted.
    store.record_hashed_part("up_old", &hashed(2, at(500))).await.unwrap().unwrap();
    assert!(!store.delete_expired_upload("up_old", at(50)).await.unwrap());
    assert!(store.delete_expired_upload("up_older", at(50)).await.unwrap());
    assert!(!store.delete_expired_upload("up_new", at(50)).await.unwrap());
    assert!(store.delete_expired_upload("up_old", at(501)).await.unwrap());
    let left: Vec<String> =
        store.expired_uploads(at(10_000), 10).await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(left, ["up_new"]);
}
