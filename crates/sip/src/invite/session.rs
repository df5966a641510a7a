//! The [`InviteSession`] state and what both roles share: sending, ending, timers, routing.
//! The caller's half is in `uac.rs`, the callee's in `uas.rs`, what happens inside an
//! established dialog (re-INVITE, UPDATE, BYE, INFO, glare, refreshes) in `in_dialog.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::session_timer::{Negotiated, Refresher};
use super::{Body, EndReason, SessionConfig, SessionEvent, SessionOutput, SessionState};
use crate::dialog::Dialog;
use crate::digest::DigestClient;
use crate::message::{HeaderName, Method, SipMessage};
use crate::transaction::{new_branch, TransactionKey};

/// Which end of the first INVITE we are. The caller generated the Call-ID, which decides the
/// glare back-off (RFC 3261 §14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Caller,
    Callee,
}

/// How a client transaction the session started failed (the transaction layer's
/// `Output::Timeout` and `Output::TransportError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionFailure {
    Timeout,
    TransportError,
}

/// Caller side of CANCEL (RFC 3261 §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cancel {
    None,
    /// The user hung up before any provisional response: §9.1 forbids a CANCEL until one comes.
    WaitingProvisional,
    /// CANCEL sent; if no final response to the INVITE comes by `give_up` (64*T1), stop (§9.1).
    Sent {
        give_up: Instant,
    },
}

/// A 2xx to an INVITE we answered, retransmitted until its ACK comes (RFC 3261 §13.3.1.4):
/// T1, doubling up to T2; after 64*T1 the session ends with BYE.
#[derive(Debug, Clone)]
pub(super) struct Unacked {
    pub(super) key: TransactionKey,
    pub(super) response: SipMessage,
    pub(super) cseq: u32,
    pub(super) next: Instant,
    pub(super) interval: Duration,
    pub(super) give_up: Instant,
    /// Our 2xx carried an offer (the INVITE had none): the ACK must carry the answer.
    pub(super) answer_in_ack: bool,
}

/// What [`InviteSession::answer`] will answer.
#[derive(Debug, Clone)]
pub(super) enum Awaiting {
    /// Caller: the 2xx to our offerless INVITE carried an offer; the answer goes in the ACK.
    AckAnswer { cseq: u32 },
    /// A re-INVITE or UPDATE carrying an offer, waiting in server transaction `key`.
    Request {
        key: TransactionKey,
        request: Box<SipMessage>,
    },
}

/// Our re-INVITE or UPDATE in flight (one at a time, RFC 3261 §14.1).
#[derive(Debug, Clone)]
pub(super) struct OurRequest {
    pub(super) key: TransactionKey,
    pub(super) method: Method,
    pub(super) cseq: u32,
    pub(super) offer: Option<Body>,
    /// Sent only to refresh the session timer: an unchanged answer is not passed up.
    pub(super) refresh: bool,
}

/// A re-INVITE to send again after a 491 (RFC 3261 §14.1).
#[derive(Debug, Clone)]
pub(super) struct GlareRetry {
    pub(super) at: Instant,
    pub(super) offer: Option<Body>,
    pub(super) refresh: bool,
}

/// One INVITE session (RFC 3261 §13): a call, as caller or callee. See the module docs for how
/// a user agent drives it.
#[derive(Debug)]
pub struct InviteSession {
    pub(super) role: Role,
    pub(super) config: SessionConfig,
    pub(super) state: SessionState,
    pub(super) call_id: String,
    pub(super) local_tag: String,
    pub(super) dialog: Option<Dialog>,
    pub(super) ended: bool,
    pub(super) outputs: VecDeque<SessionOutput>,

    // Caller.
    /// The latest INVITE we sent, Via included: CANCEL copies it (§9.1).
    pub(super) invite: Option<SipMessage>,
    pub(super) invite_key: Option<TransactionKey>,
    /// Our first INVITE carried an offer (else the 2xx carries one: late offer).
    pub(super) offered_in_invite: bool,
    pub(super) cancel: Cancel,
    pub(super) cancel_key: Option<TransactionKey>,
    pub(super) auth: Option<DigestClient>,
    pub(super) answered_nonce: Option<String>,
    /// ACKs we sent for 2xx, by INVITE CSeq and To tag: re-sent when that 2xx is retransmitted.
    pub(super) acks: Vec<(u32, String, SipMessage)>,
    /// BYEs sent to extra forked 2xx (their dialogs are not kept).
    pub(super) fork_byes: Vec<TransactionKey>,

    // Callee.
    /// The INVITE we received and its server transaction, until we answer it finally.
    pub(super) server_invite: Option<(TransactionKey, SipMessage)>,
    /// That INVITE's server transaction, kept after the answer: a CANCEL that crosses our
    /// final response still matches it and gets its 200 (RFC 3261 §9.2).
    pub(super) invite_server_key: Option<TransactionKey>,
    pub(super) unacked: Option<Unacked>,
    /// The user hung up while our 2xx waited for its ACK: §15 forbids the BYE before it.
    pub(super) bye_after_ack: bool,
    /// The session timer decided on the incoming INVITE, put in our 2xx.
    pub(super) offered_timer: Option<(Negotiated, Refresher, bool)>,

    // Offer/answer.
    pub(super) local_sdp: Option<Body>,
    pub(super) remote_sdp: Option<Body>,
    pub(super) awaiting: Option<Awaiting>,
    pub(super) ours: Option<OurRequest>,
    pub(super) glare_retry: Option<GlareRetry>,

    // Session timer (RFC 4028).
    pub(super) timer: Option<Negotiated>,
    pub(super) refresh_at: Option<Instant>,
    pub(super) expire_at: Option<Instant>,
    /// The interval we ask for; raised by a 422's Min-SE.
    pub(super) ask_interval: u32,
    pub(super) peer_allows_update: bool,

    /// Our BYE in flight.
    pub(super) bye_key: Option<TransactionKey>,
}

impl InviteSession {
    pub(super) fn blank(role: Role, config: SessionConfig, call_id: String) -> InviteSession {
        let ask_interval = config
            .session_timer
            .map(|t| t.session_expires())
            .unwrap_or_default();
        let auth = config.credentials.clone().map(DigestClient::new);
        InviteSession {
            role,
            config,
            state: SessionState::Calling,
            call_id,
            local_tag: crate::token::random_token(12),
            dialog: None,
            ended: false,
            outputs: VecDeque::new(),
            invite: None,
            invite_key: None,
            offered_in_invite: false,
            cancel: Cancel::None,
            cancel_key: None,
            auth,
            answered_nonce: None,
            acks: Vec::new(),
            fork_byes: Vec::new(),
            server_invite: None,
            invite_server_key: None,
            unacked: None,
            bye_after_ack: false,
            offered_timer: None,
            local_sdp: None,
            remote_sdp: None,
            awaiting: None,
            ours: None,
            glare_retry: None,
            timer: None,
            refresh_at: None,
            expire_at: None,
            ask_interval,
            peer_allows_update: false,
            bye_key: None,
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn state(&self) -> SessionState {
        self.state
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Our tag: the From tag of a call we make, the To tag of one we take.
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The dialog, once a 2xx (caller) or the INVITE (callee) created it.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The callee's INVITE, as received (caller identity, offer, headers the phone shows).
    pub fn incoming_invite(&self) -> Option<&SipMessage> {
        self.server_invite.as_ref().map(|(_, invite)| invite)
    }

    /// The session descriptions in force: ours and the peer's.
    pub fn local_sdp(&self) -> Option<&Body> {
        self.local_sdp.as_ref()
    }

    pub fn remote_sdp(&self) -> Option<&Body> {
        self.remote_sdp.as_ref()
    }

    /// The session timer interval in seconds and whether we refresh, once negotiated.
    pub fn session_timer(&self) -> Option<(u32, bool)> {
        self.timer.map(|t| (t.interval, t.we_refresh))
    }

    /// Nothing more will come from this session: the user agent may drop it.
    pub fn is_terminated(&self) -> bool {
        self.state == SessionState::Terminated
    }

    /// Whether a received request (not an initial INVITE, nor a CANCEL) belongs to this
    /// session: same Call-ID, and its To tag is ours (RFC 3261 §12.2.2).
    pub fn owns_request(&self, request: &SipMessage) -> bool {
        request.call_id().is_ok_and(|c| c == self.call_id)
            && request
                .to()
                .is_ok_and(|to| to.tag() == Some(self.local_tag.as_str()))
    }

    /// Whether a received response answers one of our requests: same Call-ID, our From tag.
    pub fn owns_response(&self, response: &SipMessage) -> bool {
        response.call_id().is_ok_and(|c| c == self.call_id)
            && response
                .from()
                .is_ok_and(|from| from.tag() == Some(self.local_tag.as_str()))
    }

    /// Whether a CANCEL that created server transaction `cancel_key` targets our INVITE
    /// (RFC 3261 §9.2: it matches the INVITE's transaction).
    pub fn cancels(&self, cancel_key: &TransactionKey) -> bool {
        match (&self.invite_server_key, cancel_key.cancelled_invite()) {
            (Some(key), Some(target)) => *key == target,
            _ => false,
        }
    }

    pub fn poll_output(&mut self) -> Option<SessionOutput> {
        self.outputs.pop_front()
    }

    /// When [`InviteSession::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let cancel = match self.cancel {
            Cancel::Sent { give_up } if self.state != SessionState::Terminated => Some(give_up),
            _ => None,
        };
        [
            cancel,
            self.unacked.as_ref().map(|u| u.next.min(u.give_up)),
            self.glare_retry.as_ref().map(|g| g.at),
            self.refresh_at,
            self.expire_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires what is due at `now`: 2xx retransmission and its give-up, the CANCEL give-up, the
    /// glare retry, session refresh and expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Cancel::Sent { give_up } = self.cancel {
            if give_up <= now && !self.ended {
                // §9.1: no final response 64*T1 after the CANCEL: give the INVITE up.
                self.cancel = Cancel::None;
                self.end(EndReason::Cancelled);
                self.state = SessionState::Terminated;
            }
        }
        self.retransmit_2xx(now);
        if self.glare_retry.as_ref().is_some_and(|g| g.at <= now) {
            if let Some(retry) = self.glare_retry.take() {
                self.retry_after_glare(now, retry);
            }
        }
        if self.refresh_at.is_some_and(|at| at <= now) {
            self.refresh_at = None;
            self.send_refresh(now);
        }
        if self.expire_at.is_some_and(|at| at <= now) {
            self.expire_at = None;
            tracing::info!(call_id = %self.call_id, "session timer expired without a refresh");
            self.hang_up_with(now, EndReason::SessionExpired);
        }
    }

    /// A client transaction this session started failed (RFC 3261 §8.1.3.1: as a 408, or a 503
    /// for a transport error).
    pub fn handle_transaction_failure(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        failure: TransactionFailure,
    ) {
        if self.invite_key.as_ref() == Some(key) {
            self.invite_key = None;
            let reason = match (self.cancel, failure) {
                (Cancel::Sent { .. } | Cancel::WaitingProvisional, _) => EndReason::Cancelled,
                (_, TransactionFailure::Timeout) => EndReason::NoAnswer,
                (_, TransactionFailure::TransportError) => EndReason::TransportError,
            };
            if self.dialog.is_none() {
                self.end(reason);
                self.state = SessionState::Terminated;
            }
        } else if self.ours.as_ref().is_some_and(|o| o.key == *key) {
            self.ours = None;
            self.hang_up_with(now, EndReason::DialogGone { code: 408 });
        } else if self.bye_key.as_ref() == Some(key) {
            self.bye_key = None;
            self.state = SessionState::Terminated;
        }
        self.fork_byes.retain(|k| k != key);
    }

    /// The flow under the session is gone (the user agent lost its connection): the session
    /// ends at once with `reason`, sends nothing (nothing could carry it) and is terminated.
    /// The transactions it started died with the flow, so none of their keys is kept.
    pub fn abandon(&mut self, reason: EndReason) {
        self.invite_key = None;
        self.cancel_key = None;
        self.cancel = Cancel::None;
        self.bye_key = None;
        self.ours = None;
        self.server_invite = None;
        self.fork_byes.clear();
        self.end(reason);
        self.state = SessionState::Terminated;
    }

    // ---- shared helpers ----

    /// Puts our Via (fresh branch) on top and the User-Agent at the end.
    pub(super) fn stamp(&self, request: &mut SipMessage) {
        let mut via = self.config.via.clone();
        via.params.set("branch", Some(&new_branch()));
        request.headers.remove(&HeaderName::VIA);
        request.headers.push_front(HeaderName::VIA, via.to_string());
        if request.headers.get(HeaderName::USER_AGENT).is_none() {
            request
                .headers
                .push(HeaderName::USER_AGENT, self.config.user_agent.clone());
        }
    }

    /// Stamps `request` and asks for a client transaction; returns its key (`None` only if
    /// the request was malformed, which our own builders never make).
    pub(super) fn send(&mut self, mut request: SipMessage) -> Option<TransactionKey> {
        self.stamp(&mut request);
        match TransactionKey::for_client_request(&request) {
            Ok(key) => {
                self.outputs.push_back(SessionOutput::Request(request));
                Some(key)
            }
            Err(err) => {
                tracing::warn!(%err, "not sending a malformed request");
                None
            }
        }
    }

    /// A response to `request` with our To tag (added when the request had none).
    pub(super) fn response(&self, request: &SipMessage, code: u16, reason: &str) -> SipMessage {
        let mut response = SipMessage::response_to(request, code, reason);
        if let Ok(mut to) = request.to() {
            if to.tag().is_none() && code > 100 {
                to.params.set("tag", Some(&self.local_tag));
                response.headers.set(HeaderName::TO, to.to_string());
            }
        }
        response
            .headers
            .push(HeaderName::USER_AGENT, self.config.user_agent.clone());
        response
    }

    pub(super) fn respond(&mut self, key: TransactionKey, response: SipMessage) {
        self.outputs
            .push_back(SessionOutput::Response { key, response });
    }

    /// Answers `request` with a bare status.
    pub(super) fn reply(
        &mut self,
        key: &TransactionKey,
        request: &SipMessage,
        code: u16,
        reason: &str,
    ) {
        let response = self.response(request, code, reason);
        self.respond(key.clone(), response);
    }

    pub(super) fn event(&mut self, event: SessionEvent) {
        self.outputs.push_back(SessionOutput::Event(event));
    }

    pub(super) fn add_contact(&self, message: &mut SipMessage) {
        message
            .headers
            .push(HeaderName::CONTACT, format!("<{}>", self.config.contact));
    }

    /// Reports the end (once) and stops every timer. The state becomes Terminating while a
    /// BYE of ours is in flight, Terminated otherwise (callers may override).
    pub(super) fn end(&mut self, reason: EndReason) {
        self.unacked = None;
        self.glare_retry = None;
        self.refresh_at = None;
        self.expire_at = None;
        self.awaiting = None;
        if !self.ended {
            self.ended = true;
            tracing::info!(call_id = %self.call_id, ?reason, "session ended");
            self.event(SessionEvent::Ended { reason });
        }
        self.state = if self.bye_key.is_some() {
            SessionState::Terminating
        } else {
            SessionState::Terminated
        };
    }

    /// Sends BYE in the dialog (if there is one) and ends the session with `reason`.
    pub(super) fn hang_up_with(&mut self, _now: Instant, reason: EndReason) {
        if let Some(dialog) = self.dialog.as_mut() {
            if self.bye_key.is_none() && !self.ended {
                let bye = dialog.create_request(Method::Bye);
                self.bye_key = self.send(bye);
            }
        }
        self.end(reason);
    }

    /// Arms the session timer's refresh or expiry from `now` (RFC 4028 §10).
    pub(super) fn start_session_timer(&mut self, now: Instant, negotiated: Option<Negotiated>) {
        self.timer = negotiated;
        self.refresh_at = None;
        self.expire_at = None;
        if let Some(n) = negotiated {
            if n.we_refresh {
                self.refresh_at = Some(now + n.refresh_after());
            } else {
                self.expire_at = Some(now + n.expire_after());
            }
        }
    }
}
