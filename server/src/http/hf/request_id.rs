//! `X-Request-Id` on every response of the scope it wraps: the client's own id when it is
//! sane (1-128 characters of `[A-Za-z0-9._-]`), else a fresh random one. The Hub clients
//! quote it in their error messages. Written as a plain `from_fn` middleware so that any
//! scope (or the whole app) can wrap it.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

pub const X_REQUEST_ID: &str = "x-request-id";

/// Whether a client-sent id may be echoed as it is.
pub fn is_sane(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A new id: 16 random bytes in hex.
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    // Without an entropy source the id is still unique enough per process for a log search.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The middleware: `.wrap(actix_web::middleware::from_fn(request_id::stamp))`.
pub async fn stamp(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| is_sane(s))
        .map_or_else(generate, str::to_owned);
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(X_REQUEST_ID), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_and_plain() {
        assert!(is_sane("abc-123_X.y"));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(129)));
        assert!(!is_sane("a b"));
        assert!(!is_sane("a\nb"));
        let id = generate();
        assert!(is_sane(&id) && id.len() == 32, "{id}");
        assert_ne!(generate(), id);
    }
}
