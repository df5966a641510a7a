//! The REGISTER client driven through whole exchanges with a virtual clock: what a registrar
//! answers, what the phone sends next, and when.

use std::time::{Duration, Instant};

use dialtone_sip::digest::{Credentials, SecretKind};
use dialtone_sip::flow::TransportKind;
use dialtone_sip::message::{HeaderName, Host, Scheme, SipMessage, SipUri};
use dialtone_sip::registration::{
    ContactAddress, FailureKind, Registration, RegistrationConfig, RegistrationEvent,
    RegistrationOutput, RegistrationState,
};
use dialtone_sip::secret::Secret;

fn config(realm: Option<&str>) -> RegistrationConfig {
    let host = Host::parse("127.0.0.1").expect("host");
    RegistrationConfig {
        aor: SipUri::new(Scheme::Sip, Some("1000"), host.clone(), None),
        registrar: SipUri::new(Scheme::Sip, None, host, None),
        transport: TransportKind::Udp,
        expires: 600,
        credentials: Credentials {
            username: "1000".into(),
            secret: SecretKind::Password(Secret::new("pw1000")),
            realm: realm.map(str::to_owned),
        },
        outbound: false,
        instance_id: "urn:uuid:00000000-0000-4000-8000-000000000000".into(),
        user_agent: "Dialtone/test".into(),
        display_name: None,
        max_attempts: None,
    }
}

struct Harness {
    reg: Registration,
    now: Instant,
    sent: Vec<SipMessage>,
    events: Vec<RegistrationEvent>,
}

impl Harness {
    fn new(realm: Option<&str>) -> Harness {
        let mut h = Harness {
            reg: Registration::new(config(realm)),
            now: Instant::now(),
            sent: vec![],
            events: vec![],
        };
        h.reg.register(
            h.now,
            ContactAddress {
                host: "127.0.0.1".into(),
                port: 40000,
            },
        );
        h.drain();
        h
    }

    fn drain(&mut self) {
        while let Some(out) = self.reg.poll_output() {
            match out {
                RegistrationOutput::Request(r) => self.sent.push(r),
                RegistrationOutput::Event(e) => self.events.push(e),
            }
        }
    }

    fn last(&self) -> &SipMessage {
        self.sent.last().expect("a request was sent")
    }

    fn answer(&mut self, code: u16, reason: &str, extra: &[(&str, &str)]) {
        let mut response = SipMessage::response_to(self.last(), code, reason);
        for (name, value) in extra {
            response.headers.push(HeaderName::new(name), *value);
        }
        self.reg.handle_response(self.now, &response);
        self.drain();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.reg.handle_timeout(self.now);
        self.drain();
    }
}

const CHALLENGE: &str = "Digest realm=\"127.0.0.1\", nonce=\"n1\", qop=\"auth\"";

#[test]
fn answers_a_challenge_and_refreshes_before_expiry() {
    let mut h = Harness::new(None);
    assert_eq!(h.sent.len(), 1);
    assert!(h.last().headers.get(HeaderName::AUTHORIZATION).is_none());
    assert_eq!(h.last().headers.get(HeaderName::EXPIRES), Some("600"));
    h.answer(401, "Unauthorized", &[("WWW-Authenticate", CHALLENGE)]);
    assert_eq!(h.sent.len(), 2);
    let auth = h
        .last()
        .headers
        .get(HeaderName::AUTHORIZATION)
        .expect("answered the challenge");
    assert!(
        auth.contains("username=\"1000\"") && auth.contains("nc=00000001"),
        "{auth}"
    );
    assert!(
        h.last().cseq().expect("cseq").seq > h.sent[0].cseq().expect("cseq").seq,
        "CSeq goes up"
    );
    h.answer(
        200,
        "OK",
        &[("Contact", "<sip:1000@127.0.0.1:40000>;expires=300")],
    );
    assert_eq!(
        h.events.last(),
        Some(&RegistrationEvent::Registered {
            expires: 300,
            contact: "sip:1000@127.0.0.1:40000".into()
        })
    );
    assert_eq!(h.reg.state(), RegistrationState::Registered);
    let refresh_at = h.reg.poll_timeout().expect("refresh scheduled");
    let refresh_in = refresh_at - h.now;
    assert!(
        refresh_in < Duration::from_secs(300) && refresh_in >= Duration::from_secs(240),
        "{refresh_in:?}"
    );
    h.advance(refresh_in);
    assert_eq!(h.sent.len(), 3, "refresh sent");
    let auth = h
        .last()
        .headers
        .get(HeaderName::AUTHORIZATION)
        .expect("pre-emptive credentials on refresh");
    assert!(auth.contains("nc=00000002"), "{auth}");
}

#[test]
fn wrong_password_fails_once_without_a_retry_storm() {
    let mut h = Harness::new(None);
    h.answer(401, "Unauthorized", &[("WWW-Authenticate", CHALLENGE)]);
    h.answer(
        401,
        "Unauthorized",
        &[(
            "WWW-Authenticate",
            "Digest realm=\"127.0.0.1\", nonce=\"n2\", qop=\"auth\"",
        )],
    );
    let failed = h.events.last().expect("an event");
    assert!(
        matches!(
            failed,
            RegistrationEvent::Failed {
                kind: FailureKind::Unauthorized,
                code: Some(401),
                retry_in: None,
                ..
            }
        ),
        "{failed:?}"
    );
    assert_eq!(h.reg.state(), RegistrationState::Failed);
    assert_eq!(h.reg.poll_timeout(), None, "no retry is scheduled");
    h.advance(Duration::from_secs(3600));
    assert_eq!(h.sent.len(), 2, "nothing more is sent");
}

#[test]
fn stale_nonce_gets_one_silent_retry() {
    let mut h = Harness::new(None);
    h.answer(401, "Unauthorized", &[("WWW-Authenticate", CHALLENGE)]);
    h.answer(
        401,
        "Unauthorized",
        &[(
            "WWW-Authenticate",
            "Digest realm=\"127.0.0.1\", nonce=\"n2\", qop=\"auth\", stale=true",
        )],
    );
    assert!(h.events.is_empty(), "no failure reported: {:?}", h.events);
    let auth = h
        .last()
        .headers
        .get(HeaderName::AUTHORIZATION)
        .expect("retried");
    assert!(auth.contains("nonce=\"n2\""), "{auth}");
    h.answer(200, "OK", &[("Expires", "600")]);
    assert!(matches!(
        h.events.last(),
        Some(RegistrationEvent::Registered { expires: 600, .. })
    ));
}

#[test]
fn a_second_stale_in_a_row_is_a_failure_not_a_loop() {
    let mut h = Harness::new(None);
    h.answer(401, "Unauthorized", &[("WWW-Authenticate", CHALLENGE)]);
    for nonce in ["n2", "n3"] {
        let challenge = format!("Digest realm=\"127.0.0.1\", nonce=\"{nonce}\", stale=true");
        h.answer(
            401,
            "Unauthorized",
            &[("WWW-Authenticate", challenge.as_str())],
        );
    }
    assert!(matches!(
        h.events.last(),
        Some(RegistrationEvent::Failed {
            kind: FailureKind::Unauthorized,
            ..
        })
    ));
    assert_eq!(h.sent.len(), 3);
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut h = Harness::new(None);
    h.answer(423, "Interval Too Brief", &[("Min-Expires", "1800")]);
    assert_eq!(h.sent.len(), 2);
    assert_eq!(h.last().headers.get(HeaderName::EXPIRES), Some("1800"));
    h.answer(
        200,
        "OK",
        &[("Contact", "<sip:1000@127.0.0.1:40000>;expires=1800")],
    );
    assert!(matches!(
        h.events.last(),
        Some(RegistrationEvent::Registered { expires: 1800, .. })
    ));
}

#[test]
fn service_unavailable_waits_for_retry_after() {
    let mut h = Harness::new(None);
    h.answer(503, "Service Unavailable", &[("Retry-After", "7")]);
    assert!(matches!(
        h.events.last(),
        Some(RegistrationEvent::Failed { kind: FailureKind::ServerError, code: Some(503), retry_in: Some(d), .. }) if *d == Duration::from_secs(7)
    ));
    h.advance(Duration::from_millis(6900));
    assert_eq!(h.sent.len(), 1, "not before Retry-After");
    h.advance(Duration::from_millis(100));
    assert_eq!(h.sent.len(), 2, "retried when Retry-After elapsed");
}

#[test]
fn no_answer_backs_off_exponentially() {
    let mut h = Harness::new(None);
    let mut delays = vec![];
    for _ in 0..4 {
        h.reg.handle_transaction_timeout(h.now);
        h.drain();
        let Some(RegistrationEvent::Failed {
            kind: FailureKind::Timeout,
            retry_in: Some(d),
            ..
        }) = h.events.last().cloned()
        else {
            panic!("expected a timeout failure, got {:?}", h.events.last());
        };
        delays.push(d);
        h.advance(d);
    }
    assert_eq!(h.sent.len(), 5);
    // 2, 4, 8, 16 s with ±20 % jitter.
    for (delay, base) in delays.iter().zip([2.0, 4.0, 8.0, 16.0]) {
        let secs = delay.as_secs_f64();
        assert!(secs >= base * 0.8 && secs <= base * 1.2, "{delays:?}");
    }
}

#[test]
fn unregister_sends_expires_zero_for_our_contact_only() {
    let mut h = Harness::new(None);
    h.answer(200, "OK", &[("Expires", "600")]);
    h.reg.unregister(h.now);
    h.drain();
    let request = h.last();
    assert_eq!(request.headers.get(HeaderName::EXPIRES), Some("0"));
    let contact = request.headers.get(HeaderName::CONTACT).expect("contact");
    assert!(
        contact.contains("sip:1000@127.0.0.1:40000") && contact.contains("expires=0"),
        "{contact}"
    );
    h.answer(200, "OK", &[]);
    assert_eq!(h.events.last(), Some(&RegistrationEvent::Unregistered));
    assert_eq!(h.reg.state(), RegistrationState::Idle);
}

#[test]
fn credentials_are_never_offered_to_another_realm() {
    let mut h = Harness::new(Some("pbx.example.com"));
    h.answer(
        401,
        "Unauthorized",
        &[(
            "WWW-Authenticate",
            "Digest realm=\"evil.example.net\", nonce=\"x\"",
        )],
    );
    assert!(
        h.sent
            .iter()
            .all(|r| r.headers.get(HeaderName::AUTHORIZATION).is_none()),
        "no answer went out"
    );
    assert!(matches!(
        h.events.last(),
        Some(RegistrationEvent::Failed {
            kind: FailureKind::ChallengeRefused,
            retry_in: None,
            ..
        })
    ));
}

#[test]
fn registrar_restart_forgetting_nonces_is_not_a_wrong_password() {
    let mut h = Harness::new(None);
    h.answer(401, "Unauthorized", &[("WWW-Authenticate", CHALLENGE)]);
    h.answer(200, "OK", &[("Expires", "60")]);
    // Refresh with pre-emptive credentials; the restarted registrar knows none of its old nonces.
    h.advance(h.reg.poll_timeout().expect("refresh") - h.now);
    h.answer(
        401,
        "Unauthorized",
        &[(
            "WWW-Authenticate",
            "Digest realm=\"127.0.0.1\", nonce=\"fresh\", qop=\"auth\"",
        )],
    );
    assert!(h
        .last()
        .headers
        .get(HeaderName::AUTHORIZATION)
        .is_some_and(|a| a.contains("nonce=\"fresh\"")));
    h.answer(200, "OK", &[("Expires", "60")]);
    assert!(
        matches!(h.events.last(), Some(RegistrationEvent::Registered { .. })),
        "{:?}",
        h.events
    );
}

#[test]
fn quitting_before_ever_registering_sends_nothing_more() {
    let mut h = Harness::new(None);
    h.reg.handle_transaction_timeout(h.now);
    h.drain();
    h.reg.unregister(h.now);
    h.drain();
    assert_eq!(
        h.sent.len(),
        1,
        "no Expires: 0 for a binding that never existed"
    );
    assert_eq!(h.events.last(), Some(&RegistrationEvent::Unregistered));
}

#[test]
fn behind_a_nat_the_address_the_registrar_saw_is_registered_instead() {
    let mut h = Harness::new(None);
    let mut response = SipMessage::response_to(h.last(), 200, "OK");
    let via = h
        .last()
        .headers
        .get(HeaderName::VIA)
        .unwrap_or("SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKx;rport");
    let via = format!(
        "{};received=203.0.113.7",
        via.replace(";rport", ";rport=61000")
    );
    response.headers.set(HeaderName::VIA, via.as_str());
    response.headers.push(HeaderName::EXPIRES, "600");
    h.reg.handle_response(h.now, &response);
    h.drain();
    assert!(h.events.is_empty(), "not registered yet: {:?}", h.events);
    let contacts: Vec<&str> = h.last().headers.get_all(HeaderName::CONTACT).collect();
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert!(
        contacts[0].contains("sip:1000@203.0.113.7:61000"),
        "{contacts:?}"
    );
    assert!(
        contacts[1].contains("sip:1000@127.0.0.1:40000") && contacts[1].contains("expires=0"),
        "{contacts:?}"
    );
    // The registrar now sees the same address it is told: registered, no further rewrite.
    let mut response = SipMessage::response_to(h.last(), 200, "OK");
    response.headers.set(HeaderName::VIA, via.as_str());
    response.headers.push(
        HeaderName::CONTACT,
        "<sip:1000@203.0.113.7:61000>;expires=600",
    );
    h.reg.handle_response(h.now, &response);
    h.drain();
    assert_eq!(
        h.events.last(),
        Some(&RegistrationEvent::Registered {
            expires: 600,
            contact: "sip:1000@203.0.113.7:61000".into()
        })
    );
}
