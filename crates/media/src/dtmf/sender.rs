//! Sending DTMF as RFC 4733 telephone-events, driven by `poll(now)`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{DtmfDigit, DtmfError, TelephoneEvent};
use crate::rtp::RtpClock;

/// How digits are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfConfig {
    /// The negotiated telephone-event payload type (dynamic, from SDP).
    pub payload_type: u8,
    /// How long each tone lasts (default 100 ms).
    pub tone: Duration,
    /// Silence between tones (default 70 ms).
    pub gap: Duration,
    /// How often an event's packet is refreshed with its growing duration (default 50 ms;
    /// RFC 4733 §2.5.1.2 leaves the rate to the sender — the audio ptime is the other natural
    /// choice).
    pub interval: Duration,
    /// Power level in −dBm0 (default 10).
    pub volume: u8,
    /// How many times the final (E bit) packet is sent (default 3, RFC 4733 §2.5.1.4).
    pub end_repeats: u8,
}

impl DtmfConfig {
    /// The defaults above for `payload_type`.
    pub fn new(payload_type: u8) -> Self {
        Self {
            payload_type,
            tone: Duration::from_millis(100),
            gap: Duration::from_millis(70),
            interval: Duration::from_millis(50),
            volume: 10,
            end_repeats: 3,
        }
    }
}

/// One telephone-event packet to send on the audio stream (same SSRC and sequence space as the
/// audio; the caller assigns the sequence number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// The key this packet belongs to.
    pub digit: DtmfDigit,
    /// Set on the first packet of an event (RFC 4733 §2.5.1.1).
    pub marker: bool,
    /// The event's start on the stream's RTP clock; the same for all its packets.
    pub timestamp: u32,
    pub payload_type: u8,
    /// The payload fields.
    pub event: TelephoneEvent,
    /// The payload bytes (`event` encoded).
    pub payload: [u8; TelephoneEvent::LEN],
    /// A repeat of the final packet: leave it out of the SR counters (RFC 4733 §2.5.1.4).
    pub retransmission: bool,
}

/// Turns digits into RFC 4733 packets on a timeline.
///
/// An event starting at `t0` (RTP timestamp `T`) yields one packet every `interval` while the
/// tone lasts, each carrying the duration elapsed so far (the first: 0, with the marker bit),
/// then at `t0 + tone` the final packet (E bit, full duration) `end_repeats` times. The repeats
/// are spaced at `interval`, squeezed to fit inside the gap (`gap / end_repeats`) so that the
/// next digit starts exactly `tone + gap` after this one. Nothing else moves the timeline: a
/// late `poll` sends late packets, with the timestamps of the schedule.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    config: DtmfConfig,
    clock: RtpClock,
    queue: VecDeque<DtmfDigit>,
    current: Option<Event>,
    /// Earliest start of the next event.
    next_start: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    digit: DtmfDigit,
    start: Instant,
    timestamp: u32,
    /// Updates sent so far.
    updates: u32,
    /// Final packets sent so far.
    ends: u8,
}

impl DtmfSender {
    /// A sender whose events sit on `clock` (the audio stream's clock at the telephone-event rate,
    /// 8000 or 48000 Hz).
    pub fn new(config: DtmfConfig, clock: RtpClock) -> Self {
        Self {
            config,
            clock,
            queue: VecDeque::new(),
            current: None,
            next_start: None,
        }
    }

    /// Queues `digits` (0–9, *, #, A–D) to start at `now` or after the ones already queued.
    /// Nothing is queued if any character is not a digit.
    pub fn send_digits(&mut self, now: Instant, digits: &str) -> Result<(), DtmfError> {
        let parsed = digits
            .chars()
            .map(DtmfDigit::from_char)
            .collect::<Result<Vec<_>, _>>()?;
        if self.is_idle() {
            self.next_start = Some(self.next_start.map_or(now, |start| start.max(now)));
        }
        self.queue.extend(parsed);
        Ok(())
    }

    /// Whether nothing is being sent or queued.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    /// Whether an event is on the wire (the audio packetiser should pause meanwhile).
    pub fn is_sending(&self) -> bool {
        self.current.is_some()
    }

    /// When `poll` next has something to send.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.current {
            Some(event) => Some(self.send_time(&event)),
            None if !self.queue.is_empty() => self.next_start,
            None => None,
        }
    }

    /// The next packet due at `now`, if any; call until `None`.
    pub fn poll(&mut self, now: Instant) -> Option<DtmfPacket> {
        if self.current.is_none() {
            let start = self.next_start?;
            if now < start {
                return None;
            }
            let digit = self.queue.pop_front()?;
            self.current = Some(Event {
                digit,
                start,
                timestamp: self.clock.timestamp_at(start),
                updates: 0,
                ends: 0,
            });
        }
        let mut event = self.current?;
        if now < self.send_time(&event) {
            return None;
        }
        let tone_units = self.units(self.config.tone);
        let packet = if self.in_updates(&event) {
            let elapsed = self.config.interval * event.updates;
            let duration = self.units(elapsed).min(tone_units);
            event.updates += 1;
            self.packet(&event, event.updates == 1, false, duration, false)
        } else {
            event.ends += 1;
            self.packet(&event, false, true, tone_units, event.ends > 1)
        };
        if event.ends >= self.config.end_repeats.max(1) {
            self.current = None;
            self.next_start = Some(event.start + self.config.tone + self.config.gap);
        } else {
            self.current = Some(event);
        }
        Some(packet)
    }

    /// Whether the event still sends duration updates (the tone has not reached its end).
    fn in_updates(&self, event: &Event) -> bool {
        self.config.interval * event.updates < self.config.tone && !self.config.interval.is_zero()
    }

    fn send_time(&self, event: &Event) -> Instant {
        if self.in_updates(event) {
            return event.start + self.config.interval * event.updates;
        }
        let repeats = u32::from(self.config.end_repeats.max(1));
        let spacing = self.config.interval.min(self.config.gap / repeats);
        event.start + self.config.tone + spacing * u32::from(event.ends)
    }

    /// A duration in telephone-event units, clamped to the 16-bit duration field (longer events
    /// would need RFC 4733 §2.5.1.3 segments; DTMF tones are far shorter).
    fn units(&self, duration: Duration) -> u16 {
        u16::try_from(self.clock.duration_to_units(duration)).unwrap_or(u16::MAX)
    }

    fn packet(
        &self,
        event: &Event,
        marker: bool,
        end: bool,
        duration: u16,
        retransmission: bool,
    ) -> DtmfPacket {
        let payload = TelephoneEvent {
            event: event.digit.event_code(),
            end,
            volume: self.config.volume.min(63),
            duration,
        };
        DtmfPacket {
            digit: event.digit,
            marker,
            timestamp: event.timestamp,
            payload_type: self.config.payload_type,
            event: payload,
            payload: payload.to_bytes(),
            retransmission,
        }
    }
}
