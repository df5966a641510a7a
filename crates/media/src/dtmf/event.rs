//! DTMF digits and the telephone-event payload (RFC 4733 §2.3, §3.2).

use super::DtmfError;

/// One DTMF key, stored as its RFC 4733 event code (0–9 digits, 10 `*`, 11 `#`, 12–15 A–D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfDigit(u8);

const CHARS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];

impl DtmfDigit {
    /// The key for a character (`a`–`d` accepted as `A`–`D`).
    pub fn from_char(c: char) -> Result<Self, DtmfError> {
        let upper = c.to_ascii_uppercase();
        CHARS
            .iter()
            .position(|&k| k == upper)
            .map(|code| Self(code as u8))
            .ok_or(DtmfError::BadDigit(c))
    }

    /// The key for an RFC 4733 event code; `None` for codes above 15 (flash, tones…).
    pub fn from_event_code(code: u8) -> Option<Self> {
        (code < 16).then_some(Self(code))
    }

    /// The RFC 4733 event code.
    pub fn event_code(self) -> u8 {
        self.0
    }

    /// The key as a character.
    pub fn as_char(self) -> char {
        CHARS[usize::from(self.0 & 0x0f)]
    }
}

impl std::fmt::Display for DtmfDigit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// The 4-byte telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code (0–15 are DTMF).
    pub event: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in −dBm0, 0–63 (the R bit is reserved and written as zero).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units from the event's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Wire length.
    pub const LEN: usize = 4;

    /// Reads the first event of a payload (RFC 2198 redundancy is not used on this path).
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let [event, flags, hi, lo, ..] = *payload else {
            return Err(DtmfError::ShortPayload(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([hi, lo]),
        })
    }

    /// The payload bytes.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let [hi, lo] = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3f),
            hi,
            lo,
        ]
    }
}
