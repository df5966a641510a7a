//! The user agent as the driver sees it: bytes in, bytes and events out, with a virtual clock.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dialtone_sip::digest::{Credentials, SecretKind};
use dialtone_sip::flow::TransportKind;
use dialtone_sip::message::{HeaderName, Host, Scheme, SipMessage, SipUri};
use dialtone_sip::registration::{RegistrationConfig, RegistrationEvent};
use dialtone_sip::secret::Secret;
use dialtone_sip::transaction::TimerConfig;
use dialtone_sip::user_agent::{CallEvent, UaOutput, UserAgent};

const LOCAL: &str = "127.0.0.1:40000";
const SERVER: &str = "127.0.0.1:5060";

fn ua(transport: TransportKind) -> UserAgent {
    let host = Host::parse("127.0.0.1").expect("host");
    let config = RegistrationConfig {
        aor: SipUri::new(Scheme::Sip, Some("1000"), host.clone(), None),
        registrar: SipUri::new(Scheme::Sip, None, host, None),
        transport,
        expires: 600,
        credentials: Credentials {
            username: "1000".into(),
            secret: SecretKind::Password(Secret::new("pw1000")),
            realm: None,
        },
        outbound: matches!(transport, TransportKind::Ws | TransportKind::Wss),
        instance_id: "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
        user_agent: "Dialtone/test".into(),
        display_name: None,
        max_attempts: None,
    };
    UserAgent::new(config, TimerConfig::default())
}

fn drain(ua: &mut UserAgent) -> (Vec<SipMessage>, Vec<RegistrationEvent>) {
    let (mut sent, mut events) = (vec![], vec![]);
    while let Some(output) = ua.poll_output() {
        match output {
            UaOutput::Transmit(bytes) => {
                sent.push(SipMessage::parse(&bytes).expect("we send valid SIP"))
            }
            UaOutput::Registration(event) => events.push(event),
            UaOutput::Call { .. } => {}
        }
    }
    (sent, events)
}

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("socket address")
}

fn reply(ua: &mut UserAgent, now: Instant, to: &SipMessage, code: u16, extra: &[(&str, &str)]) {
    let mut response = SipMessage::response_to(to, code, "Reason");
    for (name, value) in extra {
        response.headers.push(HeaderName::new(name), *value);
    }
    ua.handle_bytes(now, &response.to_bytes(), addr(SERVER));
}

#[test]
fn registers_over_udp_with_rport_retransmitting_until_answered() {
    let mut ua = ua(TransportKind::Udp);
    let t0 = Instant::now();
    ua.flow_up(t0, addr(LOCAL));
    let (sent, _) = drain(&mut ua);
    assert_eq!(sent.len(), 1);
    let via = sent[0].top_via().expect("via");
    assert_eq!(via.transport, "UDP");
    assert_eq!(via.host, Host::parse("127.0.0.1").expect("host"));
    assert_eq!(via.port, Some(40000));
    assert!(via.params.contains("rport"), "RFC 3581 rport is asked for");
    assert!(via.branch().is_some_and(|b| b.starts_with("z9hG4bK")));
    // No answer: timer E retransmits the same request after T1.
    ua.handle_timeout(t0 + Duration::from_millis(500));
    let (again, _) = drain(&mut ua);
    assert_eq!(again, sent, "an identical retransmission");
    // 401, then the answer with credentials, then 200.
    reply(
        &mut ua,
        t0 + Duration::from_millis(600),
        &sent[0],
        401,
        &[("WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\"")],
    );
    let (authed, _) = drain(&mut ua);
    assert_eq!(authed.len(), 1);
    assert!(authed[0].headers.get(HeaderName::AUTHORIZATION).is_some());
    assert_ne!(
        authed[0].top_via().expect("via").branch(),
        via.branch(),
        "a new transaction"
    );
    reply(
        &mut ua,
        t0 + Duration::from_millis(700),
        &authed[0],
        200,
        &[("Expires", "600")],
    );
    let (_, events) = drain(&mut ua);
    assert!(
        matches!(
            events.as_slice(),
            [RegistrationEvent::Registered { expires: 600, .. }]
        ),
        "{events:?}"
    );
    // Once answered, nothing is retransmitted any more.
    ua.handle_timeout(t0 + Duration::from_secs(5));
    assert!(drain(&mut ua).0.is_empty());
}

#[test]
fn over_tcp_nothing_is_retransmitted_and_silence_becomes_a_timeout() {
    let mut ua = ua(TransportKind::Tcp);
    let t0 = Instant::now();
    ua.flow_up(t0, addr(LOCAL));
    let (sent, _) = drain(&mut ua);
    assert_eq!(sent.len(), 1);
    assert!(sent[0]
        .headers
        .get(HeaderName::CONTACT)
        .is_some_and(|c| c.contains("transport=tcp")));
    let mut retransmitted = 0;
    let mut now = t0;
    let mut events = vec![];
    while now < t0 + Duration::from_secs(33) {
        now += Duration::from_millis(500);
        ua.handle_timeout(now);
        let (more, ev) = drain(&mut ua);
        retransmitted += more.len();
        events.extend(ev);
        if !events.is_empty() {
            break;
        }
    }
    assert_eq!(
        retransmitted, 0,
        "a reliable transport is not retransmitted on"
    );
    assert!(
        matches!(
            events.first(),
            Some(RegistrationEvent::Failed {
                code: Some(408),
                retry_in: Some(_),
                ..
            })
        ),
        "{events:?}"
    );
}

#[test]
fn websocket_contact_is_outbound_with_an_invalid_host() {
    let mut ua = ua(TransportKind::Wss);
    ua.flow_up(Instant::now(), addr(LOCAL));
    let (sent, _) = drain(&mut ua);
    let via = sent[0].top_via().expect("via");
    assert_eq!(via.transport, "WSS");
    assert!(
        matches!(&via.host, Host::Name(h) if h.ends_with(".invalid")),
        "RFC 7118: {via}"
    );
    let contact = sent[0].headers.get(HeaderName::CONTACT).expect("contact");
    assert!(contact.contains(".invalid;transport=wss;ob>"), "{contact}");
    assert!(
        contact.contains("reg-id=1") && contact.contains("+sip.instance=\"<urn:uuid:"),
        "{contact}"
    );
}

const OPTIONS: &str = "OPTIONS sip:1000@127.0.0.1:40000 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKopt1\r\n\
From: <sip:ping@127.0.0.1>;tag=p1\r\n\
To: <sip:1000@127.0.0.1>\r\n\
Call-ID: opt-1@127.0.0.1\r\n\
CSeq: 7 OPTIONS\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n";

#[test]
fn answers_options_and_takes_calls_refusing_them_beyond_the_limit() {
    let mut ua = ua(TransportKind::Udp);
    let now = Instant::now();
    ua.flow_up(now, addr(LOCAL));
    drain(&mut ua);
    ua.handle_bytes(now, OPTIONS.as_bytes(), addr(SERVER));
    let (sent, _) = drain(&mut ua);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status(), Some(200));
    assert_eq!(sent[0].call_id().expect("call-id"), "opt-1@127.0.0.1");
    assert!(
        sent[0].to().expect("to").tag().is_some(),
        "the answer adds a To tag"
    );
    let invite = OPTIONS
        .replace("OPTIONS sip", "INVITE sip")
        .replace("7 OPTIONS", "7 INVITE")
        .replace("z9hG4bKopt1", "z9hG4bKinv1")
        .replace(
            "Max-Forwards",
            "Contact: <sip:ping@127.0.0.1:5060>\r\nMax-Forwards",
        );
    ua.handle_bytes(now, invite.as_bytes(), addr(SERVER));
    let mut incoming = vec![];
    while let Some(output) = ua.poll_output() {
        if let UaOutput::Call { call, event } = output {
            incoming.push((call, event));
        }
    }
    assert!(
        matches!(incoming.as_slice(), [(_, CallEvent::Incoming { .. })]),
        "the call is offered to the phone: {incoming:?}"
    );
    // With the limit reached, the next INVITE is refused with 486 and the phone hears nothing.
    ua.set_max_calls(1);
    let second = invite
        .replace("z9hG4bKinv1", "z9hG4bKinv2")
        .replace("opt-1@", "opt-2@");
    ua.handle_bytes(now, second.as_bytes(), addr(SERVER));
    let (sent, _) = drain(&mut ua);
    assert_eq!(sent.last().and_then(SipMessage::status), Some(486));
}

#[test]
fn malformed_requests_get_400_and_garbage_is_dropped() {
    let mut ua = ua(TransportKind::Udp);
    let now = Instant::now();
    ua.flow_up(now, addr(LOCAL));
    drain(&mut ua);
    let bad_cseq = OPTIONS.replace("CSeq: 7 OPTIONS", "CSeq: seven OPTIONS");
    ua.handle_bytes(now, bad_cseq.as_bytes(), addr(SERVER));
    let (sent, _) = drain(&mut ua);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].status(), Some(400));
    let unparseable = OPTIONS.replace(
        "OPTIONS sip:1000@127.0.0.1:40000 SIP/2.0",
        "OPTIONS  sip:1000@127.0.0.1:40000 SIP/2.0",
    );
    ua.handle_bytes(now, unparseable.as_bytes(), addr(SERVER));
    let (sent, _) = drain(&mut ua);
    assert_eq!(
        sent.first().and_then(SipMessage::status),
        Some(400),
        "salvaged Via/CSeq/Call-ID get a 400"
    );
    for garbage in [
        &b"\x00\xff\xfe garbage"[..],
        b"SIP/2.0 200 OK\r\n\r\n",
        b"",
        b"\r\n\r\n",
    ] {
        ua.handle_bytes(now, garbage, addr(SERVER));
        assert!(drain(&mut ua).0.is_empty());
    }
}

#[test]
fn losing_the_flow_stops_the_attempt_and_coming_back_registers_again() {
    let mut ua = ua(TransportKind::Tcp);
    let t0 = Instant::now();
    ua.flow_up(t0, addr(LOCAL));
    let (first, _) = drain(&mut ua);
    ua.flow_lost(t0 + Duration::from_millis(10));
    drain(&mut ua);
    ua.handle_timeout(t0 + Duration::from_secs(40));
    assert!(
        drain(&mut ua).0.is_empty(),
        "nothing is sent while the flow is down"
    );
    ua.flow_up(t0 + Duration::from_secs(41), addr("127.0.0.1:40001"));
    let (again, _) = drain(&mut ua);
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].call_id().ok(),
        first[0].call_id().ok(),
        "same registration, same Call-ID"
    );
    assert!(
        again[0]
            .headers
            .get(HeaderName::CONTACT)
            .is_some_and(|c| c.contains(":40001")),
        "new contact address"
    );
}

#[test]
fn requests_are_refused_with_the_status_rfc_3261_asks_for() {
    let mut ua = ua(TransportKind::Udp);
    let now = Instant::now();
    ua.flow_up(now, addr(LOCAL));
    drain(&mut ua);
    let cases = [
        (OPTIONS.replace(" SIP/2.0\r\nVia", " SIP/7.0\r\nVia"), 505),
        (
            OPTIONS.replace(
                "Max-Forwards: 70",
                "Max-Forwards: 70\r\nRequire: nonsense-extension",
            ),
            420,
        ),
        (
            OPTIONS.replace(
                "OPTIONS sip:1000@127.0.0.1:40000",
                "OPTIONS isbn:2983792873",
            ),
            416,
        ),
    ];
    for (request, status) in cases {
        ua.handle_bytes(now, request.as_bytes(), addr(SERVER));
        let (sent, _) = drain(&mut ua);
        assert_eq!(
            sent.first().and_then(SipMessage::status),
            Some(status),
            "{request}"
        );
        assert_eq!(
            sent[0].call_id().expect("call-id"),
            "opt-1@127.0.0.1",
            "routable back to the sender"
        );
    }
}

#[test]
fn calls_over_websocket_use_the_registered_outbound_contact_and_an_invalid_via_host() {
    let mut ua = ua(TransportKind::Wss);
    let now = Instant::now();
    ua.flow_up(now, addr(LOCAL));
    let (register, _) = drain(&mut ua);
    let registered = register[0].contacts().expect("contact")[0].uri.clone();
    ua.place_call(now, "1001", None).expect("call placed");
    let (sent, _) = drain(&mut ua);
    let invite = sent.last().expect("the INVITE");
    assert_eq!(invite.request_uri(), Some("sip:1001@127.0.0.1"));
    let contact = invite.contacts().expect("contact")[0].uri.clone();
    assert_eq!(contact, registered, "the same Contact as the registration");
    assert!(contact.ends_with(";transport=wss;ob"), "{contact}");
    let via = invite.top_via().expect("via");
    assert!(matches!(&via.host, Host::Name(h) if h.ends_with(".invalid")));
    assert_eq!(via.port, None);
    assert!(via.params.contains("rport"));
}
