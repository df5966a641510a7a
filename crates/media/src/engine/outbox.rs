//! Datagrams waiting for the I/O loop, and the buffers they travel in.
//!
//! Buffers handed out by [`super::MediaStream::poll_transmit`] can come back through
//! [`super::MediaStream::recycle`]; a loop that does so makes the steady state allocation-free.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::{Transmit, TransmitKind};

/// Buffers kept for reuse; more than a few means the caller is not draining.
const POOL_MAX: usize = 32;
/// Room for any RTP/RTCP packet we build (Opus at its largest plus headers and SRTP tag).
pub(super) const BUFFER_CAPACITY: usize = 1500;

#[derive(Debug, Default)]
pub(super) struct Outbox {
    queue: VecDeque<Transmit>,
    pool: Vec<Vec<u8>>,
}

impl Outbox {
    /// An empty buffer, reused if one is available.
    pub(super) fn buffer(&mut self) -> Vec<u8> {
        let mut buf = self
            .pool
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BUFFER_CAPACITY));
        buf.clear();
        buf
    }

    pub(super) fn recycle(&mut self, buf: Vec<u8>) {
        if self.pool.len() < POOL_MAX {
            self.pool.push(buf);
        }
    }

    pub(super) fn push(&mut self, to: SocketAddr, bytes: Vec<u8>, kind: TransmitKind) {
        self.queue.push_back(Transmit { to, bytes, kind });
    }

    pub(super) fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }
}
