//! Conversions between database values and the store's records, shared by every concern:
//! driver errors into [`StoreError`], stored text into validated types, and integers across
//! the signed columns both dialects have. No queries here.

use super::StoreError;

/// A driver error as a [`StoreError`]: [`StoreError::Unavailable`] when the database could
/// not be reached or did not answer in time, [`StoreError::Database`] otherwise.
pub(super) fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    if is_unavailable(boxed.as_ref()) { StoreError::Unavailable(boxed) } else { StoreError::Database(boxed) }
}

/// Whether a driver error (or a migration error wrapping one) means the database is out of
/// reach: no connection within the acquire timeout, an I/O or TLS failure on the
/// connection, a closed pool, or PostgreSQL saying it cannot serve (SQLSTATE class 08
/// connection exception, 57P01-57P03 shutdown or starting up, 53300 too many connections,
/// 57014 a statement cancelled by `statement_timeout`).
fn is_unavailable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if let Some(sqlx_err) = err.downcast_ref::<sqlx::Error>() {
            return match sqlx_err {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::BeginFailed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_sqlstate(&code)),
                sqlx::Error::Migrate(m) => is_unavailable(m.as_ref()),
                _ => false,
            };
        }
        cause = err.source();
    }
    false
}

fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "57014")
}

/// Parses a stored value that was valid when written; failure means the data is corrupt.
pub(super) fn parse_stored<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e| StoreError::Corrupt(format!("{what} '{raw}': {e}")))
}

pub(super) fn to_u64(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {v}")))
}

pub(super) fn to_u32(what: &str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {v}")))
}

pub(super) fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v)
        .map_err(|_| StoreError::Corrupt(format!("value {v} does not fit a signed 64-bit column")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_and_a_bad_statement_is_not() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            assert!(db_err(e).is_unavailable());
        }
        let migrate = sqlx::migrate::MigrateError::Execute(sqlx::Error::PoolTimedOut);
        assert!(db_err(migrate).is_unavailable(), "a migration that could not connect");
        assert!(!db_err(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!db_err(std::io::Error::other("not a driver error")).is_unavailable());
    }

    #[test]
    fn connection_shutdown_and_timeout_sqlstates_mean_unavailable() {
        for code in ["08000", "08006", "57P01", "57P03", "53300", "57014"] {
            assert!(unavailable_sqlstate(code), "{code}");
        }
        for code in ["23505", "40001", "42P01", "22P02"] {
            assert!(!unavailable_sqlstate(code), "{code}");
        }
    }
}
