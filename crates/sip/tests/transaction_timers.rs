//! Transaction timers on a virtual clock (RFC 3261 §17, RFC 6026): every instant is a fixed base
//! plus an offset, nothing sleeps, and each test runs a whole exchange in microseconds.

// A failed unwrap in a test is the test failing, with the value in the message.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dialtone_sip::flow::TransportKind;
use dialtone_sip::message::{HeaderName, Method, SipMessage};
use dialtone_sip::transaction::{
    new_branch, ClientInvite, ClientInviteState, ClientNonInvite, ClientNonInviteState, Incoming,
    Output, ServerInvite, ServerInviteState, ServerNonInvite, ServerNonInviteState, TimerConfig,
    TransactionKey, TransactionLayer,
};

const UDP: TransportKind = TransportKind::Udp;
const TCP: TransportKind = TransportKind::Tcp;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn secs_f(offsets: &[Duration]) -> Vec<f64> {
    offsets.iter().map(Duration::as_secs_f64).collect()
}

fn request(method: Method, transport: TransportKind) -> SipMessage {
    let mut r = SipMessage::request(method.clone(), "sip:bob@biloxi.example.com");
    r.headers.push(
        HeaderName::VIA,
        format!(
            "SIP/2.0/{} client.atlanta.example.com:5060;branch={}",
            transport.via_token(),
            new_branch()
        ),
    );
    r.headers.push(HeaderName::MAX_FORWARDS, "70");
    r.headers.push(
        HeaderName::FROM,
        "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
    );
    r.headers
        .push(HeaderName::TO, "Bob <sip:bob@biloxi.example.com>");
    r.headers.push(
        HeaderName::CALL_ID,
        "3848276298220188511@atlanta.example.com",
    );
    r.headers.push(HeaderName::CSEQ, format!("1 {method}"));
    r
}

/// A response as the UAS builds it: headers copied (§8.2.6.2), a To tag on everything but 100.
fn response(to: &SipMessage, code: u16) -> SipMessage {
    let mut r = SipMessage::response_to(to, code, "Reason");
    if code > 100 {
        r.headers.set(
            HeaderName::TO,
            "Bob <sip:bob@biloxi.example.com>;tag=8321234356",
        );
    }
    r
}

/// What the four machines have in common, so one driver can run any of them on the clock.
trait Machine {
    fn poll_output(&mut self) -> Option<Output>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
}

macro_rules! machine {
    ($($t:ty),*) => {$(
        impl Machine for $t {
            fn poll_output(&mut self) -> Option<Output> { <$t>::poll_output(self) }
            fn poll_timeout(&self) -> Option<Instant> { <$t>::poll_timeout(self) }
            fn handle_timeout(&mut self, now: Instant) { <$t>::handle_timeout(self, now) }
        }
    )*};
}
machine!(ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite);

/// Everything a machine did, with the virtual time it did it at.
#[derive(Debug, Default)]
struct Log {
    transmits: Vec<(Duration, Bytes)>,
    events: Vec<(Duration, Output)>,
}

impl Log {
    fn transmit_times(&self) -> Vec<Duration> {
        self.transmits.iter().map(|(at, _)| *at).collect()
    }

    fn event_at(&self, wanted: &Output) -> Option<Duration> {
        self.events
            .iter()
            .find(|(_, e)| e == wanted)
            .map(|(at, _)| *at)
    }
}

/// Drains a machine's outputs into the log, stamped with `now - base`.
fn drain(m: &mut impl Machine, base: Instant, now: Instant, log: &mut Log) {
    while let Some(output) = m.poll_output() {
        match output {
            Output::Transmit(bytes) => log.transmits.push((now - base, bytes)),
            other => log.events.push((now - base, other)),
        }
    }
}

/// Advances the virtual clock from timer to timer until `until` (offset from base) or until the
/// machine has nothing armed; returns the clock's final reading.
fn run_until(
    m: &mut impl Machine,
    base: Instant,
    from: Instant,
    until: Duration,
    log: &mut Log,
) -> Instant {
    let mut now = from;
    drain(m, base, now, log);
    while let Some(at) = m.poll_timeout() {
        if at - base > until {
            break;
        }
        now = at;
        m.handle_timeout(now);
        drain(m, base, now, log);
    }
    now
}

#[test]
fn non_invite_over_udp_retransmits_doubling_to_t2_until_timer_f_times_out_at_32s() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let mut tx = ClientNonInvite::new(base, request(Method::Options, UDP), UDP, config).unwrap();
    let mut log = Log::default();
    run_until(&mut tx, base, base, Duration::from_secs(60), &mut log);

    // §17.1.2.2: E starts at T1, doubles to T2 = 4 s, then stays at T2; F fires at 64*T1 = 32 s.
    assert_eq!(
        secs_f(&log.transmit_times()),
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );
    assert_eq!(
        log.event_at(&Output::Terminated),
        Some(Duration::from_secs(32))
    );
    assert_eq!(tx.state(), ClientNonInviteState::Terminated);
    assert_eq!(
        tx.poll_timeout(),
        None,
        "nothing stays armed after termination"
    );
}

#[test]
fn provisional_response_slows_non_invite_retransmissions_to_every_t2() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let req = request(Method::Register, UDP);
    let mut tx = ClientNonInvite::new(base, req.clone(), UDP, config).unwrap();
    let mut log = Log::default();
    // Transmissions at 0 and 0.5 s, then a 100 Trying arrives at 0.6 s.
    let now = run_until(&mut tx, base, base, ms(600), &mut log);
    assert_eq!(now - base, ms(500));
    let t = base + ms(600);
    tx.handle_response(t, response(&req, 100)).unwrap();
    assert_eq!(tx.state(), ClientNonInviteState::Proceeding);
    run_until(&mut tx, base, t, Duration::from_secs(60), &mut log);

    // The already-armed E fires at 1.5 s and is then re-armed at T2 each time (§17.1.2.2);
    // F still fires at 32 s because a provisional does not stop it.
    assert_eq!(
        secs_f(&log.transmit_times()),
        [0.0, 0.5, 1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5]
    );
    assert!(matches!(&log.events[0], (_, Output::Response(r)) if r.status() == Some(100)));
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );
}

#[test]
fn invite_over_udp_retransmits_doubling_without_cap_until_timer_b_at_32s() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let mut tx = ClientInvite::new(base, request(Method::Invite, UDP), UDP, config).unwrap();
    let mut log = Log::default();
    run_until(&mut tx, base, base, Duration::from_secs(60), &mut log);

    // §17.1.1.2: A starts at T1 and doubles with no T2 cap; B fires at 64*T1.
    assert_eq!(
        secs_f(&log.transmit_times()),
        [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    );
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );
    assert_eq!(tx.state(), ClientInviteState::Terminated);
}

#[test]
fn provisional_stops_invite_retransmissions_and_timer_b() {
    let base = Instant::now();
    let req = request(Method::Invite, UDP);
    let mut tx = ClientInvite::new(base, req.clone(), UDP, TimerConfig::default()).unwrap();
    let mut log = Log::default();
    run_until(&mut tx, base, base, ms(600), &mut log);
    tx.handle_response(base + ms(700), response(&req, 180))
        .unwrap();
    run_until(
        &mut tx,
        base,
        base + ms(700),
        Duration::from_secs(300),
        &mut log,
    );

    // Ringing may last minutes: no more INVITEs and no timeout from the transaction (§17.1.1.2).
    assert_eq!(secs_f(&log.transmit_times()), [0.0, 0.5]);
    assert_eq!(tx.state(), ClientInviteState::Proceeding);
    assert_eq!(tx.poll_timeout(), None);
}

#[test]
fn nothing_is_retransmitted_over_tcp_and_timeouts_still_fire() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let mut log = Log::default();
    let mut non_invite =
        ClientNonInvite::new(base, request(Method::Bye, TCP), TCP, config).unwrap();
    run_until(
        &mut non_invite,
        base,
        base,
        Duration::from_secs(60),
        &mut log,
    );
    assert_eq!(secs_f(&log.transmit_times()), [0.0]);
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );

    let mut log = Log::default();
    let mut invite = ClientInvite::new(base, request(Method::Invite, TCP), TCP, config).unwrap();
    run_until(&mut invite, base, base, Duration::from_secs(60), &mut log);
    assert_eq!(secs_f(&log.transmit_times()), [0.0]);
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );
}

#[test]
fn completed_transactions_over_tcp_terminate_at_once() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let t = base + ms(40);

    // Timer K = 0: the final response ends the non-INVITE client transaction on the spot.
    let req = request(Method::Options, TCP);
    let mut client = ClientNonInvite::new(base, req.clone(), TCP, config).unwrap();
    client.handle_response(t, response(&req, 200)).unwrap();
    assert_eq!(client.state(), ClientNonInviteState::Terminated);

    // Timer D = 0: the INVITE client transaction ACKs the 486 and ends.
    let invite = request(Method::Invite, TCP);
    let mut client = ClientInvite::new(base, invite.clone(), TCP, config).unwrap();
    client.handle_response(t, response(&invite, 486)).unwrap();
    let mut log = Log::default();
    drain(&mut client, base, t, &mut log);
    assert_eq!(log.transmits.len(), 2, "the INVITE and its ACK");
    assert_eq!(client.state(), ClientInviteState::Terminated);

    // Timer J = 0: the non-INVITE server transaction ends with its final response.
    let mut server = ServerNonInvite::new(base, req.clone(), TCP, config).unwrap();
    server.send_response(t, response(&req, 200)).unwrap();
    assert_eq!(server.state(), ServerNonInviteState::Terminated);

    // No timer G over TCP, and timer I = 0: the ACK ends the INVITE server transaction.
    let mut server = ServerInvite::new(base, invite.clone(), TCP, config).unwrap();
    server.send_response(t, response(&invite, 486)).unwrap();
    let mut log = Log::default();
    run_until(&mut server, base, t, ms(31_000), &mut log);
    assert_eq!(
        log.transmits.len(),
        1,
        "the 486 once: no timer G on a reliable transport"
    );
    let ack = dialtone_sip::transaction::build_ack(&invite, &response(&invite, 486)).unwrap();
    server.handle_request(base + ms(31_000), ack).unwrap();
    assert_eq!(server.state(), ServerInviteState::Terminated);
}

#[test]
fn server_invite_sends_100_trying_after_200ms_when_the_tu_is_silent() {
    let base = Instant::now();
    let invite = request(Method::Invite, UDP);
    let mut server = ServerInvite::new(base, invite.clone(), UDP, TimerConfig::default()).unwrap();
    let mut log = Log::default();
    run_until(&mut server, base, base, Duration::from_secs(1), &mut log);

    assert_eq!(log.transmit_times(), [ms(200)]);
    let trying = SipMessage::parse(&log.transmits[0].1).unwrap();
    assert_eq!(trying.status(), Some(100));
    assert_eq!(trying.top_via(), invite.top_via());
    assert_eq!(
        trying.to().unwrap().tag(),
        None,
        "100 Trying carries no To tag (§8.2.6.1)"
    );

    // A TU that rings within 200 ms suppresses it.
    let mut server = ServerInvite::new(base, invite.clone(), UDP, TimerConfig::default()).unwrap();
    server
        .send_response(base + ms(50), response(&invite, 180))
        .unwrap();
    let mut log = Log::default();
    run_until(
        &mut server,
        base,
        base + ms(50),
        Duration::from_secs(1),
        &mut log,
    );
    let codes: Vec<_> = log
        .transmits
        .iter()
        .map(|(_, b)| SipMessage::parse(b).unwrap().status())
        .collect();
    assert_eq!(codes, [Some(180)]);
}

#[test]
fn server_non_2xx_is_retransmitted_by_g_until_ack_then_confirmed_until_i() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let invite = request(Method::Invite, UDP);
    let mut server = ServerInvite::new(base, invite.clone(), UDP, config).unwrap();
    let busy = response(&invite, 486);
    server.send_response(base + ms(100), busy.clone()).unwrap();
    assert_eq!(server.state(), ServerInviteState::Completed);
    let mut log = Log::default();
    // The ACK arrives at 4 s: G fired at 0.6, 1.6 and 3.6 s (T1 doubling, capped at T2 later).
    run_until(&mut server, base, base + ms(100), ms(4_000), &mut log);
    assert_eq!(secs_f(&log.transmit_times()), [0.1, 0.6, 1.6, 3.6]);
    assert!(log.transmits.iter().all(|(_, b)| *b == busy.to_bytes()));

    let ack = dialtone_sip::transaction::build_ack(&invite, &busy).unwrap();
    server
        .handle_request(base + ms(4_000), ack.clone())
        .unwrap();
    assert_eq!(server.state(), ServerInviteState::Confirmed);
    // ACK retransmissions are absorbed silently in Confirmed.
    server.handle_request(base + ms(4_500), ack).unwrap();
    let now = run_until(
        &mut server,
        base,
        base + ms(4_500),
        Duration::from_secs(60),
        &mut log,
    );
    assert_eq!(log.transmits.len(), 4, "no retransmission after the ACK");
    // Timer I = T4 = 5 s after the ACK.
    assert_eq!(now - base, ms(9_000));
    assert_eq!(log.event_at(&Output::Terminated), Some(ms(9_000)));
    assert_eq!(server.state(), ServerInviteState::Terminated);
}

#[test]
fn server_non_2xx_retransmissions_cap_at_t2_and_timer_h_reports_the_missing_ack() {
    let base = Instant::now();
    let invite = request(Method::Invite, UDP);
    let mut server = ServerInvite::new(base, invite.clone(), UDP, TimerConfig::default()).unwrap();
    server.send_response(base, response(&invite, 603)).unwrap();
    let mut log = Log::default();
    run_until(&mut server, base, base, Duration::from_secs(60), &mut log);
    assert_eq!(
        secs_f(&log.transmit_times()),
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        log.event_at(&Output::Timeout),
        Some(Duration::from_secs(32))
    );
    assert_eq!(server.state(), ServerInviteState::Terminated);
}

#[test]
fn retransmitted_requests_are_answered_with_the_last_response() {
    let base = Instant::now();
    let config = TimerConfig::default();
    let req = request(Method::Register, UDP);
    let mut server = ServerNonInvite::new(base, req.clone(), UDP, config).unwrap();
    let mut log = Log::default();

    // Trying: nothing to re-send yet, so the retransmission is absorbed (§17.2.2).
    server.handle_request(base + ms(500), req.clone()).unwrap();
    drain(&mut server, base, base + ms(500), &mut log);
    assert!(log.transmits.is_empty());

    server
        .send_response(base + ms(600), response(&req, 100))
        .unwrap();
    server
        .handle_request(base + ms(1_500), req.clone())
        .unwrap();
    server
        .send_response(base + ms(1_600), response(&req, 200))
        .unwrap();
    server
        .handle_request(base + ms(3_500), req.clone())
        .unwrap();
    drain(&mut server, base, base + ms(3_500), &mut log);
    let codes: Vec<_> = log
        .transmits
        .iter()
        .map(|(_, b)| SipMessage::parse(b).unwrap().status().unwrap())
        .collect();
    assert_eq!(codes, [100, 100, 200, 200]);

    // Timer J = 64*T1 after the final, then the transaction is gone.
    run_until(
        &mut server,
        base,
        base + ms(3_500),
        Duration::from_secs(60),
        &mut log,
    );
    assert_eq!(log.event_at(&Output::Terminated), Some(ms(33_600)));

    // The INVITE server transaction does the same with its latest provisional and final.
    let invite = request(Method::Invite, UDP);
    let mut server = ServerInvite::new(base, invite.clone(), UDP, config).unwrap();
    let mut log = Log::default();
    server
        .send_response(base + ms(10), response(&invite, 180))
        .unwrap();
    server
        .handle_request(base + ms(500), invite.clone())
        .unwrap();
    server
        .send_response(base + ms(900), response(&invite, 486))
        .unwrap();
    server
        .handle_request(base + ms(1_000), invite.clone())
        .unwrap();
    drain(&mut server, base, base + ms(1_000), &mut log);
    let codes: Vec<_> = log
        .transmits
        .iter()
        .map(|(_, b)| SipMessage::parse(b).unwrap().status().unwrap())
        .collect();
    assert_eq!(codes, [180, 180, 486, 486]);
}

#[test]
fn client_invite_passes_2xx_retransmissions_to_the_tu_while_accepted() {
    let base = Instant::now();
    let invite = request(Method::Invite, UDP);
    let mut tx = ClientInvite::new(base, invite.clone(), UDP, TimerConfig::default()).unwrap();
    let ok = response(&invite, 200);
    let mut log = Log::default();
    tx.handle_response(base + ms(100), ok.clone()).unwrap();
    assert_eq!(tx.state(), ClientInviteState::Accepted);
    // RFC 6026 §8.4: the UAS retransmits its 2xx until it gets the TU's ACK; each one reaches
    // the TU so it can re-send the ACK. The transaction itself sends nothing.
    tx.handle_response(base + ms(600), ok.clone()).unwrap();
    tx.handle_response(base + ms(1_600), ok.clone()).unwrap();
    let now = run_until(
        &mut tx,
        base,
        base + ms(1_600),
        Duration::from_secs(60),
        &mut log,
    );
    let responses = log
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Output::Response(r) if r.status() == Some(200)))
        .count();
    assert_eq!(responses, 3);
    assert_eq!(
        log.transmits.len(),
        1,
        "only the INVITE: the ACK for a 2xx is the TU's"
    );
    // Timer M = 64*T1 after the first 2xx.
    assert_eq!(now - base, ms(32_100));
    assert_eq!(tx.state(), ClientInviteState::Terminated);
}

#[test]
fn server_invite_absorbs_invite_retransmissions_after_2xx_and_passes_the_ack_up() {
    let base = Instant::now();
    let invite = request(Method::Invite, UDP);
    let mut server = ServerInvite::new(base, invite.clone(), UDP, TimerConfig::default()).unwrap();
    let ok = response(&invite, 200);
    let mut log = Log::default();
    server.send_response(base + ms(100), ok.clone()).unwrap();
    drain(&mut server, base, base + ms(100), &mut log);
    assert_eq!(server.state(), ServerInviteState::Accepted);

    // RFC 6026 §8.5–8.7: INVITE retransmissions are absorbed (not new requests), the TU's own 2xx
    // retransmissions go out, an ACK that matched is handed to the TU, L ends it at 64*T1.
    server
        .handle_request(base + ms(500), invite.clone())
        .unwrap();
    drain(&mut server, base, base + ms(500), &mut log);
    server.send_response(base + ms(600), ok.clone()).unwrap();
    drain(&mut server, base, base + ms(600), &mut log);
    let mut ack = request(Method::Ack, UDP);
    ack.headers.set(
        HeaderName::VIA,
        invite.headers.get(HeaderName::VIA).unwrap(),
    );
    server.handle_request(base + ms(700), ack.clone()).unwrap();
    let now = run_until(
        &mut server,
        base,
        base + ms(700),
        Duration::from_secs(60),
        &mut log,
    );
    assert_eq!(secs_f(&log.transmit_times()), [0.1, 0.6]);
    assert_eq!(log.events[0], (ms(700), Output::Request(ack)));
    assert_eq!(now - base, ms(32_100));
    assert_eq!(server.state(), ServerInviteState::Terminated);
}

// ---- A simulated network between two transaction layers, with loss ----

/// Two UAs' transaction layers joined by a 10 ms network that drops the first N copies of
/// chosen messages (named by method or status code).
struct Sim {
    base: Instant,
    now: Instant,
    alice: TransactionLayer,
    bob: TransactionLayer,
    /// (deliver at, to Bob?, bytes).
    wire: VecDeque<(Instant, bool, Bytes)>,
    drop_first: HashMap<String, usize>,
    dropped: HashMap<String, usize>,
    /// What each TU saw: (time, who, description).
    seen: Vec<(Duration, &'static str, String)>,
    bob_answers: u16,
}

impl Sim {
    fn new(drop_first: &[(&str, usize)], bob_answers: u16) -> Sim {
        let base = Instant::now();
        Sim {
            base,
            now: base,
            alice: TransactionLayer::new(TimerConfig::default()),
            bob: TransactionLayer::new(TimerConfig::default()),
            wire: VecDeque::new(),
            drop_first: drop_first
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            dropped: HashMap::new(),
            seen: Vec::new(),
            bob_answers,
        }
    }

    fn label(bytes: &[u8]) -> String {
        let msg = SipMessage::parse(bytes).unwrap();
        match (msg.method(), msg.status()) {
            (Some(m), _) => m.to_string(),
            (None, Some(code)) => code.to_string(),
            (None, None) => unreachable!(),
        }
    }

    fn pump(&mut self) {
        for to_bob in [true, false] {
            let layer = if to_bob {
                &mut self.alice
            } else {
                &mut self.bob
            };
            let who = if to_bob { "alice" } else { "bob" };
            while let Some((_, output)) = layer.poll_output() {
                match output {
                    Output::Transmit(bytes) => {
                        let label = Sim::label(&bytes);
                        let dropped = self.dropped.entry(label.clone()).or_default();
                        if *dropped < self.drop_first.get(&label).copied().unwrap_or(0) {
                            *dropped += 1;
                        } else {
                            self.wire.push_back((self.now + ms(10), to_bob, bytes));
                        }
                    }
                    other => self
                        .seen
                        .push((self.now - self.base, who, format!("{other:?}"))),
                }
            }
        }
    }

    fn deliver(&mut self, to_bob: bool, bytes: Bytes) {
        let msg = SipMessage::parse(&bytes).unwrap();
        let now = self.now;
        let (layer, who) = if to_bob {
            (&mut self.bob, "bob")
        } else {
            (&mut self.alice, "alice")
        };
        match layer.handle_incoming(now, msg, UDP).unwrap() {
            Incoming::NewRequest { key, msg } => {
                self.seen.push((
                    now - self.base,
                    who,
                    format!("new {}", msg.method().unwrap()),
                ));
                let answer = response(&msg, self.bob_answers);
                layer.respond(now, &key, answer).unwrap();
            }
            Incoming::Response { msg, .. } => {
                self.seen.push((
                    now - self.base,
                    who,
                    format!("response {}", msg.status().unwrap()),
                ));
            }
            Incoming::Absorbed => {}
            Incoming::Stray(msg) => {
                self.seen
                    .push((now - self.base, who, format!("stray {msg:?}")))
            }
        }
    }

    /// Runs until neither side has anything in flight or armed.
    fn run(&mut self) {
        loop {
            self.pump();
            let next = [
                self.alice.next_timeout(),
                self.bob.next_timeout(),
                self.wire.iter().map(|(at, _, _)| *at).min(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { break };
            self.now = next;
            if let Some(i) = self.wire.iter().position(|(at, _, _)| *at <= next) {
                let (_, to_bob, bytes) = self.wire.remove(i).unwrap();
                self.deliver(to_bob, bytes);
            } else {
                self.alice.handle_timeout(next);
                self.bob.handle_timeout(next);
            }
        }
    }

    fn seen_by(&self, who: &str) -> Vec<String> {
        self.seen
            .iter()
            .filter(|(_, w, _)| *w == who)
            .map(|(_, _, s)| s.clone())
            .collect()
    }
}

#[test]
fn non_invite_exchange_completes_when_the_first_three_requests_and_a_response_are_lost() {
    let mut sim = Sim::new(&[("OPTIONS", 3), ("200", 1)], 200);
    let key = sim
        .alice
        .send_request(sim.now, request(Method::Options, UDP), UDP)
        .unwrap();
    assert!(matches!(key, TransactionKey::Client { .. }));
    sim.run();

    // Sent at 0, 0.5, 1.5 (lost), 3.5 (arrives 3.51, its 200 is lost), 7.5 (re-answered).
    assert_eq!(sim.dropped["OPTIONS"], 3);
    assert_eq!(sim.dropped["200"], 1);
    assert_eq!(sim.seen_by("alice"), ["response 200", "Terminated"]);
    assert_eq!(sim.seen_by("bob"), ["new OPTIONS", "Terminated"]);
    let response_at = sim
        .seen
        .iter()
        .find(|(_, w, s)| *w == "alice" && s == "response 200")
        .unwrap()
        .0;
    assert_eq!(response_at, ms(7_520));
    assert!(sim.alice.is_empty() && sim.bob.is_empty());
}

#[test]
fn rejected_invite_completes_when_invites_finals_and_the_first_ack_are_lost() {
    let mut sim = Sim::new(&[("INVITE", 2), ("486", 2), ("ACK", 1)], 486);
    sim.alice
        .send_request(sim.now, request(Method::Invite, UDP), UDP)
        .unwrap();
    sim.run();

    // The third INVITE gets through; G re-sends the 486 until one arrives; Alice's ACK for it is
    // lost, so the next 486 retransmission is absorbed and re-ACKed by Alice's transaction.
    assert_eq!(sim.dropped["INVITE"], 2);
    assert_eq!(sim.dropped["486"], 2);
    assert_eq!(sim.dropped["ACK"], 1);
    assert_eq!(
        sim.seen_by("alice"),
        ["response 486", "Terminated"],
        "the 486 reaches the TU once"
    );
    assert_eq!(
        sim.seen_by("bob"),
        ["new INVITE", "Terminated"],
        "no Timeout: the ACK arrived"
    );
    assert!(sim.alice.is_empty() && sim.bob.is_empty());
}
