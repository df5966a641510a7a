//! Fuzz target bodies as plain functions, so that stable tests can run them over the corpus.

pub mod rtp_rtcp;
pub mod sdp;
pub mod sip_message;
