//! Blob visibility facts and the per-token session cap on both databases.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use modelreg_api::Digest;
use modelreg_server::store::{BlobAccess, MetadataStore, NewFile, NewUpload, NewVersion, TooManyUploads};

use crate::support::{digest_of, manifest};

store_contract!(
    blob_access_lists_the_namespaces_of_live_versions_and_the_callers_grant,
    grants_expire_are_extended_and_are_swept,
    blob_access_answers_for_many_digests_at_once,
    open_sessions_are_capped_per_owner,
);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap() + Duration::seconds(secs)
}

/// Publishes `model@1.0.0` with one file per digest.
async fn publish(store: &Arc<dyn MetadataStore>, model: &str, digests: &[Digest]) {
    let m = manifest(&[("w", b"w")], "MIT");
    let new = NewVersion {
        actor: "ci".into(),
        model: model.parse().unwrap(),
        version: "1.0.0".parse().unwrap(),
        digest: digest_of(model.as_bytes()),
        license: "MIT".into(),
        manifest_json: String::from_utf8(m.canonical_json()).unwrap(),
        files: digests
            .iter()
            .enumerate()
            .map(|(i, d)| NewFile { path: format!("f{i}"), digest: *d, size: 1 })
            .collect(),
        size_bytes: digests.len() as u64,
        published_at: at(0),
        manifest: m,
        facts: Default::default(),
    };
    store.publish_version(&new).await.unwrap();
}

async fn blob_access_lists_the_namespaces_of_live_versions_and_the_callers_grant(
    store: Arc<dyn MetadataStore>,
) {
    let (shared, lone, nothing) = (digest_of(b"shared"), digest_of(b"lone"), digest_of(b"nothing"));
    publish(&store, "team-b/x", &[shared]).await;
    publish(&store, "team-a/y", &[shared, lone]).await;
    publish(&store, "team-a/z", &[shared]).await;
    store.grant_blob(&lone, "ci-a", at(100)).await.unwrap();

    let got = store.blob_access(&[shared, lone, nothing], Some("ci-a"), at(0)).await.unwrap();
    let ns = |d: &Digest| got[d].namespaces.clone();
    assert_eq!(ns(&shared), ["team-a", "team-b"], "distinct and sorted");
    assert!(!got[&shared].granted);
    assert_eq!(got[&lone], BlobAccess { namespaces: vec!["team-a".into()], granted: true });
    assert!(!got.contains_key(&nothing));
    // Another token, and anonymous callers, hold no grant.
    let other = store.blob_access(&[lone], Some("ci-b"), at(0)).await.unwrap();
    assert!(!other[&lone].granted);
    assert!(!store.blob_access(&[lone], None, at(0)).await.unwrap()[&lone].granted);

    // Yanked versions still count; deleted ones do not.
    let actor = "admin";
    store
        .set_yank(&"team-a/y".parse().unwrap(), &"1.0.0".parse().unwrap(), Some("bad"), actor, at(1))
        .await
        .unwrap();
    assert_eq!(store.blob_access(&[lone], None, at(2)).await.unwrap()[&lone].namespaces, ["team-a"]);
    store
        .delete_version(&"team-a/y".parse().unwrap(), &"1.0.0".parse().unwrap(), actor, at(3))
        .await
        .unwrap();
    assert!(!store.blob_access(&[lone], None, at(4)).await.unwrap().contains_key(&lone));
    store.delete_model(&"team-b/x".parse().unwrap(), actor, at(5)).await.unwrap();
    assert_eq!(store.blob_access(&[shared], None, at(6)).await.unwrap()[&shared].namespaces, ["team-a"]);
}

async fn grants_expire_are_extended_and_are_swept(store: Arc<dyn MetadataStore>) {
    let d = digest_of(b"granted");
    store.grant_blob(&d, "ci", at(100)).await.unwrap();
    let granted = |now| {
        let store = store.clone();
        async move { store.blob_access(&[d], Some("ci"), now).await.unwrap().get(&d).is_some_and(|a| a.granted) }
    };
    assert!(granted(at(99)).await);
    assert!(!granted(at(100)).await, "expired at its end");
    store.grant_blob(&d, "ci", at(200)).await.unwrap();
    store.grant_blob(&d, "ci", at(150)).await.unwrap();
    assert!(granted(at(199)).await, "extended, never shortened");
    assert_eq!(store.delete_expired_grants(at(199)).await.unwrap(), 0);
    assert_eq!(store.delete_expired_grants(at(201)).await.unwrap(), 1);
    assert!(!granted(at(0)).await, "swept");
}

async fn blob_access_answers_for_many_digests_at_once(store: Arc<dyn MetadataStore>) {
    // More digests than one query takes: the answer is the same as one by one.
    let digests: Vec<Digest> = (0..1200u32).map(|i| digest_of(&i.to_le_bytes())).collect();
    publish(&store, "acme/many", &digests[..700]).await;
    for d in &digests[700..750] {
        store.grant_blob(d, "ci", at(100)).await.unwrap();
    }
    let got = store.blob_access(&digests, Some("ci"), at(0)).await.unwrap();
    assert_eq!(got.len(), 750);
    assert!(digests[..700].iter().all(|d| got[d].namespaces == ["acme"] && !got[d].granted));
    assert!(digests[700..750].iter().all(|d| got[d].namespaces.is_empty() && got[d].granted));
}

fn upload(id: &str, owner: &str, expires_at: DateTime<Utc>) -> NewUpload {
    NewUpload {
        id: id.into(),
        owner: owner.into(),
        digest: digest_of(id.as_bytes()),
        size: 10,
        part_size: 5 << 20,
        part_count: 1,
        backend_upload_id: None,
        hash_state: vec![0; 8],
        created_at: at(0),
        expires_at,
    }
}

async fn open_sessions_are_capped_per_owner(store: Arc<dyn MetadataStore>) {
    // An expired session does not count.
    store.create_upload(&upload("up_old", "ci", at(-1)), 2).await.unwrap().unwrap();
    store.create_upload(&upload("up_1", "ci", at(100)), 2).await.unwrap().unwrap();
    store.create_upload(&upload("up_2", "ci", at(100)), 2).await.unwrap().unwrap();
    assert_eq!(store.create_upload(&upload("up_3", "ci", at(100)), 2).await.unwrap(), Err(TooManyUploads));
    assert!(store.get_upload("up_3", None).await.unwrap().is_none(), "a refused session is not recorded");
    store.create_upload(&upload("up_4", "other", at(100)), 2).await.unwrap().unwrap();
    assert_eq!(store.get_upload("up_4", None).await.unwrap().unwrap().owner.as_deref(), Some("other"));
    // A completed session no longer counts.
    assert!(store.mark_upload_complete("up_1", at(100)).await.unwrap());
    store.create_upload(&upload("up_5", "ci", at(100)), 2).await.unwrap().unwrap();

    // Concurrent creates never overshoot the cap.
    let tries = (0..8).map(|i| {
        let store = store.clone();
        async move { store.create_upload(&upload(&format!("up_race{i}"), "racer", at(100)), 3).await.unwrap() }
    });
    let made = futures_util::future::join_all(tries).await.into_iter().filter(Result::is_ok).count();
    assert_eq!(made, 3);
}
