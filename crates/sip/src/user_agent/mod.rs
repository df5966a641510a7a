//! The user agent of one account: the transaction layer, the registration and the account's
//! calls (INVITE sessions), composed, still sans-IO. It owns the one flow to the account's
//! server; the driver in `dialtone-core` feeds it what the transport receives and sends what it
//! asks.
//!
//! What it does beyond wiring: adds our Via (with `rport`, RFC 3581) to REGISTER, answers
//! OPTIONS, routes every message to the session it belongs to (the table in [`crate::invite`]),
//! refuses calls beyond [`UserAgent::max_calls`] with 486, answers requests for dialogs it does
//! not know with 481, answers malformed requests as RFC 3261 asks (via `message::Verdict`), and
//! drops malformed responses.
//!
//! The registrar is the outbound proxy: every request, REGISTER or INVITE, goes out on the one
//! flow to it, so sessions need no initial Route.
//!
//! Submodules: `routing` (what comes in, and draining what goes out), `calls` (the user's
//! intents on calls), `target` (what the user dialled → a Request-URI).

mod calls;
mod routing;
mod target;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use tracing::warn;

use crate::flow::TransportKind;
use crate::invite::{Body, EndReason, InviteSession, SessionError, SessionEvent};
use crate::message::{HeaderName, NameAddr, SipMessage, UaPolicy, Verdict};
use crate::registration::{ContactAddress, Registration, RegistrationConfig, RegistrationEvent};
use crate::token::random_token;
use crate::transaction::{TimerConfig, TransactionKey, TransactionLayer};

/// How many calls an account holds at once unless told otherwise ([`UserAgent::set_max_calls`]).
/// The Linkus SDK has the same cap (`MAX_LIMIT_CALL`, -205) without stating its value; five
/// covers a call, a consultation and waiting calls without letting a flood of INVITEs through.
pub const DEFAULT_MAX_CALLS: usize = 5;

/// A call of this user agent: a small opaque handle, unique for the user agent's lifetime.
///
/// A counter rather than the SIP Call-ID: it is `Copy`, never reused (a late event for an ended
/// call cannot be mistaken for a new one), and known before any SIP is sent. The SIP Call-ID
/// and tags are on the session ([`UserAgent::call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call-{}", self.0)
    }
}

/// What the phone learns about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// Someone calls us (an INVITE without a To tag). Ring with [`UserAgent::ring`], then
    /// [`UserAgent::accept`] or [`UserAgent::reject`]. `offer` is the caller's SDP; without one
    /// our answer to `accept` is the offer and the caller's answer comes in the ACK
    /// ([`SessionEvent::AnswerReceived`]).
    Incoming {
        /// The caller, without its tag.
        from: NameAddr,
        /// Whom the caller asked for (our AOR, or the number dialled), without a tag.
        to: NameAddr,
        offer: Option<Body>,
    },
    /// Everything else, as the session reports it; [`SessionEvent::Ended`] is the last one.
    Session(SessionEvent),
}

/// What the user agent wants done.
#[derive(Debug)]
pub enum UaOutput {
    /// Send these bytes on the account's flow.
    Transmit(Bytes),
    Registration(RegistrationEvent),
    Call {
        call: CallId,
        event: CallEvent,
    },
}

/// Why a call intent was not carried out; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaError {
    #[error("not connected to the account's server; wait until the phone is connected again")]
    FlowDown,
    #[error("{0:?} is not a number or SIP address that can be called")]
    InvalidTarget(String),
    #[error("{max} calls are already in progress; end one before starting another")]
    MaxCalls { max: usize },
    #[error("{0} does not exist (it has ended)")]
    UnknownCall(CallId),
    #[error(transparent)]
    Session(#[from] SessionError),
}

pub struct UserAgent {
    transport: TransportKind,
    user_agent: String,
    /// Who we are, for building calls: AOR, display name, credentials.
    account: RegistrationConfig,
    transactions: TransactionLayer,
    /// What we implement, for classifying incoming requests.
    policy: UaPolicy,
    registration: Registration,
    /// The REGISTER transaction in flight.
    register_tx: Option<TransactionKey>,
    /// The Contact URI of the last REGISTER sent: calls use the same one, so the registrar's
    /// binding, the flow (`;ob`) and our dialogs agree on where we are.
    registered_contact: Option<String>,
    /// Our address on the current flow, `None` while the flow is down.
    local: Option<SocketAddr>,
    /// The host we put in Via on WS/WSS, where the address means nothing (RFC 7118 §5).
    ws_via_host: String,
    calls: BTreeMap<CallId, InviteSession>,
    next_call: u64,
    max_calls: usize,
    outputs: VecDeque<UaOutput>,
}

impl UserAgent {
    pub fn new(registration: RegistrationConfig, timers: TimerConfig) -> UserAgent {
        UserAgent {
            transport: registration.transport,
            user_agent: registration.user_agent.clone(),
            account: registration.clone(),
            transactions: TransactionLayer::new(timers),
            policy: UaPolicy::default(),
            registration: Registration::new(registration),
            register_tx: None,
            registered_contact: None,
            local: None,
            ws_via_host: format!("{}.invalid", random_token(12)),
            calls: BTreeMap::new(),
            next_call: 1,
            max_calls: DEFAULT_MAX_CALLS,
            outputs: VecDeque::new(),
        }
    }

    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// How many calls may exist at once; an INVITE beyond it gets 486 Busy Here, and
    /// [`UserAgent::place_call`] refuses with [`UaError::MaxCalls`].
    pub fn max_calls(&self) -> usize {
        self.max_calls
    }

    pub fn set_max_calls(&mut self, max: usize) {
        self.max_calls = max;
    }

    /// A call's session (state, SIP Call-ID, dialog, the SDP in force), while it exists.
    pub fn call(&self, call: CallId) -> Option<&InviteSession> {
        self.calls.get(&call)
    }

    /// The calls that exist, oldest first.
    pub fn calls(&self) -> impl Iterator<Item = (CallId, &InviteSession)> {
        self.calls.iter().map(|(id, session)| (*id, session))
    }

    /// The flow is up with this local address: (re-)register at once.
    pub fn flow_up(&mut self, now: Instant, local: SocketAddr) {
        self.local = Some(local);
        let contact = ContactAddress {
            host: local.ip().to_string(),
            port: local.port(),
        };
        self.registration.register(now, contact);
        self.pump(now);
    }

    /// The flow went down: whatever was in flight on it is lost, and so are the calls.
    ///
    /// Every call ends with [`EndReason::TransportError`] without a BYE (nothing can be sent).
    /// A desk phone would try to keep them (re-register, then re-INVITE with the new Contact,
    /// RFC 5626 §4.2's flow recovery), and the far end may keep its half until its session
    /// timer runs out; that recovery is future work, and an honest "call lost" is better than a
    /// call that looks up but carries nothing.
    pub fn flow_lost(&mut self, now: Instant) {
        self.local = None;
        // Every transaction was on the lost flow: none can complete, none may retransmit.
        self.transactions = TransactionLayer::new(*self.transactions.config());
        self.register_tx = None;
        for session in self.calls.values_mut() {
            session.abandon(EndReason::TransportError);
        }
        self.registration.handle_flow_lost(now);
        self.pump(now);
    }

    /// Removes the binding; `Unregistered` follows. Calls are not touched: hang them up first.
    pub fn unregister(&mut self, now: Instant) {
        self.registration.unregister(now);
        self.pump(now);
    }

    /// One message received on the flow (a datagram, a framed stream message or a WS frame).
    /// Malformed requests are answered with the status RFC 3261 asks for (400, 416, 420, 505…),
    /// as far as their headers allow a response to be routed; malformed responses are dropped.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], source: SocketAddr) {
        let verdict = match SipMessage::parse(bytes) {
            Ok(msg) => match msg.verdict(&self.policy) {
                Verdict::Accept => return self.dispatch(now, msg, source),
                refused => refused,
            },
            Err(_) => Verdict::of(bytes, &self.policy),
        };
        match verdict {
            Verdict::Reject(rejection) => {
                warn!(%source, status = rejection.status, cause = ?rejection.cause, "refusing a malformed request");
                if let Some(mut response) = SipMessage::error_response(bytes, &rejection) {
                    response
                        .headers
                        .push(HeaderName::USER_AGENT, self.user_agent.clone());
                    self.outputs
                        .push_back(UaOutput::Transmit(response.to_bytes()));
                }
            }
            Verdict::Discard(err) => warn!(%source, %err, "dropping a malformed message"),
            Verdict::Accept => {}
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        self.registration.handle_timeout(now);
        for session in self.calls.values_mut() {
            session.handle_timeout(now);
        }
        self.pump(now);
    }

    /// The earliest instant at which [`UserAgent::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls
            .values()
            .filter_map(InviteSession::poll_timeout)
            .chain(self.transactions.next_timeout())
            .chain(self.registration.poll_timeout())
            .min()
    }

    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.outputs.pop_front()
    }
}
