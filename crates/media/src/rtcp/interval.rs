//! When to send the next compound report (RFC 3550 §6.2, §6.3.5, simplified for two-party calls).

use std::time::{Duration, Instant};

/// Schedules compound RTCP reports: every ~5 s, each interval randomised to 0.5–1.5× so that
/// reports of many participants do not synchronise (RFC 3550 §6.2), the first one after half
/// the minimum interval so that RTT and loss are known early (§6.2 "initial … Tmin / 2").
///
/// Simplified on purpose: in a two-party audio call RTCP's 5 % bandwidth share (≥ 3.2 kbit/s at
/// 64 kbit/s) would allow a report far more often than the 5 s minimum, so the bandwidth term
/// of §6.3.1 never wins and is not computed; without timer reconsideration (§6.3.6) the
/// e − 3/2 compensation factor is not applied either, so the mean interval stays at 5 s.
/// Randomness comes from a seed the caller passes (sans-IO, reproducible in tests).
#[derive(Debug, Clone)]
pub struct RtcpScheduler {
    interval: Duration,
    next: Instant,
    rng: u64,
}

impl RtcpScheduler {
    /// RFC 3550 §6.2's recommended minimum interval.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

    /// A scheduler whose first report falls 0.5–1.5 × 2.5 s after `now`.
    pub fn new(now: Instant, seed: u64) -> Self {
        Self::with_interval(now, seed, Self::DEFAULT_INTERVAL)
    }

    /// The same with another mean interval (tests, or a profile that asks for one).
    pub fn with_interval(now: Instant, seed: u64, interval: Duration) -> Self {
        let mut scheduler = Self {
            interval,
            next: now,
            rng: seed,
        };
        scheduler.next = now + scheduler.randomised(interval / 2);
        scheduler
    }

    /// When the next report is due.
    pub fn poll_timeout(&self) -> Instant {
        self.next
    }

    /// Returns whether a report is due at `now`; if so, schedules the one after it.
    pub fn handle_timeout(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + self.randomised(self.interval);
        true
    }

    /// `base` × a uniform factor in [0.5, 1.5).
    fn randomised(&mut self, base: Duration) -> Duration {
        // splitmix64: tiny, well distributed, and enough for jitter on a timer.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // 53 random bits as a fraction in [0, 1).
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        base.mul_f64(0.5 + unit)
    }
}
