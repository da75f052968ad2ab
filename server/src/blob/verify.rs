//! Hashing helpers: a sha256 hasher that yields a `Digest`, and a stream adapter that checks
//! a whole read against its digest as the bytes pass through.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream};
use modelreg_api::Digest;
use sha2::{Digest as _, Sha256};

use super::BlobError;

/// sha256 (hardware-accelerated where the CPU has SHA extensions) producing a [`Digest`].
#[derive(Default)]
pub struct Sha256Hasher(Sha256);

impl Sha256Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> Digest {
        Digest::from_bytes(self.0.finalize().into())
    }
}

/// Passes bytes through unchanged, holding back the latest chunk until the next one arrives;
/// at the end it releases that last chunk only if everything hashed to the expected digest.
/// A corrupt stored blob therefore never reaches a client complete: the response is cut
/// short of its Content-Length and no client can mistake it for the real thing.
pub struct VerifyingStream {
    inner: BoxStream<'static, Result<Bytes, BlobError>>,
    hasher: Option<Sha256Hasher>,
    held: Option<Bytes>,
    expected: Digest,
}

impl VerifyingStream {
    pub fn new(
        inner: impl Stream<Item = Result<Bytes, BlobError>> + Send + 'static,
        expected: Digest,
    ) -> Self {
        Self { inner: Box::pin(inner), hasher: Some(Sha256Hasher::new()), held: None, expected }
    }
}

impl Stream for VerifyingStream {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let Some(hasher) = this.hasher.as_mut() else {
                return Poll::Ready(None);
            };
            match this.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    hasher.update(&chunk);
                    if let Some(previous) = this.held.replace(chunk) {
                        return Poll::Ready(Some(Ok(previous)));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.hasher = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    let actual = this.hasher.take().map(Sha256Hasher::finish);
                    return match actual {
                        Some(actual) if actual != this.expected => {
                            Poll::Ready(Some(Err(BlobError::Corrupt { digest: this.expected, actual })))
                        }
                        _ => Poll::Ready(this.held.take().map(Ok)),
                    };
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
