//! The adaptive jitter buffer: a sans-IO playout buffer for one received RTP stream.
//!
//! The network side [`push`](JitterBuffer::push)es packets as they arrive; the media loop
//! [`pop`](JitterBuffer::pop)s one frame each time it needs the next packet's worth of audio
//! and gets a [`Playout`] decision: decode this payload, conceal, conceal with FEC from the next
//! payload, or nothing yet. `now` is always passed in; nothing here reads a clock, blocks or (after
//! [`JitterBuffer::new`]) allocates, so the media loop can call it every frame and tests can drive
//! minutes of virtual time in milliseconds.
//!
//! # Playout is driven by the consumer
//!
//! Each `pop` plays the next frame in sequence order, whatever the time: the sound card's clock,
//! through the media loop, sets the pace, and the sender's clock sets the content. So "how much
//! is buffered" is a measurement, not a schedule:
//!
//! * **Playout delay** `D` = `now − (timestamp of the frame due) − baseline`, where the baseline is
//!   the fastest recent transit ([`delay`] explains it). A packet is on time exactly when its
//!   extra transit ("spread") is at most `D`.
//! * **Target delay** = the 99th percentile of recent spreads + 5 ms (+ one frame when the codec
//!   has FEC, so the next packet is there to repair a loss), clamped to
//!   `[max(min_delay, one frame), max_delay]`. It **rises at once** when spreads grow and
//!   **falls at most 10 ms per second** once they have shrunk, so a jittery link is not re-learnt
//!   after every quiet second.
//! * **Keeping `D` at the target**: when `D` (minimum over the last 8 pops, so a late tick of the
//!   media loop does not count as extra buffering) exceeds target + one frame + 5 ms, one frame
//!   is dropped (`compressed`); when it is below target, a concealment frame is inserted without
//!   consuming a packet (`expanded`, every other pop at most, so concealment never runs long).
//!
//! # Clock drift
//!
//! Sender and sound card clocks differ by up to ~100 ppm. That moves `D` slowly (the baseline
//! shifts by 6 ms per minute at 100 ppm), and the same rule handles it: a sender that runs fast
//! fills the buffer and gets a frame dropped now and then, a slow one drains it and gets a
//! concealment frame inserted. Both are counted, and [`JitterStats::current_delay_ms`] against
//! `target_delay_ms` lets a caller that can time-stretch (drop or repeat 10 ms in silence) keep
//! `D` inside the band itself; the buffer's own frame drop/insert then never triggers. Dropping
//! and inserting whole frames keeps this module codec-agnostic; they are rare (one per 200 s at
//! 100 ppm with 20 ms frames).
//!
//! # Loss, reordering, duplicates, discontinuities
//!
//! * Packets are stored by sequence number in a fixed ring of slots ([`slots`]); a frame that is
//!   missing when due is concealed at once (never waited for: the audio path never waits), and
//!   if the next packet is already here it is offered for FEC. A missing packet that turns up later is
//!   counted `late` and dropped; its spread still feeds the target, which is how the buffer grows.
//! * A duplicate (still waiting or already played) is counted and ignored.
//! * Sequence numbers and timestamps are extended past their wrap (16 and 32 bits).
//! * A new SSRC resets the stream at once. A sequence jump (more than 100 back or beyond the
//!   slot window / 3000 ahead, RFC 3550 A.1) or a timeline jump (transit off by more than 1 s) is
//!   held on probation and resets the stream only when the next packet confirms it, so one stray
//!   packet cannot flush good audio.
//! * A timestamp gap without a sequence gap (DTX, silence suppression) is played as concealment
//!   frames until the next packet's time comes. After 0.6 s with nothing buffered the buffer goes
//!   idle (`Empty`) and re-buffers when packets return.

mod delay;
mod slots;

use std::time::{Duration, Instant};

use delay::DelayEstimator;
use slots::SlotPool;

/// RFC 3550 A.1: a packet this far behind the highest sequence number is from another epoch.
const MAX_MISORDER: i64 = 100;
/// RFC 3550 A.1: a forward jump this large is a restart, not loss.
const MAX_DROPOUT: i64 = 3000;
/// A transit this far from the baseline means the timestamps jumped.
const TIMELINE_JUMP_US: i64 = 1_000_000;
/// The fraction of recent packets the target delay covers.
const QUANTILE: f32 = 0.99;
/// Added to the percentile: media loop tick jitter and histogram resolution.
const MARGIN_US: i64 = 5_000;
/// Dead band above target + one frame before a frame is dropped.
const HYSTERESIS_US: i64 = 5_000;
/// How fast the target may fall once the jitter has calmed.
const SHRINK_US_PER_S: i64 = 10_000;
/// Pops between two frame drops.
const COMPRESS_COOLDOWN: u32 = 4;
/// Pops in the window whose minimum `D` drives adjustments.
const D_WINDOW: usize = 8;
/// Initial target before any statistics exist.
const INITIAL_TARGET: Duration = Duration::from_millis(40);
/// Offsets for the extended sequence/timestamp counters, so early reordering never goes negative.
const EXT_BASE: i64 = 1 << 32;

/// How the buffer is dimensioned. Defaults suit one voice stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate of the payload format (8000 for G.711, 48000 for Opus).
    pub clock_rate: u32,
    /// Packet duration expected from SDP `ptime`; the buffer then learns it from the stream.
    pub frame: Duration,
    /// Lowest target playout delay.
    pub min_delay: Duration,
    /// Highest target playout delay.
    pub max_delay: Duration,
    /// Largest payload stored; larger packets are dropped and counted (`oversized`).
    pub max_payload: usize,
    /// Packets the buffer can hold (rounded up to a power of two). Must cover `max_delay` plus
    /// reordering: 64 × 20 ms is 1.28 s.
    pub slots: usize,
    /// The codec can rebuild a lost frame from the next packet (Opus in-band FEC): the buffer
    /// then offers [`Playout::MissingWithFec`] and keeps one more frame buffered for it.
    pub fec: bool,
}

impl JitterConfig {
    /// 20–200 ms target delay, 1500-byte payloads, 64 slots, no FEC.
    pub fn new(clock_rate: u32, frame: Duration) -> Self {
        Self {
            clock_rate,
            frame,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_payload: 1500,
            slots: 64,
            fec: false,
        }
    }
}

/// One received RTP packet, borrowed from the receive buffer (the payload is copied on push).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: &'a [u8],
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored for playout.
    Accepted,
    /// Stored as the first packet of a new stream (new SSRC or confirmed jump); everything
    /// buffered before was dropped. The caller should reset its decoder.
    Reset,
    /// Already received; ignored.
    Duplicate,
    /// Its frame was already played or concealed; dropped (counted in `late`).
    Late,
    /// Looks like a stream jump; held until the next packet confirms or refutes it.
    Probation,
    /// Payload larger than [`JitterConfig::max_payload`]; dropped.
    Oversized,
}

/// What to play for the next frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Playout<'a> {
    /// Decode this payload.
    Packet(&'a [u8]),
    /// The frame is missing (lost, late, a DTX gap, or inserted to grow the delay): conceal.
    Missing,
    /// The frame is missing but the next packet is here: try `decode_fec` with it, conceal if
    /// that yields nothing (and call [`JitterBuffer::fec_unusable`]).
    MissingWithFec(&'a [u8]),
    /// Nothing to play: not started yet, re-buffering after a reset, or idle after a long pause.
    /// Play silence (or comfort noise); this is not counted as concealment.
    Empty,
}

/// Counters for the quality report (cumulative over the buffer's life).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JitterStats {
    /// Packets pushed, excluding duplicates, oversized and probation (late ones included, as in RFC 3550).
    pub received: u64,
    /// Packets that arrived after their frame was played or concealed.
    pub late: u64,
    /// Packets never received: expected (from sequence numbers) − received, RFC 3550 §6.4.1.
    pub lost: u64,
    pub duplicates: u64,
    pub oversized: u64,
    /// Frames answered `Missing` or `MissingWithFec`.
    pub concealed: u64,
    /// Frames answered `MissingWithFec` (minus those reported unusable).
    pub fec_recovered: u64,
    /// Frames dropped to lower the delay (drift, or a target that came down).
    pub compressed: u64,
    /// Concealment frames inserted to raise the delay (included in `concealed`).
    pub expanded: u64,
    /// Pops that found the buffer empty while playing.
    pub underruns: u64,
    /// Stream resets (new SSRC, confirmed jumps).
    pub resets: u64,
    /// Playout delay `D` at the last pop, ms (beyond the fastest recent packet's transit).
    pub current_delay_ms: f32,
    pub target_delay_ms: f32,
    /// RFC 3550 interarrival jitter, ms.
    pub jitter_ms: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No stream, or idle after a long pause.
    Idle,
    /// Packets are arriving; waiting until `D` reaches the target.
    Buffering,
    Playing,
}

/// A packet held on probation (see [`PushOutcome::Probation`]); its payload is in the pool's spare.
#[derive(Clone, Copy, Debug)]
struct Held {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    arrival_us: i64,
}

/// The adaptive jitter buffer for one RTP stream (see the module documentation).
#[derive(Clone, Debug)]
pub struct JitterBuffer {
    clock_rate: i64,
    frame_ticks: i64,
    min_target_us: i64,
    max_target_us: i64,
    fec: bool,
    idle_after_us: i64,

    slots: SlotPool,
    delay: DelayEstimator,
    state: State,
    /// Time zero for all µs arithmetic (first push).
    epoch: Option<Instant>,

    ssrc: Option<u32>,
    /// Extended timestamp that maps to 0 µs on this stream's timeline.
    ts_base: i64,
    highest_seq: i64,
    highest_ts: i64,
    first_seq: i64,
    received_in_stream: u64,
    lost_before: u64,
    held: Option<Held>,

    next_seq: i64,
    due_ts: i64,
    target_us: i64,
    d_window: [i64; D_WINDOW],
    d_pos: usize,
    cooldown: u32,
    last_pop_us: Option<i64>,
    empty_us: i64,
    stats: JitterStats,
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
        let mut stats = JitterStats::default();
        stats.target_delay_ms = target_us as f32 / 1000.0;
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
        self.slots.filled()
    }

    /// The caller got [`Playout::MissingWithFec`] but the codec recovered nothing; counts that
    /// frame as plain concealment.
    pub fn fec_unusable(&mut self) {
        self.stats.fec_recovered = self.stats.fec_recovered.saturating_sub(1);
    }

    /// Takes one received packet at its arrival time `now`.
    pub fn push(&mut self, now: Instant, packet: RtpPacket<'_>) -> PushOutcome {
        if packet.payload.len() > self.slots.max_payload() {
            self.stats.oversized += 1;
            return PushOutcome::Oversized;
        }
        let arrival_us = self.micros_since_epoch(now);
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

        self.next_seq += 1;
        self.due_ts += self.frame_ticks;
        self.stats.concealed += 1;
        if self.slots.filled() == 0 {
            self.stats.underruns += 1;
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
            None => self.next_seq += 1,
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
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        self.slots.store(seq, ts, payload);
        PushOutcome::Accepted
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

    /// Forgets the current stream; the next packets start a new one at `sequence`/`timestamp`.
    fn start_stream(&mut self, ssrc: u32, sequence: u16, timestamp: u32) {
        if self.ssrc.is_some() {
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

    fn begin_buffering(&mut self, seq: i64, ts: i64) {
        self.state = State::Buffering;
        self.next_seq = seq;
        self.due_ts = ts;
        self.empty_us = 0;
    }

    fn micros_since_epoch(&mut self, now: Instant) -> i64 {
        let epoch = *self.epoch.get_or_insert(now);
        duration_us(now.saturating_duration_since(epoch))
    }

    fn ts_us(&self, ts: i64) -> i64 {
        self.ticks_us(ts - self.ts_base)
    }

    fn ticks_us(&self, ticks: i64) -> i64 {
        ticks * 1_000_000 / self.clock_rate
    }
}

/// Extends a wrapped counter of `bits` bits to the value nearest to `reference`.
fn extend(reference: i64, value: u64, bits: u32) -> i64 {
    let modulus = 1i64 << bits;
    let half = modulus / 2;
    let delta = (value as i64 - reference).rem_euclid(modulus);
    if delta >= half {
        reference + delta - modulus
    } else {
        reference + delta
    }
}

fn duration_us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
