//! Throwaway PostgreSQL databases: one fresh database per guard, dropped with the guard, and
//! leftovers of crashed runs swept once per process. It never touches other databases.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use url::Url;

/// The variable naming the server that test databases are created on.
const URL_VAR: &str = "MODELREG_TEST_DATABASE_URL";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const NAME_PREFIX: &str = "modelreg_test_";
/// Databases older than this are left over from a run that died before its guards dropped.
const STALE_AFTER: Duration = Duration::from_secs(2 * 60 * 60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

static SWEPT: AtomicBool = AtomicBool::new(false);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database created for one test (or one test binary). Dropping it drops the database,
/// terminating any connection still open to it.
#[derive(Debug)]
pub struct PgTestDb {
    server_url: Url,
    name: String,
    url: String,
}

/// Creates a fresh, empty database on the server named by `MODELREG_TEST_DATABASE_URL`
/// (default `postgres://postgres@127.0.0.1:5432/postgres`).
///
/// Panics, saying how to provide one, when PostgreSQL does not answer.
pub async fn postgres_db() -> PgTestDb {
    let raw = std::env::var(URL_VAR).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_URL.to_owned());
    let server_url = Url::parse(&raw).unwrap_or_else(|e| panic!("{URL_VAR} is not a valid URL: {e}"));
    let mut conn = connect(&server_url).await;

    if !SWEPT.swap(true, Ordering::SeqCst) {
        sweep_stale(&mut conn).await;
    }

    let name = database_name(unix_secs(), std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name} on {}: {e}", redacted(&server_url)));
    // The new database is in place; a failed goodbye on the admin connection changes nothing.
    let _ = conn.close().await;

    let mut db_url = server_url.clone();
    db_url.set_path(&format!("/{name}"));
    PgTestDb { server_url, name, url: db_url.into() }
}

impl PgTestDb {
    /// The connection URL of the new database.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The new database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        // Drop may run on a runtime's worker thread, where blocking on that runtime is not
        // allowed; a thread of its own with its own runtime sidesteps that.
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut conn =
                    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(server_url.as_str()))
                        .await
                        .map_err(|_| std::io::Error::other("connecting timed out"))?
                        .map_err(std::io::Error::other)?;
                drop_database(&mut conn, &name).await.map_err(std::io::Error::other)?;
                let _ = conn.close().await;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            // Never panic in Drop (it may run while unwinding); the next run's sweep removes it.
            eprintln!("warning: could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

async fn connect(server_url: &Url) -> PgConnection {
    let outcome = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(server_url.as_str())).await;
    let error = match outcome {
        Ok(Ok(conn)) => return conn,
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
    };
    panic!(
        "PostgreSQL for the tests does not answer at {} ({error}). Set {URL_VAR} to a server \
         where this user may create databases, or run the suite with ./scripts/test, which \
         starts what it needs.",
        redacted(server_url)
    )
}

async fn drop_database(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)))
        .execute(conn)
        .await
        .map(drop)
}

/// Drops the test databases that a dead run left behind. Best effort: another process may be
/// sweeping the same ones at the same time.
async fn sweep_stale(conn: &mut PgConnection) {
    let names: Vec<String> = match sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, 'modelreg_test_')",
    )
    .fetch_all(&mut *conn)
    .await
    {
        Ok(names) => names,
        Err(e) => {
            eprintln!("warning: cannot list leftover test databases: {e}");
            return;
        }
    };
    let now = unix_secs();
    for name in names.iter().filter(|n| is_stale(n, now)) {
        if let Err(e) = drop_database(conn, name).await {
            eprintln!("warning: cannot drop leftover test database {name}: {e}");
        }
    }
}

/// `modelreg_test_<unix secs>_<pid>_<counter>`: only `[a-z0-9_]`, so it needs no escaping.
fn database_name(unix_secs: u64, pid: u32, counter: u64) -> String {
    format!("{NAME_PREFIX}{unix_secs}_{pid}_{counter}")
}

/// Whether `name` is a test database created more than [`STALE_AFTER`] before `now`.
/// Names that do not follow [`database_name`] are never stale: they are not ours.
fn is_stale(name: &str, now: u64) -> bool {
    let Some(rest) = name.strip_prefix(NAME_PREFIX) else { return false };
    let mut parts = rest.split('_');
    let created = parts.next().and_then(|s| s.parse::<u64>().ok());
    let pid = parts.next().and_then(|s| s.parse::<u32>().ok());
    let counter = parts.next().and_then(|s| s.parse::<u64>().ok());
    match (created, pid, counter, parts.next()) {
        (Some(created), Some(_), Some(_), None) => now.saturating_sub(created) > STALE_AFTER.as_secs(),
        _ => false,
    }
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970").as_secs()
}

/// The URL without its password, for messages.
fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn database_names_carry_their_creation_time() {
        assert_eq!(database_name(NOW, 42, 7), "modelreg_test_1800000000_42_7");
    }

    #[test]
    fn a_test_database_older_than_two_hours_is_stale() {
        assert!(is_stale(&database_name(NOW - 2 * 3600 - 1, 42, 0), NOW));
    }

    #[test]
    fn a_test_database_younger_than_two_hours_is_kept() {
        assert!(!is_stale(&database_name(NOW - 2 * 3600, 42, 0), NOW));
        assert!(!is_stale(&database_name(NOW - 60, 42, 3), NOW));
    }

    #[test]
    fn a_database_from_the_future_is_kept() {
        assert!(!is_stale(&database_name(NOW + 3600, 42, 0), NOW));
    }

    #[test]
    fn databases_that_are_not_ours_are_never_stale() {
        for name in [
            "postgres",
            "modelreg",
            "modelreg_test_",
            "modelreg_test_abc_1_2",
            "modelreg_test_1_2",
            "modelreg_test_1_2_3_4",
            "x_modelreg_test_1_2_3",
        ] {
            assert!(!is_stale(name, NOW), "{name}");
        }
    }

    #[test]
    fn passwords_are_redacted_from_messages() {
        let url = Url::parse("postgres://u:secret@db:5432/postgres").unwrap();
        assert_eq!(redacted(&url), "postgres://u:***@db:5432/postgres");
    }
}
