//! dialtone-media: SDP offer/answer, RTP/RTCP, SRTP, WebRTC, codecs, jitter buffer, DSP, mixer.
//!
//! Empty until the calls issue (#3) fills it: registration (#2) needs no media.
