//! Parsing: a borrowed view over one datagram (RFC 3550 §5.1, §5.3.1, A.1).

use super::{RtpError, RTP_HEADER_LEN, RTP_VERSION};

/// A validated RTP packet borrowing the datagram it came in.
///
/// Parsing checks every length once; the accessors then read fixed offsets and cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Offset of the first payload byte (after CSRCs and the extension).
    payload_start: usize,
    /// Offset one past the last payload byte (before padding).
    payload_end: usize,
    extension: Option<RtpExtension<'a>>,
}

/// The header extension (RFC 3550 §5.3.1): a 16-bit profile-defined value and whole 32-bit words
/// of data. RFC 8285 one-byte (`0xBEDE`) and two-byte (`0x100x`) element lists live in `data`;
/// nothing in a plain audio call needs them, so they are kept, not interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    /// The "defined by profile" field.
    pub profile: u16,
    /// The extension data (a multiple of 4 bytes).
    pub data: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses and validates `buf` as one RTP packet (RFC 3550 A.1 checks that do not need
    /// per-source state: version, padding, CSRC list and extension lengths).
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < RTP_HEADER_LEN {
            return Err(RtpError::TooShort(buf.len()));
        }
        let first = buf[0];
        let version = first >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion(version));
        }
        let csrc_count = first & 0x0f;
        let mut offset = RTP_HEADER_LEN + 4 * usize::from(csrc_count);
        if offset > buf.len() {
            return Err(RtpError::CsrcOverrun(csrc_count));
        }
        let mut extension = None;
        if first & 0x10 != 0 {
            let header = buf
                .get(offset..offset + 4)
                .ok_or(RtpError::ExtensionOverrun)?;
            let profile = u16::from_be_bytes([header[0], header[1]]);
            let words = usize::from(u16::from_be_bytes([header[2], header[3]]));
            let data_start = offset + 4;
            let data_end = data_start + 4 * words;
            let data = buf
                .get(data_start..data_end)
                .ok_or(RtpError::ExtensionOverrun)?;
            extension = Some(RtpExtension { profile, data });
            offset = data_end;
        }
        let mut payload_end = buf.len();
        if first & 0x20 != 0 {
            let available = buf.len() - offset;
            let count = buf.last().copied().unwrap_or(0);
            if count == 0 || usize::from(count) > available {
                return Err(RtpError::BadPadding { count, available });
            }
            payload_end -= usize::from(count);
        }
        Ok(Self {
            buf,
            payload_start: offset,
            payload_end,
            extension,
        })
    }

    /// The whole datagram, header and padding included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The P bit: whether the packet ends in padding (RFC 3550 §5.1).
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// Number of padding bytes at the end, the count octet included (0 without the P bit).
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }

    /// The M bit. For audio it marks the first packet of a talkspurt (RFC 3551 §4.1); for
    /// telephone-event the first packet of an event (RFC 4733 §2.5.1.1).
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7f
    }

    /// The 16-bit sequence number.
    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The 32-bit media timestamp.
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }

    /// The synchronisation source.
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.buf[8], self.buf[9], self.buf[10], self.buf[11]])
    }

    /// The contributing sources (a mixer's inputs), in header order.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let count = usize::from(self.buf[0] & 0x0f);
        self.buf[RTP_HEADER_LEN..RTP_HEADER_LEN + 4 * count]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The header extension, if the X bit is set.
    pub fn extension(&self) -> Option<RtpExtension<'a>> {
        self.extension
    }

    /// The payload, without header, extension and padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.payload_start..self.payload_end]
    }

    /// Length of everything before the payload (fixed header, CSRCs, extension).
    pub fn header_len(&self) -> usize {
        self.payload_start
    }
}
