//! The caller's side (RFC 3261 §13.2): the INVITE, its responses, CANCEL (§9.1) and its races,
//! forked 2xx (§13.2.2.4), digest retries (§22.2) and 422 retries (RFC 4028 §7.4).

use std::time::Instant;

use super::session::{Cancel, InviteSession, Role};
use super::session_timer::{self, uac_result};
use super::{Body, EndReason, SessionConfig, SessionEvent, SessionOutput, SessionState, ALLOW};
use crate::auth_policy;
use crate::dialog::Dialog;
use crate::digest;
use crate::message::{CSeq, HeaderName, Method, NameAddr, SipMessage};
use crate::token::random_token;
use crate::transaction::TransactionKey;

impl InviteSession {
    /// Starts a call to `request_uri` (`sip:1001@pbx.example.com`), addressed `to`. With an
    /// `offer` the INVITE carries our SDP and the 2xx the answer; without one (late offer) the
    /// 2xx carries the peer's offer and our answer goes in the ACK ([`InviteSession::answer`]).
    /// The INVITE is the first output.
    pub fn call(
        now: Instant,
        config: SessionConfig,
        request_uri: &str,
        to: NameAddr,
        offer: Option<Body>,
    ) -> InviteSession {
        let _ = now;
        let call_id = format!("{}@{}", random_token(20), config.via.host);
        let mut session = InviteSession::blank(Role::Caller, config, call_id);
        session.offered_in_invite = offer.is_some();
        session.local_sdp = offer.clone();
        let invite = session.build_invite(request_uri, &to, offer.as_ref());
        session.send_invite(invite);
        session
    }

    fn build_invite(&self, request_uri: &str, to: &NameAddr, offer: Option<&Body>) -> SipMessage {
        let mut invite = SipMessage::request(Method::Invite, request_uri);
        for route in &self.config.initial_route {
            invite.headers.push(HeaderName::ROUTE, route.clone());
        }
        invite.headers.push(HeaderName::MAX_FORWARDS, "70");
        let mut from = self.config.local.clone();
        from.params.set("tag", Some(&self.local_tag));
        invite.headers.push(HeaderName::FROM, from.to_string());
        invite.headers.push(HeaderName::TO, to.to_string());
        invite
            .headers
            .push(HeaderName::CALL_ID, self.call_id.clone());
        let cseq = CSeq {
            seq: 1,
            method: Method::Invite,
        };
        invite.headers.push(HeaderName::CSEQ, cseq.to_string());
        self.add_contact(&mut invite);
        invite.headers.push(HeaderName::ALLOW, ALLOW);
        if let Some(timer) = self.config.session_timer {
            // RFC 4028 §7.1: no refresher parameter: the UAS chooses.
            session_timer::add_to_request(&mut invite, self.ask_interval, timer.min_se(), None);
        }
        if let Some(offer) = offer {
            offer.attach_to(&mut invite);
        }
        invite
    }

    fn send_invite(&mut self, mut invite: SipMessage) {
        self.stamp(&mut invite);
        self.invite_key = TransactionKey::for_client_request(&invite).ok();
        self.outputs
            .push_back(SessionOutput::Request(invite.clone()));
        self.invite = Some(invite);
    }

    /// Sends the INVITE again with the next CSeq and `edit` applied (auth, Session-Expires).
    fn resend_invite(&mut self, edit: impl FnOnce(&mut SipMessage)) -> bool {
        let Some(mut invite) = self.invite.clone() else {
            return false;
        };
        let Ok(cseq) = invite.cseq() else {
            return false;
        };
        let next = CSeq {
            seq: cseq.seq + 1,
            method: Method::Invite,
        };
        invite.headers.set(HeaderName::CSEQ, next.to_string());
        edit(&mut invite);
        self.send_invite(invite);
        true
    }

    /// Whether `response` answers our current INVITE (by CSeq: the transaction layer already
    /// matched the branch, and a stray 2xx has no transaction left to match).
    pub(super) fn is_invite_response(&self, response: &SipMessage) -> bool {
        let (Some(invite), Ok(cseq)) = (&self.invite, response.cseq()) else {
            return false;
        };
        cseq.method == Method::Invite && invite.cseq().is_ok_and(|c| c.seq == cseq.seq)
    }

    pub(super) fn on_invite_response(&mut self, now: Instant, response: &SipMessage) {
        match response.status() {
            Some(100..=199) => self.on_invite_provisional(now, response),
            Some(200..=299) => self.on_invite_2xx(now, response),
            Some(_) => self.on_invite_failure(now, response),
            None => {}
        }
    }

    fn on_invite_provisional(&mut self, now: Instant, response: &SipMessage) {
        if self.dialog.is_some() || self.ended {
            return;
        }
        if self.state == SessionState::Calling {
            self.state = SessionState::Early;
        }
        if let Some(code @ 101..=199) = response.status() {
            let body = Body::of(response);
            if let Some(sdp) = body.as_ref().filter(|b| b.is_sdp()) {
                // Without 100rel the 18x's SDP is informative (early media); kept in case the
                // 2xx omits it, as some gateways do.
                self.remote_sdp = Some(sdp.clone());
            }
            self.event(SessionEvent::Progress {
                code,
                reason: response.reason().unwrap_or_default().to_owned(),
                body,
            });
        }
        if self.cancel == Cancel::WaitingProvisional {
            self.send_cancel(now);
        }
    }

    fn on_invite_2xx(&mut self, now: Instant, response: &SipMessage) {
        let (Some(invite), Ok(cseq)) = (self.invite.clone(), response.cseq()) else {
            return;
        };
        let tag = response.to().ok().and_then(|t| t.tag().map(str::to_owned));
        // A retransmission of a 2xx we ACKed: the ACK was lost (§13.2.2.4).
        if let Some(ack) = self.ack_for(cseq.seq, tag.as_deref()) {
            self.outputs.push_back(SessionOutput::Ack(ack));
            return;
        }
        if let Some(dialog) = &self.dialog {
            if Some(dialog.id().remote_tag.as_str()) != tag.as_deref() {
                self.drop_fork(&invite, response);
            }
            // Same dialog, ACK not sent yet (we owe an answer): nothing to re-send.
            return;
        }
        if self.ended {
            // A 2xx after we gave the call up (CANCEL timed out): confirm and close it.
            self.drop_fork(&invite, response);
            return;
        }
        let dialog = match Dialog::uac(&invite, response) {
            Ok(dialog) => dialog,
            Err(err) => {
                tracing::warn!(%err, "2xx to INVITE cannot create a dialog");
                self.end(EndReason::ProtocolError("the 2xx had no usable Contact"));
                return;
            }
        };
        self.dialog = Some(dialog);
        self.invite_key = None;
        self.peer_allows_update = peer_allows_update(response);
        if self.cancel != Cancel::None {
            // §9.1's race: the 2xx crossed our CANCEL. Confirm the dialog, then end it.
            self.cancel = Cancel::None;
            self.send_ack(cseq.seq, None);
            self.hang_up_with(now, EndReason::Cancelled);
            return;
        }
        self.state = SessionState::Accepted;
        let timer = self.config.session_timer.and_then(|_| uac_result(response));
        self.start_session_timer(now, timer);
        let body = Body::session_description(response);
        if self.offered_in_invite {
            let answer = body.or_else(|| self.remote_sdp.clone());
            self.event(SessionEvent::Answered {
                body: answer.clone(),
            });
            self.send_ack(cseq.seq, None);
            self.state = SessionState::Confirmed;
            self.event(SessionEvent::Confirmed);
            if answer.is_none() {
                self.hang_up_with(now, EndReason::ProtocolError("no SDP answer in the 2xx"));
                return;
            }
            self.remote_sdp = answer;
        } else {
            self.event(SessionEvent::Answered { body: None });
            match body {
                Some(offer) => {
                    self.remote_sdp = Some(offer.clone());
                    self.awaiting = Some(super::session::Awaiting::AckAnswer { cseq: cseq.seq });
                    self.event(SessionEvent::OfferReceived { body: offer });
                }
                None => {
                    self.send_ack(cseq.seq, None);
                    self.hang_up_with(
                        now,
                        EndReason::ProtocolError("no SDP offer in the 2xx to an offerless INVITE"),
                    );
                }
            }
        }
    }

    /// RFC 3261 §13.2.2.4: a 2xx from another fork creates a dialog we do not want: ACK it,
    /// then BYE it. Its retransmissions get the same ACK again.
    fn drop_fork(&mut self, invite: &SipMessage, response: &SipMessage) {
        let Ok(mut fork) = Dialog::uac(invite, response) else {
            tracing::debug!("extra 2xx without a usable Contact ignored");
            return;
        };
        let Ok(cseq) = invite.cseq() else { return };
        tracing::info!(call_id = %self.call_id, tag = %fork.id().remote_tag, "extra forked 2xx: ACK and BYE");
        let mut ack = fork.create_ack(cseq.seq);
        self.stamp(&mut ack);
        self.outputs.push_back(SessionOutput::Ack(ack.clone()));
        self.acks
            .push((cseq.seq, fork.id().remote_tag.clone(), ack));
        let bye = fork.create_request(Method::Bye);
        if let Some(key) = self.send(bye) {
            self.fork_byes.push(key);
        }
    }

    fn on_invite_failure(&mut self, now: Instant, response: &SipMessage) {
        self.invite_key = None;
        if self.dialog.is_some() || self.ended {
            return;
        }
        let code = response.status().unwrap_or(500);
        if self.cancel == Cancel::None {
            if matches!(code, 401 | 407) && self.retry_with_credentials(response) {
                return;
            }
            if code == 422 && self.retry_with_larger_interval(response) {
                return;
            }
        }
        let _ = now;
        let reason = if self.cancel != Cancel::None {
            EndReason::Cancelled
        } else {
            EndReason::Rejected {
                code,
                reason: response.reason().unwrap_or_default().to_owned(),
            }
        };
        self.cancel = Cancel::None;
        self.end(reason);
        self.state = SessionState::Terminated;
    }

    /// RFC 3261 §22.2: answer the account server's challenge once (again only on a stale
    /// nonce), under the leak guard of [`auth_policy`].
    fn retry_with_credentials(&mut self, response: &SipMessage) -> bool {
        let (Some(auth), Some(invite)) = (self.auth.as_mut(), self.invite.as_ref()) else {
            return false;
        };
        let challenges = digest::challenges(response);
        let Some(challenge) = auth.choose(&challenges).first().map(|c| (*c).clone()) else {
            return false;
        };
        if let Err(refusal) =
            auth_policy::may_answer(invite, &challenge, self.config.account_realm.as_deref())
        {
            tracing::warn!(%refusal, "INVITE challenge not answered");
            return false;
        }
        if self.answered_nonce.is_some() && !challenge.stale {
            // We answered and were challenged again: the credentials are wrong.
            return false;
        }
        let uri = invite.request_uri().unwrap_or_default().to_owned();
        let body = invite.body.clone();
        let Ok(headers) = auth.answer(response, Method::Invite.as_str(), &uri, &body) else {
            return false;
        };
        self.answered_nonce = Some(challenge.nonce);
        self.resend_invite(|invite| {
            invite.headers.remove(&HeaderName::AUTHORIZATION);
            invite.headers.remove(&HeaderName::PROXY_AUTHORIZATION);
            for (name, value) in headers {
                invite.headers.push(name, value);
            }
        })
    }

    /// RFC 4028 §7.4: a 422 names the smallest interval the UAS takes; ask again with it.
    fn retry_with_larger_interval(&mut self, response: &SipMessage) -> bool {
        let (Some(config), Some(min)) =
            (self.config.session_timer, session_timer::min_se(response))
        else {
            return false;
        };
        if min <= self.ask_interval {
            return false;
        }
        self.ask_interval = min;
        let min_se = min.max(config.min_se());
        self.resend_invite(|invite| {
            invite
                .headers
                .set(HeaderName::SESSION_EXPIRES, min.to_string());
            invite.headers.set(HeaderName::MIN_SE, min_se.to_string());
        })
    }

    /// The ACK for a 2xx, on the dialog, remembered for retransmissions of that 2xx.
    pub(super) fn send_ack(&mut self, cseq: u32, body: Option<&Body>) {
        let Some(dialog) = &self.dialog else { return };
        let tag = dialog.id().remote_tag.clone();
        let mut ack = dialog.create_ack(cseq);
        if let Some(body) = body {
            body.attach_to(&mut ack);
        }
        self.stamp(&mut ack);
        self.outputs.push_back(SessionOutput::Ack(ack.clone()));
        self.acks.retain(|(seq, t, _)| !(*seq == cseq && *t == tag));
        self.acks.push((cseq, tag, ack));
    }

    pub(super) fn ack_for(&self, cseq: u32, tag: Option<&str>) -> Option<SipMessage> {
        self.acks
            .iter()
            .find(|(seq, t, _)| *seq == cseq && Some(t.as_str()) == tag)
            .map(|(_, _, ack)| ack.clone())
    }

    /// CANCEL for our INVITE (RFC 3261 §9.1): its Request-URI, Call-ID, To, From, CSeq number
    /// and top Via (so it matches the INVITE's transaction at the UAS), and its Route.
    pub(super) fn send_cancel(&mut self, now: Instant) {
        let Some(invite) = &self.invite else { return };
        let mut cancel = SipMessage::request(
            Method::Cancel,
            invite.request_uri().unwrap_or_default().to_owned(),
        );
        if let Some(via) = invite.headers.values(HeaderName::VIA).next() {
            cancel.headers.push(HeaderName::VIA, via.to_owned());
        }
        for route in invite.headers.get_all(HeaderName::ROUTE) {
            cancel.headers.push(HeaderName::ROUTE, route);
        }
        cancel.headers.push(HeaderName::MAX_FORWARDS, "70");
        for name in [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID] {
            if let Some(value) = invite.headers.get(name.clone()) {
                cancel.headers.push(name, value.to_owned());
            }
        }
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1);
        let cseq = CSeq {
            seq,
            method: Method::Cancel,
        };
        cancel.headers.push(HeaderName::CSEQ, cseq.to_string());
        cancel
            .headers
            .push(HeaderName::USER_AGENT, self.config.user_agent.clone());
        self.cancel_key = TransactionKey::for_client_request(&cancel).ok();
        self.outputs.push_back(SessionOutput::Request(cancel));
        self.cancel = Cancel::Sent {
            give_up: now + self.config.timers.timeout(),
        };
        self.state = SessionState::Terminating;
    }
}

/// The peer listed UPDATE in Allow: session refreshes can use it (RFC 4028 §9).
pub(super) fn peer_allows_update(message: &SipMessage) -> bool {
    message
        .headers
        .values(HeaderName::ALLOW)
        .any(|m| m.eq_ignore_ascii_case("UPDATE"))
}
