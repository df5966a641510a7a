//! The 24-byte reception report block of SR and RR packets (RFC 3550 §6.4.1).

/// One reception report block: what the reporter saw of source `ssrc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Loss since the previous report as a fixed-point fraction (lost/expected × 256).
    pub fraction_lost: u8,
    /// Packets lost since reception began: a signed 24-bit field (duplicates can make it
    /// negative); values outside ±2^23 are clamped when written.
    pub cumulative_lost: i32,
    /// Cycles (high 16 bits) and highest sequence number received (low 16 bits).
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units (RFC 3550 A.8).
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from the source, 0 if none (LSR).
    pub last_sr: u32,
    /// Delay since that SR arrived, in 1/65536 s (DLSR); 0 if none.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Wire length.
    pub const LEN: usize = 24;

    /// Reads a block from exactly [`Self::LEN`] bytes.
    pub fn read(bytes: &[u8; Self::LEN]) -> Self {
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        // Sign-extend the 24-bit cumulative loss: shift it to the top, then arithmetic-shift back.
        let cumulative_lost = ((word(4) << 8) as i32) >> 8;
        Self {
            ssrc: word(0),
            fraction_lost: bytes[4],
            cumulative_lost,
            extended_highest_sequence: word(8),
            jitter: word(12),
            last_sr: word(16),
            delay_since_last_sr: word(20),
        }
    }

    /// Writes the block into exactly [`Self::LEN`] bytes.
    pub fn write(&self, out: &mut [u8; Self::LEN]) {
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32 & 0x00ff_ffff;
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        out[4..8].copy_from_slice(&(u32::from(self.fraction_lost) << 24 | lost).to_be_bytes());
        out[8..12].copy_from_slice(&self.extended_highest_sequence.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}
