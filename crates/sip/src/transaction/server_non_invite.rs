//! The non-INVITE server transaction (RFC 3261 §17.2.2).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::timers::{earliest, fired, TimerConfig};
use super::{Class, Output, TransactionError, TransactionKey};
use crate::flow::TransportKind;
use crate::message::{Method, SipMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerNonInviteState {
    /// The request is with the TU; retransmissions are absorbed (nothing to re-send yet).
    Trying,
    /// A provisional was sent; retransmissions get it again.
    Proceeding,
    /// The final was sent; retransmissions get it again until timer J.
    Completed,
    Terminated,
}

impl ServerNonInviteState {
    fn name(self) -> &'static str {
        match self {
            ServerNonInviteState::Trying => "Trying",
            ServerNonInviteState::Proceeding => "Proceeding",
            ServerNonInviteState::Completed => "Completed",
            ServerNonInviteState::Terminated => "Terminated",
        }
    }
}

/// Answers one received non-INVITE request (including CANCEL, which is its own transaction).
#[derive(Debug)]
pub struct ServerNonInvite {
    key: TransactionKey,
    request: SipMessage,
    transport: TransportKind,
    config: TimerConfig,
    state: ServerNonInviteState,
    last_response: Option<Bytes>,
    timer_j: Option<Instant>,
    outputs: VecDeque<Output>,
}

impl ServerNonInvite {
    /// Creates the transaction for a received request (the caller hands it to the TU).
    pub fn new(
        _now: Instant,
        request: SipMessage,
        transport: TransportKind,
        config: TimerConfig,
    ) -> Result<ServerNonInvite, TransactionError> {
        match request.method() {
            Some(method @ (Method::Invite | Method::Ack)) => {
                return Err(TransactionError::WrongMethod(method.clone()))
            }
            Some(_) => {}
            None => return Err(TransactionError::NotARequest),
        }
        let key = TransactionKey::for_server_request(&request)?;
        tracing::debug!(%key, %transport, "non-INVITE server transaction: Trying");
        Ok(ServerNonInvite {
            key,
            request,
            transport,
            config,
            state: ServerNonInviteState::Trying,
            last_response: None,
            timer_j: None,
            outputs: VecDeque::new(),
        })
    }

    pub fn key(&self) -> &TransactionKey {
        &self.key
    }

    pub fn state(&self) -> ServerNonInviteState {
        self.state
    }

    pub fn request(&self) -> &SipMessage {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ServerNonInviteState::Terminated
    }

    /// Sends a response from the TU. Once the final is sent, further responses are refused
    /// (§17.2.2: "any other final responses passed by the TU ... MUST be discarded").
    pub fn send_response(
        &mut self,
        now: Instant,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let (code, class) = Class::of(&response)?;
        use ServerNonInviteState as S;
        match (self.state, class) {
            (S::Trying | S::Proceeding, Class::Provisional) => {
                self.transmit(response.to_bytes());
                self.enter(S::Proceeding);
            }
            (S::Trying | S::Proceeding, Class::Success | Class::Failure) => {
                self.transmit(response.to_bytes());
                self.enter(S::Completed);
                // Timer J: 64*T1 on UDP, as long as the client may retransmit; none on reliable.
                let wait = self.config.timer_j(self.transport);
                if wait.is_zero() {
                    self.terminate();
                } else {
                    self.timer_j = Some(now + wait);
                }
            }
            (state, _) => {
                return Err(TransactionError::ResponseRefused {
                    code,
                    state: state.name(),
                })
            }
        }
        Ok(())
    }

    /// Feeds a retransmission of the request: answered with the last response, if any (§17.2.2).
    pub fn handle_request(
        &mut self,
        _now: Instant,
        request: SipMessage,
    ) -> Result<(), TransactionError> {
        if TransactionKey::for_server_request(&request)? != self.key {
            return Err(TransactionError::Mismatch);
        }
        match (self.state, &self.last_response) {
            (ServerNonInviteState::Proceeding | ServerNonInviteState::Completed, Some(last)) => {
                self.outputs.push_back(Output::Transmit(last.clone()));
            }
            (state, _) => {
                tracing::debug!(key = %self.key, state = state.name(), "retransmission absorbed");
            }
        }
        Ok(())
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if fired(self.timer_j, now) {
            self.terminate();
        }
    }

    /// The flow failed to carry our response (§17.2.4): tell the TU and stop.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        if self.state != ServerNonInviteState::Terminated {
            self.outputs.push_back(Output::TransportError);
            self.terminate();
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(&[self.timer_j])
    }

    fn transmit(&mut self, wire: Bytes) {
        self.last_response = Some(wire.clone());
        self.outputs.push_back(Output::Transmit(wire));
    }

    fn enter(&mut self, state: ServerNonInviteState) {
        if self.state != state {
            tracing::debug!(key = %self.key, from = self.state.name(), to = state.name(), "non-INVITE server transaction");
            self.state = state;
        }
    }

    fn terminate(&mut self) {
        self.timer_j = None;
        self.enter(ServerNonInviteState::Terminated);
        self.outputs.push_back(Output::Terminated);
    }
}
