//! Self-tests of the harness against the real peers. Each test enters its own network namespace
//! first, so all of them use the same fixed ports without colliding (run under cargo-nextest:
//! one process per test).

mod register_client;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use dialtone_tests::audio_check::{dominant_frequency, tone_coverage};
use dialtone_tests::{
    ArtifactDir, AudioSource, Baresip, BaresipOptions, DialtoneCli, Kamailio, KamailioOptions,
    Netns, SipTransport, Sipp, SippTransport,
};
use register_client::{Digest, RegisterClient};

const SIPP_PORT: u16 = 5070;

/// Registers `user` with sipsak from `contact_port`; `expires` 0 removes the binding.
fn sipsak_register(
    dir: &Path,
    user: &str,
    password: &str,
    contact_port: u16,
    expires: u32,
) -> bool {
    let output = Command::new("sipsak")
        .args([
            "-U",
            "-s",
            &format!("sip:{user}@127.0.0.1:5060"),
            "-u",
            user,
            "-a",
            password,
        ])
        .args(["-C", &format!("sip:{user}@127.0.0.1:{contact_port}")])
        .args([
            "-l",
            &contact_port.to_string(),
            "-x",
            &expires.to_string(),
            "-vv",
        ])
        .output()
        .expect("sipsak runs (scripts/install-test-deps.sh installs it)");
    let log = dir.join(format!("sipsak-{user}-{contact_port}-{expires}.log"));
    let mut text = output.stdout.clone();
    text.extend_from_slice(&output.stderr);
    std::fs::write(log, text).expect("write sipsak log");
    output.status.success()
}

#[test]
fn netns_gives_the_test_a_private_loopback_with_only_lo() {
    assert!(!Netns::is_private(), "tests start in the host namespace");
    Netns::enter();
    assert!(Netns::is_private());
    let links = Command::new("ip")
        .args(["-o", "link"])
        .output()
        .expect("ip link");
    let links = String::from_utf8_lossy(&links.stdout);
    assert_eq!(links.lines().count(), 1, "only lo expected: {links}");
    assert!(
        links.contains(" lo:") && links.contains("UP"),
        "lo is up: {links}"
    );
    // A thread spawned now inherits the namespace.
    let inherited = std::thread::spawn(Netns::is_private)
        .join()
        .expect("thread");
    assert!(inherited);
    std::net::UdpSocket::bind("127.0.0.1:5060").expect("5060 is free in a fresh namespace");
}

#[test]
fn kamailio_registers_user_1000_with_digest_and_lists_then_drops_the_binding() {
    Netns::enter();
    let dir = ArtifactDir::new("kamailio_registers_user_1000_with_digest");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let pem = std::fs::read_to_string(kam.cert_pem()).expect("certificate written");
    assert!(pem.contains("BEGIN CERTIFICATE"));

    assert_eq!(
        kam.registered_contacts("1000@127.0.0.1")
            .expect("ul.lookup"),
        Vec::<String>::new()
    );
    assert!(
        sipsak_register(dir.path(), "1000", "pw1000", 15060, 300),
        "sipsak registers 1000"
    );
    assert_eq!(
        kam.registered_contacts("1000@127.0.0.1")
            .expect("ul.lookup"),
        vec!["sip:1000@127.0.0.1:15060".to_string()]
    );
    let binding = &kam.bindings("1000").expect("ul.lookup")[0];
    assert_eq!(binding.socket.as_deref(), Some("udp:127.0.0.1:5060"));
    assert!(
        binding.expires.is_some_and(|e| e > 200 && e <= 300),
        "{binding:?}"
    );

    assert!(
        !sipsak_register(dir.path(), "1001", "wrong", 15061, 300),
        "wrong password is refused"
    );
    assert!(kam
        .registered_contacts("1001@127.0.0.1")
        .expect("ul.lookup")
        .is_empty());

    assert!(
        sipsak_register(dir.path(), "1000", "pw1000", 15060, 0),
        "sipsak unregisters 1000"
    );
    assert!(kam
        .registered_contacts("1000@127.0.0.1")
        .expect("ul.lookup")
        .is_empty());
}

#[test]
fn kamailio_accepts_a_configured_user_table() {
    Netns::enter();
    let dir = ArtifactDir::new("kamailio_accepts_a_configured_user_table");
    let options = KamailioOptions {
        users: vec![("alice".into(), "wonderland".into())],
        ..KamailioOptions::default()
    };
    let kam = Kamailio::start(&dir.subdir("kamailio"), options).expect("kamailio starts");
    assert!(sipsak_register(
        dir.path(),
        "alice",
        "wonderland",
        15070,
        300
    ));
    assert!(
        !sipsak_register(dir.path(), "1000", "pw1000", 15071, 300),
        "default users are gone"
    );
    assert_eq!(
        kam.registered_contacts("alice").expect("ul.lookup").len(),
        1
    );
}

#[test]
fn kamailio_serves_tls_with_a_certificate_that_verifies_against_its_pem() {
    Netns::enter();
    let dir = ArtifactDir::new("kamailio_serves_tls_with_a_certificate");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    // What a client given `--tls-ca <cert_pem>` does: verify chain and the IP SAN.
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            "127.0.0.1:5061",
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
        ])
        .arg("-CAfile")
        .arg(kam.cert_pem())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");

    let phone = Baresip::start(
        &dir.subdir("b1003"),
        BaresipOptions {
            transport: SipTransport::Tls,
            ..BaresipOptions::new("1003", 5080, 4444)
        },
    )
    .expect("baresip registers over TLS");
    let bindings = kam.bindings("1003").expect("ul.lookup");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    assert_eq!(bindings[0].socket.as_deref(), Some("tls:127.0.0.1:5061"));
    drop(phone);
}

#[test]
fn kamailio_restart_keeps_ports_and_certificate_and_forgets_bindings() {
    Netns::enter();
    let dir = ArtifactDir::new("kamailio_restart_keeps_ports_and_certificate");
    let mut kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let pem_before = std::fs::read(kam.cert_pem()).expect("cert");
    assert!(sipsak_register(dir.path(), "1000", "pw1000", 15060, 300));

    kam.stop();
    assert!(!kam.is_running());
    assert!(
        !sipsak_register(dir.path(), "1000", "pw1000", 15060, 300),
        "nobody answers while stopped"
    );

    let started = Instant::now();
    kam.restart().expect("kamailio restarts on the same ports");
    eprintln!("restart took {:?}", started.elapsed());
    assert_eq!(
        std::fs::read(kam.cert_pem()).expect("cert"),
        pem_before,
        "same certificate"
    );
    assert!(
        kam.registered_contacts("1000")
            .expect("ul.lookup")
            .is_empty(),
        "in-memory usrloc"
    );
    assert!(
        sipsak_register(dir.path(), "1000", "pw1000", 15060, 300),
        "registers again"
    );
    assert_eq!(kam.registered_contacts("1000").expect("ul.lookup").len(), 1);
}

#[test]
fn baresip_answers_a_call_through_kamailio_and_each_side_hears_the_others_tone() {
    Netns::enter();
    let dir = ArtifactDir::new("baresip_answers_a_call_through_kamailio");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let callee = Baresip::start(
        &dir.subdir("b1000"),
        BaresipOptions::new("1000", 5080, 4444),
    )
    .expect("callee starts");
    let caller = Baresip::start(
        &dir.subdir("a1001"),
        BaresipOptions {
            auto_answer: false,
            source: AudioSource::Tone {
                hz: 1000.0,
                seconds: 30,
            },
            ..BaresipOptions::new("1001", 5090, 4445)
        },
    )
    .expect("caller starts");
    // baresip registers a unique contact user, e.g. sip:1000-0x5627...@127.0.0.1:5080
    let contacts = kam
        .registered_contacts("1000@127.0.0.1")
        .expect("ul.lookup");
    assert!(
        contacts.len() == 1
            && contacts[0].starts_with("sip:1000")
            && contacts[0].ends_with("@127.0.0.1:5080"),
        "{contacts:?}"
    );
    assert_eq!(kam.registered_contacts("1001").expect("ul.lookup").len(), 1);

    let wait = Duration::from_secs(10);
    caller.ctrl().dial("sip:1000@127.0.0.1").expect("dial");
    callee
        .ctrl()
        .wait_event("CALL_ESTABLISHED", wait)
        .expect("callee answers");
    caller
        .ctrl()
        .wait_event("CALL_ESTABLISHED", wait)
        .expect("caller sees the answer");
    std::thread::sleep(Duration::from_secs(2));
    caller.ctrl().sndcode('5').expect("send DTMF");
    let dtmf = callee
        .ctrl()
        .wait_event("CALL_DTMF_START", wait)
        .expect("callee gets DTMF");
    assert_eq!(dtmf["param"], "5", "{dtmf}");
    std::thread::sleep(Duration::from_millis(500));
    caller.ctrl().hangup().expect("hang up");
    callee
        .ctrl()
        .wait_event("CALL_CLOSED", wait)
        .expect("callee sees BYE");
    caller
        .ctrl()
        .wait_event("CALL_CLOSED", wait)
        .expect("caller closed");

    for (phone, expected_hz) in [(&callee, 1000.0), (&caller, 440.0)] {
        let heard = phone.received_recordings();
        assert_eq!(
            heard.len(),
            1,
            "one recording in {}",
            phone.recordings_dir().display()
        );
        let hz = dominant_frequency(&heard[0])
            .expect("readable WAV")
            .expect("not silent");
        let coverage = tone_coverage(&heard[0], expected_hz).expect("readable WAV");
        eprintln!(
            "{} heard {hz} Hz, {expected_hz} Hz in {:.0}% of {}",
            phone.aor(),
            coverage * 100.0,
            heard[0].display()
        );
        assert!(
            (hz - expected_hz).abs() <= 5.0,
            "{} heard {hz} Hz, expected {expected_hz}",
            phone.aor()
        );
        assert!(
            coverage >= 0.7,
            "{expected_hz} Hz in only {:.0}% of the call",
            coverage * 100.0
        );
    }
}

#[test]
fn sipp_423_scenario_passes_a_client_that_retries_with_min_expires() {
    Netns::enter();
    let dir = ArtifactDir::new("sipp_423_scenario_passes");
    let mut sipp = Sipp::run_server(
        dir.path(),
        &Sipp::scenario("register_423.xml"),
        SIPP_PORT,
        SippTransport::Udp,
        &[],
    )
    .expect("sipp starts");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");

    let first = client.register(60, None).expect("answer to first REGISTER");
    assert_eq!(first.status, 423);
    assert_eq!(first.header("Min-Expires").as_deref(), Some("1800"));
    let retry = client.register(1800, None).expect("answer to retry");
    assert_eq!(retry.status, 200, "{}", retry.text);
    let contact = retry.header("Contact").expect("200 lists the binding");
    assert!(
        contact.starts_with("<sip:1000@127.0.0.1:") && contact.ends_with(">;expires=1800"),
        "{contact}"
    );
    assert_eq!(
        client
            .register(0, None)
            .expect("answer to un-REGISTER")
            .status,
        200
    );

    let outcome = sipp.wait(Duration::from_secs(5)).expect("sipp finishes");
    assert!(outcome.passed, "sipp failed: {outcome:?}");
}

#[test]
fn sipp_423_scenario_fails_a_client_that_retries_with_the_same_expires() {
    Netns::enter();
    let dir = ArtifactDir::new("sipp_423_scenario_fails");
    let mut sipp = Sipp::run_server(
        dir.path(),
        &Sipp::scenario("register_423.xml"),
        SIPP_PORT,
        SippTransport::Udp,
        &[],
    )
    .expect("sipp starts");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    assert_eq!(client.register(60, None).expect("423").status, 423);
    let again = client
        .register(60, None)
        .expect("answer to a too-short retry");
    assert_eq!(again.status, 423, "a too-short retry is refused again");
    let outcome = sipp.wait(Duration::from_secs(5)).expect("sipp finishes");
    assert!(!outcome.passed, "the scenario must reject Expires: 60");
}

#[test]
fn sipp_stale_nonce_scenario_passes_only_when_the_client_answers_the_new_nonce() {
    Netns::enter();
    let dir = ArtifactDir::new("sipp_stale_nonce_scenario");
    let vars = [("user", "1000"), ("password", "pw1000")];
    let scenario = Sipp::scenario("register_stale_nonce.xml");

    let mut sipp = Sipp::run_server(
        &dir.path().join("good"),
        &scenario,
        SIPP_PORT,
        SippTransport::Udp,
        &vars,
    )
    .expect("sipp starts");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    let challenge = client.register(300, None).expect("401");
    assert_eq!(challenge.status, 401);
    let realm = challenge.challenge_param("realm").expect("realm");
    let nonce_a = challenge.challenge_param("nonce").expect("nonce");
    let digest = |nonce| {
        Some(Digest {
            password: "pw1000",
            realm: &realm,
            nonce,
        })
    };
    let stale = client.register(300, digest(&nonce_a)).expect("second 401");
    assert_eq!(stale.status, 401);
    assert_eq!(stale.challenge_param("stale").as_deref(), Some("true"));
    let nonce_b = stale.challenge_param("nonce").expect("new nonce");
    assert_ne!(nonce_a, nonce_b);
    assert_eq!(
        client.register(300, digest(&nonce_b)).expect("200").status,
        200
    );
    assert_eq!(
        client
            .register(0, None)
            .expect("un-REGISTER answered")
            .status,
        200
    );
    let outcome = sipp.wait(Duration::from_secs(5)).expect("sipp finishes");
    assert!(outcome.passed, "sipp failed: {outcome:?}");
    drop(sipp);

    // A client that ignores stale=true and reuses nonce A fails the scenario.
    let mut sipp = Sipp::run_server(
        &dir.path().join("reuse"),
        &scenario,
        SIPP_PORT,
        SippTransport::Udp,
        &vars,
    )
    .expect("sipp starts again");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    let nonce_a = client
        .register(300, None)
        .expect("401")
        .challenge_param("nonce")
        .expect("nonce");
    assert_eq!(
        client
            .register(300, digest(&nonce_a))
            .expect("stale 401")
            .status,
        401
    );
    let refused = client
        .register(300, digest(&nonce_a))
        .expect("answer to the stale nonce");
    assert_eq!(refused.status, 403, "the stale nonce is not accepted");
    assert!(
        !sipp
            .wait(Duration::from_secs(5))
            .expect("sipp finishes")
            .passed
    );
}

#[test]
fn sipp_503_scenario_passes_a_retry_after_3_seconds_and_fails_an_immediate_one() {
    Netns::enter();
    let dir = ArtifactDir::new("sipp_503_scenario");
    let scenario = Sipp::scenario("register_503_retry_after.xml");

    let mut sipp = Sipp::run_server(
        &dir.path().join("patient"),
        &scenario,
        SIPP_PORT,
        SippTransport::Udp,
        &[],
    )
    .expect("sipp starts");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    let busy = client.register(300, None).expect("503");
    assert_eq!(busy.status, 503);
    assert_eq!(busy.header("Retry-After").as_deref(), Some("3"));
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(client.register(300, None).expect("200").status, 200);
    assert_eq!(client.register(0, None).expect("200").status, 200);
    let outcome = sipp.wait(Duration::from_secs(5)).expect("sipp finishes");
    assert!(outcome.passed, "sipp failed: {outcome:?}");
    drop(sipp);

    let mut sipp = Sipp::run_server(
        &dir.path().join("hasty"),
        &scenario,
        SIPP_PORT,
        SippTransport::Udp,
        &[],
    )
    .expect("sipp starts again");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    assert_eq!(client.register(300, None).expect("503").status, 503);
    assert_eq!(
        client.register(300, None).expect("503 again").status,
        503,
        "too early"
    );
    assert!(
        !sipp
            .wait(Duration::from_secs(5))
            .expect("sipp finishes")
            .passed
    );
}

#[test]
fn sipp_no_answer_scenario_swallows_every_register() {
    Netns::enter();
    let dir = ArtifactDir::new("sipp_no_answer_scenario");
    let mut sipp = Sipp::run_server(
        dir.path(),
        &Sipp::scenario("register_no_answer.xml"),
        SIPP_PORT,
        SippTransport::Udp,
        &[],
    )
    .expect("sipp starts");
    let mut client = RegisterClient::new(SIPP_PORT, "1000");
    client.set_timeout(Duration::from_millis(500));
    assert!(client.register(300, None).is_none(), "no answer");
    assert!(client.register(300, None).is_none(), "still no answer");
    sipp.kill();
    let trace = std::fs::read_to_string(sipp.message_trace()).expect("message trace");
    assert_eq!(trace.matches("REGISTER sip:").count(), 2, "{trace}");
}

#[test]
fn cli_driver_collects_json_events_and_stops_the_program_with_sigint() {
    let dir = ArtifactDir::new("cli_driver_collects_json_events");
    let script = r#"printf '{"event":"registered","aor":"1000@127.0.0.1"}\nnot json\n{"level":"info"}\n'
trap 'printf "{\"event\":\"unregistered\"}\n"; exit 0' INT
printf '{"event":"ready"}\n'
sleep 30 & wait"#;
    let mut cli = DialtoneCli::spawn_program(
        dir.path(),
        Path::new("/bin/sh"),
        &["-c", script],
        &[("LANG", "C")],
    )
    .expect("spawn sh");
    let registered = cli
        .wait_event("registered", Duration::from_secs(5))
        .expect("registered event");
    assert_eq!(registered["aor"], "1000@127.0.0.1");
    cli.wait_event("ready", Duration::from_secs(5))
        .expect("trap installed");
    cli.send_sigint();
    cli.wait_event("unregistered", Duration::from_secs(5))
        .expect("graceful exit event");
    let status = cli.wait_exit(Duration::from_secs(5)).expect("exits");
    assert!(status.success(), "{status}");
    let names: Vec<_> = cli
        .events()
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(names, ["registered", "ready", "unregistered"]);
    assert_eq!(cli.stdout_lines().len(), 5);
    assert!(cli.wait_event("never", Duration::from_millis(100)).is_err());
}

#[test]
fn baresip_ctrl_accepts_holds_resumes_and_blind_transfers_a_call() {
    Netns::enter();
    let dir = ArtifactDir::new("baresip_ctrl_accepts_holds_resumes_and_transfers");
    let _kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let manual = |user: &str, sip, ctrl| BaresipOptions {
        auto_answer: false,
        ..BaresipOptions::new(user, sip, ctrl)
    };
    let a = Baresip::start(&dir.subdir("a1001"), manual("1001", 5090, 4445)).expect("A starts");
    let b = Baresip::start(&dir.subdir("b1000"), manual("1000", 5080, 4444)).expect("B starts");
    let c = Baresip::start(
        &dir.subdir("c1002"),
        BaresipOptions::new("1002", 5100, 4446),
    )
    .expect("C starts");
    let wait = Duration::from_secs(10);

    a.ctrl().dial("sip:1000@127.0.0.1").expect("dial");
    let incoming = b.ctrl().wait_event("CALL_INCOMING", wait).expect("B rings");
    assert!(
        incoming["peeruri"]
            .as_str()
            .is_some_and(|p| p.starts_with("sip:1001@")),
        "{incoming}"
    );
    b.ctrl().accept().expect("B accepts");
    a.ctrl()
        .wait_event("CALL_ESTABLISHED", wait)
        .expect("A connected");
    a.ctrl().hold().expect("hold");
    std::thread::sleep(Duration::from_millis(500));
    a.ctrl().resume().expect("resume");
    std::thread::sleep(Duration::from_millis(500));
    // Blind transfer: B is asked (REFER) to call C; C auto-answers B.
    a.ctrl().transfer("sip:1002@127.0.0.1").expect("transfer");
    let at_c = c
        .ctrl()
        .wait_event("CALL_ESTABLISHED", wait)
        .expect("C answers the transferred call");
    assert!(
        at_c["peeruri"]
            .as_str()
            .is_some_and(|p| p.starts_with("sip:1000@")),
        "{at_c}"
    );
    a.ctrl()
        .wait_event("CALL_CLOSED", wait)
        .expect("A's call ends after the transfer");
    assert!(
        b.ctrl().command("nosuchcommand", "").is_err(),
        "unknown commands are errors"
    );
}
