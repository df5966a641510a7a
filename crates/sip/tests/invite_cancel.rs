//! CANCEL (RFC 3261 §9) and its races with the 2xx, driven through two sessions.

mod invite_common;

use std::time::Duration;

use dialtone_sip::invite::{EndReason, SessionEvent, SessionState};
use invite_common::{sdp, Bench, Who, ALICE_SDP, BOB_SDP};

#[test]
fn cancel_before_answer_ends_both_sides_with_487() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
    bench.run();
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    assert_eq!(bench.sent(Who::Alice, "CANCEL").len(), 1);
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200 OK (1 CANCEL)").len(), 1);
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 487").len(), 1);
    assert_eq!(bench.alice.ended(), Some(&EndReason::Cancelled));
    assert_eq!(bench.bob.ended(), Some(&EndReason::CancelledByCaller));
    assert!(bench.alice.session().is_terminated());
    assert!(bench.bob.session().is_terminated());
}

#[test]
fn cancel_reuses_the_invites_branch_so_it_matches_the_transaction() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
    bench.run();
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    let (invite, _) = bench.sent(Who::Alice, "INVITE").remove(0);
    let (cancel, _) = bench.sent(Who::Alice, "CANCEL").remove(0);
    assert_eq!(
        invite.top_via().expect("via").branch(),
        cancel.top_via().expect("via").branch()
    );
    assert_eq!(cancel.cseq().expect("cseq").to_string(), "1 CANCEL");
}

#[test]
fn hangup_before_any_provisional_waits_for_one_before_cancelling() {
    let mut bench = Bench::new(None);
    // Bob's 100 Trying is late: the CANCEL must wait for a provisional response (§9.1).
    bench.call(Some(sdp(ALICE_SDP)));
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    assert!(bench.sent(Who::Alice, "CANCEL").is_empty());
    bench.run();
    assert!(bench.sent(Who::Alice, "CANCEL").is_empty());
    // The 100 Trying goes out after 200 ms; then the CANCEL follows.
    bench.advance(Duration::from_millis(250));
    assert_eq!(bench.sent(Who::Alice, "CANCEL").len(), 1);
    assert_eq!(bench.alice.ended(), Some(&EndReason::Cancelled));
    assert_eq!(bench.bob.ended(), Some(&EndReason::CancelledByCaller));
}

#[test]
fn cancel_crossing_the_200_gets_ack_and_bye() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench.act(Who::Bob, |s, now| s.ring(now)).expect("ring");
    bench.run();
    // Bob answers and Alice hangs up before either message arrives.
    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept");
    bench
        .act(Who::Alice, |s, now| s.hangup(now))
        .expect("hangup");
    bench.run();
    // The CANCEL came too late at Bob: 200 to it, no 487.
    assert_eq!(bench.sent(Who::Bob, "SIP/2.0 200 OK (1 CANCEL)").len(), 1);
    assert!(bench.sent(Who::Bob, "SIP/2.0 487").is_empty());
    // Alice confirms the dialog the 2xx made, then ends it.
    assert_eq!(bench.sent(Who::Alice, "ACK").len(), 1);
    assert_eq!(bench.sent(Who::Alice, "BYE").len(), 1);
    assert_eq!(bench.alice.ended(), Some(&EndReason::Cancelled));
    assert_eq!(bench.bob.ended(), Some(&EndReason::RemoteBye));
    assert!(!bench.alice.events.contains(&SessionEvent::Confirmed));
    assert_eq!(bench.alice.session().state(), SessionState::Terminated);
}

#[test]
fn callee_hangup_before_answer_declines_with_603() {
    let mut bench = Bench::new(None);
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    bench.act(Who::Bob, |s, now| s.hangup(now)).expect("hangup");
    bench.run();
    assert_eq!(bench.alice.ended().and_then(EndReason::status), Some(603));
}
