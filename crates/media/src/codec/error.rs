//! Errors from the codec wrappers (Opus, G.722) and their parameter parsing.
//!
//! One enum for every codec so the media loop can treat "this packet is bad" (drop it, conceal)
//! differently from "this configuration is impossible" (renegotiate or refuse the call).

use thiserror::Error;

/// What went wrong while configuring a codec or coding one frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The PCM frame handed to an encoder is not one of the durations the codec accepts.
    #[error(
        "a {codec} frame of {got} samples is not a supported frame size (expected {expected})"
    )]
    FrameSize {
        codec: &'static str,
        got: usize,
        expected: &'static str,
    },
    /// The caller's output buffer cannot hold the result.
    #[error("{codec} output buffer too small: need {needed}, have {have}")]
    BufferTooSmall {
        codec: &'static str,
        needed: usize,
        have: usize,
    },
    /// A payload from the network could not be decoded; drop it and conceal instead.
    #[error("{codec} payload could not be decoded: {reason}")]
    CorruptPayload { codec: &'static str, reason: String },
    /// A setting is outside what the codec supports (sample rate, channels, bitrate, …).
    #[error("unsupported {codec} setting: {reason}")]
    Unsupported { codec: &'static str, reason: String },
    /// The codec library failed in a way that is not about the input (allocation, internal error).
    #[error("{codec} library error: {reason}")]
    Library { codec: &'static str, reason: String },
}
