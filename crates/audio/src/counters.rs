//! Health counters shared by the device callbacks, the media side and the device thread.
//! Plain relaxed atomics: each is an independent tally, read for display and tests.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// A snapshot of one direction's counters (see [`crate::AudioIo::counters`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionCounters {
    /// Times the ring ran dry while playing (playback) and the device got silence instead.
    pub underruns: u64,
    /// Times the backlog grew past its bound and the oldest audio was dropped (or, when the
    /// ring was completely full, the newest).
    pub overruns: u64,
    /// Samples (device rate, mono) thrown away by overruns.
    pub dropped_samples: u64,
    /// Errors the device reported through cpal's error callback (xruns excluded).
    pub device_errors: u64,
    /// Xruns the backend reported (the device itself ran late or early).
    pub xruns: u64,
    /// Streams opened on this direction (1 after open; each reopen or switch adds one).
    pub opens: u64,
    /// Device callbacks run so far; a stuck stream shows as a number that stops growing.
    pub callbacks: u64,
    /// Largest buffer one callback asked for or delivered (device frames): the device's
    /// latency granularity.
    pub largest_callback_frames: u32,
}

/// Counters for both directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioCounters {
    pub capture: DirectionCounters,
    pub playback: DirectionCounters,
}

/// The live atomics behind a [`DirectionCounters`] plus the flags the device thread watches.
#[derive(Debug, Default)]
pub(crate) struct DirectionShared {
    pub underruns: AtomicU64,
    pub overruns: AtomicU64,
    pub dropped_samples: AtomicU64,
    pub device_errors: AtomicU64,
    pub xruns: AtomicU64,
    pub opens: AtomicU64,
    pub callbacks: AtomicU64,
    /// Largest callback buffer seen (device frames): bounds how much backlog is normal.
    pub largest_chunk: AtomicU32,
    /// Set by the error callback when the stream is dead; the device thread reopens.
    pub failed: AtomicBool,
}

impl DirectionShared {
    pub fn snapshot(&self) -> DirectionCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DirectionCounters {
            underruns: get(&self.underruns),
            overruns: get(&self.overruns),
            dropped_samples: get(&self.dropped_samples),
            device_errors: get(&self.device_errors),
            xruns: get(&self.xruns),
            opens: get(&self.opens),
            callbacks: get(&self.callbacks),
            largest_callback_frames: self.largest_chunk.load(Ordering::Relaxed),
        }
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Called by every data callback with its buffer size in device frames.
    pub fn note_callback(&self, frames: usize) {
        self.callbacks.fetch_add(1, Ordering::Relaxed);
        self.largest_chunk
            .fetch_max(u32::try_from(frames).unwrap_or(u32::MAX), Ordering::Relaxed);
    }

    pub fn largest_chunk(&self) -> usize {
        self.largest_chunk.load(Ordering::Relaxed) as usize
    }
}
