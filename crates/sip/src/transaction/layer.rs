//! The registry of live transactions: routes each received message to the transaction it belongs
//! to (RFC 3261 §17.1.3, §17.2.3), creates server transactions for new requests, and hands the
//! caller everything the transactions want done, tagged with the transaction's key.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::{
    ClientInvite, ClientNonInvite, Output, ServerInvite, ServerNonInvite, TimerConfig,
    TransactionError, TransactionKey,
};
use crate::flow::TransportKind;
use crate::message::{Method, SipMessage};

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A response for the TU from client transaction `key`: a provisional, the final (once), or
    /// a 2xx retransmission during RFC 6026's Accepted state.
    Response {
        key: TransactionKey,
        msg: SipMessage,
    },
    /// A new request; server transaction `key` now exists and the TU answers it with
    /// [`TransactionLayer::respond`]. For a CANCEL, [`TransactionKey::cancelled_invite`] names
    /// the INVITE transaction it targets.
    NewRequest {
        key: TransactionKey,
        msg: SipMessage,
    },
    /// A transaction consumed it (a retransmission, the ACK for a non-2xx, a retransmitted
    /// non-2xx final); anything it wants sent is in `poll_output`.
    Absorbed,
    /// No transaction takes it; it is the dialog layer's. This is how a 2xx to INVITE arrives
    /// once its transaction has ended, and how every ACK for a 2xx arrives (RFC 3261 §17.2.3:
    /// that ACK is not part of the INVITE transaction; one that matched an Accepted transaction
    /// is passed up here too, RFC 6026 §8.7). Other stray responses are for the TU to drop
    /// (§8.1.3.2's "stray" rule is the UAC core's).
    Stray(SipMessage),
}

// Variants are named after the machine types they hold (every one ends in "Invite").
#[allow(clippy::enum_variant_names)]
#[derive(Debug)]
enum Transaction {
    ClientInvite(ClientInvite),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

/// Forwards a call to whichever machine the transaction is.
macro_rules! each {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            Transaction::ClientInvite($t) => $body,
            Transaction::ClientNonInvite($t) => $body,
            Transaction::ServerInvite($t) => $body,
            Transaction::ServerNonInvite($t) => $body,
        }
    };
}

impl Transaction {
    fn poll_output(&mut self) -> Option<Output> {
        each!(self, t => t.poll_output())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        each!(self, t => t.poll_timeout())
    }

    fn handle_timeout(&mut self, now: Instant) {
        each!(self, t => t.handle_timeout(now))
    }

    fn handle_transport_error(&mut self, now: Instant) {
        each!(self, t => t.handle_transport_error(now))
    }
}

/// Owns every live transaction of a UA. Sans-IO like the machines it holds: feed it, then drain
/// [`TransactionLayer::poll_output`] and arm a timer for [`TransactionLayer::next_timeout`].
#[derive(Debug, Default)]
pub struct TransactionLayer {
    config: TimerConfig,
    transactions: HashMap<TransactionKey, Transaction>,
    outputs: VecDeque<(TransactionKey, Output)>,
}

impl TransactionLayer {
    pub fn new(config: TimerConfig) -> TransactionLayer {
        TransactionLayer {
            config,
            ..TransactionLayer::default()
        }
    }

    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// Starts a client transaction for `request` (its top Via must carry a fresh
    /// [`new_branch`](super::new_branch)); the request comes out of `poll_output` as a
    /// `Transmit` tagged with the returned key. `transport` is the flow's transport, which
    /// decides whether timers A/E retransmit. ACK is refused: an ACK for a 2xx is sent by the
    /// TU outside any transaction, and the ACK for a non-2xx by the INVITE transaction itself.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: SipMessage,
        transport: TransportKind,
    ) -> Result<TransactionKey, TransactionError> {
        let key = TransactionKey::for_client_request(&request)?;
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::DuplicateKey);
        }
        let transaction = if request.method() == Some(&Method::Invite) {
            Transaction::ClientInvite(ClientInvite::new(now, request, transport, self.config)?)
        } else {
            Transaction::ClientNonInvite(ClientNonInvite::new(
                now,
                request,
                transport,
                self.config,
            )?)
        };
        self.settle(key.clone(), transaction);
        Ok(key)
    }

    /// Routes a received message. `transport` is the one it arrived on (it decides the
    /// retransmission timers of a server transaction it creates). A message without a usable
    /// Via or CSeq is refused with an error and dropped; nothing panics on network input.
    pub fn handle_incoming(
        &mut self,
        now: Instant,
        msg: SipMessage,
        transport: TransportKind,
    ) -> Result<Incoming, TransactionError> {
        if msg.is_request() {
            self.incoming_request(now, msg, transport)
        } else {
            self.incoming_response(now, msg)
        }
    }

    /// Sends the TU's response through server transaction `key`.
    pub fn respond(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        response: SipMessage,
    ) -> Result<(), TransactionError> {
        let Some(mut transaction) = self.transactions.remove(key) else {
            return Err(TransactionError::UnknownTransaction);
        };
        let result = match &mut transaction {
            Transaction::ServerInvite(t) => t.send_response(now, response),
            Transaction::ServerNonInvite(t) => t.send_response(now, response),
            Transaction::ClientInvite(_) | Transaction::ClientNonInvite(_) => {
                Err(TransactionError::UnknownTransaction)
            }
        };
        self.settle(key.clone(), transaction);
        result
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<TransactionKey> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.poll_timeout().is_some_and(|at| at <= now))
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            if let Some(mut transaction) = self.transactions.remove(&key) {
                transaction.handle_timeout(now);
                self.settle(key, transaction);
            }
        }
    }

    /// The flow of transaction `key` failed (a connection closed, an ICMP error, a TLS alert).
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        key: &TransactionKey,
    ) -> Result<(), TransactionError> {
        let mut transaction = self
            .transactions
            .remove(key)
            .ok_or(TransactionError::UnknownTransaction)?;
        transaction.handle_transport_error(now);
        self.settle(key.clone(), transaction);
        Ok(())
    }

    /// The next thing to do, tagged with its transaction: `Transmit` goes on that transaction's
    /// flow; `Timeout`/`TransportError`/`Terminated` are for the TU. Responses and requests for
    /// the TU come back from `handle_incoming` instead, so they never appear here.
    pub fn poll_output(&mut self) -> Option<(TransactionKey, Output)> {
        self.outputs.pop_front()
    }

    /// When `handle_timeout` should next be called.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.transactions
            .values()
            .filter_map(Transaction::poll_timeout)
            .min()
    }

    /// Whether transaction `key` is alive (a TU checks the INVITE a CANCEL targets this way).
    pub fn contains(&self, key: &TransactionKey) -> bool {
        self.transactions.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    fn incoming_response(
        &mut self,
        now: Instant,
        msg: SipMessage,
    ) -> Result<Incoming, TransactionError> {
        let key = TransactionKey::for_response(&msg)?;
        let Some(mut transaction) = self.transactions.remove(&key) else {
            return Ok(Incoming::Stray(msg));
        };
        let fed = match &mut transaction {
            Transaction::ClientInvite(t) => t.handle_response(now, msg),
            Transaction::ClientNonInvite(t) => t.handle_response(now, msg),
            // Unreachable by construction (server keys are another variant); keep it anyway.
            Transaction::ServerInvite(_) | Transaction::ServerNonInvite(_) => {
                Err(TransactionError::Mismatch)
            }
        };
        let for_tu = self.settle(key.clone(), transaction);
        fed?;
        Ok(match for_tu {
            Some(msg) => Incoming::Response { key, msg },
            None => Incoming::Absorbed,
        })
    }

    fn incoming_request(
        &mut self,
        now: Instant,
        msg: SipMessage,
        transport: TransportKind,
    ) -> Result<Incoming, TransactionError> {
        let key = TransactionKey::for_server_request(&msg)?;
        if let Some(mut transaction) = self.transactions.remove(&key) {
            let fed = match &mut transaction {
                Transaction::ServerInvite(t) => t.handle_request(now, msg),
                Transaction::ServerNonInvite(t) => t.handle_request(now, msg),
                Transaction::ClientInvite(_) | Transaction::ClientNonInvite(_) => {
                    Err(TransactionError::Mismatch)
                }
            };
            let for_tu = self.settle(key, transaction);
            fed?;
            return Ok(for_tu.map_or(Incoming::Absorbed, Incoming::Stray));
        }
        let transaction = match msg.method() {
            // §17.2.3: an ACK that matches no INVITE transaction acknowledges a 2xx.
            Some(Method::Ack) => return Ok(Incoming::Stray(msg)),
            Some(Method::Invite) => Transaction::ServerInvite(ServerInvite::new(
                now,
                msg.clone(),
                transport,
                self.config,
            )?),
            _ => Transaction::ServerNonInvite(ServerNonInvite::new(
                now,
                msg.clone(),
                transport,
                self.config,
            )?),
        };
        self.settle(key.clone(), transaction);
        Ok(Incoming::NewRequest { key, msg })
    }

    /// Moves a transaction's outputs into the layer's queue, returns the message it passed up
    /// (at most one per input), and puts it back unless it terminated.
    fn settle(&mut self, key: TransactionKey, mut transaction: Transaction) -> Option<SipMessage> {
        let mut for_tu = None;
        let mut terminated = false;
        while let Some(output) = transaction.poll_output() {
            match output {
                Output::Response(msg) | Output::Request(msg) => for_tu = Some(msg),
                Output::Terminated => {
                    terminated = true;
                    self.outputs.push_back((key.clone(), Output::Terminated));
                }
                other => self.outputs.push_back((key.clone(), other)),
            }
        }
        if !terminated {
            self.transactions.insert(key, transaction);
        }
        for_tu
    }
}
