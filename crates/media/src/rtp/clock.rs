//! The media clock: which RTP timestamp belongs to an instant (RFC 3550 §5.1 "timestamp").

use std::time::{Duration, Instant};

/// Maps monotonic time to RTP timestamp units for one stream.
///
/// RFC 3550 §5.1 wants the timestamp to advance at the payload's clock rate from a random
/// start; a stream picks `origin_timestamp` at random once and every sender sharing the stream
/// (audio packetiser, the DTMF sender) reads timestamps from the same clock, so telephone-events
/// sit on the audio timeline as RFC 4733 §2.1 requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpClock {
    origin: Instant,
    origin_timestamp: u32,
    clock_rate: u32,
}

impl RtpClock {
    /// A clock reading `origin_timestamp` at `origin` and advancing `clock_rate` units a second.
    pub fn new(origin: Instant, origin_timestamp: u32, clock_rate: u32) -> Self {
        Self {
            origin,
            origin_timestamp,
            clock_rate,
        }
    }

    /// Units per second (8000 for G.711/G.722/telephone-event/8000, 48000 for Opus).
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// The timestamp at `now` (wrapping modulo 2^32; instants before the origin read as it).
    pub fn timestamp_at(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.origin);
        self.origin_timestamp
            .wrapping_add(units(elapsed, self.clock_rate) as u32)
    }

    /// A duration in this clock's units, saturating at `u32::MAX`.
    pub fn duration_to_units(&self, duration: Duration) -> u32 {
        u32::try_from(units(duration, self.clock_rate)).unwrap_or(u32::MAX)
    }

    /// Units of this clock as a duration.
    pub fn units_to_duration(&self, units: u32) -> Duration {
        if self.clock_rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(u64::from(units) * 1_000_000_000 / u64::from(self.clock_rate))
    }
}

/// `duration × rate`, truncated to whole units (kept to 64 bits: it wraps into a u32 timestamp).
fn units(duration: Duration, rate: u32) -> u64 {
    (duration.as_nanos() * u128::from(rate) / 1_000_000_000) as u64
}
