//! Calls between two whole user agents through a registrar/proxy, with a virtual clock: what
//! each phone reports, and what went over the wire.

mod user_agent_net;

use std::time::Duration;

use dialtone_sip::invite::{EndReason, SessionEvent, SessionState};
use dialtone_sip::message::HeaderName;
use dialtone_sip::user_agent::{CallEvent, CallId, UaError};
use user_agent_net::{sdp, Challenge, Net, Who, ALICE_SDP, BOB_SDP};

const HOLD_SDP: &str = "v=0\r\no=bob 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
const HELD_SDP: &str = "v=0\r\no=alice 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n";

/// Alice calls Bob with an offer; Bob gets it as `Incoming`. Returns both calls.
fn alice_calls_bob(net: &mut Net) -> (CallId, CallId) {
    let call = net
        .act(Who::Alice, |ua, now| {
            ua.place_call(now, "bob", Some(sdp(ALICE_SDP)))
        })
        .expect("call placed");
    let incoming = *net.bob.incoming().last().expect("Bob's phone rings");
    (call, incoming)
}

/// A call up to Confirmed on both sides.
fn established(net: &mut Net) -> (CallId, CallId) {
    let (a, b) = alice_calls_bob(net);
    net.act(Who::Bob, |ua, now| ua.ring(now, b)).expect("ring");
    net.act(Who::Bob, |ua, now| ua.accept(now, b, sdp(BOB_SDP)))
        .expect("accept");
    (a, b)
}

#[test]
fn call_rings_is_answered_with_sdp_both_ways_holds_and_ends_with_bye() {
    let mut net = Net::registered();
    let (a, b) = alice_calls_bob(&mut net);
    match net.bob.events(b).first() {
        Some(CallEvent::Incoming { from, to, offer }) => {
            assert_eq!(from.display.as_deref(), Some("Alice"));
            assert_eq!(from.uri, "sip:alice@pbx.test");
            assert!(
                from.params.value("tag").is_none(),
                "the tag is protocol detail"
            );
            assert_eq!(to.uri, "sip:bob@pbx.test");
            assert_eq!(offer.as_ref(), Some(&sdp(ALICE_SDP)));
        }
        other => panic!("Bob's first event is the incoming call: {other:?}"),
    }
    // The INVITE: our registered Contact, our Via with rport, session timers asked for.
    let invite = &net.sent(Who::Alice, "INVITE")[0];
    let contact = invite.headers.get(HeaderName::CONTACT).expect("contact");
    assert_eq!(contact, "<sip:alice@127.0.0.1:40001>");
    let via = invite.top_via().expect("via");
    assert_eq!(via.port, Some(40001));
    assert!(via.params.contains("rport"));
    assert_eq!(
        invite.vias().expect("vias").len(),
        1,
        "one Via, the session's"
    );
    assert!(invite
        .headers
        .get(HeaderName::SUPPORTED)
        .is_some_and(|s| s.contains("timer")));
    assert_eq!(invite.seconds(HeaderName::SESSION_EXPIRES), Some(1800));

    net.act(Who::Bob, |ua, now| ua.ring(now, b)).expect("ring");
    assert!(matches!(
        net.alice.session_events(a)[..],
        [SessionEvent::Progress { code: 180, .. }]
    ));
    net.act(Who::Bob, |ua, now| ua.accept(now, b, sdp(BOB_SDP)))
        .expect("accept");
    let alice_events = net.alice.session_events(a);
    assert!(alice_events.contains(&&SessionEvent::Answered {
        body: Some(sdp(BOB_SDP))
    }));
    assert!(alice_events.contains(&&SessionEvent::Confirmed));
    assert!(net
        .bob
        .session_events(b)
        .contains(&&SessionEvent::Confirmed));
    let bob_call = net.bob.ua.call(b).expect("Bob's call");
    assert_eq!(bob_call.remote_sdp(), Some(&sdp(ALICE_SDP)));
    assert_eq!(bob_call.state(), SessionState::Confirmed);

    // Bob puts Alice on hold; her phone answers the new offer.
    net.act(Who::Bob, |ua, now| ua.reinvite(now, b, sdp(HOLD_SDP)))
        .expect("hold");
    assert!(net
        .alice
        .session_events(a)
        .contains(&&SessionEvent::OfferReceived {
            body: sdp(HOLD_SDP)
        }));
    net.act(Who::Alice, |ua, now| ua.answer_offer(now, a, sdp(HELD_SDP)))
        .expect("answer the hold");
    assert!(net
        .bob
        .session_events(b)
        .contains(&&SessionEvent::AnswerReceived {
            body: sdp(HELD_SDP)
        }));

    net.act(Who::Alice, |ua, now| ua.hangup(now, a))
        .expect("hangup");
    assert_eq!(net.alice.ended(a), Some(&EndReason::LocalBye));
    assert_eq!(net.bob.ended(b), Some(&EndReason::RemoteBye));
    assert!(
        net.alice.ua.call(a).is_none() && net.bob.ua.call(b).is_none(),
        "both dropped"
    );
    assert_eq!(
        net.act(Who::Alice, |ua, now| ua.hangup(now, a)),
        Err(UaError::UnknownCall(a))
    );
    // Nothing is retransmitted afterwards: every transaction completed.
    let before = net.wire.len();
    net.advance(Duration::from_secs(64));
    assert_eq!(net.wire.len(), before, "{:?}", &net.wire[before..]);
}

#[test]
fn caller_cancels_before_the_answer_and_the_callee_hears_it() {
    let mut net = Net::registered();
    let (a, b) = alice_calls_bob(&mut net);
    net.act(Who::Bob, |ua, now| ua.ring(now, b)).expect("ring");
    net.act(Who::Alice, |ua, now| ua.hangup(now, a))
        .expect("cancel");
    assert_eq!(net.sent(Who::Alice, "CANCEL").len(), 1);
    assert_eq!(net.sent(Who::Bob, "SIP/2.0 487").len(), 1);
    assert_eq!(net.alice.ended(a), Some(&EndReason::Cancelled));
    assert_eq!(net.bob.ended(b), Some(&EndReason::CancelledByCaller));
    assert_eq!(net.alice.ua.calls().count() + net.bob.ua.calls().count(), 0);
}

#[test]
fn callee_busy_reaches_the_caller_as_486() {
    let mut net = Net::registered();
    let (a, b) = alice_calls_bob(&mut net);
    net.act(Who::Bob, |ua, now| ua.reject(now, b, 486))
        .expect("busy");
    assert!(matches!(
        net.alice.ended(a),
        Some(EndReason::Rejected { code: 486, reason }) if reason == "Busy Here"
    ));
    assert_eq!(net.bob.ended(b), Some(&EndReason::Declined { code: 486 }));
}

#[test]
fn a_call_beyond_max_calls_gets_486_without_ringing_the_phone() {
    let mut net = Net::registered();
    net.bob.ua.set_max_calls(1);
    let (_, first) = alice_calls_bob(&mut net);
    let second = net
        .act(Who::Alice, |ua, now| {
            ua.place_call(now, "bob", Some(sdp(ALICE_SDP)))
        })
        .expect("second call placed");
    assert_eq!(net.bob.incoming(), vec![first], "Bob sees one call only");
    assert!(matches!(
        net.alice.ended(second),
        Some(EndReason::Rejected { code: 486, .. })
    ));
    // The caller's own limit refuses before anything is sent.
    net.alice.ua.set_max_calls(1);
    let invites = net.sent(Who::Alice, "INVITE").len();
    assert_eq!(
        net.act(Who::Alice, |ua, now| ua.place_call(now, "bob", None)),
        Err(UaError::MaxCalls { max: 1 })
    );
    assert_eq!(net.sent(Who::Alice, "INVITE").len(), invites);
}

#[test]
fn two_concurrent_calls_to_one_phone_are_routed_separately() {
    let mut net = Net::registered();
    let (a1, b1) = alice_calls_bob(&mut net);
    let (a2, b2) = alice_calls_bob(&mut net);
    assert_ne!(a1, a2);
    assert_ne!(b1, b2);
    net.act(Who::Bob, |ua, now| ua.accept(now, b2, sdp(BOB_SDP)))
        .expect("accept the second");
    net.act(Who::Bob, |ua, now| ua.reject(now, b1, 486))
        .expect("refuse the first");
    assert!(net
        .alice
        .session_events(a2)
        .contains(&&SessionEvent::Confirmed));
    assert!(matches!(
        net.alice.ended(a1),
        Some(EndReason::Rejected { code: 486, .. })
    ));
    assert_eq!(net.alice.ended(a2), None, "the second call is still up");
    net.act(Who::Bob, |ua, now| ua.hangup(now, b2))
        .expect("hangup");
    assert_eq!(net.alice.ended(a2), Some(&EndReason::RemoteBye));
}

#[test]
fn invite_challenge_is_answered_once_for_the_registrars_realm() {
    let mut net = Net::registered();
    net.challenge = Challenge::Realm("pbx.test".into());
    let (a, b) = alice_calls_bob(&mut net);
    let invites = net.sent(Who::Alice, "INVITE");
    assert_eq!(invites.len(), 2, "the INVITE, then its authenticated retry");
    let answer = invites[1]
        .headers
        .get(HeaderName::PROXY_AUTHORIZATION)
        .expect("credentials in the retry");
    assert!(answer.contains("realm=\"pbx.test\"") && answer.contains("username=\"alice\""));
    net.act(Who::Bob, |ua, now| ua.accept(now, b, sdp(BOB_SDP)))
        .expect("accept");
    assert!(net
        .alice
        .session_events(a)
        .contains(&&SessionEvent::Confirmed));
}

#[test]
fn invite_challenge_for_a_foreign_realm_is_refused_and_no_credentials_leave() {
    let mut net = Net::registered();
    net.challenge = Challenge::Realm("evil.example".into());
    let a = net
        .act(Who::Alice, |ua, now| {
            ua.place_call(now, "bob", Some(sdp(ALICE_SDP)))
        })
        .expect("call placed");
    assert_eq!(net.sent(Who::Alice, "INVITE").len(), 1);
    assert!(net
        .wire
        .iter()
        .all(|(_, m)| m.headers.get(HeaderName::PROXY_AUTHORIZATION).is_none()));
    assert!(matches!(
        net.alice.ended(a),
        Some(EndReason::Rejected { code: 407, .. })
    ));
    assert!(net.bob.incoming().is_empty());
}

#[test]
fn losing_the_flow_ends_the_call_and_nothing_more_is_sent() {
    let mut net = Net::registered();
    let (a, _) = established(&mut net);
    net.act(Who::Alice, |ua, now| ua.flow_lost(now));
    assert_eq!(net.alice.ended(a), Some(&EndReason::TransportError));
    assert_eq!(EndReason::TransportError.status(), Some(503));
    assert!(net.alice.ua.call(a).is_none());
    assert_eq!(
        net.act(Who::Alice, |ua, now| ua.place_call(now, "bob", None)),
        Err(UaError::FlowDown)
    );
    let before = net.sent(Who::Alice, "").len();
    net.advance(Duration::from_secs(120));
    assert_eq!(
        net.sent(Who::Alice, "").len(),
        before,
        "no retransmission on a dead flow"
    );
}

#[test]
fn session_timers_keep_a_long_call_up_through_both_user_agents() {
    let mut net = Net::registered();
    let (a, b) = established(&mut net);
    net.advance(Duration::from_secs(3 * 1800));
    assert_eq!(net.alice.ended(a), None);
    assert_eq!(net.bob.ended(b), None);
    let refreshes = net.sent(Who::Alice, "UPDATE").len()
        + net.sent(Who::Bob, "UPDATE").len()
        + net.sent(Who::Alice, "INVITE").len()
        + net.sent(Who::Bob, "INVITE").len()
        - 1;
    assert!(refreshes >= 5, "refreshed every half interval: {refreshes}");
}

#[test]
fn calls_need_the_flow_and_a_callable_target() {
    let mut net = Net::new();
    assert_eq!(
        net.act(Who::Alice, |ua, now| ua.place_call(now, "bob", None)),
        Err(UaError::FlowDown)
    );
    let mut net = Net::registered();
    assert_eq!(
        net.act(Who::Alice, |ua, now| ua.place_call(now, "tel:+123", None)),
        Err(UaError::InvalidTarget("tel:+123".into()))
    );
    let call = net
        .act(Who::Alice, |ua, now| {
            ua.place_call(now, "sip:bob@pbx.test", None)
        })
        .expect("a SIP URI is called as written");
    assert_eq!(net.bob.incoming().len(), 1);
    assert!(net.alice.ua.call(call).is_some());
}

#[test]
fn late_offer_call_takes_the_answer_from_the_ack() {
    let mut net = Net::registered();
    let a = net
        .act(Who::Alice, |ua, now| ua.place_call(now, "bob", None))
        .expect("call placed");
    let b = net.bob.incoming()[0];
    assert!(matches!(
        net.bob.events(b)[0],
        CallEvent::Incoming { offer: None, .. }
    ));
    net.act(Who::Bob, |ua, now| ua.accept(now, b, sdp(BOB_SDP)))
        .expect("accept with our offer");
    assert!(net
        .alice
        .session_events(a)
        .contains(&&SessionEvent::OfferReceived { body: sdp(BOB_SDP) }));
    net.act(Who::Alice, |ua, now| {
        ua.answer_offer(now, a, sdp(ALICE_SDP))
    })
    .expect("answer in the ACK");
    assert!(net
        .bob
        .session_events(b)
        .contains(&&SessionEvent::AnswerReceived {
            body: sdp(ALICE_SDP)
        }));
    assert!(net
        .bob
        .session_events(b)
        .contains(&&SessionEvent::Confirmed));
}

#[test]
fn an_in_dialog_request_for_no_known_call_gets_481() {
    let mut net = Net::registered();
    let bye = "BYE sip:bob@127.0.0.1:40002 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnobody\r\n\
From: <sip:alice@pbx.test>;tag=x\r\n\
To: <sip:bob@pbx.test>;tag=y\r\n\
Call-ID: nobody@pbx.test\r\n\
CSeq: 2 BYE\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n";
    net.inject(Who::Bob, bye.as_bytes());
    assert_eq!(net.sent(Who::Bob, "SIP/2.0 481").len(), 1);
}

/// xorshift: a fixed, dependency-free stream of mutations.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn garbage_and_mangled_call_messages_never_panic_nor_break_the_call() {
    let mut net = Net::registered();
    let (a, b) = established(&mut net);
    let samples: Vec<Vec<u8>> = net
        .wire
        .iter()
        .map(|(_, m)| m.to_bytes().to_vec())
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..2000 {
        let mut bytes = samples[round % samples.len()].clone();
        match next(&mut seed) % 4 {
            0 => bytes.truncate((next(&mut seed) as usize) % (bytes.len() + 1)),
            1 => {
                for _ in 0..1 + next(&mut seed) % 8 {
                    let at = (next(&mut seed) as usize) % bytes.len().max(1);
                    if let Some(byte) = bytes.get_mut(at) {
                        *byte = next(&mut seed) as u8;
                    }
                }
            }
            2 => {
                let at = (next(&mut seed) as usize) % (bytes.len() + 1);
                bytes.splice(at..at, b"\r\n;tag=\"\0,<>".iter().copied());
            }
            _ => {
                bytes = (0..next(&mut seed) % 300)
                    .map(|_| next(&mut seed) as u8)
                    .collect()
            }
        }
        let who = if round % 2 == 0 { Who::Alice } else { Who::Bob };
        net.inject(who, &bytes);
    }
    // The call survived the noise: it still ends properly.
    net.act(Who::Bob, |ua, now| ua.hangup(now, b))
        .expect("hangup");
    assert_eq!(net.alice.ended(a), Some(&EndReason::RemoteBye));
}
