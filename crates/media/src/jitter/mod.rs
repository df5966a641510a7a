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
//!   the fastest recent transit (`delay.rs` explains it). A packet is on time exactly when its
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
//! * Packets are stored by sequence number in a fixed ring of slots (`slots.rs`); a frame that is
//!   missing when due is concealed at once (never waited for: the audio path never waits), and
//!   if the next packet is already here it is offered for FEC. A missing packet that turns up later is
//!   counted `late` and dropped; its spread still feeds the target, which is how the buffer grows.
//! * A duplicate (still waiting or already played) is counted and ignored.
//! * Sequence numbers and timestamps are extended past their wrap (16 and 32 bits).
//! * A new SSRC resets the stream at once (stragglers of the previous SSRC, reordered across the
//!   switch, are dropped as late rather than switching back). A sequence jump (more than 100 back or beyond the
//!   slot window / 3000 ahead, RFC 3550 A.1) or a timeline jump (transit off by more than 1 s) is
//!   held on probation and resets the stream only when the next packet confirms it, so one stray
//!   packet cannot flush good audio.
//! * A timestamp gap without a sequence gap (DTX, silence suppression) is played as concealment
//!   frames until the next packet's time comes. After 0.6 s with nothing buffered the buffer goes
//!   idle (`Empty`) and re-buffers when packets return.

mod arrival;
mod buffer;
mod delay;
mod playout;
mod slots;

use std::time::Duration;

pub use buffer::JitterBuffer;

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
    /// Frames concealed because the buffer had run dry and whose packet arrived afterwards: the
    /// delay was too short (a subset of `late`). A dry buffer at a lost packet is not counted.
    pub underruns: u64,
    /// Stream resets (new SSRC, confirmed jumps).
    pub resets: u64,
    /// Playout delay `D` at the last pop, ms (beyond the fastest recent packet's transit).
    pub current_delay_ms: f32,
    pub target_delay_ms: f32,
    /// RFC 3550 interarrival jitter, ms.
    pub jitter_ms: f32,
}
