//! The arrival path: classify each packet (in order, reordered, duplicate, late, a jump on
//! probation, a new stream), feed the delay statistics, and store it.

use std::time::Instant;

use super::buffer::{extend, Held, JitterBuffer, State};
use super::{PushOutcome, RtpPacket};

/// RFC 3550 A.1: a packet this far behind the highest sequence number is from another epoch.
const MAX_MISORDER: i64 = 100;
/// RFC 3550 A.1: a forward jump this large is a restart, not loss.
const MAX_DROPOUT: i64 = 3000;
/// A transit this far from the baseline means the timestamps jumped.
const TIMELINE_JUMP_US: i64 = 1_000_000;

impl JitterBuffer {
    /// Takes one received packet at its arrival time `now`.
    pub fn push(&mut self, now: Instant, packet: RtpPacket<'_>) -> PushOutcome {
        if packet.payload.len() > self.slots.max_payload() {
            self.stats.oversized += 1;
            return PushOutcome::Oversized;
        }
        let arrival_us = self.micros_since_epoch(now);
        if self.is_straggler(packet) {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if self.ssrc != Some(packet.ssrc) {
            let outcome = if self.ssrc.is_some() {
                PushOutcome::Reset
            } else {
                PushOutcome::Accepted
            };
            self.start_stream(packet.ssrc, packet.sequence, packet.timestamp);
            self.accept(
                arrival_us,
                self.highest_seq,
                self.highest_ts,
                packet.payload,
            );
            return outcome;
        }

        let seq = extend(self.highest_seq, u64::from(packet.sequence), 16);
        let ts = extend(self.highest_ts, u64::from(packet.timestamp), 32);
        if self.is_jump(seq, arrival_us - self.ts_us(ts)) {
            return self.probation(arrival_us, packet);
        }
        self.held = None;
        self.accept(arrival_us, seq, ts, packet.payload)
    }

    fn accept(&mut self, arrival_us: i64, seq: i64, ts: i64, payload: &[u8]) -> PushOutcome {
        if self.slots.get(seq).is_some() || (seq < self.next_seq && self.slots.seen(seq)) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        self.stats.received += 1;
        self.received_in_stream += 1;
        self.delay
            .on_arrival(arrival_us, arrival_us - self.ts_us(ts));
        if seq == self.highest_seq + 1 {
            let delta = ts - self.highest_ts;
            if delta > 0 && delta <= self.clock_rate * 120 / 1000 {
                self.frame_ticks = delta;
            }
        }
        if seq > self.highest_seq {
            self.highest_seq = seq;
            self.highest_ts = ts;
        }
        // Expected packets (RFC 3550 §6.4.1) start at the earliest one seen, reordering included.
        self.first_seq = self.first_seq.min(seq);

        let capacity = self.slots.capacity() as i64;
        match self.state {
            State::Idle if seq >= self.next_seq => self.begin_buffering(seq, ts),
            State::Buffering if seq < self.next_seq && self.highest_seq - seq < capacity => {
                // Reordered ahead of the first packet, before playout started: start from it.
                self.next_seq = seq;
                self.due_ts = ts;
            }
            _ => {}
        }
        if seq < self.next_seq {
            if self.slots.missed_dry(seq) {
                self.stats.underruns += 1;
            }
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        self.slots.store(seq, ts, payload);
        PushOutcome::Accepted
    }

    /// A packet of the stream we switched away from, not newer than the last one we had of it
    /// (reordered across the switch). A newer one means that source really came back.
    fn is_straggler(&self, packet: RtpPacket<'_>) -> bool {
        self.previous.is_some_and(|(ssrc, highest)| {
            ssrc == packet.ssrc && (packet.sequence.wrapping_sub(highest) as i16) <= 0
        })
    }

    fn is_jump(&self, seq: i64, transit_us: i64) -> bool {
        let window_end = self.next_seq + self.slots.capacity() as i64;
        let seq_jump = self.highest_seq - seq > MAX_MISORDER
            || seq - self.highest_seq > MAX_DROPOUT
            || (self.state != State::Idle && seq >= window_end);
        let timeline_jump = self
            .delay
            .baseline()
            .is_some_and(|b| (transit_us - b).abs() > TIMELINE_JUMP_US);
        seq_jump || timeline_jump
    }

    /// Holds a suspected jump; the next packet in sequence with a close timestamp confirms it.
    fn probation(&mut self, arrival_us: i64, packet: RtpPacket<'_>) -> PushOutcome {
        if let Some(held) = self.held.take() {
            let ticks_since = i64::from(packet.timestamp.wrapping_sub(held.timestamp) as i32);
            let follows = held.ssrc == packet.ssrc
                && held.sequence.wrapping_add(1) == packet.sequence
                && (0..=self.clock_rate).contains(&ticks_since);
            if follows {
                self.start_stream(packet.ssrc, held.sequence, held.timestamp);
                let (seq, ts) = (self.highest_seq, self.highest_ts);
                self.delay
                    .on_arrival(held.arrival_us, held.arrival_us - self.ts_us(ts));
                self.stats.received += 1;
                self.received_in_stream += 1;
                self.slots.store_spare(seq, ts);
                self.accept(arrival_us, seq + 1, ts + ticks_since, packet.payload);
                return PushOutcome::Reset;
            }
        }
        self.slots.hold_spare(packet.payload);
        self.held = Some(Held {
            ssrc: packet.ssrc,
            sequence: packet.sequence,
            timestamp: packet.timestamp,
            arrival_us,
        });
        PushOutcome::Probation
    }
}
