//! Building encoders and decoders from what SDP negotiated.
//!
//! The engine only ever talks to the [`AudioEncoder`]/[`AudioDecoder`] seam; this module is the
//! one place that maps an encoding name to a codec, so adding a codec touches nothing else.

use crate::codec::g711::{self, G711Decoder, G711Encoder, Law};
use crate::codec::g722::{self, G722Decoder, G722Encoder};
use crate::codec::opus::{FrameDuration, OpusConfig, OpusDecoder, OpusEncoder, OpusParams};
use crate::codec::{AudioDecoder, AudioEncoder};
use crate::sdp::Codec;

use super::MediaError;

/// The payload formats the engine can encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Pcmu,
    Pcma,
    G722,
    Opus,
}

impl Kind {
    /// The kind for an SDP codec, matched by encoding name (payload types are dynamic for Opus
    /// and may be renumbered by a peer, so the number alone says nothing).
    pub(super) fn of(codec: &Codec) -> Option<Self> {
        match codec.name.to_ascii_lowercase().as_str() {
            "pcmu" => Some(Self::Pcmu),
            "pcma" => Some(Self::Pcma),
            "g722" => Some(Self::G722),
            "opus" => Some(Self::Opus),
            _ => None,
        }
    }
}

/// The Opus packet duration closest to the negotiated ptime.
fn opus_frame(ptime: u32) -> FrameDuration {
    FrameDuration::ALL
        .into_iter()
        .min_by_key(|d| d.millis().abs_diff(ptime))
        .unwrap_or(FrameDuration::Ms20)
}

/// An encoder for `codec` with `ptime` ms packets; Opus starts from `opus` and follows the
/// peer's fmtp.
pub(super) fn encoder(
    codec: &Codec,
    ptime: u32,
    opus: &OpusConfig,
) -> Result<Box<dyn AudioEncoder + Send>, MediaError> {
    let unsupported = || MediaError::UnsupportedCodec(codec.label());
    Ok(match Kind::of(codec).ok_or_else(unsupported)? {
        Kind::Pcmu => Box::new(G711Encoder::new(
            Law::Mu,
            g711::frame_samples_for_ptime(ptime),
        )),
        Kind::Pcma => Box::new(G711Encoder::new(
            Law::A,
            g711::frame_samples_for_ptime(ptime),
        )),
        Kind::G722 => Box::new(G722Encoder::new(g722::frame_samples_for_ptime(ptime))),
        Kind::Opus => {
            let mut config = opus.clone();
            config.frame = opus_frame(ptime);
            // We capture mono; a stereo stream would need interleaved input.
            config.stereo = false;
            if let Some(fmtp) = &codec.fmtp {
                config = OpusParams::from_fmtp(fmtp).apply_to(config);
                config.stereo = false;
            }
            Box::new(OpusEncoder::new(config).map_err(MediaError::Codec)?)
        }
    })
}

/// A decoder for `codec`, expecting `ptime` ms packets (Opus learns the duration per packet).
pub(super) fn decoder(
    codec: &Codec,
    ptime: u32,
) -> Result<Box<dyn AudioDecoder + Send>, MediaError> {
    let unsupported = || MediaError::UnsupportedCodec(codec.label());
    Ok(match Kind::of(codec).ok_or_else(unsupported)? {
        Kind::Pcmu => Box::new(G711Decoder::new(
            Law::Mu,
            g711::frame_samples_for_ptime(ptime),
        )),
        Kind::Pcma => Box::new(G711Decoder::new(
            Law::A,
            g711::frame_samples_for_ptime(ptime),
        )),
        Kind::G722 => Box::new(G722Decoder::new(g722::frame_samples_for_ptime(ptime))),
        // Mono output: libopus downmixes a stereo stream.
        Kind::Opus => Box::new(OpusDecoder::new(false).map_err(MediaError::Codec)?),
    })
}
