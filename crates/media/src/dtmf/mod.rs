//! DTMF: RFC 4733 telephone-events in RTP ([`DtmfSender`], [`DtmfReceiver`]). DTMF in SIP INFO
//! bodies is a SIP matter: `dialtone_sip::invite` reads it and reports the digit.

mod event;
mod receiver;
mod sender;

pub use event::{DtmfDigit, TelephoneEvent};
pub use receiver::{DtmfEvent, DtmfReceiver};
pub use sender::{DtmfConfig, DtmfPacket, DtmfSender};

/// Why DTMF input could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Not one of 0–9, *, #, A–D.
    #[error("{0:?} is not a DTMF digit (0-9, *, #, A-D)")]
    BadDigit(char),
    /// A telephone-event payload is shorter than its 4 bytes (RFC 4733 §2.3).
    #[error("telephone-event payload of {0} bytes, expected at least 4")]
    ShortPayload(usize),
}
