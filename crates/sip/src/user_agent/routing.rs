//! Where each received message goes, and how the parts' outputs are carried out. The routing is
//! the table in [`crate::invite`]'s docs: a new INVITE makes a session, a CANCEL goes to the
//! session whose INVITE it targets, other requests to the session whose dialog they name (481
//! otherwise), responses to the session whose From tag they carry, 2xx ACKs likewise.

use std::net::SocketAddr;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::{CallEvent, CallId, UaOutput, UserAgent};
use crate::flow::TransportKind;
use crate::invite::{
    unknown_dialog_response, InviteSession, SessionOutput, TransactionFailure, ALLOW,
};
use crate::message::{HeaderName, Host, Method, NameAddr, SipMessage, Via};
use crate::registration::RegistrationOutput;
use crate::token::random_token;
use crate::transaction::{new_branch, Incoming, Output, TransactionKey};

impl UserAgent {
    pub(super) fn dispatch(&mut self, now: Instant, msg: SipMessage, source: SocketAddr) {
        match self.transactions.handle_incoming(now, msg, self.transport) {
            Ok(Incoming::Response { key, msg }) => self.on_response(now, &key, msg),
            Ok(Incoming::NewRequest { key, msg }) => self.on_request(now, &key, msg),
            Ok(Incoming::Absorbed) => {}
            Ok(Incoming::Stray(msg)) if msg.is_request() => {
                // An ACK for a 2xx: the dialog's, outside any transaction.
                match self.calls.values_mut().find(|s| s.owns_request(&msg)) {
                    Some(session) => session.handle_ack(now, &msg),
                    None => debug!(method = ?msg.method(), "stray request dropped"),
                }
            }
            Ok(Incoming::Stray(msg)) => {
                // A 2xx retransmission after its INVITE transaction ended (forks, lost ACKs).
                match self.calls.values_mut().find(|s| s.owns_response(&msg)) {
                    Some(session) => session.handle_response(now, &msg),
                    None => debug!(status = ?msg.status(), "stray response dropped"),
                }
            }
            Err(err) => warn!(%source, %err, "message refused by the transaction layer"),
        }
        self.pump(now);
    }

    fn on_response(&mut self, now: Instant, key: &TransactionKey, msg: SipMessage) {
        if self.register_tx.as_ref() == Some(key) {
            if msg.status().is_some_and(|s| s >= 200) {
                self.register_tx = None;
            }
            self.registration.handle_response(now, &msg);
        } else if let Some(session) = self.calls.values_mut().find(|s| s.owns_response(&msg)) {
            session.handle_response(now, &msg);
        }
    }

    fn on_request(&mut self, now: Instant, key: &TransactionKey, request: SipMessage) {
        let method = request.method().cloned();
        let in_dialog = request.to().is_ok_and(|to| to.tag().is_some());
        match method {
            // Never answered (RFC 3261 §17.1.1.3); the layer hands ACKs up as strays anyway.
            Some(Method::Ack) => {}
            Some(Method::Invite) if !in_dialog => self.on_new_invite(now, key, request),
            Some(Method::Cancel) => {
                if let Some(session) = self.calls.values_mut().find(|s| s.cancels(key)) {
                    return session.handle_request(now, key, &request);
                }
                // The INVITE was answered finally and its call is gone, but its transaction
                // still lives: the CANCEL matched it and merely comes too late (§9.2).
                let matched = key
                    .cancelled_invite()
                    .is_some_and(|invite| self.transactions.contains(&invite));
                match matched {
                    true => self.answer(now, key, &request, 200, "OK"),
                    false => {
                        self.answer(now, key, &request, 481, "Call/Transaction Does Not Exist")
                    }
                }
            }
            Some(Method::Options) if !in_dialog => self.answer(now, key, &request, 200, "OK"),
            _ if in_dialog => match self.calls.values_mut().find(|s| s.owns_request(&request)) {
                Some(session) => session.handle_request(now, key, &request),
                None => {
                    if let Some(response) = unknown_dialog_response(&request) {
                        self.respond(now, key, response);
                    }
                }
            },
            Some(Method::Bye | Method::Update | Method::Info | Method::Prack) => {
                // Only meaningful inside a dialog, and this one names none (no To tag).
                self.answer(now, key, &request, 481, "Call/Transaction Does Not Exist")
            }
            _ => self.answer(now, key, &request, 405, "Method Not Allowed"),
        }
    }

    /// A new call to us: a session, or 486 when we hold [`UserAgent::max_calls`] already.
    fn on_new_invite(&mut self, now: Instant, key: &TransactionKey, invite: SipMessage) {
        let live = self.calls.values().filter(|s| !s.is_terminated()).count();
        if live >= self.max_calls {
            info!(
                max = self.max_calls,
                "refusing a call: the call limit is reached"
            );
            return self.answer(now, key, &invite, 486, "Busy Here");
        }
        let Some(config) = self.session_config() else {
            // The flow is down, so the INVITE cannot have come on it; be safe anyway.
            return self.answer(now, key, &invite, 480, "Temporarily Unavailable");
        };
        let untagged = |addr: Result<NameAddr, _>| {
            addr.ok().map(|mut a| {
                a.params.remove("tag");
                a
            })
        };
        let (from, to) = (untagged(invite.from()), untagged(invite.to()));
        let session = InviteSession::incoming(now, config, key.clone(), invite);
        let call = self.new_call_id();
        match (from, to) {
            (Some(from), Some(to)) if !session.is_terminated() => {
                info!(%call, call_id = session.call_id(), "incoming call");
                let offer = session.remote_sdp().cloned();
                self.outputs.push_back(UaOutput::Call {
                    call,
                    event: CallEvent::Incoming { from, to, offer },
                });
            }
            // Refused by the session at once (no Contact, too short a session interval): the
            // phone never saw it, so it hears nothing of it; only the response goes out.
            _ => {}
        }
        self.calls.insert(call, session);
    }

    pub(super) fn new_call_id(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }

    /// Answers a request the user agent handles itself, with a To tag and what we allow.
    fn answer(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        request: &SipMessage,
        code: u16,
        reason: &str,
    ) {
        let mut response = SipMessage::response_to(request, code, reason);
        if let Ok(mut to) = request.to() {
            if to.tag().is_none() {
                to.params.set("tag", Some(&random_token(10)));
            }
            response.headers.set(HeaderName::TO, to.to_string());
        }
        response.headers.push(HeaderName::ALLOW, ALLOW);
        response
            .headers
            .push(HeaderName::USER_AGENT, self.user_agent.clone());
        self.respond(now, key, response);
    }

    fn respond(&mut self, now: Instant, key: &TransactionKey, response: SipMessage) {
        if let Err(err) = self.transactions.respond(now, key, response) {
            warn!(%err, "could not answer a request");
        }
    }

    /// Drains the registration, the sessions and the transaction layer into our outputs until
    /// all are quiet, then drops the sessions that are over (their last event is out).
    pub(super) fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(output) = self.registration.poll_output() {
                progressed = true;
                match output {
                    RegistrationOutput::Request(request) => self.send_register(now, request),
                    RegistrationOutput::Event(event) => {
                        self.outputs.push_back(UaOutput::Registration(event))
                    }
                }
            }
            progressed |= self.drain_sessions(now);
            while let Some((key, output)) = self.transactions.poll_output() {
                progressed = true;
                let failure = match output {
                    Output::Transmit(bytes) => {
                        self.outputs.push_back(UaOutput::Transmit(bytes));
                        continue;
                    }
                    Output::Timeout => TransactionFailure::Timeout,
                    Output::TransportError => TransactionFailure::TransportError,
                    Output::Terminated => {
                        if self.register_tx.as_ref() == Some(&key) {
                            self.register_tx = None;
                        }
                        continue;
                    }
                    _ => continue,
                };
                if self.register_tx.as_ref() == Some(&key) {
                    self.register_tx = None;
                    self.registration.handle_transaction_timeout(now);
                } else {
                    for session in self.calls.values_mut() {
                        session.handle_transaction_failure(now, &key, failure);
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        self.calls.retain(|call, session| {
            let keep = !session.is_terminated();
            if !keep {
                debug!(%call, "call dropped");
            }
            keep
        });
    }

    /// Carries out what the sessions ask; whether any asked anything.
    fn drain_sessions(&mut self, now: Instant) -> bool {
        let mut progressed = false;
        for (call, session) in self.calls.iter_mut() {
            while let Some(output) = session.poll_output() {
                progressed = true;
                match output {
                    // As given: the session put its Via (branch included) on it, and a CANCEL
                    // must carry its INVITE's.
                    SessionOutput::Request(request) => {
                        if let Err(err) =
                            self.transactions.send_request(now, request, self.transport)
                        {
                            warn!(%call, %err, "could not start a client transaction");
                        }
                    }
                    SessionOutput::Response { key, response } => {
                        if let Err(err) = self.transactions.respond(now, &key, response) {
                            debug!(%call, %err, "response not sent: its transaction is gone");
                        }
                    }
                    SessionOutput::Ack(ack) => {
                        self.outputs.push_back(UaOutput::Transmit(ack.to_bytes()))
                    }
                    SessionOutput::Event(event) => {
                        info!(%call, ?event, "call event");
                        self.outputs.push_back(UaOutput::Call {
                            call: *call,
                            event: CallEvent::Session(event),
                        })
                    }
                }
            }
        }
        progressed
    }

    /// Our Via for this flow, without a branch: `rport` (RFC 3581); on WS/WSS an `.invalid`
    /// host and no port (RFC 7118 §5). `None` while the flow is down.
    pub(super) fn via_template(&self) -> Option<Via> {
        let local = self.local?;
        let (host, port) = match self.transport {
            TransportKind::Ws | TransportKind::Wss => (Host::Name(self.ws_via_host.clone()), None),
            _ => (Host::Ip(local.ip()), Some(local.port())),
        };
        let mut via = Via::new(self.transport, host, port, "");
        via.params.remove("branch");
        via.params.set("rport", None);
        Some(via)
    }

    /// Sends a REGISTER: the registration leaves the Via to us.
    fn send_register(&mut self, now: Instant, mut request: SipMessage) {
        let Some(mut via) = self.via_template() else {
            // The flow is down; the registration is told so and retries when it is back.
            self.registration.handle_flow_lost(now);
            return;
        };
        via.params.set("branch", Some(&new_branch()));
        request.headers.remove(&HeaderName::VIA);
        request.headers.push_front(HeaderName::VIA, via.to_string());
        if let Some(contact) = request.contacts().ok().and_then(|c| c.into_iter().next()) {
            self.registered_contact = Some(contact.uri);
        }
        match self.transactions.send_request(now, request, self.transport) {
            Ok(key) => {
                if let Some(old) = self.register_tx.replace(key) {
                    let _ = self.transactions.handle_transport_error(now, &old);
                }
            }
            Err(err) => warn!(%err, "could not start a client transaction"),
        }
    }
}
