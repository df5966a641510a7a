//! The jitter buffer's state and the pieces shared by the arrival and playout paths.

use std::time::{Duration, Instant};

use super::delay::DelayEstimator;
use super::slots::SlotPool;
use super::{JitterConfig, JitterStats};

/// Initial target before any statistics exist.
pub(super) const INITIAL_TARGET: Duration = Duration::from_millis(40);
/// Offsets for the extended sequence/timestamp counters, so early reordering never goes negative.
pub(super) const EXT_BASE: i64 = 1 << 32;
/// Pops in the window whose minimum `D` drives adjustments.
pub(super) const D_WINDOW: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// No stream, or idle after a long pause.
    Idle,
    /// Packets are arriving; waiting until `D` reaches the target.
    Buffering,
    Playing,
}

/// A packet held on probation (see [`PushOutcome::Probation`]); its payload is in the pool's spare.
#[derive(Clone, Copy, Debug)]
pub(super) struct Held {
    pub(super) ssrc: u32,
    pub(super) sequence: u16,
    pub(super) timestamp: u32,
    pub(super) arrival_us: i64,
}

/// The adaptive jitter buffer for one RTP stream (see the module documentation).
#[derive(Clone, Debug)]
pub struct JitterBuffer {
    pub(super) clock_rate: i64,
    pub(super) frame_ticks: i64,
    pub(super) min_target_us: i64,
    pub(super) max_target_us: i64,
    pub(super) fec: bool,
    pub(super) idle_after_us: i64,

    pub(super) slots: SlotPool,
    pub(super) delay: DelayEstimator,
    pub(super) state: State,
    /// Time zero for all µs arithmetic (first push).
    pub(super) epoch: Option<Instant>,

    pub(super) ssrc: Option<u32>,
    /// The stream before the last SSRC change and its highest sequence number: its stragglers
    /// are dropped as late instead of switching back.
    pub(super) previous: Option<(u32, u16)>,
    /// Extended timestamp that maps to 0 µs on this stream's timeline.
    pub(super) ts_base: i64,
    pub(super) highest_seq: i64,
    pub(super) highest_ts: i64,
    pub(super) first_seq: i64,
    pub(super) received_in_stream: u64,
    pub(super) lost_before: u64,
    pub(super) held: Option<Held>,

    pub(super) next_seq: i64,
    pub(super) due_ts: i64,
    pub(super) target_us: i64,
    pub(super) d_window: [i64; D_WINDOW],
    pub(super) d_pos: usize,
    pub(super) cooldown: u32,
    pub(super) last_pop_us: Option<i64>,
    pub(super) empty_us: i64,
    pub(super) stats: JitterStats,
}

impl JitterBuffer {
    /// Allocates the slot pool; nothing allocates after this.
    pub fn new(config: JitterConfig) -> Self {
        let clock_rate = i64::from(config.clock_rate.max(1));
        let frame_us = duration_us(config.frame).max(1);
        let max_target_us = duration_us(config.max_delay);
        let min_target_us = duration_us(config.min_delay)
            .max(frame_us)
            .min(max_target_us);
        let target_us =
            duration_us(INITIAL_TARGET).clamp(min_target_us, max_target_us.max(min_target_us));
        let stats = JitterStats {
            target_delay_ms: target_us as f32 / 1000.0,
            ..JitterStats::default()
        };
        Self {
            clock_rate,
            frame_ticks: (frame_us * clock_rate / 1_000_000).max(1),
            min_target_us,
            max_target_us,
            fec: config.fec,
            idle_after_us: (3 * max_target_us).max(500_000),
            slots: SlotPool::new(config.slots, config.max_payload),
            delay: DelayEstimator::new(),
            state: State::Idle,
            epoch: None,
            ssrc: None,
            previous: None,
            ts_base: 0,
            highest_seq: 0,
            highest_ts: 0,
            first_seq: 0,
            received_in_stream: 0,
            lost_before: 0,
            held: None,
            next_seq: 0,
            due_ts: 0,
            target_us,
            d_window: [0; D_WINDOW],
            d_pos: 0,
            cooldown: 0,
            last_pop_us: None,
            empty_us: 0,
            stats,
        }
    }

    /// The counters for the quality report.
    pub fn stats(&self) -> JitterStats {
        let mut stats = self.stats;
        let expected = if self.ssrc.is_some() {
            (self.highest_seq - self.first_seq + 1).max(0) as u64
        } else {
            0
        };
        stats.lost = self.lost_before + expected.saturating_sub(self.received_in_stream);
        stats.jitter_ms = (self.delay.jitter_us() / 1000.0) as f32;
        stats
    }

    /// Packets waiting to be played.
    pub fn buffered_packets(&self) -> usize {
        self.slots.waiting()
    }

    /// The caller got [`Playout::MissingWithFec`](super::Playout::MissingWithFec) but the codec recovered nothing; counts that
    /// frame as plain concealment.
    pub fn fec_unusable(&mut self) {
        self.stats.fec_recovered = self.stats.fec_recovered.saturating_sub(1);
    }

    /// Forgets the current stream; the next packets start a new one at `sequence`/`timestamp`.
    pub(super) fn start_stream(&mut self, ssrc: u32, sequence: u16, timestamp: u32) {
        if let Some(old) = self.ssrc {
            self.previous = (old != ssrc).then_some((old, self.highest_seq as u16));
            self.stats.resets += 1;
            let expected = (self.highest_seq - self.first_seq + 1).max(0) as u64;
            self.lost_before += expected.saturating_sub(self.received_in_stream);
        }
        self.ssrc = Some(ssrc);
        self.slots.clear();
        self.held = None;
        self.delay.restart_timeline();
        let seq = EXT_BASE + i64::from(sequence);
        let ts = EXT_BASE + i64::from(timestamp);
        self.highest_seq = seq;
        self.highest_ts = ts;
        self.first_seq = seq;
        self.received_in_stream = 0;
        self.ts_base = ts;
        self.begin_buffering(seq, ts);
    }

    pub(super) fn begin_buffering(&mut self, seq: i64, ts: i64) {
        self.state = State::Buffering;
        self.next_seq = seq;
        self.due_ts = ts;
        self.empty_us = 0;
    }

    pub(super) fn micros_since_epoch(&mut self, now: Instant) -> i64 {
        let epoch = *self.epoch.get_or_insert(now);
        duration_us(now.saturating_duration_since(epoch))
    }

    pub(super) fn ts_us(&self, ts: i64) -> i64 {
        self.ticks_us(ts - self.ts_base)
    }

    pub(super) fn ticks_us(&self, ticks: i64) -> i64 {
        ticks * 1_000_000 / self.clock_rate
    }
}

/// Extends a wrapped counter of `bits` bits to the value nearest to `reference`.
pub(super) fn extend(reference: i64, value: u64, bits: u32) -> i64 {
    let modulus = 1i64 << bits;
    let half = modulus / 2;
    let delta = (value as i64 - reference).rem_euclid(modulus);
    if delta >= half {
        reference + delta - modulus
    } else {
        reference + delta
    }
}

pub(super) fn duration_us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::extend;

    #[test]
    fn extension_follows_the_nearest_wrap() {
        let base = (1i64 << 32) + 65_530;
        assert_eq!(extend(base, 65_535, 16), base + 5);
        assert_eq!(extend(base, 3, 16), base + 9); // wrapped forward
        assert_eq!(extend(base + 9, 65_534, 16), base + 4); // reordered back across the wrap
        let ts = (1i64 << 32) + i64::from(u32::MAX) - 100;
        assert_eq!(extend(ts, 59, 32), ts + 160);
    }
}
