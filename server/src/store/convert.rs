//! Conversions between database values and the store's records, shared by every concern:
//! driver errors into [`StoreError`], stored text into validated types, and integers across
//! the signed columns both dialects have. No queries here.

use super::StoreError;

pub(super) fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(Box::new(e))
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
