//! The once-per-process sweep of leftover test databases (its own binary, so that this test
//! is the first caller of `postgres_db` in its process).

use modelreg_testkit::postgres_db;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

#[tokio::test]
async fn the_first_database_of_a_process_sweeps_leftovers_older_than_two_hours() {
    let server = std::env::var("MODELREG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut admin = PgConnection::connect(&server).await.unwrap();
    let pid = std::process::id();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let stale = format!("modelreg_test_{}_{pid}_0", now - 3 * 3600);
    let recent = format!("modelreg_test_{}_{pid}_0", now - 3600);
    for name in [&stale, &recent] {
        sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .execute(&mut admin)
            .await
            .unwrap();
    }

    let _db = postgres_db().await;

    let exists = |name: String| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = $1").bind(name)
    };
    assert_eq!(exists(stale).fetch_one(&mut admin).await.unwrap(), 0);
    assert_eq!(exists(recent.clone()).fetch_one(&mut admin).await.unwrap(), 1);
    sqlx::raw_sql(AssertSqlSafe(format!(r#"DROP DATABASE "{recent}""#))).execute(&mut admin).await.unwrap();
}
