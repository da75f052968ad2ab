//! Per-version values of ranking criteria that the lookup row does not carry (today: the
//! stated latency on one hardware), read for a bounded set of version ids. Facts only; the
//! ranking and its normalisation are the service's (`service::choose`).

pub(super) mod sql;

use std::collections::HashMap;

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait CriteriaStore: Send + Sync + 'static {
    /// The lowest stated p50 latency (ms) on `hardware` (lower-case, as stored) of each of
    /// `version_ids` that states one; the others are absent from the map.
    async fn latency_on(&self, version_ids: &[i64], hardware: &str) -> Result<HashMap<i64, f64>, StoreError>;
}
