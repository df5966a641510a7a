//! Two phones (whole `UserAgent`s: Alice and Bob) and a tiny registrar + stateless proxy
//! between them, over a simulated UDP network with a virtual clock. Each phone sends every
//! byte to the proxy, as a phone with an outbound proxy does; the proxy registers, may
//! challenge INVITEs, and forwards by Request-URI (an AOR through the bindings, a Contact by
//! its address) and responses by Via.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dialtone_sip::digest::{Credentials, SecretKind};
use dialtone_sip::flow::TransportKind;
use dialtone_sip::invite::{Body, EndReason, SessionEvent};
use dialtone_sip::message::{HeaderName, Host, Method, Scheme, SipMessage, SipUri, Via};
use dialtone_sip::registration::{RegistrationConfig, RegistrationEvent};
use dialtone_sip::secret::Secret;
use dialtone_sip::transaction::TimerConfig;
use dialtone_sip::user_agent::{CallEvent, CallId, UaOutput, UserAgent};

pub const DOMAIN: &str = "pbx.test";
pub const PROXY: &str = "127.0.0.1:5060";
pub const ALICE_SDP: &str = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n";
pub const BOB_SDP: &str = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n";

pub fn sdp(text: &str) -> Body {
    Body::sdp(text.as_bytes().to_vec())
}

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("socket address")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Alice,
    Bob,
}

/// One phone and everything it reported.
pub struct Phone {
    pub ua: UserAgent,
    pub addr: SocketAddr,
    pub calls: Vec<(CallId, CallEvent)>,
    pub registration: Vec<RegistrationEvent>,
}

impl Phone {
    fn new(user: &str, display: &str, port: u16) -> Phone {
        let domain = Host::parse(DOMAIN).expect("host");
        let config = RegistrationConfig {
            aor: SipUri::new(Scheme::Sip, Some(user), domain.clone(), None),
            registrar: SipUri::new(Scheme::Sip, None, domain, None),
            transport: TransportKind::Udp,
            expires: 600,
            credentials: Credentials {
                username: user.into(),
                secret: SecretKind::Password(Secret::new(format!("pw-{user}"))),
                realm: None,
            },
            outbound: false,
            instance_id: "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
            user_agent: format!("Dialtone/test-{user}"),
            display_name: Some(display.into()),
            max_attempts: None,
        };
        Phone {
            ua: UserAgent::new(config, TimerConfig::default()),
            addr: addr(&format!("127.0.0.1:{port}")),
            calls: Vec::new(),
            registration: Vec::new(),
        }
    }

    /// The events of one call, in order.
    pub fn events(&self, call: CallId) -> Vec<&CallEvent> {
        self.calls
            .iter()
            .filter(|(c, _)| *c == call)
            .map(|(_, e)| e)
            .collect()
    }

    /// The session events of one call.
    pub fn session_events(&self, call: CallId) -> Vec<&SessionEvent> {
        self.events(call)
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::Session(event) => Some(event),
                _ => None,
            })
            .collect()
    }

    pub fn ended(&self, call: CallId) -> Option<&EndReason> {
        self.session_events(call).into_iter().find_map(|e| match e {
            SessionEvent::Ended { reason } => Some(reason),
            _ => None,
        })
    }

    /// The calls announced as `Incoming`, in order.
    pub fn incoming(&self) -> Vec<CallId> {
        self.calls
            .iter()
            .filter(|(_, e)| matches!(e, CallEvent::Incoming { .. }))
            .map(|(c, _)| *c)
            .collect()
    }
}

/// What the proxy does with INVITEs that carry no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    None,
    /// 407 with this realm.
    Realm(String),
}

/// The two phones, the proxy and the wire.
pub struct Net {
    pub now: Instant,
    pub alice: Phone,
    pub bob: Phone,
    pub challenge: Challenge,
    /// Every message a phone put on the wire, in order.
    pub wire: Vec<(Who, SipMessage)>,
    bindings: HashMap<String, Who>,
    challenged: HashSet<String>,
    queue: VecDeque<(Option<Who>, Who, Vec<u8>)>,
}

impl Net {
    pub fn new() -> Net {
        Net {
            now: Instant::now(),
            alice: Phone::new("alice", "Alice", 40001),
            bob: Phone::new("bob", "Bob", 40002),
            challenge: Challenge::None,
            wire: Vec::new(),
            bindings: HashMap::new(),
            challenged: HashSet::new(),
            queue: VecDeque::new(),
        }
    }

    /// Both phones connected and registered (after the registrar's 401).
    pub fn registered() -> Net {
        let mut net = Net::new();
        let now = net.now;
        for who in [Who::Alice, Who::Bob] {
            let phone = net.phone(who);
            let local = phone.addr;
            phone.ua.flow_up(now, local);
        }
        net.run();
        for who in [Who::Alice, Who::Bob] {
            assert!(
                matches!(
                    net.phone(who).registration.last(),
                    Some(RegistrationEvent::Registered { .. })
                ),
                "{who:?} registered"
            );
        }
        net
    }

    pub fn phone(&mut self, who: Who) -> &mut Phone {
        match who {
            Who::Alice => &mut self.alice,
            Who::Bob => &mut self.bob,
        }
    }

    /// Runs an intent on `who`'s user agent at the current instant, then delivers everything.
    pub fn act<T>(&mut self, who: Who, action: impl FnOnce(&mut UserAgent, Instant) -> T) -> T {
        let now = self.now;
        let result = action(&mut self.phone(who).ua, now);
        self.run();
        result
    }

    /// Delivers raw bytes to `who` as if the proxy sent them, then everything that follows.
    pub fn inject(&mut self, who: Who, bytes: &[u8]) {
        let now = self.now;
        self.phone(who).ua.handle_bytes(now, bytes, addr(PROXY));
        self.run();
    }

    /// Drains both phones and delivers through the proxy until the network is quiet.
    pub fn run(&mut self) {
        loop {
            self.collect();
            let Some((from, to, bytes)) = self.queue.pop_front() else {
                break;
            };
            match from {
                // A phone sent it: the proxy handles it.
                Some(sender) => self.proxy(sender, &bytes),
                None => {
                    let now = self.now;
                    self.phone(to).ua.handle_bytes(now, &bytes, addr(PROXY));
                }
            }
        }
    }

    /// Lets virtual time pass, firing every timer on the way.
    pub fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        self.run();
        loop {
            let next = [self.alice.ua.poll_timeout(), self.bob.ua.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    let now = self.now;
                    self.alice.ua.handle_timeout(now);
                    self.bob.ua.handle_timeout(now);
                    self.run();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    /// Messages `who` sent whose start line begins with `start` (`"INVITE"`, `"SIP/2.0 486"`).
    pub fn sent(&self, who: Who, start: &str) -> Vec<SipMessage> {
        self.wire
            .iter()
            .filter(|(w, m)| *w == who && start_line(m).starts_with(start))
            .map(|(_, m)| m.clone())
            .collect()
    }

    fn collect(&mut self) {
        for who in [Who::Alice, Who::Bob] {
            while let Some(output) = self.phone(who).ua.poll_output() {
                match output {
                    UaOutput::Transmit(bytes) => {
                        let msg = SipMessage::parse(&bytes).expect("phones send valid SIP");
                        self.wire.push((who, msg));
                        self.queue.push_back((Some(who), who, bytes.to_vec()));
                    }
                    UaOutput::Registration(event) => self.phone(who).registration.push(event),
                    UaOutput::Call { call, event } => self.phone(who).calls.push((call, event)),
                }
            }
        }
    }

    fn send(&mut self, to: Who, msg: &SipMessage) {
        self.queue.push_back((None, to, msg.to_bytes().to_vec()));
    }

    /// The registrar and stateless proxy.
    fn proxy(&mut self, sender: Who, bytes: &[u8]) {
        let mut msg = SipMessage::parse(bytes).expect("phones send valid SIP");
        if !msg.is_request() {
            // Ours is the top Via; the next one says where the response goes.
            let vias: Vec<String> = msg
                .headers
                .values(HeaderName::VIA)
                .map(str::to_owned)
                .collect();
            msg.headers.remove(&HeaderName::VIA);
            for via in vias.iter().skip(1) {
                msg.headers.push(HeaderName::VIA, via.clone());
            }
            if let Some(to) = vias.get(1).and_then(|v| self.by_via(v)) {
                self.send(to, &msg);
            }
            return;
        }
        let method = msg.method().cloned();
        let no_tag = msg.to().is_ok_and(|t| t.tag().is_none());
        let branch = msg
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned));
        match method {
            Some(Method::Register) => return self.register(sender, &msg),
            Some(Method::Ack) if branch.as_ref().is_some_and(|b| self.challenged.contains(b)) => {
                return; // the ACK for our 407
            }
            Some(Method::Invite) if no_tag => {
                if let Challenge::Realm(realm) = &self.challenge {
                    if msg.headers.get(HeaderName::PROXY_AUTHORIZATION).is_none() {
                        let mut response =
                            SipMessage::response_to(&msg, 407, "Proxy Authentication Required");
                        response.headers.push(
                            HeaderName::PROXY_AUTHENTICATE,
                            format!(
                                "Digest realm=\"{realm}\", nonce=\"n-{}\", qop=\"auth\"",
                                self.challenged.len()
                            ),
                        );
                        let mut to = msg.to().expect("to");
                        to.params.set("tag", Some("proxy"));
                        response.headers.set(HeaderName::TO, to.to_string());
                        self.challenged.extend(branch);
                        return self.send(sender, &response);
                    }
                }
            }
            _ => {}
        }
        let Some(to) = self.by_request_uri(&msg) else {
            let response = SipMessage::response_to(&msg, 404, "Not Found");
            return self.send(sender, &response);
        };
        let via = Via::new(
            TransportKind::Udp,
            Host::parse("127.0.0.1").expect("host"),
            Some(5060),
            &format!("z9hG4bKpx{}", branch.unwrap_or_default()),
        );
        msg.headers.push_front(HeaderName::VIA, via.to_string());
        self.send(to, &msg);
    }

    fn register(&mut self, sender: Who, msg: &SipMessage) {
        if msg.headers.get(HeaderName::AUTHORIZATION).is_none() {
            let mut response = SipMessage::response_to(msg, 401, "Unauthorized");
            response.headers.push(
                HeaderName::WWW_AUTHENTICATE,
                format!("Digest realm=\"{DOMAIN}\", nonce=\"reg\", qop=\"auth\""),
            );
            return self.send(sender, &response);
        }
        if let Some(user) = msg
            .to()
            .ok()
            .and_then(|t| t.sip_uri().ok())
            .and_then(|u| u.user)
        {
            self.bindings.insert(user, sender);
        }
        let mut response = SipMessage::response_to(msg, 200, "OK");
        if let Some(contact) = msg.headers.get(HeaderName::CONTACT) {
            response
                .headers
                .push(HeaderName::CONTACT, contact.to_owned());
        }
        response.headers.push(HeaderName::EXPIRES, "600");
        self.send(sender, &response);
    }

    fn by_request_uri(&self, msg: &SipMessage) -> Option<Who> {
        let uri = SipUri::parse(msg.request_uri()?).ok()?;
        if uri.host == Host::parse(DOMAIN).ok()? {
            return self.bindings.get(uri.user.as_deref()?).copied();
        }
        self.by_address(&uri.host, uri.port)
    }

    fn by_via(&self, via: &str) -> Option<Who> {
        let via = Via::parse(via).ok()?;
        self.by_address(&via.host, via.port)
    }

    fn by_address(&self, host: &Host, port: Option<u16>) -> Option<Who> {
        [(Who::Alice, self.alice.addr), (Who::Bob, self.bob.addr)]
            .into_iter()
            .find(|(_, a)| Host::Ip(a.ip()) == *host && Some(a.port()) == port)
            .map(|(who, _)| who)
    }
}

pub fn start_line(msg: &SipMessage) -> String {
    let text = String::from_utf8_lossy(&msg.to_bytes()).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}
