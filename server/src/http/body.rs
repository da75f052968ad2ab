//! Request bodies: every body is read through [`Body`], which ends the request when the
//! client stops sending (an idle timeout per chunk), and JSON bodies are read bounded by
//! ourselves, so that oversize, malformed, invalid and stalled bodies all answer with the
//! JSON envelope and name the offending field.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::{FromRequest, HttpRequest, dev, web};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use tokio::time::{Instant, Sleep};

use crate::service::{BodyError, RegistryError};

/// Largest JSON request body, in bytes (app data).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// How long a request waits for the next bytes of its body before it ends with `408`
/// (app data; [`BodyTimeout::DEFAULT`] where none is configured).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

impl BodyTimeout {
    pub const DEFAULT: Duration = Duration::from_secs(60);
}

/// A request body whose reads time out: when no byte arrives for the configured idle time,
/// the stream yields [`BodyError::Stalled`] and ends, so whoever reads it (the service, the
/// blob store) releases and aborts what it holds and the request answers `408`.
///
/// The clock runs only while the reader waits for the client: it starts when the reader
/// asks for the next chunk and stops when one arrives, so time the server spends on a chunk
/// (hashing, writing, waiting for S3) never counts against the client.
pub struct Body {
    payload: dev::Payload,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    /// Whether `timer` runs for the chunk being waited for.
    waiting: bool,
    done: bool,
}

impl Body {
    pub fn new(payload: dev::Payload, idle: Duration) -> Self {
        Self { payload, idle, timer: Box::pin(tokio::time::sleep(idle)), waiting: false, done: false }
    }
}

impl FromRequest for Body {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let idle = req.app_data::<web::Data<BodyTimeout>>().map_or(BodyTimeout::DEFAULT, |t| t.0);
        ready(Ok(Self::new(payload.take(), idle)))
    }
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if !this.waiting {
            this.timer.as_mut().reset(Instant::now() + this.idle);
            this.waiting = true;
        }
        match Pin::new(&mut this.payload).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                // An empty chunk is no progress: the clock keeps running.
                if !chunk.is_empty() {
                    this.waiting = false;
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(BodyError::Interrupted(Box::new(e)))))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    Poll::Ready(Some(Err(BodyError::Stalled(this.idle))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Reads at most `limit` bytes and deserialises them; errors name the JSON path.
/// `invalid` builds the error for a body that does not parse or validate.
pub async fn read_json<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    invalid: impl FnOnce(String) -> RegistryError,
) -> Result<T, RegistryError> {
    let buf = read_bytes(body, limit).await?;
    let de = &mut serde_json::Deserializer::from_slice(&buf);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(if path == "." { inner.to_string() } else { format!("{path}: {inner}") })
    })
}

/// Reads a whole body of at most `limit` bytes (a form, NDJSON, ...).
pub async fn read_bytes(mut body: Body, limit: usize) -> Result<Bytes, RegistryError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| RegistryError::body(&e))?;
        if buf.len() + chunk.len() > limit {
            return Err(RegistryError::BodyTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Reads a JSON request body other than a manifest: a body that does not parse is a 400
/// `invalid_json` naming the JSON path.
pub async fn read_request<T: DeserializeOwned>(body: Body, limit: usize) -> Result<T, RegistryError> {
    read_json(body, limit, |message| RegistryError::Invalid {
        code: crate::service::InvalidCode::InvalidJson,
        message,
    })
    .await
}
