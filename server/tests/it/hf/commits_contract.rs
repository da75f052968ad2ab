//! Commit ids in the store (migration 0016): written at publish, resolved through the index
//! per model, and filled at start-up for versions that predate the column.

use std::sync::Arc;

use chrono::Utc;
use modelreg_api::{CommitId, ModelName, Version};
use modelreg_server::store::{self, MetadataStore, NewFile, NewVersion, PublishOutcome};

use crate::support::digest_of;

store_contract!(a_published_version_resolves_by_its_commit_id_within_its_model_only);

fn new_version(model: &str, version: &str, seed: &str) -> NewVersion {
    NewVersion {
        actor: "test".into(),
        model: model.parse().unwrap(),
        version: version.parse().unwrap(),
        digest: digest_of(seed.as_bytes()),
        license: "MIT".into(),
        manifest_json: r#"{"files":[],"metadata":{"license":"MIT"}}"#.into(),
        files: vec![NewFile { path: "a.bin".into(), digest: digest_of(b"a"), size: 1 }],
        size_bytes: 1,
        published_at: Utc::now(),
        manifest: crate::support::manifest(&[("a.bin", b"a")], "MIT"),
        facts: Default::default(),
    }
}

fn commit(v: &NewVersion) -> CommitId {
    CommitId::of(&v.model, &v.version, &v.digest)
}

async fn a_published_version_resolves_by_its_commit_id_within_its_model_only(store: Arc<dyn MetadataStore>) {
    let one = new_version("acme/bert", "1.0.0", "one");
    let two = new_version("acme/bert", "1.1.0", "two");
    let other = new_version("acme/other", "1.0.0", "one");
    for v in [&one, &two, &other] {
        assert_eq!(store.publish_version(v).await.unwrap(), PublishOutcome::Created);
    }
    let bert: ModelName = "acme/bert".parse().unwrap();
    let found = store.version_for_commit(&bert, &commit(&one)).await.unwrap();
    assert_eq!(found, Some("1.0.0".parse::<Version>().unwrap()));
    assert_eq!(store.version_for_commit(&bert, &commit(&two)).await.unwrap().unwrap().to_string(), "1.1.0");
    assert_eq!(
        store.version_for_commit(&bert, &commit(&other)).await.unwrap(),
        None,
        "another model's commit"
    );
    let unknown: CommitId = "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
    assert_eq!(store.version_for_commit(&bert, &unknown).await.unwrap(), None);
    assert_eq!(store.fill_missing_commit_ids().await.unwrap(), 0, "publish wrote every commit id");
}

#[tokio::test]
async fn versions_published_before_the_column_get_their_commit_id_when_the_store_opens() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let v = new_version("acme/bert", "1.0.0", "one");
    {
        let store = store::open(&url, None).await.unwrap();
        store.publish_version(&v).await.unwrap();
    }
    // What a database migrated to 0016 holds for a version published before it.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE versions SET commit_id = NULL").execute(&pool).await.unwrap();
    pool.close().await;
    let store = store::open(&url, None).await.unwrap();
    let found = store.version_for_commit(&v.model, &commit(&v)).await.unwrap();
    assert_eq!(found, Some(v.version.clone()), "the store filled the id when it opened");
    assert_eq!(store.fill_missing_commit_ids().await.unwrap(), 0);
}
