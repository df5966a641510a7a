//! Call features between dialtone-cli and baresip through kamailio: DTMF both ways, hold and
//! resume from either side, a busy refusal and a cancel before the answer.

use std::time::Duration;

use dialtone_tests::audio_check::{tone_coverage, tone_present, write_tone_wav};
use dialtone_tests::{
    ArtifactDir, Baresip, BaresipOptions, DialtoneCli, Kamailio, KamailioOptions, Netns,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);

struct Setup {
    // Field order: dropped cli first, then baresip, kamailio, and the artifact dir last.
    alice: DialtoneCli,
    bob: Baresip,
    _kam: Kamailio,
    heard: std::path::PathBuf,
    dir: ArtifactDir,
}

/// kamailio, baresip 1000 (PCMU, 440 Hz) and dialtone 1001 running `call 1000 <media…>` with a
/// 1000 Hz tone, recording what it hears.
fn start_call(name: &str, auto_answer: bool, media: &[&str]) -> Setup {
    let dir = ArtifactDir::new(name);
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let bob = Baresip::start(
        &dir.subdir("baresip"),
        BaresipOptions {
            auto_answer,
            ..BaresipOptions::new("1000", 5080, 4444)
        },
    )
    .expect("baresip starts");
    bob.wait_registered(WAIT).expect("baresip registers");
    let tone = dir.path().join("alice1000.wav");
    write_tone_wav(&tone, 1000.0, 2.0, 48000).expect("tone");
    let heard = dir.path().join("alice-heard.wav");
    let profile = dir.subdir("profile").display().to_string();
    let (tone_s, heard_s) = (tone.display().to_string(), heard.display().to_string());
    let mut args = vec![
        "--profile",
        &profile,
        "--log-level",
        "debug",
        "--user",
        "1001",
        "--registrar",
        "sip:127.0.0.1",
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
    ];
    args.extend_from_slice(media);
    let alice = DialtoneCli::spawn(
        &dir.subdir("cli"),
        &args,
        &[("DIALTONE_PASSWORD", "pw1001")],
    )
    .expect("cli starts");
    Setup {
        alice,
        bob,
        _kam: kam,
        heard,
        dir,
    }
}

fn events_named(cli: &DialtoneCli, name: &str) -> Vec<Value> {
    cli.events()
        .into_iter()
        .filter(|e| e["event"] == name)
        .collect()
}

fn bob_events(bob: &Baresip, kind: &str) -> Vec<Value> {
    bob.ctrl()
        .events()
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

/// Copies seconds `from..to` of a WAV into `<dir>/<name>.wav`.
fn segment(
    path: &std::path::Path,
    from: f64,
    to: f64,
    dir: &std::path::Path,
    name: &str,
) -> std::path::PathBuf {
    let mut reader = hound::WavReader::open(path).expect("recording");
    let spec = reader.spec();
    let rate = f64::from(spec.sample_rate) * f64::from(spec.channels);
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    let (a, b) = (
        (from * rate) as usize,
        ((to * rate) as usize).min(samples.len()),
    );
    let out = dir.join(format!("{name}.wav"));
    let mut w = hound::WavWriter::create(&out, spec).expect("segment");
    for v in &samples[a.min(b)..b] {
        w.write_sample(*v).expect("write");
    }
    w.finalize().expect("finish");
    out
}

fn coverage(path: &std::path::Path, hz: f64) -> f64 {
    tone_coverage(path, hz).expect("readable recording")
}

#[test]
fn dtmf_digits_sent_by_dialtone_reach_baresip_in_order() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "dtmf_digits_sent_by_dialtone_reach_baresip_in_order",
        true,
        &["--dtmf", "123#", "--dtmf-after", "1", "--hangup-after", "4"],
    );
    s.alice.wait_event("confirmed", WAIT).expect("established");
    s.bob
        .ctrl()
        .wait_event("CALL_CLOSED", WAIT)
        .expect("baresip saw the BYE");
    assert!(s.alice.wait_exit(WAIT).expect("exits").success());
    let digits: Vec<String> = bob_events(&s.bob, "CALL_DTMF_START")
        .iter()
        .map(|e| e["param"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(digits, ["1", "2", "3", "#"], "{:?}", s.bob.ctrl().events());
}

#[test]
fn dtmf_digits_sent_by_baresip_are_reported_by_dialtone() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "dtmf_digits_sent_by_baresip_are_reported_by_dialtone",
        true,
        &["--hangup-after", "4"],
    );
    s.alice.wait_event("confirmed", WAIT).expect("established");
    s.bob
        .ctrl()
        .wait_event("CALL_ESTABLISHED", WAIT)
        .expect("baresip established");
    std::thread::sleep(Duration::from_millis(500));
    for digit in ['4', '5', '*'] {
        s.bob.ctrl().sndcode(digit).expect("sndcode");
        std::thread::sleep(Duration::from_millis(400));
    }
    s.alice.wait_event("ended", WAIT).expect("hangs up");
    assert!(s.alice.wait_exit(WAIT).expect("exits").success());
    let digits: Vec<String> = events_named(&s.alice, "dtmf")
        .iter()
        .map(|e| e["digit"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(digits, ["4", "5", "*"], "{:?}", s.alice.events());
}

#[test]
fn dialtone_hold_stops_baresip_audio_until_resume() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "dialtone_hold_stops_baresip_audio_until_resume",
        true,
        &[
            "--hold-after",
            "1",
            "--resume-after",
            "3",
            "--hangup-after",
            "5.5",
        ],
    );
    s.alice.wait_event("confirmed", WAIT).expect("established");
    s.alice.wait_event("ended", WAIT).expect("hangs up");
    assert!(s.alice.wait_exit(WAIT).expect("exits").success());
    s.bob
        .ctrl()
        .wait_event("CALL_CLOSED", WAIT)
        .expect("baresip saw the BYE");
    std::thread::sleep(Duration::from_millis(500));
    let holds: Vec<(bool, bool)> = events_named(&s.alice, "holdChange")
        .iter()
        .map(|e| (e["local"] == true, e["remote"] == true))
        .collect();
    assert_eq!(
        holds,
        [(true, false), (false, false)],
        "{:?}",
        s.alice.events()
    );
    // baresip answers the sendonly hold with recvonly: Dialtone hears nothing while it holds
    // (answer at ~0 s, hold at 1 s, resume at 3 s) and the tone again after the resume.
    // And baresip heard nothing from Dialtone while held: no packets were sent for those 2 s,
    // so the first report (at ~3 s) counts about one second of audio, not three.
    let report = events_named(&s.alice, "callReport");
    let sent: u64 = report
        .first()
        .and_then(|r| r["report"]["lksAudioTx"].as_str()?.parse().ok())
        .unwrap_or(u64::MAX);
    assert!(
        sent < 100,
        "Dialtone kept sending while it held the call: {sent} packets in 3 s"
    );
    let during = segment(&s.heard, 1.5, 2.7, s.dir.path(), "held");
    assert!(
        !tone_present(&during, 440.0).expect("readable"),
        "Dialtone heard baresip during its own hold: {}",
        s.heard.display()
    );
    let after = segment(&s.heard, 3.7, 5.3, s.dir.path(), "resumed");
    let c = coverage(&after, 440.0);
    assert!(
        c > 0.75,
        "after resume Dialtone heard the tone in only {:.0} %",
        c * 100.0
    );
    let before = segment(&s.heard, 0.1, 0.9, s.dir.path(), "before");
    assert!(coverage(&before, 440.0) > 0.75, "before hold");
}

#[test]
fn baresip_hold_and_resume_are_reported_as_remote_hold_changes() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "baresip_hold_and_resume_are_reported_as_remote_hold_changes",
        true,
        &["--hangup-after", "5"],
    );
    s.alice.wait_event("confirmed", WAIT).expect("established");
    s.bob
        .ctrl()
        .wait_event("CALL_ESTABLISHED", WAIT)
        .expect("baresip established");
    std::thread::sleep(Duration::from_millis(500));
    s.bob.ctrl().hold().expect("baresip holds");
    let held = s
        .alice
        .wait_event("holdChange", Duration::from_secs(3))
        .expect("dialtone sees the hold");
    assert_eq!(
        (held["local"].clone(), held["remote"].clone()),
        (Value::Bool(false), Value::Bool(true)),
        "{held}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    s.bob.ctrl().resume().expect("baresip resumes");
    let resumed = s
        .alice
        .wait_event("holdChange", Duration::from_secs(3))
        .expect("dialtone sees the resume");
    assert_eq!(
        (resumed["local"].clone(), resumed["remote"].clone()),
        (Value::Bool(false), Value::Bool(false)),
        "{resumed}"
    );
    s.alice.wait_event("ended", WAIT).expect("hangs up");
    assert!(s.alice.wait_exit(WAIT).expect("exits").success());
}

#[test]
fn baresip_rejecting_while_ringing_fails_the_call_as_busy() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "baresip_rejecting_while_ringing_fails_the_call_as_busy",
        false,
        &[],
    );
    s.bob
        .ctrl()
        .wait_event("CALL_INCOMING", WAIT)
        .expect("baresip rings");
    s.alice.wait_event("progress", WAIT).expect("ringing");
    s.bob.ctrl().hangup().expect("baresip rejects");
    let failed = s.alice.wait_event("failed", WAIT).expect("the call fails");
    let code = failed["code"].as_u64().unwrap_or_default();
    assert!(code == 486 || code == 603, "{failed}");
    assert!(!s.alice.wait_exit(WAIT).expect("exits").success());
    assert!(events_named(&s.alice, "confirmed").is_empty());
}

#[test]
fn interrupting_dialtone_while_ringing_cancels_the_call_at_baresip() {
    let _netns = Netns::enter();
    let mut s = start_call(
        "interrupting_dialtone_while_ringing_cancels_the_call_at_baresip",
        false,
        &[],
    );
    s.bob
        .ctrl()
        .wait_event("CALL_INCOMING", WAIT)
        .expect("baresip rings");
    s.alice.wait_event("progress", WAIT).expect("ringing");
    s.alice.send_sigint();
    s.bob
        .ctrl()
        .wait_event("CALL_CLOSED", WAIT)
        .expect("baresip sees the CANCEL");
    s.alice.wait_exit(WAIT).expect("dialtone exits");
    assert!(events_named(&s.alice, "confirmed").is_empty());
    assert!(bob_events(&s.bob, "CALL_ESTABLISHED").is_empty());
    // The call ends as cancelled (its 487 arrives before unregistering), not as a broken transport.
    let failed = events_named(&s.alice, "failed");
    assert_eq!(failed.len(), 1, "{:?}", s.alice.events());
    assert_eq!(failed[0]["cause"], "Cancelled", "{:?}", failed[0]);
}
