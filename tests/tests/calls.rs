//! Real calls between `dialtone-cli` and baresip through kamailio, audio checked by frequency
//! on both sides for the whole call.

use std::time::Duration;

use dialtone_tests::audio_check::{tone_coverage, write_tone_wav};
use dialtone_tests::{
    ArtifactDir, Baresip, BaresipOptions, DialtoneCli, Kamailio, KamailioOptions, Netns,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);

fn cli_args<'a>(profile: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--profile",
        profile,
        "--log-level",
        "debug",
        "--user",
        "1001",
        "--registrar",
        "sip:127.0.0.1",
    ];
    args.extend_from_slice(rest);
    args
}

fn event_names(cli: &DialtoneCli) -> Vec<String> {
    cli.events()
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_owned))
        .collect()
}

fn assert_heard(path: &std::path::Path, hz: f64, who: &str) {
    let coverage = tone_coverage(path, hz).expect("readable recording");
    assert!(
        coverage > 0.75,
        "{who} heard {hz} Hz in only {:.0} % of {}",
        coverage * 100.0,
        path.display()
    );
}

#[test]
fn dialtone_calls_baresip_and_both_hear_each_other() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("dialtone_calls_baresip_and_both_hear_each_other");
    let _kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let bob = Baresip::start(
        &dir.subdir("baresip"),
        BaresipOptions::new("1000", 5080, 4444),
    )
    .expect("baresip starts");
    bob.wait_registered(WAIT).expect("baresip registers");
    let tone = dir.path().join("alice1000.wav");
    write_tone_wav(&tone, 1000.0, 2.0, 48000).expect("tone");
    let heard = dir.path().join("alice-heard.wav");
    let profile = dir.subdir("profile").display().to_string();
    let (tone_s, heard_s) = (tone.display().to_string(), heard.display().to_string());
    let args = cli_args(
        &profile,
        &[
            "call",
            "1000",
            "--play",
            &tone_s,
            "--record",
            &heard_s,
            "--codec",
            "pcmu",
            "--srtp",
            "off",
            "--hangup-after",
            "4",
        ],
    );
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
    assert_eq!(report["report"]["callId"], report["callId"], "{report}");
    assert_eq!(report["report"]["extension"], "1001", "{report}");
    assert_eq!(report["report"]["lksAudioCodec"], "PCMU/8000", "{report}");
    let received: u64 = report["report"]["lksAudioRx"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!(
        received > 50,
        "packets were received in the first 3 s: {report}"
    );
    alice.wait_event("ended", WAIT).expect("hangs up after 4 s");
    let status = alice.wait_exit(WAIT).expect("exits");
    assert!(status.success(), "{:?}", event_names(&alice));
    bob.ctrl()
        .wait_event("CALL_CLOSED", WAIT)
        .expect("baresip saw the BYE");
    std::thread::sleep(Duration::from_millis(500));
    assert_heard(&heard, 440.0, "Dialtone");
    let bob_heard = bob.received_recordings();
    assert_eq!(bob_heard.len(), 1, "one recording at baresip");
    assert_heard(&bob_heard[0], 1000.0, "baresip");
}

#[test]
fn dialtone_answers_baresip_and_both_hear_each_other() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("dialtone_answers_baresip_and_both_hear_each_other");
    let _kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let bob = Baresip::start(
        &dir.subdir("baresip"),
        BaresipOptions {
            auto_answer: false,
            ..BaresipOptions::new("1000", 5080, 4444)
        },
    )
    .expect("baresip starts");
    bob.wait_registered(WAIT).expect("baresip registers");
    let tone = dir.path().join("alice1000.wav");
    write_tone_wav(&tone, 1000.0, 2.0, 8000).expect("tone");
    let heard = dir.path().join("alice-heard.wav");
    let profile = dir.subdir("profile").display().to_string();
    let (tone_s, heard_s) = (tone.display().to_string(), heard.display().to_string());
    let args = cli_args(
        &profile,
        &[
            "listen", "--calls", "1", "--play", &tone_s, "--record", &heard_s, "--srtp", "off",
        ],
    );
    let mut alice = DialtoneCli::spawn(
        &dir.subdir("cli"),
        &args,
        &[("DIALTONE_PASSWORD", "pw1001")],
    )
    .expect("cli starts");
    alice.wait_event("registered", WAIT).expect("registers");
    bob.ctrl()
        .dial("sip:1001@127.0.0.1")
        .expect("baresip dials");
    let incoming = alice
        .wait_event("incoming", WAIT)
        .expect("the call arrives");
    assert_eq!(incoming["from"], "1000", "{incoming}");
    alice
        .wait_event("confirmed", WAIT)
        .expect("answered and established");
    std::thread::sleep(Duration::from_secs(4));
    bob.ctrl().hangup().expect("baresip hangs up");
    alice.wait_event("ended", WAIT).expect("the call ends");
    assert!(alice
        .wait_exit(WAIT)
        .expect("exits after one call")
        .success());
    std::thread::sleep(Duration::from_millis(500));
    assert_heard(&heard, 440.0, "Dialtone");
    let bob_heard = bob.received_recordings();
    assert_eq!(bob_heard.len(), 1, "one recording at baresip");
    assert_heard(&bob_heard[0], 1000.0, "baresip");
}

#[test]
fn calling_a_number_nobody_has_fails_with_404() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("calling_a_number_nobody_has_fails_with_404");
    let _kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let profile = dir.subdir("profile").display().to_string();
    let tone = dir.path().join("t.wav");
    write_tone_wav(&tone, 500.0, 1.0, 8000).expect("tone");
    let tone_s = tone.display().to_string();
    let args = cli_args(
        &profile,
        &["call", "1999", "--srtp", "off", "--play", &tone_s],
    );
    let mut alice = DialtoneCli::spawn(
        &dir.subdir("cli"),
        &args,
        &[("DIALTONE_PASSWORD", "pw1001")],
    )
    .expect("cli starts");
    let failed = alice.wait_event("failed", WAIT).expect("the call fails");
    assert_eq!(failed["code"], 404, "{failed}");
    assert!(!alice.wait_exit(WAIT).expect("exits").success());
    let stderr = std::fs::read_to_string(alice.stderr_path()).expect("stderr");
    assert!(stderr.contains("404"), "{stderr}");
}

#[test]
fn dialtone_calls_dialtone_with_opus_and_mandatory_srtp() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("dialtone_to_dialtone");
    let _kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let (tone_a, tone_b) = (dir.path().join("a440.wav"), dir.path().join("b1000.wav"));
    write_tone_wav(&tone_a, 440.0, 2.0, 48000).expect("tone");
    write_tone_wav(&tone_b, 1000.0, 2.0, 48000).expect("tone");
    let (heard_a, heard_b) = (
        dir.path().join("a-heard.wav"),
        dir.path().join("b-heard.wav"),
    );
    let s = |p: &std::path::Path| p.display().to_string();
    let (profile_a, profile_b) = (s(&dir.subdir("profile-a")), s(&dir.subdir("profile-b")));
    let (ta, tb, ha, hb) = (s(&tone_a), s(&tone_b), s(&heard_a), s(&heard_b));
    let listen_args = [
        "--profile",
        &profile_b,
        "--user",
        "1000",
        "--registrar",
        "sip:127.0.0.1",
        "listen",
        "--calls",
        "1",
        "--codec",
        "opus",
        "--srtp",
        "mandatory",
        "--play",
        &tb,
        "--record",
        &hb,
    ];
    let mut bob = DialtoneCli::spawn(
        &dir.subdir("bob"),
        &listen_args,
        &[("DIALTONE_PASSWORD", "pw1000")],
    )
    .expect("bob starts");
    bob.wait_event("registered", WAIT).expect("bob registers");
    let call_args = [
        "--profile",
        &profile_a,
        "--user",
        "1001",
        "--registrar",
        "sip:127.0.0.1",
        "call",
        "1000",
        "--codec",
        "opus",
        "--srtp",
        "mandatory",
        "--play",
        &ta,
        "--record",
        &ha,
        "--hangup-after",
        "4",
    ];
    let mut alice = DialtoneCli::spawn(
        &dir.subdir("alice"),
        &call_args,
        &[("DIALTONE_PASSWORD", "pw1001")],
    )
    .expect("alice starts");
    let report: Value = alice
        .wait_event("callReport", WAIT)
        .expect("a quality report");
    assert_eq!(
        report["report"]["lksAudioCodec"], "opus/48000/2",
        "{report}"
    );
    alice.wait_event("ended", WAIT).expect("alice hangs up");
    assert!(alice.wait_exit(WAIT).expect("alice exits").success());
    bob.wait_event("ended", WAIT).expect("bob sees the end");
    assert!(bob
        .wait_exit(WAIT)
        .expect("bob exits after one call")
        .success());
    assert_heard(&heard_a, 1000.0, "alice");
    assert_heard(&heard_b, 440.0, "bob");
}
