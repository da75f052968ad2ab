//! The transfer retry policy: which outcomes retry, backoff bounds, `Retry-After`.

use std::cell::Cell;

use modelreg_api::ErrorBody;

use super::*;

fn api(status: u16, retry_after: Option<u64>) -> ClientError {
    ClientError::Api {
        status: StatusCode::from_u16(status).unwrap(),
        error: ErrorBody { code: "c".into(), message: "m".into(), details: None },
        retry_after: retry_after.map(Duration::from_secs),
    }
}

fn transport() -> ClientError {
    ClientError::Transport { url: "http://r".into(), reason: "reset".into() }
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn the_network_408_429_and_5xx_are_retried_and_nothing_else() {
    let retried = [
        transport(),
        ClientError::Unreachable { url: "http://r".into(), reason: "timed out".into() },
        api(408, None),
        api(429, None),
        api(500, None),
        api(502, None),
        api(503, None),
        api(504, None),
    ];
    for e in &retried {
        assert!(RetryPolicy::is_retryable(e), "{e:?}");
    }
    let final_ = [
        api(400, None),
        api(401, None),
        api(404, None),
        api(409, None),
        api(422, None),
        ClientError::Integrity("changed".into()),
        ClientError::BadResponse { url: "u".into(), reason: "r".into() },
        ClientError::io("cannot read 'f'", std::io::Error::other("x")),
    ];
    for e in &final_ {
        assert!(!RetryPolicy::is_retryable(e), "{e:?}");
        assert_eq!(RetryPolicy::TRANSFER.delay(1, e, 0.5), None, "{e:?}");
    }
}

#[test]
fn backoff_doubles_within_jittered_bounds_and_stops_after_the_last_attempt() {
    let policy = RetryPolicy { attempts: 6, ..RetryPolicy::TRANSFER };
    let e = transport();
    for (failures, full) in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)] {
        let full = SECOND * full;
        assert_eq!(policy.delay(failures, &e, 0.0), Some(full / 2), "failure {failures}, least jitter");
        let most = policy.delay(failures, &e, 0.999_999).unwrap();
        assert!(most < full && most > full * 99 / 100, "failure {failures}: {most:?}");
    }
    assert_eq!(policy.delay(6, &e, 0.5), None, "six attempts, six failures");
    let capped = RetryPolicy { attempts: 40, ..RetryPolicy::TRANSFER };
    assert!(capped.delay(39, &e, 0.999).unwrap() <= RetryPolicy::TRANSFER.max_delay, "capped, no overflow");
    assert_eq!(RetryPolicy::TRANSFER.delay(3, &e, 0.0), None, "the transfer policy tries three times");
}

#[test]
fn a_longer_retry_after_is_honoured_up_to_the_cap() {
    let policy = RetryPolicy::TRANSFER;
    assert_eq!(policy.delay(1, &api(503, Some(7)), 0.0), Some(SECOND * 7));
    assert_eq!(policy.delay(1, &api(429, Some(0)), 0.0), Some(SECOND / 2), "shorter than the backoff");
    assert_eq!(policy.delay(1, &api(503, Some(3600)), 0.0), Some(policy.max_retry_after));
    assert_eq!(policy.delay(3, &api(503, Some(1)), 0.0), None, "the attempts still count");
}

#[test]
fn retry_after_is_read_as_seconds_or_an_http_date() {
    let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
    assert_eq!(parse_retry_after("120", now), Some(SECOND * 120));
    assert_eq!(parse_retry_after(" 5 ", now), Some(SECOND * 5));
    assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(SECOND * 30));
    assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
    for bad in ["", "-1", "soon", "1.5"] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
    }
}

#[tokio::test]
async fn run_retries_a_transient_failure_and_reports_each_retry() {
    let policy = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::TRANSFER };
    let calls = Cell::new(0);
    let retries = Cell::new(0);
    let result = policy
        .run(
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(api(503, None)) } else { Ok(n) } }
            },
            |_| retries.set(retries.get() + 1),
        )
        .await;
    assert_eq!(result.unwrap(), 3);
    assert_eq!((calls.get(), retries.get()), (3, 2));

    calls.set(0);
    let result: Result<(), _> = policy
        .run(
            || {
                calls.set(calls.get() + 1);
                async { Err(transport()) }
            },
            |_| {},
        )
        .await;
    assert!(matches!(result, Err(ClientError::Transport { .. })));
    assert_eq!(calls.get(), 3, "gives up after the attempts");

    calls.set(0);
    let result: Result<(), _> = policy
        .run(
            || {
                calls.set(calls.get() + 1);
                async { Err(api(409, None)) }
            },
            |_| {},
        )
        .await;
    assert!(result.is_err());
    assert_eq!(calls.get(), 1, "a conflict is final");
}
