//! Inside an established dialog: requests received (BYE, re-INVITE, UPDATE, INFO, OPTIONS,
//! CANCEL), responses to ours, and the user's actions (hang up, re-INVITE, answer an offer).
//! Glare (RFC 3261 §14.1, RFC 3311 §5.2) and session refreshes (RFC 4028) live here too.

use std::time::{Duration, Instant};

use rand::Rng;

use super::dtmf;
use super::session::{Awaiting, Cancel, GlareRetry, InviteSession, OurRequest, Role};
use super::session_timer::{self, uac_result, uas_decide, Negotiated, Refresher, UasDecision};
use super::{Body, EndReason, SessionError, SessionEvent, SessionOutput, SessionState, ALLOW};
use crate::message::{HeaderName, Method, SipMessage};
use crate::transaction::TransactionKey;

/// A session-timer decision on a received refresh: `Err(min_se)` means 422.
type TimerChoice = Result<Option<(Negotiated, Refresher, bool)>, u32>;

impl InviteSession {
    /// A new request for this session (see [`InviteSession::owns_request`] and
    /// [`InviteSession::cancels`]), which created server transaction `key`. Every request is
    /// answered, now or (an offer) once the phone calls [`InviteSession::answer`].
    pub fn handle_request(&mut self, now: Instant, key: &TransactionKey, request: &SipMessage) {
        let Some(method) = request.method().cloned() else {
            return;
        };
        match method {
            Method::Ack => return self.handle_ack(now, request),
            Method::Cancel if self.role == Role::Callee => return self.on_cancel(key, request),
            Method::Cancel => {
                return self.reply(key, request, 481, "Call/Transaction Does Not Exist")
            }
            _ => {}
        }
        if self.ended {
            // A BYE crossing ours is fine; anything else is for a dialog that is gone.
            return match method {
                Method::Bye => self.reply(key, request, 200, "OK"),
                _ => self.reply(key, request, 481, "Call/Transaction Does Not Exist"),
            };
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return self.reply(key, request, 481, "Call/Transaction Does Not Exist");
        };
        if let Err(err) = dialog.receive_request(request) {
            // RFC 3261 §12.2.2: out of order.
            tracing::debug!(%err, "in-dialog request out of order");
            return self.reply(key, request, 500, "Server Internal Error");
        }
        match method {
            Method::Bye => self.on_bye(key, request),
            Method::Invite => self.on_offer_request(now, key, request),
            Method::Update => self.on_offer_request(now, key, request),
            Method::Info => self.on_info(key, request),
            Method::Options => {
                let mut response = self.response(request, 200, "OK");
                response.headers.push(HeaderName::ALLOW, ALLOW);
                self.respond(key.clone(), response);
            }
            _ => {
                let mut response = self.response(request, 405, "Method Not Allowed");
                response.headers.push(HeaderName::ALLOW, ALLOW);
                self.respond(key.clone(), response);
            }
        }
    }

    /// A response to one of our requests: from its client transaction, or a stray 2xx to an
    /// INVITE after the transaction ended (see [`InviteSession::owns_response`]).
    pub fn handle_response(&mut self, now: Instant, response: &SipMessage) {
        let (Ok(cseq), Some(code)) = (response.cseq(), response.status()) else {
            return;
        };
        if cseq.method == Method::Invite && (200..300).contains(&code) {
            let tag = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
            if let Some(ack) = self.ack_for(cseq.seq, tag.as_deref()) {
                // §13.2.2.4: each retransmission of a 2xx gets the ACK again.
                self.outputs.push_back(SessionOutput::Ack(ack));
                return;
            }
        }
        if self.role == Role::Caller && self.is_invite_response(response) {
            return self.on_invite_response(now, response);
        }
        let key = TransactionKey::for_response(response).ok();
        let ours = self.ours.as_ref().is_some_and(|o| {
            Some(&o.key) == key.as_ref() || (o.cseq == cseq.seq && o.method == cseq.method)
        });
        if ours {
            return self.on_our_response(now, response, code);
        }
        if code < 200 {
            return;
        }
        if key.is_some() && self.bye_key == key {
            self.bye_key = None;
            if self.ended {
                self.state = SessionState::Terminated;
            }
        }
        if let Some(key) = key {
            self.fork_byes.retain(|k| *k != key);
        }
    }

    /// Hangs up: CANCEL before an answer (RFC 3261 §9.1; if no provisional came yet, as soon
    /// as one does), BYE after (§15.1.1), a 603 for a call we have not answered. A callee whose
    /// 2xx awaits its ACK sends the BYE once the ACK comes (§15).
    pub fn hangup(&mut self, now: Instant) -> Result<(), SessionError> {
        match (self.role, self.state) {
            (_, SessionState::Terminating | SessionState::Terminated) => Ok(()),
            (Role::Caller, SessionState::Calling) => {
                self.cancel = Cancel::WaitingProvisional;
                Ok(())
            }
            (Role::Caller, SessionState::Early) => {
                self.send_cancel(now);
                Ok(())
            }
            (Role::Caller, SessionState::Accepted) => {
                // We owed an answer in the ACK: ACK without one, then BYE.
                if let Some(Awaiting::AckAnswer { cseq }) = self.awaiting.take() {
                    self.send_ack(cseq, None);
                }
                self.hang_up_with(now, EndReason::LocalBye);
                Ok(())
            }
            (Role::Callee, SessionState::Calling | SessionState::Early) => {
                self.reject(now, 603, "Decline")
            }
            (Role::Callee, SessionState::Accepted) => {
                self.bye_after_ack = true;
                Ok(())
            }
            (_, SessionState::Confirmed) => {
                self.hang_up_with(now, EndReason::LocalBye);
                Ok(())
            }
        }
    }

    /// Sends a re-INVITE with a new offer (hold, resume, codec change). The answer comes as
    /// [`SessionEvent::AnswerReceived`]; a refusal as [`SessionEvent::OfferRejected`]. On 491
    /// (glare) the same offer is sent again after RFC 3261 §14.1's random back-off.
    pub fn reinvite(&mut self, now: Instant, offer: Body) -> Result<(), SessionError> {
        if self.state != SessionState::Confirmed {
            return Err(self.wrong_state("re-INVITE"));
        }
        if self.offer_in_progress() {
            return Err(SessionError::OfferPending);
        }
        self.send_reinvite(now, Some(offer), false);
        Ok(())
    }

    /// Answers the offer the peer made ([`SessionEvent::OfferReceived`]): in our 2xx to its
    /// re-INVITE or UPDATE, or in our ACK when its 2xx carried the offer.
    pub fn answer(&mut self, now: Instant, body: Body) -> Result<(), SessionError> {
        match self.awaiting.take() {
            Some(Awaiting::AckAnswer { cseq }) => {
                self.local_sdp = Some(body.clone());
                self.send_ack(cseq, Some(&body));
                self.state = SessionState::Confirmed;
                self.event(SessionEvent::Confirmed);
                Ok(())
            }
            Some(Awaiting::Request { key, request }) => {
                self.accept_offer(now, key, &request, body);
                Ok(())
            }
            None => Err(SessionError::NoPendingOffer),
        }
    }

    /// Refuses the peer's re-INVITE or UPDATE offer (488 Not Acceptable Here, RFC 3261 §14.2):
    /// the previous descriptions stay in force.
    pub fn reject_offer(&mut self, now: Instant, code: u16) -> Result<(), SessionError> {
        let _ = now;
        if !(400..=699).contains(&code) {
            return Err(SessionError::BadStatus(code));
        }
        match self.awaiting.take() {
            Some(Awaiting::Request { key, request }) => {
                self.reply(&key, &request, code, "Not Acceptable Here");
                Ok(())
            }
            other => {
                self.awaiting = other;
                Err(SessionError::NoPendingOffer)
            }
        }
    }

    fn offer_in_progress(&self) -> bool {
        self.ours.is_some()
            || self.awaiting.is_some()
            || self.unacked.is_some()
            || self.glare_retry.is_some()
    }

    fn on_bye(&mut self, key: &TransactionKey, request: &SipMessage) {
        self.reply(key, request, 200, "OK");
        // §15.1.2: requests still unanswered in the dialog get 487.
        if let Some((invite_key, invite)) = self.server_invite.take() {
            let response = self.response(&invite, 487, "Request Terminated");
            self.respond(invite_key, response);
        }
        if let Some(Awaiting::Request { key, request }) = self.awaiting.take() {
            self.reply(&key, &request, 487, "Request Terminated");
        }
        self.end(EndReason::RemoteBye);
    }

    /// A re-INVITE or UPDATE: a target refresh, maybe a session refresh, maybe an offer.
    fn on_offer_request(&mut self, now: Instant, key: &TransactionKey, request: &SipMessage) {
        let is_invite = request.method() == Some(&Method::Invite);
        let offer = Body::session_description(request);
        let ours_has_offer = self
            .ours
            .as_ref()
            .is_some_and(|o| o.offer.is_some() || o.method == Method::Invite);
        if ours_has_offer && (is_invite || offer.is_some()) {
            // Glare: both ends offered at once (§14.2, RFC 3311 §5.2).
            return self.reply(key, request, 491, "Request Pending");
        }
        if self.awaiting.is_some() || (is_invite && self.unacked.is_some()) {
            // §14.2: an offer of theirs is still unanswered, or our 2xx not ACKed.
            let mut response = self.response(request, 500, "Server Internal Error");
            let wait = rand::rng().random_range(0..=10u32);
            response
                .headers
                .push(HeaderName::RETRY_AFTER, wait.to_string());
            return self.respond(key.clone(), response);
        }
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.refresh_target(request);
        }
        self.peer_allows_update |= super::uac::peer_allows_update(request);
        if let Err(min_se) = self.timer_for(request) {
            let mut response = self.response(request, 422, "Session Interval Too Small");
            session_timer::add_min_se(&mut response, min_se);
            return self.respond(key.clone(), response);
        }
        match offer {
            // The same offer again: a session refresh. Answer with what we answered before
            // (RFC 3264 §8: an unchanged description), without troubling the media layer.
            Some(offer) if Some(&offer) == self.remote_sdp.as_ref() && self.local_sdp.is_some() => {
                let body = self.local_sdp.clone();
                self.send_success(now, key.clone(), request, body, false);
            }
            Some(offer) => {
                self.awaiting = Some(Awaiting::Request {
                    key: key.clone(),
                    request: Box::new(request.clone()),
                });
                self.event(SessionEvent::OfferReceived { body: offer });
            }
            // An offerless re-INVITE: we offer our current description in the 2xx and take the
            // answer from the ACK (§14.2). An UPDATE without a body only refreshes.
            None if is_invite => {
                let body = self.local_sdp.clone();
                self.send_success(now, key.clone(), request, body, true);
            }
            None => self.send_success(now, key.clone(), request, None, false),
        }
    }

    fn accept_offer(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: &SipMessage,
        body: Body,
    ) {
        self.remote_sdp = Body::session_description(request);
        self.local_sdp = Some(body.clone());
        self.send_success(now, key, request, Some(body), false);
    }

    /// 200 to a re-INVITE or UPDATE: Contact (target refresh), the session timer as decided,
    /// and `body`. A 2xx to a re-INVITE is retransmitted until its ACK like any 2xx to INVITE.
    fn send_success(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: &SipMessage,
        body: Option<Body>,
        answer_in_ack: bool,
    ) {
        let mut response = self.response(request, 200, "OK");
        self.add_contact(&mut response);
        response.headers.push(HeaderName::ALLOW, ALLOW);
        let timer = self.timer_for(request).ok().flatten();
        if self.config.session_timer.is_some() {
            response.headers.push(HeaderName::SUPPORTED, "timer");
        }
        if let Some((negotiated, refresher, require)) = timer {
            session_timer::add_to_response(&mut response, negotiated.interval, refresher, require);
        }
        if let Some(body) = &body {
            body.attach_to(&mut response);
        }
        if request.method() == Some(&Method::Invite) {
            let cseq = request.cseq().map(|c| c.seq).unwrap_or_default();
            self.send_2xx(now, key, response, cseq, answer_in_ack && body.is_some());
        } else {
            self.respond(key, response);
        }
        if self.config.session_timer.is_some() {
            self.start_session_timer(now, timer.map(|(n, _, _)| n));
        }
    }

    fn timer_for(&self, request: &SipMessage) -> TimerChoice {
        let Some(config) = self.config.session_timer else {
            return Ok(None);
        };
        match uas_decide(&config, request) {
            UasDecision::Off => Ok(None),
            UasDecision::TooSmall { min_se } => Err(min_se),
            UasDecision::On {
                negotiated,
                refresher,
                require,
            } => Ok(Some((negotiated, refresher, require))),
        }
    }

    fn on_info(&mut self, key: &TransactionKey, request: &SipMessage) {
        let Some(body) = Body::of(request) else {
            // An empty INFO is a keep-alive some PBXs send.
            return self.reply(key, request, 200, "OK");
        };
        let content_type = body.content_type.as_str();
        if content_type != dtmf::DTMF_RELAY && content_type != dtmf::DTMF {
            let mut response = self.response(request, 415, "Unsupported Media Type");
            response.headers.push(
                HeaderName::new("Accept"),
                format!("{}, {}", dtmf::DTMF_RELAY, dtmf::DTMF),
            );
            return self.respond(key.clone(), response);
        }
        self.reply(key, request, 200, "OK");
        if let Some((digit, duration_ms)) = dtmf::parse(content_type, &body.bytes) {
            self.event(SessionEvent::Dtmf { digit, duration_ms });
        }
    }

    pub(super) fn send_reinvite(&mut self, now: Instant, offer: Option<Body>, refresh: bool) {
        let _ = now;
        let (interval, we_refresh) = match self.timer {
            Some(t) => (t.interval, Some(t.we_refresh)),
            None => (self.ask_interval, None),
        };
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let mut request = dialog.create_request(Method::Invite);
        let cseq = dialog.local_seq().unwrap_or(1);
        self.add_contact(&mut request);
        request.headers.push(HeaderName::ALLOW, ALLOW);
        self.add_timer_headers(&mut request, interval, we_refresh);
        if let Some(offer) = &offer {
            offer.attach_to(&mut request);
        }
        if let Some(key) = self.send(request) {
            self.ours = Some(OurRequest {
                key,
                method: Method::Invite,
                cseq,
                offer,
                refresh,
            });
        }
    }

    fn add_timer_headers(&self, request: &mut SipMessage, interval: u32, we_refresh: Option<bool>) {
        let Some(config) = self.config.session_timer else {
            return;
        };
        // In our request we are the UAC: "uac" keeps us the refresher, "uas" keeps the peer.
        let refresher = we_refresh.map(|us| if us { Refresher::Uac } else { Refresher::Uas });
        session_timer::add_to_request(request, interval, config.min_se(), refresher);
    }

    /// RFC 4028 §10: the refresher refreshes at half the interval, with UPDATE when the peer
    /// allows it (no offer needed), else a re-INVITE repeating our description unchanged.
    pub(super) fn send_refresh(&mut self, now: Instant) {
        if self.state != SessionState::Confirmed || self.ended {
            return;
        }
        if self.offer_in_progress() {
            // Something is being negotiated; its 2xx refreshes the session too. Look again soon.
            self.refresh_at = Some(now + Duration::from_secs(1));
            return;
        }
        if self.peer_allows_update {
            let Some(interval) = self.timer.map(|t| t.interval) else {
                return;
            };
            let Some(dialog) = self.dialog.as_mut() else {
                return;
            };
            let mut request = dialog.create_request(Method::Update);
            let cseq = dialog.local_seq().unwrap_or(1);
            self.add_contact(&mut request);
            self.add_timer_headers(&mut request, interval, Some(true));
            if let Some(key) = self.send(request) {
                self.ours = Some(OurRequest {
                    key,
                    method: Method::Update,
                    cseq,
                    offer: None,
                    refresh: true,
                });
            }
        } else {
            let offer = self.local_sdp.clone();
            self.send_reinvite(now, offer, true);
        }
    }

    fn on_our_response(&mut self, now: Instant, response: &SipMessage, code: u16) {
        if code < 200 {
            return;
        }
        let Some(ours) = self.ours.take() else { return };
        if self.ended {
            return;
        }
        match code {
            200..=299 => self.on_our_success(now, response, ours),
            491 => {
                // §14.1: the Call-ID's owner (the caller) waits 2.1–4 s, the other 0–2 s, in
                // 10 ms units, so the two ends do not collide again.
                let ticks = match self.role {
                    Role::Caller => rand::rng().random_range(210..=400u64),
                    Role::Callee => rand::rng().random_range(0..=200u64),
                };
                self.glare_retry = Some(GlareRetry {
                    at: now + Duration::from_millis(ticks * 10),
                    offer: ours.offer,
                    refresh: ours.refresh,
                });
            }
            422 => {
                let min = session_timer::min_se(response).unwrap_or(0);
                if min > self.timer.map_or(self.ask_interval, |t| t.interval) {
                    self.ask_interval = min;
                    if let Some(t) = self.timer.as_mut() {
                        t.interval = min;
                    }
                    self.resend(now, ours);
                } else if !ours.refresh {
                    self.event(SessionEvent::OfferRejected {
                        code,
                        reason: response.reason().unwrap_or_default().to_owned(),
                    });
                }
            }
            408 | 481 => self.hang_up_with(now, EndReason::DialogGone { code }),
            _ if ours.refresh => {
                tracing::warn!(code, "session refresh refused; the session may expire");
            }
            _ => self.event(SessionEvent::OfferRejected {
                code,
                reason: response.reason().unwrap_or_default().to_owned(),
            }),
        }
    }

    fn on_our_success(&mut self, now: Instant, response: &SipMessage, ours: OurRequest) {
        if ours.method == Method::Invite {
            self.send_ack(ours.cseq, None);
        }
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.refresh_target(response);
        }
        if self.config.session_timer.is_some() {
            self.start_session_timer(now, uac_result(response));
        }
        let Some(offer) = ours.offer else { return };
        self.local_sdp = Some(offer);
        match Body::session_description(response) {
            Some(answer) => {
                let changed = self.remote_sdp.as_ref() != Some(&answer);
                self.remote_sdp = Some(answer.clone());
                if changed || !ours.refresh {
                    self.event(SessionEvent::AnswerReceived { body: answer });
                }
            }
            None if ours.method == Method::Invite => {
                self.hang_up_with(now, EndReason::ProtocolError("no SDP answer in the 2xx"));
            }
            None => {}
        }
    }

    fn resend(&mut self, now: Instant, ours: OurRequest) {
        if ours.method == Method::Update {
            self.send_refresh(now);
        } else {
            self.send_reinvite(now, ours.offer, ours.refresh);
        }
    }

    pub(super) fn retry_after_glare(&mut self, now: Instant, retry: GlareRetry) {
        if self.state != SessionState::Confirmed || self.ended {
            return;
        }
        if self.ours.is_some() || self.awaiting.is_some() || self.unacked.is_some() {
            // The peer's re-INVITE won and is still being settled: try once it is.
            self.glare_retry = Some(GlareRetry {
                at: now + Duration::from_millis(500),
                ..retry
            });
            return;
        }
        self.send_reinvite(now, retry.offer, retry.refresh);
    }
}
