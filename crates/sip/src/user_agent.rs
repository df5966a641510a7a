//! The user agent of one account: the transaction layer and the registration, composed, still
//! sans-IO. It owns the one flow to the account's server; the driver in `dialtone-core` feeds it
//! what the transport receives and sends what it asks.
//!
//! What it does beyond wiring: adds our Via (with `rport`, RFC 3581) to outgoing requests, answers
//! OPTIONS, refuses requests it has no use for with the right status, answers malformed
//! requests with 400 when it can, and drops malformed responses (never panics on them).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use tracing::{debug, warn};

use crate::flow::TransportKind;
use crate::message::{HeaderName, Host, Method, SipMessage, Via};
use crate::registration::{
    ContactAddress, Registration, RegistrationConfig, RegistrationEvent, RegistrationOutput,
};
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
            registration: Registration::new(registration),
            register_tx: None,
            local: None,
            ws_via_host: format!("{}.invalid", crate::registration::random_token(12)),
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
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], source: SocketAddr) {
        let msg = match SipMessage::parse(bytes) {
            Ok(msg) => msg,
            Err(err) => {
                warn!(%source, %err, "dropping a message that does not parse");
                self.answer_unparseable(bytes, &err.to_string());
                return;
            }
        };
        if let Err(err) = msg.call_id().and(msg.cseq()).and(msg.top_via()) {
            warn!(%source, %err, "dropping a message without usable Call-ID, CSeq or Via");
            if msg.is_request() && msg.top_via().is_ok() {
                self.reply_stateless(&msg, 400, &format!("Bad Request ({err})"));
            }
            return;
        }
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
                to.params
                    .set("tag", Some(&crate::registration::random_token(10)));
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

    /// RFC 3261 §8.2: a request we cannot parse still deserves a 400 when we can tell where to
    /// send it, which over a flow to one server we always can, provided its Via reads.
    fn answer_unparseable(&mut self, bytes: &[u8], why: &str) {
        let text = String::from_utf8_lossy(bytes);
        if text.starts_with("SIP/") {
            return; // a malformed response is dropped (§18.1.2)
        }
        // Salvage the headers a 400 must echo, line by line, without trusting the rest.
        let mut salvage = SipMessage::request(Method::Options, "sip:invalid");
        for line in text.lines().skip(1).take_while(|l| !l.is_empty()) {
            if let Some((name, value)) = line.split_once(':') {
                let name = HeaderName::new(name.trim());
                if [
                    HeaderName::VIA,
                    HeaderName::FROM,
                    HeaderName::TO,
                    HeaderName::CALL_ID,
                    HeaderName::CSEQ,
                ]
                .contains(&name)
                {
                    salvage.headers.push(name, value.trim());
                }
            }
        }
        if salvage.top_via().is_ok() && salvage.cseq().is_ok() && salvage.call_id().is_ok() {
            let reason: String = format!("Bad Request ({why})")
                .chars()
                .filter(|c| !c.is_control())
                .take(120)
                .collect();
            self.reply_stateless(&salvage, 400, &reason);
        }
    }

    fn reply_stateless(&mut self, request: &SipMessage, code: u16, reason: &str) {
        if request.method() == Some(&Method::Ack) {
            return;
        }
        let response = SipMessage::response_to(request, code, reason);
        self.outputs
            .push_back(UaOutput::Transmit(response.to_bytes()));
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
