//! Readiness: whether each dependency (database, blob store) answers right now, each asked
//! at once and given a short, fixed time. It reports; it changes nothing and retries nothing.

use std::future::Future;
use std::time::Duration;

use super::Registry;

/// The longest one readiness check waits for its dependency. Short, so that a probe never
/// hangs on a dependency that stopped answering: a slower answer counts as down.
pub const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/readyz` reports: `true` for a dependency that answered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub database: bool,
    pub blobs: bool,
}

impl Readiness {
    /// Both dependencies answered.
    pub fn is_ready(&self) -> bool {
        self.database && self.blobs
    }
}

impl Registry {
    /// Asks the database and the blob store at once whether they answer, each within
    /// [`READY_CHECK_TIMEOUT`]; a failure is logged with its cause (the answer names only
    /// the dependency).
    pub async fn readiness(&self) -> Readiness {
        let (database, blobs) = futures_util::join!(
            answers("database", self.meta.ping()),
            answers("blob store", self.blobs.ping()),
        );
        Readiness { database, blobs }
    }
}

async fn answers<E: std::fmt::Display>(
    dependency: &'static str,
    check: impl Future<Output = Result<(), E>>,
) -> bool {
    match tokio::time::timeout(READY_CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(dependency, error = %e, "readiness: dependency unreachable");
            false
        }
        Err(_) => {
            let timeout_ms = READY_CHECK_TIMEOUT.as_millis();
            tracing::warn!(dependency, timeout_ms, "readiness: dependency did not answer in time");
            false
        }
    }
}
