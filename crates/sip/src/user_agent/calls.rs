//! The user's intents on calls. Each finds the call's session, asks it, and drains what it
//! wants sent; an intent that cannot be carried out says why and sends nothing.

use std::time::Instant;

use tracing::info;

use super::target::target_uri;
use super::{CallId, UaError, UserAgent};
use crate::invite::{Body, InviteSession, SessionConfig, SessionTimerConfig};
use crate::message::NameAddr;

impl UserAgent {
    /// Calls `target`: a number or user (`1001`, `+4930123`: sent to this account's domain) or
    /// a `sip:`/`sips:` URI. With an `offer` the INVITE carries our SDP and the answer comes in
    /// [`SessionEvent::Answered`](crate::invite::SessionEvent::Answered); without one the 2xx
    /// carries the peer's offer, to be answered with [`UserAgent::answer_offer`].
    ///
    /// A 401/407 from the account's server is answered once with the account's credentials,
    /// and only for the realm the registration learnt (see [`crate::auth_policy`]).
    pub fn place_call(
        &mut self,
        now: Instant,
        target: &str,
        offer: Option<Body>,
    ) -> Result<CallId, UaError> {
        let config = self.session_config().ok_or(UaError::FlowDown)?;
        let uri = target_uri(target, &self.account.aor)?;
        let live = self.calls.values().filter(|s| !s.is_terminated()).count();
        if live >= self.max_calls {
            return Err(UaError::MaxCalls {
                max: self.max_calls,
            });
        }
        let to = NameAddr::new(&uri);
        let session = InviteSession::call(now, config, &uri.to_string(), to, offer);
        let call = self.new_call_id();
        info!(%call, call_id = session.call_id(), %uri, "placing a call");
        self.calls.insert(call, session);
        self.pump(now);
        Ok(call)
    }

    /// Sends 180 Ringing for an incoming call.
    pub fn ring(&mut self, now: Instant, call: CallId) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.ring(now))
    }

    /// Answers an incoming call with 200 OK carrying `answer` (or our offer, when the INVITE
    /// had none).
    pub fn accept(&mut self, now: Instant, call: CallId, answer: Body) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.accept(now, answer))
    }

    /// Refuses an incoming call: 486 Busy Here, 603 Decline, 480 Temporarily Unavailable…
    pub fn reject(&mut self, now: Instant, call: CallId, code: u16) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.reject(now, code, reason_phrase(code)))
    }

    /// Ends a call whatever its state: CANCEL, BYE, or 603 for one we have not answered.
    pub fn hangup(&mut self, now: Instant, call: CallId) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.hangup(now))
    }

    /// Sends a new offer in the call (hold, resume, codec change).
    pub fn reinvite(&mut self, now: Instant, call: CallId, offer: Body) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.reinvite(now, offer))
    }

    /// Answers the offer the peer made (`OfferReceived`).
    pub fn answer_offer(
        &mut self,
        now: Instant,
        call: CallId,
        answer: Body,
    ) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.answer(now, answer))
    }

    /// Refuses the peer's re-INVITE/UPDATE offer with a 4xx–6xx (488 usually); the call goes on.
    pub fn reject_offer(&mut self, now: Instant, call: CallId, code: u16) -> Result<(), UaError> {
        self.with_call(now, call, |s| s.reject_offer(now, code))
    }

    fn with_call<T>(
        &mut self,
        now: Instant,
        call: CallId,
        action: impl FnOnce(&mut InviteSession) -> Result<T, crate::invite::SessionError>,
    ) -> Result<T, UaError> {
        let session = self
            .calls
            .get_mut(&call)
            .ok_or(UaError::UnknownCall(call))?;
        let result = action(session)?;
        self.pump(now);
        Ok(result)
    }

    /// What this account's sessions share, for the current flow: our AOR with its display
    /// name, the registration's Contact, our Via, session timers (RFC 4028, 1800 s) and the
    /// credentials with the registrar's realm once learnt. `None` while the flow is down.
    pub(super) fn session_config(&self) -> Option<SessionConfig> {
        let via = self.via_template()?;
        let mut local = NameAddr::new(&self.account.aor);
        local.display = self.account.display_name.clone();
        let contact = self.registered_contact.clone()?;
        Some(SessionConfig {
            local,
            contact,
            via,
            transport: self.transport,
            timers: *self.transactions.config(),
            user_agent: self.user_agent.clone(),
            // The registrar is the outbound proxy and every request goes on its one flow.
            initial_route: Vec::new(),
            session_timer: Some(SessionTimerConfig::default()),
            credentials: Some(self.account.credentials.clone()),
            account_realm: self.registration.realm().map(str::to_owned),
        })
    }
}

/// The reason phrase RFC 3261 §21 gives the statuses a phone refuses calls with.
fn reason_phrase(code: u16) -> &'static str {
    match code {
        403 => "Forbidden",
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Call Refused",
    }
}
