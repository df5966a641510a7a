//! The REGISTER client (RFC 3261 §10): keeps one binding for one account alive.
//!
//! Sans-IO and above the transaction layer: it asks for REGISTER requests to be sent
//! ([`RegistrationOutput::Request`], without a Via: the user agent adds it and runs the
//! transaction) and is told how each ended (`handle_response`, `handle_transaction_timeout`).
//! What it decides on its own: digest answers (once per challenge, one silent retry on a stale
//! nonce), 423 Interval Too Brief, refresh before expiry, Retry-After, back-off after failures,
//! and `Expires: 0` on unregister.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::auth_policy;
use crate::digest::{self, Credentials, DigestClient};
use crate::flow::TransportKind;
use crate::message::{HeaderName, Method, NameAddr, SipMessage, SipUri};
use crate::token::random_token;

/// What one account registers, and how.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// The address of record, `sip:1000@example.com`.
    pub aor: SipUri,
    /// The Request-URI of REGISTER, `sip:example.com` (RFC 3261 §10.2: the domain, no user part).
    pub registrar: SipUri,
    pub transport: TransportKind,
    /// The binding lifetime asked for, in seconds.
    pub expires: u32,
    pub credentials: Credentials,
    /// RFC 5626 outbound (`;ob`, `reg-id`, `+sip.instance`), used on WS/WSS as RFC 7118 clients do.
    pub outbound: bool,
    /// `urn:uuid:…`, stable per installation, for `+sip.instance`.
    pub instance_id: String,
    pub user_agent: String,
    pub display_name: Option<String>,
    /// Give up after this many failed attempts in a row (`None`: never; the Linkus SDK's
    /// `reRegistryPhoneTimes`).
    pub max_attempts: Option<u32>,
}

/// Where the phone can be reached, as the transport reports it (the local socket's address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactAddress {
    pub host: String,
    pub port: u16,
}

/// Why a registration attempt did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The registrar refused our credentials (401/407 again after we answered, not stale).
    Unauthorized,
    /// A challenge we must not or cannot answer (wrong realm, unsupported algorithm).
    ChallengeRefused,
    /// 403, 404 and other answers that retrying will not change.
    Rejected,
    /// No answer at all (transaction timeout).
    Timeout,
    /// 5xx/6xx or another failure that may pass; retried after a back-off or Retry-After.
    ServerError,
    /// `max_attempts` failed attempts in a row.
    AttemptsExhausted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    Registered {
        expires: u32,
        contact: String,
    },
    Unregistered,
    Failed {
        kind: FailureKind,
        code: Option<u16>,
        reason: String,
        retry_in: Option<Duration>,
    },
}

#[derive(Debug)]
pub enum RegistrationOutput {
    /// Send this REGISTER in a new client transaction (the user agent adds the Via).
    Request(SipMessage),
    Event(RegistrationEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    Idle,
    Registering,
    Registered,
    Unregistering,
    /// Waiting to try again (after a failure, or to refresh).
    Waiting,
    /// Stopped for good until the user acts (wrong password, 403, attempts exhausted).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Refresh,
    Retry,
}

pub struct Registration {
    config: RegistrationConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    contact: Option<ContactAddress>,
    state: RegistrationState,
    auth: DigestClient,
    /// The nonce we last answered a challenge with; another challenge after it (unless it says the
    /// nonce went stale) means the credentials are wrong. Pre-emptive answers do not count: a
    /// registrar that forgot its nonces (a restart) challenges them without `stale`.
    answered_nonce: Option<String>,
    /// Silent retries after `stale=true` in this attempt (one is allowed; a loop is a fault).
    stale_retries: u32,
    /// The registrar's realm: configured, or learnt from the challenge that led to our first
    /// successful registration. Other realms get no answer (see [`crate::auth_policy`]).
    realm: Option<String>,
    /// The realm of the challenge answered in the attempt under way.
    answered_realm: Option<String>,
    failures: u32,
    timer: Option<(Instant, Timer)>,
    /// The registrar granted a binding that was not removed since (so unregistering is needed).
    bound: bool,
    /// Contact rewrites from the registrar's view of our address in this flow (RFC 3581), capped
    /// so a registrar whose answers flip cannot make us loop.
    rewrites: u32,
    /// The REGISTER in flight, kept to build its authenticated retry.
    pending: Option<SipMessage>,
    outputs: std::collections::VecDeque<RegistrationOutput>,
}

/// Contact rewrites allowed per flow (see `rewrites`).
const MAX_CONTACT_REWRITES: u32 = 2;
/// How early before expiry a binding is refreshed, at least and at most (seconds).
const MIN_REFRESH_MARGIN: u32 = 5;
const MAX_REFRESH_MARGIN: u32 = 60;
/// Upper bound on the failure back-off.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

impl Registration {
    pub fn new(config: RegistrationConfig) -> Registration {
        let host = match &config.aor.host {
            crate::message::Host::Name(n) => n.clone(),
            crate::message::Host::Ip(ip) => ip.to_string(),
        };
        Registration {
            call_id: format!("{}@{}", random_token(20), host),
            from_tag: random_token(12),
            cseq: 0,
            expires: config.expires,
            auth: DigestClient::new(config.credentials.clone()),
            realm: config.credentials.realm.clone(),
            config,
            contact: None,
            state: RegistrationState::Idle,
            answered_nonce: None,
            stale_retries: 0,
            answered_realm: None,
            failures: 0,
            timer: None,
            bound: false,
            rewrites: 0,
            pending: None,
            outputs: Default::default(),
        }
    }

    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// The registrar's realm, once known: later requests answer challenges of this realm only.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// Registers (or re-registers at once) with the given contact address. Called when the
    /// transport is up, and again after it was lost and came back.
    pub fn register(&mut self, _now: Instant, contact: ContactAddress) {
        self.contact = Some(contact);
        self.rewrites = 0;
        self.failures = 0;
        self.answered_nonce = None;
        self.send_register(self.expires);
        self.state = RegistrationState::Registering;
    }

    /// Removes our binding (`Expires: 0`). Reports `Unregistered` when done, or at once if
    /// nothing was registered.
    pub fn unregister(&mut self, _now: Instant) {
        self.timer = None;
        match self.state {
            // Only a binding the registrar may hold is removed: one it granted before. A phone
            // that never got through (wrong address, no answer) quits at once.
            RegistrationState::Registered
            | RegistrationState::Registering
            | RegistrationState::Waiting
                if self.contact.is_some() && self.bound =>
            {
                self.send_register(0);
                self.state = RegistrationState::Unregistering;
            }
            RegistrationState::Unregistering => {}
            _ => {
                self.state = RegistrationState::Idle;
                self.event(RegistrationEvent::Unregistered);
            }
        }
    }

    /// The transport under the binding went away: the binding's fate is unknown until the
    /// user agent reconnects and calls [`Registration::register`] again.
    pub fn handle_flow_lost(&mut self, _now: Instant) {
        self.pending = None;
        self.timer = None;
        if self.state == RegistrationState::Unregistering {
            self.state = RegistrationState::Idle;
            self.event(RegistrationEvent::Unregistered);
        } else if self.state != RegistrationState::Failed {
            self.state = RegistrationState::Idle;
        }
    }

    /// The final (or provisional) response of the REGISTER transaction.
    pub fn handle_response(&mut self, now: Instant, response: &SipMessage) {
        let Some(code) = response.status() else {
            return;
        };
        if code < 200 {
            return;
        }
        let Some(request) = self.pending.take() else {
            return;
        };
        let unregistering = self.state == RegistrationState::Unregistering;
        match code {
            200..=299 if unregistering => {
                self.bound = false;
                self.state = RegistrationState::Idle;
                self.answered_nonce = None;
                self.event(RegistrationEvent::Unregistered);
            }
            200..=299 => self.on_success(now, response),
            401 | 407 => self.on_challenge(request, response),
            423 => self.on_interval_too_brief(now, response),
            _ if unregistering => {
                // The binding will expire by itself; nothing more to do.
                self.state = RegistrationState::Idle;
                self.event(RegistrationEvent::Unregistered);
            }
            403 | 404 | 405 | 410 | 416 | 420 | 484 | 603 => {
                let reason = reason_of(response);
                self.fail(FailureKind::Rejected, Some(code), reason);
            }
            _ => {
                let retry_after = response
                    .seconds(HeaderName::RETRY_AFTER)
                    .map(|s| Duration::from_secs(u64::from(s)));
                self.retry_later(
                    now,
                    FailureKind::ServerError,
                    Some(code),
                    reason_of(response),
                    retry_after,
                );
            }
        }
    }

    /// The REGISTER got no final answer (timer F fired, or the transport refused it).
    pub fn handle_transaction_timeout(&mut self, now: Instant) {
        if self.pending.take().is_none() {
            return;
        }
        if self.state == RegistrationState::Unregistering {
            self.state = RegistrationState::Idle;
            self.event(RegistrationEvent::Unregistered);
            return;
        }
        self.retry_later(
            now,
            FailureKind::Timeout,
            Some(408),
            "the registrar did not answer".into(),
            None,
        );
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((at, _)) = self.timer else { return };
        if now < at {
            return;
        }
        self.timer = None;
        if self.contact.is_some() {
            self.send_register(self.expires);
            if self.state != RegistrationState::Registered {
                self.state = RegistrationState::Registering;
            }
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(at, _)| at)
    }

    pub fn poll_output(&mut self) -> Option<RegistrationOutput> {
        self.outputs.pop_front()
    }

    fn on_success(&mut self, now: Instant, response: &SipMessage) {
        self.failures = 0;
        self.answered_nonce = None;
        if let Some(realm) = self.answered_realm.take() {
            self.realm.get_or_insert(realm);
        }
        // Behind a NAT the registrar saw another address than the one in our Contact (Via
        // `received`/`rport`, RFC 3581): register the address it can reach, and drop the other.
        if let Some(observed) = self.observed_address(response) {
            if self.contact.as_ref() != Some(&observed) && self.rewrites < MAX_CONTACT_REWRITES {
                self.rewrites += 1;
                let unreachable = self.contact_uri_value();
                self.contact = Some(observed);
                self.bound = true;
                self.state = RegistrationState::Registering;
                self.send_register_replacing(self.expires, Some(unreachable));
                return;
            }
        }
        let expires = self.granted_expires(response).unwrap_or(self.expires);
        if expires == 0 {
            // The registrar removed our binding although we asked for one: treat as a failure.
            self.retry_later(
                now,
                FailureKind::ServerError,
                response.status(),
                "the registrar granted no binding".into(),
                None,
            );
            return;
        }
        self.state = RegistrationState::Registered;
        self.bound = true;
        // Refresh 10 % of the lifetime before it ends, between 5 s and 60 s early (half the
        // lifetime for very short ones), so a slow answer still lands before expiry.
        let margin = (expires / 10)
            .clamp(MIN_REFRESH_MARGIN, MAX_REFRESH_MARGIN)
            .min(expires / 2);
        let refresh_in = Duration::from_secs(u64::from((expires - margin).max(1)));
        self.timer = Some((now + refresh_in, Timer::Refresh));
        self.event(RegistrationEvent::Registered {
            expires,
            contact: self.contact_uri(),
        });
    }

    fn on_challenge(&mut self, request: SipMessage, response: &SipMessage) {
        let challenges = digest::challenges(response);
        let Some(challenge) = self.auth.choose(&challenges).first().map(|c| (*c).clone()) else {
            // Nothing we may or can answer: say why (wrong realm, unsupported scheme...).
            let why = match self
                .auth
                .answer(response, Method::Register.as_str(), "", b"")
            {
                Err(err) => err.to_string(),
                Ok(_) => "the registrar's challenge cannot be answered".to_owned(),
            };
            self.fail(FailureKind::ChallengeRefused, response.status(), why);
            return;
        };
        if let Err(refusal) = auth_policy::may_answer(&request, &challenge, self.realm.as_deref()) {
            self.fail(
                FailureKind::ChallengeRefused,
                response.status(),
                refusal.to_string(),
            );
            return;
        }
        let repeated = self.answered_nonce.as_deref() == Some(challenge.nonce.as_str());
        let stale_retry =
            self.answered_nonce.is_some() && challenge.stale && self.stale_retries == 0;
        if self.answered_nonce.is_some() && (repeated || !stale_retry) {
            self.answered_nonce = None;
            self.auth.forget();
            self.fail(
                FailureKind::Unauthorized,
                response.status(),
                "the registrar rejected the user name or password".into(),
            );
            return;
        }
        let uri = self.config.registrar.to_string();
        match self
            .auth
            .answer(response, Method::Register.as_str(), &uri, &request.body)
        {
            Ok(headers) => {
                self.stale_retries = if stale_retry {
                    self.stale_retries + 1
                } else {
                    0
                };
                self.answered_nonce = Some(challenge.nonce.clone());
                self.answered_realm = Some(challenge.realm.clone());
                let mut retry = request;
                retry.headers.remove(&HeaderName::AUTHORIZATION);
                retry.headers.remove(&HeaderName::PROXY_AUTHORIZATION);
                for (name, value) in headers {
                    retry.headers.push(name, value);
                }
                self.resend(retry);
            }
            Err(err) => self.fail(
                FailureKind::ChallengeRefused,
                response.status(),
                err.to_string(),
            ),
        }
    }

    fn on_interval_too_brief(&mut self, now: Instant, response: &SipMessage) {
        match response.seconds(HeaderName::MIN_EXPIRES) {
            Some(min) if min > self.expires => {
                self.expires = min;
                self.send_register(min);
            }
            _ => self.retry_later(
                now,
                FailureKind::ServerError,
                Some(423),
                "423 without a usable Min-Expires".into(),
                None,
            ),
        }
    }

    fn retry_later(
        &mut self,
        now: Instant,
        kind: FailureKind,
        code: Option<u16>,
        reason: String,
        retry_after: Option<Duration>,
    ) {
        self.failures += 1;
        self.answered_nonce = None;
        if self
            .config
            .max_attempts
            .is_some_and(|max| self.failures >= max)
        {
            self.fail(
                FailureKind::AttemptsExhausted,
                code,
                format!("gave up after {} attempts: {reason}", self.failures),
            );
            return;
        }
        let delay = retry_after
            .unwrap_or_else(|| backoff(self.failures))
            .min(Duration::from_secs(3600));
        self.state = RegistrationState::Waiting;
        self.timer = Some((now + delay, Timer::Retry));
        self.event(RegistrationEvent::Failed {
            kind,
            code,
            reason,
            retry_in: Some(delay),
        });
    }

    fn fail(&mut self, kind: FailureKind, code: Option<u16>, reason: String) {
        self.state = RegistrationState::Failed;
        self.timer = None;
        self.event(RegistrationEvent::Failed {
            kind,
            code,
            reason,
            retry_in: None,
        });
    }

    /// The lifetime the registrar gave our contact: its `expires` parameter in the 2xx's
    /// Contact list, else the Expires header (RFC 3261 §10.2.4).
    fn granted_expires(&self, response: &SipMessage) -> Option<u32> {
        let ours = self.contact_uri_value();
        let ours = SipUri::parse(&ours).ok();
        if let (Ok(contacts), Some(ours)) = (response.contacts(), ours) {
            for contact in contacts {
                let same = contact.sip_uri().is_ok_and(|uri| {
                    uri.user == ours.user && uri.host == ours.host && uri.port == ours.port
                });
                if same {
                    if let Some(expires) =
                        contact.params.value("expires").and_then(|v| v.parse().ok())
                    {
                        return Some(expires);
                    }
                }
            }
        }
        response.seconds(HeaderName::EXPIRES)
    }

    /// Our address as the registrar saw it, when it says so in our Via (not for WS/WSS, whose
    /// contacts are `.invalid` and reached over the connection).
    fn observed_address(&self, response: &SipMessage) -> Option<ContactAddress> {
        if matches!(
            self.config.transport,
            TransportKind::Ws | TransportKind::Wss
        ) {
            return None;
        }
        let current = self.contact.as_ref()?;
        let via = response.top_via().ok()?;
        let received = via.received().and_then(Result::ok);
        let rport = via.rport().flatten();
        if received.is_none() && rport.is_none() {
            return None;
        }
        Some(ContactAddress {
            host: received.map_or_else(|| current.host.clone(), |ip| ip.to_string()),
            port: rport.unwrap_or(current.port),
        })
    }

    fn send_register(&mut self, expires: u32) {
        self.send_register_replacing(expires, None);
    }

    /// A REGISTER for our contact; `remove` is a previous contact of ours to unbind in the same
    /// request (`;expires=0`).
    fn send_register_replacing(&mut self, expires: u32, remove: Option<String>) {
        let mut request = SipMessage::request(Method::Register, self.config.registrar.to_string());
        let mut to = NameAddr::new(&self.config.aor);
        to.display = self.config.display_name.clone();
        let mut from = to.clone();
        from.params.set("tag", Some(&self.from_tag));
        let mut contact = NameAddr::new(self.contact_uri_value());
        if self.config.outbound {
            contact.params.set("reg-id", Some("1"));
            contact.params.set(
                "+sip.instance",
                Some(&format!("\"<{}>\"", self.config.instance_id)),
            );
        }
        if expires == 0 {
            contact.params.set("expires", Some("0"));
        }
        request.headers.push(HeaderName::MAX_FORWARDS, "70");
        request.headers.push(HeaderName::TO, to.to_string());
        request.headers.push(HeaderName::FROM, from.to_string());
        request
            .headers
            .push(HeaderName::CALL_ID, self.call_id.clone());
        request
            .headers
            .push(HeaderName::CONTACT, contact.to_string());
        if let Some(old) = remove {
            let mut old = NameAddr::new(old);
            old.params.set("expires", Some("0"));
            request.headers.push(HeaderName::CONTACT, old.to_string());
        }
        request
            .headers
            .push(HeaderName::EXPIRES, expires.to_string());
        request.headers.push(
            HeaderName::ALLOW,
            "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE",
        );
        if self.config.outbound {
            request
                .headers
                .push(HeaderName::SUPPORTED, "path, outbound, gruu");
        }
        request
            .headers
            .push(HeaderName::USER_AGENT, self.config.user_agent.clone());
        // Answer the last challenge pre-emptively (next nonce-count) to save a round trip.
        let uri = self.config.registrar.to_string();
        for (name, value) in self
            .auth
            .authorize_again(Method::Register.as_str(), &uri, b"")
            .unwrap_or_default()
        {
            request.headers.push(name, value);
        }
        self.resend(request);
    }

    /// Sends `request` (a new REGISTER or its authenticated retry) with the next CSeq.
    fn resend(&mut self, mut request: SipMessage) {
        self.cseq += 1;
        request
            .headers
            .set(HeaderName::CSEQ, format!("{} REGISTER", self.cseq));
        self.pending = Some(request.clone());
        self.outputs.push_back(RegistrationOutput::Request(request));
    }

    fn contact_uri_value(&self) -> String {
        let user = self.config.aor.user.clone().unwrap_or_default();
        let transport = self.config.transport;
        let mut uri = match (&self.contact, transport) {
            // RFC 7118 §5: a WebSocket client cannot be reached by address; an invalid host is used.
            (_, TransportKind::Ws | TransportKind::Wss) => {
                format!("sip:{user}@{}.invalid;transport={transport}", self.from_tag)
            }
            (Some(c), TransportKind::Udp) => format!("sip:{user}@{}", host_port(c)),
            (Some(c), _) => format!("sip:{user}@{};transport={transport}", host_port(c)),
            (None, _) => format!("sip:{user}@invalid.invalid"),
        };
        if self.config.outbound {
            uri.push_str(";ob");
        }
        uri
    }

    fn contact_uri(&self) -> String {
        self.contact_uri_value()
    }

    fn event(&mut self, event: RegistrationEvent) {
        self.outputs.push_back(RegistrationOutput::Event(event));
    }
}

fn host_port(contact: &ContactAddress) -> String {
    if contact.host.contains(':') && !contact.host.starts_with('[') {
        format!("[{}]:{}", contact.host, contact.port)
    } else {
        format!("{}:{}", contact.host, contact.port)
    }
}

fn reason_of(response: &SipMessage) -> String {
    format!(
        "{} {}",
        response.status().unwrap_or_default(),
        response.reason().unwrap_or_default()
    )
}

/// Exponential back-off with ±20 % jitter so many phones recovering together do not march in step.
fn backoff(failures: u32) -> Duration {
    let base = Duration::from_secs(2)
        .saturating_mul(1 << failures.saturating_sub(1).min(10))
        .min(MAX_BACKOFF);
    let jitter = rand::rng().random_range(0.8..1.2);
    base.mul_f64(jitter)
}
