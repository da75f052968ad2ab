//! `X-Request-Id` on every response of the `/hf` scope, which the Hub clients quote in their
//! error messages. Behind the app-wide [`observe`](crate::http::observe) middleware it echoes
//! the id that one gave the request (so the header and the log lines agree); in an app built
//! without it (in-process tests) it picks the id by the same rule.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::http::observe::{REQUEST_ID, RequestId, request_id};

/// The middleware: `.wrap(actix_web::middleware::from_fn(request_id::stamp))`.
pub async fn stamp(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let given = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let id = given.unwrap_or_else(|| request_id(req.headers().get(&REQUEST_ID)));
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
