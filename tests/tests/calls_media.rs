//! Real calls dialtone-cli → baresip through kamailio with each codec, SRTP (SDES) and the
//! TCP/TLS signalling transports; audio checked by frequency on both sides.

use std::time::Duration;

use dialtone_tests::audio_check::{tone_coverage, write_tone_wav};
use dialtone_tests::{
    ArtifactDir, AudioSource, Baresip, BaresipOptions, DialtoneCli, Kamailio, KamailioOptions,
    Netns,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);

fn assert_heard(path: &std::path::Path, hz: f64, who: &str) {
    let coverage = tone_coverage(path, hz).expect("readable recording");
    assert!(
        coverage > 0.75,
        "{who} heard {hz} Hz in only {:.0} % of {}",
        coverage * 100.0,
        path.display()
    );
}

/// What one call of the matrix varies.
struct Case<'a> {
    name: &'a str,
    /// baresip's `audio_codecs`.
    bob_codecs: &'a [&'a str],
    bob_params: &'a str,
    /// baresip's tone WAV: sample rate and channels its codec needs (aufile does not convert).
    bob_wav: (u32, u16),
    /// Account flags of dialtone (transport, registrar, TLS CA); `None`: UDP to 127.0.0.1.
    account: Option<Vec<String>>,
    /// Media flags of dialtone after `call 1000`.
    media: &'a [&'a str],
    /// `callReport.report.lksAudioCodec` expected.
    codec_name: &'a str,
}

/// Dialtone calls baresip (auto-answer, 440 Hz) playing 1000 Hz, hangs up after 4 s; both
/// recordings must carry the other side's tone.
fn call_and_check(case: Case<'_>, account_for: impl FnOnce(&Kamailio) -> Vec<String>) {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new(case.name);
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let bob_tone = dir.path().join("bob440.wav");
    write_tone(&bob_tone, 440.0, 30.0, case.bob_wav.0, case.bob_wav.1);
    let bob = Baresip::start(
        &dir.subdir("baresip"),
        BaresipOptions {
            source: AudioSource::Wav(bob_tone),
            codecs: case.bob_codecs.iter().map(|c| c.to_string()).collect(),
            extra_account_params: case.bob_params.to_string(),
            ..BaresipOptions::new("1000", 5080, 4444)
        },
    )
    .expect("baresip starts");
    bob.wait_registered(WAIT).expect("baresip registers");
    let tone = dir.path().join("alice1000.wav");
    write_tone_wav(&tone, 1000.0, 2.0, 48000).expect("tone");
    let heard = dir.path().join("alice-heard.wav");
    let profile = dir.subdir("profile").display().to_string();
    let account = case.account.unwrap_or_else(|| account_for(&kam));
    let mut args: Vec<String> = vec![
        "--profile".into(),
        profile,
        "--log-level".into(),
        "debug".into(),
        "--user".into(),
        "1001".into(),
    ];
    args.extend(account);
    args.extend(
        [
            "call",
            "1000",
            "--play",
            &tone.display().to_string(),
            "--record",
            &heard.display().to_string(),
            "--hangup-after",
            "4",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args.extend(case.media.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut alice = DialtoneCli::spawn(
        &dir.subdir("cli"),
        &args,
        &[("DIALTONE_PASSWORD", "pw1001")],
    )
    .expect("cli starts");
    alice
        .wait_event("confirmed", WAIT)
        .expect("the call is established");
    let report: Value = alice
        .wait_event("callReport", WAIT)
        .expect("a quality report every 3 s");
    assert_eq!(
        report["report"]["lksAudioCodec"], case.codec_name,
        "{report}"
    );
    alice.wait_event("ended", WAIT).expect("hangs up after 4 s");
    let status = alice.wait_exit(WAIT).expect("exits");
    assert!(status.success(), "{:?}", alice.events());
    bob.ctrl()
        .wait_event("CALL_CLOSED", WAIT)
        .expect("baresip saw the BYE");
    std::thread::sleep(Duration::from_millis(500));
    assert_heard(&heard, 440.0, "Dialtone");
    let bob_heard = bob.received_recordings();
    assert_eq!(bob_heard.len(), 1, "one recording at baresip");
    assert_heard(&bob_heard[0], 1000.0, "baresip");
}

/// A 16-bit sine WAV with `channels` identical channels.
fn write_tone(path: &std::path::Path, hz: f64, seconds: f64, rate: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..(seconds * f64::from(rate)) as u64 {
        let v = (i as f64 * hz * std::f64::consts::TAU / f64::from(rate)).sin() * 12000.0;
        for _ in 0..channels {
            w.write_sample(v as i16).expect("write wav");
        }
    }
    w.finalize().expect("finish wav");
}

fn udp(_: &Kamailio) -> Vec<String> {
    vec!["--registrar".into(), "sip:127.0.0.1".into()]
}

#[test]
fn g722_call_to_baresip_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "g722_call_to_baresip",
            bob_codecs: &["G722"],
            bob_wav: (16000, 1),
            bob_params: "",
            account: None,
            media: &["--codec", "g722", "--srtp", "off"],
            codec_name: "G722/8000",
        },
        udp,
    );
}

#[test]
fn pcma_call_to_baresip_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "pcma_call_to_baresip",
            bob_codecs: &["PCMA"],
            bob_wav: (8000, 1),
            bob_params: "",
            account: None,
            media: &["--codec", "pcma", "--srtp", "off"],
            codec_name: "PCMA/8000",
        },
        udp,
    );
}

#[test]
fn opus_call_to_baresip_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "opus_call_to_baresip",
            bob_codecs: &["opus/48000/2"],
            bob_wav: (48000, 2),
            bob_params: "",
            account: None,
            media: &["--codec", "opus", "--srtp", "off"],
            codec_name: "opus/48000/2",
        },
        udp,
    );
}

#[test]
fn mandatory_srtp_call_to_baresip_with_sdes_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "srtp_sdes_to_baresip",
            bob_codecs: &["PCMU"],
            bob_wav: (8000, 1),
            bob_params: ";mediaenc=srtp-mand",
            account: None,
            media: &["--codec", "pcmu", "--srtp", "mandatory"],
            codec_name: "PCMU/8000",
        },
        udp,
    );
}

#[test]
fn call_signalled_over_tcp_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "tcp_call_to_baresip",
            bob_codecs: &["PCMU"],
            bob_wav: (8000, 1),
            bob_params: "",
            account: Some(vec![
                "--transport".into(),
                "tcp".into(),
                "--registrar".into(),
                "sip:127.0.0.1".into(),
            ]),
            media: &["--codec", "pcmu", "--srtp", "off"],
            codec_name: "PCMU/8000",
        },
        udp,
    );
}

#[test]
fn call_signalled_over_tls_carries_audio_both_ways() {
    call_and_check(
        Case {
            name: "tls_call_to_baresip",
            bob_codecs: &["PCMU"],
            bob_wav: (8000, 1),
            bob_params: "",
            account: None,
            media: &["--codec", "pcmu", "--srtp", "off"],
            codec_name: "PCMU/8000",
        },
        |kam| {
            vec![
                "--transport".into(),
                "tls".into(),
                "--registrar".into(),
                "sip:127.0.0.1:5061".into(),
                "--tls-ca".into(),
                kam.cert_pem().display().to_string(),
            ]
        },
    );
}
