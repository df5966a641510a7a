//! dialtone-media: SDP offer/answer, RTP/RTCP, SRTP, WebRTC, codecs, jitter buffer, DSP, mixer.
//!
//! Filled by the calls issue (#3); `sdp` (parse/print, RFC 3264 offer/answer, SDES keys) comes first.

pub mod sdp;
