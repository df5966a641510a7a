//! The user agent of one account: the transaction layer and the registration, composed, still
//! sans-IO. It owns the one flow to the account's server; the driver in `dialtone-core` feeds it
//! what the transport receives and sends what it asks.
//!
//! What it does beyond wiring: adds our Via (with `rport`, RFC 3581) to outgoing requests, answers
//! OPTIONS, refuses requests it has no use for with the right status, answers malformed
//! requests as RFC 3261 asks (via `message::Verdict`), and drops malformed responses.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use tracing::{debug, warn};

use crate::flow::TransportKind;
use crate::message::{HeaderName, Host, Method, SipMessage, UaPolicy, Verdict, Via};
use crate::registration::{
    ContactAddress, Registration, RegistrationConfig, RegistrationEvent, RegistrationOutput,
};
use crate::token::random_token;
use crate::transaction::{
    new_branch, Incoming, Output, TimerConfig, TransactionKey, TransactionLayer,
};

/// What the user agent wants done.
#[derive(Debug)]
pub enum UaOutput {
    /// Send these bytes on the account's flow.
    Transmit(Bytes),
    Registration(RegistrationEvent),
}

pub struct UserAgent {
    transport: TransportKind,
    user_agent: String,
    transactions: TransactionLayer,
    /// What we implement, for classifying incoming requests.
    policy: UaPolicy,
    registration: Registration,
    /// The REGISTER transaction in flight.
    register_tx: Option<TransactionKey>,
    /// Our address on the current flow, `None` while the flow is down.
    local: Option<SocketAddr>,
    /// The host we put in Via on WS/WSS, where the address means nothing (RFC 7118 §5).
    ws_via_host: String,
    outputs: VecDeque<UaOutput>,
}

impl UserAgent {
    pub fn new(registration: RegistrationConfig, timers: TimerConfig) -> UserAgent {
        UserAgent {
            transport: registration.transport,
            user_agent: registration.user_agent.clone(),
            transactions: TransactionLayer::new(timers),
            policy: UaPolicy::default(),
            registration: Registration::new(registration),
            register_tx: None,
            local: None,
            ws_via_host: format!("{}.invalid", random_token(12)),
            outputs: VecDeque::new(),
        }
    }

    pub fn registration(&self) -> &Registration {
        &self.registration
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

    /// The flow went down: whatever was in flight on it is lost.
    pub fn flow_lost(&mut self, now: Instant) {
        self.local = None;
        if let Some(key) = self.register_tx.take() {
            let _ = self.transactions.handle_transport_error(now, &key);
        }
        self.registration.handle_flow_lost(now);
        self.pump(now);
    }

    /// Removes the binding; `Unregistered` follows.
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

    fn dispatch(&mut self, now: Instant, msg: SipMessage, source: SocketAddr) {
        match self.transactions.handle_incoming(now, msg, self.transport) {
            Ok(Incoming::Response { key, msg }) => self.on_response(now, &key, msg),
            Ok(Incoming::NewRequest { key, msg }) => self.on_request(now, &key, &msg),
            Ok(Incoming::Absorbed) => {}
            Ok(Incoming::Stray(msg)) => {
                debug!(status = ?msg.status(), method = ?msg.method(), "stray message dropped")
            }
            Err(err) => warn!(%source, %err, "message refused by the transaction layer"),
        }
        self.pump(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
        self.registration.handle_timeout(now);
        self.pump(now);
    }

    /// The earliest instant at which [`UserAgent::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.transactions.next_timeout(),
            self.registration.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.outputs.pop_front()
    }

    fn on_response(&mut self, now: Instant, key: &TransactionKey, msg: SipMessage) {
        if self.register_tx.as_ref() == Some(key) {
            if msg.status().is_some_and(|s| s >= 200) {
                self.register_tx = None;
            }
            self.registration.handle_response(now, &msg);
        }
    }

    fn on_request(&mut self, now: Instant, key: &TransactionKey, request: &SipMessage) {
        let (code, reason) = match request.method() {
            Some(Method::Options) => (200, "OK"),
            // No dialogs exist yet, so any in-dialog request is for a dialog we do not know.
            Some(Method::Bye | Method::Cancel | Method::Update | Method::Info | Method::Prack) => {
                (481, "Call/Transaction Does Not Exist")
            }
            Some(Method::Invite) => (480, "Temporarily Unavailable"),
            _ => (405, "Method Not Allowed"),
        };
        let mut response = SipMessage::response_to(request, code, reason);
        if let Ok(mut to) = request.to() {
            if to.tag().is_none() {
                to.params.set("tag", Some(&random_token(10)));
            }
            response.headers.set(HeaderName::TO, to.to_string());
        }
        response.headers.push(
            HeaderName::ALLOW,
            "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE",
        );
        response
            .headers
            .push(HeaderName::USER_AGENT, self.user_agent.clone());
        if let Err(err) = self.transactions.respond(now, key, response) {
            warn!(%err, "could not answer a request");
        }
    }

    /// Drains the registration and the transaction layer into our outputs until both are quiet.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(output) = self.registration.poll_output() {
                progressed = true;
                match output {
                    RegistrationOutput::Request(request) => self.send_request(now, request),
                    RegistrationOutput::Event(event) => {
                        self.outputs.push_back(UaOutput::Registration(event))
                    }
                }
            }
            while let Some((key, output)) = self.transactions.poll_output() {
                progressed = true;
                match output {
                    Output::Transmit(bytes) => self.outputs.push_back(UaOutput::Transmit(bytes)),
                    Output::Timeout | Output::TransportError
                        if self.register_tx.as_ref() == Some(&key) =>
                    {
                        self.register_tx = None;
                        self.registration.handle_transaction_timeout(now);
                    }
                    Output::Terminated if self.register_tx.as_ref() == Some(&key) => {
                        self.register_tx = None
                    }
                    _ => {}
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn send_request(&mut self, now: Instant, mut request: SipMessage) {
        let Some(local) = self.local else {
            // The flow is down; the registration is told so and retries when it is back.
            self.registration.handle_flow_lost(now);
            return;
        };
        let host = match self.transport {
            TransportKind::Ws | TransportKind::Wss => Host::Name(self.ws_via_host.clone()),
            _ => Host::Ip(local.ip()),
        };
        let port = match self.transport {
            TransportKind::Ws | TransportKind::Wss => None,
            _ => Some(local.port()),
        };
        let mut via = Via::new(self.transport, host, port, &new_branch());
        via.params.set("rport", None);
        request.headers.remove(&HeaderName::VIA);
        request.headers.push_front(HeaderName::VIA, via.to_string());
        let is_register = request.method() == Some(&Method::Register);
        match self.transactions.send_request(now, request, self.transport) {
            Ok(key) if is_register => {
                if let Some(old) = self.register_tx.replace(key) {
                    let _ = self.transactions.handle_transport_error(now, &old);
                }
            }
            Ok(_) => {}
            Err(err) => warn!(%err, "could not start a client transaction"),
        }
    }
}
