//! RFC 4733 receiving: each key reported exactly once under loss, duplication, reordering and
//! timestamp wrap; a real SIPp capture; the end timeout; SIP INFO bodies; no panic on any input.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it is for

use std::time::{Duration, Instant};

use dialtone_media::dtmf::{DtmfConfig, DtmfDigit, DtmfError, DtmfEvent, DtmfReceiver, DtmfSender};
use dialtone_media::rtp::{RtpClock, RtpHeader, RtpPacket};
use proptest::prelude::*;

/// (arrival, RTP packet bytes)
type Wire = Vec<(Instant, Vec<u8>)>;

/// "123#" from our sender as RTP packets on the wire, in send order.
fn send(start: Instant, config: DtmfConfig, origin_timestamp: u32) -> Wire {
    let mut sender = DtmfSender::new(config, RtpClock::new(start, origin_timestamp, 8000));
    sender.send_digits(start, "123#").unwrap();
    let mut wire = Vec::new();
    let mut seq = 65_530u16;
    let mut now = start;
    while !sender.is_idle() {
        while let Some(packet) = sender.poll(now) {
            let header = RtpHeader {
                marker: packet.marker,
                payload_type: packet.payload_type,
                sequence_number: seq,
                timestamp: packet.timestamp,
                ssrc: 0x1234,
                ..RtpHeader::default()
            };
            let mut out = [0u8; 16];
            let len = header.write_packet(&packet.payload, &mut out).unwrap();
            wire.push((now, out[..len].to_vec()));
            seq = seq.wrapping_add(1);
        }
        now += Duration::from_millis(1);
    }
    wire
}

/// A small deterministic generator (xorshift) so impairments are reproducible.
struct Rng(u64);
impl Rng {
    fn chance(&mut self, percent: u64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 100 < percent
    }
}

/// 20 % loss, 20 % duplication (the copy 30 ms late), 20 % of packets delayed past the next.
fn impair(wire: &Wire, seed: u64) -> Wire {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut out = Vec::new();
    for (at, bytes) in wire {
        if rng.chance(20) {
            continue;
        }
        let delay = if rng.chance(20) {
            Duration::from_millis(60)
        } else {
            Duration::ZERO
        };
        out.push((*at + delay, bytes.clone()));
        if rng.chance(20) {
            out.push((*at + delay + Duration::from_millis(30), bytes.clone()));
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out
}

/// Feeds arrivals (with timeouts in between) and returns the events.
fn receive(wire: &Wire) -> Vec<DtmfEvent> {
    let mut receiver = DtmfReceiver::new(8000);
    let mut events = Vec::new();
    for (at, bytes) in wire {
        receiver.handle_timeout(*at);
        let packet = RtpPacket::parse(bytes).unwrap();
        receiver.handle_rtp(*at, &packet).unwrap();
        events.extend(std::iter::from_fn(|| receiver.poll_event()));
    }
    if let Some(deadline) = receiver.poll_timeout() {
        receiver.handle_timeout(deadline);
    }
    events.extend(std::iter::from_fn(|| receiver.poll_event()));
    events
}

fn digits(events: &[DtmfEvent]) -> (String, String) {
    let begins = events.iter().filter_map(|e| match e {
        DtmfEvent::Begin { digit, .. } => Some(digit.as_char()),
        DtmfEvent::End { .. } => None,
    });
    let ends = events.iter().filter_map(|e| match e {
        DtmfEvent::End { digit, .. } => Some(digit.as_char()),
        DtmfEvent::Begin { .. } => None,
    });
    (begins.collect(), ends.collect())
}

#[test]
fn clean_stream_yields_each_digit_once_with_its_duration() {
    let start = Instant::now();
    let events = receive(&send(start, DtmfConfig::new(101), 0));
    assert_eq!(digits(&events), ("123#".into(), "123#".into()));
    for event in events {
        if let DtmfEvent::End {
            duration,
            timed_out,
            ..
        } = event
        {
            assert_eq!(duration, Duration::from_millis(100));
            assert!(!timed_out);
        }
    }
}

#[test]
fn twenty_percent_loss_duplication_and_reordering_still_yield_123_pound_exactly_once() {
    let start = Instant::now();
    // Packets every 20 ms (the ptime): 8 per key, so a key survives 20 % loss.
    let config = DtmfConfig {
        interval: Duration::from_millis(20),
        ..DtmfConfig::new(101)
    };
    // Timestamps start just below 2^32: the events straddle the wrap.
    let wire = send(start, config, u32::MAX - 2000);
    for seed in 0..300 {
        let impaired = impair(&wire, seed);
        let events = receive(&impaired);
        assert_eq!(
            digits(&events),
            ("123#".into(), "123#".into()),
            "seed {seed}: {events:?}"
        );
    }
}

#[test]
fn default_50ms_updates_survive_impairment_too() {
    let start = Instant::now();
    let wire = send(start, DtmfConfig::new(101), 77);
    for seed in [1, 2, 3, 5, 8, 13, 21, 34] {
        let events = receive(&impair(&wire, seed));
        assert_eq!(
            digits(&events),
            ("123#".into(), "123#".into()),
            "seed {seed}: {events:?}"
        );
    }
}

#[test]
fn losing_every_end_packet_ends_the_key_on_timeout() {
    let start = Instant::now();
    let mut receiver = DtmfReceiver::new(8000);
    // Key 9 began (marker packet lost): an update with duration 400 is all that arrives.
    receiver
        .handle_packet(start, 5000, &[9, 10, 0x01, 0x90])
        .unwrap();
    assert_eq!(
        receiver.poll_event(),
        Some(DtmfEvent::Begin {
            digit: DtmfDigit::from_char('9').unwrap(),
            timestamp: 5000
        })
    );
    assert_eq!(
        receiver.poll_timeout(),
        Some(start + DtmfReceiver::DEFAULT_TIMEOUT)
    );
    receiver.handle_timeout(start + Duration::from_millis(100));
    assert_eq!(receiver.poll_event(), None);
    receiver.handle_timeout(start + DtmfReceiver::DEFAULT_TIMEOUT);
    assert_eq!(
        receiver.poll_event(),
        Some(DtmfEvent::End {
            digit: DtmfDigit::from_char('9').unwrap(),
            timestamp: 5000,
            duration: Duration::from_millis(50),
            timed_out: true,
        })
    );
    // The end packets arriving after all are not a second key press.
    receiver
        .handle_packet(
            start + Duration::from_millis(300),
            5000,
            &[9, 0x8a, 0x03, 0x20],
        )
        .unwrap();
    assert_eq!(receiver.poll_event(), None);
    assert_eq!(receiver.poll_timeout(), None);
}

#[test]
fn a_real_sipp_capture_of_key_1_is_one_key_press() {
    // /usr/share/sip-tester/dtmf_2833_1.pcap (SIPp's bundled RFC 2833 sample): eight packets
    // 20 ms apart, the end packet three times back to back with the same sequence number.
    let start = Instant::now();
    let packets = [
        (0, "80e51f30000033e00e05384e010a0000"),
        (20, "80651f31000033e00e05384e010a0140"),
        (40, "80651f32000033e00e05384e010a0280"),
        (60, "80651f33000033e00e05384e010a03c0"),
        (80, "80651f34000033e00e05384e010a0500"),
        (100, "80651f35000033e00e05384e010a0640"),
        (120, "80651f36000033e00e05384e010a0780"),
        (140, "80651f37000033e00e05384e018a08c0"),
        (140, "80651f37000033e00e05384e018a08c0"),
        (140, "80651f37000033e00e05384e018a08c0"),
    ];
    let wire: Wire = packets
        .iter()
        .map(|(ms, hex)| {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (start + Duration::from_millis(*ms), bytes)
        })
        .collect();
    let events = receive(&wire);
    let one = DtmfDigit::from_char('1').unwrap();
    assert_eq!(
        events,
        vec![
            DtmfEvent::Begin {
                digit: one,
                timestamp: 0x33e0
            },
            DtmfEvent::End {
                digit: one,
                timestamp: 0x33e0,
                duration: Duration::from_millis(280),
                timed_out: false
            },
        ]
    );
}

#[test]
fn non_dtmf_events_and_short_payloads_are_not_keys() {
    let start = Instant::now();
    let mut receiver = DtmfReceiver::new(8000);
    // Event 16 is hook flash.
    receiver
        .handle_packet(start, 1, &[16, 0x8a, 0, 160])
        .unwrap();
    assert_eq!(receiver.poll_event(), None);
    assert_eq!(
        receiver.handle_packet(start, 1, &[1, 2, 3]),
        Err(DtmfError::ShortPayload(3))
    );
}

#[test]
fn digit_codes_follow_rfc4733_section_3_2() {
    let keys = "0123456789*#ABCD";
    for (code, c) in keys.chars().enumerate() {
        let digit = DtmfDigit::from_char(c).unwrap();
        assert_eq!(usize::from(digit.event_code()), code);
        assert_eq!(DtmfDigit::from_event_code(code as u8), Some(digit));
        assert_eq!(digit.to_string(), c.to_string());
    }
    assert_eq!(DtmfDigit::from_event_code(16), None);
}

proptest! {
    #[test]
    fn every_begin_gets_exactly_one_end_whatever_arrives(
        packets in prop::collection::vec((0u32..6, any::<[u8; 4]>(), 0u64..400), 0..80),
    ) {
        let start = Instant::now();
        let mut receiver = DtmfReceiver::new(8000);
        let mut now = start;
        let mut events = Vec::new();
        for (ts, payload, gap) in packets {
            now += Duration::from_millis(gap);
            receiver.handle_timeout(now);
            receiver.handle_packet(now, ts.wrapping_mul(0x4000_0000), &payload).unwrap();
            events.extend(std::iter::from_fn(|| receiver.poll_event()));
        }
        receiver.handle_timeout(now + Duration::from_secs(10));
        events.extend(std::iter::from_fn(|| receiver.poll_event()));
        let (begins, ends) = digits(&events);
        prop_assert_eq!(begins, ends);
    }
}
