//! The callee's side (RFC 3261 §13.3): the received INVITE, our provisional and final answers,
//! the 2xx retransmitted until its ACK (§13.3.1.4), and CANCEL received (§9.2).

use std::time::Instant;

use super::session::{InviteSession, Role, Unacked};
use super::session_timer::{self, uas_decide, UasDecision};
use super::{Body, EndReason, SessionConfig, SessionError, SessionEvent, SessionState, ALLOW};
use crate::dialog::Dialog;
use crate::message::{HeaderName, SipMessage};
use crate::transaction::TransactionKey;

impl InviteSession {
    /// A session for a received INVITE without a To tag, which created server transaction
    /// `key`. The INVITE's offer (if any) is [`InviteSession::remote_sdp`]; the phone then
    /// calls [`ring`](InviteSession::ring), [`accept`](InviteSession::accept) or
    /// [`reject`](InviteSession::reject). An INVITE we cannot take (no Contact, a session
    /// interval below our Min-SE) is refused at once: the first outputs are the response and
    /// `Ended`.
    pub fn incoming(
        now: Instant,
        config: SessionConfig,
        key: TransactionKey,
        invite: SipMessage,
    ) -> InviteSession {
        let _ = now;
        let call_id = invite.call_id().unwrap_or_default().to_owned();
        let timer_config = config.session_timer;
        let mut session = InviteSession::blank(Role::Callee, config, call_id);
        session.peer_allows_update = super::uac::peer_allows_update(&invite);
        session.remote_sdp = Body::session_description(&invite);
        session.server_invite = Some((key.clone(), invite.clone()));
        session.invite_server_key = Some(key.clone());
        match Dialog::uas(&invite, &session.local_tag) {
            Ok(dialog) => session.dialog = Some(dialog),
            Err(err) => {
                tracing::warn!(%err, "refusing an INVITE that cannot create a dialog");
                session.refuse_now(400, "Missing Contact");
                return session;
            }
        }
        if let Some(timer) = timer_config {
            match uas_decide(&timer, &invite) {
                UasDecision::Off => {}
                UasDecision::TooSmall { min_se } => {
                    // RFC 4028 §9: too short an interval would make refreshes too frequent.
                    let mut response = session.response(&invite, 422, "Session Interval Too Small");
                    session_timer::add_min_se(&mut response, min_se);
                    session.server_invite = None;
                    session.respond(key, response);
                    session.end(EndReason::Declined { code: 422 });
                    return session;
                }
                UasDecision::On {
                    negotiated,
                    refresher,
                    require,
                } => session.offered_timer = Some((negotiated, refresher, require)),
            }
        }
        session
    }

    fn refuse_now(&mut self, code: u16, reason: &str) {
        if let Some((key, invite)) = self.server_invite.take() {
            let response = self.response(&invite, code, reason);
            self.respond(key, response);
        }
        self.end(EndReason::Declined { code });
    }

    /// Sends 180 Ringing.
    pub fn ring(&mut self, now: Instant) -> Result<(), SessionError> {
        self.progress(now, 180, "Ringing", None)
    }

    /// Sends a provisional response (180, 183 with early-media SDP…), which creates the early
    /// dialog at the caller (our To tag, Contact and the Record-Route, RFC 3261 §12.1.1).
    pub fn progress(
        &mut self,
        now: Instant,
        code: u16,
        reason: &str,
        body: Option<Body>,
    ) -> Result<(), SessionError> {
        let _ = now;
        self.check_answerable("send a provisional response")?;
        if !(101..=199).contains(&code) {
            return Err(SessionError::BadStatus(code));
        }
        let Some((key, invite)) = self.server_invite.clone() else {
            return Err(self.wrong_state("send a provisional response"));
        };
        let mut response = self.dialog_response(&invite, code, reason);
        if let Some(body) = body {
            body.attach_to(&mut response);
        }
        self.respond(key, response);
        self.state = SessionState::Early;
        Ok(())
    }

    /// Answers the call with 200 OK carrying `body`: the answer to the INVITE's offer, or our
    /// offer when the INVITE had none (then the answer comes in the ACK, as
    /// [`SessionEvent::AnswerReceived`]). The 2xx is retransmitted until the ACK arrives.
    pub fn accept(&mut self, now: Instant, body: Body) -> Result<(), SessionError> {
        self.check_answerable("accept")?;
        let Some((key, invite)) = self.server_invite.take() else {
            return Err(self.wrong_state("accept"));
        };
        let mut response = self.dialog_response(&invite, 200, "OK");
        response.headers.push(HeaderName::ALLOW, ALLOW);
        if self.config.session_timer.is_some() {
            response.headers.push(HeaderName::SUPPORTED, "timer");
        }
        if let Some((negotiated, refresher, require)) = self.offered_timer {
            session_timer::add_to_response(&mut response, negotiated.interval, refresher, require);
        }
        body.attach_to(&mut response);
        let answer_in_ack = self.remote_sdp.is_none();
        self.local_sdp = Some(body);
        let cseq = invite.cseq().map(|c| c.seq).unwrap_or_default();
        self.send_2xx(now, key, response, cseq, answer_in_ack);
        self.state = SessionState::Accepted;
        let timer = self.offered_timer.map(|(n, _, _)| n);
        self.start_session_timer(now, timer);
        Ok(())
    }

    /// Refuses the call with a final status (486 Busy Here, 603 Decline, 480…).
    pub fn reject(&mut self, now: Instant, code: u16, reason: &str) -> Result<(), SessionError> {
        let _ = now;
        self.check_answerable("reject")?;
        if !(300..=699).contains(&code) {
            return Err(SessionError::BadStatus(code));
        }
        self.refuse_now(code, reason);
        Ok(())
    }

    fn check_answerable(&self, action: &'static str) -> Result<(), SessionError> {
        if self.role == Role::Callee
            && matches!(self.state, SessionState::Calling | SessionState::Early)
            && self.server_invite.is_some()
        {
            Ok(())
        } else {
            Err(self.wrong_state(action))
        }
    }

    pub(super) fn wrong_state(&self, action: &'static str) -> SessionError {
        SessionError::WrongState {
            action,
            state: self.state,
        }
    }

    /// A response that creates or confirms the dialog: our To tag, Contact, and the request's
    /// Record-Route copied (RFC 3261 §12.1.1).
    pub(super) fn dialog_response(
        &self,
        request: &SipMessage,
        code: u16,
        reason: &str,
    ) -> SipMessage {
        let mut response = self.response(request, code, reason);
        for value in request.headers.get_all(HeaderName::RECORD_ROUTE) {
            response.headers.push(HeaderName::RECORD_ROUTE, value);
        }
        self.add_contact(&mut response);
        response
    }

    /// Sends a 2xx to an INVITE and keeps re-sending it until the ACK (§13.3.1.4).
    pub(super) fn send_2xx(
        &mut self,
        now: Instant,
        key: TransactionKey,
        response: SipMessage,
        cseq: u32,
        answer_in_ack: bool,
    ) {
        self.respond(key.clone(), response.clone());
        let t1 = self.config.timers.t1;
        self.unacked = Some(Unacked {
            key,
            response,
            cseq,
            next: now + t1,
            interval: t1,
            give_up: now + self.config.timers.timeout(),
            answer_in_ack,
        });
    }

    /// RFC 3261 §13.3.1.4: T1, doubling up to T2; after 64*T1 without an ACK the session is
    /// ended with BYE. This runs on every transport: the ACK is end to end and may cross UDP
    /// hops even when our own flow is reliable.
    pub(super) fn retransmit_2xx(&mut self, now: Instant) {
        let Some(unacked) = self.unacked.as_mut() else {
            return;
        };
        if unacked.give_up <= now {
            self.unacked = None;
            tracing::info!(call_id = %self.call_id, "no ACK for our 2xx: ending the session");
            self.hang_up_with(now, EndReason::AckTimeout);
            return;
        }
        if unacked.next <= now {
            unacked.interval = (unacked.interval * 2).min(self.config.timers.t2);
            unacked.next = now + unacked.interval;
            let (key, response) = (unacked.key.clone(), unacked.response.clone());
            self.respond(key, response);
        }
    }

    /// An ACK for one of our 2xx (the transaction layer hands it up as a stray, RFC 3261
    /// §17.2.3). Its retransmissions, and ACKs for nothing we sent, change nothing.
    pub fn handle_ack(&mut self, now: Instant, ack: &SipMessage) {
        let Ok(cseq) = ack.cseq() else { return };
        if self.unacked.as_ref().is_none_or(|u| u.cseq != cseq.seq) {
            return;
        }
        let Some(unacked) = self.unacked.take() else {
            return;
        };
        if unacked.answer_in_ack {
            match Body::session_description(ack) {
                Some(answer) => {
                    self.remote_sdp = Some(answer.clone());
                    self.event(SessionEvent::AnswerReceived { body: answer });
                }
                None => {
                    // §13.3.1.4 leaves no way to renegotiate: the session has no answer.
                    self.hang_up_with(
                        now,
                        EndReason::ProtocolError("the ACK carried no SDP answer"),
                    );
                    return;
                }
            }
        }
        if self.state == SessionState::Accepted {
            self.state = SessionState::Confirmed;
            self.event(SessionEvent::Confirmed);
        }
        if self.bye_after_ack {
            self.hang_up_with(now, EndReason::LocalBye);
        }
    }

    /// CANCEL for our INVITE (RFC 3261 §9.2): 200 to the CANCEL; if we had not answered yet,
    /// 487 to the INVITE and the call is over. After our final answer it changes nothing.
    pub(super) fn on_cancel(&mut self, key: &TransactionKey, cancel: &SipMessage) {
        self.reply(key, cancel, 200, "OK");
        if !matches!(self.state, SessionState::Calling | SessionState::Early) {
            return;
        }
        if let Some((invite_key, invite)) = self.server_invite.take() {
            let response = self.response(&invite, 487, "Request Terminated");
            self.respond(invite_key, response);
            self.end(EndReason::CancelledByCaller);
        }
    }
}
