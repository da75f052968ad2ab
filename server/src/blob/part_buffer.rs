//! The memory S3 upload parts are assembled in, shared by every request of the process, and
//! the rule that keeps one slow client from starving the others of it.
//!
//! An S3 part must be whole in memory before `put_part`, so a request reserves room for its
//! whole part before reading the body (all of it at once: reserving piecemeal could leave
//! every request holding part of what it needs and waiting for the rest, forever). Waiters
//! queue first come, first served. What bounds how long one request may keep its room:
//! - a client that stops sending is cut by the body idle timeout (the HTTP layer);
//! - a client that keeps sending, but slowly, is cut once it falls behind an allowance of
//!   `grace + received / MIN_HOLD_RATE` since it got its room, *and only while another
//!   request waits for room*. A lone slow client is never cut; a trickler (a byte now and
//!   then, just inside the idle timeout) loses its room to the next upload within about the
//!   grace period. Both answer `408`, and nothing of the part is kept or recorded.
//!
//! Other transfers do not use this buffer: a single `PUT` of a blob holds only its own
//! bounded buffer (at most [`super::SINGLE_PUT_MAX`], or a few multipart chunks).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::BlobError;

/// Bytes of S3 parts held in memory at once, over all requests; in MiB.
pub(super) const S3_BUFFER_MIB: u32 = 48;
/// The rate a part must keep up, past the grace period, to keep its room while other parts
/// wait for room: 128 KiB/s (1 Mbit/s).
pub(super) const MIN_HOLD_RATE: u64 = 128 << 10;
/// The grace period when none is configured (the default body idle timeout).
const DEFAULT_GRACE: Duration = Duration::from_secs(60);

pub(super) struct PartBuffer {
    room: Arc<Semaphore>,
    /// Requests waiting for room.
    waiting: AtomicUsize,
    /// Wakes holders when a request starts waiting.
    arrived: Notify,
    grace: Duration,
}

/// Room for one part, held from before its first byte is read until it is stored or dropped.
pub(super) struct Room {
    _permit: OwnedSemaphorePermit,
    since: Instant,
}

impl PartBuffer {
    pub(super) fn new() -> Self {
        Self::with_grace(DEFAULT_GRACE)
    }

    pub(super) fn with_grace(grace: Duration) -> Self {
        Self {
            room: Arc::new(Semaphore::new(S3_BUFFER_MIB as usize)),
            waiting: AtomicUsize::new(0),
            arrived: Notify::new(),
            grace,
        }
    }

    /// Waits for room for a part of `len` bytes (whole MiB, at most the whole buffer).
    pub(super) async fn reserve(&self, len: u64) -> Result<Room, BlobError> {
        let wanted = u32::try_from(len.div_ceil(1 << 20)).unwrap_or(u32::MAX).clamp(1, S3_BUFFER_MIB);
        let permit = match self.room.clone().try_acquire_many_owned(wanted) {
            Ok(permit) => permit,
            Err(_) => {
                let _waiting = Waiting::start(self);
                self.room
                    .clone()
                    .acquire_many_owned(wanted)
                    .await
                    .map_err(|_| BlobError::Config("the part buffer is closed".into()))?
            }
        };
        Ok(Room { _permit: permit, since: Instant::now() })
    }

    /// Resolves when a part that has received `received` bytes into `room` has outstayed its
    /// allowance while another part waits for room; never resolves otherwise.
    pub(super) async fn outstayed(&self, room: &Room, received: u64) {
        let allowance = self.grace + Duration::from_secs_f64(received as f64 / MIN_HOLD_RATE as f64);
        tokio::time::sleep_until(room.since + allowance).await;
        loop {
            let arrived = self.arrived.notified();
            if self.waiting.load(Ordering::Acquire) > 0 {
                return;
            }
            arrived.await;
        }
    }

    /// The error of a part that [`PartBuffer::outstayed`] its room.
    pub(super) fn too_slow(room: &Room, received: u64) -> BlobError {
        BlobError::TooSlow { received, elapsed: room.since.elapsed() }
    }
}

/// Counts a request as waiting for room while it exists (also when its future is dropped).
struct Waiting<'a>(&'a PartBuffer);

impl<'a> Waiting<'a> {
    fn start(buffer: &'a PartBuffer) -> Self {
        buffer.waiting.fetch_add(1, Ordering::AcqRel);
        buffer.arrived.notify_waiters();
        Self(buffer)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_millis(200);

    fn waiter(buffer: &Arc<PartBuffer>) -> tokio::task::JoinHandle<Result<(), BlobError>> {
        let buffer = buffer.clone();
        tokio::spawn(async move { buffer.reserve(1 << 20).await.map(|_| ()) })
    }

    #[tokio::test]
    async fn a_slow_holder_outstays_its_room_only_while_another_part_waits() {
        let buffer = Arc::new(PartBuffer::with_grace(GRACE));
        let room = buffer.reserve(u64::from(S3_BUFFER_MIB) << 20).await.unwrap();
        let alone = tokio::time::timeout(GRACE * 3, buffer.outstayed(&room, 10)).await;
        assert!(alone.is_err(), "nobody waits: the holder keeps its room");

        let waiting = waiter(&buffer);
        let contended = tokio::time::timeout(Duration::from_secs(5), buffer.outstayed(&room, 10)).await;
        assert!(contended.is_ok(), "past its allowance with a waiter, the holder must go");
        drop(room);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_holder_keeping_the_minimum_rate_keeps_its_room_while_others_wait() {
        let buffer = Arc::new(PartBuffer::with_grace(GRACE));
        let room = buffer.reserve(u64::from(S3_BUFFER_MIB) << 20).await.unwrap();
        let _waiting = waiter(&buffer);
        // Ten seconds' worth at the minimum rate buys ten seconds beyond the grace period.
        let kept = tokio::time::timeout(GRACE * 3, buffer.outstayed(&room, 10 * MIN_HOLD_RATE)).await;
        assert!(kept.is_err());
    }
}
