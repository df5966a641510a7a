//! Writing: an RTP header into a caller-owned buffer, never allocating (RFC 3550 §5.1).

use super::{RtpError, RtpExtension, MAX_CSRCS, RTP_HEADER_LEN, RTP_VERSION};

/// The fields of an RTP header to write. A media stream keeps one of these and bumps
/// `sequence_number` / `timestamp` per packet; nothing here allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpHeader<'a> {
    /// The M bit (talkspurt start for audio, event start for telephone-event).
    pub marker: bool,
    /// 7-bit payload type negotiated in SDP.
    pub payload_type: u8,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// At most 15 contributing sources.
    pub csrcs: &'a [u32],
    /// An optional header extension; its data must be whole 32-bit words.
    pub extension: Option<RtpExtension<'a>>,
}

impl RtpHeader<'_> {
    /// Bytes the header takes on the wire (fixed part, CSRCs, extension).
    pub fn encoded_len(&self) -> usize {
        RTP_HEADER_LEN + 4 * self.csrcs.len() + self.extension.map_or(0, |ext| 4 + ext.data.len())
    }

    /// Writes only the header at the start of `out` and returns its length, so that a codec can
    /// encode straight into `out[len..]` without a copy.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        self.check()?;
        let len = self.encoded_len();
        let capacity = out.len();
        let Some(out) = out.get_mut(..len) else {
            return Err(RtpError::BufferTooSmall {
                needed: len,
                capacity,
            });
        };
        // `check` allows at most 15 CSRCs, so the count fits the low four bits.
        let csrc_count = self.csrcs.len() as u8;
        out[0] = RTP_VERSION << 6 | u8::from(self.extension.is_some()) << 4 | csrc_count;
        out[1] = u8::from(self.marker) << 7 | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut offset = RTP_HEADER_LEN;
        for csrc in self.csrcs {
            out[offset..offset + 4].copy_from_slice(&csrc.to_be_bytes());
            offset += 4;
        }
        if let Some(ext) = self.extension {
            // `check` allows at most 65535 words.
            let words = (ext.data.len() / 4) as u16;
            out[offset..offset + 2].copy_from_slice(&ext.profile.to_be_bytes());
            out[offset + 2..offset + 4].copy_from_slice(&words.to_be_bytes());
            out[offset + 4..offset + 4 + ext.data.len()].copy_from_slice(ext.data);
        }
        Ok(len)
    }

    /// Writes header and `payload` into `out` and returns the packet length.
    pub fn write_packet(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
        let len = self.encoded_len() + payload.len();
        if out.len() < len {
            self.check()?;
            return Err(RtpError::BufferTooSmall {
                needed: len,
                capacity: out.len(),
            });
        }
        let header_len = self.write(out)?;
        out[header_len..len].copy_from_slice(payload);
        Ok(len)
    }

    fn check(&self) -> Result<(), RtpError> {
        if self.payload_type > 0x7f {
            return Err(RtpError::BadPayloadType(self.payload_type));
        }
        if self.csrcs.len() > MAX_CSRCS {
            return Err(RtpError::TooManyCsrcs(self.csrcs.len()));
        }
        if let Some(ext) = self.extension {
            if !ext.data.len().is_multiple_of(4) || ext.data.len() / 4 > usize::from(u16::MAX) {
                return Err(RtpError::BadExtensionLength(ext.data.len()));
            }
        }
        Ok(())
    }
}
