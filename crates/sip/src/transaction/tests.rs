//! Matching, ACK construction and the layer's routing; the timer schedules are in
//! `tests/transaction_timers.rs`.

// A failed unwrap in a test is the test failing, with the value in the message.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::*;
use crate::flow::TransportKind;
use crate::message::HeaderName;

const UDP: TransportKind = TransportKind::Udp;

fn invite_with_branch(branch: &str) -> SipMessage {
    let mut r = SipMessage::request(Method::Invite, "sip:bob@biloxi.example.com");
    r.headers.push(
        HeaderName::VIA,
        format!("SIP/2.0/UDP pc33.atlanta.example.com;branch={branch}"),
    );
    r.headers.push(
        HeaderName::VIA,
        "SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1",
    );
    r.headers.push(
        HeaderName::ROUTE,
        "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
    );
    r.headers.push(HeaderName::ROUTE, "<sip:p3.example.com;lr>");
    r.headers.push(HeaderName::MAX_FORWARDS, "69");
    r.headers.push(
        HeaderName::FROM,
        "Alice <sip:alice@atlanta.example.com>;tag=1928301774",
    );
    r.headers
        .push(HeaderName::TO, "Bob <sip:bob@biloxi.example.com>");
    r.headers.push(
        HeaderName::CALL_ID,
        "a84b4c76e66710@pc33.atlanta.example.com",
    );
    r.headers.push(HeaderName::CSEQ, "314159 INVITE");
    r.headers
        .push(HeaderName::CONTACT, "<sip:alice@pc33.atlanta.example.com>");
    r.headers.push(HeaderName::CONTENT_TYPE, "application/sdp");
    r.body = bytes::Bytes::from_static(b"v=0\r\n");
    r
}

fn invite() -> SipMessage {
    invite_with_branch(&new_branch())
}

fn respond(to: &SipMessage, code: u16) -> SipMessage {
    let mut r = SipMessage::response_to(to, code, "Reason");
    if code > 100 {
        r.headers.set(
            HeaderName::TO,
            "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
        );
    }
    r
}

/// The same request with another method (CSeq too), keeping branch, Call-ID, tags.
fn with_method(request: &SipMessage, method: Method) -> SipMessage {
    let mut r = request.clone();
    r.start = crate::message::StartLine::Request {
        method: method.clone(),
        uri: request.request_uri().unwrap().to_owned(),
    };
    let seq = request.cseq().unwrap().seq;
    r.headers.set(HeaderName::CSEQ, format!("{seq} {method}"));
    r
}

fn drain(tx: &mut ClientInvite) -> Vec<Output> {
    std::iter::from_fn(|| tx.poll_output()).collect()
}

#[test]
fn new_branch_carries_the_magic_cookie_and_is_unique() {
    let a = new_branch();
    let b = new_branch();
    assert!(a.starts_with("z9hG4bK"));
    assert!(a.len() >= MAGIC_COOKIE.len() + 16);
    assert!(a[MAGIC_COOKIE.len()..]
        .chars()
        .all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a, b);
}

#[test]
fn ack_for_a_non_2xx_follows_rfc_3261_17_1_1_3() {
    let now = Instant::now();
    let invite = invite();
    let mut tx = ClientInvite::new(now, invite.clone(), UDP, TimerConfig::default()).unwrap();
    drain(&mut tx);
    let busy = respond(&invite, 486);
    tx.handle_response(now, busy.clone()).unwrap();
    let outputs = drain(&mut tx);
    let Some(Output::Transmit(wire)) = outputs.first() else {
        panic!("expected the ACK first, got {outputs:?}");
    };
    assert_eq!(outputs[1], Output::Response(busy.clone()));
    let ack = SipMessage::parse(wire).unwrap();

    assert_eq!(ack.method(), Some(&Method::Ack));
    assert_eq!(ack.request_uri(), invite.request_uri(), "same Request-URI");
    assert_eq!(ack.call_id(), invite.call_id());
    assert_eq!(ack.from(), invite.from());
    assert_eq!(
        ack.to(),
        busy.to(),
        "To from the response, with the UAS's tag"
    );
    assert_eq!(ack.to().unwrap().tag(), Some("a6c85cf"));
    let cseq = ack.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (314159, Method::Ack));
    let vias = ack.vias().unwrap();
    assert_eq!(
        vias,
        vec![invite.top_via().unwrap()],
        "only the INVITE's top Via"
    );
    let routes: Vec<&str> = ack.headers.values(HeaderName::ROUTE).collect();
    assert_eq!(
        routes,
        [
            "<sip:p1.example.com;lr>",
            "<sip:p2.example.com;lr>",
            "<sip:p3.example.com;lr>"
        ]
    );
    assert_eq!(ack.headers.get(HeaderName::MAX_FORWARDS), Some("69"));
    assert_eq!(ack.headers.get(HeaderName::CONTACT), None);
    assert!(ack.body.is_empty());

    // The ACK matches the INVITE server transaction at the far end (§17.2.3).
    assert_eq!(
        TransactionKey::for_server_request(&ack).unwrap(),
        TransactionKey::for_server_request(&invite).unwrap()
    );

    // A retransmitted 486 is absorbed and re-ACKed with the same bytes.
    tx.handle_response(now + Duration::from_millis(500), busy)
        .unwrap();
    assert_eq!(drain(&mut tx), [Output::Transmit(wire.clone())]);
}

#[test]
fn responses_match_by_branch_and_cseq_method_only() {
    let now = Instant::now();
    let invite = invite();
    let mut tx = ClientInvite::new(now, invite.clone(), UDP, TimerConfig::default()).unwrap();

    // Same branch, CSeq method CANCEL: the CANCEL transaction's response, not ours (§9.1, §17.1.3).
    let cancel_ok = respond(&with_method(&invite, Method::Cancel), 200);
    assert_eq!(
        tx.handle_response(now, cancel_ok),
        Err(TransactionError::Mismatch)
    );
    // Another branch: someone else's.
    let other = respond(&invite_with_branch(&new_branch()), 180);
    assert_eq!(
        tx.handle_response(now, other),
        Err(TransactionError::Mismatch)
    );
    assert_eq!(tx.state(), ClientInviteState::Calling);
    // The bottom Via's sent-by or a different top sent-by does not matter to a client (§17.1.3).
    let mut ringing = respond(&invite, 180);
    let via = invite
        .top_via()
        .unwrap()
        .to_string()
        .replace("pc33", "elsewhere");
    ringing.headers.remove(&HeaderName::VIA);
    ringing.headers.push(HeaderName::VIA, via);
    tx.handle_response(now, ringing).unwrap();
    assert_eq!(tx.state(), ClientInviteState::Proceeding);
}

#[test]
fn layer_routes_responses_by_key_and_hands_unmatched_ones_up_as_strays() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let invite = invite();
    let key = layer.send_request(now, invite.clone(), UDP).unwrap();
    assert_eq!(
        key,
        TransactionKey::Client {
            branch: invite.top_via().unwrap().branch().unwrap().to_owned(),
            method: Method::Invite,
        }
    );
    assert!(matches!(layer.poll_output(), Some((k, Output::Transmit(_))) if k == key));

    let ringing = respond(&invite, 180);
    assert_eq!(
        layer.handle_incoming(now, ringing.clone(), UDP),
        Ok(Incoming::Response {
            key: key.clone(),
            msg: ringing
        })
    );
    let wrong_method = respond(&with_method(&invite, Method::Bye), 200);
    assert_eq!(
        layer.handle_incoming(now, wrong_method.clone(), UDP),
        Ok(Incoming::Stray(wrong_method))
    );
    let wrong_branch = respond(&invite_with_branch(&new_branch()), 200);
    assert_eq!(
        layer.handle_incoming(now, wrong_branch.clone(), UDP),
        Ok(Incoming::Stray(wrong_branch))
    );

    // 2xx: Accepted; a retransmission still comes up as this transaction's response.
    let ok = respond(&invite, 200);
    for _ in 0..2 {
        assert_eq!(
            layer.handle_incoming(now, ok.clone(), UDP),
            Ok(Incoming::Response {
                key: key.clone(),
                msg: ok.clone()
            })
        );
    }
    // After timer M the transaction is gone and a late 2xx is the dialog layer's stray.
    layer.handle_timeout(now + Duration::from_secs(32));
    assert!(layer.is_empty());
    assert_eq!(layer.poll_output(), Some((key, Output::Terminated)));
    assert_eq!(
        layer.handle_incoming(now, ok.clone(), UDP),
        Ok(Incoming::Stray(ok))
    );
}

#[test]
fn layer_creates_server_transactions_and_routes_retransmissions_ack_and_cancel() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let invite = invite();
    let Ok(Incoming::NewRequest { key, msg }) = layer.handle_incoming(now, invite.clone(), UDP)
    else {
        panic!("an INVITE makes a server transaction");
    };
    assert_eq!(msg, invite);
    assert!(
        matches!(key, TransactionKey::Server { ref sent_by, .. } if sent_by == "pc33.atlanta.example.com")
    );

    // A retransmission is absorbed by its transaction, not a new request.
    assert_eq!(
        layer.handle_incoming(now, invite.clone(), UDP),
        Ok(Incoming::Absorbed)
    );

    // CANCEL has its own transaction (same branch, method CANCEL) that names the INVITE's.
    let cancel = with_method(&invite, Method::Cancel);
    let Ok(Incoming::NewRequest {
        key: cancel_key, ..
    }) = layer.handle_incoming(now, cancel, UDP)
    else {
        panic!("a CANCEL makes its own server transaction");
    };
    assert_ne!(cancel_key, key);
    assert_eq!(cancel_key.cancelled_invite(), Some(key.clone()));
    assert!(layer.contains(&key));
    let cancel_req = with_method(&invite, Method::Cancel);
    layer
        .respond(now, &cancel_key, respond(&cancel_req, 200))
        .unwrap();
    layer.respond(now, &key, respond(&invite, 487)).unwrap();

    // The ACK for the 487 matches the INVITE transaction and is absorbed there.
    let ack = build_ack(&invite, &respond(&invite, 487)).unwrap();
    assert_eq!(layer.handle_incoming(now, ack, UDP), Ok(Incoming::Absorbed));

    // An ACK with a branch of its own acknowledges a 2xx: the dialog layer's (§17.2.3).
    let mut ack_2xx = with_method(&invite, Method::Ack);
    ack_2xx.headers.remove(&HeaderName::VIA);
    ack_2xx.headers.push(
        HeaderName::VIA,
        format!(
            "SIP/2.0/UDP pc33.atlanta.example.com;branch={}",
            new_branch()
        ),
    );
    assert_eq!(
        layer.handle_incoming(now, ack_2xx.clone(), UDP),
        Ok(Incoming::Stray(ack_2xx))
    );
    // The same branch from another sent-by is another transaction (§17.2.3).
    let mut spoof = invite.clone();
    let via = invite
        .top_via()
        .unwrap()
        .to_string()
        .replace("pc33", "mallory");
    spoof.headers.remove(&HeaderName::VIA);
    spoof.headers.push(HeaderName::VIA, via);
    assert!(matches!(
        layer.handle_incoming(now, spoof, UDP),
        Ok(Incoming::NewRequest { .. })
    ));
}

#[test]
fn rfc_2543_requests_are_matched_without_a_cookie_branch() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let invite = invite_with_branch("1");
    let Ok(Incoming::NewRequest { key, .. }) = layer.handle_incoming(now, invite.clone(), UDP)
    else {
        panic!("an RFC 2543 INVITE makes a server transaction");
    };
    assert!(matches!(key, TransactionKey::Legacy { .. }));
    assert_eq!(
        layer.handle_incoming(now, invite.clone(), UDP),
        Ok(Incoming::Absorbed)
    );
    layer.respond(now, &key, respond(&invite, 404)).unwrap();
    let ack = build_ack(&invite, &respond(&invite, 404)).unwrap();
    assert_eq!(layer.handle_incoming(now, ack, UDP), Ok(Incoming::Absorbed));
}

#[test]
fn messages_without_via_or_cseq_are_errors_not_panics() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let mut no_via = invite();
    no_via.headers.remove(&HeaderName::VIA);
    let mut no_cseq = invite();
    no_cseq.headers.remove(&HeaderName::CSEQ);
    let mut no_branch = invite();
    no_branch
        .headers
        .set(HeaderName::VIA, "SIP/2.0/UDP pc33.atlanta.example.com");
    for msg in [no_via.clone(), no_cseq.clone()] {
        assert!(matches!(
            layer.handle_incoming(now, msg.clone(), UDP),
            Err(TransactionError::Malformed(_))
        ));
        assert!(matches!(
            layer.handle_incoming(now, respond(&msg, 200), UDP),
            Err(TransactionError::Malformed(_))
        ));
        assert!(layer.send_request(now, msg, UDP).is_err());
    }
    assert_eq!(
        layer.handle_incoming(now, respond(&no_branch, 200), UDP),
        Err(TransactionError::MissingBranch)
    );
    assert_eq!(
        layer.send_request(now, invite_with_branch("abc"), UDP),
        Err(TransactionError::BranchWithoutCookie("abc".into()))
    );
    assert!(matches!(
        layer.send_request(now, with_method(&invite(), Method::Ack), UDP),
        Err(TransactionError::WrongMethod(Method::Ack))
    ));
    let mut odd = respond(&invite(), 200);
    odd.start = crate::message::StartLine::Response {
        code: 99,
        reason: "x".into(),
    };
    let mut tx = ClientInvite::new(now, invite(), UDP, TimerConfig::default()).unwrap();
    assert_eq!(
        tx.handle_response(now, odd),
        Err(TransactionError::BadStatus(99))
    );
    assert!(layer.is_empty());
}

#[test]
fn a_reused_branch_is_refused_and_the_tu_cannot_answer_twice() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let options = with_method(&invite(), Method::Options);
    layer.send_request(now, options.clone(), UDP).unwrap();
    assert_eq!(
        layer.send_request(now, options.clone(), UDP),
        Err(TransactionError::DuplicateKey)
    );

    let mut server =
        ServerNonInvite::new(now, options.clone(), UDP, TimerConfig::default()).unwrap();
    server.send_response(now, respond(&options, 200)).unwrap();
    assert_eq!(
        server.send_response(now, respond(&options, 500)),
        Err(TransactionError::ResponseRefused {
            code: 500,
            state: "Completed"
        })
    );
    let unknown = TransactionKey::for_server_request(&options).unwrap();
    assert_eq!(
        layer.respond(now, &unknown, respond(&options, 200)),
        Err(TransactionError::UnknownTransaction)
    );
}

#[test]
fn transport_errors_reach_the_tu_and_end_the_transaction() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let key = layer
        .send_request(now, invite(), TransportKind::Tcp)
        .unwrap();
    let _ = layer.poll_output();
    layer.handle_transport_error(now, &key).unwrap();
    assert_eq!(
        layer.poll_output(),
        Some((key.clone(), Output::TransportError))
    );
    assert_eq!(layer.poll_output(), Some((key.clone(), Output::Terminated)));
    assert!(!layer.contains(&key));
    assert_eq!(
        layer.handle_transport_error(now, &key),
        Err(TransactionError::UnknownTransaction)
    );
}

#[test]
fn layer_reports_timer_f_to_the_tu_after_eleven_transmissions() {
    let now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let key = layer
        .send_request(now, with_method(&invite(), Method::Register), UDP)
        .unwrap();
    let mut transmits = 0;
    let mut events = Vec::new();
    let mut clock = now;
    loop {
        while let Some((k, output)) = layer.poll_output() {
            assert_eq!(k, key);
            match output {
                Output::Transmit(_) => transmits += 1,
                other => events.push((clock - now, other)),
            }
        }
        let Some(next) = layer.next_timeout() else {
            break;
        };
        clock = next;
        layer.handle_timeout(clock);
    }
    assert_eq!(transmits, 11);
    assert_eq!(
        events,
        [
            (Duration::from_secs(32), Output::Timeout),
            (Duration::from_secs(32), Output::Terminated)
        ]
    );
}
