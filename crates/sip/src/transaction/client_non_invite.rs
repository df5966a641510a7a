//! The non-INVITE client transaction (RFC 3261 §17.1.2). Unlike INVITE, a provisional does not
//! stop retransmissions (it only slows them to T2): a non-INVITE server never retransmits its final
//! response by itself, so the client's retransmissions are what recover a lost final (§17.2.2).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::timers::{earliest, fired, Retransmit, TimerConfig};
use super::{Class, Output, TransactionError, TransactionKey};
use crate::flow::TransportKind;
use crate::message::{Method, SipMessage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientNonInviteState {
    /// Request sent; timer E retransmits (UDP) with back-off up to T2, timer F gives up.
    Trying,
    /// A provisional arrived; E keeps retransmitting, every T2 (§17.1.2.2), F still runs.
    Proceeding,
    /// A final arrived; timer K absorbs its retransmissions.
    Completed,
    Terminated,
}

impl ClientNonInviteState {
    fn name(self) -> &'static str {
        match self {
            ClientNonInviteState::Trying => "Trying",
            ClientNonInviteState::Proceeding => "Proceeding",
            ClientNonInviteState::Completed => "Completed",
            ClientNonInviteState::Terminated => "Terminated",
        }
    }
}

/// Sends one non-INVITE request (REGISTER, BYE, OPTIONS, CANCEL…) and sees it to a final response.
#[derive(Debug)]
pub struct ClientNonInvite {
    key: TransactionKey,
    request: SipMessage,
    wire: Bytes,
    transport: TransportKind,
    config: TimerConfig,
    state: ClientNonInviteState,
    timer_e: Option<Retransmit>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
    outputs: VecDeque<Output>,
}

impl ClientNonInvite {
    /// Starts the transaction: the request goes out at once (drain `poll_output`). INVITE and ACK
    /// are refused: INVITE has its own machine and ACK is never a client transaction.
    pub fn new(
        now: Instant,
        request: SipMessage,
        transport: TransportKind,
        config: TimerConfig,
    ) -> Result<ClientNonInvite, TransactionError> {
        match request.method() {
            Some(method @ (Method::Invite | Method::Ack)) => {
                return Err(TransactionError::WrongMethod(method.clone()))
            }
            Some(_) => {}
            None => return Err(TransactionError::NotARequest),
        }
        let key = TransactionKey::for_client_request(&request)?;
        let wire = request.to_bytes();
        tracing::debug!(%key, %transport, "non-INVITE client transaction: Trying");
        Ok(ClientNonInvite {
            key,
            request,
            wire: wire.clone(),
            transport,
            config,
            state: ClientNonInviteState::Trying,
            timer_e: (!transport.is_reliable()).then(|| Retransmit::start(now, &config)),
            timer_f: Some(now + config.timeout()),
            timer_k: None,
            outputs: VecDeque::from([Output::Transmit(wire)]),
        })
    }

    pub fn key(&self) -> &TransactionKey {
        &self.key
    }

    pub fn state(&self) -> ClientNonInviteState {
        self.state
    }

    pub fn request(&self) -> &SipMessage {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ClientNonInviteState::Terminated
    }

    /// Feeds a response that matched this transaction's key; another transaction's response is
    /// refused with [`TransactionError::Mismatch`].
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let (code, class) = Class::of(&response)?;
        if TransactionKey::for_response(&response)? != self.key {
            return Err(TransactionError::Mismatch);
        }
        use ClientNonInviteState as S;
        match (self.state, class) {
            (S::Trying | S::Proceeding, Class::Provisional) => {
                // §17.1.2.2: E keeps running; its next firing re-arms it at T2.
                self.enter(S::Proceeding);
                self.outputs.push_back(Output::Response(response));
            }
            (S::Trying | S::Proceeding, Class::Success | Class::Failure) => {
                self.timer_e = None;
                self.timer_f = None;
                self.enter(S::Completed);
                self.outputs.push_back(Output::Response(response));
                // Timer K: T4 on UDP to absorb retransmitted finals, none on reliable transports.
                let wait = self.config.linger(self.transport);
                if wait.is_zero() {
                    self.terminate();
                } else {
                    self.timer_k = Some(now + wait);
                }
            }
            (state, _) => {
                tracing::debug!(key = %self.key, code, state = state.name(), "response absorbed");
            }
        }
        Ok(())
    }

    /// Fires whatever timers are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        use ClientNonInviteState as S;
        if fired(self.timer_f, now) {
            // §17.1.2.2: F fired in Trying or Proceeding; the TU treats it as a 408.
            tracing::debug!(key = %self.key, "timer F: no final response");
            self.outputs.push_back(Output::Timeout);
            self.terminate();
            return;
        }
        if fired(self.timer_k, now) {
            self.terminate();
            return;
        }
        if let Some(timer) = self.timer_e.filter(|t| t.at <= now) {
            self.outputs.push_back(Output::Transmit(self.wire.clone()));
            self.timer_e = Some(match self.state {
                // §17.1.2.2: in Trying, double up to T2; in Proceeding, always T2.
                S::Proceeding => Retransmit::fixed(now, self.config.t2),
                _ => timer.doubled_up_to(now, self.config.t2),
            });
        }
    }

    /// The flow failed to carry the request (§17.1.4): tell the TU and stop.
    pub fn handle_transport_error(&mut self, _now: Instant) {
        if self.state != ClientNonInviteState::Terminated {
            self.outputs.push_back(Output::TransportError);
            self.terminate();
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(&[self.timer_e.map(|t| t.at), self.timer_f, self.timer_k])
    }

    fn enter(&mut self, state: ClientNonInviteState) {
        if self.state != state {
            tracing::debug!(key = %self.key, from = self.state.name(), to = state.name(), "non-INVITE client transaction");
            self.state = state;
        }
    }

    fn terminate(&mut self) {
        self.timer_e = None;
        self.timer_f = None;
        self.timer_k = None;
        self.enter(ClientNonInviteState::Terminated);
        self.outputs.push_back(Output::Terminated);
    }
}
