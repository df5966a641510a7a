//! The driver of one plain SIP account: the thin tokio loop around the sans-IO
//! [`UserAgent`]. It resolves the server, opens the transport, feeds the user agent what arrives,
//! sends what it asks, arms its timer, reconnects when the connection drops, and turns what
//! happens into [`PhoneEvent`]s.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dialtone_sip::digest::{Credentials, SecretKind};
use dialtone_sip::message::{Host, Scheme, SipUri};
use dialtone_sip::registration::{FailureKind, RegistrationConfig, RegistrationEvent};
use dialtone_sip::transaction::TimerConfig;
use dialtone_sip::transport::{self, ConnectOptions, TransportError, TransportEvent};
use dialtone_sip::user_agent::{CallId, UaOutput, UserAgent};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, info_span, warn, Instrument};

use crate::account::SipAccount;
use crate::call_media::MediaNote;
use crate::calls::{CallOptions, Calls};
use crate::events::PhoneEvent;
use crate::result_code::{PhoneError, ResultCode};

/// What a front end can ask of a running account. Call commands act on the newest call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// Call a number or SIP address.
    Call(String),
    /// Answer the ringing call.
    Answer,
    /// Hang up (or cancel, or decline) the call.
    Hangup,
    /// Send DTMF digits (RFC 4733).
    Dtmf(String),
    /// Hold (`true`) or resume (`false`) with a re-INVITE.
    Hold(bool),
    /// Stop (`true`) or restart sending our audio, without renegotiation.
    Mute(bool),
    /// Unregister, close the transport and end the account task.
    Shutdown,
}

/// A running account: send it commands, read its events. Dropping it shuts the account down.
pub struct AccountHandle {
    commands: mpsc::Sender<AccountCommand>,
    events: mpsc::Receiver<PhoneEvent>,
}

impl AccountHandle {
    /// The next event; `None` once the account task has ended.
    pub async fn next_event(&mut self) -> Option<PhoneEvent> {
        self.events.recv().await
    }

    pub async fn send(&self, command: AccountCommand) {
        // An error means the task already ended, which is what every command leads to anyway.
        let _ = self.commands.send(command).await;
    }
}

/// Starts an account that only registers: incoming calls are refused with 480.
pub fn spawn(account: SipAccount) -> AccountHandle {
    spawn_with(
        account,
        CallOptions {
            refuse_incoming: true,
            ..CallOptions::default()
        },
    )
}

/// Starts the account's task on the current tokio runtime, handling calls as `calls` says.
pub fn spawn_with(account: SipAccount, calls: CallOptions) -> AccountHandle {
    let (command_tx, command_rx) = mpsc::channel(8);
    let (event_tx, event_rx) = mpsc::channel(64);
    let span = info_span!("account", account = %account.aor());
    tokio::spawn(
        Driver::new(account, calls, command_rx, event_tx)
            .run()
            .instrument(span),
    );
    AccountHandle {
        commands: command_tx,
        events: event_rx,
    }
}

/// How the driver's connection loop ended.
enum Ended {
    /// The connection was lost; reconnect.
    Lost(String),
    /// Shut down on request (or every front end is gone).
    Shutdown,
    /// Nothing more will succeed without the user (wrong password, certificate refused...).
    Fatal,
}

struct Driver {
    account: SipAccount,
    ua: UserAgent,
    calls: Calls,
    media_notes: mpsc::UnboundedReceiver<(CallId, MediaNote)>,
    /// Our address on the current flow: media is received there too.
    local_ip: Option<IpAddr>,
    commands: mpsc::Receiver<AccountCommand>,
    events: mpsc::Sender<PhoneEvent>,
    reconnects: u32,
    shutting_down: bool,
    /// Shutting down: unregister once the calls have ended, or at this instant at the latest.
    unregister_at: Option<std::time::Instant>,
}

/// How long shutting down waits for calls to end (BYE or CANCEL answered) before unregistering.
const CALLS_END_GRACE: Duration = Duration::from_secs(4);

/// Keep-alive period on connection transports (RFC 5626 suggests 95–120 s for TCP; NAT boxes
/// and PBXs drop idle connections sooner, so Dialtone uses 30 s like most softphones).
const KEEPALIVE: Duration = Duration::from_secs(30);

impl Driver {
    fn new(
        account: SipAccount,
        call_options: CallOptions,
        commands: mpsc::Receiver<AccountCommand>,
        events: mpsc::Sender<PhoneEvent>,
    ) -> Driver {
        let ua = UserAgent::new(registration_config(&account), TimerConfig::default());
        let (notes_tx, media_notes) = mpsc::unbounded_channel();
        let calls = Calls::new(call_options, account.aor(), notes_tx);
        Driver {
            account,
            ua,
            calls,
            media_notes,
            local_ip: None,
            commands,
            events,
            reconnects: 0,
            shutting_down: false,
            unregister_at: None,
        }
    }

    async fn run(mut self) {
        loop {
            let ended = match self.connect().await {
                Ok(connection) => {
                    self.reconnects = 0;
                    self.serve(connection).await
                }
                Err(err) => self.connect_failed(err),
            };
            let reason = match ended {
                Ended::Shutdown | Ended::Fatal => return,
                Ended::Lost(reason) => reason,
            };
            if self.shutting_down {
                return;
            }
            self.reconnects += 1;
            let delay = reconnect_delay(self.reconnects);
            self.emit(PhoneEvent::Disconnected {
                reason,
                retry_in_ms: Some(delay.as_millis() as u64),
            })
            .await;
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                command = self.commands.recv() => match command {
                    Some(AccountCommand::Shutdown) | None => {
                        self.emit(PhoneEvent::Unregistered { aor: self.account.aor() }).await;
                        return;
                    }
                    // Anything else needs the server: refuse it now, and try to reconnect at once.
                    Some(_) => {
                        self.emit(PhoneEvent::CommandFailed {
                            code: ResultCode::RegistryFailed.code(),
                            msg: ResultCode::RegistryFailed.name(),
                            message: "Not connected to the server; reconnecting.".into(),
                        })
                        .await;
                    }
                },
            }
        }
    }

    async fn connect(&mut self) -> Result<transport::Connection, ConnectFailure> {
        let server = self.account.server.to_string();
        self.emit(PhoneEvent::Connecting {
            transport: self.account.transport.to_string(),
            server: server.clone(),
        })
        .await;
        let remote = resolve(&self.account)
            .await
            .map_err(|message| ConnectFailure {
                message,
                fatal: false,
            })?;
        let mut options = ConnectOptions::new(
            self.account.transport,
            remote,
            self.account.server.host.clone(),
        );
        options.ws_path = self.account.ws_path.clone();
        options.tls = self.account.tls.clone();
        options.keepalive_interval = KEEPALIVE;
        let connection = transport::connect(options)
            .await
            .map_err(|err| ConnectFailure {
                fatal: is_fatal(&err),
                message: err.to_string(),
            })?;
        info!(local = %connection.local_addr(), %remote, "transport up");
        self.emit(PhoneEvent::Connected {
            transport: self.account.transport.to_string(),
            server,
            local: connection.local_addr().to_string(),
        })
        .await;
        Ok(connection)
    }

    /// A connection could not be opened: certificate problems need the user; the rest is retried.
    fn connect_failed(&mut self, err: ConnectFailure) -> Ended {
        warn!(reason = %err.message, "cannot connect");
        if err.fatal {
            let event = PhoneEvent::RegistrationFailed {
                code: ResultCode::RegistryFailed.code(),
                msg: ResultCode::RegistryFailed.name(),
                sip_code: None,
                reason: err.message,
                retry_in_ms: None,
            };
            // try_send: the event channel has room for this one; a full channel means nobody reads.
            let _ = self.events.try_send(event);
            return Ended::Fatal;
        }
        Ended::Lost(err.message)
    }

    /// Runs the user agent over one open connection until it drops or we shut down.
    async fn serve(&mut self, connection: transport::Connection) -> Ended {
        let local = connection.local_addr();
        let (sender, mut incoming) = connection.into_parts();
        self.local_ip = Some(local.ip());
        self.ua.flow_up(std::time::Instant::now(), local);
        loop {
            if let Some(ended) = self.drain(&sender).await {
                self.ua.flow_lost(std::time::Instant::now());
                self.drain_events().await;
                return ended;
            }
            if let Some(at) = self.unregister_at {
                let now = std::time::Instant::now();
                if self.calls.is_empty() || now >= at {
                    self.unregister_at = None;
                    self.ua.unregister(now);
                    continue;
                }
            }
            let wake = [
                self.ua.poll_timeout(),
                self.calls.next_wake(),
                self.unregister_at,
            ]
            .into_iter()
            .flatten()
            .min()
            .map(Instant::from_std);
            tokio::select! {
                event = incoming.recv() => match event {
                    Some(TransportEvent::Message(bytes, source)) => self.ua.handle_bytes(std::time::Instant::now(), &bytes, source),
                    Some(TransportEvent::Closed(err)) => {
                        self.ua.flow_lost(std::time::Instant::now());
                        self.drain_events().await;
                        return Ended::Lost(err.to_string());
                    }
                    None => {
                        self.ua.flow_lost(std::time::Instant::now());
                        self.drain_events().await;
                        return Ended::Lost("the connection ended".into());
                    }
                },
                _ = sleep_until(wake) => {
                    let now = std::time::Instant::now();
                    self.ua.handle_timeout(now);
                    if let Some(ip) = self.local_ip {
                        let events = self.calls.handle_timeout(&mut self.ua, now, ip);
                        self.emit_all(events).await;
                    }
                }
                Some((call, note)) = self.media_notes.recv() => {
                    let events = self.calls.on_media_note(call, note);
                    self.emit_all(events).await;
                }
                command = self.commands.recv(), if !self.shutting_down => match command {
                    Some(AccountCommand::Shutdown) | None => {
                        // Calls first (BYE/CANCEL, and their answers), then the registration.
                        self.shutting_down = true;
                        let now = std::time::Instant::now();
                        for call in self.calls.all() {
                            let _ = self.calls.hangup(&mut self.ua, now, call);
                        }
                        self.unregister_at = Some(now + CALLS_END_GRACE);
                    }
                    Some(command) => {
                        let events = self.on_command(command);
                        self.emit_all(events).await;
                    }
                },
            }
        }
    }

    /// Sends what the user agent asked and reports its events. `Some` ends the connection loop.
    async fn drain(&mut self, sender: &transport::Sender) -> Option<Ended> {
        while let Some(output) = self.ua.poll_output() {
            match output {
                UaOutput::Transmit(bytes) => {
                    if let Err(err) = sender.send(bytes).await {
                        warn!(%err, "send failed");
                        return Some(if self.shutting_down {
                            Ended::Shutdown
                        } else {
                            Ended::Lost(err.to_string())
                        });
                    }
                }
                UaOutput::Registration(event) => {
                    if let Some(ended) = self.on_registration(event).await {
                        return Some(ended);
                    }
                }
                UaOutput::Call { call, event } => {
                    let now = std::time::Instant::now();
                    let events = self.calls.on_call_event(&mut self.ua, now, call, event);
                    self.emit_all(events).await;
                }
            }
        }
        None
    }

    /// Reports registration events while the flow is going down (no sending any more).
    async fn drain_events(&mut self) {
        while let Some(output) = self.ua.poll_output() {
            match output {
                UaOutput::Registration(event) => {
                    let _ = self.on_registration(event).await;
                }
                UaOutput::Call { call, event } => {
                    let now = std::time::Instant::now();
                    let events = self.calls.on_call_event(&mut self.ua, now, call, event);
                    self.emit_all(events).await;
                }
                UaOutput::Transmit(_) => {}
            }
        }
    }

    /// A call command; what it leads to comes back as events (a refusal as `commandFailed`).
    fn on_command(&mut self, command: AccountCommand) -> Vec<PhoneEvent> {
        let now = std::time::Instant::now();
        let current = self.calls.current();
        let no_call = || PhoneError::new(ResultCode::NotFoundCallId, "There is no call to act on.");
        let result = match (command, self.local_ip) {
            (AccountCommand::Call(target), Some(ip)) => self
                .calls
                .place(&mut self.ua, now, ip, &target)
                .map(|(_, events)| events),
            (AccountCommand::Call(_), None) => Err(PhoneError::new(
                ResultCode::RegistryFailed,
                "Not connected to the server yet; wait for the phone to be registered.",
            )),
            (AccountCommand::Answer, Some(ip)) => match current {
                Some(call) => self.calls.answer(&mut self.ua, now, call, ip),
                None => Err(no_call()),
            },
            (AccountCommand::Hangup, _) => match current {
                Some(call) => self
                    .calls
                    .hangup(&mut self.ua, now, call)
                    .map(|()| Vec::new()),
                None => Err(no_call()),
            },
            (AccountCommand::Dtmf(digits), _) => match current {
                Some(call) => self.calls.send_dtmf(call, &digits).map(|()| Vec::new()),
                None => Err(no_call()),
            },
            (AccountCommand::Hold(hold), _) => match current {
                Some(call) => self
                    .calls
                    .set_hold(&mut self.ua, now, call, hold)
                    .map(|()| Vec::new()),
                None => Err(no_call()),
            },
            (AccountCommand::Mute(muted), _) => match current {
                Some(call) => self.calls.set_muted(call, muted).map(|()| Vec::new()),
                None => Err(no_call()),
            },
            (AccountCommand::Answer, None) => Err(no_call()),
            (AccountCommand::Shutdown, _) => Ok(Vec::new()),
        };
        result.unwrap_or_else(|err| {
            warn!(message = %err.message, "command refused");
            vec![PhoneEvent::CommandFailed {
                code: err.code,
                msg: err.msg,
                message: err.message,
            }]
        })
    }

    /// Queues several events; like [`Driver::emit`], the future borrows nothing from the driver.
    fn emit_all(
        &self,
        events: Vec<PhoneEvent>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let sender = self.events.clone();
        async move {
            for event in events {
                let _ = sender.send(event).await;
            }
        }
    }

    async fn on_registration(&mut self, event: RegistrationEvent) -> Option<Ended> {
        let aor = self.account.aor();
        match event {
            RegistrationEvent::Registered { expires, contact } => {
                info!(%contact, expires, "registered");
                self.emit(PhoneEvent::Registered {
                    aor,
                    contact,
                    expires,
                })
                .await;
                None
            }
            RegistrationEvent::Unregistered => {
                info!("unregistered");
                self.emit(PhoneEvent::Unregistered { aor }).await;
                self.shutting_down.then_some(Ended::Shutdown)
            }
            RegistrationEvent::Failed {
                kind,
                code,
                reason,
                retry_in,
            } => {
                warn!(?kind, ?code, %reason, ?retry_in, "registration failed");
                let result = if kind == FailureKind::AttemptsExhausted {
                    ResultCode::ReRegistryMaxLimitTimes
                } else {
                    ResultCode::RegistryFailed
                };
                let reason = explain(kind, code, &reason);
                self.emit(PhoneEvent::RegistrationFailed {
                    code: result.code(),
                    msg: result.name(),
                    sip_code: code,
                    reason,
                    retry_in_ms: retry_in.map(|d| d.as_millis() as u64),
                })
                .await;
                retry_in.is_none().then_some(Ended::Fatal)
            }
        }
    }

    /// Queues an event for the front ends. The future owns what it needs, so the driver is not
    /// borrowed across the await (the cnonce source in the digest client is not `Sync`).
    fn emit(&self, event: PhoneEvent) -> impl std::future::Future<Output = ()> + Send + 'static {
        let events = self.events.clone();
        // An error means every front end is gone; the account then winds down on its own.
        async move {
            let _ = events.send(event).await;
        }
    }
}

fn registration_config(account: &SipAccount) -> RegistrationConfig {
    let domain_host =
        Host::parse(&account.domain).unwrap_or_else(|_| Host::Name(account.domain.clone()));
    let aor = SipUri::new(Scheme::Sip, Some(&account.user), domain_host.clone(), None);
    let registrar = SipUri::new(Scheme::Sip, None, domain_host, None);
    let ws = matches!(
        account.transport,
        dialtone_sip::flow::TransportKind::Ws | dialtone_sip::flow::TransportKind::Wss
    );
    RegistrationConfig {
        aor,
        registrar,
        transport: account.transport,
        expires: account.expires,
        credentials: Credentials {
            username: account.auth_user.clone(),
            secret: SecretKind::Password(account.password.clone()),
            realm: None,
        },
        outbound: ws,
        instance_id: format!("urn:uuid:{}", uuid_v4()),
        user_agent: format!("Dialtone/{}", env!("CARGO_PKG_VERSION")),
        display_name: account.display_name.clone(),
        max_attempts: None,
    }
}

/// A human reason for a registration failure, naming what to do.
fn explain(kind: FailureKind, code: Option<u16>, reason: &str) -> String {
    match kind {
        FailureKind::Unauthorized => format!(
            "The server refused the user name or password ({}). Check the password (DIALTONE_PASSWORD) and --auth-user.",
            code.map(|c| c.to_string()).unwrap_or_default()
        ),
        FailureKind::Timeout => "The registrar did not answer. Check the address, port and transport.".to_owned(),
        _ => reason.to_owned(),
    }
}

/// Why the transport could not be opened, and whether retrying can help.
struct ConnectFailure {
    message: String,
    fatal: bool,
}

/// The server's address from its name (A/AAAA; an address literal resolves to itself).
async fn resolve(account: &SipAccount) -> Result<SocketAddr, String> {
    let server = &account.server;
    let cannot = |detail: String| {
        format!(
            "Cannot find the server {}: {detail}. Check the registrar's host name.",
            server.host
        )
    };
    let mut addresses = tokio::net::lookup_host((server.host.as_str(), server.port))
        .await
        .map_err(|e| cannot(e.to_string()))?;
    addresses
        .next()
        .ok_or_else(|| cannot("no address found".into()))
}

/// Certificate problems and unusable settings need the user; retrying cannot fix them.
fn is_fatal(err: &TransportError) -> bool {
    matches!(
        err,
        TransportError::Certificate { .. }
            | TransportError::CaFile { .. }
            | TransportError::InvalidServerName(_)
            | TransportError::WebSocketSubprotocol { .. }
    )
}

/// Reconnect quickly at first (a restarted server is back within seconds), then back off to
/// 30 s, with ±20 % jitter so many phones do not reconnect in step.
fn reconnect_delay(attempt: u32) -> Duration {
    let base = if attempt <= 6 {
        Duration::from_millis(500)
            .saturating_mul(1 << (attempt - 1).min(3))
            .min(Duration::from_secs(2))
    } else {
        Duration::from_secs(2)
            .saturating_mul(1 << (attempt - 6).min(4))
            .min(Duration::from_secs(30))
    };
    base.mul_f64(rand::rng().random_range(0.8..1.2))
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delay_starts_fast_and_is_capped() {
        for attempt in 1..=4 {
            assert!(
                reconnect_delay(attempt) <= Duration::from_millis(2400),
                "attempt {attempt}"
            );
        }
        for attempt in 1..100 {
            assert!(reconnect_delay(attempt) <= Duration::from_secs(36));
        }
    }

    #[test]
    fn uuid_has_version_4_form() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
