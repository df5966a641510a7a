//! dialtone-media: SDP offer/answer, RTP/RTCP, SRTP, WebRTC, codecs, jitter buffer, DSP, mixer.

pub mod codec;
pub mod jitter;
pub mod plc;
