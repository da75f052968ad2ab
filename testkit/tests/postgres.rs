//! The throwaway databases against the real PostgreSQL server that ./scripts/test provides.

use modelreg_testkit::postgres_db;
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn a_test_database_is_usable_and_gone_once_its_guard_drops() {
    let db = postgres_db().await;
    let name = db.name().to_owned();
    let mut conn = PgConnection::connect(&db.url()).await.unwrap();
    let current: String =
        sqlx::query_scalar("SELECT current_database()::text").fetch_one(&mut conn).await.unwrap();
    assert_eq!(current, name);

    // The connection is still open: dropping the guard must not wait for it.
    drop(db);

    let other = postgres_db().await;
    let mut admin = PgConnection::connect(&other.url()).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_can_drop_inside_a_multi_threaded_runtime() {
    let dbs = [postgres_db().await, postgres_db().await];
    assert_ne!(dbs[0].url(), dbs[1].url());
}
