//! The frames of a request body waiting to be written, kept as they arrived or copied
//! together when small, so that one vectored write takes them all.

use super::write::WRITE_BUFFER;
use bytes::{Bytes, BytesMut};

/// Frames of a body waiting to be written, in order. Large frames are kept as they are; small
/// ones (a client trickling bytes) are copied together, so that a batch never has more than
/// [`Batch::MAX_BLOCKS`] pieces and each piece keeps little else alive.
#[derive(Default)]
pub(super) struct Batch {
    blocks: Vec<Bytes>,
    tail: BytesMut,
    len: usize,
}

impl Batch {
    /// Frames shorter than this are copied into the tail rather than kept.
    const COPY_BELOW: usize = 16 * 1024;
    /// Far below any platform's `IOV_MAX`.
    const MAX_BLOCKS: usize = 64;

    pub(super) fn push(&mut self, block: Bytes) {
        self.len += block.len();
        if block.len() < Self::COPY_BELOW {
            self.tail.extend_from_slice(&block);
        } else {
            self.seal_tail();
            self.blocks.push(block);
        }
    }

    /// Bytes held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            self.blocks.push(self.tail.split().freeze());
        }
    }

    /// Whether a frame of `len` bytes fits without passing [`WRITE_BUFFER`] or
    /// [`Batch::MAX_BLOCKS`].
    pub(super) fn has_room_for(&self, len: usize) -> bool {
        self.len + len <= WRITE_BUFFER && self.blocks.len() + 2 <= Self::MAX_BLOCKS
    }

    /// The pieces to write, in order, leaving the batch empty.
    pub(super) fn take(&mut self) -> (Vec<Bytes>, usize) {
        self.seal_tail();
        let len = std::mem::take(&mut self.len);
        (std::mem::take(&mut self.blocks), len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_few_pieces_however_the_body_is_framed() {
        let mut batch = Batch::default();
        for _ in 0..10_000 {
            batch.push(Bytes::from_static(b"x"));
            assert!(batch.blocks.len() <= 1, "tiny frames are copied together");
        }
        batch.push(Bytes::from(vec![1u8; 20_000]));
        batch.push(Bytes::from_static(b"yz"));
        let (blocks, len) = batch.take();
        assert_eq!(len, 10_000 + 20_000 + 2);
        let lens: Vec<usize> = blocks.iter().map(Bytes::len).collect();
        assert_eq!(lens, [10_000, 20_000, 2]);
        // Pieces: never more than MAX_BLOCKS.
        let mut batch = Batch::default();
        let frame = Bytes::from(vec![0u8; 16 * 1024]);
        while batch.has_room_for(frame.len()) {
            batch.push(frame.clone());
        }
        assert!(batch.blocks.len() < Batch::MAX_BLOCKS);
    }
}
