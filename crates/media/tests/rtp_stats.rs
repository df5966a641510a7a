//! Reception and send statistics (RFC 3550 A.1, A.3, A.8, §6.4.1) on synthetic traces with
//! known answers, and the Linkus `Report` they fill.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it is for

use std::time::{Duration, Instant};

use dialtone_media::rtcp::{NtpTime, ReportBlock};
use dialtone_media::stats::{CallQuality, QualityMeter, ReceiveStats, SendStats, SequenceVerdict};
use proptest::prelude::*;

const PTIME: Duration = Duration::from_millis(20);

/// Feeds sequence numbers arriving every 20 ms with timestamps 160 apart (G.711 at 8 kHz).
fn feed(stats: &mut ReceiveStats, start: Instant, seqs: &[u16]) -> Vec<SequenceVerdict> {
    seqs.iter()
        .enumerate()
        .map(|(i, &seq)| {
            let now = start + PTIME * i as u32;
            stats.on_packet(now, seq, u32::from(seq) * 160, 160)
        })
        .collect()
}

#[test]
fn extended_sequence_counts_the_wrap_from_65535_to_0() {
    let mut stats = ReceiveStats::new(1, 8000);
    let seqs: Vec<u16> = (65530..=65535).chain(0..=5).collect();
    let verdicts = feed(&mut stats, Instant::now(), &seqs);
    // A.1 probation: the first packet makes the source a candidate, the second validates it.
    assert_eq!(verdicts[0], SequenceVerdict::Probation);
    assert!(verdicts[1..].iter().all(|v| *v == SequenceVerdict::Valid));
    assert_eq!(stats.extended_highest_sequence(), 65_536 + 5);
    assert_eq!(stats.expected(), 11);
    assert_eq!(stats.received(), 11);
    assert_eq!(stats.cumulative_lost(), 0);
    let block = stats.report_block(Instant::now());
    assert_eq!(block.extended_highest_sequence, 0x0001_0005);
}

#[test]
fn late_packets_from_before_the_wrap_are_counted_not_mistaken_for_a_restart() {
    let mut stats = ReceiveStats::new(1, 8000);
    // 65534 arrives after 0 and 1 (reordered across the wrap); 65535 is a duplicate.
    let verdicts = feed(
        &mut stats,
        Instant::now(),
        &[65532, 65533, 65535, 0, 1, 65534, 65535, 2],
    );
    assert_eq!(verdicts[5], SequenceVerdict::Valid);
    assert_eq!(verdicts[6], SequenceVerdict::Duplicate);
    assert_eq!(stats.extended_highest_sequence(), 65_536 + 2);
    assert_eq!(stats.expected(), 6); // 65533 ..= 2
    assert_eq!(stats.received(), 6);
    assert_eq!(stats.cumulative_lost(), 0);
    assert_eq!(stats.duplicates(), 1);
}

#[test]
fn loss_is_counted_exactly_under_reordering_and_duplication() {
    let mut stats = ReceiveStats::new(7, 8000);
    // 1000..1100 sent; 1010, 1020, 1030, 1040, 1050 lost; every 7th swapped with the next;
    // every 11th delivered twice (once at once, once 3 packets later).
    let mut arrivals: Vec<u16> = (1000u16..1100)
        .filter(|s| !s.is_multiple_of(10) || !(1010..=1050).contains(s))
        .collect();
    for i in (0..arrivals.len() - 1).step_by(7).skip(1) {
        arrivals.swap(i, i + 1);
    }
    let mut with_dups = Vec::new();
    for (i, &seq) in arrivals.iter().enumerate() {
        with_dups.push(seq);
        if i % 11 == 5 && i >= 3 {
            let echo = arrivals[i - 3];
            with_dups.push(echo);
        }
    }
    let dups = with_dups.len() - arrivals.len();
    feed(&mut stats, Instant::now(), &with_dups);
    // The first packet (1000) is the probation packet: counting starts at 1001.
    assert_eq!(stats.expected(), 99);
    assert_eq!(stats.received(), 99 - 5);
    assert_eq!(stats.cumulative_lost(), 5);
    assert_eq!(stats.duplicates(), dups as u64);
    let block = stats.report_block(Instant::now());
    assert_eq!(block.cumulative_lost, 5);
    // 5 of 99 lost: floor(5 × 256 / 99) = 12.
    assert_eq!(block.fraction_lost, 12);
}

#[test]
fn fraction_lost_covers_only_the_last_report_interval() {
    let start = Instant::now();
    let mut stats = ReceiveStats::new(7, 8000);
    // Interval 1: 1..=100 with 10 lost (the probation packet 0 is not counted).
    let first: Vec<u16> = (0..=100).filter(|s| s % 10 != 5).collect();
    feed(&mut stats, start, &first);
    let block = stats.report_block(start);
    assert_eq!(block.fraction_lost, (10 * 256 / 100) as u8);
    assert_eq!(stats.fraction_lost(), 25);
    // Interval 2: 101..=200, nothing lost.
    let second: Vec<u16> = (101..=200).collect();
    feed(&mut stats, start, &second);
    let block = stats.report_block(start);
    assert_eq!(block.fraction_lost, 0);
    assert_eq!(block.cumulative_lost, 10);
    // Interval 3: 201..=400 expected, only 400 arrives: floor(199 × 256 / 200).
    feed(&mut stats, start, &[400]);
    assert_eq!(stats.report_block(start).fraction_lost, 254);
}

#[test]
fn a_restarted_source_is_resynchronised_after_two_sequential_packets() {
    let mut stats = ReceiveStats::new(7, 8000);
    let verdicts = feed(
        &mut stats,
        Instant::now(),
        &[10, 11, 12, 40_000, 40_001, 40_002],
    );
    assert_eq!(verdicts[3], SequenceVerdict::Jump);
    assert_eq!(verdicts[4], SequenceVerdict::Valid);
    // A.1: counting restarts at the packet that confirmed the restart.
    assert_eq!(stats.expected(), 2);
    assert_eq!(stats.received(), 2);
    assert_eq!(stats.packets(), 4, "call totals keep what came before");
    // A single wild packet is dropped and does not disturb the count.
    let verdicts = feed(&mut stats, Instant::now(), &[9, 40_003]);
    assert_eq!(
        verdicts,
        vec![SequenceVerdict::Jump, SequenceVerdict::Valid]
    );
    assert_eq!(stats.cumulative_lost(), 0);
}

#[test]
fn jitter_follows_rfc3550_a8_on_a_trace_with_a_known_answer() {
    // Packets every 20 ms (160 units); odd ones arrive 5 ms late. Every transit difference is
    // then exactly 40 units, so after n differences A.8 gives J = 40 × (1 − (15/16)^n).
    let start = Instant::now();
    let mut stats = ReceiveStats::new(3, 8000);
    let count = 60u32;
    for i in 0..count {
        let late = if i % 2 == 1 {
            Duration::from_millis(5)
        } else {
            Duration::ZERO
        };
        stats.on_packet(
            start + PTIME * i + late,
            5000 + i as u16,
            90_000 + 160 * i,
            160,
        );
    }
    // The probation packet is not counted; the next sets the baseline; 58 differences follow.
    let n = f64::from(count - 2);
    let expected = 40.0 * (1.0 - (15.0f64 / 16.0).powf(n));
    assert_eq!(stats.jitter(), expected as u32);
    assert!(
        (stats.jitter_ms() - expected / 8.0).abs() < 1e-9,
        "{}",
        stats.jitter_ms()
    );
    assert!((stats.max_jitter_ms() - stats.jitter_ms()).abs() < 1e-9);
    assert_eq!(stats.report_block(start).jitter, expected as u32);
}

#[test]
fn jitter_is_zero_for_a_constant_delay_and_survives_timestamp_wrap() {
    let start = Instant::now();
    let mut stats = ReceiveStats::new(3, 48_000);
    for i in 0..100u32 {
        // Opus at 48 kHz: 960 units per 20 ms, starting just below the 32-bit wrap.
        let timestamp = (u32::MAX - 10_000).wrapping_add(960 * i);
        stats.on_packet(start + PTIME * i, i as u16, timestamp, 80);
    }
    assert_eq!(stats.jitter(), 0);
    assert_eq!(stats.octets(), 99 * 80);
}

#[test]
fn report_block_carries_lsr_and_the_delay_since_that_sr() {
    let start = Instant::now();
    let mut stats = ReceiveStats::new(0x1234, 8000);
    feed(&mut stats, start, &[1, 2, 3]);
    let empty = stats.report_block(start);
    assert_eq!((empty.last_sr, empty.delay_since_last_sr), (0, 0));
    let sr_ntp = NtpTime::from_parts(0xeeaf_0a34, 0xba60_b2c8);
    stats.on_sender_report(start, sr_ntp);
    let block = stats.report_block(start + Duration::from_millis(1500));
    assert_eq!(block.ssrc, 0x1234);
    assert_eq!(block.last_sr, 0x0a34_ba60);
    assert_eq!(block.delay_since_last_sr, 98_304); // 1.5 s in 1/65536 s
}

#[test]
fn send_stats_make_sender_info_then_fall_back_to_rr_and_measure_rtt() {
    let start = Instant::now();
    let mut tx = SendStats::new(0xabcd, 8000);
    let ntp = NtpTime::from_parts(1000, 0);
    assert_eq!(tx.sender_info(start, ntp), None, "nothing sent yet: RR");
    for i in 0..50u32 {
        tx.on_packet_sent(start + PTIME * i, 160 * i, 160);
    }
    // 30 ms after the last packet (timestamp 7840): the SR's RTP timestamp is 7840 + 240.
    let info = tx
        .sender_info(start + PTIME * 49 + Duration::from_millis(30), ntp)
        .unwrap();
    assert_eq!(
        (info.rtp_timestamp, info.packet_count, info.octet_count),
        (8080, 50, 8000)
    );
    // Two reports without sending (muted, on hold) turn the SR into an RR.
    assert!(tx.sender_info(start, ntp).is_some());
    assert!(tx.sender_info(start, ntp).is_none());

    let about_us = ReportBlock {
        ssrc: 0xabcd,
        fraction_lost: 13,
        cumulative_lost: 3,
        extended_highest_sequence: 50,
        jitter: 80,
        last_sr: 0xb705_2000,
        delay_since_last_sr: 0x0005_4000,
    };
    let arrival = NtpTime(0xb710_8000u64 << 16);
    assert_eq!(
        tx.on_report_block(arrival, &about_us),
        Some(Duration::from_millis(6125))
    );
    assert_eq!(tx.rtt(), Some(Duration::from_millis(6125)));
    assert_eq!(tx.remote_jitter_ms(), 10.0);
    let other = ReportBlock {
        ssrc: 0x9999,
        ..about_us
    };
    assert_eq!(
        tx.on_report_block(arrival, &other),
        None,
        "blocks about others are not ours"
    );
}

#[test]
fn call_quality_serialises_like_the_linkus_report() {
    let start = Instant::now();
    let mut rx = ReceiveStats::new(1, 8000);
    // 0 is the probation packet; 1..=100 expected, 5 lost.
    let seqs: Vec<u16> = (0..=100).filter(|s| !(20..25).contains(s)).collect();
    feed(&mut rx, start, &seqs);
    let mut tx = SendStats::new(2, 8000);
    for i in 0..150u32 {
        tx.on_packet_sent(start + PTIME * i, 160 * i, 160);
    }
    tx.on_report_block(
        NtpTime(0xb710_8000u64 << 16),
        &ReportBlock {
            ssrc: 2,
            cumulative_lost: 3,
            jitter: 16,
            last_sr: 0xb710_7000,
            ..ReportBlock::default()
        },
    );
    let mut meter = QualityMeter::default();
    let mut report = CallQuality {
        call_id: "abc@host".into(),
        lks_audio_codec: "PCMU".into(),
        ..CallQuality::default()
    };
    meter.fill(start, Some(&rx), &tx, &mut report);
    for i in 150..300u32 {
        tx.on_packet_sent(start + PTIME * i, 160 * i, 160);
    }
    meter.fill(start + Duration::from_secs(3), Some(&rx), &tx, &mut report);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["callId"], "abc@host");
    assert_eq!(json["lksAudioCodec"], "PCMU");
    assert_eq!(json["lksAudioRx"], "95"); // 96 arrived; the probation packet is not counted
    assert_eq!(json["lksAudioRxLost"], "0.050000");
    assert_eq!(json["lksAudioTx"], "300");
    assert_eq!(json["lksAudioTxLost"], "0.010000");
    assert_eq!(json["lksAudioTxAvgjitter"], "2");
    assert_eq!(json["lksAudioRtt"], "62.5"); // 0x1000 / 65536 s
                                             // 150 packets × 160 bytes in 3 s = 64 kbit/s of payload.
    assert_eq!(json["lksAudioTxBitrate"], "64.0");
    assert_eq!(json["lksVideoRx"], "0");
    // Every value a string, as in the SDK.
    assert!(json.as_object().unwrap().values().all(|v| v.is_string()));
    for key in [
        "lksTimestamp",
        "lksDate",
        "extension",
        "iceResult",
        "lksNetworkType",
        "lksDeviceType",
        "lksDuration",
        "lksVideoCodec",
        "lksAudioRxMaxjitter",
        "lksAudioRxAvgjitter",
        "lksAudioTxMaxjitter",
        "lksVideoRxLost",
        "lksVideoTxAvgjitter",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
}

proptest! {
    #[test]
    fn receive_stats_never_panic_and_never_count_more_than_expected_without_old_duplicates(
        seqs in prop::collection::vec(any::<u16>(), 1..300),
        base in any::<u16>(),
    ) {
        let mut stats = ReceiveStats::new(1, 8000);
        let start = Instant::now();
        for (i, seq) in seqs.iter().enumerate() {
            // Keep most packets near each other so that the interesting branches run.
            let seq = base.wrapping_add(seq % 200);
            stats.on_packet(start + PTIME * i as u32, seq, u32::from(seq) * 160, 160);
        }
        let _ = stats.report_block(start);
        let _ = (stats.jitter_ms(), stats.cumulative_lost(), stats.expected());
    }
}
