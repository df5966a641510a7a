//! What can go wrong when protecting or unprotecting a packet.

/// An SRTP/SRTCP failure. Every variant is a per-packet outcome except
/// [`SrtpError::UnsupportedSuite`]; a receiver normally drops the packet, counts it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    /// The negotiated `a=crypto` suite is not one we implement.
    #[error(
        "SRTP suite {0} is not supported: offer AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32"
    )]
    UnsupportedSuite(String),
    /// Shorter than the header, its CSRCs/extension, the index and the tag together.
    #[error("packet of {len} bytes is too short for SRTP/SRTCP")]
    TooShort { len: usize },
    /// The version field is not 2 (RFC 3550 §5.1): this is not RTP/RTCP at all.
    #[error("not an RTP/RTCP version 2 packet")]
    BadVersion,
    /// The caller's buffer has no room for the index and tag (RFC 3711 §3.1, §3.4).
    #[error("the buffer must hold {needed} bytes for the protected packet")]
    BufferTooSmall { needed: usize },
    /// The tag did not match (RFC 3711 §3.3 step 5): wrong key, altered packet or a guessed ROC
    /// that is wrong. Nothing was decrypted.
    #[error("SRTP authentication failed: wrong key, or the packet was altered")]
    AuthenticationFailed,
    /// This index was already seen on this SSRC (RFC 3711 §3.3.2). On the sending side: the
    /// same sequence number was protected twice, which would reuse keystream.
    #[error("replayed packet on SSRC {ssrc:#010x} (index {index})")]
    Replayed { ssrc: u32, index: u64 },
    /// Older than the replay window allows us to check (RFC 3711 §3.3.2), or from before the
    /// first packet of the stream.
    #[error("packet on SSRC {ssrc:#010x} is too old for the replay window")]
    TooOld { ssrc: u32 },
    /// The 48-bit SRTP index or the 31-bit SRTCP index would wrap: the master key must be
    /// replaced first (RFC 3711 §9.2).
    #[error("SRTP key exhausted on SSRC {ssrc:#010x}: renegotiate keys")]
    KeyExhausted { ssrc: u32 },
}
