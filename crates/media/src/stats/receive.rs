//! Reception statistics for one source (RFC 3550 A.1 sequence state, A.3 loss, A.8 jitter).

use std::time::{Duration, Instant};

use super::window::SeenWindow;
use crate::rtcp::{ntp_short_from_duration, NtpTime, ReportBlock};
use crate::rtp::RtpPacket;

/// A.1: a jump of fewer than this many sequence numbers is a gap, not a restart.
const MAX_DROPOUT: u16 = 3000;
/// A.1: a packet up to this many numbers behind the highest is reordered, not a restart.
const MAX_MISORDER: u16 = 100;
/// A.1: sequential packets needed before a new source is valid.
const MIN_SEQUENTIAL: u8 = 2;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`ReceiveStats::on_packet`] made of a packet's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceVerdict {
    /// Counted: in order, a permissible gap, late (reordered), or the packet that resynchronised
    /// the source after a jump.
    Valid,
    /// The source is still on probation (A.1: two sequential packets make it valid); not counted.
    Probation,
    /// Seen before within the last 128 numbers; not counted (see [`ReceiveStats`]).
    Duplicate,
    /// A jump too large to be loss or reordering (A.1: `MAX_DROPOUT`/`MAX_MISORDER`); if the next
    /// packet follows it, the source is taken to have restarted. Not counted.
    Jump,
}

/// RFC 3550 A.1/A.3/A.8 reception state for one SSRC, fed with `(now, packet)`.
///
/// Deviation from A.1, on purpose: A.1 counts duplicates as received, which can make the
/// cumulative loss negative and hides loss behind duplication. Duplicates recognised within the
/// last 128 sequence numbers are counted in [`ReceiveStats::duplicates`] instead, so the loss a
/// user sees is the loss that happened. Older duplicates cannot be told apart and count as A.1
/// says.
#[derive(Debug, Clone)]
pub struct ReceiveStats {
    ssrc: u32,
    clock_rate: u32,
    started: bool,
    max_seq: u16,
    /// Wraps of the sequence number, shifted left 16 (A.1 `cycles`).
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u8,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    window: SeenWindow,
    duplicates: u64,
    first_arrival: Option<Instant>,
    transit: Option<i32>,
    /// A.8 jitter in timestamp units, as a float (A.8's first form).
    jitter: f64,
    max_jitter: f64,
    last_sr: Option<(u32, Instant)>,
    last_fraction_lost: u8,
    packets: u64,
    octets: u64,
}

impl ReceiveStats {
    /// State for a source first heard now, whose payload clock runs at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: RTP_SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            window: SeenWindow::default(),
            duplicates: 0,
            first_arrival: None,
            transit: None,
            jitter: 0.0,
            max_jitter: 0.0,
            last_sr: None,
            last_fraction_lost: 0,
            packets: 0,
            octets: 0,
        }
    }

    /// Accounts for an RTP packet of this source that arrived at `now`.
    pub fn on_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) -> SequenceVerdict {
        self.on_packet(
            now,
            packet.sequence_number(),
            packet.timestamp(),
            packet.payload().len(),
        )
    }

    /// Accounts for a packet with this sequence number and timestamp that arrived at `now`.
    pub fn on_packet(
        &mut self,
        now: Instant,
        sequence: u16,
        timestamp: u32,
        payload_len: usize,
    ) -> SequenceVerdict {
        let verdict = self.update_seq(sequence);
        if verdict == SequenceVerdict::Valid {
            self.packets += 1;
            self.octets += payload_len as u64;
            self.update_jitter(now, timestamp);
        }
        verdict
    }

    /// Remembers an SR from this source (its NTP time and when it arrived) for LSR/DLSR.
    pub fn on_sender_report(&mut self, now: Instant, ntp: NtpTime) {
        self.last_sr = Some((ntp.middle32(), now));
    }

    /// The report block about this source for a report sent at `now`; starts a new loss
    /// interval (A.3), so call it once per report.
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        self.last_fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            // All lost would be 256: clamp to the largest 8-bit fraction.
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (
                lsr,
                ntp_short_from_duration(now.saturating_duration_since(at)),
            ),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost: self.last_fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_sequence: self.extended_highest_sequence(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }

    /// The source's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Whether any packet has been counted (a report block means something only then).
    pub fn is_valid(&self) -> bool {
        self.started && self.probation == 0
    }

    /// Wraps (high 16 bits) and highest sequence number received (A.1).
    pub fn extended_highest_sequence(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected since the source became valid (A.3).
    pub fn expected(&self) -> u32 {
        if !self.is_valid() {
            return 0;
        }
        self.extended_highest_sequence()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received since the source became valid, duplicates excluded.
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Expected minus received (A.3); negative only if old duplicates slipped through.
    pub fn cumulative_lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// The fraction lost in the last report interval, ×256 (as in the report block).
    pub fn fraction_lost(&self) -> u8 {
        self.last_fraction_lost
    }

    /// Duplicates recognised and not counted.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Valid packets over the whole call (not reset by a resync, unlike [`Self::received`]).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Payload octets of those packets.
    pub fn octets(&self) -> u64 {
        self.octets
    }

    /// Interarrival jitter in timestamp units, as a report block carries it (A.8).
    pub fn jitter(&self) -> u32 {
        self.jitter as u32
    }

    /// Interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.units_to_ms(self.jitter)
    }

    /// The largest jitter seen, in milliseconds.
    pub fn max_jitter_ms(&self) -> f64 {
        self.units_to_ms(self.max_jitter)
    }

    fn units_to_ms(&self, units: f64) -> f64 {
        if self.clock_rate == 0 {
            return 0.0;
        }
        units * 1000.0 / f64::from(self.clock_rate)
    }

    /// A.1 `init_seq`: (re)start counting at `seq`.
    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.window.reset(i64::from(seq));
        // Transit times of a restarted source say nothing about the new one.
        self.transit = None;
    }

    /// A.1 `update_seq`, plus duplicate recognition.
    fn update_seq(&mut self, seq: u16) -> SequenceVerdict {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SequenceVerdict::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SequenceVerdict::Probation;
        }
        if udelta < MAX_DROPOUT {
            // In order, possibly after a gap; a smaller number means the counter wrapped.
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
            if !self.window.mark(self.extended(seq)) {
                self.duplicates += 1;
                return SequenceVerdict::Duplicate;
            }
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            // A very large jump: a restart if the next packet follows this one.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return SequenceVerdict::Jump;
            }
        } else {
            // Behind the highest: reordered or duplicated. Before the last wrap if larger.
            let mut ext = self.extended(seq);
            if seq > self.max_seq {
                ext -= i64::from(RTP_SEQ_MOD);
            }
            if !self.window.mark(ext) {
                self.duplicates += 1;
                return SequenceVerdict::Duplicate;
            }
        }
        self.received = self.received.wrapping_add(1);
        SequenceVerdict::Valid
    }

    /// `seq` in the current cycle, as a signed extended number.
    fn extended(&self, seq: u16) -> i64 {
        i64::from(self.cycles) + i64::from(seq)
    }

    /// A.8: J += (|D(i-1,i)| − J) / 16, with arrival time converted to timestamp units.
    fn update_jitter(&mut self, now: Instant, timestamp: u32) {
        let first = *self.first_arrival.get_or_insert(now);
        let elapsed = now.saturating_duration_since(first);
        let arrival = units(elapsed, self.clock_rate);
        let transit = arrival.wrapping_sub(timestamp) as i32;
        if let Some(previous) = self.transit {
            let d = f64::from(transit.wrapping_sub(previous).unsigned_abs());
            self.jitter += (d - self.jitter) / 16.0;
            self.max_jitter = self.max_jitter.max(self.jitter);
        }
        self.transit = Some(transit);
    }
}

/// A duration in units of a `rate` Hz clock, wrapping modulo 2^32 like RTP timestamps.
fn units(duration: Duration, rate: u32) -> u32 {
    (duration.as_nanos() * u128::from(rate) / 1_000_000_000) as u32
}
