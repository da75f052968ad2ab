//! The start-up refresh of effective licences that migration 0011 left waiting, on a SQLite
//! file: a chain whose answers were reset as the migration leaves them gets them back.

use chrono::Utc;
use modelreg_api::{Digest, FileEntry, Manifest, Metadata};

use super::LineageStore;
use crate::store::{CatalogStore, NewFile, NewVersion, SqliteStore};

fn version(model: &str, i: u64, metadata: serde_json::Value) -> NewVersion {
    let digest: Digest = format!("sha256:{i:064x}").parse().unwrap();
    let metadata: Metadata = serde_json::from_value(metadata).unwrap();
    let license = metadata.license.to_string();
    let manifest = Manifest {
        files: vec![FileEntry { path: "w.bin".parse().unwrap(), digest, size: 1 }],
        metadata,
        override_derived: Default::default(),
    };
    NewVersion {
        actor: "test".into(),
        model: model.parse().unwrap(),
        version: "1.0.0".parse().unwrap(),
        digest,
        license,
        manifest_json: String::from_utf8(manifest.canonical_json()).unwrap(),
        files: vec![NewFile { path: "w.bin".into(), digest, size: 1 }],
        size_bytes: 1,
        published_at: Utc::now(),
        manifest,
        facts: Default::default(),
    }
}

#[tokio::test]
async fn versions_left_stale_by_the_migration_get_their_effective_licence_at_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    let store = SqliteStore::connect(&url, Some(2)).await.unwrap();
    let chain = [
        ("meta/llama-3", serde_json::json!({ "license": "LicenseRef-llama3" })),
        (
            "acme/ft",
            serde_json::json!({ "license": "Apache-2.0", "base_model": { "model": "meta/llama-3" } }),
        ),
        ("acme/ft-q4", serde_json::json!({ "license": "MIT", "base_model": { "model": "acme/ft" } })),
    ];
    // Published leaf first, so that the refresh meets a child before its parent.
    for (i, (model, metadata)) in chain.iter().enumerate().rev() {
        store.publish_version(&version(model, i as u64, metadata.clone())).await.unwrap();
    }
    let reset = "UPDATE versions SET effective_license_class = 'unknown', effective_commercial_use = 'unknown', \
                 license_conflicts = '[]', has_license_conflicts = 0, effective_stale = 1 \
                 WHERE base_namespace IS NOT NULL";
    sqlx::query(reset).execute(&store.pool).await.unwrap();
    let read = |model: &'static str| {
        let store = &store;
        async move {
            let d =
                store.get_version(&model.parse().unwrap(), &"1.0.0".parse().unwrap()).await.unwrap().unwrap();
            (d.effective_license.class.as_str(), d.effective_license.conflicts.len())
        }
    };
    assert_eq!(read("acme/ft-q4").await, ("unknown", 0));

    assert_eq!(store.refresh_stale_effective_licenses().await.unwrap(), 2);
    assert_eq!(read("acme/ft").await, ("restricted_use", 1));
    assert_eq!(read("acme/ft-q4").await, ("restricted_use", 1));
    assert_eq!(store.refresh_stale_effective_licenses().await.unwrap(), 0, "nothing is left waiting");
}
