//! `dialtone-cli register` against real registrars: kamailio over the five transports, and SIPp
//! playing registrars that misbehave in the ways real ones do. Each test owns a private network
//! namespace (see `Netns::enter`), so fixed ports never collide.

use std::time::Duration;

use dialtone_tests::{
    ArtifactDir, DialtoneCli, Kamailio, KamailioOptions, Netns, Sipp, SippTransport,
};
use serde_json::Value;

const AOR: &str = "1000@127.0.0.1";
const WAIT: Duration = Duration::from_secs(15);

/// Account flags for user 1000 on the test kamailio over `transport`.
fn kamailio_account(kam: &Kamailio, transport: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--user".into(),
        "1000".into(),
        "--transport".into(),
        transport.into(),
    ];
    let ca = kam.cert_pem().display().to_string();
    let (registrar, extra): (String, Vec<String>) = match transport {
        "udp" | "tcp" => (format!("sip:127.0.0.1:{}", Kamailio::UDP_PORT), vec![]),
        "tls" => (
            format!("sip:127.0.0.1:{}", Kamailio::TLS_PORT),
            vec!["--tls-ca".into(), ca],
        ),
        "ws" => (
            "sip:127.0.0.1".into(),
            vec![
                "--ws-url".into(),
                format!("ws://127.0.0.1:{}/", Kamailio::WS_PORT),
            ],
        ),
        "wss" => (
            "sip:127.0.0.1".into(),
            vec![
                "--ws-url".into(),
                format!("wss://127.0.0.1:{}/", Kamailio::WSS_PORT),
                "--tls-ca".into(),
                ca,
            ],
        ),
        other => panic!("unknown transport {other}"),
    };
    args.extend(["--registrar".into(), registrar]);
    args.extend(extra);
    args
}

fn spawn_cli(
    dir: &ArtifactDir,
    name: &str,
    account: &[String],
    password: &str,
    extra: &[&str],
) -> DialtoneCli {
    let profile = dir.subdir(&format!("{name}-profile")).display().to_string();
    let mut args: Vec<&str> = vec!["--profile", &profile, "--log-level", "debug"];
    args.extend(account.iter().map(String::as_str));
    args.push("register");
    args.extend(extra);
    DialtoneCli::spawn(&dir.subdir(name), &args, &[("DIALTONE_PASSWORD", password)])
        .expect("dialtone-cli starts")
}

fn str_field<'a>(event: &'a Value, field: &str) -> &'a str {
    event.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// Registers over `transport`, checks kamailio holds the binding, then Ctrl-C must remove it.
fn registers_and_unregisters(test: &str, transport: &str) {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new(test);
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let mut cli = spawn_cli(
        &dir,
        "cli",
        &kamailio_account(&kam, transport),
        "pw1000",
        &[],
    );

    let registered = cli.wait_event("registered", WAIT).expect("registers");
    let contact = str_field(&registered, "contact").to_owned();
    assert!(contact.starts_with("sip:1000@"), "{registered}");
    let bindings = kam.bindings(AOR).expect("ul.lookup");
    assert_eq!(
        bindings.len(),
        1,
        "kamailio holds exactly our binding: {bindings:?}"
    );
    let socket = bindings[0].socket.clone().unwrap_or_default();
    let expected_socket = match transport {
        "udp" => "udp:",
        "tcp" | "ws" => "tcp:",
        _ => "tls:",
    };
    assert!(
        socket.starts_with(expected_socket),
        "REGISTER arrived on {socket}, expected {expected_socket}"
    );

    cli.send_sigint();
    cli.wait_event("unregistered", WAIT)
        .expect("unregisters on Ctrl-C");
    let status = cli.wait_exit(WAIT).expect("exits");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        kam.registered_contacts(AOR).expect("ul.lookup").is_empty(),
        "the binding is gone after Ctrl-C"
    );
}

#[test]
fn registers_and_unregisters_over_udp() {
    registers_and_unregisters("registers_and_unregisters_over_udp", "udp");
}

#[test]
fn registers_and_unregisters_over_tcp() {
    registers_and_unregisters("registers_and_unregisters_over_tcp", "tcp");
}

#[test]
fn registers_and_unregisters_over_tls() {
    registers_and_unregisters("registers_and_unregisters_over_tls", "tls");
}

#[test]
fn registers_and_unregisters_over_ws() {
    registers_and_unregisters("registers_and_unregisters_over_ws", "ws");
}

#[test]
fn registers_and_unregisters_over_wss() {
    registers_and_unregisters("registers_and_unregisters_over_wss", "wss");
}

#[test]
fn register_for_seconds_unregisters_and_exits_zero() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("register_for_seconds_unregisters_and_exits_zero");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let mut cli = spawn_cli(
        &dir,
        "cli",
        &kamailio_account(&kam, "tcp"),
        "pw1000",
        &["--for", "2"],
    );
    cli.wait_event("registered", WAIT).expect("registers");
    cli.wait_event("unregistered", WAIT)
        .expect("unregisters when --for elapses");
    assert!(cli.wait_exit(WAIT).expect("exits").success());
    assert!(kam.registered_contacts(AOR).expect("ul.lookup").is_empty());
}

#[test]
fn sigterm_unregisters_like_ctrl_c() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("sigterm_unregisters_like_ctrl_c");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let mut cli = spawn_cli(&dir, "cli", &kamailio_account(&kam, "udp"), "pw1000", &[]);
    cli.wait_event("registered", WAIT).expect("registers");
    cli.send_sigterm();
    cli.wait_event("unregistered", WAIT)
        .expect("unregisters on SIGTERM");
    assert!(cli.wait_exit(WAIT).expect("exits").success());
    assert!(kam.registered_contacts(AOR).expect("ul.lookup").is_empty());
}

#[test]
fn wrong_password_fails_clearly_without_retrying() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("wrong_password_fails_clearly_without_retrying");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    let mut cli = spawn_cli(
        &dir,
        "cli",
        &kamailio_account(&kam, "udp"),
        "not-the-password",
        &[],
    );
    let failed = cli
        .wait_event("registrationFailed", WAIT)
        .expect("reports the failure");
    assert_eq!(failed["code"], -201, "{failed}");
    assert_eq!(failed["sipCode"], 401, "{failed}");
    assert!(
        failed["retryInMs"].is_null(),
        "a wrong password is not retried: {failed}"
    );
    assert!(
        str_field(&failed, "reason").contains("password"),
        "{failed}"
    );
    let status = cli.wait_exit(WAIT).expect("exits by itself");
    assert!(!status.success());
    let stderr = std::fs::read_to_string(cli.stderr_path()).expect("stderr log");
    assert!(
        stderr.contains("could not register") && stderr.contains("password"),
        "{stderr}"
    );
    let failures = cli
        .events()
        .iter()
        .filter(|e| e["event"] == "registrationFailed")
        .count();
    assert_eq!(
        failures,
        1,
        "one failure, no retry storm: {:?}",
        cli.events()
    );
    assert!(kam.registered_contacts(AOR).expect("ul.lookup").is_empty());
}

#[test]
fn untrusted_tls_certificate_is_refused_naming_the_problem() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("untrusted_tls_certificate_is_refused_naming_the_problem");
    let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    for (name, transport) in [("tls", "tls"), ("wss", "wss")] {
        // The account without --tls-ca: only the system's roots, which do not know the test CA.
        let account: Vec<String> = kamailio_account(&kam, transport)
            .into_iter()
            .scan(false, |skip, arg| {
                let keep = !*skip && arg != "--tls-ca";
                *skip = arg == "--tls-ca";
                Some(keep.then_some(arg))
            })
            .flatten()
            .collect();
        let mut cli = spawn_cli(&dir, name, &account, "pw1000", &[]);
        let failed = cli
            .wait_event("registrationFailed", WAIT)
            .expect("refuses the certificate");
        let reason = str_field(&failed, "reason");
        assert!(reason.contains("not trusted"), "{failed}");
        assert!(
            reason.contains("SHA-256") && reason.contains(':'),
            "the fingerprint is shown: {failed}"
        );
        assert!(failed["retryInMs"].is_null(), "{failed}");
        assert!(!cli.wait_exit(WAIT).expect("exits").success());
    }
    assert!(
        kam.registered_contacts(AOR).expect("ul.lookup").is_empty(),
        "nothing registered over an untrusted link"
    );
}

#[test]
fn reregisters_within_5s_after_registrar_restart() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("reregisters_within_5s_after_registrar_restart");
    let mut kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default())
        .expect("kamailio starts");
    for transport in ["tcp", "wss"] {
        let mut cli = spawn_cli(
            &dir,
            transport,
            &kamailio_account(&kam, transport),
            "pw1000",
            &[],
        );
        cli.wait_event("registered", WAIT).expect("registers");
        kam.stop();
        cli.wait_event("disconnected", WAIT)
            .expect("notices the registrar went away");
        std::thread::sleep(Duration::from_secs(2));
        kam.restart().expect("kamailio restarts");
        // Kamailio keeps bindings in memory only: after the restart it knows nobody until the
        // phone registers again, which it must do by itself within 5 s.
        let again = cli
            .wait_event("registered", Duration::from_secs(5))
            .expect("re-registers within 5 s");
        assert!(str_field(&again, "contact").starts_with("sip:1000@"));
        assert_eq!(
            kam.bindings(AOR).expect("ul.lookup").len(),
            1,
            "kamailio has the binding again"
        );
        cli.send_sigint();
        cli.wait_event("unregistered", WAIT).expect("unregisters");
        assert!(cli.wait_exit(WAIT).expect("exits").success());
    }
}

/// Runs `scenario` as the registrar on UDP 5070 and the CLI against it until it registers.
/// `vars` are the scenario's globals (the stale-nonce registrar checks digests with them).
fn against_sipp(
    test: &str,
    scenario: &str,
    vars: &[(&str, &str)],
) -> (ArtifactDir, DialtoneCli, Sipp) {
    let dir = ArtifactDir::new(test);
    let sipp = Sipp::run_server(
        &dir.subdir("sipp"),
        &Sipp::scenario(scenario),
        5070,
        SippTransport::Udp,
        vars,
    )
    .expect("sipp starts");
    let account: Vec<String> = [
        "--user",
        "1000",
        "--registrar",
        "sip:127.0.0.1:5070",
        "--transport",
        "udp",
    ]
    .map(String::from)
    .to_vec();
    let cli = spawn_cli(&dir, "cli", &account, "pw1000", &[]);
    (dir, cli, sipp)
}

fn finish(mut cli: DialtoneCli, mut sipp: Sipp) {
    cli.send_sigint();
    cli.wait_event("unregistered", WAIT).expect("unregisters");
    assert!(cli.wait_exit(WAIT).expect("exits").success());
    let outcome = sipp.wait(WAIT).expect("sipp ends");
    assert!(
        outcome.passed,
        "the registrar's scenario failed: {}",
        outcome.errors
    );
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let _netns = Netns::enter();
    let (_dir, cli, sipp) = against_sipp(
        "interval_too_brief_is_retried_with_min_expires",
        "register_423.xml",
        &[],
    );
    let registered = cli
        .wait_event("registered", WAIT)
        .expect("registers after the 423");
    assert_eq!(registered["expires"], 1800, "{registered}");
    assert!(
        cli.events()
            .iter()
            .all(|e| e["event"] != "registrationFailed"),
        "423 is handled silently: {:?}",
        cli.events()
    );
    finish(cli, sipp);
}

#[test]
fn stale_nonce_gets_one_silent_retry() {
    let _netns = Netns::enter();
    let (_dir, cli, sipp) = against_sipp(
        "stale_nonce_gets_one_silent_retry",
        "register_stale_nonce.xml",
        &[("user", "1000"), ("password", "pw1000")],
    );
    cli.wait_event("registered", WAIT)
        .expect("registers after the stale nonce");
    assert!(
        cli.events()
            .iter()
            .all(|e| e["event"] != "registrationFailed"),
        "no failure shown: {:?}",
        cli.events()
    );
    finish(cli, sipp);
}

#[test]
fn service_unavailable_retry_after_is_honoured() {
    let _netns = Netns::enter();
    let (_dir, cli, sipp) = against_sipp(
        "service_unavailable_retry_after_is_honoured",
        "register_503_retry_after.xml",
        &[],
    );
    let failed = cli
        .wait_event("registrationFailed", WAIT)
        .expect("reports the 503");
    assert_eq!(failed["sipCode"], 503, "{failed}");
    assert_eq!(
        failed["retryInMs"], 3000,
        "waits exactly Retry-After: {failed}"
    );
    cli.wait_event("registered", WAIT)
        .expect("registers after Retry-After");
    finish(cli, sipp);
}

#[test]
fn silent_registrar_is_reported_and_retried_with_back_off() {
    let _netns = Netns::enter();
    let (_dir, mut cli, mut sipp) = against_sipp(
        "silent_registrar_is_reported_and_retried_with_back_off",
        "register_no_answer.xml",
        &[],
    );
    // Timer F: 64 × T1 = 32 s without an answer over UDP.
    let failed = cli
        .wait_event("registrationFailed", Duration::from_secs(40))
        .expect("reports the silence");
    assert_eq!(failed["sipCode"], 408, "{failed}");
    let retry = failed["retryInMs"]
        .as_u64()
        .expect("it will retry by itself");
    assert!(
        (1600..=2400).contains(&retry),
        "first back-off is about 2 s: {failed}"
    );
    assert!(
        str_field(&failed, "reason").contains("did not answer"),
        "{failed}"
    );
    // Quitting now sends nothing more (no binding was ever granted) and says why it failed.
    cli.send_sigint();
    cli.wait_event("unregistered", WAIT)
        .expect("gives up at once");
    let status = cli.wait_exit(WAIT).expect("exits");
    assert!(
        !status.success(),
        "never registered, so the exit status says so"
    );
    let stderr = std::fs::read_to_string(cli.stderr_path()).expect("stderr log");
    assert!(stderr.contains("could not register"), "{stderr}");
    sipp.kill();
}
