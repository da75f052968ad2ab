//! The browser-session store contract, on SQLite and on PostgreSQL: sessions are found by the
//! hash of their id until they expire, carry their token's current state (revocation shows at
//! once), and dead ones are deleted in bounded batches.

use std::sync::Arc;

use chrono::{Duration, Utc};
use modelreg_server::store::{MetadataStore, NewSession, NewToken, Scope};

store_contract!(
    sessions_are_found_by_hash_until_they_expire,
    a_session_shows_its_tokens_revocation_at_once,
    dead_sessions_are_deleted_in_bounded_batches,
);

async fn token(store: &Arc<dyn MetadataStore>, name: &str) {
    let new = NewToken {
        name: name.into(),
        scope: Scope::Read,
        token_hash: format!("{name:0>64}"),
        namespaces: vec!["acme".parse().unwrap()],
        created_by: "test".into(),
        created_at: Utc::now(),
        expires_at: None,
    };
    store.create_token(&new).await.unwrap().unwrap();
}

fn session(id: &str, token: &str, lifetime: Duration) -> NewSession {
    let now = Utc::now();
    NewSession {
        id_hash: format!("{id:0>64}"),
        token_name: token.into(),
        created_at: now,
        expires_at: now + lifetime,
    }
}

async fn sessions_are_found_by_hash_until_they_expire(store: Arc<dyn MetadataStore>) {
    token(&store, "reader").await;
    let s = session("a1", "reader", Duration::hours(1));
    assert!(store.create_session(&s).await.unwrap());
    assert!(
        !store.create_session(&session("b1", "nobody", Duration::hours(1))).await.unwrap(),
        "unknown token"
    );
    let found = store.find_session(&s.id_hash, Utc::now()).await.unwrap().expect("live session");
    assert_eq!(found.name, "reader");
    assert_eq!(found.namespaces, vec!["acme".parse().unwrap()]);
    assert!(store.find_session(&format!("{:0>64}", "ff"), Utc::now()).await.unwrap().is_none());
    let later = s.expires_at + Duration::seconds(1);
    assert!(store.find_session(&s.id_hash, later).await.unwrap().is_none(), "expired");
    assert!(store.find_session(&s.id_hash, s.expires_at).await.unwrap().is_none(), "ends at its expiry");
    assert!(store.delete_session(&s.id_hash).await.unwrap());
    assert!(!store.delete_session(&s.id_hash).await.unwrap());
    assert!(store.find_session(&s.id_hash, Utc::now()).await.unwrap().is_none(), "signed out");
}

async fn a_session_shows_its_tokens_revocation_at_once(store: Arc<dyn MetadataStore>) {
    token(&store, "reader").await;
    let s = session("a1", "reader", Duration::hours(1));
    store.create_session(&s).await.unwrap();
    assert!(store.revoke_token("reader", "test", Utc::now()).await.unwrap());
    let found = store.find_session(&s.id_hash, Utc::now()).await.unwrap().unwrap();
    assert!(found.revoked_at.is_some(), "the service refuses it");
}

async fn dead_sessions_are_deleted_in_bounded_batches(store: Arc<dyn MetadataStore>) {
    token(&store, "live").await;
    token(&store, "gone").await;
    for i in 0..3 {
        store.create_session(&session(&format!("e{i}"), "live", Duration::seconds(-10))).await.unwrap();
    }
    let kept = session("k1", "live", Duration::hours(1));
    store.create_session(&kept).await.unwrap();
    store.create_session(&session("r1", "gone", Duration::hours(1))).await.unwrap();
    store.revoke_token("gone", "test", Utc::now()).await.unwrap();
    assert_eq!(store.delete_dead_sessions(Utc::now(), 2).await.unwrap(), 2, "bounded");
    assert_eq!(store.delete_dead_sessions(Utc::now(), 100).await.unwrap(), 2, "the rest, revoked included");
    assert_eq!(store.delete_dead_sessions(Utc::now(), 100).await.unwrap(), 0);
    assert!(store.find_session(&kept.id_hash, Utc::now()).await.unwrap().is_some(), "live sessions stay");
}
