//! SRTP and SRTCP (RFC 3711) for SDES keys (RFC 4568): AES_CM_128_HMAC_SHA1_80 and _32.
//!
//! Sans-IO and in place: the caller owns the packet buffer; [`SrtpContext`] encrypts and
//! authenticates it where it lies and returns the new length. No allocation per packet (only
//! the first packet of a new SSRC allocates its state).
//!
//! # One context per master key
//! With SDES each side sends with the key it put in its own `a=crypto` line, so a call has two
//! contexts: one made from our key, used with [`SrtpContext::protect_rtp`] /
//! [`SrtpContext::protect_rtcp`], and one from the peer's key, used with the `unprotect_*`
//! calls. A context keeps sending and receiving state apart, so using one for both
//! directions (as a loopback test does) is also correct.
//!
//! # What is implemented
//! - Key derivation with the AES-CM PRF, labels 0..5, key derivation rate 0 (§4.3, `kdf`).
//! - AES-128 counter mode with the IV from session salt, SSRC and index (§4.1.1, `keystream`).
//! - HMAC-SHA1 tags of 80 or 32 bits for SRTP, always 80 for SRTCP (§4.2.1, `auth`).
//! - ROC estimation per RFC 3711 §3.3.1 / Appendix A and a [`REPLAY_WINDOW`]-packet replay
//!   window per SSRC (§3.3.2, `replay`), for SRTP and SRTCP; the sender refuses to protect a
//!   sequence number twice, which would reuse keystream.
//! - SRTCP with the E bit and a 31-bit index per sender SSRC (§3.4, `rtcp`).
//! - Per-SSRC state created on first use (`streams`), for receive streams only after the first
//!   packet authenticated.
//!
//! Not implemented: MKI (the offer/answer layer must not accept `a=crypto` keys with an MKI),
//! key derivation rates other than 0, key lifetimes beyond the index limits (reported as
//! [`SrtpError::KeyExhausted`]), AES-256 and AEAD suites.
//!
//! # Why our own state machine on RustCrypto primitives
//! `rtc-srtp` (webrtc-rs) was the named candidate. Its contexts take and return `Bytes`
//! (an allocation per packet), it brings `ring` plus the `rtc-rtp`/`rtc-rtcp`/`rtc-shared`
//! crates into `dialtone-media` for what is a few hundred lines of RFC 3711, and its state
//! (ROC, replay windows) is not ours to test. The RFC's state machine is small; written here it
//! is fully testable against the RFC's Appendix B vectors and libsrtp's reference packets, and
//! it works in place. The cryptography itself is not ours: `aes` + `ctr` (AES-CM), `hmac` +
//! `sha1`, all pure-Rust RustCrypto crates with no C, no openssl and no libsrtp.
//!
//! Session keys are derived once and the master key is not kept; `Debug` shows no key
//! material, and derived keys are zeroized on drop (the AES key schedule through the `aes`
//! crate's `zeroize` feature).

mod auth;
mod error;
mod kdf;
mod keystream;
mod replay;
mod rtcp;
mod rtp;
mod streams;

use std::fmt;

pub use error::SrtpError;
pub use replay::REPLAY_WINDOW;
pub use rtcp::{SRTCP_OVERHEAD, SRTCP_TAG_LEN};
pub use streams::MAX_STREAMS;

use crate::sdp::{SrtpKey, SrtpSuite};
use kdf::{Protocol, SessionKeys, MASTER_KEY_LEN, MASTER_SALT_LEN};
use rtcp::RtcpSession;
use rtp::RtpSession;
use zeroize::Zeroize;

/// The most SRTP adds to an RTP packet: an 80-bit tag.
pub const MAX_SRTP_OVERHEAD: usize = 10;

/// SRTP and SRTCP state under one master key and suite: session keys for both protocols and
/// per-SSRC index, ROC and replay state for each direction.
pub struct SrtpContext {
    suite: SrtpSuite,
    rtp: RtpSession,
    rtcp: RtcpSession,
}

impl SrtpContext {
    /// Derives the six session keys (RFC 3711 §4.3) from `key` (master key || master salt, as
    /// carried by `a=crypto`) for `suite`.
    pub fn new(suite: &SrtpSuite, key: &SrtpKey) -> Result<Self, SrtpError> {
        let tag_len = match suite {
            SrtpSuite::AesCm128HmacSha1_80 => 10,
            SrtpSuite::AesCm128HmacSha1_32 => 4,
            SrtpSuite::Other(name) => return Err(SrtpError::UnsupportedSuite(name.clone())),
        };
        let mut master_key = [0u8; MASTER_KEY_LEN];
        let mut master_salt = [0u8; MASTER_SALT_LEN];
        master_key.copy_from_slice(key.master_key());
        master_salt.copy_from_slice(key.master_salt());
        let rtp = SessionKeys::derive(&master_key, &master_salt, Protocol::Rtp);
        let rtcp = SessionKeys::derive(&master_key, &master_salt, Protocol::Rtcp);
        master_key.zeroize();
        master_salt.zeroize();
        Ok(Self {
            suite: suite.clone(),
            rtp: RtpSession::new(rtp, tag_len),
            rtcp: RtcpSession::new(rtcp),
        })
    }

    pub fn suite(&self) -> &SrtpSuite {
        &self.suite
    }

    /// Bytes [`Self::protect_rtp`] appends: the SRTP tag (10 or 4).
    pub fn rtp_overhead(&self) -> usize {
        self.rtp.tag_len()
    }

    /// Protects the RTP packet `buf[..len]` in place (RFC 3711 §3.3): encrypts the payload and
    /// appends the tag. `buf` needs [`Self::rtp_overhead`] spare bytes after the packet.
    /// Returns the SRTP packet's length.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        self.rtp.protect(buf, len)
    }

    /// Authenticates, replay-checks and decrypts the SRTP packet `buf` in place (RFC 3711
    /// §3.3). Returns the length of the RTP packet now at the start of `buf`. On error `buf`
    /// is unchanged and no state moved.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        self.rtp.unprotect(buf)
    }

    /// Protects the RTCP compound `buf[..len]` in place (RFC 3711 §3.4). `buf` needs
    /// [`SRTCP_OVERHEAD`] spare bytes after it. Returns the SRTCP packet's length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        self.rtcp.protect(buf, len)
    }

    /// Authenticates, replay-checks and decrypts the SRTCP packet `buf` in place (RFC 3711
    /// §3.4). Returns the length of the RTCP compound now at the start of `buf`.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        self.rtcp.unprotect(buf)
    }

    /// [`Self::protect_rtp`] on a `Vec` holding exactly the packet; it grows by the tag.
    pub fn protect_rtp_vec(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let len = packet.len();
        packet.resize(len + self.rtp_overhead(), 0);
        let result = self.rtp.protect(packet, len);
        finish_vec(packet, len, result)
    }

    /// [`Self::unprotect_rtp`] on a `Vec` holding exactly the packet; it shrinks to the RTP packet.
    pub fn unprotect_rtp_vec(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let len = self.rtp.unprotect(packet)?;
        packet.truncate(len);
        Ok(())
    }

    /// [`Self::protect_rtcp`] on a `Vec` holding exactly the compound.
    pub fn protect_rtcp_vec(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let len = packet.len();
        packet.resize(len + SRTCP_OVERHEAD, 0);
        let result = self.rtcp.protect(packet, len);
        finish_vec(packet, len, result)
    }

    /// [`Self::unprotect_rtcp`] on a `Vec` holding exactly the SRTCP packet.
    pub fn unprotect_rtcp_vec(&mut self, packet: &mut Vec<u8>) -> Result<(), SrtpError> {
        let len = self.rtcp.unprotect(packet)?;
        packet.truncate(len);
        Ok(())
    }
}

/// Trims the `Vec` back to the original packet when protecting failed.
fn finish_vec(
    packet: &mut Vec<u8>,
    original_len: usize,
    result: Result<usize, SrtpError>,
) -> Result<(), SrtpError> {
    match result {
        Ok(len) => {
            packet.truncate(len);
            Ok(())
        }
        Err(error) => {
            packet.truncate(original_len);
            Err(error)
        }
    }
}

impl fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (rtp_sent, rtp_received) = self.rtp.streams();
        let (rtcp_sent, rtcp_received) = self.rtcp.streams();
        f.debug_struct("SrtpContext")
            .field("suite", &self.suite.as_str())
            .field("keys", &"***")
            .field("rtp_streams", &(rtp_sent, rtp_received))
            .field("rtcp_streams", &(rtcp_sent, rtcp_received))
            .finish()
    }
}
