//! RTP parsing and writing (RFC 3550 §5): byte-exact known packets, every malformed shape
//! rejected with its typed error, and print → parse → print stable for arbitrary headers.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it is for

use dialtone_media::rtp::{RtpClock, RtpError, RtpExtension, RtpHeader, RtpPacket};
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A PCMU packet as any phone sends it: V=2, no padding/extension/CSRC, M=1, PT 0.
const PCMU: &str = "8080 1234 0000a0c8 deadbeef  fffefd";

#[test]
fn parses_a_plain_pcmu_packet_field_by_field() {
    let bytes = hex(PCMU);
    let packet = RtpPacket::parse(&bytes).unwrap();
    assert!(packet.marker());
    assert_eq!(packet.payload_type(), 0);
    assert_eq!(packet.sequence_number(), 0x1234);
    assert_eq!(packet.timestamp(), 0xa0c8);
    assert_eq!(packet.ssrc(), 0xdead_beef);
    assert_eq!(packet.csrcs().len(), 0);
    assert_eq!(packet.extension(), None);
    assert!(!packet.has_padding());
    assert_eq!(packet.payload(), &[0xff, 0xfe, 0xfd]);
    assert_eq!(packet.header_len(), 12);
}

#[test]
fn writes_the_pcmu_packet_byte_for_byte() {
    let header = RtpHeader {
        marker: true,
        payload_type: 0,
        sequence_number: 0x1234,
        timestamp: 0xa0c8,
        ssrc: 0xdead_beef,
        ..RtpHeader::default()
    };
    let mut out = [0u8; 64];
    let len = header.write_packet(&[0xff, 0xfe, 0xfd], &mut out).unwrap();
    assert_eq!(&out[..len], hex(PCMU).as_slice());
}

/// V=2 P=1 X=1 CC=2, M=0 PT=111 (Opus), two CSRCs, an RFC 8285 one-byte extension of one word,
/// a 2-byte payload and 2 bytes of padding (count included).
const FULL: &str =
    "b2 6f ffff 11223344 55667788  00000001 00000002  bede 0001 10ff0000  abcd  0002";

#[test]
fn parses_csrcs_extension_and_padding() {
    let bytes = hex(FULL);
    let packet = RtpPacket::parse(&bytes).unwrap();
    assert!(!packet.marker());
    assert_eq!(packet.payload_type(), 111);
    assert_eq!(packet.sequence_number(), 0xffff);
    assert_eq!(packet.timestamp(), 0x1122_3344);
    assert_eq!(packet.ssrc(), 0x5566_7788);
    assert_eq!(packet.csrcs().collect::<Vec<_>>(), vec![1, 2]);
    let ext = packet.extension().unwrap();
    assert_eq!(ext.profile, 0xbede);
    assert_eq!(ext.data, &[0x10, 0xff, 0, 0]);
    assert!(packet.has_padding());
    assert_eq!(packet.padding_len(), 2);
    assert_eq!(packet.payload(), &[0xab, 0xcd]);
    assert_eq!(packet.header_len(), 12 + 8 + 8);
}

#[test]
fn writes_csrcs_and_extension_byte_for_byte() {
    let data = [0x10, 0xff, 0, 0];
    let header = RtpHeader {
        marker: false,
        payload_type: 111,
        sequence_number: 0xffff,
        timestamp: 0x1122_3344,
        ssrc: 0x5566_7788,
        csrcs: &[1, 2],
        extension: Some(RtpExtension {
            profile: 0xbede,
            data: &data,
        }),
    };
    let mut out = [0u8; 64];
    let len = header.write_packet(&[0xab, 0xcd], &mut out).unwrap();
    // The same as FULL without its padding (first octet: P bit clear).
    let mut expected = hex(FULL);
    expected.truncate(expected.len() - 2);
    expected[0] = 0x92;
    assert_eq!(&out[..len], expected.as_slice());
    assert_eq!(header.encoded_len(), 28);
}

#[test]
fn header_only_write_leaves_room_for_in_place_encoding() {
    let header = RtpHeader {
        payload_type: 8,
        ..RtpHeader::default()
    };
    let mut out = [0xaa; 20];
    assert_eq!(header.write(&mut out), Ok(12));
    assert_eq!(out[12..], [0xaa; 8]);
}

#[test]
fn rejects_malformed_packets_with_the_rule_they_break() {
    assert_eq!(RtpPacket::parse(&[]), Err(RtpError::TooShort(0)));
    assert_eq!(
        RtpPacket::parse(&hex("8000 0001 00000000 000000")),
        Err(RtpError::TooShort(11))
    );
    assert_eq!(
        RtpPacket::parse(&hex("4000 0001 00000000 00000000")),
        Err(RtpError::BadVersion(1))
    );
    // CC=3 but only one CSRC present.
    assert_eq!(
        RtpPacket::parse(&hex("8300 0001 00000000 00000000 00000001")),
        Err(RtpError::CsrcOverrun(3))
    );
    // X set, extension header missing / its length says two words but one follows.
    assert_eq!(
        RtpPacket::parse(&hex("9000 0001 00000000 00000000 bede")),
        Err(RtpError::ExtensionOverrun)
    );
    assert_eq!(
        RtpPacket::parse(&hex("9000 0001 00000000 00000000 bede0002 00000000")),
        Err(RtpError::ExtensionOverrun)
    );
    // P set, count zero / count larger than what follows the header.
    assert_eq!(
        RtpPacket::parse(&hex("a000 0001 00000000 00000000 ab00")),
        Err(RtpError::BadPadding {
            count: 0,
            available: 2
        })
    );
    assert_eq!(
        RtpPacket::parse(&hex("a000 0001 00000000 00000000 ab03")),
        Err(RtpError::BadPadding {
            count: 3,
            available: 2
        })
    );
}

#[test]
fn padding_may_fill_everything_after_the_header() {
    let bytes = hex("a000 0001 00000000 00000000 0002");
    let packet = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(packet.payload(), &[] as &[u8]);
}

#[test]
fn refuses_to_write_what_the_header_cannot_hold() {
    let mut out = [0u8; 128];
    let too_many = [0u32; 16];
    let bad = [
        (
            RtpHeader {
                payload_type: 128,
                ..RtpHeader::default()
            },
            RtpError::BadPayloadType(128),
        ),
        (
            RtpHeader {
                csrcs: &too_many,
                ..RtpHeader::default()
            },
            RtpError::TooManyCsrcs(16),
        ),
        (
            RtpHeader {
                extension: Some(RtpExtension {
                    profile: 1,
                    data: &[1, 2, 3],
                }),
                ..RtpHeader::default()
            },
            RtpError::BadExtensionLength(3),
        ),
    ];
    for (header, error) in bad {
        assert_eq!(header.write_packet(&[], &mut out), Err(error));
    }
    assert_eq!(
        RtpHeader::default().write_packet(&[0; 10], &mut out[..20]),
        Err(RtpError::BufferTooSmall {
            needed: 22,
            capacity: 20
        })
    );
}

#[test]
fn sequence_and_timestamp_survive_their_wraparound_on_the_wire() {
    let mut out = [0u8; 32];
    for (seq, ts) in [(65535u16, u32::MAX), (0, 0), (1, 159)] {
        let header = RtpHeader {
            sequence_number: seq,
            timestamp: ts,
            ..RtpHeader::default()
        };
        let len = header.write_packet(&[1], &mut out).unwrap();
        let packet = RtpPacket::parse(&out[..len]).unwrap();
        assert_eq!((packet.sequence_number(), packet.timestamp()), (seq, ts));
    }
}

#[test]
fn media_clock_advances_at_the_clock_rate_and_wraps() {
    let origin = Instant::now();
    let clock = RtpClock::new(origin, u32::MAX - 79, 8000);
    assert_eq!(clock.timestamp_at(origin), u32::MAX - 79);
    // 20 ms at 8 kHz is 160 units: past the wrap.
    assert_eq!(clock.timestamp_at(origin + Duration::from_millis(20)), 80);
    let opus = RtpClock::new(origin, 0, 48_000);
    assert_eq!(opus.timestamp_at(origin + Duration::from_millis(20)), 960);
    assert_eq!(opus.duration_to_units(Duration::from_millis(100)), 4800);
    assert_eq!(opus.units_to_duration(4800), Duration::from_millis(100));
}

type AnyHeader = (
    bool,
    u8,
    u16,
    u32,
    u32,
    Vec<u32>,
    Option<(u16, Vec<u8>)>,
    Vec<u8>,
);

fn any_header() -> impl Strategy<Value = AnyHeader> {
    let extension =
        (any::<u16>(), prop::collection::vec(any::<u32>(), 0..3)).prop_map(|(profile, words)| {
            (
                profile,
                words.iter().flat_map(|w| w.to_be_bytes()).collect(),
            )
        });
    (
        any::<bool>(),
        0u8..128,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..=15),
        prop::option::of(extension),
        prop::collection::vec(any::<u8>(), 0..200),
    )
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(packet) = RtpPacket::parse(&bytes) {
            let _ = (packet.csrcs().count(), packet.extension(), packet.payload());
            prop_assert!(packet.header_len() + packet.payload().len() + packet.padding_len() == bytes.len());
        }
    }

    #[test]
    fn write_then_parse_gives_back_every_field(
        (marker, pt, seq, ts, ssrc, csrcs, ext, payload) in any_header()
    ) {
        let extension = ext.as_ref().map(|(profile, data)| RtpExtension { profile: *profile, data });
        let header = RtpHeader { marker, payload_type: pt, sequence_number: seq, timestamp: ts, ssrc, csrcs: &csrcs, extension };
        let mut out = vec![0u8; 1500];
        let len = header.write_packet(&payload, &mut out).unwrap();
        let packet = RtpPacket::parse(&out[..len]).unwrap();
        prop_assert_eq!(packet.marker(), marker);
        prop_assert_eq!(packet.payload_type(), pt);
        prop_assert_eq!(packet.sequence_number(), seq);
        prop_assert_eq!(packet.timestamp(), ts);
        prop_assert_eq!(packet.ssrc(), ssrc);
        prop_assert_eq!(packet.csrcs().collect::<Vec<_>>(), csrcs.clone());
        prop_assert_eq!(packet.extension(), extension);
        prop_assert_eq!(packet.payload(), payload.as_slice());
    }
}
