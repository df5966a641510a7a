//! Known-answer tests against the reference packets of libsrtp's `srtp_driver` (the master key
//! and salt are those of RFC 3711 Appendix B.3), which other implementations (pion, webrtc-rs,
//! Python/C# wrappers of libsrtp) check too: an independent implementation's output.

use dialtone_media::sdp::{SrtpKey, SrtpSuite};
use dialtone_media::srtp::{SrtpContext, SrtpError};

fn unhex(hex: &str) -> Vec<u8> {
    let hex: String = hex.split_whitespace().collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn key() -> SrtpKey {
    let bytes = unhex("E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6");
    SrtpKey::from_bytes(bytes.try_into().expect("30 bytes"))
}

fn context(suite: SrtpSuite) -> SrtpContext {
    SrtpContext::new(&suite, &key()).expect("supported suite")
}

const RTP_PLAIN: &str = "800f1234decafbadcafebabe abababababababababababababababab";
const RTP_PROTECTED_80: &str =
    "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb";
const RTCP_PLAIN: &str = "81c8000bcafebabe abababababababababababababababab";
/// E=1, SRTCP index 1 (libsrtp numbers its first SRTCP packet 1; RFC 3711 §3.4 says 0, so we
/// send one packet first).
const RTCP_PROTECTED: &str =
    "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798";

#[test]
fn protects_rtp_exactly_as_libsrtp() {
    let mut packet = unhex(RTP_PLAIN);
    context(SrtpSuite::AesCm128HmacSha1_80)
        .protect_rtp_vec(&mut packet)
        .expect("protects");
    assert_eq!(packet, unhex(RTP_PROTECTED_80));
}

#[test]
fn unprotects_libsrtps_rtp_packet() {
    let mut packet = unhex(RTP_PROTECTED_80);
    context(SrtpSuite::AesCm128HmacSha1_80)
        .unprotect_rtp_vec(&mut packet)
        .expect("authentic");
    assert_eq!(packet, unhex(RTP_PLAIN));
}

/// The _32 suite encrypts alike and keeps the leftmost 32 bits of the same HMAC (RFC 3711
/// §4.2.1, RFC 4568 §6.2.2): derived from the _80 reference, not a published vector.
#[test]
fn the_32_bit_suite_truncates_the_same_tag() {
    let mut packet = unhex(RTP_PLAIN);
    let mut sender = context(SrtpSuite::AesCm128HmacSha1_32);
    sender.protect_rtp_vec(&mut packet).expect("protects");
    assert_eq!(
        packet,
        unhex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc")
    );
    context(SrtpSuite::AesCm128HmacSha1_32)
        .unprotect_rtp_vec(&mut packet)
        .expect("authentic");
    assert_eq!(packet, unhex(RTP_PLAIN));
}

#[test]
fn protects_rtcp_exactly_as_libsrtp() {
    let mut sender = context(SrtpSuite::AesCm128HmacSha1_80);
    let mut first = unhex(RTCP_PLAIN);
    sender.protect_rtcp_vec(&mut first).expect("index 0");
    assert_eq!(&first[first.len() - 14..first.len() - 10], &[0x80, 0, 0, 0]);

    let mut packet = unhex(RTCP_PLAIN);
    sender.protect_rtcp_vec(&mut packet).expect("index 1");
    assert_eq!(packet, unhex(RTCP_PROTECTED));
}

#[test]
fn unprotects_libsrtps_rtcp_packet_and_refuses_its_replay() {
    let mut receiver = context(SrtpSuite::AesCm128HmacSha1_80);
    let mut packet = unhex(RTCP_PROTECTED);
    receiver.unprotect_rtcp_vec(&mut packet).expect("authentic");
    assert_eq!(packet, unhex(RTCP_PLAIN));

    let mut again = unhex(RTCP_PROTECTED);
    assert_eq!(
        receiver.unprotect_rtcp_vec(&mut again),
        Err(SrtpError::Replayed {
            ssrc: 0xCAFE_BABE,
            index: 1
        })
    );
}
