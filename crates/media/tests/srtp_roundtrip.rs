//! Behaviour of SRTP/SRTCP contexts as a call would see it: sequences crossing the 16-bit
//! wrap, reordering, duplicates, tampering, wrong keys and the SRTCP index.

use dialtone_media::sdp::{SrtpKey, SrtpSuite};
use dialtone_media::srtp::{SrtpContext, SrtpError, REPLAY_WINDOW, SRTCP_OVERHEAD};

const SSRC: u32 = 0x1122_3344;
const SUITES: [SrtpSuite; 2] = SrtpSuite::SUPPORTED;

fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> Vec<u8> {
    let mut packet = vec![0x80, 0x00];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend((0..payload_len).map(|i| (i as u8) ^ (seq as u8)));
    packet
}

/// An RTCP receiver report with one report block (RFC 3550 §6.4.2).
fn rtcp(ssrc: u32, tag: u8) -> Vec<u8> {
    let mut packet = vec![0x81, 201, 0x00, 0x07];
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend(std::iter::repeat_n(tag, 24));
    packet
}

fn pair(suite: &SrtpSuite) -> (SrtpContext, SrtpContext) {
    let key = SrtpKey::random();
    (
        SrtpContext::new(suite, &key).expect("sender"),
        SrtpContext::new(suite, &key).expect("receiver"),
    )
}

fn protect(ctx: &mut SrtpContext, packet: &[u8]) -> Vec<u8> {
    let mut out = packet.to_vec();
    ctx.protect_rtp_vec(&mut out).expect("protects");
    out
}

fn unprotect(ctx: &mut SrtpContext, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
    let mut out = packet.to_vec();
    ctx.unprotect_rtp_vec(&mut out).map(|()| out)
}

#[test]
fn round_trip_across_the_sequence_wrap_for_both_suites() {
    for suite in &SUITES {
        let (mut sender, mut receiver) = pair(suite);
        let mut seq: u16 = 65_000;
        for _ in 0..3_000 {
            let plain = rtp(seq, SSRC, 160);
            let protected = protect(&mut sender, &plain);
            assert_eq!(protected.len(), plain.len() + sender.rtp_overhead());
            assert_ne!(protected[12..172], plain[12..], "payload is encrypted");
            assert_eq!(protected[..12], plain[..12], "header stays in the clear");
            assert_eq!(
                unprotect(&mut receiver, &protected),
                Ok(plain),
                "{suite} seq {seq}"
            );
            seq = seq.wrapping_add(1);
        }
    }
}

#[test]
fn the_roc_is_part_of_keystream_and_tag_after_the_wrap() {
    let key = SrtpKey::random();
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut at_roc_0 = SrtpContext::new(&suite, &key).expect("ctx");
    let mut at_roc_1 = SrtpContext::new(&suite, &key).expect("ctx");
    protect(&mut at_roc_1, &rtp(0xFFFF, SSRC, 0));
    let packet = rtp(3, SSRC, 32);
    let first = protect(&mut at_roc_0, &packet);
    let second = protect(&mut at_roc_1, &packet);
    assert_ne!(
        first[12..44],
        second[12..44],
        "index 3 vs 0x1_0003: other keystream"
    );
    assert_ne!(first[44..], second[44..], "other ROC in the tag");

    // A receiver that joins after the wrap guesses ROC 0 and cannot authenticate ROC 1
    // packets: the tag covers the ROC (RFC 3711 §4.2), a known limit of SDES late joining.
    let mut late_joiner = SrtpContext::new(&suite, &key).expect("ctx");
    assert_eq!(
        unprotect(&mut late_joiner, &second),
        Err(SrtpError::AuthenticationFailed)
    );
    assert_eq!(unprotect(&mut late_joiner, &first), Ok(packet));
}

#[test]
fn reordered_packets_around_the_wrap_are_accepted_and_duplicates_refused() {
    for suite in &SUITES {
        let (mut sender, mut receiver) = pair(suite);
        let seqs: Vec<u16> = (0..40u16).map(|i| 65_520u16.wrapping_add(i)).collect();
        let protected: Vec<Vec<u8>> = seqs
            .iter()
            .map(|&seq| protect(&mut sender, &rtp(seq, SSRC, 50)))
            .collect();
        // Deliver in a shuffled order that moves packets from before the wrap after it.
        let order = [
            0, 2, 1, 3, 5, 4, 6, 7, 9, 8, 10, 11, 12, 13, 15, 14, 17, 19, 16, 18, 20, 21, 23, 22,
            24, 25, 26, 27, 29, 28, 30, 31, 32, 33, 35, 34, 36, 39, 37, 38,
        ];
        for &i in &order {
            assert_eq!(
                unprotect(&mut receiver, &protected[i]),
                Ok(rtp(seqs[i], SSRC, 50)),
                "{suite}: packet {i} (seq {})",
                seqs[i]
            );
        }
        for &i in &[0usize, 15, 16, 39] {
            let index = if seqs[i] >= 65_520 {
                u64::from(seqs[i])
            } else {
                0x1_0000 + u64::from(seqs[i])
            };
            assert_eq!(
                unprotect(&mut receiver, &protected[i]),
                Err(SrtpError::Replayed { ssrc: SSRC, index }),
                "{suite}: duplicate of packet {i}"
            );
        }
    }
}

#[test]
fn packets_older_than_the_window_are_refused() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    let old = protect(&mut sender, &rtp(100, SSRC, 10));
    let mut newest = Vec::new();
    for seq in 101..=100 + REPLAY_WINDOW as u16 + 1 {
        newest = protect(&mut sender, &rtp(seq, SSRC, 10));
    }
    unprotect(&mut receiver, &newest).expect("newest");
    assert_eq!(
        unprotect(&mut receiver, &old),
        Err(SrtpError::TooOld { ssrc: SSRC })
    );
}

#[test]
fn the_sender_refuses_to_reuse_keystream() {
    let (mut sender, _) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    protect(&mut sender, &rtp(7, SSRC, 10));
    let mut again = rtp(7, SSRC, 12);
    assert_eq!(
        sender.protect_rtp_vec(&mut again),
        Err(SrtpError::Replayed {
            ssrc: SSRC,
            index: 7
        })
    );
    assert_eq!(
        again,
        rtp(7, SSRC, 12),
        "a failed protect leaves the packet as it was"
    );
}

#[test]
fn any_flipped_bit_fails_authentication_and_leaves_state_alone() {
    for suite in &SUITES {
        let (mut sender, mut receiver) = pair(suite);
        let plain = rtp(42, SSRC, 24);
        let protected = protect(&mut sender, &plain);
        for byte in 0..protected.len() {
            for bit in 0..8 {
                let mut tampered = protected.clone();
                tampered[byte] ^= 1 << bit;
                let result = unprotect(&mut receiver, &tampered);
                if byte == 0 && bit != 5 {
                    // Version, X and CC change how the header is read: refused before the tag.
                    assert!(result.is_err(), "{suite}: byte 0 bit {bit} gave {result:?}");
                } else {
                    assert_eq!(
                        result,
                        Err(SrtpError::AuthenticationFailed),
                        "{suite}: byte {byte} bit {bit}"
                    );
                }
            }
        }
        assert_eq!(unprotect(&mut receiver, &protected), Ok(plain), "{suite}");
    }
}

#[test]
fn a_wrong_key_fails_authentication() {
    for suite in &SUITES {
        let mut sender = SrtpContext::new(suite, &SrtpKey::random()).expect("ctx");
        let mut receiver = SrtpContext::new(suite, &SrtpKey::random()).expect("ctx");
        let protected = protect(&mut sender, &rtp(1, SSRC, 20));
        assert_eq!(
            unprotect(&mut receiver, &protected),
            Err(SrtpError::AuthenticationFailed)
        );
        let mut srtcp = rtcp(SSRC, 1);
        sender.protect_rtcp_vec(&mut srtcp).expect("protects");
        assert_eq!(
            receiver.unprotect_rtcp_vec(&mut srtcp),
            Err(SrtpError::AuthenticationFailed)
        );
    }
}

#[test]
fn suites_do_not_interoperate_with_each_other() {
    let key = SrtpKey::random();
    let mut sender = SrtpContext::new(&SrtpSuite::AesCm128HmacSha1_80, &key).expect("ctx");
    let mut receiver = SrtpContext::new(&SrtpSuite::AesCm128HmacSha1_32, &key).expect("ctx");
    let protected = protect(&mut sender, &rtp(1, SSRC, 20));
    assert_eq!(
        unprotect(&mut receiver, &protected),
        Err(SrtpError::AuthenticationFailed)
    );
}

#[test]
fn streams_are_kept_per_ssrc() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    let a = protect(&mut sender, &rtp(10, 0xAAAA_AAAA, 20));
    let b = protect(&mut sender, &rtp(10, 0xBBBB_BBBB, 20));
    assert_ne!(a[12..], b[12..], "SSRC is part of the IV");
    assert!(unprotect(&mut receiver, &a).is_ok());
    assert!(unprotect(&mut receiver, &b).is_ok(), "same seq, other SSRC");
    assert!(unprotect(&mut receiver, &b).is_err());
}

#[test]
fn csrcs_extensions_and_padding_stay_authenticated_and_clear() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_32);
    let mut plain = vec![0xB1, 0x00, 0x00, 0x05, 0, 0, 0, 0];
    plain.extend_from_slice(&SSRC.to_be_bytes());
    plain.extend_from_slice(&0x0102_0304u32.to_be_bytes()); // CSRC
    plain.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0]); // one-byte ext
    plain.extend_from_slice(&[9; 30]);
    plain.extend_from_slice(&[0, 0, 2]); // padding, P bit set
    let protected = protect(&mut sender, &plain);
    assert_eq!(protected[..24], plain[..24]);
    assert_eq!(unprotect(&mut receiver, &protected), Ok(plain));
}

#[test]
fn srtcp_round_trip_increments_the_index_per_ssrc() {
    for suite in &SUITES {
        let (mut sender, mut receiver) = pair(suite);
        for n in 0..300u32 {
            for ssrc in [SSRC, 0x5555_5555] {
                let plain = rtcp(ssrc, n as u8);
                let mut packet = plain.clone();
                sender.protect_rtcp_vec(&mut packet).expect("protects");
                assert_eq!(packet.len(), plain.len() + SRTCP_OVERHEAD, "80-bit tag");
                let word = &packet[plain.len()..plain.len() + 4];
                assert_eq!(
                    u32::from_be_bytes(word.try_into().expect("4")),
                    0x8000_0000 | n,
                    "E bit and index"
                );
                assert_eq!(packet[..8], plain[..8]);
                assert_ne!(packet[8..plain.len()], plain[8..]);
                receiver.unprotect_rtcp_vec(&mut packet).expect("authentic");
                assert_eq!(packet, plain);
            }
        }
    }
}

#[test]
fn srtcp_reordering_duplicates_and_tampering() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    let packets: Vec<Vec<u8>> = (0..5)
        .map(|n| {
            let mut p = rtcp(SSRC, n);
            sender.protect_rtcp_vec(&mut p).expect("protects");
            p
        })
        .collect();
    for i in [1, 0, 3, 2] {
        let mut p = packets[i].clone();
        receiver
            .unprotect_rtcp_vec(&mut p)
            .expect("reordered is fine");
    }
    let mut dup = packets[3].clone();
    assert_eq!(
        receiver.unprotect_rtcp_vec(&mut dup),
        Err(SrtpError::Replayed {
            ssrc: SSRC,
            index: 3
        })
    );
    let index_word = packets[4].len() - 14..packets[4].len() - 10;
    for byte in 0..packets[4].len() {
        let mut tampered = packets[4].clone();
        tampered[byte] ^= 0x04;
        let result = receiver.unprotect_rtcp_vec(&mut tampered);
        if index_word.contains(&byte) {
            // A changed index may land on one already seen: refused before the tag.
            assert!(result.is_err(), "byte {byte} gave {result:?}");
        } else {
            assert_eq!(result, Err(SrtpError::AuthenticationFailed), "byte {byte}");
        }
    }
    let mut last = packets[4].clone();
    receiver
        .unprotect_rtcp_vec(&mut last)
        .expect("untouched state");
}

#[test]
fn clearing_the_srtcp_e_bit_fails_authentication() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    let mut packet = rtcp(SSRC, 3);
    let len = packet.len();
    sender.protect_rtcp_vec(&mut packet).expect("protects");
    packet[len] &= 0x7F;
    assert_eq!(
        receiver.unprotect_rtcp_vec(&mut packet),
        Err(SrtpError::AuthenticationFailed)
    );
}

#[test]
fn short_and_malformed_packets_get_typed_errors() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    assert_eq!(
        receiver.unprotect_rtp(&mut [0x80; 21]),
        Err(SrtpError::TooShort { len: 21 })
    );
    assert_eq!(
        receiver.unprotect_rtp(&mut [0x40; 40]),
        Err(SrtpError::BadVersion)
    );
    // CSRC count promises more header than there is.
    let mut csrcs = rtp(1, SSRC, 0);
    csrcs[0] = 0x8F;
    csrcs.extend_from_slice(&[0; 10]);
    assert_eq!(
        receiver.unprotect_rtp(&mut csrcs),
        Err(SrtpError::TooShort { len: 22 })
    );
    assert_eq!(
        receiver.unprotect_rtcp(&mut [0x80; 21]),
        Err(SrtpError::TooShort { len: 21 })
    );
    let mut buf = [0u8; 1500];
    let plain = rtp(1, SSRC, 20);
    buf[..plain.len()].copy_from_slice(&plain);
    assert_eq!(
        sender.protect_rtp(&mut buf[..plain.len() + 9], plain.len()),
        Err(SrtpError::BufferTooSmall {
            needed: plain.len() + 10
        })
    );
    assert_eq!(
        sender.protect_rtcp(&mut buf[..10], 11),
        Err(SrtpError::TooShort { len: 10 })
    );
}

#[test]
fn in_place_on_a_caller_buffer() {
    let (mut sender, mut receiver) = pair(&SrtpSuite::AesCm128HmacSha1_80);
    let plain = rtp(5, SSRC, 160);
    let mut buf = [0u8; 1500];
    buf[..plain.len()].copy_from_slice(&plain);
    let len = sender.protect_rtp(&mut buf, plain.len()).expect("protects");
    assert_eq!(len, plain.len() + 10);
    let len = receiver.unprotect_rtp(&mut buf[..len]).expect("authentic");
    assert_eq!(buf[..len], plain[..]);
}

#[test]
fn unsupported_suites_and_key_masking() {
    let key = SrtpKey::from_bytes([0x5A; 30]);
    assert_eq!(
        SrtpContext::new(&SrtpSuite::Other("AEAD_AES_256_GCM".into()), &key).err(),
        Some(SrtpError::UnsupportedSuite("AEAD_AES_256_GCM".into()))
    );
    let ctx = SrtpContext::new(&SrtpSuite::AesCm128HmacSha1_80, &key).expect("ctx");
    let debug = format!("{ctx:?}");
    assert!(debug.contains("AES_CM_128_HMAC_SHA1_80") && debug.contains("***"));
    assert!(!debug.contains("5a") && !debug.contains("5A") && !debug.contains("90"));
}
