//! Building the compound packets a softphone sends (RFC 3550 §6.1): SR or RR, then SDES with the
//! CNAME; and BYE when leaving. Written into a caller buffer, never allocating.

use super::{packet_type, NtpTime, ReportBlock, RtcpError, SDES_CNAME};

/// The sender information block of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wallclock when the report was made.
    pub ntp: NtpTime,
    /// The same instant on the stream's RTP clock (lets receivers sync and measure drift).
    pub rtp_timestamp: u32,
    /// Packets sent since the start (wraps).
    pub packet_count: u32,
    /// Payload octets sent since the start (wraps; headers and padding excluded).
    pub octet_count: u32,
}

/// One report interval's compound packet: SR (if we sent media since the last report) or RR,
/// followed by SDES with our CNAME, as RFC 3550 §6.1 requires of every compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompoundReport<'a> {
    /// Our SSRC.
    pub ssrc: u32,
    /// `Some` makes an SR, `None` an RR (RFC 3550 §6.4: SR only from active senders).
    pub sender_info: Option<SenderInfo>,
    /// One block per source we received from (at most 31).
    pub report_blocks: &'a [ReportBlock],
    /// Our canonical name (at most 255 bytes).
    pub cname: &'a str,
}

impl CompoundReport<'_> {
    /// Bytes the compound takes on the wire.
    pub fn encoded_len(&self) -> usize {
        let report = 8
            + if self.sender_info.is_some() { 20 } else { 0 }
            + ReportBlock::LEN * self.report_blocks.len();
        report + sdes_len(self.cname.len())
    }

    /// Writes the compound at the start of `out` and returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtcpError> {
        if self.report_blocks.len() > 31 {
            return Err(RtcpError::TooLong("more than 31 report blocks"));
        }
        if self.cname.len() > 255 {
            return Err(RtcpError::TooLong("a CNAME over 255 bytes"));
        }
        let len = self.encoded_len();
        let capacity = out.len();
        let Some(out) = out.get_mut(..len) else {
            return Err(RtcpError::BufferTooSmall {
                needed: len,
                capacity,
            });
        };
        // Checked above: at most 31 blocks, so the count fits five bits.
        let count = self.report_blocks.len() as u8;
        let mut offset = match self.sender_info {
            Some(info) => {
                write_header(out, count, packet_type::SR, 28 + 24 * usize::from(count));
                out[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
                out[8..12].copy_from_slice(&info.ntp.seconds().to_be_bytes());
                out[12..16].copy_from_slice(&info.ntp.fraction().to_be_bytes());
                out[16..20].copy_from_slice(&info.rtp_timestamp.to_be_bytes());
                out[20..24].copy_from_slice(&info.packet_count.to_be_bytes());
                out[24..28].copy_from_slice(&info.octet_count.to_be_bytes());
                28
            }
            None => {
                write_header(out, count, packet_type::RR, 8 + 24 * usize::from(count));
                out[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
                8
            }
        };
        let slots = out[offset..].chunks_exact_mut(ReportBlock::LEN);
        for (block, slot) in self.report_blocks.iter().zip(slots) {
            if let Ok(slot) = <&mut [u8; ReportBlock::LEN]>::try_from(slot) {
                block.write(slot);
            }
        }
        offset += ReportBlock::LEN * self.report_blocks.len();
        let sdes = &mut out[offset..];
        write_header(sdes, 1, packet_type::SDES, sdes.len());
        sdes[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        sdes[8] = SDES_CNAME;
        // Checked above: at most 255 bytes.
        sdes[9] = self.cname.len() as u8;
        sdes[10..10 + self.cname.len()].copy_from_slice(self.cname.as_bytes());
        // END item and padding to the word boundary are all zero octets.
        sdes[10 + self.cname.len()..].fill(0);
        Ok(len)
    }
}

/// Writes a BYE for `ssrc` with an optional reason (RFC 3550 §6.6) and returns its length.
/// Append it after a [`CompoundReport`] so that the compound still starts with a report.
pub fn write_bye(ssrc: u32, reason: Option<&str>, out: &mut [u8]) -> Result<usize, RtcpError> {
    let reason = reason.unwrap_or("");
    if reason.len() > 255 {
        return Err(RtcpError::TooLong("a BYE reason over 255 bytes"));
    }
    let len = if reason.is_empty() {
        8
    } else {
        (8 + 1 + reason.len() + 3) & !3
    };
    let capacity = out.len();
    let Some(out) = out.get_mut(..len) else {
        return Err(RtcpError::BufferTooSmall {
            needed: len,
            capacity,
        });
    };
    write_header(out, 1, packet_type::BYE, len);
    out[4..8].copy_from_slice(&ssrc.to_be_bytes());
    if !reason.is_empty() {
        // Checked above: at most 255 bytes.
        out[8] = reason.len() as u8;
        out[9..9 + reason.len()].copy_from_slice(reason.as_bytes());
        out[9 + reason.len()..].fill(0);
    }
    Ok(len)
}

/// Length of an SDES packet holding one chunk with one CNAME item.
fn sdes_len(cname_len: usize) -> usize {
    // header, SSRC, then type + length + value + END, padded to 32 bits
    8 + ((2 + cname_len + 1 + 3) & !3)
}

/// The common header: V=2, P=0, count, type, length in 32-bit words minus one.
fn write_header(out: &mut [u8], count: u8, packet_type: u8, len: usize) {
    let words = u16::try_from(len / 4 - 1).unwrap_or(u16::MAX);
    out[0] = 2 << 6 | (count & 0x1f);
    out[1] = packet_type;
    out[2..4].copy_from_slice(&words.to_be_bytes());
}
