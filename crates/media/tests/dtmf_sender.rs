//! RFC 4733 sending: the exact packet timeline of "123#" (markers, timestamps, durations, end
//! bits, repeats, send times) at 8 kHz and 48 kHz, and at a 20 ms update interval.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it is for

use std::time::{Duration, Instant};

use dialtone_media::dtmf::{DtmfConfig, DtmfError, DtmfPacket, DtmfSender, TelephoneEvent};
use dialtone_media::rtp::RtpClock;

/// Polls every millisecond for `span`, returning each packet with its send offset in µs.
fn run(sender: &mut DtmfSender, start: Instant, span: Duration) -> Vec<(u128, DtmfPacket)> {
    let mut out = Vec::new();
    let mut now = start;
    while now <= start + span {
        while let Some(packet) = sender.poll(now) {
            out.push(((now - start).as_micros(), packet));
        }
        now += Duration::from_micros(500);
    }
    out
}

#[test]
fn sends_123_pound_with_markers_durations_end_bits_and_repeats_at_8khz() {
    let start = Instant::now();
    let clock = RtpClock::new(start, 1000, 8000);
    let mut sender = DtmfSender::new(DtmfConfig::new(101), clock);
    sender.send_digits(start, "123#").unwrap();
    assert_eq!(sender.poll_timeout(), Some(start));
    let packets = run(&mut sender, start, Duration::from_secs(1));
    assert!(sender.is_idle());
    // Per digit: updates at 0 and 50 ms, the end at 100 ms and its two repeats squeezed into
    // the 70 ms gap (every 23.3 ms); the next digit 170 ms after the previous one.
    assert_eq!(packets.len(), 4 * 5);
    for (digit, (code, chunk)) in [1u8, 2, 3, 11]
        .into_iter()
        .zip(packets.chunks(5))
        .enumerate()
    {
        let t0 = 170_000 * digit as u128;
        let ts = 1000 + 1360 * digit as u32;
        let got: Vec<_> = chunk
            .iter()
            .map(|(t, p)| {
                (
                    *t - t0,
                    p.marker,
                    p.timestamp,
                    p.event.duration,
                    p.event.end,
                    p.retransmission,
                )
            })
            .collect();
        // Send offsets are those of the first 0.5 ms poll at or after the schedule.
        assert_eq!(
            got,
            vec![
                (0, true, ts, 0, false, false),
                (50_000, false, ts, 400, false, false),
                (100_000, false, ts, 800, true, false),
                (123_500, false, ts, 800, true, true),
                (147_000, false, ts, 800, true, true),
            ],
            "digit {digit}"
        );
        for (_, packet) in chunk {
            assert_eq!(packet.event.event, code);
            assert_eq!(packet.event.volume, 10);
            assert_eq!(packet.payload_type, 101);
            assert_eq!(packet.payload, packet.event.to_bytes());
            assert_eq!(
                TelephoneEvent::parse(&packet.payload).unwrap(),
                packet.event
            );
        }
    }
    // Byte-exact payload of the first end packet of '#': event 11, E + volume 10, 800.
    assert_eq!(packets[17].1.payload, [0x0b, 0x8a, 0x03, 0x20]);
}

#[test]
fn uses_the_telephone_event_clock_rate_of_48khz() {
    let start = Instant::now();
    let clock = RtpClock::new(start, u32::MAX - 100, 48_000);
    let mut sender = DtmfSender::new(DtmfConfig::new(110), clock);
    sender.send_digits(start, "12").unwrap();
    let packets = run(&mut sender, start, Duration::from_secs(1));
    let durations: Vec<u16> = packets.iter().map(|(_, p)| p.event.duration).collect();
    assert_eq!(
        durations,
        vec![0, 2400, 4800, 4800, 4800, 0, 2400, 4800, 4800, 4800]
    );
    // 170 ms at 48 kHz is 8160 units; the second event's timestamp wraps past 2^32.
    assert_eq!(packets[0].1.timestamp, u32::MAX - 100);
    assert_eq!(packets[5].1.timestamp, 8059);
}

#[test]
fn updates_every_ptime_when_configured_so() {
    let start = Instant::now();
    let config = DtmfConfig {
        interval: Duration::from_millis(20),
        ..DtmfConfig::new(101)
    };
    let mut sender = DtmfSender::new(config, RtpClock::new(start, 0, 8000));
    sender.send_digits(start, "5").unwrap();
    let packets = run(&mut sender, start, Duration::from_secs(1));
    let got: Vec<_> = packets
        .iter()
        .map(|(t, p)| (*t / 1000, p.event.duration, p.event.end))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 0, false),
            (20, 160, false),
            (40, 320, false),
            (60, 480, false),
            (80, 640, false),
            (100, 800, true),
            (120, 800, true),
            (140, 800, true),
        ]
    );
}

#[test]
fn digits_queued_while_sending_follow_after_the_gap_and_bad_input_queues_nothing() {
    let start = Instant::now();
    let mut sender = DtmfSender::new(DtmfConfig::new(101), RtpClock::new(start, 0, 8000));
    sender.send_digits(start, "1").unwrap();
    assert!(sender.poll(start).is_some());
    assert!(sender.is_sending());
    sender
        .send_digits(start + Duration::from_millis(10), "2")
        .unwrap();
    assert_eq!(
        sender.send_digits(start, "3x"),
        Err(DtmfError::BadDigit('x'))
    );
    let packets = run(&mut sender, start, Duration::from_secs(1));
    let starts: Vec<_> = packets
        .iter()
        .filter(|(_, p)| p.marker)
        .map(|(t, p)| (*t, p.digit.as_char()))
        .collect();
    assert_eq!(starts, vec![(170_000, '2')]);
    // Later digits start when asked, not at a stale schedule in the past.
    let later = start + Duration::from_secs(5);
    sender.send_digits(later, "*").unwrap();
    assert_eq!(sender.poll_timeout(), Some(later));
    assert_eq!(sender.poll(later).unwrap().timestamp, 40_000);
}
