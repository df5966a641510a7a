//! The calls of one account: the Linkus SDK's call model on top of the user agent's INVITE
//! sessions and the media of each call. Sans-IO apart from binding a call's RTP sockets and
//! starting its media thread; the account driver feeds it and emits what it returns.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use dialtone_media::sdp::{parse, CodecSpec, LocalCapabilities, SdpSession, SrtpPolicy};
use dialtone_sip::invite::{Body, EndReason, SessionEvent};
use dialtone_sip::user_agent::{CallEvent, CallId, UaError, UserAgent};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tracing::{info, warn};

use crate::call_media::{AudioEnds, CallMedia, MediaNote, RtpSockets};
use crate::events::PhoneEvent;
use crate::result_code::{PhoneError, ResultCode};

/// The SDK's `callStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// We are calling out, not answered yet.
    Calling,
    /// Someone calls us, not answered yet.
    Ringing,
    /// Answered, media being set up (until the ACK).
    Connecting,
    Talking,
}

/// How this account handles calls.
#[derive(Debug, Clone)]
pub struct CallOptions {
    pub audio: AudioEnds,
    /// Codec preference, first preferred.
    pub codecs: Vec<CodecSpec>,
    pub srtp: SrtpPolicy,
    /// Answer incoming calls by themselves after this delay (`listen --answer-after`); `None`
    /// leaves them ringing until answered.
    pub answer_after: Option<Duration>,
    /// Refuse incoming calls with 480 (a session that only registers has no audio to offer).
    pub refuse_incoming: bool,
}

impl Default for CallOptions {
    fn default() -> CallOptions {
        CallOptions {
            audio: AudioEnds::Devices {
                microphone: Default::default(),
                speaker: Default::default(),
            },
            codecs: vec![
                CodecSpec::opus(),
                CodecSpec::g722(),
                CodecSpec::pcmu(),
                CodecSpec::pcma(),
            ],
            srtp: SrtpPolicy::Optional,
            answer_after: None,
            refuse_incoming: false,
        }
    }
}

struct Call {
    status: CallStatus,
    sdp: Option<SdpSession>,
    sockets: Option<RtpSockets>,
    media: Option<CallMedia>,
    /// The caller's offer, kept until we answer.
    offer: Option<Body>,
    answer_at: Option<Instant>,
    confirmed: bool,
    /// When the call began, Unix milliseconds (the report's `lksTimestamp`).
    started_unix_ms: u64,
    /// We put the call on hold.
    held: bool,
    /// The user muted the microphone.
    user_muted: bool,
}

/// Every call of one account.
pub struct Calls {
    options: CallOptions,
    cname: String,
    calls: HashMap<CallId, Call>,
    notes: UnboundedSender<(CallId, MediaNote)>,
}

impl Calls {
    pub fn new(
        options: CallOptions,
        cname: String,
        notes: UnboundedSender<(CallId, MediaNote)>,
    ) -> Calls {
        Calls {
            options,
            cname,
            calls: HashMap::new(),
            notes,
        }
    }

    /// The call a command without a call id means: the newest one.
    pub fn current(&self) -> Option<CallId> {
        self.calls.keys().max().copied()
    }

    /// Calls `target` from `local_ip` (our signalling address, where media is received too).
    pub fn place(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        local_ip: IpAddr,
        target: &str,
    ) -> Result<(CallId, Vec<PhoneEvent>), PhoneError> {
        let sockets = bind(local_ip)?;
        let mut sdp = SdpSession::new(self.capabilities(local_ip, &sockets));
        let offer = Body::sdp(sdp.create_offer().to_bytes());
        let call = ua.place_call(now, target, Some(offer)).map_err(ua_error)?;
        info!(%call, target, "calling");
        self.calls.insert(
            call,
            Call {
                status: CallStatus::Calling,
                sdp: Some(sdp),
                sockets: Some(sockets),
                media: None,
                offer: None,
                answer_at: None,
                confirmed: false,
                started_unix_ms: unix_ms(),
                held: false,
                user_muted: false,
            },
        );
        let events = vec![
            PhoneEvent::NewRtcSession {
                call_id: call.to_string(),
                direction: "outgoing",
                remote: target.to_owned(),
            },
            PhoneEvent::StartSession {
                call_id: call.to_string(),
            },
            status_change(call, CallStatus::Calling, None),
        ];
        Ok((call, events))
    }

    /// Answers a ringing call.
    pub fn answer(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        call: CallId,
        local_ip: IpAddr,
    ) -> Result<Vec<PhoneEvent>, PhoneError> {
        let Some(state) = self.calls.get_mut(&call) else {
            return Err(unknown(call));
        };
        state.answer_at = None;
        let sockets = bind(local_ip)?;
        let caps = capabilities(&self.options, local_ip, &sockets);
        let mut sdp = SdpSession::new(caps);
        let body = match state.offer.take() {
            Some(offer) => {
                let offer = parse_body(&offer)?;
                match sdp.create_answer(&offer) {
                    Ok((answer, negotiated)) => {
                        let media = CallMedia::start_tagged(
                            sockets,
                            &negotiated,
                            self.options.audio.clone(),
                            self.cname.clone(),
                            call,
                            self.notes.clone(),
                        )?;
                        state.media = Some(media);
                        Body::sdp(answer.to_bytes())
                    }
                    Err(err) => {
                        // Nothing acceptable in the offer: refuse the call with 488 and say why.
                        warn!(%call, %err, "offer not acceptable");
                        let _ = ua.reject(now, call, 488);
                        return Err(PhoneError::new(
                            ResultCode::PhoneUnknownError,
                            err.to_string(),
                        ));
                    }
                }
            }
            None => {
                state.sockets = Some(sockets);
                Body::sdp(sdp.create_offer().to_bytes())
            }
        };
        state.sdp = Some(sdp);
        ua.accept(now, call, body).map_err(ua_error)?;
        let old = state.status;
        state.status = CallStatus::Connecting;
        Ok(vec![
            PhoneEvent::Accepted {
                call_id: call.to_string(),
            },
            status_change(call, CallStatus::Connecting, Some(old)),
        ])
    }

    pub fn hangup(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        call: CallId,
    ) -> Result<(), PhoneError> {
        if !self.calls.contains_key(&call) {
            return Err(unknown(call));
        }
        ua.hangup(now, call).map_err(ua_error)
    }

    pub fn send_dtmf(&mut self, call: CallId, digits: &str) -> Result<(), PhoneError> {
        let media = self
            .calls
            .get(&call)
            .and_then(|c| c.media.as_ref())
            .ok_or_else(|| unknown(call))?;
        media.send_dtmf(digits);
        Ok(())
    }

    /// Holds (`true`) or resumes the call with a re-INVITE.
    pub fn set_hold(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        call: CallId,
        hold: bool,
    ) -> Result<(), PhoneError> {
        let state = self.calls.get_mut(&call).ok_or_else(|| unknown(call))?;
        let sdp = state.sdp.as_mut().ok_or_else(|| unknown(call))?;
        let offer = if hold { sdp.hold() } else { sdp.resume() };
        // Whoever we hold hears nothing from us (no microphone, no packets) until we resume.
        state.held = hold;
        if let Some(media) = &state.media {
            media.set_muted(state.held || state.user_muted);
        }
        ua.reinvite(now, call, Body::sdp(offer.to_bytes()))
            .map_err(ua_error)
    }

    pub fn set_muted(&mut self, call: CallId, muted: bool) -> Result<(), PhoneError> {
        let state = self.calls.get_mut(&call).ok_or_else(|| unknown(call))?;
        let media = state.media.as_ref().ok_or_else(|| unknown(call))?;
        state.user_muted = muted;
        media.set_muted(state.held || state.user_muted);
        Ok(())
    }

    /// Every call, for hanging all up.
    pub fn all(&self) -> Vec<CallId> {
        self.calls.keys().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// When an auto-answer is due.
    pub fn next_wake(&self) -> Option<Instant> {
        self.calls.values().filter_map(|c| c.answer_at).min()
    }

    /// Answers the calls whose auto-answer delay passed.
    pub fn handle_timeout(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        local_ip: IpAddr,
    ) -> Vec<PhoneEvent> {
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.answer_at.is_some_and(|at| at <= now))
            .map(|(id, _)| *id)
            .collect();
        let mut events = Vec::new();
        for call in due {
            match self.answer(ua, now, call, local_ip) {
                Ok(more) => events.extend(more),
                Err(err) => events.push(PhoneEvent::CallFailed {
                    call_id: call.to_string(),
                    cause: err.message,
                    code: None,
                }),
            }
        }
        events
    }

    /// What the user agent reported about a call.
    pub fn on_call_event(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        call: CallId,
        event: CallEvent,
    ) -> Vec<PhoneEvent> {
        let id = call.to_string();
        match event {
            CallEvent::Incoming { from, offer, .. } => {
                if self.options.refuse_incoming {
                    let _ = ua.reject(now, call, 480);
                    return Vec::new();
                }
                let _ = ua.ring(now, call);
                let remote = from
                    .sip_uri()
                    .ok()
                    .and_then(|u| u.user.clone())
                    .unwrap_or_else(|| from.uri.clone());
                self.calls.insert(
                    call,
                    Call {
                        status: CallStatus::Ringing,
                        sdp: None,
                        sockets: None,
                        media: None,
                        offer,
                        answer_at: self.options.answer_after.map(|d| now + d),
                        confirmed: false,
                        started_unix_ms: unix_ms(),
                        held: false,
                        user_muted: false,
                    },
                );
                vec![
                    PhoneEvent::NewRtcSession {
                        call_id: id.clone(),
                        direction: "incoming",
                        remote: remote.clone(),
                    },
                    PhoneEvent::Incoming {
                        call_id: id.clone(),
                        from: remote,
                        display_name: from.display,
                    },
                    PhoneEvent::StartSession {
                        call_id: id.clone(),
                    },
                    status_change(call, CallStatus::Ringing, None),
                ]
            }
            CallEvent::Session(event) => self.on_session_event(ua, now, call, event),
        }
    }

    fn on_session_event(
        &mut self,
        ua: &mut UserAgent,
        now: Instant,
        call: CallId,
        event: SessionEvent,
    ) -> Vec<PhoneEvent> {
        let id = call.to_string();
        let Some(state) = self.calls.get_mut(&call) else {
            return Vec::new();
        };
        match event {
            SessionEvent::Progress { code, .. } => vec![PhoneEvent::Progress { call_id: id, code }],
            SessionEvent::Answered { body } => {
                let mut events = vec![PhoneEvent::Accepted {
                    call_id: id.clone(),
                }];
                if let Some(body) = body {
                    if let Err(err) = start_media_from_answer(
                        state,
                        &body,
                        &self.options,
                        &self.cname,
                        call,
                        &self.notes,
                    ) {
                        warn!(%call, %err, "answer not usable; hanging up");
                        let _ = ua.hangup(now, call);
                        events.push(PhoneEvent::CallFailed {
                            call_id: id.clone(),
                            cause: err.message,
                            code: None,
                        });
                    }
                }
                let old = state.status;
                state.status = CallStatus::Connecting;
                events.push(status_change(call, CallStatus::Connecting, Some(old)));
                events
            }
            SessionEvent::Confirmed => {
                state.confirmed = true;
                let old = state.status;
                state.status = CallStatus::Talking;
                vec![
                    PhoneEvent::Confirmed { call_id: id },
                    status_change(call, CallStatus::Talking, Some(old)),
                ]
            }
            SessionEvent::OfferReceived { body } => {
                let answer = parse_body(&body)
                    .ok()
                    .and_then(|offer| state.sdp.as_mut()?.create_answer(&offer).ok());
                match answer {
                    Some((answer, negotiated)) => {
                        if let Some(media) = &state.media {
                            media.update(&negotiated);
                        }
                        let _ = ua.answer_offer(now, call, Body::sdp(answer.to_bytes()));
                        let held = state
                            .sdp
                            .as_ref()
                            .is_some_and(SdpSession::is_held_by_remote);
                        vec![PhoneEvent::HoldChange {
                            call_id: id,
                            local: state.sdp.as_ref().is_some_and(SdpSession::is_on_hold),
                            remote: held,
                        }]
                    }
                    None => {
                        let _ = ua.reject_offer(now, call, 488);
                        Vec::new()
                    }
                }
            }
            SessionEvent::AnswerReceived { body } => {
                // The answer to our offer in a re-INVITE (hold/resume) or in the ACK (late offer).
                let Ok(answer) = parse_body(&body) else {
                    return Vec::new();
                };
                let Some(sdp) = state.sdp.as_mut() else {
                    return Vec::new();
                };
                match sdp.process_answer(&answer) {
                    Ok(negotiated) => {
                        match (&state.media, state.sockets.take()) {
                            (Some(media), _) => media.update(&negotiated),
                            (None, Some(sockets)) => {
                                match CallMedia::start_tagged(
                                    sockets,
                                    &negotiated,
                                    self.options.audio.clone(),
                                    self.cname.clone(),
                                    call,
                                    self.notes.clone(),
                                ) {
                                    Ok(media) => state.media = Some(media),
                                    Err(err) => warn!(%call, %err, "media did not start"),
                                }
                            }
                            (None, None) => {}
                        }
                        vec![PhoneEvent::HoldChange {
                            call_id: id,
                            local: sdp.is_on_hold(),
                            remote: sdp.is_held_by_remote(),
                        }]
                    }
                    Err(err) => {
                        warn!(%call, %err, "answer not usable");
                        Vec::new()
                    }
                }
            }
            SessionEvent::OfferRejected { code, reason } => {
                warn!(%call, code, %reason, "re-INVITE refused; the call goes on as before");
                Vec::new()
            }
            SessionEvent::Dtmf { digit, .. } => vec![PhoneEvent::Dtmf {
                call_id: id,
                digit: digit.to_string(),
            }],
            SessionEvent::Ended { reason } => {
                let confirmed = state.confirmed;
                self.calls.remove(&call);
                ended(call, &reason, confirmed)
            }
        }
    }

    /// What a call's media thread reported.
    pub fn on_media_note(&mut self, call: CallId, note: MediaNote) -> Vec<PhoneEvent> {
        if !self.calls.contains_key(&call) {
            return Vec::new();
        }
        let id = call.to_string();
        match note {
            MediaNote::Dtmf(digit) => vec![PhoneEvent::Dtmf {
                call_id: id,
                digit: digit.to_string(),
            }],
            MediaNote::Quality(mut report) => {
                // What the media thread cannot know: which call, whose, and since when.
                report.call_id = id.clone();
                report.extension = self.cname.split('@').next().unwrap_or_default().to_owned();
                report.lks_timestamp = self.calls.get(&call).map_or(0, |c| c.started_unix_ms);
                report.ice_result = "local".to_owned();
                vec![PhoneEvent::CallReport {
                    call_id: id,
                    report,
                }]
            }
            MediaNote::FirstPacket => Vec::new(),
            MediaNote::Error(message) => vec![PhoneEvent::ClientError {
                call_id: id,
                cause: message,
            }],
        }
    }

    fn capabilities(&self, ip: IpAddr, sockets: &RtpSockets) -> LocalCapabilities {
        capabilities(&self.options, ip, sockets)
    }
}

fn capabilities(options: &CallOptions, ip: IpAddr, sockets: &RtpSockets) -> LocalCapabilities {
    let mut caps = LocalCapabilities::new(ip, sockets.rtp_port());
    caps.codecs = options.codecs.clone();
    caps.srtp = options.srtp;
    caps.rtcp_port = Some(sockets.rtcp_port());
    caps
}

fn start_media_from_answer(
    state: &mut Call,
    body: &Body,
    options: &CallOptions,
    cname: &str,
    call: CallId,
    notes: &UnboundedSender<(CallId, MediaNote)>,
) -> Result<(), PhoneError> {
    let answer = parse_body(body)?;
    let sdp = state.sdp.as_mut().ok_or_else(|| unknown(call))?;
    let negotiated = sdp
        .process_answer(&answer)
        .map_err(|e| PhoneError::new(ResultCode::PhoneUnknownError, e.to_string()))?;
    let sockets = state.sockets.take().ok_or_else(|| unknown(call))?;
    state.media = Some(CallMedia::start_tagged(
        sockets,
        &negotiated,
        options.audio.clone(),
        cname.to_owned(),
        call,
        notes.clone(),
    )?);
    Ok(())
}

fn parse_body(body: &Body) -> Result<dialtone_media::sdp::SessionDescription, PhoneError> {
    let text = String::from_utf8_lossy(&body.bytes);
    parse(&text).map_err(|e| {
        PhoneError::new(
            ResultCode::PhoneUnknownError,
            format!("The other side sent SDP Dialtone cannot read: {e}"),
        )
    })
}

fn bind(ip: IpAddr) -> Result<RtpSockets, PhoneError> {
    RtpSockets::bind(ip).map_err(|e| {
        PhoneError::new(
            ResultCode::GetLocalMediaInfoError,
            format!("Cannot open the call's media ports on {ip}: {e}."),
        )
    })
}

fn status_change(call: CallId, new: CallStatus, old: Option<CallStatus>) -> PhoneEvent {
    PhoneEvent::StatusChange {
        call_id: call.to_string(),
        new_status: new,
        old_status: old,
    }
}

/// `ended` for a call that was talking, `failed` (with the SIP code) for one that never was.
fn ended(call: CallId, reason: &EndReason, confirmed: bool) -> Vec<PhoneEvent> {
    let cause = format!("{reason:?}");
    if confirmed {
        vec![PhoneEvent::Ended {
            call_id: call.to_string(),
            cause,
        }]
    } else {
        vec![PhoneEvent::CallFailed {
            call_id: call.to_string(),
            cause,
            code: reason.status(),
        }]
    }
}

fn unknown(call: CallId) -> PhoneError {
    PhoneError::new(
        ResultCode::NotFoundCallId,
        format!("{call} does not exist (it has ended)."),
    )
}

fn ua_error(err: UaError) -> PhoneError {
    let code = match err {
        UaError::InvalidTarget(_) => ResultCode::InvalidNumber,
        UaError::MaxCalls { .. } => ResultCode::MaxLimitCall,
        UaError::UnknownCall(_) => ResultCode::NotFoundCallId,
        UaError::FlowDown | UaError::Session(_) => ResultCode::PhoneUnknownError,
    };
    PhoneError::new(code, err.to_string())
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
