//! The INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026 §8.4's Accepted state).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::timers::{earliest, fired, Retransmit, TimerConfig};
use super::{Class, Output, TransactionError, TransactionKey};
use crate::flow::TransportKind;
use crate::message::{CSeq, HeaderName, Method, SipMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientInviteState {
    /// INVITE sent, no response yet; timer A retransmits (UDP), timer B gives up.
    Calling,
    /// A provisional arrived: no more retransmissions, and no transaction timeout either —
    /// ringing may last; the TU cancels when it wants (§17.1.1.2).
    Proceeding,
    /// A non-2xx final arrived and was ACKed; timer D absorbs its retransmissions.
    Completed,
    /// A 2xx arrived (RFC 6026): timer M keeps the transaction alive so retransmitted or forked
    /// 2xx responses reach the TU as responses of this transaction rather than as strays.
    Accepted,
    Terminated,
}

impl ClientInviteState {
    fn name(self) -> &'static str {
        match self {
            ClientInviteState::Calling => "Calling",
            ClientInviteState::Proceeding => "Proceeding",
            ClientInviteState::Completed => "Completed",
            ClientInviteState::Accepted => "Accepted",
            ClientInviteState::Terminated => "Terminated",
        }
    }
}

/// Sends one INVITE and sees it to a final response.
#[derive(Debug)]
pub struct ClientInvite {
    key: TransactionKey,
    request: SipMessage,
    /// The INVITE as sent, kept for timer A's retransmissions.
    wire: Bytes,
    transport: TransportKind,
    config: TimerConfig,
    state: ClientInviteState,
    timer_a: Option<Retransmit>,
    timer_b: Option<Instant>,
    timer_d: Option<Instant>,
    timer_m: Option<Instant>,
    /// The ACK sent for the non-2xx final, re-sent for each retransmission of it (§17.1.1.2).
    ack: Option<Bytes>,
    outputs: VecDeque<Output>,
}

impl ClientInvite {
    /// Starts the transaction: the INVITE goes out at once (drain `poll_output`). The request
    /// must carry a top Via with a z9hG4bK branch and a CSeq; the transport decides whether
    /// timer A runs (UDP only, §17.1.1.2).
    pub fn new(
        now: Instant,
        request: SipMessage,
        transport: TransportKind,
        config: TimerConfig,
    ) -> Result<ClientInvite, TransactionError> {
        match request.method() {
            Some(Method::Invite) => {}
            Some(other) => return Err(TransactionError::WrongMethod(other.clone())),
            None => return Err(TransactionError::NotARequest),
        }
        let key = TransactionKey::for_client_request(&request)?;
        // The ACK for a non-2xx is built from these; refuse now rather than fail to ACK later.
        request.call_id()?;
        request.from()?;
        let wire = request.to_bytes();
        tracing::debug!(%key, %transport, "INVITE client transaction: Calling");
        Ok(ClientInvite {
            key,
            request,
            wire: wire.clone(),
            transport,
            config,
            state: ClientInviteState::Calling,
            timer_a: (!transport.is_reliable()).then(|| Retransmit::start(now, &config)),
            timer_b: Some(now + config.timeout()),
            timer_d: None,
            timer_m: None,
            ack: None,
            outputs: VecDeque::from([Output::Transmit(wire)]),
        })
    }

    pub fn key(&self) -> &TransactionKey {
        &self.key
    }

    pub fn state(&self) -> ClientInviteState {
        self.state
    }

    /// The INVITE this transaction sends.
    pub fn request(&self) -> &SipMessage {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ClientInviteState::Terminated
    }

    /// Feeds a response that matched this transaction's key. A response for another transaction
    /// is refused with [`TransactionError::Mismatch`] and changes nothing.
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let (code, class) = Class::of(&response)?;
        if TransactionKey::for_response(&response)? != self.key {
            return Err(TransactionError::Mismatch);
        }
        use ClientInviteState as S;
        match (self.state, class) {
            (S::Calling | S::Proceeding, Class::Provisional) => {
                // §17.1.1.2: a provisional stops retransmissions and timer B.
                self.timer_a = None;
                self.timer_b = None;
                self.enter(S::Proceeding);
                self.outputs.push_back(Output::Response(response));
            }
            (S::Calling | S::Proceeding, Class::Success) => {
                // RFC 6026 §8.4: not Terminated (RFC 3261's rule), but Accepted, so 2xx
                // retransmissions and forked 2xx keep reaching the TU through this transaction.
                self.timer_a = None;
                self.timer_b = None;
                self.timer_m = Some(now + self.config.timeout());
                self.enter(S::Accepted);
                self.outputs.push_back(Output::Response(response));
            }
            (S::Calling | S::Proceeding, Class::Failure) => {
                // §17.1.1.2: ACK it ourselves (the TU never sees an ACK for a non-2xx), pass the
                // response up once, and wait timer D for retransmissions of it.
                let ack = build_ack(&self.request, &response)?.to_bytes();
                self.timer_a = None;
                self.timer_b = None;
                self.outputs.push_back(Output::Transmit(ack.clone()));
                self.outputs.push_back(Output::Response(response));
                self.ack = Some(ack);
                self.enter(S::Completed);
                let wait = self.config.timer_d(self.transport);
                if wait.is_zero() {
                    self.terminate();
                } else {
                    self.timer_d = Some(now + wait);
                }
            }
            (S::Completed, Class::Failure) => {
                // A retransmission: our ACK was lost. Re-send it, tell the TU nothing.
                if let Some(ack) = &self.ack {
                    self.outputs.push_back(Output::Transmit(ack.clone()));
                }
            }
            (S::Accepted, Class::Success) => {
                // RFC 6026 §8.4: each 2xx goes to the TU, which re-sends its ACK (§13.2.2.4).
                self.outputs.push_back(Output::Response(response));
            }
            (state, _) => {
                tracing::debug!(key = %self.key, code, state = state.name(), "response absorbed");
            }
        }
        Ok(())
    }

    /// Fires whatever timers are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        use ClientInviteState as S;
        if fired(self.timer_b, now) {
            // §17.1.1.2: timer B in Calling: the TU reports a 408 to the user.
            tracing::debug!(key = %self.key, "timer B: no response to INVITE");
            self.outputs.push_back(Output::Timeout);
            self.terminate();
            return;
        }
        if fired(self.timer_d, now) || fired(self.timer_m, now) {
            self.terminate();
            return;
        }
        if let Some(timer) = self.timer_a.filter(|t| t.at <= now) {
            if self.state == S::Calling {
                self.outputs.push_back(Output::Transmit(self.wire.clone()));
                self.timer_a = Some(timer.doubled(now));
            }
        }
    }

    /// The flow failed to carry our INVITE or ACK (§17.1.4): tell the TU and stop. In Accepted the
    /// transaction sends nothing, so the failure is reported but M keeps absorbing 2xx.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        match self.state {
            ClientInviteState::Terminated => {}
            ClientInviteState::Accepted => self.outputs.push_back(Output::TransportError),
            _ => {
                self.outputs.push_back(Output::TransportError);
                self.terminate();
            }
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When `handle_timeout` should next be called, or `None` when nothing is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(&[
            self.timer_a.map(|t| t.at),
            self.timer_b,
            self.timer_d,
            self.timer_m,
        ])
    }

    fn enter(&mut self, state: ClientInviteState) {
        if self.state != state {
            tracing::debug!(key = %self.key, from = self.state.name(), to = state.name(), "INVITE client transaction");
            self.state = state;
        }
    }

    fn terminate(&mut self) {
        self.timer_a = None;
        self.timer_b = None;
        self.timer_d = None;
        self.timer_m = None;
        self.enter(ClientInviteState::Terminated);
        self.outputs.push_back(Output::Terminated);
    }
}

/// The ACK for a non-2xx final response to `invite`, as RFC 3261 §17.1.1.3 prescribes: the
/// INVITE's Request-URI, Call-ID, From and CSeq number (method ACK); the response's To (which
/// carries the tag the UAS chose); only the INVITE's top Via, so the ACK takes the same branch
/// and matches the server transaction; and the INVITE's Route set, so it follows the same path.
/// Max-Forwards is copied (or 70, §8.1.1.6); nothing else is, as §17.1.1.3 lists no other field.
pub fn build_ack(
    invite: &SipMessage,
    response: &SipMessage,
) -> Result<SipMessage, TransactionError> {
    let uri = invite.request_uri().ok_or(TransactionError::NotARequest)?;
    let mut ack = SipMessage::request(Method::Ack, uri);
    let top_via = invite
        .headers
        .values(HeaderName::VIA)
        .next()
        .ok_or(crate::message::ParseError::MissingHeader("Via"))?;
    ack.headers.push(HeaderName::VIA, top_via);
    for route in invite.headers.get_all(HeaderName::ROUTE) {
        ack.headers.push(HeaderName::ROUTE, route);
    }
    let max_forwards = invite.headers.get(HeaderName::MAX_FORWARDS).unwrap_or("70");
    ack.headers
        .push(HeaderName::MAX_FORWARDS, max_forwards.trim());
    // From and To are copied as written (after checking they parse), as response_to does: the
    // far end compares tags, and re-printing must not change what it compares.
    invite.from()?;
    response.to()?;
    for (name, source) in [(HeaderName::FROM, invite), (HeaderName::TO, response)] {
        if let Some(value) = source.headers.get(name.clone()) {
            ack.headers.push(name, value);
        }
    }
    ack.headers.push(HeaderName::CALL_ID, invite.call_id()?);
    let cseq = CSeq {
        seq: invite.cseq()?.seq,
        method: Method::Ack,
    };
    ack.headers.push(HeaderName::CSEQ, cseq.to_string());
    Ok(ack)
}
