//! Receiving RFC 4733 telephone-events: each key press reported exactly once.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{DtmfDigit, DtmfError, TelephoneEvent};
use crate::rtp::RtpPacket;

/// A key press seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// The first packet of a new event arrived (whichever survived: marker packets can be lost).
    Begin { digit: DtmfDigit, timestamp: u32 },
    /// The event ended: an E-bit packet arrived, the next event began, or no packet came for the
    /// timeout (`timed_out`, when every end packet was lost).
    End {
        digit: DtmfDigit,
        timestamp: u32,
        /// The longest duration any packet announced.
        duration: Duration,
        timed_out: bool,
    },
}

/// Turns telephone-event packets into one `Begin` and one `End` per key press.
///
/// Events are identified by their RTP timestamp (RFC 4733 §2.5.2.1: all packets of an event
/// share it), so duplicates, repeated end packets and updates reordered after the end are
/// recognised and dropped. A packet with an unknown timestamp *older* than the current event
/// (serial comparison, so timestamp wrap is harmless) is dropped too: reporting it now would put
/// digits out of order, and it can only happen if every earlier packet of that event was lost.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    clock_rate: u32,
    timeout: Duration,
    current: Option<Active>,
    /// Timestamps of recently finished events, so their stragglers are not new events.
    finished: [Option<u32>; 8],
    next_finished: usize,
    events: VecDeque<DtmfEvent>,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    digit: DtmfDigit,
    timestamp: u32,
    duration: u16,
    last_seen: Instant,
    ended: bool,
}

impl DtmfReceiver {
    /// How long an event may go without packets before it is taken to have ended.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

    /// A receiver for telephone-event at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        Self::with_timeout(clock_rate, Self::DEFAULT_TIMEOUT)
    }

    /// The same with another end timeout.
    pub fn with_timeout(clock_rate: u32, timeout: Duration) -> Self {
        Self {
            clock_rate,
            timeout,
            current: None,
            finished: [None; 8],
            next_finished: 0,
            events: VecDeque::new(),
        }
    }

    /// Takes in a telephone-event RTP packet (the caller has matched the payload type).
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) -> Result<(), DtmfError> {
        self.handle_packet(now, packet.timestamp(), packet.payload())
    }

    /// Takes in a telephone-event payload with its RTP timestamp.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<(), DtmfError> {
        let event = TelephoneEvent::parse(payload)?;
        let Some(digit) = DtmfDigit::from_event_code(event.event) else {
            // Flash, tones and other non-DTMF events are not keys.
            return Ok(());
        };
        if let Some(active) = self.current.as_mut().filter(|a| a.timestamp == timestamp) {
            active.last_seen = now;
            active.duration = active.duration.max(event.duration);
            if event.end && !active.ended {
                active.ended = true;
                let end = self.end_event(false);
                self.events.extend(end);
            }
            return Ok(());
        }
        if self.finished.contains(&Some(timestamp)) {
            return Ok(());
        }
        if let Some(active) = self.current {
            if (timestamp.wrapping_sub(active.timestamp) as i32) < 0 {
                return Ok(());
            }
            if !active.ended {
                let end = self.end_event(false);
                self.events.extend(end);
            }
            self.finished[self.next_finished] = Some(active.timestamp);
            self.next_finished = (self.next_finished + 1) % self.finished.len();
        }
        self.current = Some(Active {
            digit,
            timestamp,
            duration: event.duration,
            last_seen: now,
            ended: event.end,
        });
        self.events.push_back(DtmfEvent::Begin { digit, timestamp });
        if event.end {
            let end = self.end_event(false);
            self.events.extend(end);
        }
        Ok(())
    }

    /// Ends an event whose end packets were all lost.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(active) = self.current {
            if !active.ended && now >= active.last_seen + self.timeout {
                if let Some(current) = self.current.as_mut() {
                    current.ended = true;
                }
                let end = self.end_event(true);
                self.events.extend(end);
            }
        }
    }

    /// When [`Self::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current
            .filter(|a| !a.ended)
            .map(|a| a.last_seen + self.timeout)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<DtmfEvent> {
        self.events.pop_front()
    }

    fn end_event(&self, timed_out: bool) -> Option<DtmfEvent> {
        let active = self.current?;
        let duration = if self.clock_rate == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(f64::from(active.duration) / f64::from(self.clock_rate))
        };
        Some(DtmfEvent::End {
            digit: active.digit,
            timestamp: active.timestamp,
            duration,
            timed_out,
        })
    }
}
