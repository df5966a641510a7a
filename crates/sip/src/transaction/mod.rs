//! SIP transactions (RFC 3261 §17) with RFC 6026's corrections for 2xx responses to INVITE.
//!
//! Four sans-IO state machines, one per kind of transaction, and a [`TransactionLayer`] that owns
//! many of them and routes messages by [`TransactionKey`]. Every machine has the same shape: it is
//! fed `(now, input)` (`handle_response`/`handle_request`, `send_response`, `handle_timeout`,
//! `handle_transport_error`), and the caller then drains [`Output`]s with `poll_output()` until
//! `None` and arms a timer for `poll_timeout()`. No machine reads a clock, owns a socket or
//! spawns anything, so tests drive whole exchanges, with loss, on a virtual clock.
//!
//! What a machine never does: choose a flow (the caller sends [`Output::Transmit`] on the flow the
//! transaction uses), build responses for the TU (except 100 Trying and the ACK for a non-2xx,
//! which RFC 3261 assigns to the transaction), or retransmit a 2xx to INVITE and its ACK: those
//! belong to the TU/dialog (RFC 3261 §13.3.1.4, §13.2.2.4; RFC 6026 §1).

mod client_invite;
mod client_non_invite;
mod key;
mod layer;
mod server_invite;
mod server_non_invite;
mod timers;

use bytes::Bytes;

use crate::message::{Method, ParseError, SipMessage};

pub use client_invite::{build_ack, ClientInvite, ClientInviteState};
pub use client_non_invite::{ClientNonInvite, ClientNonInviteState};
pub use key::{TransactionKey, MAGIC_COOKIE};
pub use layer::{Incoming, TransactionLayer};
pub use server_invite::{ServerInvite, ServerInviteState};
pub use server_non_invite::{ServerNonInvite, ServerNonInviteState};
pub use timers::{TimerConfig, TRYING_DELAY};

/// What a transaction wants done; drained with `poll_output()` after every input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes on the transaction's flow (the caller knows which flow that is).
    Transmit(Bytes),
    /// A response for the TU: each provisional, the final once, and — client INVITE in the
    /// Accepted state — every retransmitted 2xx, which the TU answers with its ACK (RFC 6026 §8.4).
    Response(SipMessage),
    /// A request for the TU that is not a new transaction: the ACK for a 2xx that matched an
    /// INVITE server transaction in the Accepted state (RFC 6026 §8.7).
    Request(SipMessage),
    /// Timer B, F or H fired. For a client transaction the TU acts as if it got a 408 (RFC 3261
    /// §8.1.3.1); for an INVITE server transaction the ACK for its non-2xx never came (§17.2.1).
    Timeout,
    /// The transport could not deliver a message of this transaction (RFC 3261 §17.1.4, §17.2.4);
    /// a client's TU again treats it as a 503-style failure (§8.1.3.1).
    TransportError,
    /// The transaction is over and may be forgotten; nothing more will come from it.
    Terminated,
}

/// Why a message could not be given to a transaction. The message is dropped; nothing panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("cannot match the message to a transaction: {0}")]
    Malformed(#[from] ParseError),
    #[error(
        "the top Via has no branch parameter, so the message cannot be matched (RFC 3261 §17.1.3)"
    )]
    MissingBranch,
    #[error(
        "our request's branch {0:?} lacks the z9hG4bK magic cookie; generate it with new_branch()"
    )]
    BranchWithoutCookie(String),
    #[error("a {0} request cannot start this kind of transaction (ACK for a 2xx is sent by the TU, outside any transaction)")]
    WrongMethod(Method),
    #[error("expected a request, got a response")]
    NotARequest,
    #[error("expected a response, got a request")]
    NotAResponse,
    #[error("status code {0} is outside 100..=699")]
    BadStatus(u16),
    #[error("the message belongs to another transaction")]
    Mismatch,
    #[error(
        "a live transaction already has this branch and method; give each request a new_branch()"
    )]
    DuplicateKey,
    #[error("no live transaction has this key (it may have terminated)")]
    UnknownTransaction,
    #[error("the transaction is {state} and cannot send a {code} response")]
    ResponseRefused { code: u16, state: &'static str },
}

/// A fresh branch parameter: the RFC 3261 §8.1.1.7 magic cookie plus 24 random alphanumerics
/// (~142 bits), unique across space and time as the RFC asks.
pub fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{}", crate::token::random_token(24))
}

/// The class of a status code, which is all a transaction looks at (RFC 3261 §8.1.3.2 treats an
/// unknown xYY like x00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Provisional,
    Success,
    Failure,
}

impl Class {
    fn of(message: &SipMessage) -> Result<(u16, Class), TransactionError> {
        let code = message.status().ok_or(TransactionError::NotAResponse)?;
        let class = match code {
            100..=199 => Class::Provisional,
            200..=299 => Class::Success,
            300..=699 => Class::Failure,
            _ => return Err(TransactionError::BadStatus(code)),
        };
        Ok((code, class))
    }
}

#[cfg(test)]
mod tests;
