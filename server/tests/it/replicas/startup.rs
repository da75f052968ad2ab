//! Start-up work that every replica does: migrations (a fresh database), and the backfill of
//! commit ids that older versions lack. Two servers doing it at the same moment must both
//! come up, and the result must be what one would have done alone.

use super::*;

/// `(version row id, commit id)` of every version, in id order.
async fn commit_ids(db: &PgTestDb) -> Vec<(i64, Option<String>)> {
    let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
    let rows =
        sqlx::query_as("SELECT id, commit_id FROM versions ORDER BY id").fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows
}

async fn ready(c: &Client, server: &ServerProcess) {
    let r = c.get(format!("{}/readyz", server.url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{} is not ready:\n{}", server.url(), server.logs());
}

#[tokio::test]
async fn two_replicas_starting_at_once_on_a_fresh_database_both_come_up() {
    let c = client();
    for round in 0..3 {
        let db = postgres_db().await;
        let (setup_a, setup_b) = deployment(&db, "replica-start");
        // Both spawn before either is awaited: their migrations run at the same time.
        let (a, b) = tokio::join!(ServerProcess::start(&setup_a), ServerProcess::start(&setup_b));
        ready(&c, &a).await;
        ready(&c, &b).await;
        // One schema, written once: a token made through A's setup works on B.
        let admin = setup_a.create_token("admin", "admin");
        let who = get_json(&c, &format!("{}/v1/whoami", b.url()), &admin).await;
        assert_eq!(who["name"], "admin", "round {round}: {who}");
    }
}

#[tokio::test]
async fn two_replicas_starting_at_once_fill_missing_commit_ids_as_one_would() {
    let db = postgres_db().await;
    let (setup_a, setup_b) = deployment(&db, "replica-backfill");
    let admin = setup_a.create_token("admin", "admin");
    {
        let a = ServerProcess::start(&setup_a).await;
        let c = client();
        for i in 0..5u8 {
            let data = bytes(1000, i);
            put_blob(&c, a.url(), &admin, &data).await;
            let (status, body) = publish(
                &c,
                a.url(),
                &admin,
                &format!("acme/old{}", i % 2),
                &format!("1.{i}.0"),
                &[("w.bin", &data)],
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let before = commit_ids(&db).await;
    assert_eq!(before.len(), 5);
    assert!(before.iter().all(|(_, id)| id.is_some()), "{before:?}");
    // As a database from before commit ids looks.
    let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
    sqlx::query("UPDATE versions SET commit_id = NULL").execute(&pool).await.unwrap();
    pool.close().await;

    let (a, b) = tokio::join!(ServerProcess::start(&setup_a), ServerProcess::start(&setup_b));
    let c = client();
    ready(&c, &a).await;
    ready(&c, &b).await;
    assert_eq!(commit_ids(&db).await, before, "the commit ids filled by two servers at once");
}
