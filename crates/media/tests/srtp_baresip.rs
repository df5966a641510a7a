//! Interop with a real, independent SRTP implementation: packets captured from a call between
//! two baresip 1.0.0 phones (libre's own SRTP, not libsrtp) with `mediaenc=srtp-mand`, PCMU,
//! AES_CM_128_HMAC_SHA1_80, on loopback in a private network namespace (`unshare -n`).
//!
//! How they were captured: two headless profiles made with
//! `testbed/baresip/make-baresip-profile.sh` plus `module srtp.so` and the account parameters
//! `;mediaenc=srtp-mand;regint=0`; A dialled B directly (`sip:b@127.0.0.1:5080`) while
//! `tshark -i lo` recorded; the keys are the `a=crypto` lines of the captured offer and answer.
//! The full capture (215 SRTP packets each way, one SRTCP packet each way) unprotected without
//! a single failure; a few packets of it are kept here. Captured 2026-11-23.

use dialtone_media::codec::g711::Law;
use dialtone_media::sdp::CryptoAttribute;
use dialtone_media::srtp::{SrtpContext, SrtpError};

/// Phone A's offer (A sent with this key; its audio source was a 440 Hz tone).
const A_CRYPTO: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:579+fM3oP2KhNQpRjjmLiD8ywlKn1AzgrFzU2Rx8";
/// Phone B's answer.
const B_CRYPTO: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:vNoI7vPyevl3bcadS0kBkKE5azQgmRkNtlHnOfso";

/// A's packets 1, 2 and 101 (SSRC 0x13baad2f, seq 0x031b, 0x031c, 0x037f).
const A_RTP: [&str; 3] = [
    concat!(
        "8080031b0000593b13baad2f8629cfba39e328f20e613313f2236340a343f846",
        "b5afdff5d1c054481fface347322eb11db3eb546b8be42f435eb0edebad00534",
        "8cff336c1a796976acdf19e7a8651633b8bfc77e999bdc8429ad51f945b0b4d1",
        "f301335aa26e95246237827ca9ab2db087b7479079ccccb3c1db45832f1720b6",
        "275f4ee89d8e214fca2cf3daf0890ebb6acc47ad4a8c53f393259e28f8ea6d28",
        "077d05ed9b887309ca53734a3d59227160966d8ccc49",
    ),
    concat!(
        "8000031c000059db13baad2f8961ec5359db8db02a7f01c34e3cbffb7fa4eef8",
        "5f708de152d1a2bbd4f59ff1d6496a13288c8abccfffcf1e22e31b7a75379fdf",
        "9a4900ce8d4284b0c9d733d8afbf040a1551f4197174a64439202c34cff3f459",
        "192cbec10e5ea18e2330e45ded84cafca5f5403120dc8db5747e401a8d9b2c40",
        "44926981b7980bcf716db783d45e65926b583d11af2df7fffb4575b88742b9e3",
        "cb8e0dac617da7dc550d2e2e1a4e5c97a764e2675e65",
    ),
    concat!(
        "8000037f000097bb13baad2ff41dba05a12cec26ec05fbede4aa4e9885fd8142",
        "a1254d790ace0c1b9e22304a2c439eb05dc96e1ac82deb5bac597cae6b6800b8",
        "dc10ecaeb0e0a25653ee4f18bdf4f979f1e98dc05a5b158c3692724331c3062f",
        "10e26c3fda46cb3e9ec7f7079254aa1ce0371569854033163ea0c813f1ca4fe1",
        "95c45e0ac3fe0c554602ccf150e55d04ba365a9825da4c28da473d7505967612",
        "d04440bd4793bcff77ced19ff2e96b11858ea151a758",
    ),
];

/// B's first two packets (SSRC 0xe626cd09).
const B_RTP: [&str; 2] = [
    concat!(
        "808016a30000691ce626cd095820b19f9b2a472039dff15120ea23a9be81a947",
        "f6be4053c5676d8ba4df0089c63e21de83b389b5746e6a658f64a13dcbae852e",
        "33703f71fd819f50a0bb0df42eeb112744fda2dfff32ec01879a5250731ab0a1",
        "55460df1cee2097d380284003dd460bd27c1a3b786c1c58f410fa7633cecca5f",
        "d670d151bd1a65750c2443d92ade92ba63adcb7e6066aee0de192df2104d0b23",
        "3a63a6a361dd25c0e9db493d8678e28abb59c9d0b299",
    ),
    concat!(
        "800016a4000069bce626cd09cf2c78300736cef11ee92d35d7687ab5f3d181c7",
        "2fcf5e68338048afa25306ce337d3612296aa14d79d4f79ba4e49ee454356e91",
        "9c340a6d3aa3807fe662feed27acb0f3d36d91ea21b5235e24d79e92643229b1",
        "18bd5bc540f75ee7026f1021a5050de42ae88796d8c80ab38b7bc7326d608112",
        "c2f3860066a1ebddafb918b7259ba19765e131b10cea68d398dfe5704b74ba33",
        "5713e2915ba88b61b7ac6bfea5796cd54e5c8641d70d",
    ),
];

/// SRTCP from A: an APP packet "PINGPONG", E=1, index 1.
const A_SRTCP: &str = "80cc000313baad2f8c9c7a38bcb510f6800000014867a8d6bdc7c44ca0fe";
/// SRTCP from B, likewise.
const B_SRTCP: &str = "80cc0003e626cd09f6d9d067c49a89c080000001b9c4608b12047ffd94e9";
/// What baresip sent in the clear at hang-up (RTCP BYE "Adjo" + SDES): no tag, so refused.
const A_PLAIN_BYE: &str = concat!(
    "81cb000313baad2f0441646a6f00000081ca000613baad2f010f7369703a6140",
    "3132372e302e302e31000000"
);

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn context(crypto: &str) -> SrtpContext {
    let crypto = CryptoAttribute::parse(crypto).expect("a=crypto");
    SrtpContext::new(&crypto.suite, &crypto.key().expect("30-byte key")).expect("context")
}

/// Goertzel power of `freq` in 8 kHz samples.
fn power(samples: &[i16], freq: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

#[test]
fn unprotects_baresips_srtp_to_its_440_hz_tone() {
    let mut from_a = context(A_CRYPTO);
    let mut last = Vec::new();
    for (hex, seq) in A_RTP.iter().zip([0x031b_u16, 0x031c, 0x037f]) {
        let protected = unhex(hex);
        let mut packet = protected.clone();
        from_a.unprotect_rtp_vec(&mut packet).expect("authentic");
        assert_eq!(packet.len(), protected.len() - 10);
        assert_eq!(packet[..12], protected[..12]);
        assert_eq!(u16::from_be_bytes([packet[2], packet[3]]), seq);
        assert_eq!(packet.len(), 12 + 160, "20 ms of PCMU");
        last = packet;
    }
    let samples: Vec<i16> = last[12..]
        .iter()
        .map(|&code| Law::Mu.decode(code))
        .collect();
    let tone = power(&samples, 440.0);
    assert!(
        tone > 100.0 * power(&samples, 1000.0) && tone > 100.0 * power(&samples, 250.0),
        "the decrypted audio is A's 440 Hz tone"
    );
}

#[test]
fn unprotects_both_directions_and_refuses_a_replay() {
    let mut from_b = context(B_CRYPTO);
    for hex in B_RTP {
        let mut packet = unhex(hex);
        from_b.unprotect_rtp_vec(&mut packet).expect("authentic");
        assert_eq!(packet.len(), 12 + 160);
    }
    let mut replay = unhex(B_RTP[1]);
    assert!(matches!(
        from_b.unprotect_rtp_vec(&mut replay),
        Err(SrtpError::Replayed {
            ssrc: 0xe626_cd09,
            ..
        })
    ));
    // A's packets do not pass under B's key.
    let mut crossed = unhex(A_RTP[0]);
    assert_eq!(
        from_b.unprotect_rtp_vec(&mut crossed),
        Err(SrtpError::AuthenticationFailed)
    );
}

#[test]
fn unprotects_baresips_srtcp() {
    for (crypto, hex, ssrc) in [
        (A_CRYPTO, A_SRTCP, 0x13ba_ad2f_u32),
        (B_CRYPTO, B_SRTCP, 0xe626_cd09),
    ] {
        let mut packet = unhex(hex);
        context(crypto)
            .unprotect_rtcp_vec(&mut packet)
            .expect("authentic");
        let mut expected = vec![0x80, 0xcc, 0x00, 0x03];
        expected.extend_from_slice(&ssrc.to_be_bytes());
        expected.extend_from_slice(b"PINGPONG");
        assert_eq!(packet, expected);
    }
}

#[test]
fn refuses_the_rtcp_baresip_sent_in_the_clear() {
    let mut packet = unhex(A_PLAIN_BYE);
    assert_eq!(
        context(A_CRYPTO).unprotect_rtcp_vec(&mut packet),
        Err(SrtpError::AuthenticationFailed)
    );
}

/// Our sender and baresip agree on every byte: re-protecting the decrypted packet under A's
/// key (same SSRC, same sequence number, ROC 0) reproduces baresip's packet exactly.
#[test]
fn our_protect_reproduces_baresips_packets() {
    for hex in A_RTP {
        let captured = unhex(hex);
        let mut packet = captured.clone();
        context(A_CRYPTO)
            .unprotect_rtp_vec(&mut packet)
            .expect("authentic");
        context(A_CRYPTO)
            .protect_rtp_vec(&mut packet)
            .expect("protects");
        assert_eq!(packet, captured);
    }
}
