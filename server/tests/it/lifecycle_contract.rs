//! Access and lifecycle on both databases: aliases with history, yank, delete with
//! tombstones, audit entries written with each change, tokens, and the GC/publish locks.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use modelreg_api::{AliasName, ModelName, Version};
use modelreg_server::store::{
    AliasOutcome, AuditFilter, GcClaim, MetadataStore, NewFile, NewToken, NewVersion, PublishOutcome, Scope,
};

use crate::support::{digest_of, manifest};

store_contract!(
    aliases_move_and_keep_their_history,
    yanked_versions_refuse_aliases_unless_forced,
    deleted_versions_leave_tombstones_that_block_republishing,
    every_state_change_is_audited,
    the_audit_can_be_limited_to_namespaces_keeping_token_entries,
    tokens_carry_namespaces_expiry_and_revocation,
    gc_claims_and_publish_leases_exclude_each_other,
    a_gc_claim_left_by_a_crashed_collector_yields_to_a_publish_once_expired,
);

fn name(s: &str) -> ModelName {
    s.parse().unwrap()
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn alias(s: &str) -> AliasName {
    s.parse().unwrap()
}

async fn publish(store: &Arc<dyn MetadataStore>, model: &str, version: &str) -> PublishOutcome {
    let data = format!("{model}@{version}");
    let m = manifest(&[("w", data.as_bytes())], "MIT");
    let new = NewVersion {
        actor: "ci".into(),
        model: name(model),
        version: v(version),
        digest: digest_of(data.as_bytes()),
        license: "MIT".into(),
        manifest_json: String::from_utf8(m.canonical_json()).unwrap(),
        files: vec![NewFile {
            path: "w".into(),
            digest: digest_of(data.as_bytes()),
            size: data.len() as u64,
        }],
        size_bytes: data.len() as u64,
        published_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        manifest: m,
        facts: Default::default(),
    };
    store.publish_version(&new).await.unwrap()
}

async fn aliases_move_and_keep_their_history(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/m", "1.0.0").await;
    publish(&store, "acme/m", "1.1.0").await;
    let m = name("acme/m");
    let now = Utc::now();
    assert_eq!(
        store.set_alias(&m, &alias("production"), &v("1.0.0"), false, "alice", now).await.unwrap(),
        AliasOutcome::Set { from: None }
    );
    assert_eq!(
        store.set_alias(&m, &alias("production"), &v("1.1.0"), false, "bob", now).await.unwrap(),
        AliasOutcome::Set { from: Some(v("1.0.0")) }
    );
    assert_eq!(store.get_alias(&m, &alias("production")).await.unwrap(), Some(v("1.1.0")));
    assert_eq!(
        store.set_alias(&m, &alias("staging"), &v("9.9.9"), false, "bob", now).await.unwrap(),
        AliasOutcome::NoSuchVersion
    );
    let listed = store.list_aliases(&m).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].version.to_string(), listed[0].updated_by.as_str()), ("1.1.0".to_owned(), "bob"));
    assert!(store.remove_alias(&m, &alias("production"), "carol", now).await.unwrap());
    assert!(!store.remove_alias(&m, &alias("production"), "carol", now).await.unwrap());
    let history: Vec<(Option<String>, Option<String>, String)> = store
        .alias_history(&m)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.from.map(|v| v.to_string()), h.to.map(|v| v.to_string()), h.actor))
        .collect();
    assert_eq!(
        history,
        [
            (None, Some("1.0.0".into()), "alice".into()),
            (Some("1.0.0".into()), Some("1.1.0".into()), "bob".into()),
            (Some("1.1.0".into()), None, "carol".into()),
        ]
    );
}

async fn yanked_versions_refuse_aliases_unless_forced(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/m", "1.0.0").await;
    let m = name("acme/m");
    let now = Utc::now();
    assert!(store.set_yank(&m, &v("1.0.0"), Some("broken tokenizer"), "alice", now).await.unwrap());
    let listed = store.list_versions(&m).await.unwrap();
    assert_eq!(listed[0].yanked.as_ref().unwrap().reason, "broken tokenizer");
    assert_eq!(
        store.set_alias(&m, &alias("prod"), &v("1.0.0"), false, "a", now).await.unwrap(),
        AliasOutcome::Yanked
    );
    assert!(matches!(
        store.set_alias(&m, &alias("prod"), &v("1.0.0"), true, "a", now).await.unwrap(),
        AliasOutcome::Set { .. }
    ));
    assert!(store.set_yank(&m, &v("1.0.0"), None, "alice", now).await.unwrap());
    assert!(store.get_version(&m, &v("1.0.0")).await.unwrap().unwrap().record.yanked.is_none());
    assert!(!store.set_yank(&m, &v("2.0.0"), Some("x"), "alice", now).await.unwrap());
}

async fn deleted_versions_leave_tombstones_that_block_republishing(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/m", "1.0.0").await;
    publish(&store, "acme/m", "1.1.0").await;
    let m = name("acme/m");
    let now = Utc::now();
    store.set_alias(&m, &alias("prod"), &v("1.0.0"), false, "a", now).await.unwrap();
    assert!(store.delete_version(&m, &v("1.0.0"), "admin", now).await.unwrap());
    assert!(store.get_version(&m, &v("1.0.0")).await.unwrap().is_none());
    assert_eq!(store.get_alias(&m, &alias("prod")).await.unwrap(), None, "aliases to it go too");
    assert_eq!(publish(&store, "acme/m", "1.0.0").await, PublishOutcome::Tombstoned);
    assert!(!store.is_referenced(&digest_of(b"acme/m@1.0.0")).await.unwrap(), "its files are unreferenced");

    assert_eq!(store.delete_model(&m, "admin", now).await.unwrap(), Some(1));
    assert!(store.get_model(&m).await.unwrap().is_none());
    assert_eq!(store.delete_model(&m, "admin", now).await.unwrap(), None);
    assert_eq!(publish(&store, "acme/m", "1.1.0").await, PublishOutcome::Tombstoned);
    assert_eq!(
        publish(&store, "acme/m", "2.0.0").await,
        PublishOutcome::Created,
        "new numbers revive the model"
    );
    assert!(store.get_model(&m).await.unwrap().is_some());
}

async fn every_state_change_is_audited(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/m", "1.0.0").await;
    let m = name("acme/m");
    let now = Utc::now();
    store.set_alias(&m, &alias("prod"), &v("1.0.0"), false, "alice", now).await.unwrap();
    store.set_yank(&m, &v("1.0.0"), Some("bad"), "alice", now).await.unwrap();
    store.set_yank(&m, &v("1.0.0"), None, "alice", now).await.unwrap();
    store.remove_alias(&m, &alias("prod"), "bob", now).await.unwrap();
    store.delete_version(&m, &v("1.0.0"), "root", now).await.unwrap();
    let all = store.list_audit(&AuditFilter { limit: 100, ..Default::default() }).await.unwrap();
    let actions: Vec<&str> = all.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["publish", "alias_set", "yank", "unyank", "alias_remove", "delete_version"]);
    assert_eq!(all[0].actor, "ci");
    assert_eq!(all[0].model.as_deref(), Some("acme/m"));
    let by_bob = store
        .list_audit(&AuditFilter { actor: Some("bob".into()), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_bob.len(), 1);
    let paged = store
        .list_audit(&AuditFilter { after_id: Some(all[3].id), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(paged.len(), 2);
    let later = store
        .list_audit(&AuditFilter {
            since: Some(Utc::now() + Duration::hours(1)),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(later.is_empty());
}

async fn the_audit_can_be_limited_to_namespaces_keeping_token_entries(store: Arc<dyn MetadataStore>) {
    // `_` is a LIKE wildcard and `*` the pattern's: neither may widen the filter.
    for model in ["team_a/m", "teamxa/m", "team-b/m", "acme/m", "a/team_a"] {
        publish(&store, model, "1.0.0").await;
    }
    let now = Utc::now();
    let token = NewToken {
        name: "t".into(),
        scope: Scope::Read,
        token_hash: "cd".repeat(32),
        namespaces: Vec::new(),
        created_by: "root".into(),
        created_at: now,
        expires_at: None,
    };
    store.create_token(&token).await.unwrap().unwrap();
    let within = |patterns: &[&str]| AuditFilter {
        within: Some(patterns.iter().map(|p| p.parse().unwrap()).collect()),
        limit: 100,
        ..Default::default()
    };
    let described = |entries: Vec<modelreg_server::store::AuditRecord>| -> Vec<String> {
        entries.into_iter().map(|e| e.model.unwrap_or(e.action)).collect()
    };
    let got = described(store.list_audit(&within(&["team_a"])).await.unwrap());
    assert_eq!(got, ["team_a/m", "token_create"]);
    let got = described(store.list_audit(&within(&["team*", "acme"])).await.unwrap());
    assert_eq!(got, ["team_a/m", "teamxa/m", "team-b/m", "acme/m", "token_create"]);
    let got = described(store.list_audit(&within(&["*-b"])).await.unwrap());
    assert_eq!(got, ["team-b/m", "token_create"]);
}

async fn tokens_carry_namespaces_expiry_and_revocation(store: Arc<dyn MetadataStore>) {
    let now = Utc::now();
    let token = NewToken {
        name: "ci-acme".into(),
        scope: Scope::Write,
        token_hash: "ab".repeat(32),
        namespaces: vec!["acme".parse().unwrap(), "team-*".parse().unwrap()],
        created_by: "root".into(),
        created_at: now,
        expires_at: Some(now + Duration::days(30)),
    };
    assert_eq!(store.create_token(&token).await.unwrap(), Ok(()));
    let found = store.find_token(&token.token_hash).await.unwrap().unwrap();
    assert_eq!(found.namespaces, token.namespaces);
    assert!(found.expires_at.is_some() && found.last_used_at.is_none());
    store.touch_token("ci-acme", now).await.unwrap();
    assert!(store.find_token(&token.token_hash).await.unwrap().unwrap().last_used_at.is_some());
    assert!(store.revoke_token("ci-acme", "root", now).await.unwrap());
    assert!(!store.revoke_token("ci-acme", "root", now).await.unwrap(), "already revoked");
    assert!(store.list_tokens().await.unwrap()[0].revoked_at.is_some());
    let actions: Vec<String> = store
        .list_audit(&AuditFilter { limit: 10, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["token_create", "token_revoke"]);
}

async fn gc_claims_and_publish_leases_exclude_each_other(store: Arc<dyn MetadataStore>) {
    let now = Utc::now();
    let (a, b, c) = (digest_of(b"a"), digest_of(b"b"), digest_of(b"c"));
    // A leased blob cannot be claimed.
    assert!(store.lease_blobs(&[a], now + Duration::hours(1)).await.unwrap().is_empty());
    assert_eq!(store.claim_for_gc(&a, now, now + Duration::minutes(10)).await.unwrap(), GcClaim::InUse);
    // A claimed blob cannot be leased until the claim is released.
    assert_eq!(store.claim_for_gc(&b, now, now + Duration::minutes(10)).await.unwrap(), GcClaim::Claimed);
    assert_eq!(store.lease_blobs(&[b, c], now + Duration::hours(1)).await.unwrap(), [b]);
    store.release_gc_claim(&b).await.unwrap();
    assert!(store.lease_blobs(&[b], now + Duration::hours(1)).await.unwrap().is_empty());
    // An expired lease no longer protects; a referenced blob always does.
    assert!(store.lease_blobs(&[c], now - Duration::seconds(1)).await.unwrap().is_empty());
    assert_eq!(store.claim_for_gc(&c, now, now + Duration::minutes(10)).await.unwrap(), GcClaim::Claimed);
    publish(&store, "acme/m", "1.0.0").await;
    let referenced = digest_of(b"acme/m@1.0.0");
    assert_eq!(
        store.claim_for_gc(&referenced, now, now + Duration::minutes(10)).await.unwrap(),
        GcClaim::InUse
    );
}

async fn a_gc_claim_left_by_a_crashed_collector_yields_to_a_publish_once_expired(
    store: Arc<dyn MetadataStore>,
) {
    let now = Utc::now();
    let (stale, live) = (digest_of(b"stale claim"), digest_of(b"live claim"));
    // A collector claimed `stale` and crashed: its claim ran out a minute ago, never released.
    let crashed = now - Duration::minutes(11);
    assert_eq!(
        store.claim_for_gc(&stale, crashed, crashed + Duration::minutes(10)).await.unwrap(),
        GcClaim::Claimed
    );
    assert_eq!(store.claim_for_gc(&live, now, now + Duration::minutes(10)).await.unwrap(), GcClaim::Claimed);
    // The lapsed claim yields; the live one still holds the publish off.
    assert_eq!(store.lease_blobs(&[stale, live], now + Duration::hours(1)).await.unwrap(), [live]);
    // The lease that replaced the claim protects the blob from the next collector.
    assert_eq!(store.claim_for_gc(&stale, now, now + Duration::minutes(10)).await.unwrap(), GcClaim::InUse);
}
