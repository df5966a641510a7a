//! The codec error, mirroring `CodecError` of the codec seam (`codec/mod.rs` on the `jitter`
//! branch) variant for variant, so that merging is deleting this file and importing that one.
//!
//! It is `Copy` with static text on purpose: a corrupt payload from the network is an everyday
//! event on the media loop, and reporting it must not allocate.

use std::fmt;

/// Why a codec call failed. None is fatal for the call: a failed decode is concealed like a
/// lost packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The output buffer cannot hold the result; give at least `needed` elements.
    OutputTooSmall { needed: usize, available: usize },
    /// The encoder was given a PCM frame of the wrong length (`expected` interleaved samples).
    BadFrameLength { expected: usize, actual: usize },
    /// The payload is not a valid packet of this codec (came from the network: drop and conceal).
    MalformedPayload,
    /// The codec library reported an error or refused a setting; static text, never allocates.
    Backend(&'static str),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputTooSmall { needed, available } => write!(
                f,
                "codec output buffer too small: need {needed} samples, have {available}"
            ),
            Self::BadFrameLength { expected, actual } => {
                write!(f, "codec frame has {actual} samples, expected {expected}")
            }
            Self::MalformedPayload => {
                f.write_str("malformed codec payload (dropped and concealed)")
            }
            Self::Backend(what) => write!(f, "codec library error: {what}"),
        }
    }
}

impl std::error::Error for CodecError {}
