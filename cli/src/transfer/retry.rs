//! The one retry policy of blob transfers (upload parts and sessions, ranged downloads):
//! which failures are worth another attempt (the network, 408, 429 and 5xx), how long to
//! wait (exponential backoff with jitter, or the registry's `Retry-After` when it asks for
//! longer, within a cap), and how many attempts in all. It decides nothing about what a
//! failure means for the transfer (lost sessions, changed files): the callers do.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

use crate::error::ClientError;

/// How often and how patiently a transfer request is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The backoff before the first retry; it doubles for each further one.
    pub base_delay: Duration,
    /// No backoff is longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// The policy of every blob transfer.
    pub const TRANSFER: Self = Self {
        attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(16),
        max_retry_after: Duration::from_secs(60),
    };

    /// Whether a failure may go away by itself: the connection or the request failed on
    /// the way, or the registry answered 408, 429 or a 5xx.
    pub fn is_retryable(error: &ClientError) -> bool {
        match error {
            ClientError::Transport { .. } | ClientError::Unreachable { .. } => true,
            ClientError::Api { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
            ClientError::BadResponse { .. }
            | ClientError::Integrity(_)
            | ClientError::Io { .. }
            | ClientError::Invalid(_)
            | ClientError::Usage(_)
            | ClientError::Aborted(_) => false,
        }
    }

    /// The wait before the next attempt after `failures` failed ones (the last being
    /// `error`), with `jitter` in `[0, 1)` spreading clients out; `None` when the error is
    /// not retryable or the attempts are spent. The backoff is `base * 2^(failures-1)`,
    /// capped, of which the upper half is jittered; a longer `Retry-After` wins (capped).
    pub fn delay(&self, failures: u32, error: &ClientError, jitter: f64) -> Option<Duration> {
        if failures >= self.attempts || !Self::is_retryable(error) {
            return None;
        }
        let exponent = failures.saturating_sub(1).min(31);
        let full = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let backoff = full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
        let asked = match error {
            ClientError::Api { retry_after: Some(after), .. } => (*after).min(self.max_retry_after),
            _ => Duration::ZERO,
        };
        Some(backoff.max(asked))
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are spent; before
    /// each retry `before_retry` is told the failure (to undo progress, say) and the policy
    /// waits.
    pub async fn run<T, F, Fut>(
        &self,
        mut attempt: F,
        mut before_retry: impl FnMut(&ClientError),
    ) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut failures = 0;
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => {
                    failures += 1;
                    let Some(wait) = self.delay(failures, &e, fastrand::f64()) else { return Err(e) };
                    before_retry(&e);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (a date in the past is no wait).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests;
