//! A call's media at run time, for real: two media threads on 127.0.0.1 UDP sockets, negotiated
//! with the SDP module, WAV files as microphones and speakers; what each side recorded is checked
//! by frequency for the whole call.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use dialtone_core::call_media::{AudioEnds, CallMedia, RtpSockets};
use dialtone_media::sdp::{CodecSpec, LocalCapabilities, SdpSession, SrtpPolicy};
use dialtone_tests::audio_check::{tone_coverage, write_tone_wav};
use dialtone_tests::ArtifactDir;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn call(test: &str, codec: CodecSpec, srtp: SrtpPolicy) {
    let dir = ArtifactDir::new(test);
    let (a_tone, b_tone) = (dir.path().join("a440.wav"), dir.path().join("b1000.wav"));
    write_tone_wav(&a_tone, 440.0, 2.0, 48000).expect("tone");
    write_tone_wav(&b_tone, 1000.0, 2.0, 8000).expect("tone");
    let (a_heard, b_heard) = (
        dir.path().join("a-heard.wav"),
        dir.path().join("b-heard.wav"),
    );

    let (a_sockets, b_sockets) = (
        RtpSockets::bind(LOCALHOST).expect("bind"),
        RtpSockets::bind(LOCALHOST).expect("bind"),
    );
    let caps = |sockets: &RtpSockets| {
        let mut caps = LocalCapabilities::new(LOCALHOST, sockets.rtp_port());
        caps.codecs = vec![codec.clone()];
        caps.srtp = srtp;
        caps.rtcp_port = Some(sockets.rtcp_port());
        caps
    };
    let mut a_sdp = SdpSession::new(caps(&a_sockets));
    let mut b_sdp = SdpSession::new(caps(&b_sockets));
    let offer = a_sdp.create_offer();
    let (answer, b_negotiated) = b_sdp.create_answer(&offer).expect("answerable");
    let a_negotiated = a_sdp.process_answer(&answer).expect("answer accepted");

    let (notes, mut _inbox) = tokio::sync::mpsc::unbounded_channel();
    let a = CallMedia::start_tagged(
        a_sockets,
        &a_negotiated,
        AudioEnds::Files {
            play: Some(a_tone),
            record: Some(a_heard.clone()),
        },
        "a@test".into(),
        'a',
        notes.clone(),
    )
    .expect("media starts");
    let b = CallMedia::start_tagged(
        b_sockets,
        &b_negotiated,
        AudioEnds::Files {
            play: Some(b_tone),
            record: Some(b_heard.clone()),
        },
        "b@test".into(),
        'b',
        notes,
    )
    .expect("media starts");
    std::thread::sleep(Duration::from_secs(3));
    drop((a, b));

    let a_got = tone_coverage(&a_heard, 1000.0).expect("a's recording");
    let b_got = tone_coverage(&b_heard, 440.0).expect("b's recording");
    assert!(
        a_got > 0.8,
        "{test}: A heard B's 1 kHz in {:.0} % of the call",
        a_got * 100.0
    );
    assert!(
        b_got > 0.8,
        "{test}: B heard A's 440 Hz in {:.0} % of the call",
        b_got * 100.0
    );
}

#[test]
fn pcmu_call_carries_both_tones_for_the_whole_call() {
    call(
        "pcmu_call_carries_both_tones_for_the_whole_call",
        CodecSpec::pcmu(),
        SrtpPolicy::Off,
    );
}

#[test]
fn opus_call_with_mandatory_srtp_carries_both_tones() {
    call(
        "opus_call_with_mandatory_srtp_carries_both_tones",
        CodecSpec::opus(),
        SrtpPolicy::Mandatory,
    );
}

#[test]
fn g722_call_with_optional_srtp_carries_both_tones() {
    call(
        "g722_call_with_optional_srtp_carries_both_tones",
        CodecSpec::g722(),
        SrtpPolicy::Optional,
    );
}
