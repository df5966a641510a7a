//! dialtone-media: SDP offer/answer, RTP/RTCP, SRTP, WebRTC, codecs, jitter buffer, DSP, mixer.
//!
//! Being filled by the calls issue (#3): `sdp` (parse/print, RFC 3264 offer/answer, SDES keys),
//! `codec` (the encoder/decoder seam; G.711, G.722, Opus), `plc` (G.711 concealment), `jitter`
//! (the adaptive playout buffer) and `resample` (the codec and device edges) are here; the media
//! engine that ties them to sockets comes next.

pub mod codec;
pub mod dtmf;
pub mod engine;
pub mod jitter;
pub mod plc;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod srtp;
pub mod stats;
