//! The metadata store contract: every body runs on SQLite and on PostgreSQL.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use modelreg_api::{Digest, ModelName, Version};
use modelreg_server::store::{MetadataStore, NewFile, NewToken, NewVersion, PublishOutcome, Scope};

use crate::support::digest_of;

store_contract!(
    publishing_creates_a_version_and_its_model,
    republishing_the_same_digest_is_identical_and_a_different_one_conflicts,
    concurrent_publishes_of_one_version_create_it_exactly_once,
    versions_are_listed_and_fetched_per_model,
    unknown_models_and_versions_are_absent,
    tokens_are_found_by_hash_and_names_are_unique,
);

fn name(s: &str) -> ModelName {
    s.parse().unwrap()
}

fn new_version(model: &str, version: &str, seed: &str) -> NewVersion {
    let digest = digest_of(seed.as_bytes());
    NewVersion {
        actor: "test".into(),
        model: name(model),
        version: version.parse().unwrap(),
        digest,
        license: "MIT".into(),
        manifest_json: format!(r#"{{"files":[],"metadata":{{"license":"MIT","seed":"{seed}"}}}}"#),
        files: vec![
            NewFile { path: "a.bin".into(), digest: digest_of(b"a"), size: 1 },
            NewFile { path: "dir/b.bin".into(), digest: digest_of(b"b"), size: 1 },
        ],
        size_bytes: 2,
        published_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        manifest: crate::support::manifest(&[("a.bin", b"a"), ("dir/b.bin", b"b")], "MIT"),
        facts: Default::default(),
    }
}

async fn publishing_creates_a_version_and_its_model(store: Arc<dyn MetadataStore>) {
    let v = new_version("acme/bert", "1.0.0", "one");
    assert_eq!(store.publish_version(&v).await.unwrap(), PublishOutcome::Created);
    let model = store.get_model(&v.model).await.unwrap().unwrap();
    assert_eq!(model.name, v.model);
    assert_eq!(model.created_at, v.published_at);
    let detail = store.get_version(&v.model, &v.version).await.unwrap().unwrap();
    assert_eq!(detail.record.digest, v.digest);
    assert_eq!(detail.record.file_count, 2);
    assert_eq!(detail.record.size_bytes, 2);
    assert_eq!(detail.record.published_at, v.published_at);
    let stored: serde_json::Value = serde_json::from_str(&detail.manifest_json).unwrap();
    assert_eq!(stored["metadata"]["seed"], "one");
}

async fn republishing_the_same_digest_is_identical_and_a_different_one_conflicts(
    store: Arc<dyn MetadataStore>,
) {
    let v = new_version("acme/bert", "1.0.0", "one");
    assert_eq!(store.publish_version(&v).await.unwrap(), PublishOutcome::Created);
    assert_eq!(store.publish_version(&v).await.unwrap(), PublishOutcome::Identical);
    let other = new_version("acme/bert", "1.0.0", "two");
    assert_eq!(store.publish_version(&other).await.unwrap(), PublishOutcome::Conflict { existing: v.digest });
    let detail = store.get_version(&v.model, &v.version).await.unwrap().unwrap();
    assert_eq!(detail.record.digest, v.digest, "the first content stays");
}

async fn concurrent_publishes_of_one_version_create_it_exactly_once(store: Arc<dyn MetadataStore>) {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            // Half publish one content, half another.
            let v = new_version("acme/race", "2.0.0", if i % 2 == 0 { "even" } else { "odd" });
            tokio::spawn(async move { (v.digest, store.publish_version(&v).await.unwrap()) })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let created: Vec<Digest> =
        outcomes.iter().filter(|(_, o)| *o == PublishOutcome::Created).map(|(d, _)| *d).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = created[0];
    for (digest, outcome) in &outcomes {
        match outcome {
            PublishOutcome::Created => {}
            PublishOutcome::Identical => assert_eq!(*digest, winner),
            PublishOutcome::Conflict { existing } => {
                assert_ne!(*digest, winner);
                assert_eq!(*existing, winner);
            }
            PublishOutcome::Tombstoned => panic!("nothing was deleted"),
        }
    }
    let versions = store.list_versions(&name("acme/race")).await.unwrap();
    assert_eq!(versions.len(), 1);
}

async fn versions_are_listed_and_fetched_per_model(store: Arc<dyn MetadataStore>) {
    for (model, version) in
        [("acme/a", "1.0.0"), ("acme/a", "1.10.0"), ("acme/a", "1.2.0-rc.1"), ("acme/b", "3.0.0")]
    {
        let v = new_version(model, version, &format!("{model}{version}"));
        assert_eq!(store.publish_version(&v).await.unwrap(), PublishOutcome::Created);
    }
    let mut listed: Vec<Version> =
        store.list_versions(&name("acme/a")).await.unwrap().into_iter().map(|r| r.version).collect();
    listed.sort();
    let expected: Vec<Version> =
        ["1.0.0", "1.2.0-rc.1", "1.10.0"].iter().map(|s| s.parse().unwrap()).collect();
    assert_eq!(listed, expected);
    let b = store.get_version(&name("acme/b"), &"3.0.0".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(b.record.version.to_string(), "3.0.0");
    assert!(store.get_version(&name("acme/b"), &"1.0.0".parse().unwrap()).await.unwrap().is_none());
}

async fn unknown_models_and_versions_are_absent(store: Arc<dyn MetadataStore>) {
    assert!(store.get_model(&name("nobody/nothing")).await.unwrap().is_none());
    assert!(store.list_versions(&name("nobody/nothing")).await.unwrap().is_empty());
    assert!(store.get_version(&name("nobody/nothing"), &Version::new(1, 0, 0)).await.unwrap().is_none());
    store.ping().await.unwrap();
}

async fn tokens_are_found_by_hash_and_names_are_unique(store: Arc<dyn MetadataStore>) {
    let token = NewToken {
        name: "ci".into(),
        scope: Scope::Write,
        token_hash: "ab".repeat(32),
        namespaces: vec!["acme".parse().unwrap()],
        created_by: "test".into(),
        created_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        expires_at: None,
    };
    assert_eq!(store.create_token(&token).await.unwrap(), Ok(()));
    let again = NewToken { token_hash: "cd".repeat(32), ..token.clone() };
    assert!(store.create_token(&again).await.unwrap().is_err(), "names are unique");
    let found = store.find_token(&token.token_hash).await.unwrap().unwrap();
    assert_eq!((found.name.as_str(), found.scope), ("ci", Scope::Write));
    assert!(found.revoked_at.is_none() && found.expires_at.is_none());
    assert!(store.find_token(&"ef".repeat(32)).await.unwrap().is_none());
}

/// SQLite's own lookup indexes (migrations 0022 and 0023; PostgreSQL serves the same lookups
/// from its trigram and GIN indexes), with the shadow tables of the full-text one.
const SQLITE_ONLY_TABLES: &[&str] = &["version_search", "version_terms", "version_term_counts"];

/// PostgreSQL's own lookup column (migration 0027: each model's terms, for finding candidate
/// models through a GIN index; SQLite starts from its rarest term's versions instead). A
/// column of `models`, not a table of its own: the planner then chooses between the name
/// index and the terms index for a walk in name order; across a join to a side table it
/// hashed a sequential scan of all models instead (measured slower at a million versions).
const POSTGRES_ONLY_COLUMNS: &[(&str, &str)] = &[("models", "terms")];

/// Both dialects' migrations have the same versions and produce the same tables and columns,
/// apart from [`SQLITE_ONLY_TABLES`] and [`POSTGRES_ONLY_COLUMNS`].
#[tokio::test]
async fn migrations_are_in_lockstep_across_dialects() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let names = |dialect: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root.join(dialect))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("postgres"), names("sqlite"), "same migration files in both dialects");

    let dir = tempfile::TempDir::new().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("t.db").display());
    modelreg_server::store::open(&sqlite_url, None).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&sqlite_url).await.unwrap();
    let mut sqlite_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    sqlite_columns.retain(|(table, _)| {
        !SQLITE_ONLY_TABLES
            .iter()
            .any(|own| table == own || table.strip_prefix(own).is_some_and(|rest| rest.starts_with('_')))
    });

    let db = modelreg_testkit::postgres_db().await;
    modelreg_server::store::open(&db.url(), Some(1)).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
    let mut pg_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    pg_columns.retain(|(table, column)| !POSTGRES_ONLY_COLUMNS.contains(&(table.as_str(), column.as_str())));

    sqlite_columns.sort();
    pg_columns.sort();
    assert!(!pg_columns.is_empty());
    assert_eq!(sqlite_columns, pg_columns);
}
