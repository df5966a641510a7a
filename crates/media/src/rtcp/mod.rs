//! RTCP (RFC 3550 §6): compound packet parsing ([`RtcpCompound`]), SR/RR + SDES CNAME building
//! ([`CompoundReport`]), NTP time ([`NtpTime`]), the report interval ([`RtcpScheduler`]) and the
//! rtcp-mux demultiplexing test ([`is_rtcp`]).
//!
//! # Own code, not a crate
//! Same reasoning as for [`crate::rtp`]: `rtc-rtcp` decodes into boxed trait objects
//! (`Box<dyn Packet>`) with owned `Vec`s per report, which allocates per compound and makes
//! callers downcast; what a softphone needs is SR, RR, SDES CNAME and BYE (everything else is
//! skipped), borrowed from the datagram, and a writer into a caller buffer. That is ~500 lines
//! with byte-exact tests, including real compound packets captured from baresip.

mod build;
mod interval;
mod ntp;
mod packet;
mod report_block;

pub use build::{write_bye, CompoundReport, SenderInfo};
pub use interval::RtcpScheduler;
pub use ntp::{ntp_short_from_duration, ntp_short_to_duration, NtpTime};
pub use packet::{
    Bye, ReceiverReport, ReportBlocks, RtcpCompound, RtcpPacket, SdesChunk, SdesChunks, SdesItem,
    SdesItems, SenderReport,
};
pub use report_block::ReportBlock;

/// RTCP packet types (RFC 3550 §12.1).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
}

/// SDES item type of the canonical name (RFC 3550 §6.5.1).
pub const SDES_CNAME: u8 = 1;

/// Why bytes are not a valid RTCP compound packet, or why one cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Fewer than the 4-byte common header, or an empty datagram.
    #[error("{0} bytes is shorter than an RTCP header")]
    TooShort(usize),
    /// The version field is not 2 (RFC 3550 A.2).
    #[error("RTCP version {0}, expected 2")]
    BadVersion(u8),
    /// A packet's length field runs past the end of the datagram (RFC 3550 A.2: the lengths
    /// must add up to the compound's length).
    #[error("RTCP packet type {packet_type} says {length} bytes but only {available} remain")]
    LengthOverrun {
        packet_type: u8,
        length: usize,
        available: usize,
    },
    /// The P bit is set on a packet whose padding count is zero or too large.
    #[error("RTCP packet type {0} has a bad padding count")]
    BadPadding(u8),
    /// The body is too short for what its count field announces (report blocks, SDES chunks,
    /// BYE sources or reason).
    #[error("RTCP packet type {0} is shorter than its count field announces")]
    Truncated(u8),
    /// Writing: more than 31 report blocks, or a CNAME/reason longer than 255 bytes.
    #[error("{0} does not fit in an RTCP packet")]
    TooLong(&'static str),
    /// Writing: the caller's buffer is too small.
    #[error("a {needed}-byte RTCP packet does not fit the {capacity}-byte buffer")]
    BufferTooSmall { needed: usize, capacity: usize },
}

/// Whether a datagram on an rtcp-mux flow is RTCP rather than RTP (RFC 5761 §4).
///
/// RTCP packet types 192–223 occupy the same octet as RTP's marker bit and payload type, which
/// is why RFC 5761 forbids RTP payload types 64–95: masking off the marker bit, an octet in
/// 64–95 can only be RTCP. The first octet must also carry version 2, and the datagram must
/// hold at least a common header.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    match datagram {
        [first, second, _, _, ..] => first >> 6 == 2 && (64..=95).contains(&(second & 0x7f)),
        _ => false,
    }
}
