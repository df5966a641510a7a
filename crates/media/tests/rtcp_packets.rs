//! RTCP (RFC 3550 §6): real compound packets captured from baresip 1.0.0, hand-built vectors,
//! our writer reproducing baresip's SR+SDES byte for byte, RTT per §6.4.1, rtcp-mux demux
//! (RFC 5761 §4), the report interval (§6.2), and no panic on arbitrary bytes.
//!
//! The baresip packets come from a PCMU call between two baresip 1.0.0 instances on loopback
//! (private network namespace, `tshark -i lo`), captured while writing this module.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it is for

use std::time::{Duration, Instant};

use dialtone_media::rtcp::{
    is_rtcp, ntp_short_from_duration, ntp_short_to_duration, write_bye, CompoundReport, NtpTime,
    ReportBlock, RtcpCompound, RtcpError, RtcpPacket, RtcpScheduler, SenderInfo,
};
use dialtone_media::stats::round_trip_time;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// baresip (SSRC 8db38960, CNAME sip:a@127.0.0.1:15060) 5.067 s into the call: SR with one
/// report block about its peer, then SDES.
const BARESIP_SR: &str = "81c8000c 8db38960 eeaf0a34 ba60b2c8 0000cc7c 000000f9 00009ba0
    0abf9f77 00000000 00000d69 0000002d 0a34ac09 00000e56
    81ca0007 8db38960 0115 7369703a61403132372e302e302e313a3135303630 00";
/// Its peer's SR 56.020 ms earlier (capture times 5.010834266 s and 5.066854394 s): the one the
/// block above answers (LSR 0a34ac09 = the middle of eeaf0a34 ac09c3ce).
const BARESIP_PEER_SR: &str = "81c8000c 0abf9f77 eeaf0a34 ac09c3ce 0000eb70 000000f8 00009b00
    8db38960 00000000 00006cb9 00000034 00000000 00000000
    81ca0007 0abf9f77 0115 7369703a62403132372e302e302e313a3135303830 00";
/// baresip hanging up: BYE with reason "Adjo", then SDES (BYE first, unlike RFC 3550 A.2 asks).
const BARESIP_BYE: &str = "81cb0003 0abf9f77 04 41646a6f 000000
    81ca0007 0abf9f77 0115 7369703a62403132372e302e302e313a3135303830 00";
/// baresip's first RTCP: an APP packet "PING" / "PONG" (its RTT probe), to be skipped.
const BARESIP_APP: &str = "80cc0003 0abf9f77 50494e47 504f4e47";

#[test]
fn parses_a_real_baresip_sender_report_with_sdes() {
    let bytes = hex(BARESIP_SR);
    let compound = RtcpCompound::parse(&bytes).unwrap();
    let packets: Vec<_> = compound.packets().collect();
    assert_eq!(packets.len(), 2);
    let RtcpPacket::SenderReport(sr) = packets[0] else {
        panic!("expected SR, got {:?}", packets[0]);
    };
    assert_eq!(sr.ssrc, 0x8db3_8960);
    assert_eq!(
        sr.sender_info.ntp,
        NtpTime::from_parts(0xeeaf_0a34, 0xba60_b2c8)
    );
    assert_eq!(sr.sender_info.rtp_timestamp, 52_348);
    assert_eq!(sr.sender_info.packet_count, 249);
    // 249 PCMU packets × 160 bytes: payload octets only, as RFC 3550 §6.4.1 says.
    assert_eq!(sr.sender_info.octet_count, 249 * 160);
    let blocks: Vec<_> = sr.report_blocks.collect();
    assert_eq!(
        blocks,
        vec![ReportBlock {
            ssrc: 0x0abf_9f77,
            fraction_lost: 0,
            cumulative_lost: 0,
            extended_highest_sequence: 0x0d69,
            jitter: 45,
            last_sr: 0x0a34_ac09,
            delay_since_last_sr: 0x0e56,
        }]
    );
    let RtcpPacket::SourceDescription(chunks) = packets[1] else {
        panic!("expected SDES, got {:?}", packets[1]);
    };
    let chunks: Vec<_> = chunks.collect();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].ssrc, 0x8db3_8960);
    assert_eq!(chunks[0].cname(), Some(&b"sip:a@127.0.0.1:15060"[..]));
}

#[test]
fn our_writer_reproduces_baresips_sender_report_byte_for_byte() {
    let block = ReportBlock {
        ssrc: 0x0abf_9f77,
        fraction_lost: 0,
        cumulative_lost: 0,
        extended_highest_sequence: 0x0d69,
        jitter: 45,
        last_sr: 0x0a34_ac09,
        delay_since_last_sr: 0x0e56,
    };
    let report = CompoundReport {
        ssrc: 0x8db3_8960,
        sender_info: Some(SenderInfo {
            ntp: NtpTime::from_parts(0xeeaf_0a34, 0xba60_b2c8),
            rtp_timestamp: 52_348,
            packet_count: 249,
            octet_count: 39_840,
        }),
        report_blocks: &[block],
        cname: "sip:a@127.0.0.1:15060",
    };
    let mut out = [0u8; 256];
    let len = report.write(&mut out).unwrap();
    assert_eq!(len, report.encoded_len());
    assert_eq!(&out[..len], hex(BARESIP_SR).as_slice());
}

#[test]
fn rtt_from_baresips_real_exchange_is_loopback_fast() {
    // The peer's SR left at NTP eeaf0a34.ac09c3ce; baresip's answer arrived 56.020128 ms later
    // (same host, same clock), saying it held the SR for DLSR = 0x0e56 (56.0 ms).
    let peer = hex(BARESIP_PEER_SR);
    let Some(RtcpPacket::SenderReport(peer_sr)) =
        RtcpCompound::parse(&peer).unwrap().packets().next()
    else {
        panic!("the peer's packet starts with an SR");
    };
    let sent = peer_sr.sender_info.ntp;
    let arrival = NtpTime(sent.0 + (56_020_128u64 << 32) / 1_000_000_000);
    let answer = hex(BARESIP_SR);
    let Some(RtcpPacket::SenderReport(sr)) = RtcpCompound::parse(&answer).unwrap().packets().next()
    else {
        panic!("baresip's packet starts with an SR");
    };
    let block = sr.report_blocks.clone().next().unwrap();
    assert_eq!(block.last_sr, sent.middle32());
    let rtt = round_trip_time(arrival, block.last_sr, block.delay_since_last_sr).unwrap();
    assert!(rtt < Duration::from_millis(1), "loopback RTT {rtt:?}");
}

#[test]
fn rtt_matches_the_worked_example_of_rfc3550_section_6_4_1() {
    // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s).
    let arrival = NtpTime(0xb710_8000u64 << 16);
    let rtt = round_trip_time(arrival, 0xb705_2000, 0x0005_4000).unwrap();
    assert_eq!(rtt, Duration::from_millis(6125));
    // No SR from us yet, or a block that would make time run backwards: no RTT.
    assert_eq!(round_trip_time(arrival, 0, 0x0005_4000), None);
    assert_eq!(round_trip_time(arrival, 0xb710_8000, 0x0001_0000), None);
    // Across the 16.16 rollover.
    let rtt = round_trip_time(NtpTime(0x0000_8000u64 << 16), 0xffff_8000, 0x0000_8000).unwrap();
    assert_eq!(rtt, Duration::from_millis(500));
}

#[test]
fn parses_baresips_bye_compound_and_skips_its_app_packet() {
    let bytes = hex(BARESIP_BYE);
    let packets: Vec<_> = RtcpCompound::parse(&bytes).unwrap().packets().collect();
    let RtcpPacket::Bye(bye) = packets[0] else {
        panic!("expected BYE, got {:?}", packets[0]);
    };
    assert_eq!(bye.sources().collect::<Vec<_>>(), vec![0x0abf_9f77]);
    assert_eq!(bye.reason, Some(&b"Adjo"[..]));
    assert!(matches!(packets[1], RtcpPacket::SourceDescription(_)));

    let bytes = hex(BARESIP_APP);
    let packets: Vec<_> = RtcpCompound::parse(&bytes).unwrap().packets().collect();
    assert_eq!(
        packets,
        vec![RtcpPacket::Other {
            packet_type: 204,
            count: 0,
            body: &bytes[4..],
        }]
    );
}

#[test]
fn writes_receiver_report_with_negative_loss_and_a_bye() {
    let block = ReportBlock {
        ssrc: 0x0102_0304,
        fraction_lost: 0x40,
        cumulative_lost: -3,
        extended_highest_sequence: 0x0001_0005,
        jitter: 0x20,
        last_sr: 0x1111_2222,
        delay_since_last_sr: 0x0001_8000,
    };
    let report = CompoundReport {
        ssrc: 0xaabb_ccdd,
        sender_info: None,
        report_blocks: &[block],
        cname: "dt",
    };
    let mut out = [0u8; 128];
    let len = report.write(&mut out).unwrap();
    let bye_len = write_bye(0xaabb_ccdd, Some("bye"), &mut out[len..]).unwrap();
    let expected = hex(
        "81c90007 aabbccdd  01020304 40fffffd 00010005 00000020 11112222 00018000
         81ca0003 aabbccdd 0102 6474 00000000
         81cb0002 aabbccdd 03 627965",
    );
    assert_eq!(&out[..len + bye_len], expected.as_slice());
    // And it reads back, the 24-bit loss sign-extended.
    let packets: Vec<_> = RtcpCompound::parse(&expected).unwrap().packets().collect();
    let RtcpPacket::ReceiverReport(rr) = packets[0] else {
        panic!("expected RR");
    };
    assert_eq!(rr.ssrc, 0xaabb_ccdd);
    assert_eq!(rr.report_blocks.collect::<Vec<_>>(), vec![block]);
    let RtcpPacket::Bye(bye) = packets[2] else {
        panic!("expected BYE");
    };
    assert_eq!(bye.reason, Some(&b"bye"[..]));
}

#[test]
fn unknown_types_and_padding_are_skipped() {
    // RR without blocks; PSFB PLI (type 206, FMT 1) padded with 4 bytes; then SDES without items.
    let bytes = hex("80c90001 00000001
         a1ce0003 00000001 00000002 00000004
         81ca0001 00000001");
    let packets: Vec<_> = RtcpCompound::parse(&bytes).unwrap().packets().collect();
    assert_eq!(packets.len(), 3);
    assert_eq!(
        packets[1],
        RtcpPacket::Other {
            packet_type: 206,
            count: 1,
            body: &bytes[12..20],
        }
    );
    let RtcpPacket::SourceDescription(chunks) = packets[2] else {
        panic!("expected SDES");
    };
    let chunk = chunks.clone().next().unwrap();
    assert_eq!(chunk.cname(), None);
}

#[test]
fn rejects_malformed_compounds_with_the_rule_they_break() {
    assert_eq!(RtcpCompound::parse(&[]), Err(RtcpError::TooShort(0)));
    assert_eq!(
        RtcpCompound::parse(&hex("40c90001 00000001")),
        Err(RtcpError::BadVersion(1))
    );
    // Length says 3 words but 1 follows; second packet cut short.
    assert_eq!(
        RtcpCompound::parse(&hex("80c90002 00000001")),
        Err(RtcpError::LengthOverrun {
            packet_type: 201,
            length: 12,
            available: 8
        })
    );
    assert_eq!(
        RtcpCompound::parse(&hex("80c90001 00000001 80")),
        Err(RtcpError::TooShort(1))
    );
    // RR says one block but has none; SR too short for sender info.
    assert_eq!(
        RtcpCompound::parse(&hex("81c90001 00000001")),
        Err(RtcpError::Truncated(201))
    );
    assert_eq!(
        RtcpCompound::parse(&hex("80c80001 00000001")),
        Err(RtcpError::Truncated(200))
    );
    // SDES item longer than the packet; BYE reason longer than the packet.
    assert_eq!(
        RtcpCompound::parse(&hex("81ca0002 00000001 01ff0000")),
        Err(RtcpError::Truncated(202))
    );
    assert_eq!(
        RtcpCompound::parse(&hex("81cb0002 00000001 09616200")),
        Err(RtcpError::Truncated(203))
    );
    // Padding count zero, and larger than the body.
    assert_eq!(
        RtcpCompound::parse(&hex("a0c90001 00000000")),
        Err(RtcpError::BadPadding(201))
    );
    assert_eq!(
        RtcpCompound::parse(&hex("a0c90001 00000009")),
        Err(RtcpError::BadPadding(201))
    );
}

#[test]
fn refuses_to_write_what_rtcp_cannot_hold() {
    let blocks = [ReportBlock::default(); 32];
    let mut out = [0u8; 2048];
    let report = CompoundReport {
        ssrc: 1,
        sender_info: None,
        report_blocks: &blocks,
        cname: "x",
    };
    assert!(matches!(report.write(&mut out), Err(RtcpError::TooLong(_))));
    let long = "x".repeat(256);
    let report = CompoundReport {
        ssrc: 1,
        sender_info: None,
        report_blocks: &[],
        cname: &long,
    };
    assert!(matches!(report.write(&mut out), Err(RtcpError::TooLong(_))));
    let report = CompoundReport {
        ssrc: 1,
        sender_info: None,
        report_blocks: &[],
        cname: "x",
    };
    assert_eq!(
        report.write(&mut out[..10]),
        Err(RtcpError::BufferTooSmall {
            needed: 20,
            capacity: 10
        })
    );
}

#[test]
fn rtcp_mux_tells_rtcp_from_rtp_by_payload_type_range() {
    assert!(is_rtcp(&hex(BARESIP_SR)));
    assert!(is_rtcp(&hex(BARESIP_APP)));
    assert!(is_rtcp(&hex("80c8 0000"))); // 200 = 64 | marker
    assert!(is_rtcp(&hex("80df 0000"))); // 223 = 95 | marker
    assert!(!is_rtcp(&hex("8000 0001 00000000 00000000"))); // PCMU
    assert!(!is_rtcp(&hex("80e0 0001 00000000 00000000"))); // PT 96 with marker
    assert!(!is_rtcp(&hex("80bf 0001 00000000 00000000"))); // PT 63 with marker
    assert!(!is_rtcp(&hex("00c8 0000"))); // STUN-like first octet
    assert!(!is_rtcp(&hex("80c8")));
}

#[test]
fn ntp_conversions_keep_the_rfc_units() {
    // 2000-01-01T00:00:00Z is 3155673600 s after 1900.
    let ntp = NtpTime::from_unix(Duration::from_secs(946_684_800) + Duration::from_millis(500));
    assert_eq!(ntp.seconds(), 3_155_673_600);
    assert_eq!(ntp.fraction(), 0x8000_0000);
    assert_eq!(ntp.middle32(), (3_155_673_600u32 << 16) | 0x8000);
    assert_eq!(
        ntp_short_from_duration(Duration::from_millis(5250)),
        0x0005_4000
    );
    assert_eq!(
        ntp_short_to_duration(0x0005_4000),
        Duration::from_millis(5250)
    );
}

#[test]
fn reports_are_scheduled_about_every_five_seconds_with_the_first_sooner() {
    let start = Instant::now();
    for seed in 0..50 {
        let mut scheduler = RtcpScheduler::new(start, seed);
        let first = scheduler.poll_timeout() - start;
        assert!(
            first >= Duration::from_millis(1250) && first < Duration::from_millis(3750),
            "{first:?}"
        );
        assert!(!scheduler.handle_timeout(start + first - Duration::from_millis(1)));
        let mut now = start + first;
        let mut total = Duration::ZERO;
        for _ in 0..100 {
            assert!(scheduler.handle_timeout(now));
            let interval = scheduler.poll_timeout() - now;
            assert!(
                interval >= Duration::from_millis(2500) && interval < Duration::from_millis(7500)
            );
            total += interval;
            now += interval;
        }
        let mean = total / 100;
        assert!(
            mean > Duration::from_millis(4500) && mean < Duration::from_millis(5500),
            "{mean:?}"
        );
    }
}

proptest! {
    #[test]
    fn compound_parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = is_rtcp(&bytes);
        if let Ok(compound) = RtcpCompound::parse(&bytes) {
            for packet in compound.packets() {
                if let RtcpPacket::SourceDescription(chunks) = packet {
                    for chunk in chunks {
                        let _ = chunk.items().count();
                    }
                }
            }
        }
    }

    #[test]
    fn compounds_of_valid_headers_never_panic(
        words in prop::collection::vec((0u8..32, 192u8..=208, 0u16..8), 1..6),
        filler in any::<u8>(),
    ) {
        // Structurally plausible compounds reach the body parsers far more often than noise.
        let mut bytes = Vec::new();
        for (count, packet_type, length) in words {
            bytes.extend_from_slice(&[0x80 | count, packet_type]);
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend(std::iter::repeat_n(filler, usize::from(length) * 4));
        }
        if let Ok(compound) = RtcpCompound::parse(&bytes) {
            prop_assert!(compound.packets().count() > 0);
        }
    }

    #[test]
    fn written_reports_parse_back(
        ssrc in any::<u32>(),
        info in prop::option::of((any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>())),
        blocks in prop::collection::vec((any::<u32>(), any::<u8>(), -0x80_0000i32..0x80_0000, any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()), 0..31),
        cname in "[ -~]{0,40}",
    ) {
        let sender_info = info.map(|(ntp, rtp_timestamp, packet_count, octet_count)| SenderInfo {
            ntp: NtpTime(ntp), rtp_timestamp, packet_count, octet_count,
        });
        let blocks: Vec<ReportBlock> = blocks.into_iter().map(|(ssrc, fraction_lost, cumulative_lost, extended_highest_sequence, jitter, last_sr, delay_since_last_sr)| ReportBlock {
            ssrc, fraction_lost, cumulative_lost, extended_highest_sequence, jitter, last_sr, delay_since_last_sr,
        }).collect();
        let report = CompoundReport { ssrc, sender_info, report_blocks: &blocks, cname: &cname };
        let mut out = vec![0u8; report.encoded_len()];
        let len = report.write(&mut out).unwrap();
        prop_assert_eq!(len % 4, 0);
        let packets: Vec<_> = RtcpCompound::parse(&out).unwrap().packets().collect();
        prop_assert_eq!(packets.len(), 2);
        match packets[0] {
            RtcpPacket::SenderReport(sr) => {
                prop_assert_eq!(Some(sr.sender_info), sender_info);
                prop_assert_eq!(sr.report_blocks.collect::<Vec<_>>(), blocks);
            }
            RtcpPacket::ReceiverReport(rr) => {
                prop_assert!(sender_info.is_none());
                prop_assert_eq!(rr.report_blocks.collect::<Vec<_>>(), blocks);
            }
            other => prop_assert!(false, "{:?}", other),
        }
        let RtcpPacket::SourceDescription(chunks) = packets[1] else { panic!("SDES expected") };
        let cnames: Vec<_> = chunks.map(|c| c.cname()).collect();
        prop_assert_eq!(cnames, vec![Some(cname.as_bytes())]);
    }
}
