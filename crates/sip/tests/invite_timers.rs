//! Time and loss: RFC 4028 session timers, the 2xx retransmitted until its ACK (RFC 3261
//! §13.3.1.4), and whole calls completing over a lossy UDP link.

mod invite_common;

use std::collections::HashSet;
use std::time::Duration;

use dialtone_sip::invite::{EndReason, SessionEvent, SessionState, SessionTimerConfig};
use dialtone_sip::message::HeaderName;
use invite_common::{config, sdp, start_line, Bench, Who, ALICE_SDP, BOB_SDP};

fn timer(session_expires: u32, min_se: u32) -> Option<SessionTimerConfig> {
    Some(SessionTimerConfig {
        session_expires,
        min_se,
    })
}

#[test]
fn session_timer_is_negotiated_with_the_caller_refreshing_by_update_at_half_interval() {
    let mut bench = Bench::new(timer(120, 90));
    bench.establish();
    assert_eq!(bench.alice.session().session_timer(), Some((120, true)));
    assert_eq!(bench.bob.session().session_timer(), Some((120, false)));
    let (ok, _) = bench.sent(Who::Bob, "SIP/2.0 200").remove(0);
    assert_eq!(
        ok.headers.get(HeaderName::SESSION_EXPIRES),
        Some("120;refresher=uac")
    );
    assert_eq!(ok.headers.get(HeaderName::REQUIRE), Some("timer"));

    bench.advance(Duration::from_secs(59));
    assert!(bench.sent(Who::Alice, "UPDATE").is_empty());
    bench.advance(Duration::from_secs(2));
    let updates = bench.sent(Who::Alice, "UPDATE");
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].0.headers.get(HeaderName::SESSION_EXPIRES),
        Some("120;refresher=uac")
    );
    // Refreshes keep the call up well past the interval.
    bench.advance(Duration::from_secs(600));
    assert!(bench.sent(Who::Alice, "UPDATE").len() >= 10);
    assert_eq!(bench.alice.ended(), None);
    assert_eq!(bench.bob.ended(), None);
    // A refresh does not disturb the media layer.
    assert_eq!(
        bench
            .bob
            .count(|e| matches!(e, SessionEvent::OfferReceived { .. })),
        0
    );
}

#[test]
fn session_expires_without_refresh_and_the_other_side_sends_bye() {
    let mut bench = Bench::new(timer(120, 90));
    bench.establish();
    // Alice's refreshes are lost.
    bench.drop_if = Some(Box::new(|from, msg| {
        from == Who::Alice && start_line(msg).starts_with("UPDATE")
    }));
    bench.advance(Duration::from_secs(87));
    assert_eq!(bench.bob.ended(), None);
    // 120 - min(32, 120/3) = 88 s after the 2xx, Bob gives up.
    bench.advance(Duration::from_secs(2));
    assert_eq!(bench.bob.ended(), Some(&EndReason::SessionExpired));
    assert_eq!(bench.sent(Who::Bob, "BYE").len(), 1);
    assert_eq!(bench.alice.ended(), Some(&EndReason::RemoteBye));
}

#[test]
fn refresh_by_reinvite_when_the_peer_does_not_allow_update_repeats_the_same_sdp() {
    let mut bench = Bench::new(timer(120, 90));
    // Bob's 200 is held back, so it can reach Alice without its Allow header: then Alice
    // cannot know that Bob takes UPDATE, and refreshes with a re-INVITE.
    bench.drop_if = Some(Box::new(|from, msg| {
        from == Who::Bob && start_line(msg).starts_with("SIP/2.0 200 OK (1 INVITE)")
    }));
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept");
    bench.run();
    let (mut ok, _) = bench.sent(Who::Bob, "SIP/2.0 200").remove(0);
    ok.headers.remove(&HeaderName::ALLOW);
    bench.drop_if = None;
    bench.inject(Who::Alice, ok);
    bench.advance(Duration::from_secs(61));
    let invites = bench.sent(Who::Alice, "INVITE");
    assert_eq!(invites.len(), 2, "the call's INVITE and one refresh");
    assert_eq!(invites[1].0.body, ALICE_SDP.as_bytes());
    assert_eq!(bench.alice.ended(), None);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
    assert_eq!(
        bench
            .bob
            .count(|e| matches!(e, SessionEvent::OfferReceived { .. })),
        0,
        "an unchanged offer is answered without the media layer"
    );
}

#[test]
fn interval_too_small_422_makes_the_caller_retry_with_the_callees_min_se() {
    let mut bench = Bench::with_configs(
        config("alice", timer(120, 90)),
        config("bob", timer(1800, 300)),
    );
    bench.establish();
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 422").len(), 1);
    let invites = bench.sent(Who::Alice, "INVITE");
    assert_eq!(invites.len(), 2);
    assert_eq!(
        invites[1].0.headers.get(HeaderName::SESSION_EXPIRES),
        Some("300")
    );
    assert_eq!(invites[1].0.cseq().expect("cseq").seq, 2);
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.alice.session().session_timer(), Some((300, true)));
    // Bob's first session (the refused INVITE) ended with 422; the second carries the call.
    assert_eq!(bench.bob.sessions.len(), 2);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
}

#[test]
fn the_200_is_retransmitted_until_the_ack_and_each_retransmission_gets_an_ack() {
    let mut bench = Bench::new(None);
    // The first two ACKs are lost.
    let mut lost = 0;
    bench.drop_if = Some(Box::new(move |from, msg| {
        let drop = from == Who::Alice && start_line(msg).starts_with("ACK") && lost < 2;
        if drop {
            lost += 1;
        }
        drop
    }));
    bench.establish();
    assert_eq!(bench.bob.session().state(), SessionState::Accepted);
    bench.advance(Duration::from_millis(600));
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200").len(), 2);
    assert_eq!(bench.bob.session().state(), SessionState::Accepted);
    bench.advance(Duration::from_secs(1));
    // T1 then 2*T1: the third 200 brings the third ACK, which arrives.
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200").len(), 3);
    assert_eq!(bench.sent(Who::Alice, "ACK").len(), 3);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
    bench.advance(Duration::from_secs(40));
    assert_eq!(
        bench.sent(Who::Bob, "SIP/2.0 200").len(),
        3,
        "no more after the ACK"
    );
    assert_eq!(bench.bob.ended(), None);
}

#[test]
fn no_ack_within_64_t1_ends_the_call_with_bye() {
    let mut bench = Bench::new(None);
    bench.drop_if = Some(Box::new(|from, msg| {
        from == Who::Alice && start_line(msg).starts_with("ACK")
    }));
    bench.establish();
    bench.advance(Duration::from_secs(31));
    assert_eq!(bench.bob.ended(), None);
    bench.advance(Duration::from_secs(2));
    assert_eq!(bench.bob.ended(), Some(&EndReason::AckTimeout));
    // 0.5, 1, 2, 4, 4, 4… s apart: the 2xx went out 11 times in 32 s.
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200 OK (1 INVITE)").len(), 11);
    assert_eq!(bench.sent(Who::Bob, "BYE").len(), 1);
    assert_eq!(bench.alice.ended(), Some(&EndReason::RemoteBye));
}

#[test]
fn call_completes_when_udp_loses_the_first_copy_of_every_message() {
    let mut bench = Bench::new(None);
    let mut seen = HashSet::new();
    bench.drop_if = Some(Box::new(move |from, msg| {
        seen.insert(format!("{from:?} {}", start_line(msg)))
    }));
    bench.call(Some(sdp(ALICE_SDP)));
    bench.advance(Duration::from_secs(2));
    assert_eq!(
        bench.bob.sessions.len(),
        1,
        "the retransmitted INVITE arrived"
    );
    bench.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept");
    bench.advance(Duration::from_secs(5));
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
    assert_eq!(bench.bob.session().state(), SessionState::Confirmed);
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.advance(Duration::from_secs(10));
    assert_eq!(bench.alice.ended(), Some(&EndReason::LocalBye));
    assert_eq!(bench.bob.ended(), Some(&EndReason::RemoteBye));
    assert!(bench.alice.session().is_terminated());
    assert!(bench.wire.iter().any(|(_, _, delivered)| !delivered));
}
