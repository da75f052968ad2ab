//! Cutting a request body into equal pieces before it is held or written: parts assembled in
//! memory for S3 and writes to a local file both take pieces of [`PIECE_SIZE`] bytes, so
//! that allocations stay equal and modest whatever chunk sizes the client sends.

use bytes::{Bytes, BytesMut};

/// Bytes per piece (the last piece of a body may be shorter).
pub(super) const PIECE_SIZE: usize = 1 << 20;

/// Cuts a stream of chunks into pieces of exactly [`PIECE_SIZE`] bytes (the last may be
/// shorter): equal, modest allocations that the allocator reuses instead of fragmenting.
#[derive(Default)]
pub(super) struct Pieces {
    pending: BytesMut,
}

impl Pieces {
    /// Takes `data`, returning the pieces it completed.
    pub(super) fn push(&mut self, mut data: &[u8]) -> Vec<Bytes> {
        let mut full = Vec::new();
        while !data.is_empty() {
            if self.pending.capacity() == 0 {
                self.pending.reserve(PIECE_SIZE);
            }
            let (now, rest) = data.split_at((PIECE_SIZE - self.pending.len()).min(data.len()));
            self.pending.extend_from_slice(now);
            data = rest;
            if self.pending.len() == PIECE_SIZE {
                full.push(std::mem::take(&mut self.pending).freeze());
            }
        }
        full
    }

    /// The last, shorter piece, if bytes are pending.
    pub(super) fn finish(self) -> Option<Bytes> {
        (!self.pending.is_empty()).then(|| self.pending.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_exactly_one_piece_size_and_keep_every_byte_in_order() {
        let data: Vec<u8> = (0..(2 * PIECE_SIZE + 12_345)).map(|i| (i % 253) as u8).collect();
        let mut pieces = Pieces::default();
        let mut out = Vec::new();
        for chunk in data.chunks(100_003) {
            out.extend(pieces.push(chunk));
        }
        assert!(out.iter().all(|p| p.len() == PIECE_SIZE));
        out.extend(pieces.finish());
        assert_eq!(out.len(), 3);
        assert!(out.concat() == data);
        assert!(Pieces::default().finish().is_none());
    }
}
