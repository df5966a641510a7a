//! A two-phone test bench for INVITE sessions: Alice (caller) and Bob (callee), each with a
//! transaction layer and its sessions, wired back to back over a simulated UDP link with a
//! virtual clock. It routes messages the way a user agent must (by dialog, by CANCEL target,
//! 481 for unknown dialogs), so the tests also show how to drive the sessions.
//!
//! The link can lose messages (`drop_if`) and can act as a record-routing proxy.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use dialtone_sip::flow::TransportKind;
use dialtone_sip::invite::{
    unknown_dialog_response, Body, EndReason, InviteSession, SessionConfig, SessionEvent,
    SessionOutput, SessionTimerConfig, TransactionFailure,
};
use dialtone_sip::message::{HeaderName, Host, Method, NameAddr, SipMessage, Via};
use dialtone_sip::transaction::{Incoming, Output, TimerConfig, TransactionLayer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Alice,
    Bob,
}

impl Who {
    fn other(self) -> Who {
        match self {
            Who::Alice => Who::Bob,
            Who::Bob => Who::Alice,
        }
    }
}

pub const ALICE_SDP: &str = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
pub const BOB_SDP: &str = "v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n";

pub fn sdp(text: &str) -> Body {
    Body::sdp(text.as_bytes().to_vec())
}

pub fn config(name: &str, timer: Option<SessionTimerConfig>) -> SessionConfig {
    let host = format!("{name}.example.com");
    SessionConfig {
        local: NameAddr::parse(&format!("\"{name}\" <sip:{name}@example.com>")).expect("name-addr"),
        contact: format!("sip:{name}@{host}:5060"),
        via: Via::new(
            TransportKind::Udp,
            Host::parse(&host).expect("host"),
            Some(5060),
            "",
        ),
        transport: TransportKind::Udp,
        timers: TimerConfig::default(),
        user_agent: format!("Dialtone/test-{name}"),
        initial_route: Vec::new(),
        session_timer: timer,
        credentials: None,
        account_realm: None,
    }
}

/// One phone: its transaction layer and sessions.
pub struct Phone {
    pub config: SessionConfig,
    pub layer: TransactionLayer,
    pub sessions: Vec<InviteSession>,
    pub events: Vec<SessionEvent>,
    /// Answer every offer the peer makes in a re-INVITE/UPDATE with this, at once.
    pub auto_answer: Option<Body>,
    outbox: Vec<SipMessage>,
}

impl Phone {
    fn new(config: SessionConfig) -> Phone {
        Phone {
            layer: TransactionLayer::new(config.timers),
            config,
            sessions: Vec::new(),
            events: Vec::new(),
            auto_answer: None,
            outbox: Vec::new(),
        }
    }

    pub fn session(&mut self) -> &mut InviteSession {
        self.sessions.last_mut().expect("a session exists")
    }

    pub fn ended(&self) -> Option<&EndReason> {
        self.events.iter().find_map(|e| match e {
            SessionEvent::Ended { reason } => Some(reason),
            _ => None,
        })
    }

    pub fn count(&self, wanted: impl Fn(&SessionEvent) -> bool) -> usize {
        self.events.iter().filter(|e| wanted(e)).count()
    }

    fn receive(&mut self, now: Instant, msg: SipMessage) {
        let incoming = match self.layer.handle_incoming(now, msg, TransportKind::Udp) {
            Ok(incoming) => incoming,
            Err(err) => panic!("transaction layer refused a message: {err}"),
        };
        match incoming {
            Incoming::NewRequest { key, msg } => {
                let is_invite = msg.method() == Some(&Method::Invite);
                let has_tag = msg.to().is_ok_and(|t| t.tag().is_some());
                if is_invite && !has_tag {
                    let session = InviteSession::incoming(now, self.config.clone(), key, msg);
                    self.sessions.push(session);
                } else if msg.method() == Some(&Method::Cancel) {
                    match self.sessions.iter_mut().find(|s| s.cancels(&key)) {
                        Some(session) => session.handle_request(now, &key, &msg),
                        None => self.reply_481(now, &key, &msg),
                    }
                } else {
                    match self.sessions.iter_mut().find(|s| s.owns_request(&msg)) {
                        Some(session) => session.handle_request(now, &key, &msg),
                        None => self.reply_481(now, &key, &msg),
                    }
                }
            }
            Incoming::Response { msg, .. } => self.route_response(now, &msg),
            Incoming::Stray(msg) if msg.is_request() => {
                if let Some(session) = self.sessions.iter_mut().find(|s| s.owns_request(&msg)) {
                    session.handle_ack(now, &msg);
                }
            }
            Incoming::Stray(msg) => self.route_response(now, &msg),
            Incoming::Absorbed => {}
        }
    }

    fn route_response(&mut self, now: Instant, msg: &SipMessage) {
        if let Some(session) = self.sessions.iter_mut().find(|s| s.owns_response(msg)) {
            session.handle_response(now, msg);
        }
    }

    fn reply_481(
        &mut self,
        now: Instant,
        key: &dialtone_sip::transaction::TransactionKey,
        msg: &SipMessage,
    ) {
        if let Some(response) = unknown_dialog_response(msg) {
            let _ = self.layer.respond(now, key, response);
        }
    }

    /// Drains sessions and the transaction layer until both are quiet.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            let mut offers = Vec::new();
            for (index, session) in self.sessions.iter_mut().enumerate() {
                while let Some(output) = session.poll_output() {
                    progressed = true;
                    match output {
                        SessionOutput::Request(request) => {
                            if let Err(err) =
                                self.layer.send_request(now, request, TransportKind::Udp)
                            {
                                panic!("session asked for a bad transaction: {err}");
                            }
                        }
                        SessionOutput::Response { key, response } => {
                            let _ = self.layer.respond(now, &key, response);
                        }
                        SessionOutput::Ack(ack) => self.outbox.push(ack),
                        SessionOutput::Event(event) => {
                            if matches!(event, SessionEvent::OfferReceived { .. })
                                && session.state() == dialtone_sip::invite::SessionState::Confirmed
                            {
                                offers.push(index);
                            }
                            self.events.push(event);
                        }
                    }
                }
            }
            if let Some(body) = self.auto_answer.clone() {
                for index in offers {
                    if let Some(session) = self.sessions.get_mut(index) {
                        session
                            .answer(now, body.clone())
                            .expect("an offer to answer");
                        progressed = true;
                    }
                }
            }
            while let Some((key, output)) = self.layer.poll_output() {
                progressed = true;
                let failure = match output {
                    Output::Transmit(bytes) => {
                        self.outbox
                            .push(SipMessage::parse(&bytes).expect("we send valid SIP"));
                        None
                    }
                    Output::Timeout => Some(TransactionFailure::Timeout),
                    Output::TransportError => Some(TransactionFailure::TransportError),
                    _ => None,
                };
                if let Some(failure) = failure {
                    for session in &mut self.sessions {
                        session.handle_transaction_failure(now, &key, failure);
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.sessions
            .iter()
            .filter_map(InviteSession::poll_timeout)
            .chain(self.layer.next_timeout())
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        for session in &mut self.sessions {
            session.handle_timeout(now);
        }
    }
}

type DropRule = Box<dyn FnMut(Who, &SipMessage) -> bool>;

/// Two phones and the link between them.
pub struct Bench {
    pub now: Instant,
    pub alice: Phone,
    pub bob: Phone,
    /// Every message put on the link: who sent it, and whether the link delivered it.
    pub wire: Vec<(Who, SipMessage, bool)>,
    /// Messages the link loses: `(sender, message) -> lose it`.
    pub drop_if: Option<DropRule>,
    /// Act as a record-routing proxy: add this Record-Route to dialog-creating INVITEs.
    pub record_route: Option<String>,
    queue: VecDeque<(Who, SipMessage)>,
}

impl Bench {
    pub fn new(timer: Option<SessionTimerConfig>) -> Bench {
        Bench::with_configs(config("alice", timer), config("bob", timer))
    }

    pub fn with_configs(alice: SessionConfig, bob: SessionConfig) -> Bench {
        Bench {
            now: Instant::now(),
            alice: Phone::new(alice),
            bob: Phone::new(bob),
            wire: Vec::new(),
            drop_if: None,
            record_route: None,
            queue: VecDeque::new(),
        }
    }

    pub fn phone(&mut self, who: Who) -> &mut Phone {
        match who {
            Who::Alice => &mut self.alice,
            Who::Bob => &mut self.bob,
        }
    }

    /// Alice calls Bob; nothing is delivered yet.
    pub fn call(&mut self, offer: Option<Body>) {
        let to = NameAddr::parse("<sip:bob@example.com>").expect("to");
        let session = InviteSession::call(
            self.now,
            self.alice.config.clone(),
            "sip:bob@example.com",
            to,
            offer,
        );
        self.alice.sessions.push(session);
        self.settle();
    }

    /// Runs `action` on `who`'s latest session; what it sends waits for [`Bench::run`].
    pub fn act<T>(&mut self, who: Who, action: impl FnOnce(&mut InviteSession, Instant) -> T) -> T {
        let now = self.now;
        let result = action(self.phone(who).session(), now);
        self.settle();
        result
    }

    /// Delivers `msg` to `who` as if it came over the link.
    pub fn inject(&mut self, who: Who, msg: SipMessage) {
        self.queue.push_back((who, msg));
        self.run();
    }

    /// Drains both phones into the link queue.
    fn settle(&mut self) {
        let now = self.now;
        for who in [Who::Alice, Who::Bob] {
            let phone = self.phone(who);
            phone.pump(now);
            let sent: Vec<SipMessage> = phone.outbox.drain(..).collect();
            for mut msg in sent {
                let deliver = match self.drop_if.as_mut() {
                    Some(rule) => !rule(who, &msg),
                    None => true,
                };
                if who == Who::Alice && deliver {
                    self.add_record_route(&mut msg);
                }
                self.wire.push((who, msg.clone(), deliver));
                if deliver {
                    self.queue.push_back((who.other(), msg));
                }
            }
        }
    }

    fn add_record_route(&self, msg: &mut SipMessage) {
        let Some(rr) = &self.record_route else { return };
        let creates_dialog =
            msg.method() == Some(&Method::Invite) && msg.to().is_ok_and(|t| t.tag().is_none());
        if creates_dialog {
            msg.headers.push(HeaderName::RECORD_ROUTE, rr.clone());
        }
    }

    /// Delivers everything in flight, and what it causes, until the link is quiet.
    pub fn run(&mut self) {
        self.settle();
        while let Some((to, msg)) = self.queue.pop_front() {
            let now = self.now;
            let bytes = msg.to_bytes();
            let parsed = SipMessage::parse(&bytes).expect("the link carries valid SIP");
            self.phone(to).receive(now, parsed);
            self.settle();
        }
    }

    /// Lets virtual time pass, firing every timer on the way.
    pub fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        self.run();
        loop {
            let next = [self.alice.next_timeout(), self.bob.next_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    let now = self.now;
                    self.alice.handle_timeout(now);
                    self.bob.handle_timeout(now);
                    self.run();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    /// Messages `who` sent whose start line begins with `start` (`"BYE"`, `"SIP/2.0 200"`), with
    /// whether each was delivered.
    pub fn sent(&self, who: Who, start: &str) -> Vec<(SipMessage, bool)> {
        self.wire
            .iter()
            .filter(|(from, msg, _)| *from == who && start_line(msg).starts_with(start))
            .map(|(_, msg, delivered)| (msg.clone(), *delivered))
            .collect()
    }

    /// A basic call up to Confirmed: offer in the INVITE, Bob rings and answers.
    pub fn establish(&mut self) {
        self.call(Some(sdp(ALICE_SDP)));
        self.run();
        self.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
        self.act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
            .expect("accept");
        self.run();
    }
}

pub fn start_line(msg: &SipMessage) -> String {
    let text = String::from_utf8_lossy(&msg.to_bytes()).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    let cseq = msg.cseq().map(|c| c.to_string()).unwrap_or_default();
    match msg.status() {
        Some(_) => format!("{line} ({cseq})"),
        None => line,
    }
}
