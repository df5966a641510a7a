//! Property tests: whatever arrives from the network, unprotecting returns a typed result and
//! never panics; whatever we send round-trips.

use dialtone_media::sdp::{SrtpKey, SrtpSuite};
use dialtone_media::srtp::SrtpContext;
use proptest::prelude::*;

fn suite() -> impl Strategy<Value = SrtpSuite> {
    prop_oneof![
        Just(SrtpSuite::AesCm128HmacSha1_80),
        Just(SrtpSuite::AesCm128HmacSha1_32)
    ]
}

fn context(suite: &SrtpSuite, key: [u8; 30]) -> SrtpContext {
    SrtpContext::new(suite, &SrtpKey::from_bytes(key)).expect("supported suite")
}

/// Bytes that look like RTP/RTCP often enough to get past the first checks: version 2 in the
/// first byte about half the time.
fn datagram() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(v2, mut bytes)| {
        if v2 {
            if let Some(first) = bytes.first_mut() {
                *first = 0x80 | (*first & 0x3F);
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn unprotect_never_panics_on_arbitrary_bytes(
        suite in suite(),
        key in any::<[u8; 30]>(),
        packets in prop::collection::vec(datagram(), 1..8),
    ) {
        let mut ctx = context(&suite, key);
        for packet in &packets {
            let mut rtp = packet.clone();
            let _ = ctx.unprotect_rtp(&mut rtp);
            let mut rtcp = packet.clone();
            let _ = ctx.unprotect_rtcp(&mut rtcp);
            let mut vec = packet.clone();
            if ctx.unprotect_rtp_vec(&mut vec).is_ok() {
                prop_assert!(vec.len() <= packet.len());
            }
        }
    }

    #[test]
    fn protect_never_panics_on_arbitrary_bytes_and_lengths(
        suite in suite(),
        key in any::<[u8; 30]>(),
        packet in datagram(),
        room in 0usize..40,
        claimed in 0usize..400,
    ) {
        let mut ctx = context(&suite, key);
        let mut buf = packet.clone();
        buf.resize(packet.len() + room, 0);
        let _ = ctx.protect_rtp(&mut buf, claimed);
        let _ = ctx.protect_rtcp(&mut buf, claimed);
        let mut vec = packet.clone();
        if ctx.protect_rtp_vec(&mut vec).is_err() {
            prop_assert_eq!(vec, packet);
        }
    }

    #[test]
    fn what_we_protect_unprotects_to_the_same_bytes(
        suite in suite(),
        key in any::<[u8; 30]>(),
        ssrc in any::<u32>(),
        first_seq in any::<u16>(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..20),
    ) {
        let mut sender = context(&suite, key);
        let mut receiver = context(&suite, key);
        for (n, payload) in payloads.iter().enumerate() {
            let seq = first_seq.wrapping_add(n as u16);
            let mut plain = vec![0x80, 111];
            plain.extend_from_slice(&seq.to_be_bytes());
            plain.extend_from_slice(&[0, 0, 0, 0]);
            plain.extend_from_slice(&ssrc.to_be_bytes());
            plain.extend_from_slice(payload);
            let mut packet = plain.clone();
            sender.protect_rtp_vec(&mut packet).expect("protects");
            receiver.unprotect_rtp_vec(&mut packet).expect("authentic");
            prop_assert_eq!(&packet, &plain);

            let mut rtcp = vec![0x81, 202, 0, 0];
            rtcp.extend_from_slice(&ssrc.to_be_bytes());
            rtcp.extend_from_slice(payload);
            let mut protected = rtcp.clone();
            sender.protect_rtcp_vec(&mut protected).expect("protects");
            receiver.unprotect_rtcp_vec(&mut protected).expect("authentic");
            prop_assert_eq!(&protected, &rtcp);
        }
    }
}
