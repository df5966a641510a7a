//! The playout path: once per frame, decide what the media loop plays, and keep the playout
//! delay at the target (drop a frame when above, insert concealment when below).

use std::time::Instant;

use super::buffer::{JitterBuffer, State, D_WINDOW};
use super::Playout;

/// The fraction of recent packets the target delay covers.
const QUANTILE: f64 = 0.99;
/// Added to the percentile: media loop tick jitter and histogram resolution.
const MARGIN_US: i64 = 5_000;
/// Dead band above target + one frame before a frame is dropped.
const HYSTERESIS_US: i64 = 5_000;
/// How fast the target may fall once the jitter has calmed.
const SHRINK_US_PER_S: i64 = 10_000;
/// Pops between two frame drops.
const COMPRESS_COOLDOWN: u32 = 4;

impl JitterBuffer {
    /// The decision for the next frame; call once per frame the media loop consumes.
    pub fn pop(&mut self, now: Instant) -> Playout<'_> {
        if self.epoch.is_none() {
            return Playout::Empty;
        }
        let now_us = self.micros_since_epoch(now);
        self.update_target(now_us);
        let Some(baseline) = self.delay.baseline() else {
            return Playout::Empty;
        };
        let d = now_us - self.ts_us(self.due_ts) - baseline;
        match self.state {
            State::Idle => return Playout::Empty,
            State::Buffering if d < self.target_us => return Playout::Empty,
            State::Buffering => {
                self.state = State::Playing;
                self.d_window = [d; D_WINDOW];
                self.cooldown = 0;
                self.empty_us = 0;
            }
            State::Playing => {}
        }
        self.stats.current_delay_ms = d as f32 / 1000.0;
        self.d_window[self.d_pos] = d;
        self.d_pos = (self.d_pos + 1) % D_WINDOW;
        let d_min = self.d_window.iter().copied().min().unwrap_or(d);
        let frame_us = self.ticks_us(self.frame_ticks);

        if self.cooldown > 0 {
            self.cooldown -= 1;
        } else if d_min > self.target_us + frame_us + HYSTERESIS_US {
            self.skip_due_frame();
            self.shift_window(-frame_us);
            self.stats.compressed += 1;
            self.cooldown = COMPRESS_COOLDOWN;
        } else if d_min < self.target_us {
            self.shift_window(frame_us);
            self.stats.expanded += 1;
            self.stats.concealed += 1;
            self.cooldown = 1;
            return Playout::Missing;
        }
        self.play_due_frame(frame_us)
    }

    fn play_due_frame(&mut self, frame_us: i64) -> Playout<'_> {
        let seq = self.next_seq;
        if let Some(stored) = self.slots.get(seq) {
            self.empty_us = 0;
            if stored.ts > self.due_ts + self.frame_ticks / 2 {
                // The sender skipped time (DTX): conceal until the packet's time comes.
                self.due_ts += self.frame_ticks;
                self.stats.concealed += 1;
                return Playout::Missing;
            }
            self.slots.consume(seq);
            self.next_seq += 1;
            self.due_ts = stored.ts + self.frame_ticks;
            return Playout::Packet(self.slots.payload(seq));
        }

        let dry = self.slots.waiting() == 0;
        self.slots.mark_missed(seq, dry);
        self.next_seq += 1;
        self.due_ts += self.frame_ticks;
        self.stats.concealed += 1;
        if dry {
            self.empty_us += frame_us;
            if self.empty_us >= self.idle_after_us {
                self.state = State::Idle;
            }
            return Playout::Missing;
        }
        self.empty_us = 0;
        let next = self.next_seq;
        match self.slots.get(next) {
            Some(stored) if self.fec && stored.ts <= self.due_ts + self.frame_ticks / 2 => {
                self.stats.fec_recovered += 1;
                Playout::MissingWithFec(self.slots.payload(next))
            }
            _ => Playout::Missing,
        }
    }

    /// Drops the frame that is due (to lower the delay by one frame).
    fn skip_due_frame(&mut self) {
        match self.slots.get(self.next_seq) {
            Some(stored) if stored.ts > self.due_ts + self.frame_ticks / 2 => {} // inside a DTX gap
            Some(_) => {
                self.slots.consume(self.next_seq);
                self.next_seq += 1;
            }
            None => {
                self.slots.mark_missed(self.next_seq, false);
                self.next_seq += 1;
            }
        }
        self.due_ts += self.frame_ticks;
    }

    fn shift_window(&mut self, by_us: i64) {
        for d in &mut self.d_window {
            *d += by_us;
        }
    }

    fn update_target(&mut self, now_us: i64) {
        let dt = self
            .last_pop_us
            .map_or(0, |last| (now_us - last).clamp(0, 200_000));
        self.last_pop_us = Some(now_us);
        let fec_us = if self.fec {
            self.ticks_us(self.frame_ticks)
        } else {
            0
        };
        let wanted = (self.delay.spread_percentile_us(QUANTILE) + MARGIN_US + fec_us)
            .clamp(self.min_target_us, self.max_target_us);
        if wanted >= self.target_us {
            self.target_us = wanted;
        } else {
            self.target_us = (self.target_us - SHRINK_US_PER_S * dt / 1_000_000).max(wanted);
        }
        self.stats.target_delay_ms = self.target_us as f32 / 1000.0;
    }
}
