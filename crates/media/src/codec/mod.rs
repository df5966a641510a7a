//! The codec seam: what every audio codec (G.711 here; Opus and G.722 later) looks like to the
//! media loop.
//!
//! # Samples are `i16` at the codec's own rate
//!
//! The media loop works in 10 ms frames of 48 kHz `f32`, but codecs do not: G.711 and G.722 are
//! defined on 16-bit linear PCM at 8/16 kHz, and libopus' fixed-point API takes `i16` too. So the
//! codec traits speak **interleaved `i16` at [`CodecFormat::sample_rate`]**, and the conversion
//! (resample + `f32` ↔ `i16`) happens exactly once, at the codec edge of the media loop. Keeping
//! `f32` out of the trait means no codec converts internally and the reference vectors of the
//! standards (all 16-bit) apply directly.
//!
//! # No allocation, no waiting
//!
//! Every method writes into a caller-provided buffer and returns how many samples (per channel)
//! or bytes it wrote. Implementations allocate only in their constructors, so the media loop can
//! call them every frame (principle 3: the audio path never waits).

pub mod g711;
pub mod g722;
pub mod opus;

use std::fmt;
use std::time::Duration;

/// What a codec instance produces and consumes. One value per negotiated codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodecFormat {
    /// The RTP timestamp clock (SDP `a=rtpmap`). Not always the sample rate: G.722 samples at
    /// 16 kHz but its RTP clock is 8 kHz (RFC 3551 §4.5.2), Opus always uses 48 kHz.
    pub clock_rate: u32,
    /// PCM samples per second per channel at the trait's `i16` interface.
    pub sample_rate: u32,
    /// Interleaved channels in the PCM buffers.
    pub channels: u16,
    /// Samples per channel in one encoded frame (one RTP packet's worth, e.g. 160 for 20 ms of
    /// G.711). Decoders may return other sizes when the sender chose another packet time.
    pub frame_samples: usize,
}

impl CodecFormat {
    /// Duration of one frame of `frame_samples`.
    pub fn frame_duration(&self) -> Duration {
        Duration::from_micros(
            self.frame_samples as u64 * 1_000_000 / u64::from(self.sample_rate.max(1)),
        )
    }

    /// RTP timestamp increment of one frame (differs from `frame_samples` when the clock rate is
    /// not the sample rate, as for G.722).
    pub fn frame_ticks(&self) -> u32 {
        let ticks = self.frame_samples as u64 * u64::from(self.clock_rate)
            / u64::from(self.sample_rate.max(1));
        u32::try_from(ticks).unwrap_or(u32::MAX)
    }

    /// Interleaved `i16` values in one frame (`frame_samples × channels`).
    pub fn frame_len(&self) -> usize {
        self.frame_samples * usize::from(self.channels)
    }
}

/// Why a codec call failed. Variants say what the caller can do about it; none of them is fatal
/// for the call: a failed decode is concealed like a lost packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The output buffer cannot hold the result; give at least `needed` elements.
    OutputTooSmall { needed: usize, available: usize },
    /// The encoder was given a PCM frame of the wrong length (`expected` interleaved samples).
    BadFrameLength { expected: usize, actual: usize },
    /// The payload is not a valid packet of this codec (came from the network: drop and conceal).
    MalformedPayload,
    /// The codec library reported an error; the text is static so reporting it never allocates.
    Backend(&'static str),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputTooSmall { needed, available } => {
                write!(
                    f,
                    "codec output buffer too small: need {needed} samples, have {available}"
                )
            }
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

/// Encodes one frame of PCM into one RTP payload.
pub trait AudioEncoder {
    /// The format this encoder expects (`pcm.len() == format().frame_len()`).
    fn format(&self) -> CodecFormat;

    /// Encodes exactly one frame of interleaved `pcm` into `out`; returns the payload length in
    /// bytes.
    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError>;
}

/// Decodes RTP payloads into PCM and synthesises audio for the frames that never arrived.
///
/// The jitter buffer decides which of the three to call for each frame
/// (`Playout::Packet` → [`decode`](Self::decode), `Playout::Missing` → [`conceal`](Self::conceal),
/// `Playout::MissingWithFec` → [`decode_fec`](Self::decode_fec), falling back to `conceal` on
/// `None` or an error).
pub trait AudioDecoder {
    /// The format this decoder produces.
    fn format(&self) -> CodecFormat;

    /// Decodes one payload into interleaved `out`; returns samples per channel written.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError>;

    /// Packet loss concealment: synthesises one frame (`format().frame_samples`) for a packet that
    /// is missing; returns samples per channel written.
    fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError>;

    /// In-band forward error correction: rebuilds the *previous*, missing frame from the redundancy
    /// carried in `next_payload` (Opus LBRR). `None` when the codec has no FEC or this packet
    /// carries none, so the caller conceals instead.
    fn decode_fec(
        &mut self,
        next_payload: &[u8],
        out: &mut [i16],
    ) -> Option<Result<usize, CodecError>> {
        let _ = (next_payload, out);
        None
    }

    /// Forgets all stream state (new SSRC, jitter buffer reset), so no concealment or cross-fade
    /// leaks from the old stream into the new one.
    fn reset(&mut self);
}

/// Wires a codec's inherent methods (same names and shapes) to the seam's traits, so each codec
/// module keeps one implementation and the media engine can hold any of them as a trait object.
macro_rules! codec_seam {
    ($encoder:ty, $decoder:ty, channels: |$c:ident| $channels:expr, decoder_frame_samples: |$d:ident| $frame:expr) => {
        impl $crate::codec::AudioEncoder for $encoder {
            fn format(&self) -> $crate::codec::CodecFormat {
                let $c = self;
                $crate::codec::CodecFormat {
                    clock_rate: self.rtp_clock_rate(),
                    sample_rate: self.sample_rate(),
                    channels: $channels,
                    frame_samples: self.frame_samples(),
                }
            }

            fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
                <$encoder>::encode(self, pcm, out)
            }
        }

        impl $crate::codec::AudioDecoder for $decoder {
            fn format(&self) -> $crate::codec::CodecFormat {
                let ($c, $d) = (self, self);
                $crate::codec::CodecFormat {
                    clock_rate: self.rtp_clock_rate(),
                    sample_rate: self.sample_rate(),
                    channels: $channels,
                    frame_samples: $frame,
                }
            }

            fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
                <$decoder>::decode(self, payload, out)
            }

            fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError> {
                <$decoder>::conceal(self, out)
            }

            fn decode_fec(
                &mut self,
                next_payload: &[u8],
                out: &mut [i16],
            ) -> Option<Result<usize, CodecError>> {
                <$decoder>::decode_fec(self, next_payload, out)
            }

            fn reset(&mut self) {
                <$decoder>::reset(self)
            }
        }
    };
}
pub(crate) use codec_seam;
