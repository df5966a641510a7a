//! INVITE sessions (RFC 3261 §13–15), sans-IO: one [`InviteSession`] per call, caller (UAC) or
//! callee (UAS), from the first INVITE to the end of the BYE.
//!
//! # How a user agent drives a session
//! A session sits above the [`TransactionLayer`](crate::transaction::TransactionLayer). The user
//! agent feeds it what the layer hands up and carries out what it asks:
//!
//! | session output | what the user agent does |
//! |---|---|
//! | [`SessionOutput::Request`] | `TransactionLayer::send_request` (the Via, with a fresh branch, is already in place: a CANCEL must reuse its INVITE's) |
//! | [`SessionOutput::Response`] | `TransactionLayer::respond(key, response)` |
//! | [`SessionOutput::Ack`] | transmit on the flow **outside any transaction**: the ACK for a 2xx (RFC 3261 §13.2.2.4, §17.1.1.3) |
//! | [`SessionOutput::Event`] | up to the phone (ringing, answered, offers for the media crate, DTMF, ended) |
//!
//! and in the other direction:
//!
//! | transaction layer | session input |
//! |---|---|
//! | `Incoming::NewRequest { key, msg }` for this session (see [`InviteSession::owns_request`], and [`InviteSession::cancels`] for a CANCEL) | [`InviteSession::handle_request`] |
//! | `Incoming::Response { msg, .. }`, and a `Stray` response with our From tag | [`InviteSession::handle_response`] |
//! | a `Stray` ACK with our To tag | [`InviteSession::handle_ack`] |
//! | `Output::Timeout` / `Output::TransportError` of a key the session started | [`InviteSession::handle_transaction_failure`] |
//!
//! A new INVITE without a To tag creates a session with [`InviteSession::incoming`]; an
//! in-dialog request that matches no session gets [`unknown_dialog_response`] (481). A session
//! is dropped once [`InviteSession::is_terminated`].
//!
//! # Offer/answer (RFC 3264 through RFC 3261 §13.2.1)
//! SDP travels as an opaque [`Body`]: the media crate makes and reads it. The session only
//! knows who owes whom an answer. Supported placements: offer in the INVITE and answer in the
//! 2xx; offer in the 2xx and answer in the ACK (late offer, both roles); offers in re-INVITE and
//! UPDATE (received UPDATE only; we refresh with UPDATE without a body). Offers in reliable
//! provisional responses (RFC 3262, 100rel/PRACK) are not supported: we never send
//! `Supported: 100rel`, so a peer does not require it, and SDP in a 18x is passed up as early
//! media information only (RFC 3960's gateway model), the 2xx's SDP being the answer.
//! An offer byte-identical to the previous one (a session refresh) is answered with our last
//! description without bothering the media layer.

mod dtmf;
mod in_dialog;
mod session;
mod session_timer;
mod uac;
mod uas;

use bytes::Bytes;

use crate::digest::Credentials;
use crate::flow::TransportKind;
use crate::message::{HeaderName, NameAddr, SipMessage, Via};
use crate::transaction::{TimerConfig, TransactionKey};

pub use session::{InviteSession, Role, TransactionFailure};
pub use session_timer::SessionTimerConfig;

/// The methods a session answers, for `Allow` (RFC 3261 §20.5).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";

/// What one account's sessions share: who we are and how our requests look.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Our identity for From (calls we make), without a tag: `"Alice" <sip:1000@pbx>`.
    pub local: NameAddr,
    /// Our Contact URI: where the peer sends in-dialog requests (`sip:1000@192.0.2.1:5060`).
    pub contact: String,
    /// The Via of our requests; each gets a fresh `branch` in it.
    pub via: Via,
    pub transport: TransportKind,
    pub timers: TimerConfig,
    pub user_agent: String,
    /// Route values for the first INVITE (an outbound proxy, `<sip:proxy.example.com;lr>`).
    pub initial_route: Vec<String>,
    /// RFC 4028 session timers; `None` turns them off (no `Supported: timer`).
    pub session_timer: Option<SessionTimerConfig>,
    /// Credentials for a 401/407 to the first INVITE (the account's server); in-dialog
    /// challenges are never answered (see [`crate::auth_policy`]).
    pub credentials: Option<Credentials>,
    /// The registrar's realm once known: challenges for any other realm are refused.
    pub account_realm: Option<String>,
}

/// A message body with its media type: SDP (`application/sdp`) as the media crate wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub content_type: String,
    pub bytes: Bytes,
}

impl Body {
    pub const SDP: &'static str = "application/sdp";

    /// An SDP body.
    pub fn sdp(bytes: impl Into<Bytes>) -> Body {
        Body {
            content_type: Body::SDP.to_owned(),
            bytes: bytes.into(),
        }
    }

    /// The session description a message carries: a non-empty `application/sdp` body. Other
    /// body types are not offers or answers (multipart is not unpacked).
    pub fn session_description(message: &SipMessage) -> Option<Body> {
        let body = Body::of(message)?;
        body.is_sdp().then_some(body)
    }

    /// A message's non-empty body and its media type (lower case, parameters dropped).
    pub fn of(message: &SipMessage) -> Option<Body> {
        if message.body.is_empty() {
            return None;
        }
        let content_type = message
            .headers
            .get(HeaderName::CONTENT_TYPE)?
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Some(Body {
            content_type,
            bytes: message.body.clone(),
        })
    }

    pub fn is_sdp(&self) -> bool {
        self.content_type.eq_ignore_ascii_case(Body::SDP)
    }

    pub(crate) fn attach_to(&self, message: &mut SipMessage) {
        message
            .headers
            .set(HeaderName::CONTENT_TYPE, self.content_type.clone());
        message.body = self.bytes.clone();
    }
}

/// What a session wants done; drained with [`InviteSession::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOutput {
    /// Start a client transaction with this request (Via included).
    Request(SipMessage),
    /// Send this response through server transaction `key`.
    Response {
        key: TransactionKey,
        response: SipMessage,
    },
    /// Transmit this ACK for a 2xx on the flow, outside any transaction (RFC 3261 §13.2.2.4).
    /// The same ACK comes again for each retransmission of that 2xx.
    Ack(SipMessage),
    Event(SessionEvent),
}

/// What the phone learns from a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// A provisional response (101–199) to our INVITE: 180 Ringing, 183 Session Progress. Its SDP,
    /// if any, describes early media (see the module docs on 100rel).
    Progress {
        code: u16,
        reason: String,
        body: Option<Body>,
    },
    /// A 2xx to our INVITE: the call is answered. `body` is the answer to our offer; after an
    /// offerless INVITE it is `None` and [`SessionEvent::OfferReceived`] follows.
    Answered { body: Option<Body> },
    /// The dialog is confirmed: we sent the ACK (caller) or received it (callee).
    Confirmed,
    /// The peer made an offer (re-INVITE, UPDATE, or the 2xx to our offerless INVITE): answer
    /// it with [`InviteSession::answer`], or refuse it with [`InviteSession::reject_offer`]
    /// (not possible for an offer in a 2xx).
    OfferReceived { body: Body },
    /// The peer answered our offer (2xx to our re-INVITE, ACK to our offer in a 2xx).
    AnswerReceived { body: Body },
    /// Our re-INVITE failed; the session goes on with the previous descriptions (§14.1).
    OfferRejected { code: u16, reason: String },
    /// A DTMF digit signalled by INFO (`application/dtmf-relay` or `application/dtmf`).
    Dtmf {
        digit: char,
        duration_ms: Option<u32>,
    },
    /// The session is over (emitted once). For a BYE we sent, the BYE's transaction still runs
    /// until the session [`is_terminated`](InviteSession::is_terminated).
    Ended { reason: EndReason },
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up an established call (BYE sent).
    LocalBye,
    /// The peer hung up (BYE received).
    RemoteBye,
    /// We cancelled before an answer (including a 2xx that crossed the CANCEL: ACKed, then BYE).
    Cancelled,
    /// The caller cancelled before we answered.
    CancelledByCaller,
    /// Our INVITE got this final response (486 Busy Here, 404 Not Found, 603 Decline…).
    /// 3xx redirects are reported here too; they are not followed.
    Rejected { code: u16, reason: String },
    /// We refused the incoming call with this status.
    Declined { code: u16 },
    /// No final response to our INVITE (timer B): reported as 408 (RFC 3261 §8.1.3.1).
    NoAnswer,
    /// The transport could not carry our INVITE: reported as 503 (RFC 3261 §8.1.3.1).
    TransportError,
    /// Our 2xx was never acknowledged within 64*T1 (RFC 3261 §13.3.1.4): BYE sent.
    AckTimeout,
    /// The session timer ran out without a refresh (RFC 4028 §10): BYE sent.
    SessionExpired,
    /// An in-dialog request got 408 or 481, or timed out: the dialog is gone (§12.2.1.2).
    DialogGone { code: u16 },
    /// The peer broke the offer/answer rules (a 2xx or ACK without the SDP it owed us).
    ProtocolError(&'static str),
}

impl EndReason {
    /// The SIP status behind the end, as the Linkus SDK's `failed` event reports it.
    pub fn status(&self) -> Option<u16> {
        match self {
            EndReason::Rejected { code, .. }
            | EndReason::Declined { code }
            | EndReason::DialogGone { code } => Some(*code),
            EndReason::Cancelled | EndReason::CancelledByCaller => Some(487),
            EndReason::NoAnswer => Some(408),
            EndReason::TransportError => Some(503),
            _ => None,
        }
    }
}

/// Where a session is (RFC 3261 §13, §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Caller: INVITE sent, nothing heard. Callee: INVITE received, nothing sent.
    Calling,
    /// A provisional response was sent or received (an early dialog, §12.1; Proceeding).
    Early,
    /// A 2xx was sent or received, its ACK not yet (callee waits for it; caller owes an answer
    /// in it after an offerless INVITE).
    Accepted,
    /// The ACK went out or came in: the call is up.
    Confirmed,
    /// We sent BYE (or CANCEL) and wait for its transaction to end.
    Terminating,
    Terminated,
}

/// Why a user action could not be carried out; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("cannot {action} while the session is {state:?}")]
    WrongState {
        action: &'static str,
        state: SessionState,
    },
    #[error("an offer is already in progress in this dialog; wait for its answer (RFC 3264 §4)")]
    OfferPending,
    #[error("no offer is waiting for an answer")]
    NoPendingOffer,
    #[error("status {0} cannot be used here")]
    BadStatus(u16),
}

/// The answer to an in-dialog request (BYE, INFO, re-INVITE…) whose dialog we do not know:
/// 481 Call/Transaction Does Not Exist (RFC 3261 §12.2.2). `None` for an ACK, which is never
/// answered.
pub fn unknown_dialog_response(request: &SipMessage) -> Option<SipMessage> {
    if request.method() == Some(&crate::message::Method::Ack) {
        return None;
    }
    Some(SipMessage::response_to(
        request,
        481,
        "Call/Transaction Does Not Exist",
    ))
}
