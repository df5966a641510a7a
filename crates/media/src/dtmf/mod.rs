//! DTMF: RFC 4733 telephone-events in RTP ([`DtmfSender`], [`DtmfReceiver`]) and the SIP INFO
//! bodies some servers use instead ([`parse_sip_info`]).

mod event;
mod receiver;
mod sender;
mod sip_info;

pub use event::{DtmfDigit, TelephoneEvent};
pub use receiver::{DtmfEvent, DtmfReceiver};
pub use sender::{DtmfConfig, DtmfPacket, DtmfSender};
pub use sip_info::{parse_dtmf, parse_dtmf_relay, parse_sip_info, SipInfoDtmf};

/// Why DTMF input could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Not one of 0–9, *, #, A–D.
    #[error("{0:?} is not a DTMF digit (0-9, *, #, A-D)")]
    BadDigit(char),
    /// A telephone-event payload is shorter than its 4 bytes (RFC 4733 §2.3).
    #[error("telephone-event payload of {0} bytes, expected at least 4")]
    ShortPayload(usize),
    /// A SIP INFO body without a recognisable digit.
    #[error("SIP INFO body carries no DTMF signal")]
    NoSignal,
    /// A SIP INFO body of a content type that is not DTMF.
    #[error("content type {0:?} is not application/dtmf-relay or application/dtmf")]
    NotDtmf(String),
}
