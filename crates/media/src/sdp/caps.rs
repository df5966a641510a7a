//! What we can and want to do in a call: the input of offer/answer.

use std::net::IpAddr;

use super::attribute::Direction;
use super::codec::CodecSpec;

/// How SDES-SRTP is used, per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP; an offer that insists on SRTP (RTP/SAVP) is refused.
    Off,
    /// Offer RTP/AVP *with* `a=crypto` (best-effort SDES, as Linphone, Yealink and Grandstream
    /// phones do): a peer that understands SDES encrypts, one that does not ignores the unknown
    /// attribute and the call stays plain. Offering RTP/SAVP instead would make such peers refuse
    /// the call. When answering, encrypt whenever the offer carries usable keys.
    #[default]
    Optional,
    /// RTP/SAVP with `a=crypto`; an answer or offer without usable keys fails the call with
    /// [`super::SdpError::SrtpRequired`] instead of falling back to plain RTP.
    Mandatory,
}

/// Our side of the negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCapabilities {
    /// In preference order: the first one the peer also has is used (see `create_answer`).
    pub codecs: Vec<CodecSpec>,
    /// Offer/accept RFC 4733 `telephone-event` (`/8000`, plus `/48000` when Opus is offered).
    pub dtmf: bool,
    /// Packet duration we ask for, in ms (`a=ptime`).
    pub ptime: u32,
    pub srtp: SrtpPolicy,
    /// Offer (and accept) RTP and RTCP on one port (RFC 5761).
    pub rtcp_mux: bool,
    /// Where we receive media (the `c=` address).
    pub address: IpAddr,
    pub rtp_port: u16,
    /// Our RTCP port when RTCP is not muxed; `None` means RTP port + 1 (RFC 3550's default).
    pub rtcp_port: Option<u16>,
    /// `sendrecv` normally; `sendonly`/`inactive` to hold (see [`super::SdpSession::hold`]).
    pub direction: Direction,
}

impl LocalCapabilities {
    /// The defaults of a new account: Opus, G.722, PCMU, PCMA; DTMF; 20 ms; SRTP optional;
    /// rtcp-mux on; sendrecv.
    pub fn new(address: IpAddr, rtp_port: u16) -> Self {
        Self {
            codecs: vec![
                CodecSpec::opus(),
                CodecSpec::g722(),
                CodecSpec::pcmu(),
                CodecSpec::pcma(),
            ],
            dtmf: true,
            ptime: 20,
            srtp: SrtpPolicy::default(),
            rtcp_mux: true,
            address,
            rtp_port,
            rtcp_port: None,
            direction: Direction::SendRecv,
        }
    }

    /// Our RTCP port when not muxed.
    pub fn effective_rtcp_port(&self) -> u16 {
        self.rtcp_port
            .unwrap_or_else(|| self.rtp_port.saturating_add(1))
    }
}
