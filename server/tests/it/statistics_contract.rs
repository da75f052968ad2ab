//! Planner statistics: tables that have rows but were never analysed get analysed (at start,
//! and whenever `ensure_statistics` runs), once; empty tables and analysed ones are left
//! alone. Every body runs on SQLite and on PostgreSQL.

use std::sync::Arc;

use chrono::Utc;
use modelreg_server::store::{MetadataStore, NewFile, NewVersion, PublishOutcome};

use crate::support::digest_of;

store_contract!(tables_with_rows_but_no_statistics_are_analysed_once);

fn tables(analysed: &[modelreg_server::store::AnalysedTable]) -> Vec<&str> {
    analysed.iter().map(|t| t.table.as_str()).collect()
}

async fn tables_with_rows_but_no_statistics_are_analysed_once(store: Arc<dyn MetadataStore>) {
    // Opening the store ran a pass already: nothing with rows is left without statistics.
    let again = store.ensure_statistics().await.unwrap();
    assert!(again.is_empty(), "opening analysed what needed it: {:?}", tables(&again));

    let digest = digest_of(b"stats");
    let version = NewVersion {
        actor: "test".into(),
        model: "acme/stats".parse().unwrap(),
        version: "1.0.0".parse().unwrap(),
        digest,
        license: "MIT".into(),
        manifest_json: r#"{"files":[],"metadata":{"license":"MIT"}}"#.into(),
        files: vec![NewFile { path: "a.bin".into(), digest: digest_of(b"a"), size: 1 }],
        size_bytes: 1,
        published_at: Utc::now(),
        manifest: crate::support::manifest(&[("a.bin", b"a")], "MIT"),
        facts: Default::default(),
    };
    assert_eq!(store.publish_version(&version).await.unwrap(), PublishOutcome::Created);

    // A bulk load (here: the first rows of these tables) leaves them without statistics.
    let analysed = store.ensure_statistics().await.unwrap();
    let names = tables(&analysed);
    for table in ["models", "versions", "version_files"] {
        assert!(names.contains(&table), "{table} was analysed: {names:?}");
    }
    assert!(!names.contains(&"upload_sessions"), "an empty table is left alone: {names:?}");
    let again = store.ensure_statistics().await.unwrap();
    assert!(again.is_empty(), "analysed tables are not analysed again: {:?}", tables(&again));
}
