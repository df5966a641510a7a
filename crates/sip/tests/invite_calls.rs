//! Whole calls between two INVITE sessions over a simulated link with a virtual clock: set-up,
//! offer/answer, rejection, timeouts, routing and in-dialog requests.

mod invite_common;

use std::time::Duration;

use dialtone_sip::invite::{Body, EndReason, SessionEvent, SessionState};
use dialtone_sip::message::{HeaderName, Method};
use dialtone_sip::transaction::new_branch;
use invite_common::{sdp, start_line, Bench, Who, ALICE_SDP, BOB_SDP};

#[test]
fn basic_call_exchanges_offer_and_answer_and_ends_with_bye() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    assert_eq!(bench.bob.session().remote_sdp(), Some(&sdp(ALICE_SDP)));
    bench.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
    bench.run();
    assert!(bench
        .alice
        .events
        .iter()
        .any(|e| matches!(e, SessionEvent::Progress { code: 180, .. })));
    assert_eq!(bench.alice.session().state(), SessionState::Early);

    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept");
    bench.run();
    assert!(bench.alice.events.contains(&SessionEvent::Answered {
        body: Some(sdp(BOB_SDP))
    }));
    assert!(bench.alice.events.contains(&SessionEvent::Confirmed));
    assert!(bench.bob.events.contains(&SessionEvent::Confirmed));
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
    assert_eq!(bench.sent(Who::Alice, "ACK").len(), 1);

    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    assert_eq!(bench.alice.ended(), Some(&EndReason::LocalBye));
    assert_eq!(bench.bob.ended(), Some(&EndReason::RemoteBye));
    assert!(bench.alice.session().is_terminated());
    assert!(bench.bob.session().is_terminated());
    // The 2xx was ACKed at once, so it was never retransmitted.
    bench.advance(Duration::from_secs(40));
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200 OK (1 INVITE)").len(), 1);
}

#[test]
fn late_offer_puts_the_offer_in_the_200_and_the_answer_in_the_ack() {
    let mut bench = Bench::new(None);
    bench.call(None);
    bench.run();
    assert_eq!(bench.bob.session().remote_sdp(), None);
    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept with our offer");
    bench.run();
    assert!(bench
        .alice
        .events
        .contains(&SessionEvent::Answered { body: None }));
    assert!(bench
        .alice
        .events
        .contains(&SessionEvent::OfferReceived { body: sdp(BOB_SDP) }));
    assert_eq!(bench.alice.session().state(), SessionState::Accepted);

    bench
        .act(Who::Alice, |s, now| s.answer(now, sdp(ALICE_SDP)))
        .expect("answer in the ACK");
    bench.run();
    let acks = bench.sent(Who::Alice, "ACK");
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0.body, ALICE_SDP.as_bytes());
    assert!(bench.bob.events.contains(&SessionEvent::AnswerReceived {
        body: sdp(ALICE_SDP)
    }));
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
}

#[test]
fn busy_callee_fails_the_call_with_486() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench
        .act(Who::Bob, |s, now| s.reject(now, 486, "Busy Here"))
        .expect("reject");
    bench.run();
    let reason = bench.alice.ended().expect("ended").clone();
    assert_eq!(reason.status(), Some(486));
    assert_eq!(bench.bob.ended(), Some(&EndReason::Declined { code: 486 }));
    // The transaction ACKed the 486 (hop by hop), not the session.
    assert_eq!(bench.sent(Who::Alice, "ACK").len(), 1);
    assert!(bench.alice.session().is_terminated());
}

#[test]
fn unknown_number_fails_the_call_with_404() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench
        .act(Who::Bob, |s, now| s.reject(now, 404, "Not Found"))
        .expect("reject");
    bench.run();
    assert_eq!(
        bench.alice.ended(),
        Some(&EndReason::Rejected {
            code: 404,
            reason: "Not Found".into()
        })
    );
}

#[test]
fn no_answer_at_all_fails_with_408_after_timer_b() {
    let mut bench = Bench::new(None);
    bench.drop_if = Some(Box::new(|from, _| from == Who::Alice));
    bench.call(Some(sdp(ALICE_SDP)));
    bench.advance(Duration::from_secs(31));
    assert_eq!(bench.alice.ended(), None);
    bench.advance(Duration::from_secs(2));
    let reason = bench.alice.ended().expect("timer B ended the call");
    assert_eq!(reason, &EndReason::NoAnswer);
    assert_eq!(reason.status(), Some(408));
    // Timer A retransmitted the INVITE: 0.5, 1, 2, 4, 8, 16 s.
    assert_eq!(bench.sent(Who::Alice, "INVITE").len(), 7);
}

#[test]
fn record_route_set_is_used_for_bye_in_both_directions() {
    let mut bench = Bench::new(None);
    bench.record_route = Some("<sip:proxy.example.com;lr>".into());
    bench.establish();
    let dialog = bench.alice.session().dialog().expect("dialog").clone();
    assert_eq!(dialog.route_set(), ["<sip:proxy.example.com;lr>"]);
    assert_eq!(dialog.remote_target(), "sip:bob@bob.example.com:5060");

    bench.act(Who::Bob, |s, now| s.hangup(now)).expect("hangup");
    bench.run();
    let (bye, _) = bench.sent(Who::Bob, "BYE").pop().expect("Bob's BYE");
    assert_eq!(bye.request_uri(), Some("sip:alice@alice.example.com:5060"));
    assert_eq!(
        bye.headers.get(HeaderName::ROUTE),
        Some("<sip:proxy.example.com;lr>")
    );
    assert_eq!(bench.alice.ended(), Some(&EndReason::RemoteBye));
}

#[test]
fn callers_bye_follows_the_route_set_to_the_callee_contact() {
    let mut bench = Bench::new(None);
    bench.record_route = Some("<sip:proxy.example.com;lr>".into());
    bench.establish();
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    let (bye, _) = bench.sent(Who::Alice, "BYE").pop().expect("Alice's BYE");
    assert_eq!(bye.request_uri(), Some("sip:bob@bob.example.com:5060"));
    assert_eq!(
        bye.headers.get(HeaderName::ROUTE),
        Some("<sip:proxy.example.com;lr>")
    );
}

/// Alice sends an in-dialog request built on her dialog (the sessions do not send INFO).
fn send_in_dialog(bench: &mut Bench, method: Method, body: Option<Body>, cseq: Option<u32>) {
    let mut dialog = bench.alice.session().dialog().expect("dialog").clone();
    let mut request = dialog.create_request(method.clone());
    if let Some(seq) = cseq {
        request
            .headers
            .set(HeaderName::CSEQ, format!("{seq} {method}"));
    }
    request.headers.push_front(
        HeaderName::VIA,
        format!("SIP/2.0/UDP alice.example.com:5060;branch={}", new_branch()),
    );
    if let Some(body) = body {
        request
            .headers
            .push(HeaderName::CONTENT_TYPE, body.content_type.clone());
        request.body = body.bytes;
    }
    let now = bench.now;
    bench
        .alice
        .layer
        .send_request(now, request, dialtone_sip::flow::TransportKind::Udp)
        .expect("transaction");
    bench.run();
}

#[test]
fn info_dtmf_relay_reaches_the_phone_as_a_digit() {
    let mut bench = Bench::new(None);
    bench.establish();
    let body = Body {
        content_type: "application/dtmf-relay".into(),
        bytes: "Signal=5\r\nDuration=160\r\n".into(),
    };
    send_in_dialog(&mut bench, Method::Info, Some(body), None);
    assert!(bench.bob.events.contains(&SessionEvent::Dtmf {
        digit: '5',
        duration_ms: Some(160)
    }));
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200 OK (2 INFO)").len(), 1);

    let other = Body {
        content_type: "text/plain".into(),
        bytes: "hello".into(),
    };
    send_in_dialog(&mut bench, Method::Info, Some(other), None);
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 415").len(), 1);
}

#[test]
fn out_of_order_cseq_gets_500_and_changes_nothing() {
    let mut bench = Bench::new(None);
    bench.establish();
    send_in_dialog(&mut bench, Method::Info, None, Some(10));
    send_in_dialog(&mut bench, Method::Info, None, Some(5));
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 500").len(), 1);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
}

#[test]
fn requests_for_an_unknown_dialog_get_481() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    // Bob's session is gone from his point of view: a late INFO on the old dialog is refused.
    bench.bob.sessions.clear();
    send_in_dialog(&mut bench, Method::Info, None, Some(20));
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 481").len(), 1);
}

#[test]
fn every_message_of_a_call_has_the_headers_a_peer_needs() {
    let mut bench = Bench::new(None);
    bench.establish();
    let (invite, _) = bench.sent(Who::Alice, "INVITE").remove(0);
    for name in [
        "Via",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Contact",
        "Max-Forwards",
    ] {
        assert!(
            invite.headers.get(HeaderName::new(name)).is_some(),
            "INVITE lacks {name}"
        );
    }
    let (ok, _) = bench.sent(Who::Bob, "SIP/2.0 200").remove(0);
    assert!(ok.to().expect("to").tag().is_some());
    assert_eq!(
        ok.headers.get(HeaderName::CONTACT),
        Some("<sip:bob@bob.example.com:5060>")
    );
    assert!(start_line(&ok).contains("1 INVITE"));
}
