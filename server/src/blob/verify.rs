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

/// Passes bytes through unchanged and, at the end, fails the stream if they did not hash to
/// the expected digest: a corrupt stored blob is never served as if it were fine.
pub struct VerifyingStream {
    inner: BoxStream<'static, Result<Bytes, BlobError>>,
    hasher: Option<Sha256Hasher>,
    expected: Digest,
}

impl VerifyingStream {
    pub fn new(
        inner: impl Stream<Item = Result<Bytes, BlobError>> + Send + 'static,
        expected: Digest,
    ) -> Self {
        Self { inner: Box::pin(inner), hasher: Some(Sha256Hasher::new()), expected }
    }
}

impl Stream for VerifyingStream {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(h) = this.hasher.as_mut() {
                    h.update(&chunk);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => match this.hasher.take() {
                Some(h) => {
                    let actual = h.finish();
                    if actual == this.expected {
                        Poll::Ready(None)
                    } else {
                        Poll::Ready(Some(Err(BlobError::Corrupt { digest: this.expected, actual })))
                    }
                }
                None => Poll::Ready(None),
            },
            other => other,
        }
    }
}
