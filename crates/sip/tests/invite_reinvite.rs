//! Inside an established call: hold and resume by re-INVITE from either side, 491 glare
//! (RFC 3261 §14.1), UPDATE offers, and extra 2xx from forks (§13.2.2.4).

mod invite_common;

use std::time::Duration;

use dialtone_sip::invite::{EndReason, SessionError, SessionEvent, SessionState};
use dialtone_sip::message::HeaderName;
use invite_common::{sdp, Bench, Who, ALICE_SDP, BOB_SDP};

const ALICE_HOLD: &str = "v=0\r\no=alice 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
const BOB_HELD: &str = "v=0\r\no=bob 1 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n";
const BOB_HOLD: &str = "v=0\r\no=bob 1 3 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
const ALICE_HELD: &str = "v=0\r\no=alice 1 3 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n";

#[test]
fn caller_holds_and_resumes_by_reinvite() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench.bob.auto_answer = Some(sdp(BOB_HELD));
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_HOLD)))
        .expect("hold");
    bench.run();
    assert!(bench.bob.events.contains(&SessionEvent::OfferReceived {
        body: sdp(ALICE_HOLD)
    }));
    assert!(bench.alice.events.contains(&SessionEvent::AnswerReceived {
        body: sdp(BOB_HELD)
    }));
    assert_eq!(bench.alice.session().local_sdp(), Some(&sdp(ALICE_HOLD)));
    assert_eq!(
        bench.sent(Who::Alice, "ACK").len(),
        2,
        "ACK for the re-INVITE's 2xx"
    );

    bench.bob.auto_answer = Some(sdp(BOB_SDP));
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_SDP)))
        .expect("resume");
    bench.run();
    assert_eq!(bench.alice.session().remote_sdp(), Some(&sdp(BOB_SDP)));
    assert_eq!(bench.bob.session().remote_sdp(), Some(&sdp(ALICE_SDP)));
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
}

#[test]
fn callee_holds_by_reinvite_in_the_other_direction() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench.alice.auto_answer = Some(sdp(ALICE_HELD));
    bench
        .act(Who::Bob, |s, now| s.reinvite(now, sdp(BOB_HOLD)))
        .expect("hold");
    bench.run();
    assert!(bench.alice.events.contains(&SessionEvent::OfferReceived {
        body: sdp(BOB_HOLD)
    }));
    assert!(bench.bob.events.contains(&SessionEvent::AnswerReceived {
        body: sdp(ALICE_HELD)
    }));
    let (reinvite, _) = bench.sent(Who::Bob, "INVITE").remove(0);
    assert_eq!(
        reinvite.cseq().expect("cseq").seq,
        1,
        "Bob's first CSeq in the dialog"
    );
    assert_eq!(bench.sent(Who::Bob, "ACK").len(), 1);
}

#[test]
fn refused_reinvite_keeps_the_previous_session() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_HOLD)))
        .expect("hold");
    bench.run();
    bench
        .act(Who::Bob, |s, now| s.reject_offer(now, 488))
        .expect("refuse");
    bench.run();
    assert!(bench
        .alice
        .events
        .iter()
        .any(|e| matches!(e, SessionEvent::OfferRejected { code: 488, .. })));
    assert_eq!(bench.alice.session().local_sdp(), Some(&sdp(ALICE_SDP)));
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
}

#[test]
fn a_second_offer_while_one_is_pending_is_refused_locally() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_HOLD)))
        .expect("hold");
    let again = bench.act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_SDP)));
    assert_eq!(again, Err(SessionError::OfferPending));
}

#[test]
fn glare_resolves_by_backoff_with_both_reinvites_completing() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench.alice.auto_answer = Some(sdp(ALICE_HELD));
    bench.bob.auto_answer = Some(sdp(BOB_HELD));
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_HOLD)))
        .expect("alice re-INVITE");
    bench
        .act(Who::Bob, |s, now| s.reinvite(now, sdp(BOB_HOLD)))
        .expect("bob re-INVITE");
    bench.run();
    assert_eq!(bench.sent(Who::Alice, "SIP/2.0 491").len(), 1);
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 491").len(), 1);

    // Bob did not create the Call-ID: he retries within 0–2 s, Alice only after 2.1 s.
    bench.advance(Duration::from_millis(2050));
    assert_eq!(bench.sent(Who::Bob, "INVITE").len(), 2);
    assert_eq!(
        bench.sent(Who::Alice, "INVITE").len(),
        2,
        "only the first INVITE and the glared one"
    );
    assert!(bench.bob.events.contains(&SessionEvent::AnswerReceived {
        body: sdp(ALICE_HELD)
    }));
    bench.advance(Duration::from_secs(2));
    assert_eq!(bench.sent(Who::Alice, "INVITE").len(), 3);
    assert!(bench.alice.events.contains(&SessionEvent::AnswerReceived {
        body: sdp(BOB_HELD)
    }));
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
}

#[test]
fn forked_second_2xx_is_acked_and_byed_and_the_first_dialog_kept() {
    let mut bench = Bench::new(None);
    bench.establish();
    let (first, _) = bench.sent(Who::Bob, "SIP/2.0 200").remove(0);
    let mut fork = first.clone();
    fork.headers
        .set(HeaderName::TO, "<sip:bob@example.com>;tag=otherphone");
    fork.headers
        .set(HeaderName::CONTACT, "<sip:bob@desk.example.com:5062>");
    bench.inject(Who::Alice, fork.clone());

    let acks = bench.sent(Who::Alice, "ACK");
    assert_eq!(acks.len(), 2);
    assert_eq!(
        acks[1].0.request_uri(),
        Some("sip:bob@desk.example.com:5062")
    );
    let byes = bench.sent(Who::Alice, "BYE");
    assert_eq!(byes.len(), 1);
    assert_eq!(byes[0].0.to().expect("to").tag(), Some("otherphone"));
    // The kept dialog is the first one, still up.
    let dialog = bench.alice.session().dialog().expect("dialog").clone();
    assert_ne!(dialog.id().remote_tag, "otherphone");
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.alice.ended(), None);
    assert_eq!(bench.alice.count(|e| *e == SessionEvent::Confirmed), 1);

    // A retransmission of the forked 2xx gets its ACK again, not a second BYE.
    bench.inject(Who::Alice, fork);
    assert_eq!(bench.sent(Who::Alice, "ACK").len(), 3);
    assert_eq!(bench.sent(Who::Alice, "BYE").len(), 1);
}

#[test]
fn update_offer_is_passed_up_and_answered_in_its_200() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench.bob.auto_answer = Some(sdp(BOB_HELD));
    // Alice's UPDATE with an offer, built on her dialog (sessions only send UPDATE to refresh).
    let mut dialog = bench.alice.session().dialog().expect("dialog").clone();
    let mut update = dialog.create_request(dialtone_sip::message::Method::Update);
    update.headers.push_front(
        HeaderName::VIA,
        format!(
            "SIP/2.0/UDP alice.example.com:5060;branch={}",
            dialtone_sip::transaction::new_branch()
        ),
    );
    update
        .headers
        .push(HeaderName::CONTACT, "<sip:alice@alice.example.com:5060>");
    update
        .headers
        .push(HeaderName::CONTENT_TYPE, "application/sdp");
    update.body = ALICE_HOLD.as_bytes().to_vec().into();
    let now = bench.now;
    bench
        .alice
        .layer
        .send_request(now, update, dialtone_sip::flow::TransportKind::Udp)
        .expect("transaction");
    bench.run();
    assert!(bench.bob.events.contains(&SessionEvent::OfferReceived {
        body: sdp(ALICE_HOLD)
    }));
    let (ok, _) = bench.sent(Who::Bob, "SIP/2.0 200 OK (2 UPDATE)").remove(0);
    assert_eq!(ok.body, BOB_HELD.as_bytes());
}

#[test]
fn bye_during_a_pending_reinvite_offer_answers_it_487() {
    let mut bench = Bench::new(None);
    bench.establish();
    bench
        .act(Who::Alice, |s, now| s.reinvite(now, sdp(ALICE_HOLD)))
        .expect("hold");
    bench.run();
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 487").len(), 1);
    assert_eq!(bench.bob.ended(), Some(&EndReason::RemoteBye));
}
