//! Observes every request at the edge: gives it a request id (the client's `X-Request-Id`
//! when sane, else a fresh one), runs it and streams its response inside a tracing span that
//! carries the id, echoes the id on the response, logs one line when the response is done,
//! and records the request's metrics by route template (never the raw path). It changes no
//! request and no answer beyond the id header.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use bytes::Bytes;
use futures_util::StreamExt;
use tracing::Instrument;

use crate::service::{Registry, RequestSample};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The longest request id taken from a client.
const MAX_REQUEST_ID_LEN: usize = 128;
/// Routes polled by load balancers and scrapers: their lines are logged at debug level.
const QUIET_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The middleware (`App::wrap(from_fn(observe))`).
pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<Observed>, Error> {
    let start = Instant::now();
    let id = request_id(req.headers().get(&REQUEST_ID));
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let span = tracing::info_span!("request", request.id = %id, http.method = method, http.route = %route);

    let received = Arc::new(AtomicU64::new(0));
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        req.set_payload(payload);
    } else {
        let counter = Arc::clone(&received);
        let counted = payload.inspect(move |chunk| {
            if let Ok(bytes) = chunk {
                counter.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
        });
        req.set_payload(Payload::Stream { payload: Box::pin(counted) });
    }

    // Handlers and extractors turn their errors into responses, so an `Err` here is rare
    // (and the request cannot be kept for it: a clone taken before routing breaks routing).
    let mut res = next.call(req).instrument(span.clone()).await?.map_into_boxed_body();
    let value = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    res.headers_mut().insert(REQUEST_ID, value);
    let registry = res.request().app_data::<web::Data<Registry>>().cloned();
    let status = res.status().as_u16();
    Ok(res.map_body(move |_, body| Observed {
        body,
        span,
        start,
        route,
        method,
        status,
        received,
        sent: 0,
        registry,
    }))
}

/// The id [`observe`] gave a request, in its extensions, for scopes that echo it themselves.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The client's id when it is 1-128 characters of `[A-Za-z0-9._-]`, else a fresh one.
pub fn request_id(header: Option<&HeaderValue>) -> String {
    header.and_then(|v| v.to_str().ok()).filter(|s| is_sane(s)).map_or_else(generate_id, str::to_owned)
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 24 hex digits from the OS's random source (or, should that fail, the clock and a counter).
fn generate_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        static FALLBACK: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&nanos.to_be_bytes());
        bytes[8..].copy_from_slice(&(FALLBACK.fetch_add(1, Ordering::Relaxed) as u32).to_be_bytes());
    }
    hex::encode(bytes)
}

/// A method as a metrics label: the standard ones, or `other` (clients choose methods, and
/// a label must stay a small set).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A response body that is streamed inside the request's span and counted; when it is
/// dropped (sent, or abandoned by the client) the request is logged and recorded.
pub struct Observed {
    body: BoxBody,
    span: tracing::Span,
    start: Instant,
    route: String,
    method: &'static str,
    status: u16,
    received: Arc<AtomicU64>,
    sent: u64,
    registry: Option<web::Data<Registry>>,
}

impl MessageBody for Observed {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        let polled = Pin::new(&mut this.body).poll_next(cx);
        if let Poll::Ready(Some(Ok(bytes))) = &polled {
            this.sent += bytes.len() as u64;
        }
        polled
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        let duration = self.start.elapsed();
        let received_bytes = self.received.load(Ordering::Relaxed);
        let _entered = self.span.enter();
        let (status, sent_bytes) = (self.status, self.sent);
        let duration_ms = duration.as_millis() as u64;
        if QUIET_ROUTES.contains(&self.route.as_str()) {
            tracing::debug!(http.status = status, duration_ms, received_bytes, sent_bytes, "request done");
        } else {
            tracing::info!(http.status = status, duration_ms, received_bytes, sent_bytes, "request done");
        }
        if let Some(registry) = &self.registry {
            registry.metrics().observe_request(&RequestSample {
                route: &self.route,
                method: self.method,
                status,
                duration,
                received_bytes,
                sent_bytes,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_client_ids_are_kept_and_others_replaced() {
        let keep = |s: &str| request_id(Some(&HeaderValue::from_str(s).unwrap()));
        assert_eq!(keep("abc-123_X.y"), "abc-123_X.y");
        let longest = "a".repeat(128);
        assert_eq!(keep(&longest), longest);
        for bad in ["", "a b", "a/b", "ä", &"a".repeat(129), "x\"y"] {
            let Ok(value) = HeaderValue::from_str(bad) else { continue };
            let id = request_id(Some(&value));
            assert_ne!(id, bad);
            assert!(id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
        assert_ne!(request_id(None), request_id(None), "fresh ids differ");
    }

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
