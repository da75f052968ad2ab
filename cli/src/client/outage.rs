//! Riding out an unavailable registry: every request is sent again, with backoff, while the
//! registry answers `503` or cannot be connected to, until it has been unavailable for the
//! client's retry budget (`--retry-for`). Only requests that are safe to repeat are: a
//! connection that was never made sent nothing, so any request may try again; after a `503`
//! or a connection lost mid-request, only idempotent ones (GET, HEAD, PUT, DELETE, and the
//! read-only POSTs that say so). A request whose body is a stream cannot be sent twice and
//! is tried once (the transfer engines retry those themselves). The clock of the budget is
//! shared by every request of one client and starts at the first failure of an outage, so
//! nested retries (a transfer retrying a request that retried) never add up past it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};

use super::{Client, transport_error};
use crate::error::ClientError;

/// How long a client keeps retrying by default (`--retry-for`).
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(60);
/// The first backoff; it doubles for each further retry.
const BASE_DELAY: Duration = Duration::from_millis(500);
/// No backoff is longer than this (a `Retry-After` may be, within the budget).
const MAX_DELAY: Duration = Duration::from_secs(8);

/// Whether a request may be repeated after the registry may have seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    /// As its method says: GET, HEAD, PUT, DELETE and OPTIONS are idempotent.
    ByMethod,
    /// A POST that changes nothing (`/v1/blobs/missing`, `/v1/choose`).
    Safe,
}

/// The retry budget of one client and the start of the outage it is in, if any.
#[derive(Debug, Clone)]
pub(super) struct OutageClock {
    budget: Duration,
    since: Arc<Mutex<Option<Instant>>>,
    /// Say on stderr (when it is a terminal) that a request will be retried.
    pub(super) notices: bool,
}

impl OutageClock {
    pub(super) fn new(budget: Duration) -> Self {
        Self { budget, since: Arc::default(), notices: false }
    }

    /// The registry answered: the outage, if any, is over.
    fn answered(&self) {
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The registry was unavailable now; how long of the budget is left.
    fn failed(&self) -> Duration {
        let mut since = self.since.lock().unwrap_or_else(|e| e.into_inner());
        let start = *since.get_or_insert_with(Instant::now);
        self.budget.saturating_sub(start.elapsed())
    }
}

/// Backoff before retry number `retry` (1-based), the upper half jittered by `jitter` in
/// `[0, 1)`, or the registry's `Retry-After` when it asks for longer; never past `left`.
fn wait_before(retry: u32, retry_after: Option<Duration>, jitter: f64, left: Duration) -> Duration {
    let full = BASE_DELAY.saturating_mul(1 << retry.saturating_sub(1).min(16)).min(MAX_DELAY);
    let backoff = full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
    backoff.max(retry_after.unwrap_or_default()).min(left)
}

fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

impl Client {
    /// Sends `req`, again while the registry is unavailable and the request is safe to
    /// repeat, within the retry budget. Returns the answer, whatever its status, except a
    /// `503` that outlasted the budget (an `Api` error saying so) and a failed connection.
    pub(super) async fn execute(
        &self,
        req: RequestBuilder,
        url: &Url,
        repeat: Repeat,
    ) -> Result<Response, ClientError> {
        let (http, request) = req.build_split();
        let request = request.map_err(|e| transport_error(&e, url))?;
        let repeatable = repeat == Repeat::Safe || idempotent(request.method());
        // A copy to send again; `None` for a streamed body, which can be sent only once.
        let template = request.try_clone();
        let mut attempt = request;
        let mut retries = 0u32;
        loop {
            // What failed, whether it may be repeated, and how long the registry asked to wait.
            let (failure, may_repeat, retry_after) = match http.execute(attempt).await {
                Ok(resp) if resp.status() != StatusCode::SERVICE_UNAVAILABLE => {
                    self.outage.answered();
                    return Ok(resp);
                }
                Ok(resp) => {
                    let err = self.api_error(resp).await;
                    let after = match &err {
                        ClientError::Api { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    (err, repeatable, after)
                }
                Err(e) => (transport_error(&e, url), e.is_connect() || repeatable, None),
            };
            let left = self.outage.failed();
            let again = template.as_ref().and_then(reqwest::Request::try_clone);
            let Some(again) = again.filter(|_| may_repeat && !left.is_zero()) else {
                return Err(gave_up(failure, retries, self.outage.budget));
            };
            retries += 1;
            let wait = wait_before(retries, retry_after, fastrand::f64(), left);
            self.notice(url, &failure, wait);
            tokio::time::sleep(wait).await;
            attempt = again;
        }
    }
}

impl Client {
    /// Runs `attempt` again while the registry is unavailable (it answers 503, or the
    /// connection fails), within the same budget as every other request. For idempotent
    /// requests whose body is a stream that only the caller can make again, such as a
    /// whole-file upload (same content, same address); any other failure ends it.
    pub async fn repeat_while_unavailable<T, F, Fut>(&self, mut attempt: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut retries = 0u32;
        loop {
            let failure = match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) if is_unavailable(&e) => e,
                Err(e) => return Err(e),
            };
            let left = self.outage.failed();
            if left.is_zero() {
                return Err(gave_up(failure, retries, self.outage.budget));
            }
            retries += 1;
            let retry_after = match &failure {
                ClientError::Api { retry_after, .. } => *retry_after,
                _ => None,
            };
            let wait = wait_before(retries, retry_after, fastrand::f64(), left);
            self.notice(self.base_url(), &failure, wait);
            tokio::time::sleep(wait).await;
        }
    }
}

/// A failure that says the registry is unavailable rather than that the request is wrong.
fn is_unavailable(e: &ClientError) -> bool {
    match e {
        ClientError::Api { status, .. } => *status == StatusCode::SERVICE_UNAVAILABLE,
        ClientError::Unreachable { .. } | ClientError::Transport { .. } => true,
        _ => false,
    }
}

impl Client {
    /// A note on stderr that the registry is unavailable and the request will be retried:
    /// only when notices are on (not `--json` or `-q`) and stderr is a terminal.
    fn notice(&self, url: &Url, failure: &ClientError, wait: Duration) {
        use std::io::IsTerminal;
        if self.outage.notices && std::io::stderr().is_terminal() {
            let host = url.host_str().unwrap_or_default();
            eprintln!("registry {host} unavailable ({failure}); retrying in {:.1} s", wait.as_secs_f64());
        }
    }
}

/// The final error of a request that was retried: the last failure, saying for how long.
fn gave_up(failure: ClientError, retries: u32, budget: Duration) -> ClientError {
    if retries == 0 {
        return failure;
    }
    let note = format!(" (still unavailable after retrying for {} s)", budget.as_secs());
    match failure {
        ClientError::Api { status, mut error, retry_after } => {
            error.message.push_str(&note);
            ClientError::Api { status, error, retry_after }
        }
        ClientError::Unreachable { url, reason } => ClientError::Unreachable { url, reason: reason + &note },
        ClientError::Transport { url, reason } => ClientError::Transport { url, reason: reason + &note },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_yields_to_a_longer_retry_after_within_the_budget() {
        let left = Duration::from_secs(60);
        assert_eq!(wait_before(1, None, 0.0, left), Duration::from_millis(250));
        assert_eq!(wait_before(1, None, 0.999_999, left).as_millis(), 499);
        assert_eq!(wait_before(3, None, 0.0, left), Duration::from_secs(1));
        assert_eq!(wait_before(30, None, 0.0, left), MAX_DELAY / 2);
        assert_eq!(wait_before(1, Some(Duration::from_secs(5)), 0.5, left), Duration::from_secs(5));
        assert_eq!(wait_before(1, Some(Duration::from_secs(90)), 0.5, left), left);
    }

    #[test]
    fn the_outage_clock_runs_from_the_first_failure_until_an_answer() {
        let clock = OutageClock::new(Duration::from_secs(60));
        let left = clock.failed();
        assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(59));
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.failed() < left, "the clock kept its start");
        clock.answered();
        assert!(clock.failed() > left - Duration::from_millis(5));
        assert!(OutageClock::new(Duration::ZERO).failed().is_zero());
    }

    #[test]
    fn only_idempotent_methods_repeat_after_the_registry_may_have_seen_them() {
        for m in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            assert!(idempotent(&m), "{m}");
        }
        for m in [Method::POST, Method::PATCH] {
            assert!(!idempotent(&m), "{m}");
        }
    }

    #[test]
    fn the_final_error_says_how_long_it_was_retried() {
        let e = ClientError::Unreachable { url: "http://r".into(), reason: "refused".into() };
        let shown = gave_up(e, 3, Duration::from_secs(60)).to_string();
        assert!(shown.ends_with("refused (still unavailable after retrying for 60 s)"), "{shown}");
        let e = ClientError::Unreachable { url: "http://r".into(), reason: "refused".into() };
        assert!(!gave_up(e, 0, Duration::from_secs(60)).to_string().contains("retrying"));
    }
}
