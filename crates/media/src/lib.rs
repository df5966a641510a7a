//! dialtone-media: SDP offer/answer, RTP/RTCP, SRTP, WebRTC, codecs, jitter buffer, DSP, mixer.

/// Audio codecs: each wraps one library behind `encode`/`decode`/`conceal`/`decode_fec` on
/// `i16` frames.
pub mod codec {
    pub mod error;
    pub mod g722;
    pub mod opus;

    pub use error::CodecError;
}
pub mod resample;
