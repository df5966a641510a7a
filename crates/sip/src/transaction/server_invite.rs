//! The INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026 §8.5–8.7's Accepted state).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::timers::{earliest, fired, Retransmit, TimerConfig, TRYING_DELAY};
use super::{Class, Output, TransactionError, TransactionKey};
use crate::flow::TransportKind;
use crate::message::{HeaderName, Method, SipMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerInviteState {
    /// The INVITE is with the TU; a 100 Trying goes out after 200 ms if the TU is silent.
    Proceeding,
    /// A non-2xx final was sent; timer G retransmits it (UDP) until the ACK, timer H gives up.
    Completed,
    /// The ACK arrived; timer I absorbs ACK retransmissions.
    Confirmed,
    /// A 2xx was sent (RFC 6026): the TU retransmits it; timer L absorbs INVITE retransmissions
    /// so they are not mistaken for new requests.
    Accepted,
    Terminated,
}

impl ServerInviteState {
    fn name(self) -> &'static str {
        match self {
            ServerInviteState::Proceeding => "Proceeding",
            ServerInviteState::Completed => "Completed",
            ServerInviteState::Confirmed => "Confirmed",
            ServerInviteState::Accepted => "Accepted",
            ServerInviteState::Terminated => "Terminated",
        }
    }
}

/// Answers one received INVITE.
#[derive(Debug)]
pub struct ServerInvite {
    key: TransactionKey,
    request: SipMessage,
    transport: TransportKind,
    config: TimerConfig,
    state: ServerInviteState,
    /// The last response sent, re-sent for a retransmitted INVITE (§17.2.1) and by timer G.
    last_response: Option<Bytes>,
    /// When to send 100 Trying if the TU has not responded by then.
    trying_at: Option<Instant>,
    timer_g: Option<Retransmit>,
    timer_h: Option<Instant>,
    timer_i: Option<Instant>,
    timer_l: Option<Instant>,
    outputs: VecDeque<Output>,
}

impl ServerInvite {
    /// Creates the transaction for a received INVITE (the caller hands the INVITE to the TU);
    /// `transport` is the one it arrived on, which decides whether timer G runs.
    pub fn new(
        now: Instant,
        request: SipMessage,
        transport: TransportKind,
        config: TimerConfig,
    ) -> Result<ServerInvite, TransactionError> {
        match request.method() {
            Some(Method::Invite) => {}
            Some(other) => return Err(TransactionError::WrongMethod(other.clone())),
            None => return Err(TransactionError::NotARequest),
        }
        let key = TransactionKey::for_server_request(&request)?;
        tracing::debug!(%key, %transport, "INVITE server transaction: Proceeding");
        Ok(ServerInvite {
            key,
            request,
            transport,
            config,
            state: ServerInviteState::Proceeding,
            last_response: None,
            trying_at: Some(now + TRYING_DELAY),
            timer_g: None,
            timer_h: None,
            timer_i: None,
            timer_l: None,
            outputs: VecDeque::new(),
        })
    }

    pub fn key(&self) -> &TransactionKey {
        &self.key
    }

    pub fn state(&self) -> ServerInviteState {
        self.state
    }

    pub fn request(&self) -> &SipMessage {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ServerInviteState::Terminated
    }

    /// Sends a response from the TU. In Proceeding any response goes; in Accepted only 2xx
    /// retransmissions (the TU's job, RFC 6026 §8.6); elsewhere the response is refused.
    pub fn send_response(
        &mut self,
        now: Instant,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let (code, class) = Class::of(&response)?;
        use ServerInviteState as S;
        match (self.state, class) {
            (S::Proceeding, Class::Provisional) => {
                self.trying_at = None;
                self.transmit(response.to_bytes());
            }
            (S::Proceeding, Class::Success) => {
                // RFC 6026 §8.5: to Accepted, not Terminated; the 2xx is not retransmitted here.
                self.trying_at = None;
                self.transmit(response.to_bytes());
                self.timer_l = Some(now + self.config.timeout());
                self.enter(S::Accepted);
            }
            (S::Proceeding, Class::Failure) => {
                self.trying_at = None;
                self.transmit(response.to_bytes());
                if !self.transport.is_reliable() {
                    self.timer_g = Some(Retransmit::start(now, &self.config));
                }
                // H runs on every transport: it bounds the wait for the ACK (§17.2.1).
                self.timer_h = Some(now + self.config.timeout());
                self.enter(S::Completed);
            }
            (S::Accepted, Class::Success) => self.transmit(response.to_bytes()),
            (state, _) => {
                return Err(TransactionError::ResponseRefused {
                    code,
                    state: state.name(),
                })
            }
        }
        Ok(())
    }

    /// Feeds a request that matched this transaction's key: a retransmitted INVITE or an ACK.
    pub fn handle_request(
        &mut self,
        now: Instant,
        request: SipMessage,
    ) -> Result<(), TransactionError> {
        if TransactionKey::for_server_request(&request)? != self.key {
            return Err(TransactionError::Mismatch);
        }
        let is_ack = request.method() == Some(&Method::Ack);
        use ServerInviteState as S;
        match (self.state, is_ack) {
            (S::Proceeding | S::Completed, false) => {
                // §17.2.1: a retransmitted INVITE gets the latest response again (none yet:
                // the 100 Trying timer will answer it).
                if let Some(last) = &self.last_response {
                    self.outputs.push_back(Output::Transmit(last.clone()));
                }
            }
            (S::Completed, true) => {
                self.timer_g = None;
                self.timer_h = None;
                self.enter(S::Confirmed);
                // Timer I: T4 on UDP to absorb ACK retransmissions, none on reliable transports.
                let wait = self.config.linger(self.transport);
                if wait.is_zero() {
                    self.terminate();
                } else {
                    self.timer_i = Some(now + wait);
                }
            }
            (S::Accepted, true) => {
                // RFC 6026 §8.7: an ACK that matched here is the 2xx's ACK (RFC 2543 peers reuse
                // the INVITE's branch): it belongs to the TU's dialog, not to us.
                self.outputs.push_back(Output::Request(request));
            }
            (state, _) => {
                // Proceeding+ACK is a peer bug; Confirmed and Accepted absorb retransmissions.
                tracing::debug!(key = %self.key, state = state.name(), ack = is_ack, "request absorbed");
            }
        }
        Ok(())
    }

    /// Fires whatever timers are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        use ServerInviteState as S;
        if fired(self.timer_h, now) {
            // §17.2.1: no ACK ever came; the TU learns the transaction failed.
            tracing::debug!(key = %self.key, "timer H: no ACK for the final response");
            self.outputs.push_back(Output::Timeout);
            self.terminate();
            return;
        }
        if fired(self.timer_i, now) || fired(self.timer_l, now) {
            self.terminate();
            return;
        }
        if fired(self.trying_at, now) && self.state == S::Proceeding {
            // §17.2.1 / §8.2.6.1: stops the client's INVITE retransmissions while the user
            // decides. No To tag, Timestamp copied.
            self.trying_at = None;
            let mut trying = SipMessage::response_to(&self.request, 100, "Trying");
            for value in self.request.headers.get_all(HeaderName::new("Timestamp")) {
                trying.headers.push(HeaderName::new("Timestamp"), value);
            }
            self.transmit(trying.to_bytes());
        }
        if let Some(timer) = self.timer_g.filter(|t| t.at <= now) {
            if let Some(last) = &self.last_response {
                self.outputs.push_back(Output::Transmit(last.clone()));
            }
            self.timer_g = Some(timer.doubled_up_to(now, self.config.t2));
        }
    }

    /// The flow failed to carry our response (§17.2.4): tell the TU and stop. In Accepted the
    /// transaction must keep absorbing INVITE retransmissions until L, so it only reports.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        match self.state {
            ServerInviteState::Terminated => {}
            ServerInviteState::Accepted => self.outputs.push_back(Output::TransportError),
            _ => {
                self.outputs.push_back(Output::TransportError);
                self.terminate();
            }
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(&[
            self.trying_at,
            self.timer_g.map(|t| t.at),
            self.timer_h,
            self.timer_i,
            self.timer_l,
        ])
    }

    fn transmit(&mut self, wire: Bytes) {
        self.last_response = Some(wire.clone());
        self.outputs.push_back(Output::Transmit(wire));
    }

    fn enter(&mut self, state: ServerInviteState) {
        if self.state != state {
            tracing::debug!(key = %self.key, from = self.state.name(), to = state.name(), "INVITE server transaction");
            self.state = state;
        }
    }

    fn terminate(&mut self) {
        self.trying_at = None;
        self.timer_g = None;
        self.timer_h = None;
        self.timer_i = None;
        self.timer_l = None;
        self.enter(ServerInviteState::Terminated);
        self.outputs.push_back(Output::Terminated);
    }
}
